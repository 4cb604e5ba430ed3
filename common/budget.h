/*
 * A memory budget for decoding untrusted messages. protobuf-c unpacks a
 * message into many small allocations, and a few bytes on the wire can ask
 * for far more memory than they take up (a repeated field of empty
 * sub-messages costs two bytes each on the wire and a whole structure each
 * in memory). The decoder passes this allocator to every unpack: it counts
 * the bytes handed out, and once a message would take more than its cap,
 * it fails the allocation, so that protobuf-c gives up and frees what it
 * had, whatever the message asks for.
 */
#ifndef TALLY_BUDGET_H
#define TALLY_BUDGET_H

#include <protobuf-c/protobuf-c.h>

#include <stdbool.h>
#include <stddef.h>

struct tally_budget {
	/* Pass &alloc to protobuf-c's unpack and free_unpacked. */
	ProtobufCAllocator alloc;
	size_t             cap;      /* bytes allowed at once */
	size_t             used;     /* bytes held now, headers included */
	size_t             peak;     /* the most held at once */
	bool               exceeded; /* an allocation was refused */
};

/* Prepares b for one message with a cap of cap bytes. b must stay where it
 * is while anything allocated through it is alive. */
void tally_budget_init(struct tally_budget *b, size_t cap);

#endif

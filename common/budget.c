/*
 * The budgeted protobuf-c allocator declared in budget.h. Each block
 * carries its size in a header, so that a free gives its bytes back to the
 * budget; the header is as large as the strictest alignment, so the block
 * after it is aligned as malloc's would be.
 */
#include "budget.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BUDGET_HEADER alignof(max_align_t)

static void *
budget_alloc(void *data, size_t size)
{
	struct tally_budget *b = data;
	unsigned char       *p;
	size_t               total;

	if (size > SIZE_MAX - BUDGET_HEADER) {
		b->exceeded = true;
		return NULL;
	}
	total = size + BUDGET_HEADER;
	if (total > b->cap - b->used) {
		b->exceeded = true;
		return NULL;
	}
	p = malloc(total);
	if (p == NULL) {
		return NULL;
	}
	memcpy(p, &total, sizeof(total));
	b->used += total;
	if (b->used > b->peak) {
		b->peak = b->used;
	}
	return p + BUDGET_HEADER;
}

static void
budget_free(void *data, void *ptr)
{
	struct tally_budget *b = data;
	unsigned char       *p;
	size_t               total;

	if (ptr == NULL) {
		return;
	}
	p = (unsigned char *) ptr - BUDGET_HEADER;
	memcpy(&total, p, sizeof(total));
	b->used -= total;
	free(p);
}

void
tally_budget_init(struct tally_budget *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->alloc.alloc          = budget_alloc;
	b->alloc.free           = budget_free;
	b->alloc.allocator_data = b;
	b->cap                  = cap;
}

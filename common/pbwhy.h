/*
 * Why protobuf-c could not unpack a message. protobuf-c's unpack returns
 * NULL and says nothing; a peer, in any language, deserves one line that
 * names the message and the field. On a failure this walks the bytes
 * again, reading only tags, wire types and lengths and checking them
 * against protobuf-c's own descriptors (never the values), into the
 * sub-messages, and names the first fault it finds: a wire type that the
 * field's type cannot have, a length past the end, a missing required
 * field. It allocates nothing and reads each byte once per level, so it
 * stays within what the unpack that failed already spent.
 */
#ifndef TALLY_PBWHY_H
#define TALLY_PBWHY_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

/* Writes the reason why len bytes at buf are not a desc message to why
 * (wlen bytes), e.g. "message PartialState (states[0]): missing required
 * field version"; when the walk finds nothing wrong (the fault is in a
 * value, such as invalid UTF-8 or a budget), "not a valid MESSAGE". */
void tally_pbwhy(const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
    size_t len, char *why, size_t wlen);

#endif

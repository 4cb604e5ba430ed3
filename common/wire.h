/*
 * Encoding and decoding of partial states on the wire (proto/tally.proto).
 * Decoding is for untrusted bytes: it refuses input over a size limit and
 * validates every field before anything else sees it.
 */
#ifndef TALLY_WIRE_H
#define TALLY_WIRE_H

#include "catalog.h"
#include "errors.h"
#include "rollup.h"

#include <stddef.h>
#include <stdint.h>

/* The largest encoded partial state accepted. */
#define TALLY_WIRE_STATE_MAX 1024

/* Encodes the state of (ind, period) with version into a new buffer that
 * the caller frees with free(). */
int tally_wire_state_encode(const struct tally_indicator *ind,
    const struct tally_period *period, const struct tally_state *s,
    uint64_t version, uint8_t **buf, size_t *len);

/* Decodes and validates one encoded state against the catalogue. On
 * success *ind points into cat. On failure eb says which field was bad. */
int tally_wire_state_decode(const struct tally_catalog *cat,
    const uint8_t *buf, size_t len, const struct tally_indicator **ind,
    struct tally_period *period, struct tally_state *s, uint64_t *version,
    struct tally_errbuf *eb);

#endif

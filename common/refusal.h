/*
 * What a hub refused, and from whom: per direct child (the sender a
 * submission named; "" when it could not be read), how many states it
 * rejected, how many of them were conflicts (a version held with other
 * figures), and how many submissions it refused whole, with the last
 * reason and time. The counts live in the hub's database beside the
 * figures (table refusal), written in the writer's transaction, so that
 * `tally-hub report` and the dashboard can show who sends what a node
 * could not have made. Nothing else about a refusal is kept: it changes
 * no figure.
 */
#ifndef TALLY_REFUSAL_H
#define TALLY_REFUSAL_H

#include "catalog.h"
#include "store.h"
#include "wire.h"

#include <jansson.h>
#include <stdint.h>

enum tally_refusal_kind {
	TALLY_REFUSED_STATE,      /* a state rejected with its reason */
	TALLY_REFUSED_CONFLICT,   /* a state rejected as a conflict */
	TALLY_REFUSED_SUBMISSION, /* a whole submission refused */
};

struct tally_refusal {
	char     sender[TALLY_REGION_STRLEN]; /* "" when unknown */
	uint64_t states;      /* rejected states, conflicts included */
	uint64_t conflicts;   /* of them, conflicts */
	uint64_t submissions; /* submissions refused whole */
	int64_t  last_ms;     /* Unix ms of the last refusal */
	char     last_reason[TALLY_WIRE_REASON_MAX];
};

/* Creates the table in a store made before it existed. */
int tally_refusal_ensure(struct tally_store *st);

/* Counts one refusal from sender (NULL or "" when unknown) inside the
 * writer's transaction. */
int tally_refusal_count(struct tally_store *st, const char *sender, int kind,
    const char *reason, int64_t at_ms);

/* Every sender with a refusal, by code ("" first). A store without the
 * table has none. The caller frees *out with free(). */
int tally_refusal_list(
    struct tally_store *st, struct tally_refusal **out, size_t *n);

/* The list as a JSON array of {sender, states, conflicts, submissions,
 * last_at (ISO 8601 UTC), last_reason}; NULL on failure. */
json_t *tally_refusal_json(const struct tally_refusal *r, size_t n);

#endif

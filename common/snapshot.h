/*
 * Incremental snapshots: a hub's figure for (indicator, period) updated by
 * the difference one child's new state makes (new = old + this state − the
 * state it replaces), instead of re-reading every child's state at each
 * commit.
 *
 * Sums stay as exact as a recomputation from every child: within a
 * transaction they are kept as double-double (an error-free two-sum), so
 * that a commit rounds once, and the store keeps, per (indicator, period),
 * a bound on what those roundings added up to since the snapshot was last
 * recomputed from every child; past TALLY_SNAPSHOT_REL_BOUND of the sum it
 * is recomputed (docs/rollup.md holds figures to 1e-9).
 *
 * The lowest and highest value and the newest period are merged like any
 * state (tally_state_merge); only when the departing state held one of
 * them, and its replacement does not hold it as well, must the snapshot be
 * recomputed from every child: the accumulator says so (full).
 */
#ifndef TALLY_SNAPSHOT_H
#define TALLY_SNAPSHOT_H

#include "catalog.h"
#include "period.h"
#include "rollup.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The bound on the roundings' error, relative to the sum, past which a
 * snapshot is recomputed from every child: 2^-40, about 9e-13. */
#define TALLY_SNAPSHOT_REL_BOUND (1.0 / 1099511627776.0)

/* A snapshot being updated within one transaction. */
struct tally_snapacc {
	struct tally_state state; /* leaves, min/max, newest; sums below */
	double             a_hi, a_lo, b_hi, b_lo;
	/* The largest magnitude the sums went through and how many terms
	 * they took: what the double-double's own error is bounded by. */
	double   mag;
	unsigned terms;
	/* A departing state held an extreme (or a newest period) that its
	 * replacement does not: only every child's state can tell. */
	bool full;
};

/* Starts from the snapshot as stored. */
void tally_snapacc_start(
    struct tally_snapacc *acc, const struct tally_state *current);

/* Replaces old (NULL: the child had no state) by new. */
void tally_snapacc_replace(struct tally_snapacc *acc,
    const struct tally_state *old, const struct tally_state *new_state);

/* The snapshot to store, and a bound on the error the rounding of each
 * sum to a double adds. Not to be used when acc->full. */
void tally_snapacc_finish(const struct tally_snapacc *acc,
    struct tally_state *out, double *err_a, double *err_b);

/* Adds to *err_a and *err_b a bound on what merging one more state into
 * total (as it is after the merge) rounded off its sums: a snapshot
 * recomputed from every child carries the sum of these. */
void tally_snapshot_merge_err(
    const struct tally_state *total, double *err_a, double *err_b);

/* Whether a snapshot whose sums carry the error bounds err_a and err_b is
 * still within TALLY_SNAPSHOT_REL_BOUND of them. */
bool tally_snapshot_within(
    const struct tally_state *s, double err_a, double err_b);

/* What a store knows of one (indicator, period)'s snapshot. */
struct tally_snapentry {
	const struct tally_indicator *ind;
	struct tally_period           period;
	/* The version this process last stored, with the error bounds of
	 * its sums since the last recomputation from every child; 0 when
	 * not known (then the next change recomputes). */
	uint64_t known_version;
	double   err_a, err_b;
	/* Changed in the open transaction; started: acc holds the snapshot
	 * read at the first change. */
	bool                 in_txn;
	bool                 started;
	struct tally_snapacc acc;
};

/* Every (indicator, period) a store has changed, found by hashing, and
 * the list of those changed in the open transaction. */
struct tally_snapmap;

/* A new empty map, freed by the caller with tally_snapmap_free. */
int  tally_snapmap_new(struct tally_snapmap **out);
void tally_snapmap_free(struct tally_snapmap *m);

/* The entry of (ind, period), made if new, and put on the transaction's
 * list; its index (valid until tally_snapmap_forget) in *idx. */
int tally_snapmap_touch(struct tally_snapmap *m,
    const struct tally_indicator *ind, const struct tally_period *period,
    size_t *idx);

/* The entry of (ind, period), made if new, not put on the list. */
int tally_snapmap_find(struct tally_snapmap *m,
    const struct tally_indicator *ind, const struct tally_period *period,
    size_t *idx);

struct tally_snapentry *tally_snapmap_at(struct tally_snapmap *m, size_t idx);

/* The transaction's list, sorted by indicator and period. */
void   tally_snapmap_txn_sort(struct tally_snapmap *m);
size_t tally_snapmap_txn_count(const struct tally_snapmap *m);
size_t tally_snapmap_txn_index(const struct tally_snapmap *m, size_t i);

/* Ends the transaction: the list is emptied. */
void tally_snapmap_txn_end(struct tally_snapmap *m);

/* Forgets every known version (after a rollback: what was stored is
 * not sure any more) and ends the transaction. */
void tally_snapmap_forget(struct tally_snapmap *m);

#endif

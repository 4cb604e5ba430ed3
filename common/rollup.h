/*
 * The rollup engine of docs/rollup.md. A partial state holds only sums that
 * merge by addition (Σnum and Σden, Σvalue, or Σw·x and Σw), plus how many
 * leaf regions contributed, the lowest and highest leaf value with the region
 * holding each, and the newest source period. Only the top of a query
 * divides (tally_state_value); nothing finished is ever merged.
 *
 * Time is rolled up once, at the region that owns the observations
 * (tally_state_own), following the indicator's time_agg. Every merge
 * across regions (tally_state_merge) then adds, whatever the time rule,
 * because each region's state for a period already is its own figure for
 * that period.
 */
#ifndef TALLY_ROLLUP_H
#define TALLY_ROLLUP_H

#include "catalog.h"
#include "period.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One raw observation of one region. Which fields count depends on the
 * indicator's kind: num and den for a ratio, value for a count, value and
 * weight for a weighted mean. */
struct tally_obs {
	struct tally_period period;
	double              num;
	double              den;
	double              value;
	double              weight;
};

struct tally_state {
	double              sum_a; /* Σnum, Σvalue or Σw·x */
	double              sum_b; /* Σden or Σw; 0 for a count */
	uint32_t            leaves;
	bool                has_minmax; /* false while no leaf had a value */
	double              min_value;
	double              max_value;
	char                min_region[TALLY_REGION_STRLEN];
	char                max_region[TALLY_REGION_STRLEN];
	bool                has_newest;
	struct tally_period newest;
};

/* The empty state: the identity of tally_state_merge. */
void tally_state_init(struct tally_state *s);

/* Rolls one region's own observations up over time into its state for
 * period, using only the observations that lie inside period. When the
 * region is a leaf of the division tree the result counts as one reporting
 * leaf and gives the min and max; the own observations of a city or a
 * province add to the sums but are not a leaf, so that completeness stays
 * "leaves reporting out of leaves expected". TALLY_ENOENT when no
 * observation lies inside period. The observations must not overlap one
 * another (the store guarantees it). */
int tally_state_own(const struct tally_indicator *ind, const char *region,
    bool is_leaf, const struct tally_obs *obs, size_t n,
    const struct tally_period *period, struct tally_state *out);

/* Adds from into into: the merge of two disjoint sets of regions. */
void tally_state_merge(
    struct tally_state *into, const struct tally_state *from);

/* The finished value: factor·Σnum/Σden, Σvalue, or Σw·x/Σw. TALLY_ENOENT
 * when there is none (no data at all, or a zero denominator or weight). */
int tally_state_value(const struct tally_state *s,
    const struct tally_indicator *ind, double *out);

#endif

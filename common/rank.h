/*
 * Ranks of regions on one indicator, best first, as the comparison page
 * and `tally-hub compare` show them: equal values share a rank (1, 1,
 * 3), and values that differ only by the rounding of the arithmetic
 * that pooled them (93.5 reached by two sums) are equal.
 */
#ifndef TALLY_RANK_H
#define TALLY_RANK_H

#include <stdbool.h>
#include <stddef.h>

/* Relative difference below which two values are the same figure. */
#define TALLY_RANK_REL_TOL 1e-9

/* True when a and b are the same figure for ranking. */
bool tally_rank_equal(double a, double b);

/* Writes to ranks[i] the rank of values[i] among the values whose
 * ranked[i] is set (1 + how many of them are better, higher or lower by
 * higher_better), and 0 where ranked[i] is not set. Returns the index of
 * a best value (the first), or n when none is ranked. */
size_t tally_rank(const double *values, const bool *ranked, size_t n,
    bool higher_better, int *ranks);

#endif

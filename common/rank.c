/*
 * The ranking declared in rank.h.
 */
#include "rank.h"

#include <math.h>

bool
tally_rank_equal(double a, double b)
{
	return a == b ||
	    fabs(a - b) <= TALLY_RANK_REL_TOL * fmax(fabs(a), fabs(b));
}

/* True when a is better than b, and not the same figure. */
static bool
better(double a, double b, bool higher_better)
{
	if (tally_rank_equal(a, b)) {
		return false;
	}
	return higher_better ? a > b : a < b;
}

size_t
tally_rank(const double *values, const bool *ranked, size_t n,
    bool higher_better, int *ranks)
{
	size_t best = n;

	for (size_t i = 0; i < n; i++) {
		int ahead = 0;

		ranks[i] = 0;
		if (!ranked[i]) {
			continue;
		}
		for (size_t j = 0; j < n; j++) {
			if (j != i && ranked[j] &&
			    better(values[j], values[i], higher_better)) {
				ahead++;
			}
		}
		ranks[i] = ahead + 1;
		if (ranks[i] == 1 && best == n) {
			best = i;
		}
	}
	return best;
}

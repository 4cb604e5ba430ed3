/*
 * The least-squares trajectory declared in trajectory.h.
 */
#include "trajectory.h"

#include "target.h"

#include <stdio.h>
#include <string.h>

const char *
tally_trajectory_status_name(int status)
{
	switch (status) {
	case TALLY_TRAJECTORY_ON_TRACK:
		return "on_track";
	case TALLY_TRAJECTORY_AT_RISK:
		return "at_risk";
	default:
		return "incomplete";
	}
}

int
tally_trajectory_fit(const int *years, const double *values, size_t n,
    int target_year, int op, double target, struct tally_trajectory *out)
{
	struct tally_trajectory r;
	double                  mx = 0, my = 0, sxx = 0, sxy = 0, slope;
	size_t                  last = 0;

	memset(&r, 0, sizeof(r));
	r.status = TALLY_TRAJECTORY_INCOMPLETE;
	r.years  = n;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			if (years[i] == years[j]) {
				return TALLY_EINVAL;
			}
		}
		if (years[i] > years[last]) {
			last = i;
		}
	}
	if (n < 2) {
		snprintf(r.reason, sizeof(r.reason),
		    "%zu annual value%s held: a trajectory needs two years", n,
		    n == 1 ? "" : "s");
		*out = r;
		return TALLY_OK;
	}
	r.last_year  = years[last];
	r.last_value = values[last];
	if (target_year <= r.last_year) {
		snprintf(r.reason, sizeof(r.reason),
		    "the target year %d is not after %d", target_year,
		    r.last_year);
		*out = r;
		return TALLY_OK;
	}
	/* Centred sums: the years are four-digit numbers, and squaring them
	 * uncentred would lose the digits that matter. */
	for (size_t i = 0; i < n; i++) {
		mx += years[i];
		my += values[i];
	}
	mx /= (double) n;
	my /= (double) n;
	for (size_t i = 0; i < n; i++) {
		sxx += (years[i] - mx) * (years[i] - mx);
		sxy += (years[i] - mx) * (values[i] - my);
	}
	slope           = sxy / sxx;
	r.pace_per_year = slope;
	r.projected     = my + slope * (target_year - mx);
	r.needed_per_year =
	    (target - r.last_value) / (double) (target_year - r.last_year);
	r.status = tally_op_holds(op, r.projected, target)
	    ? TALLY_TRAJECTORY_ON_TRACK
	    : TALLY_TRAJECTORY_AT_RISK;
	*out     = r;
	return TALLY_OK;
}

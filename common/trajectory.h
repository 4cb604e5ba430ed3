/*
 * Where a figure is heading: a least-squares line through a region's
 * annual values, projected to the year of a later target. A report for
 * 2018 shows the 2020 targets with it, so that a leadership office sees
 * which target is at risk while there is still time to act.
 */
#ifndef TALLY_TRAJECTORY_H
#define TALLY_TRAJECTORY_H

#include "errors.h"

#include <stdbool.h>
#include <stddef.h>

enum tally_trajectory_status {
	TALLY_TRAJECTORY_ON_TRACK,
	TALLY_TRAJECTORY_AT_RISK,
	TALLY_TRAJECTORY_INCOMPLETE,
};

#define TALLY_TRAJECTORY_REASON_MAX 120

struct tally_trajectory {
	int status; /* enum tally_trajectory_status */
	/* The line's value in the target year, its slope per year, and the
	 * change per year still needed from the last value to reach the
	 * target by its year. Unset when incomplete. */
	double projected;
	double pace_per_year;
	double needed_per_year;
	/* The last year fitted and its value. */
	int    last_year;
	double last_value;
	/* How many years were fitted. */
	size_t years;
	/* Why the status is incomplete; "" otherwise. */
	char reason[TALLY_TRAJECTORY_REASON_MAX];
};

/* Fits values[i] at years[i] (n of them, any order, distinct years) by
 * least squares and projects the line to target_year, judged by op
 * (enum tally_op) against target: on track when the projection meets it.
 * Fewer than two years, or a target year not after the last year fitted,
 * give TALLY_TRAJECTORY_INCOMPLETE with the reason. TALLY_EINVAL when two
 * years repeat. */
int tally_trajectory_fit(const int *years, const double *values, size_t n,
    int target_year, int op, double target, struct tally_trajectory *out);

/* "on_track", "at_risk", "incomplete". */
const char *tally_trajectory_status_name(int status);

#endif

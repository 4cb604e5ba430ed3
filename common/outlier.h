/*
 * The check for a figure far outside a region's own recent history, like
 * DHIS2's outlier analysis: a robust z-score around the median of the
 * history, scaled by its median absolute deviation (MAD), so that one
 * earlier slip does not widen the range. It only warns: a real jump (a
 * new factory) is allowed, a keying slip (an extra zero) gets noticed.
 */
#ifndef TALLY_OUTLIER_H
#define TALLY_OUTLIER_H

#include <stdbool.h>
#include <stddef.h>

/* Fewer earlier values than this are too few to say what is usual. */
#define TALLY_OUTLIER_MIN_HISTORY 12
/* The most recent values looked at. */
#define TALLY_OUTLIER_MAX_HISTORY 36
/* How many scaled MADs from the median a figure may lie. */
#define TALLY_OUTLIER_Z 3.5

struct tally_outlier {
	double median;
	double low, high; /* the usual range */
	double z;         /* the figure's robust z-score */
};

/* Compares x with the n values of hist (in any order; hist is sorted in
 * place). Returns true, with *out filled, when n is at least
 * TALLY_OUTLIER_MIN_HISTORY and x lies outside the usual range: more than
 * TALLY_OUTLIER_Z times 1.4826 MAD from the median (the scale is at least
 * 2% of the median, so that a history of identical figures does not make
 * every change an outlier). */
bool tally_outlier_check(
    double *hist, size_t n, double x, struct tally_outlier *out);

#endif

/*
 * The robust outlier test declared in outlier.h.
 */
#include "outlier.h"

#include <math.h>
#include <stdlib.h>

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return (x > y) - (x < y);
}

/* The median of n sorted values. */
static double
median_sorted(const double *v, size_t n)
{
	return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

bool
tally_outlier_check(
    double *hist, size_t n, double x, struct tally_outlier *out)
{
	double *dev, med, mad, scale, z;

	if (n < TALLY_OUTLIER_MIN_HISTORY || !isfinite(x)) {
		return false;
	}
	dev = malloc(n * sizeof(*dev));
	if (dev == NULL) {
		return false;
	}
	qsort(hist, n, sizeof(*hist), cmp_double);
	med = median_sorted(hist, n);
	for (size_t i = 0; i < n; i++) {
		dev[i] = fabs(hist[i] - med);
	}
	qsort(dev, n, sizeof(*dev), cmp_double);
	mad = median_sorted(dev, n);
	free(dev);
	/* 1.4826 MAD estimates the standard deviation of normal data. */
	scale = 1.4826 * mad;
	if (scale < 0.02 * fabs(med)) {
		scale = 0.02 * fabs(med);
	}
	if (scale <= 0) {
		return false;
	}
	z = (x - med) / scale;
	if (fabs(z) <= TALLY_OUTLIER_Z) {
		return false;
	}
	out->median = med;
	out->low    = med - TALLY_OUTLIER_Z * scale;
	out->high   = med + TALLY_OUTLIER_Z * scale;
	if (out->low < 0 && hist[0] >= 0) {
		out->low = 0;
	}
	out->z = z;
	return true;
}

/*
 * The clock, percentiles and generator declared in stats.h.
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

double
bench_ms_since(uint64_t t0)
{
	return (double) (bench_now_ns() - t0) / 1e6;
}

void
bench_sleep_ms(double ms)
{
	struct timespec ts;

	if (ms <= 0) {
		return;
	}
	ts.tv_sec  = (time_t) (ms / 1000);
	ts.tv_nsec = (long) ((ms - (double) ts.tv_sec * 1000) * 1e6);
	while (nanosleep(&ts, &ts) != 0) {
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

double
bench_percentile(double *v, size_t n, double p)
{
	size_t rank;

	if (n == 0) {
		return 0;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	rank = (size_t) ceil(p / 100.0 * (double) n);
	if (rank < 1) {
		rank = 1;
	}
	if (rank > n) {
		rank = n;
	}
	return v[rank - 1];
}

void
bench_rng_seed(struct bench_rng *r, uint64_t seed)
{
	r->state = seed * 0x9E3779B97F4A7C15u + 0x2545F4914F6CDD1Du;
}

uint64_t
bench_rng_next(struct bench_rng *r)
{
	uint64_t z = (r->state += 0x9E3779B97F4A7C15u);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
	return z ^ (z >> 31);
}

size_t
bench_rng_below(struct bench_rng *r, size_t n)
{
	return n == 0 ? 0 : (size_t) (bench_rng_next(r) % n);
}

/*
 * Time and order statistics for the benchmarks: a monotonic clock in
 * nanoseconds, short sleeps, and percentiles of a sample, all computed
 * the same way for every measurement so that their figures compare.
 */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* Milliseconds from t0 (bench_now_ns) to now. */
double bench_ms_since(uint64_t t0);

void bench_sleep_ms(double ms);

/* The p-th percentile (0..100) of v by the nearest-rank rule: the
 * smallest value with at least p% of the sample at or below it. Sorts v
 * in place. 0 for an empty sample. */
double bench_percentile(double *v, size_t n, double p);

/* A small seeded generator (splitmix64), so that a run's choices depend
 * on its seed alone. */
struct bench_rng {
	uint64_t state;
};

void     bench_rng_seed(struct bench_rng *r, uint64_t seed);
uint64_t bench_rng_next(struct bench_rng *r);

/* An integer in [0, n). */
size_t bench_rng_below(struct bench_rng *r, size_t n);

#endif

/*
 * The raw rows a benchmark runs on, and the flat reference it checks
 * Tally's figures against.
 *
 * The rows come from tally-gen's flat file (region,indicator,period,
 * numerator,denominator,value,weight), validated by the same input rules
 * as `tally-node import`, grouped by leaf region. The flat figure of a
 * region is computed here from the raw rows of every leaf below it,
 * straight from the rules of docs/rollup.md, without the rollup engine: that
 * independence is what makes the comparison a check.
 */
#ifndef BENCH_FLAT_H
#define BENCH_FLAT_H

#include "catalog.h"
#include "errors.h"
#include "rollup.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>

struct bench_row {
	const struct tally_indicator *ind;
	struct tally_obs              obs;
};

struct bench_leaf {
	char              code[TALLY_REGION_STRLEN];
	size_t            div;  /* index in the catalogue's divisions */
	struct bench_row *rows; /* by indicator, in catalogue order */
	size_t            n;
	size_t            cap;
	/* The rows of indicator i are rows[start[i]] to rows[start[i + 1]]
	 * (n_indicators + 1 entries). */
	size_t *start;
};

struct bench_data {
	struct bench_leaf *leaves; /* in code order */
	size_t             n;
	size_t             rows;
};

/* Loads the rows of the leaves at or below under (every leaf when NULL)
 * from a flat file. A malformed row is refused with file:line in eb. */
int bench_data_load(const struct tally_catalog *cat, const char *path,
    const char *under, struct bench_data *out, struct tally_errbuf *eb);

void bench_data_free(struct bench_data *d);

/* Replaces leaf's rows with the observations held in st, the leaf's own
 * store: what the county really recorded, corrections included. */
int bench_leaf_reload(struct bench_leaf *leaf, const struct tally_catalog *cat,
    struct tally_store *st);

/* A figure as sums: Σnum and Σden, Σvalue and 0, or Σw·x and Σw, with the
 * leaves that contributed. */
struct bench_sums {
	double   a;
	double   b;
	unsigned leaves;
};

/* The flat figures of every region for ind and period: by[i] for the
 * catalogue's division i, and by[n_divisions] for the whole country (or
 * whatever set of leaves d holds). by must hold n_divisions + 1. */
void bench_flat_all(const struct tally_catalog *cat,
    const struct bench_data *d, const struct tally_indicator *ind,
    const struct tally_period *period, struct bench_sums *by);

/* True when got equals want: the same leaves, and each sum within a
 * relative 1e-9 (docs/rollup.md's check of correctness). */
bool bench_sums_equal(
    const struct bench_sums *got, const struct bench_sums *want);

/* The sums of a Tally state. */
void bench_sums_of_state(const struct tally_state *s, struct bench_sums *out);

/* Every period a year's rows can touch: the year, its quarters and its
 * months (17). */
size_t bench_year_periods(int year, struct tally_period out[17]);

#endif

/*
 * The PostgreSQL baseline: what one would build instead of Tally, one
 * central table that every county's raw rows are copied into and one
 * `GROUP BY ROLLUP(province, city, county)` query for every level's
 * figures. The server is started by bench/pg.sh; this module loads the
 * same raw rows with COPY, runs the query, and reads its figures back as
 * sums, so that they can be held against Tally's and the flat reference.
 */
#ifndef BENCH_PGBASE_H
#define BENCH_PGBASE_H

#include "catalog.h"
#include "flat.h"

#include <stdbool.h>

struct bench_pg;

/* Connects with a libpq connection string. NULL on failure (printed). */
struct bench_pg *bench_pg_connect(const char *conninfo);

void bench_pg_close(struct bench_pg *pg);

/* Creates the tables: the division tree and the catalogue from the
 * catalogue's directory, untimed, then the raw rows from the flat file
 * with COPY, timed into *copy_ms. The raw table has the natural key
 * (region, indicator, period), as any table that takes corrections
 * would. Returns 0 or -1. */
int bench_pg_load(struct bench_pg *pg, const struct tally_catalog *cat,
    const char *flat, double *copy_ms);

/* Runs the rollup for one year and fills by[ind * (n_divisions + 1) + i]
 * for division i and by[ind * (n_divisions + 1) + n_divisions] for the
 * whole (by as for bench_flat_all, one block per indicator), timed into
 * *query_ms. Returns 0 or -1. */
int bench_pg_rollup(struct bench_pg *pg, const struct tally_catalog *cat,
    int year, struct bench_sums *by, double *query_ms);

/* Replaces one raw row's figures (a correction), timed into *ms.
 * Returns 0 or -1. */
int bench_pg_update(struct bench_pg *pg, const char *region,
    const struct bench_row *r, double *ms);

/* The server's version string, for the results. */
const char *bench_pg_version(struct bench_pg *pg);

#endif

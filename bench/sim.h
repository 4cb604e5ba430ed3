/*
 * The county simulator: many county nodes in one process. Each county has
 * its own store (its own SQLite file, made and loaded here as `tally-node
 * init` and `import` would) and its own uplink (common/uplink.h, its own
 * NNG socket) to its city's hub, so that a hub sees thousands of children
 * without thousands of processes. A county is used by one thread at a
 * time (its lock); pushes run on a pool of worker threads.
 */
#ifndef BENCH_SIM_H
#define BENCH_SIM_H

#include "flat.h"
#include "uplink.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct bench_county {
	struct bench_leaf   *leaf;
	char                 db[512];
	char                 parent[TALLY_REGION_STRLEN];
	char                 url[512]; /* the parent hub's */
	struct tally_store  *st;
	struct tally_uplink *up;
	pthread_mutex_t      mtx;
	bool                 mtx_made;
};

/* Sets up one county per leaf of d: its store file under dir and its
 * parent; urls are filled in later (bench_county_set_url). */
int bench_counties_new(const struct tally_catalog *cat, struct bench_data *d,
    const char *dir, struct bench_county **out);

void bench_counties_free(struct bench_county *cs, size_t n);

/* Creates every county's store and records its rows in one transaction,
 * on workers threads. */
int bench_counties_load(const struct tally_catalog *cat,
    struct bench_county *cs, size_t n, int workers);

/* Opens the county's store and, with uplink, makes its uplink (the url
 * must be set). */
int bench_county_open(
    const struct tally_catalog *cat, struct bench_county *c, bool uplink);

/* Closes the county's uplink and store. */
void bench_county_close(struct bench_county *c);

/* Opens every county (bench_county_open). Without uplinks, the counties'
 * own `tally-node run` push. */
int bench_counties_open(const struct tally_catalog *cat,
    struct bench_county *cs, size_t n, bool uplinks);

/* Pushes every county once, on workers threads, until each has nothing
 * pending. A county that is not open is opened for its push and closed
 * after it, so that thousands of counties never hold thousands of files
 * and sockets at once. The counts are added to *total. */
int bench_counties_push(const struct tally_catalog *cat,
    struct bench_county *cs, size_t n, int workers, int timeout_ms,
    struct tally_uplink_stats *total);

/* Records a new figure for one of the county's rows (row index into its
 * leaf's rows) in a transaction of its own, and keeps the leaf's copy in
 * step. The caller holds the county's lock. */
int bench_county_record(
    struct bench_county *c, size_t row, const struct tally_obs *obs);

/* Corrects every row of the county by delta (bench_correct) in one
 * transaction, as a county that revises its whole year would. */
int bench_county_correct_all(struct bench_county *c, double delta);

/* A correction that changes a row's figure and keeps it valid: a ratio
 * gains delta in its denominator (and its numerator when that stays
 * within a percentage), a count or a weight gains delta. */
void bench_correct(
    const struct bench_row *r, double delta, struct tally_obs *out);

#endif

/*
 * What every command of tally-bench shares: its options, the hub
 * processes it runs, the checks of what they hold against the flat
 * reference, and the setup of a run (the catalog, the generated data,
 * the simulated counties). Each command is a file of its own: ingest.c,
 * tree.c and national.c.
 */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include "catalog.h"
#include "flat.h"
#include "proc.h"
#include "sim.h"
#include "store.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* States per submission, as common/uplink.c sends them. */
#define BENCH_UPLINK_BATCH 1024
/* How long a hub may take to start, and a push to be answered. */
#define BENCH_READY_MS 60000
#define BENCH_PUSH_MS  120000
/* The comparison group that stands for the country. */
#define BENCH_NATION "national"
/* Periods of one year: the year, 4 quarters, 12 months. */
#define BENCH_NPER 17

/* The program's name, for its messages. */
extern const char *const bench_prog;

/* The command line, for every command (each uses what it needs). */
struct bench_opts {
	const char *cmd;
	const char *flat;
	const char *work;
	const char *region;
	const char *hub_bin;
	const char *node_bin;
	const char *pg;
	const char *contexts; /* for every hub; NULL: the hub's default */
	int         year;
	uint64_t    seed;
	int         workers;
	int         rounds;
	int         probes;
	double      load; /* background corrections per second */
	int         load_threads;
	int         report_runs;
	int         timeout_s;
	bool        real_nodes;
	char        hub_buf[PATH_MAX + 64];
	char        node_buf[PATH_MAX + 64];
};

/* The hub processes of a run, by name (a region code or a group). */
struct bench_hubs {
	struct bench_proc *p;
	size_t             n;
	size_t             cap;
};

/* Figures compared with the flat reference, and how many were wrong. */
struct bench_check {
	size_t compared;
	size_t bad;
};

/* One command's run: its options, the catalog, the generated data, the
 * simulated counties and the hubs. */
struct bench_run {
	const struct bench_opts *o;
	struct tally_catalog    *cat;
	struct bench_data        data;
	struct bench_county     *cs;
	struct bench_hubs        hubs;
	struct tally_period      per[BENCH_NPER];
	struct bench_sums       *scratch;
};

int bench_fail(int ex, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Stops every hub and keeps the list (names) for what is read after. */
void bench_hubs_stop_keep(struct bench_hubs *h);

/* Starts a hub named name (a region code or the national group): its
 * database work/h/NAME.db, its socket ipc://work/s/NAME. With members it
 * is the comparison hub of that group; else the region's hub, with its
 * parent, a comparison hub to report to, and a dashboard as asked. It is
 * not waited for: see bench_hubs_wait. */
struct bench_proc *bench_hub_spawn(const struct bench_opts *o,
    struct bench_hubs *h, const char *name, const char *parent,
    const char *compare, const char *members, bool http);

int bench_hubs_wait(struct bench_hubs *h);

struct bench_proc *bench_hubs_find(struct bench_hubs *h, const char *name);

void bench_hub_db(
    const struct bench_opts *o, const char *name, char *buf, size_t len);

/* The largest resident set among the hubs whose names pass keep. */
void bench_hubs_rss(
    struct bench_hubs *h, bool (*keep)(const char *), long *rss, long *hwm);

bool bench_is_province(const char *name);

bool bench_is_city(const char *name);

bool bench_is_nation(const char *name);

/* Compares what st holds, its own figure (held == NULL) or the state it
 * holds of the region held, with the flat figure want. */
void bench_check_one(struct bench_check *ck, struct tally_store *st,
    const char *where, const char *held, const struct tally_indicator *ind,
    const struct tally_period *p, const struct bench_sums *want);

/* The flat figure of the whole set or of one region for ind and p. */
struct bench_sums bench_flat_one(const struct tally_catalog *cat,
    const struct bench_data *d, struct bench_sums *scratch,
    const struct tally_indicator *ind, const struct tally_period *p,
    size_t slot);

/* Waits until st's own figures are want (own_equal), looking every
 * interval_ms and only after the file changed. Returns 0, or -1 after
 * timeout_ms. */
int bench_wait_own_equal(const struct tally_catalog *cat,
    struct tally_store *st, const struct tally_period *per,
    const struct bench_sums *want, double interval_ms, int timeout_ms);

/* want[ind * BENCH_NPER + k]: the flat figures of one slot (a division,
 * or n_divisions for the whole) for every indicator and period. */
struct bench_sums *bench_flat_table(const struct tally_catalog *cat,
    const struct bench_data *d, const struct tally_period *per, size_t slot);

size_t bench_div_slot(const struct tally_catalog *cat, const char *code);

/* Reloads every county's rows from its store: the truth to check
 * against after corrections. */
int bench_reload_leaves(
    const struct tally_catalog *cat, struct bench_county *cs, size_t n);

int bench_open_read(const struct tally_catalog *cat, const char *path,
    bool group, struct tally_store **out);

int bench_run_setup(
    struct bench_run *r, const struct bench_opts *o, const char *under);

void bench_run_free(struct bench_run *r);

/* Points every county at its city's hub and, with open, opens it (with
 * its uplink when uplinks). */
int bench_counties_connect(struct bench_run *r, bool open, bool uplinks);

void bench_print_machine_line(void);

#endif

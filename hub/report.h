/*
 * `tally-hub report`: the figures a hub's database holds for one period,
 * for the hub's region and the regions below it, with values, their sums,
 * and how many leaf regions reported out of how many are expected. It only
 * reads, so it runs beside a live hub (the database is in WAL mode).
 */
#ifndef HUB_REPORT_H
#define HUB_REPORT_H

#include "catalog.h"
#include "cli.h"
#include "store.h"

#include <stdio.h>

struct hub_report_opts {
	struct tally_period           period;
	const char                   *region; /* NULL: the hub's region */
	const struct tally_indicator *ind;    /* NULL: all with data */
	int                           depth;  /* -1: all the hub holds */
	int                           format; /* enum tally_format */
};

/* Prints the report. TALLY_ENOENT when opts->region is not held here. */
int hub_report(FILE *out, const struct tally_catalog *cat,
    struct tally_store *st, const struct hub_report_opts *opts);

#endif

/*
 * What a hub's database shows: the figures for one period, for the hub's
 * region and the regions below it that the hub holds, with values, their
 * sums, how many leaf regions reported out of how many are expected, the
 * targets set for each and their status, and which children are missing
 * or late. `tally-hub report` prints it; the dashboard's JSON API serves
 * the same documents. It only reads, so it runs beside a live hub (the
 * database is in WAL mode).
 */
#ifndef HUB_REPORT_H
#define HUB_REPORT_H

#include "catalog.h"
#include "cli.h"
#include "store.h"
#include "target.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct hub_report_opts {
	struct tally_period           period;
	const char                   *region; /* NULL: the hub's region */
	const struct tally_indicator *ind;    /* NULL: all with data */
	int                           depth;  /* -1: all the hub holds */
	int                           format; /* enum tally_format */
	/* --explain: each child's contribution to ind (which must be set). */
	bool explain;
	/* --only-targets: only the indicators with a target for a region
	 * shown. */
	bool only_targets;
	/* Due dates; NULL: the default for every indicator. */
	const struct tally_due *due;
	/* The time that decides whether a period is overdue, in Unix ms; 0:
	 * now. Tests set it to make the report reproducible. */
	int64_t now_ms;
	/* --as-of: show the figures as the hub held them at this time, in
	 * Unix ms (store.h, history), with late and overdue judged at it;
	 * 0: as they are now. */
	int64_t as_of_ms;
	/* --approved: each region's figures as of its approval (a region
	 * not approved: as they are now, marked so; docs/approval.md). */
	bool approved;
};

/* Prints the report (or, with opts->explain, the explanation) in
 * opts->format. TALLY_ENOENT when opts->region is not held here. */
int hub_report(FILE *out, const struct tally_catalog *cat,
    struct tally_store *st, const struct hub_report_opts *opts);

/* The report as a JSON document (the shape docs/reports.md documents for
 * `report --format json` and GET /api/report). The caller owns *out.
 * TALLY_ENOENT when opts->region is not held here. */
int hub_report_json(const struct tally_catalog *cat, struct tally_store *st,
    const struct hub_report_opts *opts, json_t **out);

/* Each child's contribution to opts->ind in opts->region (GET /api/explain
 * and `report --explain --format json`). The caller owns *out. */
int hub_explain_json(const struct tally_catalog *cat, struct tally_store *st,
    const struct hub_report_opts *opts, json_t **out);

/* One region's figure for ind over every period of one kind (enum
 * tally_period_kind) that the hub holds, oldest first, with the target
 * of each period where there is one (GET /api/trend). */
int hub_trend_json(const struct tally_catalog *cat, struct tally_store *st,
    const char *region, const struct tally_indicator *ind, int period_kind,
    const struct tally_due *due, json_t **out);

/* What the dashboard needs to start: the hub's region, the periods held,
 * the indicator catalogue with both names, and the regions held below the
 * hub (GET /api/meta). */
int hub_meta_json(
    const struct tally_catalog *cat, struct tally_store *st, json_t **out);

#endif

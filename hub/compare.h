/*
 * The comparison a comparison hub's database shows: for each indicator,
 * the members of the region group side by side on the same definitions,
 * each with its value and sums, how many of its leaf regions reported,
 * its own targets and their status, its rank and its gap to the best
 * member, beside the group's pooled figure (the ratio of sums over the
 * members, never an average of their values) and the group's common
 * standard with each member's status against it. `tally-hub compare`
 * prints it; the dashboard's JSON API serves the same document. It only
 * reads, so it runs beside a live hub.
 */
#ifndef HUB_COMPARE_H
#define HUB_COMPARE_H

#include "catalog.h"
#include "cli.h"
#include "group.h"
#include "store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct hub_compare_opts {
	/* The period compared; with latest, the period of each member that
	 * has no target for an indicator. Unset (has_period false) only
	 * with latest: then such a member shows the newest year held. */
	bool                has_period;
	struct tally_period period;
	/* Each member at its own target year for each indicator, where it
	 * has a target for it. */
	bool                          latest;
	const struct tally_indicator *ind;    /* NULL: all with data */
	int                           format; /* enum tally_format */
	/* The common standards; NULL: those kept in the database. */
	const struct tally_standards *standards;
};

/* The comparison as a JSON document (the shape docs/reports.md documents for
 * `compare --format json` and GET /api/compare). st must be a group's
 * store (tally_store_open_group). The caller owns *out. */
int hub_compare_json(const struct tally_catalog *cat, struct tally_store *st,
    const struct hub_compare_opts *opts, json_t **out);

/* What the comparison page needs to start (GET /api/meta of a comparison
 * hub): the group, its members, the periods held, the indicator
 * catalogue and the group's standards. */
int hub_compare_meta_json(
    const struct tally_catalog *cat, struct tally_store *st, json_t **out);

/* Prints the comparison in opts->format. */
int hub_compare_print(FILE *out, const struct tally_catalog *cat,
    struct tally_store *st, const struct hub_compare_opts *opts);

#endif

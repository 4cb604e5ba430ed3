/*
 * How a partial state is shown: its finished value beside the sums it
 * comes from, named by the indicator's kind (numerator and denominator for
 * a ratio, sum for a count, sum and weight for a weighted mean). Every
 * report (tally-node show, tally-hub report) prints figures through here,
 * so that the field names of the JSON and CSV contract exist once.
 * In each call, s is NULL when the region has no data.
 */
#ifndef TALLY_FIGURE_H
#define TALLY_FIGURE_H

#include "catalog.h"
#include "rollup.h"
#include "target.h"

#include <jansson.h>
#include <stdio.h>

/* Sets "value" and the sums' keys on o; null where there is nothing. */
void tally_figure_json(
    json_t *o, const struct tally_indicator *ind, const struct tally_state *s);

/* Appends ",value,numerator,denominator,sum,weight" at full precision,
 * leaving empty the columns the kind does not use. */
void tally_figure_csv(
    FILE *out, const struct tally_indicator *ind, const struct tally_state *s);

/* The table's texts: the value (whole for counts, four decimals
 * otherwise) and the two sums, "-" where there is nothing. */
struct tally_figure_text {
	char value[32];
	char a[32];
	char b[32];
};

void tally_figure_text(const struct tally_indicator *ind,
    const struct tally_state *s, struct tally_figure_text *t);

/* A target and its evaluation, as every report shows them: op, value,
 * scope, period, status, gap, compared, reason (when there is one), the
 * baseline of a change_pct, the children of an each_child, and the
 * source. The caller owns the object returned. */
json_t *tally_figure_target_json(
    const struct tally_target *t, const struct tally_target_result *res);

#endif

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

/* The names of a figure's sums by the indicator's kind: "numerator" and
 * "denominator" for a ratio, "sum" and "weight" otherwise (a count has
 * no second sum). */
const char *tally_figure_a_name(const struct tally_indicator *ind);
const char *tally_figure_b_name(const struct tally_indicator *ind);

/* Sets "value" and the sums' keys on o; null where there is nothing. */
void tally_figure_json(
    json_t *o, const struct tally_indicator *ind, const struct tally_state *s);

/* Appends ",value,numerator,denominator,sum,weight", each the shortest
 * text that reads back exactly (number.h),
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

/* Reading back the documents the reports make (their table and CSV forms
 * are printed from the JSON, so that every form shows the same figures).
 * The JSON of a finished value or a sum that may be missing, and of a
 * period. */
json_t *tally_figure_real(bool has, double v);
json_t *tally_figure_period(const struct tally_period *p);

/* The sums of a figure's JSON entry as (a, b) by the indicator's kind; b
 * is NULL for a count. */
void tally_figure_sums(
    const struct tally_indicator *ind, json_t *f, json_t **a, json_t **b);

/* How tally_figure_num shows a number of a document. */
enum tally_num_style {
	TALLY_NUM_WHOLE, /* a count's value */
	TALLY_NUM_VALUE, /* any other value: four decimals */
	TALLY_NUM_SUM,   /* sums: up to ten significant digits */
	TALLY_NUM_GAP,   /* a signed gap, "+0" for none */
	TALLY_NUM_DIFF,  /* a signed difference, "0" for none */
	TALLY_NUM_PULL,  /* a signed pull, four decimals */
	TALLY_NUM_LEVEL, /* a target or standard, as short as it is */
};

/* Writes v (a JSON number, or "-" for anything else) to buf. */
void tally_figure_num(char *buf, size_t len, json_t *v, int style);

/* tally_figure_text of a figure's JSON entry f. */
void tally_figure_doc_text(
    const struct tally_indicator *ind, json_t *f, struct tally_figure_text *t);

/* Writes s as one CSV field, quoted only when it must be; the _text and
 * _num forms write a comma first, then s (nothing for NULL) or v as the
 * shortest exact text (number.h; nothing when it is not a number). */
void tally_figure_csv_field(FILE *out, const char *s);
void tally_figure_csv_text(FILE *out, const char *s);
void tally_figure_csv_num(FILE *out, json_t *v);

/* tally_figure_csv of a figure's JSON entry f: ",value,numerator,
 * denominator,sum,weight". */
void tally_figure_csv_sums(
    FILE *out, const struct tally_indicator *ind, json_t *f);

#endif

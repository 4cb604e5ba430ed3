/*
 * `tally-node template [--db FILE] --period P [--out FILE.xlsx|FILE.csv]`:
 * a sheet to fill, one row per indicator (with --db, those the store's
 * region reports: a target set for it or above it, or data in its store)
 * with the period filled in,
 * the columns `import` reads (指标 indicator, 期间 period, 分子 numerator,
 * 分母 denominator, 数值 value, 权重 weight) and, beside them, what each
 * indicator is and what to enter, which import leaves alone. Filled in, it
 * imports back unchanged.
 */
#ifndef NODE_TEMPLATE_H
#define NODE_TEMPLATE_H

#include "catalog.h"
#include "period.h"

/* The indicators of the template, one row each, in catalogue order. */
struct node_rows {
	const struct tally_indicator **inds;
	size_t                         n;
};

/* Writes the template of rows for period to out: an .xlsx workbook when
 * out ends in .xlsx, else CSV (UTF-8 with a byte-order mark, CRLF, as
 * Excel saves it); standard output (CSV) when out is NULL. Returns the
 * exit code. */
int node_template(const char *prog, const struct node_rows *rows,
    const struct tally_period *period, const char *out);

#endif

/*
 * The report printer declared in report.h. A hub holds its own region's
 * snapshot (own observations merged with its children's states) and each
 * direct child's newest state; those are the regions it can report.
 */
#include "report.h"

#include "errors.h"
#include "figure.h"
#include "rollup.h"
#include "text.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct row {
	const struct tally_division *div;
	int                          depth;
	bool                         has_state;
	struct tally_state           state;
	uint64_t                     version;
};

/* The state to show, or NULL when the region has no data. */
static const struct tally_state *
shown_state(const struct row *r)
{
	return r->has_state ? &r->state : NULL;
}

static const char *
parent_code(const struct tally_catalog *cat, const struct tally_division *d)
{
	return d->parent == TALLY_NO_INDEX ? NULL
	                                   : cat->divisions[d->parent].code;
}

/* The rows for one indicator: the top region, then (depth allowing) each
 * child in code order, with or without a state. */
static int
collect(const struct tally_catalog *cat, struct tally_store *st,
    const struct tally_indicator *ind, const struct hub_report_opts *o,
    const struct tally_division *top, bool top_is_hub, struct row **out,
    size_t *n)
{
	struct tally_child_state *kids  = NULL;
	size_t                    nkids = 0, count = 0, cap = 1;
	struct row               *rows;
	int                       rv;

	rv = tally_store_child_states(st, ind, &o->period, &kids, &nkids);
	if (rv != TALLY_OK) {
		return rv;
	}
	for (size_t c = top->first_child; c != TALLY_NO_INDEX;
	     c        = cat->divisions[c].next_sibling) {
		cap++;
	}
	rows = calloc(cap, sizeof(*rows));
	if (rows == NULL) {
		free(kids);
		return TALLY_ENOMEM;
	}
	rows[0].div = top;
	if (top_is_hub) {
		rows[0].has_state =
		    tally_store_snapshot(st, ind, &o->period, &rows[0].state,
		        &rows[0].version) == TALLY_OK;
	} else {
		for (size_t k = 0; k < nkids; k++) {
			if (strcmp(kids[k].child, top->code) == 0) {
				rows[0].has_state = true;
				rows[0].state     = kids[k].state;
				rows[0].version   = kids[k].version;
			}
		}
	}
	count = 1;
	if (top_is_hub && o->depth != 0) {
		for (size_t c = top->first_child; c != TALLY_NO_INDEX;
		     c        = cat->divisions[c].next_sibling) {
			struct row *r = &rows[count++];

			r->div   = &cat->divisions[c];
			r->depth = 1;
			for (size_t k = 0; k < nkids; k++) {
				if (strcmp(kids[k].child, r->div->code) == 0) {
					r->has_state = true;
					r->state     = kids[k].state;
					r->version   = kids[k].version;
				}
			}
		}
	}
	free(kids);
	*out = rows;
	*n   = count;
	return TALLY_OK;
}

static json_t *
row_json(const struct tally_indicator *ind, const struct row *r)
{
	json_t *o = json_object();
	char    newest[TALLY_PERIOD_STRLEN];

	json_object_set_new(o, "id", json_string(ind->id));
	tally_figure_json(o, ind, shown_state(r));
	json_object_set_new(o, "reporting",
	    json_integer(r->has_state ? (json_int_t) r->state.leaves : 0));
	json_object_set_new(
	    o, "expected", json_integer((json_int_t) r->div->leaves));
	if (r->has_state && r->state.has_minmax) {
		json_object_set_new(o, "min",
		    json_pack("{s:f,s:s}", "value", r->state.min_value,
		        "region", r->state.min_region));
		json_object_set_new(o, "max",
		    json_pack("{s:f,s:s}", "value", r->state.max_value,
		        "region", r->state.max_region));
	}
	if (r->has_state && r->state.has_newest) {
		tally_period_format(&r->state.newest, newest);
		json_object_set_new(o, "newest_period", json_string(newest));
	}
	if (r->has_state) {
		json_object_set_new(
		    o, "version", json_integer((json_int_t) r->version));
	}
	return o;
}

static void
table_row(FILE *out, const struct tally_indicator *ind, const struct row *r)
{
	struct tally_figure_text t;

	tally_figure_text(ind, shown_state(r), &t);
	fprintf(out, "%s%-6s ", r->depth > 0 ? "  " : "", r->div->code);
	tally_text_pad(out, r->div->name, r->depth > 0 ? 16 : 18);
	fprintf(out, " %12s %14s %14s %6u/%zu\n", t.value, t.a, t.b,
	    r->has_state ? r->state.leaves : 0, r->div->leaves);
}

static void
compact_row(FILE *out, const struct tally_indicator *ind, const struct row *r)
{
	struct tally_figure_text t;

	tally_figure_text(ind, shown_state(r), &t);
	fprintf(out, "%-38s %14s  ", ind->id, t.value);
	tally_text_pad(out, ind->unit, 8);
	fprintf(out, " %14s %14s %6u/%zu\n", t.a, t.b,
	    r->has_state ? r->state.leaves : 0, r->div->leaves);
}

static void
csv_row(FILE *out, const struct tally_catalog *cat,
    const struct tally_indicator *ind, const char *period, const struct row *r)
{
	const char *parent = parent_code(cat, r->div);

	fprintf(out, "%s,%s,%s,%s,%s,%s", period, r->div->code, r->div->name,
	    tally_level_name(r->div->level), parent ? parent : "", ind->id);
	tally_figure_csv(out, ind, shown_state(r));
	fprintf(out, ",%u,%zu\n", r->has_state ? r->state.leaves : 0,
	    r->div->leaves);
}

/* JSON is grouped by region (each with its indicators), as dashboards
 * read it; table and CSV are grouped by indicator, as people read them. */
int
hub_report(FILE *out, const struct tally_catalog *cat, struct tally_store *st,
    const struct hub_report_opts *o)
{
	const struct tally_division *hub_div, *top;
	char                         period[TALLY_PERIOD_STRLEN];
	json_t                      *root = NULL, *regions = NULL;
	bool                         top_is_hub;
	size_t                       shown = 0;
	int                          rv    = TALLY_OK;

	hub_div = tally_catalog_division(cat, tally_store_region(st));
	top     = hub_div;
	if (o->region != NULL && strcmp(o->region, hub_div->code) != 0) {
		if (!tally_catalog_is_child(cat, hub_div->code, o->region)) {
			return TALLY_ENOENT;
		}
		top = tally_catalog_division(cat, o->region);
	}
	top_is_hub = top == hub_div;
	tally_period_format(&o->period, period);
	if (o->format == TALLY_FORMAT_JSON) {
		root    = json_object();
		regions = json_array();
		json_object_set_new(root, "period", json_string(period));
		json_object_set_new(root, "hub", json_string(hub_div->code));
	} else if (o->format == TALLY_FORMAT_CSV) {
		fprintf(out,
		    "period,region,name,level,parent,indicator,value,"
		    "numerator,denominator,sum,weight,reporting,"
		    "expected\n");
	}
	for (size_t i = 0; i < cat->n_indicators; i++) {
		const struct tally_indicator *ind  = &cat->indicators[i];
		struct row                   *rows = NULL;
		size_t                        n    = 0;

		if (o->ind != NULL && ind != o->ind) {
			continue;
		}
		rv = collect(cat, st, ind, o, top, top_is_hub, &rows, &n);
		if (rv != TALLY_OK) {
			break;
		}
		if (!rows[0].has_state && o->ind == NULL) {
			free(rows);
			continue;
		}
		shown++;
		for (size_t k = 0; k < n; k++) {
			if (o->format == TALLY_FORMAT_JSON) {
				json_t *reg = NULL;
				/* Find or add the region's entry. */
				for (size_t j = 0;
				     j < json_array_size(regions); j++) {
					json_t *e = json_array_get(regions, j);
					if (strcmp(json_string_value(
					               json_object_get(
					                   e, "code")),
					        rows[k].div->code) == 0) {
						reg = e;
					}
				}
				if (reg == NULL) {
					const char *p =
					    parent_code(cat, rows[k].div);
					reg = json_pack(
					    "{s:s,s:s,s:s,s:o,s:i,s:[]}",
					    "code", rows[k].div->code, "name",
					    rows[k].div->name, "level",
					    tally_level_name(
					        rows[k].div->level),
					    "parent",
					    p ? json_string(p) : json_null(),
					    "depth", rows[k].depth,
					    "indicators");
					json_array_append_new(regions, reg);
				}
				json_array_append_new(
				    json_object_get(reg, "indicators"),
				    row_json(ind, &rows[k]));
			} else if (o->format == TALLY_FORMAT_CSV) {
				csv_row(out, cat, ind, period, &rows[k]);
			} else if (n == 1) {
				/* One region: one line per indicator, under
				 * one header, so that a region's whole picture
				 * fits on a screen. */
				if (shown == 1) {
					fprintf(out, "%s %s (%s), period %s\n",
					    top->code, top->name,
					    tally_level_name(top->level),
					    period);
					fprintf(out,
					    "%-38s %14s  %-8s %14s %14s %s\n",
					    "indicator", "value", "unit",
					    "num/sum", "den/weight",
					    "reporting");
				}
				compact_row(out, ind, &rows[k]);
			} else {
				if (k == 0) {
					fprintf(out,
					    "%s %s (%s), %s, period %s\n",
					    ind->id, ind->name_zh, ind->unit,
					    tally_kind_name(ind->kind),
					    period);
					fprintf(out,
					    "%-6s %-18s %12s %14s %14s %s\n",
					    "region", "name", "value",
					    ind->kind == TALLY_KIND_RATIO
					        ? "numerator"
					        : "sum",
					    ind->kind == TALLY_KIND_RATIO
					        ? "denominator"
					        : "weight",
					    "reporting");
				}
				table_row(out, ind, &rows[k]);
			}
		}
		if (o->format == TALLY_FORMAT_TABLE && n > 1) {
			fputc('\n', out);
		}
		free(rows);
	}
	if (root != NULL) {
		json_object_set_new(root, "regions", regions);
		if (rv == TALLY_OK &&
		    json_dumpf(root, out,
		        JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0) {
			rv = TALLY_EIO;
		}
		fputc('\n', out);
		json_decref(root);
	} else if (o->format == TALLY_FORMAT_TABLE && shown == 0 &&
	    rv == TALLY_OK) {
		fprintf(out, "(no figures for %s)\n", period);
	}
	return rv;
}

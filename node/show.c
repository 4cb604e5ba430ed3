/*
 * The figure printer behind `tally-node show`. Every figure goes through
 * tally_state_own and tally_state_value, the same engine the hubs use.
 */
#include "show.h"

#include "errors.h"
#include "figure.h"
#include "rollup.h"
#include "text.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct figure {
	const struct tally_indicator *ind;
	bool                          has_data;
	struct tally_state            state;
	bool                          has_version;
	uint64_t                      version;
};

/* The state to show, or NULL when the region has no data. */
static const struct tally_state *
shown_state(const struct figure *f)
{
	return f->has_data ? &f->state : NULL;
}

static int
compute(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_period *period, struct figure *f)
{
	struct tally_obs *obs = NULL;
	size_t            n   = 0;
	int               rv;

	memset(f, 0, sizeof(*f));
	f->ind = ind;
	tally_state_init(&f->state);
	rv = tally_store_observations(st, ind, period, &obs, &n);
	if (rv != TALLY_OK) {
		return rv;
	}
	rv = tally_state_own(
	    ind, tally_store_region(st), true, obs, n, period, &f->state);
	free(obs);
	if (rv == TALLY_ENOENT) {
		return TALLY_OK;
	}
	if (rv != TALLY_OK) {
		return rv;
	}
	f->has_data = true;
	rv = tally_store_snapshot_version(st, ind, period, &f->version);
	if (rv == TALLY_OK) {
		f->has_version = true;
	} else if (rv != TALLY_ENOENT) {
		return rv;
	}
	return TALLY_OK;
}

static json_t *
figure_json(const struct figure *f)
{
	json_t *o = json_object();
	char    newest[TALLY_PERIOD_STRLEN];

	json_object_set_new(o, "id", json_string(f->ind->id));
	json_object_set_new(o, "name_zh", json_string(f->ind->name_zh));
	json_object_set_new(o, "name_en", json_string(f->ind->name_en));
	json_object_set_new(
	    o, "kind", json_string(tally_kind_name(f->ind->kind)));
	json_object_set_new(o, "unit", json_string(f->ind->unit));
	tally_figure_json(o, f->ind, shown_state(f));
	if (f->has_data && f->state.has_newest) {
		tally_period_format(&f->state.newest, newest);
		json_object_set_new(o, "newest_period", json_string(newest));
	} else {
		json_object_set_new(o, "newest_period", json_null());
	}
	json_object_set_new(o, "version",
	    f->has_version ? json_integer((json_int_t) f->version)
	                   : json_null());
	return o;
}

static void
print_csv_row(
    FILE *out, const char *region, const char *period, const struct figure *f)
{
	char newest[TALLY_PERIOD_STRLEN] = "";

	if (f->has_data && f->state.has_newest) {
		tally_period_format(&f->state.newest, newest);
	}
	/* Identifiers and codes never contain commas or quotes (the catalogue
	 * loader guarantees it); units are quoted because they are text. */
	fprintf(out, "%s,%s,%s,%s,\"%s\"", region, period, f->ind->id,
	    tally_kind_name(f->ind->kind), f->ind->unit);
	tally_figure_csv(out, f->ind, shown_state(f));
	fprintf(out, ",%s,", newest);
	if (f->has_version) {
		fprintf(out, "%llu", (unsigned long long) f->version);
	}
	fputc('\n', out);
}

static void
print_table_row(FILE *out, const struct figure *f)
{
	char                     newest[TALLY_PERIOD_STRLEN] = "-";
	struct tally_figure_text t;

	if (f->has_data && f->state.has_newest) {
		tally_period_format(&f->state.newest, newest);
	}
	tally_figure_text(f->ind, shown_state(f), &t);
	fprintf(out, "%-38s %12s  ", f->ind->id, t.value);
	tally_text_pad(out, f->ind->unit, 8);
	fprintf(out, " %14s %14s  %s\n", t.a, t.b, newest);
}

int
node_show(FILE *out, const struct tally_catalog *cat, struct tally_store *st,
    const struct tally_period *period, const struct tally_indicator *only,
    int format)
{
	const struct tally_division *region;
	struct figure               *figs;
	size_t                       nfigs = 0;
	char                         ptext[TALLY_PERIOD_STRLEN];
	int                          rv = TALLY_OK;

	region = tally_catalog_division(cat, tally_store_region(st));
	tally_period_format(period, ptext);
	figs = calloc(cat->n_indicators, sizeof(*figs));
	if (figs == NULL) {
		return TALLY_ENOMEM;
	}
	for (size_t i = 0; i < cat->n_indicators; i++) {
		const struct tally_indicator *ind = &cat->indicators[i];

		if (only != NULL && ind != only) {
			continue;
		}
		rv = compute(st, ind, period, &figs[nfigs]);
		if (rv != TALLY_OK) {
			goto done;
		}
		if (figs[nfigs].has_data || only != NULL) {
			nfigs++;
		}
	}

	if (format == TALLY_FORMAT_JSON) {
		json_t *root = json_object();
		json_t *reg  = json_object();
		json_t *arr  = json_array();

		json_object_set_new(reg, "code", json_string(region->code));
		json_object_set_new(reg, "name", json_string(region->name));
		json_object_set_new(reg, "level",
		    json_string(tally_level_name(region->level)));
		json_object_set_new(root, "region", reg);
		json_object_set_new(root, "period", json_string(ptext));
		for (size_t i = 0; i < nfigs; i++) {
			json_array_append_new(arr, figure_json(&figs[i]));
		}
		json_object_set_new(root, "indicators", arr);
		if (json_dumpf(root, out,
		        JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0) {
			rv = TALLY_EIO;
		}
		fputc('\n', out);
		json_decref(root);
	} else if (format == TALLY_FORMAT_CSV) {
		fprintf(out,
		    "region,period,indicator,kind,unit,value,numerator,"
		    "denominator,sum,weight,newest_period,version\n");
		for (size_t i = 0; i < nfigs; i++) {
			print_csv_row(out, region->code, ptext, &figs[i]);
		}
	} else {
		fprintf(out, "%s %s (%s), period %s: own observations\n",
		    region->code, region->name,
		    tally_level_name(region->level), ptext);
		fprintf(out, "%-38s %12s  %-8s %14s %14s  %s\n", "indicator",
		    "value", "unit", "num/sum", "den/weight", "newest");
		for (size_t i = 0; i < nfigs; i++) {
			print_table_row(out, &figs[i]);
		}
		if (nfigs == 0) {
			fprintf(out, "(no observations in %s)\n", ptext);
		}
	}
done:
	free(figs);
	return rv;
}

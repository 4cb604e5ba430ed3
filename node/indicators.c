/*
 * The catalogue listing declared in indicators.h. The table is for a
 * person at a terminal (Chinese first, as a county office reads it); JSON
 * and CSV carry every text of guide.h for other tools.
 */
#include "indicators.h"

#include "cli.h"
#include "figure.h"
#include "guide.h"
#include "text.h"

#include <jansson.h>
#include <string.h>
#include <sysexits.h>

static void
print_table(FILE *out, const struct tally_catalog *cat)
{
	int w_id = 2, w_name = 8;

	for (size_t i = 0; i < cat->n_indicators; i++) {
		const struct tally_indicator *ind = &cat->indicators[i];
		int                           a   = tally_text_width(ind->id);
		int b = tally_text_width(ind->name_zh);

		w_id   = a > w_id ? a : w_id;
		w_name = b > w_name ? b : w_name;
	}
	tally_text_pad(out, "id", w_id + 2);
	tally_text_pad(out, "名称 name", w_name + 2);
	tally_text_pad(out, "单位 unit", 20);
	tally_text_pad(out, "类型 kind", 24);
	fputs("填写 what to enter\n", out);
	for (size_t i = 0; i < cat->n_indicators; i++) {
		const struct tally_indicator *ind = &cat->indicators[i];
		struct tally_guide            g;
		char                          kind[64];

		tally_guide_of(ind, &g);
		snprintf(kind, sizeof(kind), "%s %s", g.kind_zh,
		    tally_kind_name(ind->kind));
		tally_text_pad(out, ind->id, w_id + 2);
		tally_text_pad(out, ind->name_zh, w_name + 2);
		tally_text_pad(out, ind->unit, 20);
		tally_text_pad(out, kind, 24);
		fprintf(out, "%s\n", g.enter_zh);
	}
}

static json_t *
entry_json(const struct tally_indicator *ind)
{
	struct tally_guide g;
	json_t            *o;

	tally_guide_of(ind, &g);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", ind->id,
	    "name_zh", ind->name_zh, "name_en", ind->name_en, "kind",
	    tally_kind_name(ind->kind), "unit", ind->unit, "enter_zh",
	    g.enter_zh, "enter_en", g.enter_en);
	if (o == NULL) {
		return NULL;
	}
	/* Only the columns the kind uses. */
	if (ind->kind == TALLY_KIND_RATIO) {
		json_object_set_new(
		    o, "numerator_zh", json_string(g.numerator_zh));
		json_object_set_new(
		    o, "numerator_en", json_string(g.numerator_en));
		json_object_set_new(
		    o, "denominator_zh", json_string(g.denominator_zh));
		json_object_set_new(
		    o, "denominator_en", json_string(g.denominator_en));
	} else {
		json_object_set_new(o, "value_zh", json_string(g.value_zh));
		json_object_set_new(o, "value_en", json_string(g.value_en));
	}
	if (ind->kind == TALLY_KIND_WMEAN) {
		json_object_set_new(o, "weight_zh", json_string(g.weight_zh));
		json_object_set_new(o, "weight_en", json_string(g.weight_en));
	}
	return o;
}

static int
print_json(FILE *out, const struct tally_catalog *cat)
{
	json_t *arr = json_array();
	int     rv  = 0;

	for (size_t i = 0; arr != NULL && i < cat->n_indicators; i++) {
		json_t *o = entry_json(&cat->indicators[i]);

		if (o == NULL || json_array_append_new(arr, o) != 0) {
			rv = -1;
			break;
		}
	}
	if (arr == NULL || rv != 0 ||
	    json_dumpf(arr, out, JSON_INDENT(2)) != 0) {
		json_decref(arr);
		return EX_SOFTWARE;
	}
	fputc('\n', out);
	json_decref(arr);
	return EX_OK;
}

static void
print_csv(FILE *out, const struct tally_catalog *cat)
{
	fputs("id,name_zh,name_en,kind,unit,enter_zh,enter_en\n", out);
	for (size_t i = 0; i < cat->n_indicators; i++) {
		const struct tally_indicator *ind = &cat->indicators[i];
		struct tally_guide            g;

		tally_guide_of(ind, &g);
		tally_figure_csv_field(out, ind->id);
		tally_figure_csv_text(out, ind->name_zh);
		tally_figure_csv_text(out, ind->name_en);
		tally_figure_csv_text(out, tally_kind_name(ind->kind));
		tally_figure_csv_text(out, ind->unit);
		tally_figure_csv_text(out, g.enter_zh);
		tally_figure_csv_text(out, g.enter_en);
		fputc('\n', out);
	}
}

int
node_indicators(FILE *out, const struct tally_catalog *cat, int format)
{
	switch (format) {
	case TALLY_FORMAT_JSON:
		return print_json(out, cat);
	case TALLY_FORMAT_CSV:
		print_csv(out, cat);
		return EX_OK;
	default:
		print_table(out, cat);
		return EX_OK;
	}
}

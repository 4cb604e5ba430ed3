/*
 * The figure formatting declared in figure.h.
 */
#include "figure.h"

#include "errors.h"

void
tally_figure_json(
    json_t *o, const struct tally_indicator *ind, const struct tally_state *s)
{
	double v;
	bool   has_v = s != NULL && tally_state_value(s, ind, &v) == TALLY_OK;

	json_object_set_new(o, "value", has_v ? json_real(v) : json_null());
	json_object_set_new(o,
	    ind->kind == TALLY_KIND_RATIO ? "numerator" : "sum",
	    s != NULL ? json_real(s->sum_a) : json_null());
	if (ind->kind != TALLY_KIND_COUNT) {
		json_object_set_new(o,
		    ind->kind == TALLY_KIND_RATIO ? "denominator" : "weight",
		    s != NULL ? json_real(s->sum_b) : json_null());
	}
}

static void
csv_num(FILE *out, bool has, double v)
{
	fputc(',', out);
	if (has) {
		fprintf(out, "%.17g", v);
	}
}

void
tally_figure_csv(
    FILE *out, const struct tally_indicator *ind, const struct tally_state *s)
{
	bool   ratio = ind->kind == TALLY_KIND_RATIO;
	double v     = 0;
	bool   has_v = s != NULL && tally_state_value(s, ind, &v) == TALLY_OK;

	csv_num(out, has_v, v);
	csv_num(out, s != NULL && ratio, s != NULL ? s->sum_a : 0);
	csv_num(out, s != NULL && ratio, s != NULL ? s->sum_b : 0);
	csv_num(out, s != NULL && !ratio, s != NULL ? s->sum_a : 0);
	csv_num(out, s != NULL && ind->kind == TALLY_KIND_WMEAN,
	    s != NULL ? s->sum_b : 0);
}

void
tally_figure_text(const struct tally_indicator *ind,
    const struct tally_state *s, struct tally_figure_text *t)
{
	double v;

	snprintf(t->value, sizeof(t->value), "-");
	snprintf(t->a, sizeof(t->a), "-");
	snprintf(t->b, sizeof(t->b), "-");
	if (s == NULL) {
		return;
	}
	if (tally_state_value(s, ind, &v) == TALLY_OK) {
		snprintf(t->value, sizeof(t->value),
		    ind->kind == TALLY_KIND_COUNT ? "%.0f" : "%.4f", v);
	}
	snprintf(t->a, sizeof(t->a), "%.10g", s->sum_a);
	if (ind->kind != TALLY_KIND_COUNT) {
		snprintf(t->b, sizeof(t->b), "%.10g", s->sum_b);
	}
}

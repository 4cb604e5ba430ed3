/*
 * The figure formatting declared in figure.h.
 */
#include "figure.h"

#include "errors.h"
#include "number.h"

#include <csv.h>
#include <math.h>
#include <string.h>

const char *
tally_figure_a_name(const struct tally_indicator *ind)
{
	return ind->kind == TALLY_KIND_RATIO ? "numerator" : "sum";
}

const char *
tally_figure_b_name(const struct tally_indicator *ind)
{
	return ind->kind == TALLY_KIND_RATIO ? "denominator" : "weight";
}

void
tally_figure_json(
    json_t *o, const struct tally_indicator *ind, const struct tally_state *s)
{
	double v;
	bool   has_v = s != NULL && tally_state_value(s, ind, &v) == TALLY_OK;

	json_object_set_new(o, "value", has_v ? json_real(v) : json_null());
	json_object_set_new(o, tally_figure_a_name(ind),
	    s != NULL ? json_real(s->sum_a) : json_null());
	if (ind->kind != TALLY_KIND_COUNT) {
		json_object_set_new(o, tally_figure_b_name(ind),
		    s != NULL ? json_real(s->sum_b) : json_null());
	}
}

static void
csv_num(FILE *out, bool has, double v)
{
	char text[TALLY_NUMBER_STRLEN];

	fputc(',', out);
	if (has) {
		tally_number_shortest(v, text, sizeof(text));
		fputs(text, out);
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

json_t *
tally_figure_real(bool has, double v)
{
	return has && isfinite(v) ? json_real(v) : json_null();
}

json_t *
tally_figure_period(const struct tally_period *p)
{
	char text[TALLY_PERIOD_STRLEN];

	tally_period_format(p, text);
	return json_string(text);
}

void
tally_figure_sums(
    const struct tally_indicator *ind, json_t *f, json_t **a, json_t **b)
{
	*a = json_object_get(f, tally_figure_a_name(ind));
	*b = ind->kind == TALLY_KIND_COUNT
	    ? NULL
	    : json_object_get(f, tally_figure_b_name(ind));
}

void
tally_figure_num(char *buf, size_t len, json_t *v, int style)
{
	double x;

	if (v == NULL || !json_is_number(v)) {
		snprintf(buf, len, "-");
		return;
	}
	x = json_number_value(v);
	switch (style) {
	case TALLY_NUM_WHOLE:
		snprintf(buf, len, "%.0f", x);
		break;
	case TALLY_NUM_VALUE:
		snprintf(buf, len, "%.4f", x);
		break;
	case TALLY_NUM_GAP:
		snprintf(buf, len, "%+.4g", x);
		break;
	case TALLY_NUM_DIFF:
		snprintf(buf, len, x == 0 ? "%.0f" : "%+.4g", x);
		break;
	case TALLY_NUM_PULL:
		snprintf(buf, len, "%+.4f", x);
		break;
	case TALLY_NUM_LEVEL:
		snprintf(buf, len, "%g", x);
		break;
	default:
		snprintf(buf, len, "%.10g", x);
		break;
	}
}

void
tally_figure_doc_text(
    const struct tally_indicator *ind, json_t *f, struct tally_figure_text *t)
{
	json_t *a, *b;

	tally_figure_sums(ind, f, &a, &b);
	tally_figure_num(t->value, sizeof(t->value),
	    json_object_get(f, "value"),
	    ind->kind == TALLY_KIND_COUNT ? TALLY_NUM_WHOLE : TALLY_NUM_VALUE);
	tally_figure_num(t->a, sizeof(t->a), a, TALLY_NUM_SUM);
	tally_figure_num(t->b, sizeof(t->b), b, TALLY_NUM_SUM);
}

void
tally_figure_csv_field(FILE *out, const char *s)
{
	if (strpbrk(s, ",\"\r\n") != NULL) {
		csv_fwrite(out, s, strlen(s));
	} else {
		fputs(s, out);
	}
}

void
tally_figure_csv_text(FILE *out, const char *s)
{
	fputc(',', out);
	if (s != NULL) {
		tally_figure_csv_field(out, s);
	}
}

void
tally_figure_csv_sums(FILE *out, const struct tally_indicator *ind, json_t *f)
{
	bool ratio = ind->kind == TALLY_KIND_RATIO;

	tally_figure_csv_num(out, json_object_get(f, "value"));
	tally_figure_csv_num(
	    out, ratio ? json_object_get(f, "numerator") : NULL);
	tally_figure_csv_num(
	    out, ratio ? json_object_get(f, "denominator") : NULL);
	tally_figure_csv_num(out, ratio ? NULL : json_object_get(f, "sum"));
	tally_figure_csv_num(out, json_object_get(f, "weight"));
}

void
tally_figure_csv_num(FILE *out, json_t *v)
{
	fputc(',', out);
	if (v != NULL && json_is_number(v)) {
		char text[TALLY_NUMBER_STRLEN];

		tally_number_shortest(
		    json_number_value(v), text, sizeof(text));
		fputs(text, out);
	}
}

json_t *
tally_figure_target_json(
    const struct tally_target *t, const struct tally_target_result *res)
{
	json_t *o = json_object();

	json_object_set_new(o, "op", json_string(tally_op_name(t->op)));
	json_object_set_new(o, "value", json_real(t->value));
	json_object_set_new(
	    o, "scope", json_string(tally_scope_name(t->scope)));
	json_object_set_new(o, "period", tally_figure_period(&t->period));
	json_object_set_new(
	    o, "status", json_string(tally_target_status_name(res->status)));
	json_object_set_new(
	    o, "gap", tally_figure_real(res->has_gap, res->gap));
	json_object_set_new(
	    o, "compared", tally_figure_real(res->has_value, res->value));
	if (res->reason[0] != '\0') {
		json_object_set_new(o, "reason", json_string(res->reason));
	}
	if (t->scope == TALLY_SCOPE_CHANGE_PCT) {
		json_object_set_new(
		    o, "baseline_period", tally_figure_period(&t->baseline));
		json_object_set_new(o, "baseline_value",
		    tally_figure_real(
		        res->has_baseline_value, res->baseline_value));
	}
	if (t->scope == TALLY_SCOPE_EACH_CHILD) {
		json_object_set_new(o, "children_missing",
		    json_integer((json_int_t) res->children_missing));
		json_object_set_new(o, "children_failing",
		    json_integer((json_int_t) res->children_failing));
		json_object_set_new(o, "worst_child",
		    res->worst_child[0] ? json_string(res->worst_child)
		                        : json_null());
	}
	json_object_set_new(
	    o, "source", json_string(t->source != NULL ? t->source : ""));
	return o;
}

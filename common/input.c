/*
 * The observation checks declared in input.h.
 */
#include "input.h"

#include "admit.h"
#include "text.h"

#include <string.h>

/* A field a kind needs: present and a finite number (admit.h says
 * which numbers are allowed). */
static int
need_number(const char *name, const char *text, const char *ind_id,
    double *out, struct tally_errbuf *eb)
{
	double v;

	if (tally_text_empty(text)) {
		return tally_fail(eb, TALLY_EDATA,
		    "field %s: required for indicator '%s'", name, ind_id);
	}
	if (tally_parse_double(text, &v) != TALLY_OK) {
		return tally_fail(eb, TALLY_EDATA,
		    "field %s: '%s' is not a finite number", name, text);
	}
	*out = v == 0 ? 0 : v; /* folds -0 into 0 */
	return TALLY_OK;
}

/* A field the kind does not use must be empty, so that a row meant for
 * another indicator is never silently half-read. */
static int
need_empty(const char *name, const char *text,
    const struct tally_indicator *ind, struct tally_errbuf *eb)
{
	if (!tally_text_empty(text)) {
		return tally_fail(eb, TALLY_EDATA,
		    "field %s: must be empty for %s indicator '%s'", name,
		    tally_kind_name(ind->kind), ind->id);
	}
	return TALLY_OK;
}

int
tally_input_parse(const struct tally_catalog *cat,
    const struct tally_input_row *row, const struct tally_indicator **indp,
    struct tally_obs *obsp, struct tally_errbuf *eb)
{
	const struct tally_indicator *ind;
	struct tally_obs              obs;
	const char                   *field = NULL;
	char                          why[160];
	int                           rv;

	memset(&obs, 0, sizeof(obs));
	if (tally_text_empty(row->indicator)) {
		return tally_fail(eb, TALLY_EDATA, "field indicator: empty");
	}
	ind = tally_catalog_indicator(cat, row->indicator);
	if (ind == NULL) {
		return tally_fail(eb, TALLY_EDATA,
		    "field indicator: unknown indicator '%s'", row->indicator);
	}
	if (tally_text_empty(row->period)) {
		return tally_fail(eb, TALLY_EDATA, "field period: empty");
	}
	if (tally_period_parse(row->period, &obs.period) != TALLY_OK) {
		return tally_fail(eb, TALLY_EDATA,
		    "field period: '%s' is not a valid period (YYYY, YYYYQn "
		    "or YYYY-MM)",
		    row->period);
	}
	switch (ind->kind) {
	case TALLY_KIND_RATIO:
		rv = need_number(
		    "numerator", row->numerator, ind->id, &obs.num, eb);
		if (rv == TALLY_OK) {
			rv = need_number("denominator", row->denominator,
			    ind->id, &obs.den, eb);
		}
		if (rv == TALLY_OK) {
			rv = need_empty("value", row->value, ind, eb);
		}
		if (rv == TALLY_OK) {
			rv = need_empty("weight", row->weight, ind, eb);
		}
		break;
	case TALLY_KIND_COUNT:
		rv = need_number("value", row->value, ind->id, &obs.value, eb);
		if (rv == TALLY_OK) {
			rv = need_empty("numerator", row->numerator, ind, eb);
		}
		if (rv == TALLY_OK) {
			rv = need_empty(
			    "denominator", row->denominator, ind, eb);
		}
		if (rv == TALLY_OK) {
			rv = need_empty("weight", row->weight, ind, eb);
		}
		break;
	default:
		rv = need_number("value", row->value, ind->id, &obs.value, eb);
		if (rv == TALLY_OK) {
			rv = need_number(
			    "weight", row->weight, ind->id, &obs.weight, eb);
		}
		if (rv == TALLY_OK) {
			rv = need_empty("numerator", row->numerator, ind, eb);
		}
		if (rv == TALLY_OK) {
			rv = need_empty(
			    "denominator", row->denominator, ind, eb);
		}
		break;
	}
	if (rv != TALLY_OK) {
		return rv;
	}
	/* The numbers' own rules are those every hub holds states to. */
	if (tally_admit_obs(ind, &obs, &field, why, sizeof(why)) != TALLY_OK) {
		return tally_fail(eb, TALLY_EDATA, "field %s: %s", field, why);
	}
	*indp = ind;
	*obsp = obs;
	return TALLY_OK;
}

/*
 * The observation checks declared in input.h. Every field is checked even
 * after one fails, so that a person fixing a sheet sees all its problems
 * at once.
 */
#include "input.h"

#include "admit.h"
#include "guide.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void add(struct tally_input_errors *e, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
add(struct tally_input_errors *e, const char *field, const char *fmt, ...)
{
	va_list ap;
	int     n;

	if (e->n >= TALLY_INPUT_ERRORS_MAX) {
		return;
	}
	n = snprintf(e->text[e->n], TALLY_ERRBUF_SIZE, "field %s: ", field);
	va_start(ap, fmt);
	vsnprintf(e->text[e->n] + n, TALLY_ERRBUF_SIZE - (size_t) n, fmt, ap);
	va_end(ap);
	tally_one_line(e->text[e->n]);
	e->n++;
}

/* True when text is a figure followed by %, as Excel shows a rate. */
static bool
is_percentage(const char *text)
{
	char   buf[64];
	size_t n = text != NULL ? strlen(text) : 0;
	double v;

	if (n < 2 || n >= sizeof(buf) || text[n - 1] != '%') {
		return false;
	}
	memcpy(buf, text, n - 1);
	buf[n - 1] = '\0';
	return tally_parse_figure(buf, &v) == TALLY_OK;
}

/* What to say instead of a rate, for a ratio indicator. */
static void
pooled_hint(const struct tally_indicator *ind, char *buf, size_t cap)
{
	struct tally_guide g;

	tally_guide_of(ind, &g);
	snprintf(buf, cap,
	    "this indicator pools counts: enter %s as the numerator and %s "
	    "as the denominator (%s / %s), not the rate",
	    g.numerator_en, g.denominator_en, g.numerator_zh,
	    g.denominator_zh);
}

/* A field a kind needs: present and a finite number (admit.h says
 * which numbers are allowed). */
static bool
need_number(const char *name, const char *text,
    const struct tally_indicator *ind, double *out,
    struct tally_input_errors *e)
{
	char   hint[TALLY_GUIDE_STRLEN * 4 + 128];
	double v;

	if (tally_text_empty(text)) {
		add(e, name, "required for indicator '%s'", ind->id);
		return false;
	}
	if (is_percentage(text)) {
		if (ind->kind == TALLY_KIND_RATIO) {
			pooled_hint(ind, hint, sizeof(hint));
		} else {
			snprintf(hint, sizeof(hint),
			    "enter a plain number (%s)", ind->unit);
		}
		add(e, name, "'%s' is a percentage; %s", text, hint);
		return false;
	}
	if (tally_parse_figure(text, &v) != TALLY_OK) {
		add(e, name, "'%s' is not a finite number", text);
		return false;
	}
	*out = v == 0 ? 0 : v; /* folds -0 into 0 */
	return true;
}

/* A field the kind does not use must be empty, so that a row meant for
 * another indicator is never silently half-read. */
static bool
need_empty(const char *name, const char *text,
    const struct tally_indicator *ind, struct tally_input_errors *e)
{
	char hint[TALLY_GUIDE_STRLEN * 4 + 128];

	if (tally_text_empty(text)) {
		return true;
	}
	if (ind->kind == TALLY_KIND_RATIO && strcmp(name, "value") == 0) {
		pooled_hint(ind, hint, sizeof(hint));
		add(e, name, "'%s' must be empty for ratio indicator '%s'; %s",
		    text, ind->id, hint);
	} else {
		add(e, name, "'%s' must be empty for %s indicator '%s'", text,
		    tally_kind_name(ind->kind), ind->id);
	}
	return false;
}

const struct tally_indicator *
tally_input_indicator(const struct tally_catalog *cat, const char *text)
{
	const struct tally_indicator *ind = tally_catalog_indicator(cat, text);

	for (size_t i = 0; ind == NULL && i < cat->n_indicators; i++) {
		const struct tally_indicator *k = &cat->indicators[i];

		if (strcasecmp(k->id, text) == 0 ||
		    strcmp(k->name_zh, text) == 0 ||
		    strcasecmp(k->name_en, text) == 0) {
			ind = k;
		}
	}
	return ind;
}

/* How many edits still look like a slip in a name of n characters. */
static size_t
slack(const char *s)
{
	size_t chars = 0;

	for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
		chars += (*p & 0xC0) != 0x80;
	}
	return chars / 3 > 2 ? chars / 3 : 2;
}

const struct tally_indicator *
tally_input_nearest(const struct tally_catalog *cat, const char *text)
{
	const struct tally_indicator *best   = NULL;
	size_t                        best_d = (size_t) -1;

	for (size_t i = 0; i < cat->n_indicators; i++) {
		const struct tally_indicator *k = &cat->indicators[i];
		size_t d1 = tally_edit_distance(text, k->id);
		size_t d2 = tally_edit_distance(text, k->name_zh);

		if (d1 <= slack(k->id) && d1 < best_d) {
			best   = k;
			best_d = d1;
		}
		if (d2 <= slack(k->name_zh) && d2 < best_d) {
			best   = k;
			best_d = d2;
		}
	}
	return best;
}

static const struct tally_indicator *
check_indicator(const struct tally_catalog *cat, const char *text,
    struct tally_input_errors *e)
{
	const struct tally_indicator *ind, *near;

	if (tally_text_empty(text)) {
		add(e, "indicator", "empty");
		return NULL;
	}
	ind = tally_input_indicator(cat, text);
	if (ind != NULL) {
		return ind;
	}
	near = tally_input_nearest(cat, text);
	if (near != NULL) {
		add(e, "indicator",
		    "unknown indicator '%s'; did you mean '%s' (%s)?", text,
		    near->id, near->name_zh);
	} else {
		add(e, "indicator",
		    "unknown indicator '%s'; `tally-node indicators` lists "
		    "the ids and Chinese names",
		    text);
	}
	return NULL;
}

static bool
check_period(
    const char *text, struct tally_period *out, struct tally_input_errors *e)
{
	int rv;

	if (tally_text_empty(text)) {
		add(e, "period", "empty");
		return false;
	}
	rv = tally_period_parse_loose(text, out);
	if (rv == TALLY_EDATA) {
		add(e, "period",
		    "'%s' is a day, not a month; write the month, e.g. "
		    "2020-04 or 2020年4月",
		    text);
	} else if (rv != TALLY_OK) {
		add(e, "period",
		    "'%s' is not a valid period (write 2020-03, 2020年3月, "
		    "2020Q2, 2020年第二季度 or 2020)",
		    text);
	}
	return rv == TALLY_OK;
}

static void
check_ratio(const struct tally_indicator *ind,
    const struct tally_input_row *row, struct tally_obs *obs,
    struct tally_input_errors *e)
{
	/* A rate typed where the counts go (in the numerator, or in the
	 * value column with no counts) is one mistake: its hint says what
	 * to enter, and the counts it lacks are not listed as well. */
	if (tally_text_empty(row->numerator) &&
	    tally_text_empty(row->denominator) &&
	    !tally_text_empty(row->value)) {
		(void) need_empty("value", row->value, ind, e);
		(void) need_empty("weight", row->weight, ind, e);
		return;
	}
	(void) need_number("numerator", row->numerator, ind, &obs->num, e);
	/* A rate in the numerator has said what is wrong with the row. */
	if (!is_percentage(row->numerator) ||
	    !tally_text_empty(row->denominator)) {
		(void) need_number(
		    "denominator", row->denominator, ind, &obs->den, e);
	}
	(void) need_empty("value", row->value, ind, e);
	(void) need_empty("weight", row->weight, ind, e);
}

static void
check_count(const struct tally_indicator *ind,
    const struct tally_input_row *row, struct tally_obs *obs,
    struct tally_input_errors *e)
{
	(void) need_number("value", row->value, ind, &obs->value, e);
	(void) need_empty("numerator", row->numerator, ind, e);
	(void) need_empty("denominator", row->denominator, ind, e);
	(void) need_empty("weight", row->weight, ind, e);
}

static void
check_wmean(const struct tally_indicator *ind,
    const struct tally_input_row *row, struct tally_obs *obs,
    struct tally_input_errors *e)
{
	(void) need_number("value", row->value, ind, &obs->value, e);
	(void) need_number("weight", row->weight, ind, &obs->weight, e);
	(void) need_empty("numerator", row->numerator, ind, e);
	(void) need_empty("denominator", row->denominator, ind, e);
}

int
tally_input_check(const struct tally_catalog *cat,
    const struct tally_input_row *row, const struct tally_indicator **indp,
    struct tally_obs *obsp, struct tally_input_errors *e)
{
	const struct tally_indicator *ind;
	struct tally_obs              obs;
	const char                   *field = NULL;
	char                          why[160];

	memset(&obs, 0, sizeof(obs));
	e->n = 0;
	ind  = check_indicator(cat, row->indicator, e);
	(void) check_period(row->period, &obs.period, e);
	if (ind != NULL) {
		switch (ind->kind) {
		case TALLY_KIND_RATIO:
			check_ratio(ind, row, &obs, e);
			break;
		case TALLY_KIND_COUNT:
			check_count(ind, row, &obs, e);
			break;
		default:
			check_wmean(ind, row, &obs, e);
			break;
		}
	}
	/* The numbers' own rules are those every hub holds states to. */
	if (e->n == 0 &&
	    tally_admit_obs(ind, &obs, &field, why, sizeof(why)) != TALLY_OK) {
		add(e, field, "%s", why);
	}
	if (e->n > 0) {
		return TALLY_EDATA;
	}
	*indp = ind;
	*obsp = obs;
	return TALLY_OK;
}

int
tally_input_parse(const struct tally_catalog *cat,
    const struct tally_input_row *row, const struct tally_indicator **ind,
    struct tally_obs *obs, struct tally_errbuf *eb)
{
	struct tally_input_errors e;
	int rv = tally_input_check(cat, row, ind, obs, &e);

	if (rv != TALLY_OK) {
		return tally_fail(eb, rv, "%s", e.text[0]);
	}
	return TALLY_OK;
}

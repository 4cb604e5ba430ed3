/*
 * The admission rules declared in admit.h.
 */
#include "admit.h"

#include "errors.h"
#include "text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Values computed the same way on both sides agree exactly; this margin
 * is for a sender in another language that multiplies before it divides. */
#define ADMIT_REL_EPS 1e-9

static int refuse(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
refuse(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	tally_one_line(why);
	return TALLY_EDATA;
}

/* a <= b, with room for rounding. */
static bool
at_most(double a, double b)
{
	return a <= b || a - b <= ADMIT_REL_EPS * fmax(fabs(a), fabs(b));
}

static bool
near(double a, double b)
{
	return at_most(a, b) && at_most(b, a);
}

static bool
whole_count(double v)
{
	return v == floor(v) && v <= TALLY_ADMIT_COUNT_MAX;
}

int
tally_admit_obs(const struct tally_indicator *ind, const struct tally_obs *o,
    const char **field, char *why, size_t len)
{
	switch (ind->kind) {
	case TALLY_KIND_RATIO:
		if (o->num < 0 || o->den < 0) {
			*field = o->num < 0 ? "numerator" : "denominator";
			return refuse(why, len, "%.15g is negative",
			    o->num < 0 ? o->num : o->den);
		}
		*field = "numerator";
		if (o->den == 0 && o->num != 0) {
			return refuse(why, len,
			    "%.15g over a denominator of 0: a denominator of "
			    "0 needs a numerator of 0",
			    o->num);
		}
		if (ind->percent && o->num > o->den) {
			return refuse(why, len,
			    "%.15g exceeds the denominator %.15g of a "
			    "percentage",
			    o->num, o->den);
		}
		return TALLY_OK;
	case TALLY_KIND_COUNT:
		*field = "value";
		if (o->value < 0) {
			return refuse(why, len, "%.15g is negative", o->value);
		}
		if (!whole_count(o->value)) {
			return refuse(why, len,
			    "%.15g is not a whole number within 2^53",
			    o->value);
		}
		return TALLY_OK;
	default:
		*field = "value";
		if (o->value < 0) {
			return refuse(why, len, "%.15g is negative", o->value);
		}
		*field = "weight";
		if (!(o->weight > 0)) {
			return refuse(why, len,
			    "%.15g is not greater than zero", o->weight);
		}
		return TALLY_OK;
	}
}

/* The sums by kind: what the observations summed into them allow. */
static int
sums_admit(const struct tally_indicator *ind, const struct tally_state *s,
    char *why, size_t len)
{
	if (!isfinite(s->sum_a) || s->sum_a < 0) {
		return refuse(why, len,
		    "field sum_a: %.15g is not a finite number >= 0",
		    s->sum_a);
	}
	if (!isfinite(s->sum_b) || s->sum_b < 0) {
		return refuse(why, len,
		    "field sum_b: %.15g is not a finite number >= 0",
		    s->sum_b);
	}
	switch (ind->kind) {
	case TALLY_KIND_RATIO:
		if (s->sum_b == 0 && s->sum_a != 0) {
			return refuse(why, len,
			    "field sum_a: numerator %.15g over a denominator "
			    "of 0: a denominator of 0 needs a numerator of 0",
			    s->sum_a);
		}
		if (ind->percent && s->sum_a > s->sum_b) {
			return refuse(why, len,
			    "field sum_a: numerator %.15g exceeds the "
			    "denominator %.15g of a percentage",
			    s->sum_a, s->sum_b);
		}
		return TALLY_OK;
	case TALLY_KIND_COUNT:
		if (s->sum_b != 0) {
			return refuse(
			    why, len, "field sum_b: must be 0 for a count");
		}
		if (!whole_count(s->sum_a)) {
			return refuse(why, len,
			    "field sum_a: a count is a whole number within "
			    "2^53, not %.15g",
			    s->sum_a);
		}
		return TALLY_OK;
	default:
		if (s->sum_b == 0 && s->sum_a != 0) {
			return refuse(why, len,
			    "field sum_a: %.15g over a weight of 0: a weight "
			    "of 0 needs a sum of 0",
			    s->sum_a);
		}
		return TALLY_OK;
	}
}

/* leaves, for a state with data of the division at index k. */
static int
leaves_admit(const struct tally_catalog *cat, size_t k,
    const struct tally_period *period, const struct tally_state *s, char *why,
    size_t len)
{
	const struct tally_division *d = &cat->divisions[k];
	char                         p[TALLY_PERIOD_STRLEN];
	size_t                       n;

	tally_period_format(period, p);
	if (d->first_child == TALLY_NO_INDEX) {
		if (s->leaves != 1) {
			return refuse(why, len,
			    "field leaves: %u, but %s is a leaf region: its "
			    "state with data counts 1",
			    (unsigned) s->leaves, d->code);
		}
		return TALLY_OK;
	}
	n = tally_catalog_leaves_for(cat, k, period);
	if (s->leaves > n) {
		return refuse(why, len,
		    "field leaves: %u, but %s has %zu leaf regions for %s",
		    (unsigned) s->leaves, d->code, n, p);
	}
	return TALLY_OK;
}

/* Whether code is a leaf region at or below the division at index k for
 * period. */
static bool
credits_leaf(const struct tally_catalog *cat, size_t k, const char *code,
    const struct tally_period *period)
{
	const struct tally_division *d = tally_catalog_division(cat, code);
	const char                  *r = cat->divisions[k].code;

	if (d == NULL || d->first_child != TALLY_NO_INDEX) {
		return false;
	}
	return strcmp(code, r) == 0 ||
	    tally_catalog_is_below_for(cat, r, code, period);
}

/* min and max of a leaf region: its own value, credited to itself. */
static int
leaf_minmax_admit(const struct tally_indicator *ind, const char *region,
    const struct tally_state *s, char *why, size_t len)
{
	double v;
	bool   has_value = tally_state_value(s, ind, &v) == TALLY_OK;

	if (!has_value && s->has_minmax) {
		return refuse(why, len,
		    "field min_value: a leaf's state without a value has no "
		    "min or max");
	}
	if (!has_value) {
		return TALLY_OK;
	}
	/* A node always sends its value as its min and max; a state
	 * without them only leaves the region out of the min and max above
	 * it, which is no wrong figure. */
	if (!s->has_minmax) {
		return TALLY_OK;
	}
	if (strcmp(s->min_region, region) != 0 ||
	    strcmp(s->max_region, region) != 0) {
		return refuse(why, len,
		    "field %s: %s, but the min and max of leaf %s are its "
		    "own",
		    strcmp(s->min_region, region) != 0 ? "min_region"
		                                       : "max_region",
		    strcmp(s->min_region, region) != 0 ? s->min_region
		                                       : s->max_region,
		    region);
	}
	if (!near(s->min_value, v) || !near(s->max_value, v)) {
		return refuse(why, len,
		    "field %s: %.15g, but the state's value is %.15g",
		    !near(s->min_value, v) ? "min_value" : "max_value",
		    !near(s->min_value, v) ? s->min_value : s->max_value, v);
	}
	return TALLY_OK;
}

/* min and max of an aggregate: leaves below it, bounded by the figure. */
static int
aggregate_minmax_admit(const struct tally_catalog *cat,
    const struct tally_indicator *ind, size_t k,
    const struct tally_period *period, const struct tally_state *s, char *why,
    size_t len)
{
	const char *r = cat->divisions[k].code;
	char        p[TALLY_PERIOD_STRLEN];
	double      v;

	if (!s->has_minmax) {
		return TALLY_OK;
	}
	tally_period_format(period, p);
	if (s->leaves == 0) {
		return refuse(why, len,
		    "field min_value: a min and max need a leaf counted "
		    "(leaves is 0)");
	}
	if (!credits_leaf(cat, k, s->min_region, period) ||
	    !credits_leaf(cat, k, s->max_region, period)) {
		bool min_bad = !credits_leaf(cat, k, s->min_region, period);
		return refuse(why, len,
		    "field %s: %s is not a leaf region below %s for %s",
		    min_bad ? "min_region" : "max_region",
		    min_bad ? s->min_region : s->max_region, r, p);
	}
	if (s->leaves == 1 &&
	    (s->min_value != s->max_value ||
	        strcmp(s->min_region, s->max_region) != 0)) {
		return refuse(why, len,
		    "field max_value: one leaf counted, so min and max are "
		    "the same leaf's value");
	}
	if (s->min_value < 0) {
		return refuse(why, len, "field min_value: %.15g is negative",
		    s->min_value);
	}
	if (ind->kind == TALLY_KIND_RATIO && ind->percent &&
	    !at_most(s->max_value, ind->factor)) {
		return refuse(why, len,
		    "field max_value: %.15g is above %.15g, the most a "
		    "percentage can be",
		    s->max_value, ind->factor);
	}
	if (ind->kind == TALLY_KIND_COUNT &&
	    tally_state_value(s, ind, &v) == TALLY_OK &&
	    !at_most(s->max_value, v)) {
		return refuse(why, len,
		    "field max_value: %.15g is above the total %.15g of the "
		    "count",
		    s->max_value, v);
	}
	return TALLY_OK;
}

/* The rules of a state without data. */
static int
empty_admit(const struct tally_state *s, char *why, size_t len)
{
	if (s->sum_a != 0 || s->sum_b != 0 || s->leaves != 0 ||
	    s->has_minmax) {
		return refuse(why, len,
		    "field newest_period: empty (a state without data), so "
		    "sums and leaves must be 0 and min and max absent");
	}
	return TALLY_OK;
}

int
tally_admit_withdrawn(const struct tally_state *s, char *why, size_t len)
{
	if (s->has_newest || s->sum_a != 0 || s->sum_b != 0 ||
	    s->leaves != 0 || s->has_minmax) {
		return refuse(why, len,
		    "field withdrawn: a withdrawn state holds no data, so "
		    "newest_period must be empty, sums and leaves 0 and min "
		    "and max absent");
	}
	return TALLY_OK;
}

int
tally_admit_reason(const char *text, char *why, size_t len)
{
	size_t n     = strlen(text);
	bool   blank = true;

	if (n > TALLY_ADMIT_REASON_MAX) {
		return refuse(why, len,
		    "%zu bytes, at most %d (about %d Chinese characters): "
		    "shorten it",
		    n, TALLY_ADMIT_REASON_MAX, TALLY_ADMIT_REASON_MAX / 3);
	}
	if (!tally_utf8_valid(text, n)) {
		return refuse(why, len, "not valid UTF-8 text");
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) text[i];

		if (c < 0x20 || c == 0x7f) {
			return refuse(why, len,
			    "one line of text without control characters "
			    "(line breaks, tabs)");
		}
		if (c != ' ') {
			blank = false;
		}
	}
	if (blank) {
		return refuse(why, len, "empty: say why");
	}
	return TALLY_OK;
}

int
tally_admit_state(const struct tally_catalog *cat,
    const struct tally_indicator *ind, const char *region,
    const struct tally_period *period, const struct tally_state *s, char *why,
    size_t len)
{
	const struct tally_division *d = tally_catalog_division(cat, region);
	size_t                       k;
	int                          rv;

	if (d == NULL) {
		return refuse(
		    why, len, "field region: unknown region %s", region);
	}
	k = (size_t) (d - cat->divisions);
	if (!s->has_newest) {
		return empty_admit(s, why, len);
	}
	if (!tally_period_contains(period, &s->newest)) {
		return refuse(why, len,
		    "field newest_period: not a period inside period");
	}
	if (s->has_minmax &&
	    (!isfinite(s->min_value) || !isfinite(s->max_value) ||
	        s->min_value > s->max_value)) {
		return refuse(why, len,
		    "field min_value: min %.15g and max %.15g must be finite "
		    "with min <= max",
		    s->min_value, s->max_value);
	}
	rv = sums_admit(ind, s, why, len);
	if (rv == TALLY_OK) {
		rv = leaves_admit(cat, k, period, s, why, len);
	}
	if (rv != TALLY_OK) {
		return rv;
	}
	if (d->first_child == TALLY_NO_INDEX) {
		return leaf_minmax_admit(ind, region, s, why, len);
	}
	return aggregate_minmax_admit(cat, ind, k, period, s, why, len);
}

int
tally_admit_version(
    uint64_t version, uint64_t now_us, int64_t skew_s, char *why, size_t len)
{
	uint64_t ahead;

	if (version <= now_us ||
	    version - now_us <= (uint64_t) skew_s * 1000000u) {
		return TALLY_OK;
	}
	ahead = version - now_us;
	if (ahead >= 86400000000ULL) {
		return refuse(why, len,
		    "field version: version %llu is %llu days ahead of this "
		    "hub's clock",
		    (unsigned long long) version,
		    (unsigned long long) (ahead / 86400000000ULL));
	}
	return refuse(why, len,
	    "field version: version %llu is %llu seconds ahead of this hub's "
	    "clock",
	    (unsigned long long) version,
	    (unsigned long long) (ahead / 1000000u));
}

int
tally_admit_mint(
    uint64_t now_us, uint64_t newest, int64_t skew_s, char *why, size_t len)
{
	uint64_t behind;

	if (now_us < TALLY_ADMIT_EPOCH_US) {
		return refuse(why, len,
		    "this machine's clock reads %llu s since 1970, before "
		    "2020: set the clock right before recording",
		    (unsigned long long) (now_us / 1000000u));
	}
	if (newest <= now_us ||
	    newest - now_us <= (uint64_t) skew_s * 1000000u) {
		return TALLY_OK;
	}
	behind = newest - now_us;
	return refuse(why, len,
	    "this machine's clock is %llu days behind version %llu, which "
	    "this store already made: one of the two clocks was wrong; set "
	    "the clock right before recording",
	    (unsigned long long) ((behind + 43200000000ULL) / 86400000000ULL),
	    (unsigned long long) newest);
}

uint64_t
tally_admit_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

/*
 * The partial-state arithmetic declared in rollup.h.
 */
#include "rollup.h"

#include "errors.h"

#include <stdio.h>
#include <string.h>

void
tally_state_init(struct tally_state *s)
{
	memset(s, 0, sizeof(*s));
}

/* The (a, b) contribution of one observation, by kind. */
static void
obs_sums(const struct tally_indicator *ind, const struct tally_obs *o,
    double *a, double *b)
{
	switch (ind->kind) {
	case TALLY_KIND_RATIO:
		*a = o->num;
		*b = o->den;
		break;
	case TALLY_KIND_WMEAN:
		*a = o->value * o->weight;
		*b = o->weight;
		break;
	default:
		*a = o->value;
		*b = 0;
		break;
	}
}

static bool
period_later(const struct tally_period *a, const struct tally_period *b)
{
	return tally_period_last_month(a) > tally_period_last_month(b);
}

int
tally_state_own(const struct tally_indicator *ind, const char *region,
    bool is_leaf, const struct tally_obs *obs, size_t n,
    const struct tally_period *period, struct tally_state *out)
{
	struct tally_state      s;
	const struct tally_obs *latest = NULL;
	double                  a, b, v;

	tally_state_init(&s);
	for (size_t i = 0; i < n; i++) {
		const struct tally_obs *o = &obs[i];

		if (!tally_period_contains(period, &o->period)) {
			continue;
		}
		if (latest == NULL ||
		    period_later(&o->period, &latest->period)) {
			latest = o;
		}
		if (ind->time_agg == TALLY_TIME_LAST) {
			continue;
		}
		/* sum and weighted_mean both add the sub-periods' sums; for a
		 * weighted mean those are Σw·x and Σw. */
		obs_sums(ind, o, &a, &b);
		s.sum_a += a;
		s.sum_b += b;
	}
	if (latest == NULL) {
		return TALLY_ENOENT;
	}
	if (ind->time_agg == TALLY_TIME_LAST) {
		obs_sums(ind, latest, &s.sum_a, &s.sum_b);
	}
	s.leaves     = is_leaf ? 1 : 0;
	s.has_newest = true;
	s.newest     = latest->period;
	if (is_leaf && tally_state_value(&s, ind, &v) == TALLY_OK) {
		s.has_minmax = true;
		s.min_value  = v;
		s.max_value  = v;
		snprintf(s.min_region, sizeof(s.min_region), "%s", region);
		snprintf(s.max_region, sizeof(s.max_region), "%s", region);
	}
	*out = s;
	return TALLY_OK;
}

void
tally_state_merge(struct tally_state *into, const struct tally_state *from)
{
	into->sum_a += from->sum_a;
	into->sum_b += from->sum_b;
	into->leaves += from->leaves;
	if (from->has_minmax) {
		/* Ties go to the lower region code, so that the answer does
		 * not depend on the order of merging. */
		if (!into->has_minmax || from->min_value < into->min_value ||
		    (from->min_value == into->min_value &&
		        strcmp(from->min_region, into->min_region) < 0)) {
			into->min_value = from->min_value;
			memcpy(into->min_region, from->min_region,
			    sizeof(into->min_region));
		}
		if (!into->has_minmax || from->max_value > into->max_value ||
		    (from->max_value == into->max_value &&
		        strcmp(from->max_region, into->max_region) < 0)) {
			into->max_value = from->max_value;
			memcpy(into->max_region, from->max_region,
			    sizeof(into->max_region));
		}
		into->has_minmax = true;
	}
	if (from->has_newest &&
	    (!into->has_newest ||
	        period_later(&from->newest, &into->newest))) {
		into->newest     = from->newest;
		into->has_newest = true;
	}
}

int
tally_state_value(const struct tally_state *s,
    const struct tally_indicator *ind, double *out)
{
	if (!s->has_newest) {
		return TALLY_ENOENT;
	}
	switch (ind->kind) {
	case TALLY_KIND_RATIO:
		if (s->sum_b == 0) {
			return TALLY_ENOENT;
		}
		*out = ind->factor * s->sum_a / s->sum_b;
		return TALLY_OK;
	case TALLY_KIND_WMEAN:
		if (s->sum_b == 0) {
			return TALLY_ENOENT;
		}
		*out = s->sum_a / s->sum_b;
		return TALLY_OK;
	default:
		*out = ind->factor * s->sum_a;
		return TALLY_OK;
	}
}

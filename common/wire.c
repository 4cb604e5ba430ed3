/*
 * The protobuf-c codec declared in wire.h.
 */
#include "wire.h"

#include "text.h"

#include "tally.pb-c.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int
tally_wire_state_encode(const struct tally_indicator *ind,
    const struct tally_period *period, const struct tally_state *s,
    uint64_t version, uint8_t **buf, size_t *len)
{
	Tally__PartialState m = TALLY__PARTIAL_STATE__INIT;
	char                ptext[TALLY_PERIOD_STRLEN];
	char                newest[TALLY_PERIOD_STRLEN];
	char                minr[TALLY_REGION_STRLEN];
	char                maxr[TALLY_REGION_STRLEN];
	uint8_t            *out;
	size_t              n;

	tally_period_format(period, ptext);
	m.indicator = ind->id;
	m.period    = ptext;
	m.sum_a     = s->sum_a;
	m.sum_b     = s->sum_b;
	m.leaves    = s->leaves;
	m.version   = version;
	if (s->has_minmax) {
		memcpy(minr, s->min_region, sizeof(minr));
		memcpy(maxr, s->max_region, sizeof(maxr));
		m.has_min_value = 1;
		m.min_value     = s->min_value;
		m.min_region    = minr;
		m.has_max_value = 1;
		m.max_value     = s->max_value;
		m.max_region    = maxr;
	}
	if (s->has_newest) {
		tally_period_format(&s->newest, newest);
		m.newest_period = newest;
	}
	n   = tally__partial_state__get_packed_size(&m);
	out = malloc(n > 0 ? n : 1);
	if (out == NULL) {
		return TALLY_ENOMEM;
	}
	tally__partial_state__pack(&m, out);
	*buf = out;
	*len = n;
	return TALLY_OK;
}

static bool
finite_nonneg(double v)
{
	return isfinite(v) && v >= 0;
}

static int
validate(const struct tally_catalog *cat, const Tally__PartialState *m,
    const struct tally_indicator **indp, struct tally_period *period,
    struct tally_state *s, struct tally_errbuf *eb)
{
	const struct tally_indicator *ind;

	/* protobuf-c keeps fields it does not know; a sender that speaks a
	 * newer schema must not have its data half-understood. */
	if (m->base.n_unknown_fields != 0) {
		return tally_fail(eb, TALLY_EPROTO, "unknown fields present");
	}
	ind = tally_catalog_indicator(cat, m->indicator);
	if (ind == NULL) {
		return tally_fail(
		    eb, TALLY_EPROTO, "field indicator: unknown indicator");
	}
	if (tally_period_parse(m->period, period) != TALLY_OK) {
		return tally_fail(
		    eb, TALLY_EPROTO, "field period: malformed period");
	}
	if (!finite_nonneg(m->sum_a) || !finite_nonneg(m->sum_b)) {
		return tally_fail(eb, TALLY_EPROTO,
		    "field sum_a/sum_b: not a finite non-negative number");
	}
	if (ind->kind == TALLY_KIND_COUNT && m->sum_b != 0) {
		return tally_fail(
		    eb, TALLY_EPROTO, "field sum_b: must be 0 for a count");
	}
	if (m->has_min_value != m->has_max_value ||
	    (m->min_region == NULL) != (m->max_region == NULL) ||
	    (m->has_min_value && m->min_region == NULL)) {
		return tally_fail(
		    eb, TALLY_EPROTO, "field min/max: incomplete");
	}
	tally_state_init(s);
	s->sum_a  = m->sum_a;
	s->sum_b  = m->sum_b;
	s->leaves = m->leaves;
	if (m->has_min_value) {
		if (!tally_region_code_valid(m->min_region) ||
		    !tally_region_code_valid(m->max_region) ||
		    !isfinite(m->min_value) || !isfinite(m->max_value) ||
		    m->min_value > m->max_value) {
			return tally_fail(
			    eb, TALLY_EPROTO, "field min/max: invalid");
		}
		s->has_minmax = true;
		s->min_value  = m->min_value;
		s->max_value  = m->max_value;
		memcpy(s->min_region, m->min_region, TALLY_REGION_STRLEN);
		memcpy(s->max_region, m->max_region, TALLY_REGION_STRLEN);
	}
	if (m->newest_period != NULL) {
		if (tally_period_parse(m->newest_period, &s->newest) !=
		        TALLY_OK ||
		    !tally_period_contains(period, &s->newest)) {
			return tally_fail(eb, TALLY_EPROTO,
			    "field newest_period: not a period inside period");
		}
		s->has_newest = true;
	}
	*indp = ind;
	return TALLY_OK;
}

int
tally_wire_state_decode(const struct tally_catalog *cat, const uint8_t *buf,
    size_t len, const struct tally_indicator **ind,
    struct tally_period *period, struct tally_state *s, uint64_t *version,
    struct tally_errbuf *eb)
{
	Tally__PartialState          *m;
	const struct tally_indicator *i = NULL;
	struct tally_period           p;
	struct tally_state            st;
	int                           rv;

	if (len > TALLY_WIRE_STATE_MAX) {
		return tally_fail(eb, TALLY_EPROTO,
		    "state of %zu bytes exceeds the limit of %d", len,
		    TALLY_WIRE_STATE_MAX);
	}
	m = tally__partial_state__unpack(NULL, len, buf);
	if (m == NULL) {
		return tally_fail(eb, TALLY_EPROTO, "malformed state");
	}
	rv = validate(cat, m, &i, &p, &st, eb);
	if (rv == TALLY_OK) {
		*ind     = i;
		*period  = p;
		*s       = st;
		*version = m->version;
	}
	tally__partial_state__free_unpacked(m, NULL);
	return rv;
}

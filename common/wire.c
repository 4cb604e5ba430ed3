/*
 * The protobuf-c codec declared in wire.h. protobuf-c types stay inside
 * this file; the rest of Tally sees only the structures of wire.h.
 */
#include "wire.h"

#include "text.h"

#include "tally.pb-c.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Wraps body in an envelope, in a new buffer. */
static int
envelope_pack(const uint8_t *body, size_t blen, uint8_t **buf, size_t *len)
{
	Tally__Envelope env = TALLY__ENVELOPE__INIT;
	uint8_t        *out;
	size_t          n;

	env.body.data = (uint8_t *) body;
	env.body.len  = blen;
	n             = tally__envelope__get_packed_size(&env);
	out           = malloc(n > 0 ? n : 1);
	if (out == NULL) {
		return TALLY_ENOMEM;
	}
	tally__envelope__pack(&env, out);
	*buf = out;
	*len = n;
	return TALLY_OK;
}

static Tally__Envelope *
envelope_unpack(const uint8_t *buf, size_t len, struct tally_errbuf *eb)
{
	Tally__Envelope *env;

	if (len > TALLY_WIRE_MSG_MAX) {
		tally_fail(eb, TALLY_EPROTO, "message of %zu bytes is over %u",
		    len, TALLY_WIRE_MSG_MAX);
		return NULL;
	}
	env = tally__envelope__unpack(NULL, len, buf);
	if (env == NULL) {
		tally_fail(eb, TALLY_EPROTO, "malformed envelope");
		return NULL;
	}
	if (env->base.n_unknown_fields != 0) {
		tally_fail(eb, TALLY_EPROTO, "envelope: unknown fields");
		tally__envelope__free_unpacked(env, NULL);
		return NULL;
	}
	return env;
}

/* Copies untrusted text for echoing back, cut to fit and never invalid
 * UTF-8 (an invalid string is echoed as "?"). */
static void
copy_echo(char *dst, size_t cap, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= cap) {
		n = cap - 1;
	}
	if (src == NULL || !tally_utf8_valid(src, n)) {
		snprintf(dst, cap, "?");
		return;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool
finite_nonneg(double v)
{
	return isfinite(v) && v >= 0;
}

/* Validates one state; on failure returns the reason. */
static const char *
state_check(const struct tally_catalog *cat, const Tally__PartialState *m,
    struct tally_wire_state *ws)
{
	struct tally_state *s = &ws->state;

	if (m->base.n_unknown_fields != 0) {
		return "unknown fields";
	}
	ws->ind = tally_catalog_indicator(cat, m->indicator);
	if (ws->ind == NULL) {
		return "unknown indicator";
	}
	if (tally_period_parse(m->period, &ws->period) != TALLY_OK) {
		return "malformed period";
	}
	if (!finite_nonneg(m->sum_a) || !finite_nonneg(m->sum_b)) {
		return "sums must be finite and not negative";
	}
	if (ws->ind->kind == TALLY_KIND_COUNT && m->sum_b != 0) {
		return "sum_b must be 0 for a count";
	}
	if (m->leaves > 100000) {
		return "leaves out of range";
	}
	if (m->has_min_value != m->has_max_value ||
	    (m->min_region == NULL) != (m->max_region == NULL) ||
	    (m->has_min_value != (m->min_region != NULL))) {
		return "min and max must come together";
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
			return "invalid min or max";
		}
		s->has_minmax = true;
		s->min_value  = m->min_value;
		s->max_value  = m->max_value;
		memcpy(s->min_region, m->min_region, TALLY_REGION_STRLEN);
		memcpy(s->max_region, m->max_region, TALLY_REGION_STRLEN);
	}
	if (tally_period_parse(m->newest_period, &s->newest) != TALLY_OK ||
	    !tally_period_contains(&ws->period, &s->newest)) {
		return "newest_period is not a period inside period";
	}
	s->has_newest = true;
	if (m->version == 0 || m->version > (uint64_t) INT64_MAX) {
		return "version out of range";
	}
	ws->version = m->version;
	return NULL;
}

int
tally_submission_encode(
    const struct tally_submission *sub, uint8_t **buf, size_t *len)
{
	Tally__Submission     m              = TALLY__SUBMISSION__INIT;
	Tally__PartialState  *pstates        = NULL;
	Tally__PartialState **ptrs           = NULL;
	char(*texts)[4][TALLY_PERIOD_STRLEN] = NULL;
	uint8_t *body                        = NULL;
	size_t   blen;
	int      rv = TALLY_ENOMEM;

	if (sub->n_states > 0) {
		pstates = calloc(sub->n_states, sizeof(*pstates));
		ptrs    = calloc(sub->n_states, sizeof(*ptrs));
		texts   = calloc(sub->n_states, sizeof(*texts));
		if (pstates == NULL || ptrs == NULL || texts == NULL) {
			goto fail;
		}
	}
	for (size_t i = 0; i < sub->n_states; i++) {
		const struct tally_wire_state *ws = &sub->states[i];
		Tally__PartialState           *p  = &pstates[i];
		char(*t)[TALLY_PERIOD_STRLEN]     = texts[i];

		tally__partial_state__init(p);
		tally_period_format(&ws->period, t[0]);
		tally_period_format(&ws->state.newest, t[1]);
		p->indicator     = ws->ind->id;
		p->period        = t[0];
		p->sum_a         = ws->state.sum_a;
		p->sum_b         = ws->state.sum_b;
		p->leaves        = ws->state.leaves;
		p->newest_period = t[1];
		p->version       = ws->version;
		if (ws->state.has_minmax) {
			memcpy(
			    t[2], ws->state.min_region, TALLY_REGION_STRLEN);
			memcpy(
			    t[3], ws->state.max_region, TALLY_REGION_STRLEN);
			p->has_min_value = 1;
			p->min_value     = ws->state.min_value;
			p->min_region    = t[2];
			p->has_max_value = 1;
			p->max_value     = ws->state.max_value;
			p->max_region    = t[3];
		}
		ptrs[i] = p;
	}
	m.sender         = (char *) sub->sender;
	m.hub            = (char *) sub->hub;
	m.sender_version = sub->sender_version;
	m.sent_at        = sub->sent_at_ms;
	m.n_states       = sub->n_states;
	m.states         = ptrs;
	blen             = tally__submission__get_packed_size(&m);
	body             = malloc(blen > 0 ? blen : 1);
	if (body == NULL) {
		goto fail;
	}
	tally__submission__pack(&m, body);
	rv = envelope_pack(body, blen, buf, len);
fail:
	free(body);
	free(pstates);
	free(ptrs);
	free(texts);
	return rv;
}

int
tally_submission_decode(const struct tally_catalog *cat, const uint8_t *buf,
    size_t len, struct tally_submission **out, struct tally_errbuf *eb)
{
	Tally__Envelope         *env;
	Tally__Submission       *m   = NULL;
	struct tally_submission *sub = NULL;
	int                      rv  = TALLY_EPROTO;

	env = envelope_unpack(buf, len, eb);
	if (env == NULL) {
		return TALLY_EPROTO;
	}
	m = tally__submission__unpack(NULL, env->body.len, env->body.data);
	if (m == NULL) {
		tally_fail(eb, rv, "malformed submission");
		goto fail;
	}
	if (m->base.n_unknown_fields != 0) {
		tally_fail(eb, rv, "submission: unknown fields");
		goto fail;
	}
	if (!tally_region_code_valid(m->sender)) {
		tally_fail(eb, rv, "field sender: not a region code");
		goto fail;
	}
	if (!tally_region_code_valid(m->hub)) {
		tally_fail(eb, rv, "field hub: not a region code");
		goto fail;
	}
	if (m->n_states > TALLY_WIRE_STATES_MAX) {
		tally_fail(eb, rv, "field states: %zu states, at most %d",
		    m->n_states, TALLY_WIRE_STATES_MAX);
		goto fail;
	}
	sub = calloc(1, sizeof(*sub));
	if (sub != NULL && m->n_states > 0) {
		sub->states = calloc(m->n_states, sizeof(*sub->states));
	}
	if (sub == NULL || (m->n_states > 0 && sub->states == NULL)) {
		rv = tally_fail(eb, TALLY_ENOMEM, "out of memory");
		goto fail;
	}
	memcpy(sub->sender, m->sender, TALLY_REGION_STRLEN);
	memcpy(sub->hub, m->hub, TALLY_REGION_STRLEN);
	sub->sender_version = m->sender_version;
	sub->sent_at_ms     = m->sent_at;
	sub->n_states       = m->n_states;
	for (size_t i = 0; i < m->n_states; i++) {
		struct tally_wire_state *ws = &sub->states[i];
		const char              *why;

		copy_echo(ws->indicator, sizeof(ws->indicator),
		    m->states[i]->indicator);
		copy_echo(ws->period_text, sizeof(ws->period_text),
		    m->states[i]->period);
		ws->version = m->states[i]->version;
		why         = state_check(cat, m->states[i], ws);
		if (why != NULL) {
			ws->ind    = NULL;
			ws->status = TALLY_ACK_REJECTED;
			snprintf(ws->reason, sizeof(ws->reason), "%s", why);
		}
	}
	*out = sub;
	sub  = NULL;
	rv   = TALLY_OK;
fail:
	tally_submission_free(sub);
	if (m != NULL) {
		tally__submission__free_unpacked(m, NULL);
	}
	tally__envelope__free_unpacked(env, NULL);
	return rv;
}

void
tally_submission_free(struct tally_submission *sub)
{
	if (sub == NULL) {
		return;
	}
	free(sub->states);
	free(sub);
}

int
tally_ack_encode(const struct tally_ack *ack, uint8_t **buf, size_t *len)
{
	Tally__Ack        m     = TALLY__ACK__INIT;
	Tally__StateAck  *items = NULL;
	Tally__StateAck **ptrs  = NULL;
	uint8_t          *body  = NULL;
	size_t            blen;
	int               rv = TALLY_ENOMEM;

	if (ack->n_items > 0) {
		items = calloc(ack->n_items, sizeof(*items));
		ptrs  = calloc(ack->n_items, sizeof(*ptrs));
		if (items == NULL || ptrs == NULL) {
			goto fail;
		}
	}
	for (size_t i = 0; i < ack->n_items; i++) {
		const struct tally_ack_item *it = &ack->items[i];

		tally__state_ack__init(&items[i]);
		items[i].indicator = (char *) it->indicator;
		items[i].period    = (char *) it->period;
		items[i].version   = it->version;
		items[i].status    = (Tally__AckStatus) it->status;
		if (it->reason[0] != '\0') {
			items[i].reason = (char *) it->reason;
		}
		ptrs[i] = &items[i];
	}
	m.hub_instance = (char *) ack->hub_instance;
	m.n_states     = ack->n_items;
	m.states       = ptrs;
	if (ack->has_error) {
		m.error = (char *) ack->error;
	}
	blen = tally__ack__get_packed_size(&m);
	body = malloc(blen > 0 ? blen : 1);
	if (body == NULL) {
		goto fail;
	}
	tally__ack__pack(&m, body);
	rv = envelope_pack(body, blen, buf, len);
fail:
	free(body);
	free(items);
	free(ptrs);
	return rv;
}

int
tally_ack_decode(const uint8_t *buf, size_t len, struct tally_ack **out,
    struct tally_errbuf *eb)
{
	Tally__Envelope  *env;
	Tally__Ack       *m   = NULL;
	struct tally_ack *ack = NULL;
	int               rv  = TALLY_EPROTO;

	env = envelope_unpack(buf, len, eb);
	if (env == NULL) {
		return TALLY_EPROTO;
	}
	m = tally__ack__unpack(NULL, env->body.len, env->body.data);
	if (m == NULL || m->base.n_unknown_fields != 0 ||
	    m->n_states > TALLY_WIRE_STATES_MAX ||
	    strlen(m->hub_instance) >= TALLY_WIRE_TEXT_MAX) {
		tally_fail(eb, rv, "malformed acknowledgement");
		goto fail;
	}
	ack = calloc(1, sizeof(*ack));
	if (ack != NULL && m->n_states > 0) {
		ack->items = calloc(m->n_states, sizeof(*ack->items));
	}
	if (ack == NULL || (m->n_states > 0 && ack->items == NULL)) {
		rv = tally_fail(eb, TALLY_ENOMEM, "out of memory");
		goto fail;
	}
	copy_echo(
	    ack->hub_instance, sizeof(ack->hub_instance), m->hub_instance);
	if (m->error != NULL) {
		ack->has_error = true;
		copy_echo(ack->error, sizeof(ack->error), m->error);
	}
	ack->n_items = m->n_states;
	for (size_t i = 0; i < m->n_states; i++) {
		Tally__StateAck       *s  = m->states[i];
		struct tally_ack_item *it = &ack->items[i];

		if (s->base.n_unknown_fields != 0 ||
		    (int) s->status < TALLY_ACK_ACCEPTED ||
		    (int) s->status > TALLY_ACK_REJECTED) {
			tally_fail(eb, rv, "malformed acknowledgement item");
			goto fail;
		}
		copy_echo(it->indicator, sizeof(it->indicator), s->indicator);
		copy_echo(it->period, sizeof(it->period), s->period);
		it->version = s->version;
		it->status  = (int) s->status;
		if (s->reason != NULL) {
			copy_echo(it->reason, sizeof(it->reason), s->reason);
		}
	}
	*out = ack;
	ack  = NULL;
	rv   = TALLY_OK;
fail:
	tally_ack_free(ack);
	if (m != NULL) {
		tally__ack__free_unpacked(m, NULL);
	}
	tally__envelope__free_unpacked(env, NULL);
	return rv;
}

void
tally_ack_free(struct tally_ack *ack)
{
	if (ack == NULL) {
		return;
	}
	free(ack->items);
	free(ack);
}

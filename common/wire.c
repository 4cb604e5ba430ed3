/*
 * The protobuf-c codec declared in wire.h. protobuf-c types stay inside
 * this file and envelope.c (the outer envelope); the rest of Tally sees
 * only the structures of wire.h.
 */
#include "wire.h"

#include "admit.h"
#include "approval.h"
#include "budget.h"
#include "envelope.h"
#include "pbwhy.h"
#include "text.h"

#include "tally.pb-c.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(TALLY_WIRE_MSG_MAX == TALLY_ENVELOPE_MAX,
    "one size limit for what travels");

/* Every string a peer sends must be short, well-formed UTF-8 without
 * control characters before anything reads, logs, echoes or stores it:
 * a line break in a logged indicator would forge a log line. */
static bool
text_ok(const char *s, size_t cap)
{
	size_t n;

	if (s == NULL) {
		return true;
	}
	n = strnlen(s, cap);
	if (n >= cap) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) {
			return false;
		}
	}
	return tally_utf8_valid(s, n);
}

/* Checks the form of every string of a submission; NULL when all are
 * good, else the field that is not. */
static const char *
submission_texts_ok(const Tally__Submission *m, size_t *bad_state)
{
	if (!text_ok(m->sender, TALLY_WIRE_TEXT_MAX)) {
		return "sender";
	}
	if (!text_ok(m->hub, TALLY_WIRE_TEXT_MAX)) {
		return "hub";
	}
	for (size_t i = 0; i < m->n_states; i++) {
		const Tally__PartialState *p = m->states[i];

		*bad_state = i;
		if (!text_ok(p->indicator, TALLY_WIRE_TEXT_MAX)) {
			return "indicator";
		}
		if (!text_ok(p->period, TALLY_WIRE_TEXT_MAX)) {
			return "period";
		}
		if (!text_ok(p->newest_period, TALLY_WIRE_TEXT_MAX)) {
			return "newest_period";
		}
		if (!text_ok(p->min_region, TALLY_WIRE_TEXT_MAX)) {
			return "min_region";
		}
		if (!text_ok(p->max_region, TALLY_WIRE_TEXT_MAX)) {
			return "max_region";
		}
		if (!text_ok(p->region, TALLY_WIRE_TEXT_MAX)) {
			return "region";
		}
		if (!text_ok(p->origin_key_id, TALLY_WIRE_TEXT_MAX)) {
			return "origin_key_id";
		}
		if (!text_ok(p->leaves_out, TALLY_WIRE_TEXT_MAX)) {
			return "leaves_out";
		}
		if (!text_ok(p->change_reason, TALLY_WIRE_CHANGE_REASON_MAX)) {
			return "change_reason";
		}
	}
	return NULL;
}

/* Whether text is the text form of what a region leaves out (catalog.h):
 * one to TALLY_LEAVES_OUT_MAX region codes, ascending, joined by commas.
 * An empty string is not: "nothing" is sent as no field at all, so that
 * one set has one encoding and one signed claim. */
static bool
leaves_out_valid(const char *text)
{
	const char *prev = NULL;
	size_t      n    = strlen(text);

	if (n == 0 || n >= TALLY_LEAVES_OUT_STRLEN) {
		return false;
	}
	for (const char *c = text;; c += TALLY_REGION_STRLEN) {
		char code[TALLY_REGION_STRLEN];

		memcpy(code, c, TALLY_REGION_STRLEN - 1);
		code[TALLY_REGION_STRLEN - 1] = '\0';
		if (strlen(code) != TALLY_REGION_STRLEN - 1 ||
		    !tally_region_code_valid(code) ||
		    (prev != NULL &&
		        memcmp(prev, c, TALLY_REGION_STRLEN - 1) >= 0)) {
			return false;
		}
		prev = c;
		if (c[TALLY_REGION_STRLEN - 1] == '\0') {
			return true;
		}
		if (c[TALLY_REGION_STRLEN - 1] != ',') {
			return false;
		}
	}
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
	/* What is echoed is also logged: one line, no escape sequences. */
	tally_one_line(dst);
}

/* Received times later than the year 2999 are refused as nonsense. */
#define WIRE_TIME_MAX_MS 32503680000000LL

/* Reads the figures of one state into ws->state after checking their
 * form; what they may be is for admit.h. On failure returns the reason,
 * which may be written in ws->reason. */
static const char *
state_figures(const Tally__PartialState *m, struct tally_wire_state *ws)
{
	struct tally_state *s = &ws->state;

	/* uint64 on the wire, so that a value beyond 32 bits is seen, not
	 * cut to its low bits by the decoder. */
	if (m->leaves > TALLY_WIRE_LEAVES_MAX) {
		snprintf(ws->reason, sizeof(ws->reason),
		    "field leaves: %llu is out of range (at most %u)",
		    (unsigned long long) m->leaves, TALLY_WIRE_LEAVES_MAX);
		return ws->reason;
	}
	if (m->has_min_value != m->has_max_value ||
	    (m->min_region == NULL) != (m->max_region == NULL) ||
	    (m->has_min_value != (m->min_region != NULL))) {
		return "min and max must come together";
	}
	tally_state_init(s);
	s->sum_a  = m->sum_a;
	s->sum_b  = m->sum_b;
	s->leaves = (uint32_t) m->leaves;
	if (m->has_min_value) {
		if (!tally_region_code_valid(m->min_region) ||
		    !tally_region_code_valid(m->max_region)) {
			return "field min_region: not a region code";
		}
		s->has_minmax = true;
		s->min_value  = m->min_value;
		s->max_value  = m->max_value;
		memcpy(s->min_region, m->min_region, TALLY_REGION_STRLEN);
		memcpy(s->max_region, m->max_region, TALLY_REGION_STRLEN);
	}
	/* An empty newest period is a state without data: a figure that lost
	 * the last data it had (proto/tally.proto), which holds nothing. */
	if (m->newest_period[0] != '\0') {
		if (tally_period_parse(m->newest_period, &s->newest) !=
		    TALLY_OK) {
			return "field newest_period: malformed period";
		}
		s->has_newest = true;
	}
	return NULL;
}

/* Validates one state; on failure returns the reason, which may be
 * written in ws->reason. */
static const char *
state_check(const struct tally_catalog *cat, const Tally__PartialState *m,
    struct tally_wire_state *ws)
{
	const char *why;

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
	why = state_figures(m, ws);
	if (why != NULL) {
		return why;
	}
	if (m->version == 0 || m->version > (uint64_t) INT64_MAX) {
		return "version out of range";
	}
	ws->version = m->version;
	if (m->region != NULL && !tally_region_code_valid(m->region)) {
		return "region is not a region code";
	}
	if (m->has_received_at != m->has_first_received_at ||
	    (m->has_received_at && m->region == NULL)) {
		return "received times come together, and only with a region";
	}
	if (m->has_received_at &&
	    (m->first_received_at <= 0 || m->received_at <= 0 ||
	        m->first_received_at > m->received_at ||
	        m->received_at > WIRE_TIME_MAX_MS)) {
		return "received times out of range";
	}
	if (m->has_received_at) {
		ws->first_received_ms = m->first_received_at;
		ws->received_ms       = m->received_at;
	}
	if (m->has_origin_signature != (m->origin_key_id != NULL)) {
		return "origin_signature and origin_key_id come together";
	}
	if (m->has_origin_signature) {
		if (m->origin_signature.len != TALLY_SIGN_BYTES) {
			return "origin_signature is not 64 bytes";
		}
		if (!tally_key_id_valid(m->origin_key_id)) {
			return "origin_key_id is not a key id (16 lowercase "
			       "hex "
			       "digits)";
		}
		ws->has_origin = true;
		memcpy(ws->origin_sig, m->origin_signature.data,
		    TALLY_SIGN_BYTES);
		memcpy(
		    ws->origin_key_id, m->origin_key_id, TALLY_KEY_ID_STRLEN);
	}
	if (m->leaves_out != NULL && !leaves_out_valid(m->leaves_out)) {
		return "leaves_out is not region codes in ascending order "
		       "joined by commas";
	}
	if (m->leaves_out != NULL) {
		snprintf(ws->leaves_out, sizeof(ws->leaves_out), "%s",
		    m->leaves_out);
	}
	/* One encoding for "no reason": the field absent, as leaves_out. */
	if (m->change_reason != NULL && m->change_reason[0] == '\0') {
		return "change_reason is empty: absent for none";
	}
	if (m->change_reason != NULL) {
		snprintf(ws->change_reason, sizeof(ws->change_reason), "%s",
		    m->change_reason);
	}
	ws->withdrawn = m->has_withdrawn && m->withdrawn;
	return NULL;
}

/* Holds a well-formed state to the rules of admit.h, as a state of its
 * region (the sender's own when it has none). */
static const char *
state_admit(const struct tally_catalog *cat, const char *sender,
    struct tally_wire_state *ws)
{
	const char *region = ws->region[0] != '\0' ? ws->region : sender;

	if (ws->withdrawn &&
	    tally_admit_withdrawn(
	        &ws->state, ws->reason, sizeof(ws->reason)) != TALLY_OK) {
		return ws->reason;
	}
	if (tally_admit_state(cat, ws->ind, region, &ws->period, &ws->state,
	        ws->reason, sizeof(ws->reason)) != TALLY_OK) {
		return ws->reason;
	}
	return NULL;
}

/* An approval as the wire carries it; the texts stay a's. */
static void
approval_encode(const struct tally_approval *a, Tally__Approval *p)
{
	tally__approval__init(p);
	p->approver    = (char *) a->approver;
	p->child       = (char *) a->child;
	p->period      = (char *) a->period;
	p->approved_at = a->approved_ms;
	p->states      = a->states;
	p->digest      = (char *) a->digest;
	if (a->signature[0] != '\0') {
		p->key_id     = (char *) a->key_id;
		p->public_key = (char *) a->public_key;
		p->signature  = (char *) a->signature;
	}
	if (a->note[0] != '\0') {
		p->note = (char *) a->note;
	}
	if (a->reopened_ms > 0) {
		p->has_reopened_at = 1;
		p->reopened_at     = a->reopened_ms;
		p->reopen_reason   = (char *) a->reopen_reason;
	}
}

/* Whether text is n lowercase hex digits. */
static bool
hex_ok(const char *text, size_t n)
{
	if (strlen(text) != n) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!((text[i] >= '0' && text[i] <= '9') ||
		        (text[i] >= 'a' && text[i] <= 'f'))) {
			return false;
		}
	}
	return true;
}

/* One approval from the wire, checked field by field: NULL when good,
 * else the field that is not. */
static const char *
approval_decode(const Tally__Approval *p, struct tally_approval *a)
{
	struct tally_period per;
	bool                signed_ = p->signature != NULL;

	memset(a, 0, sizeof(*a));
	if (p->base.n_unknown_fields != 0) {
		return "(unknown field)";
	}
	if (!tally_region_code_valid(p->approver)) {
		return "approver";
	}
	if (!tally_region_code_valid(p->child)) {
		return "child";
	}
	if (tally_period_parse(p->period, &per) != 0) {
		return "period";
	}
	if (p->approved_at <= 0) {
		return "approved_at";
	}
	if (!hex_ok(p->digest, TALLY_APPROVAL_DIGEST_HEX - 1)) {
		return "digest";
	}
	if (signed_ != (p->key_id != NULL) ||
	    signed_ != (p->public_key != NULL)) {
		return "signature";
	}
	if (signed_ &&
	    (!hex_ok(p->signature, TALLY_APPROVAL_SIG_HEX - 1) ||
	        !tally_key_id_valid(p->key_id) ||
	        strlen(p->public_key) >= TALLY_PUBLIC_B64_STRLEN)) {
		return "signature";
	}
	if (p->note != NULL &&
	    !text_ok(p->note, TALLY_APPROVAL_TEXT_MAX + 1)) {
		return "note";
	}
	if (p->has_reopened_at != (p->reopen_reason != NULL) ||
	    (p->has_reopened_at && p->reopened_at <= 0) ||
	    (p->reopen_reason != NULL &&
	        !text_ok(p->reopen_reason, TALLY_APPROVAL_TEXT_MAX + 1))) {
		return "reopened_at";
	}
	snprintf(a->approver, sizeof(a->approver), "%s", p->approver);
	snprintf(a->child, sizeof(a->child), "%s", p->child);
	tally_period_format(&per, a->period);
	a->approved_ms = p->approved_at;
	a->states      = p->states;
	snprintf(a->digest, sizeof(a->digest), "%s", p->digest);
	if (signed_) {
		snprintf(a->key_id, sizeof(a->key_id), "%s", p->key_id);
		snprintf(
		    a->public_key, sizeof(a->public_key), "%s", p->public_key);
		snprintf(
		    a->signature, sizeof(a->signature), "%s", p->signature);
	}
	snprintf(
	    a->note, sizeof(a->note), "%s", p->note != NULL ? p->note : "");
	if (p->has_reopened_at) {
		a->reopened_ms = p->reopened_at;
		snprintf(a->reopen_reason, sizeof(a->reopen_reason), "%s",
		    p->reopen_reason);
	}
	return NULL;
}

/* The approvals of m, into sub; TALLY_EDATA with eb on the first bad. */
static int
approvals_decode(const Tally__Submission *m, struct tally_submission *sub,
    struct tally_errbuf *eb)
{
	if (m->n_approvals == 0) {
		return TALLY_OK;
	}
	if (m->n_approvals > TALLY_WIRE_APPROVALS_MAX) {
		return tally_fail(eb, TALLY_EPROTO,
		    "malformed submission: field approvals: %zu approvals, at "
		    "most %d",
		    m->n_approvals, TALLY_WIRE_APPROVALS_MAX);
	}
	sub->approvals = calloc(m->n_approvals, sizeof(*sub->approvals));
	if (sub->approvals == NULL) {
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	sub->n_approvals = m->n_approvals;
	for (size_t i = 0; i < m->n_approvals; i++) {
		const char *bad =
		    approval_decode(m->approvals[i], &sub->approvals[i]);

		if (bad != NULL) {
			return tally_fail(eb, TALLY_EPROTO,
			    "malformed submission: field approvals[%zu].%s", i,
			    bad);
		}
	}
	return TALLY_OK;
}

int
tally_submission_encode(
    const struct tally_submission *sub, uint8_t **buf, size_t *len)
{
	return tally_submission_encode_signed(sub, NULL, buf, len);
}

int
tally_submission_encode_signed(const struct tally_submission *sub,
    const struct tally_signer *signer, uint8_t **buf, size_t *len)
{
	Tally__Submission     m              = TALLY__SUBMISSION__INIT;
	Tally__PartialState  *pstates        = NULL;
	Tally__PartialState **ptrs           = NULL;
	char(*texts)[4][TALLY_PERIOD_STRLEN] = NULL;
	Tally__Approval  *apps               = NULL;
	Tally__Approval **aptrs              = NULL;
	uint8_t          *body               = NULL;
	size_t            blen;
	int               rv = TALLY_ENOMEM;

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
		if (ws->state.has_newest) {
			tally_period_format(&ws->state.newest, t[1]);
		}
		p->indicator     = ws->ind->id;
		p->period        = t[0];
		p->sum_a         = ws->state.sum_a;
		p->sum_b         = ws->state.sum_b;
		p->leaves        = ws->state.leaves;
		p->newest_period = t[1];
		p->version       = ws->version;
		if (ws->region[0] != '\0') {
			p->region = (char *) ws->region;
		}
		if (ws->received_ms > 0) {
			p->has_first_received_at = 1;
			p->first_received_at     = ws->first_received_ms;
			p->has_received_at       = 1;
			p->received_at           = ws->received_ms;
		}
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
		if (ws->has_origin) {
			p->has_origin_signature  = 1;
			p->origin_signature.data = (uint8_t *) ws->origin_sig;
			p->origin_signature.len  = TALLY_SIGN_BYTES;
			p->origin_key_id         = (char *) ws->origin_key_id;
		}
		if (ws->leaves_out[0] != '\0') {
			p->leaves_out = (char *) ws->leaves_out;
		}
		if (ws->withdrawn) {
			p->has_withdrawn = 1;
			p->withdrawn     = 1;
		}
		if (ws->change_reason[0] != '\0') {
			p->change_reason = (char *) ws->change_reason;
		}
		ptrs[i] = p;
	}
	m.sender         = (char *) sub->sender;
	m.hub            = (char *) sub->hub;
	m.sender_version = sub->sender_version;
	m.sent_at        = sub->sent_at_ms;
	m.n_states       = sub->n_states;
	m.states         = ptrs;
	if (sub->n_approvals > 0) {
		apps  = calloc(sub->n_approvals, sizeof(*apps));
		aptrs = calloc(sub->n_approvals, sizeof(*aptrs));
		if (apps == NULL || aptrs == NULL) {
			goto fail;
		}
		for (size_t i = 0; i < sub->n_approvals; i++) {
			approval_encode(&sub->approvals[i], &apps[i]);
			aptrs[i] = &apps[i];
		}
		m.n_approvals = sub->n_approvals;
		m.approvals   = aptrs;
	}
	blen = tally__submission__get_packed_size(&m);
	body = malloc(blen > 0 ? blen : 1);
	if (body == NULL) {
		goto fail;
	}
	tally__submission__pack(&m, body);
	rv = tally_envelope_pack(body, blen, signer, buf, len);
fail:
	free(body);
	free(apps);
	free(aptrs);
	free(pstates);
	free(ptrs);
	free(texts);
	return rv;
}

int
tally_submission_decode(const struct tally_catalog *cat, const uint8_t *buf,
    size_t len, struct tally_submission **out, struct tally_errbuf *eb)
{
	struct tally_envelope env;
	int                   rv;

	rv = tally_envelope_open(buf, len, &env, eb);
	if (rv != TALLY_OK) {
		return rv;
	}
	rv =
	    tally_submission_decode_body(cat, env.body, env.body_len, out, eb);
	tally_envelope_close(&env);
	return rv;
}

int
tally_submission_decode_body(const struct tally_catalog *cat,
    const uint8_t *body, size_t len, struct tally_submission **out,
    struct tally_errbuf *eb)
{
	struct tally_budget      budget;
	Tally__Submission       *m   = NULL;
	struct tally_submission *sub = NULL;
	const char              *bad;
	size_t                   bad_state = 0;
	int                      rv        = TALLY_EPROTO;

	tally_budget_init(&budget, TALLY_WIRE_DECODE_BUDGET);
	m = tally__submission__unpack(&budget.alloc, len, body);
	if (m == NULL) {
		char why[200];

		if (budget.exceeded) {
			snprintf(why, sizeof(why),
			    "over the memory budget of %u bytes",
			    TALLY_WIRE_DECODE_BUDGET);
		} else {
			tally_pbwhy(&tally__submission__descriptor, body, len,
			    why, sizeof(why));
		}
		tally_fail(eb, rv, "malformed submission: %s", why);
		goto fail;
	}
	if (m->base.n_unknown_fields != 0) {
		tally_fail(eb, rv, "malformed submission: unknown fields");
		goto fail;
	}
	bad = submission_texts_ok(m, &bad_state);
	if (bad != NULL &&
	    (strcmp(bad, "sender") == 0 || strcmp(bad, "hub") == 0)) {
		tally_fail(eb, rv,
		    "malformed submission: field %s: not UTF-8 text of at "
		    "most %d bytes without "
		    "control characters",
		    bad, TALLY_WIRE_TEXT_MAX - 1);
		goto fail;
	}
	if (bad != NULL) {
		tally_fail(eb, rv,
		    "malformed submission: field states[%zu].%s: not UTF-8 "
		    "text of at most %d bytes "
		    "without control characters",
		    bad_state, bad,
		    strcmp(bad, "change_reason") == 0
		        ? TALLY_WIRE_CHANGE_REASON_MAX - 1
		        : TALLY_WIRE_TEXT_MAX - 1);
		goto fail;
	}
	if (!tally_region_code_valid(m->sender)) {
		tally_fail(eb, rv,
		    "malformed submission: field sender: not a region code");
		goto fail;
	}
	/* A comparison hub is addressed by its group's name. */
	if (!tally_region_code_valid(m->hub) &&
	    !tally_group_name_valid(m->hub)) {
		tally_fail(eb, rv,
		    "malformed submission: field hub: not a region code or "
		    "group "
		    "name");
		goto fail;
	}
	if (m->n_states > TALLY_WIRE_STATES_MAX) {
		tally_fail(eb, rv,
		    "malformed submission: field states: %zu states, at most "
		    "%d",
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
	snprintf(sub->hub, sizeof(sub->hub), "%s", m->hub);
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
		if (m->states[i]->region != NULL) {
			copy_echo(ws->region, sizeof(ws->region),
			    m->states[i]->region);
		}
		ws->version = m->states[i]->version;
		why         = state_check(cat, m->states[i], ws);
		if (why == NULL) {
			why = state_admit(cat, m->sender, ws);
		}
		if (why != NULL) {
			ws->ind    = NULL;
			ws->status = TALLY_ACK_REJECTED;
			if (why != ws->reason) {
				snprintf(
				    ws->reason, sizeof(ws->reason), "%s", why);
			}
		}
	}
	rv = approvals_decode(m, sub, eb);
	if (rv != TALLY_OK) {
		goto fail;
	}
	*out = sub;
	sub  = NULL;
	rv   = TALLY_OK;
fail:
	tally_submission_free(sub);
	if (m != NULL) {
		tally__submission__free_unpacked(m, &budget.alloc);
	}
	return rv;
}

void
tally_submission_free(struct tally_submission *sub)
{
	if (sub == NULL) {
		return;
	}
	free(sub->states);
	free(sub->approvals);
	free(sub);
}

int
tally_ack_encode(const struct tally_ack *ack, uint8_t **buf, size_t *len)
{
	Tally__Ack        m     = TALLY__ACK__INIT;
	Tally__StateAck  *items = NULL;
	Tally__StateAck **ptrs  = NULL;
	Tally__Approval  *apps  = NULL;
	Tally__Approval **aptrs = NULL;
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
		if (it->region[0] != '\0') {
			items[i].region = (char *) it->region;
		}
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
	if (ack->n_approvals > 0) {
		apps  = calloc(ack->n_approvals, sizeof(*apps));
		aptrs = calloc(ack->n_approvals, sizeof(*aptrs));
		if (apps == NULL || aptrs == NULL) {
			goto fail;
		}
		for (size_t i = 0; i < ack->n_approvals; i++) {
			approval_encode(&ack->approvals[i], &apps[i]);
			aptrs[i] = &apps[i];
		}
		m.n_approvals = ack->n_approvals;
		m.approvals   = aptrs;
	}
	if (ack->has_error) {
		m.error = (char *) ack->error;
	}
	blen = tally__ack__get_packed_size(&m);
	body = malloc(blen > 0 ? blen : 1);
	if (body == NULL) {
		goto fail;
	}
	tally__ack__pack(&m, body);
	rv = tally_envelope_pack(body, blen, NULL, buf, len);
fail:
	free(body);
	free(items);
	free(ptrs);
	free(apps);
	free(aptrs);
	return rv;
}

int
tally_ack_decode(const uint8_t *buf, size_t len, struct tally_ack **out,
    struct tally_errbuf *eb)
{
	struct tally_envelope env;
	struct tally_budget   budget;
	Tally__Ack           *m   = NULL;
	struct tally_ack     *ack = NULL;
	int                   rv;

	rv = tally_envelope_open(buf, len, &env, eb);
	if (rv != TALLY_OK) {
		return rv;
	}
	rv = TALLY_EPROTO;
	tally_budget_init(&budget, TALLY_WIRE_DECODE_BUDGET);
	m = tally__ack__unpack(&budget.alloc, env.body_len, env.body);
	if (m == NULL && !budget.exceeded) {
		char why[200];

		tally_pbwhy(&tally__ack__descriptor, env.body, env.body_len,
		    why, sizeof(why));
		tally_fail(eb, rv, "malformed acknowledgement: %s", why);
		goto fail;
	}
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
	if (m->n_approvals > TALLY_WIRE_APPROVALS_MAX) {
		tally_fail(eb, rv, "malformed acknowledgement: approvals");
		goto fail;
	}
	if (m->n_approvals > 0) {
		ack->approvals =
		    calloc(m->n_approvals, sizeof(*ack->approvals));
		if (ack->approvals == NULL) {
			rv = tally_fail(eb, TALLY_ENOMEM, "out of memory");
			goto fail;
		}
		ack->n_approvals = m->n_approvals;
	}
	for (size_t i = 0; i < m->n_approvals; i++) {
		const char *bad =
		    approval_decode(m->approvals[i], &ack->approvals[i]);

		if (bad != NULL) {
			tally_fail(eb, rv,
			    "malformed acknowledgement: field "
			    "approvals[%zu].%s",
			    i, bad);
			goto fail;
		}
	}
	ack->n_items = m->n_states;
	for (size_t i = 0; i < m->n_states; i++) {
		Tally__StateAck       *s  = m->states[i];
		struct tally_ack_item *it = &ack->items[i];

		if (s->base.n_unknown_fields != 0 ||
		    (((int) s->status < TALLY_ACK_ACCEPTED ||
		         (int) s->status > TALLY_ACK_REJECTED) &&
		        (int) s->status != TALLY_ACK_HELD)) {
			tally_fail(eb, rv, "malformed acknowledgement item");
			goto fail;
		}
		if (s->region != NULL) {
			copy_echo(it->region, sizeof(it->region), s->region);
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
		tally__ack__free_unpacked(m, &budget.alloc);
	}
	tally_envelope_close(&env);
	return rv;
}

void
tally_ack_free(struct tally_ack *ack)
{
	if (ack == NULL) {
		return;
	}
	free(ack->items);
	free(ack->approvals);
	free(ack);
}

void
tally_wire_state_claim(const struct tally_wire_state *ws, const char *region,
    char period[TALLY_PERIOD_STRLEN], char newest[TALLY_PERIOD_STRLEN],
    struct tally_claim *c)
{
	const struct tally_state *s = &ws->state;

	memset(c, 0, sizeof(*c));
	tally_period_format(&ws->period, period);
	newest[0] = '\0';
	if (s->has_newest) {
		tally_period_format(&s->newest, newest);
	}
	c->region    = region;
	c->indicator = ws->ind->id;
	c->period    = period;
	c->version   = ws->version;
	c->sum_a     = s->sum_a;
	c->sum_b     = s->sum_b;
	c->leaves    = s->leaves;
	if (s->has_minmax) {
		c->has_minmax = true;
		c->min_value  = s->min_value;
		c->min_region = s->min_region;
		c->max_value  = s->max_value;
		c->max_region = s->max_region;
	}
	c->newest     = newest;
	c->leaves_out = ws->leaves_out;
}

int
tally_wire_state_sign(struct tally_wire_state *ws, const char *region,
    const struct tally_signer *s)
{
	struct tally_claim c;
	char               period[TALLY_PERIOD_STRLEN];
	char               newest[TALLY_PERIOD_STRLEN];
	int                rv;

	tally_wire_state_claim(ws, region, period, newest, &c);
	rv = tally_claim_sign(s, &c, ws->origin_sig);
	if (rv == TALLY_OK) {
		ws->has_origin = true;
		snprintf(ws->origin_key_id, sizeof(ws->origin_key_id), "%s",
		    tally_signer_key_id(s));
	}
	return rv;
}

int
tally_wire_state_verify(const struct tally_keyring *kr,
    struct tally_wire_state *ws, const char *region, char *why, size_t len)
{
	struct tally_claim c;
	char               period[TALLY_PERIOD_STRLEN];
	char               newest[TALLY_PERIOD_STRLEN];
	const char        *key_region = NULL;
	const uint8_t     *pk         = NULL;
	int                res;

	if (!ws->has_origin) {
		snprintf(why, len,
		    "missing origin signature: a state of region %s must "
		    "carry %s's own signature",
		    region, region);
		return TALLY_VERIFY_UNSIGNED;
	}
	tally_wire_state_claim(ws, region, period, newest, &c);
	res = tally_claim_verify(kr, &c, ws->origin_sig, TALLY_SIGN_BYTES,
	    ws->origin_key_id, &key_region, &pk);
	switch (res) {
	case TALLY_VERIFY_OK:
		ws->origin_verified = true;
		memcpy(ws->origin_pk, pk, TALLY_PUBLIC_BYTES);
		break;
	case TALLY_VERIFY_UNKNOWN_KEY:
		if (!tally_keyring_has_region(kr, region)) {
			snprintf(why, len,
			    "unknown key %s: no key is listed for region %s "
			    "on this hub, so its states cannot be checked",
			    ws->origin_key_id, region);
		} else {
			snprintf(why, len,
			    "unknown key %s: not a key of region %s on this "
			    "hub",
			    ws->origin_key_id, region);
		}
		break;
	case TALLY_VERIFY_BAD_SIGNATURE:
		snprintf(why, len,
		    "bad origin signature: the state of %s does not match "
		    "the signature of key %s",
		    region, ws->origin_key_id);
		break;
	case TALLY_VERIFY_WRONG_REGION:
		snprintf(why, len,
		    "key not authorised for region %s: key %s belongs to "
		    "region %s",
		    region, ws->origin_key_id,
		    key_region != NULL ? key_region : "?");
		break;
	default:
		snprintf(why, len, "origin signature not verified");
		break;
	}
	return res;
}

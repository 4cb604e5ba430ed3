/*
 * The envelope codec declared in envelope.h, over protobuf-c.
 */
#include "envelope.h"

#include "pbwhy.h"
#include "tally.pb-c.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A key id is echoed in acknowledgements and logs, so it must be short
 * printable ASCII: no line breaks, no escape sequences. */
static bool
key_id_valid(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++) {
		if (n >= TALLY_ENVELOPE_KEY_ID_MAX || s[n] < 0x21 ||
		    s[n] > 0x7e) {
			return false;
		}
	}
	return true;
}

int
tally_envelope_open(const uint8_t *buf, size_t len, struct tally_envelope *env,
    struct tally_errbuf *eb)
{
	Tally__Envelope *m;

	memset(env, 0, sizeof(*env));
	if (len > TALLY_ENVELOPE_MAX) {
		return tally_fail(eb, TALLY_EPROTO,
		    "message of %zu bytes is over %u", len,
		    TALLY_ENVELOPE_MAX);
	}
	tally_budget_init(&env->budget, TALLY_ENVELOPE_BUDGET);
	m = tally__envelope__unpack(&env->budget.alloc, len, buf);
	if (m == NULL) {
		char why[200];

		if (env->budget.exceeded) {
			snprintf(why, sizeof(why), "over the memory budget");
		} else {
			tally_pbwhy(&tally__envelope__descriptor, buf, len,
			    why, sizeof(why));
		}
		return tally_fail(
		    eb, TALLY_EPROTO, "malformed envelope: %s", why);
	}
	env->pb = m;
	if (m->base.n_unknown_fields != 0) {
		tally_envelope_close(env);
		return tally_fail(
		    eb, TALLY_EPROTO, "malformed envelope: unknown fields");
	}
	if (m->key_id != NULL && !key_id_valid(m->key_id)) {
		tally_envelope_close(env);
		return tally_fail(eb, TALLY_EPROTO,
		    "malformed envelope: field key_id: not a key id (at most "
		    "%d "
		    "printable ASCII characters)",
		    TALLY_ENVELOPE_KEY_ID_MAX);
	}
	env->body     = m->body.data;
	env->body_len = m->body.len;
	if (m->has_signature) {
		env->signature = m->signature.data;
		env->sig_len   = m->signature.len;
	}
	env->key_id = m->key_id != NULL ? m->key_id : "";
	return TALLY_OK;
}

void
tally_envelope_close(struct tally_envelope *env)
{
	if (env == NULL || env->pb == NULL) {
		return;
	}
	tally__envelope__free_unpacked(env->pb, &env->budget.alloc);
	env->pb = NULL;
}

int
tally_envelope_pack(const uint8_t *body, size_t body_len,
    const struct tally_signer *signer, uint8_t **buf, size_t *len)
{
	Tally__Envelope m = TALLY__ENVELOPE__INIT;
	uint8_t         sig[TALLY_SIGN_BYTES];
	uint8_t        *out;
	size_t          n;

	m.body.data = (uint8_t *) body;
	m.body.len  = body_len;
	if (signer != NULL) {
		tally_signer_sign(signer, body, body_len, sig);
		m.has_signature  = 1;
		m.signature.data = sig;
		m.signature.len  = sizeof(sig);
		m.key_id         = (char *) tally_signer_key_id(signer);
	}
	n   = tally__envelope__get_packed_size(&m);
	out = malloc(n > 0 ? n : 1);
	if (out == NULL) {
		return TALLY_ENOMEM;
	}
	tally__envelope__pack(&m, out);
	*buf = out;
	*len = n;
	return TALLY_OK;
}

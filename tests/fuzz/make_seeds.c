/*
 * Writes the seed corpus of fuzz_envelope into a directory, made at test
 * time rather than committed as binary blobs: a key pair and a keys file
 * authorising it for county 130102 (KEYDIR), and envelopes (CORPUSDIR) a
 * hub meets: signed and unsigned submissions of each kind of indicator, a
 * city forwarding a county's state, a submission to a comparison group,
 * one with a tampered body, an acknowledgement, and an empty message.
 *
 *   make_seeds KEYDIR CORPUSDIR
 */
#include "catalog.h"
#include "envelope.h"
#include "errors.h"
#include "sign.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct tally_catalog *cat;
static const char           *corpus;
static int                   seq;

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "make_seeds: %s: %s\n", what, why);
	exit(1);
}

static void
write_seed(const uint8_t *buf, size_t len)
{
	char  path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%02d", corpus, seq++);
	f = fopen(path, "wb");
	if (f == NULL || (len > 0 && fwrite(buf, 1, len, f) != len) ||
	    fclose(f) != 0) {
		die(path, "cannot write");
	}
}

static struct tally_wire_state
state(const char *indicator, const char *period, double a, double b,
    const char *region)
{
	struct tally_wire_state ws;

	memset(&ws, 0, sizeof(ws));
	ws.ind = tally_catalog_indicator(cat, indicator);
	if (ws.ind == NULL || tally_period_parse(period, &ws.period) != 0) {
		die(indicator, "not in the catalogue");
	}
	tally_state_init(&ws.state);
	ws.state.sum_a      = a;
	ws.state.sum_b      = b;
	ws.state.leaves     = 1;
	ws.state.has_newest = true;
	ws.state.newest     = ws.period;
	ws.state.has_minmax = true;
	ws.state.min_value  = 1;
	ws.state.max_value  = 2;
	snprintf(ws.state.min_region, sizeof(ws.state.min_region), "130102");
	snprintf(ws.state.max_region, sizeof(ws.state.max_region), "130102");
	ws.version = 1700000000000001ULL;
	if (region != NULL) {
		snprintf(ws.region, sizeof(ws.region), "%s", region);
		ws.first_received_ms = 1700000000000LL;
		ws.received_ms       = 1700000000001LL;
	}
	return ws;
}

/* Writes a submission, signed when signer is not NULL; with tamper, one
 * byte of the body is changed after signing. */
static void
submission(const char *sender, const char *hub, struct tally_wire_state *s,
    size_t n, const struct tally_signer *signer, bool tamper)
{
	struct tally_submission sub;
	struct tally_envelope   env;
	struct tally_errbuf     eb = { "" };
	uint8_t                *plain, *out, *body;
	size_t                  plen, olen;

	memset(&sub, 0, sizeof(sub));
	snprintf(sub.sender, sizeof(sub.sender), "%s", sender);
	snprintf(sub.hub, sizeof(sub.hub), "%s", hub);
	sub.sender_version = 1700000000000001ULL;
	sub.sent_at_ms     = 1700000000000LL;
	sub.states         = s;
	sub.n_states       = n;
	if (tally_submission_encode(&sub, &plain, &plen) != TALLY_OK ||
	    tally_envelope_open(plain, plen, &env, &eb) != TALLY_OK) {
		die("submission", eb.text);
	}
	body = malloc(env.body_len);
	if (body == NULL) {
		die("submission", "out of memory");
	}
	memcpy(body, env.body, env.body_len);
	if (tally_envelope_pack(body, env.body_len, signer, &out, &olen) !=
	    TALLY_OK) {
		die("submission", "cannot pack");
	}
	if (tamper) {
		/* The body is the first field: change its last byte. */
		out[1 + (env.body_len > 127 ? 2 : 1) + env.body_len - 1] ^= 1;
	}
	write_seed(out, olen);
	tally_envelope_close(&env);
	free(body);
	free(plain);
	free(out);
}

int
main(int argc, char **argv)
{
	struct tally_errbuf     eb     = { "" };
	struct tally_signer    *signer = NULL;
	struct tally_wire_state s[3];
	struct tally_ack        ack;
	struct tally_ack_item   item;
	char                    prefix[4200], path[4200], id[32];
	uint8_t                *buf;
	size_t                  len;
	FILE                   *f;

	if (argc != 3) {
		fprintf(stderr, "usage: make_seeds KEYDIR CORPUSDIR\n");
		return 64;
	}
	corpus = argv[2];
	if (tally_catalog_load_default(&cat, &eb) != TALLY_OK) {
		die("catalogue", eb.text);
	}
	snprintf(prefix, sizeof(prefix), "%s/county", argv[1]);
	snprintf(path, sizeof(path), "%s.key", prefix);
	if (tally_sign_keygen(prefix, id, &eb) != TALLY_OK ||
	    tally_signer_load(path, &signer, &eb) != TALLY_OK) {
		die(prefix, eb.text);
	}
	snprintf(path, sizeof(path), "%s/keys.csv", argv[1]);
	f = fopen(path, "w");
	if (f == NULL) {
		die(path, "cannot write");
	}
	fprintf(f, "region,public_key\n130102,%s\n",
	    tally_signer_public_b64(signer));
	fclose(f);

	s[0] = state("mfg_pass_rate", "2020", 90, 100, NULL);
	s[1] = state("mfg_pass_rate", "2020-03", 9, 10, NULL);
	s[2] = state("mfg_pass_rate", "2020Q1", 30, 31, NULL);
	submission("130102", "130100", s, 3, signer, false);
	submission("130102", "130100", s, 3, NULL, false);
	submission("130102", "130100", s, 1, signer, true);
	submission("130102", "130100", s, 0, signer, false);
	/* With each state's end-to-end signature, so that the fuzzer
	 * starts from states whose origin check passes. */
	for (size_t i = 0; i < 3; i++) {
		if (tally_wire_state_sign(&s[i], "130102", signer) !=
		    TALLY_OK) {
			die("origin signature", "");
		}
	}
	submission("130102", "130100", s, 3, signer, false);
	s[0] = state("mfg_pass_rate", "2020", 90, 100, "130102");
	if (tally_wire_state_sign(&s[0], "130102", signer) != TALLY_OK) {
		die("origin signature", "");
	}
	submission("130100", "130000", s, 1, signer, false);
	submission("130000", "jingjinji", s + 1, 2, signer, false);

	memset(&ack, 0, sizeof(ack));
	memset(&item, 0, sizeof(item));
	snprintf(ack.hub_instance, sizeof(ack.hub_instance), "0123abcd");
	snprintf(item.indicator, sizeof(item.indicator), "mfg_pass_rate");
	snprintf(item.period, sizeof(item.period), "2020");
	snprintf(item.reason, sizeof(item.reason), "unknown indicator");
	item.version = 1;
	item.status  = TALLY_ACK_REJECTED;
	ack.items    = &item;
	ack.n_items  = 1;
	if (tally_ack_encode(&ack, &buf, &len) != TALLY_OK) {
		die("ack", "cannot encode");
	}
	write_seed(buf, len);
	free(buf);
	write_seed(NULL, 0);
	printf("wrote %d seeds to %s, signed by key %s (%s)\n", seq, corpus,
	    id, path);
	tally_signer_free(signer);
	tally_catalog_free(cat);
	return 0;
}

/*
 * libFuzzer harness for everything a hub does with the bytes of a message
 * before it trusts them: opening the envelope (size cap, memory budget,
 * unknown fields, key id), checking the signature against a keys file,
 * and decoding and validating the submission inside, and the
 * acknowledgement decoder a child runs on the hub's answer. Any crash,
 * leak (ASan), undefined behaviour (UBSan) or hang is a finding.
 *
 * TALLY_FUZZ_KEYS names the keys file whose key signed the seed corpus
 * (tests/fuzz/make_seeds.c), so that inputs get past the signature check;
 * the body is decoded whatever the check said, to reach the validation
 * code with every input.
 */
#include "catalog.h"
#include "envelope.h"
#include "errors.h"
#include "sign.h"
#include "wire.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tally_catalog *cat;
static struct tally_keyring *keys;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct tally_errbuf eb   = { "" };
	const char         *path = getenv("TALLY_FUZZ_KEYS");

	(void) argc;
	(void) argv;
	if (tally_catalog_load_default(&cat, &eb) != TALLY_OK) {
		fprintf(stderr, "fuzz_envelope: %s\n", eb.text);
		exit(1);
	}
	if (path != NULL && tally_keyring_load(path, cat, &keys, &eb) != 0) {
		fprintf(stderr, "fuzz_envelope: %s\n", eb.text);
		exit(1);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tally_envelope    env;
	struct tally_errbuf      eb  = { "" };
	struct tally_submission *sub = NULL;
	struct tally_ack        *ack = NULL;
	const char              *region;
	const uint8_t           *pk;

	/* The hub's order: open, verify, then decode the body. */
	if (tally_envelope_open(data, size, &env, &eb) == TALLY_OK) {
		if (keys != NULL) {
			(void) tally_keyring_verify(keys, env.body,
			    env.body_len, env.signature, env.sig_len,
			    env.key_id, &region, &pk);
		}
		if (tally_submission_decode_body(
		        cat, env.body, env.body_len, &sub, &eb) == TALLY_OK) {
			/* Then each state's end-to-end signature, as the
			 * hub does in signed mode. */
			for (size_t i = 0; keys != NULL && i < sub->n_states;
			     i++) {
				struct tally_wire_state *ws = &sub->states[i];
				char why[TALLY_WIRE_REASON_MAX];

				if (ws->status == TALLY_ACK_NONE) {
					(void) tally_wire_state_verify(keys,
					    ws,
					    ws->region[0] != '\0'
					        ? ws->region
					        : sub->sender,
					    why, sizeof(why));
				}
			}
			tally_submission_free(sub);
		}
		tally_envelope_close(&env);
	}
	if (tally_ack_decode(data, size, &ack, &eb) == TALLY_OK) {
		tally_ack_free(ack);
	}
	return 0;
}

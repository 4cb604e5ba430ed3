/*
 * A hostile child for tests/security.sh: crafts envelopes with protobuf-c
 * directly, so that any field can hold anything (a forged sender, a key id
 * that is not the signer's, a body changed after signing, strings with
 * SQL or control characters, a body that is not a submission), and sends
 * bytes to a hub, printing its acknowledgement one line per item.
 *
 *   sec_client craft --out FILE [--sender CODE] [--hub CODE]
 *                    [--state 'IND|PERIOD|SUM_A|SUM_B|VERSION[|REGION
 *                             [|LEAVES|NEWEST[|MIN|MINREG|MAX|MAXREG]]]'
 *                     [--origin-key FILE] [--origin-sig HEX]
 *                     [--origin-key-id ID] [--origin-alter]]...
 *                    [--key FILE] [--key-id ID] [--tamper]
 *                    [--body-file FILE]
 *
 * The --origin-* options apply to the --state before them: --origin-key
 * signs its claim (common/sign.h) as a state of REGION (or of the
 * sender) with that key; --origin-sig and --origin-key-id set the
 * signature and key id as given (a signature copied from a hub's store);
 * --origin-alter then doubles SUM_A and SUM_B, keeping the signature:
 * the figures change while the value, and so min and max, stay what the
 * admission rules (common/admit.h) take, so that only the signature can
 * tell. REGION
 * `-` is the sender's own state.
 *   sec_client send URL FILE [--timeout-ms N]
 *
 * send prints `refused: REASON` for a submission refused whole, else
 * `STATUS REGION INDICATOR PERIOD vVERSION[: REASON]` per state (REGION
 * `-` for the sender's own), and exits 3 when no answer came in time.
 */
#include "envelope.h"
#include "errors.h"
#include "sign.h"
#include "wire.h"

#include "tally.pb-c.h"

#include <getopt.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STATES 16

/* A state and what its --origin-* options asked for. */
struct craft_state {
	Tally__PartialState p;
	uint8_t             sig[TALLY_SIGN_BYTES];
	char                key_id[TALLY_KEY_ID_STRLEN];
};

static void
die(const char *what, const char *detail)
{
	fprintf(stderr, "sec_client: %s%s\n", what, detail);
	exit(2);
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE    *f = fopen(path, "rb");
	uint8_t *buf;
	long     n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
		die("cannot read ", path);
	}
	n = ftell(f);
	if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
		die("cannot read ", path);
	}
	buf = malloc((size_t) n + 1);
	if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n) {
		die("cannot read ", path);
	}
	fclose(f);
	*len = (size_t) n;
	return buf;
}

static void
write_file(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		die("cannot write ", path);
	}
}

/* Splits a --state spec on '|' into the fields of p; the strings are
 * kept as given, whatever they hold. */
static void
parse_state(char *spec, Tally__PartialState *p)
{
	char *f[12] = { NULL };
	int   n     = 0;

	for (char *s = spec; n < 12; n++) {
		char *bar = strchr(s, '|');

		f[n] = s;
		if (bar == NULL) {
			n++;
			break;
		}
		*bar = '\0';
		s    = bar + 1;
	}
	if (n < 5) {
		die("--state: give IND|PERIOD|SUM_A|SUM_B|VERSION: ", spec);
	}
	tally__partial_state__init(p);
	p->indicator     = f[0];
	p->period        = f[1];
	p->newest_period = f[1];
	p->sum_a         = strtod(f[2], NULL);
	p->sum_b         = strtod(f[3], NULL);
	p->version       = strtoull(f[4], NULL, 10);
	p->leaves        = 1;
	if (n >= 6 && strcmp(f[5], "-") != 0) {
		p->region = f[5];
	}
	if (n >= 8) {
		p->leaves        = strtoull(f[6], NULL, 10);
		p->newest_period = f[7];
	}
	if (n >= 12) {
		p->has_min_value = 1;
		p->min_value     = strtod(f[8], NULL);
		p->min_region    = f[9];
		p->has_max_value = 1;
		p->max_value     = strtod(f[10], NULL);
		p->max_region    = f[11];
	}
}

/* The claim of a crafted state, as the state of region. */
static void
claim_of(
    const Tally__PartialState *p, const char *region, struct tally_claim *c)
{
	memset(c, 0, sizeof(*c));
	c->region     = region;
	c->indicator  = p->indicator;
	c->period     = p->period;
	c->version    = p->version;
	c->sum_a      = p->sum_a;
	c->sum_b      = p->sum_b;
	c->leaves     = p->leaves;
	c->has_minmax = p->has_min_value;
	c->min_value  = p->min_value;
	c->min_region = p->min_region;
	c->max_value  = p->max_value;
	c->max_region = p->max_region;
	c->newest     = p->newest_period;
}

/* Signs the claim of cs with the key at path. */
static void
origin_sign(struct craft_state *cs, const char *sender, const char *path)
{
	struct tally_signer *k  = NULL;
	struct tally_errbuf  eb = { "" };
	struct tally_claim   c;

	if (tally_signer_load(path, &k, &eb) != TALLY_OK) {
		die("--origin-key: ", eb.text);
	}
	claim_of(&cs->p, cs->p.region != NULL ? cs->p.region : sender, &c);
	if (tally_claim_sign(k, &c, cs->sig) != TALLY_OK) {
		die("--origin-key: cannot encode the claim", "");
	}
	snprintf(cs->key_id, sizeof(cs->key_id), "%s", tally_signer_key_id(k));
	cs->p.has_origin_signature  = 1;
	cs->p.origin_signature.data = cs->sig;
	cs->p.origin_signature.len  = TALLY_SIGN_BYTES;
	cs->p.origin_key_id         = cs->key_id;
	tally_signer_free(k);
}

/* Sets the origin signature of cs from hex. */
static void
origin_hex(struct craft_state *cs, const char *hex)
{
	if (strlen(hex) != 2 * TALLY_SIGN_BYTES) {
		die("--origin-sig: give 128 hex digits: ", hex);
	}
	for (size_t i = 0; i < TALLY_SIGN_BYTES; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			die("--origin-sig: not hex: ", hex);
		}
		cs->sig[i] = (uint8_t) v;
	}
	cs->p.has_origin_signature  = 1;
	cs->p.origin_signature.data = cs->sig;
	cs->p.origin_signature.len  = TALLY_SIGN_BYTES;
}

static int
cmd_craft(int argc, char **argv)
{
	static const struct option opts[] = { { "out", 1, NULL, 'o' },
		{ "sender", 1, NULL, 's' }, { "hub", 1, NULL, 'h' },
		{ "state", 1, NULL, 't' }, { "key", 1, NULL, 'k' },
		{ "key-id", 1, NULL, 'i' }, { "tamper", 0, NULL, 'x' },
		{ "body-file", 1, NULL, 'b' }, { "origin-key", 1, NULL, 'O' },
		{ "origin-sig", 1, NULL, 'S' },
		{ "origin-key-id", 1, NULL, 'I' },
		{ "origin-alter", 0, NULL, 'A' }, { NULL, 0, NULL, 0 } };
	Tally__Submission          sub    = TALLY__SUBMISSION__INIT;
	Tally__Envelope            env    = TALLY__ENVELOPE__INIT;
	struct craft_state         states[MAX_STATES];
	Tally__PartialState       *ptrs[MAX_STATES];
	struct tally_signer       *signer = NULL;
	struct tally_errbuf        eb     = { "" };
	const char                *out = NULL, *key = NULL, *key_id = NULL;
	const char                *body_file = NULL;
	uint8_t                    sig[TALLY_SIGN_BYTES];
	uint8_t                   *body, *buf;
	size_t                     blen, len;
	bool                       tamper = false;
	int                        c;

	sub.sender         = "130102";
	sub.hub            = "130100";
	sub.sender_version = 1;
	sub.sent_at        = 1700000000000LL;
	sub.states         = ptrs;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 's':
			sub.sender = optarg;
			break;
		case 'h':
			sub.hub = optarg;
			break;
		case 't':
			if (sub.n_states == MAX_STATES) {
				die("too many states", "");
			}
			memset(&states[sub.n_states], 0, sizeof(*states));
			parse_state(optarg, &states[sub.n_states].p);
			ptrs[sub.n_states] = &states[sub.n_states].p;
			sub.n_states++;
			break;
		case 'O':
		case 'S':
		case 'I':
		case 'A':
			if (sub.n_states == 0) {
				die("--origin-* follows a --state", "");
			}
			if (c == 'O') {
				origin_sign(&states[sub.n_states - 1],
				    sub.sender, optarg);
			} else if (c == 'S') {
				origin_hex(&states[sub.n_states - 1], optarg);
			} else if (c == 'I') {
				states[sub.n_states - 1].p.origin_key_id =
				    optarg;
			} else {
				states[sub.n_states - 1].p.sum_a *= 2;
				states[sub.n_states - 1].p.sum_b *= 2;
			}
			break;
		case 'k':
			key = optarg;
			break;
		case 'i':
			key_id = optarg;
			break;
		case 'x':
			tamper = true;
			break;
		case 'b':
			body_file = optarg;
			break;
		default:
			die("craft: unknown option", "");
		}
	}
	if (out == NULL) {
		die("craft: --out is required", "");
	}
	if (body_file != NULL) {
		body = read_file(body_file, &blen);
	} else {
		blen = tally__submission__get_packed_size(&sub);
		body = malloc(blen + 1);
		if (body == NULL) {
			die("out of memory", "");
		}
		tally__submission__pack(&sub, body);
	}
	if (key != NULL) {
		if (tally_signer_load(key, &signer, &eb) != TALLY_OK) {
			die("--key: ", eb.text);
		}
		tally_signer_sign(signer, body, blen, sig);
		env.has_signature  = 1;
		env.signature.data = sig;
		env.signature.len  = sizeof(sig);
		env.key_id         = (char *) tally_signer_key_id(signer);
	}
	if (key_id != NULL) {
		env.key_id = (char *) key_id;
	}
	if (tamper && blen > 0) {
		body[blen - 1] ^= 0x01;
	}
	env.body.data = body;
	env.body.len  = blen;
	len           = tally__envelope__get_packed_size(&env);
	buf           = malloc(len);
	if (buf == NULL) {
		die("out of memory", "");
	}
	tally__envelope__pack(&env, buf);
	write_file(out, buf, len);
	free(buf);
	free(body);
	tally_signer_free(signer);
	return 0;
}

static const char *
status_name(int s)
{
	static const char *names[] = { "none", "accepted", "duplicate",
		"stale", "rejected" };

	return s >= 0 && s <= 4 ? names[s] : "?";
}

static int
cmd_send(int argc, char **argv)
{
	struct tally_ack   *ack = NULL;
	struct tally_errbuf eb  = { "" };
	nng_socket          s;
	nng_msg            *msg;
	uint8_t            *buf;
	size_t              len;
	int                 timeout = 5000;

	if (argc == 5 && strcmp(argv[3], "--timeout-ms") == 0) {
		timeout = atoi(argv[4]);
	} else if (argc != 3) {
		die("usage: send URL FILE [--timeout-ms N]", "");
	}
	buf = read_file(argv[2], &len);
	if (nng_req0_open(&s) != 0 ||
	    nng_dial(s, argv[1], NULL, NNG_FLAG_NONBLOCK) != 0) {
		die("cannot dial ", argv[1]);
	}
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, timeout);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, timeout);
	/* Sent once: a resend would turn one attack into several. */
	nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, 3600 * 1000);
	if (nng_msg_alloc(&msg, 0) != 0 ||
	    nng_msg_append(msg, buf, len) != 0 ||
	    nng_sendmsg(s, msg, 0) != 0 || nng_recvmsg(s, &msg, 0) != 0) {
		printf("no answer\n");
		nng_close(s);
		free(buf);
		return 3;
	}
	free(buf);
	if (tally_ack_decode(nng_msg_body(msg), nng_msg_len(msg), &ack, &eb) !=
	    TALLY_OK) {
		die("bad acknowledgement: ", eb.text);
	}
	nng_msg_free(msg);
	nng_close(s);
	if (ack->has_error) {
		printf("refused: %s\n", ack->error);
	}
	for (size_t i = 0; i < ack->n_items; i++) {
		const struct tally_ack_item *it = &ack->items[i];

		printf("%s %s %s %s v%llu%s%s\n", status_name(it->status),
		    it->region[0] ? it->region : "-", it->indicator,
		    it->period, (unsigned long long) it->version,
		    it->reason[0] ? ": " : "", it->reason);
	}
	tally_ack_free(ack);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "craft") == 0) {
		return cmd_craft(argc - 1, argv + 1);
	}
	if (argc >= 2 && strcmp(argv[1], "send") == 0) {
		return cmd_send(argc - 1, argv + 1);
	}
	fprintf(stderr, "usage: sec_client craft ... | send URL FILE\n");
	return 64;
}

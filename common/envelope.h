/*
 * The envelope (proto/tally.proto): what travels on the socket. It holds
 * the body bytes (a packed Submission or Ack), the Ed25519 signature over
 * exactly those bytes and the id of the key that made it. A hub opens the
 * envelope and checks the signature before it decodes anything inside,
 * so that nothing from an unknown or forged sender reaches the decoder of
 * the body.
 *
 * Opening is for untrusted bytes: the size is capped, protobuf-c unpacks
 * within a memory budget (budget.h), unknown fields are refused, and the
 * key id must be short printable ASCII before anyone logs or echoes it.
 */
#ifndef TALLY_ENVELOPE_H
#define TALLY_ENVELOPE_H

#include "budget.h"
#include "errors.h"
#include "sign.h"

#include <stddef.h>
#include <stdint.h>

/* The most bytes an envelope may hold; listeners set NNG_OPT_RECVMAXSZ
 * to it (it is TALLY_WIRE_MSG_MAX). */
#define TALLY_ENVELOPE_MAX (4u * 1024u * 1024u)
/* What unpacking one envelope may allocate: a copy of the body and a
 * little more. */
#define TALLY_ENVELOPE_BUDGET (TALLY_ENVELOPE_MAX + 64u * 1024u)
/* The longest key id accepted in an envelope. */
#define TALLY_ENVELOPE_KEY_ID_MAX 64

/* An opened envelope. body, signature and key_id point into it and live
 * until tally_envelope_close; the structure must not move meanwhile. */
struct tally_envelope {
	const uint8_t *body;
	size_t         body_len;
	const uint8_t *signature; /* NULL when absent */
	size_t         sig_len;
	const char    *key_id; /* "" when absent */
	/* Private: the unpacked message and its budget. */
	void               *pb;
	struct tally_budget budget;
};

/* Opens len bytes at buf. TALLY_EPROTO with the reason in eb when they
 * are over the size limit, not an envelope, over the memory budget, carry
 * unknown fields or a malformed key id. */
int tally_envelope_open(const uint8_t *buf, size_t len,
    struct tally_envelope *env, struct tally_errbuf *eb);

/* Frees what tally_envelope_open made; an envelope never opened (zeroed)
 * is accepted. */
void tally_envelope_close(struct tally_envelope *env);

/* Wraps body in an envelope in a new buffer, freed with free(); signed
 * with signer's key when signer is not NULL. */
int tally_envelope_pack(const uint8_t *body, size_t body_len,
    const struct tally_signer *signer, uint8_t **buf, size_t *len);

#endif

/*
 * The wire format (proto/tally.proto) as plain C structures. Encoding wraps
 * a submission or an acknowledgement in an envelope; decoding is for
 * untrusted bytes: it refuses input over the size limit or with unknown
 * fields, and validates every field before anything else sees it.
 *
 * A submission whose envelope or header is bad is refused whole. A single
 * bad state inside a good submission (unknown indicator, malformed period,
 * impossible sums) is marked rejected with a reason, so that the hub can
 * say so in its acknowledgement and still take the rest.
 */
#ifndef TALLY_WIRE_H
#define TALLY_WIRE_H

#include "catalog.h"
#include "errors.h"
#include "group.h"
#include "rollup.h"
#include "sign.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest message accepted; listeners set NNG_OPT_RECVMAXSZ to it. */
#define TALLY_WIRE_MSG_MAX (4u * 1024u * 1024u)
/* The most states one submission may carry. */
#define TALLY_WIRE_STATES_MAX    8192
#define TALLY_WIRE_APPROVALS_MAX 4096
#define TALLY_WIRE_TEXT_MAX      64
#define TALLY_WIRE_REASON_MAX    160
/* A change reason (PartialState.change_reason): at most 255 bytes of
 * UTF-8, so 256 with the terminator. */
#define TALLY_WIRE_CHANGE_REASON_MAX 256
/* The most leaf regions a state may count; the wire field is wider, so
 * that a larger value is refused, never truncated. */
#define TALLY_WIRE_LEAVES_MAX 100000u
/* What unpacking one submission or acknowledgement may allocate: a few
 * times what the largest legitimate one takes (8192 states, about 3 MB),
 * far less than the 4 MiB of tiny states a hostile peer could send would
 * ask for. */
#define TALLY_WIRE_DECODE_BUDGET (16u * 1024u * 1024u)

struct tally_approval; /* approval.h */

enum tally_ack_status {
	TALLY_ACK_NONE      = 0, /* a decoded state that is valid so far */
	TALLY_ACK_ACCEPTED  = 1,
	TALLY_ACK_DUPLICATE = 2,
	TALLY_ACK_STALE     = 3,
	TALLY_ACK_REJECTED  = 4,
	/* Held by approval (approval.h): kept pending by the child. 5 is
	 * reply.h's TALLY_REPLY_REFUSED. */
	TALLY_ACK_HELD = 6,
};

struct tally_wire_state {
	/* Valid when status is TALLY_ACK_NONE after decoding. */
	const struct tally_indicator *ind;
	struct tally_period           period;
	struct tally_state            state;
	uint64_t                      version;
	/* The region the state belongs to; "" for the sender's own. The
	 * decoder checks only its form: whether it lies below the sender is
	 * for the hub to decide. */
	char region[TALLY_REGION_STRLEN];
	/* For a forwarded state, when the forwarding hub first received
	 * this (region, indicator, period) and when it received this
	 * version, Unix ms; 0 when not given. */
	int64_t first_received_ms;
	int64_t received_ms;
	/* The end-to-end signature of the region the state is of over its
	 * claim (sign.h), and its key id; has_origin when both came. A hub
	 * that verified it sets origin_verified and the key's origin_pk. */
	bool    has_origin;
	uint8_t origin_sig[TALLY_SIGN_BYTES];
	char    origin_key_id[TALLY_KEY_ID_STRLEN];
	bool    origin_verified;
	uint8_t origin_pk[TALLY_PUBLIC_BYTES];
	/* What the region left out of the state (catalog.h), in text form;
	 * "" for nothing. */
	char leaves_out[TALLY_LEAVES_OUT_STRLEN];
	/* A withdrawal (a state without data, admit.h), and why the region
	 * changed the state, "" for no reason given (reason.h). Neither is
	 * part of the signed claim. */
	bool withdrawn;
	char change_reason[TALLY_WIRE_CHANGE_REASON_MAX];
	/* The keys as sent (cut to fit), echoed in the acknowledgement. */
	char indicator[TALLY_WIRE_TEXT_MAX];
	char period_text[TALLY_PERIOD_STRLEN];
	int  status; /* enum tally_ack_status */
	char reason[TALLY_WIRE_REASON_MAX];
};

struct tally_submission {
	char sender[TALLY_REGION_STRLEN];
	/* The hub addressed: its region code, or the name of the comparison
	 * group it serves (group.h). */
	char                     hub[TALLY_GROUP_STRLEN];
	uint64_t                 sender_version;
	int64_t                  sent_at_ms;
	struct tally_wire_state *states;
	size_t                   n_states;
	/* Approvals sent up (approval.h); owned by the submission when
	 * decoded, borrowed when encoded. */
	struct tally_approval *approvals;
	size_t                 n_approvals;
};

struct tally_ack_item {
	char     region[TALLY_REGION_STRLEN]; /* "" for the sender's own */
	char     indicator[TALLY_WIRE_TEXT_MAX];
	char     period[TALLY_PERIOD_STRLEN];
	uint64_t version;
	int      status; /* enum tally_ack_status */
	char     reason[TALLY_WIRE_REASON_MAX];
};

struct tally_ack {
	char                   hub_instance[TALLY_WIRE_TEXT_MAX];
	bool                   has_error;
	char                   error[TALLY_WIRE_REASON_MAX];
	struct tally_ack_item *items;
	size_t                 n_items;
	/* The parent's approvals of the child in force (approval.h); owned
	 * when decoded, borrowed when encoded. */
	struct tally_approval *approvals;
	size_t                 n_approvals;
};

/* Packs sub into an envelope in a new buffer, freed by the caller with
 * free(). Only ind, period, state, version, region, the received times,
 * the origin signature, leaves_out, withdrawn and change_reason of each
 * state are used. */
int tally_submission_encode(
    const struct tally_submission *sub, uint8_t **buf, size_t *len);

/* The same, signed with signer's key (signer NULL: unsigned). */
int tally_submission_encode_signed(const struct tally_submission *sub,
    const struct tally_signer *signer, uint8_t **buf, size_t *len);

/* Unpacks and validates. The caller frees *out with
 * tally_submission_free. */
int tally_submission_decode(const struct tally_catalog *cat,
    const uint8_t *buf, size_t len, struct tally_submission **out,
    struct tally_errbuf *eb);

/* Decodes and validates the body of an envelope already opened (and
 * its signature checked): envelope.h. */
int tally_submission_decode_body(const struct tally_catalog *cat,
    const uint8_t *body, size_t len, struct tally_submission **out,
    struct tally_errbuf *eb);

void tally_submission_free(struct tally_submission *sub);

int tally_ack_encode(const struct tally_ack *ack, uint8_t **buf, size_t *len);

int tally_ack_decode(const uint8_t *buf, size_t len, struct tally_ack **out,
    struct tally_errbuf *eb);

void tally_ack_free(struct tally_ack *ack);

/* The claim of ws as a state of region (sign.h): its strings point into
 * ws and the two period buffers, which must outlive the claim. */
void tally_wire_state_claim(const struct tally_wire_state *ws,
    const char *region, char period[TALLY_PERIOD_STRLEN],
    char newest[TALLY_PERIOD_STRLEN], struct tally_claim *c);

/* Signs ws as a state of region with s: sets its origin signature and
 * key id. */
int tally_wire_state_sign(struct tally_wire_state *ws, const char *region,
    const struct tally_signer *s);

/* Checks ws's origin signature as a state of region against the keys
 * file; returns an enum tally_verify and, on TALLY_VERIFY_OK, sets
 * origin_verified and origin_pk. When it is not OK, why (len bytes) says
 * why in a line for the acknowledgement and the log. */
int tally_wire_state_verify(const struct tally_keyring *kr,
    struct tally_wire_state *ws, const char *region, char *why, size_t len);

#endif

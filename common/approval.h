/*
 * Approval (审核): a hub's sign-off of the figures of one of its children
 * for a period and every period inside it (docs/approval.md). An approval
 * names exactly the states it approved through their digest: a BLAKE2b
 * hash over (region, indicator, period, version, sums, leaves) of every
 * state the hub holds of the child and the regions below it for those
 * periods, in a fixed order; the hub signs the digest with its Ed25519
 * key (sign.h), so that anyone above can prove what was approved and see
 * what changed since. While an approval is in force the hub refuses every
 * new version of a state it covers (the child keeps its correction, held
 * by approval) until the approval is reopened with a reason.
 *
 * Approvals live in the store (table approval, schema 8), one row per
 * approval made, never deleted: reopening sets reopened_at and the reason,
 * and approving again adds a new row, so the history of sign-offs stays.
 * A hub's own approvals have approver = its region; those made below it
 * arrive with its children's submissions (travel up) and are kept as they
 * came, with the approver's public key, so that `tally-hub audit --verify`
 * can check every one offline.
 */
#ifndef TALLY_APPROVAL_H
#define TALLY_APPROVAL_H

#include "catalog.h"
#include "errors.h"
#include "sign.h"
#include "store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The tables, for the store's schema and its migration to schema 8.
 * `changed` counts the writes of approval rows in this store (one more
 * than the highest, in the writer's transaction, so that it grows in the
 * order of the commits); approval_sent keeps per uplink the highest
 * `changed` its parent acknowledged: the uplink sends the rows above it. */
#define TALLY_APPROVAL_SQL                                                   \
	"CREATE TABLE IF NOT EXISTS approval ("                              \
	"  approver TEXT NOT NULL, child TEXT NOT NULL,"                     \
	"  period TEXT NOT NULL, approved_at INTEGER NOT NULL,"              \
	"  states INTEGER NOT NULL, digest TEXT NOT NULL,"                   \
	"  key_id TEXT NOT NULL DEFAULT '',"                                 \
	"  public_key TEXT NOT NULL DEFAULT '',"                             \
	"  signature TEXT NOT NULL DEFAULT '',"                              \
	"  note TEXT NOT NULL DEFAULT '',"                                   \
	"  reopened_at INTEGER, reopen_reason TEXT,"                         \
	"  changed INTEGER NOT NULL,"                                        \
	"  PRIMARY KEY (approver, child, period, approved_at))"              \
	"  WITHOUT ROWID;"                                                   \
	"CREATE INDEX IF NOT EXISTS approval_changed ON approval (changed);" \
	"CREATE TABLE IF NOT EXISTS approval_sent ("                         \
	"  uplink TEXT PRIMARY KEY, changed INTEGER NOT NULL)"               \
	"  WITHOUT ROWID;"

/* A digest: 32 bytes of BLAKE2b, as 64 lowercase hex digits. */
#define TALLY_APPROVAL_DIGEST_BYTES 32
#define TALLY_APPROVAL_DIGEST_HEX   65
/* A signature in hex, and its NUL. */
#define TALLY_APPROVAL_SIG_HEX (2 * TALLY_SIGN_BYTES + 1)
/* The most bytes of a note or of a reason to reopen. */
#define TALLY_APPROVAL_TEXT_MAX 255

struct tally_approval {
	char     approver[TALLY_REGION_STRLEN];
	char     child[TALLY_REGION_STRLEN];
	char     period[TALLY_PERIOD_STRLEN];
	int64_t  approved_ms; /* Unix ms */
	uint64_t states;      /* how many states the digest covers */
	char     digest[TALLY_APPROVAL_DIGEST_HEX];
	char     key_id[TALLY_KEY_ID_STRLEN];         /* "" when unsigned */
	char     public_key[TALLY_PUBLIC_B64_STRLEN]; /* base64, "" unsigned */
	char     signature[TALLY_APPROVAL_SIG_HEX];   /* hex, "" unsigned */
	char     note[TALLY_APPROVAL_TEXT_MAX + 1];
	int64_t  reopened_ms; /* 0 while in force */
	char     reopen_reason[TALLY_APPROVAL_TEXT_MAX + 1];
	int64_t  changed; /* the store's change counter when last written */
};

/* One state as the digest reads it. */
struct tally_approval_state {
	char     region[TALLY_REGION_STRLEN];
	char     indicator[64];
	char     period[TALLY_PERIOD_STRLEN];
	uint64_t version;
	double   sum_a, sum_b;
	uint64_t leaves;
};

/* The digest of n states, in the order given (tally_approval_collect
 * gives them sorted by region, indicator, period): for each, region,
 * indicator and period each followed by a 0x00 byte, then version,
 * sum_a, sum_b (IEEE 754 bits) and leaves as 8 bytes big-endian, after
 * the domain "tally-approval-states-v1" and a 0x00. */
void tally_approval_digest(const struct tally_approval_state *s, size_t n,
    char out[TALLY_APPROVAL_DIGEST_HEX]);

/* Every state the store holds from below of child or a region below it
 * (the division tree) for period or a period inside it, sorted. The
 * caller frees *out with free(). */
int tally_approval_collect(struct tally_store *st,
    const struct tally_catalog *cat, const char *child, const char *period,
    struct tally_approval_state **out, size_t *n);

/* The bytes an approver signs: "tally-approval-v1", 0x00, then approver,
 * child, period, digest and note each followed by 0x00, then approved_ms
 * and states as 8 bytes big-endian. *len is set; buf holds at least
 * TALLY_APPROVAL_MESSAGE_MAX bytes. */
#define TALLY_APPROVAL_MESSAGE_MAX 1024
void tally_approval_message(
    const struct tally_approval *a, uint8_t *buf, size_t *len);

/* Signs a with signer (sets key_id, public_key and signature). */
void tally_approval_sign(
    struct tally_approval *a, const struct tally_signer *signer);

/* Whether a's signature is its public key's over its message, and the key
 * id is that key's. False for an unsigned approval. */
bool tally_approval_signature_ok(const struct tally_approval *a);

/* Adds a (a new approval, or one received from below) inside the caller's
 * transaction; a row held already for the same (approver, child, period,
 * approved_ms) is replaced only when a differs (a reopening that came). */
int tally_approval_put(struct tally_store *st, const struct tally_approval *a);

/* Reopens approver's approvals in force of child for period: sets the
 * time and reason. TALLY_ENOENT when none is in force. */
int tally_approval_reopen(struct tally_store *st, const char *approver,
    const char *child, const char *period, int64_t at_ms, const char *reason);

/* Every approval held, or with approver non-NULL only its own, newest
 * first within (child, period). The caller frees *out with free(). */
int tally_approval_list(struct tally_store *st, const char *approver,
    struct tally_approval **out, size_t *n);

/* The approval in force by approver that covers the state of region
 * (child or below it) for period (the approval's period or one inside
 * it); TALLY_ENOENT when none. */
int tally_approval_covering(struct tally_store *st,
    const struct tally_catalog *cat, const char *approver, const char *region,
    const char *period, struct tally_approval *out);

/* Whether approver holds any approval in force (*any). */
int tally_approval_in_force(
    struct tally_store *st, const char *approver, bool *any);

/* Whether a new version of the state (region, indicator, period) would
 * change a state approver's approval in force covers: it would when the
 * store holds no version of it at or above version. Then why says who
 * approved it and whom to ask. */
bool tally_approval_holds(struct tally_store *st,
    const struct tally_catalog *cat, const char *approver, const char *region,
    const char *indicator, const char *period, uint64_t version, char *why,
    size_t len);

/* Puts the states the parent on uplink held by approval back in the
 * outbox (they are marked held in uplink_ack meanwhile); *released tells
 * whether there were any. */
int tally_approval_release_held(
    struct tally_store *st, const char *uplink, bool *released);

/* The approvals changed since the parent on uplink last acknowledged
 * them, at most max, oldest first, but for those the parent made itself
 * (parent: its region code), which it knows; *mark is the highest
 * `changed` among them, for tally_approval_sent. The caller frees *out
 * with free(). */
int tally_approval_pending(struct tally_store *st, const char *uplink,
    const char *parent, size_t max, struct tally_approval **out, size_t *n,
    int64_t *mark);

/* Takes, inside the caller's transaction, the list of parent's approvals
 * of region in force that came with the parent's answer: each is added,
 * and one held in force that the list leaves out is marked reopened (at
 * now_ms), as the parent reopened it. */
int tally_approval_from_parent(struct tally_store *st, const char *parent,
    const char *region, const struct tally_approval *a, size_t n,
    int64_t now_ms);

/* approver's approvals in force of child, for the answer to child. The
 * caller frees *out with free(). */
int tally_approval_of(struct tally_store *st, const char *approver,
    const char *child, struct tally_approval **out, size_t *n);

/* Records, inside the caller's transaction, that the parent on uplink
 * acknowledged every approval up to mark; a mark of 0 forgets what was
 * acknowledged (a new parent database), so everything goes again. */
int tally_approval_sent(
    struct tally_store *st, const char *uplink, int64_t mark);

/* Adds, inside the caller's transaction, the n approvals that came with
 * a submission from the direct child sender: each must be made at or
 * below sender, of a child of its approver, or it is left out (and
 * logged). */
int tally_approval_receive(struct tally_store *st,
    const struct tally_catalog *cat, const char *sender,
    const struct tally_approval *a, size_t n);

/* As JSON: {approver, child, period, approved_at (ISO 8601 UTC), states,
 * digest, key_id, signature, note, status ("approved" or "reopened"),
 * reopened_at, reopen_reason}. */
json_t *tally_approval_json(const struct tally_approval *a);

#endif

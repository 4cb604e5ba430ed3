/*
 * What the parent hub answered for each of the region's own states, for
 * `tally-node status` and the data-entry page: per uplink and (indicator,
 * period), the last answer with the version it was for, the status
 * (accepted, duplicate, stale, rejected, or the whole submission
 * refused), the hub's reason, which hub answered (the region code or
 * group the uplink addresses, and the instance id of its database) and
 * when. The outbox (uplink_ack in store.c) decides what is pending; this
 * table only keeps what a person asks about afterwards: who took a figure
 * and when, and why one was refused. It lives in the store's file (table
 * uplink_reply, schema 5), written in the transaction that records the
 * acknowledgements.
 */
#ifndef TALLY_REPLY_H
#define TALLY_REPLY_H

#include "store.h"
#include "wire.h"

#include <stdbool.h>
#include <stdint.h>

/* The table, for the store's schema and its migration to schema 5. */
#define TALLY_REPLY_SQL                                               \
	"CREATE TABLE IF NOT EXISTS uplink_reply ("                   \
	"  uplink TEXT NOT NULL, indicator TEXT NOT NULL,"            \
	"  period TEXT NOT NULL, version INTEGER NOT NULL,"           \
	"  status INTEGER NOT NULL, reason TEXT NOT NULL DEFAULT ''," \
	"  hub TEXT NOT NULL, hub_instance TEXT NOT NULL,"            \
	"  answered_at INTEGER NOT NULL,"                             \
	"  PRIMARY KEY (uplink, indicator, period)) WITHOUT ROWID;"

/* A whole submission refused (no state was looked at); the statuses of
 * single states are wire.h's TALLY_ACK_ACCEPTED .. TALLY_ACK_REJECTED. */
#define TALLY_REPLY_REFUSED 5

struct tally_reply {
	char     uplink[TALLY_WIRE_TEXT_MAX];
	uint64_t version; /* the version answered */
	int      status;  /* TALLY_ACK_* or TALLY_REPLY_REFUSED */
	char     reason[TALLY_WIRE_REASON_MAX]; /* "" unless refused */
	char     hub[TALLY_WIRE_TEXT_MAX];      /* region code or group */
	char     hub_instance[TALLY_WIRE_TEXT_MAX];
	int64_t  answered_ms; /* Unix ms at this store */
};

/* A prepared writer for one batch of answers. */
struct tally_reply_log;

/* Prepares the writer on st; the caller frees it with
 * tally_reply_log_close. */
int tally_reply_log_open(struct tally_store *st, struct tally_reply_log **out);

/* Records r for (indicator, period) inside the caller's transaction,
 * unless an answer for a newer version is held already. */
int tally_reply_log_put(struct tally_reply_log *log, const char *indicator,
    const char *period, const struct tally_reply *r);

void tally_reply_log_close(struct tally_reply_log *log);

/* The last answer for the region's own (indicator, period) on any
 * uplink (the newest version, then the latest); TALLY_ENOENT when none. */
int tally_reply_get(struct tally_store *st, const char *indicator,
    const char *period, struct tally_reply *out);

/* The highest version of the region's own (indicator, period) that the
 * outbox holds as answered on any uplink (what is above it is pending);
 * TALLY_ENOENT when none. */
int tally_reply_acked_version(struct tally_store *st, const char *indicator,
    const char *period, uint64_t *version);

/* The status in words, English ("accepted", "duplicate", "stale",
 * "rejected", "refused") and Chinese. */
const char *tally_reply_status_name(int status);
const char *tally_reply_status_zh(int status);

#endif

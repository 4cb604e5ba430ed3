/*
 * The hub's answers declared in reply.h, kept in table uplink_reply.
 */
#include "reply.h"

#include "log.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tally_reply_log {
	sqlite3      *db;
	sqlite3_stmt *put;
};

int
tally_reply_log_open(struct tally_store *st, struct tally_reply_log **out)
{
	/* An answer for an older version, arriving late (a REQ resend), must
	 * not hide the answer for the newer one. */
	static const char *const sql =
	    "INSERT INTO uplink_reply (uplink, indicator, period, version,"
	    " status, reason, hub, hub_instance, answered_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	    " ON CONFLICT (uplink, indicator, period) DO UPDATE SET"
	    " version = excluded.version, status = excluded.status,"
	    " reason = excluded.reason, hub = excluded.hub,"
	    " hub_instance = excluded.hub_instance,"
	    " answered_at = excluded.answered_at"
	    " WHERE excluded.version >= uplink_reply.version";
	struct tally_reply_log *log;
	int                     rc;

	log = calloc(1, sizeof(*log));
	if (log == NULL) {
		return TALLY_ENOMEM;
	}
	log->db = tally_store_handle(st);
	rc      = sqlite3_prepare_v2(log->db, sql, -1, &log->put, NULL);
	if (rc != SQLITE_OK) {
		rc = tally_store_sqlite_error(log->db, rc, "uplink_reply");
		tally_reply_log_close(log);
		return rc;
	}
	*out = log;
	return TALLY_OK;
}

int
tally_reply_log_put(struct tally_reply_log *log, const char *indicator,
    const char *period, const struct tally_reply *r)
{
	sqlite3_stmt *s = log->put;
	int           rc;

	sqlite3_bind_text(s, 1, r->uplink, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, indicator, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, period, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64) r->version);
	sqlite3_bind_int(s, 5, r->status);
	sqlite3_bind_text(s, 6, r->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, r->hub, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, r->hub_instance, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, r->answered_ms);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE
	    ? TALLY_OK
	    : tally_store_sqlite_error(log->db, rc, "uplink_reply");
}

void
tally_reply_log_close(struct tally_reply_log *log)
{
	if (log == NULL) {
		return;
	}
	sqlite3_finalize(log->put);
	free(log);
}

static void
copy_text(char *dst, size_t len, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, len, "%s", t != NULL ? (const char *) t : "");
}

int
tally_reply_get(struct tally_store *st, const char *indicator,
    const char *period, struct tally_reply *out)
{
	static const char *const sql =
	    "SELECT uplink, version, status, reason, hub, hub_instance,"
	    " answered_at FROM uplink_reply"
	    " WHERE indicator = ?1 AND period = ?2"
	    " ORDER BY version DESC, answered_at DESC LIMIT 1";
	sqlite3           *db = tally_store_handle(st);
	sqlite3_stmt      *s  = NULL;
	struct tally_reply r;
	int                rc;

	memset(&r, 0, sizeof(r));
	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(s);
		return tally_store_sqlite_error(db, rc, "uplink_reply");
	}
	sqlite3_bind_text(s, 1, indicator, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, period, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		copy_text(r.uplink, sizeof(r.uplink), s, 0);
		r.version = (uint64_t) sqlite3_column_int64(s, 1);
		r.status  = sqlite3_column_int(s, 2);
		copy_text(r.reason, sizeof(r.reason), s, 3);
		copy_text(r.hub, sizeof(r.hub), s, 4);
		copy_text(r.hub_instance, sizeof(r.hub_instance), s, 5);
		r.answered_ms = sqlite3_column_int64(s, 6);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE) {
		return TALLY_ENOENT;
	}
	if (rc != SQLITE_ROW) {
		return tally_store_sqlite_error(db, rc, "uplink_reply");
	}
	*out = r;
	return TALLY_OK;
}

int
tally_reply_acked_version(struct tally_store *st, const char *indicator,
    const char *period, uint64_t *version)
{
	/* The outbox keeps the region's own states under its own code. */
	static const char *const sql =
	    "SELECT max(version) FROM uplink_ack WHERE region = ?1"
	    " AND indicator = ?2 AND period = ?3";
	sqlite3      *db = tally_store_handle(st);
	sqlite3_stmt *s  = NULL;
	int           rc, rv = TALLY_ENOENT;
	uint64_t      v = 0;

	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(s);
		return tally_store_sqlite_error(db, rc, "uplink_ack");
	}
	sqlite3_bind_text(s, 1, tally_store_region(st), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, indicator, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, period, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		v  = (uint64_t) sqlite3_column_int64(s, 0);
		rv = TALLY_OK;
	} else if (rc != SQLITE_ROW) {
		rv = tally_store_sqlite_error(db, rc, "uplink_ack");
	}
	sqlite3_finalize(s);
	if (rv == TALLY_OK) {
		*version = v;
	}
	return rv;
}

const char *
tally_reply_status_name(int status)
{
	switch (status) {
	case TALLY_ACK_ACCEPTED:
		return "accepted";
	case TALLY_ACK_DUPLICATE:
		return "duplicate";
	case TALLY_ACK_STALE:
		return "stale";
	case TALLY_ACK_REJECTED:
		return "rejected";
	case TALLY_REPLY_REFUSED:
		return "refused";
	case TALLY_ACK_HELD:
		return "held";
	default:
		return "unknown";
	}
}

const char *
tally_reply_status_zh(int status)
{
	switch (status) {
	case TALLY_ACK_ACCEPTED:
		return "已接收";
	case TALLY_ACK_DUPLICATE:
		return "已接收(重复)";
	case TALLY_ACK_STALE:
		return "上级有更新版本";
	case TALLY_ACK_REJECTED:
		return "被退回";
	case TALLY_REPLY_REFUSED:
		return "整批被拒";
	case TALLY_ACK_HELD:
		return "已审核锁定";
	default:
		return "未知";
	}
}

/*
 * The refusal counts declared in refusal.h.
 */
#include "refusal.h"

#include "clock.h"
#include "log.h"
#include "rows.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const refusal_schema =
    "CREATE TABLE IF NOT EXISTS refusal ("
    "  sender TEXT NOT NULL PRIMARY KEY,"
    "  states INTEGER NOT NULL DEFAULT 0,"
    "  conflicts INTEGER NOT NULL DEFAULT 0,"
    "  submissions INTEGER NOT NULL DEFAULT 0,"
    "  last_at INTEGER NOT NULL, last_reason TEXT NOT NULL)"
    "  WITHOUT ROWID;";

int
tally_refusal_ensure(struct tally_store *st)
{
	sqlite3 *db = tally_store_handle(st);
	int      rc = sqlite3_exec(db, refusal_schema, NULL, NULL, NULL);

	return rc == SQLITE_OK
	    ? TALLY_OK
	    : tally_store_sqlite_error(db, rc, "refusal table");
}

int
tally_refusal_count(struct tally_store *st, const char *sender, int kind,
    const char *reason, int64_t at_ms)
{
	static const char *const sql =
	    "INSERT INTO refusal (sender, states, conflicts, submissions,"
	    " last_at, last_reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT (sender) DO UPDATE SET"
	    " states = states + excluded.states,"
	    " conflicts = conflicts + excluded.conflicts,"
	    " submissions = submissions + excluded.submissions,"
	    " last_at = excluded.last_at, last_reason = excluded.last_reason";
	sqlite3      *db = tally_store_handle(st);
	sqlite3_stmt *s  = NULL;
	int           rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(s);
		return tally_store_sqlite_error(db, rc, "refusal");
	}
	sqlite3_bind_text(
	    s, 1, sender != NULL ? sender : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, kind != TALLY_REFUSED_SUBMISSION);
	sqlite3_bind_int(s, 3, kind == TALLY_REFUSED_CONFLICT);
	sqlite3_bind_int(s, 4, kind == TALLY_REFUSED_SUBMISSION);
	sqlite3_bind_int64(s, 5, at_ms);
	sqlite3_bind_text(s, 6, reason, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? TALLY_OK
	                         : tally_store_sqlite_error(db, rc, "refusal");
}

/* One row of tally_refusal_list's query. */
static void
read_refusal(sqlite3_stmt *s, void *elem)
{
	struct tally_refusal *r = elem;

	tally_rows_text(s, 0, r->sender, sizeof(r->sender));
	r->states      = (uint64_t) sqlite3_column_int64(s, 1);
	r->conflicts   = (uint64_t) sqlite3_column_int64(s, 2);
	r->submissions = (uint64_t) sqlite3_column_int64(s, 3);
	r->last_ms     = sqlite3_column_int64(s, 4);
	tally_rows_text(s, 5, r->last_reason, sizeof(r->last_reason));
}

int
tally_refusal_list(
    struct tally_store *st, struct tally_refusal **out, size_t *n)
{
	sqlite3      *db = tally_store_handle(st);
	sqlite3_stmt *s  = NULL;
	void         *arr;
	int           rc;

	rc = sqlite3_prepare_v2(db,
	    "SELECT sender, states, conflicts, submissions, last_at,"
	    " last_reason FROM refusal ORDER BY sender",
	    -1, &s, NULL);
	if (rc != SQLITE_OK) {
		/* A store no hub of this version ran on: nothing refused. */
		sqlite3_finalize(s);
		*out = NULL;
		*n   = 0;
		return TALLY_OK;
	}
	rc = tally_rows_collect(db, s, sizeof(struct tally_refusal),
	    read_refusal, "refusal", &arr, n);
	sqlite3_finalize(s);
	if (rc == TALLY_OK) {
		*out = arr;
	}
	return rc;
}

json_t *
tally_refusal_json(const struct tally_refusal *r, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < n; i++) {
		char    stamp[TALLY_CLOCK_ISO_STRLEN];
		json_t *o;

		tally_clock_format_iso(r[i].last_ms, stamp, sizeof(stamp));
		o = json_pack("{s:s?, s:I, s:I, s:I, s:s, s:s}", "sender",
		    r[i].sender[0] != '\0' ? r[i].sender : NULL, "states",
		    (json_int_t) r[i].states, "conflicts",
		    (json_int_t) r[i].conflicts, "submissions",
		    (json_int_t) r[i].submissions, "last_at", stamp,
		    "last_reason", r[i].last_reason);
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

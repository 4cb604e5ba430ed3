/*
 * The refusal counts declared in refusal.h.
 */
#include "refusal.h"

#include "log.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

int
tally_refusal_list(
    struct tally_store *st, struct tally_refusal **out, size_t *n)
{
	sqlite3              *db    = tally_store_handle(st);
	sqlite3_stmt         *s     = NULL;
	struct tally_refusal *arr   = NULL;
	size_t                count = 0, cap = 0;
	int                   rc, rv         = TALLY_OK;

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
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct tally_refusal *r;
		const char           *text;

		if (count == cap) {
			size_t                ncap = cap == 0 ? 8 : cap * 2;
			struct tally_refusal *p =
			    realloc(arr, ncap * sizeof(*arr));
			if (p == NULL) {
				rv = TALLY_ENOMEM;
				break;
			}
			arr = p;
			cap = ncap;
		}
		r = &arr[count++];
		memset(r, 0, sizeof(*r));
		text = (const char *) sqlite3_column_text(s, 0);
		snprintf(r->sender, sizeof(r->sender), "%s", text ? text : "");
		r->states      = (uint64_t) sqlite3_column_int64(s, 1);
		r->conflicts   = (uint64_t) sqlite3_column_int64(s, 2);
		r->submissions = (uint64_t) sqlite3_column_int64(s, 3);
		r->last_ms     = sqlite3_column_int64(s, 4);
		text           = (const char *) sqlite3_column_text(s, 5);
		snprintf(r->last_reason, sizeof(r->last_reason), "%s",
		    text ? text : "");
	}
	if (rv == TALLY_OK && rc != SQLITE_DONE) {
		rv = tally_store_sqlite_error(db, rc, "refusal");
	}
	sqlite3_finalize(s);
	if (rv != TALLY_OK) {
		free(arr);
		return rv;
	}
	*out = arr;
	*n   = count;
	return TALLY_OK;
}

json_t *
tally_refusal_json(const struct tally_refusal *r, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < n; i++) {
		time_t    t = (time_t) (r[i].last_ms / 1000);
		struct tm tm;
		char      stamp[32];
		json_t   *o;

		gmtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
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

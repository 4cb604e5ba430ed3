/*
 * The reasons of state changes and the withdrawals declared in reason.h.
 * Statements are prepared per call, as refusal.c does: a reason is
 * written once per correction, and read once per batch sent.
 */
#include "reason.h"

#include "clock.h"
#include "log.h"
#include "rows.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
tally_reason_put(struct tally_store *st, const char *region,
    const char *indicator, const char *period, uint64_t version,
    bool withdrawn, const char *reason, int64_t at_ms)
{
	static const char *const sql =
	    "INSERT OR IGNORE INTO state_reason (region, indicator, period,"
	    " version, withdrawn, reason, held_from) VALUES (?1, ?2, ?3, ?4,"
	    " ?5, ?6, coalesce((SELECT held_from FROM state_history"
	    " WHERE region = ?1 AND indicator = ?2 AND period = ?3"
	    " AND version = ?4), ?7))";
	sqlite3      *db = tally_store_handle(st);
	sqlite3_stmt *s  = NULL;
	int           rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(s);
		return tally_store_sqlite_error(db, rc, "state reason");
	}
	sqlite3_bind_text(s, 1, region, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, indicator, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, period, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64) version);
	sqlite3_bind_int(s, 5, withdrawn);
	sqlite3_bind_text(s, 6, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, (sqlite3_int64) at_ms);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE
	    ? TALLY_OK
	    : tally_store_sqlite_error(db, rc, "state reason");
}

static const char *const get_sql =
    "SELECT withdrawn, reason FROM state_reason WHERE region = ?1"
    " AND indicator = ?2 AND period = ?3 AND version = ?4";

/* Reads the reason of one version with s (get_sql); TALLY_ENOENT when
 * none. */
static int
get_with(sqlite3 *db, sqlite3_stmt *s, const char *region,
    const char *indicator, const char *period, uint64_t version,
    bool *withdrawn, char *reason, size_t len)
{
	int rc, rv;

	sqlite3_bind_text(s, 1, region, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, indicator, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, period, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64) version);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*withdrawn = sqlite3_column_int(s, 0) != 0;
		tally_rows_text(s, 1, reason, len);
		rv = TALLY_OK;
	} else {
		rv = rc == SQLITE_DONE
		    ? TALLY_ENOENT
		    : tally_store_sqlite_error(db, rc, "state reason");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rv;
}

int
tally_reason_get(struct tally_store *st, const char *region,
    const char *indicator, const char *period, uint64_t version,
    bool *withdrawn, char *reason, size_t len)
{
	sqlite3      *db = tally_store_handle(st);
	sqlite3_stmt *s  = NULL;
	int           rc, rv;

	rc = sqlite3_prepare_v2(db, get_sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(s);
		return tally_store_sqlite_error(db, rc, "state reason");
	}
	rv = get_with(
	    db, s, region, indicator, period, version, withdrawn, reason, len);
	sqlite3_finalize(s);
	return rv;
}

/* Whether the table holds any row: most stores never see a reason, and
 * then a batch costs one lookup, not one per state. */
static int
any_reason(sqlite3 *db, bool *any)
{
	sqlite3_stmt *s = NULL;
	int           rc;

	rc = sqlite3_prepare_v2(
	    db, "SELECT 1 FROM state_reason LIMIT 1", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		return tally_store_sqlite_error(db, rc, "state reason");
	}
	*any = rc == SQLITE_ROW;
	return TALLY_OK;
}

int
tally_reason_attach(
    struct tally_store *st, struct tally_wire_state *ws, size_t n)
{
	sqlite3      *db  = tally_store_handle(st);
	sqlite3_stmt *s   = NULL;
	bool          any = false;
	int           rc, rv;

	rv = n > 0 ? any_reason(db, &any) : TALLY_OK;
	if (rv != TALLY_OK || n == 0 || !any) {
		return rv;
	}
	rc = sqlite3_prepare_v2(db, get_sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(s);
		return tally_store_sqlite_error(db, rc, "state reason");
	}
	for (size_t i = 0; rv == TALLY_OK && i < n; i++) {
		char period[TALLY_PERIOD_STRLEN];
		bool withdrawn;

		tally_period_format(&ws[i].period, period);
		rv = get_with(db, s, ws[i].region, ws[i].ind->id, period,
		    ws[i].version, &withdrawn, ws[i].change_reason,
		    sizeof(ws[i].change_reason));
		if (rv == TALLY_OK) {
			ws[i].withdrawn = withdrawn;
		} else if (rv == TALLY_ENOENT) {
			ws[i].withdrawn        = false;
			ws[i].change_reason[0] = '\0';
			rv                     = TALLY_OK;
		}
	}
	sqlite3_finalize(s);
	return rv;
}

/* One row of tally_reason_withdrawals' query. */
static void
read_withdrawal(sqlite3_stmt *s, void *elem)
{
	struct tally_withdrawal *w = elem;

	tally_rows_text(s, 0, w->region, sizeof(w->region));
	tally_rows_text(s, 1, w->indicator, sizeof(w->indicator));
	tally_rows_text(s, 2, w->period, sizeof(w->period));
	w->version = (uint64_t) sqlite3_column_int64(s, 3);
	w->at_ms   = sqlite3_column_int64(s, 4);
	tally_rows_text(s, 5, w->reason, sizeof(w->reason));
}

int
tally_reason_withdrawals(struct tally_store *st, const char *period,
    int64_t as_of_ms, struct tally_withdrawal **out, size_t *n)
{
	/* A withdrawal is in force while the version it made is the newest
	 * the history held at as_of_ms. */
	static const char *const sql =
	    "SELECT r.region, r.indicator, r.period, r.version, r.held_from,"
	    " r.reason FROM state_reason r WHERE r.withdrawn = 1"
	    " AND (?1 IS NULL OR r.period = ?1) AND r.held_from <= ?2"
	    " AND r.version = (SELECT max(h.version) FROM state_history h"
	    " WHERE h.region = r.region AND h.indicator = r.indicator"
	    " AND h.period = r.period AND h.held_from <= ?2)"
	    " ORDER BY r.region, r.indicator, r.period";
	sqlite3      *db = tally_store_handle(st);
	sqlite3_stmt *s  = NULL;
	void         *arr;
	int           rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(s);
		return tally_store_sqlite_error(db, rc, "withdrawals");
	}
	if (period != NULL) {
		sqlite3_bind_text(s, 1, period, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(s, 2, as_of_ms > 0 ? as_of_ms : INT64_MAX);
	rc = tally_rows_collect(db, s, sizeof(struct tally_withdrawal),
	    read_withdrawal, "withdrawals", &arr, n);
	sqlite3_finalize(s);
	if (rc == TALLY_OK) {
		*out = arr;
	}
	return rc;
}

json_t *
tally_reason_json(
    const struct tally_withdrawal *w, size_t n, const char *own_region)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < n; i++) {
		char    stamp[TALLY_CLOCK_ISO_STRLEN];
		json_t *o;

		tally_clock_format_iso(w[i].at_ms, stamp, sizeof(stamp));
		o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "region",
		    w[i].region[0] != '\0' ? w[i].region : own_region,
		    "indicator", w[i].indicator, "period", w[i].period,
		    "version", (json_int_t) w[i].version, "withdrawn_at",
		    stamp, "reason", w[i].reason);
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

int
tally_reason_report(struct tally_store *st, const char *period,
    const char *indicator, int64_t as_of_ms, const char *own_region,
    json_t *root)
{
	struct tally_withdrawal *w = NULL;
	size_t                   n = 0, kept = 0;
	json_t                  *arr;
	int rv = tally_reason_withdrawals(st, period, as_of_ms, &w, &n);

	if (rv != TALLY_OK) {
		return rv;
	}
	for (size_t i = 0; i < n; i++) {
		if (indicator == NULL ||
		    strcmp(w[i].indicator, indicator) == 0) {
			w[kept++] = w[i];
		}
	}
	arr = kept > 0 ? tally_reason_json(w, kept, own_region) : NULL;
	free(w);
	if (kept > 0 && arr == NULL) {
		return TALLY_ENOMEM;
	}
	if (arr != NULL) {
		json_object_set_new(root, "withdrawn", arr);
	}
	return TALLY_OK;
}

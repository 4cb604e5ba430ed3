/*
 * The SQLite store declared in store.h. Statements are prepared once, when
 * the store opens, and reused. SQLite's result codes are turned into
 * Tally's here and their text logged once.
 */
/* program_invocation_short_name: the refusal of a newer store names the
 * program that refuses it. */
#define _GNU_SOURCE
#include "store.h"

#include "account.h"
#include "admit.h"
#include "backup.h"
#include "clock.h"
#include "group.h"
#include "log.h"
#include "approval.h"
#include "reason.h"
#include "reply.h"
#include "snapshot.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STORE_SCHEMA_VERSION "8"

enum store_stmt {
	ST_OVERLAP,
	ST_GET,
	ST_UPSERT,
	ST_CLOCK_GET,
	ST_CLOCK_SET,
	ST_SELECT,
	ST_SELECT_ALL,
	ST_VERSION,
	ST_SNAP_GET,
	ST_SNAP_PUT,
	ST_RSTATE_VERSION,
	ST_RSTATE_PUT,
	ST_RSTATE_GET,
	ST_CHILDREN,
	ST_HELD,
	ST_ABSORBED,
	ST_PENDING_OWN,
	ST_PENDING_BELOW,
	ST_ACKED,
	ST_PERIODS,
	ST_REGION_PERIODS,
	ST_DATA_VERSION,
	ST_COUNT,
};

/* The statements of the history (store.h, the _asof functions): one
 * append per changed row, and the as-of reads. */
enum hist_stmt {
	HIST_RSTATE,
	HIST_SNAP,
	HIST_OBS,
	HIST_SNAP_ASOF,
	HIST_HELD_ASOF,
	HIST_OBS_ASOF,
	HIST_COUNT,
};

struct tally_store {
	sqlite3                    *db;
	const struct tally_catalog *cat;
	char                        region[TALLY_REGION_STRLEN];
	/* A comparison group's store has a group name instead of a region
	 * ("" in region); a region's store has "" here. */
	char group[TALLY_GROUP_STRLEN];
	char members[TALLY_GROUP_MEMBERS_TEXT];
	char instance_id[33];
	bool is_leaf;
	/* Why next_version last refused to make a version (admit.h). */
	char clock_error[256];
	/* What the region leaves out of its own states by this catalogue's
	 * division_changes.csv (catalog.h), and whether a snapshot held back
	 * for a state made by another file has been logged. */
	char          leaves_out[TALLY_LEAVES_OUT_STRLEN];
	bool          held_logged;
	sqlite3_stmt *stmt[ST_COUNT];
	sqlite3_stmt *hist[HIST_COUNT];
	/* The audit trail's statements, prepared at their first use (a
	 * node's store has no audit tables) and kept. */
	sqlite3_stmt *audit_last;
	sqlite3_stmt *audit_env;
	sqlite3_stmt *audit_state;
	/* The time of the open write transaction in Unix ms, from which
	 * every row it changes is held (0 outside one): one time per
	 * transaction, so that as of any moment the history shows either
	 * all of a commit or none of it. */
	int64_t txn_ms;
	/* The snapshots that direct children's new states changed in the
	 * open transaction, each stored once, at commit, however many
	 * children's states for it the transaction took. A child's new
	 * state changes it by the difference from the state it replaces
	 * (snapshot.h); only when that cannot tell (an extreme departed,
	 * redistricting, a snapshot this process did not store last) is it
	 * recomputed from every child's state, which reads n rows. */
	struct tally_snapmap *snaps;
};

#define STATE_COLS                                                            \
	"sum_a, sum_b, leaves, min_value, min_region, max_value, max_region," \
	" newest"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_OVERLAP]    = "SELECT period FROM observation WHERE indicator = ?1"
	                  " AND period <> ?2 AND first_month <= ?4"
	                  " AND last_month >= ?3 LIMIT 1",
	[ST_GET]        = "SELECT num, den, value, weight FROM observation"
	                  " WHERE indicator = ?1 AND period = ?2",
	[ST_UPSERT]     = "INSERT INTO observation (indicator, period,"
	                  " first_month, last_month, num, den, value, weight,"
	                  " version, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5,"
	                  " ?6, ?7, ?8, ?9, ?10) ON CONFLICT (indicator, period)"
	                  " DO UPDATE SET num = excluded.num,"
	                  " den = excluded.den, value = excluded.value,"
	                  " weight = excluded.weight, version = excluded.version,"
	                  " recorded_at = excluded.recorded_at"
	                  " WHERE excluded.version > observation.version",
	[ST_CLOCK_GET]  = "SELECT CAST(value AS INTEGER) FROM meta"
	                  " WHERE key = 'clock'",
	[ST_CLOCK_SET]  = "UPDATE meta SET value = ?1 WHERE key = 'clock'",
	[ST_SELECT]     = "SELECT period, num, den, value, weight"
	                  " FROM observation WHERE indicator = ?1"
	                  " AND first_month >= ?2 AND last_month <= ?3"
	                  " ORDER BY first_month",
	[ST_SELECT_ALL] = "SELECT period, num, den, value, weight"
	                  " FROM observation WHERE indicator = ?1"
	                  " ORDER BY first_month",
	[ST_VERSION]    = "SELECT version FROM snapshot"
	                  " WHERE indicator = ?1 AND period = ?2",
	[ST_SNAP_GET]   = "SELECT version, " STATE_COLS ", leaves_out"
	                  " FROM snapshot WHERE indicator = ?1 AND period = ?2",
	[ST_SNAP_PUT] =
	    "INSERT INTO snapshot (indicator, period, version, " STATE_COLS
	    ", leaves_out) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
	    " ?11, ?12)"
	    " ON CONFLICT (indicator, period) DO UPDATE SET"
	    " version = excluded.version, sum_a = excluded.sum_a,"
	    " sum_b = excluded.sum_b, leaves = excluded.leaves,"
	    " min_value = excluded.min_value, min_region = "
	    "excluded.min_region,"
	    " max_value = excluded.max_value, max_region = "
	    "excluded.max_region,"
	    " newest = excluded.newest, leaves_out = excluded.leaves_out"
	    " WHERE excluded.version > snapshot.version",
	[ST_RSTATE_VERSION] = "SELECT version FROM region_state"
	                      " WHERE indicator = ?1 AND period = ?2"
	                      " AND region = ?3",
	/* The first arrival is kept across versions: timeliness is about
	 * when a region first reported, corrections come later. */
	[ST_RSTATE_PUT] =
	    "INSERT INTO region_state (indicator, period, region, via,"
	    " version, " STATE_COLS ", first_received_at, received_at,"
	    " origin_key_id, origin_signature, leaves_out)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
	    " ?13, ?14, ?15, ?16, ?17, ?18)"
	    " ON CONFLICT (indicator, period, region) DO UPDATE SET"
	    " via = excluded.via, version = excluded.version,"
	    " sum_a = excluded.sum_a, sum_b = excluded.sum_b,"
	    " leaves = excluded.leaves, min_value = excluded.min_value,"
	    " min_region = excluded.min_region,"
	    " max_value = excluded.max_value,"
	    " max_region = excluded.max_region, newest = excluded.newest,"
	    " first_received_at = min(region_state.first_received_at,"
	    " excluded.first_received_at),"
	    " received_at = excluded.received_at,"
	    " origin_key_id = excluded.origin_key_id,"
	    " origin_signature = excluded.origin_signature,"
	    " leaves_out = excluded.leaves_out"
	    " WHERE excluded.version > region_state.version",
	[ST_RSTATE_GET] = "SELECT region, version, " STATE_COLS
	                  ", first_received_at, received_at, via, leaves_out"
	                  " FROM region_state WHERE indicator = ?1"
	                  " AND period = ?2 AND region = ?3",
	/* A direct child's row is the one it sent itself (region = via);
	 * those enter the region's own rollup, except a moving child that
	 * the region leaves out (catalog.h). */
	[ST_CHILDREN] = "SELECT region, version, " STATE_COLS
	                ", first_received_at, received_at, via, leaves_out"
	                " FROM region_state WHERE indicator = ?1"
	                " AND period = ?2 AND region = via"
	                " AND tally_child(region, period)"
	                " AND NOT tally_left_out(region) ORDER BY region",
	[ST_HELD] = "SELECT region, version, " STATE_COLS
	            ", first_received_at, received_at, via, leaves_out"
	            " FROM region_state WHERE indicator = ?1"
	            " AND period = ?2 AND tally_below(region, period)"
	            " ORDER BY region",
	/* The moving regions further below whose own states the region adds
	 * itself, because the child between leaves them out. */
	[ST_ABSORBED] = "SELECT region, version, " STATE_COLS
	                ", first_received_at, received_at, via, leaves_out"
	                " FROM region_state WHERE indicator = ?1"
	                " AND period = ?2 AND tally_absorbs(region, period)"
	                " ORDER BY region",
	[ST_PENDING_OWN] =
	    "SELECT s.indicator, s.period, s.version, s.sum_a,"
	    " s.sum_b, s.leaves, s.min_value, s.min_region, s.max_value,"
	    " s.max_region, s.newest, s.leaves_out"
	    " FROM snapshot s LEFT JOIN uplink_ack a"
	    " ON a.uplink = ?1 AND a.region = ?3 AND a.indicator = s.indicator"
	    " AND a.period = s.period"
	    " WHERE (a.version IS NULL OR s.version > a.version)"
	    " AND tally_sends(?3, s.period, ?4)"
	    " ORDER BY s.version LIMIT ?2",
	[ST_PENDING_BELOW] =
	    "SELECT r.indicator, r.period, r.version, r.sum_a,"
	    " r.sum_b, r.leaves, r.min_value, r.min_region, r.max_value,"
	    " r.max_region, r.newest, r.region, r.first_received_at,"
	    " r.received_at, r.origin_key_id, r.origin_signature,"
	    " r.leaves_out FROM region_state r LEFT JOIN uplink_ack a"
	    " ON a.uplink = ?1 AND a.region = r.region"
	    " AND a.indicator = r.indicator AND a.period = r.period"
	    " WHERE (a.version IS NULL OR r.version > a.version)"
	    " AND tally_sends(r.region, r.period, ?3)"
	    " ORDER BY r.version LIMIT ?2",
	[ST_ACKED] =
	    "INSERT INTO uplink_ack (uplink, region, indicator,"
	    " period, version, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT (uplink, region, indicator, period)"
	    " DO UPDATE SET version = excluded.version,"
	    " status = excluded.status"
	    " WHERE excluded.version >= uplink_ack.version",
	[ST_DATA_VERSION]   = "PRAGMA data_version",
	[ST_PERIODS]        = "SELECT period FROM snapshot UNION"
	                      " SELECT period FROM region_state",
	[ST_REGION_PERIODS] = "SELECT DISTINCT period FROM region_state"
	                      " WHERE region = ?1",
};

/* The audit trail (store.h): every accepted envelope and each state it
 * changed with what it replaced. Triggers make both tables append-only. */
#define STORE_AUDIT_SQL                                                  \
	"CREATE TABLE IF NOT EXISTS audit_envelope ("                    \
	"  id INTEGER PRIMARY KEY, received_at INTEGER NOT NULL,"        \
	"  sender TEXT NOT NULL, key_id TEXT NOT NULL, public_key BLOB," \
	"  signature BLOB, body BLOB NOT NULL, chain BLOB NOT NULL);"    \
	"CREATE TABLE IF NOT EXISTS audit_state ("                       \
	"  envelope INTEGER NOT NULL REFERENCES audit_envelope (id),"    \
	"  seq INTEGER NOT NULL, region TEXT NOT NULL,"                  \
	"  indicator TEXT NOT NULL, period TEXT NOT NULL,"               \
	"  version INTEGER NOT NULL, sum_a REAL NOT NULL,"               \
	"  sum_b REAL NOT NULL, leaves INTEGER NOT NULL,"                \
	"  prev_version INTEGER, prev_sum_a REAL, prev_sum_b REAL,"      \
	"  prev_leaves INTEGER, prev_via TEXT,"                          \
	"  origin_key_id TEXT, origin_signature BLOB,"                   \
	"  origin_public_key BLOB,"                                      \
	"  PRIMARY KEY (envelope, seq)) WITHOUT ROWID;"                  \
	"CREATE INDEX IF NOT EXISTS audit_state_key"                     \
	"  ON audit_state (region, indicator, period, version);"         \
	"CREATE TRIGGER IF NOT EXISTS audit_envelope_no_update"          \
	"  BEFORE UPDATE ON audit_envelope BEGIN"                        \
	"  SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"  \
	"CREATE TRIGGER IF NOT EXISTS audit_envelope_no_delete"          \
	"  BEFORE DELETE ON audit_envelope BEGIN"                        \
	"  SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"  \
	"CREATE TRIGGER IF NOT EXISTS audit_state_no_update"             \
	"  BEFORE UPDATE ON audit_state BEGIN"                           \
	"  SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"  \
	"CREATE TRIGGER IF NOT EXISTS audit_state_no_delete"             \
	"  BEFORE DELETE ON audit_state BEGIN"                           \
	"  SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"  \
	"CREATE TABLE IF NOT EXISTS audit_repair ("                      \
	"  id INTEGER PRIMARY KEY, at INTEGER NOT NULL,"                 \
	"  region TEXT NOT NULL, indicator TEXT NOT NULL,"               \
	"  period TEXT NOT NULL, version INTEGER NOT NULL,"              \
	"  via TEXT NOT NULL, sum_a REAL NOT NULL, sum_b REAL NOT NULL," \
	"  leaves INTEGER NOT NULL, new_instance TEXT NOT NULL);"        \
	"CREATE TRIGGER IF NOT EXISTS audit_repair_no_update"            \
	"  BEFORE UPDATE ON audit_repair BEGIN"                          \
	"  SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"  \
	"CREATE TRIGGER IF NOT EXISTS audit_repair_no_delete"            \
	"  BEFORE DELETE ON audit_repair BEGIN"                          \
	"  SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"

/* The history: every version of every state the store has held (the
 * store's own snapshots with region '', and each state of a region below
 * it as region_state held it), and every version of its own observations,
 * each with the time at this store from which it was held (held_from,
 * Unix ms). Rows are appended in the same transaction as the change they
 * record, so the newest row of a key is always the current one; the
 * newest row with held_from <= T is what the store held at T. The key
 * begins with the region, so that the rows one submission appends (all of
 * one child's states) lie together in a few pages; keyed by indicator
 * first, they would scatter over as many pages as the current tables'
 * rows do, and a commit writes whole pages. */
#define STORE_HISTORY_SQL                                                    \
	"CREATE TABLE IF NOT EXISTS state_history ("                         \
	"  indicator TEXT NOT NULL, period TEXT NOT NULL,"                   \
	"  region TEXT NOT NULL, version INTEGER NOT NULL, via TEXT,"        \
	"  sum_a REAL NOT NULL, sum_b REAL NOT NULL,"                        \
	"  leaves INTEGER NOT NULL, min_value REAL, min_region TEXT,"        \
	"  max_value REAL, max_region TEXT, newest TEXT,"                    \
	"  first_received_at INTEGER, received_at INTEGER,"                  \
	"  held_from INTEGER NOT NULL,"                                      \
	"  leaves_out TEXT NOT NULL DEFAULT '',"                             \
	"  PRIMARY KEY (region, indicator, period, version)) WITHOUT ROWID;" \
	"CREATE TABLE IF NOT EXISTS observation_history ("                   \
	"  indicator TEXT NOT NULL, period TEXT NOT NULL,"                   \
	"  version INTEGER NOT NULL, first_month INTEGER NOT NULL,"          \
	"  last_month INTEGER NOT NULL, num REAL, den REAL, value REAL,"     \
	"  weight REAL, held_from INTEGER NOT NULL,"                         \
	"  PRIMARY KEY (indicator, period, version)) WITHOUT ROWID;"

/* Each append copies the row just written, so the history holds exactly
 * what the current tables hold; OR IGNORE makes a write that changed
 * nothing (an older version) append nothing. */
static const char *const hist_sql[HIST_COUNT] = {
	/* The row region_state was just given, bound with the same
	 * parameters as ST_RSTATE_PUT (?14 already the first arrival of
	 * all), so that it is not read back. */
	[HIST_RSTATE] =
	    "INSERT OR IGNORE INTO state_history (indicator, period, region,"
	    " version, via, " STATE_COLS ", first_received_at, received_at,"
	    " held_from, leaves_out) VALUES (?1, ?2, ?3, ?5, ?4, ?6, ?7, ?8,"
	    " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?19, ?18)",
	[HIST_SNAP] =
	    "INSERT OR IGNORE INTO state_history (indicator, period, region,"
	    " version, " STATE_COLS ", held_from, leaves_out) SELECT"
	    " indicator, period, '', version, " STATE_COLS ", ?3, leaves_out"
	    " FROM snapshot"
	    " WHERE indicator = ?1 AND period = ?2",
	[HIST_OBS] =
	    "INSERT OR IGNORE INTO observation_history (indicator, period,"
	    " version, first_month, last_month, num, den, value, weight,"
	    " held_from) SELECT indicator, period, version, first_month,"
	    " last_month, num, den, value, weight, ?3 FROM observation"
	    " WHERE indicator = ?1 AND period = ?2",
	[HIST_SNAP_ASOF] = "SELECT version, " STATE_COLS ", leaves_out"
	                   " FROM state_history WHERE indicator = ?1"
	                   " AND period = ?2 AND region = ''"
	                   " AND held_from <= ?3 ORDER BY version DESC"
	                   " LIMIT 1",
	/* The regions held for (indicator, period) now are those ever held
	 * (a state is replaced, never removed), so region_state lists them
	 * and each one's history is found by its key. CROSS JOIN keeps that
	 * order. */
	[HIST_HELD_ASOF] =
	    "SELECT h.region, h.version, h.sum_a, h.sum_b, h.leaves,"
	    " h.min_value, h.min_region, h.max_value, h.max_region, h.newest,"
	    " h.first_received_at, h.received_at, h.via, h.leaves_out"
	    " FROM region_state r CROSS JOIN state_history h"
	    " ON h.region = r.region AND h.indicator = r.indicator"
	    " AND h.period = r.period AND h.version = (SELECT max(x.version)"
	    " FROM state_history x WHERE x.region = r.region"
	    " AND x.indicator = r.indicator AND x.period = r.period"
	    " AND x.held_from <= ?3)"
	    " WHERE r.indicator = ?1 AND r.period = ?2"
	    " AND tally_below(r.region, r.period) ORDER BY r.region",
	/* A withdrawn observation's newest row is a tombstone, every figure
	 * NULL (tally_store_withdraw): as of then, it is not there. */
	/* One max() alone, so that the bare columns are its row's (the
	 * months of a period are the same in all of them). */
	[HIST_OBS_ASOF] = "SELECT period, num, den, value, weight, v FROM"
	                  " (SELECT period, num, den, value, weight,"
	                  " max(version) AS v, first_month AS m"
	                  " FROM observation_history"
	                  " WHERE indicator = ?1 AND first_month >= ?2"
	                  " AND last_month <= ?3 AND held_from <= ?4"
	                  " GROUP BY period)"
	                  " WHERE num IS NOT NULL OR den IS NOT NULL"
	                  " OR value IS NOT NULL OR weight IS NOT NULL"
	                  " ORDER BY m",
};

static const char *schema_sql =
    "CREATE TABLE IF NOT EXISTS meta ("
    "  key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS observation ("
    "  indicator TEXT NOT NULL, period TEXT NOT NULL,"
    "  first_month INTEGER NOT NULL, last_month INTEGER NOT NULL,"
    "  num REAL, den REAL, value REAL, weight REAL,"
    "  version INTEGER NOT NULL, recorded_at INTEGER NOT NULL,"
    "  PRIMARY KEY (indicator, period)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS observation_span"
    "  ON observation (indicator, first_month);"
    /* The region's own figure per (indicator, period): its own
     * observations merged with its children's states, kept current in
     * the same transaction as every change, with the version that the
     * uplink sends. */
    "CREATE TABLE IF NOT EXISTS snapshot ("
    "  indicator TEXT NOT NULL, period TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  sum_a REAL NOT NULL DEFAULT 0, sum_b REAL NOT NULL DEFAULT 0,"
    "  leaves INTEGER NOT NULL DEFAULT 0,"
    "  min_value REAL, min_region TEXT, max_value REAL, max_region TEXT,"
    "  newest TEXT,"
    /* What the region left out of the state (catalog.h). */
    "  leaves_out TEXT NOT NULL DEFAULT '',"
    "  PRIMARY KEY (indicator, period)) WITHOUT ROWID;"
    /* Hubs only: the newest state of every region below the hub, each
     * with the direct child it came through (via; via = region for the
     * child's own state) and, in Unix ms, when a state of it first
     * arrived and when this version arrived (at the hub that received
     * it from the region itself). */
    "CREATE TABLE IF NOT EXISTS region_state ("
    "  indicator TEXT NOT NULL, period TEXT NOT NULL,"
    "  region TEXT NOT NULL, via TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  sum_a REAL NOT NULL, sum_b REAL NOT NULL, leaves INTEGER NOT NULL,"
    "  min_value REAL, min_region TEXT, max_value REAL, max_region TEXT,"
    "  newest TEXT NOT NULL, first_received_at INTEGER NOT NULL,"
    "  received_at INTEGER NOT NULL,"
    /* The region's own signature over the state's claim and its key
     * id (sign.h), NULL when none came (open mode): forwarded with the
     * state, unchanged. */
    "  origin_key_id TEXT, origin_signature BLOB,"
    /* What the region left out of the state, as it sent it. */
    "  leaves_out TEXT NOT NULL DEFAULT '',"
    "  PRIMARY KEY (indicator, period, region)) WITHOUT ROWID;"
    /* The outbox: per uplink, the highest version of each state (the
     * region's own snapshots and those forwarded from below) that the
     * parent acknowledged. Anything newer is pending. */
    "CREATE TABLE IF NOT EXISTS uplink_ack ("
    "  uplink TEXT NOT NULL, region TEXT NOT NULL,"
    "  indicator TEXT NOT NULL, period TEXT NOT NULL,"
    "  version INTEGER NOT NULL, status INTEGER NOT NULL,"
    "  PRIMARY KEY (uplink, region, indicator, period)) WITHOUT "
    "ROWID;" STORE_AUDIT_SQL STORE_HISTORY_SQL TALLY_REPLY_SQL TALLY_REASON_SQL
        TALLY_APPROVAL_SQL;

int
tally_store_sqlite_error(struct sqlite3 *db, int rc, const char *what)
{
	TALLY_LOG(TALLY_LOG_ERROR, "sqlite: %s: %s (%d)", what,
	    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		return TALLY_EBUSY;
	}
	if (rc == SQLITE_NOMEM) {
		return TALLY_ENOMEM;
	}
	if (rc == SQLITE_IOERR || rc == SQLITE_FULL || rc == SQLITE_READONLY) {
		return TALLY_EIO;
	}
	return TALLY_EDB;
}

static int
db_err(struct tally_store *st, int rc, const char *what)
{
	return tally_store_sqlite_error(st->db, rc, what);
}

static int
exec_sql(struct tally_store *st, const char *sql)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		return db_err(st, rc, sql);
	}
	return TALLY_OK;
}

static int
prepare(struct tally_store *st, sqlite3_stmt **stmt, const char *sql)
{
	int rc = sqlite3_prepare_v3(
	    st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL);
	if (rc != SQLITE_OK) {
		return db_err(st, rc, sql);
	}
	return TALLY_OK;
}

/* Redistricting (catalog.h): the SQL functions below let the statements
 * keep only the rows that belong to the store's region for their period.
 * Without changes of parent they are always true. */

/* The period of argument i, or false when it is not one. */
static bool
sql_period(sqlite3_value **argv, int i, struct tally_period *p)
{
	const char *text = (const char *) sqlite3_value_text(argv[i]);

	return text != NULL && tally_period_parse(text, p) == TALLY_OK;
}

/* The relation of the store's region to region for period (catalog.h);
 * without changes, the tree's relation, which needs no period. A store
 * may hold states from a time with other changes (a change taken back),
 * so even then it cannot take every region it holds for a child. For a
 * group's store, which has no tree, every region qualifies. */
static void
sql_tree(sqlite3_context *ctx, sqlite3_value **argv,
    bool (*rel)(const struct tally_catalog *, const char *, const char *,
        const struct tally_period *),
    bool (*rel_tree)(const struct tally_catalog *, const char *, const char *))
{
	const struct tally_store *st = sqlite3_user_data(ctx);
	const char *region = (const char *) sqlite3_value_text(argv[0]);
	struct tally_period p;
	bool                yes = true;

	if (st->region[0] == '\0') {
		yes = true;
	} else if (st->cat->n_changes == 0) {
		yes = region != NULL && rel_tree(st->cat, st->region, region);
	} else {
		yes = sql_period(argv, 1, &p) &&
		    rel(st->cat, st->region, region, &p);
	}
	sqlite3_result_int(ctx, yes);
}

/* tally_child(region, period): region is a child of the store's region
 * for period, so its own state enters the store's rollup. */
static void
sql_child(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void) argc;
	sql_tree(
	    ctx, argv, tally_catalog_is_child_for, tally_catalog_is_child);
}

/* tally_below(region, period): region lies below the store's region for
 * period. */
static void
sql_below(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void) argc;
	sql_tree(
	    ctx, argv, tally_catalog_is_below_for, tally_catalog_is_below);
}

/* tally_sends(region, period, hub): the state of region (the store's own
 * or one held from below) for period goes to the parent hub hub. Own
 * snapshots go to the store's parent for the period; a state from below
 * goes up only while its region lies below both the store and hub for the
 * period. A hub that is no region (a comparison group) or NULL takes
 * everything. */
static void
sql_sends(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct tally_store *st = sqlite3_user_data(ctx);
	const char               *region, *hub;
	struct tally_period       p;
	bool                      yes = true;

	(void) argc;
	region = (const char *) sqlite3_value_text(argv[0]);
	hub    = (const char *) sqlite3_value_text(argv[2]);
	if (st->cat->n_changes > 0 && st->region[0] != '\0' && hub != NULL &&
	    region != NULL && tally_catalog_division(st->cat, hub) != NULL) {
		if (!sql_period(argv, 1, &p)) {
			yes = false;
		} else if (strcmp(region, st->region) == 0) {
			yes = tally_catalog_is_child_for(
			    st->cat, hub, st->region, &p);
		} else {
			yes = tally_catalog_is_below_for(
			          st->cat, st->region, region, &p) &&
			    tally_catalog_is_below_for(
			        st->cat, hub, region, &p);
		}
	}
	sqlite3_result_int(ctx, yes);
}

/* tally_left_out(region): the store's region leaves region out of its
 * own states (catalog.h). */
static void
sql_left_out(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct tally_store *st = sqlite3_user_data(ctx);

	(void) argc;
	sqlite3_result_int(ctx,
	    st->region[0] != '\0' &&
	        tally_catalog_leaves_out(st->cat, st->region,
	            (const char *) sqlite3_value_text(argv[0])));
}

/* tally_absorbs(region, period): the store's region adds region's own
 * state to its own for period (catalog.h). */
static void
sql_absorbs(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct tally_store *st = sqlite3_user_data(ctx);
	struct tally_period       p;

	(void) argc;
	sqlite3_result_int(ctx,
	    st->region[0] != '\0' && st->cat->n_changes > 0 &&
	        sql_period(argv, 1, &p) &&
	        tally_catalog_absorbs(st->cat, st->region,
	            (const char *) sqlite3_value_text(argv[0]), &p));
}

static int
register_functions(struct tally_store *st)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
	int rc;

	rc = sqlite3_create_function(
	    st->db, "tally_child", 2, flags, st, sql_child, NULL, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_create_function(st->db, "tally_below", 2, flags,
		    st, sql_below, NULL, NULL);
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_create_function(st->db, "tally_sends", 3, flags,
		    st, sql_sends, NULL, NULL);
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_create_function(st->db, "tally_left_out", 1,
		    flags, st, sql_left_out, NULL, NULL);
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_create_function(st->db, "tally_absorbs", 2, flags,
		    st, sql_absorbs, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		return db_err(st, rc, "functions");
	}
	return TALLY_OK;
}

static int
prepare_all(struct tally_store *st)
{
	int rv = register_functions(st);

	if (rv != TALLY_OK) {
		return rv;
	}
	for (int i = 0; i < ST_COUNT; i++) {
		rv = prepare(st, &st->stmt[i], stmt_sql[i]);
		if (rv != TALLY_OK) {
			return rv;
		}
	}
	for (int i = 0; i < HIST_COUNT; i++) {
		rv = prepare(st, &st->hist[i], hist_sql[i]);
		if (rv != TALLY_OK) {
			return rv;
		}
	}
	return TALLY_OK;
}

static int
open_db(const char *path, int flags, struct tally_store **out)
{
	struct tally_store *st;
	int                 rc;

	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		return TALLY_ENOMEM;
	}
	if (tally_snapmap_new(&st->snaps) != TALLY_OK) {
		free(st);
		return TALLY_ENOMEM;
	}
	/* A store is one connection used by one thread at a time (store.h),
	 * so SQLite's own mutexes would only cost time. */
	rc = sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		int rv = db_err(st, rc, path);
		tally_store_close(st);
		return rv;
	}
	sqlite3_busy_timeout(st->db, 5000);
	*out = st;
	return TALLY_OK;
}

static int
configure(struct tally_store *st)
{
	/* WAL lets readers (reports, the dashboard) run beside the writer;
	 * FULL makes every acknowledged commit survive power loss. */
	return exec_sql(st,
	    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON;");
}

static int
meta_get(struct tally_store *st, const char *key, char *buf, size_t len)
{
	sqlite3_stmt *s;
	int           rc, rv = TALLY_ENOENT;

	rc = sqlite3_prepare_v2(
	    st->db, "SELECT value FROM meta WHERE key = ?1", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return db_err(st, rc, "meta");
	}
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		snprintf(
		    buf, len, "%s", (const char *) sqlite3_column_text(s, 0));
		rv = TALLY_OK;
	} else if (rc != SQLITE_DONE) {
		rv = db_err(st, rc, "meta");
	}
	sqlite3_finalize(s);
	return rv;
}

static int
meta_put(struct tally_store *st, const char *key, const char *value)
{
	sqlite3_stmt *s;
	int           rc;

	rc = sqlite3_prepare_v2(st->db,
	    "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", -1, &s,
	    NULL);
	if (rc != SQLITE_OK) {
		return db_err(st, rc, "meta");
	}
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		return db_err(st, rc, "meta");
	}
	return TALLY_OK;
}

static void
random_hex(char *buf, size_t nbytes)
{
	unsigned char raw[32];

	if (nbytes > sizeof(raw)) {
		nbytes = sizeof(raw);
	}
	randombytes_buf(raw, nbytes);
	sodium_bin2hex(buf, nbytes * 2 + 1, raw, nbytes);
}

/* Creates a store for region, or, when group is not NULL, for the
 * comparison group of that name with its members. */
static int
create_store(const char *path, const struct tally_catalog *cat,
    const char *region, const char *group, const char *members,
    struct tally_store **out, struct tally_errbuf *eb)
{
	struct tally_store *st = NULL;
	char                now[32];
	int                 fd, rv;

	if (sodium_init() < 0) {
		return tally_fail(eb, TALLY_EIO, "libsodium failed to start");
	}
	/* O_EXCL makes "never overwrite a store" hold even against a race. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		return tally_fail(eb,
		    errno == EEXIST ? TALLY_EEXIST : TALLY_EIO, "%s: %s", path,
		    errno == EEXIST ? "a store already exists there"
		                    : strerror(errno));
	}
	close(fd);
	rv = open_db(path, SQLITE_OPEN_READWRITE, &st);
	if (rv != TALLY_OK) {
		tally_fail(
		    eb, rv, "%s: cannot open: %s", path, tally_strerror(rv));
		goto fail;
	}
	st->cat = cat;
	if (group != NULL) {
		snprintf(st->group, sizeof(st->group), "%s", group);
		snprintf(st->members, sizeof(st->members), "%s", members);
	} else {
		snprintf(st->region, sizeof(st->region), "%s", region);
		st->is_leaf =
		    tally_catalog_division(cat, region)->first_child ==
		    TALLY_NO_INDEX;
		tally_catalog_leaves_out_text(cat, region, st->leaves_out);
	}
	random_hex(st->instance_id, 16);
	snprintf(now, sizeof(now), "%lld", (long long) time(NULL));
	rv = configure(st);
	if (rv == TALLY_OK) {
		rv = exec_sql(st, "BEGIN IMMEDIATE");
	}
	if (rv == TALLY_OK) {
		rv = exec_sql(st, schema_sql);
	}
	if (rv == TALLY_OK) {
		rv = exec_sql(st, tally_account_schema_sql);
	}
	if (rv == TALLY_OK) {
		rv = meta_put(st, "schema", STORE_SCHEMA_VERSION);
	}
	if (rv == TALLY_OK && group == NULL) {
		rv = meta_put(st, "region", region);
	}
	if (rv == TALLY_OK && group != NULL) {
		rv = meta_put(st, "group", group);
	}
	if (rv == TALLY_OK && group != NULL) {
		rv = meta_put(st, "members", members);
	}
	if (rv == TALLY_OK) {
		rv = meta_put(st, "instance_id", st->instance_id);
	}
	if (rv == TALLY_OK) {
		rv = meta_put(st, "created_at", now);
	}
	if (rv == TALLY_OK) {
		rv = meta_put(st, "clock", "0");
	}
	if (rv == TALLY_OK) {
		rv = exec_sql(st, "COMMIT");
	}
	if (rv == TALLY_OK) {
		rv = prepare_all(st);
	}
	if (rv != TALLY_OK) {
		tally_fail(eb, rv, "%s: cannot create the store: %s", path,
		    tally_strerror(rv));
		tally_store_close(st);
		unlink(path);
		return rv;
	}
	*out = st;
	return TALLY_OK;
fail:
	tally_store_close(st);
	unlink(path);
	return rv;
}

int
tally_store_create(const char *path, const struct tally_catalog *cat,
    const char *region, struct tally_store **out, struct tally_errbuf *eb)
{
	if (tally_catalog_division(cat, region) == NULL) {
		return tally_fail(
		    eb, TALLY_ENOENT, "unknown region code '%s'", region);
	}
	return create_store(path, cat, region, NULL, NULL, out, eb);
}

int
tally_store_create_group(const char *path, const struct tally_catalog *cat,
    const char *group, const char *members, struct tally_store **out,
    struct tally_errbuf *eb)
{
	if (!tally_group_name_valid(group) || members == NULL ||
	    strlen(members) >= TALLY_GROUP_MEMBERS_TEXT) {
		return tally_fail(eb, TALLY_EINVAL, "invalid group '%s'",
		    group != NULL ? group : "");
	}
	return create_store(path, cat, NULL, group, members, out, eb);
}

/* Reads the group's name and members, or the region, from meta: a store
 * is either a region's or a comparison group's, and a caller that wants
 * the one is refused the other. */
static int
open_kind(const char *path, struct tally_store *st, bool want_group,
    struct tally_errbuf *eb)
{
	int rv = meta_get(st, "group", st->group, sizeof(st->group));

	if (rv != TALLY_OK && rv != TALLY_ENOENT) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s: not a Tally store (%s)", path, tally_strerror(rv));
	}
	if (rv == TALLY_OK && !want_group) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s is the store of comparison group %s, not of a region",
		    path, st->group);
	}
	if (rv == TALLY_ENOENT && want_group) {
		st->group[0] = '\0';
		if (meta_get(st, "region", st->region, sizeof(st->region)) ==
		    TALLY_OK) {
			return tally_fail(eb, TALLY_ECONFIG,
			    "%s is the store of region %s, not of a "
			    "comparison group",
			    path, st->region);
		}
		return tally_fail(
		    eb, TALLY_ECONFIG, "%s: not a Tally store", path);
	}
	if (want_group) {
		rv = meta_get(st, "members", st->members, sizeof(st->members));
		if (rv != TALLY_OK || !tally_group_name_valid(st->group)) {
			return tally_fail(eb, TALLY_ECONFIG,
			    "%s: not a Tally group store", path);
		}
		return TALLY_OK;
	}
	rv = meta_get(st, "region", st->region, sizeof(st->region));
	if (rv != TALLY_OK) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s: not a Tally store (%s)", path, tally_strerror(rv));
	}
	if (tally_catalog_division(st->cat, st->region) == NULL) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s: the store's region '%s' is not in the catalogue",
		    path, st->region);
	}
	st->is_leaf =
	    tally_catalog_division(st->cat, st->region)->first_child ==
	    TALLY_NO_INDEX;
	tally_catalog_leaves_out_text(st->cat, st->region, st->leaves_out);
	return TALLY_OK;
}

/* False, with errno set, when the store's file or the directory that
 * must hold its -wal and -shm files cannot be written to. */
static bool
writable(const char *path)
{
	char   dir[PATH_MAX];
	char  *slash;
	size_t n = strlen(path);

	if (access(path, W_OK) != 0) {
		return false;
	}
	if (n >= sizeof(dir)) {
		return true;
	}
	memcpy(dir, path, n + 1);
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		return access(".", W_OK) == 0;
	}
	if (slash == dir) {
		slash[1] = '\0';
	} else {
		*slash = '\0';
	}
	return access(dir, W_OK) == 0;
}

/* Schema 4 adds what a region left out of each state (catalog.h). Every
 * state of a schema-3 store was made without division_changes.csv
 * leaving anything out, which is what the column's default says, so the
 * upgrade only adds the columns, in one transaction. */
static int
upgrade_3(struct tally_store *st)
{
	int rv = exec_sql(st, "BEGIN IMMEDIATE");

	if (rv == TALLY_OK) {
		rv = exec_sql(st,
		    "ALTER TABLE snapshot ADD COLUMN"
		    " leaves_out TEXT NOT NULL DEFAULT '';"
		    "ALTER TABLE region_state ADD COLUMN"
		    " leaves_out TEXT NOT NULL DEFAULT '';"
		    "ALTER TABLE state_history ADD COLUMN"
		    " leaves_out TEXT NOT NULL DEFAULT '';");
	}
	if (rv == TALLY_OK) {
		rv = meta_put(st, "schema", "4");
	}
	if (rv == TALLY_OK) {
		return exec_sql(st, "COMMIT");
	}
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rv;
}

/* A step that only adds tables (sql), to schema `to`, in one
 * transaction. */
static int
upgrade_tables(struct tally_store *st, const char *sql, const char *to)
{
	int rv = exec_sql(st, "BEGIN IMMEDIATE");

	if (rv == TALLY_OK) {
		rv = exec_sql(st, sql);
	}
	if (rv == TALLY_OK) {
		rv = meta_put(st, "schema", to);
	}
	if (rv == TALLY_OK) {
		return exec_sql(st, "COMMIT");
	}
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rv;
}

/* Schema 5 adds what the parent hub answered for each own state
 * (reply.h): a new table, empty until the next push. */
static int
upgrade_4(struct tally_store *st)
{
	return upgrade_tables(st, TALLY_REPLY_SQL, "5");
}

/* Schema 6 adds the reasons of changes and the withdrawals (reason.h):
 * one new table, empty, since no older store was ever given a reason. */
static int
upgrade_5(struct tally_store *st)
{
	return upgrade_tables(st, TALLY_REASON_SQL, "6");
}

/* Schema 7 adds the web pages' accounts, their sessions and the access
 * log (account.h): new tables only, empty. */
static int
upgrade_6(struct tally_store *st)
{
	return upgrade_tables(st, tally_account_schema_sql, "7");
}

/* Schema 8 adds the approvals (approval.h): one new table, empty. */
static int
upgrade_7(struct tally_store *st)
{
	return upgrade_tables(st, TALLY_APPROVAL_SQL, "8");
}

/* The migrations, in order: each takes a store of schema `from` to the
 * next. A store is copied once, as it was, before the first. */
static const struct {
	const char *from;
	const char *to;
	int (*step)(struct tally_store *st);
} upgrades[] = {
	{ "3", "4", upgrade_3 },
	{ "4", "5", upgrade_4 },
	{ "5", "6", upgrade_5 },
	{ "6", "7", upgrade_6 },
	{ "7", "8", upgrade_7 },
};

int
tally_store_schema_known(
    const char *path, const char *schema, struct tally_errbuf *eb)
{
	double v, mine;

	if (tally_parse_double(schema, &v) != TALLY_OK ||
	    tally_parse_double(STORE_SCHEMA_VERSION, &mine) != TALLY_OK) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s: not a Tally store (schema '%s')", path, schema);
	}
	if (v > mine) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "store %s has schema %s; this %s knows up to %s: upgrade "
		    "tally",
		    path, schema, program_invocation_short_name,
		    STORE_SCHEMA_VERSION);
	}
	return TALLY_OK;
}

/* Before a migration changes a store, a copy of it as it was:
 * PATH.bak-schemaN, never overwritten. */
static int
backup_before_upgrade(struct tally_store *st, const char *path,
    const char *schema, struct tally_errbuf *eb)
{
	char out[PATH_MAX + 32];
	int  rv;

	snprintf(out, sizeof(out), "%s.bak-schema%s", path, schema);
	rv = tally_backup_from(st->db, out, eb);
	if (rv == TALLY_OK) {
		TALLY_LOG(TALLY_LOG_INFO,
		    "%s: copied to %s before the upgrade", path, out);
	}
	return rv;
}

/* Brings a store of an older schema up to this program's, one step at a
 * time, after one copy of it as it was (PATH.bak-schemaN, N the schema
 * it had). */
static int
upgrade(struct tally_store *st, const char *path, char *schema, size_t len,
    struct tally_errbuf *eb)
{
	bool backed_up = false;
	int  rv;

	for (size_t i = 0; i < sizeof(upgrades) / sizeof(upgrades[0]); i++) {
		if (strcmp(schema, upgrades[i].from) != 0) {
			continue;
		}
		if (!backed_up) {
			rv = backup_before_upgrade(st, path, schema, eb);
			if (rv != TALLY_OK) {
				return rv;
			}
			backed_up = true;
		}
		rv = upgrades[i].step(st);
		if (rv != TALLY_OK) {
			return tally_fail(eb, rv,
			    "%s: cannot upgrade the store from schema %s to "
			    "%s: %s",
			    path, upgrades[i].from, upgrades[i].to,
			    tally_strerror(rv));
		}
		TALLY_LOG(TALLY_LOG_INFO, "%s: upgraded from schema %s to %s",
		    path, upgrades[i].from, upgrades[i].to);
		snprintf(schema, len, "%s", upgrades[i].to);
	}
	return TALLY_OK;
}

static int
open_store(const char *path, const struct tally_catalog *cat, bool group,
    struct tally_store **out, struct tally_errbuf *eb)
{
	struct tally_store *st = NULL;
	struct stat         sb;
	char                schema[16];
	int                 rv;

	if (stat(path, &sb) != 0) {
		return tally_fail(eb, TALLY_ENOENT,
		    "%s: no store (create one with `tally-node init`)", path);
	}
	rv = open_db(path, SQLITE_OPEN_READWRITE, &st);
	if (rv != TALLY_OK) {
		return tally_fail(
		    eb, rv, "%s: cannot open: %s", path, tally_strerror(rv));
	}
	st->cat = cat;
	/* Setting WAL mode writes to the file and makes the -wal and -shm
	 * files beside it, so a read-only file or directory fails here. That
	 * must not read as "not a Tally store": someone might delete a good
	 * database on the strength of it. */
	rv = configure(st);
	if (rv != TALLY_OK && !writable(path)) {
		tally_fail(eb, rv,
		    "%s: cannot open for writing: the file or its directory "
		    "is "
		    "read-only (%s)",
		    path, strerror(errno));
		goto fail;
	}
	if (rv != TALLY_OK) {
		tally_fail(eb, TALLY_ECONFIG, "%s: not a Tally store (%s)",
		    path, tally_strerror(rv));
		rv = TALLY_ECONFIG;
		goto fail;
	}
	rv = meta_get(st, "schema", schema, sizeof(schema));
	if (rv == TALLY_OK) {
		rv = tally_store_schema_known(path, schema, eb);
		if (rv != TALLY_OK) {
			goto fail;
		}
	}
	if (rv == TALLY_OK) {
		rv = upgrade(st, path, schema, sizeof(schema), eb);
		if (rv != TALLY_OK) {
			goto fail;
		}
	}
	if (rv == TALLY_OK && strcmp(schema, STORE_SCHEMA_VERSION) != 0) {
		tally_fail(eb, TALLY_ECONFIG,
		    "%s: store schema %s, but this program reads schema %s",
		    path, schema, STORE_SCHEMA_VERSION);
		rv = TALLY_ECONFIG;
		goto fail;
	}
	if (rv == TALLY_OK) {
		rv = meta_get(st, "instance_id", st->instance_id,
		    sizeof(st->instance_id));
	}
	if (rv == TALLY_ENOENT || rv == TALLY_EDB) {
		tally_fail(eb, TALLY_ECONFIG, "%s: not a Tally store (%s)",
		    path, tally_strerror(rv));
		rv = TALLY_ECONFIG;
		goto fail;
	}
	if (rv != TALLY_OK) {
		tally_fail(
		    eb, rv, "%s: cannot read: %s", path, tally_strerror(rv));
		goto fail;
	}
	rv = open_kind(path, st, group, eb);
	if (rv != TALLY_OK) {
		goto fail;
	}
	rv = prepare_all(st);
	if (rv != TALLY_OK) {
		tally_fail(eb, rv, "%s: %s", path, tally_strerror(rv));
		goto fail;
	}
	*out = st;
	return TALLY_OK;
fail:
	tally_store_close(st);
	return rv;
}

int
tally_store_open(const char *path, const struct tally_catalog *cat,
    struct tally_store **out, struct tally_errbuf *eb)
{
	return open_store(path, cat, false, out, eb);
}

int
tally_store_open_group(const char *path, const struct tally_catalog *cat,
    struct tally_store **out, struct tally_errbuf *eb)
{
	return open_store(path, cat, true, out, eb);
}

void
tally_store_close(struct tally_store *st)
{
	if (st == NULL) {
		return;
	}
	for (int i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(st->stmt[i]);
	}
	for (int i = 0; i < HIST_COUNT; i++) {
		sqlite3_finalize(st->hist[i]);
	}
	sqlite3_finalize(st->audit_last);
	sqlite3_finalize(st->audit_env);
	sqlite3_finalize(st->audit_state);
	sqlite3_close(st->db);
	tally_snapmap_free(st->snaps);
	free(st);
}

const char *
tally_store_region(const struct tally_store *st)
{
	return st->region;
}

int
tally_store_renew_instance(struct tally_store *st)
{
	char instance[sizeof(st->instance_id)];
	int  rv;

	random_hex(instance, 16);
	rv = meta_put(st, "instance_id", instance);
	if (rv == TALLY_OK) {
		memcpy(st->instance_id, instance, sizeof(st->instance_id));
	}
	return rv;
}

const char *
tally_store_instance_id(const struct tally_store *st)
{
	return st->instance_id;
}

const char *
tally_store_group(const struct tally_store *st)
{
	return st->group[0] != '\0' ? st->group : NULL;
}

const char *
tally_store_group_members(const struct tally_store *st)
{
	return st->group[0] != '\0' ? st->members : NULL;
}

/* The meta value of key, "" when it is not set. */
static int
meta_text(struct tally_store *st, const char *key, char **out)
{
	sqlite3_stmt *s;
	char         *text;
	int           rc, rv = TALLY_OK;

	rc = sqlite3_prepare_v2(
	    st->db, "SELECT value FROM meta WHERE key = ?", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return db_err(st, rc, key);
	}
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		text = strdup((const char *) sqlite3_column_text(s, 0));
	} else if (rc == SQLITE_DONE) {
		text = strdup("");
	} else {
		text = NULL;
		rv   = db_err(st, rc, key);
	}
	sqlite3_finalize(s);
	if (rv == TALLY_OK && text == NULL) {
		rv = TALLY_ENOMEM;
	}
	if (rv == TALLY_OK) {
		*out = text;
	}
	return rv;
}

int
tally_store_group_standards(struct tally_store *st, char **out)
{
	return meta_text(st, "standards", out);
}

int
tally_store_group_title(struct tally_store *st, char **out)
{
	return meta_text(st, "group_title", out);
}

int
tally_store_set_group_title(struct tally_store *st, const char *text)
{
	if (st->group[0] == '\0') {
		return TALLY_EINVAL;
	}
	return meta_put(st, "group_title", text);
}

int
tally_store_set_group_standards(struct tally_store *st, const char *text)
{
	if (st->group[0] == '\0') {
		return TALLY_EINVAL;
	}
	return meta_put(st, "standards", text);
}

int
tally_store_begin(struct tally_store *st)
{
	tally_snapmap_txn_end(st->snaps);
	st->txn_ms = tally_clock_now_ms();
	return exec_sql(st, "BEGIN IMMEDIATE");
}

static int recompute_dirty(struct tally_store *st);
static int mark_dirty(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period);
static int mark_changed(struct tally_store *st, const char *region,
    const struct tally_region_state *old, const struct tally_wire_state *ws);

int
tally_store_commit(struct tally_store *st)
{
	int rv = recompute_dirty(st);

	/* On failure the caller rolls back. */
	if (rv != TALLY_OK) {
		return rv;
	}
	rv = exec_sql(st, "COMMIT");
	if (rv == TALLY_OK) {
		st->txn_ms = 0;
	}
	return rv;
}

int
tally_store_read_begin(struct tally_store *st)
{
	/* A deferred transaction takes no lock until it reads, and in WAL
	 * mode a reader never blocks the writer: it only sees one commit. */
	return exec_sql(st, "BEGIN DEFERRED");
}

void
tally_store_read_end(struct tally_store *st)
{
	if (!sqlite3_get_autocommit(st->db)) {
		(void) exec_sql(st, "COMMIT");
	}
}

void
tally_store_rollback(struct tally_store *st)
{
	/* What the process knew it had stored may not be there any more. */
	tally_snapmap_forget(st->snaps);
	st->txn_ms = 0;
	if (!sqlite3_get_autocommit(st->db)) {
		(void) exec_sql(st, "ROLLBACK");
	}
}

/* Makes a prepared statement ready for its next use. */
static void
stmt_reset(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Runs a statement that returns no rows and resets it. */
static int
step_done(struct tally_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	stmt_reset(s);
	if (rc != SQLITE_DONE) {
		return db_err(st, rc, what);
	}
	return TALLY_OK;
}

/* Appends to the history the row of (indicator, period[, region]) just
 * written, held from the transaction's time. */
static int
hist_append(struct tally_store *st, int which, const char *indicator,
    const char *period, const char *region)
{
	sqlite3_stmt *s  = st->hist[which];
	int64_t       ms = st->txn_ms > 0 ? st->txn_ms : tally_clock_now_ms();
	int           at = 3;

	sqlite3_bind_text(s, 1, indicator, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, period, -1, SQLITE_STATIC);
	if (region != NULL) {
		sqlite3_bind_text(s, 3, region, -1, SQLITE_STATIC);
		at = 4;
	}
	sqlite3_bind_int64(s, at, (sqlite3_int64) ms);
	return step_done(st, s, "history");
}

/* The next version: above every version given before, and at least the
 * current time in microseconds, so that versions keep growing even if the
 * store is ever rebuilt from scratch on a machine with a sane clock. */
static int
next_version(struct tally_store *st, uint64_t *out)
{
	struct timespec ts;
	uint64_t        clock = 0, now, v;
	int             rc, rv;

	rc = sqlite3_step(st->stmt[ST_CLOCK_GET]);
	if (rc == SQLITE_ROW) {
		clock =
		    (uint64_t) sqlite3_column_int64(st->stmt[ST_CLOCK_GET], 0);
		rc = sqlite3_step(st->stmt[ST_CLOCK_GET]);
	}
	sqlite3_reset(st->stmt[ST_CLOCK_GET]);
	if (rc != SQLITE_DONE) {
		return db_err(st, rc, "clock");
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
	/* A wrong clock would make versions that every hub above refuses,
	 * or, worse, that it takes and then holds against every honest
	 * correction: nothing is made from it. */
	if (tally_admit_mint(now, clock, TALLY_ADMIT_SKEW_DEFAULT_S,
	        st->clock_error, sizeof(st->clock_error)) != TALLY_OK) {
		TALLY_LOG(TALLY_LOG_ERROR, "%s", st->clock_error);
		return TALLY_ECONFIG;
	}
	v = now > clock ? now : clock + 1;
	sqlite3_bind_int64(st->stmt[ST_CLOCK_SET], 1, (sqlite3_int64) v);
	rv = step_done(st, st->stmt[ST_CLOCK_SET], "clock");
	if (rv != TALLY_OK) {
		return rv;
	}
	*out = v;
	return TALLY_OK;
}

int
tally_store_restamp(struct tally_store *st, size_t *changed)
{
	sqlite3_stmt *s = NULL;
	uint64_t      v = 0;
	int           rc, rv;

	rv = tally_store_begin(st);
	if (rv != TALLY_OK) {
		return rv;
	}
	rv = next_version(st, &v);
	if (rv != TALLY_OK) {
		goto fail;
	}
	rc = sqlite3_prepare_v2(st->db,
	    "UPDATE snapshot SET version = ?1 WHERE version < ?1", -1, &s,
	    NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, (sqlite3_int64) v);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		rv = db_err(st, rc, "restamp");
		goto fail;
	}
	*changed = (size_t) sqlite3_changes(st->db);
	/* The history says from when the store held the new versions, so
	 * that `report --as-of` reads them from now on and the old ones
	 * before. */
	rc = sqlite3_prepare_v2(st->db,
	    "INSERT OR IGNORE INTO state_history (indicator, period, region,"
	    " version, " STATE_COLS ", held_from, leaves_out) SELECT"
	    " indicator, period, '', version, " STATE_COLS ", ?2, leaves_out"
	    " FROM snapshot WHERE version = ?1",
	    -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, (sqlite3_int64) v);
		sqlite3_bind_int64(s, 2, (sqlite3_int64) st->txn_ms);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		rv = db_err(st, rc, "restamp");
		goto fail;
	}
	rv = tally_store_commit(st);
	if (rv == TALLY_OK) {
		return TALLY_OK;
	}
fail:
	tally_store_rollback(st);
	return rv;
}

static void
bind_kind_values(sqlite3_stmt *s, int first, const struct tally_indicator *ind,
    const struct tally_obs *o)
{
	/* Only the fields the kind uses are stored; the rest stay NULL. */
	for (int i = 0; i < 4; i++) {
		sqlite3_bind_null(s, first + i);
	}
	switch (ind->kind) {
	case TALLY_KIND_RATIO:
		sqlite3_bind_double(s, first, o->num);
		sqlite3_bind_double(s, first + 1, o->den);
		break;
	case TALLY_KIND_WMEAN:
		sqlite3_bind_double(s, first + 2, o->value);
		sqlite3_bind_double(s, first + 3, o->weight);
		break;
	default:
		sqlite3_bind_double(s, first + 2, o->value);
		break;
	}
}

static void
read_obs_columns(sqlite3_stmt *s, int first, struct tally_obs *o)
{
	o->num    = sqlite3_column_double(s, first);
	o->den    = sqlite3_column_double(s, first + 1);
	o->value  = sqlite3_column_double(s, first + 2);
	o->weight = sqlite3_column_double(s, first + 3);
}

static bool
same_figure(const struct tally_indicator *ind, const struct tally_obs *a,
    const struct tally_obs *b)
{
	switch (ind->kind) {
	case TALLY_KIND_RATIO:
		return a->num == b->num && a->den == b->den;
	case TALLY_KIND_WMEAN:
		return a->value == b->value && a->weight == b->weight;
	default:
		return a->value == b->value;
	}
}

static void
bind_state(sqlite3_stmt *s, int first, const struct tally_state *st)
{
	char newest[TALLY_PERIOD_STRLEN];

	sqlite3_bind_double(s, first, st->sum_a);
	sqlite3_bind_double(s, first + 1, st->sum_b);
	sqlite3_bind_int64(s, first + 2, st->leaves);
	if (st->has_minmax) {
		sqlite3_bind_double(s, first + 3, st->min_value);
		sqlite3_bind_text(
		    s, first + 4, st->min_region, -1, SQLITE_TRANSIENT);
		sqlite3_bind_double(s, first + 5, st->max_value);
		sqlite3_bind_text(
		    s, first + 6, st->max_region, -1, SQLITE_TRANSIENT);
	} else {
		for (int i = 3; i <= 6; i++) {
			sqlite3_bind_null(s, first + i);
		}
	}
	if (st->has_newest) {
		tally_period_format(&st->newest, newest);
		sqlite3_bind_text(s, first + 7, newest, -1, SQLITE_TRANSIENT);
	} else {
		sqlite3_bind_null(s, first + 7);
	}
}

static void
read_state(sqlite3_stmt *s, int first, struct tally_state *st)
{
	const char *text;

	tally_state_init(st);
	st->sum_a  = sqlite3_column_double(s, first);
	st->sum_b  = sqlite3_column_double(s, first + 1);
	st->leaves = (uint32_t) sqlite3_column_int64(s, first + 2);
	if (sqlite3_column_type(s, first + 3) != SQLITE_NULL) {
		st->has_minmax = true;
		st->min_value  = sqlite3_column_double(s, first + 3);
		st->max_value  = sqlite3_column_double(s, first + 5);
		text = (const char *) sqlite3_column_text(s, first + 4);
		snprintf(st->min_region, sizeof(st->min_region), "%s",
		    text != NULL ? text : "");
		text = (const char *) sqlite3_column_text(s, first + 6);
		snprintf(st->max_region, sizeof(st->max_region), "%s",
		    text != NULL ? text : "");
	}
	text = (const char *) sqlite3_column_text(s, first + 7);
	if (text != NULL &&
	    tally_period_parse(text, &st->newest) == TALLY_OK) {
		st->has_newest = true;
	}
}

/* Recomputes the region's snapshot of (ind, period) from its own
 * observations and its children's states, and stores it with version.
 * Only this one (indicator, period) is touched. */
static int snap_get(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_period *period, struct tally_state *state,
    uint64_t *version, char leaves_out[TALLY_LEAVES_OUT_STRLEN]);
static int region_states(struct tally_store *st, sqlite3_stmt *s,
    const struct tally_indicator *ind, const struct tally_period *period,
    struct tally_region_state **out, size_t *n);

/* Whether r was made by the same division_changes.csv as the store's
 * own figures: what it left out is what this catalogue says its region
 * leaves out. */
static bool
settled(const struct tally_store *st, const struct tally_region_state *r)
{
	char want[TALLY_LEAVES_OUT_STRLEN];

	if (st->cat->n_changes == 0) {
		return r->leaves_out[0] == '\0';
	}
	tally_catalog_leaves_out_text(st->cat, r->region, want);
	return strcmp(want, r->leaves_out) == 0;
}

/* True, logging it once, when a state among the n in arr is not settled. */
static bool
any_unsettled(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_period *period, const struct tally_region_state *arr,
    size_t n)
{
	char text[TALLY_PERIOD_STRLEN];
	char want[TALLY_LEAVES_OUT_STRLEN];

	for (size_t i = 0; i < n; i++) {
		if (settled(st, &arr[i])) {
			continue;
		}
		if (!st->held_logged) {
			tally_period_format(period, text);
			tally_catalog_leaves_out_text(
			    st->cat, arr[i].region, want);
			TALLY_LOG(TALLY_LOG_WARN,
			    "holding %s %s and any figure like it as it was: "
			    "%s made its state by a division_changes.csv by "
			    "which it leaves out '%s', by this hub's it "
			    "leaves out '%s'; give both the same file",
			    ind->id, text, arr[i].region, arr[i].leaves_out,
			    want);
			st->held_logged = true;
		}
		return true;
	}
	return false;
}

/* Computes the region's snapshot of (ind, period) from its own
 * observations, its children's states and the states of the moving
 * regions it absorbs (catalog.h). When one of those states was made by
 * another division_changes.csv, mixing it in could count a moving region
 * twice or not at all, so *held is set and out is not written: the
 * snapshot stays as it was, made from states that agreed. */
static int
compute(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_period *period, struct tally_state *out, bool *held,
    double err[2])
{
	struct tally_obs          *obs  = NULL;
	struct tally_region_state *kids = NULL, *moved = NULL;
	struct tally_state         total, own;
	size_t                     nobs = 0, nkids = 0, nmoved = 0;
	int                        rv;

	rv = tally_store_observations(st, ind, period, &obs, &nobs);
	if (rv != TALLY_OK) {
		goto fail;
	}
	rv = tally_store_child_states(st, ind, period, &kids, &nkids);
	if (rv != TALLY_OK) {
		goto fail;
	}
	if (st->cat->n_changes > 0 && st->region[0] != '\0') {
		rv = region_states(
		    st, st->stmt[ST_ABSORBED], ind, period, &moved, &nmoved);
		if (rv != TALLY_OK) {
			goto fail;
		}
	}
	*held = any_unsettled(st, ind, period, kids, nkids) ||
	    any_unsettled(st, ind, period, moved, nmoved);
	if (*held) {
		goto fail;
	}
	tally_state_init(&total);
	err[0] = 0;
	err[1] = 0;
	if (tally_state_own(ind, st->region, st->is_leaf, obs, nobs, period,
	        &own) == TALLY_OK) {
		tally_state_merge(&total, &own);
	}
	for (size_t i = 0; i < nkids; i++) {
		tally_state_merge(&total, &kids[i].state);
		tally_snapshot_merge_err(&total, &err[0], &err[1]);
	}
	for (size_t i = 0; i < nmoved; i++) {
		tally_state_merge(&total, &moved[i].state);
		tally_snapshot_merge_err(&total, &err[0], &err[1]);
	}
	*out = total;
fail:
	free(obs);
	free(kids);
	free(moved);
	return rv;
}

/* Notes that this process stored version as the snapshot of (ind,
 * period), whose sums carry the error bounds err_a and err_b: the next
 * change may start from it. A change of
 * the open transaction that read the snapshot before must now start
 * again from every child. version 0: not known any more. */
static void
snap_known(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_period *period, uint64_t version, double err_a,
    double err_b)
{
	struct tally_snapentry *e;
	size_t                  idx;

	if (tally_snapmap_find(st->snaps, ind, period, &idx) != TALLY_OK) {
		/* Without memory for it, the map is only forgotten. */
		tally_snapmap_forget(st->snaps);
		return;
	}
	e                = tally_snapmap_at(st->snaps, idx);
	e->known_version = version;
	e->err_a         = err_a;
	e->err_b         = err_b;
	if (e->in_txn) {
		e->acc.full = true;
		e->started  = true;
	}
}

/* Stores total as the snapshot of (ind, period) with version; its sums
 * carry the error bounds err (NULL: not known, so that the next change
 * recomputes it). */
static int
write_snapshot(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_period *period, const struct tally_state *total,
    uint64_t version, const double err[2])
{
	sqlite3_stmt *s = st->stmt[ST_SNAP_PUT];
	char          text[TALLY_PERIOD_STRLEN];
	int           rv;

	tally_period_format(period, text);
	sqlite3_bind_text(s, 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, (sqlite3_int64) version);
	bind_state(s, 4, total);
	sqlite3_bind_text(s, 12, st->leaves_out, -1, SQLITE_STATIC);
	rv = step_done(st, s, "snapshot");
	if (rv == TALLY_OK) {
		rv = hist_append(st, HIST_SNAP, ind->id, text, NULL);
	}
	if (rv == TALLY_OK) {
		snap_known(st, ind, period, err != NULL ? version : 0,
		    err != NULL ? err[0] : 0, err != NULL ? err[1] : 0);
	}
	return rv;
}

/* Recomputes the region's snapshot of (ind, period) from its own
 * observations and its children's states, and stores it with version.
 * Only this one (indicator, period) is touched. */
static int
recompute(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_period *period, uint64_t version)
{
	struct tally_state total;
	bool               held;
	double             err[2];
	int                rv = compute(st, ind, period, &total, &held, err);

	if (rv == TALLY_OK && held) {
		snap_known(st, ind, period, 0, 0, 0);
	}
	if (rv != TALLY_OK || held) {
		return rv;
	}
	return write_snapshot(st, ind, period, &total, version, err);
}

static bool
same_state(const struct tally_state *a, const struct tally_state *b)
{
	if (a->sum_a != b->sum_a || a->sum_b != b->sum_b ||
	    a->leaves != b->leaves || a->has_minmax != b->has_minmax ||
	    a->has_newest != b->has_newest) {
		return false;
	}
	if (a->has_minmax &&
	    (a->min_value != b->min_value || a->max_value != b->max_value ||
	        strcmp(a->min_region, b->min_region) != 0 ||
	        strcmp(a->max_region, b->max_region) != 0)) {
		return false;
	}
	return !a->has_newest || tally_period_equal(&a->newest, &b->newest);
}

/* The text that stands for the catalogue's division changes in meta:
 * "" for none, else a hash of every change, so that a start with the same
 * file does nothing. */
static void
changes_digest(const struct tally_catalog *cat, char out[65])
{
	crypto_generichash_state h;
	uint8_t                  d[32];

	out[0] = '\0';
	if (cat->n_changes == 0) {
		return;
	}
	crypto_generichash_init(&h, NULL, 0, sizeof(d));
	for (size_t i = 0; i < cat->n_changes; i++) {
		char row[32];
		int  n = snprintf(row, sizeof(row), "%s,%s,%d;",
		     cat->divisions[cat->changes[i].region].code,
		     cat->divisions[cat->changes[i].parent].code,
		     cat->changes[i].effective);

		crypto_generichash_update(
		    &h, (const uint8_t *) row, (size_t) n);
	}
	crypto_generichash_final(&h, d, sizeof(d));
	sodium_bin2hex(out, 65, d, sizeof(d));
}

int
tally_store_regroup(struct tally_store *st, size_t *changed, size_t *held)
{
	sqlite3_stmt *s = NULL;
	char          digest[65], was[65], left[TALLY_LEAVES_OUT_STRLEN];
	char          instance[sizeof(st->instance_id)];
	size_t        n = 0, nheld = 0;
	bool          retag;
	int           rc, rv;

	if (st->region[0] == '\0') {
		*changed = 0;
		*held    = 0;
		return TALLY_OK;
	}
	changes_digest(st->cat, digest);
	rv = meta_get(st, "division_changes", was, sizeof(was));
	if (rv == TALLY_ENOENT) {
		was[0] = '\0';
	} else if (rv != TALLY_OK) {
		return rv;
	}
	if (strcmp(was, digest) == 0) {
		*changed = 0;
		*held    = 0;
		return TALLY_OK;
	}
	rv = tally_store_begin(st);
	if (rv != TALLY_OK) {
		return rv;
	}
	rv = meta_get(st, "leaves_out", left, sizeof(left));
	if (rv == TALLY_ENOENT) {
		left[0] = '\0';
	} else if (rv != TALLY_OK) {
		goto fail;
	}
	/* When what the region leaves out changed, every snapshot gets a new
	 * version, whether its figures changed or not: the parent uses a
	 * state only once it was made by the parent's own file, and must get
	 * them all again to stop holding its figures. */
	retag = strcmp(left, st->leaves_out) != 0;
	/* Another file can change any snapshot the region has or could have
	 * now: each with data of its own or from below. */
	rc = sqlite3_prepare_v2(st->db,
	    "SELECT indicator, period FROM snapshot UNION"
	    " SELECT indicator, period FROM region_state",
	    -1, &s, NULL);
	if (rc != SQLITE_OK) {
		rv = db_err(st, rc, "regroup");
		goto fail;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const struct tally_indicator *ind = tally_catalog_indicator(
		    st->cat, (const char *) sqlite3_column_text(s, 0));
		struct tally_period p;
		struct tally_state  want, had;
		uint64_t            version;
		double              err[2];
		bool                wait;
		int                 got;

		if (ind == NULL ||
		    tally_period_parse(
		        (const char *) sqlite3_column_text(s, 1), &p) !=
		        TALLY_OK) {
			continue;
		}
		rv = compute(st, ind, &p, &want, &wait, err);
		if (rv != TALLY_OK) {
			goto fail;
		}
		if (wait) {
			nheld++;
			continue;
		}
		got = snap_get(st, ind, &p, &had, &version, left);
		if (got != TALLY_OK && got != TALLY_ENOENT) {
			rv = got;
			goto fail;
		}
		if (got == TALLY_OK ? !retag && same_state(&want, &had)
		                    : !want.has_newest) {
			continue;
		}
		rv = next_version(st, &version);
		if (rv == TALLY_OK) {
			rv = write_snapshot(st, ind, &p, &want, version, NULL);
		}
		if (rv != TALLY_OK) {
			goto fail;
		}
		n++;
	}
	if (rc != SQLITE_DONE) {
		rv = db_err(st, rc, "regroup");
		goto fail;
	}
	sqlite3_finalize(s);
	s  = NULL;
	rv = meta_put(st, "division_changes", digest);
	if (rv == TALLY_OK) {
		rv = meta_put(st, "leaves_out", st->leaves_out);
	}
	/* A new instance id makes every child send all its states again
	 * (docs/rollup.md, Submissions), so the hub gets the states it refused
	 * by the file it had. */
	if (rv == TALLY_OK) {
		random_hex(instance, 16);
		rv = meta_put(st, "instance_id", instance);
	}
	if (rv == TALLY_OK) {
		rv = tally_store_commit(st);
	}
	if (rv != TALLY_OK) {
		goto fail;
	}
	memcpy(st->instance_id, instance, sizeof(st->instance_id));
	*changed = n;
	*held    = nheld;
	return TALLY_OK;
fail:
	sqlite3_finalize(s);
	tally_store_rollback(st);
	return rv;
}

int
tally_store_put(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_obs *obs, int *outcome, struct tally_errbuf *eb)
{
	char                period[TALLY_PERIOD_STRLEN];
	struct tally_period p;
	struct tally_obs    old;
	uint64_t            version = 0;
	int                 rc, rv, result = TALLY_PUT_NEW;

	tally_period_format(&obs->period, period);

	/* A year beside its own months would be counted twice when the year
	 * is derived, so any overlap with another period is refused. */
	sqlite3_bind_text(st->stmt[ST_OVERLAP], 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st->stmt[ST_OVERLAP], 2, period, -1, SQLITE_STATIC);
	sqlite3_bind_int(
	    st->stmt[ST_OVERLAP], 3, tally_period_first_month(&obs->period));
	sqlite3_bind_int(
	    st->stmt[ST_OVERLAP], 4, tally_period_last_month(&obs->period));
	rc = sqlite3_step(st->stmt[ST_OVERLAP]);
	if (rc == SQLITE_ROW) {
		rv = tally_fail(eb, TALLY_EDATA,
		    "field period: %s overlaps %s already recorded for '%s' "
		    "(record either a period or its sub-periods, not both)",
		    period,
		    (const char *) sqlite3_column_text(
		        st->stmt[ST_OVERLAP], 0),
		    ind->id);
		sqlite3_reset(st->stmt[ST_OVERLAP]);
		return rv;
	}
	sqlite3_reset(st->stmt[ST_OVERLAP]);
	if (rc != SQLITE_DONE) {
		return tally_fail(
		    eb, db_err(st, rc, "overlap"), "database error");
	}

	sqlite3_bind_text(st->stmt[ST_GET], 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st->stmt[ST_GET], 2, period, -1, SQLITE_STATIC);
	rc = sqlite3_step(st->stmt[ST_GET]);
	if (rc == SQLITE_ROW) {
		read_obs_columns(st->stmt[ST_GET], 0, &old);
		result = same_figure(ind, &old, obs) ? TALLY_PUT_UNCHANGED
		                                     : TALLY_PUT_CORRECTED;
		rc     = SQLITE_DONE;
	}
	sqlite3_reset(st->stmt[ST_GET]);
	if (rc != SQLITE_DONE) {
		return tally_fail(eb, db_err(st, rc, "get"), "database error");
	}
	if (result == TALLY_PUT_UNCHANGED) {
		*outcome = result;
		return TALLY_OK;
	}

	rv = next_version(st, &version);
	if (rv != TALLY_OK) {
		return tally_fail(eb, rv, "%s",
		    rv == TALLY_ECONFIG ? st->clock_error : "database error");
	}
	sqlite3_bind_text(st->stmt[ST_UPSERT], 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st->stmt[ST_UPSERT], 2, period, -1, SQLITE_STATIC);
	sqlite3_bind_int(
	    st->stmt[ST_UPSERT], 3, tally_period_first_month(&obs->period));
	sqlite3_bind_int(
	    st->stmt[ST_UPSERT], 4, tally_period_last_month(&obs->period));
	bind_kind_values(st->stmt[ST_UPSERT], 5, ind, obs);
	sqlite3_bind_int64(st->stmt[ST_UPSERT], 9, (sqlite3_int64) version);
	sqlite3_bind_int64(
	    st->stmt[ST_UPSERT], 10, (sqlite3_int64) time(NULL));
	rv = step_done(st, st->stmt[ST_UPSERT], "upsert");
	if (rv == TALLY_OK) {
		rv = hist_append(st, HIST_OBS, ind->id, period, NULL);
	}
	if (rv != TALLY_OK) {
		return tally_fail(eb, rv, "database error");
	}

	/* The period's own snapshot and every coarser one derived from it
	 * now have new content, so each is recomputed with the new version. */
	p = obs->period;
	for (;;) {
		rv = recompute(st, ind, &p, version);
		if (rv != TALLY_OK) {
			return tally_fail(eb, rv, "database error");
		}
		if (tally_period_parent(&p, &p) != TALLY_OK) {
			break;
		}
	}
	*outcome = result;
	return TALLY_OK;
}

/* Runs one statement of the withdrawal, bound to (indicator, period)
 * and, for the tombstone, the version, months and time. */
static int
withdraw_step(struct tally_store *st, const char *sql,
    const struct tally_indicator *ind, const struct tally_period *period,
    uint64_t version)
{
	sqlite3_stmt *s = NULL;
	char          text[TALLY_PERIOD_STRLEN];
	int           rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

	if (rc != SQLITE_OK) {
		sqlite3_finalize(s);
		return db_err(st, rc, "withdraw");
	}
	tally_period_format(period, text);
	sqlite3_bind_text(s, 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT);
	if (sqlite3_bind_parameter_count(s) > 2) {
		sqlite3_bind_int64(s, 3, (sqlite3_int64) version);
		sqlite3_bind_int(s, 4, tally_period_first_month(period));
		sqlite3_bind_int(s, 5, tally_period_last_month(period));
		sqlite3_bind_int64(s, 6,
		    (sqlite3_int64) (st->txn_ms > 0 ? st->txn_ms
		                                    : tally_clock_now_ms()));
	}
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? TALLY_OK : db_err(st, rc, "withdraw");
}

int
tally_store_withdraw(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_period *period, uint64_t *version,
    struct tally_errbuf *eb)
{
	char                text[TALLY_PERIOD_STRLEN];
	struct tally_period p = *period;
	uint64_t            v = 0;
	int                 rc, rv;

	tally_period_format(period, text);
	sqlite3_bind_text(st->stmt[ST_GET], 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st->stmt[ST_GET], 2, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st->stmt[ST_GET]);
	sqlite3_reset(st->stmt[ST_GET]);
	if (rc == SQLITE_DONE) {
		return tally_fail(eb, TALLY_ENOENT,
		    "field period: nothing is recorded for '%s' %s", ind->id,
		    text);
	}
	if (rc != SQLITE_ROW) {
		return tally_fail(eb, db_err(st, rc, "get"), "database error");
	}
	rv = next_version(st, &v);
	if (rv != TALLY_OK) {
		return tally_fail(eb, rv, "%s",
		    rv == TALLY_ECONFIG ? st->clock_error : "database error");
	}
	/* The history keeps the observation; a row without figures from
	 * this version on says it is gone (HIST_OBS_ASOF). */
	rv = withdraw_step(st,
	    "INSERT OR IGNORE INTO observation_history (indicator, period,"
	    " version, first_month, last_month, held_from)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	    ind, period, v);
	if (rv == TALLY_OK) {
		rv = withdraw_step(st,
		    "DELETE FROM observation WHERE indicator = ?1"
		    " AND period = ?2",
		    ind, period, v);
	}
	/* Like a correction: the period's snapshot and every coarser one
	 * get the new version, without this observation. */
	for (; rv == TALLY_OK;) {
		rv = recompute(st, ind, &p, v);
		if (tally_period_parent(&p, &p) != TALLY_OK) {
			break;
		}
	}
	if (rv != TALLY_OK) {
		return tally_fail(eb, rv, "database error");
	}
	*version = v;
	return TALLY_OK;
}

/* Appends one element of size sz to a growable array of *count elements
 * with room for *cap. Nothing changes on failure. */
static int
append(void **arr, size_t *count, size_t *cap, const void *elem, size_t sz)
{
	if (*count == *cap) {
		size_t ncap  = *cap == 0 ? 16 : *cap * 2;
		void  *grown = realloc(*arr, ncap * sz);

		if (grown == NULL) {
			return TALLY_ENOMEM;
		}
		*arr = grown;
		*cap = ncap;
	}
	memcpy((char *) *arr + *count * sz, elem, sz);
	(*count)++;
	return TALLY_OK;
}

/* Reads the rows of s, a bound query of observations (period, then the
 * columns of read_obs_columns), into *out and *n, and resets s. */
static int
obs_rows(struct tally_store *st, sqlite3_stmt *s, const char *what,
    struct tally_obs **out, size_t *n)
{
	struct tally_obs *arr   = NULL;
	size_t            count = 0, cap = 0;
	int               rc, rv         = TALLY_OK;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct tally_obs o;

		memset(&o, 0, sizeof(o));
		if (tally_period_parse(
		        (const char *) sqlite3_column_text(s, 0), &o.period) !=
		    TALLY_OK) {
			rv = TALLY_EDB;
			goto fail;
		}
		read_obs_columns(s, 1, &o);
		rv = append((void **) &arr, &count, &cap, &o, sizeof(*arr));
		if (rv != TALLY_OK) {
			goto fail;
		}
	}
	if (rc != SQLITE_DONE) {
		rv = db_err(st, rc, what);
		goto fail;
	}
	stmt_reset(s);
	*out = arr;
	*n   = count;
	return TALLY_OK;
fail:
	stmt_reset(s);
	free(arr);
	return rv;
}

int
tally_store_observations(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    struct tally_obs **out, size_t *n)
{
	sqlite3_stmt *s =
	    period != NULL ? st->stmt[ST_SELECT] : st->stmt[ST_SELECT_ALL];

	sqlite3_bind_text(s, 1, ind->id, -1, SQLITE_STATIC);
	if (period != NULL) {
		sqlite3_bind_int(s, 2, tally_period_first_month(period));
		sqlite3_bind_int(s, 3, tally_period_last_month(period));
	}
	return obs_rows(st, s, "observations", out, n);
}

int
tally_store_snapshot_version(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    uint64_t *version)
{
	char text[TALLY_PERIOD_STRLEN];
	int  rc, rv = TALLY_ENOENT;

	tally_period_format(period, text);
	sqlite3_bind_text(st->stmt[ST_VERSION], 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st->stmt[ST_VERSION], 2, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st->stmt[ST_VERSION]);
	if (rc == SQLITE_ROW) {
		*version =
		    (uint64_t) sqlite3_column_int64(st->stmt[ST_VERSION], 0);
		rv = TALLY_OK;
	} else if (rc != SQLITE_DONE) {
		rv = db_err(st, rc, "version");
	}
	stmt_reset(st->stmt[ST_VERSION]);
	return rv;
}

/* Steps s, a bound query of one snapshot row (version, the state's
 * columns, leaves_out), and resets it: TALLY_ENOENT when there is no row.
 * The row may be a state without data. */
static int
snap_row(struct tally_store *st, sqlite3_stmt *s, const char *what,
    struct tally_state *state, uint64_t *version,
    char leaves_out[TALLY_LEAVES_OUT_STRLEN])
{
	int rc, rv = TALLY_ENOENT;

	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct tally_state got;
		const char        *text;

		read_state(s, 1, &got);
		*version = (uint64_t) sqlite3_column_int64(s, 0);
		*state   = got;
		text     = (const char *) sqlite3_column_text(s, 9);
		snprintf(leaves_out, TALLY_LEAVES_OUT_STRLEN, "%s",
		    text != NULL ? text : "");
		rv = TALLY_OK;
	} else if (rc != SQLITE_DONE) {
		rv = db_err(st, rc, what);
	}
	stmt_reset(s);
	return rv;
}

/* The snapshot row as stored: the state the region sends, which leaves
 * out what leaves_out lists. */
static int
snap_get(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_period *period, struct tally_state *state,
    uint64_t *version, char leaves_out[TALLY_LEAVES_OUT_STRLEN])
{
	sqlite3_stmt *s = st->stmt[ST_SNAP_GET];
	char          text[TALLY_PERIOD_STRLEN];

	tally_period_format(period, text);
	sqlite3_bind_text(s, 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT);
	return snap_row(st, s, "snapshot", state, version, leaves_out);
}

/* Steps through the codes of a leaves_out text: copies the next one to
 * code and advances *p; false at the end. */
static bool
next_left_out(const char **p, char code[TALLY_REGION_STRLEN])
{
	size_t n = strcspn(*p, ",");

	if (**p == '\0' || n >= TALLY_REGION_STRLEN) {
		return false;
	}
	memcpy(code, *p, n);
	code[n] = '\0';
	*p += (*p)[n] == ',' ? n + 1 : n;
	return true;
}

/* Adds to state, from the n states in held, those of the regions that
 * region left out (leaves_out) and that lie below it for period, which
 * makes region's own state its figure (catalog.h). The regions left out
 * are leaves, which leave nothing out themselves. */
static void
compose_from(const struct tally_store *st, const char *region,
    const char *leaves_out, const struct tally_period *period,
    const struct tally_region_state *held, size_t n, struct tally_state *state)
{
	char code[TALLY_REGION_STRLEN];

	while (next_left_out(&leaves_out, code)) {
		if (!tally_catalog_is_below_for(
		        st->cat, region, code, period)) {
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			if (strcmp(held[i].region, code) == 0) {
				tally_state_merge(state, &held[i].state);
			}
		}
	}
}

static int rstate_get(struct tally_store *st, const char *region,
    const struct tally_indicator *ind, const struct tally_period *period,
    struct tally_region_state *out);

/* compose_from with the states held now, looked up one by one. */
static int
compose_current(struct tally_store *st, const char *region,
    const char *leaves_out, const struct tally_indicator *ind,
    const struct tally_period *period, struct tally_state *state)
{
	char code[TALLY_REGION_STRLEN];

	while (next_left_out(&leaves_out, code)) {
		struct tally_region_state r;
		int                       rv;

		if (!tally_catalog_is_below_for(
		        st->cat, region, code, period)) {
			continue;
		}
		rv = rstate_get(st, code, ind, period, &r);
		if (rv == TALLY_OK) {
			tally_state_merge(state, &r.state);
		} else if (rv != TALLY_ENOENT) {
			return rv;
		}
	}
	return TALLY_OK;
}

/* Composes each state of a list of held states that left something out
 * from the others, then drops those that still hold no data: a region
 * whose figure lost all its data has none to show. */
static void
compose_list(const struct tally_store *st, const struct tally_period *period,
    struct tally_region_state *arr, size_t *n)
{
	size_t kept = 0;

	for (size_t i = 0; i < *n; i++) {
		if (arr[i].leaves_out[0] != '\0') {
			compose_from(st, arr[i].region, arr[i].leaves_out,
			    period, arr, *n, &arr[i].state);
		}
	}
	for (size_t i = 0; i < *n; i++) {
		if (arr[i].state.has_newest) {
			arr[kept++] = arr[i];
		}
	}
	*n = kept;
}

int
tally_store_snapshot(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_period *period, struct tally_state *state,
    uint64_t *version)
{
	char               left[TALLY_LEAVES_OUT_STRLEN];
	struct tally_state got;
	uint64_t           v;
	int                rv = snap_get(st, ind, period, &got, &v, left);

	if (rv == TALLY_OK && left[0] != '\0') {
		rv = compose_current(st, st->region, left, ind, period, &got);
	}
	if (rv == TALLY_OK && !got.has_newest) {
		rv = TALLY_ENOENT;
	}
	if (rv == TALLY_OK) {
		*state   = got;
		*version = v;
	}
	return rv;
}

/* The version held for region's (ind, period) in *held, and *have; with
 * prev, the whole row as it was sent, for the audit trail, from the same
 * one read. */
static int
held_version(struct tally_store *st, const char *region,
    const struct tally_wire_state *ws, const char *text, uint64_t *held,
    bool *have, struct tally_region_state *prev)
{
	sqlite3_stmt *s = st->stmt[ST_RSTATE_VERSION];
	int           rc;

	if (prev != NULL) {
		rc = rstate_get(st, region, ws->ind, &ws->period, prev);
		if (rc != TALLY_OK && rc != TALLY_ENOENT) {
			return rc;
		}
		*have = rc == TALLY_OK;
		*held = *have ? prev->version : 0;
		return TALLY_OK;
	}
	sqlite3_bind_text(s, 1, ws->ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, region, -1, SQLITE_TRANSIENT);
	rc    = sqlite3_step(s);
	*have = rc == SQLITE_ROW;
	*held = *have ? (uint64_t) sqlite3_column_int64(s, 0) : 0;
	if (rc == SQLITE_ROW) {
		rc = SQLITE_DONE;
	}
	stmt_reset(s);
	if (rc != SQLITE_DONE) {
		return db_err(st, rc, "state version");
	}
	return TALLY_OK;
}

/* Whether a and b hold the same figures, bit for bit: the store keeps
 * what was sent exactly. */
static bool
same_figures(const struct tally_state *a, const struct tally_state *b)
{
	if (a->sum_a != b->sum_a || a->sum_b != b->sum_b ||
	    a->leaves != b->leaves || a->has_minmax != b->has_minmax ||
	    a->has_newest != b->has_newest) {
		return false;
	}
	if (a->has_newest && !tally_period_equal(&a->newest, &b->newest)) {
		return false;
	}
	return !a->has_minmax ||
	    (a->min_value == b->min_value && a->max_value == b->max_value &&
	        strcmp(a->min_region, b->min_region) == 0 &&
	        strcmp(a->max_region, b->max_region) == 0);
}

/* A state of the version held: a resend (duplicate) when it holds the
 * same figures, else a conflict, refused with its reason in ws. A
 * version names one state; two different ones under it cannot both be
 * right, and taking either silently would hide it. */
static int
same_version(struct tally_store *st, const char *region,
    struct tally_wire_state *ws, const char *text,
    const struct tally_region_state *prev, int *status)
{
	struct tally_region_state held;
	int                       rv = TALLY_OK;

	if (prev == NULL) {
		rv   = rstate_get(st, region, ws->ind, &ws->period, &held);
		prev = &held;
	}
	if (rv != TALLY_OK) {
		return rv;
	}
	if (same_figures(&ws->state, &prev->state) &&
	    strcmp(ws->leaves_out, prev->leaves_out) == 0) {
		*status = TALLY_ACK_DUPLICATE;
		return TALLY_OK;
	}
	snprintf(ws->reason, sizeof(ws->reason),
	    "conflict: version %llu of %s %s %s is held with other figures",
	    (unsigned long long) ws->version, region, ws->ind->id, text);
	*status = TALLY_ACK_REJECTED;
	return TALLY_OK;
}

/* Binds a state's row (region_state's columns, the parameters of
 * ST_RSTATE_PUT; ?19 the transaction's time for the history) to s, runs
 * it and resets it. */
static int
rstate_write(struct tally_store *st, sqlite3_stmt *s,
    const struct tally_wire_state *ws, const char *text, const char *region,
    const char *via, int64_t first, int64_t received, const char *what)
{
	sqlite3_bind_text(s, 1, ws->ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, region, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, via, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64) ws->version);
	bind_state(s, 6, &ws->state);
	if (!ws->state.has_newest) {
		/* A state without data (wire.h); the column is NOT NULL. */
		sqlite3_bind_text(s, 13, "", 0, SQLITE_STATIC);
	}
	sqlite3_bind_int64(s, 14, (sqlite3_int64) first);
	sqlite3_bind_int64(s, 15, (sqlite3_int64) received);
	if (ws->has_origin) {
		sqlite3_bind_text(s, 16, ws->origin_key_id, -1, SQLITE_STATIC);
		sqlite3_bind_blob(
		    s, 17, ws->origin_sig, TALLY_SIGN_BYTES, SQLITE_STATIC);
	} else {
		sqlite3_bind_null(s, 16);
		sqlite3_bind_null(s, 17);
	}
	sqlite3_bind_text(s, 18, ws->leaves_out, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(s) >= 19) {
		sqlite3_bind_int64(s, 19,
		    (sqlite3_int64) (st->txn_ms > 0 ? st->txn_ms
		                                    : tally_clock_now_ms()));
	}
	return step_done(st, s, what);
}

static int
put_state(struct tally_store *st, const char *via, struct tally_wire_state *ws,
    int *status, struct tally_region_state *prev, bool *has_prev)
{
	const char *region = ws->region[0] != '\0' ? ws->region : via;
	char        text[TALLY_PERIOD_STRLEN];
	uint64_t    held = 0;
	int64_t     first, received;
	bool        have = false, own;
	int         rv;
	struct tally_region_state mine;

	/* The row replaced is read whole (the same row the version comes
	 * from): a child's own state changes the snapshot by the difference
	 * from it, and the history row is written from it without reading
	 * the new one back. */
	if (prev == NULL) {
		prev = &mine;
	}
	tally_period_format(&ws->period, text);
	rv = held_version(st, region, ws, text, &held, &have, prev);
	if (rv != TALLY_OK) {
		return rv;
	}
	if (has_prev != NULL) {
		*has_prev = have;
	}
	if (have && ws->version == held) {
		return same_version(st, region, ws, text, prev, status);
	}
	if (have && ws->version < held) {
		*status = TALLY_ACK_STALE;
		return TALLY_OK;
	}
	/* A forwarded state keeps the times of the hub that received it from
	 * the region itself; a child's own state is timed here, whatever it
	 * claims. */
	own      = strcmp(region, via) == 0;
	received = !own && ws->received_ms > 0 ? ws->received_ms
	                                       : tally_clock_now_ms();
	first = !own && ws->received_ms > 0 ? ws->first_received_ms : received;
	/* The first arrival is kept across versions. */
	if (have && prev->first_received_ms < first) {
		first = prev->first_received_ms;
	}
	rv = rstate_write(st, st->stmt[ST_RSTATE_PUT], ws, text, region, via,
	    first, received, "region state");
	if (rv == TALLY_OK) {
		rv = rstate_write(st, st->hist[HIST_RSTATE], ws, text, region,
		    via, first, received, "history");
	}
	if (rv == TALLY_OK &&
	    (ws->withdrawn || ws->change_reason[0] != '\0')) {
		rv = tally_reason_put(st, region, ws->ind->id, text,
		    ws->version, ws->withdrawn, ws->change_reason, received);
	}
	/* Only a direct child's own state and that of a moving region the
	 * region absorbs are part of its figure; the states of regions
	 * further below are held to be shown. The snapshot is recomputed at
	 * commit. */
	if (rv == TALLY_OK && own) {
		rv = mark_changed(st, region, have ? prev : NULL, ws);
	} else if (rv == TALLY_OK && st->region[0] != '\0' &&
	    st->cat->n_changes > 0 &&
	    tally_catalog_absorbs(st->cat, st->region, region, &ws->period)) {
		rv = mark_dirty(st, ws->ind, &ws->period);
	}
	if (rv == TALLY_OK) {
		*status = TALLY_ACK_ACCEPTED;
	}
	return rv;
}

int
tally_store_put_state(struct tally_store *st, const char *via,
    struct tally_wire_state *ws, int *status)
{
	return put_state(st, via, ws, status, NULL, NULL);
}

/* Marks the snapshot of (ind, period) to be recomputed from every child
 * at commit. */
static int
mark_dirty(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_period *period)
{
	size_t idx;
	int    rv = tally_snapmap_touch(st->snaps, ind, period, &idx);

	if (rv == TALLY_OK) {
		struct tally_snapentry *e = tally_snapmap_at(st->snaps, idx);

		e->started  = true;
		e->acc.full = true;
	}
	return rv;
}

/* Starts the transaction's change of e's snapshot from the row stored,
 * when it is the one this process stored last and made from settled
 * states; else the change will be recomputed from every child. */
static int
snap_start(struct tally_store *st, struct tally_snapentry *e)
{
	struct tally_state current;
	uint64_t           version = 0;
	char               lo[TALLY_LEAVES_OUT_STRLEN];
	int                rv;

	e->started  = true;
	e->acc.full = true;
	if (e->known_version == 0) {
		return TALLY_OK;
	}
	rv = snap_get(st, e->ind, &e->period, &current, &version, lo);
	if (rv == TALLY_ENOENT) {
		return TALLY_OK;
	}
	if (rv == TALLY_OK && version == e->known_version &&
	    strcmp(lo, st->leaves_out) == 0) {
		tally_snapacc_start(&e->acc, &current);
	}
	return rv;
}

/* A direct child's own state ws replaced old (NULL: none): its change to
 * the snapshot, kept until commit. Only without redistricting, where
 * every child's settled state is one without leaves_out, is the
 * difference enough; else the snapshot is recomputed. */
static int
mark_changed(struct tally_store *st, const char *region,
    const struct tally_region_state *old, const struct tally_wire_state *ws)
{
	struct tally_snapentry *e;
	size_t                  idx;
	int                     rv;

	if (st->cat->n_changes > 0 || ws->leaves_out[0] != '\0' ||
	    (old != NULL && old->leaves_out[0] != '\0') ||
	    (st->region[0] != '\0' &&
	        !tally_catalog_is_child(st->cat, st->region, region))) {
		return mark_dirty(st, ws->ind, &ws->period);
	}
	rv = tally_snapmap_touch(st->snaps, ws->ind, &ws->period, &idx);
	if (rv != TALLY_OK) {
		return rv;
	}
	e = tally_snapmap_at(st->snaps, idx);
	if (!e->started) {
		rv = snap_start(st, e);
		if (rv != TALLY_OK) {
			return rv;
		}
	}
	tally_snapacc_replace(
	    &e->acc, old != NULL ? &old->state : NULL, &ws->state);
	return TALLY_OK;
}

/* Stores the snapshot of e with version: the transaction's change when
 * its sums stay within their bound, else recomputed from every child. */
static int
snap_store(struct tally_store *st, struct tally_snapentry *e, uint64_t version)
{
	struct tally_state next;
	double             err_a, err_b;

	if (e->acc.full) {
		return recompute(st, e->ind, &e->period, version);
	}
	tally_snapacc_finish(&e->acc, &next, &err_a, &err_b);
	err_a += e->err_a;
	err_b += e->err_b;
	if (!tally_snapshot_within(&next, err_a, err_b)) {
		return recompute(st, e->ind, &e->period, version);
	}
	return write_snapshot(st, e->ind, &e->period, &next, version,
	    (double[2]) { err_a, err_b });
}

/* Stores, each once and with a new version, the snapshots that the
 * transaction's children's states changed. */
static int
recompute_dirty(struct tally_store *st)
{
	int rv = TALLY_OK;

	tally_snapmap_txn_sort(st->snaps);
	for (size_t i = 0;
	     rv == TALLY_OK && i < tally_snapmap_txn_count(st->snaps); i++) {
		struct tally_snapentry *e = tally_snapmap_at(
		    st->snaps, tally_snapmap_txn_index(st->snaps, i));
		uint64_t version;

		rv = next_version(st, &version);
		if (rv == TALLY_OK) {
			rv = snap_store(st, e, version);
		}
	}
	tally_snapmap_txn_end(st->snaps);
	return rv;
}

static void
read_region_state(sqlite3_stmt *s, struct tally_region_state *r)
{
	const char *text;

	memset(r, 0, sizeof(*r));
	text = (const char *) sqlite3_column_text(s, 0);
	snprintf(r->region, sizeof(r->region), "%s", text ? text : "");
	r->version = (uint64_t) sqlite3_column_int64(s, 1);
	read_state(s, 2, &r->state);
	r->first_received_ms = sqlite3_column_int64(s, 10);
	r->received_ms       = sqlite3_column_int64(s, 11);
	text                 = (const char *) sqlite3_column_text(s, 12);
	snprintf(r->via, sizeof(r->via), "%s", text ? text : "");
	text = (const char *) sqlite3_column_text(s, 13);
	snprintf(r->leaves_out, sizeof(r->leaves_out), "%s", text ? text : "");
}

/* Reads every row of a region-state query bound to (ind, period). */
static int
region_states(struct tally_store *st, sqlite3_stmt *s,
    const struct tally_indicator *ind, const struct tally_period *period,
    struct tally_region_state **out, size_t *n)
{
	struct tally_region_state *arr   = NULL;
	size_t                     count = 0, cap = 0;
	char                       text[TALLY_PERIOD_STRLEN];
	int                        rc, rv = TALLY_OK;

	tally_period_format(period, text);
	sqlite3_bind_text(s, 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT);
	for (;;) {
		struct tally_region_state r;

		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW) {
			break;
		}
		read_region_state(s, &r);
		rv = append((void **) &arr, &count, &cap, &r, sizeof(*arr));
		if (rv != TALLY_OK) {
			goto fail;
		}
	}
	if (rc != SQLITE_DONE) {
		rv = db_err(st, rc, "region states");
		goto fail;
	}
	stmt_reset(s);
	*out = arr;
	*n   = count;
	return TALLY_OK;
fail:
	stmt_reset(s);
	free(arr);
	return rv;
}

int
tally_store_child_states(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    struct tally_region_state **out, size_t *n)
{
	return region_states(st, st->stmt[ST_CHILDREN], ind, period, out, n);
}

int
tally_store_held_states(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    struct tally_region_state **out, size_t *n)
{
	int rv = region_states(st, st->stmt[ST_HELD], ind, period, out, n);

	if (rv == TALLY_OK) {
		compose_list(st, period, *out, n);
	}
	return rv;
}

int
tally_store_region_state(struct tally_store *st, const char *region,
    const struct tally_indicator *ind, const struct tally_period *period,
    struct tally_region_state *out)
{
	struct tally_region_state r;
	int                       rv = rstate_get(st, region, ind, period, &r);

	if (rv == TALLY_OK && r.leaves_out[0] != '\0') {
		rv = compose_current(
		    st, r.region, r.leaves_out, ind, period, &r.state);
	}
	if (rv == TALLY_OK && !r.state.has_newest) {
		rv = TALLY_ENOENT;
	}
	if (rv == TALLY_OK) {
		*out = r;
	}
	return rv;
}

/* The row held for region, as it was sent. */
static int
rstate_get(struct tally_store *st, const char *region,
    const struct tally_indicator *ind, const struct tally_period *period,
    struct tally_region_state *out)
{
	sqlite3_stmt *s = st->stmt[ST_RSTATE_GET];
	char          text[TALLY_PERIOD_STRLEN];
	int           rc, rv = TALLY_ENOENT;

	tally_period_format(period, text);
	sqlite3_bind_text(s, 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, region, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		read_region_state(s, out);
		rv = TALLY_OK;
	} else if (rc != SQLITE_DONE) {
		rv = db_err(st, rc, "region state");
	}
	stmt_reset(s);
	return rv;
}

static int
compare_periods(const void *a, const void *b)
{
	const struct tally_period *p = a, *q = b;
	int pf = tally_period_first_month(p), qf = tally_period_first_month(q);

	/* Oldest first; a year before its quarters before its months. */
	if (pf != qf) {
		return pf < qf ? -1 : 1;
	}
	return p->kind - q->kind;
}

/* The periods s reads, sorted (tally_store_periods). */
static int
read_periods(struct tally_store *st, sqlite3_stmt *s,
    struct tally_period **out, size_t *n)
{
	struct tally_period *arr   = NULL;
	size_t               count = 0, cap = 0;
	int                  rc, rv         = TALLY_OK;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct tally_period p;

		if (tally_period_parse(
		        (const char *) sqlite3_column_text(s, 0), &p) !=
		    TALLY_OK) {
			continue;
		}
		rv = append((void **) &arr, &count, &cap, &p, sizeof(*arr));
		if (rv != TALLY_OK) {
			goto fail;
		}
	}
	if (rc != SQLITE_DONE) {
		rv = db_err(st, rc, "periods");
		goto fail;
	}
	stmt_reset(s);
	if (count > 1) {
		qsort(arr, count, sizeof(*arr), compare_periods);
	}
	*out = arr;
	*n   = count;
	return TALLY_OK;
fail:
	stmt_reset(s);
	free(arr);
	return rv;
}

int
tally_store_periods(
    struct tally_store *st, struct tally_period **out, size_t *n)
{
	return read_periods(st, st->stmt[ST_PERIODS], out, n);
}

int
tally_store_region_periods(struct tally_store *st, const char *region,
    struct tally_period **out, size_t *n)
{
	sqlite3_stmt *s = st->stmt[ST_REGION_PERIODS];

	sqlite3_bind_text(s, 1, region, -1, SQLITE_TRANSIENT);
	return read_periods(st, s, out, n);
}

/* Reads the origin key id and signature stored with a state held from
 * below, at columns first and first + 1; a row without both (or with a
 * malformed one) has no origin. */
static void
read_origin(sqlite3_stmt *s, int first, struct tally_wire_state *ws)
{
	const char *id = (const char *) sqlite3_column_text(s, first);

	ws->has_origin = false;
	if (id == NULL || !tally_key_id_valid(id) ||
	    sqlite3_column_type(s, first + 1) != SQLITE_BLOB ||
	    sqlite3_column_bytes(s, first + 1) != TALLY_SIGN_BYTES) {
		return;
	}
	ws->has_origin = true;
	memcpy(ws->origin_key_id, id, TALLY_KEY_ID_STRLEN);
	memcpy(ws->origin_sig, sqlite3_column_blob(s, first + 1),
	    TALLY_SIGN_BYTES);
}

/* Appends to arr (room for limit) the rows of a pending query: the own
 * snapshots (forwarded = false) or the states held from below. */
static int
pending_rows(struct tally_store *st, sqlite3_stmt *s, bool forwarded,
    struct tally_wire_state *arr, size_t limit, size_t *count)
{
	int rc;

	for (;;) {
		struct tally_wire_state *ws = &arr[*count];
		const char              *id, *per, *left;

		if (*count == limit) {
			rc = SQLITE_DONE;
			break;
		}
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW) {
			break;
		}
		memset(ws, 0, sizeof(*ws));
		id      = (const char *) sqlite3_column_text(s, 0);
		per     = (const char *) sqlite3_column_text(s, 1);
		ws->ind = tally_catalog_indicator(st->cat, id);
		if (ws->ind == NULL ||
		    tally_period_parse(per, &ws->period) != TALLY_OK) {
			/* A row the catalogue no longer knows cannot be sent;
			 * skip it rather than stall the whole outbox. */
			TALLY_LOG(TALLY_LOG_WARN,
			    "outbox: skipping unknown %s %s", id ? id : "?",
			    per ? per : "?");
			continue;
		}
		snprintf(ws->indicator, sizeof(ws->indicator), "%s", id);
		snprintf(ws->period_text, sizeof(ws->period_text), "%s", per);
		ws->version = (uint64_t) sqlite3_column_int64(s, 2);
		/* A state without data goes too: the hub above must drop
		 * the figure it holds (wire.c). */
		read_state(s, 3, &ws->state);
		left =
		    (const char *) sqlite3_column_text(s, forwarded ? 16 : 11);
		snprintf(ws->leaves_out, sizeof(ws->leaves_out), "%s",
		    left != NULL ? left : "");
		if (forwarded) {
			const char *r =
			    (const char *) sqlite3_column_text(s, 11);

			snprintf(ws->region, sizeof(ws->region), "%s",
			    r != NULL ? r : "");
			ws->first_received_ms = sqlite3_column_int64(s, 12);
			ws->received_ms       = sqlite3_column_int64(s, 13);
			read_origin(s, 14, ws);
		}
		(*count)++;
	}
	stmt_reset(s);
	if (rc != SQLITE_DONE) {
		return db_err(st, rc, "pending");
	}
	return TALLY_OK;
}

int
tally_store_pending(struct tally_store *st, const char *uplink, size_t limit,
    bool with_below, struct tally_wire_state **out, size_t *n)
{
	return tally_store_pending_to(
	    st, uplink, NULL, limit, with_below, out, n);
}

int
tally_store_pending_to(struct tally_store *st, const char *uplink,
    const char *hub, size_t limit, bool with_below,
    struct tally_wire_state **out, size_t *n)
{
	struct tally_wire_state *arr;
	size_t                   count = 0;
	int                      rv;

	arr = calloc(limit > 0 ? limit : 1, sizeof(*arr));
	if (arr == NULL) {
		return TALLY_ENOMEM;
	}
	/* The region's own snapshots go first: they are what the parent's
	 * figure is made of, so they decide how fresh it is. */
	sqlite3_bind_text(
	    st->stmt[ST_PENDING_OWN], 1, uplink, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st->stmt[ST_PENDING_OWN], 2, (sqlite3_int64) limit);
	sqlite3_bind_text(
	    st->stmt[ST_PENDING_OWN], 3, st->region, -1, SQLITE_TRANSIENT);
	if (hub != NULL) {
		sqlite3_bind_text(
		    st->stmt[ST_PENDING_OWN], 4, hub, -1, SQLITE_TRANSIENT);
	}
	rv = pending_rows(
	    st, st->stmt[ST_PENDING_OWN], false, arr, limit, &count);
	if (rv == TALLY_OK && with_below && count < limit) {
		sqlite3_bind_text(st->stmt[ST_PENDING_BELOW], 1, uplink, -1,
		    SQLITE_TRANSIENT);
		sqlite3_bind_int64(st->stmt[ST_PENDING_BELOW], 2,
		    (sqlite3_int64) (limit - count));
		if (hub != NULL) {
			sqlite3_bind_text(st->stmt[ST_PENDING_BELOW], 3, hub,
			    -1, SQLITE_TRANSIENT);
		}
		rv = pending_rows(
		    st, st->stmt[ST_PENDING_BELOW], true, arr, limit, &count);
	}
	if (rv != TALLY_OK) {
		free(arr);
		return rv;
	}
	*out = arr;
	*n   = count;
	return TALLY_OK;
}

int
tally_store_acked(struct tally_store *st, const char *uplink,
    const char *region, const char *indicator, const char *period,
    uint64_t version, int status)
{
	sqlite3_stmt *s = st->stmt[ST_ACKED];

	sqlite3_bind_text(s, 1, uplink, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, region[0] != '\0' ? region : st->region, -1,
	    SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, indicator, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, period, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 5, (sqlite3_int64) version);
	sqlite3_bind_int(s, 6, status);
	return step_done(st, s, "acked");
}

int
tally_store_uplink_instance(
    struct tally_store *st, const char *uplink, char *buf, size_t len)
{
	char key[128];

	snprintf(key, sizeof(key), "uplink_instance:%s", uplink);
	return meta_get(st, key, buf, len);
}

int
tally_store_set_uplink_instance(
    struct tally_store *st, const char *uplink, const char *instance)
{
	char          key[128];
	char          held[TALLY_WIRE_TEXT_MAX];
	sqlite3_stmt *s;
	int           rc, rv;

	snprintf(key, sizeof(key), "uplink_instance:%s", uplink);
	rv = meta_get(st, key, held, sizeof(held));
	if (rv == TALLY_OK && strcmp(held, instance) == 0) {
		return TALLY_OK;
	}
	if (rv != TALLY_OK && rv != TALLY_ENOENT) {
		return rv;
	}
	rc = sqlite3_prepare_v2(
	    st->db, "DELETE FROM uplink_ack WHERE uplink = ?1", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return db_err(st, rc, "forget acks");
	}
	sqlite3_bind_text(s, 1, uplink, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		return db_err(st, rc, "forget acks");
	}
	return meta_put(st, key, instance);
}

int
tally_store_data_version(struct tally_store *st, uint64_t *out)
{
	/* Prepared once: uplinks, daemons and the dashboard ask often. A
	 * pragma is evaluated when stepped, so the answer is current. */
	sqlite3_stmt *s = st->stmt[ST_DATA_VERSION];
	int           rc, rv = TALLY_OK;

	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = (uint64_t) sqlite3_column_int64(s, 0);
	} else {
		rv = db_err(st, rc, "data_version");
	}
	stmt_reset(s);
	return rv;
}

int
tally_store_own_changes(struct tally_store *st, uint64_t *out)
{
	*out = (uint64_t) sqlite3_total_changes64(st->db);
	return TALLY_OK;
}

/* The audit trail (store.h). Its statements are prepared per call: an
 * envelope is appended once per accepted submission, and the trail is
 * read by the audit command alone. */

int
tally_store_audit_ensure(struct tally_store *st)
{
	return exec_sql(st, STORE_AUDIT_SQL);
}

int
tally_store_put_state_audited(struct tally_store *st, const char *via,
    struct tally_wire_state *ws, uint32_t seq, struct tally_audit_item *item,
    int *status)
{
	struct tally_region_state prev;
	const char *region   = ws->region[0] != '\0' ? ws->region : via;
	bool        has_prev = false;
	int         rv;

	/* The row as it was sent, not the region's figure: the trail says
	 * what this state replaced. */
	rv = put_state(st, via, ws, status, &prev, &has_prev);
	if (rv != TALLY_OK || *status != TALLY_ACK_ACCEPTED) {
		return rv;
	}
	memset(item, 0, sizeof(*item));
	item->seq = seq;
	snprintf(item->region, sizeof(item->region), "%s", region);
	snprintf(item->indicator, sizeof(item->indicator), "%s", ws->ind->id);
	tally_period_format(&ws->period, item->period);
	item->version = ws->version;
	item->state   = ws->state;
	if (ws->has_origin) {
		item->has_origin = true;
		memcpy(item->origin_sig, ws->origin_sig, TALLY_SIGN_BYTES);
		memcpy(item->origin_key_id, ws->origin_key_id,
		    TALLY_KEY_ID_STRLEN);
		item->has_origin_pk = ws->origin_verified;
		if (ws->origin_verified) {
			memcpy(item->origin_pk, ws->origin_pk,
			    TALLY_PUBLIC_BYTES);
		}
	}
	if (has_prev) {
		item->has_prev     = true;
		item->prev_version = prev.version;
		item->prev         = prev.state;
		memcpy(item->prev_via, prev.via, sizeof(item->prev_via));
	}
	return TALLY_OK;
}

/* Chain input: every field with its length, so that no two different rows
 * hash the same bytes. */
static void
chain_bytes(crypto_generichash_state *h, const void *p, size_t n)
{
	uint8_t len[8];

	for (int i = 0; i < 8; i++) {
		len[i] = (uint8_t) ((uint64_t) n >> (8 * i));
	}
	crypto_generichash_update(h, len, sizeof(len));
	if (n > 0) {
		crypto_generichash_update(h, p, n);
	}
}

static void
chain_u64(crypto_generichash_state *h, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++) {
		b[i] = (uint8_t) (v >> (8 * i));
	}
	crypto_generichash_update(h, b, sizeof(b));
}

static void
chain_double(crypto_generichash_state *h, double d)
{
	uint64_t bits;

	memcpy(&bits, &d, sizeof(bits));
	chain_u64(h, bits);
}

static void
chain_text(crypto_generichash_state *h, const char *s)
{
	chain_bytes(h, s, s != NULL ? strlen(s) : 0);
}

static void
chain_state(crypto_generichash_state *h, const struct tally_state *s)
{
	chain_double(h, s->sum_a);
	chain_double(h, s->sum_b);
	chain_u64(h, s->leaves);
}

void
tally_store_audit_chain(const uint8_t  prev[TALLY_AUDIT_CHAIN_BYTES],
    const struct tally_audit_envelope *env,
    const struct tally_audit_item *items, size_t n,
    uint8_t out[TALLY_AUDIT_CHAIN_BYTES])
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, NULL, 0, TALLY_AUDIT_CHAIN_BYTES);
	crypto_generichash_update(&h, prev, TALLY_AUDIT_CHAIN_BYTES);
	chain_u64(&h, (uint64_t) env->received_ms);
	chain_text(&h, env->sender);
	chain_text(&h, env->key_id);
	chain_bytes(&h, env->public_key, env->public_key != NULL ? 32 : 0);
	chain_bytes(&h, env->signature, env->sig_len);
	chain_bytes(&h, env->body, env->body_len);
	chain_u64(&h, n);
	for (size_t i = 0; i < n; i++) {
		const struct tally_audit_item *it = &items[i];

		chain_u64(&h, it->seq);
		chain_text(&h, it->region);
		chain_text(&h, it->indicator);
		chain_text(&h, it->period);
		chain_u64(&h, it->version);
		chain_state(&h, &it->state);
		chain_u64(&h, it->has_prev);
		if (it->has_prev) {
			chain_u64(&h, it->prev_version);
			chain_state(&h, &it->prev);
			chain_text(&h, it->prev_via);
		}
		chain_u64(&h, it->has_origin);
		if (it->has_origin) {
			chain_text(&h, it->origin_key_id);
			chain_bytes(&h, it->origin_sig, TALLY_SIGN_BYTES);
			chain_bytes(&h, it->origin_pk,
			    it->has_origin_pk ? TALLY_PUBLIC_BYTES : 0);
		}
	}
	crypto_generichash_final(&h, out, TALLY_AUDIT_CHAIN_BYTES);
}

static void
bind_blob_or_null(sqlite3_stmt *s, int i, const void *p, size_t n)
{
	if (p == NULL) {
		sqlite3_bind_null(s, i);
	} else if (n == 0) {
		sqlite3_bind_zeroblob(s, i, 0);
	} else {
		sqlite3_bind_blob(s, i, p, (int) n, SQLITE_STATIC);
	}
}

/* Prepares *s from sql at its first use; kept until the store closes. */
static int
prepare_once(struct tally_store *st, sqlite3_stmt **s, const char *sql)
{
	if (*s != NULL) {
		return TALLY_OK;
	}
	return prepare(st, s, sql);
}

/* The chain of the last row, zeros when the trail is empty. */
static int
audit_last_chain(struct tally_store *st, uint8_t out[TALLY_AUDIT_CHAIN_BYTES])
{
	sqlite3_stmt *s;
	int           rc, rv;

	memset(out, 0, TALLY_AUDIT_CHAIN_BYTES);
	rv = prepare_once(st, &st->audit_last,
	    "SELECT chain FROM audit_envelope ORDER BY id DESC LIMIT 1");
	if (rv != TALLY_OK) {
		return rv;
	}
	s  = st->audit_last;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW &&
	    sqlite3_column_bytes(s, 0) == TALLY_AUDIT_CHAIN_BYTES) {
		memcpy(
		    out, sqlite3_column_blob(s, 0), TALLY_AUDIT_CHAIN_BYTES);
	} else if (rc != SQLITE_DONE) {
		rv = rc == SQLITE_ROW ? TALLY_EDB
		                      : db_err(st, rc, "audit chain");
	}
	stmt_reset(s);
	return rv;
}

/* Appends the items of the envelope env->id, each with its row. */
static int
audit_items_append(struct tally_store *st,
    const struct tally_audit_envelope *env,
    const struct tally_audit_item *items, size_t n)
{
	sqlite3_stmt *s;
	int           rv;

	rv = prepare_once(st, &st->audit_state,
	    "INSERT INTO audit_state (envelope, seq, region, indicator,"
	    " period, version, sum_a, sum_b, leaves, prev_version,"
	    " prev_sum_a, prev_sum_b, prev_leaves, prev_via,"
	    " origin_key_id, origin_signature, origin_public_key)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
	    " ?13, ?14, ?15, ?16, ?17)");
	s  = st->audit_state;
	for (size_t i = 0; rv == TALLY_OK && i < n; i++) {
		const struct tally_audit_item *it = &items[i];

		sqlite3_bind_int64(s, 1, env->id);
		sqlite3_bind_int64(s, 2, it->seq);
		sqlite3_bind_text(s, 3, it->region, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, it->indicator, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, it->period, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 6, (sqlite3_int64) it->version);
		sqlite3_bind_double(s, 7, it->state.sum_a);
		sqlite3_bind_double(s, 8, it->state.sum_b);
		sqlite3_bind_int64(s, 9, it->state.leaves);
		if (it->has_prev) {
			sqlite3_bind_int64(
			    s, 10, (sqlite3_int64) it->prev_version);
			sqlite3_bind_double(s, 11, it->prev.sum_a);
			sqlite3_bind_double(s, 12, it->prev.sum_b);
			sqlite3_bind_int64(s, 13, it->prev.leaves);
			sqlite3_bind_text(
			    s, 14, it->prev_via, -1, SQLITE_STATIC);
		}
		if (it->has_origin) {
			sqlite3_bind_text(
			    s, 15, it->origin_key_id, -1, SQLITE_STATIC);
			sqlite3_bind_blob(s, 16, it->origin_sig,
			    TALLY_SIGN_BYTES, SQLITE_STATIC);
		}
		if (it->has_origin && it->has_origin_pk) {
			sqlite3_bind_blob(s, 17, it->origin_pk,
			    TALLY_PUBLIC_BYTES, SQLITE_STATIC);
		}
		rv = step_done(st, s, "audit state");
	}
	return rv;
}

int
tally_store_audit_append(struct tally_store *st,
    struct tally_audit_envelope *env, const struct tally_audit_item *items,
    size_t n)
{
	sqlite3_stmt *s;
	uint8_t       prev[TALLY_AUDIT_CHAIN_BYTES];
	int           rv;

	if (sodium_init() < 0) {
		return TALLY_EIO;
	}
	rv = audit_last_chain(st, prev);
	if (rv != TALLY_OK) {
		return rv;
	}
	tally_store_audit_chain(prev, env, items, n, env->chain);
	rv = prepare_once(st, &st->audit_env,
	    "INSERT INTO audit_envelope (received_at, sender, key_id,"
	    " public_key, signature, body, chain)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (rv != TALLY_OK) {
		return rv;
	}
	s = st->audit_env;
	sqlite3_bind_int64(s, 1, env->received_ms);
	sqlite3_bind_text(s, 2, env->sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(
	    s, 3, env->key_id != NULL ? env->key_id : "", -1, SQLITE_STATIC);
	bind_blob_or_null(s, 4, env->public_key, 32);
	bind_blob_or_null(s, 5, env->signature, env->sig_len);
	if (env->body_len > 0) {
		sqlite3_bind_blob(
		    s, 6, env->body, (int) env->body_len, SQLITE_STATIC);
	} else {
		sqlite3_bind_zeroblob(s, 6, 0);
	}
	sqlite3_bind_blob(
	    s, 7, env->chain, TALLY_AUDIT_CHAIN_BYTES, SQLITE_STATIC);
	rv = step_done(st, s, "audit envelope");
	if (rv != TALLY_OK) {
		return rv;
	}
	env->id = (int64_t) sqlite3_last_insert_rowid(st->db);
	return audit_items_append(st, env, items, n);
}

/* Reads an audited state's origin key id, signature and public key at
 * columns first to first + 2. A signature of the wrong size is kept as
 * absent, which audit --verify reports against the signed body. */
static void
read_audit_origin(sqlite3_stmt *s, int first, struct tally_audit_item *it)
{
	const char *id = (const char *) sqlite3_column_text(s, first);

	if (id == NULL ||
	    sqlite3_column_bytes(s, first + 1) != TALLY_SIGN_BYTES) {
		return;
	}
	it->has_origin = true;
	snprintf(it->origin_key_id, sizeof(it->origin_key_id), "%s", id);
	memcpy(it->origin_sig, sqlite3_column_blob(s, first + 1),
	    TALLY_SIGN_BYTES);
	if (sqlite3_column_bytes(s, first + 2) == TALLY_PUBLIC_BYTES) {
		it->has_origin_pk = true;
		memcpy(it->origin_pk, sqlite3_column_blob(s, first + 2),
		    TALLY_PUBLIC_BYTES);
	}
}

static void
read_audit_item(sqlite3_stmt *s, struct tally_audit_item *it)
{
	const char *text;

	memset(it, 0, sizeof(*it));
	it->seq = (uint32_t) sqlite3_column_int64(s, 0);
	text    = (const char *) sqlite3_column_text(s, 1);
	snprintf(it->region, sizeof(it->region), "%s", text ? text : "");
	text = (const char *) sqlite3_column_text(s, 2);
	snprintf(it->indicator, sizeof(it->indicator), "%s", text ? text : "");
	text = (const char *) sqlite3_column_text(s, 3);
	snprintf(it->period, sizeof(it->period), "%s", text ? text : "");
	it->version      = (uint64_t) sqlite3_column_int64(s, 4);
	it->state.sum_a  = sqlite3_column_double(s, 5);
	it->state.sum_b  = sqlite3_column_double(s, 6);
	it->state.leaves = (uint32_t) sqlite3_column_int64(s, 7);
	if (sqlite3_column_type(s, 8) != SQLITE_NULL) {
		it->has_prev     = true;
		it->prev_version = (uint64_t) sqlite3_column_int64(s, 8);
		it->prev.sum_a   = sqlite3_column_double(s, 9);
		it->prev.sum_b   = sqlite3_column_double(s, 10);
		it->prev.leaves  = (uint32_t) sqlite3_column_int64(s, 11);
		text             = (const char *) sqlite3_column_text(s, 12);
		snprintf(it->prev_via, sizeof(it->prev_via), "%s",
		    text ? text : "");
	}
	read_audit_origin(s, 13, it);
}

/* Reads the items of envelope id that pass the filters. */
static int
audit_items(struct tally_store *st, sqlite3_stmt *s, int64_t id,
    struct tally_audit_item **items, size_t *n, size_t *cap)
{
	struct tally_audit_item it;
	int                     rc;

	*n = 0;
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_audit_item(s, &it);
		if (append((void **) items, n, cap, &it, sizeof(it)) !=
		    TALLY_OK) {
			sqlite3_reset(s);
			return TALLY_ENOMEM;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		return db_err(st, rc, "audit items");
	}
	return TALLY_OK;
}

int
tally_store_audit_each(struct tally_store *st, const char *region,
    const char *period, tally_audit_fn fn, void *arg)
{
	sqlite3_stmt            *es = NULL, *is = NULL;
	struct tally_audit_item *items = NULL;
	size_t                   n = 0, cap = 0;
	int                      rc, rv     = TALLY_OK;

	rc = sqlite3_prepare_v2(st->db,
	    "SELECT id, received_at, sender, key_id, public_key, signature,"
	    " body, chain FROM audit_envelope ORDER BY id",
	    -1, &es, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_prepare_v2(st->db,
		    "SELECT s.seq, s.region, s.indicator, s.period, s.version,"
		    " s.sum_a, s.sum_b, s.leaves, s.prev_version,"
		    " s.prev_sum_a, s.prev_sum_b, s.prev_leaves, s.prev_via,"
		    " s.origin_key_id, s.origin_signature,"
		    " s.origin_public_key"
		    " FROM audit_state s JOIN audit_envelope e"
		    " ON e.id = s.envelope WHERE s.envelope = ?1"
		    " AND (?2 IS NULL OR s.region = ?2 OR e.sender = ?2)"
		    " AND (?3 IS NULL OR s.period = ?3) ORDER BY s.seq",
		    -1, &is, NULL);
	}
	if (rc != SQLITE_OK) {
		rv = db_err(st, rc, "audit");
		goto fail;
	}
	if (region != NULL) {
		sqlite3_bind_text(is, 2, region, -1, SQLITE_STATIC);
	}
	if (period != NULL) {
		sqlite3_bind_text(is, 3, period, -1, SQLITE_STATIC);
	}
	while (rv == TALLY_OK && (rc = sqlite3_step(es)) == SQLITE_ROW) {
		struct tally_audit_envelope env;

		memset(&env, 0, sizeof(env));
		env.id          = sqlite3_column_int64(es, 0);
		env.received_ms = sqlite3_column_int64(es, 1);
		env.sender      = (const char *) sqlite3_column_text(es, 2);
		env.key_id      = (const char *) sqlite3_column_text(es, 3);
		if (sqlite3_column_type(es, 4) != SQLITE_NULL &&
		    sqlite3_column_bytes(es, 4) == 32) {
			env.public_key = sqlite3_column_blob(es, 4);
		}
		if (sqlite3_column_type(es, 5) != SQLITE_NULL) {
			env.sig_len   = (size_t) sqlite3_column_bytes(es, 5);
			env.signature = sqlite3_column_blob(es, 5);
		}
		env.body_len = (size_t) sqlite3_column_bytes(es, 6);
		env.body     = sqlite3_column_blob(es, 6);
		if (sqlite3_column_bytes(es, 7) == TALLY_AUDIT_CHAIN_BYTES) {
			memcpy(env.chain, sqlite3_column_blob(es, 7),
			    TALLY_AUDIT_CHAIN_BYTES);
		}
		rv = audit_items(st, is, env.id, &items, &n, &cap);
		if (rv != TALLY_OK ||
		    ((region != NULL || period != NULL) && n == 0)) {
			continue;
		}
		rv = fn(arg, &env, items, n);
	}
	if (rv == TALLY_OK && rc != SQLITE_DONE) {
		rv = db_err(st, rc, "audit");
	}
fail:
	sqlite3_finalize(es);
	sqlite3_finalize(is);
	free(items);
	return rv;
}

int
tally_store_audit_unbacked(
    struct tally_store *st, tally_unbacked_fn fn, void *arg)
{
	sqlite3_stmt *s;
	int           rc, rv = TALLY_OK;

	rc = sqlite3_prepare_v2(st->db,
	    "SELECT r.region, r.indicator, r.period, r.version, r.sum_a,"
	    " r.sum_b, r.leaves,"
	    " (SELECT min(a.envelope) FROM audit_state a"
	    "  WHERE a.region = r.region AND a.indicator = r.indicator"
	    "  AND a.period = r.period AND a.version = r.version),"
	    " EXISTS (SELECT 1 FROM audit_state a"
	    "  WHERE a.region = r.region AND a.indicator = r.indicator"
	    "  AND a.period = r.period AND a.version = r.version"
	    "  AND a.sum_a = r.sum_a AND a.sum_b = r.sum_b"
	    "  AND a.leaves = r.leaves"
	    "  AND a.origin_signature IS r.origin_signature)"
	    " FROM region_state r ORDER BY r.region, r.indicator, r.period",
	    -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return db_err(st, rc, "audit check");
	}
	while (rv == TALLY_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct tally_audit_item it;
		const char             *text;

		if (sqlite3_column_int(s, 8) != 0) {
			continue;
		}
		memset(&it, 0, sizeof(it));
		text = (const char *) sqlite3_column_text(s, 0);
		snprintf(it.region, sizeof(it.region), "%s", text ? text : "");
		text = (const char *) sqlite3_column_text(s, 1);
		snprintf(it.indicator, sizeof(it.indicator), "%s",
		    text ? text : "");
		text = (const char *) sqlite3_column_text(s, 2);
		snprintf(it.period, sizeof(it.period), "%s", text ? text : "");
		it.version      = (uint64_t) sqlite3_column_int64(s, 3);
		it.state.sum_a  = sqlite3_column_double(s, 4);
		it.state.sum_b  = sqlite3_column_double(s, 5);
		it.state.leaves = (uint32_t) sqlite3_column_int64(s, 6);
		rv              = fn(arg, &it, sqlite3_column_int64(s, 7));
	}
	if (rv == TALLY_OK && rc != SQLITE_DONE) {
		rv = db_err(st, rc, "audit check");
	}
	sqlite3_finalize(s);
	return rv;
}

int
tally_store_set_open_mode(struct tally_store *st, bool open)
{
	return meta_put(st, "open_mode", open ? "1" : "0");
}

int
tally_store_open_mode(struct tally_store *st, bool *open)
{
	char buf[8];
	int  rv = meta_get(st, "open_mode", buf, sizeof(buf));

	if (rv == TALLY_OK) {
		*open = strcmp(buf, "1") == 0;
	}
	return rv;
}

/* The history (store.h). */

/* The rows held for (ind, period) as of as_of_ms, as they were sent. */
static int
held_asof(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_period *period, int64_t as_of_ms,
    struct tally_region_state **out, size_t *n)
{
	sqlite3_stmt *s = st->hist[HIST_HELD_ASOF];

	/* region_states binds the first two parameters and resets. */
	sqlite3_bind_int64(s, 3, (sqlite3_int64) as_of_ms);
	return region_states(st, s, ind, period, out, n);
}

int
tally_store_snapshot_asof(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    int64_t as_of_ms, struct tally_state *state, uint64_t *version)
{
	sqlite3_stmt              *s = st->hist[HIST_SNAP_ASOF];
	char                       text[TALLY_PERIOD_STRLEN];
	char                       left[TALLY_LEAVES_OUT_STRLEN];
	struct tally_state         got;
	struct tally_region_state *held = NULL;
	size_t                     n    = 0;
	uint64_t                   v;
	int                        rv;

	tally_period_format(period, text);
	sqlite3_bind_text(s, 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, (sqlite3_int64) as_of_ms);
	rv = snap_row(st, s, "snapshot history", &got, &v, left);
	if (rv == TALLY_OK && left[0] != '\0') {
		rv = held_asof(st, ind, period, as_of_ms, &held, &n);
	}
	if (rv == TALLY_OK) {
		compose_from(st, st->region, left, period, held, n, &got);
	}
	if (rv == TALLY_OK && !got.has_newest) {
		rv = TALLY_ENOENT;
	}
	if (rv == TALLY_OK) {
		*state   = got;
		*version = v;
	}
	free(held);
	return rv;
}

int
tally_store_held_states_asof(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    int64_t as_of_ms, struct tally_region_state **out, size_t *n)
{
	int rv = held_asof(st, ind, period, as_of_ms, out, n);

	if (rv == TALLY_OK) {
		compose_list(st, period, *out, n);
	}
	return rv;
}

int
tally_store_observations_asof(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    int64_t as_of_ms, struct tally_obs **out, size_t *n)
{
	sqlite3_stmt *s = st->hist[HIST_OBS_ASOF];

	sqlite3_bind_text(s, 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, tally_period_first_month(period));
	sqlite3_bind_int(s, 3, tally_period_last_month(period));
	sqlite3_bind_int64(s, 4, (sqlite3_int64) as_of_ms);
	return obs_rows(st, s, "observation history", out, n);
}

int
tally_store_prune_history(
    struct tally_store *st, int64_t before_ms, uint64_t *removed)
{
	static const char *const sql[] = {
		"DELETE FROM state_history AS h WHERE held_from <= ?1"
		" AND EXISTS (SELECT 1 FROM state_history n"
		" WHERE n.indicator = h.indicator AND n.period = h.period"
		" AND n.region = h.region AND n.version > h.version"
		" AND n.held_from <= ?1)",
		"DELETE FROM observation_history AS h WHERE held_from <= ?1"
		" AND EXISTS (SELECT 1 FROM observation_history n"
		" WHERE n.indicator = h.indicator AND n.period = h.period"
		" AND n.version > h.version AND n.held_from <= ?1)",
	};
	char     text[32];
	int64_t  from  = 0;
	uint64_t count = 0;
	int      rv;

	rv = tally_store_history_from(st, &from);
	if (rv != TALLY_OK) {
		return rv;
	}
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *s;
		int           rc;

		rc = sqlite3_prepare_v2(st->db, sql[i], -1, &s, NULL);
		if (rc != SQLITE_OK) {
			return db_err(st, rc, "prune history");
		}
		sqlite3_bind_int64(s, 1, (sqlite3_int64) before_ms);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE) {
			return db_err(st, rc, "prune history");
		}
		count += (uint64_t) sqlite3_changes64(st->db);
	}
	/* The history is whole from the newest time it was pruned at. */
	if (before_ms > from) {
		snprintf(text, sizeof(text), "%lld", (long long) before_ms);
		rv = meta_put(st, "history_from", text);
		if (rv != TALLY_OK) {
			return rv;
		}
	}
	*removed = count;
	return TALLY_OK;
}

int
tally_store_history_from(struct tally_store *st, int64_t *ms)
{
	char text[32];
	int  rv = meta_get(st, "history_from", text, sizeof(text));

	if (rv == TALLY_ENOENT) {
		*ms = 0;
		return TALLY_OK;
	}
	if (rv != TALLY_OK) {
		return rv;
	}
	*ms = strtoll(text, NULL, 10);
	return TALLY_OK;
}

int
tally_store_set_cache_kib(struct tally_store *st, int kib)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d", kib);
	return exec_sql(st, sql);
}

sqlite3 *
tally_store_handle(struct tally_store *st)
{
	return st->db;
}

int
tally_store_instance_refresh(struct tally_store *st)
{
	char id[sizeof(st->instance_id)];
	int  rv = meta_get(st, "instance_id", id, sizeof(id));

	if (rv == TALLY_OK) {
		memcpy(st->instance_id, id, sizeof(id));
	}
	return rv;
}

/* The held states a repair drops: region's, of ind and period when
 * given, with a version above limit. */
static const char *const repair_select_sql =
    "SELECT region, version, " STATE_COLS ", first_received_at,"
    " received_at, via, leaves_out, indicator, period FROM region_state"
    " WHERE region = ?1 AND version > ?2"
    " AND (?3 IS NULL OR indicator = ?3) AND (?4 IS NULL OR period = ?4)"
    " ORDER BY indicator, period";

/* Drops one held state with what was made from it: its history above
 * limit (an as-of report would show it again), and every uplink's
 * acknowledgement above limit (the honest version that replaces it would
 * never be pending); records it in the audit trail and marks the
 * snapshot it entered. */
static int
repair_one(struct tally_store *st, const struct tally_repair_item *it,
    uint64_t limit, const char *instance)
{
	static const char *const sql[] = {
		"DELETE FROM region_state WHERE region = ?1 AND indicator = ?2"
		" AND period = ?3",
		"DELETE FROM state_history WHERE region = ?1 AND indicator = "
		"?2"
		" AND period = ?3 AND version > ?4",
		"DELETE FROM uplink_ack WHERE region = ?1 AND indicator = ?2"
		" AND period = ?3 AND version > ?4",
		"INSERT INTO audit_repair (at, region, indicator, period,"
		" version, via, sum_a, sum_b, leaves, new_instance)"
		" VALUES (?5, ?1, ?2, ?3, ?6, ?7, ?8, ?9, ?10, ?11)",
	};
	const struct tally_indicator *ind;
	struct tally_period           p;
	int                           rv = TALLY_OK;

	for (size_t i = 0; rv == TALLY_OK && i < sizeof(sql) / sizeof(*sql);
	     i++) {
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(st->db, sql[i], -1, &s, NULL);

		if (rc != SQLITE_OK) {
			sqlite3_finalize(s);
			return db_err(st, rc, "repair");
		}
		sqlite3_bind_text(s, 1, it->region, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, it->indicator, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, it->period, -1, SQLITE_STATIC);
		if (i > 0) {
			sqlite3_bind_int64(s, 4, (sqlite3_int64) limit);
		}
		if (i == 3) {
			sqlite3_bind_int64(s, 5, st->txn_ms);
			sqlite3_bind_int64(s, 6, (sqlite3_int64) it->version);
			sqlite3_bind_text(s, 7, it->via, -1, SQLITE_STATIC);
			sqlite3_bind_double(s, 8, it->state.sum_a);
			sqlite3_bind_double(s, 9, it->state.sum_b);
			sqlite3_bind_int64(s, 10, it->state.leaves);
			sqlite3_bind_text(s, 11, instance, -1, SQLITE_STATIC);
		}
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE) {
			rv = db_err(st, rc, "repair");
		}
	}
	ind = tally_catalog_indicator(st->cat, it->indicator);
	if (rv == TALLY_OK && ind != NULL &&
	    tally_period_parse(it->period, &p) == TALLY_OK &&
	    (strcmp(it->via, it->region) == 0 ||
	        (st->cat->n_changes > 0 &&
	            tally_catalog_absorbs(
	                st->cat, st->region, it->region, &p)))) {
		rv = mark_dirty(st, ind, &p);
	}
	return rv;
}

/* Reads the states a repair drops. */
static int
repair_select(struct tally_store *st, const char *region,
    const char *indicator, const char *period, uint64_t limit,
    struct tally_repair_item **out, size_t *n)
{
	struct tally_repair_item *arr   = NULL;
	size_t                    count = 0, cap = 0;
	sqlite3_stmt             *s = NULL;
	int                       rc, rv = TALLY_OK;

	rc = sqlite3_prepare_v2(st->db, repair_select_sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(s);
		return db_err(st, rc, "repair");
	}
	sqlite3_bind_text(s, 1, region, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64) limit);
	if (indicator != NULL) {
		sqlite3_bind_text(s, 3, indicator, -1, SQLITE_STATIC);
	}
	if (period != NULL) {
		sqlite3_bind_text(s, 4, period, -1, SQLITE_STATIC);
	}
	while (rv == TALLY_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct tally_region_state r;
		struct tally_repair_item  it;
		const char               *text;

		read_region_state(s, &r);
		memset(&it, 0, sizeof(it));
		memcpy(it.region, r.region, sizeof(it.region));
		memcpy(it.via, r.via, sizeof(it.via));
		it.version = r.version;
		it.state   = r.state;
		text       = (const char *) sqlite3_column_text(s, 14);
		snprintf(it.indicator, sizeof(it.indicator), "%s",
		    text != NULL ? text : "");
		text = (const char *) sqlite3_column_text(s, 15);
		snprintf(it.period, sizeof(it.period), "%s",
		    text != NULL ? text : "");
		rv = append((void **) &arr, &count, &cap, &it, sizeof(it));
	}
	if (rv == TALLY_OK && rc != SQLITE_DONE) {
		rv = db_err(st, rc, "repair");
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

int
tally_store_repair(struct tally_store *st, const char *region,
    const char *indicator, const char *period, uint64_t limit,
    struct tally_repair_item **out, size_t *n)
{
	struct tally_repair_item *arr = NULL;
	char                      instance[sizeof(st->instance_id)];
	size_t                    count = 0;
	int                       rv;

	rv = tally_store_audit_ensure(st);
	if (rv == TALLY_OK) {
		rv = tally_store_begin(st);
	}
	if (rv != TALLY_OK) {
		return rv;
	}
	rv = repair_select(st, region, indicator, period, limit, &arr, &count);
	random_hex(instance, 16);
	for (size_t i = 0; rv == TALLY_OK && i < count; i++) {
		rv = repair_one(st, &arr[i], limit, instance);
	}
	/* Every child sends everything again, the one whose honest
	 * versions were stale behind the dropped state among them. */
	if (rv == TALLY_OK && count > 0) {
		rv = meta_put(st, "instance_id", instance);
	}
	if (rv == TALLY_OK) {
		rv = tally_store_commit(st);
	}
	if (rv != TALLY_OK) {
		tally_store_rollback(st);
		free(arr);
		return rv;
	}
	if (count > 0) {
		memcpy(st->instance_id, instance, sizeof(st->instance_id));
	}
	*out = arr;
	*n   = count;
	return TALLY_OK;
}

int
tally_store_audit_repairs(struct tally_store *st, const char *region,
    const char *period, tally_repair_fn fn, void *arg)
{
	sqlite3_stmt *s = NULL;
	int           rc, rv = TALLY_OK;

	rc = sqlite3_prepare_v2(st->db,
	    "SELECT at, region, indicator, period, version, via, sum_a,"
	    " sum_b, leaves, new_instance FROM audit_repair"
	    " WHERE (?1 IS NULL OR region = ?1)"
	    " AND (?2 IS NULL OR period = ?2) ORDER BY id",
	    -1, &s, NULL);
	if (rc != SQLITE_OK) {
		/* A store made before repairs existed has none. */
		sqlite3_finalize(s);
		return TALLY_OK;
	}
	if (region != NULL) {
		sqlite3_bind_text(s, 1, region, -1, SQLITE_STATIC);
	}
	if (period != NULL) {
		sqlite3_bind_text(s, 2, period, -1, SQLITE_STATIC);
	}
	while (rv == TALLY_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct tally_repair_item it;
		const char              *t[5];

		memset(&it, 0, sizeof(it));
		for (int i = 0; i < 5; i++) {
			t[i] = (const char *) sqlite3_column_text(
			    s, i == 4 ? 9 : (i == 3 ? 5 : i + 1));
			t[i] = t[i] != NULL ? t[i] : "";
		}
		snprintf(it.region, sizeof(it.region), "%s", t[0]);
		snprintf(it.indicator, sizeof(it.indicator), "%s", t[1]);
		snprintf(it.period, sizeof(it.period), "%s", t[2]);
		snprintf(it.via, sizeof(it.via), "%s", t[3]);
		it.version      = (uint64_t) sqlite3_column_int64(s, 4);
		it.state.sum_a  = sqlite3_column_double(s, 6);
		it.state.sum_b  = sqlite3_column_double(s, 7);
		it.state.leaves = (uint32_t) sqlite3_column_int64(s, 8);
		rv = fn(arg, sqlite3_column_int64(s, 0), &it, t[4]);
	}
	if (rv == TALLY_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rv = db_err(st, rc, "audit repairs");
	}
	sqlite3_finalize(s);
	return rv;
}

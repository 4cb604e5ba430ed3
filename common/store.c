/*
 * The SQLite store declared in store.h. Statements are prepared once, when
 * the store opens, and reused. SQLite's result codes are turned into
 * Tally's here and their text logged once.
 */
#include "store.h"

#include "log.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STORE_SCHEMA_VERSION "1"

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
	ST_CHILD_VERSION,
	ST_CHILD_PUT,
	ST_CHILDREN,
	ST_PENDING,
	ST_ACKED,
	ST_COUNT,
};

struct tally_store {
	sqlite3                    *db;
	const struct tally_catalog *cat;
	char                        region[TALLY_REGION_STRLEN];
	char                        instance_id[33];
	bool                        is_leaf;
	sqlite3_stmt               *stmt[ST_COUNT];
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
	[ST_SNAP_GET]   = "SELECT version, " STATE_COLS " FROM snapshot"
	                  " WHERE indicator = ?1 AND period = ?2",
	[ST_SNAP_PUT] =
	    "INSERT INTO snapshot (indicator, period, version, " STATE_COLS
	    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
	    " ON CONFLICT (indicator, period) DO UPDATE SET"
	    " version = excluded.version, sum_a = excluded.sum_a,"
	    " sum_b = excluded.sum_b, leaves = excluded.leaves,"
	    " min_value = excluded.min_value, min_region = "
	    "excluded.min_region,"
	    " max_value = excluded.max_value, max_region = "
	    "excluded.max_region,"
	    " newest = excluded.newest"
	    " WHERE excluded.version > snapshot.version",
	[ST_CHILD_VERSION] = "SELECT version FROM child_state"
	                     " WHERE indicator = ?1 AND period = ?2"
	                     " AND child = ?3",
	[ST_CHILD_PUT] =
	    "INSERT INTO child_state (indicator, period, child,"
	    " version, " STATE_COLS
	    ", received_at) VALUES (?1, ?2, ?3, ?4, ?5,"
	    " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
	    " ON CONFLICT (indicator, period, child) DO UPDATE SET"
	    " version = excluded.version, sum_a = excluded.sum_a,"
	    " sum_b = excluded.sum_b, leaves = excluded.leaves,"
	    " min_value = excluded.min_value, min_region = "
	    "excluded.min_region,"
	    " max_value = excluded.max_value, max_region = "
	    "excluded.max_region,"
	    " newest = excluded.newest, received_at = excluded.received_at"
	    " WHERE excluded.version > child_state.version",
	[ST_CHILDREN] = "SELECT child, version, " STATE_COLS ", received_at"
	                " FROM child_state WHERE indicator = ?1"
	                " AND period = ?2 ORDER BY child",
	[ST_PENDING] =
	    "SELECT s.indicator, s.period, s.version, s.sum_a,"
	    " s.sum_b, s.leaves, s.min_value, s.min_region, s.max_value,"
	    " s.max_region, s.newest FROM snapshot s LEFT JOIN uplink_ack a"
	    " ON a.uplink = ?1 AND a.indicator = s.indicator"
	    " AND a.period = s.period"
	    " WHERE a.version IS NULL OR s.version > a.version"
	    " ORDER BY s.version LIMIT ?2",
	[ST_ACKED] = "INSERT INTO uplink_ack (uplink, indicator, period,"
	             " version, status) VALUES (?1, ?2, ?3, ?4, ?5)"
	             " ON CONFLICT (uplink, indicator, period) DO UPDATE SET"
	             " version = excluded.version, status = excluded.status"
	             " WHERE excluded.version >= uplink_ack.version",
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
    "  PRIMARY KEY (indicator, period)) WITHOUT ROWID;"
    /* The newest state each direct child sent (hubs only). */
    "CREATE TABLE IF NOT EXISTS child_state ("
    "  indicator TEXT NOT NULL, period TEXT NOT NULL, child TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  sum_a REAL NOT NULL, sum_b REAL NOT NULL, leaves INTEGER NOT NULL,"
    "  min_value REAL, min_region TEXT, max_value REAL, max_region TEXT,"
    "  newest TEXT NOT NULL, received_at INTEGER NOT NULL,"
    "  PRIMARY KEY (indicator, period, child)) WITHOUT ROWID;"
    /* The outbox: per uplink, the highest version of each snapshot that
     * the parent acknowledged. Anything newer is pending. */
    "CREATE TABLE IF NOT EXISTS uplink_ack ("
    "  uplink TEXT NOT NULL, indicator TEXT NOT NULL,"
    "  period TEXT NOT NULL, version INTEGER NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  PRIMARY KEY (uplink, indicator, period)) WITHOUT ROWID;";

static int
db_err(struct tally_store *st, int rc, const char *what)
{
	TALLY_LOG(TALLY_LOG_ERROR, "sqlite: %s: %s (%d)", what,
	    st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc), rc);
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

static int
prepare_all(struct tally_store *st)
{
	for (int i = 0; i < ST_COUNT; i++) {
		int rv = prepare(st, &st->stmt[i], stmt_sql[i]);
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
	rc = sqlite3_open_v2(path, &st->db, flags, NULL);
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

int
tally_store_create(const char *path, const struct tally_catalog *cat,
    const char *region, struct tally_store **out, struct tally_errbuf *eb)
{
	struct tally_store *st = NULL;
	char                now[32];
	int                 fd, rv;

	if (tally_catalog_division(cat, region) == NULL) {
		return tally_fail(
		    eb, TALLY_ENOENT, "unknown region code '%s'", region);
	}
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
	snprintf(st->region, sizeof(st->region), "%s", region);
	st->is_leaf =
	    tally_catalog_division(cat, region)->first_child == TALLY_NO_INDEX;
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
		rv = meta_put(st, "schema", STORE_SCHEMA_VERSION);
	}
	if (rv == TALLY_OK) {
		rv = meta_put(st, "region", region);
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
tally_store_open(const char *path, const struct tally_catalog *cat,
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
	rv      = configure(st);
	if (rv == TALLY_OK) {
		rv = meta_get(st, "schema", schema, sizeof(schema));
	}
	if (rv == TALLY_OK && strcmp(schema, STORE_SCHEMA_VERSION) != 0) {
		rv = TALLY_ECONFIG;
	}
	if (rv == TALLY_OK) {
		rv = meta_get(st, "region", st->region, sizeof(st->region));
	}
	if (rv == TALLY_OK) {
		rv = meta_get(st, "instance_id", st->instance_id,
		    sizeof(st->instance_id));
	}
	if (rv != TALLY_OK) {
		tally_fail(eb, TALLY_ECONFIG, "%s: not a Tally store (%s)",
		    path, tally_strerror(rv));
		rv = TALLY_ECONFIG;
		goto fail;
	}
	if (tally_catalog_division(cat, st->region) == NULL) {
		rv = tally_fail(eb, TALLY_ECONFIG,
		    "%s: the store's region '%s' is not in the catalogue",
		    path, st->region);
		goto fail;
	}
	st->is_leaf = tally_catalog_division(cat, st->region)->first_child ==
	    TALLY_NO_INDEX;
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

void
tally_store_close(struct tally_store *st)
{
	if (st == NULL) {
		return;
	}
	for (int i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(st->stmt[i]);
	}
	sqlite3_close(st->db);
	free(st);
}

const char *
tally_store_region(const struct tally_store *st)
{
	return st->region;
}

const char *
tally_store_instance_id(const struct tally_store *st)
{
	return st->instance_id;
}

int
tally_store_begin(struct tally_store *st)
{
	return exec_sql(st, "BEGIN IMMEDIATE");
}

int
tally_store_commit(struct tally_store *st)
{
	return exec_sql(st, "COMMIT");
}

void
tally_store_rollback(struct tally_store *st)
{
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
	v   = now > clock ? now : clock + 1;
	sqlite3_bind_int64(st->stmt[ST_CLOCK_SET], 1, (sqlite3_int64) v);
	rv = step_done(st, st->stmt[ST_CLOCK_SET], "clock");
	if (rv != TALLY_OK) {
		return rv;
	}
	*out = v;
	return TALLY_OK;
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
static int
recompute(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_period *period, uint64_t version)
{
	struct tally_obs         *obs  = NULL;
	struct tally_child_state *kids = NULL;
	struct tally_state        total, own;
	size_t                    nobs = 0, nkids = 0;
	char                      text[TALLY_PERIOD_STRLEN];
	sqlite3_stmt             *s = st->stmt[ST_SNAP_PUT];
	int                       rv;

	rv = tally_store_observations(st, ind, period, &obs, &nobs);
	if (rv != TALLY_OK) {
		goto fail;
	}
	rv = tally_store_child_states(st, ind, period, &kids, &nkids);
	if (rv != TALLY_OK) {
		goto fail;
	}
	tally_state_init(&total);
	if (tally_state_own(ind, st->region, st->is_leaf, obs, nobs, period,
	        &own) == TALLY_OK) {
		tally_state_merge(&total, &own);
	}
	for (size_t i = 0; i < nkids; i++) {
		tally_state_merge(&total, &kids[i].state);
	}
	tally_period_format(period, text);
	sqlite3_bind_text(s, 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, (sqlite3_int64) version);
	bind_state(s, 4, &total);
	rv = step_done(st, s, "snapshot");
fail:
	free(obs);
	free(kids);
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
		return tally_fail(eb, rv, "database error");
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

int
tally_store_observations(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    struct tally_obs **out, size_t *n)
{
	sqlite3_stmt *s =
	    period != NULL ? st->stmt[ST_SELECT] : st->stmt[ST_SELECT_ALL];
	struct tally_obs *arr   = NULL;
	size_t            count = 0, cap = 0;
	int               rc, rv         = TALLY_OK;

	sqlite3_bind_text(s, 1, ind->id, -1, SQLITE_STATIC);
	if (period != NULL) {
		sqlite3_bind_int(s, 2, tally_period_first_month(period));
		sqlite3_bind_int(s, 3, tally_period_last_month(period));
	}
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
		rv = db_err(st, rc, "observations");
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

int
tally_store_snapshot(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_period *period, struct tally_state *state,
    uint64_t *version)
{
	sqlite3_stmt *s = st->stmt[ST_SNAP_GET];
	char          text[TALLY_PERIOD_STRLEN];
	int           rc, rv = TALLY_ENOENT;

	tally_period_format(period, text);
	sqlite3_bind_text(s, 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct tally_state got;

		read_state(s, 1, &got);
		if (got.has_newest) {
			*version = (uint64_t) sqlite3_column_int64(s, 0);
			*state   = got;
			rv       = TALLY_OK;
		}
	} else if (rc != SQLITE_DONE) {
		rv = db_err(st, rc, "snapshot");
	}
	stmt_reset(s);
	return rv;
}

int
tally_store_put_child(struct tally_store *st, const char *child,
    const struct tally_wire_state *ws, int *status)
{
	sqlite3_stmt *s = st->stmt[ST_CHILD_VERSION];
	char          text[TALLY_PERIOD_STRLEN];
	uint64_t      held = 0, version;
	bool          have = false;
	int           rc, rv;

	tally_period_format(&ws->period, text);
	sqlite3_bind_text(s, 1, ws->ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, child, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		held = (uint64_t) sqlite3_column_int64(s, 0);
		have = true;
		rc   = SQLITE_DONE;
	}
	stmt_reset(s);
	if (rc != SQLITE_DONE) {
		return db_err(st, rc, "child version");
	}
	if (have && ws->version == held) {
		*status = TALLY_ACK_DUPLICATE;
		return TALLY_OK;
	}
	if (have && ws->version < held) {
		*status = TALLY_ACK_STALE;
		return TALLY_OK;
	}
	s = st->stmt[ST_CHILD_PUT];
	sqlite3_bind_text(s, 1, ws->ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, child, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, (sqlite3_int64) ws->version);
	bind_state(s, 5, &ws->state);
	sqlite3_bind_int64(s, 13, (sqlite3_int64) time(NULL));
	rv = step_done(st, s, "child state");
	if (rv == TALLY_OK) {
		rv = next_version(st, &version);
	}
	if (rv == TALLY_OK) {
		rv = recompute(st, ws->ind, &ws->period, version);
	}
	if (rv == TALLY_OK) {
		*status = TALLY_ACK_ACCEPTED;
	}
	return rv;
}

int
tally_store_child_states(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    struct tally_child_state **out, size_t *n)
{
	sqlite3_stmt             *s     = st->stmt[ST_CHILDREN];
	struct tally_child_state *arr   = NULL;
	size_t                    count = 0, cap = 0;
	char                      text[TALLY_PERIOD_STRLEN];
	int                       rc, rv = TALLY_OK;

	tally_period_format(period, text);
	sqlite3_bind_text(s, 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT);
	for (;;) {
		struct tally_child_state c;
		const char              *code;

		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW) {
			break;
		}
		memset(&c, 0, sizeof(c));
		code = (const char *) sqlite3_column_text(s, 0);
		snprintf(c.child, sizeof(c.child), "%s", code ? code : "");
		c.version = (uint64_t) sqlite3_column_int64(s, 1);
		read_state(s, 2, &c.state);
		c.received_at = sqlite3_column_int64(s, 10);
		rv = append((void **) &arr, &count, &cap, &c, sizeof(*arr));
		if (rv != TALLY_OK) {
			goto fail;
		}
	}
	if (rc != SQLITE_DONE) {
		rv = db_err(st, rc, "child states");
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
tally_store_pending(struct tally_store *st, const char *uplink, size_t limit,
    struct tally_wire_state **out, size_t *n)
{
	sqlite3_stmt            *s     = st->stmt[ST_PENDING];
	struct tally_wire_state *arr   = NULL;
	size_t                   count = 0;
	int                      rc, rv = TALLY_OK;

	arr = calloc(limit > 0 ? limit : 1, sizeof(*arr));
	if (arr == NULL) {
		return TALLY_ENOMEM;
	}
	sqlite3_bind_text(s, 1, uplink, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, (sqlite3_int64) limit);
	for (;;) {
		struct tally_wire_state *ws = &arr[count];
		const char              *id, *per;

		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW || count == limit) {
			break;
		}
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
		read_state(s, 3, &ws->state);
		if (!ws->state.has_newest) {
			continue;
		}
		count++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rv = db_err(st, rc, "pending");
	}
	stmt_reset(s);
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
    const char *indicator, const char *period, uint64_t version, int status)
{
	sqlite3_stmt *s = st->stmt[ST_ACKED];

	sqlite3_bind_text(s, 1, uplink, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, indicator, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, period, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, (sqlite3_int64) version);
	sqlite3_bind_int(s, 5, status);
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
	sqlite3_stmt *s;
	int           rc, rv = TALLY_OK;

	rc = sqlite3_prepare_v2(st->db, "PRAGMA data_version", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return db_err(st, rc, "data_version");
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = (uint64_t) sqlite3_column_int64(s, 0);
	} else {
		rv = db_err(st, rc, "data_version");
	}
	sqlite3_finalize(s);
	return rv;
}

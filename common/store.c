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

struct tally_store {
	sqlite3                    *db;
	const struct tally_catalog *cat;
	char                        region[TALLY_REGION_STRLEN];
	char                        instance_id[33];
	sqlite3_stmt               *st_overlap;
	sqlite3_stmt               *st_get;
	sqlite3_stmt               *st_upsert;
	sqlite3_stmt               *st_snapshot;
	sqlite3_stmt               *st_clock_get;
	sqlite3_stmt               *st_clock_set;
	sqlite3_stmt               *st_select;
	sqlite3_stmt               *st_select_all;
	sqlite3_stmt               *st_version;
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
    "CREATE TABLE IF NOT EXISTS snapshot ("
    "  indicator TEXT NOT NULL, period TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  PRIMARY KEY (indicator, period)) WITHOUT ROWID;";

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
	struct {
		sqlite3_stmt **stmt;
		const char    *sql;
	} list[] = {
		{ &st->st_overlap,
		    "SELECT period FROM observation WHERE indicator = ?1"
		    " AND period <> ?2 AND first_month <= ?4"
		    " AND last_month >= ?3 LIMIT 1" },
		{ &st->st_get,
		    "SELECT num, den, value, weight FROM observation"
		    " WHERE indicator = ?1 AND period = ?2" },
		{ &st->st_upsert,
		    "INSERT INTO observation (indicator, period, first_month,"
		    " last_month, num, den, value, weight, version,"
		    " recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
		    " ?10) ON CONFLICT (indicator, period) DO UPDATE SET"
		    " num = excluded.num, den = excluded.den,"
		    " value = excluded.value, weight = excluded.weight,"
		    " version = excluded.version,"
		    " recorded_at = excluded.recorded_at"
		    " WHERE excluded.version > observation.version" },
		{ &st->st_snapshot,
		    "INSERT INTO snapshot (indicator, period, version)"
		    " VALUES (?1, ?2, ?3) ON CONFLICT (indicator, period)"
		    " DO UPDATE SET version = excluded.version"
		    " WHERE excluded.version > snapshot.version" },
		{ &st->st_clock_get,
		    "SELECT CAST(value AS INTEGER) FROM meta"
		    " WHERE key = 'clock'" },
		{ &st->st_clock_set,
		    "UPDATE meta SET value = ?1 WHERE key = 'clock'" },
		{ &st->st_select,
		    "SELECT period, num, den, value, weight FROM observation"
		    " WHERE indicator = ?1 AND first_month >= ?2"
		    " AND last_month <= ?3 ORDER BY first_month" },
		{ &st->st_select_all,
		    "SELECT period, num, den, value, weight FROM observation"
		    " WHERE indicator = ?1 ORDER BY first_month" },
		{ &st->st_version,
		    "SELECT version FROM snapshot"
		    " WHERE indicator = ?1 AND period = ?2" },
	};
	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
		int rv = prepare(st, list[i].stmt, list[i].sql);
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
	sqlite3_finalize(st->st_overlap);
	sqlite3_finalize(st->st_get);
	sqlite3_finalize(st->st_upsert);
	sqlite3_finalize(st->st_snapshot);
	sqlite3_finalize(st->st_clock_get);
	sqlite3_finalize(st->st_clock_set);
	sqlite3_finalize(st->st_select);
	sqlite3_finalize(st->st_select_all);
	sqlite3_finalize(st->st_version);
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

/* Runs a statement that returns no rows and resets it. */
static int
step_done(struct tally_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
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

	rc = sqlite3_step(st->st_clock_get);
	if (rc == SQLITE_ROW) {
		clock = (uint64_t) sqlite3_column_int64(st->st_clock_get, 0);
		rc    = sqlite3_step(st->st_clock_get);
	}
	sqlite3_reset(st->st_clock_get);
	if (rc != SQLITE_DONE) {
		return db_err(st, rc, "clock");
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
	v   = now > clock ? now : clock + 1;
	sqlite3_bind_int64(st->st_clock_set, 1, (sqlite3_int64) v);
	rv = step_done(st, st->st_clock_set, "clock");
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
	sqlite3_bind_text(st->st_overlap, 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st->st_overlap, 2, period, -1, SQLITE_STATIC);
	sqlite3_bind_int(
	    st->st_overlap, 3, tally_period_first_month(&obs->period));
	sqlite3_bind_int(
	    st->st_overlap, 4, tally_period_last_month(&obs->period));
	rc = sqlite3_step(st->st_overlap);
	if (rc == SQLITE_ROW) {
		rv = tally_fail(eb, TALLY_EDATA,
		    "field period: %s overlaps %s already recorded for '%s' "
		    "(record either a period or its sub-periods, not both)",
		    period,
		    (const char *) sqlite3_column_text(st->st_overlap, 0),
		    ind->id);
		sqlite3_reset(st->st_overlap);
		return rv;
	}
	sqlite3_reset(st->st_overlap);
	if (rc != SQLITE_DONE) {
		return tally_fail(
		    eb, db_err(st, rc, "overlap"), "database error");
	}

	sqlite3_bind_text(st->st_get, 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st->st_get, 2, period, -1, SQLITE_STATIC);
	rc = sqlite3_step(st->st_get);
	if (rc == SQLITE_ROW) {
		read_obs_columns(st->st_get, 0, &old);
		result = same_figure(ind, &old, obs) ? TALLY_PUT_UNCHANGED
		                                     : TALLY_PUT_CORRECTED;
		rc     = SQLITE_DONE;
	}
	sqlite3_reset(st->st_get);
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
	sqlite3_bind_text(st->st_upsert, 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st->st_upsert, 2, period, -1, SQLITE_STATIC);
	sqlite3_bind_int(
	    st->st_upsert, 3, tally_period_first_month(&obs->period));
	sqlite3_bind_int(
	    st->st_upsert, 4, tally_period_last_month(&obs->period));
	bind_kind_values(st->st_upsert, 5, ind, obs);
	sqlite3_bind_int64(st->st_upsert, 9, (sqlite3_int64) version);
	sqlite3_bind_int64(st->st_upsert, 10, (sqlite3_int64) time(NULL));
	rv = step_done(st, st->st_upsert, "upsert");
	if (rv != TALLY_OK) {
		return tally_fail(eb, rv, "database error");
	}

	/* The period's own snapshot and every coarser one derived from it
	 * now have new content, so each gets the new version. */
	p = obs->period;
	for (;;) {
		char text[TALLY_PERIOD_STRLEN];

		tally_period_format(&p, text);
		sqlite3_bind_text(
		    st->st_snapshot, 1, ind->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(
		    st->st_snapshot, 2, text, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(
		    st->st_snapshot, 3, (sqlite3_int64) version);
		rv = step_done(st, st->st_snapshot, "snapshot");
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

int
tally_store_observations(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    struct tally_obs **out, size_t *n)
{
	sqlite3_stmt *s = period != NULL ? st->st_select : st->st_select_all;
	struct tally_obs *arr   = NULL, *grown;
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
		if (count == cap) {
			cap   = cap == 0 ? 16 : cap * 2;
			grown = realloc(arr, cap * sizeof(*arr));
			if (grown == NULL) {
				rv = TALLY_ENOMEM;
				goto fail;
			}
			arr = grown;
		}
		arr[count++] = o;
	}
	if (rc != SQLITE_DONE) {
		rv = db_err(st, rc, "observations");
		goto fail;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	*out = arr;
	*n   = count;
	return TALLY_OK;
fail:
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
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
	sqlite3_bind_text(st->st_version, 1, ind->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st->st_version, 2, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st->st_version);
	if (rc == SQLITE_ROW) {
		*version = (uint64_t) sqlite3_column_int64(st->st_version, 0);
		rv       = TALLY_OK;
	} else if (rc != SQLITE_DONE) {
		rv = db_err(st, rc, "version");
	}
	sqlite3_reset(st->st_version);
	sqlite3_clear_bindings(st->st_version);
	return rv;
}

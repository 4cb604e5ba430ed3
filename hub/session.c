/*
 * The sessions of session.h, in the store's account_session table.
 *
 * A session's last use is written at most every few seconds (a page asks
 * for several answers at once, and each write waits for the hub's writer),
 * so the inactivity limit holds to within that step: HUB_SESSION_STEP_MS,
 * or a quarter of the limit when that is shorter.
 */
#include "session.h"

#include "errors.h"
#include "log.h"

#include <sodium.h>
#include <sqlite3.h>
#include <string.h>

#define HUB_SESSION_STEP_MS 5000

/* The stored form of a cookie: TALLY_EINVAL unless it is 64 hex digits. */
static int
id_hash(const char *cookie, unsigned char out[crypto_generichash_BYTES])
{
	unsigned char raw[32];
	size_t        n = 0;

	if (cookie == NULL || strlen(cookie) != 64 ||
	    sodium_hex2bin(raw, sizeof(raw), cookie, 64, NULL, &n, NULL) !=
	        0 ||
	    n != sizeof(raw)) {
		return TALLY_EINVAL;
	}
	crypto_generichash(
	    out, crypto_generichash_BYTES, raw, sizeof(raw), NULL, 0);
	sodium_memzero(raw, sizeof(raw));
	return TALLY_OK;
}

static void
random_token(char out[HUB_SESSION_TOKEN_LEN])
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, HUB_SESSION_TOKEN_LEN, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
}

static int
db_fail(sqlite3 *db, int rc)
{
	TALLY_LOG(TALLY_LOG_ERROR, "sqlite: session: %s (%d)",
	    sqlite3_errmsg(db), rc);
	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? TALLY_EBUSY
	                                                : TALLY_EDB;
}

/* Runs one statement: ?1 the hash (when given), ?2 and ?3 integers, ?4..?6
 * texts. */
static int
exec(sqlite3 *db, const char *sql, const unsigned char *hash, int64_t a,
    int64_t b, const char *t4, const char *t5, const char *t6)
{
	sqlite3_stmt *s = NULL;
	int           rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return db_fail(db, rc);
	}
	if (hash != NULL) {
		sqlite3_bind_blob(
		    s, 1, hash, crypto_generichash_BYTES, SQLITE_STATIC);
	}
	sqlite3_bind_int64(s, 2, a);
	sqlite3_bind_int64(s, 3, b);
	sqlite3_bind_text(s, 4, t4, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, t5, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, t6, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? TALLY_OK : db_fail(db, rc);
}

int
hub_session_open(struct tally_store *st, const char *name, const char *address,
    int64_t idle_ms, int64_t now_ms, char cookie[HUB_SESSION_TOKEN_LEN],
    char csrf[HUB_SESSION_TOKEN_LEN])
{
	sqlite3      *db = tally_store_handle(st);
	unsigned char hash[crypto_generichash_BYTES];
	char          id[HUB_SESSION_TOKEN_LEN], token[HUB_SESSION_TOKEN_LEN];
	int           rv;

	rv = exec(db, "DELETE FROM account_session WHERE seen_at < ?2", NULL,
	    now_ms - idle_ms, 0, NULL, NULL, NULL);
	random_token(id);
	random_token(token);
	if (rv == TALLY_OK) {
		rv = id_hash(id, hash);
	}
	if (rv == TALLY_OK) {
		rv = exec(db,
		    "INSERT INTO account_session (id_hash, name, csrf,"
		    " address, created_at, seen_at)"
		    " VALUES (?1, ?4, ?5, ?6, ?2, ?2)",
		    hash, now_ms, 0, name, token, address);
	}
	if (rv == TALLY_OK) {
		memcpy(cookie, id, HUB_SESSION_TOKEN_LEN);
		memcpy(csrf, token, HUB_SESSION_TOKEN_LEN);
	}
	sodium_memzero(id, sizeof(id));
	return rv;
}

int
hub_session_find(struct tally_store *st, const char *cookie, int64_t idle_ms,
    int64_t now_ms, struct hub_session *out)
{
	sqlite3           *db = tally_store_handle(st);
	sqlite3_stmt      *s  = NULL;
	unsigned char      hash[crypto_generichash_BYTES];
	struct hub_session se;
	int64_t            seen, step;
	int                rc, rv;

	if (id_hash(cookie, hash) != TALLY_OK) {
		return TALLY_ENOENT;
	}
	rc = sqlite3_prepare_v2(db,
	    "SELECT s.seen_at, s.csrf, a.name, a.region, a.role"
	    " FROM account_session s JOIN account a ON a.name = s.name"
	    " WHERE s.id_hash = ?1 AND a.disabled = 0",
	    -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return db_fail(db, rc);
	}
	sqlite3_bind_blob(s, 1, hash, sizeof(hash), SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		return rc == SQLITE_DONE ? TALLY_ENOENT : db_fail(db, rc);
	}
	memset(&se, 0, sizeof(se));
	seen = sqlite3_column_int64(s, 0);
	snprintf(se.csrf, sizeof(se.csrf), "%s",
	    (const char *) sqlite3_column_text(s, 1));
	snprintf(se.account.name, sizeof(se.account.name), "%s",
	    (const char *) sqlite3_column_text(s, 2));
	snprintf(se.account.region, sizeof(se.account.region), "%s",
	    (const char *) sqlite3_column_text(s, 3));
	if (tally_role_parse((const char *) sqlite3_column_text(s, 4),
	        &se.account.role) != TALLY_OK) {
		se.account.role = TALLY_ROLE_VIEWER;
	}
	sqlite3_finalize(s);
	if (now_ms - seen > idle_ms) {
		(void) exec(db,
		    "DELETE FROM account_session WHERE id_hash = ?1", hash, 0,
		    0, NULL, NULL, NULL);
		return TALLY_ENOENT;
	}
	step = idle_ms / 4 < HUB_SESSION_STEP_MS ? idle_ms / 4
	                                         : HUB_SESSION_STEP_MS;
	if (now_ms - seen >= step) {
		rv = exec(db,
		    "UPDATE account_session SET seen_at = ?2"
		    " WHERE id_hash = ?1",
		    hash, now_ms, 0, NULL, NULL, NULL);
		if (rv != TALLY_OK) {
			return rv;
		}
	}
	*out = se;
	return TALLY_OK;
}

int
hub_session_close(struct tally_store *st, const char *cookie)
{
	unsigned char hash[crypto_generichash_BYTES];

	if (id_hash(cookie, hash) != TALLY_OK) {
		return TALLY_OK;
	}
	return exec(tally_store_handle(st),
	    "DELETE FROM account_session WHERE id_hash = ?1", hash, 0, 0, NULL,
	    NULL, NULL);
}

/*
 * The accounts of account.h, in the store's file.
 *
 * Sessions and the access log live in the same file, so that ending an
 * account's sessions happens in the same transaction as disabling it:
 * there is no moment at which a disabled account still has a live
 * session.
 */
#include "account.h"

#include "clock.h"
#include "errors.h"
#include "log.h"
#include "period.h"
#include "rows.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

const char *const tally_account_schema_sql =
    "CREATE TABLE IF NOT EXISTS account ("
    "  name TEXT PRIMARY KEY, region TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('viewer', 'operator',"
    "  'approver')), hash TEXT NOT NULL,"
    "  disabled INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL, changed_at INTEGER NOT NULL)"
    "  WITHOUT ROWID;"
    /* A session: the hash of its id (the cookie), never the id. */
    "CREATE TABLE IF NOT EXISTS account_session ("
    "  id_hash BLOB PRIMARY KEY, name TEXT NOT NULL,"
    "  csrf TEXT NOT NULL, address TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL, seen_at INTEGER NOT NULL)"
    "  WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS account_session_name"
    "  ON account_session (name);"
    /* Who did what on the pages, from where: append-only, as the rest
     * of the audit trail. */
    "CREATE TABLE IF NOT EXISTS access_log ("
    "  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, name TEXT NOT NULL,"
    "  address TEXT NOT NULL, action TEXT NOT NULL,"
    "  target TEXT NOT NULL, outcome TEXT NOT NULL);"
    "CREATE TRIGGER IF NOT EXISTS access_log_no_update"
    "  BEFORE UPDATE ON access_log BEGIN"
    "  SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS access_log_no_delete"
    "  BEFORE DELETE ON access_log BEGIN"
    "  SELECT RAISE(ABORT, 'the audit trail is append-only'); END;";

static const char *const role_names[] = { "viewer", "operator", "approver" };

int
tally_role_parse(const char *s, int *out)
{
	for (int i = 0; s != NULL && i < 3; i++) {
		if (strcmp(s, role_names[i]) == 0) {
			*out = i;
			return TALLY_OK;
		}
	}
	return TALLY_EINVAL;
}

const char *
tally_role_name(int role)
{
	return role >= 0 && role < 3 ? role_names[role] : "?";
}

bool
tally_account_name_valid(const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;

	if (n == 0 || n > TALLY_ACCOUNT_NAME_MAX) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		        c == '-')) {
			return false;
		}
	}
	return true;
}

static bool
password_ok(const char *pw)
{
	size_t n = pw != NULL ? strlen(pw) : 0;

	return n >= TALLY_ACCOUNT_PASSWORD_MIN &&
	    n <= TALLY_ACCOUNT_PASSWORD_MAX;
}

/* The Argon2id string of pw with libsodium's interactive limits. */
static int
hash_password(const char *pw, char out[crypto_pwhash_STRBYTES])
{
	if (sodium_init() < 0) {
		return TALLY_EIO;
	}
	if (crypto_pwhash_str_alg(out, pw, strlen(pw),
	        crypto_pwhash_OPSLIMIT_INTERACTIVE,
	        crypto_pwhash_MEMLIMIT_INTERACTIVE,
	        crypto_pwhash_ALG_ARGON2ID13) != 0) {
		return TALLY_ENOMEM;
	}
	return TALLY_OK;
}

/* Runs sql with text parameters (NULL ends them) and an integer ?9 for
 * now; *changes is how many rows it changed. */
static int
run(sqlite3 *db, const char *sql, int *changes, const char *a, const char *b,
    const char *c, const char *d)
{
	const char   *params[] = { a, b, c, d };
	sqlite3_stmt *s        = NULL;
	int           rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return tally_store_sqlite_error(db, rc, "account");
	}
	for (int i = 0; i < 4 && params[i] != NULL; i++) {
		sqlite3_bind_text(s, i + 1, params[i], -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(s, 9, (sqlite3_int64) tally_clock_now_ms());
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_CONSTRAINT) {
		return TALLY_EEXIST;
	}
	if (rc != SQLITE_DONE) {
		return tally_store_sqlite_error(db, rc, "account");
	}
	if (changes != NULL) {
		*changes = sqlite3_changes(db);
	}
	return TALLY_OK;
}

int
tally_account_add(struct tally_store *st, const char *name, const char *region,
    int role, const char *password)
{
	char hash[crypto_pwhash_STRBYTES];
	int  rv;

	if (!tally_account_name_valid(name) || !password_ok(password) ||
	    role < 0 || role > TALLY_ROLE_APPROVER) {
		return TALLY_EINVAL;
	}
	rv = hash_password(password, hash);
	if (rv == TALLY_OK) {
		rv = run(tally_store_handle(st),
		    "INSERT INTO account (name, region, role, hash,"
		    " created_at, changed_at) VALUES (?1, ?2, ?3, ?4, ?9, ?9)",
		    NULL, name, region, tally_role_name(role), hash);
	}
	sodium_memzero(hash, sizeof(hash));
	return rv;
}

/* Runs an account change and the end of its sessions in one
 * transaction. */
static int
change(struct tally_store *st, const char *sql, const char *name,
    const char *value)
{
	sqlite3 *db = tally_store_handle(st);
	int      n  = 0;
	int      rv = run(db, "BEGIN IMMEDIATE", NULL, NULL, NULL, NULL, NULL);

	if (rv != TALLY_OK) {
		return rv;
	}
	rv = run(db, sql, &n, name, value, NULL, NULL);
	if (rv == TALLY_OK && n == 0) {
		rv = TALLY_ENOENT;
	}
	if (rv == TALLY_OK) {
		rv = run(db, "DELETE FROM account_session WHERE name = ?1",
		    NULL, name, NULL, NULL, NULL);
	}
	if (rv == TALLY_OK) {
		return run(db, "COMMIT", NULL, NULL, NULL, NULL, NULL);
	}
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rv;
}

int
tally_account_passwd(
    struct tally_store *st, const char *name, const char *password)
{
	char hash[crypto_pwhash_STRBYTES];
	int  rv;

	if (!password_ok(password)) {
		return TALLY_EINVAL;
	}
	rv = hash_password(password, hash);
	if (rv == TALLY_OK) {
		rv = change(st,
		    "UPDATE account SET hash = ?2, changed_at = ?9"
		    " WHERE name = ?1",
		    name, hash);
	}
	sodium_memzero(hash, sizeof(hash));
	return rv;
}

int
tally_account_set_disabled(
    struct tally_store *st, const char *name, bool disabled)
{
	return change(st,
	    "UPDATE account SET disabled = ?2, changed_at = ?9"
	    " WHERE name = ?1",
	    name, disabled ? "1" : "0");
}

/* One row of ACCOUNT_COLUMNS into elem, a struct tally_account. */
static void
read_row(sqlite3_stmt *s, void *elem)
{
	struct tally_account *a = elem;

	memset(a, 0, sizeof(*a));
	tally_rows_text(s, 0, a->name, sizeof(a->name));
	tally_rows_text(s, 1, a->region, sizeof(a->region));
	if (tally_role_parse(
	        (const char *) sqlite3_column_text(s, 2), &a->role) != 0) {
		a->role = TALLY_ROLE_VIEWER;
	}
	a->disabled   = sqlite3_column_int(s, 3) != 0;
	a->created_ms = sqlite3_column_int64(s, 4);
	a->changed_ms = sqlite3_column_int64(s, 5);
}

#define ACCOUNT_COLUMNS \
	"name, region, role, disabled, created_at, changed_at, hash"

int
tally_account_list(
    struct tally_store *st, struct tally_account **out, size_t *n)
{
	sqlite3      *db = tally_store_handle(st);
	sqlite3_stmt *s  = NULL;
	void         *v;
	int           rc;

	rc = sqlite3_prepare_v2(db,
	    "SELECT " ACCOUNT_COLUMNS " FROM account ORDER BY name", -1, &s,
	    NULL);
	if (rc != SQLITE_OK) {
		return tally_store_sqlite_error(db, rc, "account list");
	}
	rc = tally_rows_collect(db, s, sizeof(struct tally_account), read_row,
	    "account list", &v, n);
	sqlite3_finalize(s);
	if (rc == TALLY_OK) {
		*out = v;
	}
	return rc;
}

int
tally_account_any(struct tally_store *st, bool *out)
{
	sqlite3      *db = tally_store_handle(st);
	sqlite3_stmt *s  = NULL;
	int           rc;

	rc = sqlite3_prepare_v2(
	    db, "SELECT EXISTS (SELECT 1 FROM account)", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return tally_store_sqlite_error(db, rc, "account");
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		return tally_store_sqlite_error(db, rc, "account");
	}
	*out = sqlite3_column_int(s, 0) != 0;
	sqlite3_finalize(s);
	return TALLY_OK;
}

/* A hash that no password matches, made once: checked against when the
 * name is unknown, so that an unknown name costs as much as a known one. */
static const char *
decoy_hash(void)
{
	static char   decoy[crypto_pwhash_STRBYTES];
	unsigned char raw[24];
	char          pw[49];

	if (decoy[0] == '\0') {
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(pw, sizeof(pw), raw, sizeof(raw));
		if (hash_password(pw, decoy) != TALLY_OK) {
			decoy[0] = '\0';
		}
	}
	return decoy;
}

int
tally_account_login(struct tally_store *st, const char *name,
    const char *password, struct tally_account *out)
{
	sqlite3             *db = tally_store_handle(st);
	sqlite3_stmt        *s  = NULL;
	struct tally_account a;
	char                 hash[crypto_pwhash_STRBYTES] = "";
	bool                 found                        = false;
	int                  rc;

	if (sodium_init() < 0) {
		return TALLY_EIO;
	}
	rc = sqlite3_prepare_v2(db,
	    "SELECT " ACCOUNT_COLUMNS " FROM account WHERE name = ?1", -1, &s,
	    NULL);
	if (rc != SQLITE_OK) {
		return tally_store_sqlite_error(db, rc, "account");
	}
	sqlite3_bind_text(s, 1, name != NULL ? name : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		read_row(s, &a);
		snprintf(hash, sizeof(hash), "%s",
		    (const char *) sqlite3_column_text(s, 6));
		found = true;
	} else if (rc != SQLITE_DONE) {
		sqlite3_finalize(s);
		return tally_store_sqlite_error(db, rc, "account");
	}
	sqlite3_finalize(s);
	if (!found) {
		snprintf(hash, sizeof(hash), "%s", decoy_hash());
	}
	if (password == NULL ||
	    strlen(password) > TALLY_ACCOUNT_PASSWORD_MAX ||
	    crypto_pwhash_str_verify(hash, password, strlen(password)) != 0 ||
	    !found || a.disabled) {
		return TALLY_EDATA;
	}
	*out = a;
	return TALLY_OK;
}

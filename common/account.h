/*
 * The accounts of a hub's web pages (docs/accounts.md): who may log in,
 * with which role, for which region, kept in the hub's store beside the
 * figures. Passwords are kept only as libsodium's Argon2id strings
 * (crypto_pwhash_str with the interactive limits): nothing reversible.
 * The store also holds the pages' sessions (each id only as its hash) and
 * the access log, whose tables are created with the accounts' (schema 5).
 */
#ifndef TALLY_ACCOUNT_H
#define TALLY_ACCOUNT_H

#include "catalog.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The tables: accounts, sessions and the append-only access log. */
extern const char *const tally_account_schema_sql;

/* Roles, each allowed what the one before it is and more. */
enum tally_role {
	TALLY_ROLE_VIEWER = 0, /* reads its scope */
	TALLY_ROLE_OPERATOR,   /* also downloads, uploads, briefings */
	TALLY_ROLE_APPROVER,   /* also approves and reopens its children */
};

#define TALLY_ACCOUNT_NAME_MAX 64
/* Passwords shorter than this are refused. */
#define TALLY_ACCOUNT_PASSWORD_MIN 10
#define TALLY_ACCOUNT_PASSWORD_MAX 1024

struct tally_account {
	char    name[TALLY_ACCOUNT_NAME_MAX + 1];
	char    region[TALLY_REGION_STRLEN];
	int     role; /* enum tally_role */
	bool    disabled;
	int64_t created_ms, changed_ms;
};

/* "viewer", "operator", "approver"; TALLY_EINVAL for anything else. */
int         tally_role_parse(const char *s, int *out);
const char *tally_role_name(int role);

/* A name is 1..64 of [A-Za-z0-9._-]: it appears in logs and cookies'
 * sessions, so nothing that could break a line or a column. */
bool tally_account_name_valid(const char *name);

/* Adds an account; TALLY_EEXIST when the name is taken, TALLY_EINVAL for
 * a bad name or a password outside the lengths above. */
int tally_account_add(struct tally_store *st, const char *name,
    const char *region, int role, const char *password);

/* A new password; ends every session of the account. TALLY_ENOENT when
 * there is no such account. */
int tally_account_passwd(
    struct tally_store *st, const char *name, const char *password);

/* Disables (or enables again) an account; disabling ends every session
 * of it at once. TALLY_ENOENT when there is no such account. */
int tally_account_set_disabled(
    struct tally_store *st, const char *name, bool disabled);

/* Every account, by name; the caller frees *out with free(). */
int tally_account_list(
    struct tally_store *st, struct tally_account **out, size_t *n);

/* Whether any account exists (enabled or not): then every page needs a
 * session. */
int tally_account_any(struct tally_store *st, bool *out);

/* Checks name and password: TALLY_OK with *out the account, TALLY_EDATA
 * when the name is unknown, disabled or the password wrong (one answer
 * for all three, and as slow for each, so that names cannot be probed). */
int tally_account_login(struct tally_store *st, const char *name,
    const char *password, struct tally_account *out);

#endif

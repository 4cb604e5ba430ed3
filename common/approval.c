/*
 * Approvals declared in approval.h: the digest of the states approved,
 * the signed message, and the rows of table approval. Statements are
 * prepared per call, as reason.c does: approvals are few and rare.
 */
#include "approval.h"

#include "clock.h"
#include "log.h"
#include "period.h"
#include "rows.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define B64_VARIANT sodium_base64_VARIANT_ORIGINAL

static void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t) (v & 0xff);
		v >>= 8;
	}
}

static uint64_t
double_bits(double d)
{
	uint64_t v;

	memcpy(&v, &d, sizeof(v));
	return v;
}

static void
hash_text(crypto_generichash_state *h, const char *text)
{
	crypto_generichash_update(
	    h, (const unsigned char *) text, strlen(text) + 1);
}

void
tally_approval_digest(const struct tally_approval_state *s, size_t n,
    char out[TALLY_APPROVAL_DIGEST_HEX])
{
	crypto_generichash_state h;
	uint8_t                  md[TALLY_APPROVAL_DIGEST_BYTES];

	crypto_generichash_init(&h, NULL, 0, sizeof(md));
	hash_text(&h, "tally-approval-states-v1");
	for (size_t i = 0; i < n; i++) {
		uint8_t num[32];

		hash_text(&h, s[i].region);
		hash_text(&h, s[i].indicator);
		hash_text(&h, s[i].period);
		put_be64(num, s[i].version);
		put_be64(num + 8, double_bits(s[i].sum_a));
		put_be64(num + 16, double_bits(s[i].sum_b));
		put_be64(num + 24, s[i].leaves);
		crypto_generichash_update(&h, num, sizeof(num));
	}
	crypto_generichash_final(&h, md, sizeof(md));
	sodium_bin2hex(out, TALLY_APPROVAL_DIGEST_HEX, md, sizeof(md));
}

/* Whether region is child or lies below it, and period lies inside
 * within (both as text; a period that does not parse is outside). */
static bool
covers(const struct tally_catalog *cat, const char *child, const char *within,
    const char *region, const char *period)
{
	struct tally_period outer, inner;

	if (strcmp(region, child) != 0 &&
	    !tally_catalog_is_below(cat, child, region)) {
		return false;
	}
	return tally_period_parse(within, &outer) == 0 &&
	    tally_period_parse(period, &inner) == 0 &&
	    tally_period_contains(&outer, &inner);
}

int
tally_approval_collect(struct tally_store *st, const struct tally_catalog *cat,
    const char *child, const char *period, struct tally_approval_state **out,
    size_t *n)
{
	static const char *const sql =
	    "SELECT region, indicator, period, version, sum_a, sum_b, leaves"
	    " FROM region_state ORDER BY region, indicator, period";
	sqlite3                     *db   = tally_store_handle(st);
	struct tally_approval_state *list = NULL;
	size_t                       len = 0, cap = 0;
	sqlite3_stmt                *s;
	int                          rc, rv = TALLY_OK;

	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return tally_store_sqlite_error(db, rc, "approval states");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct tally_approval_state e;

		tally_rows_text(s, 0, e.region, sizeof(e.region));
		tally_rows_text(s, 1, e.indicator, sizeof(e.indicator));
		tally_rows_text(s, 2, e.period, sizeof(e.period));
		if (!covers(cat, child, period, e.region, e.period)) {
			continue;
		}
		e.version = (uint64_t) sqlite3_column_int64(s, 3);
		e.sum_a   = sqlite3_column_double(s, 4);
		e.sum_b   = sqlite3_column_double(s, 5);
		e.leaves  = (uint64_t) sqlite3_column_int64(s, 6);
		if (len == cap) {
			size_t c = cap > 0 ? 2 * cap : 64;
			struct tally_approval_state *p =
			    realloc(list, c * sizeof(*p));

			if (p == NULL) {
				rv = TALLY_ENOMEM;
				goto fail;
			}
			list = p;
			cap  = c;
		}
		list[len++] = e;
	}
	if (rc != SQLITE_DONE) {
		rv = tally_store_sqlite_error(db, rc, "approval states");
		goto fail;
	}
	sqlite3_finalize(s);
	*out = list;
	*n   = len;
	return TALLY_OK;
fail:
	sqlite3_finalize(s);
	free(list);
	return rv;
}

static void
append_text(uint8_t *buf, size_t *len, const char *text)
{
	size_t k = strlen(text) + 1;

	if (*len + k <= TALLY_APPROVAL_MESSAGE_MAX) {
		memcpy(buf + *len, text, k);
		*len += k;
	}
}

void
tally_approval_message(
    const struct tally_approval *a, uint8_t *buf, size_t *len)
{
	*len = 0;
	append_text(buf, len, "tally-approval-v1");
	append_text(buf, len, a->approver);
	append_text(buf, len, a->child);
	append_text(buf, len, a->period);
	append_text(buf, len, a->digest);
	append_text(buf, len, a->note);
	put_be64(buf + *len, (uint64_t) a->approved_ms);
	put_be64(buf + *len + 8, a->states);
	*len += 16;
}

void
tally_approval_sign(
    struct tally_approval *a, const struct tally_signer *signer)
{
	uint8_t msg[TALLY_APPROVAL_MESSAGE_MAX + 16];
	uint8_t sig[TALLY_SIGN_BYTES];
	size_t  len;

	snprintf(
	    a->key_id, sizeof(a->key_id), "%s", tally_signer_key_id(signer));
	snprintf(a->public_key, sizeof(a->public_key), "%s",
	    tally_signer_public_b64(signer));
	tally_approval_message(a, msg, &len);
	tally_signer_sign(signer, msg, len, sig);
	sodium_bin2hex(a->signature, sizeof(a->signature), sig, sizeof(sig));
}

bool
tally_approval_signature_ok(const struct tally_approval *a)
{
	uint8_t msg[TALLY_APPROVAL_MESSAGE_MAX + 16];
	uint8_t pk[TALLY_PUBLIC_BYTES];
	uint8_t sig[TALLY_SIGN_BYTES];
	char    id[TALLY_KEY_ID_STRLEN];
	size_t  len, n = 0;

	if (tally_sign_public_parse(a->public_key, pk) != TALLY_OK ||
	    sodium_hex2bin(sig, sizeof(sig), a->signature,
	        strlen(a->signature), NULL, &n, NULL) != 0 ||
	    n != sizeof(sig)) {
		return false;
	}
	tally_sign_key_id(pk, id);
	if (strcmp(id, a->key_id) != 0) {
		return false;
	}
	tally_approval_message(a, msg, &len);
	return tally_sign_check(pk, msg, len, sig, sizeof(sig));
}

int
tally_approval_put(struct tally_store *st, const struct tally_approval *a)
{
	static const char *const sql =
	    "INSERT INTO approval (approver, child, period, approved_at,"
	    " states, digest, key_id, public_key, signature, note,"
	    " reopened_at, reopen_reason, changed) VALUES (?1, ?2, ?3, ?4,"
	    " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
	    " (SELECT coalesce(max(changed), 0) + 1 FROM approval))"
	    " ON CONFLICT (approver, child, period, approved_at) DO UPDATE"
	    " SET reopened_at = excluded.reopened_at,"
	    " reopen_reason = excluded.reopen_reason,"
	    " changed = excluded.changed"
	    " WHERE approval.reopened_at IS NOT excluded.reopened_at";
	sqlite3      *db = tally_store_handle(st);
	sqlite3_stmt *s;
	int           rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return tally_store_sqlite_error(db, rc, "approval");
	}
	sqlite3_bind_text(s, 1, a->approver, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, a->child, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, a->period, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, a->approved_ms);
	sqlite3_bind_int64(s, 5, (sqlite3_int64) a->states);
	sqlite3_bind_text(s, 6, a->digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, a->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, a->public_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, a->signature, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, a->note, -1, SQLITE_STATIC);
	if (a->reopened_ms > 0) {
		sqlite3_bind_int64(s, 11, a->reopened_ms);
		sqlite3_bind_text(s, 12, a->reopen_reason, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE
	    ? TALLY_OK
	    : tally_store_sqlite_error(db, rc, "approval");
}

int
tally_approval_reopen(struct tally_store *st, const char *approver,
    const char *child, const char *period, int64_t at_ms, const char *reason)
{
	static const char *const sql =
	    "UPDATE approval SET reopened_at = ?4, reopen_reason = ?5,"
	    " changed = (SELECT coalesce(max(changed), 0) + 1 FROM approval)"
	    " WHERE approver = ?1 AND child = ?2 AND period = ?3"
	    " AND reopened_at IS NULL";
	sqlite3      *db = tally_store_handle(st);
	sqlite3_stmt *s;
	int           rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return tally_store_sqlite_error(db, rc, "approval");
	}
	sqlite3_bind_text(s, 1, approver, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, child, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, period, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, at_ms);
	sqlite3_bind_text(s, 5, reason, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		return tally_store_sqlite_error(db, rc, "approval");
	}
	return sqlite3_changes(db) > 0 ? TALLY_OK : TALLY_ENOENT;
}

static void
read_row(sqlite3_stmt *s, struct tally_approval *a)
{
	memset(a, 0, sizeof(*a));
	tally_rows_text(s, 0, a->approver, sizeof(a->approver));
	tally_rows_text(s, 1, a->child, sizeof(a->child));
	tally_rows_text(s, 2, a->period, sizeof(a->period));
	a->approved_ms = sqlite3_column_int64(s, 3);
	a->states      = (uint64_t) sqlite3_column_int64(s, 4);
	tally_rows_text(s, 5, a->digest, sizeof(a->digest));
	tally_rows_text(s, 6, a->key_id, sizeof(a->key_id));
	tally_rows_text(s, 7, a->public_key, sizeof(a->public_key));
	tally_rows_text(s, 8, a->signature, sizeof(a->signature));
	tally_rows_text(s, 9, a->note, sizeof(a->note));
	a->reopened_ms = sqlite3_column_int64(s, 10);
	tally_rows_text(s, 11, a->reopen_reason, sizeof(a->reopen_reason));
	a->changed = sqlite3_column_int64(s, 12);
}

/* read_row for tally_rows_collect. */
static void
read_elem(sqlite3_stmt *s, void *elem)
{
	read_row(s, elem);
}

#define APPROVAL_COLS                                                   \
	"approver, child, period, approved_at, states, digest, key_id," \
	" public_key, signature, note, reopened_at, reopen_reason, changed"

/* The rows of sql (?1 bound to text1 when not NULL), in *out. */
static int
select_rows(struct tally_store *st, const char *sql, const char *text1,
    struct tally_approval **out, size_t *n)
{
	sqlite3      *db = tally_store_handle(st);
	sqlite3_stmt *s;
	int           rc, rv;

	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return tally_store_sqlite_error(db, rc, "approvals");
	}
	if (text1 != NULL) {
		sqlite3_bind_text(s, 1, text1, -1, SQLITE_STATIC);
	}
	rv = tally_rows_collect(
	    db, s, sizeof(**out), read_elem, "approvals", (void **) out, n);
	sqlite3_finalize(s);
	return rv;
}

int
tally_approval_pending(struct tally_store *st, const char *uplink,
    const char *parent, size_t max, struct tally_approval **out, size_t *n,
    int64_t *mark)
{
	struct tally_approval *list = NULL;
	size_t                 len = 0, k = 0;
	char                   sql[512];
	int                    rv;

	snprintf(sql, sizeof(sql),
	    "SELECT " APPROVAL_COLS " FROM approval WHERE changed >"
	    " coalesce((SELECT changed FROM approval_sent WHERE uplink = ?1),"
	    " 0) ORDER BY changed LIMIT %zu",
	    max);
	rv = select_rows(st, sql, uplink, &list, &len);
	if (rv != TALLY_OK) {
		return rv;
	}
	/* Ordered by changed: the last row read marks what was sent. */
	*mark = len > 0 ? list[len - 1].changed : 0;
	for (size_t i = 0; i < len; i++) {
		if (strcmp(list[i].approver, parent) != 0) {
			list[k++] = list[i];
		}
	}
	*out = list;
	*n   = k;
	return TALLY_OK;
}

int
tally_approval_of(struct tally_store *st, const char *approver,
    const char *child, struct tally_approval **out, size_t *n)
{
	struct tally_approval *list = NULL;
	size_t                 len = 0, k = 0;
	int rv = tally_approval_list(st, approver, &list, &len);

	if (rv != TALLY_OK) {
		return rv;
	}
	for (size_t i = 0; i < len; i++) {
		if (strcmp(list[i].child, child) == 0 &&
		    list[i].reopened_ms == 0) {
			list[k++] = list[i];
		}
	}
	*out = list;
	*n   = k;
	return TALLY_OK;
}

int
tally_approval_from_parent(struct tally_store *st, const char *parent,
    const char *region, const struct tally_approval *a, size_t n,
    int64_t now_ms)
{
	struct tally_approval *held = NULL;
	size_t                 nh   = 0;
	int                    rv   = TALLY_OK;

	for (size_t i = 0; rv == TALLY_OK && i < n; i++) {
		if (strcmp(a[i].approver, parent) == 0 &&
		    strcmp(a[i].child, region) == 0 && a[i].reopened_ms == 0) {
			rv = tally_approval_put(st, &a[i]);
		}
	}
	if (rv == TALLY_OK) {
		rv = tally_approval_of(st, parent, region, &held, &nh);
	}
	for (size_t i = 0; rv == TALLY_OK && i < nh; i++) {
		bool listed = false;

		for (size_t j = 0; j < n && !listed; j++) {
			listed = a[j].approved_ms == held[i].approved_ms &&
			    strcmp(a[j].period, held[i].period) == 0;
		}
		if (!listed) {
			held[i].reopened_ms = now_ms;
			snprintf(held[i].reopen_reason,
			    sizeof(held[i].reopen_reason), "reopened by %s",
			    parent);
			rv = tally_approval_put(st, &held[i]);
		}
	}
	free(held);
	return rv;
}

int
tally_approval_sent(struct tally_store *st, const char *uplink, int64_t mark)
{
	static const char *const sql =
	    "INSERT INTO approval_sent (uplink, changed) VALUES (?1, ?2)"
	    " ON CONFLICT (uplink) DO UPDATE SET changed = excluded.changed";
	sqlite3      *db = tally_store_handle(st);
	sqlite3_stmt *s;
	int           rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return tally_store_sqlite_error(db, rc, "approvals sent");
	}
	sqlite3_bind_text(s, 1, uplink, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, mark);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE
	    ? TALLY_OK
	    : tally_store_sqlite_error(db, rc, "approvals sent");
}

int
tally_approval_receive(struct tally_store *st, const struct tally_catalog *cat,
    const char *sender, const struct tally_approval *a, size_t n)
{
	int rv = TALLY_OK;

	for (size_t i = 0; rv == TALLY_OK && i < n; i++) {
		const struct tally_division *d =
		    tally_catalog_division(cat, a[i].child);

		if ((strcmp(a[i].approver, sender) != 0 &&
		        !tally_catalog_is_below(cat, sender, a[i].approver)) ||
		    d == NULL || strcmp(d->parent_code, a[i].approver) != 0) {
			TALLY_LOG(TALLY_LOG_WARN,
			    "%s: approval of %s %s by %s left out: not made "
			    "at "
			    "or below %s of a child of its approver",
			    sender, a[i].child, a[i].period, a[i].approver,
			    sender);
			continue;
		}
		rv = tally_approval_put(st, &a[i]);
	}
	return rv;
}

int
tally_approval_list(struct tally_store *st, const char *approver,
    struct tally_approval **out, size_t *n)
{
	if (approver != NULL) {
		return select_rows(st,
		    "SELECT " APPROVAL_COLS
		    " FROM approval WHERE approver = ?1"
		    " ORDER BY child, period, approved_at DESC",
		    approver, out, n);
	}
	return select_rows(st,
	    "SELECT " APPROVAL_COLS " FROM approval"
	    " ORDER BY approver, child, period, approved_at DESC",
	    NULL, out, n);
}

int
tally_approval_covering(struct tally_store *st,
    const struct tally_catalog *cat, const char *approver, const char *region,
    const char *period, struct tally_approval *out)
{
	struct tally_approval *list = NULL;
	size_t                 n    = 0;
	int                    rv;

	rv = select_rows(st,
	    "SELECT " APPROVAL_COLS " FROM approval WHERE approver = ?1"
	    " AND reopened_at IS NULL ORDER BY approved_at",
	    approver, &list, &n);
	if (rv != TALLY_OK) {
		return rv;
	}
	rv = TALLY_ENOENT;
	for (size_t i = 0; i < n; i++) {
		if (covers(
		        cat, list[i].child, list[i].period, region, period)) {
			*out = list[i];
			rv   = TALLY_OK;
			break;
		}
	}
	free(list);
	return rv;
}

int
tally_approval_in_force(
    struct tally_store *st, const char *approver, bool *any)
{
	static const char *const sql =
	    "SELECT 1 FROM approval WHERE approver = ?1"
	    " AND reopened_at IS NULL LIMIT 1";
	sqlite3      *db = tally_store_handle(st);
	sqlite3_stmt *s;
	int           rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return tally_store_sqlite_error(db, rc, "approvals");
	}
	sqlite3_bind_text(s, 1, approver, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		return tally_store_sqlite_error(db, rc, "approvals");
	}
	*any = rc == SQLITE_ROW;
	return TALLY_OK;
}

/* Whether the store holds a version of the state at or above version
 * (then the store itself answers: duplicate, stale or conflict). */
static bool
held_at_or_above(struct tally_store *st, const char *region,
    const char *indicator, const char *period, uint64_t version)
{
	static const char *const sql =
	    "SELECT 1 FROM region_state WHERE indicator = ?1 AND period = ?2"
	    " AND region = ?3 AND version >= ?4";
	sqlite3      *db = tally_store_handle(st);
	sqlite3_stmt *s;
	bool          held;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		return false;
	}
	sqlite3_bind_text(s, 1, indicator, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, period, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, region, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64) version);
	held = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return held;
}

bool
tally_approval_holds(struct tally_store *st, const struct tally_catalog *cat,
    const char *approver, const char *region, const char *indicator,
    const char *period, uint64_t version, char *why, size_t len)
{
	struct tally_approval a;
	char                  at[TALLY_CLOCK_ISO_STRLEN];

	if (held_at_or_above(st, region, indicator, period, version) ||
	    tally_approval_covering(st, cat, approver, region, period, &a) !=
	        TALLY_OK) {
		return false;
	}
	tally_clock_format_iso(a.approved_ms, at, sizeof(at));
	snprintf(why, len,
	    "%s of %s was approved by %s at %s; ask %s to reopen it", a.period,
	    a.child, a.approver, at, a.approver);
	return true;
}

int
tally_approval_release_held(
    struct tally_store *st, const char *uplink, bool *released)
{
	static const char *const sql =
	    "DELETE FROM uplink_ack WHERE uplink = ?1 AND status = 6";
	sqlite3      *db = tally_store_handle(st);
	sqlite3_stmt *s;
	int           rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return tally_store_sqlite_error(db, rc, "held states");
	}
	sqlite3_bind_text(s, 1, uplink, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		return tally_store_sqlite_error(db, rc, "held states");
	}
	*released = sqlite3_changes(db) > 0;
	return TALLY_OK;
}

json_t *
tally_approval_json(const struct tally_approval *a)
{
	char    at[TALLY_CLOCK_ISO_STRLEN], re[TALLY_CLOCK_ISO_STRLEN];
	json_t *o;

	tally_clock_format_iso(a->approved_ms, at, sizeof(at));
	tally_clock_format_iso(a->reopened_ms, re, sizeof(re));
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s}",
	    "approver", a->approver, "child", a->child, "period", a->period,
	    "approved_at", at, "states", (json_int_t) a->states, "digest",
	    a->digest, "key_id", a->key_id, "signature", a->signature, "note",
	    a->note, "status", a->reopened_ms > 0 ? "reopened" : "approved");
	if (o != NULL && a->reopened_ms > 0) {
		json_object_set_new(o, "reopened_at", json_string(re));
		json_object_set_new(
		    o, "reopen_reason", json_string(a->reopen_reason));
	}
	return o;
}

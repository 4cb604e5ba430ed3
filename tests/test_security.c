/*
 * Unit tests of the security pieces that need no running hub: key files
 * and who may read them, signing and the keys registry with its file:line
 * errors, the memory budget of the protobuf-c allocator, and the store's
 * append-only audit trail with its chain.
 */
#include "budget.h"
#include "catalog.h"
#include "envelope.h"
#include "errors.h"
#include "sign.h"
#include "store.h"
#include "tlsconf.h"
#include "wire.h"

#include "tally.pb-c.h"

#include "testlib.h"

#include <check.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct tally_catalog *cat;
static char                  dir[64];

static void
setup(void)
{
	cat = testlib_catalog();
	testlib_tmpdir(dir, sizeof(dir), "sec");
}

static void
teardown(void)
{
	testlib_rmdir(dir);
	tally_catalog_free(cat);
	cat = NULL;
}

static void
path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Reads the one line of a .pub file, without its line end. */
static void
read_pub(const char *prefix, char out[TALLY_PUBLIC_B64_STRLEN])
{
	char  path[256];
	char  line[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s.pub", prefix);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	ck_assert_uint_eq(strlen(line), TALLY_PUBLIC_B64_STRLEN - 1);
	memcpy(out, line, TALLY_PUBLIC_B64_STRLEN);
}

/* Makes a key pair at dir/name and loads its private key. */
static struct tally_signer *
make_key(const char *name, char pub[TALLY_PUBLIC_B64_STRLEN])
{
	struct tally_signer *s;
	struct tally_errbuf  eb = { "" };
	char                 prefix[128], path[160];
	char                 id[TALLY_KEY_ID_STRLEN];

	path_in(prefix, sizeof(prefix), name);
	ck_assert_msg(
	    tally_sign_keygen(prefix, id, &eb) == TALLY_OK, "%s", eb.text);
	snprintf(path, sizeof(path), "%s.key", prefix);
	ck_assert_msg(
	    tally_signer_load(path, &s, &eb) == TALLY_OK, "%s", eb.text);
	ck_assert_str_eq(tally_signer_key_id(s), id);
	read_pub(prefix, pub);
	ck_assert_str_eq(tally_signer_public_b64(s), pub);
	return s;
}

START_TEST(test_keygen_files)
{
	struct tally_signer *s;
	struct tally_errbuf  eb = { "" };
	struct stat          sb;
	char                 pub[TALLY_PUBLIC_B64_STRLEN];
	char                 prefix[128], key[160];
	char                 id[TALLY_KEY_ID_STRLEN];
	uint8_t              pk[TALLY_PUBLIC_BYTES];
	char                 derived[TALLY_KEY_ID_STRLEN];

	s = make_key("county", pub);
	path_in(prefix, sizeof(prefix), "county");
	snprintf(key, sizeof(key), "%s.key", prefix);
	ck_assert_int_eq(stat(key, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);

	/* The id is the public key's, whoever computes it. */
	ck_assert_int_eq(tally_sign_public_parse(pub, pk), TALLY_OK);
	tally_sign_key_id(pk, derived);
	ck_assert_str_eq(derived, tally_signer_key_id(s));

	/* A key is never replaced. */
	ck_assert_int_eq(tally_sign_keygen(prefix, id, &eb), TALLY_EEXIST);
	ck_assert_ptr_nonnull(strstr(eb.text, "already exists"));

	/* Readable by the group or others: refused, with the remedy. */
	ck_assert_int_eq(chmod(key, 0640), 0);
	tally_signer_free(s);
	s = NULL;
	ck_assert_int_eq(tally_signer_load(key, &s, &eb), TALLY_ECONFIG);
	ck_assert_ptr_nonnull(strstr(eb.text, "chmod 600"));
	ck_assert_int_eq(chmod(key, 0604), 0);
	ck_assert_int_eq(tally_signer_load(key, &s, &eb), TALLY_ECONFIG);
	ck_assert_int_eq(chmod(key, 0600), 0);
	ck_assert_int_eq(tally_signer_load(key, &s, &eb), TALLY_OK);
	tally_signer_free(s);
}
END_TEST

START_TEST(test_key_file_errors)
{
	struct tally_signer *s  = NULL;
	struct tally_errbuf  eb = { "" };
	char                 path[128], want[192];

	path_in(path, sizeof(path), "bad.key");
	write_text(path, "# comment\n\ned25519-seed:abc\n");
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(tally_signer_load(path, &s, &eb), TALLY_ECONFIG);
	snprintf(want, sizeof(want), "%s:3: the seed is not 32 bytes", path);
	ck_assert_msg(
	    strncmp(eb.text, want, strlen(want)) == 0, "%s", eb.text);

	unlink(path);
	write_text(path, "hello\n");
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(tally_signer_load(path, &s, &eb), TALLY_ECONFIG);
	snprintf(want, sizeof(want), "%s:1: expected one line", path);
	ck_assert_msg(
	    strncmp(eb.text, want, strlen(want)) == 0, "%s", eb.text);

	path_in(path, sizeof(path), "none.key");
	ck_assert_int_eq(tally_signer_load(path, &s, &eb), TALLY_ENOENT);
	ck_assert_ptr_null(s);
}
END_TEST

/* Writes a keys file and loads it. */
static int
load_keys(const char *text, struct tally_keyring **kr, struct tally_errbuf *eb)
{
	char path[128];

	path_in(path, sizeof(path), "keys.csv");
	unlink(path);
	write_text(path, text);
	return tally_keyring_load(path, cat, kr, eb);
}

START_TEST(test_sign_verify)
{
	struct tally_signer  *a, *b, *c;
	struct tally_keyring *kr = NULL;
	struct tally_errbuf   eb = { "" };
	char                  pa[TALLY_PUBLIC_B64_STRLEN];
	char                  pb[TALLY_PUBLIC_B64_STRLEN];
	char                  pc[TALLY_PUBLIC_B64_STRLEN];
	char                  text[512];
	uint8_t               body[] = "the exact body bytes";
	uint8_t               sig[TALLY_SIGN_BYTES];
	const char           *region = NULL;
	const uint8_t        *pk     = NULL;

	a = make_key("a", pa);
	b = make_key("b", pb);
	c = make_key("c", pc);
	/* Two keys for one county during a change of key. */
	snprintf(text, sizeof(text),
	    "region,public_key\n130102,%s\n130102,%s\n", pa, pb);
	ck_assert_msg(load_keys(text, &kr, &eb) == TALLY_OK, "%s", eb.text);
	ck_assert_uint_eq(tally_keyring_count(kr), 2);

	tally_signer_sign(a, body, sizeof(body), sig);
	ck_assert_int_eq(
	    tally_keyring_verify(kr, body, sizeof(body), sig, sizeof(sig),
	        tally_signer_key_id(a), &region, &pk),
	    TALLY_VERIFY_OK);
	ck_assert_str_eq(region, "130102");
	ck_assert_ptr_nonnull(pk);
	ck_assert(tally_sign_check(pk, body, sizeof(body), sig, sizeof(sig)));

	tally_signer_sign(b, body, sizeof(body), sig);
	ck_assert_int_eq(
	    tally_keyring_verify(kr, body, sizeof(body), sig, sizeof(sig),
	        tally_signer_key_id(b), &region, &pk),
	    TALLY_VERIFY_OK);

	/* b's signature under a's id: the wrong key. */
	ck_assert_int_eq(
	    tally_keyring_verify(kr, body, sizeof(body), sig, sizeof(sig),
	        tally_signer_key_id(a), &region, &pk),
	    TALLY_VERIFY_BAD_SIGNATURE);
	/* One bit of the body changed. */
	body[0] ^= 1;
	ck_assert_int_eq(
	    tally_keyring_verify(kr, body, sizeof(body), sig, sizeof(sig),
	        tally_signer_key_id(b), &region, &pk),
	    TALLY_VERIFY_BAD_SIGNATURE);
	body[0] ^= 1;
	/* A truncated signature. */
	ck_assert_int_eq(tally_keyring_verify(kr, body, sizeof(body), sig, 63,
	                     tally_signer_key_id(b), &region, &pk),
	    TALLY_VERIFY_BAD_SIGNATURE);
	/* A key the hub does not know, and ids of any form. */
	tally_signer_sign(c, body, sizeof(body), sig);
	ck_assert_int_eq(
	    tally_keyring_verify(kr, body, sizeof(body), sig, sizeof(sig),
	        tally_signer_key_id(c), &region, &pk),
	    TALLY_VERIFY_UNKNOWN_KEY);
	ck_assert_int_eq(tally_keyring_verify(kr, body, sizeof(body), sig,
	                     sizeof(sig), "x' OR 1=1; --", &region, &pk),
	    TALLY_VERIFY_UNKNOWN_KEY);
	ck_assert_int_eq(tally_keyring_verify(kr, body, sizeof(body), NULL, 0,
	                     "", &region, &pk),
	    TALLY_VERIFY_UNSIGNED);
	ck_assert_int_eq(tally_keyring_verify(kr, body, sizeof(body), sig,
	                     sizeof(sig), "", &region, &pk),
	    TALLY_VERIFY_UNSIGNED);
	ck_assert_ptr_nonnull(
	    strstr(tally_verify_reason(TALLY_VERIFY_WRONG_REGION),
	        "not authorised for the sender region"));
	tally_keyring_free(kr);
	tally_signer_free(a);
	tally_signer_free(b);
	tally_signer_free(c);
}
END_TEST

/* Copies tmpl into out with K1, K2 and K3 replaced by keys[0..2]. */
static void
fill_keys(char *out, size_t len, const char *tmpl, const char *keys[3])
{
	size_t n = 0;

	for (const char *p = tmpl; *p != '\0' && n + 1 < len; p++) {
		if (p[0] == 'K' && p[1] >= '1' && p[1] <= '3') {
			n += (size_t) snprintf(
			    out + n, len - n, "%s", keys[p[1] - '1']);
			p++;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
}

START_TEST(test_keyring_errors)
{
	struct tally_signer  *a, *b, *c;
	struct tally_keyring *kr = NULL;
	struct tally_errbuf   eb = { "" };
	char                  pa[TALLY_PUBLIC_B64_STRLEN];
	char                  pb[TALLY_PUBLIC_B64_STRLEN];
	char                  pc[TALLY_PUBLIC_B64_STRLEN];
	char                  text[512], path[128], want[256];
	struct {
		const char *tmpl; /* K1..K3: the three keys */
		const char *error;
	} cases[] = {
		{ "region,key\n", ":1: the header must be region,public_key" },
		{ "region,public_key\n", ": lists no key" },
		{ "region,public_key\n999999,K1\n",
		    ":2: field region: unknown region '999999'" },
		{ "region,public_key\n130102,K1\n13010x,K2\n",
		    ":3: field region: unknown region '13010x'" },
		{ "region,public_key\n130102,notakey\n",
		    ":2: field public_key: not an Ed25519 public key" },
		{ "region,public_key\n130102,K1,extra\n",
		    ":2: 3 fields, expected 2" },
		{ "region,public_key\n130102,K1\n130104,K1\n",
		    ":3: field public_key: the key of line 2 again" },
		{ "region,public_key\n130102,K1\n130102,K2\n130102,K3\n",
		    ":4: field region: region 130102 has 2 keys already" },
	};

	a = make_key("a", pa);
	b = make_key("b", pb);
	c = make_key("c", pc);
	path_in(path, sizeof(path), "keys.csv");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *keys[] = { pa, pb, pc };

		fill_keys(text, sizeof(text), cases[i].tmpl, keys);
		kr = NULL;
		ck_assert_int_eq(load_keys(text, &kr, &eb), TALLY_ECONFIG);
		ck_assert_ptr_null(kr);
		snprintf(want, sizeof(want), "%s%s", path, cases[i].error);
		ck_assert_msg(strncmp(eb.text, want, strlen(want)) == 0,
		    "case %zu: got '%s', want '%s'", i, eb.text, want);
	}
	tally_signer_free(a);
	tally_signer_free(b);
	tally_signer_free(c);
}
END_TEST

/* Packs a Submission body with n states, each as small as the schema
 * allows. */
static uint8_t *
pack_submission(size_t n, size_t *len)
{
	Tally__Submission     m = TALLY__SUBMISSION__INIT;
	Tally__PartialState  *ps;
	Tally__PartialState **pp;
	uint8_t              *buf;

	ps = calloc(n, sizeof(*ps));
	pp = calloc(n, sizeof(*pp));
	ck_assert(ps != NULL && pp != NULL);
	for (size_t i = 0; i < n; i++) {
		tally__partial_state__init(&ps[i]);
		ps[i].indicator     = "mfg_pass_rate";
		ps[i].period        = "2020";
		ps[i].newest_period = "2020";
		ps[i].version       = 1;
		pp[i]               = &ps[i];
	}
	m.sender   = "130102";
	m.hub      = "130100";
	m.n_states = n;
	m.states   = pp;
	*len       = tally__submission__get_packed_size(&m);
	buf        = malloc(*len);
	ck_assert_ptr_nonnull(buf);
	tally__submission__pack(&m, buf);
	free(ps);
	free(pp);
	return buf;
}

START_TEST(test_budget)
{
	struct tally_budget b;
	Tally__Submission  *m;
	uint8_t            *buf;
	size_t              len;

	/* A small submission fits and gives every byte back. */
	buf = pack_submission(3, &len);
	tally_budget_init(&b, 64 * 1024);
	m = tally__submission__unpack(&b.alloc, len, buf);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->n_states, 3);
	ck_assert_uint_gt(b.used, 0);
	tally__submission__free_unpacked(m, &b.alloc);
	ck_assert_uint_eq(b.used, 0);
	ck_assert(!b.exceeded);
	free(buf);

	/* 20000 tiny states take about 0.8 MB on the wire and far more
	 * unpacked: over a 1 MiB budget, the unpack fails cleanly and
	 * nothing stays allocated (ASan checks the leaks). */
	buf = pack_submission(20000, &len);
	tally_budget_init(&b, 1024 * 1024);
	m = tally__submission__unpack(&b.alloc, len, buf);
	ck_assert_ptr_null(m);
	ck_assert(b.exceeded);
	ck_assert_uint_eq(b.used, 0);
	ck_assert_uint_le(b.peak, 1024 * 1024);

	/* The same message with room for it decodes. */
	tally_budget_init(&b, 64 * 1024 * 1024);
	m = tally__submission__unpack(&b.alloc, len, buf);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_gt(b.peak, 1024 * 1024);
	tally__submission__free_unpacked(m, &b.alloc);
	ck_assert_uint_eq(b.used, 0);
	free(buf);
}
END_TEST

static struct tally_wire_state
wire_state(const char *indicator, const char *period, double a, double b,
    uint64_t version, const char *region)
{
	struct tally_wire_state ws;

	memset(&ws, 0, sizeof(ws));
	ws.ind = tally_catalog_indicator(cat, indicator);
	ck_assert_ptr_nonnull(ws.ind);
	ck_assert_int_eq(tally_period_parse(period, &ws.period), 0);
	tally_state_init(&ws.state);
	ws.state.sum_a      = a;
	ws.state.sum_b      = b;
	ws.state.leaves     = 1;
	ws.state.has_newest = true;
	ws.state.newest     = ws.period;
	ws.version          = version;
	snprintf(ws.region, sizeof(ws.region), "%s", region);
	snprintf(ws.indicator, sizeof(ws.indicator), "%s", indicator);
	snprintf(ws.period_text, sizeof(ws.period_text), "%s", period);
	return ws;
}

struct walk {
	uint8_t                 chain[TALLY_AUDIT_CHAIN_BYTES];
	size_t                  envelopes;
	size_t                  items;
	bool                    chain_ok;
	struct tally_audit_item last;
};

static int
walk_fn(void *arg, const struct tally_audit_envelope *env,
    const struct tally_audit_item *items, size_t n)
{
	struct walk *w = arg;
	uint8_t      c[TALLY_AUDIT_CHAIN_BYTES];

	tally_store_audit_chain(w->chain, env, items, n, c);
	if (memcmp(c, env->chain, sizeof(c)) != 0) {
		w->chain_ok = false;
	}
	memcpy(w->chain, env->chain, sizeof(c));
	w->envelopes++;
	w->items += n;
	if (n > 0) {
		w->last = items[n - 1];
	}
	return 0;
}

static int
unbacked_fn(void *arg, const struct tally_audit_item *held, int64_t env)
{
	int *count = arg;

	(void) held;
	(void) env;
	(*count)++;
	return 0;
}

/* Applies one state from 130102 to the store and audits it. */
static int
apply_audited(
    struct tally_store *st, struct tally_wire_state *ws, const char *body)
{
	struct tally_audit_envelope env;
	struct tally_audit_item     item;
	int                         status = 0;

	memset(&env, 0, sizeof(env));
	env.received_ms = 1700000000000LL;
	env.sender      = "130102";
	env.key_id      = "";
	env.body        = (const uint8_t *) body;
	env.body_len    = strlen(body);
	ck_assert_int_eq(tally_store_begin(st), TALLY_OK);
	ck_assert_int_eq(
	    tally_store_put_state_audited(st, "130102", ws, 0, &item, &status),
	    TALLY_OK);
	if (status == TALLY_ACK_ACCEPTED) {
		ck_assert_int_eq(
		    tally_store_audit_append(st, &env, &item, 1), TALLY_OK);
	}
	ck_assert_int_eq(tally_store_commit(st), TALLY_OK);
	return status;
}

START_TEST(test_audit_trail)
{
	struct tally_store     *st;
	struct tally_errbuf     eb = { "" };
	struct tally_wire_state ws;
	struct walk             w;
	sqlite3                *db;
	char                    path[128];
	int                     unbacked = 0;

	path_in(path, sizeof(path), "hub.db");
	ck_assert_int_eq(
	    tally_store_create(path, cat, "130100", &st, &eb), TALLY_OK);
	ws = wire_state("mfg_pass_rate", "2020", 90, 100, 10, "");
	ck_assert_int_eq(apply_audited(st, &ws, "one"), TALLY_ACK_ACCEPTED);
	/* The same version again changes nothing and is not audited. */
	ck_assert_int_eq(apply_audited(st, &ws, "two"), TALLY_ACK_DUPLICATE);
	/* A correction: the audit says what it replaced. */
	ws = wire_state("mfg_pass_rate", "2020", 95, 100, 11, "");
	ck_assert_int_eq(apply_audited(st, &ws, "three"), TALLY_ACK_ACCEPTED);

	memset(&w, 0, sizeof(w));
	w.chain_ok = true;
	ck_assert_int_eq(
	    tally_store_audit_each(st, NULL, NULL, walk_fn, &w), TALLY_OK);
	ck_assert_uint_eq(w.envelopes, 2);
	ck_assert_uint_eq(w.items, 2);
	ck_assert(w.chain_ok);
	ck_assert_str_eq(w.last.region, "130102");
	ck_assert_uint_eq(w.last.version, 11);
	ck_assert(w.last.has_prev);
	ck_assert_uint_eq(w.last.prev_version, 10);
	ck_assert(w.last.prev.sum_a == 90);
	ck_assert(w.last.state.sum_a == 95);
	ck_assert_str_eq(w.last.prev_via, "130102");

	/* Filters: another region or period finds nothing. */
	memset(&w, 0, sizeof(w));
	ck_assert_int_eq(
	    tally_store_audit_each(st, "130104", NULL, walk_fn, &w), TALLY_OK);
	ck_assert_uint_eq(w.envelopes, 0);
	ck_assert_int_eq(
	    tally_store_audit_each(st, NULL, "2021", walk_fn, &w), TALLY_OK);
	ck_assert_uint_eq(w.envelopes, 0);

	ck_assert_int_eq(
	    tally_store_audit_unbacked(st, unbacked_fn, &unbacked), TALLY_OK);
	ck_assert_int_eq(unbacked, 0);
	tally_store_close(st);

	/* The trail refuses changes; a figure changed behind the hub's back
	 * is no longer backed by it. */
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(db, "UPDATE audit_state SET sum_a = 1",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	ck_assert_ptr_nonnull(strstr(sqlite3_errmsg(db), "append-only"));
	ck_assert_int_ne(
	    sqlite3_exec(db, "DELETE FROM audit_envelope", NULL, NULL, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
	                     "UPDATE region_state SET sum_a = 99 WHERE "
	                     "region = '130102'",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(tally_store_open(path, cat, &st, &eb), TALLY_OK);
	ck_assert_int_eq(
	    tally_store_audit_unbacked(st, unbacked_fn, &unbacked), TALLY_OK);
	ck_assert_int_eq(unbacked, 1);
	tally_store_close(st);
}
END_TEST

START_TEST(test_open_mode_flag)
{
	struct tally_store *st;
	struct tally_errbuf eb = { "" };
	char                path[128];
	bool                open = false;

	path_in(path, sizeof(path), "hub.db");
	ck_assert_int_eq(
	    tally_store_create(path, cat, "130100", &st, &eb), TALLY_OK);
	ck_assert_int_eq(tally_store_open_mode(st, &open), TALLY_ENOENT);
	ck_assert_int_eq(tally_store_set_open_mode(st, true), TALLY_OK);
	ck_assert_int_eq(tally_store_open_mode(st, &open), TALLY_OK);
	ck_assert(open);
	ck_assert_int_eq(tally_store_set_open_mode(st, false), TALLY_OK);
	ck_assert_int_eq(tally_store_open_mode(st, &open), TALLY_OK);
	ck_assert(!open);
	ck_assert_int_eq(tally_store_audit_ensure(st), TALLY_OK);
	tally_store_close(st);
}
END_TEST

/* Makes a CA, a server certificate and a client certificate in dir/name
 * with the repository's script. */
static void
make_certs(const char *name)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
	    "%s/scripts/dev-certs.sh --client child '%s/%s' >/dev/null",
	    TALLY_SOURCE_DIR, dir, name);
	ck_assert_int_eq(system(cmd), 0);
}

/* Sends one message from a dialer with tc to a TLS listener with ts and
 * returns whether it arrived. */
static bool
tls_exchange(const struct tally_tls *ts, const struct tally_tls *tc)
{
	struct tally_errbuf eb = { "" };
	nng_socket          rep, req;
	nng_listener        l;
	nng_dialer          d;
	char                url[64];
	char               *buf = NULL;
	size_t              n;
	int                 port = 0;
	bool                got;

	ck_assert_int_eq(nng_rep0_open(&rep), 0);
	ck_assert_int_eq(nng_req0_open(&req), 0);
	ck_assert_int_eq(
	    nng_listener_create(&l, rep, "tls+tcp://127.0.0.1:0"), 0);
	ck_assert_msg(tally_tls_listener(
	                  l, "tls+tcp://127.0.0.1:0", ts, &eb) == TALLY_OK,
	    "%s", eb.text);
	ck_assert_int_eq(nng_listener_start(l, 0), 0);
	ck_assert_int_eq(
	    nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port), 0);
	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", port);
	ck_assert_int_eq(nng_dialer_create(&d, req, url), 0);
	ck_assert_msg(
	    tally_tls_dialer(d, url, tc, &eb) == TALLY_OK, "%s", eb.text);
	/* A refused handshake is retried in the background, as a child's
	 * uplink does; the receive below bounds the wait. */
	ck_assert_int_eq(nng_dialer_start(d, NNG_FLAG_NONBLOCK), 0);
	nng_socket_set_ms(req, NNG_OPT_SENDTIMEO, 3000);
	nng_socket_set_ms(rep, NNG_OPT_RECVTIMEO, 3000);
	got = nng_send(req, "hello", 6, 0) == 0 &&
	    nng_recv(rep, &buf, &n, NNG_FLAG_ALLOC) == 0;
	if (got) {
		ck_assert_str_eq(buf, "hello");
		nng_free(buf, n);
	}
	nng_close(req);
	nng_close(rep);
	return got;
}

START_TEST(test_tls)
{
	struct tally_errbuf eb = { "" };
	struct tally_tls    ts, tc;
	char                ca[128], other_ca[128], cert[128], key[128];
	char                ccert[128], ckey[128];
	nng_socket          s;
	nng_listener        l;
	nng_dialer          d;

	make_certs("pki");
	make_certs("other");
	path_in(ca, sizeof(ca), "pki/ca.crt");
	path_in(other_ca, sizeof(other_ca), "other/ca.crt");
	path_in(cert, sizeof(cert), "pki/server.crt");
	path_in(key, sizeof(key), "pki/server.key");
	path_in(ccert, sizeof(ccert), "pki/child.crt");
	path_in(ckey, sizeof(ckey), "pki/child.key");

	memset(&ts, 0, sizeof(ts));
	memset(&tc, 0, sizeof(tc));
	ts.cert = cert;
	ts.key  = key;
	tc.ca   = ca;
	ck_assert(tls_exchange(&ts, &tc));
	/* A hub whose certificate another CA signed is not talked to. */
	tc.ca = other_ca;
	ck_assert(!tls_exchange(&ts, &tc));
	/* Nor one whose certificate names another host. */
	tc.ca          = ca;
	tc.server_name = "hub.example.org";
	ck_assert(!tls_exchange(&ts, &tc));
	tc.server_name = NULL;
	/* Mutual TLS: a child without a certificate is refused, one with a
	 * certificate of the CA is served. */
	ts.ca             = ca;
	ts.require_client = true;
	ck_assert(!tls_exchange(&ts, &tc));
	tc.cert = ccert;
	tc.key  = ckey;
	ck_assert(tls_exchange(&ts, &tc));

	/* Options that cannot work are refused before anything starts. */
	ck_assert_int_eq(nng_rep0_open(&s), 0);
	ck_assert_int_eq(nng_listener_create(&l, s, "tcp://127.0.0.1:0"), 0);
	ck_assert_int_eq(tally_tls_listener(l, "tcp://127.0.0.1:0", &ts, &eb),
	    TALLY_ECONFIG);
	ck_assert_ptr_nonnull(strstr(eb.text, "tls+tcp:// URLs only"));
	ck_assert_int_eq(
	    nng_listener_create(&l, s, "tls+tcp://127.0.0.1:0"), 0);
	memset(&ts, 0, sizeof(ts));
	ck_assert_int_eq(
	    tally_tls_listener(l, "tls+tcp://127.0.0.1:0", &ts, &eb),
	    TALLY_ECONFIG);
	ck_assert_ptr_nonnull(strstr(eb.text, "needs --tls-cert"));
	ts.cert = cert;
	ts.key  = key;
	ck_assert_int_eq(chmod(key, 0644), 0);
	ck_assert_int_eq(
	    tally_tls_listener(l, "tls+tcp://127.0.0.1:0", &ts, &eb),
	    TALLY_ECONFIG);
	ck_assert_ptr_nonnull(strstr(eb.text, "chmod 600"));
	ck_assert_int_eq(nng_dialer_create(&d, s, "tls+tcp://127.0.0.1:1"), 0);
	memset(&tc, 0, sizeof(tc));
	ck_assert_int_eq(
	    tally_tls_dialer(d, "tls+tcp://127.0.0.1:1", &tc, &eb),
	    TALLY_ECONFIG);
	ck_assert_ptr_nonnull(strstr(eb.text, "--tls-ca"));
	nng_close(s);
}
END_TEST

/* Packs an envelope around a Submission whose first state has the
 * indicator given, or n_states tiny states when n_states > 1. */
static uint8_t *
pack_envelope(const char *indicator, size_t n_states, size_t *len)
{
	uint8_t *body, *buf;
	size_t   blen;

	if (n_states > 1) {
		body = pack_submission(n_states, &blen);
	} else {
		Tally__Submission    m = TALLY__SUBMISSION__INIT;
		Tally__PartialState  p;
		Tally__PartialState *pp = &p;

		tally__partial_state__init(&p);
		p.indicator     = (char *) indicator;
		p.period        = "2020";
		p.newest_period = "2020";
		p.version       = 1;
		m.sender        = "130102";
		m.hub           = "130100";
		m.n_states      = 1;
		m.states        = &pp;
		blen            = tally__submission__get_packed_size(&m);
		body            = malloc(blen);
		ck_assert_ptr_nonnull(body);
		tally__submission__pack(&m, body);
	}
	ck_assert_int_eq(tally_envelope_pack(body, blen, NULL, &buf, len), 0);
	free(body);
	return buf;
}

START_TEST(test_wire_limits)
{
	struct tally_submission *sub = NULL;
	struct tally_errbuf      eb  = { "" };
	uint8_t                 *buf;
	size_t                   len;
	char                     longer[100];
	const char *bad[] = { "mfg_pass_rate\n2020 ERROR forged", "mfg\033[2J",
		"mfg\xff\xfe", longer };

	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	/* SQL is only text: the state is rejected as an unknown indicator,
	 * and the submission stands. */
	buf = pack_envelope("x'; DROP TABLE region_state; --", 1, &len);
	ck_assert_int_eq(
	    tally_submission_decode(cat, buf, len, &sub, &eb), TALLY_OK);
	ck_assert_int_eq(sub->states[0].status, TALLY_ACK_REJECTED);
	ck_assert_str_eq(sub->states[0].reason, "unknown indicator");
	tally_submission_free(sub);
	free(buf);
	/* Control characters, invalid UTF-8 and over-long strings refuse
	 * the submission whole, naming the field. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf = pack_envelope(bad[i], 1, &len);
		ck_assert_int_eq(
		    tally_submission_decode(cat, buf, len, &sub, &eb),
		    TALLY_EPROTO);
		ck_assert_msg(
		    strstr(eb.text, "field states[0].indicator") != NULL, "%s",
		    eb.text);
		free(buf);
	}
	/* 80000 tiny states fit in 4 MiB on the wire but not in the
	 * decoder's memory budget. */
	buf = pack_envelope(NULL, 80000, &len);
	ck_assert_uint_le(len, TALLY_WIRE_MSG_MAX);
	ck_assert_int_eq(
	    tally_submission_decode(cat, buf, len, &sub, &eb), TALLY_EPROTO);
	ck_assert_msg(strstr(eb.text, "memory budget") != NULL, "%s", eb.text);
	free(buf);
	/* A key id that is not printable ASCII is refused with the envelope.
	 */
	{
		struct tally_envelope env;
		Tally__Envelope       m = TALLY__ENVELOPE__INIT;
		uint8_t               out[64];

		m.body.data = (uint8_t *) "x";
		m.body.len  = 1;
		m.key_id    = "abc\ndef";
		len         = tally__envelope__pack(&m, out);
		ck_assert_int_eq(
		    tally_envelope_open(out, len, &env, &eb), TALLY_EPROTO);
		ck_assert_ptr_nonnull(strstr(eb.text, "key_id"));
		tally_envelope_close(&env);
	}
}
END_TEST

START_TEST(test_signed_roundtrip)
{
	struct tally_signer    *s;
	struct tally_keyring   *kr = NULL;
	struct tally_errbuf     eb = { "" };
	struct tally_submission sub, *got = NULL;
	struct tally_wire_state ws;
	struct tally_envelope   env;
	char                    pub[TALLY_PUBLIC_B64_STRLEN];
	char                    text[256];
	const char             *region = NULL;
	const uint8_t          *pk     = NULL;
	uint8_t                *buf;
	size_t                  len;

	s = make_key("county", pub);
	snprintf(text, sizeof(text), "region,public_key\n130102,%s\n", pub);
	ck_assert_int_eq(load_keys(text, &kr, &eb), TALLY_OK);
	ws = wire_state("mfg_pass_rate", "2020", 9, 10, 5, "");
	memset(&sub, 0, sizeof(sub));
	strcpy(sub.sender, "130102");
	strcpy(sub.hub, "130100");
	sub.states   = &ws;
	sub.n_states = 1;
	ck_assert_int_eq(
	    tally_submission_encode_signed(&sub, s, &buf, &len), 0);
	ck_assert_int_eq(tally_envelope_open(buf, len, &env, &eb), TALLY_OK);
	ck_assert_str_eq(env.key_id, tally_signer_key_id(s));
	ck_assert_int_eq(
	    tally_keyring_verify(kr, env.body, env.body_len, env.signature,
	        env.sig_len, env.key_id, &region, &pk),
	    TALLY_VERIFY_OK);
	ck_assert_str_eq(region, "130102");
	ck_assert_int_eq(tally_submission_decode_body(
	                     cat, env.body, env.body_len, &got, &eb),
	    TALLY_OK);
	ck_assert_str_eq(got->sender, "130102");
	ck_assert_uint_eq(got->states[0].version, 5);
	tally_submission_free(got);
	tally_envelope_close(&env);
	free(buf);
	tally_keyring_free(kr);
	tally_signer_free(s);
}
END_TEST

/* The canonical claim bytes, written out by hand from the layout in
 * sign.h, byte by byte: the encoder must give exactly these. */
START_TEST(test_claim_encoding)
{
	static const uint8_t want[] = { /* "tally-state-v1" and 0x00 */
		't', 'a', 'l', 'l', 'y', '-', 's', 't', 'a', 't', 'e', '-',
		'v', '1', 0x00,
		/* region */
		6, '1', '3', '0', '1', '0', '2',
		/* indicator */
		13, 'm', 'f', 'g', '_', 'p', 'a', 's', 's', '_', 'r', 'a', 't',
		'e',
		/* period */
		4, '2', '0', '2', '0',
		/* version 0x0102030405060708 */
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		/* sum_a 1.5 */
		0x3f, 0xf8, 0, 0, 0, 0, 0, 0,
		/* sum_b -0, written as +0 */
		0, 0, 0, 0, 0, 0, 0, 0,
		/* leaves 3 */
		0, 0, 0, 3,
		/* min and max follow */
		1,
		/* min 0.25 in 130102 */
		0x3f, 0xd0, 0, 0, 0, 0, 0, 0, 6, '1', '3', '0', '1', '0', '2',
		/* max 2 in 130104 */
		0x40, 0x00, 0, 0, 0, 0, 0, 0, 6, '1', '3', '0', '1', '0', '4',
		/* newest */
		7, '2', '0', '2', '0', '-', '1', '2'
	};
	struct tally_claim      c;
	struct tally_wire_state ws;
	uint8_t                 buf[TALLY_CLAIM_MAX], buf2[TALLY_CLAIM_MAX];
	char                    per[TALLY_PERIOD_STRLEN];
	char                    newest[TALLY_PERIOD_STRLEN];
	char                    longname[300];
	size_t                  len = 0, len2 = 0;

	memset(&c, 0, sizeof(c));
	c.region     = "130102";
	c.indicator  = "mfg_pass_rate";
	c.period     = "2020";
	c.version    = 0x0102030405060708ULL;
	c.sum_a      = 1.5;
	c.sum_b      = -0.0;
	c.leaves     = 3;
	c.has_minmax = true;
	c.min_value  = 0.25;
	c.min_region = "130102";
	c.max_value  = 2;
	c.max_region = "130104";
	c.newest     = "2020-12";
	ck_assert_int_eq(tally_claim_encode(&c, buf, &len), TALLY_OK);
	ck_assert_uint_eq(len, sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));

	/* The same state as the wire carries it gives the same bytes. */
	ws = wire_state(
	    "mfg_pass_rate", "2020", 1.5, 0, 0x0102030405060708ULL, "");
	ws.state.leaves     = 3;
	ws.state.has_minmax = true;
	ws.state.min_value  = 0.25;
	ws.state.max_value  = 2;
	strcpy(ws.state.min_region, "130102");
	strcpy(ws.state.max_region, "130104");
	ck_assert_int_eq(tally_period_parse("2020-12", &ws.state.newest), 0);
	tally_wire_state_claim(&ws, "130102", per, newest, &c);
	ck_assert_int_eq(tally_claim_encode(&c, buf2, &len2), TALLY_OK);
	ck_assert_uint_eq(len2, sizeof(want));
	ck_assert_mem_eq(buf2, want, sizeof(want));

	/* Without min and max: the flag 0 and nothing of them. */
	c.has_minmax = false;
	ck_assert_int_eq(tally_claim_encode(&c, buf, &len), TALLY_OK);
	ck_assert_uint_eq(len, sizeof(want) - 30);
	ck_assert_uint_eq(buf[len - 9], 0);
	ck_assert_mem_eq(buf + len - 8, want + sizeof(want) - 8, 8);

	/* A string longer than one length byte can say is refused. */
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	c.indicator                    = longname;
	ck_assert_int_eq(tally_claim_encode(&c, buf, &len), TALLY_EINVAL);
	c.indicator = NULL;
	ck_assert_int_eq(tally_claim_encode(&c, buf, &len), TALLY_EINVAL);
}
END_TEST

/* A state signed by its region verifies; any field changed, another
 * region's key, no signature or no listed key does not. */
START_TEST(test_origin_sign_verify)
{
	struct tally_signer    *county, *city, *stranger;
	struct tally_keyring   *kr = NULL;
	struct tally_errbuf     eb = { "" };
	struct tally_wire_state ws, t;
	char                    p1[TALLY_PUBLIC_B64_STRLEN];
	char                    p2[TALLY_PUBLIC_B64_STRLEN];
	char                    p3[TALLY_PUBLIC_B64_STRLEN];
	char                    text[512], why[TALLY_WIRE_REASON_MAX];
	uint8_t                 pk[TALLY_PUBLIC_BYTES];

	county   = make_key("county", p1);
	city     = make_key("city", p2);
	stranger = make_key("stranger", p3);
	snprintf(text, sizeof(text),
	    "region,public_key\n130102,%s\n130100,%s\n", p1, p2);
	ck_assert_msg(load_keys(text, &kr, &eb) == TALLY_OK, "%s", eb.text);
	ck_assert(tally_keyring_has_region(kr, "130102"));
	ck_assert(!tally_keyring_has_region(kr, "130104"));

	ws = wire_state("mfg_pass_rate", "2020", 90, 100, 7, "130102");
	ws.state.has_minmax = true;
	ws.state.min_value  = 0.9;
	ws.state.max_value  = 0.9;
	strcpy(ws.state.min_region, "130102");
	strcpy(ws.state.max_region, "130102");
	ck_assert_int_eq(
	    tally_wire_state_sign(&ws, "130102", county), TALLY_OK);
	ck_assert(ws.has_origin);
	ck_assert_str_eq(ws.origin_key_id, tally_signer_key_id(county));
	t = ws;
	ck_assert_int_eq(
	    tally_wire_state_verify(kr, &t, "130102", why, sizeof(why)),
	    TALLY_VERIFY_OK);
	ck_assert(t.origin_verified);
	ck_assert_int_eq(tally_sign_public_parse(p1, pk), TALLY_OK);
	ck_assert_mem_eq(t.origin_pk, pk, TALLY_PUBLIC_BYTES);
	/* -0 is +0: a store may give either back. */
	t             = ws;
	t.state.sum_a = 0.0;
	ck_assert_int_eq(
	    tally_wire_state_sign(&t, "130102", county), TALLY_OK);
	t.state.sum_a = -0.0;
	ck_assert_int_eq(
	    tally_wire_state_verify(kr, &t, "130102", why, sizeof(why)),
	    TALLY_VERIFY_OK);

	/* Every field of the claim is covered. */
	for (int f = 0; f < 11; f++) {
		t = ws;
		switch (f) {
		case 0:
			t.state.sum_a += 1;
			break;
		case 1:
			t.state.sum_b += 1;
			break;
		case 2:
			t.state.leaves += 1;
			break;
		case 3:
			t.version += 1;
			break;
		case 4:
			t.ind = tally_catalog_indicator(
			    cat, "food_spot_check_pass_rate");
			break;
		case 5:
			ck_assert_int_eq(
			    tally_period_parse("2021", &t.period), 0);
			break;
		case 6:
			ck_assert_int_eq(
			    tally_period_parse("2020-06", &t.state.newest), 0);
			break;
		case 7:
			t.state.min_value = 0.5;
			break;
		case 8:
			strcpy(t.state.max_region, "130104");
			break;
		case 9:
			t.state.has_minmax = false;
			break;
		default:
			t.origin_sig[10] ^= 1;
			break;
		}
		ck_assert_ptr_nonnull(t.ind);
		ck_assert_int_eq(tally_wire_state_verify(
		                     kr, &t, "130102", why, sizeof(why)),
		    TALLY_VERIFY_BAD_SIGNATURE);
		ck_assert_msg(strstr(why, "bad origin signature") != NULL,
		    "field %d: %s", f, why);
		ck_assert(!t.origin_verified);
	}
	/* The same signature claimed for another region. */
	t = ws;
	ck_assert_int_eq(
	    tally_wire_state_verify(kr, &t, "130100", why, sizeof(why)),
	    TALLY_VERIFY_BAD_SIGNATURE);

	/* The city re-signs its county's state with its own key. */
	t = ws;
	ck_assert_int_eq(tally_wire_state_sign(&t, "130102", city), TALLY_OK);
	ck_assert_int_eq(
	    tally_wire_state_verify(kr, &t, "130102", why, sizeof(why)),
	    TALLY_VERIFY_WRONG_REGION);
	ck_assert_pstr_eq(
	    strstr(why, "key not authorised for region 130102"), why);
	ck_assert_ptr_nonnull(strstr(why, "belongs to region 130100"));

	/* No signature. */
	t            = ws;
	t.has_origin = false;
	ck_assert_int_eq(
	    tally_wire_state_verify(kr, &t, "130102", why, sizeof(why)),
	    TALLY_VERIFY_UNSIGNED);
	ck_assert_ptr_nonnull(strstr(why, "missing origin signature"));

	/* A key the hub does not list; then a region with no key listed. */
	t = ws;
	ck_assert_int_eq(
	    tally_wire_state_sign(&t, "130102", stranger), TALLY_OK);
	ck_assert_int_eq(
	    tally_wire_state_verify(kr, &t, "130102", why, sizeof(why)),
	    TALLY_VERIFY_UNKNOWN_KEY);
	ck_assert_ptr_nonnull(strstr(why, "unknown key"));
	t = ws;
	snprintf(t.region, sizeof(t.region), "130104");
	ck_assert_int_eq(
	    tally_wire_state_sign(&t, "130104", stranger), TALLY_OK);
	ck_assert_int_eq(
	    tally_wire_state_verify(kr, &t, "130104", why, sizeof(why)),
	    TALLY_VERIFY_UNKNOWN_KEY);
	ck_assert_ptr_nonnull(
	    strstr(why, "no key is listed for region 130104"));

	tally_keyring_free(kr);
	tally_signer_free(county);
	tally_signer_free(city);
	tally_signer_free(stranger);
}
END_TEST

/* The origin signature survives the wire and a hub's store bit for bit:
 * what a city forwards still verifies at the province. Malformed origin
 * fields reject the state. */
START_TEST(test_origin_travels)
{
	struct tally_signer    *county;
	struct tally_keyring   *kr = NULL;
	struct tally_store     *st = NULL;
	struct tally_errbuf     eb = { "" };
	struct tally_submission sub, *got    = NULL;
	struct tally_wire_state ws, *pending = NULL;
	Tally__Submission       m = TALLY__SUBMISSION__INIT;
	Tally__PartialState     p;
	Tally__PartialState    *pp = &p;
	char                    pub[TALLY_PUBLIC_B64_STRLEN];
	char                    text[256], path[128];
	char                    why[TALLY_WIRE_REASON_MAX];
	uint8_t                *buf, *body, sig[TALLY_SIGN_BYTES] = { 0 };
	size_t                  len, n = 0;
	int                     status = 0;

	county = make_key("county", pub);
	snprintf(text, sizeof(text), "region,public_key\n130102,%s\n", pub);
	ck_assert_int_eq(load_keys(text, &kr, &eb), TALLY_OK);
	/* A third of something: a sum no short decimal text holds. */
	ws = wire_state("mfg_pass_rate", "2020-03", 1.0 / 3, 0.7, 9, "");
	ck_assert_int_eq(tally_wire_state_sign(&ws, "130102", county), 0);
	memset(&sub, 0, sizeof(sub));
	strcpy(sub.sender, "130102");
	strcpy(sub.hub, "130100");
	sub.states   = &ws;
	sub.n_states = 1;
	ck_assert_int_eq(tally_submission_encode(&sub, &buf, &len), 0);
	ck_assert_int_eq(tally_submission_decode(cat, buf, len, &got, &eb), 0);
	free(buf);
	ck_assert_int_eq(got->states[0].status, TALLY_ACK_NONE);
	ck_assert(got->states[0].has_origin);
	ck_assert_mem_eq(got->states[0].origin_sig, ws.origin_sig, 64);
	ck_assert_str_eq(got->states[0].origin_key_id, ws.origin_key_id);
	ck_assert_int_eq(tally_wire_state_verify(
	                     kr, &got->states[0], "130102", why, sizeof(why)),
	    TALLY_VERIFY_OK);

	/* Stored at the city, read back as pending for the province. */
	path_in(path, sizeof(path), "city.db");
	ck_assert_int_eq(tally_store_create(path, cat, "130100", &st, &eb), 0);
	ck_assert_int_eq(tally_store_begin(st), 0);
	ck_assert_int_eq(
	    tally_store_put_state(st, "130102", &got->states[0], &status), 0);
	ck_assert_int_eq(status, TALLY_ACK_ACCEPTED);
	ck_assert_int_eq(tally_store_commit(st), 0);
	tally_submission_free(got);
	ck_assert_int_eq(
	    tally_store_pending(st, "parent", 100, true, &pending, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(pending[i].region, "130102") != 0) {
			/* The city's own snapshot: the uplink signs it. */
			ck_assert(!pending[i].has_origin);
			continue;
		}
		ck_assert(pending[i].has_origin);
		ck_assert_int_eq(tally_wire_state_verify(kr, &pending[i],
		                     "130102", why, sizeof(why)),
		    TALLY_VERIFY_OK);
		status = -1;
	}
	ck_assert_int_eq(status, -1);
	free(pending);
	tally_store_close(st);

	/* Malformed origin fields, crafted with protobuf-c. */
	for (int f = 0; f < 3; f++) {
		tally__partial_state__init(&p);
		p.indicator     = "mfg_pass_rate";
		p.period        = "2020";
		p.newest_period = "2020";
		p.sum_a         = 1;
		p.sum_b         = 2;
		p.leaves        = 1;
		p.version       = 3;
		if (f == 0) { /* a short signature */
			p.has_origin_signature  = 1;
			p.origin_signature.data = sig;
			p.origin_signature.len  = 63;
			p.origin_key_id         = "0123456789abcdef";
		} else if (f == 1) { /* a key id alone */
			p.origin_key_id = "0123456789abcdef";
		} else { /* a key id that is not one */
			p.has_origin_signature  = 1;
			p.origin_signature.data = sig;
			p.origin_signature.len  = 64;
			p.origin_key_id         = "X' OR 1=1 --";
		}
		m.sender   = "130102";
		m.hub      = "130100";
		m.n_states = 1;
		m.states   = &pp;
		len        = tally__submission__get_packed_size(&m);
		body       = malloc(len);
		tally__submission__pack(&m, body);
		ck_assert_int_eq(
		    tally_submission_decode_body(cat, body, len, &got, &eb),
		    0);
		free(body);
		ck_assert_int_eq(got->states[0].status, TALLY_ACK_REJECTED);
		ck_assert_msg(strstr(got->states[0].reason, "origin") != NULL,
		    "%s", got->states[0].reason);
		tally_submission_free(got);
	}
	tally_keyring_free(kr);
	tally_signer_free(county);
}
END_TEST

static Suite *
security_suite(void)
{
	Suite *s = suite_create("security");
	TCase *t = tcase_create("security");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_keygen_files);
	tcase_add_test(t, test_key_file_errors);
	tcase_add_test(t, test_sign_verify);
	tcase_add_test(t, test_keyring_errors);
	tcase_add_test(t, test_budget);
	tcase_add_test(t, test_audit_trail);
	tcase_add_test(t, test_open_mode_flag);
	tcase_add_test(t, test_tls);
	tcase_add_test(t, test_wire_limits);
	tcase_add_test(t, test_signed_roundtrip);
	tcase_add_test(t, test_claim_encoding);
	tcase_add_test(t, test_origin_sign_verify);
	tcase_add_test(t, test_origin_travels);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	return testlib_run(security_suite());
}

/*
 * Unit tests of approvals (common/approval.h): the digest against a
 * reference computed by another implementation, the signature and what
 * breaks it, the approval on the wire, and the rows of a real store:
 * which states an approval covers, reopening, and what the uplink sends.
 */
#include "approval.h"
#include "catalog.h"
#include "errors.h"
#include "sign.h"
#include "store.h"
#include "wire.h"

#include "testlib.h"

#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct tally_catalog *cat;

static void
load_catalog(void)
{
	cat = testlib_catalog();
}

static void
free_catalog(void)
{
	tally_catalog_free(cat);
	cat = NULL;
}

static const struct tally_approval_state two[] = {
	{ "130102", "mfg_pass_rate", "2020", 1796664067214555ULL, 970.0,
	    1000.0, 1 },
	{ "130102", "mfg_pass_rate", "2020-01", 1796664067214556ULL, 80.5,
	    100.0, 1 },
};

/* The references are Python's hashlib.blake2b(digest_size=32) over the
 * layout approval.h documents, written independently of approval.c. */
START_TEST(test_digest_reference)
{
	char d[TALLY_APPROVAL_DIGEST_HEX];

	tally_approval_digest(two, 2, d);
	ck_assert_str_eq(d,
	    "c42355f0592829d823cf568d071163e7607cfff924c4f70cbe95fa85d127aa3"
	    "2");
	tally_approval_digest(NULL, 0, d);
	ck_assert_str_eq(d,
	    "91481149f399dd5274068cc86a871e1a636682bfcb35c66346bbc8f4e015144"
	    "c");
}
END_TEST

/* Every field named counts: a change of any gives another digest. */
START_TEST(test_digest_every_field)
{
	struct tally_approval_state s[2];
	char                        base[TALLY_APPROVAL_DIGEST_HEX];
	char                        d[TALLY_APPROVAL_DIGEST_HEX];

	tally_approval_digest(two, 2, base);
	for (int k = 0; k < 7; k++) {
		memcpy(s, two, sizeof(s));
		switch (k) {
		case 0:
			s[1].region[5] = '3';
			break;
		case 1:
			s[1].indicator[0] = 'n';
			break;
		case 2:
			s[1].period[6] = '2';
			break;
		case 3:
			s[1].version++;
			break;
		case 4:
			s[1].sum_a += 0.5;
			break;
		case 5:
			s[1].sum_b += 1;
			break;
		default:
			s[1].leaves++;
			break;
		}
		tally_approval_digest(s, 2, d);
		ck_assert_msg(strcmp(d, base) != 0, "field %d not covered", k);
	}
	/* The order is part of it. */
	s[0] = two[1];
	s[1] = two[0];
	tally_approval_digest(s, 2, d);
	ck_assert_str_ne(d, base);
}
END_TEST

static void
sample(struct tally_approval *a)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->approver, sizeof(a->approver), "130100");
	snprintf(a->child, sizeof(a->child), "130102");
	snprintf(a->period, sizeof(a->period), "2020");
	snprintf(a->note, sizeof(a->note), "审核通过");
	a->approved_ms = 1796664067214;
	a->states      = 2;
	tally_approval_digest(two, 2, a->digest);
}

START_TEST(test_signature)
{
	struct tally_signer  *signer = NULL;
	struct tally_errbuf   eb     = { "" };
	struct tally_approval a, b;
	char                  dir[256], prefix[300], key[310];
	char                  id[TALLY_KEY_ID_STRLEN];

	testlib_tmpdir(dir, sizeof(dir), "approval");
	snprintf(prefix, sizeof(prefix), "%s/hub", dir);
	snprintf(key, sizeof(key), "%s.key", prefix);
	ck_assert_int_eq(tally_sign_keygen(prefix, id, &eb), TALLY_OK);
	ck_assert_int_eq(tally_signer_load(key, &signer, &eb), TALLY_OK);
	sample(&a);
	ck_assert(!tally_approval_signature_ok(&a)); /* unsigned */
	tally_approval_sign(&a, signer);
	ck_assert_str_eq(a.key_id, id);
	ck_assert(tally_approval_signature_ok(&a));
	b = a;
	snprintf(b.note, sizeof(b.note), "篡改");
	ck_assert(!tally_approval_signature_ok(&b));
	b           = a;
	b.digest[0] = b.digest[0] == '0' ? '1' : '0';
	ck_assert(!tally_approval_signature_ok(&b));
	b = a;
	b.approved_ms++;
	ck_assert(!tally_approval_signature_ok(&b));
	b = a;
	snprintf(b.child, sizeof(b.child), "130103");
	ck_assert(!tally_approval_signature_ok(&b));
	b           = a;
	b.key_id[0] = b.key_id[0] == '0' ? '1' : '0';
	ck_assert(!tally_approval_signature_ok(&b));
	tally_signer_free(signer);
	testlib_rmdir(dir);
}
END_TEST

/* An approval goes through the wire as it was; a malformed one refuses
 * the submission whole. */
START_TEST(test_wire)
{
	struct tally_submission sub, *got = NULL;
	struct tally_errbuf     eb = { "" };
	struct tally_approval   a[2];
	uint8_t                *buf = NULL;
	size_t                  len = 0;

	sample(&a[0]);
	sample(&a[1]);
	a[1].reopened_ms = a[1].approved_ms + 1000;
	snprintf(a[1].reopen_reason, sizeof(a[1].reopen_reason), "更正");
	memset(&sub, 0, sizeof(sub));
	snprintf(sub.sender, sizeof(sub.sender), "130100");
	snprintf(sub.hub, sizeof(sub.hub), "130000");
	sub.sent_at_ms  = 1;
	sub.approvals   = a;
	sub.n_approvals = 2;
	ck_assert_int_eq(tally_submission_encode(&sub, &buf, &len), TALLY_OK);
	ck_assert_int_eq(
	    tally_submission_decode(cat, buf, len, &got, &eb), TALLY_OK);
	free(buf);
	ck_assert_uint_eq(got->n_approvals, 2);
	ck_assert_int_eq(memcmp(&got->approvals[0], &a[0], sizeof(a[0])), 0);
	ck_assert_int_eq(memcmp(&got->approvals[1], &a[1], sizeof(a[1])), 0);
	tally_submission_free(got);
	got = NULL;

	a[0].digest[3] = 'X';
	ck_assert_int_eq(tally_submission_encode(&sub, &buf, &len), TALLY_OK);
	ck_assert_int_ne(
	    tally_submission_decode(cat, buf, len, &got, &eb), TALLY_OK);
	ck_assert_ptr_null(got);
	ck_assert_ptr_nonnull(strstr(eb.text, "approvals[0].digest"));
	free(buf);
}
END_TEST

static void
put_row(struct tally_store *st, const char *region, const char *period,
    long long version)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
	    "INSERT INTO region_state (indicator, period, region, via,"
	    " version, sum_a, sum_b, leaves, newest, first_received_at,"
	    " received_at) VALUES ('mfg_pass_rate', '%s', '%s', '%s', %lld,"
	    " 90, 100, 1, '%s', 1, 1)",
	    period, region, region, version, period);
	ck_assert_int_eq(
	    sqlite3_exec(tally_store_handle(st), sql, NULL, NULL, NULL),
	    SQLITE_OK);
}

/* What an approval covers, how it holds, reopens, and what the uplink
 * sends, on a real store of city 130100. */
START_TEST(test_store_rows)
{
	struct tally_store          *st = NULL;
	struct tally_errbuf          eb = { "" };
	struct tally_approval_state *s  = NULL;
	struct tally_approval        a, got, *list = NULL;
	char                         dir[256], path[300], why[160];
	size_t                       n    = 0;
	int64_t                      mark = 0;
	bool                         any  = true;

	testlib_tmpdir(dir, sizeof(dir), "approval");
	snprintf(path, sizeof(path), "%s/hub.db", dir);
	ck_assert_int_eq(
	    tally_store_create(path, cat, "130100", &st, &eb), TALLY_OK);
	put_row(st, "130102", "2020", 10);
	put_row(st, "130102", "2020-03", 11);
	put_row(st, "130102", "2021", 12);
	put_row(st, "130103", "2020", 13);
	ck_assert_int_eq(
	    tally_approval_collect(st, cat, "130102", "2020", &s, &n),
	    TALLY_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(s[0].period, "2020");
	ck_assert_str_eq(s[1].period, "2020-03");
	free(s);

	ck_assert_int_eq(tally_approval_in_force(st, "130100", &any), 0);
	ck_assert(!any);
	sample(&a);
	ck_assert_int_eq(tally_store_begin(st), TALLY_OK);
	ck_assert_int_eq(tally_approval_put(st, &a), TALLY_OK);
	ck_assert_int_eq(tally_store_commit(st), TALLY_OK);
	ck_assert_int_eq(tally_approval_in_force(st, "130100", &any), 0);
	ck_assert(any);
	/* A month inside: covered; another year or county: not. */
	ck_assert_int_eq(tally_approval_covering(
	                     st, cat, "130100", "130102", "2020-03", &got),
	    TALLY_OK);
	ck_assert_int_eq(
	    tally_approval_covering(st, cat, "130100", "130102", "2021", &got),
	    TALLY_ENOENT);
	ck_assert_int_eq(
	    tally_approval_covering(st, cat, "130100", "130103", "2020", &got),
	    TALLY_ENOENT);
	/* A new version is held, the version held is not (the store
	 * answers it: duplicate), an older one neither (stale). */
	ck_assert(tally_approval_holds(st, cat, "130100", "130102",
	    "mfg_pass_rate", "2020-03", 20, why, sizeof(why)));
	ck_assert_ptr_nonnull(
	    strstr(why, "2020 of 130102 was approved by 130100 at 2026-"));
	ck_assert_ptr_nonnull(strstr(why, "; ask 130100 to reopen it"));
	ck_assert(!tally_approval_holds(st, cat, "130100", "130102",
	    "mfg_pass_rate", "2020-03", 11, why, sizeof(why)));
	ck_assert(!tally_approval_holds(st, cat, "130100", "130102",
	    "mfg_pass_rate", "2020-03", 5, why, sizeof(why)));
	ck_assert(tally_approval_holds(st, cat, "130100", "130102",
	    "mfg_pass_rate", "2020-07", 1, why, sizeof(why)));

	/* The uplink sends it once. */
	ck_assert_int_eq(tally_approval_pending(
	                     st, "parent", "130000", 100, &list, &n, &mark),
	    0);
	ck_assert_uint_eq(n, 1);
	free(list);
	ck_assert_int_eq(tally_approval_sent(st, "parent", mark), 0);
	ck_assert_int_eq(tally_approval_pending(
	                     st, "parent", "130000", 100, &list, &n, &mark),
	    0);
	ck_assert_uint_eq(n, 0);
	free(list);

	/* Reopened: nothing held, and the reopening goes up. */
	ck_assert_int_eq(tally_approval_reopen(st, "130100", "130102", "2020",
	                     a.approved_ms + 5, "更正"),
	    TALLY_OK);
	ck_assert_int_eq(tally_approval_reopen(st, "130100", "130102", "2020",
	                     a.approved_ms + 6, "again"),
	    TALLY_ENOENT);
	ck_assert(!tally_approval_holds(st, cat, "130100", "130102",
	    "mfg_pass_rate", "2020-03", 20, why, sizeof(why)));
	ck_assert_int_eq(tally_approval_pending(
	                     st, "parent", "130000", 100, &list, &n, &mark),
	    0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(list[0].reopened_ms, a.approved_ms + 5);
	ck_assert_str_eq(list[0].reopen_reason, "更正");
	free(list);
	tally_store_close(st);
	testlib_rmdir(dir);
}
END_TEST

static Suite *
approval_suite(void)
{
	Suite *s  = suite_create("approval");
	TCase *tc = tcase_create("approval");

	tcase_add_checked_fixture(tc, load_catalog, free_catalog);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_digest_reference);
	tcase_add_test(tc, test_digest_every_field);
	tcase_add_test(tc, test_signature);
	tcase_add_test(tc, test_wire);
	tcase_add_test(tc, test_store_rows);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_run(approval_suite());
}

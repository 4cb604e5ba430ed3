/*
 * Region groups and comparison hubs. Unit tests of the new validation
 * (group names, member lists, common standards, a submission addressed to
 * a group, a group's store refusing to be a region's and the other way
 * round), then protocol tests against a real comparison hub: `tally-hub
 * run --group` is started on an ipc:// socket in a temporary directory
 * and spoken to with crafted submissions, so that each admission rule is
 * checked on the acknowledgement and then in the hub's database.
 *
 * Usage: test_group PATH-TO-TALLY-HUB
 */
#include "catalog.h"
#include "group.h"
#include "store.h"
#include "wire.h"

#include "testlib.h"

#include <check.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char           *hub_bin;
static struct tally_catalog *cat;
static char                  dir[64];
static char                  url[256];
static char                  db[256];
static pid_t                 hub_pid;

static void
load_catalog(void)
{
	cat = testlib_catalog();
	testlib_tmpdir(dir, sizeof(dir), "group");
	snprintf(url, sizeof(url), "ipc://%s/hub.sock", dir);
	snprintf(db, sizeof(db), "%s/hub.db", dir);
}

static void
free_catalog(void)
{
	testlib_rmdir(dir);
	tally_catalog_free(cat);
}

/* --- validation ----------------------------------------------------- */

START_TEST(test_group_names)
{
	char name[64];

	ck_assert(tally_group_name_valid("jingjinji"));
	ck_assert(tally_group_name_valid("a"));
	ck_assert(tally_group_name_valid("yangtze_delta_2"));
	/* A region code is never a group name, nor is anything that does
	 * not start with a lowercase letter. */
	ck_assert(!tally_group_name_valid("110000"));
	ck_assert(!tally_group_name_valid("2group"));
	ck_assert(!tally_group_name_valid("_x"));
	ck_assert(!tally_group_name_valid("Jingjinji"));
	ck_assert(!tally_group_name_valid("jing-jin-ji"));
	ck_assert(!tally_group_name_valid("jing jin"));
	ck_assert(!tally_group_name_valid("京津冀"));
	ck_assert(!tally_group_name_valid(""));
	ck_assert(!tally_group_name_valid(NULL));
	memset(name, 'a', sizeof(name));
	name[TALLY_GROUP_STRLEN - 1] = '\0';
	ck_assert(tally_group_name_valid(name));
	name[TALLY_GROUP_STRLEN - 1] = 'a';
	name[TALLY_GROUP_STRLEN]     = '\0';
	ck_assert(!tally_group_name_valid(name));
}
END_TEST

static void
expect_bad_group(const char *name, const char *members, const char *want)
{
	struct tally_group  g;
	struct tally_errbuf eb = { "" };

	memset(&g, 0x5A, sizeof(g));
	ck_assert_int_eq(
	    tally_group_parse(cat, name, members, &g, &eb), TALLY_EINVAL);
	ck_assert_msg(
	    strstr(eb.text, want) != NULL, "'%s' lacks '%s'", eb.text, want);
	/* Nothing is written on failure. */
	ck_assert_int_eq(((unsigned char *) &g)[0], 0x5A);
}

START_TEST(test_group_members)
{
	struct tally_group  g;
	struct tally_errbuf eb = { "" };
	char                text[TALLY_GROUP_MEMBERS_TEXT];

	ck_assert_int_eq(tally_group_parse(cat, "jingjinji",
	                     " 110000, 120000 ,130000", &g, &eb),
	    TALLY_OK);
	ck_assert_str_eq(g.name, "jingjinji");
	ck_assert_uint_eq(g.n_members, 3);
	ck_assert_int_eq(tally_group_member_index(&g, "120000"), 1);
	ck_assert_int_eq(tally_group_member_index(&g, "140000"), -1);
	tally_group_members_text(&g, text, sizeof(text));
	ck_assert_str_eq(text, "110000,120000,130000");
	/* Cities can be compared too, as long as all are cities. */
	ck_assert_int_eq(
	    tally_group_parse(cat, "hebei_south", "130400,130500", &g, &eb),
	    TALLY_OK);

	expect_bad_group("Jing", "110000,120000", "group name 'Jing'");
	expect_bad_group("110000", "110000,120000", "group name");
	expect_bad_group("jjj", "110000,999999", "unknown region code 999999");
	expect_bad_group("jjj", "110000,12000x", "is not a region code");
	expect_bad_group("jjj", "110000,,120000", "is not a region code");
	expect_bad_group(
	    "jjj", "110000,1200001234567890123", "is not a region code");
	expect_bad_group("jjj", "110000,130100", "of one level");
	expect_bad_group("jjj", "110000,120000,110000", "listed twice");
	expect_bad_group("jjj", "110000", "at least two");
	expect_bad_group("jjj", "", "at least two");
}
END_TEST

START_TEST(test_standards)
{
	struct tally_standards s, back;
	struct tally_errbuf    eb = { "" };
	const size_t           k =
	    (size_t) (tally_catalog_indicator(cat, "mfg_pass_rate") -
	        cat->indicators);
	char *text = NULL, *again = NULL;

	ck_assert_int_eq(tally_standards_init(&s, cat), TALLY_OK);
	ck_assert_int_eq(
	    tally_standards_set(&s, cat, "mfg_pass_rate", "strictest", &eb),
	    TALLY_OK);
	ck_assert_int_eq(s.items[k].rule, TALLY_STANDARD_STRICTEST);
	ck_assert_int_eq(
	    tally_standards_set(&s, cat, "agri_pass_rate", "97.25", &eb),
	    TALLY_OK);
	ck_assert_int_eq(
	    tally_standards_set(&s, cat, "nope", "1", &eb), TALLY_EINVAL);
	ck_assert(strstr(eb.text, "unknown indicator 'nope'") != NULL);
	ck_assert_int_eq(
	    tally_standards_set(&s, cat, "agri_pass_rate", "strict", &eb),
	    TALLY_EINVAL);
	ck_assert(strstr(eb.text, "neither 'strictest' nor a number") != NULL);
	ck_assert_int_eq(
	    tally_standards_set(&s, cat, "agri_pass_rate", "nan", &eb),
	    TALLY_EINVAL);
	/* The text form goes back to the same standards. */
	ck_assert_int_eq(tally_standards_text(&s, cat, &text), TALLY_OK);
	ck_assert_str_eq(text, "mfg_pass_rate=strictest,agri_pass_rate=97.25");
	ck_assert_int_eq(tally_standards_init(&back, cat), TALLY_OK);
	ck_assert_int_eq(
	    tally_standards_parse(&back, cat, text, &eb), TALLY_OK);
	ck_assert_int_eq(tally_standards_text(&back, cat, &again), TALLY_OK);
	ck_assert_str_eq(again, text);
	ck_assert_int_eq(
	    tally_standards_parse(&back, cat, "mfg_pass_rate", &eb),
	    TALLY_EINVAL);
	free(text);
	free(again);
	tally_standards_fini(&s);
	tally_standards_fini(&back);
}
END_TEST

/* A valid state of one region, for crafted submissions. */
static struct tally_wire_state
state(const char *indicator, const char *period, double a, double b,
    uint32_t leaves, uint64_t version, const char *region)
{
	struct tally_wire_state ws;
	double                  v;

	memset(&ws, 0, sizeof(ws));
	ws.ind = tally_catalog_indicator(cat, indicator);
	ck_assert_ptr_nonnull(ws.ind);
	ck_assert_int_eq(tally_period_parse(period, &ws.period), 0);
	tally_state_init(&ws.state);
	ws.state.sum_a      = a;
	ws.state.sum_b      = b;
	ws.state.leaves     = leaves;
	ws.state.has_newest = true;
	ws.state.newest     = ws.period;
	if (tally_state_value(&ws.state, ws.ind, &v) == 0) {
		/* The extremes name a leaf: the first one below region, as
		 * a hub holds a node to (admit.h). */
		const struct tally_division *d =
		    tally_catalog_division(cat, region);

		ck_assert_ptr_nonnull(d);
		while (d->first_child != TALLY_NO_INDEX) {
			d = &cat->divisions[d->first_child];
		}
		ws.state.has_minmax = true;
		ws.state.min_value  = v;
		ws.state.max_value  = v;
		strcpy(ws.state.min_region, d->code);
		strcpy(ws.state.max_region, d->code);
	}
	ws.version = version;
	return ws;
}

static void
encode(const char *sender, const char *hub, struct tally_wire_state *states,
    size_t n, uint8_t **buf, size_t *len)
{
	struct tally_submission sub;

	memset(&sub, 0, sizeof(sub));
	snprintf(sub.sender, sizeof(sub.sender), "%s", sender);
	snprintf(sub.hub, sizeof(sub.hub), "%s", hub);
	sub.sender_version = 1;
	sub.sent_at_ms     = 1;
	sub.states         = states;
	sub.n_states       = n;
	ck_assert_int_eq(tally_submission_encode(&sub, buf, len), 0);
}

START_TEST(test_wire_group_address)
{
	struct tally_wire_state  a[1];
	struct tally_submission *sub = NULL;
	struct tally_errbuf      eb  = { "" };
	uint8_t                 *buf;
	size_t                   len;
	char                     longname[TALLY_GROUP_STRLEN];

	a[0] = state("mfg_pass_rate", "2020", 5, 10, 16, 1, "110000");
	encode("110000", "jingjinji", a, 1, &buf, &len);
	ck_assert_int_eq(
	    tally_submission_decode(cat, buf, len, &sub, &eb), TALLY_OK);
	ck_assert_str_eq(sub->hub, "jingjinji");
	ck_assert_int_eq(sub->states[0].status, TALLY_ACK_NONE);
	tally_submission_free(sub);
	free(buf);
	/* The longest name fits whole. */
	memset(longname, 'j', sizeof(longname));
	longname[sizeof(longname) - 1] = '\0';
	encode("110000", longname, a, 1, &buf, &len);
	ck_assert_int_eq(
	    tally_submission_decode(cat, buf, len, &sub, &eb), TALLY_OK);
	ck_assert_str_eq(sub->hub, longname);
	tally_submission_free(sub);
	free(buf);
	/* Neither a region code nor a group name: refused whole. The
	 * encoder cuts the hub to the field's size, so over-long names are
	 * checked in the decoder's own terms by test_group_names. */
	encode("110000", "Jingjinji", a, 1, &buf, &len);
	sub = NULL;
	ck_assert_int_eq(
	    tally_submission_decode(cat, buf, len, &sub, &eb), TALLY_EPROTO);
	ck_assert_ptr_null(sub);
	ck_assert_msg(
	    strstr(eb.text, "not a region code or group name"), "%s", eb.text);
	free(buf);
	encode("110000", "jing-jin-ji", a, 1, &buf, &len);
	ck_assert_int_eq(
	    tally_submission_decode(cat, buf, len, &sub, &eb), TALLY_EPROTO);
	free(buf);
	/* The sender must still be a region code. */
	encode("jingjinji", "jingjinji", a, 1, &buf, &len);
	ck_assert_int_eq(
	    tally_submission_decode(cat, buf, len, &sub, &eb), TALLY_EPROTO);
	free(buf);
}
END_TEST

START_TEST(test_store_kinds)
{
	struct tally_store     *st = NULL;
	struct tally_errbuf     eb = { "" };
	struct tally_wire_state ws;
	struct tally_state      pooled;
	struct tally_period     p;
	uint64_t                v;
	int                     status;
	char                    rdb[300], *text = NULL;

	ck_assert_int_eq(tally_store_create_group(db, cat, "jingjinji",
	                     "110000,120000,130000", &st, &eb),
	    TALLY_OK);
	ck_assert_str_eq(tally_store_group(st), "jingjinji");
	ck_assert_str_eq(
	    tally_store_group_members(st), "110000,120000,130000");
	ck_assert_str_eq(tally_store_region(st), "");
	/* Two members' own states pool by their sums. */
	ws = state("mfg_pass_rate", "2020", 10, 20, 16, 5, "110000");
	ck_assert_int_eq(tally_store_begin(st), TALLY_OK);
	ck_assert_int_eq(
	    tally_store_put_state(st, "110000", &ws, &status), TALLY_OK);
	ck_assert_int_eq(status, TALLY_ACK_ACCEPTED);
	ws = state("mfg_pass_rate", "2020", 970, 980, 16, 9, "120000");
	ck_assert_int_eq(
	    tally_store_put_state(st, "120000", &ws, &status), TALLY_OK);
	ck_assert_int_eq(
	    tally_store_set_group_standards(st, "mfg_pass_rate=strictest"),
	    TALLY_OK);
	ck_assert_int_eq(tally_store_commit(st), TALLY_OK);
	ck_assert_int_eq(tally_period_parse("2020", &p), 0);
	ck_assert_int_eq(tally_store_snapshot(st,
	                     tally_catalog_indicator(cat, "mfg_pass_rate"), &p,
	                     &pooled, &v),
	    TALLY_OK);
	ck_assert_double_eq(pooled.sum_a, 980);
	ck_assert_double_eq(pooled.sum_b, 1000);
	ck_assert_uint_eq(pooled.leaves, 32);
	tally_store_close(st);

	/* Each kind of store refuses to be opened as the other. */
	st = NULL;
	ck_assert_int_eq(tally_store_open(db, cat, &st, &eb), TALLY_ECONFIG);
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(eb.text, "comparison group jingjinji") != NULL,
	    "%s", eb.text);
	ck_assert_int_eq(tally_store_open_group(db, cat, &st, &eb), TALLY_OK);
	ck_assert_int_eq(tally_store_group_standards(st, &text), TALLY_OK);
	ck_assert_str_eq(text, "mfg_pass_rate=strictest");
	free(text);
	tally_store_close(st);
	snprintf(rdb, sizeof(rdb), "%s/region.db", dir);
	ck_assert_int_eq(tally_store_create(rdb, cat, "110000", &st, &eb), 0);
	ck_assert_ptr_null(tally_store_group(st));
	ck_assert_int_eq(
	    tally_store_set_group_standards(st, ""), TALLY_EINVAL);
	tally_store_close(st);
	st = NULL;
	ck_assert_int_eq(
	    tally_store_open_group(rdb, cat, &st, &eb), TALLY_ECONFIG);
	ck_assert_ptr_null(st);
	ck_assert_msg(
	    strstr(eb.text, "store of region 110000") != NULL, "%s", eb.text);
	ck_assert_int_eq(tally_store_create_group(
	                     rdb, cat, "other", "110000,120000", &st, &eb),
	    TALLY_EEXIST);
	ck_assert_int_eq(tally_store_create_group(
	                     rdb, cat, "Other", "110000,120000", &st, &eb),
	    TALLY_EINVAL);
}
END_TEST

/* --- a live comparison hub ------------------------------------------ */

/* Runs tally-hub with args (NULL-terminated, after the program name)
 * and waits for it to become ready (it is then hub_pid), or, with
 * want_exit, for it to exit, returning its exit status. */
static int
run_hub(const char *const *args, bool want_exit)
{
	char        ready[300];
	const char *argv[32];
	size_t      n = 0;

	snprintf(ready, sizeof(ready), "%s/ready", dir);
	argv[n++] = hub_bin;
	for (size_t i = 0; args[i] != NULL; i++) {
		argv[n++] = args[i];
	}
	argv[n++] = "--ready-file";
	argv[n++] = ready;
	argv[n]   = NULL;
	if (want_exit) {
		return testlib_exit_status(argv);
	}
	hub_pid = testlib_start(argv, ready);
	return 0;
}

static void
start_group_hub(void)
{
	const char *args[] = { "run", "-q", "--db", db, "--group", "jingjinji",
		"--members", "110000,120000,130000", "--listen", url, NULL };

	run_hub(args, false);
}

static void
hub_setup(void)
{
	load_catalog();
	start_group_hub();
}

static void
hub_teardown(void)
{
	testlib_stop(hub_pid);
	free_catalog();
}

static struct tally_ack *
submit(const char *sender, const char *hub, struct tally_wire_state *states,
    size_t n)
{
	nng_socket          s;
	nng_msg            *msg;
	struct tally_ack   *ack = NULL;
	struct tally_errbuf eb  = { "" };
	uint8_t            *buf;
	size_t              len;

	encode(sender, hub, states, n, &buf, &len);
	ck_assert_int_eq(nng_req0_open(&s), 0);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 5000);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 5000);
	ck_assert_int_eq(nng_dial(s, url, NULL, 0), 0);
	ck_assert_int_eq(nng_msg_alloc(&msg, 0), 0);
	ck_assert_int_eq(nng_msg_append(msg, buf, len), 0);
	ck_assert_int_eq(nng_sendmsg(s, msg, 0), 0);
	ck_assert_int_eq(nng_recvmsg(s, &msg, 0), 0);
	ck_assert_int_eq(
	    tally_ack_decode(nng_msg_body(msg), nng_msg_len(msg), &ack, &eb),
	    0);
	nng_msg_free(msg);
	nng_close(s);
	free(buf);
	return ack;
}

/* What the hub's database holds for region (a member's own state) or,
 * with region NULL, the group's pooled figure. */
static bool
held(const char *region, const char *period, struct tally_state *out)
{
	struct tally_store           *st;
	struct tally_errbuf           eb = { "" };
	struct tally_period           p;
	struct tally_region_state     rs;
	const struct tally_indicator *ind =
	    tally_catalog_indicator(cat, "mfg_pass_rate");
	uint64_t v;
	bool     found;

	ck_assert_int_eq(tally_store_open_group(db, cat, &st, &eb), 0);
	ck_assert_int_eq(tally_period_parse(period, &p), 0);
	if (region == NULL) {
		found = tally_store_snapshot(st, ind, &p, out, &v) == TALLY_OK;
	} else {
		found = tally_store_region_state(st, region, ind, &p, &rs) ==
		    TALLY_OK;
		if (found) {
			*out = rs.state;
		}
	}
	tally_store_close(st);
	return found;
}

START_TEST(test_members_only)
{
	struct tally_wire_state a[2];
	struct tally_ack       *ack;
	struct tally_state      s;

	a[0] = state("mfg_pass_rate", "2020", 90, 100, 16, 10, "110000");
	ack  = submit("110000", "jingjinji", a, 1);
	ck_assert(!ack->has_error);
	ck_assert_int_eq(ack->items[0].status, TALLY_ACK_ACCEPTED);
	tally_ack_free(ack);
	a[0] = state("mfg_pass_rate", "2020", 950, 1000, 167, 20, "130000");
	ack  = submit("130000", "jingjinji", a, 1);
	ck_assert_int_eq(ack->items[0].status, TALLY_ACK_ACCEPTED);
	tally_ack_free(ack);

	/* Shanxi is no member: its snapshot is refused whole, with the
	 * reason, and changes nothing. */
	a[0] = state("mfg_pass_rate", "2020", 1, 100, 117, 30, "140000");
	ack  = submit("140000", "jingjinji", a, 1);
	ck_assert(ack->has_error);
	ck_assert_msg(strstr(ack->error,
	                  "region 140000 is not a member of group "
	                  "jingjinji") != NULL,
	    "%s", ack->error);
	ck_assert_uint_eq(ack->n_items, 0);
	tally_ack_free(ack);
	ck_assert(!held("140000", "2020", &s));
	/* A member addressing another group, or a region's hub: refused. */
	a[0] = state("mfg_pass_rate", "2020", 1, 100, 16, 31, "120000");
	ack  = submit("120000", "yangtze", a, 1);
	ck_assert(ack->has_error);
	ck_assert_msg(strstr(ack->error,
	                  "addressed to hub yangtze, this is "
	                  "group jingjinji") != NULL,
	    "%s", ack->error);
	tally_ack_free(ack);
	ack = submit("120000", "120000", a, 1);
	ck_assert(ack->has_error);
	tally_ack_free(ack);
	ck_assert(!held("120000", "2020", &s));

	/* A member forwarding a region below it: that state is rejected on
	 * its own, the member's own state in the same submission is taken. */
	a[0] = state("mfg_pass_rate", "2020", 97, 100, 16, 40, "120000");
	a[1] = state("mfg_pass_rate", "2020", 9, 10, 1, 40, "120101");
	strcpy(a[1].region, "120101");
	ack = submit("120000", "jingjinji", a, 2);
	ck_assert(!ack->has_error);
	ck_assert_int_eq(ack->items[0].status, TALLY_ACK_ACCEPTED);
	ck_assert_int_eq(ack->items[1].status, TALLY_ACK_REJECTED);
	ck_assert_str_eq(ack->items[1].region, "120101");
	ck_assert_msg(strstr(ack->items[1].reason,
	                  "only a member's own figures are compared") != NULL,
	    "%s", ack->items[1].reason);
	tally_ack_free(ack);
	ck_assert(!held("120101", "2020", &s));
	/* Even a state naming another member is not the sender's own. */
	a[0] = state("mfg_pass_rate", "2020", 1, 100, 16, 50, "110000");
	strcpy(a[0].region, "110000");
	ack = submit("120000", "jingjinji", a, 1);
	ck_assert_int_eq(ack->items[0].status, TALLY_ACK_REJECTED);
	tally_ack_free(ack);

	/* Each member's own state is held as sent, and the pooled figure is
	 * the ratio of the sums: (90 + 97 + 950) / (100 + 100 + 1000). */
	ck_assert(held("110000", "2020", &s));
	ck_assert_double_eq(s.sum_a, 90);
	ck_assert(held("120000", "2020", &s));
	ck_assert_double_eq(s.sum_a, 97);
	ck_assert(held(NULL, "2020", &s));
	ck_assert_double_eq(s.sum_a, 90 + 97 + 950);
	ck_assert_double_eq(s.sum_b, 100 + 100 + 1000);
	ck_assert_uint_eq(s.leaves, 16 + 16 + 167);

	/* A correction from a member moves the pool by the difference. */
	a[0] = state("mfg_pass_rate", "2020", 80, 100, 16, 11, "110000");
	ack  = submit("110000", "jingjinji", a, 1);
	ck_assert_int_eq(ack->items[0].status, TALLY_ACK_ACCEPTED);
	tally_ack_free(ack);
	ck_assert(held(NULL, "2020", &s));
	ck_assert_double_eq(s.sum_a, 80 + 97 + 950);
}
END_TEST

START_TEST(test_database_kinds)
{
	char rdb[300], url2[300];
	char other_db[300];

	/* The comparison hub's database is refused as a region's hub's, as
	 * another group's, and for other members; and a region's database
	 * is refused as a group's. Each refusal is a configuration error
	 * (78) before the hub listens. */
	snprintf(url2, sizeof(url2), "ipc://%s/other.sock", dir);
	{
		const char *args[] = { "run", "-q", "--db", db, "--region",
			"110000", "--listen", url2, NULL };
		ck_assert_int_eq(run_hub(args, true), 78);
	}
	{
		const char *args[] = { "run", "-q", "--db", db, "--group",
			"yangtze", "--members", "110000,120000,130000",
			"--listen", url2, NULL };
		ck_assert_int_eq(run_hub(args, true), 78);
	}
	{
		const char *args[] = { "run", "-q", "--db", db, "--group",
			"jingjinji", "--members", "110000,120000", "--listen",
			url2, NULL };
		ck_assert_int_eq(run_hub(args, true), 78);
	}
	snprintf(rdb, sizeof(rdb), "%s/region.db", dir);
	{
		struct tally_store *st = NULL;
		struct tally_errbuf eb = { "" };

		ck_assert_int_eq(
		    tally_store_create(rdb, cat, "110000", &st, &eb), 0);
		tally_store_close(st);
	}
	{
		const char *args[] = { "run", "-q", "--db", rdb, "--group",
			"jingjinji", "--members", "110000,120000,130000",
			"--listen", url2, NULL };
		ck_assert_int_eq(run_hub(args, true), 78);
	}
	/* A comparison hub has no parent and reports to no other group;
	 * bad members are a configuration error too. */
	snprintf(other_db, sizeof(other_db), "%s/other.db", dir);
	{
		const char *args[] = { "run", "-q", "--db", other_db,
			"--group", "jingjinji", "--members",
			"110000,120000,130000", "--listen", url2, "--parent",
			url, NULL };
		ck_assert_int_eq(run_hub(args, true), 64);
	}
	{
		const char *args[] = { "run", "-q", "--db", other_db,
			"--group", "jingjinji", "--members", "110000,130100",
			"--listen", url2, NULL };
		ck_assert_int_eq(run_hub(args, true), 78);
	}
	{
		struct stat sb;

		ck_assert_int_ne(stat(other_db, &sb), 0);
	}
}
END_TEST

int
main(int argc, char **argv)
{
	Suite *s  = suite_create("group");
	TCase *tu = tcase_create("validation");
	TCase *th = tcase_create("hub");

	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-TALLY-HUB\n", argv[0]);
		return 64;
	}
	hub_bin = argv[1];
	tcase_add_checked_fixture(tu, load_catalog, free_catalog);
	tcase_add_test(tu, test_group_names);
	tcase_add_test(tu, test_group_members);
	tcase_add_test(tu, test_standards);
	tcase_add_test(tu, test_wire_group_address);
	tcase_add_test(tu, test_store_kinds);
	suite_add_tcase(s, tu);
	tcase_add_checked_fixture(th, hub_setup, hub_teardown);
	tcase_set_timeout(th, 60);
	tcase_add_test(th, test_members_only);
	tcase_add_test(th, test_database_kinds);
	suite_add_tcase(s, th);
	return testlib_run(s);
}

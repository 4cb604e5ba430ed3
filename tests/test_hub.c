/*
 * Protocol tests against a real tally-hub process: the hub is started on
 * an ipc:// socket in a temporary directory and spoken to with an NNG REQ
 * socket and the wire codec, so each rule of docs/rollup.md's "Submissions" is
 * checked on the acknowledgement itself and then in the hub's database.
 */
#include "catalog.h"
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
start_hub(const char *region)
{
	char        ready[300];
	const char *argv[] = { hub_bin, "run", "-q", "--db", db, "--region",
		region, "--listen", url, "--ready-file", ready, NULL };

	snprintf(ready, sizeof(ready), "%s/ready", dir);
	hub_pid = testlib_start(argv, ready);
}

static void
setup(void)
{
	cat = testlib_catalog();
	testlib_tmpdir(dir, sizeof(dir), "hub");
	snprintf(url, sizeof(url), "ipc://%s/hub.sock", dir);
	snprintf(db, sizeof(db), "%s/hub.db", dir);
	start_hub("130100");
}

static void
teardown(void)
{
	testlib_stop(hub_pid);
	testlib_rmdir(dir);
	tally_catalog_free(cat);
}

/* Sends raw bytes and returns the decoded acknowledgement, or NULL when
 * none came within timeout_ms. */
static struct tally_ack *
send_raw(const uint8_t *buf, size_t len, int timeout_ms)
{
	nng_socket          s;
	nng_msg            *msg;
	struct tally_ack   *ack = NULL;
	struct tally_errbuf eb  = { "" };

	ck_assert_int_eq(nng_req0_open(&s), 0);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, timeout_ms);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, timeout_ms);
	ck_assert_int_eq(nng_dial(s, url, NULL, 0), 0);
	ck_assert_int_eq(nng_msg_alloc(&msg, 0), 0);
	ck_assert_int_eq(nng_msg_append(msg, buf, len), 0);
	ck_assert_int_eq(nng_sendmsg(s, msg, 0), 0);
	if (nng_recvmsg(s, &msg, 0) == 0) {
		ck_assert_int_eq(tally_ack_decode(nng_msg_body(msg),
		                     nng_msg_len(msg), &ack, &eb),
		    0);
		nng_msg_free(msg);
	}
	nng_close(s);
	return ack;
}

static struct tally_wire_state
state(const char *indicator, const char *period, double a, double b,
    uint64_t version, const char *region)
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
	ws.state.leaves     = 1;
	ws.state.has_newest = true;
	ws.state.newest     = ws.period;
	if (tally_state_value(&ws.state, ws.ind, &v) == 0) {
		ws.state.has_minmax = true;
		ws.state.min_value  = v;
		ws.state.max_value  = v;
		strcpy(ws.state.min_region, region);
		strcpy(ws.state.max_region, region);
	}
	ws.version = version;
	return ws;
}

static struct tally_ack *
submit(const char *sender, const char *hub, struct tally_wire_state *states,
    size_t n)
{
	struct tally_submission sub;
	struct tally_ack       *ack;
	uint8_t                *buf;
	size_t                  len;

	memset(&sub, 0, sizeof(sub));
	strcpy(sub.sender, sender);
	strcpy(sub.hub, hub);
	sub.sender_version = 1;
	sub.sent_at_ms     = 1;
	sub.states         = states;
	sub.n_states       = n;
	ck_assert_int_eq(tally_submission_encode(&sub, &buf, &len), 0);
	ack = send_raw(buf, len, 5000);
	free(buf);
	ck_assert_ptr_nonnull(ack);
	return ack;
}

/* The hub's figure for its own region, read from its database file while
 * it runs, as `tally-hub report` does. */
static bool
hub_figure(const char *indicator, const char *period, struct tally_state *s)
{
	struct tally_store *st;
	struct tally_errbuf eb = { "" };
	struct tally_period p;
	uint64_t            v;
	bool                found;

	ck_assert_int_eq(tally_store_open(db, cat, &st, &eb), 0);
	ck_assert_int_eq(tally_period_parse(period, &p), 0);
	found =
	    tally_store_snapshot(st, tally_catalog_indicator(cat, indicator),
	        &p, s, &v) == TALLY_OK;
	tally_store_close(st);
	return found;
}

START_TEST(test_versions_decide)
{
	struct tally_wire_state a[2], b[1];
	struct tally_ack       *ack;
	struct tally_state      s;
	char                    instance[TALLY_WIRE_TEXT_MAX];

	/* Two counties of 石家庄: 10 batches at 50%, 990 at 100%. */
	a[0] = state("mfg_pass_rate", "2020", 5, 10, 100, "130102");
	ack  = submit("130102", "130100", a, 1);
	ck_assert(!ack->has_error);
	ck_assert_uint_eq(ack->n_items, 1);
	ck_assert_int_eq(ack->items[0].status, TALLY_ACK_ACCEPTED);
	ck_assert_uint_eq(strlen(ack->hub_instance), 32);
	strcpy(instance, ack->hub_instance);
	tally_ack_free(ack);
	b[0] = state("mfg_pass_rate", "2020", 990, 990, 7, "130104");
	ack  = submit("130104", "130100", b, 1);
	ck_assert_int_eq(ack->items[0].status, TALLY_ACK_ACCEPTED);
	tally_ack_free(ack);
	ck_assert(hub_figure("mfg_pass_rate", "2020", &s));
	ck_assert_double_eq(s.sum_a, 995);
	ck_assert_double_eq(s.sum_b, 1000);
	ck_assert_uint_eq(s.leaves, 2);

	/* The same version again: a duplicate that changes nothing. */
	ack = submit("130102", "130100", a, 1);
	ck_assert_int_eq(ack->items[0].status, TALLY_ACK_DUPLICATE);
	ck_assert_str_eq(ack->hub_instance, instance);
	tally_ack_free(ack);
	/* An older version with other figures: stale, ignored. */
	a[0] = state("mfg_pass_rate", "2020", 1, 10, 99, "130102");
	ack  = submit("130102", "130100", a, 1);
	ck_assert_int_eq(ack->items[0].status, TALLY_ACK_STALE);
	tally_ack_free(ack);
	ck_assert(hub_figure("mfg_pass_rate", "2020", &s));
	ck_assert_double_eq(s.sum_a, 995);

	/* A newer version is a correction: the total moves by exactly the
	 * difference (5 -> 8 passed). */
	a[0] = state("mfg_pass_rate", "2020", 8, 10, 101, "130102");
	a[1] = state("industrial_brand_products", "2020", 4, 0, 101, "130102");
	ack  = submit("130102", "130100", a, 2);
	ck_assert_int_eq(ack->items[0].status, TALLY_ACK_ACCEPTED);
	ck_assert_int_eq(ack->items[1].status, TALLY_ACK_ACCEPTED);
	tally_ack_free(ack);
	ck_assert(hub_figure("mfg_pass_rate", "2020", &s));
	ck_assert_double_eq(s.sum_a, 998);
	ck_assert_double_eq(s.sum_b, 1000);
	ck_assert_double_eq(s.min_value, 80);
	ck_assert_str_eq(s.min_region, "130102");

	/* Acknowledged means committed: a restarted hub still has it, with
	 * the same instance id. */
	testlib_stop(hub_pid);
	start_hub("130100");
	ck_assert(hub_figure("mfg_pass_rate", "2020", &s));
	ck_assert_double_eq(s.sum_a, 998);
	ack = submit("130102", "130100", a, 2);
	ck_assert_int_eq(ack->items[0].status, TALLY_ACK_DUPLICATE);
	ck_assert_str_eq(ack->hub_instance, instance);
	tally_ack_free(ack);
}
END_TEST

START_TEST(test_refusals)
{
	struct tally_wire_state a[2];
	struct tally_ack       *ack;
	struct tally_state      s;
	uint8_t                 junk[64];

	a[0] = state("mfg_pass_rate", "2020", 5, 10, 1, "130202");
	/* 唐山's county is not a child of 石家庄. */
	ack = submit("130202", "130100", a, 1);
	ck_assert(ack->has_error);
	ck_assert_msg(strstr(ack->error, "not a direct child") != NULL, "%s",
	    ack->error);
	ck_assert_uint_eq(ack->n_items, 0);
	tally_ack_free(ack);
	/* Nor is the province itself, nor a grandchild's parent's sibling. */
	ack = submit("130000", "130100", a, 1);
	ck_assert(ack->has_error);
	tally_ack_free(ack);
	/* Addressed to another hub. */
	ack = submit("130102", "130200", a, 1);
	ck_assert(ack->has_error);
	ck_assert(strstr(ack->error, "addressed to hub 130200") != NULL);
	tally_ack_free(ack);
	ck_assert(!hub_figure("mfg_pass_rate", "2020", &s));

	/* A bad state is rejected alone, with its reason; the good one in
	 * the same submission is taken. */
	a[0] = state("mfg_pass_rate", "2020", 5, 10, 1, "130102");
	a[1] = state("mfg_pass_rate", "2020Q1", 5, 10, 1, "130102");
	a[1].period.index = 5; /* encodes as the impossible "2020Q5" */
	ack               = submit("130102", "130100", a, 2);
	ck_assert(!ack->has_error);
	ck_assert_int_eq(ack->items[0].status, TALLY_ACK_ACCEPTED);
	ck_assert_int_eq(ack->items[1].status, TALLY_ACK_REJECTED);
	ck_assert_str_eq(ack->items[1].reason, "malformed period");
	tally_ack_free(ack);
	ck_assert(hub_figure("mfg_pass_rate", "2020", &s));
	ck_assert_double_eq(s.sum_a, 5);

	/* Bytes that are no envelope at all. */
	memset(junk, 0xFF, sizeof(junk));
	ack = send_raw(junk, sizeof(junk), 5000);
	ck_assert_ptr_nonnull(ack);
	ck_assert(ack->has_error);
	ck_assert(strstr(ack->error, "malformed") != NULL);
	tally_ack_free(ack);
}
END_TEST

START_TEST(test_oversize_is_dropped)
{
	size_t                  len = TALLY_WIRE_MSG_MAX + 4096;
	uint8_t                *big = calloc(1, len);
	struct tally_ack       *ack;
	struct tally_wire_state a[1];
	nng_socket              s;
	nng_msg                *msg;

	/* Over NNG_OPT_RECVMAXSZ the listener drops the connection before
	 * reading the message into memory, so no acknowledgement can come.
	 * A raw REQ socket sends it once: a cooked one would resend it on
	 * every reconnection. */
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(nng_req0_open_raw(&s), 0);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 2000);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 500);
	ck_assert_int_eq(nng_dial(s, url, NULL, 0), 0);
	ck_assert_int_eq(nng_msg_alloc(&msg, 0), 0);
	/* A raw request carries its own request id, high bit set. */
	ck_assert_int_eq(nng_msg_header_append_u32(msg, 0x80000001u), 0);
	ck_assert_int_eq(nng_msg_append(msg, big, len), 0);
	ck_assert_int_eq(nng_sendmsg(s, msg, 0), 0);
	ck_assert_int_eq(nng_recvmsg(s, &msg, 0), NNG_ETIMEDOUT);
	nng_close(s);
	free(big);
	/* And the hub goes on serving. */
	a[0] = state("mfg_pass_rate", "2020", 5, 10, 1, "130102");
	ack  = submit("130102", "130100", a, 1);
	ck_assert_int_eq(ack->items[0].status, TALLY_ACK_ACCEPTED);
	tally_ack_free(ack);
}
END_TEST

START_TEST(test_refuses_other_region_store)
{
	int   status;
	pid_t pid;
	char  url2[300];

	/* The store at db belongs to 130100: a hub for 130200 must refuse
	 * it rather than mix two regions' data. */
	snprintf(url2, sizeof(url2), "ipc://%s/other.sock", dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl(hub_bin, hub_bin, "run", "-q", "--db", db, "--region",
		    "130200", "--listen", url2, (char *) NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 78);
}
END_TEST

/* Milliseconds now, for checking the times a hub gives a state. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(test_forwarded_states)
{
	struct tally_wire_state   a[3];
	struct tally_ack         *ack;
	struct tally_state        s;
	struct tally_store       *st;
	struct tally_region_state rs;
	struct tally_errbuf       eb = { "" };
	struct tally_period       p;
	char                      path[300];
	int64_t                   before;

	/* A province hub, to which 石家庄 forwards its counties' states. */
	testlib_stop(hub_pid);
	unlink(db);
	snprintf(path, sizeof(path), "%s-wal", db);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", db);
	unlink(path);
	start_hub("130000");

	a[0] = state("mfg_pass_rate", "2020", 900, 1000, 10, "130102");
	a[1] = state("mfg_pass_rate", "2020", 50, 100, 5, "130102");
	strcpy(a[1].region, "130102");
	a[1].first_received_ms = 1600000000000;
	a[1].received_ms       = 1600000100000;
	/* 130202 is 唐山's: 石家庄 cannot speak for it. */
	a[2] = state("mfg_pass_rate", "2020", 1, 100, 5, "130202");
	strcpy(a[2].region, "130202");
	ack = submit("130100", "130000", a, 3);
	ck_assert(!ack->has_error);
	ck_assert_int_eq(ack->items[0].status, TALLY_ACK_ACCEPTED);
	ck_assert_str_eq(ack->items[0].region, "");
	ck_assert_int_eq(ack->items[1].status, TALLY_ACK_ACCEPTED);
	ck_assert_str_eq(ack->items[1].region, "130102");
	ck_assert_int_eq(ack->items[2].status, TALLY_ACK_REJECTED);
	ck_assert_msg(strstr(ack->items[2].reason, "not below") != NULL, "%s",
	    ack->items[2].reason);
	tally_ack_free(ack);

	/* The province's figure is the city's own state alone: a county's
	 * state is held to be shown, never added a second time. */
	ck_assert(hub_figure("mfg_pass_rate", "2020", &s));
	ck_assert_double_eq(s.sum_a, 900);
	ck_assert_double_eq(s.sum_b, 1000);

	/* The county's state is held, with the times at which the city hub
	 * received it, and the city it came through. */
	ck_assert_int_eq(tally_store_open(db, cat, &st, &eb), 0);
	ck_assert_int_eq(tally_period_parse("2020", &p), 0);
	ck_assert_int_eq(
	    tally_store_region_state(st, "130102",
	        tally_catalog_indicator(cat, "mfg_pass_rate"), &p, &rs),
	    0);
	ck_assert_double_eq(rs.state.sum_a, 50);
	ck_assert_str_eq(rs.via, "130100");
	ck_assert_int_eq(rs.first_received_ms, 1600000000000);
	ck_assert_int_eq(rs.received_ms, 1600000100000);
	ck_assert_int_eq(
	    tally_store_region_state(st, "130202",
	        tally_catalog_indicator(cat, "mfg_pass_rate"), &p, &rs),
	    TALLY_ENOENT);
	tally_store_close(st);

	/* Forwarded states follow the version rule too. */
	ack = submit("130100", "130000", &a[1], 1);
	ck_assert_int_eq(ack->items[0].status, TALLY_ACK_DUPLICATE);
	tally_ack_free(ack);
	a[1].version = 4;
	ack          = submit("130100", "130000", &a[1], 1);
	ck_assert_int_eq(ack->items[0].status, TALLY_ACK_STALE);
	tally_ack_free(ack);

	/* A child's own state is timed by the hub, whatever times it claims
	 * for itself. */
	a[0].version = 11;
	strcpy(a[0].region, "130100");
	a[0].first_received_ms = 1000;
	a[0].received_ms       = 1000;
	before                 = now_ms();
	ack                    = submit("130100", "130000", a, 1);
	ck_assert_int_eq(ack->items[0].status, TALLY_ACK_ACCEPTED);
	tally_ack_free(ack);
	ck_assert_int_eq(tally_store_open(db, cat, &st, &eb), 0);
	ck_assert_int_eq(
	    tally_store_region_state(st, "130100",
	        tally_catalog_indicator(cat, "mfg_pass_rate"), &p, &rs),
	    0);
	ck_assert_int_ge(rs.received_ms, before);
	ck_assert_int_ge(rs.first_received_ms, before - 60000);
	tally_store_close(st);
}
END_TEST

static Suite *
hub_suite(void)
{
	Suite *s  = suite_create("hub");
	TCase *tc = tcase_create("protocol");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_versions_decide);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_oversize_is_dropped);
	tcase_add_test(tc, test_refuses_other_region_store);
	tcase_add_test(tc, test_forwarded_states);
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_hub PATH-TO-TALLY-HUB\n");
		return 2;
	}
	hub_bin = argv[1];
	return testlib_run(hub_suite());
}

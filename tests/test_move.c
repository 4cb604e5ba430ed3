/*
 * A moving county is counted exactly once by its province at every step
 * of a change of parent, not only once the change has settled
 * (docs/redistricting.md). Real stores on SQLite files in a temporary
 * directory stand for 杭州 330100 (A), 宁波 330200 (B), their province 330000
 * and three counties: 桐庐 330122 (C), which moves from A to B from 2020-07,
 * 上城区 330102 under A and 海曙区 330203 under B. States go from store to
 * store as an uplink and a hub pass them (pending, put, acknowledged), one
 * delivery at a time, so every order in which the totals of the two cities
 * can arrive is taken on purpose, and after each delivery the province's
 * figure must equal the sums of the counties' raw observations, computed
 * here from the raw numbers alone. The stores get division_changes.csv one
 * by one, as an operator restarts the hubs, in two orders.
 */
#include "catalog.h"
#include "errors.h"
#include "period.h"
#include "rollup.h"
#include "store.h"
#include "wire.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_COUNTIES 3
#define N_MONTHS   12

static const char *const counties[N_COUNTIES] = { "330122", "330102",
	"330203" };
/* The parent of each county in divisions.csv. */
static const char *const base_parent[N_COUNTIES] = { "330100", "330100",
	"330200" };

/* The raw observations: per county, indicator (0 ratio summed over time,
 * 1 stock taking the latest month) and month, num/den or value; den 0
 * means no observation. */
static const char *const indicators[2] = { "mfg_pass_rate",
	"industrial_brand_products" };
static double            raw_num[N_COUNTIES][2][N_MONTHS];
static double            raw_den[N_COUNTIES][2][N_MONTHS];
/* The raw numbers before the last observation recorded. */
static double prev_num[N_COUNTIES][2][N_MONTHS];
static double prev_den[N_COUNTIES][2][N_MONTHS];

static char                  dir[64];
static struct tally_catalog *cat_before; /* without division_changes.csv */
static struct tally_catalog *cat_after;  /* 330122 to 330200 from 2020-07 */

struct site {
	const char         *region;
	struct tally_store *st;
	char                path[128];
};

static struct site prov, city_a, city_b, node[N_COUNTIES];

static const char *const periods[] = { "2020", "2020Q1", "2020Q2", "2020Q3",
	"2020Q4", "2020-03", "2020-06", "2020-07", "2020-08", "2020-12" };
#define N_PERIODS (sizeof(periods) / sizeof(periods[0]))

static void
make_data_dir(const char *name, const char *changes)
{
	char  cmd[512];
	FILE *f;

	snprintf(cmd, sizeof(cmd),
	    "mkdir -p '%s/%s' && cp '%s'/indicators.csv '%s'/divisions.csv "
	    "'%s'/targets.csv '%s/%s/'",
	    dir, name, getenv("TALLY_DATA_DIR"), getenv("TALLY_DATA_DIR"),
	    getenv("TALLY_DATA_DIR"), dir, name);
	ck_assert_int_eq(system(cmd), 0);
	if (changes != NULL) {
		snprintf(
		    cmd, sizeof(cmd), "%s/%s/division_changes.csv", dir, name);
		f = fopen(cmd, "w");
		ck_assert_ptr_nonnull(f);
		fprintf(f, "region,parent_code,effective\n%s\n", changes);
		fclose(f);
	}
}

static struct tally_catalog *
load(const char *name)
{
	struct tally_catalog *cat;
	struct tally_errbuf   eb = { "" };
	char                  path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_msg(tally_catalog_load(path, &cat, &eb) == 0, "%s", eb.text);
	return cat;
}

/* Opens (creating it the first time) the site's store with cat, and
 * applies cat's changes as a hub does when it starts. */
static void
open_site(struct site *s, const char *region, const struct tally_catalog *cat)
{
	struct tally_errbuf eb = { "" };
	size_t              changed, held;

	tally_store_close(s->st);
	s->region = region;
	snprintf(s->path, sizeof(s->path), "%s/%s.db", dir, region);
	if (access(s->path, F_OK) == 0) {
		ck_assert_msg(tally_store_open(s->path, cat, &s->st, &eb) == 0,
		    "%s", eb.text);
	} else {
		ck_assert_msg(
		    tally_store_create(s->path, cat, region, &s->st, &eb) == 0,
		    "%s", eb.text);
	}
	ck_assert_int_eq(tally_store_regroup(s->st, &changed, &held), 0);
}

static void
record(int c, int ind, int month, double num, double den)
{
	const struct tally_indicator *in =
	    tally_catalog_indicator(cat_before, indicators[ind]);
	struct tally_errbuf eb = { "" };
	struct tally_obs    o;
	char                text[32];
	int                 outcome;

	memset(&o, 0, sizeof(o));
	snprintf(text, sizeof(text), "2020-%02d", month + 1);
	ck_assert_int_eq(tally_period_parse(text, &o.period), 0);
	if (ind == 0) {
		o.num = num;
		o.den = den;
	} else {
		o.value = num;
	}
	ck_assert_int_eq(tally_store_begin(node[c].st), 0);
	ck_assert_msg(tally_store_put(node[c].st, in, &o, &outcome, &eb) == 0,
	    "%s", eb.text);
	ck_assert_int_eq(tally_store_commit(node[c].st), 0);
	memcpy(prev_num, raw_num, sizeof(raw_num));
	memcpy(prev_den, raw_den, sizeof(raw_den));
	raw_num[c][ind][month] = num;
	raw_den[c][ind][month] = den;
}

/* Passes every state pending from `from` for the hub `to` on the uplink
 * named after `to`, and records the answers, as one push does. */
static void
deliver(struct site *from, struct site *to)
{
	struct tally_wire_state *arr = NULL;
	size_t                   n   = 0;
	int                     *status;

	ck_assert_int_eq(tally_store_pending_to(from->st, to->region,
	                     to->region, 100000, true, &arr, &n),
	    0);
	status = calloc(n + 1, sizeof(*status));
	ck_assert_int_eq(tally_store_begin(to->st), 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(tally_store_put_state(to->st, from->region,
		                     &arr[i], &status[i]),
		    0);
	}
	ck_assert_int_eq(tally_store_commit(to->st), 0);
	ck_assert_int_eq(tally_store_begin(from->st), 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(
		    tally_store_acked(from->st, to->region, arr[i].region,
		        arr[i].indicator, arr[i].period_text, arr[i].version,
		        status[i]),
		    0);
	}
	ck_assert_int_eq(tally_store_commit(from->st), 0);
	free(status);
	free(arr);
}

/* What the county's node does with a hub per parent: each period goes to
 * the parent for that period (all to A without the file). */
static void
push_county(int c)
{
	deliver(&node[c], &city_a);
	deliver(&node[c], &city_b);
}

/* The flat figure of the counties in `which` for (ind, period), from the
 * raw numbers: Σnum and Σden over the months for the ratio, each
 * county's latest month for the stock, then summed over the counties. */
static void
flat(const bool which[N_COUNTIES], int ind, const char             *period,
    double (*num)[2][N_MONTHS], double (*den)[2][N_MONTHS], double *a,
    double *b, unsigned *leaves)
{
	struct tally_period p;
	int                 first, last;

	ck_assert_int_eq(tally_period_parse(period, &p), 0);
	first   = tally_period_first_month(&p) % 12;
	last    = tally_period_last_month(&p) % 12;
	*a      = 0;
	*b      = 0;
	*leaves = 0;
	for (int c = 0; c < N_COUNTIES; c++) {
		int latest = -1;

		if (!which[c]) {
			continue;
		}
		for (int m = first; m <= last; m++) {
			if (den[c][ind][m] == 0) {
				continue;
			}
			latest = m;
			if (ind == 0) {
				*a += num[c][ind][m];
				*b += den[c][ind][m];
			}
		}
		if (latest >= 0) {
			(*leaves)++;
			if (ind == 1) {
				*a += num[c][ind][latest];
			}
		}
	}
}

static bool
equals_flat(const struct tally_state *s, bool found,
    const bool which[N_COUNTIES], int ind, const char *period,
    double (*num)[2][N_MONTHS], double (*den)[2][N_MONTHS])
{
	double   a, b;
	unsigned leaves;

	flat(which, ind, period, num, den, &a, &b, &leaves);
	if (leaves == 0) {
		return !found || s->leaves == 0;
	}
	return found && s->leaves == leaves && s->sum_a == a && s->sum_b == b;
}

/* Checks s (found: whether there is one) against the flat figure of the
 * counties in which. With either, it may also be that of the raw data
 * before the last observation: right after a county's new figure it has
 * not reached the province yet, and the province may still show the one
 * before, but never one that counts the county twice or not at all. */
static void
check_state(const struct tally_state *s, bool found,
    const bool which[N_COUNTIES], int ind, const char *period,
    const char *what, const char *step, bool either)
{
	double   a, b;
	unsigned leaves;

	if (either &&
	    equals_flat(s, found, which, ind, period, prev_num, prev_den)) {
		return;
	}
	flat(which, ind, period, raw_num, raw_den, &a, &b, &leaves);
	if (leaves == 0) {
		ck_assert_msg(!found || s->leaves == 0,
		    "%s: %s %s %s: a figure without data", step, what,
		    indicators[ind], period);
		return;
	}
	ck_assert_msg(found, "%s: %s %s %s: no figure", step, what,
	    indicators[ind], period);
	ck_assert_msg(s->leaves == leaves && s->sum_a == a && s->sum_b == b,
	    "%s: %s %s %s: %u leaves, %g/%g; the counties' raw data give %u, "
	    "%g/%g",
	    step, what, indicators[ind], period, s->leaves, s->sum_a, s->sum_b,
	    leaves, a, b);
}

/* The province's own figure for every indicator and period must count
 * each county once: the province holds all three whatever the shape. */
static void
province_figures(const char *step, bool either)
{
	static const bool all[N_COUNTIES] = { true, true, true };

	for (int ind = 0; ind < 2; ind++) {
		for (size_t i = 0; i < N_PERIODS; i++) {
			const struct tally_indicator *in =
			    tally_catalog_indicator(
			        cat_before, indicators[ind]);
			struct tally_period p;
			struct tally_state  s;
			uint64_t            v;
			bool                found;

			ck_assert_int_eq(
			    tally_period_parse(periods[i], &p), 0);
			found = tally_store_snapshot(
			            prov.st, in, &p, &s, &v) == TALLY_OK;
			check_state(&s, found, all, ind, periods[i],
			    "province", step, either);
		}
	}
}

static void
check_province(const char *step)
{
	province_figures(step, false);
}

/* check_province while a new figure is on its way up. */
static void
check_once(const char *step)
{
	province_figures(step, true);
}

/* C records a figure of a period after the change: it goes to B alone,
 * and the province counts C once before and after it arrives. */
static void
new_figure_via_b(int ind, int month, double num, double den, const char *what)
{
	char step[128];

	record(0, ind, month, num, den);
	push_county(0);
	snprintf(step, sizeof(step), "%s, B not yet up", what);
	check_once(step);
	deliver(&city_b, &prov);
	snprintf(step, sizeof(step), "%s, at the province", what);
	check_province(step);
}

/* A report as of now must show what the current one shows, with the
 * regions of the period's shape: the history holds C's states at A for
 * the periods after the change too, from before it. */
static void
same_as_of_now(struct site *site, const struct tally_indicator *in,
    const struct tally_period *p, const char *step)
{
	struct tally_region_state *now = NULL, *then = NULL;
	struct tally_state         s, t;
	size_t                     n_now = 0, n_then = 0;
	uint64_t                   v, w;
	int                        a, b;

	a = tally_store_snapshot(site->st, in, p, &s, &v);
	b = tally_store_snapshot_asof(
	    site->st, in, p, (int64_t) tally_now_ms(), &t, &w);
	ck_assert_msg(a == b &&
	        (a != TALLY_OK ||
	            (v == w && s.sum_a == t.sum_a && s.sum_b == t.sum_b &&
	                s.leaves == t.leaves)),
	    "%s: %s's own figure as of now differs", step, site->region);
	ck_assert_int_eq(
	    tally_store_held_states(site->st, in, p, &now, &n_now), 0);
	ck_assert_int_eq(tally_store_held_states_asof(site->st, in, p,
	                     (int64_t) tally_now_ms(), &then, &n_then),
	    0);
	ck_assert_msg(n_now == n_then,
	    "%s: %s holds %zu regions, %zu as of now", step, site->region,
	    n_now, n_then);
	for (size_t i = 0; i < n_now; i++) {
		ck_assert_str_eq(now[i].region, then[i].region);
		ck_assert_msg(now[i].state.sum_a == then[i].state.sum_a &&
		        now[i].state.sum_b == then[i].state.sum_b &&
		        now[i].state.leaves == then[i].state.leaves,
		    "%s: %s's %s differs as of now", step, site->region,
		    now[i].region);
	}
	free(now);
	free(then);
}

/* The figures of the two cities, as their own hubs and the province show
 * them, follow the shape of each period: C belongs to A for the periods
 * whose last month is before 2020-07, and to B from then on. sites_too
 * also checks the cities' own hubs, which hold C's states only once C has
 * sent them there. */
static void
check_cities(const char *step, bool moved, bool sites_too)
{
	for (int ind = 0; ind < 2; ind++) {
		const struct tally_indicator *in =
		    tally_catalog_indicator(cat_before, indicators[ind]);

		for (size_t i = 0; i < N_PERIODS; i++) {
			struct tally_period       p;
			struct tally_region_state rs;
			struct tally_state        s;
			uint64_t                  v;
			bool                      old, in_a[N_COUNTIES];
			bool                      in_b[N_COUNTIES], found;

			ck_assert_int_eq(
			    tally_period_parse(periods[i], &p), 0);
			old = !moved || tally_period_last_month(&p) % 12 < 6;
			for (int c = 0; c < N_COUNTIES; c++) {
				const char *parent = c == 0
				    ? (old ? "330100" : "330200")
				    : base_parent[c];

				in_a[c] = strcmp(parent, "330100") == 0;
				in_b[c] = !in_a[c];
			}
			found = tally_store_region_state(prov.st, "330100", in,
			            &p, &rs) == TALLY_OK;
			check_state(&rs.state, found, in_a, ind, periods[i],
			    "330100 at the province", step, false);
			found = tally_store_region_state(prov.st, "330200", in,
			            &p, &rs) == TALLY_OK;
			check_state(&rs.state, found, in_b, ind, periods[i],
			    "330200 at the province", step, false);
			if (!sites_too) {
				continue;
			}
			found = tally_store_snapshot(
			            city_a.st, in, &p, &s, &v) == TALLY_OK;
			check_state(&s, found, in_a, ind, periods[i],
			    "330100's own hub", step, false);
			found = tally_store_snapshot(
			            city_b.st, in, &p, &s, &v) == TALLY_OK;
			check_state(&s, found, in_b, ind, periods[i],
			    "330200's own hub", step, false);
			same_as_of_now(&city_a, in, &p, step);
			same_as_of_now(&city_b, in, &p, step);
			same_as_of_now(&prov, in, &p, step);
		}
	}
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/tally-move-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	make_data_dir("before", NULL);
	make_data_dir("after", "330122,330200,2020-07");
	cat_before = load("before");
	cat_after  = load("after");
	memset(raw_num, 0, sizeof(raw_num));
	memset(raw_den, 0, sizeof(raw_den));
	memset(&prov, 0, sizeof(prov));
	memset(&city_a, 0, sizeof(city_a));
	memset(&city_b, 0, sizeof(city_b));
	memset(node, 0, sizeof(node));
}

static void
teardown(void)
{
	char cmd[128];

	tally_store_close(prov.st);
	tally_store_close(city_a.st);
	tally_store_close(city_b.st);
	for (int c = 0; c < N_COUNTIES; c++) {
		tally_store_close(node[c].st);
	}
	tally_catalog_free(cat_before);
	tally_catalog_free(cat_after);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The tree before the change, every county's year recorded month by month
 * and delivered up; the province equals the raw data. */
static void
start_tree(void)
{
	open_site(&prov, "330000", cat_before);
	open_site(&city_a, "330100", cat_before);
	open_site(&city_b, "330200", cat_before);
	for (int c = 0; c < N_COUNTIES; c++) {
		open_site(&node[c], counties[c], cat_before);
		for (int m = 0; m < N_MONTHS; m++) {
			record(c, 0, m, 90 + 7 * c + m % 5, 100 + 10 * c + m);
			if (m % 4 == c % 4) {
				record(c, 1, m, 3 + c + m, 1);
			}
		}
	}
	deliver(&node[0], &city_a);
	deliver(&node[1], &city_a);
	deliver(&node[2], &city_b);
	deliver(&city_a, &prov);
	deliver(&city_b, &prov);
	check_province("before the change");
	check_cities("before the change", false, false);
}

/* The old city first: it leaves C out and its totals reach the province
 * before the province or the new city has the file, then while only the
 * province has it, then before C has sent anything to the new city. */
START_TEST(test_old_city_first)
{
	start_tree();
	open_site(&city_a, "330100", cat_after);
	deliver(&city_a, &prov);
	check_province("A has the file, the province not");
	open_site(&prov, "330000", cat_after);
	check_province("A and the province have the file, B not");
	deliver(&city_a, &prov);
	check_province("A and the province have the file, B not (again)");
	open_site(&city_b, "330200", cat_after);
	check_province("all hubs have the file, B has not sent");
	deliver(&city_b, &prov);
	check_province("all hubs have the file, C has not sent to B");
	check_cities(
	    "all hubs have the file, C has not sent to B", true, false);
	open_site(&node[0], "330122", cat_after);
	deliver(&node[0], &city_b);
	check_province("C sent to B, B not yet to the province");
	deliver(&city_b, &prov);
	check_province("C sent to B and B to the province");
	check_cities("converged", true, true);

	/* Corrections after the change go to the parent of their period. */
	new_figure_via_b(0, 7, 55, 60, "C corrected 2020-08");
	record(0, 0, 2, 11, 20);
	push_county(0);
	deliver(&city_b, &prov);
	check_once("C corrected 2020-03, sent to A, A not yet up");
	deliver(&city_a, &prov);
	check_province("C's 2020-03 correction reached the province");
	check_cities("after corrections", true, true);
}
END_TEST

/* The new city first, and C sends to it before the old city or the
 * province has the file: the new city's totals leave C out, so nothing is
 * counted twice; then the old city, then the province. */
START_TEST(test_new_city_first)
{
	start_tree();
	open_site(&city_b, "330200", cat_after);
	open_site(&node[0], "330122", cat_after);
	deliver(&node[0], &city_b);
	check_province("B and C have the file, B has not sent");
	deliver(&city_b, &prov);
	check_province("B has sent to a province without the file");
	open_site(&city_a, "330100", cat_after);
	deliver(&city_a, &prov);
	check_province("A and B have sent, the province has no file");
	open_site(&prov, "330000", cat_after);
	check_province("the province has the file now");
	deliver(&city_a, &prov);
	deliver(&city_b, &prov);
	check_province("converged");
	check_cities("converged", true, true);

	/* C's new figures reach the province through B alone. */
	new_figure_via_b(1, 10, 40, 1, "C recorded 2020-11");
	check_cities("after C's new month", true, true);

	/* Taking the file away restores the old shape everywhere, with the
	 * same care, in the opposite order. */
	open_site(&city_b, "330200", cat_before);
	deliver(&city_b, &prov);
	check_province("B without the file");
	open_site(&prov, "330000", cat_before);
	check_province("B and the province without the file");
	open_site(&city_a, "330100", cat_before);
	deliver(&city_a, &prov);
	check_once("all without the file, C's 2020-11 not yet at A");
	open_site(&node[0], "330122", cat_before);
	deliver(&node[0], &city_a);
	deliver(&city_a, &prov);
	check_province("all without the file");
	check_cities("all without the file", false, false);
}
END_TEST

/* A store of schema 3 (before states said what they left out) is
 * upgraded in place when it is opened, and keeps its figures. The older
 * schema is made here from a new store with the sqlite3 shell, dropping
 * the columns that schema 4 added. */
START_TEST(test_upgrade_from_3)
{
	const struct tally_indicator *in =
	    tally_catalog_indicator(cat_before, indicators[0]);
	static const bool   only_c[N_COUNTIES] = { true, false, false };
	struct tally_errbuf eb                 = { "" };
	struct tally_period p;
	struct tally_state  s;
	uint64_t            v;
	char                cmd[512];

	open_site(&node[0], counties[0], cat_before);
	record(0, 0, 2, 40, 50);
	tally_store_close(node[0].st);
	node[0].st = NULL;
	snprintf(cmd, sizeof(cmd),
	    "sqlite3 '%s' \"ALTER TABLE snapshot DROP COLUMN leaves_out;"
	    " ALTER TABLE region_state DROP COLUMN leaves_out;"
	    " ALTER TABLE state_history DROP COLUMN leaves_out;"
	    " UPDATE meta SET value = '3' WHERE key = 'schema';\"",
	    node[0].path);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_msg(
	    tally_store_open(node[0].path, cat_before, &node[0].st, &eb) == 0,
	    "%s", eb.text);
	ck_assert_int_eq(tally_period_parse("2020Q1", &p), 0);
	ck_assert_int_eq(tally_store_snapshot(node[0].st, in, &p, &s, &v), 0);
	check_state(&s, true, only_c, 0, "2020Q1", "the upgraded store",
	    "after the upgrade", false);
	record(0, 0, 3, 41, 50);
	tally_store_close(node[0].st);
	node[0].st = NULL;
	snprintf(cmd, sizeof(cmd),
	    "test \"$(sqlite3 '%s' \"SELECT value FROM meta WHERE key = "
	    "'schema'\")\" = 5",
	    node[0].path);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *
move_suite(void)
{
	Suite *s  = suite_create("move");
	TCase *tc = tcase_create("exactly once");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_old_city_first);
	tcase_add_test(tc, test_new_city_first);
	tcase_add_test(tc, test_upgrade_from_3);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(move_suite());
	int      failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * Unit tests of the shared library around the engine: periods, strict
 * number parsing, the reference-data loader and its file:line errors, the
 * wire codec, and the store's versioning and overlap rules.
 */
#include "account.h"
#include "backoff.h"
#include "catalog.h"
#include "errors.h"
#include "period.h"
#include "reply.h"
#include "store.h"
#include "text.h"
#include "wire.h"

#include "tally.pb-c.h"

#include "testlib.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

START_TEST(test_period_parse)
{
	const char *good[] = { "2020", "2020Q1", "2020Q4", "2020-01",
		"2020-12", "1999-07" };
	const char *bad[]  = { "20", "2020-13", "2020Q5", "2020Q0", "2020-00",
		 "2020-1", "2020q1", "2020-01x", "", "abcd", "2020 ", "12345",
		 "0020", "2020-1a", "2020Q" };
	struct tally_period p;
	char                buf[TALLY_PERIOD_STRLEN];

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		ck_assert_int_eq(tally_period_parse(good[i], &p), TALLY_OK);
		tally_period_format(&p, buf);
		ck_assert_str_eq(buf, good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ck_assert_msg(tally_period_parse(bad[i], &p) == TALLY_EINVAL,
		    "'%s' parsed", bad[i]);
	}
}
END_TEST

START_TEST(test_period_nesting)
{
	struct tally_period m, q, y, q2;

	ck_assert_int_eq(tally_period_parse("2020-05", &m), 0);
	ck_assert_int_eq(tally_period_parent(&m, &q), 0);
	ck_assert_int_eq(tally_period_parse("2020Q2", &q2), 0);
	ck_assert(tally_period_equal(&q, &q2));
	ck_assert_int_eq(tally_period_parent(&q, &y), 0);
	ck_assert_int_eq(y.kind, TALLY_PERIOD_YEAR);
	ck_assert_int_eq(tally_period_parent(&y, &q2), TALLY_ENOENT);
	ck_assert(tally_period_contains(&y, &m));
	ck_assert(tally_period_contains(&q, &m));
	ck_assert(tally_period_contains(&m, &m));
	ck_assert(!tally_period_contains(&m, &q));
	ck_assert_int_eq(tally_period_first_month(&q), 2020 * 12 + 3);
	ck_assert_int_eq(tally_period_last_month(&q), 2020 * 12 + 5);
}
END_TEST

START_TEST(test_parse_double)
{
	const char *bad[] = { "", "abc", "nan", "NaN", "inf", "-inf", "1e999",
		"0x10", " 1", "1 ", "1,5", "12abc" };
	double      v;

	ck_assert_int_eq(tally_parse_double("93.5", &v), 0);
	ck_assert_double_eq(v, 93.5);
	ck_assert_int_eq(tally_parse_double("-4e2", &v), 0);
	ck_assert_double_eq(v, -400);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ck_assert_msg(tally_parse_double(bad[i], &v) == TALLY_EINVAL,
		    "'%s' parsed", bad[i]);
	}
}
END_TEST

START_TEST(test_parse_whole)
{
	const char *bad[] = { "", "-", "+", "abc", "1.0", "1e3", " 1", "1 ",
		"0x10", "12abc", "1025", "0", "99999999999999999999" };
	long long   v     = 7;

	ck_assert_int_eq(tally_parse_whole("1024", 1, 1024, &v), 0);
	ck_assert_int_eq(v, 1024);
	ck_assert_int_eq(tally_parse_whole("+3", 1, 1024, &v), 0);
	ck_assert_int_eq(v, 3);
	ck_assert_int_eq(tally_parse_whole("-3", -5, 5, &v), 0);
	ck_assert_int_eq(v, -3);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ck_assert_msg(
		    tally_parse_whole(bad[i], 1, 1024, &v) == TALLY_EINVAL,
		    "'%s' parsed", bad[i]);
		ck_assert_int_eq(v, -3); /* untouched on failure */
	}
}
END_TEST

START_TEST(test_parse_duration)
{
	const char *good[] = { "0", "90", "15m", "1.5h", "2d", "3660d" };
	long long   want[] = { 0, 90, 900, 5400, 172800, 3660LL * 86400 };
	const char *bad[]  = { "", "d", "-1", "2 d", "3 days", "1.5s", "3661d",
		 "2w", "nan", "1e999" };
	long long   v      = 7;
	long long   ten_yrs = 3660LL * 86400;

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		ck_assert_int_eq(
		    tally_parse_duration(good[i], ten_yrs, &v), 0);
		ck_assert_int_eq(v, want[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ck_assert_msg(
		    tally_parse_duration(bad[i], ten_yrs, &v) == TALLY_EINVAL,
		    "'%s' parsed", bad[i]);
		ck_assert_int_eq(v, ten_yrs); /* untouched on failure */
	}
}
END_TEST

START_TEST(test_backoff)
{
	struct tally_backoff b = { 0 };
	int  ceilings[] = { 100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600,
		 30000, 30000 };
	bool differs    = false;
	int  first      = -1;

	for (size_t i = 0; i < sizeof(ceilings) / sizeof(*ceilings); i++) {
		int ms = tally_backoff_next(&b);

		ck_assert_int_ge(ms, ceilings[i] / 2);
		ck_assert_int_le(ms, ceilings[i]);
	}
	/* The jitter is drawn, not fixed: 50 draws at the top are not all
	 * the same (the chance that they are is 15001^-49). */
	for (int i = 0; i < 50; i++) {
		int ms = tally_backoff_next(&b);

		differs = differs || (first >= 0 && ms != first);
		first   = first < 0 ? ms : first;
	}
	ck_assert(differs);
	tally_backoff_reset(&b);
	ck_assert_int_le(tally_backoff_next(&b), 100);
}
END_TEST

START_TEST(test_utf8)
{
	ck_assert(tally_utf8_valid("河北省", strlen("河北省")));
	ck_assert(!tally_utf8_valid("\xC0\xAF", 2));
	ck_assert(!tally_utf8_valid("\xED\xA0\x80", 3));
	ck_assert(!tally_utf8_valid("\xE6\xB2", 2));
}
END_TEST

START_TEST(test_catalog_shipped)
{
	const struct tally_division  *d;
	const struct tally_indicator *ind;

	ck_assert_uint_eq(cat->n_indicators, 50);
	ck_assert_uint_eq(cat->n_divisions, 3223);
	ck_assert_uint_eq(cat->n_targets, 74);
	d = tally_catalog_division(cat, "130000");
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->name, "河北省");
	ck_assert_uint_eq(d->leaves, 167);
	ck_assert_uint_eq(tally_catalog_division(cat, "110000")->leaves, 16);
	ck_assert_uint_eq(tally_catalog_division(cat, "211300")->leaves, 7);
	/* A city without counties is its own leaf. */
	ck_assert_uint_eq(tally_catalog_division(cat, "441900")->leaves, 1);
	ck_assert(tally_catalog_is_child(cat, "130100", "130102"));
	ck_assert(!tally_catalog_is_child(cat, "130000", "130102"));
	ind = tally_catalog_indicator(cat, "mfg_pass_rate");
	ck_assert_ptr_nonnull(ind);
	ck_assert_int_eq(ind->kind, TALLY_KIND_RATIO);
	ck_assert(ind->percent);
	ck_assert_int_eq(
	    tally_catalog_indicator(cat, "invention_patents_per_million")
	        ->percent,
	    0);
	ck_assert_int_eq(
	    tally_catalog_indicator(cat, "industrial_brand_products")
	        ->time_agg,
	    TALLY_TIME_LAST);
	ck_assert_ptr_null(tally_catalog_indicator(cat, "nope"));
}
END_TEST

/* Writes the three files into a new directory, with one of them replaced. */
static char *
write_catalog(const char *which, const char *text)
{
	static const char *names[] = { "indicators.csv", "divisions.csv",
		"targets.csv" };
	char               tmpl[]  = "/tmp/tally-cat-XXXXXX";
	char              *dir     = mkdtemp(tmpl);
	char               src[4096], dst[4096], cmd[8300];

	ck_assert_ptr_nonnull(dir);
	dir = strdup(dir);
	for (size_t i = 0; i < 3; i++) {
		snprintf(dst, sizeof(dst), "%s/%s", dir, names[i]);
		if (strcmp(names[i], which) == 0) {
			FILE *f = fopen(dst, "w");
			ck_assert_ptr_nonnull(f);
			fputs(text, f);
			fclose(f);
		} else {
			snprintf(
			    src, sizeof(src), "%s/%s", cat->dir, names[i]);
			snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, dst);
			ck_assert_int_eq(system(cmd), 0);
		}
	}
	return dir;
}

static void
remove_dir(char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(dir);
}

static void
expect_bad_catalog(const char *which, const char *text, const char *want)
{
	struct tally_catalog *c   = NULL;
	struct tally_errbuf   eb  = { "" };
	char                 *dir = write_catalog(which, text);

	ck_assert_int_eq(tally_catalog_load(dir, &c, &eb), TALLY_ECONFIG);
	ck_assert_ptr_null(c);
	ck_assert_msg(
	    strstr(eb.text, want) != NULL, "'%s' lacks '%s'", eb.text, want);
	remove_dir(dir);
}

START_TEST(test_catalog_malformed)
{
	const char *ih =
	    "id,name_zh,name_en,kind,unit,factor,better,time_agg,note\n";
	char buf[1024];

	expect_bad_catalog("indicators.csv", "id,name\n",
	    "indicators.csv:1: header has 2 columns");
	snprintf(buf, sizeof(buf),
	    "%sa,甲,a,ratio,%%,100,higher,sum,\n"
	    "b,乙,b,average,%%,100,higher,sum,\n",
	    ih);
	expect_bad_catalog(
	    "indicators.csv", buf, "indicators.csv:3: field kind: 'average'");
	snprintf(buf, sizeof(buf), "%sa,甲,a,ratio,%%,zero,higher,sum,\n", ih);
	expect_bad_catalog(
	    "indicators.csv", buf, "indicators.csv:2: field factor");
	snprintf(buf, sizeof(buf),
	    "%sa,甲,a,ratio,%%,100,higher,sum,\n"
	    "a,甲,a,ratio,%%,100,higher,sum,\n",
	    ih);
	expect_bad_catalog(
	    "indicators.csv", buf, "indicators.csv:3: field id: duplicate");
	snprintf(buf, sizeof(buf),
	    "%sa,甲,a,count,x,1,higher,weighted_mean,\n", ih);
	expect_bad_catalog(
	    "indicators.csv", buf, "indicators.csv:2: field time_agg");
	expect_bad_catalog("divisions.csv",
	    "code,name,level,parent_code\n130000,河北省,province,\n"
	    "130100,石家庄市,city,140000\n",
	    "divisions.csv:3: field parent_code: unknown region '140000'");
	expect_bad_catalog("divisions.csv",
	    "code,name,level,parent_code\n130000,河北省,province,\n"
	    "13010,石家庄市,city,130000\n",
	    "divisions.csv:3: field code");
	expect_bad_catalog("divisions.csv",
	    "code,name,level,parent_code\n130000,河北省,province,\n"
	    "130102,长安区,county,130000\n",
	    "divisions.csv:3: field parent_code: '130000' is not a city");
	expect_bad_catalog("divisions.csv",
	    "code,name,level,parent_code\n130000,河北省,province,\n"
	    "130000,河北省,province,\n",
	    "divisions.csv:3: field code: '130000' is duplicate");
	expect_bad_catalog("targets.csv",
	    "region_code,region_name,indicator_id,period,op,value,scope,"
	    "baseline_period,source\n"
	    "130000,河北省,mfg_pass_rate,2020,=>,93.5,total,,x\n",
	    "targets.csv:2: field op");
	expect_bad_catalog("targets.csv",
	    "region_code,region_name,indicator_id,period,op,value,scope,"
	    "baseline_period,source\n"
	    "130000,河北省,pm25_concentration,2020,<=,-40,change_pct,,x\n",
	    "targets.csv:2: field baseline_period");
}
END_TEST

/* A catalogue directory with the shipped files and this
 * division_changes.csv. */
static char *
write_changes(const char *text)
{
	char *dir = write_catalog("none", "");
	char  path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/division_changes.csv", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return dir;
}

static void
expect_bad_changes(const char *rows, const char *want)
{
	struct tally_catalog *c  = NULL;
	struct tally_errbuf   eb = { "" };
	char                  text[1024];
	char                 *dir;

	snprintf(text, sizeof(text), "region,parent_code,effective\n%s", rows);
	dir = write_changes(text);
	ck_assert_int_eq(tally_catalog_load(dir, &c, &eb), TALLY_ECONFIG);
	ck_assert_ptr_null(c);
	ck_assert_msg(
	    strstr(eb.text, want) != NULL, "'%s' lacks '%s'", eb.text, want);
	remove_dir(dir);
}

START_TEST(test_changes_malformed)
{
	char                 *dir;
	struct tally_catalog *c  = NULL;
	struct tally_errbuf   eb = { "" };

	dir = write_changes("region,parent,effective\n");
	ck_assert_int_eq(tally_catalog_load(dir, &c, &eb), TALLY_ECONFIG);
	ck_assert_msg(
	    strstr(eb.text, "division_changes.csv:1: header") != NULL, "%s",
	    eb.text);
	remove_dir(dir);
	expect_bad_changes("330199,330200,2021-07\n",
	    "division_changes.csv:2: field region: unknown region '330199'");
	expect_bad_changes("330000,330200,2021-07\n",
	    "division_changes.csv:2: field region: '330000' is a province");
	expect_bad_changes("330122,330299,2021-07\n",
	    "division_changes.csv:2: field parent_code: unknown region "
	    "'330299'");
	expect_bad_changes("330122,130100,2021-07\n",
	    "division_changes.csv:2: field parent_code: '130100' is not a "
	    "city of the same province");
	expect_bad_changes("330122,330000,2021-07\n",
	    "division_changes.csv:2: field parent_code: '330000' is not a "
	    "city");
	expect_bad_changes("330122,330200,2021Q3\n",
	    "division_changes.csv:2: field effective: '2021Q3' is not a "
	    "month");
	expect_bad_changes("330122,330200,2021-13\n",
	    "division_changes.csv:2: field effective: '2021-13'");
	expect_bad_changes("330122,330200,2021-07\n330122,330100,2021-07\n",
	    "division_changes.csv:3: field effective: 2021-07 is out of "
	    "order");
	expect_bad_changes("330122,330200,2021-07\n330122,330100,2020-01\n",
	    "division_changes.csv:3: field effective: 2020-01 is out of "
	    "order: '330122' already changes parent from 2021-07");
	expect_bad_changes("330122,330100,2021-07\n",
	    "division_changes.csv:2: field parent_code: '330100' is already "
	    "the parent of '330122' in 2021-07");
	expect_bad_changes(
	    "330122,330200\n", "division_changes.csv:2: 2 fields");
}
END_TEST

/* What a region leaves out of its states and who adds it instead
 * (catalog.h): with 桐庐 moving from 杭州 to 宁波, both cities leave it
 * out for every period, the province and the county itself leave nothing
 * out, and only the province adds it, whichever city holds it then. */
START_TEST(test_changes_leave_out)
{
	struct tally_catalog *c  = NULL;
	struct tally_errbuf   eb = { "" };
	struct tally_period   jun, jul;
	char                  text[TALLY_LEAVES_OUT_STRLEN];
	char                  rows[4096];
	size_t                len = 0, n = 0;
	char                 *dir;

	dir = write_changes(
	    "region,parent_code,effective\n330122,330200,2021-07\n");
	ck_assert_msg(tally_catalog_load(dir, &c, &eb) == 0, "%s", eb.text);
	ck_assert_int_eq(tally_period_parse("2021-06", &jun), 0);
	ck_assert_int_eq(tally_period_parse("2021-07", &jul), 0);
	tally_catalog_leaves_out_text(c, "330100", text);
	ck_assert_str_eq(text, "330122");
	tally_catalog_leaves_out_text(c, "330200", text);
	ck_assert_str_eq(text, "330122");
	tally_catalog_leaves_out_text(c, "330000", text);
	ck_assert_str_eq(text, "");
	tally_catalog_leaves_out_text(c, "330122", text);
	ck_assert_str_eq(text, "");
	tally_catalog_leaves_out_text(c, "130100", text);
	ck_assert_str_eq(text, "");
	ck_assert(tally_catalog_leaves_out(c, "330100", "330122"));
	ck_assert(!tally_catalog_leaves_out(c, "330100", "330102"));
	ck_assert(!tally_catalog_leaves_out(c, "330000", "330122"));
	ck_assert(tally_catalog_absorbs(c, "330000", "330122", &jun));
	ck_assert(tally_catalog_absorbs(c, "330000", "330122", &jul));
	ck_assert(!tally_catalog_absorbs(c, "330100", "330122", &jun));
	ck_assert(!tally_catalog_absorbs(c, "330200", "330122", &jul));
	ck_assert(!tally_catalog_absorbs(c, "330000", "330102", &jun));
	tally_catalog_free(c);
	remove_dir(dir);

	/* What a region leaves out travels in a bounded field: a file that
	 * would have 杭州 leave out a 17th county is refused at that row. */
	c = NULL;
	ck_assert_int_eq(tally_catalog_load_default(&c, &eb), 0);
	rows[0] = '\0';
	for (size_t k = 0; k < c->n_divisions && n < 17; k++) {
		const struct tally_division *d = &c->divisions[k];

		if (d->level == TALLY_LEVEL_COUNTY &&
		    strncmp(d->code, "33", 2) == 0 &&
		    strcmp(d->parent_code, "330100") != 0) {
			len +=
			    (size_t) snprintf(rows + len, sizeof(rows) - len,
			        "%s,330100,2021-07\n", d->code);
			n++;
		}
	}
	tally_catalog_free(c);
	ck_assert_int_eq(n, 17);
	expect_bad_changes(rows,
	    "division_changes.csv:18: field region: more than 16 moving "
	    "regions would lie below '330100' for some periods only");
}
END_TEST

static struct tally_period
period_of(const char *text)
{
	struct tally_period p;

	ck_assert_int_eq(tally_period_parse(text, &p), TALLY_OK);
	return p;
}

static const char *
parent_in(const struct tally_catalog *c, const char *code, const char *period)
{
	struct tally_period p = period_of(period);

	return tally_catalog_parent_for(c, code, &p);
}

/* The children of code for period, in order, as "a b c". */
static void
children_in(const struct tally_catalog *c, const char *code,
    const char *period, char *buf, size_t len)
{
	struct tally_period p = period_of(period);
	size_t k = (size_t) (tally_catalog_division(c, code) - c->divisions);

	buf[0] = '\0';
	for (size_t i = tally_catalog_next_child_for(c, k, TALLY_NO_INDEX, &p);
	     i != TALLY_NO_INDEX;
	     i = tally_catalog_next_child_for(c, k, i, &p)) {
		size_t used = strlen(buf);

		snprintf(buf + used, len - used, "%s%s", used ? " " : "",
		    c->divisions[i].code);
	}
}

START_TEST(test_changes_parent_for)
{
	struct tally_catalog *c  = NULL;
	struct tally_errbuf   eb = { "" };
	struct tally_period   p;
	char                  kids[1024];
	char                 *dir;
	size_t                hz, nb, zj;
	size_t                hz_leaves, nb_leaves, zj_leaves;

	/* 桐庐 moves from 杭州 to 宁波 from 2021-07 and back from 2023-01;
	 * 淳安 moves once. Comments and the order of regions are free. */
	dir = write_changes("region,parent_code,effective\n"
	                    "# a note, with commas\n"
	                    "330122,330200,2021-07\n"
	                    "330127,330200,2022-04\n"
	                    "330122,330100,2023-01\n");
	ck_assert_msg(
	    tally_catalog_load(dir, &c, &eb) == TALLY_OK, "%s", eb.text);
	remove_dir(dir);
	ck_assert_uint_eq(c->n_changes, 3);
	/* A period belongs to the parent in force in its last month. */
	ck_assert_str_eq(parent_in(c, "330122", "2020"), "330100");
	ck_assert_str_eq(parent_in(c, "330122", "2021-06"), "330100");
	ck_assert_str_eq(parent_in(c, "330122", "2021Q2"), "330100");
	ck_assert_str_eq(parent_in(c, "330122", "2021-07"), "330200");
	ck_assert_str_eq(parent_in(c, "330122", "2021Q3"), "330200");
	ck_assert_str_eq(parent_in(c, "330122", "2021"), "330200");
	ck_assert_str_eq(parent_in(c, "330122", "2022-12"), "330200");
	ck_assert_str_eq(parent_in(c, "330122", "2023-01"), "330100");
	ck_assert_str_eq(parent_in(c, "330122", "2023"), "330100");
	ck_assert_str_eq(parent_in(c, "330127", "2022Q1"), "330100");
	ck_assert_str_eq(parent_in(c, "330127", "2022Q2"), "330200");
	ck_assert_str_eq(parent_in(c, "330102", "2022"), "330100");
	ck_assert_ptr_null(parent_in(c, "330000", "2022"));
	ck_assert_ptr_null(parent_in(c, "999999", "2022"));
	p = period_of("2021-08");
	ck_assert(tally_catalog_is_child_for(c, "330200", "330122", &p));
	ck_assert(!tally_catalog_is_child_for(c, "330100", "330122", &p));
	ck_assert(tally_catalog_is_below_for(c, "330000", "330122", &p));
	ck_assert(!tally_catalog_is_below_for(c, "330100", "330122", &p));
	p = period_of("2021-06");
	ck_assert(tally_catalog_is_below_for(c, "330100", "330122", &p));
	ck_assert(tally_catalog_is_child_ever(c, "330200", "330122"));
	ck_assert(tally_catalog_is_child_ever(c, "330100", "330122"));
	ck_assert(!tally_catalog_is_child_ever(c, "330300", "330122"));
	ck_assert(tally_catalog_is_below_ever(c, "330200", "330122"));
	ck_assert(!tally_catalog_is_below_ever(c, "330300", "330122"));
	ck_assert(tally_catalog_moves(c, "330122"));
	ck_assert(!tally_catalog_moves(c, "330102"));
	/* The tree itself is the one of divisions.csv. */
	ck_assert(tally_catalog_is_child(c, "330100", "330122"));

	/* Children in code order, moved-in ones among them. */
	children_in(c, "330200", "2021-06", kids, sizeof(kids));
	ck_assert_ptr_null(strstr(kids, "330122"));
	children_in(c, "330200", "2021-07", kids, sizeof(kids));
	ck_assert_msg(strncmp(kids, "330122 330203 ", 14) == 0, "%s", kids);
	children_in(c, "330200", "2022Q2", kids, sizeof(kids));
	ck_assert_msg(
	    strncmp(kids, "330122 330127 330203 ", 21) == 0, "%s", kids);
	children_in(c, "330100", "2021-07", kids, sizeof(kids));
	ck_assert_ptr_null(strstr(kids, "330122"));
	ck_assert_ptr_nonnull(strstr(kids, "330112 330113 330114 330127"));

	hz = (size_t) (tally_catalog_division(c, "330100") - c->divisions);
	nb = (size_t) (tally_catalog_division(c, "330200") - c->divisions);
	zj = (size_t) (tally_catalog_division(c, "330000") - c->divisions);
	hz_leaves = c->divisions[hz].leaves;
	nb_leaves = c->divisions[nb].leaves;
	zj_leaves = c->divisions[zj].leaves;
	p         = period_of("2021Q2");
	ck_assert_uint_eq(tally_catalog_leaves_for(c, hz, &p), hz_leaves);
	ck_assert_uint_eq(tally_catalog_leaves_for(c, nb, &p), nb_leaves);
	p = period_of("2022");
	ck_assert_uint_eq(tally_catalog_leaves_for(c, hz, &p), hz_leaves - 2);
	ck_assert_uint_eq(tally_catalog_leaves_for(c, nb, &p), nb_leaves + 2);
	/* The province counts every county once, whatever the shape. */
	ck_assert_uint_eq(tally_catalog_leaves_for(c, zj, &p), zj_leaves);
	ck_assert_uint_eq(tally_catalog_leaves_for(c, hz, NULL), hz_leaves);
	tally_catalog_free(c);
}
END_TEST

static struct tally_wire_state
sample_state(const char *indicator, const char *period)
{
	struct tally_wire_state ws;

	memset(&ws, 0, sizeof(ws));
	ws.ind = tally_catalog_indicator(cat, indicator);
	ck_assert_ptr_nonnull(ws.ind);
	ck_assert_int_eq(tally_period_parse(period, &ws.period), 0);
	tally_state_init(&ws.state);
	ws.state.sum_a      = 151234;
	ws.state.sum_b      = 161556;
	ws.state.leaves     = 20;
	ws.state.has_minmax = true;
	ws.state.min_value  = 80.5;
	ws.state.max_value  = 99.9;
	strcpy(ws.state.min_region, "130102");
	strcpy(ws.state.max_region, "130184");
	ws.state.has_newest = true;
	ws.state.newest     = ws.period;
	ws.version          = 42;
	return ws;
}

START_TEST(test_wire_submission_roundtrip)
{
	struct tally_wire_state states[2];
	struct tally_submission sub, *got = NULL;
	struct tally_errbuf     eb = { "" };
	uint8_t                *buf;
	size_t                  len;

	states[0] = sample_state("mfg_pass_rate", "2020");
	states[1] = sample_state("industrial_brand_products", "2020Q3");
	states[1].state.sum_b = 0;
	memset(&sub, 0, sizeof(sub));
	strcpy(sub.sender, "130100");
	strcpy(sub.hub, "130000");
	sub.sender_version = 42;
	sub.sent_at_ms     = 1700000000000;
	sub.states         = states;
	sub.n_states       = 2;
	ck_assert_int_eq(tally_submission_encode(&sub, &buf, &len), 0);
	ck_assert_int_eq(
	    tally_submission_decode(cat, buf, len, &got, &eb), TALLY_OK);
	ck_assert_str_eq(got->sender, "130100");
	ck_assert_str_eq(got->hub, "130000");
	ck_assert_uint_eq(got->n_states, 2);
	ck_assert_int_eq(got->states[0].status, TALLY_ACK_NONE);
	ck_assert_ptr_eq(got->states[0].ind, states[0].ind);
	ck_assert_double_eq(got->states[0].state.sum_a, 151234);
	ck_assert_double_eq(got->states[0].state.sum_b, 161556);
	ck_assert_uint_eq(got->states[0].state.leaves, 20);
	ck_assert_str_eq(got->states[0].state.min_region, "130102");
	ck_assert_str_eq(got->states[0].state.max_region, "130184");
	ck_assert_uint_eq(got->states[0].version, 42);
	ck_assert_int_eq(got->states[1].status, TALLY_ACK_NONE);
	tally_submission_free(got);
	free(buf);

	/* A negative sum, and a count with a second sum, are refused state
	 * by state: the submission itself stands. */
	states[1].state.sum_b = 5;
	states[0].state.sum_a = -1;
	ck_assert_int_eq(tally_submission_encode(&sub, &buf, &len), 0);
	ck_assert_int_eq(
	    tally_submission_decode(cat, buf, len, &got, &eb), TALLY_OK);
	ck_assert_int_eq(got->states[0].status, TALLY_ACK_REJECTED);
	ck_assert_str_eq(got->states[0].indicator, "mfg_pass_rate");
	ck_assert_int_eq(got->states[1].status, TALLY_ACK_REJECTED);
	ck_assert(strstr(got->states[1].reason, "count") != NULL);
	tally_submission_free(got);

	/* Truncated bytes, oversize input and unknown fields. */
	ck_assert_int_eq(tally_submission_decode(cat, buf, len - 3, &got, &eb),
	    TALLY_EPROTO);
	ck_assert_int_eq(tally_submission_decode(
	                     cat, buf, TALLY_WIRE_MSG_MAX + 1, &got, &eb),
	    TALLY_EPROTO);
	{
		uint8_t *big = malloc(len + 2);
		memcpy(big, buf, len);
		big[len]     = (15 << 3) | 0; /* field 15, varint */
		big[len + 1] = 1;
		ck_assert_int_eq(
		    tally_submission_decode(cat, big, len + 2, &got, &eb),
		    TALLY_EPROTO);
		ck_assert(strstr(eb.text, "unknown field") != NULL);
		free(big);
	}
	free(buf);
}
END_TEST

START_TEST(test_wire_ack_roundtrip)
{
	struct tally_ack_item items[2];
	struct tally_ack      ack, *got = NULL;
	struct tally_errbuf   eb = { "" };
	uint8_t              *buf;
	size_t                len;

	memset(&ack, 0, sizeof(ack));
	memset(items, 0, sizeof(items));
	strcpy(ack.hub_instance, "0123456789abcdef0123456789abcdef");
	strcpy(items[0].indicator, "mfg_pass_rate");
	strcpy(items[0].period, "2020");
	items[0].version = 7;
	items[0].status  = TALLY_ACK_DUPLICATE;
	strcpy(items[1].indicator, "nope");
	strcpy(items[1].period, "2020");
	items[1].version = 8;
	items[1].status  = TALLY_ACK_REJECTED;
	strcpy(items[1].reason, "unknown indicator");
	ack.items   = items;
	ack.n_items = 2;
	ck_assert_int_eq(tally_ack_encode(&ack, &buf, &len), 0);
	ck_assert_int_eq(tally_ack_decode(buf, len, &got, &eb), TALLY_OK);
	ck_assert_str_eq(got->hub_instance, ack.hub_instance);
	ck_assert(!got->has_error);
	ck_assert_uint_eq(got->n_items, 2);
	ck_assert_int_eq(got->items[0].status, TALLY_ACK_DUPLICATE);
	ck_assert_uint_eq(got->items[1].version, 8);
	ck_assert_str_eq(got->items[1].reason, "unknown indicator");
	tally_ack_free(got);
	free(buf);
}
END_TEST

START_TEST(test_store_versions_and_overlap)
{
	char                          tmpl[] = "/tmp/tally-store-XXXXXX";
	char                         *dir    = mkdtemp(tmpl);
	char                          path[4200];
	struct tally_store           *st = NULL, *again = NULL;
	struct tally_errbuf           eb = { "" };
	const struct tally_indicator *ind =
	    tally_catalog_indicator(cat, "mfg_pass_rate");
	struct tally_obs    o;
	struct tally_period y;
	uint64_t            v1, v2, v3;
	int                 outcome;

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof(path), "%s/a.db", dir);
	ck_assert_int_eq(
	    tally_store_create(path, cat, "999999", &st, &eb), TALLY_ENOENT);
	ck_assert_int_eq(tally_store_create(path, cat, "130102", &st, &eb), 0);
	ck_assert_int_eq(tally_store_create(path, cat, "130102", &again, &eb),
	    TALLY_EEXIST);
	ck_assert_str_eq(tally_store_region(st), "130102");
	ck_assert_uint_eq(strlen(tally_store_instance_id(st)), 32);

	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(tally_period_parse("2020-03", &o.period), 0);
	ck_assert_int_eq(tally_period_parse("2020", &y), 0);
	o.num = 90;
	o.den = 100;
	ck_assert_int_eq(tally_store_begin(st), 0);
	ck_assert_int_eq(tally_store_put(st, ind, &o, &outcome, &eb), 0);
	ck_assert_int_eq(tally_store_commit(st), 0);
	ck_assert_int_eq(outcome, TALLY_PUT_NEW);
	ck_assert_int_eq(tally_store_snapshot_version(st, ind, &y, &v1), 0);

	ck_assert_int_eq(tally_store_begin(st), 0);
	ck_assert_int_eq(tally_store_put(st, ind, &o, &outcome, &eb), 0);
	ck_assert_int_eq(tally_store_commit(st), 0);
	ck_assert_int_eq(outcome, TALLY_PUT_UNCHANGED);
	ck_assert_int_eq(tally_store_snapshot_version(st, ind, &y, &v2), 0);
	ck_assert_uint_eq(v1, v2);

	o.num = 91;
	ck_assert_int_eq(tally_store_begin(st), 0);
	ck_assert_int_eq(tally_store_put(st, ind, &o, &outcome, &eb), 0);
	ck_assert_int_eq(tally_store_commit(st), 0);
	ck_assert_int_eq(outcome, TALLY_PUT_CORRECTED);
	ck_assert_int_eq(tally_store_snapshot_version(st, ind, &y, &v3), 0);
	ck_assert_uint_gt(v3, v2);

	/* The year beside its own month is refused and changes nothing. */
	o.period = y;
	ck_assert_int_eq(tally_store_begin(st), 0);
	ck_assert_int_eq(
	    tally_store_put(st, ind, &o, &outcome, &eb), TALLY_EDATA);
	tally_store_rollback(st);
	ck_assert(
	    strstr(eb.text, "field period: 2020 overlaps 2020-03") != NULL);
	tally_store_close(st);

	ck_assert_int_eq(tally_store_open(path, cat, &st, &eb), 0);
	ck_assert_int_eq(tally_store_snapshot_version(st, ind, &y, &v1), 0);
	ck_assert_uint_eq(v1, v3);
	tally_store_close(st);
	tally_store_close(NULL);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

/* put: one answer of the hub for mfg_pass_rate 2020-03, in a
 * transaction of its own. */
static void
put_answer(
    struct tally_store *st, uint64_t version, int status, const char *reason)
{
	struct tally_reply_log *log = NULL;
	struct tally_reply      r;

	memset(&r, 0, sizeof(r));
	snprintf(r.uplink, sizeof(r.uplink), "parent");
	snprintf(r.hub, sizeof(r.hub), "130100");
	snprintf(r.hub_instance, sizeof(r.hub_instance), "abc");
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	r.version     = version;
	r.status      = status;
	r.answered_ms = (int64_t) version;
	ck_assert_int_eq(tally_store_begin(st), 0);
	ck_assert_int_eq(tally_reply_log_open(st, &log), 0);
	ck_assert_int_eq(
	    tally_reply_log_put(log, "mfg_pass_rate", "2020-03", &r), 0);
	tally_reply_log_close(log);
	ck_assert_int_eq(tally_store_commit(st), 0);
}

/* The hub's answers (reply.h): the answer for the newest version is
 * kept, and a late answer for an older one does not hide it. */
START_TEST(test_reply_newest_wins)
{
	char                tmpl[] = "/tmp/tally-reply-XXXXXX";
	char               *dir    = mkdtemp(tmpl);
	char                path[4200];
	struct tally_store *st = NULL;
	struct tally_errbuf eb = { "" };
	struct tally_reply  r;
	uint64_t            v;

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof(path), "%s/a.db", dir);
	ck_assert_int_eq(tally_store_create(path, cat, "130102", &st, &eb), 0);
	ck_assert_int_eq(
	    tally_reply_get(st, "mfg_pass_rate", "2020-03", &r), TALLY_ENOENT);
	ck_assert_int_eq(
	    tally_reply_acked_version(st, "mfg_pass_rate", "2020-03", &v),
	    TALLY_ENOENT);
	put_answer(st, 20, TALLY_ACK_ACCEPTED, "");
	put_answer(st, 10, TALLY_REPLY_REFUSED, "late");
	ck_assert_int_eq(
	    tally_reply_get(st, "mfg_pass_rate", "2020-03", &r), 0);
	ck_assert_uint_eq(r.version, 20);
	ck_assert_int_eq(r.status, TALLY_ACK_ACCEPTED);
	ck_assert_str_eq(r.hub, "130100");
	put_answer(st, 30, TALLY_ACK_REJECTED, "held with other figures");
	ck_assert_int_eq(
	    tally_reply_get(st, "mfg_pass_rate", "2020-03", &r), 0);
	ck_assert_uint_eq(r.version, 30);
	ck_assert_str_eq(r.reason, "held with other figures");
	ck_assert_str_eq(tally_reply_status_name(r.status), "rejected");
	ck_assert_int_eq(
	    tally_reply_get(st, "mfg_pass_rate", "2020-04", &r), TALLY_ENOENT);
	tally_store_close(st);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

/* The accounts of the web pages (account.h): Argon2id strings, one
 * answer for every failed login, names and roles checked, and disabling
 * or a new password ending the account's sessions in the store. */
START_TEST(test_accounts)
{
	char                 tmpl[] = "/tmp/tally-account-XXXXXX";
	char                *dir    = mkdtemp(tmpl);
	char                 path[1024], cmd[4400];
	struct tally_store  *st = NULL;
	struct tally_errbuf  eb = { "" };
	struct tally_account a, *list = NULL;
	size_t               n   = 0;
	bool                 any = true;
	int                  role;

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof(path), "%s/h.db", dir);
	ck_assert_int_eq(tally_store_create(path, cat, "130100", &st, &eb), 0);
	ck_assert_int_eq(tally_account_any(st, &any), 0);
	ck_assert(!any);
	ck_assert_int_eq(tally_role_parse("operator", &role), 0);
	ck_assert_int_eq(role, TALLY_ROLE_OPERATOR);
	ck_assert_int_eq(tally_role_parse("admin", &role), TALLY_EINVAL);
	ck_assert(tally_account_name_valid("sjz.office_1-a"));
	ck_assert(!tally_account_name_valid("a b"));
	ck_assert(!tally_account_name_valid("a\nb"));
	ck_assert(!tally_account_name_valid(""));
	ck_assert_int_eq(
	    tally_account_add(st, "sjz", "130100", TALLY_ROLE_VIEWER, "short"),
	    TALLY_EINVAL);
	ck_assert_int_eq(tally_account_add(st, "sjz", "130100",
	                     TALLY_ROLE_VIEWER, "long-enough-1"),
	    0);
	ck_assert_int_eq(tally_account_add(st, "sjz", "130100",
	                     TALLY_ROLE_APPROVER, "long-enough-2"),
	    TALLY_EEXIST);
	ck_assert_int_eq(tally_account_any(st, &any), 0);
	ck_assert(any);
	ck_assert_int_eq(
	    tally_account_login(st, "sjz", "long-enough-1", &a), 0);
	ck_assert_str_eq(a.region, "130100");
	ck_assert_int_eq(a.role, TALLY_ROLE_VIEWER);
	ck_assert_int_eq(
	    tally_account_login(st, "sjz", "long-enough-2", &a), TALLY_EDATA);
	ck_assert_int_eq(
	    tally_account_login(st, "nobody", "long-enough-1", &a),
	    TALLY_EDATA);
	/* What is stored is libsodium's Argon2id string, not the password. */
	snprintf(cmd, sizeof(cmd),
	    "sqlite3 '%s' \"SELECT hash FROM account\" | grep -q "
	    "'^\\$argon2id\\$v=19\\$m=65536,t=2,p=1\\$' && ! sqlite3 '%s' "
	    ".dump | grep -q long-enough",
	    path, path);
	ck_assert_int_eq(system(cmd), 0);
	/* A session, then the account disabled: the session is gone. */
	snprintf(cmd, sizeof(cmd),
	    "sqlite3 '%s' \"INSERT INTO account_session VALUES (x'00', 'sjz',"
	    " 'c', '127.0.0.1', 0, 0)\"",
	    path);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(tally_account_set_disabled(st, "sjz", true), 0);
	ck_assert_int_eq(
	    tally_account_login(st, "sjz", "long-enough-1", &a), TALLY_EDATA);
	snprintf(cmd, sizeof(cmd),
	    "test \"$(sqlite3 '%s' 'SELECT count(*) FROM account_session')\""
	    " = 0",
	    path);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(tally_account_set_disabled(st, "sjz", false), 0);
	ck_assert_int_eq(tally_account_passwd(st, "sjz", "long-enough-3"), 0);
	ck_assert_int_eq(
	    tally_account_login(st, "sjz", "long-enough-1", &a), TALLY_EDATA);
	ck_assert_int_eq(
	    tally_account_login(st, "sjz", "long-enough-3", &a), 0);
	ck_assert_int_eq(
	    tally_account_passwd(st, "x", "long-enough-3"), TALLY_ENOENT);
	ck_assert_int_eq(tally_account_list(st, &list, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(list[0].name, "sjz");
	ck_assert(!list[0].disabled);
	free(list);
	tally_store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *
common_suite(void)
{
	Suite *s  = suite_create("common");
	TCase *tc = tcase_create("pure");
	TCase *td = tcase_create("data");

	tcase_add_test(tc, test_period_parse);
	tcase_add_test(tc, test_period_nesting);
	tcase_add_test(tc, test_parse_double);
	tcase_add_test(tc, test_parse_whole);
	tcase_add_test(tc, test_parse_duration);
	tcase_add_test(tc, test_backoff);
	tcase_add_test(tc, test_utf8);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(td, load_catalog, free_catalog);
	tcase_set_timeout(td, 60);
	tcase_add_test(td, test_catalog_shipped);
	tcase_add_test(td, test_catalog_malformed);
	tcase_add_test(td, test_changes_malformed);
	tcase_add_test(td, test_changes_leave_out);
	tcase_add_test(td, test_changes_parent_for);
	tcase_add_test(td, test_wire_submission_roundtrip);
	tcase_add_test(td, test_wire_ack_roundtrip);
	tcase_add_test(td, test_store_versions_and_overlap);
	tcase_add_test(td, test_reply_newest_wins);
	tcase_add_test(td, test_accounts);
	suite_add_tcase(s, td);
	return s;
}

int
main(void)
{
	return testlib_run(common_suite());
}

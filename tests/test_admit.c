/*
 * Unit tests of the admission rules (common/admit.h), one or more cases
 * per rule: what tally-node takes as an observation and what a hub takes
 * as a state, the version's skew and a store's clock; then the rules that
 * need a store (a conflict, a repair, the refusal counts), the wire's
 * range of `leaves`, and the reasons given for malformed protobuf.
 */
#include "admit.h"
#include "catalog.h"
#include "clock.h"
#include "errors.h"
#include "pbwhy.h"
#include "reason.h"
#include "refusal.h"
#include "store.h"
#include "wire.h"

#include "tally.pb-c.h"

#include "testlib.h"

#include <check.h>
#include <sqlite3.h>
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

static struct tally_period
period_of(const char *text)
{
	struct tally_period p;

	ck_assert_int_eq(tally_period_parse(text, &p), TALLY_OK);
	return p;
}

/* The leaf regions below code, from the catalogue. */
static uint32_t
leaves_of(const char *code)
{
	const struct tally_division *d = tally_catalog_division(cat, code);

	ck_assert_ptr_nonnull(d);
	return (uint32_t) d->leaves;
}

/* A state as a node makes it for a leaf region: one leaf, its value as
 * its min and max. */
static struct tally_state
leaf_state(const struct tally_indicator *ind, const char *region,
    const char *period, double a, double b)
{
	struct tally_state s;
	double             v;

	tally_state_init(&s);
	s.sum_a      = a;
	s.sum_b      = b;
	s.leaves     = 1;
	s.has_newest = true;
	s.newest     = period_of(period);
	if (tally_state_value(&s, ind, &v) == TALLY_OK) {
		s.has_minmax = true;
		s.min_value  = v;
		s.max_value  = v;
		snprintf(s.min_region, sizeof(s.min_region), "%s", region);
		snprintf(s.max_region, sizeof(s.max_region), "%s", region);
	}
	return s;
}

/* Expects the state refused with a reason that contains want. */
static void
refused(const char *ind, const char *region, const char *period,
    const struct tally_state *s, const char *want)
{
	char                why[TALLY_WIRE_REASON_MAX] = "";
	struct tally_period p                          = period_of(period);

	ck_assert_int_eq(tally_admit_state(cat, testlib_indicator(cat, ind),
	                     region, &p, s, why, sizeof(why)),
	    TALLY_EDATA);
	ck_assert_msg(strstr(why, want) != NULL, "'%s' lacks '%s'", why, want);
}

static void
admitted(const char *ind, const char *region, const char *period,
    const struct tally_state *s)
{
	char                why[TALLY_WIRE_REASON_MAX] = "";
	struct tally_period p                          = period_of(period);

	ck_assert_msg(tally_admit_state(cat, testlib_indicator(cat, ind),
	                  region, &p, s, why, sizeof(why)) == TALLY_OK,
	    "refused: %s", why);
}

static void
obs_refused(const char *ind, double num, double den, double value,
    double weight, const char *want_field, const char *want)
{
	struct tally_obs o;
	const char      *field = NULL;
	char             why[160];

	memset(&o, 0, sizeof(o));
	o.num    = num;
	o.den    = den;
	o.value  = value;
	o.weight = weight;
	ck_assert_int_eq(tally_admit_obs(testlib_indicator(cat, ind), &o,
	                     &field, why, sizeof(why)),
	    TALLY_EDATA);
	ck_assert_str_eq(field, want_field);
	ck_assert_msg(strstr(why, want) != NULL, "'%s' lacks '%s'", why, want);
}

START_TEST(test_obs_rules)
{
	struct tally_obs o;
	const char      *field = NULL;
	char             why[160];

	obs_refused("mfg_pass_rate", 120, 100, 0, 0, "numerator",
	    "exceeds the denominator");
	obs_refused("mfg_pass_rate", 5, 0, 0, 0, "numerator",
	    "a denominator of 0 needs a numerator of 0");
	/* Not a percentage: a numerator may exceed its denominator, but
	 * never stand over a denominator of 0. */
	obs_refused("invention_patents_per_million", 5, 0, 0, 0, "numerator",
	    "a denominator of 0");
	obs_refused("mfg_pass_rate", -1, 100, 0, 0, "numerator", "negative");
	obs_refused("mfg_pass_rate", 1, -1, 0, 0, "denominator", "negative");
	obs_refused("supervision_spot_check_batches", 0, 0, 42.5, 0, "value",
	    "not a whole number within 2^53");
	obs_refused("supervision_spot_check_batches", 0, 0, 1e300, 0, "value",
	    "not a whole number within 2^53");
	obs_refused("supervision_spot_check_batches", 0, 0, -3, 0, "value",
	    "negative");
	obs_refused("pm25_concentration", 0, 0, 40, 0, "weight",
	    "not greater than zero");
	obs_refused("pm25_concentration", 0, 0, -5, 30, "value", "negative");

	memset(&o, 0, sizeof(o));
	o.num = 0;
	o.den = 0;
	ck_assert_int_eq(
	    tally_admit_obs(testlib_indicator(cat, "mfg_pass_rate"), &o,
	        &field, why, sizeof(why)),
	    TALLY_OK);
	o.num = 150;
	o.den = 100;
	ck_assert_int_eq(tally_admit_obs(testlib_indicator(cat,
	                                     "invention_patents_per_million"),
	                     &o, &field, why, sizeof(why)),
	    TALLY_OK);
	o.value = TALLY_ADMIT_COUNT_MAX;
	ck_assert_int_eq(tally_admit_obs(testlib_indicator(cat,
	                                     "supervision_spot_check_"
	                                     "batches"),
	                     &o, &field, why, sizeof(why)),
	    TALLY_OK);
}
END_TEST

START_TEST(test_state_sums)
{
	struct tally_state s;

	s = leaf_state(testlib_indicator(cat, "mfg_pass_rate"), "130102",
	    "2020", 95, 100);
	admitted("mfg_pass_rate", "130102", "2020", &s);
	/* 120 passed of 100 sampled. */
	s = leaf_state(testlib_indicator(cat, "mfg_pass_rate"), "130102",
	    "2020", 120, 100);
	refused("mfg_pass_rate", "130102", "2020", &s,
	    "field sum_a: numerator 120 exceeds the denominator 100");
	/* 5 over 0, with min and max 95 as the issue sent them. */
	s = leaf_state(
	    testlib_indicator(cat, "mfg_pass_rate"), "130102", "2020", 5, 0);
	s.has_minmax = true;
	s.min_value = s.max_value = 95;
	strcpy(s.min_region, "130102");
	strcpy(s.max_region, "130102");
	refused("mfg_pass_rate", "130102", "2020", &s,
	    "a denominator of 0 needs a numerator of 0");
	/* 0 over 0 is a leaf without a value, and so without min or max. */
	s = leaf_state(
	    testlib_indicator(cat, "mfg_pass_rate"), "130102", "2020", 0, 0);
	admitted("mfg_pass_rate", "130102", "2020", &s);
	s.has_minmax = true;
	strcpy(s.min_region, "130102");
	strcpy(s.max_region, "130102");
	refused("mfg_pass_rate", "130102", "2020", &s, "without a value");

	s = leaf_state(
	    testlib_indicator(cat, "supervision_spot_check_batches"), "130102",
	    "2020", 42.5, 0);
	refused("supervision_spot_check_batches", "130102", "2020", &s,
	    "a count is a whole number within 2^53");
	s = leaf_state(
	    testlib_indicator(cat, "supervision_spot_check_batches"), "130102",
	    "2020", 1e300, 0);
	refused("supervision_spot_check_batches", "130102", "2020", &s,
	    "a count is a whole number within 2^53");
	s = leaf_state(
	    testlib_indicator(cat, "supervision_spot_check_batches"), "130102",
	    "2020", 42, 0);
	admitted("supervision_spot_check_batches", "130102", "2020", &s);
	s.sum_b = 1;
	refused("supervision_spot_check_batches", "130102", "2020", &s,
	    "field sum_b: must be 0 for a count");
	s = leaf_state(testlib_indicator(cat, "mfg_pass_rate"), "130102",
	    "2020", -1, 100);
	refused("mfg_pass_rate", "130102", "2020", &s,
	    "field sum_a: -1 is not a finite number >= 0");
	s = leaf_state(testlib_indicator(cat, "pm25_concentration"), "130102",
	    "2020", 400, 10);
	admitted("pm25_concentration", "130102", "2020", &s);
	s.sum_b      = 0;
	s.has_minmax = false;
	refused("pm25_concentration", "130102", "2020", &s,
	    "a weight of 0 needs a sum of 0");
}
END_TEST

START_TEST(test_state_leaves)
{
	struct tally_state s;
	uint32_t           n = leaves_of("130100");

	ck_assert_uint_gt(n, 1);
	s = leaf_state(
	    testlib_indicator(cat, "mfg_pass_rate"), "130102", "2020", 9, 10);
	s.leaves = 5;
	refused("mfg_pass_rate", "130102", "2020", &s,
	    "field leaves: 5, but 130102 is a leaf region");
	s.leaves = 0;
	refused("mfg_pass_rate", "130102", "2020", &s, "field leaves: 0");

	/* A city counts at most its leaves; 0 only for its own
	 * observations, which carry no min or max. */
	s = leaf_state(
	    testlib_indicator(cat, "mfg_pass_rate"), "130102", "2020", 9, 10);
	s.leaves    = n;
	s.max_value = 95;
	s.min_value = 85;
	strcpy(s.min_region, "130104");
	admitted("mfg_pass_rate", "130100", "2020", &s);
	s.leaves = n + 1;
	refused("mfg_pass_rate", "130100", "2020", &s, "field leaves");
	s.leaves     = 0;
	s.has_minmax = false;
	admitted("mfg_pass_rate", "130100", "2020", &s);
	s.has_minmax = true;
	refused("mfg_pass_rate", "130100", "2020", &s, "need a leaf counted");

	/* A state without data: leaves 0, nothing else. */
	tally_state_init(&s);
	admitted("mfg_pass_rate", "130102", "2020", &s);
	admitted("mfg_pass_rate", "130100", "2020", &s);
	s.leaves = 1;
	refused("mfg_pass_rate", "130100", "2020", &s, "field newest_period");
}
END_TEST

START_TEST(test_state_minmax)
{
	struct tally_state s;

	/* A leaf's min and max are its own value, credited to itself. */
	s = leaf_state(testlib_indicator(cat, "mfg_pass_rate"), "130102",
	    "2020", 95, 100);
	strcpy(s.min_region, "130104");
	refused(
	    "mfg_pass_rate", "130102", "2020", &s, "field min_region: 130104");
	s = leaf_state(testlib_indicator(cat, "mfg_pass_rate"), "130102",
	    "2020", 95, 100);
	s.min_value = 0.95;
	refused("mfg_pass_rate", "130102", "2020", &s,
	    "field min_value: 0.95, but the state's value is 95");
	s = leaf_state(testlib_indicator(cat, "mfg_pass_rate"), "130102",
	    "2020", 95, 100);
	s.has_minmax = false;
	admitted("mfg_pass_rate", "130102", "2020", &s);

	/* An aggregate credits leaves below it, within the figure. */
	s = leaf_state(testlib_indicator(cat, "mfg_pass_rate"), "130100",
	    "2020", 180, 200);
	s.leaves    = 2;
	s.min_value = 85;
	s.max_value = 95;
	strcpy(s.min_region, "130102");
	strcpy(s.max_region, "130104");
	admitted("mfg_pass_rate", "130100", "2020", &s);
	strcpy(s.max_region, "130202"); /* a county of 唐山 */
	refused("mfg_pass_rate", "130100", "2020", &s,
	    "field max_region: 130202 is not a leaf region below 130100");
	strcpy(s.max_region, "130100");
	refused("mfg_pass_rate", "130100", "2020", &s, "field max_region");
	strcpy(s.max_region, "130104");
	s.max_value = 120;
	refused("mfg_pass_rate", "130100", "2020", &s,
	    "the most a percentage can be");
	s.max_value = 80;
	refused("mfg_pass_rate", "130100", "2020", &s, "min <= max");
	s.max_value = 95;
	s.leaves    = 1;
	refused("mfg_pass_rate", "130100", "2020", &s, "one leaf counted");

	s = leaf_state(
	    testlib_indicator(cat, "supervision_spot_check_batches"), "130100",
	    "2020", 10, 0);
	s.leaves    = 2;
	s.min_value = 3;
	s.max_value = 7;
	strcpy(s.min_region, "130102");
	strcpy(s.max_region, "130104");
	admitted("supervision_spot_check_batches", "130100", "2020", &s);
	s.max_value = 11;
	refused("supervision_spot_check_batches", "130100", "2020", &s,
	    "above the total 10");
}
END_TEST

/* Writes the shipped catalogue with a division_changes.csv into a new
 * directory. */
static char *
catalog_with_changes(const char *changes)
{
	char  tmpl[] = "/tmp/tally-admit-cat-XXXXXX";
	char *dir    = mkdtemp(tmpl);
	char  cmd[8400];
	FILE *f;

	ck_assert_ptr_nonnull(dir);
	dir = strdup(dir);
	snprintf(cmd, sizeof(cmd),
	    "cp '%s/indicators.csv' '%s/divisions.csv' '%s/targets.csv' '%s'",
	    cat->dir, cat->dir, cat->dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/division_changes.csv", dir);
	f = fopen(cmd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(changes, f);
	fclose(f);
	return dir;
}

/* Leaves follow the period's shape: a county that moves counts under
 * its old parent before the move and under the new one after. */
START_TEST(test_state_leaves_redistricted)
{
	struct tally_catalog *c  = NULL;
	struct tally_errbuf   eb = { "" };
	struct tally_state    s;
	struct tally_period   jun = period_of("2021-06"),
	                    jul   = period_of("2021-07");
	char     why[TALLY_WIRE_REASON_MAX];
	char     cmd[4200];
	char    *dir;
	size_t   k;
	uint32_t before;

	dir = catalog_with_changes(
	    "region,parent_code,effective\n330122,330200,2021-07\n");
	ck_assert_msg(tally_catalog_load(dir, &c, &eb) == 0, "%s", eb.text);
	k      = (size_t) (tally_catalog_division(c, "330100") - c->divisions);
	before = (uint32_t) tally_catalog_leaves_for(c, k, &jun);
	ck_assert_uint_eq(tally_catalog_leaves_for(c, k, &jul), before - 1);
	s = leaf_state(testlib_indicator(cat, "mfg_pass_rate"), "330102",
	    "2021-06", 9, 10);
	s.leaves     = before;
	s.has_minmax = false;
	ck_assert_int_eq(
	    tally_admit_state(c, testlib_indicator(cat, "mfg_pass_rate"),
	        "330100", &jun, &s, why, sizeof(why)),
	    TALLY_OK);
	s.newest = jul;
	ck_assert_int_eq(
	    tally_admit_state(c, testlib_indicator(cat, "mfg_pass_rate"),
	        "330100", &jul, &s, why, sizeof(why)),
	    TALLY_EDATA);
	ck_assert_msg(strstr(why, "field leaves") != NULL, "%s", why);
	/* The moving county is a min of its new city after the move, and
	 * not of the old one. */
	s.leaves     = 2;
	s.has_minmax = true;
	s.min_value  = 80;
	s.max_value  = 95;
	strcpy(s.min_region, "330122");
	strcpy(s.max_region, "330122");
	s.max_value = 80;
	ck_assert_int_eq(
	    tally_admit_state(c, testlib_indicator(cat, "mfg_pass_rate"),
	        "330200", &jul, &s, why, sizeof(why)),
	    TALLY_OK);
	ck_assert_int_eq(
	    tally_admit_state(c, testlib_indicator(cat, "mfg_pass_rate"),
	        "330100", &jul, &s, why, sizeof(why)),
	    TALLY_EDATA);
	tally_catalog_free(c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(dir);
}
END_TEST

START_TEST(test_versions)
{
	/* 2030-01-01 against a clock 3652 days before it. */
	const uint64_t v                          = 1893456000000000ULL;
	const uint64_t day                        = 86400000000ULL;
	char           why[TALLY_WIRE_REASON_MAX] = "";

	ck_assert_int_eq(
	    tally_admit_version(v, v - 3652 * day, 86400, why, sizeof(why)),
	    TALLY_EDATA);
	ck_assert_str_eq(why,
	    "field version: version 1893456000000000 is 3652 days ahead of "
	    "this hub's clock");
	ck_assert_int_eq(
	    tally_admit_version(v, v - day, 86400, why, sizeof(why)),
	    TALLY_OK);
	ck_assert_int_eq(
	    tally_admit_version(v, v - day - 1, 86400, why, sizeof(why)),
	    TALLY_EDATA);
	ck_assert_int_eq(
	    tally_admit_version(v, v + day, 86400, why, sizeof(why)),
	    TALLY_OK);
	ck_assert_int_eq(
	    tally_admit_version(v, v - 90000000ULL, 60, why, sizeof(why)),
	    TALLY_EDATA);
	ck_assert_msg(strstr(why, "90 seconds ahead") != NULL, "%s", why);

	/* A store's clock. */
	ck_assert_int_eq(
	    tally_admit_mint(v, 0, 86400, why, sizeof(why)), TALLY_OK);
	ck_assert_int_eq(
	    tally_admit_mint(v, v + day, 86400, why, sizeof(why)), TALLY_OK);
	ck_assert_int_eq(
	    tally_admit_mint(v, v + 2 * day, 86400, why, sizeof(why)),
	    TALLY_EDATA);
	ck_assert_msg(strstr(why, "2 days behind version") != NULL, "%s", why);
	ck_assert_int_eq(tally_admit_mint(TALLY_ADMIT_EPOCH_US - 1, 0, 86400,
	                     why, sizeof(why)),
	    TALLY_EDATA);
	ck_assert_msg(strstr(why, "before 2020") != NULL, "%s", why);
}
END_TEST

/* A temporary store of region, at path (which holds PATH_MAX). */
static struct tally_store *
temp_store(const char *region, char *dir, char *path)
{
	struct tally_store *st     = NULL;
	struct tally_errbuf eb     = { "" };
	char                tmpl[] = "/tmp/tally-admit-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	strcpy(dir, tmpl);
	sprintf(path, "%s/s.db", dir);
	ck_assert_msg(tally_store_create(path, cat, region, &st, &eb) == 0,
	    "%s", eb.text);
	ck_assert_int_eq(tally_store_audit_ensure(st), TALLY_OK);
	ck_assert_int_eq(tally_refusal_ensure(st), TALLY_OK);
	return st;
}

static void
remove_tree(const char *dir)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct tally_wire_state
wire_leaf(const char *region, double a, double b, uint64_t version)
{
	struct tally_wire_state ws;

	memset(&ws, 0, sizeof(ws));
	ws.ind     = testlib_indicator(cat, "mfg_pass_rate");
	ws.period  = period_of("2020");
	ws.state   = leaf_state(ws.ind, region, "2020", a, b);
	ws.version = version;
	return ws;
}

static int
put(struct tally_store *st, struct tally_wire_state *ws)
{
	int status = 0;

	ck_assert_int_eq(tally_store_begin(st), TALLY_OK);
	ck_assert_int_eq(tally_store_put_state(st, "130102", ws, &status), 0);
	ck_assert_int_eq(tally_store_commit(st), TALLY_OK);
	return status;
}

START_TEST(test_store_conflict)
{
	struct tally_store     *st;
	struct tally_wire_state ws;
	char                    dir[64], path[128];

	st = temp_store("130100", dir, path);
	ws = wire_leaf("130102", 90, 100, 5);
	ck_assert_int_eq(put(st, &ws), TALLY_ACK_ACCEPTED);
	ws = wire_leaf("130102", 90, 100, 5);
	ck_assert_int_eq(put(st, &ws), TALLY_ACK_DUPLICATE);
	/* The same version with other sums, another min, another leaves_out.
	 */
	ws = wire_leaf("130102", 91, 100, 5);
	ck_assert_int_eq(put(st, &ws), TALLY_ACK_REJECTED);
	ck_assert_str_eq(ws.reason,
	    "conflict: version 5 of 130102 mfg_pass_rate 2020 is held with "
	    "other figures");
	ws                  = wire_leaf("130102", 90, 100, 5);
	ws.state.has_minmax = false;
	ck_assert_int_eq(put(st, &ws), TALLY_ACK_REJECTED);
	ws = wire_leaf("130102", 90, 100, 5);
	strcpy(ws.leaves_out, "330122");
	ck_assert_int_eq(put(st, &ws), TALLY_ACK_REJECTED);
	ws = wire_leaf("130102", 90, 100, 4);
	ck_assert_int_eq(put(st, &ws), TALLY_ACK_STALE);
	tally_store_close(st);
	remove_tree(dir);
}
END_TEST

/* A withdrawn state holds nothing; a reason is one line of at most 255
 * bytes, refused (never cut) beyond. */
START_TEST(test_withdrawn_and_reason)
{
	const struct tally_indicator *ind =
	    testlib_indicator(cat, "mfg_pass_rate");
	struct tally_state s;
	char               why[TALLY_WIRE_REASON_MAX] = "";
	char               text[400];

	tally_state_init(&s);
	ck_assert_int_eq(tally_admit_withdrawn(&s, why, sizeof(why)), 0);
	s = leaf_state(ind, "130102", "2020", 90, 100);
	ck_assert_int_eq(
	    tally_admit_withdrawn(&s, why, sizeof(why)), TALLY_EDATA);
	ck_assert_str_eq(why,
	    "field withdrawn: a withdrawn state holds no data, so "
	    "newest_period must be empty, sums and leaves 0 and min and max "
	    "absent");
	/* No newest period, yet a leaf counted. */
	tally_state_init(&s);
	s.leaves = 1;
	ck_assert_int_eq(
	    tally_admit_withdrawn(&s, why, sizeof(why)), TALLY_EDATA);

	memset(text, 'x', 255);
	text[255] = '\0';
	ck_assert_int_eq(tally_admit_reason(text, why, sizeof(why)), 0);
	strcat(text, "x");
	ck_assert_int_eq(
	    tally_admit_reason(text, why, sizeof(why)), TALLY_EDATA);
	ck_assert_str_eq(why,
	    "256 bytes, at most 255 (about 85 Chinese characters): shorten "
	    "it");
	text[0] = '\0';
	for (int i = 0; i < 85; i++) {
		strcat(text, "撤");
	}
	ck_assert_int_eq(tally_admit_reason(text, why, sizeof(why)), 0);
	strcat(text, "撤");
	ck_assert_int_eq(
	    tally_admit_reason(text, why, sizeof(why)), TALLY_EDATA);
	ck_assert_int_eq(
	    tally_admit_reason("a\nb", why, sizeof(why)), TALLY_EDATA);
	ck_assert_int_eq(
	    tally_admit_reason("\t", why, sizeof(why)), TALLY_EDATA);
	ck_assert_int_eq(
	    tally_admit_reason("   ", why, sizeof(why)), TALLY_EDATA);
	ck_assert_str_eq(why, "empty: say why");
	ck_assert_int_eq(
	    tally_admit_reason("\xff", why, sizeof(why)), TALLY_EDATA);
	ck_assert_str_eq(why, "not valid UTF-8 text");
}
END_TEST

/* A withdrawal at a store: the observation leaves, its snapshots get one
 * new version without data, the history keeps what was held before
 * (observations as of then), and a hub keeps the reason of a withdrawn
 * state it takes, once, with its version. */
START_TEST(test_store_withdraw)
{
	const struct tally_indicator *ind =
	    testlib_indicator(cat, "mfg_pass_rate");
	struct tally_store     *st;
	struct tally_errbuf     eb = { "" };
	struct tally_obs        o, *got = NULL;
	struct tally_period     month = period_of("2020-03");
	struct tally_period     year  = period_of("2020");
	struct tally_state      snap;
	struct tally_wire_state ws;
	char                    dir[64], path[128], why[64];
	uint64_t                v, w, y;
	size_t                  n = 9;
	int                     outcome;
	bool                    withdrawn;
	int64_t                 before;

	st = temp_store("130102", dir, path);
	memset(&o, 0, sizeof(o));
	o.period = month;
	o.num    = 45;
	o.den    = 50;
	ck_assert_int_eq(tally_store_begin(st), 0);
	ck_assert_int_eq(tally_store_put(st, ind, &o, &outcome, &eb), 0);
	ck_assert_int_eq(tally_store_commit(st), 0);
	ck_assert_int_eq(tally_store_snapshot_version(st, ind, &month, &v), 0);
	before = tally_clock_now_ms();
	while (tally_clock_now_ms() <= before) {
		usleep(1000);
	}
	ck_assert_int_eq(tally_store_begin(st), 0);
	ck_assert_int_eq(tally_store_withdraw(st, ind, &month, &w, &eb), 0);
	ck_assert_int_eq(tally_store_commit(st), 0);
	ck_assert_uint_gt(w, v);
	ck_assert_int_eq(tally_store_snapshot_version(st, ind, &year, &y), 0);
	ck_assert_uint_eq(y, w);
	ck_assert_int_eq(
	    tally_store_snapshot(st, ind, &month, &snap, &y), TALLY_ENOENT);
	ck_assert_int_eq(tally_store_observations(st, ind, NULL, &got, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(got);
	ck_assert_int_eq(
	    tally_store_observations_asof(st, ind, &year, before, &got, &n),
	    0);
	ck_assert_uint_eq(n, 1);
	ck_assert(got[0].num == 45);
	free(got);
	ck_assert_int_eq(tally_store_observations_asof(
	                     st, ind, &year, tally_clock_now_ms(), &got, &n),
	    0);
	ck_assert_uint_eq(n, 0);
	free(got);
	ck_assert_int_eq(tally_store_begin(st), 0);
	ck_assert_int_eq(
	    tally_store_withdraw(st, ind, &month, &w, &eb), TALLY_ENOENT);
	tally_store_rollback(st);
	ck_assert_str_eq(eb.text,
	    "field period: nothing is recorded for 'mfg_pass_rate' 2020-03");
	tally_store_close(st);
	remove_tree(dir);

	/* At a hub: the county's withdrawn state, then the same again. */
	st = temp_store("130100", dir, path);
	ws = wire_leaf("130102", 90, 100, 5);
	ck_assert_int_eq(put(st, &ws), TALLY_ACK_ACCEPTED);
	memset(&ws, 0, sizeof(ws));
	ws.ind     = ind;
	ws.period  = year;
	ws.version = 6;
	tally_state_init(&ws.state);
	ws.withdrawn = true;
	strcpy(ws.change_reason, "录错");
	ck_assert_int_eq(put(st, &ws), TALLY_ACK_ACCEPTED);
	strcpy(ws.change_reason, "another");
	ck_assert_int_eq(put(st, &ws), TALLY_ACK_DUPLICATE);
	ck_assert_int_eq(tally_reason_get(st, "130102", "mfg_pass_rate",
	                     "2020", 6, &withdrawn, why, sizeof(why)),
	    0);
	ck_assert(withdrawn);
	ck_assert_str_eq(why, "录错");
	ck_assert_int_eq(tally_reason_get(st, "130102", "mfg_pass_rate",
	                     "2020", 5, &withdrawn, why, sizeof(why)),
	    TALLY_ENOENT);
	ck_assert_int_eq(
	    tally_store_snapshot(st, ind, &year, &snap, &y), TALLY_ENOENT);
	tally_store_close(st);
	remove_tree(dir);
}
END_TEST

START_TEST(test_store_repair_and_clock)
{
	struct tally_store       *st;
	struct tally_wire_state   ws;
	struct tally_repair_item *items = NULL;
	struct tally_errbuf       eb    = { "" };
	struct tally_obs          o;
	const uint64_t            now   = tally_admit_now_us();
	const uint64_t            ahead = now + 3652ULL * 86400000000ULL;
	char                      dir[64], path[128], id[64], sql[256];
	size_t                    n = 0;
	int                       outcome;
	sqlite3                  *db;

	st = temp_store("130100", dir, path);
	ws = wire_leaf("130102", 90, 100, ahead);
	ck_assert_int_eq(put(st, &ws), TALLY_ACK_ACCEPTED);
	ws = wire_leaf("130102", 95, 100, now);
	ck_assert_int_eq(put(st, &ws), TALLY_ACK_STALE);
	snprintf(id, sizeof(id), "%s", tally_store_instance_id(st));
	/* Nothing within the skew is dropped. */
	ck_assert_int_eq(
	    tally_store_repair(st, "130102", NULL, NULL, ahead, &items, &n),
	    TALLY_OK);
	ck_assert_uint_eq(n, 0);
	free(items);
	ck_assert_str_eq(tally_store_instance_id(st), id);
	ck_assert_int_eq(tally_store_repair(st, "130102", "mfg_pass_rate",
	                     "2020", now + 86400000000ULL, &items, &n),
	    TALLY_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(items[0].version, ahead);
	ck_assert_str_eq(items[0].via, "130102");
	free(items);
	ck_assert_str_ne(tally_store_instance_id(st), id);
	ws = wire_leaf("130102", 95, 100, now);
	ck_assert_int_eq(put(st, &ws), TALLY_ACK_ACCEPTED);

	/* The store's own clock: a version it made ten years ahead means
	 * the clock is wrong now or was then, and it makes no more. */
	db = tally_store_handle(st);
	snprintf(sql, sizeof(sql),
	    "UPDATE meta SET value = '%llu' WHERE key = 'clock'",
	    (unsigned long long) ahead);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	memset(&o, 0, sizeof(o));
	o.period = period_of("2020-03");
	o.num    = 1;
	o.den    = 2;
	ck_assert_int_eq(tally_store_begin(st), TALLY_OK);
	ck_assert_int_eq(
	    tally_store_put(st, testlib_indicator(cat, "mfg_pass_rate"), &o,
	        &outcome, &eb),
	    TALLY_ECONFIG);
	tally_store_rollback(st);
	ck_assert_msg(strstr(eb.text, "3652 days") != NULL &&
	        strstr(eb.text, "behind version") != NULL,
	    "%s", eb.text);
	tally_store_close(st);
	remove_tree(dir);
}
END_TEST

START_TEST(test_refusal_counts)
{
	struct tally_store   *st;
	struct tally_refusal *r = NULL;
	char                  dir[64], path[128];
	size_t                n = 0;
	json_t               *doc;

	st = temp_store("130100", dir, path);
	ck_assert_int_eq(tally_refusal_list(st, &r, &n), TALLY_OK);
	ck_assert_uint_eq(n, 0);
	free(r);
	ck_assert_int_eq(tally_store_begin(st), TALLY_OK);
	ck_assert_int_eq(tally_refusal_count(
	                     st, "130102", TALLY_REFUSED_STATE, "why 1", 1000),
	    0);
	ck_assert_int_eq(tally_refusal_count(st, "130102",
	                     TALLY_REFUSED_CONFLICT, "conflict: x", 2000),
	    0);
	ck_assert_int_eq(tally_refusal_count(st, NULL,
	                     TALLY_REFUSED_SUBMISSION, "malformed", 3000),
	    0);
	ck_assert_int_eq(tally_store_commit(st), TALLY_OK);
	ck_assert_int_eq(tally_refusal_list(st, &r, &n), TALLY_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(r[0].sender, "");
	ck_assert_uint_eq(r[0].submissions, 1);
	ck_assert_str_eq(r[1].sender, "130102");
	ck_assert_uint_eq(r[1].states, 2);
	ck_assert_uint_eq(r[1].conflicts, 1);
	ck_assert_uint_eq(r[1].submissions, 0);
	ck_assert_str_eq(r[1].last_reason, "conflict: x");
	doc = tally_refusal_json(r, n);
	ck_assert_ptr_nonnull(doc);
	ck_assert(
	    json_is_null(json_object_get(json_array_get(doc, 0), "sender")));
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_array_get(doc, 1), "conflicts")),
	    1);
	json_decref(doc);
	free(r);
	tally_store_close(st);
	remove_tree(dir);
}
END_TEST

/* leaves = 2^32 + 1 on the wire is refused, never cut to 1. */
START_TEST(test_wire_leaves_range)
{
	Tally__Submission        m   = TALLY__SUBMISSION__INIT;
	Tally__PartialState      p   = TALLY__PARTIAL_STATE__INIT;
	Tally__PartialState     *pp  = &p;
	struct tally_submission *got = NULL;
	struct tally_errbuf      eb  = { "" };
	uint8_t                  body[512];
	size_t                   len;

	m.sender         = "130102";
	m.hub            = "130100";
	m.sender_version = 7;
	m.sent_at        = 1;
	m.n_states       = 1;
	m.states         = &pp;
	p.indicator      = "mfg_pass_rate";
	p.period         = "2020";
	p.sum_a          = 9;
	p.sum_b          = 10;
	p.leaves         = (UINT64_C(1) << 32) + 1;
	p.newest_period  = "2020";
	p.version        = 7;
	len              = tally__submission__pack(&m, body);
	ck_assert_int_eq(
	    tally_submission_decode_body(cat, body, len, &got, &eb), TALLY_OK);
	ck_assert_int_eq(got->states[0].status, TALLY_ACK_REJECTED);
	ck_assert_str_eq(got->states[0].reason,
	    "field leaves: 4294967297 is out of range (at most 100000)");
	tally_submission_free(got);
	got      = NULL;
	p.leaves = 1;
	len      = tally__submission__pack(&m, body);
	ck_assert_int_eq(
	    tally_submission_decode_body(cat, body, len, &got, &eb), TALLY_OK);
	ck_assert_int_eq(got->states[0].status, TALLY_ACK_NONE);
	tally_submission_free(got);
}
END_TEST

START_TEST(test_pbwhy)
{
	/* Each a hand-made encoding: tag bytes are (field << 3) | type. */
	/* Submission with sender and hub only. */
	static const uint8_t no_version[] = { 0x0a, 0x01, 'a', 0x12, 0x01,
		'b' };
	/* sender (1) sent as a varint. */
	static const uint8_t wrong_type[] = { 0x08, 0x05 };
	/* states (5) of 2 bytes where 1 follows. */
	static const uint8_t     past_end[] = { 0x2a, 0x02, 0x08 };
	struct tally_errbuf      eb         = { "" };
	struct tally_submission *got        = NULL;
	char                     why[200];

	tally_pbwhy(&tally__submission__descriptor, no_version,
	    sizeof(no_version), why, sizeof(why));
	ck_assert_str_eq(
	    why, "message Submission: missing required field sender_version");
	tally_pbwhy(&tally__submission__descriptor, wrong_type,
	    sizeof(wrong_type), why, sizeof(why));
	ck_assert_str_eq(why,
	    "message Submission: field sender: wire type varint where "
	    "length-delimited is expected");
	tally_pbwhy(&tally__submission__descriptor, past_end, sizeof(past_end),
	    why, sizeof(why));
	ck_assert_str_eq(why,
	    "message Submission: field states: a length of 2 runs past the "
	    "end");

	/* Through the decoder: one line, named, no doubled prefix. */
	ck_assert_int_eq(tally_submission_decode_body(
	                     cat, no_version, sizeof(no_version), &got, &eb),
	    TALLY_EPROTO);
	ck_assert_str_eq(eb.text,
	    "malformed submission: message Submission: missing required field "
	    "sender_version");
	ck_assert_int_eq(tally_submission_decode(
	                     cat, wrong_type, sizeof(wrong_type), &got, &eb),
	    TALLY_EPROTO);
	ck_assert_str_eq(eb.text,
	    "malformed envelope: message Envelope: field body: wire type "
	    "varint where length-delimited is expected");
}
END_TEST

/* A PartialState without its required version, inside a good
 * Submission: the reason names the state and the field. */
START_TEST(test_pbwhy_nested)
{
	/* states[0]: indicator "i", then nothing else required. */
	static const uint8_t body[] = { 0x0a, 0x01, 'a', 0x12, 0x01, 'b', 0x18,
		0x07, 0x20, 0x01, 0x2a, 0x03, 0x0a, 0x01, 'i' };
	char                 why[200];

	tally_pbwhy(&tally__submission__descriptor, body, sizeof(body), why,
	    sizeof(why));
	ck_assert_str_eq(why,
	    "message PartialState (states[0]): missing required field period");
}
END_TEST

static Suite *
admit_suite(void)
{
	Suite *s  = suite_create("admit");
	TCase *tc = tcase_create("rules");

	tcase_add_checked_fixture(tc, load_catalog, free_catalog);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_obs_rules);
	tcase_add_test(tc, test_state_sums);
	tcase_add_test(tc, test_state_leaves);
	tcase_add_test(tc, test_state_minmax);
	tcase_add_test(tc, test_state_leaves_redistricted);
	tcase_add_test(tc, test_versions);
	tcase_add_test(tc, test_store_conflict);
	tcase_add_test(tc, test_withdrawn_and_reason);
	tcase_add_test(tc, test_store_withdraw);
	tcase_add_test(tc, test_store_repair_and_clock);
	tcase_add_test(tc, test_refusal_counts);
	tcase_add_test(tc, test_wire_leaves_range);
	tcase_add_test(tc, test_pbwhy);
	tcase_add_test(tc, test_pbwhy_nested);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_run(admit_suite());
}

/*
 * Unit tests of target evaluation and due dates (common/target.c) against
 * docs/rollup.md's "Targets": the real catalogue's targets from the programmes
 * (Hebei, Tianjin, Chaoyang, Yangjiang), found with tally_targets_for and
 * evaluated on states built from raw observations. Expected figures are
 * computed here from the inputs; due dates are checked against the C
 * library's timegm, which is independent of the code under test.
 */
#include "catalog.h"
#include "period.h"
#include "rollup.h"
#include "target.h"

#include "testlib.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TOL 1e-9

static struct tally_catalog *cat;

static void
setup(void)
{
	cat = testlib_catalog();
}

static void
teardown(void)
{
	tally_catalog_free(cat);
	cat = NULL;
}

static struct tally_period
per(const char *s)
{
	struct tally_period p;

	ck_assert_int_eq(tally_period_parse(s, &p), 0);
	return p;
}

static size_t
leaves_of(const char *code)
{
	const struct tally_division *d = tally_catalog_division(cat, code);

	ck_assert_ptr_nonnull(d);
	return d->leaves;
}

/* The one target of the shipped targets.csv for (region, ind, period). */
static const struct tally_target *
target_of(
    const char *region, const struct tally_indicator *ind, const char *period)
{
	const struct tally_target *found[4];
	struct tally_period        p = per(period);
	size_t n = tally_targets_for(cat, region, ind, &p, found, 4);

	ck_assert_uint_eq(n, 1);
	return found[0];
}

/* A region's state from one observation, standing for a hub's merge of
 * `leaves` reporting leaf regions (the evaluator reads only the sums and
 * the leaf count). For a ratio a and b are the numerator and denominator,
 * for a weighted mean the value and weight, for a count the value. */
static struct tally_state
state_of(const struct tally_indicator *ind, const char *region,
    const char *period, double a, double b, uint32_t leaves)
{
	struct tally_obs    o;
	struct tally_period p = per(period);
	struct tally_state  s;

	memset(&o, 0, sizeof(o));
	o.period = p;
	if (ind->kind == TALLY_KIND_RATIO) {
		o.num = a;
		o.den = b;
	} else {
		o.value  = a;
		o.weight = b;
	}
	ck_assert_int_eq(tally_state_own(ind, region, true, &o, 1, &p, &s), 0);
	s.leaves = leaves;
	return s;
}

static struct tally_target_result
evaluate(const struct tally_target *t, const struct tally_indicator *ind,
    const struct tally_target_input *in)
{
	struct tally_target_result r;

	ck_assert_int_eq(tally_target_evaluate(t, ind, in, &r), 0);
	return r;
}

START_TEST(test_names_and_ops)
{
	ck_assert_str_eq(tally_target_status_name(TALLY_TARGET_MET), "met");
	ck_assert_str_eq(
	    tally_target_status_name(TALLY_TARGET_MISSED), "missed");
	ck_assert_str_eq(
	    tally_target_status_name(TALLY_TARGET_INCOMPLETE), "incomplete");
	ck_assert_str_eq(tally_target_status_name(99), "?");
	ck_assert_str_eq(tally_op_name(TALLY_OP_GE), ">=");
	ck_assert_str_eq(tally_op_name(TALLY_OP_GT), ">");
	ck_assert_str_eq(tally_op_name(TALLY_OP_LE), "<=");
	ck_assert_str_eq(tally_op_name(TALLY_OP_LT), "<");
	ck_assert_str_eq(tally_op_name(-1), "?");
	ck_assert_str_eq(tally_scope_name(TALLY_SCOPE_TOTAL), "total");
	ck_assert_str_eq(
	    tally_scope_name(TALLY_SCOPE_EACH_CHILD), "each_child");
	ck_assert_str_eq(
	    tally_scope_name(TALLY_SCOPE_CHANGE_PCT), "change_pct");

	/* Each operator below, at and above its target. */
	ck_assert(!tally_op_holds(TALLY_OP_GE, 4, 5));
	ck_assert(tally_op_holds(TALLY_OP_GE, 5, 5));
	ck_assert(tally_op_holds(TALLY_OP_GE, 6, 5));
	ck_assert(!tally_op_holds(TALLY_OP_GT, 4, 5));
	ck_assert(!tally_op_holds(TALLY_OP_GT, 5, 5));
	ck_assert(tally_op_holds(TALLY_OP_GT, 6, 5));
	ck_assert(tally_op_holds(TALLY_OP_LE, 4, 5));
	ck_assert(tally_op_holds(TALLY_OP_LE, 5, 5));
	ck_assert(!tally_op_holds(TALLY_OP_LE, 6, 5));
	ck_assert(tally_op_holds(TALLY_OP_LT, 4, 5));
	ck_assert(!tally_op_holds(TALLY_OP_LT, 5, 5));
	ck_assert(!tally_op_holds(TALLY_OP_LT, 6, 5));
	ck_assert(!tally_op_holds(99, 6, 5));
}
END_TEST

/* Hebei (冀政發〔2016〕33號): manufacturing pass rate >= 93.5% in 2020. */
START_TEST(test_total_ge_hebei)
{
	const struct tally_indicator *ind =
	    testlib_indicator(cat, "mfg_pass_rate");
	const struct tally_target *t   = target_of("130000", ind, "2020");
	size_t                     exp = leaves_of("130000");
	struct tally_state         s;
	struct tally_target_input  in;
	struct tally_target_result r;
	char                       want[TALLY_TARGET_REASON_MAX];

	ck_assert_int_eq(t->op, TALLY_OP_GE);
	ck_assert_int_eq(t->scope, TALLY_SCOPE_TOTAL);
	ck_assert(ind->higher_better);
	memset(&in, 0, sizeof(in));
	in.state    = &s;
	in.expected = exp;

	s = state_of(ind, "130000", "2020", 936, 1000, (uint32_t) exp);
	r = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_MET);
	ck_assert(r.has_value && r.has_gap);
	ck_assert_double_eq_tol(r.value, 100.0 * 936 / 1000, TOL);
	ck_assert_double_eq_tol(r.gap, 100.0 * 936 / 1000 - t->value, TOL);
	ck_assert(r.gap > 0);
	ck_assert_str_eq(r.reason, "");

	/* The programme's own figure: 93.61 is 0.11 above. */
	s = state_of(ind, "130000", "2020", 9361, 10000, (uint32_t) exp);
	r = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_MET);
	ck_assert_double_eq_tol(r.gap, 100.0 * 9361 / 10000 - t->value, TOL);

	s = state_of(ind, "130000", "2020", 934, 1000, (uint32_t) exp);
	r = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_MISSED);
	ck_assert_double_eq_tol(r.gap, 100.0 * 934 / 1000 - t->value, TOL);
	ck_assert(r.gap < 0);
	ck_assert_str_ne(r.reason, "");

	/* One county short: incomplete, never met, with the provisional
	 * value and gap still shown. */
	s = state_of(ind, "130000", "2020", 936, 1000, (uint32_t) (exp - 1));
	r = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_INCOMPLETE);
	ck_assert(r.has_value && r.has_gap);
	ck_assert_double_eq_tol(r.value, 100.0 * 936 / 1000, TOL);
	snprintf(
	    want, sizeof(want), "1 of %zu leaf regions has not reported", exp);
	ck_assert_str_eq(r.reason, want);

	/* Nothing at all: incomplete without a value. */
	in.state = NULL;
	r        = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_INCOMPLETE);
	ck_assert(!r.has_value && !r.has_gap);
	snprintf(want, sizeof(want),
	    "%zu of %zu leaf regions have not reported", exp, exp);
	ck_assert_str_eq(r.reason, want);

	/* Every county reported, but nothing was sampled: no value. */
	in.state = &s;
	s        = state_of(ind, "130000", "2020", 0, 0, (uint32_t) exp);
	r        = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_INCOMPLETE);
	ck_assert(!r.has_value);
	ck_assert_str_eq(r.reason, "the denominator is 0");
}
END_TEST

/* Yangjiang: bulk consumer goods repair rate < 5% in 2015; lower is
 * better, so the gap is target - value. */
START_TEST(test_total_lt_yangjiang)
{
	const struct tally_indicator *ind =
	    testlib_indicator(cat, "bulk_goods_repair_rate");
	const struct tally_target *t   = target_of("441700", ind, "2015");
	size_t                     exp = leaves_of("441700");
	struct tally_state         s;
	struct tally_target_input  in;
	struct tally_target_result r;

	ck_assert_int_eq(t->op, TALLY_OP_LT);
	ck_assert(!ind->higher_better);
	memset(&in, 0, sizeof(in));
	in.state    = &s;
	in.expected = exp;

	s = state_of(ind, "441700", "2015", 42, 1000, (uint32_t) exp);
	r = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_MET);
	ck_assert_double_eq_tol(r.gap, t->value - 100.0 * 42 / 1000, TOL);
	ck_assert(r.gap > 0);

	/* Exactly at a strict ceiling is not below it. */
	s = state_of(ind, "441700", "2015", 50, 1000, (uint32_t) exp);
	r = evaluate(t, ind, &in);
	ck_assert_double_eq_tol(r.value, t->value, TOL);
	ck_assert_int_eq(r.status, TALLY_TARGET_MISSED);
	ck_assert_double_eq_tol(r.gap, 0, TOL);

	s = state_of(ind, "441700", "2015", 53, 1000, (uint32_t) exp);
	r = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_MISSED);
	ck_assert_double_eq_tol(r.gap, t->value - 100.0 * 53 / 1000, TOL);
	ck_assert(r.gap < 0);
}
END_TEST

/* Tianjin (津政發〔2014〕22號): manufacturing pass rate above 93% in 2016;
 * exactly 93 does not pass a strict `>`. */
START_TEST(test_total_gt_tianjin)
{
	const struct tally_indicator *ind =
	    testlib_indicator(cat, "mfg_pass_rate");
	const struct tally_target *t   = target_of("120000", ind, "2016");
	size_t                     exp = leaves_of("120000");
	struct tally_state         s;
	struct tally_target_input  in;
	struct tally_target_result r;

	ck_assert_int_eq(t->op, TALLY_OP_GT);
	memset(&in, 0, sizeof(in));
	in.state    = &s;
	in.expected = exp;

	s = state_of(ind, "120000", "2016", 930, 1000, (uint32_t) exp);
	r = evaluate(t, ind, &in);
	ck_assert_double_eq_tol(r.value, t->value, TOL);
	ck_assert_int_eq(r.status, TALLY_TARGET_MISSED);

	s = state_of(ind, "120000", "2016", 931, 1000, (uint32_t) exp);
	r = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_MET);
	ck_assert_double_eq_tol(r.gap, 100.0 * 931 / 1000 - t->value, TOL);
}
END_TEST

#define MAX_CHILDREN 64

/* Chaoyang's counties from the division tree, each with a count state for
 * 2020 of 1 + (i % 3) eco-origin products. */
struct chaoyang {
	struct tally_target_child child[MAX_CHILDREN];
	struct tally_state        state[MAX_CHILDREN];
	size_t                    n;
};

static void
chaoyang_init(struct chaoyang *c, const struct tally_indicator *ind)
{
	const struct tally_division *d = tally_catalog_division(cat, "211300");

	ck_assert_ptr_nonnull(d);
	memset(c, 0, sizeof(*c));
	for (size_t k = d->first_child; k != TALLY_NO_INDEX;
	     k        = cat->divisions[k].next_sibling) {
		const struct tally_division *cd = &cat->divisions[k];

		ck_assert_uint_lt(c->n, MAX_CHILDREN);
		c->state[c->n]          = state_of(ind, cd->code, "2020",
		             (double) (1 + c->n % 3), 0, (uint32_t) cd->leaves);
		c->child[c->n].code     = cd->code;
		c->child[c->n].state    = &c->state[c->n];
		c->child[c->n].expected = cd->leaves;
		c->n++;
	}
	ck_assert_uint_ge(c->n, 3);
}

/* The lowest count among the children that have a state, and where. */
static double
chaoyang_worst(const struct chaoyang *c, size_t *at)
{
	double worst = INFINITY;

	for (size_t i = 0; i < c->n; i++) {
		if (c->child[i].state != NULL && c->state[i].sum_a < worst) {
			worst = c->state[i].sum_a;
			*at   = i;
		}
	}
	return worst;
}

/* Chaoyang (朝政发〔2017〕37号): at least one eco-origin protected product
 * in every county by 2020. A county that has not reported cannot pass. */
START_TEST(test_each_child_chaoyang)
{
	const struct tally_indicator *ind =
	    testlib_indicator(cat, "eco_origin_products");
	const struct tally_target *t = target_of("211300", ind, "2020");
	struct chaoyang            c;
	struct tally_target_input  in;
	struct tally_target_result r;
	char                       want[TALLY_TARGET_REASON_MAX];
	size_t                     at = 0;
	double                     worst;

	ck_assert_int_eq(t->scope, TALLY_SCOPE_EACH_CHILD);
	ck_assert_int_eq(t->op, TALLY_OP_GE);
	chaoyang_init(&c, ind);
	memset(&in, 0, sizeof(in));
	in.children   = c.child;
	in.n_children = c.n;
	in.expected   = leaves_of("211300");

	/* Every county has at least one. */
	r     = evaluate(t, ind, &in);
	worst = chaoyang_worst(&c, &at);
	ck_assert_int_eq(r.status, TALLY_TARGET_MET);
	ck_assert_uint_eq(r.children_missing, 0);
	ck_assert_uint_eq(r.children_failing, 0);
	ck_assert_double_eq_tol(r.value, worst, TOL);
	ck_assert_double_eq_tol(r.gap, worst - t->value, TOL);
	ck_assert_str_eq(r.worst_child, c.child[at].code);
	ck_assert_str_eq(r.reason, "");

	/* One county missing: incomplete, never met. */
	c.child[2].state = NULL;
	r                = evaluate(t, ind, &in);
	worst            = chaoyang_worst(&c, &at);
	ck_assert_int_eq(r.status, TALLY_TARGET_INCOMPLETE);
	ck_assert_uint_eq(r.children_missing, 1);
	ck_assert_uint_eq(r.children_failing, 0);
	ck_assert(r.has_value);
	ck_assert_double_eq_tol(r.value, worst, TOL);
	snprintf(want, sizeof(want), "1 child has not reported: %s",
	    c.child[2].code);
	ck_assert_str_eq(r.reason, want);

	/* A child whose leaves have not all reported counts as missing too,
	 * even with a figure that would pass. */
	c.child[2].state    = &c.state[2];
	c.child[2].expected = c.state[2].leaves + 1;
	r                   = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_INCOMPLETE);
	ck_assert_uint_eq(r.children_missing, 1);
	c.child[2].expected = c.state[2].leaves;

	/* One county reporting none: missed, and it is the worst. */
	c.state[1] = state_of(ind, c.child[1].code, "2020", 0, 0, 1);
	r          = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_MISSED);
	ck_assert_uint_eq(r.children_failing, 1);
	ck_assert_uint_eq(r.children_missing, 0);
	ck_assert_str_eq(r.worst_child, c.child[1].code);
	ck_assert_double_eq_tol(r.value, 0, TOL);
	ck_assert_double_eq_tol(r.gap, 0 - t->value, TOL);
	snprintf(want, sizeof(want), "1 child below target; worst %s at 0",
	    c.child[1].code);
	ck_assert_str_eq(r.reason, want);

	/* A failing county settles it even while another is missing. */
	c.child[2].state = NULL;
	r                = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_MISSED);
	ck_assert_uint_eq(r.children_failing, 1);
	ck_assert_uint_eq(r.children_missing, 1);
	ck_assert_str_eq(r.worst_child, c.child[1].code);
	ck_assert_ptr_nonnull(strstr(r.reason, c.child[2].code));

	/* No county reported: incomplete without a value. */
	for (size_t i = 0; i < c.n; i++) {
		c.child[i].state = NULL;
	}
	r = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_INCOMPLETE);
	ck_assert_uint_eq(r.children_missing, c.n);
	ck_assert(!r.has_value && !r.has_gap);
	ck_assert_str_eq(r.worst_child, "");

	/* Without children the target cannot be evaluated, and the result
	 * is left alone. */
	in.n_children = 0;
	memset(&r, 0x5a, sizeof(r));
	ck_assert_int_eq(tally_target_evaluate(t, ind, &in, &r), TALLY_EINVAL);
	ck_assert_int_eq(r.status, 0x5a5a5a5a);
}
END_TEST

/* Hebei: PM2.5 in 2020 at least 40% below 2013 (change <= -40). */
START_TEST(test_change_pct_hebei)
{
	const struct tally_indicator *ind =
	    testlib_indicator(cat, "pm25_concentration");
	const struct tally_target *t   = target_of("130000", ind, "2020");
	size_t                     exp = leaves_of("130000");
	uint32_t                   all = (uint32_t) exp;
	struct tally_state         cur, base;
	struct tally_target_input  in;
	struct tally_target_result r;
	char                       want[TALLY_TARGET_REASON_MAX];
	double                     change;

	ck_assert_int_eq(t->scope, TALLY_SCOPE_CHANGE_PCT);
	ck_assert_int_eq(t->op, TALLY_OP_LE);
	ck_assert(t->has_baseline);
	ck_assert(tally_period_equal(&t->baseline,
	    &(struct tally_period) {
	        .year = 2013, .kind = TALLY_PERIOD_YEAR, .index = 0 }));
	ck_assert(!ind->higher_better);
	memset(&in, 0, sizeof(in));
	in.state    = &cur;
	in.baseline = &base;
	in.expected = exp;

	/* Station-days as weights: Σw·x / Σw is the mean. */
	base   = state_of(ind, "130000", "2013", 108, 365, all);
	cur    = state_of(ind, "130000", "2020", 45, 366, all);
	change = (45.0 - 108.0) / 108.0 * 100;
	r      = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_MET);
	ck_assert_double_eq_tol(r.value, change, TOL);
	ck_assert_double_eq_tol(r.gap, t->value - change, TOL);
	ck_assert(r.gap > 0);
	ck_assert(r.has_baseline_value);
	ck_assert_double_eq_tol(r.baseline_value, 108, TOL);
	ck_assert_str_eq(r.reason, "");

	cur    = state_of(ind, "130000", "2020", 70, 366, all);
	change = (70.0 - 108.0) / 108.0 * 100;
	r      = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_MISSED);
	ck_assert_double_eq_tol(r.value, change, TOL);
	ck_assert_double_eq_tol(r.gap, t->value - change, TOL);
	ck_assert(r.gap < 0);

	/* No baseline at all. */
	in.baseline = NULL;
	r           = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_INCOMPLETE);
	ck_assert(!r.has_value && !r.has_baseline_value);
	ck_assert_str_eq(r.reason, "baseline 2013 has no figure");

	/* A baseline some counties never reported: the change is shown as
	 * provisional. */
	in.baseline = &base;
	base        = state_of(ind, "130000", "2013", 108, 365, all - 2);
	r           = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_INCOMPLETE);
	ck_assert(r.has_value);
	ck_assert_double_eq_tol(r.value, change, TOL);
	snprintf(want, sizeof(want),
	    "baseline 2013: 2 of %zu leaf regions have not reported", exp);
	ck_assert_str_eq(r.reason, want);

	/* A baseline of 0 leaves the change undefined. */
	base = state_of(ind, "130000", "2013", 0, 365, all);
	r    = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_INCOMPLETE);
	ck_assert(!r.has_value && !r.has_gap);
	ck_assert(r.has_baseline_value);
	ck_assert_double_eq_tol(r.baseline_value, 0, TOL);
	ck_assert_ptr_nonnull(strstr(r.reason, "baseline 2013 is 0"));

	/* The target period itself incomplete. */
	base = state_of(ind, "130000", "2013", 108, 365, all);
	cur  = state_of(ind, "130000", "2020", 45, 366, all - 1);
	r    = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_INCOMPLETE);
	ck_assert_double_eq_tol(r.value, (45.0 - 108.0) / 108.0 * 100, TOL);

	in.state = NULL;
	r        = evaluate(t, ind, &in);
	ck_assert_int_eq(r.status, TALLY_TARGET_INCOMPLETE);
	ck_assert(!r.has_value && r.has_baseline_value);
}
END_TEST

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

#define TARGETS_HEADER                                                \
	"region_code,region_name,indicator_id,period,op,value,scope," \
	"baseline_period,source\n"

/* Refuses text as a targets file with exactly the message of the file's
 * path followed by want, leaving the catalogue's targets as they were. */
static void
refuse(const char *dir, const char *text, const char *want)
{
	char                path[256], msg[1024];
	struct tally_errbuf eb;
	size_t              before = cat->n_targets;

	snprintf(path, sizeof(path), "%s/bad.csv", dir);
	write_file(path, text);
	memset(&eb, 0, sizeof(eb));
	ck_assert_int_eq(tally_target_add_file(cat, path, &eb), TALLY_ECONFIG);
	snprintf(msg, sizeof(msg), "%s%s", path, want);
	ck_assert_str_eq(eb.text, msg);
	ck_assert_uint_eq(cat->n_targets, before);
	ck_assert_int_eq(unlink(path), 0);
}

START_TEST(test_add_targets)
{
	const struct tally_indicator *mfg =
	    testlib_indicator(cat, "mfg_pass_rate");
	const struct tally_indicator *pm =
	    testlib_indicator(cat, "pm25_concentration");
	const struct tally_target *found[4];
	struct tally_period        p2021 = per("2021");
	struct tally_errbuf        eb;
	char                       tmpl[] = "/tmp/tally-target-XXXXXX";
	char                      *dir    = mkdtemp(tmpl);
	char                       path[4096];
	size_t                     before;

	ck_assert_ptr_nonnull(dir);
	before = cat->n_targets;
	ck_assert_uint_eq(
	    tally_targets_for(cat, "130100", mfg, &p2021, found, 4), 0);

	snprintf(path, sizeof(path), "%s/local.csv", dir);
	write_file(path,
	    TARGETS_HEADER
	    "130100,石家庄市,mfg_pass_rate,2021,>=,94,total,,local plan\n"
	    "130100,石家庄市,pm25_concentration,2021,<=,-10,change_pct,2020,"
	    "local plan, 2021\n");
	memset(&eb, 0, sizeof(eb));
	ck_assert_int_eq(tally_target_add_file(cat, path, &eb), 0);
	ck_assert_uint_eq(cat->n_targets, before + 2);
	ck_assert_uint_eq(
	    tally_targets_for(cat, "130100", mfg, &p2021, found, 4), 1);
	ck_assert_int_eq(found[0]->op, TALLY_OP_GE);
	ck_assert_double_eq_tol(found[0]->value, 94, TOL);
	ck_assert_str_eq(found[0]->source, "local plan");
	ck_assert_uint_eq(
	    tally_targets_for(cat, "130100", pm, &p2021, found, 4), 1);
	ck_assert_int_eq(found[0]->scope, TALLY_SCOPE_CHANGE_PCT);
	ck_assert_int_eq(found[0]->baseline.year, 2020);
	ck_assert_str_eq(found[0]->source, "local plan, 2021");
	/* The shipped targets are still found after the array moved. */
	target_of("130000", mfg, "2020");
	ck_assert_int_eq(unlink(path), 0);

	/* A bad row after a good one: nothing of the file is taken. */
	before = cat->n_targets;
	refuse(dir,
	    TARGETS_HEADER "130200,唐山市,mfg_pass_rate,2021,>=,94,total,,ok\n"
	                   "130200,唐山市,no_such,2021,>=,94,total,,bad\n",
	    ":3: field indicator_id: unknown indicator 'no_such'");
	ck_assert_uint_eq(
	    tally_targets_for(cat, "130200", mfg, &p2021, found, 4), 0);
	refuse(dir,
	    TARGETS_HEADER "130200,唐山市,mfg_pass_rate,2021,=>,94,total,,\n",
	    ":2: field op: '=>' is not >=, >, <= or <");
	refuse(dir,
	    TARGETS_HEADER
	    "130200,唐山市,mfg_pass_rate,2020Q5,>=,94,total,,\n",
	    ":2: field period: '2020Q5' is not YYYY, YYYYQn or YYYY-MM");
	refuse(dir,
	    TARGETS_HEADER "999999,nowhere,mfg_pass_rate,2021,>=,94,total,,\n",
	    ":2: field region_code: unknown region '999999'");

	/* A missing file is a configuration error too. */
	snprintf(path, sizeof(path), "%s/none.csv", dir);
	memset(&eb, 0, sizeof(eb));
	ck_assert_int_eq(tally_target_add_file(cat, path, &eb), TALLY_ECONFIG);
	ck_assert_ptr_nonnull(strstr(eb.text, path));
	ck_assert_uint_eq(cat->n_targets, before);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* The Unix time in milliseconds of a UTC civil time, from the C library. */
static int64_t
utc_ms(int year, int month, int day, int hour)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon  = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	return (int64_t) timegm(&tm) * 1000;
}

static int64_t
due(const char *period, int days)
{
	struct tally_period p = per(period);

	return tally_target_due_ms(&p, days);
}

START_TEST(test_due_dates)
{
	/* 00:00 in UTC+8 is 16:00 UTC of the day before. */
	ck_assert_int_eq(due("2020", 15), utc_ms(2021, 1, 15, 16));
	ck_assert_int_eq(due("2020Q1", 15), utc_ms(2020, 4, 15, 16));
	ck_assert_int_eq(due("2020Q4", 15), utc_ms(2021, 1, 15, 16));
	ck_assert_int_eq(due("2020-02", 15), utc_ms(2020, 3, 15, 16));
	/* With no grace, figures are due as the last day ends: 29 February
	 * in a leap year, 28 February otherwise. */
	ck_assert_int_eq(due("2020-02", 0), utc_ms(2020, 2, 29, 16));
	ck_assert_int_eq(due("2019-02", 0), utc_ms(2019, 2, 28, 16));
	ck_assert_int_eq(due("2020", 0), utc_ms(2020, 12, 31, 16));
	ck_assert_int_eq(due("2020-12", 0), due("2020", 0));
	ck_assert_int_eq(due("1900", 0), utc_ms(1900, 12, 31, 16));

	/* The process's time zone does not enter. */
	setenv("TZ", "America/New_York", 1);
	tzset();
	ck_assert_int_eq(due("2020", 15), utc_ms(2021, 1, 15, 16));
}
END_TEST

START_TEST(test_due_settings)
{
	const struct tally_indicator *mfg =
	    testlib_indicator(cat, "mfg_pass_rate");
	const struct tally_indicator *pm =
	    testlib_indicator(cat, "pm25_concentration");
	struct tally_indicator other;
	struct tally_due       d;

	tally_due_init(&d);
	ck_assert_int_eq(tally_due_days(&d, cat, mfg), TALLY_DUE_DAYS_DEFAULT);
	ck_assert_ptr_null(d.days);

	ck_assert_int_eq(tally_due_set(&d, cat, pm, 30), 0);
	ck_assert_int_eq(tally_due_days(&d, cat, pm), 30);
	ck_assert_int_eq(tally_due_days(&d, cat, mfg), TALLY_DUE_DAYS_DEFAULT);
	d.default_days = 20;
	ck_assert_int_eq(tally_due_days(&d, cat, mfg), 20);
	ck_assert_int_eq(tally_due_days(&d, cat, pm), 30);

	ck_assert_int_eq(tally_due_set(&d, cat, mfg, 0), 0);
	ck_assert_int_eq(tally_due_days(&d, cat, mfg), 0);
	ck_assert_int_eq(tally_due_set(&d, cat, mfg, 3660), 0);
	ck_assert_int_eq(tally_due_days(&d, cat, mfg), 3660);

	/* Out of range, or not an indicator of the catalogue: refused,
	 * and the setting stays. */
	ck_assert_int_eq(tally_due_set(&d, cat, mfg, -1), TALLY_EINVAL);
	ck_assert_int_eq(tally_due_set(&d, cat, mfg, 3661), TALLY_EINVAL);
	memset(&other, 0, sizeof(other));
	ck_assert_int_eq(tally_due_set(&d, cat, &other, 5), TALLY_EINVAL);
	ck_assert_int_eq(tally_due_days(&d, cat, mfg), 3660);
	ck_assert_int_eq(tally_due_days(&d, cat, &other), 20);

	tally_due_fini(&d);
	tally_due_fini(NULL);
}
END_TEST

static Suite *
target_suite(void)
{
	Suite *s  = suite_create("target");
	TCase *tc = tcase_create("target");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_names_and_ops);
	tcase_add_test(tc, test_total_ge_hebei);
	tcase_add_test(tc, test_total_lt_yangjiang);
	tcase_add_test(tc, test_total_gt_tianjin);
	tcase_add_test(tc, test_each_child_chaoyang);
	tcase_add_test(tc, test_change_pct_hebei);
	tcase_add_test(tc, test_add_targets);
	tcase_add_test(tc, test_due_dates);
	tcase_add_test(tc, test_due_settings);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_run(target_suite());
}

/*
 * Unit and property tests of the rollup engine (common/rollup.c) against
 * docs/rollup.md. The property test builds random region trees with random
 * observations at every level, merges them in random groupings and orders,
 * and checks each region's figure against a flat computation over all the
 * raw observations below it, written here independently of the engine.
 * The incremental snapshot (common/snapshot.c) is held, change after
 * change, to the merge of every child's state from scratch.
 */
#include "catalog.h"
#include "rollup.h"
#include "snapshot.h"

#include "testlib.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct tally_indicator
make_ind(int kind, int agg, double factor, const char *unit)
{
	struct tally_indicator ind;

	memset(&ind, 0, sizeof(ind));
	ind.id            = (char *) "test";
	ind.unit          = (char *) unit;
	ind.kind          = kind;
	ind.time_agg      = agg;
	ind.factor        = factor;
	ind.higher_better = true;
	ind.percent       = kind == TALLY_KIND_RATIO && strcmp(unit, "%") == 0;
	return ind;
}

static struct tally_period
per(const char *s)
{
	struct tally_period p;

	ck_assert_int_eq(tally_period_parse(s, &p), 0);
	return p;
}

static struct tally_obs
ratio_obs(const char *period, double num, double den)
{
	struct tally_obs o;

	memset(&o, 0, sizeof(o));
	o.period = per(period);
	o.num    = num;
	o.den    = den;
	return o;
}

static struct tally_obs
value_obs(const char *period, double value, double weight)
{
	struct tally_obs o;

	memset(&o, 0, sizeof(o));
	o.period = per(period);
	o.value  = value;
	o.weight = weight;
	return o;
}

static double
value_of(const struct tally_state *s, const struct tally_indicator *ind)
{
	double v = NAN;

	ck_assert_int_eq(tally_state_value(s, ind, &v), 0);
	return v;
}

/* docs/rollup.md: 10 batches at 50% and 990 at 100% pool to 99.5%, not 75%. */
START_TEST(test_ratio_pools_not_averages)
{
	struct tally_indicator ind =
	    make_ind(TALLY_KIND_RATIO, TALLY_TIME_SUM, 100, "%");
	struct tally_obs    a = ratio_obs("2020", 5, 10);
	struct tally_obs    b = ratio_obs("2020", 990, 990);
	struct tally_state  sa, sb, total;
	struct tally_period y = per("2020");

	ck_assert_int_eq(
	    tally_state_own(&ind, "130102", true, &a, 1, &y, &sa), 0);
	ck_assert_int_eq(
	    tally_state_own(&ind, "130104", true, &b, 1, &y, &sb), 0);
	tally_state_init(&total);
	tally_state_merge(&total, &sa);
	tally_state_merge(&total, &sb);
	ck_assert_double_eq_tol(value_of(&total, &ind), 99.5, 1e-12);
	ck_assert_double_eq(total.sum_a, 995);
	ck_assert_double_eq(total.sum_b, 1000);
	ck_assert_uint_eq(total.leaves, 2);
	ck_assert_double_eq_tol(total.min_value, 50, 1e-12);
	ck_assert_str_eq(total.min_region, "130102");
	ck_assert_double_eq_tol(total.max_value, 100, 1e-12);
	ck_assert_str_eq(total.max_region, "130104");
}
END_TEST

START_TEST(test_ratio_zero_denominator_has_no_value)
{
	struct tally_indicator ind =
	    make_ind(TALLY_KIND_RATIO, TALLY_TIME_SUM, 100, "%");
	struct tally_obs    o = ratio_obs("2020-01", 0, 0);
	struct tally_state  s, empty;
	struct tally_period y = per("2020");
	double              v;

	ck_assert_int_eq(
	    tally_state_own(&ind, "130102", true, &o, 1, &y, &s), 0);
	ck_assert_uint_eq(s.leaves, 1);
	ck_assert(!s.has_minmax);
	ck_assert_int_eq(tally_state_value(&s, &ind, &v), TALLY_ENOENT);
	tally_state_init(&empty);
	ck_assert_int_eq(tally_state_value(&empty, &ind, &v), TALLY_ENOENT);
}
END_TEST

START_TEST(test_ratio_factor)
{
	struct tally_indicator ind = make_ind(
	    TALLY_KIND_RATIO, TALLY_TIME_SUM, 1000000, "per million people");
	struct tally_obs    o = ratio_obs("2015", 75, 2500000);
	struct tally_state  s;
	struct tally_period y = per("2015");

	ck_assert_int_eq(
	    tally_state_own(&ind, "441702", true, &o, 1, &y, &s), 0);
	ck_assert_double_eq_tol(value_of(&s, &ind), 30, 1e-9);
}
END_TEST

START_TEST(test_time_sum_adds_months_and_quarters)
{
	struct tally_indicator ind =
	    make_ind(TALLY_KIND_COUNT, TALLY_TIME_SUM, 1, "batches");
	struct tally_obs obs[] = {
		value_obs("2020-01", 10, 0), value_obs("2020-02", 20, 0),
		value_obs("2020-03", 30, 0), value_obs("2020Q2", 100, 0),
		value_obs("2021-01", 999, 0), /* outside 2020: ignored */
	};
	struct tally_state  s;
	struct tally_period p = per("2020");

	ck_assert_int_eq(
	    tally_state_own(&ind, "130102", true, obs, 5, &p, &s), 0);
	ck_assert_double_eq(value_of(&s, &ind), 160);
	ck_assert(s.has_newest);
	ck_assert(tally_period_equal(&s.newest, &obs[3].period));
	p = per("2020Q1");
	ck_assert_int_eq(
	    tally_state_own(&ind, "130102", true, obs, 5, &p, &s), 0);
	ck_assert_double_eq(value_of(&s, &ind), 60);
	p = per("2020Q3");
	ck_assert_int_eq(tally_state_own(&ind, "130102", true, obs, 5, &p, &s),
	    TALLY_ENOENT);
}
END_TEST

START_TEST(test_time_last_takes_latest_sub_period)
{
	struct tally_indicator ind =
	    make_ind(TALLY_KIND_COUNT, TALLY_TIME_LAST, 1, "items");
	/* Deliberately out of order: the engine must pick by period. */
	struct tally_obs obs[] = {
		value_obs("2020-06", 52, 0),
		value_obs("2020-03", 50, 0),
		value_obs("2020-11", 57, 0),
		value_obs("2020-08", 55, 0),
	};
	struct tally_state  s, t, total;
	struct tally_period p = per("2020");

	ck_assert_int_eq(
	    tally_state_own(&ind, "130102", true, obs, 4, &p, &s), 0);
	ck_assert_double_eq(value_of(&s, &ind), 57);
	ck_assert(tally_period_equal(&s.newest, &obs[2].period));
	p = per("2020Q2");
	ck_assert_int_eq(
	    tally_state_own(&ind, "130102", true, obs, 4, &p, &s), 0);
	ck_assert_double_eq(value_of(&s, &ind), 52);
	p = per("2020Q1");
	ck_assert_int_eq(
	    tally_state_own(&ind, "130102", true, obs, 4, &p, &s), 0);
	ck_assert_double_eq(value_of(&s, &ind), 50);

	/* Across regions, each region's latest is taken first, then summed:
	 * a region whose last figure is from March still counts. */
	p = per("2020");
	ck_assert_int_eq(
	    tally_state_own(&ind, "130102", true, obs, 4, &p, &s), 0);
	ck_assert_int_eq(
	    tally_state_own(&ind, "130104", true, &obs[1], 1, &p, &t), 0);
	tally_state_init(&total);
	tally_state_merge(&total, &s);
	tally_state_merge(&total, &t);
	ck_assert_double_eq(value_of(&total, &ind), 107);
	ck_assert(tally_period_equal(&total.newest, &obs[2].period));
}
END_TEST

START_TEST(test_time_weighted_mean)
{
	struct tally_indicator ind =
	    make_ind(TALLY_KIND_WMEAN, TALLY_TIME_WMEAN, 1, "ug/m3");
	struct tally_obs obs[] = {
		value_obs("2020-01", 40, 31),
		value_obs("2020-02", 70, 29),
	};
	struct tally_obs    other = value_obs("2020", 100, 1);
	struct tally_state  s, t, total;
	struct tally_period p = per("2020");

	ck_assert_int_eq(
	    tally_state_own(&ind, "130102", true, obs, 2, &p, &s), 0);
	ck_assert_double_eq_tol(
	    value_of(&s, &ind), (40.0 * 31 + 70.0 * 29) / 60, 1e-12);
	ck_assert_double_eq_tol(s.sum_b, 60, 1e-12);
	ck_assert_int_eq(
	    tally_state_own(&ind, "130104", true, &other, 1, &p, &t), 0);
	tally_state_init(&total);
	tally_state_merge(&total, &s);
	tally_state_merge(&total, &t);
	ck_assert_double_eq_tol(value_of(&total, &ind),
	    (40.0 * 31 + 70.0 * 29 + 100.0) / 61, 1e-12);
}
END_TEST

START_TEST(test_merge_identity_and_ties)
{
	struct tally_indicator ind =
	    make_ind(TALLY_KIND_COUNT, TALLY_TIME_SUM, 1, "items");
	struct tally_obs    o = value_obs("2020", 7, 0);
	struct tally_state  a, b, ab, ba, empty;
	struct tally_period p = per("2020");

	ck_assert_int_eq(
	    tally_state_own(&ind, "130105", true, &o, 1, &p, &a), 0);
	ck_assert_int_eq(
	    tally_state_own(&ind, "130102", true, &o, 1, &p, &b), 0);
	tally_state_init(&ab);
	tally_state_merge(&ab, &a);
	tally_state_merge(&ab, &b);
	tally_state_init(&ba);
	tally_state_merge(&ba, &b);
	tally_state_merge(&ba, &a);
	/* Equal values: the lower code wins either way round. */
	ck_assert_str_eq(ab.min_region, "130102");
	ck_assert_str_eq(ba.min_region, "130102");
	ck_assert_str_eq(ab.max_region, "130102");
	ck_assert_str_eq(ba.max_region, "130102");
	tally_state_init(&empty);
	tally_state_merge(&ab, &empty);
	ck_assert_double_eq(value_of(&ab, &ind), 14);
	ck_assert_uint_eq(ab.leaves, 2);
}
END_TEST

/* ---- The property test. ---- */

#define MAX_REGIONS 64
#define MAX_OBS     24

struct region {
	char             code[TALLY_REGION_STRLEN];
	int              parent; /* -1 for the root */
	struct tally_obs obs[MAX_OBS];
	size_t           nobs;
};

struct tree {
	struct region r[MAX_REGIONS];
	int           n;
};

/* xorshift64*, seeded, so a failure can be replayed from its seed. */
static unsigned long long rng_state;

static unsigned long long
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static int
rnd(int n)
{
	return (int) (rng() % (unsigned long long) n);
}

static double
rnd_real(double lo, double hi)
{
	return lo + (hi - lo) * ((double) (rng() >> 11) / 9007199254740992.0);
}

static void
add_obs(
    struct region *r, const struct tally_indicator *ind, struct tally_period p)
{
	struct tally_obs *o = &r->obs[r->nobs++];

	memset(o, 0, sizeof(*o));
	o->period = p;
	switch (ind->kind) {
	case TALLY_KIND_RATIO:
		o->den = (double) rnd(2000);
		o->num = ind->percent ? floor(o->den * rnd_real(0.5, 1.0))
		                      : rnd_real(0, 1e6);
		break;
	case TALLY_KIND_WMEAN:
		o->value  = rnd_real(0, 200);
		o->weight = rnd_real(0.1, 1000);
		break;
	default:
		o->value = (double) rnd(10000);
		break;
	}
}

/* Gives a region a random, non-overlapping pattern of observations in
 * 2020: nothing, the whole year, or per quarter either the quarter, some
 * of its months, or nothing. */
static void
fill_region(struct region *r, const struct tally_indicator *ind)
{
	struct tally_period p;
	int                 pattern = rnd(4);

	r->nobs = 0;
	if (pattern == 0) {
		return;
	}
	if (pattern == 1) {
		p.year  = 2020;
		p.kind  = TALLY_PERIOD_YEAR;
		p.index = 0;
		add_obs(r, ind, p);
		return;
	}
	for (int q = 1; q <= 4; q++) {
		int how = rnd(3);
		if (how == 0) {
			continue;
		}
		if (how == 1) {
			p.year  = 2020;
			p.kind  = TALLY_PERIOD_QUARTER;
			p.index = q;
			add_obs(r, ind, p);
			continue;
		}
		for (int m = (q - 1) * 3 + 1; m <= q * 3; m++) {
			if (rnd(4) == 0) {
				continue;
			}
			p.year  = 2020;
			p.kind  = TALLY_PERIOD_MONTH;
			p.index = m;
			add_obs(r, ind, p);
		}
	}
}

static void
make_tree(struct tree *t, const struct tally_indicator *ind)
{
	t->n = 1 + rnd(MAX_REGIONS - 1);
	for (int i = 0; i < t->n; i++) {
		struct region *r = &t->r[i];

		snprintf(r->code, sizeof(r->code), "%06u",
		    (unsigned) (100000 + rnd(900000)) % 1000000u);
		/* Every region's parent comes before it, so the root is 0 and
		 * depth and fan-out vary from tree to tree. */
		r->parent = i == 0 ? -1 : rnd(i);
		fill_region(r, ind);
	}
}

static bool
in_subtree(const struct tree *t, int region, int root)
{
	while (region != -1) {
		if (region == root) {
			return true;
		}
		region = t->r[region].parent;
	}
	return false;
}

static bool
is_leaf(const struct tree *t, int region)
{
	for (int i = 0; i < t->n; i++) {
		if (t->r[i].parent == region) {
			return false;
		}
	}
	return true;
}

/* The reference: one pass over the raw observations of every region
 * under root, as a flat SQL query would do it, sharing no code with the
 * engine beyond period containment. */
struct flat {
	double   a, b;
	bool     any;
	unsigned leaves;
	bool     has_minmax;
	double   min, max;
};

static struct flat
flat_compute(const struct tree *t, int root, const struct tally_indicator *ind,
    const struct tally_period *p)
{
	struct flat f;

	memset(&f, 0, sizeof(f));
	for (int i = 0; i < t->n; i++) {
		const struct region    *r      = &t->r[i];
		const struct tally_obs *latest = NULL;
		double                  a = 0, b = 0, v;
		bool                    any = false, has_v;

		if (!in_subtree(t, i, root)) {
			continue;
		}
		for (size_t k = 0; k < r->nobs; k++) {
			const struct tally_obs *o = &r->obs[k];
			if (!tally_period_contains(p, &o->period)) {
				continue;
			}
			any = true;
			if (latest == NULL ||
			    tally_period_last_month(&o->period) >
			        tally_period_last_month(&latest->period)) {
				latest = o;
			}
			if (ind->kind == TALLY_KIND_RATIO) {
				a += o->num;
				b += o->den;
			} else if (ind->kind == TALLY_KIND_WMEAN) {
				a += o->value * o->weight;
				b += o->weight;
			} else {
				a += o->value;
			}
		}
		if (!any) {
			continue;
		}
		f.any = true;
		if (ind->time_agg == TALLY_TIME_LAST) {
			a = ind->kind == TALLY_KIND_RATIO ? latest->num
			    : ind->kind == TALLY_KIND_WMEAN
			    ? latest->value * latest->weight
			    : latest->value;
			b = ind->kind == TALLY_KIND_RATIO   ? latest->den
			    : ind->kind == TALLY_KIND_WMEAN ? latest->weight
			                                    : 0;
		}
		f.a += a;
		f.b += b;
		/* Only leaves of the tree count as reporting and give the min
		 * and max; an inner region's own data adds to the sums. */
		if (!is_leaf(t, i)) {
			continue;
		}
		f.leaves++;
		has_v = ind->kind == TALLY_KIND_COUNT || b != 0;
		v     = ind->kind == TALLY_KIND_RATIO   ? ind->factor * a / b
		        : ind->kind == TALLY_KIND_WMEAN ? a / b
		                                        : a;
		if (has_v) {
			if (!f.has_minmax || v < f.min) {
				f.min = v;
			}
			if (!f.has_minmax || v > f.max) {
				f.max = v;
			}
			f.has_minmax = true;
		}
	}
	return f;
}

static void
shuffle(int *a, int n)
{
	for (int i = n - 1; i > 0; i--) {
		int j = rnd(i + 1);
		int x = a[i];
		a[i]  = a[j];
		a[j]  = x;
	}
}

/* The hierarchical computation, as hubs would do it: a region's state is
 * its own leaf state merged with its children's states. Children are
 * merged in random order and in random groups (partial merges of partial
 * merges), and the own state goes in at a random point. */
static void
tree_compute(const struct tree *t, int root, const struct tally_indicator *ind,
    const struct tally_period *p, struct tally_state *out)
{
	struct tally_state parts[MAX_REGIONS + 1];
	int                idx[MAX_REGIONS + 1];
	int                nparts = 0;

	for (int i = 0; i < t->n; i++) {
		if (t->r[i].parent == root) {
			tree_compute(t, i, ind, p, &parts[nparts++]);
		}
	}
	if (tally_state_own(ind, t->r[root].code, is_leaf(t, root),
	        t->r[root].obs, t->r[root].nobs, p,
	        &parts[nparts]) == TALLY_OK) {
		nparts++;
	}
	for (int i = 0; i < nparts; i++) {
		idx[i] = i;
	}
	shuffle(idx, nparts);
	tally_state_init(out);
	while (nparts > 0) {
		struct tally_state group;
		int                take = 1 + rnd(nparts);

		tally_state_init(&group);
		for (int k = 0; k < take; k++) {
			tally_state_merge(&group, &parts[idx[--nparts]]);
		}
		tally_state_merge(out, &group);
	}
}

static void
check_close(double got, double want, const char *what, unsigned long long seed)
{
	double err = fabs(got - want);
	double mag = fabs(want) > 1 ? fabs(want) : 1;

	ck_assert_msg(err / mag <= 1e-9,
	    "%s: tree %.17g != flat %.17g (seed %llu)", what, got, want, seed);
}

static void
property_run(int kind, int agg, double factor, const char *unit)
{
	struct tally_indicator ind = make_ind(kind, agg, factor, unit);
	static struct tree     t;
	const char *periods[] = { "2020", "2020Q1", "2020Q2", "2020Q3",
		"2020Q4", "2020-01", "2020-05", "2020-12" };

	for (unsigned long long seed = 1; seed <= 300; seed++) {
		rng_state = seed * 0x9E3779B97F4A7C15ULL + (unsigned) kind +
		    17u * (unsigned) agg;
		make_tree(&t, &ind);
		for (size_t pi = 0; pi < sizeof(periods) / sizeof(*periods);
		     pi++) {
			struct tally_period p = per(periods[pi]);

			for (int root = 0; root < t.n; root++) {
				struct tally_state s;
				struct flat        f =
				    flat_compute(&t, root, &ind, &p);
				double v, fv;
				bool   fhas;

				tree_compute(&t, root, &ind, &p, &s);
				ck_assert_uint_eq(s.leaves, f.leaves);
				check_close(s.sum_a, f.a, "sum_a", seed);
				check_close(s.sum_b, f.b, "sum_b", seed);
				fhas = f.any &&
				    (kind == TALLY_KIND_COUNT || f.b != 0);
				ck_assert_int_eq(
				    tally_state_value(&s, &ind, &v) == 0,
				    fhas);
				if (fhas) {
					fv = kind == TALLY_KIND_RATIO
					    ? factor * f.a / f.b
					    : kind == TALLY_KIND_WMEAN
					    ? f.a / f.b
					    : f.a;
					check_close(v, fv, "value", seed);
				}
				ck_assert_int_eq(s.has_minmax, f.has_minmax);
				if (f.has_minmax) {
					check_close(
					    s.min_value, f.min, "min", seed);
					check_close(
					    s.max_value, f.max, "max", seed);
				}
			}
		}
	}
}

START_TEST(test_property_ratio_sum)
{
	property_run(TALLY_KIND_RATIO, TALLY_TIME_SUM, 100, "%");
	property_run(TALLY_KIND_RATIO, TALLY_TIME_SUM, 1000000, "per million");
}
END_TEST

START_TEST(test_property_count_sum)
{
	property_run(TALLY_KIND_COUNT, TALLY_TIME_SUM, 1, "batches");
}
END_TEST

START_TEST(test_property_count_last)
{
	property_run(TALLY_KIND_COUNT, TALLY_TIME_LAST, 1, "items");
}
END_TEST

START_TEST(test_property_weighted_mean)
{
	property_run(TALLY_KIND_WMEAN, TALLY_TIME_WMEAN, 1, "ug/m3");
}
END_TEST

START_TEST(test_property_ratio_last)
{
	property_run(TALLY_KIND_RATIO, TALLY_TIME_LAST, 100, "%");
}
END_TEST

/* A random child's state: sums of very different magnitudes now and then
 * (a typo corrected later), leaf values from a few (so that extremes tie),
 * and a newest period that is a month or the year. */
static struct tally_state
random_child(int child)
{
	static const char *newest[] = { "2020-12", "2020", "2020-11" };
	struct tally_state s;
	double             scale = rng() % 50 == 0 ? 1e15 : 1;

	tally_state_init(&s);
	s.sum_a  = scale * (double) (rng() % 100000) / 7.0;
	s.sum_b  = (double) (rng() % 1000) / 3.0;
	s.leaves = (uint32_t) (1 + rng() % 3);
	if (rng() % 8 != 0) {
		s.has_minmax = true;
		s.min_value  = (double) (rng() % 5);
		s.max_value  = s.min_value + (double) (rng() % 5);
		snprintf(s.min_region, sizeof(s.min_region), "13%02d%02d",
		    child, (int) (rng() % 3));
		snprintf(s.max_region, sizeof(s.max_region), "13%02d%02d",
		    child, (int) (rng() % 3));
	}
	if (rng() % 8 != 0) {
		s.has_newest = true;
		ck_assert_int_eq(
		    tally_period_parse(newest[rng() % 3], &s.newest), 0);
	}
	return s;
}

/* Every child's state merged from scratch, in child order, after the
 * region's own state: what the store recomputes, with the error bounds
 * of its sums. */
static struct tally_state
from_scratch(const struct tally_state *own, const struct tally_state *kids,
    const bool *has, int n, double *err_a, double *err_b)
{
	struct tally_state t;

	tally_state_init(&t);
	tally_state_merge(&t, own);
	*err_a = 0;
	*err_b = 0;
	for (int i = 0; i < n; i++) {
		if (has[i]) {
			tally_state_merge(&t, &kids[i]);
			tally_snapshot_merge_err(&t, err_a, err_b);
		}
	}
	return t;
}

START_TEST(test_snapshot_incremental)
{
	enum { KIDS = 12, STEPS = 3000 };
	struct tally_state own, kids[KIDS], snap;
	bool               has[KIDS];
	double             err_a = 0, err_b = 0;
	int                incremental = 0, recomputed = 0;

	rng_state = 0x5EED5EEDULL;
	tally_state_init(&own);
	own.sum_a = 1.0 / 3.0;
	own.sum_b = 2.0;
	memset(has, 0, sizeof(has));
	snap = from_scratch(&own, kids, has, KIDS, &err_a, &err_b);
	for (int step = 0; step < STEPS; step++) {
		struct tally_snapacc acc;
		struct tally_state   want, next;
		int                  k = (int) (rng() % KIDS);
		/* Several children change in one transaction now and then. */
		int    changes = 1 + (int) (rng() % 3);
		double ea, eb, wa, wb;

		tally_snapacc_start(&acc, &snap);
		for (int c = 0; c < changes; c++, k = (int) (rng() % KIDS)) {
			struct tally_state n = random_child(k);

			tally_snapacc_replace(
			    &acc, has[k] ? &kids[k] : NULL, &n);
			kids[k] = n;
			has[k]  = true;
		}
		want = from_scratch(&own, kids, has, KIDS, &wa, &wb);
		if (acc.full) {
			recomputed++;
			snap  = want;
			err_a = wa;
			err_b = wb;
			continue;
		}
		tally_snapacc_finish(&acc, &next, &ea, &eb);
		if (!tally_snapshot_within(&next, err_a + ea, err_b + eb)) {
			recomputed++;
			snap  = want;
			err_a = wa;
			err_b = wb;
			continue;
		}
		incremental++;
		err_a += ea;
		err_b += eb;
		/* Everything but the sums is exactly the merge's. */
		ck_assert_uint_eq(next.leaves, want.leaves);
		ck_assert_int_eq(next.has_minmax, want.has_minmax);
		if (want.has_minmax) {
			ck_assert(next.min_value == want.min_value);
			ck_assert(next.max_value == want.max_value);
			ck_assert_str_eq(next.min_region, want.min_region);
			ck_assert_str_eq(next.max_region, want.max_region);
		}
		ck_assert_int_eq(next.has_newest, want.has_newest);
		if (want.has_newest) {
			ck_assert(
			    tally_period_equal(&next.newest, &want.newest));
		}
		check_close(next.sum_a, want.sum_a, "incremental sum_a",
		    (unsigned long long) step);
		check_close(next.sum_b, want.sum_b, "incremental sum_b",
		    (unsigned long long) step);
		snap = next;
	}
	/* Both ways were taken, each often (extremes depart often here:
	 * few children, few distinct values). */
	ck_assert_int_gt(incremental, STEPS / 10);
	ck_assert_int_gt(recomputed, STEPS / 10);
}
END_TEST

static Suite *
rollup_suite(void)
{
	Suite *s  = suite_create("rollup");
	TCase *tc = tcase_create("units");
	TCase *tp = tcase_create("property");

	tcase_add_test(tc, test_ratio_pools_not_averages);
	tcase_add_test(tc, test_ratio_zero_denominator_has_no_value);
	tcase_add_test(tc, test_ratio_factor);
	tcase_add_test(tc, test_time_sum_adds_months_and_quarters);
	tcase_add_test(tc, test_time_last_takes_latest_sub_period);
	tcase_add_test(tc, test_time_weighted_mean);
	tcase_add_test(tc, test_merge_identity_and_ties);
	tcase_add_test(tc, test_snapshot_incremental);
	suite_add_tcase(s, tc);
	/* Under sanitizers the property runs take a few seconds. */
	tcase_set_timeout(tp, 120);
	tcase_add_test(tp, test_property_ratio_sum);
	tcase_add_test(tp, test_property_count_sum);
	tcase_add_test(tp, test_property_count_last);
	tcase_add_test(tp, test_property_weighted_mean);
	tcase_add_test(tp, test_property_ratio_last);
	suite_add_tcase(s, tp);
	return s;
}

int
main(void)
{
	return testlib_run(rollup_suite());
}

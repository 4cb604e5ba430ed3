/*
 * tally-gen: writes a year of plausible sample observations for every leaf
 * region at or below a region, one `tally-node import` file per leaf and,
 * on request, one flat file holding every row, from which tests compute
 * the reference figures a hub must reproduce. The output depends only on
 * the seed, the year and each leaf's own code, so the same arguments give
 * byte-identical files, and a county's rows are the same whichever other
 * regions are generated with it.
 *
 * The benchmarks (bench/bench.c) use two more options: --all fills every
 * county of the country, and --monthly writes every indicator month by
 * month, twelve rows a year, for the heaviest load a year can bring.
 */
#include "catalog.h"
#include "errors.h"
#include "period.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#ifndef TALLY_VERSION
#define TALLY_VERSION "0.0.0"
#endif

#define GEN_DEFAULT_SEED 1
/* Binomial draws with more trials than this use a normal approximation, so
 * that large denominators (hectares, production lots) stay cheap. */
#define GEN_EXACT_TRIALS 4096
/* The year whose levels the tables below describe; PM2.5 is scaled from
 * it so that the 2013 baseline of Hebei's target can be generated too. */
#define GEN_BASE_YEAR 2020

static const char *prog = "tally-gen";

/* How an indicator's rows are made. The catalogue's kind decides which
 * columns a row fills; the model decides what plausible numbers are. */
enum gen_model {
	GEN_PASS_RATE,   /* a % ratio: passed of checked, binomial */
	GEN_PER_MILLION, /* invention patent applications per million people */
	GEN_PER_MILLE,   /* quality funding per mille of budget revenue */
	GEN_RATIO,       /* any other ratio */
	GEN_FLOW,        /* a count that adds up over time */
	GEN_STOCK,       /* a count whose latest value stands for the period */
	GEN_PM25,        /* monthly PM2.5, weighted by station-days */
	GEN_INDEX,       /* a yearly index, weighted by output value */
	GEN_WMEAN,       /* any other weighted mean */
};

/* One indicator's recipe. Which fields count depends on the model: lo and
 * hi bound a pass rate's denominator in one period, a flow's count in an
 * average month, or a stock's value in the first quarter. */
struct gen_spec {
	const char *id;
	int         model;      /* enum gen_model */
	int         grain;      /* enum tally_period_kind of every row */
	double      rate;       /* pass rates: mean across counties, in % */
	double      spread;     /* pass rates: deviation between counties */
	long        lo;         /* see above */
	long        hi;         /* see above */
	long        step;       /* stocks: the most one quarter adds */
	double      step_share; /* stocks: chance that a quarter adds any */
	double      zero_share; /* stocks: share of counties holding none */
};

#define GEN_M TALLY_PERIOD_MONTH
#define GEN_Q TALLY_PERIOD_QUARTER
#define GEN_Y TALLY_PERIOD_YEAR

#define PASS(id, grain, rate, spread, lo, hi)                           \
	{                                                               \
		id, GEN_PASS_RATE, grain, rate, spread, lo, hi, 0, 0, 0 \
	}
#define FLOW(id, lo, hi)                                   \
	{                                                  \
		id, GEN_FLOW, GEN_M, 0, 0, lo, hi, 0, 0, 0 \
	}
#define STOCK(id, lo, hi, step, share, zero)                          \
	{                                                             \
		id, GEN_STOCK, GEN_Q, 0, 0, lo, hi, step, share, zero \
	}
#define SPECIAL(id, model, grain)                     \
	{                                             \
		id, model, grain, 0, 0, 0, 0, 0, 0, 0 \
	}

/* The levels are those of an ordinary county around 2020. Pass rates sit
 * where the programmes' targets are set, so that some regions meet them
 * and some do not; the national manufacturing pass rate was 93.39% in
 * 2020. Rates are spread over the three granularities on purpose, so that
 * every path of the time rollup is exercised. */
static const struct gen_spec gen_specs[] = {
	PASS("mfg_pass_rate", GEN_M, 93.39, 1.5, 20, 150),
	PASS("agri_pass_rate", GEN_Q, 97.6, 1.0, 150, 400),
	PASS("food_spot_check_pass_rate", GEN_M, 97.2, 1.2, 30, 120),
	PASS("national_spot_check_pass_rate", GEN_Q, 91.5, 3.0, 5, 40),
	PASS("product_safety_pass_rate", GEN_Q, 94.5, 1.5, 40, 200),
	PASS("major_project_acceptance_rate", GEN_Y, 99.3, 0.6, 5, 40),
	PASS("other_project_acceptance_rate", GEN_Y, 97.8, 1.0, 20, 120),
	PASS("construction_complaint_resolution_rate", GEN_Q, 95.5, 2.0, 10,
	    60),
	PASS("project_supervision_coverage", GEN_Y, 98.5, 1.0, 30, 200),
	PASS("agri_standardized_production_rate", GEN_Y, 38.0, 6.0, 3000,
	    40000),
	PASS("traceability_coverage", GEN_Y, 90.5, 3.0, 100, 800),
	PASS("finished_product_yield", GEN_Q, 98.9, 0.5, 2000, 20000),
	PASS("bulk_goods_repair_rate", GEN_Q, 3.8, 0.8, 500, 5000),
	PASS("market_eval_pass_rate", GEN_Q, 91.0, 2.0, 30, 150),
	PASS("key_product_market_eval_pass_rate", GEN_Q, 95.2, 1.5, 20, 100),
	PASS("standard_adoption_coverage", GEN_Y, 81.0, 5.0, 20, 150),
	PASS("patent_implementation_rate", GEN_Y, 68.0, 6.0, 50, 600),
	PASS("chief_quality_officer_share", GEN_Y, 48.0, 8.0, 10, 80),
	PASS("measurement_traceability_coverage", GEN_Y, 91.0, 3.0, 100, 1000),
	SPECIAL("invention_patents_per_million", GEN_PER_MILLION, GEN_Y),
	SPECIAL("quality_funding_per_mille", GEN_PER_MILLE, GEN_Y),
	SPECIAL("pm25_concentration", GEN_PM25, GEN_M),
	SPECIAL("mfg_competitiveness_index", GEN_INDEX, GEN_Y),
	FLOW("supervision_spot_check_batches", 120, 300),
	FLOW("sme_quality_training", 1, 30),
	STOCK("industrial_brand_products", 1, 15, 1, 0.3, 0),
	STOCK("service_brands", 0, 6, 1, 0.15, 0),
	STOCK("agri_brand_products", 0, 5, 1, 0.15, 0),
	STOCK("quality_products", 0, 3, 1, 0.1, 0),
	STOCK("china_well_known_trademarks", 0, 4, 1, 0.1, 0),
	STOCK("geographical_indication_products", 0, 4, 1, 0.1, 0),
	STOCK("provincial_brand_products", 0, 12, 1, 0.25, 0),
	STOCK("registered_trademarks", 150, 2500, 60, 1.0, 0),
	STOCK("famous_trademarks", 1, 20, 1, 0.2, 0),
	STOCK("city_brands", 2, 20, 2, 0.3, 0),
	STOCK("quality_agri_brands", 0, 8, 1, 0.15, 0),
	STOCK("municipal_quality_projects", 0, 20, 2, 0.3, 0),
	STOCK("national_quality_projects", 0, 3, 1, 0.05, 0),
	STOCK("national_demo_zones", 0, 2, 1, 0.05, 0),
	STOCK("brand_demo_zones", 0, 2, 1, 0.05, 0),
	STOCK("standards_led", 0, 15, 2, 0.3, 0),
	STOCK("agri_standardization_demo_zones", 0, 3, 1, 0.08, 0),
	STOCK("service_standardization_demo_sites", 0, 3, 1, 0.08, 0),
	STOCK("public_measurement_standards", 5, 20, 1, 0.2, 0),
	STOCK("integrity_measurement_units", 2, 15, 1, 0.2, 0),
	STOCK("agri_three_certified_products", 3, 20, 2, 0.3, 0),
	/* Some counties hold none of these, so that Chaoyang's "at least
	 * one in every county" targets can be missed. */
	STOCK("eco_origin_products", 1, 3, 1, 0.05, 0.2),
	STOCK("organic_demo_zones", 1, 2, 1, 0.05, 0.2),
	/* Few counties have a 5A spot (Hebei had about a dozen). */
	STOCK("scenic_spots_5a", 1, 1, 1, 0.02, 0.9),
	STOCK("scenic_spots_4a", 0, 5, 1, 0.05, 0),
};

/* A winter-high shape of monthly PM2.5 in north China, as multiples of
 * the annual level; heating season and still air double the summer
 * values. */
static const double pm25_shape[12] = { 1.60, 1.35, 1.05, 0.80, 0.68, 0.64,
	0.60, 0.60, 0.68, 0.90, 1.25, 1.55 };

struct gen_args {
	const char *region; /* NULL with all */
	bool        all;    /* every province */
	bool        monthly;
	int         year;
	uint64_t    seed;
	const char *out;
	const char *flat;
};

/* What stays the same for a leaf across indicators and years: its size
 * and its monitoring network. */
struct gen_profile {
	long population;         /* resident population */
	long revenue_per_capita; /* general budget revenue, yuan a person */
	long stations;           /* PM2.5 monitoring stations */
	long pm25_level;         /* the annual PM2.5 level in GEN_BASE_YEAR */
};

/* splitmix64: small, fast and good enough for sample data, and its
 * output is fixed by its 64-bit state alone on every platform. */
struct gen_rng {
	uint64_t state;
};

/* Where rows go: the leaf's own file and the flat file, either of which
 * may be absent. */
struct gen_out {
	FILE       *leaf;
	FILE       *flat;
	const char *region;
	size_t      rows;
};

struct gen_ctx {
	const struct tally_catalog *cat;
	const struct gen_args      *args;
	FILE                       *flat;
	char                       *path; /* room for DIR/CODE.csv */
	size_t                      path_size;
	size_t                      files;
	size_t                      leaves;
	size_t                      rows;
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: %s --region CODE|--all --year YYYY [--seed N]\n"
	    "       [--monthly] [--out DIR] [--flat FILE]\n"
	    "\n"
	    "Writes a year of plausible sample observations for every leaf\n"
	    "region at or below CODE: DIR/<leaf>.csv in the `tally-node\n"
	    "import` format, and with --flat one CSV with the header\n"
	    "region,indicator,period,numerator,denominator,value,weight\n"
	    "holding every row of every leaf. At least one of --out and\n"
	    "--flat is needed. The same arguments give the same bytes.\n"
	    "\n"
	    "Options:\n"
	    "  --region CODE  the region (any level) whose leaves to fill\n"
	    "  --all          every leaf of the country instead\n"
	    "  --monthly      every indicator month by month (12 rows a\n"
	    "                 year each) instead of at its usual grain\n"
	    "  --year YYYY    the year of the observations\n"
	    "  --seed N       the seed, a non-negative integer (default %d)\n"
	    "  --out DIR      the directory for the per-leaf files (created\n"
	    "                 if missing)\n"
	    "  --flat FILE    the flat file of every row\n"
	    "  -h, --help     show this help\n"
	    "  -V, --version  show the version\n"
	    "\n"
	    "Reference data is read from $TALLY_DATA_DIR, the installed data\n"
	    "directory, or the source tree's configs/.\n"
	    "\n"
	    "Exit codes: 0 ok, 64 usage, 65 unknown region, 73 cannot\n"
	    "create an output file, 74 write error, 78 bad reference data.\n",
	    prog, GEN_DEFAULT_SEED);
}

static int
usage_error(const char *msg)
{
	fprintf(stderr, "%s: %s (see %s --help)\n", prog, msg, prog);
	return EX_USAGE;
}

static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
	return z ^ (z >> 31);
}

static uint64_t
fnv1a(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char) *s;
		h *= 0x100000001B3u;
	}
	return h;
}

/* Seeds a stream from the seed, the region, the year and a tag (an
 * indicator id). Hashing the id rather than its position in the catalogue
 * keeps every indicator's rows the same when indicators are added or
 * reordered. */
static void
rng_seed(struct gen_rng *r, uint64_t seed, const char *region, int year,
    const char *tag)
{
	uint64_t h = 0xCBF29CE484222325u;

	h = fnv1a(h, region);
	h = fnv1a(h, "/");
	h = fnv1a(h, tag);
	h ^= (uint64_t) (unsigned) year * 0x9E3779B97F4A7C15u;
	r->state = mix64(seed ^ mix64(h));
}

static uint64_t
rng_next(struct gen_rng *r)
{
	r->state += 0x9E3779B97F4A7C15u;
	return mix64(r->state);
}

/* A double in [0, 1) with 53 random bits. */
static double
rng_unit(struct gen_rng *r)
{
	return (double) (rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static double
rng_uniform(struct gen_rng *r, double lo, double hi)
{
	return lo + (hi - lo) * rng_unit(r);
}

/* An integer in [lo, hi]. */
static long
rng_range(struct gen_rng *r, long lo, long hi)
{
	long v = lo + (long) (rng_unit(r) * (double) (hi - lo + 1));

	return v > hi ? hi : v;
}

/* A standard normal deviate as the sum of twelve uniforms. It uses no
 * library function whose last bit may differ between C libraries, so the
 * output stays byte-identical across machines. */
static double
rng_normal(struct gen_rng *r)
{
	double s = 0;

	for (int i = 0; i < 12; i++) {
		s += rng_unit(r);
	}
	return s - 6.0;
}

static long
round_long(double x)
{
	return (long) floor(x + 0.5);
}

static long
clamp_long(long v, long lo, long hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static double
clamp_double(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Successes in n trials of probability p: exact for small n, a rounded
 * normal approximation (sqrt is correctly rounded everywhere) above. */
static long
rng_binomial(struct gen_rng *r, long n, double p)
{
	long k = 0;

	if (n <= GEN_EXACT_TRIALS) {
		for (long i = 0; i < n; i++) {
			k += rng_unit(r) < p;
		}
		return k;
	}
	k = round_long(
	    (double) n * p + sqrt((double) n * p * (1 - p)) * rng_normal(r));
	return clamp_long(k, 0, n);
}

static void
make_profile(
    const struct gen_args *a, const char *region, struct gen_profile *pf)
{
	struct gen_rng r;

	/* Year 0: the profile is the same in every year. */
	rng_seed(&r, a->seed, region, 0, "profile");
	pf->population         = rng_range(&r, 200000, 1200000);
	pf->revenue_per_capita = rng_range(&r, 500, 1500);
	pf->stations           = rng_range(&r, 1, 6);
	pf->pm25_level         = rng_range(&r, 40, 70);
}

static bool
leap_year(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static long
days_in_month(int year, int month)
{
	static const long days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };

	return month == 2 && leap_year(year) ? 29 : days[month - 1];
}

/* How much higher PM2.5 was in year than in GEN_BASE_YEAR: Hebei's
 * annual mean fell from about 108 μg/m³ in 2013 to about 45 in 2020, and
 * the generated data follows that line so that the province's "40% below
 * 2013" target is met when both years are generated. */
static double
pm25_year_factor(int year)
{
	if (year >= GEN_BASE_YEAR) {
		return 1.0;
	}
	if (year <= 2013) {
		return 1.9;
	}
	return 1.0 + 0.9 * (double) (GEN_BASE_YEAR - year) / 7.0;
}

/* The periods of one year at a granularity, in calendar order. */
static int
year_periods(int year, int grain, struct tally_period *out)
{
	int n = grain == GEN_M ? 12 : grain == GEN_Q ? 4 : 1;

	for (int i = 0; i < n; i++) {
		out[i].year  = year;
		out[i].kind  = grain;
		out[i].index = grain == GEN_Y ? 0 : i + 1;
	}
	return n;
}

static void
emit(struct gen_out *o, const char *ind, const struct tally_period *p,
    const char *num, const char *den, const char *value, const char *weight)
{
	char period[TALLY_PERIOD_STRLEN];

	tally_period_format(p, period);
	if (o->leaf != NULL) {
		fprintf(o->leaf, "%s,%s,%s,%s,%s,%s\n", ind, period, num, den,
		    value, weight);
	}
	if (o->flat != NULL) {
		fprintf(o->flat, "%s,%s,%s,%s,%s,%s,%s\n", o->region, ind,
		    period, num, den, value, weight);
	}
	o->rows++;
}

static void
emit_ratio(struct gen_out *o, const char *ind, const struct tally_period *p,
    long num, long den)
{
	char n[24], d[24];

	snprintf(n, sizeof(n), "%ld", num);
	snprintf(d, sizeof(d), "%ld", den);
	emit(o, ind, p, n, d, "", "");
}

static void
emit_count(struct gen_out *o, const char *ind, const struct tally_period *p,
    long value)
{
	char v[24];

	snprintf(v, sizeof(v), "%ld", value);
	emit(o, ind, p, "", "", v, "");
}

/* A weighted mean with both figures in tenths, printed with one decimal
 * from integers so that no rounding of a double can differ. */
static void
emit_wmean_tenths(struct gen_out *o, const char *ind,
    const struct tally_period *p, long value, long weight)
{
	char v[24], w[24];

	snprintf(v, sizeof(v), "%ld.%ld", value / 10, value % 10);
	snprintf(w, sizeof(w), "%ld.%ld", weight / 10, weight % 10);
	emit(o, ind, p, "", "", v, w);
}

static void
emit_wmean(struct gen_out *o, const char *ind, const struct tally_period *p,
    long value, long weight)
{
	char v[24], w[24];

	snprintf(v, sizeof(v), "%ld", value);
	snprintf(w, sizeof(w), "%ld", weight);
	emit(o, ind, p, "", "", v, w);
}

/* The kind of row a model writes, to check a table entry against the
 * catalogue. */
static int
model_kind(int model)
{
	switch (model) {
	case GEN_PASS_RATE:
	case GEN_PER_MILLION:
	case GEN_PER_MILLE:
	case GEN_RATIO:
		return TALLY_KIND_RATIO;
	case GEN_FLOW:
	case GEN_STOCK:
		return TALLY_KIND_COUNT;
	default:
		return TALLY_KIND_WMEAN;
	}
}

/* The table entry for ind, or a generic one built from its kind, so that
 * an indicator added to the catalogue later still gets importable rows. */
static void
find_spec(const struct tally_indicator *ind, struct gen_spec *sp)
{
	for (size_t i = 0; i < sizeof(gen_specs) / sizeof(gen_specs[0]); i++) {
		if (strcmp(gen_specs[i].id, ind->id) == 0 &&
		    model_kind(gen_specs[i].model) == ind->kind) {
			*sp = gen_specs[i];
			return;
		}
	}
	switch (ind->kind) {
	case TALLY_KIND_RATIO:
		if (ind->percent) {
			*sp = (struct gen_spec) PASS(
			    ind->id, GEN_Q, 92.0, 2.0, 20, 200);
		} else {
			*sp = (struct gen_spec) SPECIAL(
			    ind->id, GEN_RATIO, GEN_Y);
			sp->lo = 1000;
			sp->hi = 10000;
		}
		break;
	case TALLY_KIND_COUNT:
		if (ind->time_agg == TALLY_TIME_LAST) {
			*sp =
			    (struct gen_spec) STOCK(ind->id, 0, 10, 1, 0.2, 0);
		} else {
			*sp = (struct gen_spec) FLOW(ind->id, 0, 30);
		}
		break;
	default:
		*sp = (struct gen_spec) SPECIAL(ind->id, GEN_WMEAN, GEN_Y);
		break;
	}
}

/* Each county has its own pass rate and its own volume; months vary
 * around the county's volume. The county rates are centred on the
 * table's rate and do not depend on the volume, so the pooled figure of
 * many counties lands near that rate. */
static void
gen_pass_rate(struct gen_out *o, struct gen_rng *r, const struct gen_spec *sp,
    const struct tally_period *ps, int n)
{
	double rate =
	    clamp_double(sp->rate + sp->spread * rng_normal(r), 0, 100) / 100;
	long base = rng_range(r, sp->lo, sp->hi);

	for (int i = 0; i < n; i++) {
		long den = base;

		if (n > 1) {
			den = round_long(
			    (double) base * rng_uniform(r, 0.8, 1.2));
			den = clamp_long(den, sp->lo, sp->hi);
		}
		emit_ratio(o, sp->id, &ps[i], rng_binomial(r, den, rate), den);
	}
}

static void
gen_stock(struct gen_out *o, struct gen_rng *r, const struct gen_spec *sp,
    const struct tally_period *ps, int n)
{
	bool none = rng_unit(r) < sp->zero_share;
	long v    = rng_range(r, sp->lo, sp->hi);

	for (int i = 0; i < n; i++) {
		/* A stock only grows within the year: brands and zones once
		 * awarded stay on the books until the next review. */
		if (i > 0 && rng_unit(r) < sp->step_share) {
			v += rng_range(r, 1, sp->step);
		}
		emit_count(o, sp->id, &ps[i], none ? 0 : v);
	}
}

/* One month's share of a year's weight (in tenths), never zero. */
static long
spread_weight(long weight, int n)
{
	long w = round_long((double) weight / n);

	return w > 0 ? w : 1;
}

static void
gen_indicator(struct gen_out *o, const struct gen_args *a,
    const struct gen_profile *pf, const struct tally_indicator *ind)
{
	struct gen_spec     sp;
	struct gen_rng      r;
	struct tally_period ps[12];
	int                 n;
	long                num, den, base;
	double              level;

	find_spec(ind, &sp);
	rng_seed(&r, a->seed, o->region, a->year, ind->id);
	if (a->monthly) {
		sp.grain = GEN_M;
	}
	n = year_periods(a->year, sp.grain, ps);
	/* The yearly models below write one row, or with --monthly one row
	 * a month with the year's denominator or weight spread over the
	 * months; with one row the draws are those of the yearly row. */
	switch (sp.model) {
	case GEN_PASS_RATE:
		gen_pass_rate(o, &r, &sp, ps, n);
		break;
	case GEN_PER_MILLION:
		/* A county files 10 to 60 applications per million people
		 * (person-years, with --monthly). */
		for (int i = 0; i < n; i++) {
			den = round_long((double) pf->population / n);
			num = round_long(
			    (double) den * rng_uniform(&r, 10, 60) / 1e6);
			emit_ratio(o, sp.id, &ps[i], num, den);
		}
		break;
	case GEN_PER_MILLE:
		/* Revenue is in yuan, rounded to ten thousand as budgets are
		 * given in 万元; the funding is 0.5 to 2 per mille of it. */
		for (int i = 0; i < n; i++) {
			den = pf->population * pf->revenue_per_capita;
			den = round_long((double) den / n *
			          rng_uniform(&r, 0.9, 1.1) / 1e4) *
			    10000;
			num = round_long((double) den *
			          rng_uniform(&r, 0.5, 2.0) / 1e6) *
			    1000;
			emit_ratio(o, sp.id, &ps[i], num, den);
		}
		break;
	case GEN_RATIO:
		for (int i = 0; i < n; i++) {
			den = rng_range(&r, sp.lo, sp.hi);
			num = round_long(
			    (double) den * rng_uniform(&r, 0.1, 0.9));
			emit_ratio(o, sp.id, &ps[i], num, den);
		}
		break;
	case GEN_FLOW:
		base = rng_range(&r, sp.lo, sp.hi);
		for (int i = 0; i < n; i++) {
			emit_count(o, sp.id, &ps[i],
			    round_long(
			        (double) base * rng_uniform(&r, 0.7, 1.3)));
		}
		break;
	case GEN_STOCK:
		gen_stock(o, &r, &sp, ps, n);
		break;
	case GEN_PM25:
		level = (double) pf->pm25_level * pm25_year_factor(a->year);
		for (int i = 0; i < n; i++) {
			double x = level * pm25_shape[ps[i].index - 1] *
			    rng_uniform(&r, 0.9, 1.1);
			long v = clamp_long(round_long(x), 30,
			    round_long(130 * pm25_year_factor(a->year)));
			emit_wmean(o, sp.id, &ps[i], v,
			    pf->stations *
			        days_in_month(a->year, ps[i].index));
		}
		break;
	case GEN_INDEX:
		/* An index of 78 to 90, weighted by output value of 50 to
		 * 900 (100 million yuan). */
		for (int i = 0; i < n; i++) {
			/* The weight is drawn first, as the files made
			 * before --monthly were. */
			long w = rng_range(&r, 500, 9000);

			emit_wmean_tenths(o, sp.id, &ps[i],
			    rng_range(&r, 780, 900), spread_weight(w, n));
		}
		break;
	default:
		for (int i = 0; i < n; i++) {
			long w = rng_range(&r, 10, 10000);

			emit_wmean_tenths(o, sp.id, &ps[i],
			    rng_range(&r, 500, 1000), spread_weight(w, n));
		}
		break;
	}
}

static int
gen_leaf(struct gen_ctx *c, const struct tally_division *d)
{
	const struct gen_args *a = c->args;
	struct gen_profile     pf;
	struct gen_out         o;
	int                    ex = EX_OK;

	memset(&o, 0, sizeof(o));
	o.flat   = c->flat;
	o.region = d->code;
	if (a->out != NULL) {
		snprintf(c->path, c->path_size, "%s/%s.csv", a->out, d->code);
		o.leaf = fopen(c->path, "w");
		if (o.leaf == NULL) {
			fprintf(stderr, "%s: %s: %s\n", prog, c->path,
			    strerror(errno));
			ex = EX_CANTCREAT;
			goto fail;
		}
		fputs("indicator,period,numerator,denominator,value,weight\n",
		    o.leaf);
	}
	make_profile(a, d->code, &pf);
	for (size_t i = 0; i < c->cat->n_indicators; i++) {
		gen_indicator(&o, a, &pf, &c->cat->indicators[i]);
	}
	if (o.leaf != NULL) {
		int bad = ferror(o.leaf);

		/* fclose flushes, so its failure is a write error too. */
		if (fclose(o.leaf) != 0) {
			bad = 1;
		}
		o.leaf = NULL;
		if (bad) {
			fprintf(stderr, "%s: %s: write error: %s\n", prog,
			    c->path, strerror(errno));
			ex = EX_IOERR;
			goto fail;
		}
		c->files++;
	}
	c->leaves++;
	c->rows += o.rows;
fail:
	if (o.leaf != NULL) {
		fclose(o.leaf);
	}
	return ex;
}

/* Visits the leaves at or below idx in code order. The tree is three
 * levels deep, so recursion is bounded. */
static int
gen_tree(struct gen_ctx *c, size_t idx)
{
	const struct tally_division *d = &c->cat->divisions[idx];
	size_t                       ch;
	int                          ex;

	if (d->first_child == TALLY_NO_INDEX) {
		return gen_leaf(c, d);
	}
	for (ch = d->first_child; ch != TALLY_NO_INDEX;
	     ch = c->cat->divisions[ch].next_sibling) {
		ex = gen_tree(c, ch);
		if (ex != EX_OK) {
			return ex;
		}
	}
	return EX_OK;
}

/* Creates dir unless it already is a directory. */
static int
make_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0777) == 0) {
		return EX_OK;
	}
	if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
		return EX_OK;
	}
	if (errno == EEXIST) {
		errno = ENOTDIR;
	}
	fprintf(stderr, "%s: --out: %s: %s\n", prog, dir, strerror(errno));
	return EX_CANTCREAT;
}

static int
run(const struct gen_args *a)
{
	struct tally_catalog        *cat = NULL;
	struct tally_errbuf          eb  = { "" };
	const struct tally_division *root;
	const char    *where = a->all ? "the country" : a->region;
	struct gen_ctx c;
	int            ex, rv;

	memset(&c, 0, sizeof(c));
	rv = tally_catalog_load_default(&cat, &eb);
	if (rv != TALLY_OK) {
		fprintf(stderr, "%s: %s\n", prog,
		    eb.text[0] ? eb.text : tally_strerror(rv));
		ex = tally_exit_code(rv);
		goto fail;
	}
	root = a->all ? NULL : tally_catalog_division(cat, a->region);
	if (!a->all && root == NULL) {
		fprintf(stderr, "%s: --region: unknown region '%s'\n", prog,
		    a->region);
		ex = EX_DATAERR;
		goto fail;
	}
	c.cat  = cat;
	c.args = a;
	if (a->out != NULL) {
		ex = make_dir(a->out);
		if (ex != EX_OK) {
			goto fail;
		}
		/* "/", six digits, ".csv" and the terminator. */
		c.path_size = strlen(a->out) + 12;
		c.path      = malloc(c.path_size);
		if (c.path == NULL) {
			fprintf(stderr, "%s: out of memory\n", prog);
			ex = EX_OSERR;
			goto fail;
		}
	}
	if (a->flat != NULL) {
		c.flat = fopen(a->flat, "w");
		if (c.flat == NULL) {
			fprintf(stderr, "%s: --flat: %s: %s\n", prog, a->flat,
			    strerror(errno));
			ex = EX_CANTCREAT;
			goto fail;
		}
		fputs("region,indicator,period,numerator,denominator,value,"
		      "weight\n",
		    c.flat);
	}
	if (a->all) {
		/* Every province, in code order: the divisions are sorted. */
		ex = EX_OK;
		for (size_t i = 0; ex == EX_OK && i < cat->n_divisions; i++) {
			if (cat->divisions[i].parent == TALLY_NO_INDEX) {
				ex = gen_tree(&c, i);
			}
		}
	} else {
		ex = gen_tree(&c, (size_t) (root - cat->divisions));
	}
	if (ex != EX_OK) {
		goto fail;
	}
	if (c.flat != NULL) {
		int bad = ferror(c.flat);

		if (fclose(c.flat) != 0) {
			bad = 1;
		}
		c.flat = NULL;
		if (bad) {
			fprintf(stderr, "%s: --flat: %s: write error: %s\n",
			    prog, a->flat, strerror(errno));
			ex = EX_IOERR;
			goto fail;
		}
	}
	if (a->out != NULL && a->flat != NULL) {
		printf("wrote %zu file%s and %s, %zu rows under %s for %d\n",
		    c.files, c.files == 1 ? "" : "s", a->flat, c.rows, where,
		    a->year);
	} else if (a->out != NULL) {
		printf("wrote %zu file%s, %zu rows under %s for %d\n", c.files,
		    c.files == 1 ? "" : "s", c.rows, where, a->year);
	} else {
		printf("wrote %s, %zu rows of %zu regions under %s for %d\n",
		    a->flat, c.rows, c.leaves, where, a->year);
	}
fail:
	if (c.flat != NULL) {
		fclose(c.flat);
	}
	free(c.path);
	tally_catalog_free(cat);
	return ex;
}

enum {
	OPT_REGION = 256,
	OPT_YEAR,
	OPT_SEED,
	OPT_OUT,
	OPT_FLAT,
	OPT_ALL,
	OPT_MONTHLY,
};

static const struct option long_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "region", required_argument, NULL, OPT_REGION },
	{ "year", required_argument, NULL, OPT_YEAR },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "flat", required_argument, NULL, OPT_FLAT },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "monthly", no_argument, NULL, OPT_MONTHLY },
	{ NULL, 0, NULL, 0 },
};

static bool
parse_year(const char *s, int *out)
{
	char *end;
	long  v;

	errno = 0;
	v     = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' ||
	    v < TALLY_PERIOD_YEAR_MIN || v > TALLY_PERIOD_YEAR_MAX) {
		return false;
	}
	*out = (int) v;
	return true;
}

static bool
parse_seed(const char *s, uint64_t *out)
{
	char              *end;
	unsigned long long v;

	/* strtoull accepts a sign and wraps a negative number round. */
	if (s[0] < '0' || s[0] > '9') {
		return false;
	}
	errno = 0;
	v     = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0') {
		return false;
	}
	*out = (uint64_t) v;
	return true;
}

int
main(int argc, char **argv)
{
	struct gen_args a;
	const char     *year = NULL;
	const char     *seed = NULL;
	int             c;

	memset(&a, 0, sizeof(a));
	a.seed = GEN_DEFAULT_SEED;
	while ((c = getopt_long(argc, argv, "hV", long_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf("%s %s\n", prog, TALLY_VERSION);
			return EX_OK;
		case OPT_REGION:
			a.region = optarg;
			break;
		case OPT_YEAR:
			year = optarg;
			break;
		case OPT_SEED:
			seed = optarg;
			break;
		case OPT_OUT:
			a.out = optarg;
			break;
		case OPT_FLAT:
			a.flat = optarg;
			break;
		case OPT_ALL:
			a.all = true;
			break;
		case OPT_MONTHLY:
			a.monthly = true;
			break;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		return usage_error("unexpected argument");
	}
	if ((a.region == NULL) == !a.all || year == NULL) {
		return usage_error(
		    "--year and one of --region and --all are required");
	}
	if (a.out == NULL && a.flat == NULL) {
		return usage_error("give --out DIR, --flat FILE or both");
	}
	if (!parse_year(year, &a.year)) {
		return usage_error("--year must be a year from 1900 to 2999");
	}
	if (seed != NULL && !parse_seed(seed, &a.seed)) {
		return usage_error("--seed must be a non-negative integer");
	}
	return run(&a);
}

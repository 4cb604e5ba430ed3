/*
 * The table and CSV forms of the report's documents (report.h): they only
 * format the JSON that report.c builds, so that every form shows the same
 * figures. Times are shown in China Standard Time, where the programmes'
 * offices read them; the JSON keeps UTC.
 */
#include "report_print.h"

#include "asof.h"
#include "cli.h"
#include "figure.h"
#include "number.h"
#include "text.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct tally_indicator *
doc_indicator(const struct tally_catalog *cat, json_t *f)
{
	return tally_catalog_indicator(
	    cat, json_string_value(json_object_get(f, "id")));
}

/* The sums of an entry as (a, b): numerator and denominator, or sum and
 * weight; b is NULL for a count. */
/* The first target of an entry (several are listed in the JSON). */
static json_t *
doc_target(json_t *f, size_t *count)
{
	json_t *t = json_object_get(f, "target");

	*count = t == NULL ? 0 : json_is_array(t) ? json_array_size(t) : 1;
	return json_is_array(t) ? json_array_get(t, 0) : t;
}

/* True when a gap or change of t's figure is in percentage points: the
 * indicator is a percentage, or the target a change in percent. */
static bool
in_points(const struct tally_indicator *ind, json_t *t)
{
	json_t *scope = t != NULL ? json_object_get(t, "scope") : NULL;

	return strcmp(ind->unit, "%") == 0 ||
	    (json_is_string(scope) &&
	        strcmp(json_string_value(scope), "change_pct") == 0);
}

/* A signed difference of ind's figure (a gap, a change), with " pp" when
 * it is in percentage points: −0.10 of a rate is a tenth of a point, not
 * a tenth of a percent. */
static void
diff_text(const struct tally_indicator *ind, json_t *t, json_t *v, int style,
    char *buf, size_t len)
{
	size_t n;

	tally_figure_num(buf, len, v, style);
	n = strlen(buf);
	if (json_is_number(v) && in_points(ind, t) && n + 4 < len) {
		snprintf(buf + n, len - n, " pp");
	}
}

static void
target_text(const struct tally_indicator *ind, json_t *t, size_t count,
    bool bench, char *spec, size_t slen, char *status, size_t stlen, char *gap,
    size_t glen)
{
	const char *scope;

	snprintf(spec, slen, "-");
	snprintf(status, stlen, "-");
	snprintf(gap, glen, "-");
	if (t == NULL) {
		return;
	}
	scope = json_string_value(json_object_get(t, "scope"));
	snprintf(spec, slen, "%s%s %g%s%s%s", bench ? "~" : "",
	    json_string_value(json_object_get(t, "op")),
	    json_number_value(json_object_get(t, "value")),
	    strcmp(scope, "total") == 0 ? "" : " ",
	    strcmp(scope, "total") == 0 ? "" : scope, count > 1 ? " (+)" : "");
	snprintf(status, stlen, "%s",
	    json_string_value(json_object_get(t, "status")));
	diff_text(ind, t, json_object_get(t, "gap"), TALLY_NUM_GAP, gap, glen);
}

/* The benchmark of an entry with no target of its own (the first). */
static json_t *
doc_benchmark(json_t *f)
{
	json_t *b = json_object_get(f, "benchmark");

	return json_is_array(b) ? json_array_get(b, 0) : b;
}

static void
print_entry_cols(FILE *out, const struct tally_indicator *ind, json_t *f)
{
	struct tally_figure_text t;

	tally_figure_doc_text(ind, f, &t);
	fprintf(out, " %12s %14s %14s %6lld/%lld", t.value, t.a, t.b,
	    json_integer_value(json_object_get(f, "reporting")),
	    json_integer_value(json_object_get(f, "expected")));
}

/* The target columns (a benchmark, marked ~, where the region has no
 * target of its own) and the year-on-year and period-on-period change. */
static void
print_target_cols(FILE *out, const struct tally_indicator *ind, json_t *f)
{
	char    spec[64], status[16], gap[32], yoy[32], pop[32];
	size_t  count;
	json_t *t     = doc_target(f, &count);
	bool    bench = t == NULL && doc_benchmark(f) != NULL;

	if (bench) {
		t     = doc_benchmark(f);
		count = 1;
	}
	target_text(ind, t, count, bench, spec, sizeof(spec), status,
	    sizeof(status), gap, sizeof(gap));
	diff_text(ind, NULL,
	    json_object_get(json_object_get(f, "yoy"), "change"),
	    TALLY_NUM_DIFF, yoy, sizeof(yoy));
	diff_text(ind, NULL,
	    json_object_get(json_object_get(f, "pop"), "change"),
	    TALLY_NUM_DIFF, pop, sizeof(pop));
	fprintf(out, "  %-18s %-10s %12s %12s %12s\n", spec, status, gap, yoy,
	    pop);
}

/* The targets of later years and where the figure is heading. */
static void
print_ahead(
    FILE *out, const struct tally_indicator *ind, const char *code, json_t *f)
{
	json_t *a = json_object_get(f, "ahead"), *e;
	size_t  i;

	json_array_foreach(a, i, e)
	{
		json_t *tr = json_object_get(e, "trajectory");
		char    proj[32], pace[32], need[32];

		tally_figure_num(proj, sizeof(proj),
		    json_object_get(tr, "projected"), TALLY_NUM_LEVEL);
		diff_text(ind, e, json_object_get(tr, "pace_per_year"),
		    TALLY_NUM_GAP, pace, sizeof(pace));
		diff_text(ind, e, json_object_get(tr, "needed_per_year"),
		    TALLY_NUM_GAP, need, sizeof(need));
		fprintf(out, "  %s %s: target %s %s %g%s%s: %s", code, ind->id,
		    json_string_value(json_object_get(e, "period")),
		    json_string_value(json_object_get(e, "op")),
		    json_number_value(json_object_get(e, "value")),
		    json_object_get(e, "baseline_period") != NULL
		        ? " change from "
		        : "",
		    json_object_get(e, "baseline_period") != NULL
		        ? json_string_value(
		              json_object_get(e, "baseline_period"))
		        : "",
		    json_string_value(json_object_get(tr, "status")));
		if (json_is_string(json_object_get(tr, "reason"))) {
			fprintf(out, " (%s)\n",
			    json_string_value(json_object_get(tr, "reason")));
		} else {
			fprintf(out,
			    ", projected %s, pace %s a year, needs %s a "
			    "year\n",
			    proj, pace, need);
		}
	}
}

/* An ISO time of the JSON (UTC) in China Standard Time, where the
 * programmes' offices read it. */
static void
cst_text(const char *iso, char *buf, size_t len)
{
	struct tm tm;
	time_t    t;

	memset(&tm, 0, sizeof(tm));
	if (iso == NULL ||
	    sscanf(iso, "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon,
	        &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
		snprintf(buf, len, "%s", iso != NULL ? iso : "-");
		return;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm) + 8 * 3600;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S CST", &tm);
}

/* Lists the children of a region that are missing or late. */
static void
print_children(FILE *out, const char *code, json_t *f)
{
	json_t *ch = json_object_get(f, "children");
	json_t *missing, *late, *e;
	size_t  i;

	if (ch == NULL) {
		return;
	}
	missing = json_object_get(ch, "missing");
	late    = json_object_get(ch, "late");
	if (json_array_size(missing) > 0) {
		fprintf(out, "  %s: %zu of %lld children missing:", code,
		    json_array_size(missing),
		    json_integer_value(json_object_get(ch, "expected")));
		json_array_foreach(missing, i, e)
		{
			fprintf(out, " %s %s",
			    json_string_value(json_object_get(e, "code")),
			    json_string_value(json_object_get(e, "name")));
		}
		fputc('\n', out);
	}
	json_array_foreach(late, i, e)
	{
		char first[40], last[40];

		cst_text(
		    json_string_value(json_object_get(e, "first_submitted")),
		    first, sizeof(first));
		cst_text(
		    json_string_value(json_object_get(e, "last_submitted")),
		    last, sizeof(last));
		fprintf(out, "  %s: late: %s %s, first %s, last %s\n", code,
		    json_string_value(json_object_get(e, "code")),
		    json_string_value(json_object_get(e, "name")), first,
		    last);
	}
}

/* The worst gap of an entry to what it is judged against: its own
 * targets, else its benchmark; false when it has none. */
static bool
entry_gap(json_t *f, double *out)
{
	json_t *t = json_object_get(f, "target");
	json_t *e;
	size_t  i;
	bool    has = false;

	if (t == NULL) {
		t = json_object_get(f, "benchmark");
	}
	if (t != NULL && !json_is_array(t)) {
		json_t *one = json_array();

		json_array_append(one, t);
		t = one;
	} else {
		json_incref(t);
	}
	json_array_foreach(t, i, e)
	{
		json_t *g = json_object_get(e, "gap");

		if (json_is_number(g) &&
		    (!has || json_number_value(g) < *out)) {
			*out = json_number_value(g);
			has  = true;
		}
	}
	json_decref(t);
	return has;
}

struct row_key {
	size_t index;
	bool   has;
	double gap;
};

static int
compare_row_key(const void *a, const void *b)
{
	const struct row_key *x = a, *y = b;

	if (x->has != y->has) {
		return x->has ? -1 : 1;
	}
	if (x->has && x->gap != y->gap) {
		return x->gap < y->gap ? -1 : 1;
	}
	return x->index < y->index ? -1 : x->index > y->index;
}

static int
row_depth(json_t *regions, size_t i)
{
	return (int) json_integer_value(
	    json_object_get(json_array_get(regions, i), "depth"));
}

/* Appends to order region i and below it its subtree, each region's
 * children sorted by their gap for indicator k, worst first (those with
 * no gap after, in tree order). Returns the index after i's subtree. */
static size_t
order_rows(json_t *regions, size_t k, size_t i, size_t *order, size_t *m)
{
	size_t          n = json_array_size(regions), j, nk = 0;
	int             d = row_depth(regions, i);
	struct row_key *kids;

	order[(*m)++] = i;
	for (j = i + 1; j < n && row_depth(regions, j) > d; j++) {
		nk += row_depth(regions, j) == d + 1;
	}
	kids = calloc(nk + 1, sizeof(*kids));
	if (kids == NULL) {
		/* Out of memory: the tree order, unsorted. */
		for (size_t c = i + 1; c < j; c++) {
			order[(*m)++] = c;
		}
		return j;
	}
	nk = 0;
	for (size_t c = i + 1; c < j; c++) {
		if (row_depth(regions, c) == d + 1) {
			json_t *f = json_array_get(
			    json_object_get(
			        json_array_get(regions, c), "indicators"),
			    k);

			kids[nk].index = c;
			kids[nk].has   = entry_gap(f, &kids[nk].gap);
			nk++;
		}
	}
	qsort(kids, nk, sizeof(*kids), compare_row_key);
	for (size_t c = 0; c < nk; c++) {
		order_rows(regions, k, kids[c].index, order, m);
	}
	free(kids);
	return j;
}

void
hub_report_print_table(FILE *out, const struct tally_catalog *cat, json_t *doc)
{
	json_t     *regions = json_object_get(doc, "regions");
	json_t     *top     = json_array_get(regions, 0);
	const char *period = json_string_value(json_object_get(doc, "period"));
	size_t      nind = json_array_size(json_object_get(top, "indicators"));
	size_t     *order;

	if (nind == 0) {
		fprintf(out, "(no figures for %s)\n", period);
		return;
	}
	if (json_array_size(regions) == 1) {
		/* One region: one line per indicator, so that a region's
		 * whole picture fits on a screen. */
		fprintf(out, "%s %s (%s), period %s\n",
		    json_string_value(json_object_get(top, "code")),
		    json_string_value(json_object_get(top, "name")),
		    json_string_value(json_object_get(top, "level")), period);
		fprintf(out,
		    "%-38s %12s  %-8s %14s %14s %s  %-18s %-10s %12s %12s "
		    "%12s\n",
		    "indicator", "value", "unit", "num/sum", "den/weight",
		    "reporting", "target", "status", "gap", "yoy", "pop");
		for (size_t k = 0; k < nind; k++) {
			json_t *f = json_array_get(
			    json_object_get(top, "indicators"), k);
			const struct tally_indicator *ind =
			    doc_indicator(cat, f);
			struct tally_figure_text t;

			tally_figure_doc_text(ind, f, &t);
			fprintf(out, "%-38s %12s  ", ind->id, t.value);
			tally_text_pad(out, ind->unit, 8);
			fprintf(out, " %14s %14s %6lld/%-4lld", t.a, t.b,
			    json_integer_value(
			        json_object_get(f, "reporting")),
			    json_integer_value(
			        json_object_get(f, "expected")));
			print_target_cols(out, ind, f);
		}
		for (size_t k = 0; k < nind; k++) {
			json_t *f = json_array_get(
			    json_object_get(top, "indicators"), k);

			print_ahead(out, doc_indicator(cat, f),
			    json_string_value(json_object_get(top, "code")),
			    f);
		}
		return;
	}
	/* Each indicator's rows: siblings ordered by their gap, worst first
	 * (NULL when out of memory: the tree order). */
	order = calloc(json_array_size(regions) + 1, sizeof(*order));
	for (size_t k = 0; k < nind; k++) {
		json_t *f0 =
		    json_array_get(json_object_get(top, "indicators"), k);
		const struct tally_indicator *ind = doc_indicator(cat, f0);
		json_t                       *r;
		size_t                        i, m;

		fprintf(out, "%s %s (%s), %s, period %s\n", ind->id,
		    ind->name_zh, ind->unit, tally_kind_name(ind->kind),
		    period);
		fprintf(out,
		    "%-6s %-18s %12s %14s %14s %s  %-18s %-10s %12s %12s "
		    "%12s\n",
		    "region", "name", "value", tally_figure_a_name(ind),
		    tally_figure_b_name(ind), "reporting", "target", "status",
		    "gap", "yoy", "pop");
		m = 0;
		if (order != NULL) {
			order_rows(regions, k, 0, order, &m);
		}
		for (size_t o = 0; o < json_array_size(regions); o++) {
			json_t *reg = json_array_get(
			    regions, order != NULL && o < m ? order[o] : o);
			json_t *f = json_array_get(
			    json_object_get(reg, "indicators"), k);
			int depth = (int) json_integer_value(
			    json_object_get(reg, "depth"));

			fprintf(out, "%*s%-6s ", 2 * depth, "",
			    json_string_value(json_object_get(reg, "code")));
			tally_text_pad(out,
			    json_string_value(json_object_get(reg, "name")),
			    depth * 2 >= 18 ? 1 : 18 - 2 * depth);
			print_entry_cols(out, ind, f);
			print_target_cols(out, ind, f);
		}
		json_array_foreach(regions, i, r)
		{
			print_ahead(out, ind,
			    json_string_value(json_object_get(r, "code")),
			    json_array_get(
			        json_object_get(r, "indicators"), k));
		}
		print_children(
		    out, json_string_value(json_object_get(top, "code")), f0);
		fputc('\n', out);
	}
	free(order);
}

/* The CSV columns of what a figure is compared with: yoy, pop, the
 * benchmark and the first target ahead with its trajectory. */
static void
print_csv_outlook(FILE *out, json_t *f)
{
	static const char *const change[] = { "yoy", "pop" };
	json_t                  *b        = doc_benchmark(f);
	json_t *a  = json_array_get(json_object_get(f, "ahead"), 0);
	json_t *tr = json_object_get(a, "trajectory");

	for (size_t i = 0; i < 2; i++) {
		json_t *c = json_object_get(f, change[i]);

		tally_figure_csv_text(
		    out, json_string_value(json_object_get(c, "period")));
		tally_figure_csv_num(out, json_object_get(c, "value"));
		tally_figure_csv_num(out, json_object_get(c, "change"));
	}
	tally_figure_csv_text(out,
	    json_string_value(
	        json_object_get(json_object_get(b, "region"), "code")));
	tally_figure_csv_text(
	    out, json_string_value(json_object_get(b, "op")));
	tally_figure_csv_num(out, json_object_get(b, "value"));
	tally_figure_csv_text(
	    out, json_string_value(json_object_get(b, "status")));
	tally_figure_csv_num(out, json_object_get(b, "gap"));
	tally_figure_csv_text(
	    out, json_string_value(json_object_get(a, "period")));
	tally_figure_csv_text(
	    out, json_string_value(json_object_get(a, "op")));
	tally_figure_csv_num(out, json_object_get(a, "value"));
	tally_figure_csv_text(
	    out, json_string_value(json_object_get(tr, "status")));
	tally_figure_csv_num(out, json_object_get(tr, "projected"));
	tally_figure_csv_num(out, json_object_get(tr, "pace_per_year"));
	tally_figure_csv_num(out, json_object_get(tr, "needed_per_year"));
}

void
hub_report_print_csv(FILE *out, const struct tally_catalog *cat, json_t *doc)
{
	json_t     *regions = json_object_get(doc, "regions");
	const char *period = json_string_value(json_object_get(doc, "period"));
	json_t     *top    = json_array_get(regions, 0);
	size_t      nind = json_array_size(json_object_get(top, "indicators"));

	fprintf(out,
	    "period,region,name,level,parent,indicator,value,numerator,"
	    "denominator,sum,weight,reporting,expected,due,overdue,"
	    "target_op,target_value,target_scope,target_status,target_gap,"
	    "yoy_period,yoy_value,yoy_change,pop_period,pop_value,pop_change,"
	    "benchmark_region,benchmark_op,benchmark_value,benchmark_status,"
	    "benchmark_gap,ahead_period,ahead_op,ahead_value,"
	    "trajectory_status,trajectory_projected,trajectory_pace_per_year,"
	    "trajectory_needed_per_year\n");
	for (size_t k = 0; k < nind; k++) {
		json_t *r;
		size_t  i;

		json_array_foreach(regions, i, r)
		{
			json_t *f = json_array_get(
			    json_object_get(r, "indicators"), k);
			const struct tally_indicator *ind =
			    doc_indicator(cat, f);
			json_t *t;
			size_t  count;

			fprintf(out, "%s,%s,", period,
			    json_string_value(json_object_get(r, "code")));
			tally_figure_csv_field(out,
			    json_string_value(json_object_get(r, "name")));
			fprintf(out, ",%s,%s,%s",
			    json_string_value(json_object_get(r, "level")),
			    json_is_string(json_object_get(r, "parent"))
			        ? json_string_value(
			              json_object_get(r, "parent"))
			        : "",
			    ind->id);
			tally_figure_csv_sums(out, ind, f);
			fprintf(out, ",%lld,%lld,%s,%s",
			    json_integer_value(
			        json_object_get(f, "reporting")),
			    json_integer_value(json_object_get(f, "expected")),
			    json_string_value(json_object_get(f, "due")),
			    json_is_true(json_object_get(f, "overdue"))
			        ? "true"
			        : "false");
			t = doc_target(f, &count);
			tally_figure_csv_text(out,
			    t ? json_string_value(json_object_get(t, "op"))
			      : NULL);
			tally_figure_csv_num(
			    out, t ? json_object_get(t, "value") : NULL);
			tally_figure_csv_text(out,
			    t ? json_string_value(json_object_get(t, "scope"))
			      : NULL);
			tally_figure_csv_text(out,
			    t ? json_string_value(json_object_get(t, "status"))
			      : NULL);
			tally_figure_csv_num(
			    out, t ? json_object_get(t, "gap") : NULL);
			print_csv_outlook(out, f);
			fputc('\n', out);
		}
	}
}

void
hub_report_print_explain(
    FILE *out, const struct tally_catalog *cat, json_t *doc, int format)
{
	const struct tally_indicator *ind = tally_catalog_indicator(
	    cat, json_string_value(json_object_get(doc, "indicator")));
	json_t                  *list = json_object_get(doc, "contributions");
	json_t                  *e;
	size_t                   i;
	char                     share[32], pull[32];
	struct tally_figure_text t;

	if (format == TALLY_FORMAT_CSV) {
		fprintf(out,
		    "period,region,indicator,part,name,own,value,"
		    "numerator,denominator,sum,weight,reporting,"
		    "expected,share,pull\n");
	} else {
		tally_figure_doc_text(ind, doc, &t);
		fprintf(out, "%s %s (%s), %s %s, period %s: %s (%s / %s)\n",
		    ind->id, ind->name_zh, ind->unit,
		    json_string_value(json_object_get(doc, "region")),
		    json_string_value(json_object_get(doc, "name")),
		    json_string_value(json_object_get(doc, "period")), t.value,
		    t.a, t.b);
		fprintf(out, "%-6s %-18s %12s %14s %14s %s %9s %12s\n", "part",
		    "name", "value", tally_figure_a_name(ind),
		    tally_figure_b_name(ind), "reporting", "share", "pull");
	}
	json_array_foreach(list, i, e)
	{
		if (format == TALLY_FORMAT_CSV) {
			fprintf(out, "%s,%s,%s,%s,",
			    json_string_value(json_object_get(doc, "period")),
			    json_string_value(json_object_get(doc, "region")),
			    ind->id,
			    json_string_value(json_object_get(e, "code")));
			tally_figure_csv_field(out,
			    json_string_value(json_object_get(e, "name")));
			fprintf(out, ",%s",
			    json_is_true(json_object_get(e, "own")) ? "true"
			                                            : "false");
			tally_figure_csv_sums(out, ind, e);
			fprintf(out, ",%lld,%lld",
			    json_integer_value(
			        json_object_get(e, "reporting")),
			    json_integer_value(
			        json_object_get(e, "expected")));
			tally_figure_csv_num(out, json_object_get(e, "share"));
			tally_figure_csv_num(out, json_object_get(e, "pull"));
			fputc('\n', out);
			continue;
		}
		fprintf(out, "%-6s ",
		    json_string_value(json_object_get(e, "code")));
		tally_text_pad(out,
		    json_is_true(json_object_get(e, "own"))
		        ? "(own observations)"
		        : json_string_value(json_object_get(e, "name")),
		    18);
		print_entry_cols(out, ind, e);
		if (json_is_number(json_object_get(e, "share"))) {
			snprintf(share, sizeof(share), "%.2f%%",
			    100 *
			        json_number_value(
			            json_object_get(e, "share")));
		} else {
			snprintf(share, sizeof(share), "-");
		}
		tally_figure_num(pull, sizeof(pull),
		    json_object_get(e, "pull"), TALLY_NUM_PULL);
		fprintf(out, " %9s %12s\n", share, pull);
	}
}

/* The first line of a table read from the history: the time in UTC and
 * in China Standard Time, the zone of the due dates. */
void
hub_report_print_as_of(FILE *out, int64_t as_of_ms)
{
	char utc[TALLY_ASOF_STRLEN], cst[TALLY_ASOF_STRLEN];

	tally_asof_format(as_of_ms, utc, sizeof(utc));
	tally_asof_format(
	    as_of_ms + INT64_C(8) * 3600 * 1000, cst, sizeof(cst));
	cst[strcspn(cst, "Z")] = '\0';
	fprintf(out, "as of %s (%s China Standard Time)\n", utc, cst);
}

/* The withdrawals in force, under the table: one line each, with the
 * reason the region gave. */
void
hub_report_print_withdrawn(FILE *out, json_t *doc)
{
	json_t *arr = json_object_get(doc, "withdrawn");
	size_t  i;
	json_t *w;

	if (json_array_size(arr) == 0) {
		return;
	}
	fprintf(out, "\nwithdrawn (no longer counted):\n");
	json_array_foreach(arr, i, w)
	{
		fprintf(out, "  %-8s %s %s, withdrawn %s: %s\n",
		    json_string_value(json_object_get(w, "region")),
		    json_string_value(json_object_get(w, "indicator")),
		    json_string_value(json_object_get(w, "period")),
		    json_string_value(json_object_get(w, "withdrawn_at")),
		    json_string_value(json_object_get(w, "reason")));
	}
}

/* The refusals of the report, under its table: one line per child. */
void
hub_report_print_refused(FILE *out, json_t *doc)
{
	json_t *arr = json_object_get(doc, "refused");
	size_t  i;
	json_t *r;

	if (json_array_size(arr) == 0) {
		return;
	}
	fprintf(out, "\nrefused by this hub, by child:\n");
	json_array_foreach(arr, i, r)
	{
		const char *sender =
		    json_string_value(json_object_get(r, "sender"));

		fprintf(out,
		    "  %-8s %lld states (%lld conflicts), %lld submissions; "
		    "last %s: %s\n",
		    sender != NULL ? sender : "unknown",
		    json_integer_value(json_object_get(r, "states")),
		    json_integer_value(json_object_get(r, "conflicts")),
		    json_integer_value(json_object_get(r, "submissions")),
		    json_string_value(json_object_get(r, "last_at")),
		    json_string_value(json_object_get(r, "last_reason")));
	}
}

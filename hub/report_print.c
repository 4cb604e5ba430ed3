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
#include <string.h>

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

static void
target_text(json_t *t, size_t count, char *spec, size_t slen, char *status,
    size_t stlen, char *gap, size_t glen)
{
	snprintf(spec, slen, "-");
	snprintf(status, stlen, "-");
	snprintf(gap, glen, "-");
	if (t == NULL) {
		return;
	}
	snprintf(spec, slen, "%s %g%s%s%s",
	    json_string_value(json_object_get(t, "op")),
	    json_number_value(json_object_get(t, "value")),
	    strcmp(json_string_value(json_object_get(t, "scope")), "total") ==
	            0
	        ? ""
	        : " ",
	    strcmp(json_string_value(json_object_get(t, "scope")), "total") ==
	            0
	        ? ""
	        : json_string_value(json_object_get(t, "scope")),
	    count > 1 ? " (+)" : "");
	snprintf(status, stlen, "%s",
	    json_string_value(json_object_get(t, "status")));
	tally_figure_num(gap, glen, json_object_get(t, "gap"), TALLY_NUM_GAP);
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

static void
print_target_cols(FILE *out, json_t *f)
{
	char    spec[64], status[16], gap[32];
	size_t  count;
	json_t *t = doc_target(f, &count);

	target_text(t, count, spec, sizeof(spec), status, sizeof(status), gap,
	    sizeof(gap));
	fprintf(out, "  %-18s %-10s %10s\n", spec, status, gap);
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
		fprintf(out, "  %s: late: %s %s, first %s, last %s\n", code,
		    json_string_value(json_object_get(e, "code")),
		    json_string_value(json_object_get(e, "name")),
		    json_string_value(json_object_get(e, "first_submitted")),
		    json_string_value(json_object_get(e, "last_submitted")));
	}
}

void
hub_report_print_table(FILE *out, const struct tally_catalog *cat, json_t *doc)
{
	json_t     *regions = json_object_get(doc, "regions");
	json_t     *top     = json_array_get(regions, 0);
	const char *period = json_string_value(json_object_get(doc, "period"));
	size_t      nind = json_array_size(json_object_get(top, "indicators"));

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
		    "%-38s %12s  %-8s %14s %14s %s  %-18s %-10s %10s\n",
		    "indicator", "value", "unit", "num/sum", "den/weight",
		    "reporting", "target", "status", "gap");
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
			print_target_cols(out, f);
		}
		return;
	}
	for (size_t k = 0; k < nind; k++) {
		json_t *f0 =
		    json_array_get(json_object_get(top, "indicators"), k);
		const struct tally_indicator *ind = doc_indicator(cat, f0);
		json_t                       *r;
		size_t                        i;

		fprintf(out, "%s %s (%s), %s, period %s\n", ind->id,
		    ind->name_zh, ind->unit, tally_kind_name(ind->kind),
		    period);
		fprintf(out,
		    "%-6s %-18s %12s %14s %14s %s  %-18s %-10s %10s\n",
		    "region", "name", "value", tally_figure_a_name(ind),
		    tally_figure_b_name(ind), "reporting", "target", "status",
		    "gap");
		json_array_foreach(regions, i, r)
		{
			json_t *f = json_array_get(
			    json_object_get(r, "indicators"), k);
			int depth = (int) json_integer_value(
			    json_object_get(r, "depth"));

			fprintf(out, "%*s%-6s ", 2 * depth, "",
			    json_string_value(json_object_get(r, "code")));
			tally_text_pad(out,
			    json_string_value(json_object_get(r, "name")),
			    depth * 2 >= 18 ? 1 : 18 - 2 * depth);
			print_entry_cols(out, ind, f);
			print_target_cols(out, f);
		}
		print_children(
		    out, json_string_value(json_object_get(top, "code")), f0);
		fputc('\n', out);
	}
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
	    "target_op,target_value,target_scope,target_status,target_gap\n");
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

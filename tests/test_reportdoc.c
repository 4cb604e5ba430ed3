/*
 * Unit tests of the reading of report documents (hub/reportdoc.c) and of
 * the workbook (hub/xlsx.c) on documents that carry the fields a newer
 * report adds (yoy, pop, benchmark, a later target's trajectory, chase),
 * which the hub's own reports may not carry yet: each must show up where
 * it is, and its absence must leave no empty column. The workbook is read
 * back by openpyxl under Debian's /usr/bin/python3 (tests/outputs_check.py
 * reads the real reports' workbooks the same way). The briefing is made
 * from the same document and read back with pdftotext.
 */
#include "brief.h"
#include "catalog.h"
#include "errors.h"
#include "reportdoc.h"
#include "xlsx.h"

#include "testlib.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
}

static json_t *
parse(const char *text)
{
	json_error_t err;
	json_t      *o = json_loads(text, 0, &err);

	ck_assert_msg(o != NULL, "fixture: %s", err.text);
	return o;
}

/* A city's report for 2018 with every optional field: mfg_pass_rate
 * missed now and at risk for 2020, pm25 on track for 2020, agri judged
 * by the province's benchmark only, and a chase list of its own. */
static const char doc_full[] =
    "{\"period\":\"2018\",\"hub\":\"130100\",\"region\":\"130100\","
    "\"chase\":[{\"indicator\":\"mfg_pass_rate\",\"overdue\":true,"
    "\"children\":[{\"code\":\"130102\",\"name\":\"长安区\",\"status\":"
    "\"missing\",\"reporting\":0,\"expected\":1},{\"code\":\"130104\","
    "\"name\":\"桥西区\",\"status\":\"partial\",\"reporting\":0,"
    "\"expected\":1}]}],"
    "\"regions\":[{\"code\":\"130100\",\"name\":\"石家庄市\",\"level\":"
    "\"city\",\"parent\":\"130000\",\"depth\":0,\"indicators\":["
    "{\"id\":\"mfg_pass_rate\",\"value\":92.5,\"numerator\":925.0,"
    "\"denominator\":1000.0,\"reporting\":22,\"expected\":22,\"due\":"
    "\"2019-01-15T16:00:00Z\",\"overdue\":false,"
    "\"yoy\":{\"period\":\"2017\",\"value\":91.5,\"change\":1.0},"
    "\"target\":[{\"op\":\">=\",\"value\":93.0,\"scope\":\"total\","
    "\"period\":\"2018\",\"status\":\"missed\",\"gap\":-0.5,\"compared\":"
    "92.5,\"source\":\"t\"},{\"op\":\">=\",\"value\":95.0,\"scope\":"
    "\"total\",\"period\":\"2020\",\"status\":\"incomplete\",\"gap\":null,"
    "\"compared\":null,\"source\":\"t\",\"trajectory\":{\"projected\":94.0,"
    "\"needed_per_year\":1.25,\"pace_per_year\":1.0,\"status\":\"at_risk\"}}]}"
    ","
    "{\"id\":\"pm25_concentration\",\"value\":50.0,\"sum\":500.0,\"weight\":"
    "10.0,\"reporting\":22,\"expected\":22,\"due\":\"2019-01-15T16:00:00Z\","
    "\"overdue\":false,\"pop\":{\"period\":\"2017\",\"value\":55.0,"
    "\"change\":-5.0},\"ahead\":[{\"op\":\"<=\",\"value\":45.0,"
    "\"scope\":\"total\",\"period\":\"2020\",\"status\":\"incomplete\","
    "\"gap\":null,\"source\":\"t\",\"trajectory\":{\"projected\":44.0,"
    "\"needed_per_year\":-2.5,\"pace_per_year\":-3.0,\"status\":"
    "\"on_track\"}}]},"
    "{\"id\":\"agri_pass_rate\",\"value\":96.0,\"numerator\":96.0,"
    "\"denominator\":100.0,\"reporting\":22,\"expected\":22,\"due\":"
    "\"2019-01-15T16:00:00Z\",\"overdue\":false,\"benchmark\":{\"region\":"
    "\"130000\",\"op\":\">=\",\"value\":97.0,\"scope\":\"total\",\"period\":"
    "\"2018\",\"status\":\"missed\",\"gap\":-1.0,\"source\":\"t\"}}]}]}";

START_TEST(test_standing)
{
	json_t *doc = parse(doc_full);
	json_t *fs  = json_object_get(
	     json_array_get(json_object_get(doc, "regions"), 0), "indicators");
	json_t *ts[8];

	/* missed outranks the later target's at_risk */
	ck_assert_int_eq(hub_reportdoc_standing(json_array_get(fs, 0)),
	    HUB_STANDING_MISSED);
	/* a later target, found under a key ending in "targets" */
	ck_assert_uint_eq(
	    hub_reportdoc_targets(json_array_get(fs, 1), ts, 8), 1);
	ck_assert_int_eq(
	    hub_reportdoc_standing(json_array_get(fs, 1)), HUB_STANDING_MET);
	/* no target of its own: the benchmark decides */
	ck_assert_int_eq(hub_reportdoc_standing(json_array_get(fs, 2)),
	    HUB_STANDING_MISSED);
	/* at risk when only the trajectory falls short */
	json_object_set_new(
	    json_array_get(
	        json_object_get(json_array_get(fs, 0), "target"), 0),
	    "status", json_string("met"));
	ck_assert_int_eq(hub_reportdoc_standing(json_array_get(fs, 0)),
	    HUB_STANDING_AT_RISK);
	json_decref(doc);
}
END_TEST

START_TEST(test_chase)
{
	json_t *doc   = parse(doc_full);
	json_t *chase = hub_reportdoc_chase(doc);
	json_t *lists = json_object_get(json_array_get(chase, 0), "lists");
	json_t *top, *f;

	/* the report's own list: a missing and a partial child, overdue */
	ck_assert_uint_eq(json_array_size(chase), 1);
	ck_assert_str_eq(
	    hub_reportdoc_str(
	        json_array_get(json_object_get(lists, "overdue"), 0), "name"),
	    "长安区");
	ck_assert_uint_eq(
	    json_array_size(json_object_get(lists, "overdue_partial")), 1);
	ck_assert_ptr_null(json_object_get(lists, "missing"));
	json_decref(chase);
	/* without one: the missing children, overdue when the figure is */
	json_object_del(doc, "chase");
	top = json_array_get(json_object_get(doc, "regions"), 0);
	f   = json_array_get(json_object_get(top, "indicators"), 1);
	json_object_set_new(f, "overdue", json_true());
	json_object_set_new(f, "children",
	    parse("{\"reported\":21,\"expected\":22,\"missing\":[{\"code\":"
	          "\"130181\",\"name\":\"辛集市\"}],\"late\":[]}"));
	chase = hub_reportdoc_chase(doc);
	ck_assert_uint_eq(json_array_size(chase), 1);
	ck_assert_str_eq(
	    hub_reportdoc_str(json_array_get(chase, 0), "indicator"),
	    "pm25_concentration");
	ck_assert_uint_eq(
	    json_array_size(json_object_get(
	        json_object_get(json_array_get(chase, 0), "lists"),
	        "overdue")),
	    1);
	json_decref(chase);
	json_decref(doc);
}
END_TEST

START_TEST(test_times_and_units)
{
	char buf[32];

	/* 2019-01-15T16:00Z is midnight in Beijing */
	hub_reportdoc_iso_cst("2019-01-15T16:00:00Z", buf, sizeof(buf));
	ck_assert_str_eq(buf, "2019-01-16 00:00");
	hub_reportdoc_iso_cst("2019-01-15 16:00", buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	hub_reportdoc_cst(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1970-01-01 08:00");
	ck_assert_str_eq(hub_reportdoc_gap_unit(
	                     tally_catalog_indicator(cat, "mfg_pass_rate")),
	    "个百分点");
	ck_assert_str_eq(hub_reportdoc_gap_unit(tally_catalog_indicator(
	                     cat, "pm25_concentration")),
	    "μg/m³");
}
END_TEST

/* The openpyxl check of the workbook written from doc_full. */
static const char xlsx_check[] =
    "import openpyxl, sys\n"
    "b = openpyxl.load_workbook(sys.argv[1])\n"
    "def rows(n):\n"
    "    r = list(b[n].iter_rows(values_only=True))\n"
    "    return [dict(zip(r[0], x)) for x in r[1:]], r[0]\n"
    "f, h = rows('指标 Figures')\n"
    "assert f[0]['同比变化 YoY change'] == 1.0, f[0]\n"
    "assert f[0]['同比值 YoY value'] == 91.5\n"
    "assert f[1]['环比变化 PoP change'] == -5.0\n"
    "assert f[2]['基准值 Benchmark'] == 97.0\n"
    "assert f[2]['基准地区 Benchmark region'] == '130000'\n"
    "assert f[2]['基准差距 Benchmark gap'] == -1.0\n"
    "assert f[0]['指标 Indicator (中文)'] == '制造业产品质量合格率'\n"
    "assert f[0]['截止 Due (北京时间 CST)'] == '2019-01-16 00:00'\n"
    "t, h = rows('目标 Targets')\n"
    "later = [x for x in t if x['目标期 Target period'] == '2020']\n"
    "assert len(later) == 2, t\n"
    "assert later[0]['预计值 Projected'] == 94.0\n"
    "assert later[0]['每年需提升 Needed per year'] == 1.25\n"
    "assert later[0]['进度 Trajectory'] == '有风险'\n"
    "assert later[1]['进度 Trajectory'] == '进度正常'\n"
    "assert [x['类别 Kind'].startswith('上级基准 benchmark 130000') "
    "for x in t].count(True) == 1\n"
    "c, h = rows('催报 Chase')\n"
    "assert sorted(x['地区代码 Region code'] for x in c) == "
    "['130102', '130104'], c\n"
    "print('ok')\n";

/* Without the optional fields: no column of theirs. */
static const char xlsx_plain_check[] =
    "import openpyxl, sys\n"
    "b = openpyxl.load_workbook(sys.argv[1])\n"
    "h = [c.value for c in b['指标 Figures'][1]]\n"
    "assert not [x for x in h if 'YoY' in x or 'PoP' in x or "
    "'Benchmark' in x], h\n"
    "h = [c.value for c in b['目标 Targets'][1]]\n"
    "assert 'Projected' not in ' '.join(h), h\n"
    "print('ok')\n";

/* Runs the check in Python on the workbook at path; true when it passes. */
static bool
python_check(const char *script, const char *path)
{
	char  cmd[8192], py[64] = "/tmp/tally-reportdoc-XXXXXX";
	int   fd = mkstemp(py);
	FILE *f;
	int   rc;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs(script, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %s", py, path);
	rc = system(cmd);
	unlink(py);
	return rc == 0;
}

START_TEST(test_xlsx_optional_fields)
{
	json_t           *doc = parse(doc_full);
	struct hub_issuer who = { "130100", "石家庄市", "abc", 0 };
	/* openpyxl reads a workbook only by its name's .xlsx */
	char    path[64] = "/tmp/tally-reportdoc-XXXXXX.xlsx";
	int     fd       = mkstemps(path, 5);
	json_t *r, *f;
	size_t  i;

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(hub_xlsx_write(path, cat, doc, &who), TALLY_OK);
	ck_assert(python_check(xlsx_check, path));
	/* the same without any optional field */
	json_object_del(doc, "chase");
	r = json_array_get(json_object_get(doc, "regions"), 0);
	json_array_foreach(json_object_get(r, "indicators"), i, f)
	{
		json_object_del(f, "yoy");
		json_object_del(f, "pop");
		json_object_del(f, "benchmark");
		json_object_del(f, "ahead");
		json_object_del(f, "target");
	}
	ck_assert_int_eq(hub_xlsx_write(path, cat, doc, &who), TALLY_OK);
	ck_assert(python_check(xlsx_plain_check, path));
	unlink(path);
	json_decref(doc);
}
END_TEST

/* The text of the PDF at path (pdftotext), without white space. */
static char *
pdf_text(const char *path)
{
	char   cmd[512], txt[64] = "/tmp/tally-reportdoc-XXXXXX";
	int    fd = mkstemp(txt);
	FILE  *f;
	char  *buf = calloc(1, 1 << 20);
	size_t n   = 0;
	int    c;

	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "pdftotext -enc UTF-8 %s %s", path, txt);
	ck_assert_int_eq(system(cmd), 0);
	f = fopen(txt, "r");
	ck_assert_ptr_nonnull(f);
	while ((c = fgetc(f)) != EOF && n + 1 < (1 << 20)) {
		if (c != ' ' && c != '\n' && c != '\f' && c != '\r') {
			buf[n++] = (char) c;
		}
	}
	fclose(f);
	unlink(txt);
	return buf;
}

START_TEST(test_brief_optional_fields)
{
	json_t *doc = parse(doc_full);
	json_t *fs  = json_object_get(
	     json_array_get(json_object_get(doc, "regions"), 0), "indicators");
	json_t *explains =
	    parse("{\"mfg_pass_rate\":{\"contributions\":["
	          "{\"code\":\"130104\",\"name\":\"桥西区\",\"own\":false,"
	          "\"value\":95.0,\"pull\":0.2},"
	          "{\"code\":\"130102\",\"name\":\"长安区\",\"own\":false,"
	          "\"value\":90.0,\"pull\":-0.3}]}}");
	struct hub_issuer who      = { "130100", "石家庄市", "abc123", 0 };
	char              path[64] = "/tmp/tally-reportdoc-XXXXXX";
	unsigned char    *pdf      = NULL;
	size_t            len      = 0;
	char             *text;
	FILE             *f;
	int               fd            = mkstemp(path);
	static const char *const want[] = {
		/* mfg: met now, at risk for 2020; pm25 on track; agri
		 * missed against the province's benchmark */
		"有目标的指标3项：达标1项，未达标1项，有风险1项，待定0项。",
		"1.农产品质量安全监测合格率未达标",
		"上级基准（河北省130000）≥97%（2018）；差距-1.00个百分点",
		"2.制造业产品质量合格率有风险",
		"目标≥95%（2020）；同比+1.00个百分点（2017年91.50）",
		"按近年每年+1.00的速度预计达到94.00，需每年+1.25，有风险",
		"拖累最多：长安区90.00%（拖累0.30个百分点）",
		"逾期未报1个：长安区",
		"逾期未报全1个：桥西区",
		"1970-01-0108:00",
		"实例abc123",
	};

	ck_assert_int_ge(fd, 0);
	close(fd);
	json_object_set_new(
	    json_array_get(
	        json_object_get(json_array_get(fs, 0), "target"), 0),
	    "status", json_string("met"));
	ck_assert_int_eq(
	    hub_brief_pdf_doc(cat, doc, explains, &who, &pdf, &len), TALLY_OK);
	f = fopen(path, "wb");
	ck_assert_uint_eq(fwrite(pdf, 1, len, f), len);
	fclose(f);
	text = pdf_text(path);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_msg(strstr(text, want[i]) != NULL, "'%s' not in: %s",
		    want[i], text);
	}
	/* the drag is the part that pulls down, not the one that lifts */
	ck_assert_ptr_null(strstr(text, "拖累最多：桥西区"));
	free(text);
	free(pdf);
	unlink(path);
	json_decref(explains);
	json_decref(doc);
	hub_brief_release();
}
END_TEST

static Suite *
reportdoc_suite(void)
{
	Suite *s  = suite_create("reportdoc");
	TCase *tc = tcase_create("reportdoc");

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_standing);
	tcase_add_test(tc, test_chase);
	tcase_add_test(tc, test_times_and_units);
	tcase_add_test(tc, test_xlsx_optional_fields);
	tcase_add_test(tc, test_brief_optional_fields);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_run(reportdoc_suite());
}

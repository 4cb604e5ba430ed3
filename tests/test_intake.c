/*
 * Unit tests of county intake's parsers: periods as county offices write
 * them, figures with thousands separators, blanks trimmed, the encoding of
 * a file's bytes (UTF-8 or GBK) and its conversion, the edit distance
 * behind "did you mean", and the outlier test.
 */
#include "encoding.h"
#include "errors.h"
#include "outlier.h"
#include "period.h"
#include "text.h"

#include "testlib.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s must parse loosely to the canonical text want. */
static void
loose_is(const char *s, const char *want)
{
	struct tally_period p;
	char                buf[TALLY_PERIOD_STRLEN];
	int                 rv = tally_period_parse_loose(s, &p);

	ck_assert_msg(rv == TALLY_OK, "'%s' refused (%d)", s, rv);
	tally_period_format(&p, buf);
	ck_assert_msg(strcmp(buf, want) == 0, "'%s' read as %s, expected %s",
	    s, buf, want);
}

START_TEST(test_period_loose)
{
	static const char *const ok[][2] = {
		{ "2020-03", "2020-03" },
		{ "2020-3", "2020-03" },
		{ "2020/3", "2020-03" },
		{ "2020/03", "2020-03" },
		{ "2020年3月", "2020-03" },
		{ "2020年03月", "2020-03" },
		{ "2020年3月份", "2020-03" },
		{ "2020/4/1", "2020-04" },
		{ "2020-04-01", "2020-04" },
		{ "2020-04-01 00:00:00", "2020-04" },
		{ "2020年4月1日", "2020-04" },
		{ "2020Q2", "2020Q2" },
		{ "2020q2", "2020Q2" },
		{ "2020-Q2", "2020Q2" },
		{ "2020 Q2", "2020Q2" },
		{ "2020年第二季度", "2020Q2" },
		{ "2020年第2季度", "2020Q2" },
		{ "2020年二季度", "2020Q2" },
		{ "2020年第四季度", "2020Q4" },
		{ "2020年第2季", "2020Q2" },
		{ "2020年Q3", "2020Q3" },
		{ "2020", "2020" },
		{ "2020年", "2020" },
		{ "2020-12", "2020-12" },
		{ "2024/2/1", "2024-02" },
	};
	static const char *const bad[]  = { "", "20", "2020-13", "2020-0",
		 "2020/13", "2020Q5", "2020Q0", "2020年13月", "2020年第五季度",
		 "2020-3-1-1", "2020/3-1", "2020-02-30", "2020年3", "abcd",
		 "2020.3", "2020-04-01 12:00:00", "2020Q", "12020",
		 "2020年第二季度x", "1899", "3000-01" };
	static const char *const days[] = { "2020/4/15", "2020-04-02",
		"2020年4月30日", "2020/2/29" };
	struct tally_period      p;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		loose_is(ok[i][0], ok[i][1]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(
		    tally_period_parse_loose(bad[i], &p) == TALLY_EINVAL,
		    "'%s' accepted", bad[i]);
	}
	/* A real day that is not the first: told apart, for its message. */
	for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
		ck_assert_msg(
		    tally_period_parse_loose(days[i], &p) == TALLY_EDATA,
		    "'%s' not told to be a day", days[i]);
	}
	/* The strict parser is unchanged: only the canonical forms. */
	ck_assert_int_eq(tally_period_parse("2020-3", &p), TALLY_EINVAL);
	ck_assert_int_eq(tally_period_parse("2020年", &p), TALLY_EINVAL);
}
END_TEST

START_TEST(test_parse_figure)
{
	static const struct {
		const char *s;
		double      v;
	} ok[] = { { "1,210", 1210 }, { "1,234,567", 1234567 },
		{ "12,345.5", 12345.5 }, { "-1,000", -1000 }, { "999", 999 },
		{ "0.5", 0.5 }, { "1210", 1210 }, { "100,000", 100000 } };
	static const char *const bad[] = { "1,21", "12,34", "1234,567", ",123",
		"1,", "1,,210", "1,210,5", "1.5,000", "93.4%", "", "1 210",
		"abc", "1,2a0", "nan", "0x10" };
	double                   v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(tally_parse_figure(ok[i].s, &v) == TALLY_OK,
		    "'%s' refused", ok[i].s);
		ck_assert_msg(v == ok[i].v, "'%s' read as %g", ok[i].s, v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(tally_parse_figure(bad[i], &v) == TALLY_EINVAL,
		    "'%s' accepted", bad[i]);
	}
}
END_TEST

START_TEST(test_trim)
{
	static const char *const cases[][2] = { { "  90 ", "90" },
		{ "\t1,210\r", "1,210" },
		{ "\xE3\x80\x80指标\xE3\x80\x80", "指标" },
		{ "\xC2\xA0"
		  "5"
		  "\xC2\xA0",
		    "5" },
		{ "   ", "" }, { "", "" }, { "a b", "a b" } };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];

		snprintf(buf, sizeof(buf), "%s", cases[i][0]);
		ck_assert_str_eq(tally_text_trim(buf), cases[i][1]);
	}
}
END_TEST

START_TEST(test_edit_distance)
{
	ck_assert_uint_eq(
	    tally_edit_distance("mfg_pass_rat", "mfg_pass_rate"), 1);
	ck_assert_uint_eq(tally_edit_distance("", "abc"), 3);
	ck_assert_uint_eq(tally_edit_distance("kitten", "sitting"), 3);
	/* One Chinese character is one edit, not three bytes. */
	ck_assert_uint_eq(tally_edit_distance(
	                      "制造业产品质量合格律", "制造业产品质量合格率"),
	    1);
	ck_assert_uint_eq(tally_edit_distance("合格率", "合格率"), 0);
}
END_TEST

/* "制造业,2020年3月" in GBK, as Excel on Chinese Windows saves it. */
static const char gbk_text[] = "\xd6\xc6\xd4\xec\xd2\xb5,2020\xc4\xea"
                               "3\xd4\xc2\r\n";

START_TEST(test_encoding)
{
	char               *out    = NULL;
	size_t              len    = 0;
	int                 used   = -1, enc;
	struct tally_errbuf eb     = { "" };
	const char          utf8[] = "\xEF\xBB\xBF指标,期间\r\n";

	ck_assert_int_eq(
	    tally_encoding_detect("plain,ascii\n", 12), TALLY_ENC_UTF8);
	ck_assert_int_eq(
	    tally_encoding_detect(utf8, sizeof(utf8) - 1), TALLY_ENC_UTF8);
	ck_assert_int_eq(tally_encoding_detect(gbk_text, sizeof(gbk_text) - 1),
	    TALLY_ENC_GB18030);

	/* Detected GBK becomes UTF-8. */
	ck_assert_int_eq(tally_encoding_to_utf8(gbk_text, sizeof(gbk_text) - 1,
	                     TALLY_ENC_AUTO, &out, &len, &used, &eb),
	    TALLY_OK);
	ck_assert_int_eq(used, TALLY_ENC_GB18030);
	ck_assert_str_eq(out, "制造业,2020年3月\r\n");
	ck_assert_uint_eq(len, strlen(out));
	free(out);

	/* UTF-8 loses its byte-order mark. */
	ck_assert_int_eq(tally_encoding_to_utf8(utf8, sizeof(utf8) - 1,
	                     TALLY_ENC_AUTO, &out, &len, &used, &eb),
	    TALLY_OK);
	ck_assert_int_eq(used, TALLY_ENC_UTF8);
	ck_assert_str_eq(out, "指标,期间\r\n");
	free(out);

	/* GBK read as UTF-8 by force is refused, with the way out. */
	out = NULL;
	ck_assert_int_eq(tally_encoding_to_utf8(gbk_text, sizeof(gbk_text) - 1,
	                     TALLY_ENC_UTF8, &out, &len, &used, &eb),
	    TALLY_EDATA);
	ck_assert_ptr_null(out);
	ck_assert_msg(
	    strstr(eb.text, "--encoding gbk") != NULL, "%s", eb.text);

	/* A byte GB18030 has no character for is refused too. */
	ck_assert_int_eq(tally_encoding_to_utf8("ab\x80\xff", 4,
	                     TALLY_ENC_GB18030, &out, &len, &used, &eb),
	    TALLY_EDATA);

	ck_assert_int_eq(tally_encoding_parse("GBK", &enc), TALLY_OK);
	ck_assert_int_eq(enc, TALLY_ENC_GB18030);
	ck_assert_int_eq(tally_encoding_parse("utf-8", &enc), TALLY_OK);
	ck_assert_int_eq(enc, TALLY_ENC_UTF8);
	ck_assert_int_eq(tally_encoding_parse("latin1", &enc), TALLY_EINVAL);
}
END_TEST

START_TEST(test_outlier)
{
	double               hist[24];
	struct tally_outlier o;

	/* A pass rate around 92-96 %: 9.3 (a slipped digit) is far out,
	 * 93 and 90 are not. */
	for (int i = 0; i < 14; i++) {
		hist[i] = 92 + i % 5;
	}
	ck_assert(tally_outlier_check(hist, 14, 9.3, &o));
	ck_assert(o.low > 80 && o.high < 110 && o.median == 94);
	ck_assert(!tally_outlier_check(hist, 14, 93, &o));
	ck_assert(!tally_outlier_check(hist, 14, 90, &o));
	/* Too little history says nothing. */
	ck_assert(!tally_outlier_check(hist, 11, 9.3, &o));
	/* A flat history: small changes pass, a tenfold one does not. */
	for (int i = 0; i < 12; i++) {
		hist[i] = 50;
	}
	ck_assert(!tally_outlier_check(hist, 12, 52, &o));
	ck_assert(tally_outlier_check(hist, 12, 500, &o));
	/* All zero: no scale, no verdict. */
	for (int i = 0; i < 12; i++) {
		hist[i] = 0;
	}
	ck_assert(!tally_outlier_check(hist, 12, 5, &o));
}
END_TEST

static Suite *
intake_suite(void)
{
	Suite *s  = suite_create("intake");
	TCase *tc = tcase_create("parsers");

	tcase_add_test(tc, test_period_loose);
	tcase_add_test(tc, test_parse_figure);
	tcase_add_test(tc, test_trim);
	tcase_add_test(tc, test_edit_distance);
	tcase_add_test(tc, test_encoding);
	tcase_add_test(tc, test_outlier);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_run(intake_suite());
}

/*
 * Unit tests of the as-of time parser of `report --as-of` (asof.h). The
 * expected times are computed with the C library's timegm, which shares
 * no code with the parser, and against the due dates of target.h: a date
 * means the whole of that day in China Standard Time, as the due dates
 * count days.
 */
#include "asof.h"
#include "errors.h"
#include "period.h"
#include "target.h"

#include "testlib.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CST_S (8 * 3600)

/* Unix ms of a UTC civil time, by the C library. */
static int64_t
utc_ms(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon  = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min  = mi;
	tm.tm_sec  = s;
	return (int64_t) timegm(&tm) * 1000;
}

static int64_t
parse_ok(const char *text)
{
	int64_t ms = -1;

	ck_assert_msg(
	    tally_asof_parse(text, &ms) == TALLY_OK, "'%s' was refused", text);
	return ms;
}

START_TEST(test_asof_forms)
{
	/* A date: up to the last millisecond of that day in CST. */
	ck_assert_int_eq(parse_ok("2021-01-15"),
	    utc_ms(2021, 1, 15, 23, 59, 59) - CST_S * 1000 + 999);
	/* A time without a zone is CST; Z is UTC; an offset is that. */
	ck_assert_int_eq(parse_ok("2021-01-15T08:30"),
	    utc_ms(2021, 1, 15, 8, 30, 0) - CST_S * 1000);
	ck_assert_int_eq(parse_ok("2021-01-15T08:30:07"),
	    utc_ms(2021, 1, 15, 8, 30, 7) - CST_S * 1000);
	ck_assert_int_eq(
	    parse_ok("2021-01-15T08:30:07Z"), utc_ms(2021, 1, 15, 8, 30, 7));
	ck_assert_int_eq(parse_ok("2021-01-15T08:30:07+08:00"),
	    parse_ok("2021-01-15T08:30:07"));
	ck_assert_int_eq(
	    parse_ok("2021-01-15T08:30-05:30"), utc_ms(2021, 1, 15, 14, 0, 0));
	/* Leap days and the turn of a year. */
	ck_assert_int_eq(
	    parse_ok("2020-02-29T00:00Z"), utc_ms(2020, 2, 29, 0, 0, 0));
	ck_assert_int_eq(
	    parse_ok("2020-12-31"), utc_ms(2020, 12, 31, 15, 59, 59) + 999);
}
END_TEST

START_TEST(test_asof_due_dates)
{
	struct tally_period p;

	/* A period is due at the start of a day in CST; as of the day
	 * before, it is not yet due, and a moment into the due day it is. */
	ck_assert_int_eq(tally_period_parse("2020", &p), TALLY_OK);
	ck_assert_int_eq(
	    parse_ok("2021-01-15") + 1, tally_target_due_ms(&p, 15));
	ck_assert_int_eq(
	    parse_ok("2021-01-16T00:00"), tally_target_due_ms(&p, 15));
	ck_assert_int_eq(tally_period_parse("2020-02", &p), TALLY_OK);
	ck_assert_int_eq(
	    parse_ok("2020-02-29") + 1, tally_target_due_ms(&p, 0));
}
END_TEST

START_TEST(test_asof_time_zone_free)
{
	int64_t before = parse_ok("2021-06-01T12:00");

	/* The machine's zone must not move the result. */
	setenv("TZ", "America/New_York", 1);
	tzset();
	ck_assert_int_eq(parse_ok("2021-06-01T12:00"), before);
	unsetenv("TZ");
	tzset();
}
END_TEST

START_TEST(test_asof_refused)
{
	static const char *const bad[] = { "", "yesterday", "2021", "2021-01",
		"2021-1-15", "2021-13-01", "2021-00-10", "2021-02-29",
		"2021-04-31", "2021-01-15T", "2021-01-15T24:00",
		"2021-01-15T23:60", "2021-01-15T23:59:60", "2021-01-15 08:30",
		"2021-01-15T08:30:00ZZ", "2021-01-15T08:30+8",
		"2021-01-15T8:30", "2021-01-15T08:30:00.5", "2021-01-15x",
		" 2021-01-15", "1969-12-31", "3000-01-01",
		"2021-01-15T08:30+15:00", NULL };
	int64_t                  ms    = 42;

	for (size_t i = 0; bad[i] != NULL; i++) {
		ck_assert_msg(tally_asof_parse(bad[i], &ms) == TALLY_EINVAL,
		    "'%s' was taken", bad[i]);
	}
	ck_assert_int_eq(tally_asof_parse(NULL, &ms), TALLY_EINVAL);
	ck_assert_int_eq(ms, 42);
}
END_TEST

START_TEST(test_asof_format)
{
	char buf[TALLY_ASOF_STRLEN];

	tally_asof_format(parse_ok("2021-01-15"), buf, sizeof(buf));
	ck_assert_str_eq(buf, "2021-01-15T15:59:59.999Z");
	tally_asof_format(parse_ok("2020-02-29T08:00:01"), buf, sizeof(buf));
	ck_assert_str_eq(buf, "2020-02-29T00:00:01Z");
	tally_asof_format(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
}
END_TEST

int
main(void)
{
	Suite *s  = suite_create("asof");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_asof_forms);
	tcase_add_test(tc, test_asof_due_dates);
	tcase_add_test(tc, test_asof_time_zone_free);
	tcase_add_test(tc, test_asof_refused);
	tcase_add_test(tc, test_asof_format);
	suite_add_tcase(s, tc);
	return testlib_run(s);
}

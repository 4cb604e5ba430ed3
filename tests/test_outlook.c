/*
 * Unit tests of the pure parts: the shortest text that reads
 * back to the same double (common/number.c), as every CSV prints it
 * through figure.c, and the least-squares trajectory toward a later
 * target (common/trajectory.c), and the ranks of a comparison, where
 * equal values share a rank (common/rank.c). Expected figures come from the
 * issue's example and from closed forms worked out here, not from the code.
 */
#include "figure.h"
#include "number.h"
#include "rank.h"
#include "trajectory.h"

#include "testlib.h"

#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOL 1e-9

/* What tally_figure_csv_num writes for v, without the leading comma. */
static void
csv_of(double v, char *buf, size_t len)
{
	char   *text = NULL;
	size_t  n    = 0;
	FILE   *f    = open_memstream(&text, &n);
	json_t *j    = json_real(v);

	ck_assert_ptr_nonnull(f);
	tally_figure_csv_num(f, j);
	fclose(f);
	ck_assert_int_ge((int) n, 1);
	snprintf(buf, len, "%s", text + 1);
	free(text);
	json_decref(j);
}

START_TEST(test_csv_shortest)
{
	char buf[64];

	/* The issue's example: 84.6 is not 84.599999999999994 in a CSV. */
	csv_of(84.6, buf, sizeof(buf));
	ck_assert_str_eq(buf, "84.6");
	csv_of(0.1 + 0.2, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0.30000000000000004");
	csv_of(100.0 * 29 / 100, buf, sizeof(buf));
	ck_assert_double_eq(strtod(buf, NULL), 100.0 * 29 / 100);
	csv_of(1234567, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1234567");
	csv_of(-40, buf, sizeof(buf));
	ck_assert_str_eq(buf, "-40");
}
END_TEST

/* Every text round-trips, and none is longer than it need be: one digit
 * fewer would no longer read back (for values needing 16 or 17). */
START_TEST(test_shortest_roundtrip)
{
	unsigned long long x = 88172645463325252ULL;

	for (int i = 0; i < 20000; i++) {
		char   buf[TALLY_NUMBER_STRLEN], shorter[400];
		double v;
		int    digits = 0;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = (double) (x % 100000000) / 1000.0 * (i % 2 ? 1 : -1);
		if (i % 3 == 0) {
			v = v / 7.0;
		}
		tally_number_shortest(v, buf, sizeof(buf));
		ck_assert_double_eq(strtod(buf, NULL), v);
		for (const char *p = buf; *p != '\0' && *p != 'e'; p++) {
			digits += *p >= '0' && *p <= '9';
		}
		if (digits > 15) {
			snprintf(
			    shorter, sizeof(shorter), "%.*g", digits - 1, v);
			ck_assert(strtod(shorter, NULL) != v);
		}
	}
	{
		char buf[TALLY_NUMBER_STRLEN];

		tally_number_shortest(NAN, buf, sizeof(buf));
		ck_assert_str_eq(buf, "");
	}
}
END_TEST

/* The issue's example: 90, 91, 92 in 2016-2018 project 94 in 2020, short
 * of >= 95 by a point: at risk, needing 1.5 a year at a pace of 1. */
START_TEST(test_trajectory_issue_example)
{
	int                     ys[] = { 2016, 2017, 2018 };
	double                  vs[] = { 90, 91, 92 };
	struct tally_trajectory tr;

	ck_assert_int_eq(
	    tally_trajectory_fit(ys, vs, 3, 2020, TALLY_OP_GE, 95, &tr),
	    TALLY_OK);
	ck_assert_str_eq(tally_trajectory_status_name(tr.status), "at_risk");
	ck_assert_double_eq_tol(tr.projected, 94, TOL);
	ck_assert_double_eq_tol(tr.pace_per_year, 1, TOL);
	ck_assert_double_eq_tol(tr.needed_per_year, 1.5, TOL);
	ck_assert_int_eq(tr.last_year, 2018);
	ck_assert_int_eq(
	    tally_trajectory_fit(ys, vs, 3, 2020, TALLY_OP_GE, 94, &tr),
	    TALLY_OK);
	ck_assert_str_eq(tally_trajectory_status_name(tr.status), "on_track");
}
END_TEST

/* Lower is better (a ceiling): PM2.5 falling 4 a year from 60 reaches 44
 * by 2020, under <= 45 but not under < 44. Noisy values: the slope is
 * the closed form sxy / sxx. */
START_TEST(test_trajectory_lower_and_noise)
{
	int                     ys[] = { 2018, 2016, 2017 };
	double                  vs[] = { 52, 60, 56 };
	int                     y2[] = { 2015, 2016, 2017, 2018 };
	double                  v2[] = { 10, 13, 11, 14 };
	struct tally_trajectory tr;

	ck_assert_int_eq(
	    tally_trajectory_fit(ys, vs, 3, 2020, TALLY_OP_LE, 45, &tr),
	    TALLY_OK);
	ck_assert_double_eq_tol(tr.projected, 44, TOL);
	ck_assert_double_eq_tol(tr.pace_per_year, -4, TOL);
	ck_assert_double_eq_tol(tr.needed_per_year, -3.5, TOL);
	ck_assert_str_eq(tally_trajectory_status_name(tr.status), "on_track");
	ck_assert_int_eq(
	    tally_trajectory_fit(ys, vs, 3, 2020, TALLY_OP_LT, 44, &tr),
	    TALLY_OK);
	ck_assert_str_eq(tally_trajectory_status_name(tr.status), "at_risk");
	/* x = -1.5 -0.5 0.5 1.5, y - 12 = -2 1 -1 2: sxy = 3+(-0.5)+(-0.5)+3
	 * = 5, sxx = 5, slope 1; 2020 is x = 3.5: 12 + 3.5 = 15.5. */
	ck_assert_int_eq(
	    tally_trajectory_fit(y2, v2, 4, 2020, TALLY_OP_GE, 15, &tr),
	    TALLY_OK);
	ck_assert_double_eq_tol(tr.pace_per_year, 1, TOL);
	ck_assert_double_eq_tol(tr.projected, 15.5, TOL);
	ck_assert_double_eq_tol(tr.needed_per_year, 0.5, TOL);
}
END_TEST

START_TEST(test_trajectory_incomplete)
{
	int                     ys[] = { 2018, 2018 };
	double                  vs[] = { 1, 2 };
	struct tally_trajectory tr;

	ck_assert_int_eq(
	    tally_trajectory_fit(ys, vs, 1, 2020, TALLY_OP_GE, 3, &tr),
	    TALLY_OK);
	ck_assert_str_eq(
	    tally_trajectory_status_name(tr.status), "incomplete");
	ck_assert_ptr_nonnull(strstr(tr.reason, "two years"));
	ck_assert_int_eq(
	    tally_trajectory_fit(ys, vs, 0, 2020, TALLY_OP_GE, 3, &tr),
	    TALLY_OK);
	ck_assert_str_eq(
	    tally_trajectory_status_name(tr.status), "incomplete");
	ck_assert_int_eq(
	    tally_trajectory_fit(ys, vs, 2, 2020, TALLY_OP_GE, 3, &tr),
	    TALLY_EINVAL);
	{
		int    y3[] = { 2019, 2020 };
		double v3[] = { 1, 2 };

		ck_assert_int_eq(
		    tally_trajectory_fit(y3, v3, 2, 2020, TALLY_OP_GE, 3, &tr),
		    TALLY_OK);
		ck_assert_str_eq(
		    tally_trajectory_status_name(tr.status), "incomplete");
	}
}
END_TEST

/* Equal values share a rank (1, 1, 3), also when they are the same
 * figure reached by different sums: 0.1 + 0.2 and 0.3 differ in the last
 * bit. Lower is better turns the order; unranked members get 0. */
START_TEST(test_rank_ties)
{
	double v[]  = { 93.5, 0.1 + 0.2, 93.5, 0.3, 95, 99 };
	bool   ok[] = { true, true, true, true, true, false };
	int    r[6] = { 0 };
	size_t best;

	ck_assert(0.1 + 0.2 != 0.3);
	best = tally_rank(v, ok, 6, true, r);
	ck_assert_uint_eq(best, 4);
	ck_assert_int_eq(r[4], 1);
	ck_assert_int_eq(r[0], 2);
	ck_assert_int_eq(r[2], 2);
	ck_assert_int_eq(r[1], 4);
	ck_assert_int_eq(r[3], 4);
	ck_assert_int_eq(r[5], 0);
	best = tally_rank(v, ok, 6, false, r);
	ck_assert_uint_eq(best, 1);
	ck_assert_int_eq(r[1], 1);
	ck_assert_int_eq(r[3], 1);
	ck_assert_int_eq(r[0], 3);
	ck_assert_int_eq(r[2], 3);
	ck_assert_int_eq(r[4], 5);
	ck_assert_uint_eq(tally_rank(v, ok, 0, true, r), 0);
}
END_TEST

int
main(void)
{
	Suite *s  = suite_create("outlook");
	TCase *tc = tcase_create("outlook");

	tcase_add_test(tc, test_csv_shortest);
	tcase_add_test(tc, test_shortest_roundtrip);
	tcase_add_test(tc, test_trajectory_issue_example);
	tcase_add_test(tc, test_trajectory_lower_and_noise);
	tcase_add_test(tc, test_trajectory_incomplete);
	tcase_add_test(tc, test_rank_ties);
	suite_add_tcase(s, tc);
	return testlib_run(s);
}

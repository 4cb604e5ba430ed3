/*
 * The clock and calendar of clock.h. The calendar functions are Howard
 * Hinnant's days_from_civil and civil_from_days
 * (https://howardhinnant.github.io/date_algorithms.html), exact over the
 * whole range of the proleptic Gregorian calendar.
 */
#include "clock.h"

#include <time.h>

long long
tally_clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
tally_clock_format_iso(int64_t ms, char *buf, size_t len)
{
	time_t    t = (time_t) (ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t
tally_clock_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
tally_clock_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp  = (5 * doy + 2) / 153;
	*d  = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m  = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y  = (int) (yoe + era * 400 + (*m <= 2));
}

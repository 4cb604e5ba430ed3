/*
 * The as-of times declared in asof.h. The calendar arithmetic is done
 * here rather than with mktime, so that the result never depends on the
 * process's time zone or locale.
 */
#include "asof.h"

#include "clock.h"
#include "errors.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define ASOF_MS_PER_DAY     TALLY_CLOCK_MS_PER_DAY
#define ASOF_CST_OFFSET_MIN ((int) (TALLY_CLOCK_CST_OFFSET_MS / 60000))

/* Reads exactly n digits at *p into *out and advances *p. */
static bool
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9') {
			return false;
		}
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool
expect(const char **p, char c)
{
	if (**p != c) {
		return false;
	}
	(*p)++;
	return true;
}

static int
days_in_month(int y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	bool             leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : mdays[m - 1];
}

int
tally_asof_parse(const char *text, int64_t *ms)
{
	const char *p = text;
	int         y, mo, d, h = 0, mi = 0, s = 0, off = ASOF_CST_OFFSET_MIN;
	int64_t     t;

	if (text == NULL || !digits(&p, 4, &y) || !expect(&p, '-') ||
	    !digits(&p, 2, &mo) || !expect(&p, '-') || !digits(&p, 2, &d)) {
		return TALLY_EINVAL;
	}
	if (y < 1970 || y > 2999 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo)) {
		return TALLY_EINVAL;
	}
	if (*p == '\0') {
		/* A date means the whole of that day in CST: everything
		 * held before the next day began. */
		t = (tally_clock_days_from_civil(y, mo, d) + 1) *
		        ASOF_MS_PER_DAY -
		    (int64_t) off * 60000 - 1;
		*ms = t;
		return TALLY_OK;
	}
	if (!expect(&p, 'T') || !digits(&p, 2, &h) || !expect(&p, ':') ||
	    !digits(&p, 2, &mi)) {
		return TALLY_EINVAL;
	}
	if (*p == ':' && (p++, !digits(&p, 2, &s))) {
		return TALLY_EINVAL;
	}
	if (h > 23 || mi > 59 || s > 59) {
		return TALLY_EINVAL;
	}
	if (*p == 'Z') {
		off = 0;
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om;

		p++;
		if (!digits(&p, 2, &oh) || !expect(&p, ':') ||
		    !digits(&p, 2, &om) || oh > 14 || om > 59) {
			return TALLY_EINVAL;
		}
		off = sign * (oh * 60 + om);
	}
	if (*p != '\0') {
		return TALLY_EINVAL;
	}
	t = tally_clock_days_from_civil(y, mo, d) * ASOF_MS_PER_DAY +
	    ((int64_t) h * 3600 + mi * 60 + s) * 1000 - (int64_t) off * 60000;
	*ms = t;
	return TALLY_OK;
}

void
tally_asof_format(int64_t ms, char *buf, size_t len)
{
	int64_t days = ms >= 0
	    ? ms / ASOF_MS_PER_DAY
	    : -((-ms + ASOF_MS_PER_DAY - 1) / ASOF_MS_PER_DAY);
	int64_t rest = ms - days * ASOF_MS_PER_DAY;
	int     y, m, d;
	int     sec = (int) (rest / 1000), milli = (int) (rest % 1000);

	tally_clock_civil_from_days(days, &y, &m, &d);
	if (milli != 0) {
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m,
		    d, sec / 3600, sec / 60 % 60, sec % 60, milli);
	} else {
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
		    sec / 3600, sec / 60 % 60, sec % 60);
	}
}

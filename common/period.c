/*
 * Parsing, formatting and arithmetic of reporting periods (see period.h).
 */
#include "period.h"

#include "errors.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static bool
all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
	}
	return true;
}

static int
digits_value(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
tally_period_parse(const char *s, struct tally_period *out)
{
	struct tally_period p;
	size_t              len;

	if (s == NULL) {
		return TALLY_EINVAL;
	}
	len = strlen(s);
	if (len < 4 || !all_digits(s, 4)) {
		return TALLY_EINVAL;
	}
	p.year = digits_value(s, 4);
	if (p.year < TALLY_PERIOD_YEAR_MIN || p.year > TALLY_PERIOD_YEAR_MAX) {
		return TALLY_EINVAL;
	}
	if (len == 4) {
		p.kind  = TALLY_PERIOD_YEAR;
		p.index = 0;
	} else if (len == 6 && s[4] == 'Q' && all_digits(s + 5, 1)) {
		p.kind  = TALLY_PERIOD_QUARTER;
		p.index = s[5] - '0';
		if (p.index < 1 || p.index > 4) {
			return TALLY_EINVAL;
		}
	} else if (len == 7 && s[4] == '-' && all_digits(s + 5, 2)) {
		p.kind  = TALLY_PERIOD_MONTH;
		p.index = digits_value(s + 5, 2);
		if (p.index < 1 || p.index > 12) {
			return TALLY_EINVAL;
		}
	} else {
		return TALLY_EINVAL;
	}
	*out = p;
	return TALLY_OK;
}

void
tally_period_format(const struct tally_period *p, char *buf)
{
	switch (p->kind) {
	case TALLY_PERIOD_QUARTER:
		snprintf(buf, TALLY_PERIOD_STRLEN, "%04dQ%d", p->year % 10000,
		    p->index % 10);
		break;
	case TALLY_PERIOD_MONTH:
		snprintf(buf, TALLY_PERIOD_STRLEN, "%04d-%02d",
		    p->year % 10000, p->index % 100);
		break;
	default:
		snprintf(buf, TALLY_PERIOD_STRLEN, "%04d", p->year % 10000);
		break;
	}
}

int
tally_period_first_month(const struct tally_period *p)
{
	switch (p->kind) {
	case TALLY_PERIOD_QUARTER:
		return p->year * 12 + (p->index - 1) * 3;
	case TALLY_PERIOD_MONTH:
		return p->year * 12 + (p->index - 1);
	default:
		return p->year * 12;
	}
}

int
tally_period_last_month(const struct tally_period *p)
{
	switch (p->kind) {
	case TALLY_PERIOD_QUARTER:
		return p->year * 12 + p->index * 3 - 1;
	case TALLY_PERIOD_MONTH:
		return p->year * 12 + (p->index - 1);
	default:
		return p->year * 12 + 11;
	}
}

bool
tally_period_contains(
    const struct tally_period *outer, const struct tally_period *inner)
{
	return tally_period_first_month(outer) <=
	    tally_period_first_month(inner) &&
	    tally_period_last_month(inner) <= tally_period_last_month(outer);
}

int
tally_period_parent(const struct tally_period *p, struct tally_period *out)
{
	struct tally_period q;

	switch (p->kind) {
	case TALLY_PERIOD_MONTH:
		q.year  = p->year;
		q.kind  = TALLY_PERIOD_QUARTER;
		q.index = (p->index - 1) / 3 + 1;
		break;
	case TALLY_PERIOD_QUARTER:
		q.year  = p->year;
		q.kind  = TALLY_PERIOD_YEAR;
		q.index = 0;
		break;
	default:
		return TALLY_ENOENT;
	}
	*out = q;
	return TALLY_OK;
}

bool
tally_period_equal(const struct tally_period *a, const struct tally_period *b)
{
	return a->year == b->year && a->kind == b->kind &&
	    a->index == b->index;
}

long long
tally_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

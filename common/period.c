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

/* A cursor over the text of a loosely written period. */
struct cursor {
	const char *p;
};

/* Reads 1..max ASCII digits; -1 when there are none. */
static int
read_int(struct cursor *c, int max)
{
	int v = 0, n = 0;

	while (n < max && *c->p >= '0' && *c->p <= '9') {
		v = v * 10 + (*c->p - '0');
		c->p++;
		n++;
	}
	return n == 0 ? -1 : v;
}

/* Consumes the text lit when it comes next. */
static bool
eat(struct cursor *c, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(c->p, lit, n) != 0) {
		return false;
	}
	c->p += n;
	return true;
}

/* A quarter number written 1..4 or 一..四; -1 otherwise. */
static int
read_quarter(struct cursor *c)
{
	static const char *zh[] = { "一", "二", "三", "四" };

	for (int i = 0; i < 4; i++) {
		if (eat(c, zh[i])) {
			return i + 1;
		}
	}
	return read_int(c, 1);
}

static bool
days_ok(int year, int month, int day)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };

	if (day < 1 || day > mdays[month - 1]) {
		return false;
	}
	return !(month == 2 && day == 29 &&
	    !((year % 4 == 0 && year % 100 != 0) || year % 400 == 0));
}

/* After `YYYY年`: 3月, 3月份, 4月1日, 第二季度, 二季度, Q2, or nothing. */
static int
loose_after_nian(struct cursor *c, struct tally_period *p)
{
	int n;

	if (*c->p == '\0') {
		p->kind = TALLY_PERIOD_YEAR;
		return TALLY_OK;
	}
	if (eat(c, "第") || strstr(c->p, "季") != NULL) {
		n = read_quarter(c);
		if (!eat(c, "季度") && !eat(c, "季")) {
			return TALLY_EINVAL;
		}
		p->kind  = TALLY_PERIOD_QUARTER;
		p->index = n;
		return *c->p == '\0' ? TALLY_OK : TALLY_EINVAL;
	}
	if (eat(c, "Q") || eat(c, "q")) {
		p->kind  = TALLY_PERIOD_QUARTER;
		p->index = read_int(c, 1);
		return *c->p == '\0' ? TALLY_OK : TALLY_EINVAL;
	}
	n = read_int(c, 2);
	if (n < 0 || !eat(c, "月")) {
		return TALLY_EINVAL;
	}
	p->kind  = TALLY_PERIOD_MONTH;
	p->index = n;
	if (eat(c, "份") || *c->p == '\0') {
		return *c->p == '\0' ? TALLY_OK : TALLY_EINVAL;
	}
	n = read_int(c, 2);
	if (n < 0 || !eat(c, "日") || *c->p != '\0') {
		return TALLY_EINVAL;
	}
	if (p->index < 1 || p->index > 12 || !days_ok(p->year, p->index, n)) {
		return TALLY_EINVAL;
	}
	return n == 1 ? TALLY_OK : TALLY_EDATA;
}

/* After `YYYY-` or `YYYY/`: M, MM, M-D (the same separator), or Qn. */
static int
loose_after_sep(struct cursor *c, char sep, struct tally_period *p)
{
	int n, day;

	if (eat(c, "Q") || eat(c, "q")) {
		p->kind  = TALLY_PERIOD_QUARTER;
		p->index = read_int(c, 1);
		return *c->p == '\0' ? TALLY_OK : TALLY_EINVAL;
	}
	n = read_int(c, 2);
	if (n < 0) {
		return TALLY_EINVAL;
	}
	p->kind  = TALLY_PERIOD_MONTH;
	p->index = n;
	if (*c->p == '\0') {
		return TALLY_OK;
	}
	if (*c->p != sep) {
		return TALLY_EINVAL;
	}
	c->p++;
	day = read_int(c, 2);
	/* Excel's text of a date cell may carry a midnight time. */
	if (day < 0 ||
	    (*c->p != '\0' && !eat(c, " 0:00:00") && !eat(c, " 00:00:00") &&
	        !eat(c, " 0:00") && !eat(c, " 00:00"))) {
		return TALLY_EINVAL;
	}
	if (*c->p != '\0' || n < 1 || n > 12 || !days_ok(p->year, n, day)) {
		return TALLY_EINVAL;
	}
	return day == 1 ? TALLY_OK : TALLY_EDATA;
}

int
tally_period_parse_loose(const char *s, struct tally_period *out)
{
	struct tally_period p;
	struct cursor       c;
	int                 rv;

	if (s == NULL) {
		return TALLY_EINVAL;
	}
	if (tally_period_parse(s, out) == TALLY_OK) {
		return TALLY_OK;
	}
	c.p = s;
	if (!all_digits(s, 4) || strlen(s) < 4) {
		return TALLY_EINVAL;
	}
	memset(&p, 0, sizeof(p));
	p.year = read_int(&c, 4);
	if (p.year < TALLY_PERIOD_YEAR_MIN || p.year > TALLY_PERIOD_YEAR_MAX) {
		return TALLY_EINVAL;
	}
	if (eat(&c, "年")) {
		rv = loose_after_nian(&c, &p);
	} else if (*c.p == '-' || *c.p == '/') {
		char sep = *c.p++;
		rv       = loose_after_sep(&c, sep, &p);
	} else if (*c.p == 'Q' || *c.p == 'q' || *c.p == ' ') {
		c.p += *c.p == ' ' ? 1 : 0;
		rv = loose_after_sep(&c, '\0', &p);
		if (p.kind != TALLY_PERIOD_QUARTER) {
			rv = TALLY_EINVAL;
		}
	} else {
		rv = TALLY_EINVAL;
	}
	if (rv != TALLY_OK && rv != TALLY_EDATA) {
		return rv;
	}
	if ((p.kind == TALLY_PERIOD_MONTH && (p.index < 1 || p.index > 12)) ||
	    (p.kind == TALLY_PERIOD_QUARTER && (p.index < 1 || p.index > 4))) {
		return TALLY_EINVAL;
	}
	if (rv == TALLY_OK) {
		*out = p;
	}
	return rv;
}

struct tally_period
tally_period_step(const struct tally_period *p, int step)
{
	struct tally_period q = *p;
	int                 n = q.kind == TALLY_PERIOD_QUARTER ? 4
	                    : q.kind == TALLY_PERIOD_MONTH     ? 12
	                                                       : 1;

	if (n == 1) {
		q.year += step;
		return q;
	}
	/* Counted from 0 within the year, so that / and % carry the year. */
	q.index = q.index - 1 + step;
	q.year += q.index < 0 ? -1 : q.index / n;
	q.index = (q.index % n + n) % n + 1;
	return q;
}

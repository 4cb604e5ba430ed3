/*
 * Reporting periods: a year `YYYY`, a quarter `YYYYQn` or a month `YYYY-MM`.
 * Periods nest (month in quarter in year); the rollup engine and the store
 * use the month span of a period to decide containment and overlap, and the
 * end month to decide which sub-period is the latest.
 */
#ifndef TALLY_PERIOD_H
#define TALLY_PERIOD_H

#include <stdbool.h>

enum tally_period_kind {
	TALLY_PERIOD_YEAR,
	TALLY_PERIOD_QUARTER,
	TALLY_PERIOD_MONTH,
};

#define TALLY_PERIOD_YEAR_MIN 1900
#define TALLY_PERIOD_YEAR_MAX 2999
/* Room for the longest text form ("2020-12") with a margin that keeps
 * the compiler's truncation analysis quiet. */
#define TALLY_PERIOD_STRLEN 16

struct tally_period {
	int year;
	int kind;  /* enum tally_period_kind */
	int index; /* quarter 1..4, month 1..12, 0 for a year */
};

/* Parses s strictly; TALLY_EINVAL for anything malformed or impossible
 * (`2020-13`, `2020Q5`, `20`, trailing text). */
int tally_period_parse(const char *s, struct tally_period *out);

/* Parses a period as a county office writes it in a spreadsheet, for
 * `import` and `record`: the canonical forms above and `2020-3`, `2020/3`,
 * `2020年3月`, a date on the first of a month (`2020/4/1`, `2020-04-01`,
 * `2020年4月1日`), `2020q2`, `2020-Q2`, `2020年第二季度` (or 第2季度, 二季度),
 * `2020年`. Leading and trailing blanks are the caller's to trim.
 * TALLY_EDATA for a date that is not the first of its month (a day, not a
 * month: the caller says so), TALLY_EINVAL for anything else. */
int tally_period_parse_loose(const char *s, struct tally_period *out);

/* Writes the canonical text into buf, which must hold TALLY_PERIOD_STRLEN. */
void tally_period_format(const struct tally_period *p, char *buf);

/* Month numbers counted from year 0: first and last month of the period. */
int tally_period_first_month(const struct tally_period *p);
int tally_period_last_month(const struct tally_period *p);

/* True when inner lies inside outer (a period contains itself). */
bool tally_period_contains(
    const struct tally_period *outer, const struct tally_period *inner);

/* The next coarser period: month -> quarter -> year. TALLY_ENOENT for a
 * year. */
int tally_period_parent(
    const struct tally_period *p, struct tally_period *out);

bool tally_period_equal(
    const struct tally_period *a, const struct tally_period *b);

/* The period of the same kind one before (step -1) or one after (step
 * 1): 2020-01 before is 2019-12, 2020Q4 after is 2021Q1. Its year may
 * fall outside TALLY_PERIOD_YEAR_MIN..MAX; the caller checks. */
struct tally_period tally_period_step(const struct tally_period *p, int step);

#endif

/*
 * Wall time and the civil calendar. Times are Unix milliseconds in UTC;
 * the programmes' offices read them in China Standard Time (UTC+8 all year,
 * with no daylight saving since 1991), and dates are reckoned in the proleptic
 * Gregorian calendar by arithmetic free of the process's time zone and locale,
 * so that an as-of time, a due date and an Excel date cell mean the same day
 * on every machine.
 */
#ifndef TALLY_CLOCK_H
#define TALLY_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define TALLY_CLOCK_MS_PER_DAY    INT64_C(86400000)
#define TALLY_CLOCK_CST_OFFSET_MS (INT64_C(8) * 3600 * 1000)

/* The wall-clock time in Unix milliseconds: when a state arrived, when a
 * submission was sent, whether a due date has passed. */
long long tally_clock_now_ms(void);

/* Room for tally_clock_format_iso's text and its NUL. */
#define TALLY_CLOCK_ISO_STRLEN 32

/* Writes ms as the UTC time YYYY-MM-DDTHH:MM:SSZ (the seconds of the
 * JSON documents and listings) into buf of len bytes. */
void tally_clock_format_iso(int64_t ms, char *buf, size_t len);

/* Days from 1970-01-01 to the civil date y-m-d. */
int64_t tally_clock_days_from_civil(int64_t y, int m, int d);

/* The civil date of days from 1970-01-01, the inverse of the above. */
void tally_clock_civil_from_days(int64_t days, int *y, int *m, int *d);

#endif

/*
 * The time of `report --as-of TIME`: the moment at which a hub's figures
 * are shown as they stood. Users write it as a date or a date and time;
 * like the due dates, a time without a zone is China Standard Time
 * (UTC+8), whatever the machine's time zone is.
 */
#ifndef TALLY_ASOF_H
#define TALLY_ASOF_H

#include <stddef.h>
#include <stdint.h>

/* Room for the longest text tally_asof_format writes. */
#define TALLY_ASOF_STRLEN 32

/* Parses text into Unix milliseconds:
 *   YYYY-MM-DD                 the end of that day in CST (23:59:59.999)
 *   YYYY-MM-DDTHH:MM[:SS]      in CST
 *   ... followed by Z or ±HH:MM in UTC or at that offset.
 * TALLY_EINVAL for anything else, an impossible date or time, or a year
 * outside 1970..2999. */
int tally_asof_parse(const char *text, int64_t *ms);

/* Writes ms as UTC in ISO 8601 ("2021-01-15T15:59:59.999Z"; the
 * milliseconds only when there are some) into buf of TALLY_ASOF_STRLEN. */
void tally_asof_format(int64_t ms, char *buf, size_t len);

#endif

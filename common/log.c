/*
 * The logger behind TALLY_LOG: one line per call to stderr, written with a
 * single stdio call so that lines from several threads do not interleave.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int tally_log_level = TALLY_LOG_INFO;

static char log_region[16] = "-";

void
tally_log_set_region(const char *region)
{
	snprintf(log_region, sizeof(log_region), "%s",
	    region != NULL ? region : "-");
}

void
tally_log_write(int level, const char *fmt, ...)
{
	static const char *names[] = { "ERROR", "WARN", "INFO", "DEBUG" };
	char               msg[1024];
	char               stamp[32];
	struct timespec    ts;
	struct tm          tm;
	va_list            ap;

	if (level < 0 || level > TALLY_LOG_DEBUG) {
		level = TALLY_LOG_ERROR;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s.%03ldZ %-5s [%s] %s\n", stamp,
	    (long) (ts.tv_nsec / 1000000), names[level], log_region, msg);
}

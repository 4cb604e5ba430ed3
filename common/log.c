/*
 * The logger behind TALLY_LOG: one line per call to stderr, written with a
 * single stdio call so that lines from several threads do not interleave.
 */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int tally_log_level = TALLY_LOG_INFO;

static char log_region[16] = "-";

void
tally_log_set_region(const char *region)
{
	snprintf(log_region, sizeof(log_region), "%s",
	    region != NULL ? region : "-");
}

/* Whether stderr is the journal's stream (systemd sets JOURNAL_STREAM to
 * its device:inode): then each line starts with its syslog priority,
 * <3> to <7> as sd-daemon(3) has it, and carries no time stamp, since
 * the journal keeps its own. Checked once: stderr does not change. */
static bool
to_journal(void)
{
	static int         known = -1;
	const char        *env;
	struct stat        sb;
	unsigned long long dev, ino;

	if (known >= 0) {
		return known == 1;
	}
	env   = getenv("JOURNAL_STREAM");
	known = env != NULL && sscanf(env, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(2, &sb) == 0 && (unsigned long long) sb.st_dev == dev &&
	    (unsigned long long) sb.st_ino == ino;
	return known == 1;
}

void
tally_log_write(int level, const char *fmt, ...)
{
	static const int   prio[]  = { 3, 4, 6, 7 };
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
	if (to_journal()) {
		fprintf(stderr, "<%d>%-5s [%s] %s\n", prio[level],
		    names[level], log_region, msg);
		return;
	}
	fprintf(stderr, "%s.%03ldZ %-5s [%s] %s\n", stamp,
	    (long) (ts.tv_nsec / 1000000), names[level], log_region, msg);
}

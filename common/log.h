/*
 * Level-checked logging. Every line carries a UTC timestamp, the level and
 * the region code of the node or hub that writes it, so that logs gathered
 * from many counties can be told apart.
 */
#ifndef TALLY_LOG_H
#define TALLY_LOG_H

enum tally_log_level {
	TALLY_LOG_ERROR = 0,
	TALLY_LOG_WARN  = 1,
	TALLY_LOG_INFO  = 2,
	TALLY_LOG_DEBUG = 3,
};

extern int tally_log_level;

/* The region code printed on every line; copied. */
void tally_log_set_region(const char *region);

void tally_log_write(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define TALLY_LOG(level, ...)                                  \
	do {                                                   \
		if ((level) <= tally_log_level) {              \
			tally_log_write((level), __VA_ARGS__); \
		}                                              \
	} while (0)

#endif

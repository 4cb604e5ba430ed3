/*
 * The wait between retries while a parent cannot be reached: exponential,
 * from 100 ms up to 30 s, with jitter, so that thousands of counties and
 * the hubs above them, cut off by the same outage, do not all retry in
 * step when it ends. Used by the node's push and the hub's uplink alike.
 */
#ifndef TALLY_BACKOFF_H
#define TALLY_BACKOFF_H

#define TALLY_BACKOFF_FIRST_MS 100
#define TALLY_BACKOFF_MAX_MS   30000

struct tally_backoff {
	int ceiling_ms; /* 0 after a success */
};

/* After a failure: the milliseconds to wait, between half the current
 * ceiling and the ceiling, chosen by the operating system's random
 * source (so that every process draws its own); the ceiling doubles for
 * the next failure, up to TALLY_BACKOFF_MAX_MS. */
int tally_backoff_next(struct tally_backoff *b);

/* After a success: the next failure waits TALLY_BACKOFF_FIRST_MS again. */
void tally_backoff_reset(struct tally_backoff *b);

#endif

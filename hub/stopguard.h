/*
 * A deadline on the hub's stop. Once a signal asks the hub to stop, its
 * own threads finish quickly, but closing an NNG socket can wait forever:
 * NNG 1.5.2's reaper thread, which every socket's close waits for, can
 * wedge for good after clients that never read their replies drop their
 * connections (NNG issue 1543). The guard runs beside the stop and, if it
 * has not finished by the deadline, logs why and ends the process with
 * EX_SOFTWARE instead of hanging. The stop closes the database before it
 * closes any NNG socket, and every submission is acknowledged only after
 * its commit, so ending the process there loses nothing acknowledged.
 */
#ifndef HUB_STOPGUARD_H
#define HUB_STOPGUARD_H

#include <stdbool.h>

struct hub_stopguard;

/* Starts the guard: the stop must finish within seconds. Returns a Tally
 * error code; on failure *out is untouched and the stop goes unguarded. */
int hub_stopguard_start(int seconds, struct hub_stopguard **out);

/* Records that the database is closed, for the guard's log line. */
void hub_stopguard_db_closed(struct hub_stopguard *g);

/* The stop finished in time: ends the guard and frees it. Accepts NULL. */
void hub_stopguard_finish(struct hub_stopguard *g);

#endif

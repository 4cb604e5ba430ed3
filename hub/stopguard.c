/*
 * The stop deadline declared in stopguard.h: one thread that waits on a
 * condition variable bound to the monotonic clock, so that a change of
 * the wall clock neither shortens nor stretches the deadline.
 */
#include "stopguard.h"

#include "errors.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

struct hub_stopguard {
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	struct timespec until; /* CLOCK_MONOTONIC */
	int             seconds;
	bool            done;      /* under mtx */
	bool            db_closed; /* under mtx */
	pthread_t       thread;
};

static void *
guard_main(void *arg)
{
	struct hub_stopguard *g = arg;
	bool                  done, db_closed;

	pthread_mutex_lock(&g->mtx);
	while (!g->done) {
		if (pthread_cond_timedwait(&g->cv, &g->mtx, &g->until) ==
		    ETIMEDOUT) {
			break;
		}
	}
	done      = g->done;
	db_closed = g->db_closed;
	pthread_mutex_unlock(&g->mtx);
	if (done) {
		return NULL;
	}
	/* Nothing can be freed or joined any more: a thread of NNG's or of
	 * the hub's own still holds what it would free. _exit, not exit,
	 * so that no atexit handler runs beside it. */
	TALLY_LOG(TALLY_LOG_ERROR,
	    "the hub did not stop within %d s of the signal (NNG did not "
	    "finish closing its sockets, a known NNG 1.5.2 defect); %s; "
	    "exiting with status %d",
	    g->seconds,
	    db_closed ? "the database is closed and every acknowledged "
	                "submission is committed"
	              : "the database was not closed yet, but every "
	                "acknowledged submission is committed",
	    EX_SOFTWARE);
	_exit(EX_SOFTWARE);
	return NULL;
}

int
hub_stopguard_start(int seconds, struct hub_stopguard **out)
{
	struct hub_stopguard *g = calloc(1, sizeof(*g));
	pthread_condattr_t    ca;
	int                   rv = TALLY_ENOMEM;

	if (g == NULL) {
		return TALLY_ENOMEM;
	}
	g->seconds = seconds;
	clock_gettime(CLOCK_MONOTONIC, &g->until);
	g->until.tv_sec += seconds;
	pthread_mutex_init(&g->mtx, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&g->thread, NULL, guard_main, g) != 0) {
		goto fail;
	}
	*out = g;
	return TALLY_OK;
fail:
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mtx);
	free(g);
	return rv;
}

void
hub_stopguard_db_closed(struct hub_stopguard *g)
{
	if (g != NULL) {
		pthread_mutex_lock(&g->mtx);
		g->db_closed = true;
		pthread_mutex_unlock(&g->mtx);
	}
}

void
hub_stopguard_finish(struct hub_stopguard *g)
{
	if (g == NULL) {
		return;
	}
	pthread_mutex_lock(&g->mtx);
	g->done = true;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mtx);
	pthread_join(g->thread, NULL);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mtx);
	free(g);
}

/*
 * The hub's listener declared in listen.h: made, watched through NNG's
 * statistics, and made again when NNG 1.5.2 has given up accepting on it.
 */
#include "listen.h"

#include "log.h"
#include "nngerr.h"
#include "wire.h"

#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long a listener that accepts takes, at most, to take the hub's own
 * connection: far above what it takes on a loaded machine. Were it ever
 * exceeded, the listener would be made again for nothing, which costs
 * the children one reconnection. */
#define LISTEN_PROBE_MS 2000

struct hub_listen {
	nng_socket              sock;
	const struct tally_tls *tls;
	nng_listener            l;
	bool                    open;
	/* The URL bound, which a new listener binds again: the children
	 * know the hub by it, a kernel-chosen tcp port included. */
	char url[512];
	/* The listener's count of errors that may have ended it
	 * (listen_errors), when last looked at. */
	uint64_t errors;
	/* The watcher (hub_listen_watch), and how it is told to end. */
	pthread_t       thread;
	bool            watching;
	bool            stop;
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
};

/* An NNG failure to listen on url, as a Tally error. The address is the
 * hub's configuration: one NNG cannot use, or in use by another program,
 * is for its operator to change. */
static int
listen_err(int rv, const char *url)
{
	rv = tally_nngerr(rv, url);
	return rv == TALLY_EINVAL || rv == TALLY_EBUSY ? TALLY_ECONFIG : rv;
}

/* The URL actually bound: a tcp listener asked for port 0 gets one from
 * the kernel, and tests need to know which. */
static void
bound_url(nng_listener l, const char *url, char *buf, size_t len)
{
	size_t n    = strlen(url);
	int    port = 0;

	if ((strncmp(url, "tcp", 3) == 0 || tally_tls_url(url)) && n > 2 &&
	    strcmp(url + n - 2, ":0") == 0 &&
	    nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port) == 0) {
		snprintf(buf, len, "%.*s:%d", (int) (n - 2), url, port);
	} else {
		snprintf(buf, len, "%s", url);
	}
}

/* Makes and starts hl's listener on url. */
static int
listen_open(struct hub_listen *hl, const char *url)
{
	struct tally_errbuf eb = { "" };
	int                 rv;

	rv = nng_listener_create(&hl->l, hl->sock, url);
	if (rv != 0) {
		return listen_err(rv, url);
	}
	if (tally_tls_listener(hl->l, url, hl->tls, &eb) != TALLY_OK) {
		TALLY_LOG(TALLY_LOG_ERROR, "%s", eb.text);
		nng_listener_close(hl->l);
		return TALLY_ECONFIG;
	}
	/* Untrusted peers: refuse anything larger than a submission may be
	 * before it is read into memory. */
	rv = nng_listener_set_size(
	    hl->l, NNG_OPT_RECVMAXSZ, TALLY_WIRE_MSG_MAX);
	if (rv == 0) {
		rv = nng_listener_start(hl->l, 0);
	}
	if (rv != 0) {
		nng_listener_close(hl->l);
		return listen_err(rv, url);
	}
	hl->open   = true;
	hl->errors = 0;
	return TALLY_OK;
}

/* Into *out, the sum of the listener's NNG statistics named in names
 * (n of them). False when NNG keeps none. */
static bool
listen_stat(const struct hub_listen *hl, const char *const *names, size_t n,
    uint64_t *out)
{
	nng_stat *all, *ls, *st;
	uint64_t  sum = 0;

	if (nng_stats_get(&all) != 0) {
		return false;
	}
	ls = nng_stat_find_listener(all, hl->l);
	for (size_t i = 0; ls != NULL && i < n; i++) {
		st = nng_stat_find(ls, names[i]);
		sum += st != NULL ? nng_stat_value(st) : 0;
	}
	nng_stats_free(all);
	if (ls == NULL) {
		return false;
	}
	*out = sum;
	return true;
}

/* The listener's count of errors that may have ended it: NNG_ECLOSED,
 * counted as "other", and NNG_ECANCELED, counted as "canceled". Every
 * connection the listener made also adds one to "other" when its peer
 * leaves, so the count only says when to look. */
static bool
listen_errors(const struct hub_listen *hl, uint64_t *out)
{
	static const char *const names[] = { "other", "canceled" };

	return listen_stat(hl, names, 2, out);
}

/* Whether the listener takes no new connection: the hub connects to
 * itself, and the listener's count of connections taken does not grow
 * within LISTEN_PROBE_MS (any connection taken meanwhile proves it
 * alive as well). A connection that cannot be made (a wildcard host)
 * tells nothing: false.
 *
 * *errors is what the next look compares listen_errors with. It is the
 * count from before the probe, plus one for the hub's own connection,
 * which adds one when it goes: never the count read afterwards, which
 * may hold the error of a peer that ended the listener just after it
 * took the probe's connection, and would hide that error for good. */
static bool
listen_dead(const struct hub_listen *hl, uint64_t *errors)
{
	static const char *const names[] = { "accept" };
	nng_socket               q;
	uint64_t                 before, now = 0, err0 = 0, err1 = 0;
	bool                     dialled, taken = false;

	if (!listen_stat(hl, names, 1, &before) || !listen_errors(hl, &err0) ||
	    nng_req0_open(&q) != 0) {
		return false;
	}
	/* Synchronous: back once connected, the handshake done, or
	 * refused. */
	dialled = nng_dial(q, hl->url, NULL, 0) == 0;
	for (int i = 0; dialled && !taken && i < LISTEN_PROBE_MS / 20; i++) {
		taken = listen_stat(hl, names, 1, &now) && now > before;
		if (!taken) {
			nng_msleep(20);
		}
	}
	nng_close(q);
	/* Waits a little for the count of its own leaving, so that it does
	 * not make the next look probe again, and so on for ever. Anything
	 * counted beyond it makes the next look probe again. */
	err1 = err0;
	for (int i = 0; taken && i < 50 && err1 <= err0; i++) {
		nng_msleep(20);
		(void) listen_errors(hl, &err1);
	}
	*errors = err1 > err0 ? err0 + 1 : err1;
	return dialled && !taken;
}

int
hub_listen_start(nng_socket sock, const char *url, const struct tally_tls *tls,
    char *bound, size_t len, struct hub_listen **out)
{
	struct hub_listen *hl = calloc(1, sizeof(*hl));
	int                rv;

	if (hl == NULL) {
		return TALLY_ENOMEM;
	}
	hl->sock = sock;
	hl->tls  = tls;
	pthread_mutex_init(&hl->mtx, NULL);
	pthread_cond_init(&hl->cv, NULL);
	rv = listen_open(hl, url);
	if (rv != TALLY_OK) {
		hub_listen_free(hl);
		return rv;
	}
	bound_url(hl->l, url, hl->url, sizeof(hl->url));
	snprintf(bound, len, "%s", hl->url);
	*out = hl;
	return TALLY_OK;
}

/* One look at the listener: made again when it takes no connection. */
static void
listen_check(struct hub_listen *hl)
{
	uint64_t n;

	if (hl->open) {
		if (!listen_errors(hl, &n) || n <= hl->errors) {
			return;
		}
		if (!listen_dead(hl, &hl->errors)) {
			TALLY_LOG(
			    TALLY_LOG_DEBUG, "%s: still accepting", hl->url);
			return;
		}
		TALLY_LOG(TALLY_LOG_WARN,
		    "%s: takes no new connection since a peer left during "
		    "the handshake (an NNG 1.5.2 fault, docs/limits.md): "
		    "listening again; connected children dial again",
		    hl->url);
		nng_listener_close(hl->l);
		hl->open = false;
	}
	/* A failure (the path taken meanwhile) is logged and tried again at
	 * the next check. */
	if (listen_open(hl, hl->url) == TALLY_OK) {
		TALLY_LOG(TALLY_LOG_INFO, "listening again on %s", hl->url);
	}
}

/* The watcher: a look every second until told to end. */
static void *
listen_watch_main(void *arg)
{
	struct hub_listen *hl = arg;
	struct timespec    until;

	pthread_mutex_lock(&hl->mtx);
	while (!hl->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&hl->cv, &hl->mtx, &until);
		if (hl->stop) {
			break;
		}
		pthread_mutex_unlock(&hl->mtx);
		listen_check(hl);
		pthread_mutex_lock(&hl->mtx);
	}
	pthread_mutex_unlock(&hl->mtx);
	return NULL;
}

int
hub_listen_watch(struct hub_listen *hl)
{
	/* Only ipc:// listeners were seen to stop; a TLS one could only be
	 * asked with a client certificate, and asking a tcp one means a
	 * connection, and its close, that NNG 1.5.2 may never finish after
	 * a flood (docs/limits.md). */
	if (hl == NULL || strncmp(hl->url, "ipc://", 6) != 0) {
		return TALLY_OK;
	}
	if (pthread_create(&hl->thread, NULL, listen_watch_main, hl) != 0) {
		return TALLY_ENOMEM;
	}
	hl->watching = true;
	return TALLY_OK;
}

void
hub_listen_unwatch(struct hub_listen *hl)
{
	if (hl == NULL || !hl->watching) {
		return;
	}
	pthread_mutex_lock(&hl->mtx);
	hl->stop = true;
	pthread_cond_signal(&hl->cv);
	pthread_mutex_unlock(&hl->mtx);
	pthread_join(hl->thread, NULL);
	hl->watching = false;
}

void
hub_listen_free(struct hub_listen *hl)
{
	if (hl == NULL) {
		return;
	}
	hub_listen_unwatch(hl);
	pthread_cond_destroy(&hl->cv);
	pthread_mutex_destroy(&hl->mtx);
	free(hl);
}

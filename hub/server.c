/*
 * The hub server declared in server.h.
 *
 * Threads: NNG's own threads run the context callbacks, which only decode
 * and validate (no I/O) and queue the request; one writer thread owns the
 * database connection that applies submissions, so SQLite and fsync never
 * run inside an aio callback; one uplink thread, with its own connection,
 * forwards the hub's rollup to the parent; the main thread waits for a
 * signal.
 */
#include "server.h"

#include "errors.h"
#include "log.h"
#include "store.h"
#include "uplink.h"
#include "wire.h"

#include <errno.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Requests applied in one transaction at most. */
#define HUB_BATCH_MAX 64

enum hub_ctx_state {
	HUB_CTX_RECV,
	HUB_CTX_QUEUED,
	HUB_CTX_SEND,
};

struct hub;

struct hub_ctx {
	struct hub              *hub;
	nng_aio                 *aio;
	nng_ctx                  ctx;
	int                      state;
	struct tally_submission *sub;
	struct hub_ctx          *next;
};

struct hub {
	const struct tally_catalog *cat;
	const struct hub_config    *cfg;
	char                        region[TALLY_REGION_STRLEN];
	char                        parent_region[TALLY_REGION_STRLEN];
	char                        instance[TALLY_WIRE_TEXT_MAX];
	struct tally_store         *st; /* the writer's connection */
	nng_socket                  sock;
	struct hub_ctx             *ctxs;
	int                         nctx;

	pthread_mutex_t mtx;
	pthread_cond_t  work_cv;   /* the writer waits here for requests */
	pthread_cond_t  uplink_cv; /* the uplink waits here for changes */
	struct hub_ctx *head;
	struct hub_ctx *tail;
	bool            stopping;
	bool            uplink_dirty;
	/* The uplink: made and freed by hub_run, used by the uplink thread,
	 * so that a stop can interrupt a push that waits on an unreachable
	 * parent without any lock held and without racing a free. */
	struct tally_uplink *up;
};

static int
nng_err(int rv, const char *what)
{
	TALLY_LOG(TALLY_LOG_ERROR, "nng: %s: %s", what, nng_strerror(rv));
	return rv == NNG_ENOMEM ? TALLY_ENOMEM
	    : rv == NNG_EADDRINUSE || rv == NNG_EADDRINVAL || rv == NNG_EINVAL
	    ? TALLY_ECONFIG
	    : TALLY_EIO;
}

/* Sends a packed acknowledgement on the context; on any failure the
 * context goes back to receiving, and the child's REQ socket will resend. */
static void
ctx_send(struct hub_ctx *c, const struct tally_ack *ack)
{
	uint8_t *buf = NULL;
	size_t   len;
	nng_msg *msg = NULL;

	if (tally_ack_encode(ack, &buf, &len) != TALLY_OK ||
	    nng_msg_alloc(&msg, 0) != 0 ||
	    nng_msg_append(msg, buf, len) != 0) {
		TALLY_LOG(TALLY_LOG_ERROR, "cannot build an acknowledgement");
		free(buf);
		nng_msg_free(msg);
		c->state = HUB_CTX_RECV;
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	free(buf);
	c->state = HUB_CTX_SEND;
	nng_aio_set_msg(c->aio, msg);
	nng_ctx_send(c->ctx, c->aio);
}

static void
ctx_refuse(struct hub_ctx *c, const char *why)
{
	struct tally_ack ack;

	memset(&ack, 0, sizeof(ack));
	snprintf(ack.hub_instance, sizeof(ack.hub_instance), "%s",
	    c->hub->instance);
	ack.has_error = true;
	snprintf(ack.error, sizeof(ack.error), "%s", why);
	TALLY_LOG(TALLY_LOG_WARN, "submission refused: %s", ack.error);
	ctx_send(c, &ack);
}

/* Runs on an NNG thread: decode, validate, queue. Nothing here blocks. */
static void
ctx_cb(void *arg)
{
	struct hub_ctx          *c   = arg;
	struct hub              *hub = c->hub;
	struct tally_submission *sub = NULL;
	struct tally_errbuf      eb  = { "" };
	char                     why[TALLY_WIRE_REASON_MAX];
	nng_msg                 *msg;
	int                      rv = nng_aio_result(c->aio);

	if (c->state == HUB_CTX_SEND) {
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(c->aio));
		}
		c->state = HUB_CTX_RECV;
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
		return;
	}
	if (rv != 0) {
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	msg = nng_aio_get_msg(c->aio);
	rv  = tally_submission_decode(
	     hub->cat, nng_msg_body(msg), nng_msg_len(msg), &sub, &eb);
	nng_msg_free(msg);
	if (rv != TALLY_OK) {
		snprintf(
		    why, sizeof(why), "malformed submission: %.120s", eb.text);
		ctx_refuse(c, why);
		return;
	}
	if (strcmp(sub->hub, hub->region) != 0) {
		snprintf(why, sizeof(why),
		    "addressed to hub %s, this is hub %s", sub->hub,
		    hub->region);
		ctx_refuse(c, why);
		tally_submission_free(sub);
		return;
	}
	if (!tally_catalog_is_child(hub->cat, hub->region, sub->sender)) {
		snprintf(why, sizeof(why),
		    "region %s is not a direct child of %s", sub->sender,
		    hub->region);
		ctx_refuse(c, why);
		tally_submission_free(sub);
		return;
	}
	c->sub   = sub;
	c->next  = NULL;
	c->state = HUB_CTX_QUEUED;
	pthread_mutex_lock(&hub->mtx);
	if (hub->tail != NULL) {
		hub->tail->next = c;
	} else {
		hub->head = c;
	}
	hub->tail = c;
	pthread_cond_signal(&hub->work_cv);
	pthread_mutex_unlock(&hub->mtx);
}

/* Applies a batch of submissions in one transaction. */
static int
apply_batch(struct hub *hub, struct hub_ctx **batch, int n, bool *changed)
{
	int rv = tally_store_begin(hub->st);

	for (int i = 0; rv == TALLY_OK && i < n; i++) {
		struct tally_submission *sub = batch[i]->sub;

		for (size_t k = 0; rv == TALLY_OK && k < sub->n_states; k++) {
			struct tally_wire_state *ws = &sub->states[k];

			if (ws->status == TALLY_ACK_REJECTED) {
				TALLY_LOG(TALLY_LOG_WARN,
				    "%s: %s %s rejected: %s", sub->sender,
				    ws->indicator, ws->period_text,
				    ws->reason);
				continue;
			}
			rv = tally_store_put_child(
			    hub->st, sub->sender, ws, &ws->status);
			if (ws->status == TALLY_ACK_ACCEPTED) {
				*changed = true;
			}
		}
	}
	if (rv == TALLY_OK) {
		rv = tally_store_commit(hub->st);
	}
	if (rv != TALLY_OK) {
		tally_store_rollback(hub->st);
		*changed = false;
	}
	return rv;
}

static void
ack_submission(struct hub *hub, struct hub_ctx *c)
{
	struct tally_submission *sub = c->sub;
	struct tally_ack         ack;

	memset(&ack, 0, sizeof(ack));
	snprintf(
	    ack.hub_instance, sizeof(ack.hub_instance), "%s", hub->instance);
	ack.items =
	    calloc(sub->n_states > 0 ? sub->n_states : 1, sizeof(*ack.items));
	if (ack.items == NULL) {
		c->state = HUB_CTX_RECV;
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	ack.n_items = sub->n_states;
	for (size_t k = 0; k < sub->n_states; k++) {
		const struct tally_wire_state *ws = &sub->states[k];
		struct tally_ack_item         *it = &ack.items[k];

		memcpy(it->indicator, ws->indicator, sizeof(it->indicator));
		memcpy(it->period, ws->period_text, sizeof(it->period));
		it->version = ws->version;
		it->status  = ws->status;
		memcpy(it->reason, ws->reason, sizeof(it->reason));
	}
	ctx_send(c, &ack);
	free(ack.items);
}

static void *
writer_main(void *arg)
{
	struct hub     *hub = arg;
	struct hub_ctx *batch[HUB_BATCH_MAX];

	for (;;) {
		int  n       = 0;
		bool changed = false;
		int  rv;

		pthread_mutex_lock(&hub->mtx);
		while (hub->head == NULL && !hub->stopping) {
			pthread_cond_wait(&hub->work_cv, &hub->mtx);
		}
		if (hub->stopping) {
			pthread_mutex_unlock(&hub->mtx);
			break;
		}
		while (hub->head != NULL && n < HUB_BATCH_MAX) {
			batch[n++] = hub->head;
			hub->head  = hub->head->next;
		}
		if (hub->head == NULL) {
			hub->tail = NULL;
		}
		pthread_mutex_unlock(&hub->mtx);

		rv = apply_batch(hub, batch, n, &changed);
		if (rv != TALLY_OK) {
			/* Nothing is acknowledged: the children keep their
			 * outbox and their REQ sockets resend. */
			TALLY_LOG(TALLY_LOG_ERROR,
			    "commit failed (%s): %d submissions not "
			    "acknowledged",
			    tally_strerror(rv), n);
		}
		for (int i = 0; i < n; i++) {
			if (rv == TALLY_OK) {
				ack_submission(hub, batch[i]);
			} else {
				batch[i]->state = HUB_CTX_RECV;
				nng_ctx_recv(batch[i]->ctx, batch[i]->aio);
			}
			tally_submission_free(batch[i]->sub);
			batch[i]->sub = NULL;
		}
		if (changed) {
			pthread_mutex_lock(&hub->mtx);
			hub->uplink_dirty = true;
			pthread_cond_signal(&hub->uplink_cv);
			pthread_mutex_unlock(&hub->mtx);
		}
	}
	return NULL;
}

/* Waits until the uplink has something to do, the delay runs out, or the
 * hub stops. Returns false when stopping. */
static bool
uplink_wait(struct hub *hub, int delay_ms)
{
	struct timespec until;
	bool            running;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += delay_ms / 1000;
	until.tv_nsec += (long) (delay_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&hub->mtx);
	while (!hub->stopping && !hub->uplink_dirty) {
		if (pthread_cond_timedwait(
		        &hub->uplink_cv, &hub->mtx, &until) == ETIMEDOUT) {
			break;
		}
	}
	hub->uplink_dirty = false;
	running           = !hub->stopping;
	pthread_mutex_unlock(&hub->mtx);
	return running;
}

static void *
uplink_main(void *arg)
{
	struct hub          *hub     = arg;
	struct tally_store  *st      = NULL;
	struct tally_uplink *up      = hub->up;
	struct tally_errbuf  eb      = { "" };
	int                  backoff = 0;
	int                  rv;

	rv = tally_store_open(hub->cfg->db, hub->cat, &st, &eb);
	if (rv != TALLY_OK) {
		TALLY_LOG(TALLY_LOG_ERROR, "uplink cannot start: %s",
		    eb.text[0] ? eb.text : tally_strerror(rv));
		goto done;
	}
	/* Local observations recorded into the hub's own database by
	 * `tally-node record` are not signalled, so the uplink also looks
	 * every second. */
	while (uplink_wait(hub, backoff > 0 ? backoff : 1000)) {
		struct tally_uplink_stats stats;

		memset(&stats, 0, sizeof(stats));
		rv = tally_uplink_push(up, st, 5000, &stats);
		if (rv == TALLY_OK) {
			if (stats.batches > 0) {
				TALLY_LOG(TALLY_LOG_DEBUG,
				    "forwarded %zu states to %s",
				    stats.accepted + stats.duplicate,
				    hub->cfg->parent);
			}
			backoff = 0;
			continue;
		}
		/* Exponential backoff with jitter, so that many hubs coming
		 * back at once do not all retry in step. */
		backoff = backoff == 0 ? 100 : backoff * 2;
		if (backoff > 30000) {
			backoff = 30000;
		}
		backoff = backoff / 2 + (int) (random() % (backoff / 2 + 1));
		TALLY_LOG(TALLY_LOG_INFO,
		    "uplink to %s: %s; retrying in %d ms", hub->cfg->parent,
		    tally_strerror(rv), backoff);
	}
done:
	tally_store_close(st);
	return NULL;
}

static int
open_or_create_store(struct hub *hub)
{
	struct tally_errbuf eb = { "" };
	struct stat         sb;
	int                 rv;

	if (stat(hub->cfg->db, &sb) != 0) {
		rv = tally_store_create(
		    hub->cfg->db, hub->cat, hub->region, &hub->st, &eb);
		if (rv == TALLY_OK) {
			TALLY_LOG(TALLY_LOG_INFO, "created %s", hub->cfg->db);
		}
	} else {
		rv = tally_store_open(hub->cfg->db, hub->cat, &hub->st, &eb);
	}
	if (rv != TALLY_OK) {
		TALLY_LOG(TALLY_LOG_ERROR, "%s", eb.text);
		return rv;
	}
	if (strcmp(tally_store_region(hub->st), hub->region) != 0) {
		TALLY_LOG(TALLY_LOG_ERROR,
		    "%s belongs to region %s, not %s: refusing it",
		    hub->cfg->db, tally_store_region(hub->st), hub->region);
		return TALLY_ECONFIG;
	}
	snprintf(hub->instance, sizeof(hub->instance), "%s",
	    tally_store_instance_id(hub->st));
	return TALLY_OK;
}

/* The URL actually bound: a tcp listener asked for port 0 gets one from
 * the kernel, and tests need to know which. */
static void
bound_url(nng_listener l, const char *url, char *buf, size_t len)
{
	size_t n    = strlen(url);
	int    port = 0;

	if (strncmp(url, "tcp", 3) == 0 && n > 2 &&
	    strcmp(url + n - 2, ":0") == 0 &&
	    nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port) == 0) {
		snprintf(buf, len, "%.*s:%d", (int) (n - 2), url, port);
	} else {
		snprintf(buf, len, "%s", url);
	}
}

static int
write_ready_file(const char *path, const char *url)
{
	char  tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL) {
		return TALLY_EIO;
	}
	fprintf(f, "%s\n", url);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		return TALLY_EIO;
	}
	return TALLY_OK;
}

int
hub_run(const struct tally_catalog *cat, const struct hub_config *cfg)
{
	struct hub                   hub;
	const struct tally_division *d;
	nng_listener                 l;
	sigset_t                     sigs;
	pthread_t                    writer, uplinker;
	bool                         writer_started = false;
	bool                         uplink_started = false;
	char                         url[512];
	int                          sig, rv;

	memset(&hub, 0, sizeof(hub));
	hub.cat  = cat;
	hub.cfg  = cfg;
	hub.nctx = cfg->contexts > 0 ? cfg->contexts : 16;
	snprintf(hub.region, sizeof(hub.region), "%s", cfg->region);
	d = tally_catalog_division(cat, cfg->region);
	if (d == NULL) {
		TALLY_LOG(TALLY_LOG_ERROR, "unknown region %s", cfg->region);
		return TALLY_ECONFIG;
	}
	if (cfg->parent != NULL) {
		if (d->parent == TALLY_NO_INDEX) {
			TALLY_LOG(TALLY_LOG_ERROR,
			    "region %s has no parent in the division tree",
			    cfg->region);
			return TALLY_ECONFIG;
		}
		snprintf(hub.parent_region, sizeof(hub.parent_region), "%s",
		    cat->divisions[d->parent].code);
	}
	pthread_mutex_init(&hub.mtx, NULL);
	pthread_cond_init(&hub.work_cv, NULL);
	pthread_cond_init(&hub.uplink_cv, NULL);

	/* Signals are taken by the main thread alone, with sigwait; every
	 * thread made from here on, NNG's included, inherits the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	rv = open_or_create_store(&hub);
	if (rv != TALLY_OK) {
		goto fail;
	}
	hub.ctxs = calloc((size_t) hub.nctx, sizeof(*hub.ctxs));
	if (hub.ctxs == NULL) {
		rv = TALLY_ENOMEM;
		goto fail;
	}
	rv = nng_rep0_open(&hub.sock);
	if (rv != 0) {
		rv = nng_err(rv, "rep socket");
		goto fail;
	}
	for (int i = 0; i < hub.nctx; i++) {
		struct hub_ctx *c = &hub.ctxs[i];

		c->hub = &hub;
		rv     = nng_aio_alloc(&c->aio, ctx_cb, c);
		if (rv == 0) {
			rv = nng_ctx_open(&c->ctx, hub.sock);
		}
		if (rv != 0) {
			rv = nng_err(rv, "context");
			goto fail;
		}
	}
	rv = nng_listener_create(&l, hub.sock, cfg->listen);
	if (rv == 0) {
		/* Untrusted peers: refuse anything larger than a submission
		 * may be before it is read into memory. */
		rv = nng_listener_set_size(
		    l, NNG_OPT_RECVMAXSZ, TALLY_WIRE_MSG_MAX);
	}
	if (rv == 0) {
		rv = nng_listener_start(l, 0);
	}
	if (rv != 0) {
		rv = nng_err(rv, cfg->listen);
		goto fail;
	}
	bound_url(l, cfg->listen, url, sizeof(url));

	if (pthread_create(&writer, NULL, writer_main, &hub) != 0) {
		rv = TALLY_ENOMEM;
		goto fail;
	}
	writer_started = true;
	if (cfg->parent != NULL) {
		/* Dialling is non-blocking, so this never waits on the parent.
		 */
		rv = tally_uplink_new(
		    &hub.up, "parent", cfg->parent, hub.parent_region);
		if (rv != TALLY_OK) {
			TALLY_LOG(TALLY_LOG_ERROR, "--parent %s: %s",
			    cfg->parent, tally_strerror(rv));
			goto fail;
		}
		if (pthread_create(&uplinker, NULL, uplink_main, &hub) != 0) {
			rv = TALLY_ENOMEM;
			goto fail;
		}
		uplink_started = true;
	}
	for (int i = 0; i < hub.nctx; i++) {
		hub.ctxs[i].state = HUB_CTX_RECV;
		nng_ctx_recv(hub.ctxs[i].ctx, hub.ctxs[i].aio);
	}
	TALLY_LOG(TALLY_LOG_INFO, "hub %s listening on %s%s%s (instance %s)",
	    hub.region, url, cfg->parent ? ", parent " : "",
	    cfg->parent ? cfg->parent : "", hub.instance);
	if (cfg->ready_file != NULL &&
	    write_ready_file(cfg->ready_file, url) != TALLY_OK) {
		TALLY_LOG(TALLY_LOG_ERROR, "cannot write %s", cfg->ready_file);
		rv = TALLY_EIO;
		goto fail;
	}

	sigwait(&sigs, &sig);
	TALLY_LOG(TALLY_LOG_INFO, "signal %d: stopping", sig);
	rv = TALLY_OK;
fail:
	pthread_mutex_lock(&hub.mtx);
	hub.stopping = true;
	pthread_cond_broadcast(&hub.work_cv);
	pthread_cond_broadcast(&hub.uplink_cv);
	pthread_mutex_unlock(&hub.mtx);
	/* Outside the lock: closing may wait for NNG's own threads, and the
	 * uplink thread needs the lock to notice that the hub stops. */
	tally_uplink_abort(hub.up);
	if (writer_started) {
		pthread_join(writer, NULL);
	}
	if (uplink_started) {
		pthread_join(uplinker, NULL);
	}
	tally_uplink_free(hub.up);
	if (nng_socket_id(hub.sock) > 0) {
		nng_close(hub.sock);
	}
	for (int i = 0; hub.ctxs != NULL && i < hub.nctx; i++) {
		if (hub.ctxs[i].aio != NULL) {
			nng_aio_stop(hub.ctxs[i].aio);
			nng_aio_free(hub.ctxs[i].aio);
		}
		tally_submission_free(hub.ctxs[i].sub);
	}
	free(hub.ctxs);
	tally_store_close(hub.st);
	pthread_cond_destroy(&hub.work_cv);
	pthread_cond_destroy(&hub.uplink_cv);
	pthread_mutex_destroy(&hub.mtx);
	return rv;
}

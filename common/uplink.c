/*
 * The uplink declared in uplink.h, over an NNG REQ socket.
 */
#include "uplink.h"

#include "approval.h"
#include "clock.h"
#include "log.h"
#include "nngerr.h"
#include "reply.h"
#include "reason.h"
#include "tlsconf.h"
#include "wire.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* States per submission: large enough that a county's year goes in a few
 * round trips, small enough that one commit stays short. */
#define UPLINK_BATCH 1024
/* How often states held by approval go again on one uplink (ms). */
#define UPLINK_HELD_RETRY_MS 5000

struct tally_uplink {
	nng_socket sock;
	char      *name;
	char      *url;
	char       hub[TALLY_GROUP_STRLEN]; /* a region code or group name */
	int        timeout_ms; /* the value last set on the socket */
	bool       with_below; /* forward the states held from below */
	/* Signs every envelope when set; borrowed. */
	const struct tally_signer *signer;
	/* The store, its data_version and its own changes when a push last
	 * found nothing pending. Until anything is written to that store
	 * (by another connection: data_version moves; or by this one, other
	 * than the acknowledgements a push records), nothing new can be
	 * pending, so a push makes its one exchange for the hub's instance
	 * id without reading the outbox, which scans every state held: a
	 * hub looks every second, and thousands of idle hubs did little
	 * else. */
	const struct tally_store *clean_store;
	/* The approvals going with this exchange (approval.h), and the
	 * highest `changed` among them, recorded once the parent answered. */
	struct tally_approval *apps;
	size_t                 n_apps;
	int64_t                apps_mark;
	/* When states held by approval were last put back in the outbox
	 * (release_held); 0: never. */
	int64_t  held_released_ms;
	uint64_t clean_version;
	uint64_t clean_changes;
	/* The id of the newest connection to the hub (0: none), kept by
	 * NNG's pipe callback, so that a request left unanswered can drop
	 * it (see drop_pipe). */
	_Atomic uint32_t pipe_id;
	/* Dialling: the TLS configuration for a new socket, copied (its
	 * file names are the caller's), so that a redial long after
	 * tally_uplink_new_tls reads no caller's frame; NULL without TLS.
	 * lock orders replacing the socket (by the pushing thread) against
	 * tally_uplink_abort (from another), which sets aborted. */
	struct tally_tls        tls_copy;
	const struct tally_tls *tls;
	pthread_mutex_t         lock;
	bool                    aborted;
};

/* Runs on NNG's threads as connections come and go. */
static void
on_pipe(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct tally_uplink *up = arg;
	uint32_t             id = (uint32_t) nng_pipe_id(p);

	if (ev == NNG_PIPE_EV_ADD_POST) {
		atomic_store(&up->pipe_id, id);
	} else if (ev == NNG_PIPE_EV_REM_POST) {
		atomic_compare_exchange_strong(&up->pipe_id, &id, 0);
	}
}

/* After a request went unanswered, closes the connection it went out on
 * so that the dialer makes a new one. A REQ socket resends only on the
 * connections it has, and NNG 1.5.2 can leave one connection stuck with
 * the hub up and answering everyone else (seen in the fault tests: a
 * county daemon timed out for minutes on an ipc connection made while
 * its hub restarted, while its neighbour was served at once). A new
 * connection costs one dial; the resent request is harmless (the hub's
 * version rule). */
static bool
drop_pipe(struct tally_uplink *up)
{
	nng_pipe p  = NNG_PIPE_INITIALIZER;
	uint32_t id = atomic_exchange(&up->pipe_id, 0);

	if (id == 0) {
		return false;
	}
	p.id = id;
	TALLY_LOG(TALLY_LOG_WARN,
	    "uplink %s: no answer; dropping the connection and dialling again",
	    up->url);
	nng_pipe_close(p);
	return true;
}

/* Opens a REQ socket that dials the hub, with the uplink's options, into
 * *out. Dialling is non-blocking, so this never waits on the hub. */
static int
uplink_dial(struct tally_uplink *up, nng_socket *out, struct tally_errbuf *eb)
{
	nng_socket s;
	nng_dialer d;
	int        rv;

	rv = tally_nngerr(nng_req0_open(&s), "req socket");
	if (rv != TALLY_OK) {
		return rv;
	}
	/* A request unanswered this long is sent again: the hub may have
	 * restarted and lost it. The hub's version rule makes it safe. */
	nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, 2000);
	nng_socket_set_ms(s, NNG_OPT_RECONNMINT, 50);
	nng_socket_set_ms(s, NNG_OPT_RECONNMAXT, 2000);
	nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, TALLY_WIRE_MSG_MAX);
	if (up->timeout_ms > 0) {
		nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, up->timeout_ms);
		nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, up->timeout_ms);
	}
	nng_pipe_notify(s, NNG_PIPE_EV_ADD_POST, on_pipe, up);
	nng_pipe_notify(s, NNG_PIPE_EV_REM_POST, on_pipe, up);
	rv = tally_nngerr(nng_dialer_create(&d, s, up->url), "dial");
	/* TLS before the first dial: a tls+tcp:// hub is only talked to
	 * once its certificate checks out. */
	if (rv == TALLY_OK) {
		rv = tally_tls_dialer(d, up->url, up->tls, eb);
	}
	if (rv == TALLY_OK) {
		rv = tally_nngerr(
		    nng_dialer_start(d, NNG_FLAG_NONBLOCK), "dial");
	}
	if (rv != TALLY_OK) {
		nng_close(s);
		return rv;
	}
	*out = s;
	return TALLY_OK;
}

/* After a request went unanswered without any connection to the hub to
 * drop: the socket's dialler has not connected for a whole request,
 * although it retries every 2 s at the most. In the fault tests a county
 * daemon stayed so for minutes after its hub restarted, timing out on
 * every request, while its neighbour was served at once. A new socket
 * dials afresh. */
static void
redial(struct tally_uplink *up)
{
	struct tally_errbuf eb = { "" };
	nng_socket          s;

	pthread_mutex_lock(&up->lock);
	if (!up->aborted && uplink_dial(up, &s, &eb) == TALLY_OK) {
		TALLY_LOG(TALLY_LOG_WARN,
		    "uplink %s: no answer and no connection; dialling again "
		    "on a new socket",
		    up->url);
		nng_close(up->sock);
		atomic_store(&up->pipe_id, 0);
		up->sock = s;
	}
	pthread_mutex_unlock(&up->lock);
}

int
tally_uplink_new(struct tally_uplink **out, const char *name, const char *url,
    const char *hub)
{
	return tally_uplink_new_tls(out, name, url, hub, NULL, NULL);
}

int
tally_uplink_new_tls(struct tally_uplink **out, const char *name,
    const char *url, const char *hub, const struct tally_tls *tls,
    struct tally_errbuf *eb)
{
	struct tally_uplink *up;
	int                  rv;

	up = calloc(1, sizeof(*up));
	if (up == NULL) {
		return TALLY_ENOMEM;
	}
	pthread_mutex_init(&up->lock, NULL);
	up->name = strdup(name);
	up->url  = strdup(url);
	if (tls != NULL) {
		up->tls_copy = *tls;
		up->tls      = &up->tls_copy;
	}
	snprintf(up->hub, sizeof(up->hub), "%s", hub);
	up->with_below = true;
	if (up->name == NULL || up->url == NULL) {
		rv = TALLY_ENOMEM;
		goto fail;
	}
	rv = uplink_dial(up, &up->sock, eb);
	if (rv != TALLY_OK) {
		goto fail;
	}
	*out = up;
	return TALLY_OK;
fail:
	tally_uplink_free(up);
	return rv;
}

void
tally_uplink_free(struct tally_uplink *up)
{
	if (up == NULL) {
		return;
	}
	if (nng_socket_id(up->sock) > 0) {
		nng_close(up->sock);
	}
	pthread_mutex_destroy(&up->lock);
	free(up->name);
	free(up->url);
	free(up);
}

void
tally_uplink_set_signer(
    struct tally_uplink *up, const struct tally_signer *signer)
{
	up->signer = signer;
}

void
tally_uplink_set_with_below(struct tally_uplink *up, bool with_below)
{
	up->with_below = with_below;
}

void
tally_uplink_abort(struct tally_uplink *up)
{
	/* Closing the socket wakes a thread blocked in send or receive on it
	 * with NNG_ECLOSED; the later close in tally_uplink_free is then a
	 * harmless no-op. */
	if (up != NULL) {
		pthread_mutex_lock(&up->lock);
		up->aborted = true;
		nng_close(up->sock);
		pthread_mutex_unlock(&up->lock);
	}
}

/* One round trip: sends states, returns the hub's acknowledgement. */
static int
exchange(struct tally_uplink *up, const char *sender,
    struct tally_wire_state *states, size_t n, struct tally_ack **ack)
{
	struct tally_submission sub;
	struct tally_errbuf     eb  = { "" };
	uint8_t                *buf = NULL;
	size_t                  len;
	nng_msg                *msg = NULL;
	int                     rv;

	memset(&sub, 0, sizeof(sub));
	snprintf(sub.sender, sizeof(sub.sender), "%s", sender);
	snprintf(sub.hub, sizeof(sub.hub), "%s", up->hub);
	sub.sent_at_ms  = tally_clock_now_ms();
	sub.states      = states;
	sub.n_states    = n;
	sub.approvals   = up->apps;
	sub.n_approvals = up->n_apps;
	for (size_t i = 0; i < n; i++) {
		if (states[i].version > sub.sender_version) {
			sub.sender_version = states[i].version;
		}
		/* Each own state carries the sender's signature over its
		 * claim, so that it proves its origin at every hub above, not
		 * only at the parent; a state held from below keeps the
		 * signature of its own region, read from the store. */
		if (up->signer != NULL && states[i].region[0] == '\0') {
			rv = tally_wire_state_sign(
			    &states[i], sender, up->signer);
			if (rv != TALLY_OK) {
				return rv;
			}
		}
	}
	rv = tally_submission_encode_signed(&sub, up->signer, &buf, &len);
	if (rv != TALLY_OK) {
		return rv;
	}
	rv = tally_nngerr(nng_msg_alloc(&msg, 0), "msg");
	if (rv == TALLY_OK) {
		rv = tally_nngerr(nng_msg_append(msg, buf, len), "msg");
	}
	free(buf);
	if (rv == TALLY_OK) {
		rv = tally_nngerr(nng_sendmsg(up->sock, msg, 0), "send");
	}
	if (rv != TALLY_OK) {
		/* nng_sendmsg takes the message only on success. */
		nng_msg_free(msg);
		if (rv == TALLY_ETIMEDOUT && !drop_pipe(up)) {
			redial(up);
		}
		return rv;
	}
	rv = tally_nngerr(nng_recvmsg(up->sock, &msg, 0), "receive");
	if (rv == TALLY_ETIMEDOUT && !drop_pipe(up)) {
		redial(up);
	}
	if (rv != TALLY_OK) {
		return rv;
	}
	rv = tally_ack_decode(nng_msg_body(msg), nng_msg_len(msg), ack, &eb);
	nng_msg_free(msg);
	if (rv != TALLY_OK) {
		TALLY_LOG(TALLY_LOG_ERROR,
		    "uplink %s: bad acknowledgement: %s", up->url, eb.text);
	}
	return rv;
}

/* Finds what was sent for an acknowledged item, so that only a version we
 * really sent is ever recorded as acknowledged. */
static const struct tally_wire_state *
find_sent(const struct tally_wire_state *states, size_t n,
    const struct tally_ack_item *it)
{
	for (size_t i = 0; i < n; i++) {
		if (states[i].version == it->version &&
		    strcmp(states[i].region, it->region) == 0 &&
		    strcmp(states[i].indicator, it->indicator) == 0 &&
		    strcmp(states[i].period_text, it->period) == 0) {
			return &states[i];
		}
	}
	return NULL;
}

/* Keeps the answer for one of the region's own states (reply.h), so that
 * `tally-node status` can say which hub took it and when, or why it was
 * refused. States forwarded from below are the regions' own business. */
static int
log_reply(struct tally_uplink *up, struct tally_reply_log *log,
    const char *instance, const char *indicator, const char *period,
    uint64_t version, int status, const char *reason)
{
	struct tally_reply r;

	memset(&r, 0, sizeof(r));
	snprintf(r.uplink, sizeof(r.uplink), "%s", up->name);
	snprintf(r.hub, sizeof(r.hub), "%s", up->hub);
	snprintf(r.hub_instance, sizeof(r.hub_instance), "%s", instance);
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	r.version     = version;
	r.status      = status;
	r.answered_ms = tally_clock_now_ms();
	return tally_reply_log_put(log, indicator, period, &r);
}

/* Records in the outbox that the hub answered it, and for an own state
 * the answer itself. The writer *log is made on the first own state
 * answered: an idle exchange answers none. */
static int
record_answer(struct tally_uplink *up, struct tally_store *st,
    struct tally_reply_log **log, const char *instance,
    const struct tally_ack_item *it)
{
	int rv = tally_store_acked(st, up->name, it->region, it->indicator,
	    it->period, it->version, it->status);

	if (rv != TALLY_OK || it->region[0] != '\0') {
		return rv;
	}
	if (*log == NULL) {
		rv = tally_reply_log_open(st, log);
	}
	if (rv == TALLY_OK) {
		rv = log_reply(up, *log, instance, it->indicator, it->period,
		    it->version, it->status,
		    it->status == TALLY_ACK_REJECTED ||
		            it->status == TALLY_ACK_HELD
		        ? it->reason
		        : "");
	}
	return rv;
}

static int
apply_ack(struct tally_uplink *up, struct tally_store *st,
    const struct tally_wire_state *states, size_t n,
    const struct tally_ack *ack, struct tally_uplink_stats *stats)
{
	struct tally_reply_log *log = NULL;
	char                    held[TALLY_WIRE_TEXT_MAX];
	bool                    new_instance = false;
	int                     rv;

	rv = tally_store_begin(st);
	if (rv != TALLY_OK) {
		return rv;
	}
	if (tally_store_uplink_instance(st, up->name, held, sizeof(held)) ==
	        TALLY_OK &&
	    strcmp(held, ack->hub_instance) != 0) {
		TALLY_LOG(TALLY_LOG_WARN,
		    "uplink %s: hub instance changed (%s -> %s): sending "
		    "everything again",
		    up->url, held, ack->hub_instance);
		stats->resends++;
		new_instance = true;
	}
	/* The approvals that went with this exchange are the parent's now;
	 * a new parent database gets all of them again on the next push. */
	if (new_instance) {
		rv = tally_approval_sent(st, up->name, 0);
	} else if (up->n_apps > 0) {
		rv = tally_approval_sent(st, up->name, up->apps_mark);
	}
	if (rv == TALLY_OK) {
		rv = tally_store_set_uplink_instance(
		    st, up->name, ack->hub_instance);
	}
	/* What the parent approved of this region, so that it reopens
	 * nothing under it (approval.h); a parent that compares regions
	 * approves nothing. */
	if (rv == TALLY_OK && up->with_below) {
		rv = tally_approval_from_parent(st, up->hub,
		    tally_store_region(st), ack->approvals, ack->n_approvals,
		    tally_clock_now_ms());
	}
	for (size_t i = 0; rv == TALLY_OK && i < ack->n_items; i++) {
		const struct tally_ack_item *it = &ack->items[i];

		if (find_sent(states, n, it) == NULL) {
			continue;
		}
		switch (it->status) {
		case TALLY_ACK_ACCEPTED:
			stats->accepted++;
			break;
		case TALLY_ACK_DUPLICATE:
			stats->duplicate++;
			break;
		case TALLY_ACK_STALE:
			/* The hub holds a newer version from this region than
			 * this store has ever made: only a rebuilt store can
			 * cause that. Resending would not help. */
			TALLY_LOG(TALLY_LOG_WARN,
			    "uplink %s: %s %s v%llu is stale at the hub",
			    up->url, it->indicator, it->period,
			    (unsigned long long) it->version);
			stats->stale++;
			break;
		case TALLY_ACK_HELD:
			/* Not an error: the hub approved what this version
			 * would change. The outbox marks it held, which takes
			 * it out of this push; release_held puts it back on a
			 * later one (approval.h). */
			TALLY_LOG(TALLY_LOG_INFO,
			    "uplink %s: %s %s%s%s v%llu held by approval: %s",
			    up->url, it->indicator, it->period,
			    it->region[0] != '\0' ? " of " : "", it->region,
			    (unsigned long long) it->version, it->reason);
			stats->held++;
			break;
		default:
			TALLY_LOG(TALLY_LOG_ERROR,
			    "uplink %s: %s %s rejected: %s", up->url,
			    it->indicator, it->period, it->reason);
			stats->rejected++;
			break;
		}
		rv = record_answer(up, st, &log, ack->hub_instance, it);
	}
	tally_reply_log_close(log);
	if (rv == TALLY_OK) {
		rv = tally_store_commit(st);
	}
	if (rv != TALLY_OK) {
		tally_store_rollback(st);
	}
	return rv;
}

/* A submission refused whole: its own states stay pending, and each
 * keeps the hub's reason for `tally-node status`. */
static int
log_refusal(struct tally_uplink *up, struct tally_store *st,
    const struct tally_wire_state *states, size_t n,
    const struct tally_ack *ack)
{
	struct tally_reply_log *log = NULL;
	int                     rv  = tally_store_begin(st);

	if (rv == TALLY_OK) {
		rv = tally_reply_log_open(st, &log);
	}
	for (size_t i = 0; rv == TALLY_OK && i < n; i++) {
		if (states[i].region[0] == '\0') {
			rv = log_reply(up, log, ack->hub_instance,
			    states[i].indicator, states[i].period_text,
			    states[i].version, TALLY_REPLY_REFUSED,
			    ack->error);
		}
	}
	tally_reply_log_close(log);
	if (rv == TALLY_OK) {
		rv = tally_store_commit(st);
	}
	if (rv != TALLY_OK) {
		tally_store_rollback(st);
	}
	return rv;
}

/* States held by approval at the hub go again at most every
 * UPLINK_HELD_RETRY_MS on one uplink (a one-shot push: at once), so that
 * a hub that reopened them gets them soon, and one that did not is not
 * asked in a loop. */
static int
release_held(struct tally_uplink *up, struct tally_store *st)
{
	int64_t now = tally_clock_now_ms();
	bool    released;
	int     rv;

	if (up->held_released_ms != 0 &&
	    now - up->held_released_ms < UPLINK_HELD_RETRY_MS) {
		return TALLY_OK;
	}
	rv = tally_approval_release_held(st, up->name, &released);
	if (rv == TALLY_OK) {
		up->held_released_ms = now;
		if (released) {
			up->clean_store = NULL;
		}
	}
	return rv;
}

int
tally_uplink_push(struct tally_uplink *up, struct tally_store *st,
    int timeout_ms, struct tally_uplink_stats *stats)
{
	struct tally_uplink_stats local;
	int                       rv;

	if (stats == NULL) {
		stats = &local;
	}
	if (up->timeout_ms != timeout_ms) {
		nng_socket_set_ms(up->sock, NNG_OPT_SENDTIMEO, timeout_ms);
		nng_socket_set_ms(up->sock, NNG_OPT_RECVTIMEO, timeout_ms);
		up->timeout_ms = timeout_ms;
	}
	rv = release_held(up, st);
	if (rv != TALLY_OK) {
		return rv;
	}
	for (bool first = true;; first = false) {
		struct tally_wire_state *states = NULL;
		struct tally_ack        *ack    = NULL;
		size_t                   n = 0, resends = stats->resends;
		uint64_t                 dv = 0, own = 0;
		bool have = tally_store_data_version(st, &dv) == TALLY_OK &&
		    tally_store_own_changes(st, &own) == TALLY_OK;
		/* Whether this exchange's states include those from below. */
		bool below = up->with_below && !first;

		if (have && up->clean_store == st && dv == up->clean_version &&
		    own == up->clean_changes) {
			rv = TALLY_OK;
		} else {
			up->clean_store = NULL;
			/* A push's first exchange carries only the region's
			 * own snapshots when there are any: they make the
			 * parent's figure, so they decide how fresh it is,
			 * and finding them is quick, while finding the states
			 * from below scans every state held (milliseconds at
			 * a city hub). Those follow in the next exchanges,
			 * with any own snapshots newer still, so that neither
			 * waits for the other under steady load. */
			rv = tally_store_pending_to(st, up->name, up->hub,
			    UPLINK_BATCH, below, &states, &n);
			if (rv == TALLY_OK && n == 0 && up->with_below &&
			    first) {
				free(states);
				states = NULL;
				below  = true;
				rv     = tally_store_pending_to(st, up->name,
				        up->hub, UPLINK_BATCH, true, &states, &n);
			}
			if (rv == TALLY_OK && n == 0 && have) {
				up->clean_store   = st;
				up->clean_version = dv;
				up->clean_changes = own;
			}
		}
		/* With nothing pending, one empty submission still goes out:
		 * its acknowledgement carries the hub's instance id, which is
		 * how a child learns that its hub lost its data. */
		/* Withdrawals and the reasons of corrections travel with
		 * their versions. */
		if (rv == TALLY_OK) {
			rv = tally_reason_attach(st, states, n);
		}
		/* The approvals changed since the parent last took them go
		 * with the exchange that empties the outbox (approval.h):
		 * after every state they cover, so that the parent never
		 * holds an approval whose states it has not had yet (its
		 * audit would see a digest that does not match). A parent
		 * that compares regions does not take them. */
		if (rv == TALLY_OK && below && n < UPLINK_BATCH) {
			rv = tally_approval_pending(st, up->name, up->hub,
			    TALLY_WIRE_APPROVALS_MAX, &up->apps, &up->n_apps,
			    &up->apps_mark);
		}
		if (rv != TALLY_OK || (n == 0 && !first && up->n_apps == 0)) {
			free(states);
			free(up->apps);
			up->apps   = NULL;
			up->n_apps = 0;
			return rv;
		}
		if (rv == TALLY_OK) {
			rv = exchange(
			    up, tally_store_region(st), states, n, &ack);
		}
		if (rv == TALLY_OK && ack->has_error) {
			TALLY_LOG(TALLY_LOG_ERROR,
			    "uplink %s: submission refused: %s", up->url,
			    ack->error);
			(void) log_refusal(up, st, states, n, ack);
			rv = TALLY_EPROTO;
		}
		if (rv == TALLY_OK) {
			rv = apply_ack(up, st, states, n, ack, stats);
			stats->batches++;
		}
		/* A new hub instance made every state pending again; else
		 * what this push wrote (acknowledgements) is no new data. */
		if (stats->resends != resends || rv != TALLY_OK) {
			up->clean_store = NULL;
		} else if (up->clean_store == st &&
		    tally_store_own_changes(st, &own) == TALLY_OK) {
			up->clean_changes = own;
		}
		tally_ack_free(ack);
		free(states);
		free(up->apps);
		up->apps   = NULL;
		up->n_apps = 0;
		if (rv != TALLY_OK) {
			return rv;
		}
	}
}

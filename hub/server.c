/*
 * The hub server declared in server.h.
 *
 * Threads: NNG's own threads run the context callbacks, which only decode
 * and validate (no I/O) and queue the request; one writer thread owns the
 * database connection that applies submissions, so SQLite and fsync never
 * run inside an aio callback; one uplink thread per parent, each with its
 * own connection and its own backoff, forwards the hub's rollup to the
 * parent and its own figures to each comparison hub, so that one parent
 * that cannot be reached never holds up another; the main thread waits
 * for a signal.
 *
 * A comparison hub (cfg->group) serves a region group instead of a
 * region: its children are the group's members, each sending only its own
 * figures, and it has no parent, because a group never adds into any
 * total above it.
 */
#include "server.h"

#include "admit.h"
#include "approval.h"
#include "backoff.h"
#include "clock.h"
#include "envelope.h"
#include "errors.h"
#include "http.h"
#include "listen.h"
#include "log.h"
#include "nngerr.h"
#include "refusal.h"
#include "notify.h"
#include "reload.h"
#include "sign.h"
#include "stopguard.h"
#include "store.h"
#include "tlsconf.h"
#include "uplink.h"
#include "wire.h"

#include <arpa/inet.h>
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

/* Requests applied in one transaction at most: every request in flight
 * (--contexts allows up to 1024), so that the group commit is bounded by
 * how many children push at once, not by a constant. */
#define HUB_BATCH_MAX 1024

/* Contexts, that is requests in flight, when none are configured: as many
 * children as push at once can share one commit up to this; each request
 * waiting holds its decoded submission, so this is also what bounds the
 * memory that waiting costs. */
#define HUB_CONTEXTS_DEFAULT 64

/* The writer's page cache in KiB: the children's rows it upserts and the
 * snapshots it updates stay in memory between commits. */
#define HUB_CACHE_KIB 8192

/* How long a reply may wait for its connection before it is dropped. */
#define HUB_SEND_TIMEOUT_MS 2000

/* How long the hub may take to stop once it is asked to (stopguard.h). */
#define HUB_STOP_DEADLINE_S 10

enum hub_ctx_state {
	HUB_CTX_RECV,
	HUB_CTX_QUEUED,
	HUB_CTX_SEND,
};

struct hub;

/* One parent the hub reports to: the region's parent, or a comparison
 * hub. */
struct hub_uplink {
	struct hub          *hub;
	struct tally_uplink *up;
	const char          *url;
	char                 name[64]; /* "parent" or "compare:GROUP" */
	bool                 dirty;    /* under hub->mtx: new data to send */
	bool                 started;
	pthread_t            thread;
};

struct hub_ctx {
	struct hub              *hub;
	nng_aio                 *aio;
	nng_ctx                  ctx;
	int                      state;
	struct tally_submission *sub;
	struct hub_ctx          *next;
	/* For the audit trail: the opened envelope, whose body is the exact
	 * bytes received (kept, not copied, until the writer is done), and,
	 * in signed mode, the signature and key that verified them. */
	struct tally_envelope env;
	bool                  is_signed;
	uint8_t               sig[TALLY_SIGN_BYTES];
	uint8_t               pk[TALLY_PUBLIC_BYTES];
	char                  key_id[TALLY_KEY_ID_STRLEN];
	/* The keyring of the callback running now (reload.h): set and let
	 * go by ctx_cb around the callback's work. */
	const struct tally_keyring *keys;
};

/* A submission refused whole, for the writer to count (refusal.h): the
 * refusal is answered at once, and counted with the next batch. */
struct hub_note {
	char             sender[TALLY_REGION_STRLEN]; /* "" when unreadable */
	char             reason[TALLY_WIRE_REASON_MAX];
	int64_t          at_ms;
	struct hub_note *next;
};

/* Refusals waiting to be counted at most: a flood of garbage costs a
 * bounded amount of memory, and what is beyond is logged, not counted. */
#define HUB_NOTES_MAX 4096

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
	/* Refusals to count, newest first, and how many. */
	struct hub_note *notes;
	size_t           n_notes;
	bool             notes_full_logged;
	/* The uplinks: made and freed by hub_run, each used by its own
	 * thread, so that a stop can interrupt a push that waits on an
	 * unreachable parent without any lock held and without racing a
	 * free. */
	struct hub_uplink *ups;
	size_t             nups;
	/* A comparison hub's group; NULL for a region's hub. */
	const struct tally_group *grp;
	/* The keyring, swapped by a reload (reload.h). */
	struct hub_keys *keys;
	/* The listener, watched by the main thread (listen.h). */
	struct hub_listen *listen;
};

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
	/* A child that stops reading its replies fills its connection's
	 * buffers; a reply queued behind them would hold this context, and
	 * in time every context, for ever. Such a reply is dropped after a
	 * while instead (a REQ socket resends); ctx_cb makes the next
	 * receive wait without limit again. */
	nng_aio_set_timeout(c->aio, HUB_SEND_TIMEOUT_MS);
	nng_ctx_send(c->ctx, c->aio);
}

/* Hands a context to the writer. */
static void
ctx_queue(struct hub_ctx *c)
{
	struct hub *hub = c->hub;

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

/* Leaves a refusal for the writer to count against sender. */
static void
note_refusal(struct hub *hub, const char *sender, const char *why)
{
	struct hub_note *n = NULL;

	pthread_mutex_lock(&hub->mtx);
	if (hub->n_notes < HUB_NOTES_MAX) {
		n = calloc(1, sizeof(*n));
	}
	if (n != NULL) {
		snprintf(n->sender, sizeof(n->sender), "%s",
		    sender != NULL ? sender : "");
		snprintf(n->reason, sizeof(n->reason), "%s", why);
		n->at_ms   = tally_clock_now_ms();
		n->next    = hub->notes;
		hub->notes = n;
		hub->n_notes++;
		pthread_cond_signal(&hub->work_cv);
	} else if (!hub->notes_full_logged) {
		hub->notes_full_logged = true;
		TALLY_LOG(TALLY_LOG_WARN,
		    "more than %d refusals wait to be counted: the counts in "
		    "the report miss some (each is still in this log)",
		    HUB_NOTES_MAX);
	}
	pthread_mutex_unlock(&hub->mtx);
}

/* Refuses a submission whole: the reason goes back in the
 * acknowledgement and into the log, with the peer's address, and is
 * counted against sender (NULL when the submission could not be read). */
static void
ctx_refuse(
    struct hub_ctx *c, const char *why, const char *peer, const char *sender)
{
	struct hub      *hub = c->hub;
	struct tally_ack ack;

	memset(&ack, 0, sizeof(ack));
	/* The writer changes the instance after a repair. */
	pthread_mutex_lock(&hub->mtx);
	snprintf(
	    ack.hub_instance, sizeof(ack.hub_instance), "%s", hub->instance);
	pthread_mutex_unlock(&hub->mtx);
	ack.has_error = true;
	snprintf(ack.error, sizeof(ack.error), "%s", why);
	tally_one_line(ack.error);
	TALLY_LOG(
	    TALLY_LOG_WARN, "submission from %s refused: %s", peer, ack.error);
	note_refusal(hub, sender, ack.error);
	ctx_send(c, &ack);
}

/* Where a message came from, for the log: the peer's TCP address, or
 * the transport when it has none (ipc). */
static void
peer_text(nng_msg *msg, char *buf, size_t len)
{
	nng_sockaddr sa;
	nng_pipe     p = nng_msg_get_pipe(msg);
	char         ip[64];

	snprintf(buf, len, "a peer");
	if (nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) != 0) {
		return;
	}
	if (sa.s_family == NNG_AF_INET) {
		const uint8_t *a = (const uint8_t *) &sa.s_in.sa_addr;
		snprintf(
		    ip, sizeof(ip), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
		snprintf(
		    buf, len, "%s:%u", ip, (unsigned) ntohs(sa.s_in.sa_port));
	} else if (sa.s_family == NNG_AF_INET6) {
		snprintf(buf, len, "an IPv6 peer");
	} else if (sa.s_family == NNG_AF_IPC) {
		snprintf(buf, len, "ipc");
	}
}

/* In signed mode, checks the envelope's signature before anything in it
 * is decoded. On success *region is the region the key speaks for. */
static bool
envelope_verified(struct hub_ctx *c, const struct tally_envelope *env,
    const char **region, char *why, size_t len)
{
	const struct tally_keyring *keys = c->keys;
	const uint8_t              *pk;
	int                         res;

	c->is_signed = false;
	if (keys == NULL) {
		return true;
	}
	res = tally_keyring_verify(keys, env->body, env->body_len,
	    env->signature, env->sig_len, env->key_id, region, &pk);
	if (res == TALLY_VERIFY_UNKNOWN_KEY) {
		snprintf(why, len,
		    "%s %.64s: no key with this id is authorised "
		    "on this hub",
		    tally_verify_reason(res), env->key_id);
		return false;
	}
	if (res == TALLY_VERIFY_BAD_SIGNATURE) {
		snprintf(why, len,
		    "%s: the body does not match the signature of key %.64s",
		    tally_verify_reason(res), env->key_id);
		return false;
	}
	if (res != TALLY_VERIFY_OK) {
		snprintf(why, len, "%s", tally_verify_reason(res));
		return false;
	}
	c->is_signed = true;
	memcpy(c->sig, env->signature, TALLY_SIGN_BYTES);
	memcpy(c->pk, pk, TALLY_PUBLIC_BYTES);
	snprintf(c->key_id, sizeof(c->key_id), "%s", env->key_id);
	return true;
}

/* Rejects ws, from the direct child sender, when its region does not
 * belong below this hub through sender for its period. */
static void
state_admits(
    const struct hub *hub, const char *sender, struct tally_wire_state *ws)
{
	const struct tally_catalog *cat = hub->cat;
	const char                 *parent;
	char                        period[TALLY_PERIOD_STRLEN];
	bool                        own, child;

	own = ws->region[0] == '\0' || strcmp(ws->region, sender) == 0;
	if (!own && !tally_catalog_is_below(cat, sender, ws->region) &&
	    !tally_catalog_moves(cat, ws->region)) {
		ws->status = TALLY_ACK_REJECTED;
		snprintf(ws->reason, sizeof(ws->reason),
		    "region %s is not below %s", ws->region, sender);
		return;
	}
	if (cat->n_changes == 0) {
		return;
	}
	child =
	    tally_catalog_is_child_for(cat, hub->region, sender, &ws->period);
	if (own && !child) {
		tally_period_format(&ws->period, period);
		parent = tally_catalog_parent_for(cat, sender, &ws->period);
		ws->status = TALLY_ACK_REJECTED;
		snprintf(ws->reason, sizeof(ws->reason),
		    "region %s belongs to %s for %s, not to %s "
		    "(division_changes.csv)",
		    sender, parent != NULL ? parent : "no parent", period,
		    hub->region);
		return;
	}
	if (!own &&
	    (!child ||
	        !tally_catalog_is_below_for(
	            cat, sender, ws->region, &ws->period))) {
		tally_period_format(&ws->period, period);
		parent =
		    tally_catalog_parent_for(cat, ws->region, &ws->period);
		ws->status = TALLY_ACK_REJECTED;
		snprintf(ws->reason, sizeof(ws->reason),
		    "region %s is not below %s for %s: it belongs to %s "
		    "(division_changes.csv)",
		    ws->region, sender, period,
		    parent != NULL ? parent : "no parent");
	}
}

/* Whether a region's hub takes sub: it must be addressed to this hub by
 * a direct child. Otherwise why says why it is refused whole. */
static bool
region_admits(
    const struct hub *hub, struct tally_submission *sub, char *why, size_t len)
{
	if (strcmp(sub->hub, hub->region) != 0) {
		snprintf(why, len, "addressed to hub %s, this is hub %s",
		    sub->hub, hub->region);
		return false;
	}
	/* With changes of parent (catalog.h) a region is a child for some
	 * periods only; each state is then checked against its period. */
	if (!tally_catalog_is_child_ever(hub->cat, hub->region, sub->sender)) {
		snprintf(why, len, "region %s is not a direct child of %s",
		    sub->sender, hub->region);
		return false;
	}
	/* A state of another region must come from the branch it lies in:
	 * a city forwards its counties, never a neighbour's. */
	for (size_t k = 0; k < sub->n_states; k++) {
		struct tally_wire_state *ws = &sub->states[k];

		if (ws->status == TALLY_ACK_NONE) {
			state_admits(hub, sub->sender, ws);
		}
	}
	return true;
}

/* Whether a comparison hub takes sub: it must be addressed to the group
 * by one of its members. A state of any region other than the member
 * itself is rejected on its own: the group compares the members' own
 * figures, and a region below a member is no part of that. */
static bool
group_admits(
    const struct hub *hub, struct tally_submission *sub, char *why, size_t len)
{
	if (strcmp(sub->hub, hub->grp->name) != 0) {
		snprintf(why, len, "addressed to hub %s, this is group %s",
		    sub->hub, hub->grp->name);
		return false;
	}
	if (tally_group_member_index(hub->grp, sub->sender) < 0) {
		snprintf(why, len, "region %s is not a member of group %s",
		    sub->sender, hub->grp->name);
		return false;
	}
	for (size_t k = 0; k < sub->n_states; k++) {
		struct tally_wire_state *ws = &sub->states[k];

		if (ws->status == TALLY_ACK_NONE && ws->region[0] != '\0' &&
		    strcmp(ws->region, sub->sender) != 0) {
			ws->status = TALLY_ACK_REJECTED;
			snprintf(ws->reason, sizeof(ws->reason),
			    "region %s is not the member %s: only a "
			    "member's own figures are compared",
			    ws->region, sub->sender);
		}
	}
	return true;
}

/* In signed mode, checks the end-to-end signature of every state still
 * valid: the sender's own and each one it forwards must be signed by a
 * key the keys file lists for the region the state is of, so that a hub
 * between cannot change a region's figures. A state that fails is
 * rejected on its own, with the reason; the others are taken. A state of
 * a region for which no key is listed is rejected too: in signed mode a
 * figure nobody can vouch for is a gap to be seen, not to be filled. */
static void
origins_verify(const struct tally_keyring *keys, struct tally_submission *sub)
{
	if (keys == NULL) {
		return;
	}
	for (size_t k = 0; k < sub->n_states; k++) {
		struct tally_wire_state *ws = &sub->states[k];
		const char              *region =
                    ws->region[0] != '\0' ? ws->region : sub->sender;

		if (ws->status != TALLY_ACK_NONE) {
			continue;
		}
		if (tally_wire_state_verify(keys, ws, region, ws->reason,
		        sizeof(ws->reason)) != TALLY_VERIFY_OK) {
			ws->status = TALLY_ACK_REJECTED;
		}
	}
}

/* Rejects every state still valid whose version is further ahead of the
 * hub's clock than max_clock_skew allows (admit.h): one from a clock
 * years ahead would make every honest version after it stale. */
static void
versions_admit(const struct hub *hub, struct tally_submission *sub)
{
	uint64_t now = tally_admit_now_us();

	for (size_t k = 0; k < sub->n_states; k++) {
		struct tally_wire_state *ws = &sub->states[k];

		if (ws->status == TALLY_ACK_NONE &&
		    tally_admit_version(ws->version, now,
		        hub->cfg->max_clock_skew_s, ws->reason,
		        sizeof(ws->reason)) != TALLY_OK) {
			ws->status = TALLY_ACK_REJECTED;
		}
	}
}

/* Closes the envelope a context kept for the audit trail. */
static void
ctx_drop(struct hub_ctx *c)
{
	tally_envelope_close(&c->env);
	memset(&c->env, 0, sizeof(c->env));
}

/* Runs on an NNG thread: verify, decode, validate, queue. Nothing here
 * blocks. */
static void
ctx_work(void *arg)
{
	struct hub_ctx          *c          = arg;
	struct hub              *hub        = c->hub;
	struct tally_submission *sub        = NULL;
	struct tally_errbuf      eb         = { "" };
	struct tally_envelope   *env        = &c->env;
	const char              *key_region = NULL;
	char                     why[TALLY_WIRE_REASON_MAX];
	char                     peer[80];
	nng_msg                 *msg;
	int                      rv = nng_aio_result(c->aio);

	if (c->state == HUB_CTX_SEND) {
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(c->aio));
		}
		c->state = HUB_CTX_RECV;
		nng_aio_set_timeout(c->aio, NNG_DURATION_INFINITE);
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
	/* The signature first: nothing inside an envelope is decoded
	 * before the hub knows which key signed it. */
	msg = nng_aio_get_msg(c->aio);
	peer_text(msg, peer, sizeof(peer));
	rv =
	    tally_envelope_open(nng_msg_body(msg), nng_msg_len(msg), env, &eb);
	nng_msg_free(msg);
	if (rv != TALLY_OK) {
		ctx_refuse(c, eb.text, peer, NULL);
		return;
	}
	if (!envelope_verified(c, env, &key_region, why, sizeof(why))) {
		ctx_drop(c);
		ctx_refuse(c, why, peer, NULL);
		return;
	}
	rv = tally_submission_decode_body(
	    hub->cat, env->body, env->body_len, &sub, &eb);
	if (rv != TALLY_OK) {
		ctx_drop(c);
		tally_submission_free(sub);
		ctx_refuse(c, eb.text, peer, NULL);
		return;
	}
	/* A key speaks for one region: a county's key cannot submit for
	 * its neighbour, nor a city's for one of its counties. */
	if (c->is_signed && strcmp(key_region, sub->sender) != 0) {
		snprintf(why, sizeof(why),
		    "%s: key %s belongs to region %s, the sender is %s",
		    tally_verify_reason(TALLY_VERIFY_WRONG_REGION), c->key_id,
		    key_region, sub->sender);
		ctx_drop(c);
		ctx_refuse(c, why, peer, sub->sender);
		tally_submission_free(sub);
		return;
	}
	if (!(hub->grp != NULL ? group_admits(hub, sub, why, sizeof(why))
	                       : region_admits(hub, sub, why, sizeof(why)))) {
		ctx_drop(c);
		ctx_refuse(c, why, peer, sub->sender);
		tally_submission_free(sub);
		return;
	}
	versions_admit(hub, sub);
	origins_verify(c->keys, sub);
	c->sub = sub;
	ctx_queue(c);
}

/* ctx_work with the keyring of the moment held (reload.h). The reference
 * is kept in a local: once the context is queued, the writer and the
 * context's next callback may use it, but neither reads c->keys. */
static void
ctx_cb(void *arg)
{
	struct hub_ctx    *c = arg;
	struct hub_keyref *ref;

	c->keys = hub_keys_acquire(c->hub->keys, &ref);
	ctx_work(c);
	hub_keys_release(c->hub->keys, ref);
}

/* Appends what one submission changed to the audit trail, in the
 * transaction that applies it. */
static int
audit_submission(struct hub *hub, const struct hub_ctx *c,
    const struct tally_audit_item *items, size_t n)
{
	struct tally_audit_envelope env;

	memset(&env, 0, sizeof(env));
	env.received_ms = tally_clock_now_ms();
	env.sender      = c->sub->sender;
	env.key_id      = c->is_signed ? c->key_id : "";
	env.public_key  = c->is_signed ? c->pk : NULL;
	env.signature   = c->is_signed ? c->sig : NULL;
	env.sig_len     = c->is_signed ? TALLY_SIGN_BYTES : 0;
	env.body        = c->env.body;
	env.body_len    = c->env.body_len;
	return tally_store_audit_append(hub->st, &env, items, n);
}

/* The instance id as the store holds it now: `tally-hub repair` gives
 * the file a new one so that every child sends everything again. */
static int
instance_refresh(struct hub *hub)
{
	int rv = tally_store_instance_refresh(hub->st);

	if (rv == TALLY_OK &&
	    strcmp(hub->instance, tally_store_instance_id(hub->st)) != 0) {
		TALLY_LOG(TALLY_LOG_INFO,
		    "the database has a new instance id %s (repair): the "
		    "children will send everything again",
		    tally_store_instance_id(hub->st));
		pthread_mutex_lock(&hub->mtx);
		snprintf(hub->instance, sizeof(hub->instance), "%s",
		    tally_store_instance_id(hub->st));
		pthread_mutex_unlock(&hub->mtx);
	}
	return rv;
}

/* Counts the refusals left by the context callbacks. */
static int
count_notes(struct hub *hub)
{
	struct hub_note *n;
	int              rv = TALLY_OK;

	pthread_mutex_lock(&hub->mtx);
	n                      = hub->notes;
	hub->notes             = NULL;
	hub->n_notes           = 0;
	hub->notes_full_logged = false;
	pthread_mutex_unlock(&hub->mtx);
	while (n != NULL) {
		struct hub_note *next = n->next;

		if (rv == TALLY_OK) {
			rv = tally_refusal_count(hub->st, n->sender,
			    TALLY_REFUSED_SUBMISSION, n->reason, n->at_ms);
		}
		free(n);
		n = next;
	}
	return rv;
}

/* Logs a rejected state and counts it against the child that sent it. */
static int
state_refused(
    struct hub *hub, const char *sender, const struct tally_wire_state *ws)
{
	bool conflict = strncmp(ws->reason, "conflict:", 9) == 0;

	TALLY_LOG(TALLY_LOG_WARN, "%s: %s %s rejected: %s (%s%sv%llu)", sender,
	    ws->indicator, ws->period_text, ws->reason, ws->region,
	    ws->region[0] != '\0' ? " " : "",
	    (unsigned long long) ws->version);
	return tally_refusal_count(hub->st, sender,
	    conflict ? TALLY_REFUSED_CONFLICT : TALLY_REFUSED_STATE,
	    ws->reason, tally_clock_now_ms());
}

/* Holds ws when it would change figures this hub approved (approval.h):
 * read in the writer's transaction, so that an approval made by
 * `tally-hub approve` while the hub runs counts from the next batch on. */
static void
state_approved(
    struct hub *hub, bool any, const char *sender, struct tally_wire_state *ws)
{
	const char *region = ws->region[0] != '\0' ? ws->region : sender;

	if (!any ||
	    !tally_approval_holds(hub->st, hub->cat, hub->region, region,
	        ws->indicator, ws->period_text, ws->version, ws->reason,
	        sizeof(ws->reason))) {
		return;
	}
	ws->status = TALLY_ACK_HELD;
	TALLY_LOG(TALLY_LOG_INFO, "%s: %s %s of %s v%llu held: %s", sender,
	    ws->indicator, ws->period_text, region,
	    (unsigned long long) ws->version, ws->reason);
}

/* Applies a batch of submissions in one transaction, and records in the
 * audit trail each state that changed, with what it replaced. */
static int
apply_batch(struct hub *hub, struct hub_ctx **batch, int n, bool *changed)
{
	struct tally_audit_item *items    = NULL;
	size_t                   cap      = 0;
	bool                     approved = false;
	int                      rv       = tally_store_begin(hub->st);

	if (rv == TALLY_OK) {
		rv = instance_refresh(hub);
	}
	/* Most hubs hold no approval in force: one look per batch spares
	 * every state the look for one that covers it. */
	if (rv == TALLY_OK && hub->grp == NULL) {
		rv = tally_approval_in_force(hub->st, hub->region, &approved);
	}
	if (rv == TALLY_OK) {
		rv = count_notes(hub);
	}
	for (int i = 0; rv == TALLY_OK && i < n; i++) {
		struct tally_submission *sub     = batch[i]->sub;
		size_t                   audited = 0;

		if (sub->n_states > cap) {
			struct tally_audit_item *p =
			    realloc(items, sub->n_states * sizeof(*p));
			if (p == NULL) {
				rv = TALLY_ENOMEM;
				break;
			}
			items = p;
			cap   = sub->n_states;
		}
		for (size_t k = 0; rv == TALLY_OK && k < sub->n_states; k++) {
			struct tally_wire_state *ws = &sub->states[k];

			if (ws->status != TALLY_ACK_REJECTED) {
				state_approved(hub, approved, sub->sender, ws);
			}
			if (ws->status != TALLY_ACK_REJECTED &&
			    ws->status != TALLY_ACK_HELD) {
				rv = tally_store_put_state_audited(hub->st,
				    sub->sender, ws, (uint32_t) k,
				    &items[audited], &ws->status);
			}
			if (rv == TALLY_OK &&
			    ws->status == TALLY_ACK_ACCEPTED) {
				*changed = true;
				audited++;
			}
			/* A conflict is found by the store, every other
			 * reason before; each is logged and counted. */
			if (rv == TALLY_OK &&
			    ws->status == TALLY_ACK_REJECTED) {
				rv = state_refused(hub, sub->sender, ws);
			}
		}
		/* Approvals made below travel up with the states. */
		if (rv == TALLY_OK && hub->grp == NULL &&
		    sub->n_approvals > 0) {
			rv       = tally_approval_receive(hub->st, hub->cat,
			          sub->sender, sub->approvals, sub->n_approvals);
			*changed = true;
		}
		/* A submission that changed nothing (duplicates, an empty
		 * exchange to learn the hub's instance) is not kept. */
		if (rv == TALLY_OK && audited > 0) {
			rv = audit_submission(hub, batch[i], items, audited);
		}
	}
	if (rv == TALLY_OK) {
		rv = tally_store_commit(hub->st);
	}
	if (rv != TALLY_OK) {
		tally_store_rollback(hub->st);
		*changed = false;
	}
	free(items);
	return rv;
}

/* A child with children of its own (a city) is told which of this hub's
 * approvals of it are in force, so that it does not reopen what lies
 * under them (approval.h). A county cannot reopen anything: it is told
 * nothing. A look that fails sends no list, which the child reads as none
 * in force: it may then reopen under an approval of this hub, but what it
 * lets through is still held here. */
static void
ack_approvals(struct hub *hub, const char *sender, struct tally_ack *ack)
{
	const struct tally_division *d =
	    tally_catalog_division(hub->cat, sender);

	if (hub->grp != NULL || d == NULL ||
	    d->first_child == TALLY_NO_INDEX ||
	    tally_approval_of(hub->st, hub->region, sender, &ack->approvals,
	        &ack->n_approvals) != TALLY_OK) {
		ack->approvals   = NULL;
		ack->n_approvals = 0;
	}
}

static void
ack_submission(
    struct hub *hub, struct hub_ctx *c, const struct tally_submission *sub)
{
	struct tally_ack ack;

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
	ack_approvals(hub, sub->sender, &ack);
	for (size_t k = 0; k < sub->n_states; k++) {
		const struct tally_wire_state *ws = &sub->states[k];
		struct tally_ack_item         *it = &ack.items[k];

		memcpy(it->region, ws->region, sizeof(it->region));
		memcpy(it->indicator, ws->indicator, sizeof(it->indicator));
		memcpy(it->period, ws->period_text, sizeof(it->period));
		it->version = ws->version;
		it->status  = ws->status;
		memcpy(it->reason, ws->reason, sizeof(it->reason));
	}
	ctx_send(c, &ack);
	free(ack.items);
	free(ack.approvals);
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
		while (hub->head == NULL && hub->notes == NULL &&
		    !hub->stopping) {
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
			/* The context lets go of its submission before it goes
			 * back to NNG: from then on its callback may run at
			 * once on another thread and store the next request in
			 * it, which must be neither freed nor lost here. */
			struct tally_submission *sub = batch[i]->sub;

			batch[i]->sub = NULL;
			/* The envelope kept for the audit was written with the
			 * batch; it goes now, for the same reason. */
			ctx_drop(batch[i]);
			if (rv == TALLY_OK) {
				ack_submission(hub, batch[i], sub);
			} else {
				batch[i]->state = HUB_CTX_RECV;
				nng_ctx_recv(batch[i]->ctx, batch[i]->aio);
			}
			tally_submission_free(sub);
		}
		if (changed && hub->nups > 0) {
			pthread_mutex_lock(&hub->mtx);
			for (size_t i = 0; i < hub->nups; i++) {
				hub->ups[i].dirty = true;
			}
			pthread_cond_broadcast(&hub->uplink_cv);
			pthread_mutex_unlock(&hub->mtx);
		}
	}
	return NULL;
}

/* Waits until the uplink has something to do, the delay runs out, or the
 * hub stops. Returns false when stopping. */
static bool
uplink_wait(struct hub_uplink *u, int delay_ms)
{
	struct hub     *hub = u->hub;
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
	while (!hub->stopping && !u->dirty) {
		if (pthread_cond_timedwait(
		        &hub->uplink_cv, &hub->mtx, &until) == ETIMEDOUT) {
			break;
		}
	}
	u->dirty = false;
	running  = !hub->stopping;
	pthread_mutex_unlock(&hub->mtx);
	return running;
}

static void *
uplink_main(void *arg)
{
	struct hub_uplink   *u       = arg;
	struct hub          *hub     = u->hub;
	struct tally_store  *st      = NULL;
	struct tally_uplink *up      = u->up;
	struct tally_errbuf  eb      = { "" };
	struct tally_backoff backoff = { 0 };
	int                  wait_ms = 0;
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
	while (uplink_wait(u, wait_ms > 0 ? wait_ms : 1000)) {
		struct tally_uplink_stats stats;

		memset(&stats, 0, sizeof(stats));
		rv = tally_uplink_push(up, st, 5000, &stats);
		if (rv == TALLY_OK) {
			if (stats.batches > 0) {
				TALLY_LOG(TALLY_LOG_DEBUG,
				    "forwarded %zu states to %s (%s)",
				    stats.accepted + stats.duplicate, u->url,
				    u->name);
			}
			tally_backoff_reset(&backoff);
			wait_ms = 0;
			continue;
		}
		wait_ms = tally_backoff_next(&backoff);
		TALLY_LOG(TALLY_LOG_INFO,
		    "uplink to %s (%s): %s; retrying in %d ms", u->url,
		    u->name, tally_strerror(rv), wait_ms);
	}
done:
	tally_store_close(st);
	return NULL;
}

/* A comparison hub's store: created for the group, or opened and held to
 * the same group and members. Then the configured standards replace
 * those it held. */
static int
open_or_create_group_store(struct hub *hub)
{
	struct tally_errbuf eb = { "" };
	struct stat         sb;
	char                members[TALLY_GROUP_MEMBERS_TEXT];
	int                 rv;

	tally_group_members_text(hub->grp, members, sizeof(members));
	if (stat(hub->cfg->db, &sb) != 0) {
		rv = tally_store_create_group(hub->cfg->db, hub->cat,
		    hub->grp->name, members, &hub->st, &eb);
		if (rv == TALLY_OK) {
			TALLY_LOG(TALLY_LOG_INFO, "created %s", hub->cfg->db);
		}
	} else {
		rv = tally_store_open_group(
		    hub->cfg->db, hub->cat, &hub->st, &eb);
	}
	if (rv != TALLY_OK) {
		TALLY_LOG(TALLY_LOG_ERROR, "%s: refusing it", eb.text);
		return rv;
	}
	if (strcmp(tally_store_group(hub->st), hub->grp->name) != 0) {
		TALLY_LOG(TALLY_LOG_ERROR,
		    "%s belongs to group %s, not %s: refusing it",
		    hub->cfg->db, tally_store_group(hub->st), hub->grp->name);
		return TALLY_ECONFIG;
	}
	/* The pooled figure is merged from whatever the members sent, so a
	 * database made for other members would pool the wrong regions. */
	if (strcmp(tally_store_group_members(hub->st), members) != 0) {
		TALLY_LOG(TALLY_LOG_ERROR,
		    "%s holds group %s with members %s, not %s: refusing it "
		    "(start a new database for other members)",
		    hub->cfg->db, hub->grp->name,
		    tally_store_group_members(hub->st), members);
		return TALLY_ECONFIG;
	}
	rv = tally_store_begin(hub->st);
	if (rv == TALLY_OK) {
		rv = tally_store_set_group_standards(hub->st,
		    hub->cfg->standards != NULL ? hub->cfg->standards : "");
	}
	if (rv == TALLY_OK) {
		rv = tally_store_set_group_title(hub->st,
		    hub->cfg->group_title != NULL ? hub->cfg->group_title
		                                  : "");
	}
	if (rv == TALLY_OK) {
		rv = tally_store_commit(hub->st);
	}
	if (rv != TALLY_OK) {
		tally_store_rollback(hub->st);
		return rv;
	}
	snprintf(hub->instance, sizeof(hub->instance), "%s",
	    tally_store_instance_id(hub->st));
	return TALLY_OK;
}

static int
open_or_create_store(struct hub *hub)
{
	struct tally_errbuf eb = { "" };
	struct stat         sb;
	size_t              regrouped = 0;
	size_t              held      = 0;
	int                 rv;

	if (hub->grp != NULL) {
		return open_or_create_group_store(hub);
	}
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
	/* A change of parent configured since the last start: the figures
	 * of the periods it affects are rebuilt from the children of each
	 * period, and go upward with new versions. */
	rv = tally_store_regroup(hub->st, &regrouped, &held);
	if (rv != TALLY_OK) {
		TALLY_LOG(TALLY_LOG_ERROR,
		    "%s: cannot apply the changes of "
		    "parent: %s",
		    hub->cfg->db, tally_strerror(rv));
		return rv;
	}
	if (regrouped > 0 || held > 0) {
		TALLY_LOG(TALLY_LOG_INFO,
		    "changes of parent: %zu snapshots recomputed, %zu held "
		    "until the children's states follow the same file",
		    regrouped, held);
	}
	snprintf(hub->instance, sizeof(hub->instance), "%s",
	    tally_store_instance_id(hub->st));
	return TALLY_OK;
}

/* Makes the uplinks, the parent's first, then one per comparison hub,
 * and starts a thread for each. A comparison uplink carries only the
 * region's own snapshots, addressed to the group: the group compares its
 * members' own figures and shows nothing below them. Dialling is
 * non-blocking, so this never waits on a parent. */
static int
start_uplinks(struct hub *hub)
{
	const struct hub_config *cfg = hub->cfg;
	size_t                   n   = cfg->n_compare + 1;
	struct tally_errbuf      eb  = { "" };
	int                      rv;

	hub->ups = calloc(n, sizeof(*hub->ups));
	if (hub->ups == NULL) {
		return TALLY_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct hub_uplink *u = &hub->ups[hub->nups];
		const char        *to;

		if (i == 0 && cfg->parent == NULL) {
			continue;
		}
		u->hub = hub;
		if (i == 0) {
			u->url = cfg->parent;
			to     = hub->parent_region;
			snprintf(u->name, sizeof(u->name), "parent");
		} else {
			u->url = cfg->compare[i - 1].url;
			to     = cfg->compare[i - 1].group;
			snprintf(u->name, sizeof(u->name), "compare:%s", to);
		}
		/* TLS options are for the uplinks whose URL is TLS; the
		 * others, in a mixed deployment, dial as they are. */
		rv = tally_uplink_new_tls(&u->up, u->name, u->url, to,
		    tally_tls_url(u->url) ? &cfg->uplink_tls : NULL, &eb);
		if (rv == TALLY_ECONFIG) {
			TALLY_LOG(TALLY_LOG_ERROR, "%s", eb.text);
			return rv;
		}
		if (rv != TALLY_OK) {
			TALLY_LOG(TALLY_LOG_ERROR, "%s %s: %s",
			    i == 0 ? "--parent" : "--compare", u->url,
			    tally_strerror(rv));
			return rv;
		}
		hub->nups++;
		tally_uplink_set_with_below(u->up, i == 0);
		tally_uplink_set_signer(u->up, cfg->signer);
	}
	for (size_t i = 0; i < hub->nups; i++) {
		if (pthread_create(&hub->ups[i].thread, NULL, uplink_main,
		        &hub->ups[i]) != 0) {
			return TALLY_ENOMEM;
		}
		hub->ups[i].started = true;
	}
	return TALLY_OK;
}

/* Makes the database ready for the audit trail and says, in the log and
 * in the database (for every report), whether the hub runs in open mode:
 * without keys, anyone who reaches the listener can speak for any child. */
static int
start_security(struct hub *hub)
{
	const struct hub_config *cfg = hub->cfg;
	int                      rv;

	rv = tally_store_audit_ensure(hub->st);
	if (rv == TALLY_OK) {
		rv = tally_store_set_cache_kib(hub->st, HUB_CACHE_KIB);
	}
	if (rv == TALLY_OK) {
		rv = tally_refusal_ensure(hub->st);
	}
	if (rv == TALLY_OK) {
		rv = tally_store_set_open_mode(hub->st, cfg->keys == NULL);
	}
	if (rv != TALLY_OK) {
		return rv;
	}
	if (cfg->keys == NULL) {
		TALLY_LOG(TALLY_LOG_WARN,
		    "OPEN MODE: no keys file, so unsigned envelopes are "
		    "accepted and whoever reaches %s can submit for any "
		    "child; give keys = FILE for production "
		    "(docs/security.md)",
		    cfg->listen);
	} else {
		TALLY_LOG(TALLY_LOG_INFO,
		    "signed mode: %zu keys authorised; unsigned envelopes "
		    "are refused",
		    tally_keyring_count(cfg->keys));
	}
	if (cfg->signer != NULL) {
		TALLY_LOG(TALLY_LOG_INFO, "signing what it sends with key %s",
		    tally_signer_key_id(cfg->signer));
	}
	return TALLY_OK;
}

/* The ready file: the bound NNG URL, then the dashboard's URL if any. */
static int
write_ready_file(const char *path, const char *url, const char *http_url)
{
	char  tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL) {
		return TALLY_EIO;
	}
	fprintf(f, "%s\n", url);
	if (http_url != NULL) {
		fprintf(f, "%s\n", http_url);
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		return TALLY_EIO;
	}
	return TALLY_OK;
}

/* The settings of the last reload, in use by the dashboard. */
static struct hub_reloaded hub_reloaded_now;

/* SIGHUP: reads the keys, targets and due dates again (reload.h); the
 * dashboard is started again on the same address with the new targets
 * and due dates. NNG's connections are not touched. */
static void
hub_reload(struct hub *hub, struct hub_http **http)
{
	struct hub_reloaded  r;
	struct hub_http_opts o         = hub->cfg->web;
	char                 addr[160] = "";

	tally_notify_reloading("reloading");
	if (hub->cfg->reload == NULL ||
	    hub_reload_run(hub->cfg->reload, hub->keys, &r) != TALLY_OK) {
		tally_notify_ready("reload failed: kept the settings it had");
		return;
	}
	if (*http != NULL) {
		hub_http_addr(*http, addr, sizeof(addr));
		o.addr = addr;
		hub_http_stop(*http);
		*http = NULL;
	}
	/* The dashboard, stopped, no longer reads the settings of the reload
	 * before; the new one reads them where they stay, never from r,
	 * which ends with this function. */
	hub_reload_settings_free(&hub_reloaded_now);
	hub_reloaded_now = r;
	if (addr[0] != '\0' &&
	    hub_http_start(hub_reloaded_now.cat, hub->cfg->db, &o,
	        &hub_reloaded_now.due, http) != TALLY_OK) {
		TALLY_LOG(TALLY_LOG_ERROR,
		    "reload: the dashboard did not start again on %s", addr);
	}
	TALLY_LOG(TALLY_LOG_INFO, "reloaded: keys, targets and due dates");
	tally_notify_ready("reloaded");
}

/* Waits for SIGINT or SIGTERM, reloading on each SIGHUP meanwhile. */
static int
hub_wait_signal(struct hub *hub, const sigset_t *sigs, struct hub_http **http)
{
	int sig;

	for (;;) {
		if (sigwait(sigs, &sig) != 0) {
			continue;
		}
		if (sig != SIGHUP) {
			return sig;
		}
		hub_reload(hub, http);
	}
}

int
hub_run(const struct tally_catalog *cat, const struct hub_config *cfg)
{
	struct hub                   hub;
	struct hub_http             *http  = NULL;
	struct hub_stopguard        *guard = NULL;
	const struct tally_division *d;
	sigset_t                     sigs;
	pthread_t                    writer;
	bool                         writer_started = false;
	char                         url[512];
	char                         http_url[128];
	int                          sig, rv;

	memset(&hub, 0, sizeof(hub));
	hub.cat  = cat;
	hub.cfg  = cfg;
	hub.nctx = cfg->contexts > 0 ? cfg->contexts : HUB_CONTEXTS_DEFAULT;
	hub.grp  = cfg->group;
	if (hub.grp != NULL &&
	    (cfg->region != NULL || cfg->parent != NULL ||
	        cfg->n_compare > 0)) {
		/* A group never adds into any total above it. */
		TALLY_LOG(TALLY_LOG_ERROR,
		    "a comparison hub has no region and no parent");
		return TALLY_ECONFIG;
	}
	snprintf(hub.region, sizeof(hub.region), "%s",
	    cfg->region != NULL ? cfg->region : "");
	d = hub.grp != NULL ? NULL : tally_catalog_division(cat, cfg->region);
	if (hub.grp == NULL && d == NULL) {
		TALLY_LOG(TALLY_LOG_ERROR, "unknown region %s", cfg->region);
		return TALLY_ECONFIG;
	}
	if (d != NULL && cfg->parent != NULL) {
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
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	rv = hub_keys_new(cfg->keys, &hub.keys);
	if (rv != TALLY_OK) {
		goto fail;
	}
	rv = open_or_create_store(&hub);
	if (rv == TALLY_OK) {
		rv = start_security(&hub);
	}
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
		rv = tally_nngerr(rv, "rep socket");
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
			rv = tally_nngerr(rv, "context");
			goto fail;
		}
	}
	rv = hub_listen_start(
	    hub.sock, cfg->listen, &cfg->tls, url, sizeof(url), &hub.listen);
	if (rv != TALLY_OK) {
		goto fail;
	}

	/* The uplinks first: the writer reads the list without a lock. */
	rv = start_uplinks(&hub);
	if (rv != TALLY_OK) {
		goto fail;
	}
	if (pthread_create(&writer, NULL, writer_main, &hub) != 0) {
		rv = TALLY_ENOMEM;
		goto fail;
	}
	writer_started = true;
	for (int i = 0; i < hub.nctx; i++) {
		hub.ctxs[i].state = HUB_CTX_RECV;
		nng_ctx_recv(hub.ctxs[i].ctx, hub.ctxs[i].aio);
	}
	TALLY_LOG(TALLY_LOG_INFO, "hub %s listening on %s%s%s (instance %s)",
	    hub.grp != NULL ? hub.grp->name : hub.region, url,
	    cfg->parent ? ", parent " : "", cfg->parent ? cfg->parent : "",
	    hub.instance);
	if (cfg->http != NULL) {
		/* The dashboard reads through its own connection on its own
		 * thread, and never touches the writer's. */
		struct hub_http_opts o = cfg->web;

		o.addr = cfg->http;
		rv     = hub_http_start(cat, cfg->db, &o, cfg->due, &http);
		if (rv != TALLY_OK) {
			goto fail;
		}
		hub_http_url(http, http_url, sizeof(http_url));
	}
	if (cfg->ready_file != NULL &&
	    write_ready_file(cfg->ready_file, url,
	        http != NULL ? http_url : NULL) != TALLY_OK) {
		TALLY_LOG(TALLY_LOG_ERROR, "cannot write %s", cfg->ready_file);
		rv = TALLY_EIO;
		goto fail;
	}

	if (hub_listen_watch(hub.listen) != TALLY_OK) {
		TALLY_LOG(TALLY_LOG_WARN,
		    "%s: cannot watch the listener (docs/limits.md)", url);
	}
	tally_notify_ready("hub %s serving on %s",
	    hub.grp != NULL ? hub.grp->name : hub.region, url);
	sig = hub_wait_signal(&hub, &sigs, &http);
	TALLY_LOG(TALLY_LOG_INFO, "signal %d: stopping", sig);
	tally_notify_stopping("stopping on signal %d", sig);
	rv = TALLY_OK;
fail:
	/* Without a guard (no memory for it) the stop is as before:
	 * unbounded. */
	if (hub_stopguard_start(HUB_STOP_DEADLINE_S, &guard) != TALLY_OK) {
		TALLY_LOG(TALLY_LOG_WARN, "the stop has no deadline");
	}
	/* Under the deadline: its connection may never finish closing
	 * (listen.h). */
	hub_listen_unwatch(hub.listen);
	pthread_mutex_lock(&hub.mtx);
	hub.stopping = true;
	pthread_cond_broadcast(&hub.work_cv);
	pthread_cond_broadcast(&hub.uplink_cv);
	pthread_mutex_unlock(&hub.mtx);
	/* The writer first, and its database closed, before any NNG socket
	 * is closed: closing one can hang in NNG (stopguard.h), and what
	 * is committed by then is all the hub ever acknowledged. The
	 * context callbacks never touch the writer's connection. */
	if (writer_started) {
		pthread_join(writer, NULL);
	}
	tally_store_close(hub.st);
	hub.st = NULL;
	hub_stopguard_db_closed(guard);
	hub_http_stop(http);
	/* Outside the lock: closing may wait for NNG's own threads, and the
	 * uplink threads need the lock to notice that the hub stops. */
	for (size_t i = 0; i < hub.nups; i++) {
		tally_uplink_abort(hub.ups[i].up);
	}
	for (size_t i = 0; i < hub.nups; i++) {
		if (hub.ups[i].started) {
			pthread_join(hub.ups[i].thread, NULL);
		}
		tally_uplink_free(hub.ups[i].up);
	}
	free(hub.ups);
	if (nng_socket_id(hub.sock) > 0) {
		nng_close(hub.sock);
	}
	hub_listen_free(hub.listen);
	for (int i = 0; hub.ctxs != NULL && i < hub.nctx; i++) {
		if (hub.ctxs[i].aio != NULL) {
			nng_aio_stop(hub.ctxs[i].aio);
			nng_aio_free(hub.ctxs[i].aio);
		}
		tally_submission_free(hub.ctxs[i].sub);
		ctx_drop(&hub.ctxs[i]);
	}
	free(hub.ctxs);
	while (hub.notes != NULL) {
		struct hub_note *next = hub.notes->next;

		free(hub.notes);
		hub.notes = next;
	}
	hub_stopguard_finish(guard);
	hub_keys_free(hub.keys);
	hub_reload_settings_free(&hub_reloaded_now);
	pthread_cond_destroy(&hub.work_cv);
	pthread_cond_destroy(&hub.uplink_cv);
	pthread_mutex_destroy(&hub.mtx);
	return rv;
}

/*
 * The uplink: how a region's snapshots reach its parent hub. Nodes
 * (`tally-node push` and `run`) and hubs (forwarding their own rollup) use
 * the same code.
 *
 * The outbox is the store itself: every snapshot whose version is above
 * what the parent acknowledged is pending. A batch is sent as one
 * submission over an NNG REQ socket; the hub answers only after it has
 * committed, and only then is the outbox entry cleared. A REQ socket
 * resends on its own, so a request may arrive twice; the hub's
 * highest-version rule makes that harmless. An acknowledgement carrying a
 * new hub instance id means the hub lost its data: every acknowledgement
 * is forgotten and everything is sent again.
 */
#ifndef TALLY_UPLINK_H
#define TALLY_UPLINK_H

#include "catalog.h"
#include "errors.h"
#include "sign.h"
#include "store.h"
#include "tlsconf.h"

#include <stdbool.h>
#include <stddef.h>

struct tally_uplink;

struct tally_uplink_stats {
	size_t batches;
	size_t accepted;
	size_t duplicate;
	size_t stale;
	size_t rejected;
	size_t held;    /* held by approval at the hub (approval.h) */
	size_t resends; /* full resends after a new hub instance id */
};

/* Creates an uplink named name (the outbox it uses) to the hub listening
 * at url, addressed as hub: the hub's region code, or the name of the
 * comparison group it serves. Dialling happens in the background and is
 * retried, so a hub that is down is not an error here. The caller frees
 * the uplink with tally_uplink_free. */
int tally_uplink_new(struct tally_uplink **out, const char *name,
    const char *url, const char *hub);

/* The same over TLS when url is tls+tcp:// (tlsconf.h; tls may be NULL
 * for another URL). *tls is copied; the file names it points to must
 * outlive the uplink. TALLY_ECONFIG, with the reason in eb, when the TLS
 * options do not fit the URL or cannot be loaded. */
int tally_uplink_new_tls(struct tally_uplink **out, const char *name,
    const char *url, const char *hub, const struct tally_tls *tls,
    struct tally_errbuf *eb);

void tally_uplink_free(struct tally_uplink *up);

/* Signs every envelope with signer's key from now on (NULL: unsigned).
 * The signer is borrowed and must outlive the uplink. */
void tally_uplink_set_signer(
    struct tally_uplink *up, const struct tally_signer *signer);

/* Whether the states held for the regions below the store's region are
 * forwarded too (the default), or only the region's own snapshots (for a
 * parent that compares regions and does not show what lies below them). */
void tally_uplink_set_with_below(struct tally_uplink *up, bool with_below);

/* Interrupts a push running on another thread (it returns TALLY_ECLOSED)
 * and makes every later push fail the same way. For a clean, quick stop. */
void tally_uplink_abort(struct tally_uplink *up);

/* Sends every pending snapshot of st and waits for the acknowledgements,
 * batch by batch, until nothing is pending. With nothing pending it still
 * makes one empty exchange, to learn whether the hub is new. Each exchange
 * must complete within timeout_ms, else TALLY_ETIMEDOUT; what was acknowledged
 * before stays acknowledged, the rest stays pending. TALLY_EPROTO when the hub
 * refused the submission as a whole (its reason is logged). Counts are
 * added to *stats, which may be NULL. */
int tally_uplink_push(struct tally_uplink *up, struct tally_store *st,
    int timeout_ms, struct tally_uplink_stats *stats);

#endif

/*
 * The hub's listener, kept accepting. NNG 1.5.2 stops accepting on a
 * listener for good once a peer leaves during the SP handshake in a
 * certain way (an ipc peer gone before the hub wrote its header: the
 * transport hands the listener NNG_ECLOSED, which it takes for its own
 * close; NNG issue 1518, fixed in 1.6.0). The connections already made
 * go on being served, and every new one is completed and then left
 * unanswered, so a child that pushes afresh is never heard again. A
 * county whose push gave up while its REQ socket was dialling again does
 * exactly that. The watcher of hub_listen_watch, once a second, sees such an
 * end through the listener's statistics and listens again on the same
 * address.
 */
#ifndef HUB_LISTEN_H
#define HUB_LISTEN_H

#include "errors.h"
#include "tlsconf.h"

#include <nng/nng.h>
#include <stddef.h>

struct hub_listen;

/* Listens on url for sock, with the TLS options tls when url is a TLS
 * URL, refusing any message over TALLY_WIRE_MSG_MAX before it is read.
 * bound receives the URL actually bound (a tcp port 0 resolved to the
 * kernel's choice), len bytes at most. Returns a Tally error code, logged;
 * on failure *out is untouched. The listener is closed with sock; the
 * caller frees *out with hub_listen_free after closing sock. */
int hub_listen_start(nng_socket sock, const char *url,
    const struct tally_tls *tls, char *bound, size_t len,
    struct hub_listen **out);

/* Starts a thread that looks at the listener every second and listens
 * again, on the bound URL, when it stopped taking connections: only when
 * its count of errors grew (a connection that ended, or a handshake that
 * failed) does it connect to the hub itself, and only when the listener
 * does not take that connection within 2 s is it closed and made again.
 * Closing it drops the connections it made; their REQ sockets dial again
 * and resend, which the version rule makes harmless. Only an ipc://
 * listener is watched (the fault was seen there alone; asking a TLS one
 * would take a client certificate). The main thread is never held up by
 * it, so that a signal is always seen. Returns a Tally error code. */
int hub_listen_watch(struct hub_listen *hl);

/* Ends the watcher and waits for it. Its connection to the hub may never
 * finish closing once NNG 1.5.2 has wedged (docs/limits.md), so it is
 * called under the stop's deadline (stopguard.h). */
void hub_listen_unwatch(struct hub_listen *hl);

/* Ends the watcher (hub_listen_unwatch) and frees hl (NULL is fine). */
void hub_listen_free(struct hub_listen *hl);

#endif

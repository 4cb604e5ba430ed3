/*
 * The hub's listener, kept accepting. NNG 1.5.2 stops accepting on a
 * listener for good once a peer leaves during the SP handshake in a
 * certain way (an ipc peer gone before the hub wrote its header: the
 * transport hands the listener NNG_ECLOSED, which it takes for its own
 * close; NNG issue 1518, fixed in 1.6.0). The connections already made
 * go on being served, and every new one is completed and then left
 * unanswered, so a child that pushes afresh is never heard again. A
 * county whose push gave up while its REQ socket was dialling again does
 * exactly that. hub_listen_check, run about once a second, sees such an
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

/* Listens again, on the bound URL, when the listener stopped taking
 * connections since the last check. Only when its count of errors grew
 * (a connection that ended, or a handshake that failed) does the hub
 * connect to itself, and only when the listener does not take that
 * connection within 2 s is it closed and made again. Closing it drops
 * the connections it made; their REQ sockets dial again and resend,
 * which the version rule makes harmless. A tls+tcp:// listener is not
 * watched: asking it would take a client certificate. Logs what it does;
 * blocks for up to 3 s. */
void hub_listen_check(struct hub_listen *hl);

/* Frees hl (NULL is fine). */
void hub_listen_free(struct hub_listen *hl);

#endif

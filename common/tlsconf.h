/*
 * TLS for the NNG transport (tls+tcp://, NNG over mbed TLS): the options a
 * hub's listener and a child's dialer take, applied to NNG objects. A hub
 * has a certificate and key signed by a CA its children trust; in
 * required mode it also asks every child for a certificate signed by a CA
 * it trusts (mutual TLS). NNG 1.5.2 cannot tell the hub which certificate
 * a peer presented, so TLS protects the channel and vouches for the hub,
 * and a child's identity comes from its signatures (sign.h).
 */
#ifndef TALLY_TLSCONF_H
#define TALLY_TLSCONF_H

#include "errors.h"

#include <nng/nng.h>
#include <stdbool.h>

struct tally_tls {
	/* PEM CA certificates: a dialer checks the hub's certificate
	 * against them; a listener checks children's (require_client). */
	const char *ca;
	/* This end's PEM certificate (chain) and private key; the key file
	 * is refused when the group or others may read it. */
	const char *cert;
	const char *key;
	/* Listener: refuse children without a valid certificate. */
	bool require_client;
	/* Dialer: the name the hub's certificate must carry; NULL: the
	 * host of the URL. */
	const char *server_name;
};

/* True for a tls+tcp:// URL. */
bool tally_tls_url(const char *url);

/* True when any option is set. */
bool tally_tls_any(const struct tally_tls *t);

/* Applies t to a listener or dialer created for url, before it starts.
 * A tls+tcp:// URL needs the options its side needs (a listener its
 * certificate and key, and a CA in required mode; a dialer a CA), and
 * options for another URL are refused: they would silently do nothing.
 * TALLY_ECONFIG with the reason in eb. */
int tally_tls_listener(nng_listener l, const char *url,
    const struct tally_tls *t, struct tally_errbuf *eb);
int tally_tls_dialer(nng_dialer d, const char *url, const struct tally_tls *t,
    struct tally_errbuf *eb);

#endif

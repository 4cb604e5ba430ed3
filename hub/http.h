/*
 * The hub's dashboard: a small read-only HTTP server (libmicrohttpd) that
 * serves the leadership page and the JSON API under /api/ that the page
 * itself uses (the contract is in docs/dashboard.md). It reads the hub's
 * database through a connection of its own on a single thread of its own, so
 * that it never touches, and never waits for, the writer that applies the
 * children's submissions: WAL lets it read beside that writer.
 */
#ifndef HUB_HTTP_H
#define HUB_HTTP_H

#include "catalog.h"
#include "target.h"

#include <stddef.h>
#include <stdint.h>

struct hub_http;

/* How the dashboard is served. */
struct hub_http_opts {
	/* "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:8080" (an address given
	 * explicitly is used as given), or ":8080" or "8080", which mean
	 * the loopback address. Port 0 lets the kernel choose one (see
	 * hub_http_url). */
	const char *addr;
	/* PEM certificate (chain) and key: serve HTTPS. NULL: plain HTTP. */
	const char *tls_cert, *tls_key;
	/* Sessions end after this many seconds without a request; 0: the
	 * default (session.h). */
	int64_t session_idle_s;
	/* The first wait after a failed login, in seconds; 0: 1 (throttle.h).
	 */
	int64_t login_delay_s;
};

/* Opens the database at db_path and starts serving as o says. due may be
 * NULL (the default due dates); cat and due must outlive the server.
 * TALLY_ECONFIG when the address is malformed or cannot be bound, or the
 * certificate or key cannot be read. The caller stops the server with
 * hub_http_stop. */
int hub_http_start(const struct tally_catalog *cat, const char *db_path,
    const struct hub_http_opts *o, const struct tally_due *due,
    struct hub_http **out);

/* The dashboard's URL, "http://127.0.0.1:8080/" (https:// with TLS): the
 * bound address, or the loopback address when the server listens on
 * every address. */
void hub_http_url(const struct hub_http *h, char *buf, size_t len);

/* Stops serving, waits for the server's thread and frees h; NULL is
 * accepted. */
void hub_http_stop(struct hub_http *h);

/* The bound ADDR:PORT, as hub_http_opts.addr takes it. */
void hub_http_addr(const struct hub_http *h, char *buf, size_t len);

#endif

/*
 * Logging in to the hub's web pages (docs/accounts.md): the gate every
 * request passes, and POST /api/login, POST /api/logout and GET
 * /api/session. With no account in the store the pages are open, as
 * before accounts existed, and every answer says so; once one exists,
 * every page and answer needs a session, and every state-changing request
 * (a POST) the session's CSRF token in the X-CSRF-Token header.
 */
#ifndef HUB_WEBAUTH_H
#define HUB_WEBAUTH_H

#include "catalog.h"
#include "session.h"
#include "store.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

struct hub_webauth;

struct hub_webauth_opts {
	int64_t idle_s;        /* inactivity limit; 0: the default */
	int64_t login_delay_s; /* the first wait after a failure; 0: 1 s */
	bool    tls;           /* cookies are Secure */
};

/* st and cat stay the caller's and must outlive the result; both are
 * used only on the server's thread. */
int  hub_webauth_new(const struct tally_catalog *cat, struct tally_store *st,
     const struct hub_webauth_opts *o, struct hub_webauth **out);
void hub_webauth_free(struct hub_webauth *wa);

/* Who is asking. */
struct hub_web_who {
	bool               open;  /* no accounts: no session needed */
	bool               known; /* s is a live session */
	struct hub_session s;
	char               address[64];
};

/* An answer: a status, a JSON document (or NULL for an empty body) and
 * the headers a login needs. */
struct hub_web_reply {
	unsigned int status;
	json_t      *doc;
	char         cookie[256];  /* Set-Cookie, "" for none */
	char         location[16]; /* a redirect's Location, "" for none */
	int64_t      retry_after;  /* seconds, 0 for none */
};

/* Decides whether a request of url may go on: true with *who set;
 * false with *r the answer (401, a redirect of a page to /login, or 403
 * for a POST without its CSRF token). page: url is an HTML page. */
bool hub_webauth_gate(struct hub_webauth *wa, struct MHD_Connection *conn,
    const char *url, bool page, bool post, struct hub_web_who *who,
    struct hub_web_reply *r);

/* Answers /api/login, /api/logout and /api/session into *r; false for
 * any other url. body is a POST's body (not NUL-terminated). */
bool hub_webauth_api(struct hub_webauth *wa, struct MHD_Connection *conn,
    const char *url, const char *body, size_t len,
    const struct hub_web_who *who, struct hub_web_reply *r);

/* Records an action of who in the access log. */
void hub_webauth_log(struct hub_webauth *wa, const struct hub_web_who *who,
    const char *action, const char *target, const char *outcome);

#endif

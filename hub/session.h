/*
 * The web pages' sessions (docs/accounts.md): a random 256-bit id in an
 * HttpOnly cookie, kept in the hub's store only as its BLAKE2b hash, so
 * that a copy of the database opens no session; each with its own CSRF
 * token, which every state-changing request must echo in a header. A
 * session ends on logout, after a configurable time without requests, and
 * at once when its account is disabled or its password changed.
 */
#ifndef HUB_SESSION_H
#define HUB_SESSION_H

#include "account.h"
#include "store.h"

#include <stdint.h>

/* The session cookie's name is this followed by the hub's region code
 * or group name: cookies do not tell ports apart, and two hubs on one
 * host would otherwise log each other's users out. */
#define HUB_SESSION_COOKIE "tally_session_"
/* 64 hex digits and the terminator: a session id and a CSRF token. */
#define HUB_SESSION_TOKEN_LEN 65
/* The default inactivity limit, in seconds. */
#define HUB_SESSION_IDLE_DEFAULT_S 900

struct hub_session {
	struct tally_account account;
	char                 csrf[HUB_SESSION_TOKEN_LEN];
};

/* Opens a session for name from address: *cookie is the id to send, *csrf
 * its token. Also forgets sessions idle for longer than idle_ms. */
int hub_session_open(struct tally_store *st, const char *name,
    const char *address, int64_t idle_ms, int64_t now_ms,
    char cookie[HUB_SESSION_TOKEN_LEN], char csrf[HUB_SESSION_TOKEN_LEN]);

/* The live session of cookie, its last use now: TALLY_ENOENT when there
 * is none, it was idle longer than idle_ms (it is then removed) or its
 * account is disabled. */
int hub_session_find(struct tally_store *st, const char *cookie,
    int64_t idle_ms, int64_t now_ms, struct hub_session *out);

/* Ends the session of cookie, if there is one. */
int hub_session_close(struct tally_store *st, const char *cookie);

#endif

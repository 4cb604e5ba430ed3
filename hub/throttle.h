/*
 * Failed logins slowed per account name and per client address
 * (docs/accounts.md). Nothing sleeps: a login tried too soon after a
 * failure is answered at once with 429 and Retry-After, so the server's
 * one thread is never held. After each failure of a name its next try
 * waits base, then 2 base, 4 base ... up to HUB_THROTTLE_MAX_S; an
 * address (which may be a whole office behind one NAT) is let off its
 * first HUB_THROTTLE_ADDR_FREE failures. A name's count ends on a
 * success; any count ends after HUB_THROTTLE_FORGET_S without failures.
 */
#ifndef HUB_THROTTLE_H
#define HUB_THROTTLE_H

#include <stdint.h>

#define HUB_THROTTLE_MAX_S          900
#define HUB_THROTTLE_FORGET_S       3600
#define HUB_THROTTLE_ADDR_FREE      5
#define HUB_THROTTLE_BASE_DEFAULT_S 1

struct hub_throttle;

/* base_s: the first wait, in seconds (1..HUB_THROTTLE_MAX_S). */
struct hub_throttle *hub_throttle_new(int64_t base_s);
void                 hub_throttle_free(struct hub_throttle *t);

/* How many ms a login of name from address must still wait; 0: now. */
int64_t hub_throttle_wait(const struct hub_throttle *t, const char *name,
    const char *address, int64_t now_ms);

void hub_throttle_failed(struct hub_throttle *t, const char *name,
    const char *address, int64_t now_ms);
void hub_throttle_succeeded(struct hub_throttle *t, const char *name);

#endif

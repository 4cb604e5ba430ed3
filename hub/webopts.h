/*
 * The dashboard's options of `tally-hub run` (docs/accounts.md): --https-cert
 * and --https-key, --session-idle and --login-delay, or their [hub] keys
 * https_cert, https_key, session_idle and login_delay.
 */
#ifndef HUB_WEBOPTS_H
#define HUB_WEBOPTS_H

#include "http.h"

struct hub_webopts_args {
	const char *http; /* --http, which the others go with */
	const char *https_cert, *https_key;
	const char *session_idle, *login_delay;
};

/* Checks a and sets web's TLS files, idle limit and login delay (addr is
 * left alone); a usage error's exit code otherwise. */
int hub_webopts_load(const char *prog, const struct hub_webopts_args *a,
    struct hub_http_opts *web);

#endif

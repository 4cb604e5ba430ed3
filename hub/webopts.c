/*
 * The dashboard's options of webopts.h.
 */
#include "webopts.h"

#include "cli.h"
#include "errors.h"
#include "text.h"
#include "throttle.h"

#include <stddef.h>
#include <stdint.h>
#include <sysexits.h>

/* A whole number of seconds in [lo, hi] for option opt. */
static int
parse_seconds(const char *prog, const char *opt, const char *s, int64_t lo,
    int64_t hi, int64_t *out)
{
	double d;

	if (s == NULL) {
		*out = 0;
		return EX_OK;
	}
	if (tally_parse_double(s, &d) != TALLY_OK || d < (double) lo ||
	    d > (double) hi || d != (double) (int64_t) d) {
		return tally_cli_complain(prog, EX_USAGE,
		    "run: --%s: '%s' is not a whole number of seconds from "
		    "%lld to %lld",
		    opt, s, (long long) lo, (long long) hi);
	}
	*out = (int64_t) d;
	return EX_OK;
}

int
hub_webopts_load(const char *prog, const struct hub_webopts_args *a,
    struct hub_http_opts *web)
{
	int ex;

	if ((a->https_cert != NULL || a->https_key != NULL) &&
	    a->http == NULL) {
		return tally_cli_usage(prog, "run",
		    "--https-cert and --https-key go with --http");
	}
	if ((a->https_cert == NULL) != (a->https_key == NULL)) {
		return tally_cli_usage(
		    prog, "run", "--https-cert and --https-key go together");
	}
	web->tls_cert = a->https_cert;
	web->tls_key  = a->https_key;
	ex = parse_seconds(prog, "session-idle", a->session_idle, 1, 86400,
	    &web->session_idle_s);
	if (ex == EX_OK) {
		ex = parse_seconds(prog, "login-delay", a->login_delay, 1,
		    HUB_THROTTLE_MAX_S, &web->login_delay_s);
	}
	return ex;
}

/*
 * The login of webauth.h.
 *
 * A failed login is answered with one message whatever failed (unknown
 * name, wrong password, disabled account) and after the same work, so
 * that names cannot be probed; it is logged (the log and the access log)
 * and counted by throttle.h, which answers a login tried too soon with
 * 429 and Retry-After instead of holding the server's thread.
 */
#include "webauth.h"

#include "accesslog.h"
#include "clock.h"
#include "errors.h"
#include "log.h"
#include "period.h"
#include "throttle.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct hub_webauth {
	const struct tally_catalog *cat;
	struct tally_store         *st;
	struct hub_throttle        *throttle;
	int64_t                     idle_ms;
	bool                        tls;
	/* HUB_SESSION_COOKIE and the hub's region or group. */
	char cookie_name[80];
};

int
hub_webauth_new(const struct tally_catalog *cat, struct tally_store *st,
    const struct hub_webauth_opts *o, struct hub_webauth **out)
{
	struct hub_webauth *wa;

	if (sodium_init() < 0) {
		return TALLY_EIO;
	}
	wa = calloc(1, sizeof(*wa));
	if (wa == NULL) {
		return TALLY_ENOMEM;
	}
	wa->cat = cat;
	wa->st  = st;
	wa->idle_ms =
	    (o->idle_s > 0 ? o->idle_s : HUB_SESSION_IDLE_DEFAULT_S) * 1000;
	wa->tls = o->tls;
	snprintf(wa->cookie_name, sizeof(wa->cookie_name), "%s%s",
	    HUB_SESSION_COOKIE,
	    tally_store_group(st) != NULL ? tally_store_group(st)
	                                  : tally_store_region(st));
	wa->throttle = hub_throttle_new(o->login_delay_s > 0
	        ? o->login_delay_s
	        : HUB_THROTTLE_BASE_DEFAULT_S);
	if (wa->throttle == NULL) {
		free(wa);
		return TALLY_ENOMEM;
	}
	*out = wa;
	return TALLY_OK;
}

void
hub_webauth_free(struct hub_webauth *wa)
{
	if (wa == NULL) {
		return;
	}
	hub_throttle_free(wa->throttle);
	free(wa);
}

static void
client_address(struct MHD_Connection *conn, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	snprintf(buf, len, "?");
	if (sa != NULL && sa->sa_family == AF_INET) {
		inet_ntop(AF_INET,
		    &((const struct sockaddr_in *) sa)->sin_addr, buf,
		    (socklen_t) len);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *) sa)->sin6_addr, buf,
		    (socklen_t) len);
	}
}

static void
set_error(struct hub_web_reply *r, unsigned int status, const char *msg)
{
	json_decref(r->doc);
	r->status = status;
	r->doc    = json_pack("{s:s}", "error", msg);
}

void
hub_webauth_log(struct hub_webauth *wa, const struct hub_web_who *who,
    const char *action, const char *target, const char *outcome)
{
	(void) hub_accesslog_add(wa->st, who->known ? who->s.account.name : "",
	    who->address, action, target, outcome);
}

bool
hub_webauth_gate(struct hub_webauth *wa, struct MHD_Connection *conn,
    const char *url, bool page, bool post, struct hub_web_who *who,
    struct hub_web_reply *r)
{
	const char *cookie, *token;
	bool        any = false;
	int         rv;

	memset(who, 0, sizeof(*who));
	client_address(conn, who->address, sizeof(who->address));
	rv = tally_account_any(wa->st, &any);
	if (rv != TALLY_OK) {
		set_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "cannot read the accounts");
		return false;
	}
	if (!any) {
		who->open = true;
		return true;
	}
	cookie = MHD_lookup_connection_value(
	    conn, MHD_COOKIE_KIND, wa->cookie_name);
	if (cookie != NULL) {
		rv         = hub_session_find(wa->st, cookie, wa->idle_ms,
		            (int64_t) tally_clock_now_ms(), &who->s);
		who->known = rv == TALLY_OK;
	}
	/* The login page and the login itself need no session. */
	if (strcmp(url, "/login") == 0 || strcmp(url, "/api/login") == 0) {
		return true;
	}
	if (!who->known) {
		if (page) {
			r->status = MHD_HTTP_SEE_OTHER;
			r->doc    = json_pack("{s:s}", "login", "/login");
			snprintf(r->location, sizeof(r->location), "/login");
		} else {
			set_error(r, MHD_HTTP_UNAUTHORIZED, "login required");
		}
		return false;
	}
	if (post) {
		token = MHD_lookup_connection_value(
		    conn, MHD_HEADER_KIND, "X-CSRF-Token");
		if (token == NULL || strlen(token) != strlen(who->s.csrf) ||
		    sodium_memcmp(token, who->s.csrf, strlen(token)) != 0) {
			hub_webauth_log(wa, who, "post", url, "no-csrf");
			TALLY_LOG(TALLY_LOG_WARN,
			    "http: %s from %s by %s without its CSRF token: "
			    "refused",
			    url, who->address, who->s.account.name);
			set_error(r, MHD_HTTP_FORBIDDEN,
			    "the request lacks the session's CSRF token");
			return false;
		}
	}
	return true;
}

/* What a session's answer says of it: never the cookie. */
static json_t *
session_json(const struct hub_webauth *wa, const struct hub_session *s)
{
	const struct tally_division *d =
	    tally_catalog_division(wa->cat, s->account.region);

	return json_pack("{s:b,s:s,s:s,s:s,s:s,s:s,s:I}", "accounts", 1,
	    "name", s->account.name, "region", s->account.region,
	    "region_name", d != NULL ? d->name : "", "role",
	    tally_role_name(s->account.role), "csrf", s->csrf, "idle_s",
	    (json_int_t) (wa->idle_ms / 1000));
}

static bool
is_json(struct MHD_Connection *conn)
{
	const char *type = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

	return type != NULL &&
	    strncmp(type, "application/json", strlen("application/json")) == 0;
}

/* The name a login gave, as logs and the access log may show it: at most
 * TALLY_ACCOUNT_NAME_MAX bytes, anything but a name's characters as '?',
 * so that no one can write a line of their own into a log by logging in. */
static void
safe_name(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0;
	     name[i] != '\0' && i < TALLY_ACCOUNT_NAME_MAX && i + 1 < len;
	     i++) {
		char one[2] = { name[i], '\0' };

		buf[i] = tally_account_name_valid(one) ? name[i] : '?';
	}
	buf[i] = '\0';
}

static void
login(struct hub_webauth *wa, struct MHD_Connection *conn, const char *body,
    size_t len, const struct hub_web_who *who, struct hub_web_reply *r)
{
	struct hub_web_who   in = *who;
	struct tally_account a;
	json_error_t         err;
	json_t              *req = NULL;
	const char          *raw = NULL, *pw = NULL;
	char                 name[TALLY_ACCOUNT_NAME_MAX + 1];
	char                 cookie[HUB_SESSION_TOKEN_LEN];
	int64_t              now = (int64_t) tally_clock_now_ms(), wait;
	int                  rv;

	if (!is_json(conn)) {
		set_error(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
		    "send the login as application/json");
		return;
	}
	req = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	if (json_unpack(req, "{s:s,s:s}", "name", &raw, "password", &pw) !=
	    0) {
		json_decref(req);
		set_error(r, MHD_HTTP_BAD_REQUEST,
		    "expected {\"name\": ..., \"password\": ...}");
		return;
	}
	/* Logged and counted as shown; checked as sent (an invalid name
	 * matches no account and fails as a wrong password does). */
	safe_name(raw, name, sizeof(name));
	wait = hub_throttle_wait(wa->throttle, name, who->address, now);
	if (wait > 0) {
		r->retry_after = (wait + 999) / 1000;
		(void) hub_accesslog_add(
		    wa->st, name, who->address, "login", "", "throttled");
		TALLY_LOG(TALLY_LOG_WARN,
		    "http: login of '%s' from %s too soon after a failure: "
		    "retry in %lld s",
		    name, who->address, (long long) r->retry_after);
		set_error(r, MHD_HTTP_TOO_MANY_REQUESTS,
		    "too many failed logins: try again later");
		json_decref(req);
		return;
	}
	rv = tally_account_login(wa->st, raw, pw, &a);
	if (rv != TALLY_OK) {
		hub_throttle_failed(wa->throttle, name, who->address, now);
		(void) hub_accesslog_add(
		    wa->st, name, who->address, "login", "", "failed");
		TALLY_LOG(TALLY_LOG_WARN, "http: failed login of '%s' from %s",
		    name, who->address);
		set_error(r, MHD_HTTP_UNAUTHORIZED, "wrong name or password");
		json_decref(req);
		return;
	}
	json_decref(req);
	hub_throttle_succeeded(wa->throttle, a.name);
	in.known     = true;
	in.s.account = a;
	rv           = hub_session_open(
	              wa->st, a.name, who->address, wa->idle_ms, now, cookie, in.s.csrf);
	if (rv != TALLY_OK) {
		set_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "cannot open a session now");
		return;
	}
	snprintf(r->cookie, sizeof(r->cookie),
	    "%s=%s; Path=/; HttpOnly; SameSite=Strict%s", wa->cookie_name,
	    cookie, wa->tls ? "; Secure" : "");
	sodium_memzero(cookie, sizeof(cookie));
	hub_webauth_log(wa, &in, "login", "", "ok");
	TALLY_LOG(TALLY_LOG_INFO, "http: %s logged in from %s", a.name,
	    who->address);
	r->status = MHD_HTTP_OK;
	r->doc    = session_json(wa, &in.s);
}

bool
hub_webauth_api(struct hub_webauth *wa, struct MHD_Connection *conn,
    const char *url, const char *body, size_t len,
    const struct hub_web_who *who, struct hub_web_reply *r)
{
	if (strcmp(url, "/api/session") == 0) {
		r->status = MHD_HTTP_OK;
		r->doc    = who->open ? json_pack("{s:b}", "accounts", 0)
		                      : session_json(wa, &who->s);
		return true;
	}
	if (strcmp(url, "/api/login") == 0) {
		if (who->open) {
			set_error(r, MHD_HTTP_CONFLICT,
			    "this hub has no accounts: its pages are open");
		} else {
			login(wa, conn, body, len, who, r);
		}
		return true;
	}
	if (strcmp(url, "/api/logout") == 0) {
		const char *cookie = MHD_lookup_connection_value(
		    conn, MHD_COOKIE_KIND, wa->cookie_name);

		if (who->open) {
			set_error(r, MHD_HTTP_CONFLICT,
			    "this hub has no accounts: its pages are open");
			return true;
		}
		(void) hub_session_close(wa->st, cookie);
		hub_webauth_log(wa, who, "logout", "", "ok");
		snprintf(r->cookie, sizeof(r->cookie),
		    "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
		    wa->cookie_name, wa->tls ? "; Secure" : "");
		r->status = MHD_HTTP_OK;
		r->doc    = json_pack("{s:b}", "logged_out", 1);
		return true;
	}
	return false;
}

/*
 * The dashboard server declared in http.h.
 *
 * libmicrohttpd runs one internal polling thread, which calls the request
 * handler for every connection in turn; that thread alone uses the
 * server's own SQLite connection, so no lock is needed and the hub's
 * writer is never waited for (WAL readers do not block the writer, nor it
 * them); only with accounts does it write, a few small rows (a login, a
 * session's last use at most every few seconds, the access log), each
 * waiting at most the busy timeout for the writer. Connections are capped and
 * time out, so that a slow or hostile client cannot hold the server. Only GET
 * and HEAD are served, and POST for the login and the logout (webauth.h),
 * which also decides who may ask at all; what a logged-in user may read is
 * access.h's. Every query parameter is checked here before the report code
 * sees it, and answered with 400 and a one-line reason when it is wrong. The
 * JSON documents themselves are built by report.c.
 *
 * The downloads (/api/report.csv, /api/report.xlsx, /api/brief.pdf) take
 * the same parameters and are rendered from the same documents; the CSV
 * starts with a UTF-8 byte order mark, without which Excel on Chinese
 * Windows reads UTF-8 as GBK.
 *
 * A comparison hub's database is a region group's (compare.h): then the
 * server serves the comparison page instead, with /api/meta describing
 * the group and /api/compare, and the region endpoints answer 404.
 */
#include "http.h"

#include "access.h"
#include "asof.h"
#include "brief.h"
#include "clock.h"
#include "compress.h"
#include "httpaddr.h"
#include "pem.h"
#include "compare.h"
#include "errors.h"
#include "log.h"
#include "report.h"
#include "report_print.h"
#include "store.h"
#include "text.h"
#include "webauth.h"
#include "xlsx.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The page, generated from dashboard.html at build time by embed.cmake, so
 * that the binary serves it without any file beside it. */
extern const unsigned char hub_dashboard_html[];
extern const size_t        hub_dashboard_html_len;
/* The comparison page, from compare.html the same way. */
extern const unsigned char hub_compare_html[];
extern const size_t        hub_compare_html_len;
/* The login page (webauth.h), from login.html the same way. */
extern const unsigned char hub_login_html[];
extern const size_t        hub_login_html_len;

/* Connections served at once; more wait in the kernel's backlog. */
#define HUB_HTTP_CONN_MAX 32
/* Seconds of silence after which a connection is closed. */
#define HUB_HTTP_TIMEOUT_S 15
/* Renderings of /api/report kept at once (distinct queries: a leader's
 * page asks for a few). Each is the encoded reply, up to a few MB. */
#define HUB_HTTP_CACHE_MAX 4
/* Query parameters a request may carry; no endpoint takes more than 4. */
#define HUB_HTTP_PARAMS_MAX 8
/* The largest body a POST may carry (a login is a few dozen bytes). */
#define HUB_HTTP_BODY_MAX 4096
/* How much of a bad parameter an error message quotes. */
#define HUB_HTTP_QUOTE_MAX 40

/* The page may run its own inline script and style and fetch from this
 * server, and nothing else: no other origin, no frames, no forms. */
#define HUB_HTTP_PAGE_CSP                                                \
	"default-src 'none'; script-src 'unsafe-inline'; "               \
	"style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' " \
	"data:; base-uri 'none'; form-action 'none'; frame-ancestors "   \
	"'none'"
#define HUB_HTTP_API_CSP "default-src 'none'; frame-ancestors 'none'"

/* One rendering of /api/report: the reply to one query while the
 * database is at data_version and the time has not passed until_ms (the
 * next due date of a figure shown, when "overdue" may flip). The response
 * is libmicrohttpd's, reference counted: queued to many connections, it
 * lives until the last has sent it, even after it leaves the cache. */
struct http_cached {
	char                 key[96];
	uint64_t             data_version;
	int64_t              until_ms;
	uint64_t             used; /* for least-recently-used eviction */
	struct MHD_Response *resp;
};

struct hub_http {
	const struct tally_catalog *cat;
	const struct tally_due     *due;
	struct tally_store         *st; /* used only on the server's thread */
	bool                        group; /* a comparison hub's database */
	struct MHD_Daemon          *d;
	int                         port;
	char                        url[INET6_ADDRSTRLEN + 16];
	/* Used only on the server's thread, as st. */
	struct http_cached  cache[HUB_HTTP_CACHE_MAX];
	uint64_t            cache_tick;
	struct hub_webauth *wa;
	/* The catalogue's names, for access.h's check of every answer. */
	struct hub_access_names *names;
	bool                     tls;
	/* Who asks, during a request (the server's thread only). */
	const struct hub_web_who *who;
	/* The certificate and key of --https, in memory for libmicrohttpd. */
	char *tls_cert, *tls_key;
};

/* One request, from its headers to its end: a POST's body is gathered
 * here (at most HUB_HTTP_BODY_MAX bytes). */
struct http_request {
	char  *body;
	size_t len;
	bool   too_big;
};

struct http_param {
	const char *name;
	const char *value;
};

/* A request's query parameters, as libmicrohttpd decoded them. */
struct http_query {
	struct http_param p[HUB_HTTP_PARAMS_MAX];
	int               n;
	bool              too_many;
	const char       *duplicate; /* a name given twice */
};

/* What one request is answered with. */
struct http_reply {
	unsigned int status;
	json_t      *doc;
};

/* libmicrohttpd's own messages, through Tally's log. */
__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char   buf[256];
	size_t n;

	(void) cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
		buf[--n] = '\0';
	}
	TALLY_LOG(TALLY_LOG_WARN, "http: %s", buf);
}

/* Copies at most HUB_HTTP_QUOTE_MAX bytes of s into buf, with anything
 * but printable ASCII replaced by '?', so that an error message quoting a
 * client's input is one line of valid UTF-8 whatever the client sent. */
static const char *
quote(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < HUB_HTTP_QUOTE_MAX && i + 1 < len;
	     i++) {
		unsigned char c = (unsigned char) s[i];

		buf[i] = c >= 0x20 && c < 0x7f ? (char) c : '?';
	}
	buf[i] = '\0';
	return buf;
}

/* Sets the reply to an error: status and {"error": "..."}. Returns false,
 * so that parameter checks can `return fail(...)`. */
__attribute__((format(printf, 3, 4))) static bool
fail(struct http_reply *r, unsigned int status, const char *fmt, ...)
{
	char    msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_decref(r->doc);
	r->status = status;
	r->doc    = json_pack("{s:s}", "error", msg);
	return false;
}

/* The region a logged-in user sees, or NULL when the pages are open (no
 * accounts) and everything the hub holds is shown. */
static const char *
scope_of(const struct hub_http *h)
{
	return h->who != NULL && h->who->known && !h->who->open
	    ? h->who->s.account.region
	    : NULL;
}

/* Turns what a report function returned into the reply: for a scoped
 * user, the document as access.h lets them read it. */
static void
reply_from(struct http_reply *r, int rv, json_t *doc, const char *region,
    const struct hub_http *h)
{
	if (rv == TALLY_OK && scope_of(h) != NULL) {
		rv = hub_access_filter(h->cat, h->names, scope_of(h), doc);
	}
	if (rv == TALLY_OK) {
		r->status = MHD_HTTP_OK;
		r->doc    = doc;
		return;
	}
	json_decref(doc);
	if (rv == TALLY_EDATA && scope_of(h) != NULL) {
		(void) fail(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the answer was withheld: it would show more than your "
		    "scope");
	} else if (rv == TALLY_ENOENT && scope_of(h) != NULL) {
		/* Not naming the hub: it may lie above the user's scope. */
		(void) fail(r, MHD_HTTP_NOT_FOUND,
		    "region %s is not held here",
		    region != NULL ? region : scope_of(h));
	} else if (rv == TALLY_ENOENT) {
		(void) fail(r, MHD_HTTP_NOT_FOUND,
		    "region %s is not held by hub %s",
		    region != NULL ? region : tally_store_region(h->st),
		    tally_store_region(h->st));
	} else if (rv == TALLY_EINVAL) {
		(void) fail(r, MHD_HTTP_BAD_REQUEST, "invalid request");
	} else {
		TALLY_LOG(TALLY_LOG_ERROR,
		    "http: cannot read the database: %s", tally_strerror(rv));
		(void) fail(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "cannot read the database: %s", tally_strerror(rv));
	}
}

static enum MHD_Result
collect_param(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct http_query *q = cls;

	(void) kind;
	for (int i = 0; i < q->n; i++) {
		if (strcmp(q->p[i].name, key) == 0) {
			q->duplicate = q->p[i].name;
			return MHD_YES;
		}
	}
	if (q->n == HUB_HTTP_PARAMS_MAX) {
		q->too_many = true;
		return MHD_NO;
	}
	q->p[q->n].name  = key;
	q->p[q->n].value = value != NULL ? value : "";
	q->n++;
	return MHD_YES;
}

static const char *
param(const struct http_query *q, const char *name)
{
	for (int i = 0; i < q->n; i++) {
		if (strcmp(q->p[i].name, name) == 0) {
			return q->p[i].value;
		}
	}
	return NULL;
}

/* Refuses a query with a parameter the endpoint does not take (a typo
 * must not be silently ignored), or one given twice. allowed ends with
 * NULL. */
static bool
check_names(struct http_reply *r, const struct http_query *q,
    const char *const *allowed)
{
	char buf[HUB_HTTP_QUOTE_MAX + 1];

	if (q->too_many) {
		return fail(r, MHD_HTTP_BAD_REQUEST, "too many parameters");
	}
	if (q->duplicate != NULL) {
		return fail(r, MHD_HTTP_BAD_REQUEST,
		    "parameter '%s' given more than once",
		    quote(q->duplicate, buf, sizeof(buf)));
	}
	for (int i = 0; i < q->n; i++) {
		bool known = false;

		for (int k = 0; allowed[k] != NULL; k++) {
			known = known || strcmp(q->p[i].name, allowed[k]) == 0;
		}
		if (!known) {
			return fail(r, MHD_HTTP_BAD_REQUEST,
			    "unknown parameter '%s'",
			    quote(q->p[i].name, buf, sizeof(buf)));
		}
	}
	return true;
}

static bool
get_period(
    struct http_reply *r, const struct http_query *q, struct tally_period *out)
{
	const char *s = param(q, "period");
	char        buf[HUB_HTTP_QUOTE_MAX + 1];

	if (tally_text_empty(s)) {
		return fail(r, MHD_HTTP_BAD_REQUEST, "period is required");
	}
	if (tally_period_parse(s, out) != TALLY_OK) {
		return fail(r, MHD_HTTP_BAD_REQUEST,
		    "period '%s' is not a valid period (YYYY, YYYYQn or "
		    "YYYY-MM)",
		    quote(s, buf, sizeof(buf)));
	}
	return true;
}

/* region: NULL when absent (the hub's region). Whether the hub holds it
 * is for the report code to say (404). */
static bool
get_region(struct http_reply *r, const struct http_query *q,
    const struct hub_http *h, const char **out)
{
	const char *s = param(q, "region");
	char        buf[HUB_HTTP_QUOTE_MAX + 1];

	/* A scoped user's pages start at their region. */
	*out = scope_of(h);
	if (s == NULL) {
		return true;
	}
	if (!tally_region_code_valid(s)) {
		return fail(r, MHD_HTTP_BAD_REQUEST,
		    "region '%s' is not a 6-digit region code",
		    quote(s, buf, sizeof(buf)));
	}
	if (tally_catalog_division(h->cat, s) == NULL) {
		return fail(r, MHD_HTTP_BAD_REQUEST, "unknown region %s", s);
	}
	if (scope_of(h) != NULL &&
	    !hub_access_in_scope(h->cat, scope_of(h), s)) {
		hub_webauth_log(h->wa, h->who, "read", s, "forbidden");
		return fail(r, MHD_HTTP_FORBIDDEN,
		    "region %s is outside your scope", s);
	}
	*out = s;
	return true;
}

static bool
get_indicator(struct http_reply *r, const struct http_query *q,
    const struct hub_http *h, bool required,
    const struct tally_indicator **out)
{
	const char *s = param(q, "indicator");
	char        buf[HUB_HTTP_QUOTE_MAX + 1];

	*out = NULL;
	if (s == NULL && !required) {
		return true;
	}
	if (tally_text_empty(s)) {
		return fail(r, MHD_HTTP_BAD_REQUEST, "indicator is required");
	}
	*out = tally_catalog_indicator(h->cat, s);
	if (*out == NULL) {
		return fail(r, MHD_HTTP_BAD_REQUEST, "unknown indicator '%s'",
		    quote(s, buf, sizeof(buf)));
	}
	return true;
}

/* depth: a whole number from -1 (everything held) to 3, 1 by default. */
static bool
get_depth(struct http_reply *r, const struct http_query *q, int *out)
{
	const char *s = param(q, "depth");
	const char *digits;
	char        buf[HUB_HTTP_QUOTE_MAX + 1];

	*out = 1;
	if (s == NULL) {
		return true;
	}
	digits = s[0] == '-' ? s + 1 : s;
	if (strlen(digits) != 1 || digits[0] < '0' || digits[0] > '9' ||
	    (s[0] == '-' && digits[0] != '1') || digits[0] > '3') {
		return fail(r, MHD_HTTP_BAD_REQUEST,
		    "depth '%s' must be a whole number from -1 to 3",
		    quote(s, buf, sizeof(buf)));
	}
	*out = s[0] == '-' ? -1 : digits[0] - '0';
	return true;
}

/* as_of: the time of `report --as-of` (asof.h); absent: now. A '+' of
 * an offset must be sent as %2B, since a query decodes '+' to a blank. */
static bool
get_as_of(struct http_reply *r, const struct http_query *q, int64_t *out)
{
	const char *s = param(q, "as_of");
	char        buf[HUB_HTTP_QUOTE_MAX + 1];

	*out = 0;
	if (s == NULL) {
		return true;
	}
	if (tally_asof_parse(s, out) != TALLY_OK || *out <= 0) {
		*out = 0;
		return fail(r, MHD_HTTP_BAD_REQUEST,
		    "as_of '%s' must be YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] "
		    "(China Standard Time unless it ends in Z or +HH:MM)",
		    quote(s, buf, sizeof(buf)));
	}
	return true;
}

/* An as_of before the history was pruned cannot be shown. */
static bool
as_of_held(struct http_reply *r, const struct hub_http *h, int64_t as_of_ms)
{
	char    text[TALLY_ASOF_STRLEN];
	int64_t from = 0;

	if (as_of_ms <= 0) {
		return true;
	}
	if (tally_store_history_from(h->st, &from) != TALLY_OK) {
		return fail(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "cannot read the database");
	}
	if (as_of_ms < from) {
		tally_asof_format(from, text, sizeof(text));
		return fail(r, MHD_HTTP_BAD_REQUEST,
		    "the history before %s was pruned", text);
	}
	return true;
}

static bool
get_grain(struct http_reply *r, const struct http_query *q, int *out)
{
	static const char *names[] = { "year", "quarter", "month" };
	static const int   kinds[] = { TALLY_PERIOD_YEAR, TALLY_PERIOD_QUARTER,
		  TALLY_PERIOD_MONTH };
	const char        *s       = param(q, "grain");
	char               buf[HUB_HTTP_QUOTE_MAX + 1];

	*out = TALLY_PERIOD_YEAR;
	if (s == NULL) {
		return true;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = kinds[i];
			return true;
		}
	}
	return fail(r, MHD_HTTP_BAD_REQUEST,
	    "grain '%s' must be year, quarter or month",
	    quote(s, buf, sizeof(buf)));
}

static void
api_meta(struct hub_http *h, const struct http_query *q, struct http_reply *r)
{
	static const char *const allowed[] = { NULL };
	json_t                  *doc       = NULL;
	int                      rv;

	if (!check_names(r, q, allowed)) {
		return;
	}
	rv = hub_meta_json(h->cat, h->st, &doc);
	reply_from(r, rv, doc, NULL, h);
}

/* The options of GET /api/report, or false with r set to the 400. */
static bool
report_query(struct hub_http *h, const struct http_query *q,
    struct http_reply *r, struct hub_report_opts *o)
{
	static const char *const allowed[] = { "period", "region", "depth",
		"indicator", "as_of", NULL };

	memset(o, 0, sizeof(*o));
	o->format = TALLY_FORMAT_JSON;
	o->due    = h->due;
	return check_names(r, q, allowed) && get_period(r, q, &o->period) &&
	    get_region(r, q, h, &o->region) &&
	    get_indicator(r, q, h, false, &o->ind) &&
	    get_depth(r, q, &o->depth) && get_as_of(r, q, &o->as_of_ms) &&
	    as_of_held(r, h, o->as_of_ms);
}

static void
api_explain(
    struct hub_http *h, const struct http_query *q, struct http_reply *r)
{
	static const char *const allowed[] = { "period", "region", "indicator",
		"as_of", NULL };
	struct hub_report_opts   o;
	json_t                  *doc = NULL;
	int                      rv;

	memset(&o, 0, sizeof(o));
	o.format  = TALLY_FORMAT_JSON;
	o.due     = h->due;
	o.depth   = 1;
	o.explain = true;
	if (!check_names(r, q, allowed) || !get_period(r, q, &o.period) ||
	    !get_region(r, q, h, &o.region) ||
	    !get_indicator(r, q, h, true, &o.ind) ||
	    !get_as_of(r, q, &o.as_of_ms) || !as_of_held(r, h, o.as_of_ms)) {
		return;
	}
	rv = hub_explain_json(h->cat, h->st, &o, &doc);
	reply_from(r, rv, doc, o.region, h);
}

static void
api_trend(struct hub_http *h, const struct http_query *q, struct http_reply *r)
{
	static const char *const allowed[] = { "region", "indicator", "grain",
		NULL };
	const char              *region;
	const struct tally_indicator *ind;
	json_t                       *doc = NULL;
	int                           kind, rv;

	if (!check_names(r, q, allowed) || !get_region(r, q, h, &region) ||
	    !get_indicator(r, q, h, true, &ind) || !get_grain(r, q, &kind)) {
		return;
	}
	if (region == NULL) {
		region = tally_store_region(h->st);
	}
	rv = hub_trend_json(h->cat, h->st, region, ind, kind, h->due, &doc);
	reply_from(r, rv, doc, region, h);
}

/* GET /api/compare?period=P[&indicator=ID][&latest=0|1]: the comparison
 * of compare.h. The period may be left out only with latest=1. */
static void
api_compare(
    struct hub_http *h, const struct http_query *q, struct http_reply *r)
{
	static const char *const allowed[] = { "period", "indicator", "latest",
		NULL };
	struct hub_compare_opts  o;
	const char              *latest = param(q, "latest");
	json_t                  *doc    = NULL;
	char                     buf[HUB_HTTP_QUOTE_MAX + 1];
	int                      rv;

	memset(&o, 0, sizeof(o));
	o.format = TALLY_FORMAT_JSON;
	if (!check_names(r, q, allowed) ||
	    !get_indicator(r, q, h, false, &o.ind)) {
		return;
	}
	if (latest != NULL && strcmp(latest, "0") != 0 &&
	    strcmp(latest, "1") != 0) {
		(void) fail(r, MHD_HTTP_BAD_REQUEST,
		    "latest '%s' must be 0 or 1",
		    quote(latest, buf, sizeof(buf)));
		return;
	}
	o.latest = latest != NULL && strcmp(latest, "1") == 0;
	if (param(q, "period") != NULL || !o.latest) {
		if (!get_period(r, q, &o.period)) {
			return;
		}
		o.has_period = true;
	}
	rv = hub_compare_json(h->cat, h->st, &o, &doc);
	reply_from(r, rv, doc, NULL, h);
}

static void
api_compare_meta(
    struct hub_http *h, const struct http_query *q, struct http_reply *r)
{
	static const char *const allowed[] = { NULL };
	json_t                  *doc       = NULL;
	int                      rv;

	if (!check_names(r, q, allowed)) {
		return;
	}
	rv = hub_compare_meta_json(h->cat, h->st, &doc);
	reply_from(r, rv, doc, NULL, h);
}

/* The API of a comparison hub: the group's meta and the comparison; the
 * region endpoints have nothing to show here. */
static void
route_group(struct hub_http *h, const char *url, const struct http_query *q,
    struct http_reply *r)
{
	char buf[HUB_HTTP_QUOTE_MAX + 1];

	if (scope_of(h) != NULL &&
	    !hub_access_group(
	        h->cat, scope_of(h), tally_store_group_members(h->st))) {
		(void) fail(r, MHD_HTTP_FORBIDDEN,
		    "this comparison is outside your scope");
	} else if (strcmp(url, "/api/meta") == 0) {
		api_compare_meta(h, q, r);
	} else if (strcmp(url, "/api/compare") == 0) {
		api_compare(h, q, r);
	} else if (strncmp(url, "/api/report", 11) == 0 ||
	    strcmp(url, "/api/brief.pdf") == 0 ||
	    strcmp(url, "/api/explain") == 0 ||
	    strcmp(url, "/api/trend") == 0) {
		(void) fail(r, MHD_HTTP_NOT_FOUND,
		    "this hub compares group %s: see /api/compare",
		    tally_store_group(h->st));
	} else {
		(void) fail(r, MHD_HTTP_NOT_FOUND, "no such path: %s",
		    quote(url, buf, sizeof(buf)));
	}
}

/* Headers every answer carries, and the page's or the API's own. */
static bool
add_headers(struct MHD_Response *resp, bool page)
{
	bool ok = MHD_add_response_header(
	              resp, "X-Content-Type-Options", "nosniff") == MHD_YES &&
	    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") ==
	        MHD_YES &&
	    MHD_add_response_header(resp, "X-Frame-Options", "DENY") ==
	        MHD_YES;

	if (page) {
		return ok &&
		    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		        "text/html; charset=utf-8") == MHD_YES &&
		    MHD_add_response_header(resp, "Content-Security-Policy",
		        HUB_HTTP_PAGE_CSP) == MHD_YES &&
		    MHD_add_response_header(resp,
		        MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache") == MHD_YES;
	}
	return ok &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	        "application/json; charset=utf-8") == MHD_YES &&
	    MHD_add_response_header(resp, "Content-Security-Policy",
	        HUB_HTTP_API_CSP) == MHD_YES &&
	    MHD_add_response_header(
	        resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_YES;
}

/* Queues resp (or, when it could not be made, closes the connection) and
 * releases it. */
static enum MHD_Result
queue(struct MHD_Connection *conn, unsigned int status,
    struct MHD_Response *resp)
{
	enum MHD_Result rv;

	if (resp == NULL) {
		TALLY_LOG(TALLY_LOG_ERROR, "http: cannot build a response");
		return MHD_NO;
	}
	rv = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rv;
}

/* The response for r's document (or, if it cannot be encoded, a 500),
 * which it frees, gzip-compressed when gzip is set (compress.h); NULL
 * when no response could be made. */
static struct MHD_Response *
json_response(struct http_reply *r, bool allow, bool gzip)
{
	struct MHD_Response *resp = NULL;
	char                *text = NULL;

	if (r->doc != NULL) {
		text = json_dumps(r->doc, JSON_COMPACT);
	}
	json_decref(r->doc);
	r->doc = NULL;
	if (text == NULL) {
		static const char oom[] = "{\"error\":\"out of memory\"}";

		TALLY_LOG(TALLY_LOG_ERROR, "http: cannot encode a response");
		r->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		resp      = MHD_create_response_from_buffer(
		         sizeof(oom) - 1, (void *) oom, MHD_RESPMEM_PERSISTENT);
	} else {
		resp = hub_compress_response(text, strlen(text), gzip);
	}
	if (resp != NULL &&
	    (!add_headers(resp, false) ||
	        (allow &&
	            MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
	                "GET, HEAD") != MHD_YES))) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	return resp;
}

/* Sends r's document (or, if it cannot be encoded, a 500) and frees it. */
static enum MHD_Result
send_json(struct MHD_Connection *conn, struct http_reply *r, bool allow)
{
	struct MHD_Response *resp =
	    json_response(r, allow, hub_compress_wanted(conn));

	return queue(conn, r->status, resp);
}

/* What identifies a report answer: every option the request can set,
 * the scope it is shown for (access.h) and whether it is compressed. */
static void
report_key(const struct hub_http *h, const struct hub_report_opts *o, bool gz,
    char *buf, size_t len)
{
	char period[TALLY_PERIOD_STRLEN];

	tally_period_format(&o->period, period);
	snprintf(buf, len, "%s|%s|%s|%d|%lld|%s|%d", period,
	    o->region != NULL ? o->region : "",
	    o->ind != NULL ? o->ind->id : "", o->depth,
	    (long long) o->as_of_ms, scope_of(h) != NULL ? scope_of(h) : "",
	    gz);
}

/* The time until which a report of o rendered at now_ms stays exact with
 * unchanged data: the earliest due date, at or after now_ms, of the
 * figures it may show; past it, one of them may turn overdue. */
static int64_t
report_until(
    const struct hub_http *h, const struct hub_report_opts *o, int64_t now_ms)
{
	struct tally_due        def;
	const struct tally_due *due   = h->due;
	int64_t                 until = INT64_MAX;

	tally_due_init(&def);
	if (due == NULL) {
		due = &def;
	}
	for (size_t k = 0; k < h->cat->n_indicators; k++) {
		const struct tally_indicator *ind = &h->cat->indicators[k];
		int64_t                       due_ms;

		if (o->ind != NULL && ind != o->ind) {
			continue;
		}
		due_ms = tally_target_due_ms(
		    &o->period, tally_due_days(due, h->cat, ind));
		if (due_ms >= now_ms && due_ms < until) {
			until = due_ms;
		}
	}
	tally_due_fini(&def);
	return until;
}

static void
cache_clear(struct hub_http *h)
{
	for (size_t i = 0; i < HUB_HTTP_CACHE_MAX; i++) {
		if (h->cache[i].resp != NULL) {
			MHD_destroy_response(h->cache[i].resp);
		}
		memset(&h->cache[i], 0, sizeof(h->cache[i]));
	}
}

/* GET /api/report. Rendering a province's report to depth 2 takes tens
 * of milliseconds (most of it building and encoding megabytes of JSON),
 * and a leader's page asks for the same one again and again while the
 * figures do not move: so the encoded reply is kept, and served again as
 * long as the database's data_version (which every commit of the hub's
 * writer changes) and the due dates shown say it is still exact. */
static enum MHD_Result
send_report(struct hub_http *h, struct MHD_Connection *conn,
    const struct http_query *q)
{
	struct http_reply      r    = { 0, NULL };
	struct http_cached    *slot = NULL;
	struct MHD_Response   *resp;
	struct hub_report_opts o;
	json_t                *doc = NULL;
	char                   key[sizeof(slot->key)];
	uint64_t               dv   = 0;
	bool                   have = false, gz;
	int64_t                now;
	int                    rv;

	if (!report_query(h, q, &r, &o)) {
		return send_json(conn, &r, false);
	}
	now = (int64_t) tally_clock_now_ms();
	gz  = hub_compress_wanted(conn);
	report_key(h, &o, gz, key, sizeof(key));
	have = tally_store_data_version(h->st, &dv) == TALLY_OK;
	for (size_t i = 0; have && i < HUB_HTTP_CACHE_MAX; i++) {
		struct http_cached *c = &h->cache[i];

		if (c->resp != NULL && c->data_version == dv &&
		    now <= c->until_ms && strcmp(c->key, key) == 0) {
			c->used = ++h->cache_tick;
			return MHD_queue_response(conn, MHD_HTTP_OK, c->resp);
		}
	}
	/* Rendered for this very time, so that report_until holds for it. */
	o.now_ms = now;
	rv       = hub_report_json(h->cat, h->st, &o, &doc);
	reply_from(&r, rv, doc, o.region, h);
	resp = json_response(&r, false, gz);
	if (resp == NULL || r.status != MHD_HTTP_OK || !have) {
		return queue(conn, r.status, resp);
	}
	/* The same query's older rendering, else a free slot, else the
	 * least recently used. */
	for (size_t i = 0; i < HUB_HTTP_CACHE_MAX; i++) {
		struct http_cached *c = &h->cache[i];

		if (c->resp != NULL && strcmp(c->key, key) == 0) {
			slot = c;
			break;
		}
		if (slot == NULL ||
		    (slot->resp != NULL &&
		        (c->resp == NULL || c->used < slot->used))) {
			slot = c;
		}
	}
	if (slot->resp != NULL) {
		MHD_destroy_response(slot->resp);
	}
	snprintf(slot->key, sizeof(slot->key), "%s", key);
	slot->data_version = dv;
	slot->until_ms     = report_until(h, &o, now);
	slot->used         = ++h->cache_tick;
	slot->resp         = resp;
	return MHD_queue_response(conn, MHD_HTTP_OK, resp);
}

/* --- Downloads ---------------------------------------------------- */

/* A file to download: data (freed here), its type and its name. */
static enum MHD_Result
send_file(struct MHD_Connection *conn, unsigned char *data, size_t len,
    const char *type, const char *name)
{
	struct MHD_Response *resp;
	char                 disp[160];

	resp = MHD_create_response_from_buffer_with_free_callback(
	    len, data, free);
	if (resp == NULL) {
		free(data);
		return queue(conn, MHD_HTTP_OK, NULL);
	}
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", name);
	if (!add_headers(resp, false) ||
	    MHD_del_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	        "application/json; charset=utf-8") != MHD_YES ||
	    MHD_add_response_header(
	        resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
	    MHD_add_response_header(resp, "Content-Disposition", disp) !=
	        MHD_YES) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	return queue(conn, MHD_HTTP_OK, resp);
}

/* The name of a download: tally-REGION-PERIOD.EXT. */
static void
file_name(const struct hub_http *h, const char *region,
    const struct tally_period *p, const char *ext, char *buf, size_t len)
{
	char period[TALLY_PERIOD_STRLEN];

	tally_period_format(p, period);
	snprintf(buf, len, "tally-%s-%s.%s",
	    region != NULL ? region : tally_store_region(h->st), period, ext);
}

/* Who issues a download: this hub, or for a scoped user their region
 * (the hub above it is outside their scope; access.h). */
static void
issuer(const struct hub_http *h, struct hub_issuer *who)
{
	const char *code =
	    scope_of(h) != NULL ? scope_of(h) : tally_store_region(h->st);
	const struct tally_division *d = tally_catalog_division(h->cat, code);

	who->hub      = code;
	who->hub_name = d != NULL ? d->name : "";
	who->instance = tally_store_instance_id(h->st);
	who->now_ms   = tally_clock_now_ms();
}

/* The report document of o, as the asker may read it. */
static int
report_doc(struct hub_http *h, const struct hub_report_opts *o, json_t **out)
{
	json_t *doc = NULL;
	int     rv  = hub_report_json(h->cat, h->st, o, &doc);

	if (rv == TALLY_OK && scope_of(h) != NULL) {
		rv = hub_access_filter(h->cat, h->names, scope_of(h), doc);
	}
	if (rv != TALLY_OK) {
		json_decref(doc);
		return rv;
	}
	*out = doc;
	return TALLY_OK;
}

/* Downloads are exports: for operators and approvers once there are
 * accounts (access.h), and each one is in the access log. */
static bool
may_export(struct hub_http *h, struct http_reply *r, const char *url,
    const char *region)
{
	const struct hub_web_who *who = h->who;
	bool                      ok;

	if (scope_of(h) == NULL) {
		return true;
	}
	ok = hub_access_may(h->cat, scope_of(h), who->s.account.role,
	    HUB_ACTION_EXPORT, region != NULL ? region : scope_of(h));
	hub_webauth_log(h->wa, who, "export", url, ok ? "ok" : "forbidden");
	if (!ok) {
		return fail(r, MHD_HTTP_FORBIDDEN,
		    "a %s may not download: ask an operator",
		    tally_role_name(who->s.account.role));
	}
	return true;
}

/* GET /api/report.csv and /api/report.xlsx: the report of /api/report
 * as the CLI's --format csv (with a byte order mark) or xlsx. */
static enum MHD_Result
send_report_file(struct hub_http *h, struct MHD_Connection *conn,
    const char *url, const struct http_query *q, bool xlsx)
{
	struct http_reply      r = { 0, NULL };
	struct hub_report_opts o;
	struct hub_issuer      who;
	unsigned char         *data = NULL;
	size_t                 len  = 0;
	char                   name[96];
	json_t                *doc = NULL;
	FILE                  *mem;
	int                    rv;

	if (!report_query(h, q, &r, &o) || !may_export(h, &r, url, o.region)) {
		return send_json(conn, &r, false);
	}
	rv = report_doc(h, &o, &doc);
	if (rv == TALLY_OK && xlsx) {
		issuer(h, &who);
		rv = hub_xlsx_buffer(h->cat, doc, &who, &data, &len);
	} else if (rv == TALLY_OK) {
		mem = open_memstream((char **) &data, &len);
		if (mem == NULL) {
			rv = TALLY_ENOMEM;
		} else {
			fputs("\xEF\xBB\xBF", mem);
			hub_report_print_csv(mem, h->cat, doc);
			if (fclose(mem) != 0) {
				rv = TALLY_ENOMEM;
			}
		}
	}
	json_decref(doc);
	if (rv != TALLY_OK) {
		free(data);
		reply_from(&r, rv, NULL, o.region, h);
		return send_json(conn, &r, false);
	}
	file_name(
	    h, o.region, &o.period, xlsx ? "xlsx" : "csv", name, sizeof(name));
	return send_file(conn, data, len,
	    xlsx ? "application/"
	           "vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	         : "text/csv; charset=utf-8",
	    name);
}

/* The briefing for a scoped user: made from the documents they may read,
 * the report and each indicator's explanation. */
static int
scoped_brief(struct hub_http *h, const struct hub_brief_opts *bo,
    unsigned char **pdf, size_t *len)
{
	struct hub_report_opts o;
	struct hub_issuer      who;
	json_t                *doc = NULL, *explains = json_object();
	int                    rv;

	memset(&o, 0, sizeof(o));
	o.period  = bo->period;
	o.region  = bo->region;
	o.depth   = 1;
	o.due     = h->due;
	o.now_ms  = tally_clock_now_ms();
	rv        = report_doc(h, &o, &doc);
	o.explain = true;
	for (size_t k = 0; rv == TALLY_OK && k < h->cat->n_indicators; k++) {
		json_t *e = NULL;

		o.ind = &h->cat->indicators[k];
		if (hub_explain_json(h->cat, h->st, &o, &e) == TALLY_OK &&
		    hub_access_filter(h->cat, h->names, scope_of(h), e) ==
		        TALLY_OK) {
			json_object_set_new(explains, o.ind->id, e);
		} else {
			json_decref(e);
		}
	}
	if (rv == TALLY_OK) {
		issuer(h, &who);
		rv = hub_brief_pdf_doc(h->cat, doc, explains, &who, pdf, len);
	}
	json_decref(doc);
	json_decref(explains);
	return rv;
}

/* GET /api/brief.pdf?period=P[&region=R]: the briefing of brief.h. */
static enum MHD_Result
send_brief(struct hub_http *h, struct MHD_Connection *conn,
    const struct http_query *q)
{
	static const char *const allowed[] = { "period", "region", NULL };
	struct http_reply        r         = { 0, NULL };
	struct hub_brief_opts    o;
	unsigned char           *pdf = NULL;
	size_t                   len = 0;
	char                     name[96];
	int                      rv;

	memset(&o, 0, sizeof(o));
	o.due = h->due;
	if (!check_names(&r, q, allowed) || !get_period(&r, q, &o.period) ||
	    !get_region(&r, q, h, &o.region) ||
	    !may_export(h, &r, "/api/brief.pdf", o.region)) {
		return send_json(conn, &r, false);
	}
	rv = scope_of(h) != NULL
	    ? scoped_brief(h, &o, &pdf, &len)
	    : hub_brief_pdf(h->cat, h->st, &o, &pdf, &len);
	if (rv != TALLY_OK) {
		reply_from(&r, rv, NULL, o.region, h);
		return send_json(conn, &r, false);
	}
	file_name(h, o.region, &o.period, "pdf", name, sizeof(name));
	return send_file(conn, pdf, len, "application/pdf", name);
}

/* The page of a comparison hub, a region's hub, or the login page. */
static enum MHD_Result
send_page(struct MHD_Connection *conn, const unsigned char *html, size_t len)
{
	struct MHD_Response *resp;

	resp = hub_compress_static(html, len, hub_compress_wanted(conn));
	if (resp != NULL && !add_headers(resp, true)) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	return queue(conn, MHD_HTTP_OK, resp);
}

/* Sends an answer of webauth.h with its headers. */
static enum MHD_Result
send_web(struct MHD_Connection *conn, struct hub_web_reply *w)
{
	struct http_reply    r = { w->status, w->doc };
	struct MHD_Response *resp;
	char                 secs[32];
	bool                 ok = true;

	w->doc = NULL;
	resp   = json_response(&r, false, hub_compress_wanted(conn));
	if (resp == NULL) {
		return queue(conn, r.status, NULL);
	}
	if (w->location[0] != '\0') {
		ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION,
		         w->location) == MHD_YES;
	}
	if (w->cookie[0] != '\0') {
		ok = ok &&
		    MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE,
		        w->cookie) == MHD_YES;
	}
	if (w->retry_after > 0) {
		snprintf(
		    secs, sizeof(secs), "%lld", (long long) w->retry_after);
		ok = ok &&
		    MHD_add_response_header(
		        resp, MHD_HTTP_HEADER_RETRY_AFTER, secs) == MHD_YES;
	}
	if (!ok) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	return queue(conn, r.status, resp);
}

/* A GET of a page or the API, once the asker may have it. */
static enum MHD_Result
route(struct hub_http *h, struct MHD_Connection *conn, const char *method,
    const char *url)
{
	struct http_query q;
	struct http_reply r = { 0, NULL };
	char              buf[HUB_HTTP_QUOTE_MAX + 1];

	if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0) {
		TALLY_LOG(TALLY_LOG_DEBUG, "http: %s %s: 200", method, url);
		return h->group
		    ? send_page(conn, hub_compare_html, hub_compare_html_len)
		    : send_page(
		          conn, hub_dashboard_html, hub_dashboard_html_len);
	}
	memset(&q, 0, sizeof(q));
	MHD_get_connection_values(
	    conn, MHD_GET_ARGUMENT_KIND, collect_param, &q);
	if (h->group) {
		route_group(h, url, &q, &r);
	} else if (strcmp(url, "/api/meta") == 0) {
		api_meta(h, &q, &r);
	} else if (strcmp(url, "/api/report") == 0) {
		TALLY_LOG(TALLY_LOG_DEBUG, "http: %s %s", method, url);
		return send_report(h, conn, &q);
	} else if (strcmp(url, "/api/report.csv") == 0 ||
	    strcmp(url, "/api/report.xlsx") == 0) {
		TALLY_LOG(TALLY_LOG_DEBUG, "http: %s %s", method, url);
		return send_report_file(
		    h, conn, url, &q, strcmp(url, "/api/report.xlsx") == 0);
	} else if (strcmp(url, "/api/brief.pdf") == 0) {
		TALLY_LOG(TALLY_LOG_DEBUG, "http: %s %s", method, url);
		return send_brief(h, conn, &q);
	} else if (strcmp(url, "/api/explain") == 0) {
		api_explain(h, &q, &r);
	} else if (strcmp(url, "/api/trend") == 0) {
		api_trend(h, &q, &r);
	} else {
		(void) fail(&r, MHD_HTTP_NOT_FOUND, "no such path: %s",
		    quote(url, buf, sizeof(buf)));
	}
	TALLY_LOG(TALLY_LOG_DEBUG, "http: %s %s: %u", method, url, r.status);
	return send_json(conn, &r, false);
}

/* Only the login and the logout are POSTs; they take no other method. */
static bool
method_fits(struct http_reply *r, const char *method, const char *url)
{
	char buf[HUB_HTTP_QUOTE_MAX + 1];
	bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	bool get  = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	bool for_post =
	    strcmp(url, "/api/login") == 0 || strcmp(url, "/api/logout") == 0;

	if ((post && for_post) || (get && !for_post)) {
		return true;
	}
	return fail(r, MHD_HTTP_METHOD_NOT_ALLOWED,
	    "method %s not allowed for %s: only /api/login and /api/logout "
	    "take POST",
	    quote(method, buf, sizeof(buf)), for_post ? "it" : "a read");
}

/* Gathers a POST's body; a GET's is read and dropped. */
static void
gather(struct http_request *req, bool post, const char *data, size_t n)
{
	char *grown;

	if (!post || req->too_big || req->len + n > HUB_HTTP_BODY_MAX) {
		req->too_big = req->too_big || post;
		return;
	}
	grown = realloc(req->body, req->len + n + 1);
	if (grown == NULL) {
		req->too_big = true;
		return;
	}
	memcpy(grown + req->len, data, n);
	req->body = grown;
	req->len += n;
	req->body[req->len] = '\0';
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct hub_http     *h   = cls;
	struct http_request *req = *req_cls;
	struct http_reply    r   = { 0, NULL };
	struct hub_web_reply w;
	struct hub_web_who   who;
	enum MHD_Result      rv;
	bool                 post, page;

	(void) version;
	post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	if (!method_fits(&r, method, url)) {
		/* Answered at once, without reading any body. */
		TALLY_LOG(TALLY_LOG_DEBUG, "http: %s %s: 405", method, url);
		return send_json(conn, &r, true);
	}
	if (req == NULL) {
		req      = calloc(1, sizeof(*req));
		*req_cls = req;
		return req != NULL ? MHD_YES : MHD_NO;
	}
	if (*upload_data_size != 0) {
		gather(req, post, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (req->too_big) {
		(void) fail(&r, MHD_HTTP_CONTENT_TOO_LARGE, "body too large");
		return send_json(conn, &r, false);
	}
	memset(&w, 0, sizeof(w));
	page = strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0;
	if (!hub_webauth_gate(h->wa, conn, url, page, post, &who, &w)) {
		TALLY_LOG(
		    TALLY_LOG_DEBUG, "http: %s %s: %u", method, url, w.status);
		return send_web(conn, &w);
	}
	if (hub_webauth_api(h->wa, conn, url,
	        req->body != NULL ? req->body : "", req->len, &who, &w)) {
		return send_web(conn, &w);
	}
	if (strcmp(url, "/login") == 0) {
		return send_page(conn, hub_login_html, hub_login_html_len);
	}
	h->who = &who;
	rv     = route(h, conn, method, url);
	h->who = NULL;
	return rv;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_request *req = *req_cls;

	(void) cls;
	(void) conn;
	(void) toe;
	if (req != NULL) {
		free(req->body);
		free(req);
		*req_cls = NULL;
	}
}

/* The TLS settings of o, when it has them: read, and checked to be
 * usable by this libmicrohttpd. */
static int
load_tls(struct hub_http *h, const struct hub_http_opts *o)
{
	int rv;

	if (o->tls_cert == NULL && o->tls_key == NULL) {
		return TALLY_OK;
	}
	if (o->tls_cert == NULL || o->tls_key == NULL) {
		TALLY_LOG(TALLY_LOG_ERROR,
		    "--https needs both a certificate and a key");
		return TALLY_ECONFIG;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		TALLY_LOG(TALLY_LOG_ERROR,
		    "--https: this libmicrohttpd was built without TLS");
		return TALLY_ECONFIG;
	}
	rv = hub_pem_read(o->tls_cert, &h->tls_cert);
	if (rv == TALLY_OK) {
		rv = hub_pem_read(o->tls_key, &h->tls_key);
	}
	h->tls = rv == TALLY_OK;
	return rv;
}

/* Starts libmicrohttpd on ss. */
static struct MHD_Daemon *
start_daemon(struct hub_http *h, struct sockaddr_storage *ss)
{
	unsigned int flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;

	if (ss->ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
	}
	/* The logger comes first, so that it sees every message. */
	if (h->tls) {
		return MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL,
		    on_request, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *) ss,
		    MHD_OPTION_CONNECTION_LIMIT,
		    (unsigned int) HUB_HTTP_CONN_MAX,
		    MHD_OPTION_CONNECTION_TIMEOUT,
		    (unsigned int) HUB_HTTP_TIMEOUT_S,
		    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		    MHD_OPTION_HTTPS_MEM_CERT, h->tls_cert,
		    MHD_OPTION_HTTPS_MEM_KEY, h->tls_key, MHD_OPTION_END);
	}
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *) ss, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int) HUB_HTTP_CONN_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int) HUB_HTTP_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED,
	    on_completed, NULL, MHD_OPTION_END);
}

int
hub_http_start(const struct tally_catalog *cat, const char *db_path,
    const struct hub_http_opts *o, const struct tally_due *due,
    struct hub_http **out)
{
	struct hub_http            *h    = NULL;
	struct tally_errbuf         eb   = { "" };
	const char                 *addr = o->addr;
	struct hub_webauth_opts     wo;
	struct sockaddr_storage     ss;
	const union MHD_DaemonInfo *info;
	int                         rv;

	rv = tally_httpaddr_parse(addr, &ss);
	if (rv != TALLY_OK) {
		TALLY_LOG(TALLY_LOG_ERROR,
		    "--http '%s': expected ADDR:PORT (127.0.0.1:8080, "
		    "[::1]:8080) or PORT",
		    addr != NULL ? addr : "");
		return TALLY_ECONFIG;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		return TALLY_ENOMEM;
	}
	h->cat = cat;
	h->due = due;
	rv     = load_tls(h, o);
	if (rv != TALLY_OK) {
		goto fail;
	}
	/* Opened here, before the server's thread exists; from then on only
	 * that thread uses it. */
	rv = tally_store_open(db_path, cat, &h->st, &eb);
	if (rv == TALLY_ECONFIG &&
	    tally_store_open_group(db_path, cat, &h->st, &eb) == TALLY_OK) {
		/* A comparison hub's: the comparison page. */
		h->group = true;
		rv       = TALLY_OK;
	}
	if (rv != TALLY_OK) {
		TALLY_LOG(TALLY_LOG_ERROR, "dashboard: %s", eb.text);
		goto fail;
	}
	wo.idle_s        = o->session_idle_s;
	wo.login_delay_s = o->login_delay_s;
	wo.tls           = h->tls;
	rv               = hub_webauth_new(cat, h->st, &wo, &h->wa);
	if (rv == TALLY_OK) {
		rv = hub_access_names_new(cat, &h->names);
	}
	if (rv != TALLY_OK) {
		goto fail;
	}
	h->d = start_daemon(h, &ss);
	if (h->d == NULL) {
		TALLY_LOG(TALLY_LOG_ERROR, "--http %s: cannot listen there%s",
		    addr,
		    h->tls ? " (or the certificate and key do not fit)" : "");
		rv = TALLY_ECONFIG;
		goto fail;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0) {
		TALLY_LOG(TALLY_LOG_ERROR, "--http %s: no port bound", addr);
		rv = TALLY_EIO;
		goto fail;
	}
	h->port = info->port;
	tally_httpaddr_url(&ss, h->port, h->tls, h->url, sizeof(h->url));
	TALLY_LOG(TALLY_LOG_INFO, "dashboard on %s", h->url);
	*out = h;
	return TALLY_OK;
fail:
	hub_http_stop(h);
	return rv;
}

void
hub_http_url(const struct hub_http *h, char *buf, size_t len)
{
	snprintf(buf, len, "%s", h->url);
}

void
hub_http_addr(const struct hub_http *h, char *buf, size_t len)
{
	const char *p = strstr(h->url, "://");
	size_t      n;

	snprintf(buf, len, "%s", p != NULL ? p + 3 : h->url);
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '/') {
		buf[n - 1] = '\0';
	}
}

void
hub_http_stop(struct hub_http *h)
{
	if (h == NULL) {
		return;
	}
	if (h->d != NULL) {
		MHD_stop_daemon(h->d);
	}
	cache_clear(h);
	hub_webauth_free(h->wa);
	hub_access_names_free(h->names);
	tally_store_close(h->st);
	if (h->tls_key != NULL) {
		sodium_memzero(h->tls_key, strlen(h->tls_key));
	}
	free(h->tls_cert);
	free(h->tls_key);
	free(h);
}

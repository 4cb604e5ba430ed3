/*
 * The data-entry page's server declared in serve.h. One thread (the
 * server's) uses the store; the main thread only waits for the signal
 * to stop. Requests: GET / (the page of ?period=P), GET /status.json,
 * POST /entry (the form), POST /upload (a sheet).
 */
#include "serve.h"

#include "cli.h"
#include "clock.h"
#include "encoding.h"
#include "entry_form.h"
#include "entry_page.h"
#include "errors.h"
#include "httpaddr.h"
#include "import.h"
#include "log.h"
#include "status.h"
#include "store.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define SERVE_FIELDS_MAX   1024
#define SERVE_VALUE_MAX    4096
#define SERVE_CONN_MAX     32
#define SERVE_TIMEOUT_S    30
#define HTTP_UNPROCESSABLE 422

/* The page carries no script; its form posts only to itself. */
#define SERVE_CSP                                                            \
	"default-src 'none'; style-src 'unsafe-inline'; form-action 'self';" \
	" frame-ancestors 'none'; base-uri 'none'"

struct server {
	struct node_entry_site site; /* cat, st, due, region, token */
	struct MHD_Daemon     *d;
	bool                   loopback;
	char                   token[65];
	char                   url[128];
};

struct field {
	char  *key;
	char  *val;
	size_t len;
};

enum { REQ_OTHER, REQ_ENTRY, REQ_UPLOAD };

/* A request's state across the calls that bring its body. */
struct req {
	int                       kind;
	struct MHD_PostProcessor *pp;
	size_t                    bytes, limit;
	bool                      too_big, bad;
	struct field             *fields;
	size_t                    n_fields;
	char                     *file;
	size_t                    file_len, file_cap;
	bool                      has_file;
	char                      filename[128];
};

static void
req_free(struct req *r)
{
	if (r == NULL) {
		return;
	}
	if (r->pp != NULL) {
		MHD_destroy_post_processor(r->pp);
	}
	for (size_t i = 0; i < r->n_fields; i++) {
		free(r->fields[i].key);
		free(r->fields[i].val);
	}
	free(r->fields);
	free(r->file);
	free(r);
}

static const char *
field_get(const struct req *r, const char *key)
{
	for (size_t i = 0; i < r->n_fields; i++) {
		if (strcmp(r->fields[i].key, key) == 0) {
			return r->fields[i].val;
		}
	}
	return NULL;
}

/* field_get for node_entry_form_sheet. */
static const char *
form_field(void *arg, const char *key)
{
	return field_get(arg, key);
}

static bool
append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t nc = (*len + n + 1) * 2;
		char  *nb = realloc(*buf, nc);

		if (nb == NULL) {
			return false;
		}
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
	return true;
}

/* Keeps the part of a field or of the uploaded file that came. */
static enum MHD_Result
on_post(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *content_type,
    const char *transfer_encoding, const char *data, uint64_t off, size_t size)
{
	struct req   *r = cls;
	struct field *f = NULL;
	size_t        cap;

	(void) kind;
	(void) content_type;
	(void) transfer_encoding;
	(void) off;
	if (r->kind == REQ_UPLOAD && strcmp(key, "file") == 0 &&
	    filename != NULL) {
		if (!r->has_file) {
			r->has_file = true;
			snprintf(
			    r->filename, sizeof(r->filename), "%s", filename);
		}
		cap = r->file_cap;
		if (size > 0 &&
		    !append(&r->file, &r->file_len, &cap, data, size)) {
			r->bad = true;
			return MHD_NO;
		}
		r->file_cap = cap;
		return MHD_YES;
	}
	for (size_t i = 0; i < r->n_fields; i++) {
		if (strcmp(r->fields[i].key, key) == 0) {
			f = &r->fields[i];
		}
	}
	if (f == NULL) {
		struct field *nf;

		if (r->n_fields == SERVE_FIELDS_MAX) {
			r->bad = true;
			return MHD_NO;
		}
		nf = realloc(r->fields, (r->n_fields + 1) * sizeof(*nf));
		if (nf == NULL) {
			r->bad = true;
			return MHD_NO;
		}
		r->fields = nf;
		f         = &nf[r->n_fields++];
		f->key    = strdup(key);
		f->val    = calloc(1, 1);
		f->len    = 0;
		if (f->key == NULL || f->val == NULL) {
			r->bad = true;
			return MHD_NO;
		}
	}
	cap = f->len + 1;
	if (f->len + size > SERVE_VALUE_MAX ||
	    !append(&f->val, &f->len, &cap, data, size)) {
		r->bad = true;
		return MHD_NO;
	}
	return MHD_YES;
}

static enum MHD_Result
respond(struct MHD_Connection *conn, unsigned int status, char *body,
    size_t len, const char *type)
{
	struct MHD_Response *resp;
	enum MHD_Result      rv;

	if (body == NULL) {
		static const char oom[] = "out of memory\n";

		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		resp   = MHD_create_response_from_buffer(
		      sizeof(oom) - 1, (void *) oom, MHD_RESPMEM_PERSISTENT);
		type = "text/plain; charset=utf-8";
	} else {
		resp = MHD_create_response_from_buffer_with_free_callback(
		    len, body, free);
	}
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, "Content-Security-Policy", SERVE_CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(
	    resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	rv = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rv;
}

static enum MHD_Result
respond_text(struct MHD_Connection *conn, unsigned int status, const char *msg)
{
	char *body = strdup(msg);

	return respond(conn, status, body, body != NULL ? strlen(body) : 0,
	    "text/plain; charset=utf-8");
}

/* The month before now, in China Standard Time: what a county enters
 * at the start of a month. */
static void
default_period(struct tally_period *p)
{
	int64_t   ms = tally_clock_now_ms() + 8LL * 3600 * 1000;
	time_t    t  = (time_t) (ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	p->kind  = TALLY_PERIOD_MONTH;
	p->year  = tm.tm_year + 1900;
	p->index = tm.tm_mon; /* the month before, 1-based */
	if (p->index == 0) {
		p->year--;
		p->index = 12;
	}
}

static enum MHD_Result
send_page(
    struct MHD_Connection *conn, unsigned int status, struct node_entry *pd)
{
	size_t len  = 0;
	char  *html = node_page_html(&pd->page, &len);

	return respond(conn, status, html, len, "text/html; charset=utf-8");
}

static enum MHD_Result
get_page(struct server *s, struct MHD_Connection *conn)
{
	const char *text =
	    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "period");
	struct tally_period period;
	struct node_entry   pd;
	enum MHD_Result     rv;
	bool                bad = false;

	default_period(&period);
	if (text != NULL &&
	    tally_period_parse_loose(text, &period) != TALLY_OK) {
		default_period(&period);
		bad = true;
	}
	if (node_entry_init(&s->site, &pd, &period) != TALLY_OK ||
	    node_entry_finish(&s->site, &pd, true) != TALLY_OK) {
		node_entry_fini(&pd);
		return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "cannot read the store\n");
	}
	if (bad) {
		snprintf(pd.title, sizeof(pd.title),
		    "期间 '%.64s' 无法识别, 应如 2020-03, 2020Q2, 2020 "
		    "(period: not a period)",
		    text);
		pd.page.problems_title = pd.title;
	}
	rv = send_page(conn, bad ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_OK, &pd);
	node_entry_fini(&pd);
	return rv;
}

static enum MHD_Result
get_status(struct server *s, struct MHD_Connection *conn)
{
	const char *text =
	    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "period");
	struct tally_period period;
	struct node_status  ns;
	json_t             *j;
	char               *body;

	if (text != NULL &&
	    tally_period_parse_loose(text, &period) != TALLY_OK) {
		return respond_text(conn, MHD_HTTP_BAD_REQUEST,
		    "period: not a period (2020-03, 2020Q2, 2020)\n");
	}
	if (node_status_collect(s->site.cat, s->site.st, s->site.due,
	        text != NULL ? &period : NULL, tally_clock_now_ms(),
	        &ns) != TALLY_OK) {
		return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "cannot read the store\n");
	}
	j = node_status_json(s->site.cat, s->site.st, &ns);
	node_status_fini(&ns);
	body = j != NULL ? json_dumps(j, JSON_INDENT(2)) : NULL;
	json_decref(j);
	return respond(conn, MHD_HTTP_OK, body,
	    body != NULL ? strlen(body) : 0,
	    "application/json; charset=utf-8");
}

static enum MHD_Result
post_entry(struct server *s, struct MHD_Connection *conn, struct req *r)
{
	const char         *ptext = field_get(r, "period");
	struct tally_period period;
	struct tally_sheet *sh = NULL;
	struct node_entry   pd;
	char                canon[TALLY_PERIOD_STRLEN];
	bool                imported = false;
	enum MHD_Result     rv;

	if (ptext == NULL ||
	    tally_period_parse_loose(ptext, &period) != TALLY_OK) {
		return respond_text(conn, MHD_HTTP_BAD_REQUEST,
		    "period: not a period (2020-03, 2020Q2, 2020)\n");
	}
	tally_period_format(&period, canon);
	if (node_entry_init(&s->site, &pd, &period) != TALLY_OK ||
	    node_entry_form_sheet(&pd, form_field, r, canon, &sh) !=
	        TALLY_OK ||
	    node_entry_import(&s->site, &pd, sh, "表单 form", 2, &imported) !=
	        TALLY_OK ||
	    node_entry_finish(&s->site, &pd, imported) != TALLY_OK) {
		tally_sheet_free(sh);
		node_entry_fini(&pd);
		return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "cannot write to the store\n");
	}
	tally_sheet_free(sh);
	TALLY_LOG(TALLY_LOG_INFO, "entry %s: %s", canon,
	    imported ? "saved" : "refused");
	rv = send_page(conn, imported ? MHD_HTTP_OK : HTTP_UNPROCESSABLE, &pd);
	node_entry_fini(&pd);
	return rv;
}

/* The uploaded file's name as the messages show it: its last part, of
 * printable characters. */
static void
display_name(const char *name, char *out, size_t len)
{
	const char *base = name;
	size_t      k    = 0;

	for (const char *p = name; *p != '\0'; p++) {
		if (*p == '/' || *p == '\\') {
			base = p + 1;
		}
	}
	for (const char *p = base; *p != '\0' && k + 1 < len; p++) {
		out[k++] = (unsigned char) *p < 0x20 ? '_' : *p;
	}
	out[k] = '\0';
	if (k == 0) {
		snprintf(out, len, "upload");
	}
}

/* The upload in a temporary file, which the sheet reader takes. */
static int
read_upload(const struct req *r, const char *name, struct tally_sheet **sh,
    struct tally_errbuf *eb)
{
	const char *dir = getenv("TMPDIR");
	char        path[4096];
	int         fd, rv;
	bool        ok;

	snprintf(path, sizeof(path), "%s/tally-upload-XXXXXX",
	    dir != NULL && dir[0] != '\0' ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		return tally_fail(
		    eb, TALLY_EIO, "%s: cannot keep the upload", name);
	}
	ok = r->file_len == 0 ||
	    write(fd, r->file, r->file_len) == (ssize_t) r->file_len;
	close(fd);
	rv = ok ? tally_sheet_read(path, TALLY_ENC_AUTO, sh, eb) : TALLY_EIO;
	unlink(path);
	if (rv != TALLY_OK) {
		/* Its messages name the file as the user knows it. */
		size_t n = strlen(path);
		char   text[sizeof(eb->text)];

		if (strncmp(eb->text, path, n) == 0) {
			snprintf(
			    text, sizeof(text), "%s%s", name, eb->text + n);
			snprintf(eb->text, sizeof(eb->text), "%s", text);
		} else if (!ok) {
			tally_fail(eb, rv, "%s: cannot keep the upload", name);
		}
	}
	return rv;
}

static enum MHD_Result
post_upload(struct server *s, struct MHD_Connection *conn, struct req *r)
{
	struct tally_sheet *sh = NULL;
	struct tally_errbuf eb = { "" };
	struct tally_period period;
	struct node_entry   pd;
	char                name[128];
	bool                imported = false;
	enum MHD_Result     rv;
	int                 err;

	if (!r->has_file) {
		return respond_text(
		    conn, MHD_HTTP_BAD_REQUEST, "file: no file was sent\n");
	}
	display_name(r->filename, name, sizeof(name));
	default_period(&period);
	if (node_entry_init(&s->site, &pd, &period) != TALLY_OK) {
		node_entry_fini(&pd);
		return respond_text(
		    conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	err = read_upload(r, name, &sh, &eb);
	if (err == TALLY_OK) {
		err = node_entry_import(&s->site, &pd, sh, name, 0, &imported);
	} else if (err != TALLY_ENOMEM) {
		snprintf(pd.title, sizeof(pd.title), "%s", eb.text);
		pd.page.problems_title = pd.title;
		err                    = TALLY_OK;
	}
	tally_sheet_free(sh);
	if (err == TALLY_OK) {
		err = node_entry_finish(&s->site, &pd, true);
	}
	if (err != TALLY_OK) {
		node_entry_fini(&pd);
		return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "cannot write to the store\n");
	}
	TALLY_LOG(TALLY_LOG_INFO, "upload %s: %s", name,
	    imported ? "imported" : "refused");
	rv = send_page(conn, imported ? MHD_HTTP_OK : HTTP_UNPROCESSABLE, &pd);
	node_entry_fini(&pd);
	return rv;
}

/* Whether the Host header names this machine's loopback: a page on
 * loopback answers no other name, so that a web site whose name is made
 * to resolve to 127.0.0.1 (DNS rebinding) cannot read its token. */
static bool
host_ok(struct server *s, struct MHD_Connection *conn)
{
	const char *host = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);

	if (!s->loopback) {
		return true;
	}
	if (host == NULL) {
		return false;
	}
	return strncmp(host, "127.", 4) == 0 ||
	    strncmp(host, "localhost:", 10) == 0 ||
	    strcmp(host, "localhost") == 0 || strncmp(host, "[::1]", 5) == 0;
}

/* A POST must come from the page itself: its token, and no Origin of
 * another site. */
static bool
same_origin(struct server *s, struct MHD_Connection *conn, const struct req *r)
{
	const char *token = field_get(r, "token");
	const char *origin =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	char want[300];

	if (token == NULL || strlen(token) != strlen(s->token) ||
	    sodium_memcmp(token, s->token, strlen(s->token)) != 0) {
		return false;
	}
	if (origin != NULL && strcmp(origin, "null") != 0) {
		snprintf(
		    want, sizeof(want), "http://%s", host != NULL ? host : "");
		return strcmp(origin, want) == 0;
	}
	return true;
}

/* The first call of a request: what it is, and for a POST the parser
 * of its body. */
static enum MHD_Result
begin_request(struct MHD_Connection *conn, const char *url, const char *method,
    void **con_cls)
{
	struct req *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		return MHD_NO;
	}
	*con_cls = r;
	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
		return MHD_YES;
	}
	if (strcmp(url, "/entry") == 0) {
		r->kind  = REQ_ENTRY;
		r->limit = NODE_SERVE_FORM_MAX;
	} else if (strcmp(url, "/upload") == 0) {
		r->kind  = REQ_UPLOAD;
		r->limit = NODE_SERVE_UPLOAD_MAX;
	} else {
		return MHD_YES;
	}
	r->pp = MHD_create_post_processor(conn, 16 * 1024, on_post, r);
	if (r->pp == NULL) {
		r->bad = true; /* not a form's encoding */
	}
	return MHD_YES;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct server *s = cls;
	struct req    *r = *con_cls;

	(void) version;
	if (r == NULL) {
		return begin_request(conn, url, method, con_cls);
	}
	if (*upload_data_size > 0) {
		/* A body past the limit is read and dropped, not kept. */
		r->bytes += *upload_data_size;
		if (r->bytes > r->limit) {
			r->too_big = true;
		} else if (r->pp != NULL && !r->bad &&
		    MHD_post_process(r->pp, upload_data, *upload_data_size) !=
		        MHD_YES) {
			r->bad = true;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!host_ok(s, conn)) {
		return respond_text(conn, MHD_HTTP_MISDIRECTED_REQUEST,
		    "this page answers only to its loopback address\n");
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0) {
		if (strcmp(url, "/") == 0) {
			return get_page(s, conn);
		}
		if (strcmp(url, "/status.json") == 0) {
			return get_status(s, conn);
		}
		return respond_text(
		    conn, MHD_HTTP_NOT_FOUND, "no such page\n");
	}
	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0 ||
	    r->kind == REQ_OTHER) {
		return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "only GET, and POST to /entry and /upload\n");
	}
	if (r->too_big) {
		return respond_text(conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    r->kind == REQ_UPLOAD
		        ? "the file is larger than 8 MiB\n"
		        : "the form is larger than 256 KiB\n");
	}
	if (r->bad) {
		return respond_text(conn, MHD_HTTP_BAD_REQUEST,
		    "not a form of this page (too many fields, or a field too "
		    "long)\n");
	}
	if (!same_origin(s, conn, r)) {
		return respond_text(conn, MHD_HTTP_FORBIDDEN,
		    "this form did not come from this page (its token is "
		    "missing or old): open the page again\n");
	}
	return r->kind == REQ_ENTRY ? post_entry(s, conn, r)
	                            : post_upload(s, conn, r);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void) cls;
	(void) conn;
	(void) toe;
	req_free(*con_cls);
	*con_cls = NULL;
}

/* libmicrohttpd's own messages, through Tally's log. */
__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	(void) cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	TALLY_LOG(TALLY_LOG_WARN, "http: %s", buf);
}

static bool
is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6) {
		return IN6_IS_ADDR_LOOPBACK(
		    &((const struct sockaddr_in6 *) ss)->sin6_addr);
	}
	return (ntohl(((const struct sockaddr_in *) ss)->sin_addr.s_addr) >>
	           24) == 127;
}

static int
start(struct server *s, const char *addr)
{
	struct sockaddr_storage     ss;
	const union MHD_DaemonInfo *info;
	unsigned int                flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;

	if (tally_httpaddr_parse(addr, &ss) != TALLY_OK) {
		return TALLY_EINVAL;
	}
	if (ss.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
	}
	s->loopback = is_loopback(&ss);
	s->d        = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
	           MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
	           (struct sockaddr *) &ss, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
	           NULL, MHD_OPTION_CONNECTION_LIMIT, (unsigned int) SERVE_CONN_MAX,
	           MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) SERVE_TIMEOUT_S,
	           MHD_OPTION_END);
	if (s->d == NULL) {
		return TALLY_EIO;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0) {
		return TALLY_EIO;
	}
	tally_httpaddr_url(&ss, info->port, false, s->url, sizeof(s->url));
	return TALLY_OK;
}

/* Writes the URL to path whole (a temporary file renamed), so that a
 * reader never sees half of it. */
static int
write_ready(const char *path, const char *url)
{
	char  tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL) {
		return TALLY_EIO;
	}
	fprintf(f, "%s\n", url);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return TALLY_EIO;
	}
	return TALLY_OK;
}

int
node_serve(const char *prog, const struct tally_catalog *cat,
    const struct node_serve_opts *o)
{
	struct server       s;
	struct tally_errbuf eb = { "" };
	sigset_t            set;
	int                 rv, sig, ex = EX_OK;
	unsigned char       raw[32];

	memset(&s, 0, sizeof(s));
	s.site.cat   = cat;
	s.site.due   = o->due;
	s.site.token = s.token;
	if (sodium_init() < 0) {
		return tally_cli_complain(
		    prog, EX_SOFTWARE, "serve: libsodium");
	}
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(s.token, sizeof(s.token), raw, sizeof(raw));
	rv = tally_store_open(o->db, cat, &s.site.st, &eb);
	if (rv != TALLY_OK) {
		return tally_cli_complain(prog, tally_exit_code(rv),
		    "serve: %s", eb.text[0] ? eb.text : tally_strerror(rv));
	}
	tally_log_set_region(tally_store_region(s.site.st));
	s.site.region =
	    tally_catalog_division(cat, tally_store_region(s.site.st));
	/* The server's thread inherits the mask: the signals come here. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	rv = start(&s, o->addr);
	if (rv == TALLY_EINVAL) {
		ex = tally_cli_complain(prog, EX_USAGE,
		    "serve: --http '%s': expected ADDR:PORT (127.0.0.1:8080, "
		    "[::1]:8080) or PORT",
		    o->addr);
		goto done;
	}
	if (rv != TALLY_OK) {
		ex = tally_cli_complain(prog, EX_UNAVAILABLE,
		    "serve: --http %s: cannot listen there", o->addr);
		goto done;
	}
	printf("数据填报页 data-entry page: %s\n", s.url);
	fflush(stdout);
	if (o->ready_file != NULL &&
	    write_ready(o->ready_file, s.url) != TALLY_OK) {
		ex = tally_cli_complain(prog, EX_CANTCREAT,
		    "serve: --ready-file %s: cannot write it", o->ready_file);
		goto done;
	}
	sigwait(&set, &sig);
	TALLY_LOG(TALLY_LOG_INFO, "serve: stopping on signal %d", sig);
done:
	if (s.d != NULL) {
		MHD_stop_daemon(s.d);
	}
	tally_store_close(s.site.st);
	return ex;
}

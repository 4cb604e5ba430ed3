/*
 * tally-bench: the benchmark harness. Each command sets up a
 * tree of real tally-hub processes in a work directory, drives it with
 * simulated county nodes (sim.h: many counties in this process, each with
 * its own store and socket), measures, checks that every figure it
 * measured is exact against the flat reference (flat.h), and prints its
 * figures as Markdown for bench/RESULTS.md.
 *
 *   ingest    one hub's ingest rate against raw SQLite upserts of the
 *             same rows in the same batches (the limit); the hub's and an
 *             idle county node's resident memory
 *   tree      a province's three-level tree: convergence, freshness of
 *             the province's figure under background load, report latency
 *   national  every province: convergence to the national figure, against
 *             PostgreSQL's COPY and GROUP BY ROLLUP, and freshness after a
 *             county's correction against re-running the query
 *
 * There is no national region in the division tree (its loader knows
 * three levels, and a province has no parent), so the national figure is
 * kept by a comparison hub whose group is every province: it pools the
 * provinces' own figures with the same engine as any hub.
 */
#include "catalog.h"
#include "clock.h"
#include "errors.h"
#include "firstview.h"
#include "flat.h"
#include "log.h"
#include "pgbase.h"
#include "proc.h"
#include "sim.h"
#include "stats.h"
#include "store.h"
#include "uplink.h"
#include "wire.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

/* States per submission, as common/uplink.c sends them. */
#define BENCH_UPLINK_BATCH 1024
/* How long a hub may take to start, and a push to be answered. */
#define BENCH_READY_MS 60000
#define BENCH_PUSH_MS  120000
/* The comparison group that stands for the country. */
#define BENCH_NATION "national"
/* Periods of one year: the year, 4 quarters, 12 months. */
#define BENCH_NPER 17

static const char *prog = "tally-bench";

struct opts {
	const char *cmd;
	const char *flat;
	const char *work;
	const char *region;
	const char *hub_bin;
	const char *node_bin;
	const char *pg;
	const char *contexts; /* for every hub; NULL: the hub's default */
	int         year;
	uint64_t    seed;
	int         workers;
	int         rounds;
	int         probes;
	double      load; /* background corrections per second */
	int         load_threads;
	int         report_runs;
	int         timeout_s;
	bool        real_nodes;
	char        hub_buf[PATH_MAX + 64];
	char        node_buf[PATH_MAX + 64];
};

static int fail(int ex, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(int ex, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return ex;
}

/* ---------------------------------------------------------------- */
/* Hubs */

struct hubs {
	struct bench_proc *p;
	size_t             n;
	size_t             cap;
};

/* Stops every hub and keeps the list (names) for what is read after. */
static void
hubs_stop_keep(struct hubs *h)
{
	for (size_t i = 0; i < h->n; i++) {
		if (h->p[i].pid > 0) {
			kill(h->p[i].pid, SIGTERM);
		}
	}
	for (size_t i = 0; i < h->n; i++) {
		bench_proc_stop(&h->p[i], 30000);
	}
}

static void
hubs_stop(struct hubs *h)
{
	hubs_stop_keep(h);
	free(h->p);
	memset(h, 0, sizeof(*h));
}

/* Starts a hub named name (a region code or the national group): its
 * database work/h/NAME.db, its socket ipc://work/s/NAME. With members it
 * is the comparison hub of that group; else the region's hub, with its
 * parent, a comparison hub to report to, and a dashboard as asked. It is
 * not waited for: see hubs_wait. */
static struct bench_proc *
hub_spawn(const struct opts *o, struct hubs *h, const char *name,
    const char *parent, const char *compare, const char *members, bool http)
{
	char               db[PATH_MAX], listen[PATH_MAX], ready[PATH_MAX];
	char               log[PATH_MAX], cmp[PATH_MAX], par[PATH_MAX];
	char              *argv[24];
	int                n = 0;
	struct bench_proc *p;

	/* parent and compare may point into h->p, which may move below. */
	snprintf(par, sizeof(par), "%s", parent != NULL ? parent : "");
	if (compare != NULL) {
		snprintf(cmp, sizeof(cmp), "%s=%s", BENCH_NATION, compare);
	}
	if (h->n == h->cap) {
		size_t             ncap = h->cap == 0 ? 16 : h->cap * 2;
		struct bench_proc *np   = realloc(h->p, ncap * sizeof(*np));

		if (np == NULL) {
			return NULL;
		}
		h->p   = np;
		h->cap = ncap;
	}
	snprintf(db, sizeof(db), "%s/h/%s.db", o->work, name);
	snprintf(listen, sizeof(listen), "ipc://%s/s/%s", o->work, name);
	snprintf(ready, sizeof(ready), "%s/s/%s.ready", o->work, name);
	snprintf(log, sizeof(log), "%s/l/%s.log", o->work, name);
	argv[n++] = (char *) o->hub_bin;
	argv[n++] = "run";
	if (getenv("BENCH_DEBUG") == NULL)
		argv[n++] = "-q";
	argv[n++] = "--db";
	argv[n++] = db;
	argv[n++] = "--listen";
	argv[n++] = listen;
	argv[n++] = "--ready-file";
	argv[n++] = ready;
	if (members != NULL) {
		argv[n++] = "--group";
		argv[n++] = (char *) name;
		argv[n++] = "--members";
		argv[n++] = (char *) members;
	} else {
		argv[n++] = "--region";
		argv[n++] = (char *) name;
	}
	if (parent != NULL) {
		argv[n++] = "--parent";
		argv[n++] = par;
	}
	if (compare != NULL) {
		argv[n++] = "--compare";
		argv[n++] = cmp;
	}
	if (http) {
		argv[n++] = "--http";
		argv[n++] = "127.0.0.1:0";
	}
	if (o->contexts != NULL) {
		argv[n++] = "--contexts";
		argv[n++] = (char *) o->contexts;
	}
	argv[n] = NULL;
	p       = &h->p[h->n];
	if (bench_proc_spawn(p, name, argv, ready, log) != 0) {
		return NULL;
	}
	h->n++;
	return p;
}

static int
hubs_wait(struct hubs *h)
{
	for (size_t i = 0; i < h->n; i++) {
		if (bench_proc_wait_ready(&h->p[i], BENCH_READY_MS) != 0) {
			return -1;
		}
	}
	return 0;
}

static struct bench_proc *
hubs_find(struct hubs *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++) {
		if (strcmp(h->p[i].name, name) == 0) {
			return &h->p[i];
		}
	}
	return NULL;
}

static void
hub_db(const struct opts *o, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/h/%s.db", o->work, name);
}

/* The largest resident set among the hubs whose names pass keep. */
static void
hubs_rss(struct hubs *h, bool (*keep)(const char *), long *rss, long *hwm)
{
	*rss = 0;
	*hwm = 0;
	for (size_t i = 0; i < h->n; i++) {
		long r, w;

		if (!keep(h->p[i].name) ||
		    bench_rss_kib(h->p[i].pid, &r, &w) != 0) {
			continue;
		}
		*rss = r > *rss ? r : *rss;
		*hwm = w > *hwm ? w : *hwm;
	}
}

static bool
is_province(const char *name)
{
	return strlen(name) == 6 && strcmp(name + 2, "0000") == 0;
}

static bool
is_city(const char *name)
{
	return strlen(name) == 6 && !is_province(name) &&
	    strcmp(name + 4, "00") == 0;
}

static bool
is_nation(const char *name)
{
	return strcmp(name, BENCH_NATION) == 0;
}

/* ---------------------------------------------------------------- */
/* Checks against the flat reference */

struct check {
	size_t compared;
	size_t bad;
};

/* Compares what st holds, its own figure (held == NULL) or the state it
 * holds of the region held, with the flat figure want. */
static void
check_one(struct check *ck, struct tally_store *st, const char *where,
    const char *held, const struct tally_indicator *ind,
    const struct tally_period *p, const struct bench_sums *want)
{
	struct bench_sums         got = { 0, 0, 0 };
	struct tally_state        s;
	struct tally_region_state rs;
	uint64_t                  v;
	char                      text[TALLY_PERIOD_STRLEN];
	int                       rv;

	if (held == NULL) {
		rv = tally_store_snapshot(st, ind, p, &s, &v);
		if (rv == TALLY_OK) {
			bench_sums_of_state(&s, &got);
		}
	} else {
		rv = tally_store_region_state(st, held, ind, p, &rs);
		if (rv == TALLY_OK) {
			bench_sums_of_state(&rs.state, &got);
		}
	}
	ck->compared++;
	if ((rv == TALLY_OK || rv == TALLY_ENOENT) &&
	    bench_sums_equal(&got, want)) {
		return;
	}
	if (++ck->bad <= 10) {
		tally_period_format(p, text);
		fprintf(stderr,
		    "%s: MISMATCH at %s%s%s %s %s: tally %.17g/%.17g (%u "
		    "leaves), flat %.17g/%.17g (%u leaves)%s\n",
		    prog, where, held != NULL ? " holding " : "",
		    held != NULL ? held : "", ind->id, text, got.a, got.b,
		    got.leaves, want->a, want->b, want->leaves,
		    rv == TALLY_OK || rv == TALLY_ENOENT ? ""
		                                         : " (read failed)");
	}
}

/* The flat figure of the whole set or of one region for ind and p. */
static struct bench_sums
flat_one(const struct tally_catalog *cat, const struct bench_data *d,
    struct bench_sums *scratch, const struct tally_indicator *ind,
    const struct tally_period *p, size_t slot)
{
	bench_flat_all(cat, d, ind, p, scratch);
	return scratch[slot];
}

/* Whether st's own figures equal want[ind * BENCH_NPER + k] for every
 * indicator and period: the year's figures are read first, and the rest
 * only when those are all there. */
static bool
own_equal(const struct tally_catalog *cat, struct tally_store *st,
    const struct tally_period *per, const struct bench_sums *want)
{
	bool ok = tally_store_read_begin(st) == TALLY_OK;

	for (size_t pass = 0; ok && pass < 2; pass++) {
		for (size_t i = 0; ok && i < cat->n_indicators; i++) {
			for (size_t k = pass == 0 ? 0 : 1;
			     ok && k < (pass == 0 ? 1 : BENCH_NPER); k++) {
				struct tally_state s;
				struct bench_sums  got = { 0, 0, 0 };
				uint64_t           v;

				if (tally_store_snapshot(st,
				        &cat->indicators[i], &per[k], &s,
				        &v) == TALLY_OK) {
					bench_sums_of_state(&s, &got);
				}
				ok = bench_sums_equal(
				    &got, &want[i * BENCH_NPER + k]);
			}
		}
	}
	tally_store_read_end(st);
	return ok;
}

/* Waits until st's own figures are want (own_equal), looking every
 * interval_ms and only after the file changed. Returns 0, or -1 after
 * timeout_ms. */
static int
wait_own_equal(const struct tally_catalog *cat, struct tally_store *st,
    const struct tally_period *per, const struct bench_sums *want,
    double interval_ms, int timeout_ms)
{
	uint64_t t0 = bench_now_ns(), seen = 0, now = 1;

	for (;;) {
		if (tally_store_data_version(st, &now) == TALLY_OK &&
		    now != seen) {
			seen = now;
			if (own_equal(cat, st, per, want)) {
				return 0;
			}
		}
		if (bench_ms_since(t0) > timeout_ms) {
			return -1;
		}
		bench_sleep_ms(interval_ms);
	}
}

/* want[ind * BENCH_NPER + k]: the flat figures of one slot (a division,
 * or n_divisions for the whole) for every indicator and period. */
static struct bench_sums *
flat_table(const struct tally_catalog *cat, const struct bench_data *d,
    const struct tally_period *per, size_t slot)
{
	struct bench_sums *want =
	    calloc(cat->n_indicators * BENCH_NPER, sizeof(*want));
	struct bench_sums *scratch =
	    calloc(cat->n_divisions + 1, sizeof(*scratch));

	if (want == NULL || scratch == NULL) {
		free(want);
		free(scratch);
		return NULL;
	}
	for (size_t i = 0; i < cat->n_indicators; i++) {
		for (size_t k = 0; k < BENCH_NPER; k++) {
			want[i * BENCH_NPER + k] = flat_one(cat, d, scratch,
			    &cat->indicators[i], &per[k], slot);
		}
	}
	free(scratch);
	return want;
}

static size_t
div_slot(const struct tally_catalog *cat, const char *code)
{
	const struct tally_division *d = tally_catalog_division(cat, code);

	return d != NULL ? (size_t) (d - cat->divisions) : TALLY_NO_INDEX;
}

/* Reloads every county's rows from its store: the truth to check
 * against after corrections. */
static int
reload_leaves(
    const struct tally_catalog *cat, struct bench_county *cs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rv;

		pthread_mutex_lock(&cs[i].mtx);
		rv = bench_leaf_reload(cs[i].leaf, cat, cs[i].st);
		pthread_mutex_unlock(&cs[i].mtx);
		if (rv != TALLY_OK) {
			return rv;
		}
	}
	return TALLY_OK;
}

static int
open_read(const struct tally_catalog *cat, const char *path, bool group,
    struct tally_store **out)
{
	struct tally_errbuf eb = { "" };
	int rv = group ? tally_store_open_group(path, cat, out, &eb)
	               : tally_store_open(path, cat, out, &eb);

	if (rv != TALLY_OK) {
		fprintf(stderr, "%s: %s\n", prog,
		    eb.text[0] ? eb.text : tally_strerror(rv));
	}
	return rv;
}

/* ---------------------------------------------------------------- */
/* Setup shared by the commands */

struct run {
	const struct opts    *o;
	struct tally_catalog *cat;
	struct bench_data     data;
	struct bench_county  *cs;
	struct hubs           hubs;
	struct tally_period   per[BENCH_NPER];
	struct bench_sums    *scratch;
};

static int
make_dir(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		return fail(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	}
	return EX_OK;
}

static int
run_setup(struct run *r, const struct opts *o, const char *under)
{
	struct tally_errbuf eb    = { "" };
	const char         *sub[] = { "", "/c", "/h", "/s", "/l" };
	char                path[PATH_MAX];
	uint64_t            t0;
	int                 rv, ex;

	memset(r, 0, sizeof(*r));
	r->o = o;
	/* ipc:// paths must fit a Unix socket's 108 bytes. */
	if (strlen(o->work) > 80) {
		return fail(EX_USAGE,
		    "--work: '%s' is too long for ipc:// "
		    "sockets (80 bytes at most)",
		    o->work);
	}
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", o->work, sub[i]);
		ex = make_dir(path);
		if (ex != EX_OK) {
			return ex;
		}
	}
	rv = tally_catalog_load_default(&r->cat, &eb);
	if (rv != TALLY_OK) {
		return fail(tally_exit_code(rv), "%s", eb.text);
	}
	if (under != NULL && tally_catalog_division(r->cat, under) == NULL) {
		return fail(
		    EX_DATAERR, "--region: unknown region '%s'", under);
	}
	rv = bench_data_load(r->cat, o->flat, under, &r->data, &eb);
	if (rv != TALLY_OK) {
		return fail(tally_exit_code(rv), "%s", eb.text);
	}
	r->scratch = calloc(r->cat->n_divisions + 1, sizeof(*r->scratch));
	if (r->scratch == NULL) {
		return fail(EX_OSERR, "out of memory");
	}
	bench_year_periods(o->year, r->per);
	snprintf(path, sizeof(path), "%s/c", o->work);
	rv = bench_counties_new(r->cat, &r->data, path, &r->cs);
	if (rv != TALLY_OK) {
		return fail(EX_OSERR, "out of memory");
	}
	/* Each county's `tally-node init` and `import`: the county's own
	 * work, done before anything is timed. */
	t0 = bench_now_ns();
	rv = bench_counties_load(r->cat, r->cs, r->data.n, 2);
	if (rv != TALLY_OK) {
		return fail(
		    tally_exit_code(rv), "loading the counties failed");
	}
	fprintf(stderr, "%s: %zu counties loaded with %zu rows in %.1f s\n",
	    prog, r->data.n, r->data.rows, bench_ms_since(t0) / 1000);
	return EX_OK;
}

static void
run_free(struct run *r)
{
	/* The counties' sockets first, while their hubs still answer. */
	bench_counties_free(r->cs, r->data.n);
	r->cs = NULL;
	hubs_stop(&r->hubs);
	bench_data_free(&r->data);
	free(r->scratch);
	tally_catalog_free(r->cat);
}

/* Points every county at its city's hub and, with open, opens it (with
 * its uplink when uplinks). */
static int
counties_connect(struct run *r, bool open, bool uplinks)
{
	for (size_t i = 0; i < r->data.n; i++) {
		struct bench_proc *p = hubs_find(&r->hubs, r->cs[i].parent);

		if (p == NULL) {
			return fail(
			    EX_SOFTWARE, "no hub for %s", r->cs[i].parent);
		}
		snprintf(r->cs[i].url, sizeof(r->cs[i].url), "%s", p->url);
	}
	if (open &&
	    bench_counties_open(r->cat, r->cs, r->data.n, uplinks) !=
	        TALLY_OK) {
		return EX_IOERR;
	}
	return EX_OK;
}

static void
print_machine_line(void)
{
	double load[3] = { 0, 0, 0 };

	if (getloadavg(load, 3) == 3) {
		printf("load average at the end: %.2f %.2f %.2f\n\n", load[0],
		    load[1], load[2]);
	}
}

/* ---------------------------------------------------------------- */
/* ingest */

/* One county's submissions, encoded once, with the states they carry
 * (for the limit). */
struct ing_sub {
	uint8_t                 *buf;
	size_t                   len;
	struct tally_wire_state *states;
	size_t                   n;
	/* When it was sent (bench_now_ns), for the limit, which writes the
	 * submissions in the order they reached the hub. */
	uint64_t sent_ns;
};

struct ing_county {
	struct bench_county *c;
	const char          *hub;
	const char          *url;
	struct ing_sub      *subs;
	size_t               nsubs;
	pthread_barrier_t   *start;
	size_t               states;
	size_t               accepted;
	size_t               other;
	int                  rv;
};

/* The county's pending states as the uplink would send them: batches of
 * BENCH_UPLINK_BATCH, each one encoded submission. */
static int
ing_build(struct ing_county *ic, const char *hub)
{
	struct tally_wire_state *all = NULL;
	size_t                   n   = 0;
	int                      rv;

	rv = tally_store_pending(
	    ic->c->st, "parent", TALLY_WIRE_STATES_MAX, false, &all, &n);
	if (rv != TALLY_OK) {
		return rv;
	}
	for (size_t off = 0; rv == TALLY_OK && off < n;
	     off += BENCH_UPLINK_BATCH) {
		size_t k = n - off < BENCH_UPLINK_BATCH ? n - off
		                                        : BENCH_UPLINK_BATCH;
		struct tally_submission sub;
		struct ing_sub         *ns, *s;

		ns = realloc(ic->subs, (ic->nsubs + 1) * sizeof(*ns));
		if (ns == NULL) {
			rv = TALLY_ENOMEM;
			break;
		}
		ic->subs = ns;
		s        = &ic->subs[ic->nsubs++];
		memset(s, 0, sizeof(*s));
		s->states = malloc(k * sizeof(*s->states));
		if (s->states == NULL) {
			rv = TALLY_ENOMEM;
			break;
		}
		memcpy(s->states, all + off, k * sizeof(*s->states));
		s->n = k;
		memset(&sub, 0, sizeof(sub));
		snprintf(
		    sub.sender, sizeof(sub.sender), "%s", ic->c->leaf->code);
		snprintf(sub.hub, sizeof(sub.hub), "%s", hub);
		sub.sent_at_ms = tally_clock_now_ms();
		sub.states     = s->states;
		sub.n_states   = k;
		for (size_t i = 0; i < k; i++) {
			if (s->states[i].version > sub.sender_version) {
				sub.sender_version = s->states[i].version;
			}
		}
		rv = tally_submission_encode(&sub, &s->buf, &s->len);
		ic->states += k;
	}
	free(all);
	return rv;
}

static void *
ing_main(void *arg)
{
	struct ing_county *ic = arg;
	nng_socket         sock;
	int                rv;

	rv = nng_req0_open(&sock);
	if (rv == 0) {
		/* No resend while the hub is busy: each submission is sent
		 * once and answered once. */
		nng_socket_set_ms(sock, NNG_OPT_REQ_RESENDTIME, BENCH_PUSH_MS);
		nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, BENCH_PUSH_MS);
		nng_socket_set_size(
		    sock, NNG_OPT_RECVMAXSZ, TALLY_WIRE_MSG_MAX);
		/* Two hundred connections at once can fill the listener's
		 * backlog: a refused one tries again. */
		for (int tries = 0; tries < 500; tries++) {
			rv = nng_dial(sock, ic->url, NULL, 0);
			if (rv != NNG_EAGAIN && rv != NNG_ECONNREFUSED) {
				break;
			}
			bench_sleep_ms(10);
		}
	}
	pthread_barrier_wait(ic->start);
	for (size_t i = 0; rv == 0 && i < ic->nsubs; i++) {
		struct tally_errbuf eb  = { "" };
		struct tally_ack   *ack = NULL;
		nng_msg            *msg = NULL;

		rv = nng_msg_alloc(&msg, 0);
		if (rv == 0) {
			rv = nng_msg_append(
			    msg, ic->subs[i].buf, ic->subs[i].len);
		}
		if (rv == 0) {
			ic->subs[i].sent_ns = bench_now_ns();
			rv                  = nng_sendmsg(sock, msg, 0);
		}
		if (rv != 0) {
			nng_msg_free(msg);
			break;
		}
		rv = nng_recvmsg(sock, &msg, 0);
		if (rv != 0) {
			break;
		}
		if (tally_ack_decode(nng_msg_body(msg), nng_msg_len(msg), &ack,
		        &eb) != TALLY_OK ||
		    ack->has_error) {
			fprintf(stderr, "%s: %s: bad acknowledgement: %s\n",
			    prog, ic->c->leaf->code,
			    ack != NULL ? ack->error : eb.text);
			rv = NNG_EPROTO;
		}
		for (size_t k = 0; rv == 0 && k < ack->n_items; k++) {
			if (ack->items[k].status == TALLY_ACK_ACCEPTED) {
				ic->accepted++;
			} else {
				ic->other++;
			}
		}
		tally_ack_free(ack);
		nng_msg_free(msg);
	}
	if (rv != 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, ic->c->leaf->code,
		    nng_strerror(rv));
	}
	ic->rv = rv;
	nng_close(sock);
	return NULL;
}

/* Sends every county's submissions of one round, one thread and one
 * socket per county, all starting together. */
static int
ing_round(struct ing_county *ic, size_t n, double *ms)
{
	pthread_barrier_t start;
	pthread_t        *th = calloc(n, sizeof(*th));
	uint64_t          t0;
	int               rv = 0;

	if (th == NULL) {
		return -1;
	}
	pthread_barrier_init(&start, NULL, (unsigned) n + 1);
	for (size_t i = 0; i < n; i++) {
		ic[i].start = &start;
		if (pthread_create(&th[i], NULL, ing_main, &ic[i]) != 0) {
			fprintf(stderr, "%s: cannot start a thread\n", prog);
			exit(EX_OSERR);
		}
	}
	pthread_barrier_wait(&start);
	t0 = bench_now_ns();
	for (size_t i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		if (ic[i].rv != 0) {
			rv = -1;
		}
	}
	*ms = bench_ms_since(t0);
	pthread_barrier_destroy(&start);
	free(th);
	return rv;
}

static void
ing_free_subs(struct ing_county *ic)
{
	for (size_t i = 0; i < ic->nsubs; i++) {
		free(ic->subs[i].buf);
		free(ic->subs[i].states);
	}
	free(ic->subs);
	ic->subs  = NULL;
	ic->nsubs = 0;
}

/* The limit: the hub's table of states from below (the same columns and
 * key as common/store.c's region_state, the same upsert keeping the
 * highest version), written by raw SQLite with the hub's settings (WAL,
 * synchronous=FULL), one BEGIN IMMEDIATE ... COMMIT per group of
 * submissions. */
static const char *limit_schema =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
    "CREATE TABLE region_state ("
    "  indicator TEXT NOT NULL, period TEXT NOT NULL,"
    "  region TEXT NOT NULL, via TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  sum_a REAL NOT NULL, sum_b REAL NOT NULL, leaves INTEGER NOT NULL,"
    "  min_value REAL, min_region TEXT, max_value REAL, max_region TEXT,"
    "  newest TEXT NOT NULL, first_received_at INTEGER NOT NULL,"
    "  received_at INTEGER NOT NULL,"
    "  PRIMARY KEY (indicator, period, region)) WITHOUT ROWID;";

static const char *limit_upsert =
    "INSERT INTO region_state (indicator, period, region, via,"
    " version, sum_a, sum_b, leaves, min_value, min_region, max_value,"
    " max_region, newest, first_received_at, received_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
    " ?13, ?14, ?15)"
    " ON CONFLICT (indicator, period, region) DO UPDATE SET"
    " via = excluded.via, version = excluded.version,"
    " sum_a = excluded.sum_a, sum_b = excluded.sum_b,"
    " leaves = excluded.leaves, min_value = excluded.min_value,"
    " min_region = excluded.min_region,"
    " max_value = excluded.max_value,"
    " max_region = excluded.max_region, newest = excluded.newest,"
    " first_received_at = min(region_state.first_received_at,"
    " excluded.first_received_at),"
    " received_at = excluded.received_at"
    " WHERE excluded.version > region_state.version";

static int
limit_bind(sqlite3_stmt *s, const char *region,
    const struct tally_wire_state *ws, int64_t now)
{
	const struct tally_state *st = &ws->state;
	char                      newest[TALLY_PERIOD_STRLEN];

	sqlite3_bind_text(s, 1, ws->indicator, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, ws->period_text, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, region, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, region, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64) ws->version);
	sqlite3_bind_double(s, 6, st->sum_a);
	sqlite3_bind_double(s, 7, st->sum_b);
	sqlite3_bind_int64(s, 8, st->leaves);
	if (st->has_minmax) {
		sqlite3_bind_double(s, 9, st->min_value);
		sqlite3_bind_text(s, 10, st->min_region, -1, SQLITE_STATIC);
		sqlite3_bind_double(s, 11, st->max_value);
		sqlite3_bind_text(s, 12, st->max_region, -1, SQLITE_STATIC);
	} else {
		for (int i = 9; i <= 12; i++) {
			sqlite3_bind_null(s, i);
		}
	}
	tally_period_format(&st->newest, newest);
	sqlite3_bind_text(s, 13, newest, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 14, now);
	sqlite3_bind_int64(s, 15, now);
	return sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
}

/* One submission as the limit writes it: its states and the county that
 * sent them. */
struct lim_sub {
	const struct ing_sub *sub;
	const char           *region;
	size_t                round;
};

static int
compare_lim_sub(const void *a, const void *b)
{
	const struct lim_sub *x = a, *y = b;

	if (x->round != y->round) {
		return x->round < y->round ? -1 : 1;
	}
	if (x->sub->sent_ns != y->sub->sent_ns) {
		return x->sub->sent_ns < y->sub->sent_ns ? -1 : 1;
	}
	return 0;
}

/* Every submission of every round in the order it was sent to the hub
 * (round by round: a round starts once the one before is acknowledged);
 * *out is the caller's to free. */
static int
lim_order(struct ing_county **rounds, size_t nrounds, size_t n,
    struct lim_sub **out, size_t *nout)
{
	struct lim_sub *all = NULL;
	size_t          k = 0, total = 0;

	for (size_t r = 0; r < nrounds; r++) {
		for (size_t i = 0; i < n; i++) {
			total += rounds[r][i].nsubs;
		}
	}
	all = calloc(total > 0 ? total : 1, sizeof(*all));
	if (all == NULL) {
		return -1;
	}
	for (size_t r = 0; r < nrounds; r++) {
		for (size_t i = 0; i < n; i++) {
			for (size_t b = 0; b < rounds[r][i].nsubs; b++) {
				all[k].sub    = &rounds[r][i].subs[b];
				all[k].region = rounds[r][i].c->leaf->code;
				all[k].round  = r;
				k++;
			}
		}
	}
	qsort(all, total, sizeof(*all), compare_lim_sub);
	*out  = all;
	*nout = total;
	return 0;
}

/* Writes the submissions of order in that order, group submissions per
 * transaction. */
static int
run_limit(const char *path, const struct lim_sub *order, size_t norder,
    size_t group, double *ms, size_t *rows, size_t *commits)
{
	sqlite3      *db    = NULL;
	sqlite3_stmt *s     = NULL;
	size_t        in_tx = 0;
	uint64_t      t0;
	int           rc, rv = -1;

	unlink(path);
	*rows    = 0;
	*commits = 0;
	rc       = sqlite3_open(path, &db);
	if (rc == SQLITE_OK) {
		rc = sqlite3_exec(db, limit_schema, NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_prepare_v3(
		    db, limit_upsert, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
	}
	if (rc != SQLITE_OK) {
		fprintf(stderr, "%s: limit: %s\n", prog, sqlite3_errmsg(db));
		goto done;
	}
	t0 = bench_now_ns();
	for (size_t b = 0; b < norder; b++) {
		const struct ing_sub *sub = order[b].sub;

		if (in_tx == 0 &&
		    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		        SQLITE_OK) {
			goto sqlerr;
		}
		for (size_t k = 0; k < sub->n; k++) {
			int bad = limit_bind(s, order[b].region,
			    &sub->states[k], tally_clock_now_ms());

			sqlite3_reset(s);
			if (bad) {
				goto sqlerr;
			}
		}
		*rows += sub->n;
		if (++in_tx == group) {
			if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) !=
			    SQLITE_OK) {
				goto sqlerr;
			}
			in_tx = 0;
			(*commits)++;
		}
	}
	if (in_tx > 0) {
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) !=
		    SQLITE_OK) {
			goto sqlerr;
		}
		(*commits)++;
	}
	*ms = bench_ms_since(t0);
	rv  = 0;
	goto done;
sqlerr:
	fprintf(stderr, "%s: limit: %s\n", prog, sqlite3_errmsg(db));
done:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rv;
}

/* The floor under any freshness: one commit of one state with the hub's
 * settings, n times; its p50 and p99 in ms. */
static int
commit_latency(const char *path, int n, double *p50, double *p99)
{
	sqlite3                *db = NULL;
	sqlite3_stmt           *s  = NULL;
	struct tally_wire_state ws;
	double                 *v  = calloc((size_t) n, sizeof(*v));
	int                     rv = -1;

	unlink(path);
	memset(&ws, 0, sizeof(ws));
	snprintf(ws.indicator, sizeof(ws.indicator), "mfg_pass_rate");
	snprintf(ws.period_text, sizeof(ws.period_text), "2020");
	ws.state.has_newest = true;
	ws.state.newest     = (struct tally_period) { 2020, 0, 0 };
	if (v == NULL || sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, limit_schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, limit_upsert, -1, &s, NULL) != SQLITE_OK) {
		goto done;
	}
	for (int i = 0; i < n; i++) {
		uint64_t t0 = bench_now_ns();

		ws.version = (uint64_t) i + 1;
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		        SQLITE_OK ||
		    limit_bind(s, "130102", &ws, tally_clock_now_ms()) != 0 ||
		    sqlite3_reset(s) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) !=
		        SQLITE_OK) {
			goto done;
		}
		v[i] = bench_ms_since(t0);
	}
	*p50 = bench_percentile(v, (size_t) n, 50);
	*p99 = bench_percentile(v, (size_t) n, 99);
	rv   = 0;
done:
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(v);
	return rv;
}

/* An idle county node: `tally-node run` on a copy of one county's store,
 * left to push and settle; its resident memory. */
static int
idle_node_rss(struct run *r, const char *url, long *rss, long *hwm)
{
	const struct opts *o = r->o;
	char               db[PATH_MAX], cmd[PATH_MAX * 2 + 64];
	char               log[PATH_MAX];
	char              *argv[8];
	struct bench_proc  p;
	int                rv;

	snprintf(db, sizeof(db), "%s/node.db", o->work);
	snprintf(log, sizeof(log), "%s/l/node.log", o->work);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", r->cs[0].db, db);
	unlink(db);
	if (system(cmd) != 0) {
		return fail(EX_IOERR, "cannot copy %s", r->cs[0].db);
	}
	argv[0] = (char *) o->node_bin;
	argv[1] = "run";
	argv[2] = "--db";
	argv[3] = db;
	argv[4] = "--hub";
	argv[5] = (char *) url;
	argv[6] = NULL;
	/* The node has no ready file: it is given three seconds to push
	 * and fall idle. */
	if (bench_proc_spawn(
	        &p, "tally-node", argv, "/nonexistent/ready", log) != 0) {
		return EX_OSERR;
	}
	bench_sleep_ms(3000);
	rv = bench_rss_kib(p.pid, rss, hwm);
	bench_proc_stop(&p, 5000);
	if (rv != 0) {
		return fail(
		    EX_SOFTWARE, "tally-node run exited (see %s)", log);
	}
	return EX_OK;
}

static int
cmd_ingest(const struct opts *o)
{
	struct run          r;
	struct ing_county **rounds = NULL;
	struct tally_store *hst    = NULL;
	struct bench_proc  *hp;
	struct check        ck = { 0, 0 };
	char                db[PATH_MAX], path[PATH_MAX];
	struct lim_sub     *order  = NULL;
	size_t              norder = 0;
	long long           hub_w0 = -1, hub_w1 = -1, lim_w0 = -1, lim_w1 = -1;
	double              hub_cpu0 = -1, hub_cpu1 = -1, lim_cpu0 = 0;
	double              lim_cpu1 = 0;
	double              total_ms = 0, lim_ms = 0, limg_ms = 0;
	size_t              states = 0, accepted = 0, other = 0, subs = 0;
	size_t              lim_rows = 0, lim_commits = 0, limg_commits = 0;
	size_t              slot;
	long                rss = 0, hwm = 0, nrss = 0, nhwm = 0;
	int                 ex;

	ex = run_setup(&r, o, o->region);
	if (ex != EX_OK) {
		goto done;
	}
	for (size_t i = 0; i < r.data.n; i++) {
		if (strcmp(r.cs[i].parent, o->region) != 0) {
			ex = fail(EX_USAGE,
			    "--region %s: the ingest hub takes counties; %s "
			    "is not one of its children",
			    o->region, r.data.leaves[i].code);
			goto done;
		}
	}
	hp = hub_spawn(o, &r.hubs, o->region, NULL, NULL, NULL, false);
	if (hp == NULL || hubs_wait(&r.hubs) != 0) {
		ex = EX_UNAVAILABLE;
		goto done;
	}
	ex = counties_connect(&r, true, false);
	if (ex != EX_OK) {
		goto done;
	}
	rounds = calloc((size_t) o->rounds, sizeof(*rounds));
	if (rounds == NULL) {
		ex = fail(EX_OSERR, "out of memory");
		goto done;
	}
	hub_w0   = bench_write_bytes(hp->pid);
	hub_cpu0 = bench_cpu_ms(hp->pid);
	/* Round 1 sends every county's year; each later round sends it
	 * again after every row of every county was corrected, so that
	 * every state is new. Building a round is the counties' work and
	 * is not timed. */
	for (int k = 0; k < o->rounds; k++) {
		double ms;

		rounds[k] = calloc(r.data.n, sizeof(*rounds[k]));
		if (rounds[k] == NULL) {
			ex = fail(EX_OSERR, "out of memory");
			goto done;
		}
		for (size_t i = 0; i < r.data.n; i++) {
			struct ing_county *ic = &rounds[k][i];

			ic->c   = &r.cs[i];
			ic->url = hp->url;
			if ((k > 0 &&
			        bench_county_correct_all(ic->c, 1) !=
			            TALLY_OK) ||
			    ing_build(ic, o->region) != TALLY_OK) {
				ex = fail(EX_SOFTWARE, "cannot build round %d",
				    k + 1);
				goto done;
			}
			subs += ic->nsubs;
		}
		if (ing_round(rounds[k], r.data.n, &ms) != 0) {
			ex = fail(EX_UNAVAILABLE, "round %d failed", k + 1);
			goto done;
		}
		total_ms += ms;
		for (size_t i = 0; i < r.data.n; i++) {
			states += rounds[k][i].states;
			accepted += rounds[k][i].accepted;
			other += rounds[k][i].other;
		}
		fprintf(stderr, "%s: round %d: %.0f ms\n", prog, k + 1, ms);
	}

	/* Read before the checks below open the hub's file. */
	hub_w1   = bench_write_bytes(hp->pid);
	hub_cpu1 = bench_cpu_ms(hp->pid);

	/* Exact: the hub's every figure against the flat figures of what
	 * the counties hold now. */
	if (reload_leaves(r.cat, r.cs, r.data.n) != TALLY_OK) {
		ex = fail(EX_IOERR, "cannot read the counties back");
		goto done;
	}
	hub_db(o, o->region, db, sizeof(db));
	if (open_read(r.cat, db, false, &hst) != TALLY_OK) {
		ex = EX_IOERR;
		goto done;
	}
	slot = div_slot(r.cat, o->region);
	for (size_t i = 0; i < r.cat->n_indicators; i++) {
		for (size_t k = 0; k < BENCH_NPER; k++) {
			bench_flat_all(r.cat, &r.data, &r.cat->indicators[i],
			    &r.per[k], r.scratch);
			check_one(&ck, hst, o->region, NULL,
			    &r.cat->indicators[i], &r.per[k],
			    &r.scratch[slot]);
		}
	}

	/* The limit: the same states in the order they reached the hub,
	 * first one transaction per submission, then as many submissions
	 * per transaction as there are children pushing at once (the group
	 * commit a hub could make of them). */
	snprintf(path, sizeof(path), "%s/limit.db", o->work);
	if (lim_order(rounds, (size_t) o->rounds, r.data.n, &order, &norder) !=
	        0 ||
	    run_limit(path, order, norder, 1, &lim_ms, &lim_rows,
	        &lim_commits) != 0) {
		ex = EX_IOERR;
		goto done;
	}
	lim_w0   = bench_write_bytes(getpid());
	lim_cpu0 = bench_cpu_ms(getpid());
	if (run_limit(path, order, norder, r.data.n, &limg_ms, &lim_rows,
	        &limg_commits) != 0) {
		ex = EX_IOERR;
		goto done;
	}
	lim_w1   = bench_write_bytes(getpid());
	lim_cpu1 = bench_cpu_ms(getpid());

	/* Memory once everything is in and the hub is idle. */
	bench_sleep_ms(2000);
	bench_rss_kib(hp->pid, &rss, &hwm);
	ex = idle_node_rss(&r, hp->url, &nrss, &nhwm);
	if (ex != EX_OK) {
		goto done;
	}

	printf("### Hub ingest: %s, %zu counties, %d rounds\n\n", o->region,
	    r.data.n, o->rounds);
	printf("| figure | value |\n| --- | --- |\n");
	printf("| states sent (%zu submissions of at most %d) | %zu |\n", subs,
	    BENCH_UPLINK_BATCH, states);
	printf("| states accepted / other | %zu / %zu |\n", accepted, other);
	printf("| hub: time to commit and acknowledge all | %.0f ms |\n",
	    total_ms);
	printf("| **hub: states per second** | **%.0f** |\n",
	    (double) states / (total_ms / 1000));
	printf("| limit, one transaction per submission (%zu commits): "
	       "states per second | %.0f |\n",
	    lim_commits, (double) lim_rows / (lim_ms / 1000));
	printf("| hub / that | %.0f%% |\n",
	    100.0 * ((double) states / total_ms) /
	        ((double) lim_rows / lim_ms));
	printf("| group-commit limit: the same states in the order they "
	       "arrived, %zu submissions (one per child) per transaction "
	       "(%zu commits): time | %.0f ms |\n",
	    r.data.n, limg_commits, limg_ms);
	printf("| **group-commit limit: states per second** | **%.0f** |\n",
	    (double) lim_rows / (limg_ms / 1000));
	printf("| **hub / group-commit limit** | **%.0f%%** |\n",
	    100.0 * ((double) states / total_ms) /
	        ((double) lim_rows / limg_ms));
	if (hub_w0 >= 0 && hub_w1 >= 0 && lim_w0 >= 0 && lim_w1 >= 0 &&
	    accepted > 0) {
		printf("| bytes written to storage per state accepted: hub "
		       "(group-commit limit) | %.0f B (%.0f B) |\n",
		    (double) (hub_w1 - hub_w0) / (double) accepted,
		    (double) (lim_w1 - lim_w0) / (double) lim_rows);
	}
	/* CPU time is what a loaded machine disturbs least: the other
	 * figure beside the wall-clock ratio. */
	if (hub_cpu0 >= 0 && hub_cpu1 >= 0 && accepted > 0) {
		printf("| CPU per state accepted: hub (group-commit limit) | "
		       "%.1f µs (%.1f µs) |\n",
		    1000 * (hub_cpu1 - hub_cpu0) / (double) accepted,
		    1000 * (lim_cpu1 - lim_cpu0) / (double) lim_rows);
	}
	printf("| hub figures checked against the flat reference | %zu, "
	       "%zu wrong |\n",
	    ck.compared, ck.bad);
	printf("| hub RSS, idle after ingest (peak) | %.1f MB (%.1f MB) |\n",
	    (double) rss / 1024, (double) hwm / 1024);
	printf("| idle county node (`tally-node run`) RSS (peak) | %.1f MB "
	       "(%.1f MB) |\n\n",
	    (double) nrss / 1024, (double) nhwm / 1024);
	printf("hub / group-commit limit: %.0f%%\n\n",
	    100.0 * ((double) states / total_ms) /
	        ((double) lim_rows / limg_ms));
	print_machine_line();
	if (accepted != states || ck.bad > 0 || ck.compared == 0) {
		ex = fail(EX_SOFTWARE, "ingest: results are not exact");
	}
done:
	free(order);
	tally_store_close(hst);
	for (int k = 0; rounds != NULL && k < o->rounds; k++) {
		for (size_t i = 0; rounds[k] != NULL && i < r.data.n; i++) {
			ing_free_subs(&rounds[k][i]);
		}
		free(rounds[k]);
	}
	free(rounds);
	run_free(&r);
	return ex;
}

/* ---------------------------------------------------------------- */
/* tree: a province's three-level tree */

/* The background load, shared by its threads. */
struct load {
	struct bench_county          *cs;
	size_t                        n;
	const struct tally_indicator *probe_ind;
	double                        rate; /* per thread */
	bool                          push;
	atomic_bool                   stop;
	atomic_size_t                 done;
	atomic_int                    failed;
};

struct load_thread {
	struct load *l;
	uint64_t     seed;
	pthread_t    th;
};

/* Background load: corrections of random rows of random counties (never
 * of the probe's indicator), each pushed at once, at a steady rate. */
static void *
load_main(void *arg)
{
	struct load_thread *lt = arg;
	struct load        *l  = lt->l;
	struct bench_rng    rng;
	uint64_t            next = bench_now_ns();
	double              gap  = 1e9 / l->rate;

	bench_rng_seed(&rng, lt->seed);
	while (!atomic_load(&l->stop)) {
		struct bench_county *c = &l->cs[bench_rng_below(&rng, l->n)];
		size_t               row;
		struct tally_obs     obs;
		int                  rv = TALLY_OK;
		uint64_t             now;

		pthread_mutex_lock(&c->mtx);
		row = bench_rng_below(&rng, c->leaf->n);
		if (c->leaf->rows[row].ind != l->probe_ind) {
			bench_correct(&c->leaf->rows[row], 1, &obs);
			rv = bench_county_record(c, row, &obs);
			if (rv == TALLY_OK && l->push) {
				rv = tally_uplink_push(
				    c->up, c->st, BENCH_PUSH_MS, NULL);
			}
			atomic_fetch_add(&l->done, 1);
		}
		pthread_mutex_unlock(&c->mtx);
		if (rv != TALLY_OK) {
			atomic_store(&l->failed, rv);
			break;
		}
		next += (uint64_t) gap;
		now = bench_now_ns();
		if (next > now) {
			bench_sleep_ms((double) (next - now) / 1e6);
		}
	}
	return NULL;
}

/* One probe: a correction at a county, pushed (or left to its daemon),
 * and the time until the province's figure of that indicator for the
 * year is the flat figure with it. */
static int
probe_once(struct run *r, struct tally_store *pst, size_t county,
    size_t probe_ii, size_t k, size_t pslot, bool push, double *lat,
    double *ack, size_t *row_out)
{
	const struct tally_indicator *ind = &r->cat->indicators[probe_ii];
	struct bench_county          *c   = &r->cs[county];
	struct bench_leaf            *l   = c->leaf;
	size_t            nrows = l->start[probe_ii + 1] - l->start[probe_ii];
	size_t            row;
	struct tally_obs  obs;
	struct bench_sums want;
	uint64_t          t0, seen = 0, now;
	int               rv;

	if (nrows == 0) {
		return -1;
	}
	row      = l->start[probe_ii] + k % nrows;
	*row_out = row;
	pthread_mutex_lock(&c->mtx);
	bench_correct(&l->rows[row], (double) (1 + k % 5), &obs);
	rv = bench_county_record(c, row, &obs);
	/* The flat figure with the correction: the background load never
	 * touches this indicator, so nothing else moves it. */
	want = flat_one(r->cat, &r->data, r->scratch, ind, &r->per[0], pslot);
	t0   = bench_now_ns();
	if (rv == TALLY_OK && push) {
		rv = tally_uplink_push(c->up, c->st, BENCH_PUSH_MS, NULL);
	}
	*ack = bench_ms_since(t0);
	pthread_mutex_unlock(&c->mtx);
	if (rv != TALLY_OK) {
		return -1;
	}
	for (;;) {
		if (tally_store_data_version(pst, &now) == TALLY_OK &&
		    now != seen) {
			struct tally_state s;
			struct bench_sums  got = { 0, 0, 0 };
			uint64_t           v;

			seen = now;
			if (tally_store_snapshot(
			        pst, ind, &r->per[0], &s, &v) == TALLY_OK) {
				bench_sums_of_state(&s, &got);
			}
			if (bench_sums_equal(&got, &want)) {
				*lat = bench_ms_since(t0);
				return 0;
			}
		}
		if (bench_ms_since(t0) > 60000) {
			fprintf(
			    stderr, "%s: probe %zu never arrived\n", prog, k);
			return -1;
		}
		bench_sleep_ms(0.1);
	}
}

/* Whether every region below the province that has data is held by the
 * province's hub with its flat figure, for the first nper periods. */
static bool
held_complete(
    struct run *r, struct tally_store *st, const char *province, size_t nper)
{
	const struct tally_catalog  *cat = r->cat;
	const struct tally_division *pd =
	    tally_catalog_division(cat, province);
	bool ok = true;

	if (tally_store_read_begin(st) != TALLY_OK) {
		return false;
	}
	for (size_t i = 0; ok && i < cat->n_indicators; i++) {
		const struct tally_indicator *ind = &cat->indicators[i];

		for (size_t k = 0; ok && k < nper; k++) {
			bench_flat_all(
			    cat, &r->data, ind, &r->per[k], r->scratch);
			for (size_t c = pd->first_child;
			     ok && c != TALLY_NO_INDEX;
			     c = cat->divisions[c].next_sibling) {
				size_t g = cat->divisions[c].first_child;

				/* The city, then each of its counties. */
				for (size_t at = c; ok && at != TALLY_NO_INDEX;
				     at        = at == c
				                ? g
				                : cat->divisions[at].next_sibling) {
					struct tally_region_state rs;
					struct bench_sums got = { 0, 0, 0 };

					if (tally_store_region_state(st,
					        cat->divisions[at].code, ind,
					        &r->per[k], &rs) == TALLY_OK) {
						bench_sums_of_state(
						    &rs.state, &got);
					}
					ok = bench_sums_equal(
					    &got, &r->scratch[at]);
				}
			}
		}
	}
	tally_store_read_end(st);
	return ok;
}

/* Waits until every province holds every region below it (drill-down):
 * the cities forward their counties after their own figures. Returns
 * the milliseconds it took, or -1 after timeout_ms. */
static double
wait_held(struct run *r, const char *const *provs, size_t np, size_t nper,
    int timeout_ms)
{
	uint64_t t0 = bench_now_ns();

	for (size_t p = 0; p < np; p++) {
		struct tally_store *st = NULL;
		char                db[PATH_MAX];

		hub_db(r->o, provs[p], db, sizeof(db));
		if (open_read(r->cat, db, false, &st) != TALLY_OK) {
			return -1;
		}
		while (!held_complete(r, st, provs[p], nper)) {
			if (bench_ms_since(t0) > timeout_ms) {
				tally_store_close(st);
				return -1;
			}
			bench_sleep_ms(100);
		}
		tally_store_close(st);
	}
	return bench_ms_since(t0);
}

/* Every figure of the tree: the province's own, each city's and each
 * county's as the province holds them, and each city hub's own. */
static void
check_tree(struct run *r, struct tally_store *pst, const char *province,
    struct check *ck)
{
	const struct tally_catalog  *cat = r->cat;
	const struct tally_division *pd =
	    tally_catalog_division(cat, province);
	size_t pslot = (size_t) (pd - cat->divisions);

	for (size_t i = 0; i < cat->n_indicators; i++) {
		const struct tally_indicator *ind = &cat->indicators[i];

		for (size_t k = 0; k < BENCH_NPER; k++) {
			bench_flat_all(
			    cat, &r->data, ind, &r->per[k], r->scratch);
			check_one(ck, pst, province, NULL, ind, &r->per[k],
			    &r->scratch[pslot]);
			for (size_t ch = pd->first_child; ch != TALLY_NO_INDEX;
			     ch        = cat->divisions[ch].next_sibling) {
				const struct tally_division *cd =
				    &cat->divisions[ch];

				check_one(ck, pst, province, cd->code, ind,
				    &r->per[k], &r->scratch[ch]);
				for (size_t g = cd->first_child;
				     g != TALLY_NO_INDEX;
				     g = cat->divisions[g].next_sibling) {
					check_one(ck, pst, province,
					    cat->divisions[g].code, ind,
					    &r->per[k], &r->scratch[g]);
				}
			}
		}
	}
}

static void
check_city_hubs(struct run *r, const char *province, struct check *ck)
{
	const struct tally_catalog  *cat = r->cat;
	const struct tally_division *pd =
	    tally_catalog_division(cat, province);

	for (size_t ch = pd->first_child; ch != TALLY_NO_INDEX;
	     ch        = cat->divisions[ch].next_sibling) {
		struct tally_store *st = NULL;
		char                db[PATH_MAX];

		if (cat->divisions[ch].first_child == TALLY_NO_INDEX) {
			continue;
		}
		hub_db(r->o, cat->divisions[ch].code, db, sizeof(db));
		if (open_read(cat, db, false, &st) != TALLY_OK) {
			ck->bad++;
			continue;
		}
		for (size_t i = 0; i < cat->n_indicators; i++) {
			bench_flat_all(cat, &r->data, &cat->indicators[i],
			    &r->per[0], r->scratch);
			check_one(ck, st, cat->divisions[ch].code, NULL,
			    &cat->indicators[i], &r->per[0], &r->scratch[ch]);
		}
		tally_store_close(st);
	}
}

/* Starts `tally-node run` for every county: the real-process mode. */
static int
spawn_nodes(struct run *r, struct bench_proc **out)
{
	struct bench_proc *ps = calloc(r->data.n, sizeof(*ps));

	if (ps == NULL) {
		return -1;
	}
	for (size_t i = 0; i < r->data.n; i++) {
		char  log[PATH_MAX];
		char *argv[8];

		snprintf(log, sizeof(log), "%s/l/%s.log", r->o->work,
		    r->cs[i].leaf->code);
		argv[0] = (char *) r->o->node_bin;
		argv[1] = "run";
		argv[2] = "--db";
		argv[3] = r->cs[i].db;
		argv[4] = "--hub";
		argv[5] = r->cs[i].url;
		argv[6] = NULL;
		if (bench_proc_spawn(&ps[i], r->cs[i].leaf->code, argv,
		        "/nonexistent/ready", log) != 0) {
			*out = ps;
			return -1;
		}
	}
	*out = ps;
	return 0;
}

static void
stop_nodes(struct bench_proc *ps, size_t n)
{
	for (size_t i = 0; ps != NULL && i < n; i++) {
		if (ps[i].pid > 0) {
			kill(ps[i].pid, SIGTERM);
		}
	}
	for (size_t i = 0; ps != NULL && i < n; i++) {
		bench_proc_stop(&ps[i], 10000);
	}
	free(ps);
}

/* Report latency: the dashboard's JSON API and the report command, each
 * for the province, all indicators, depth 2. */
static int
report_latency(struct run *r, struct bench_proc *php, const char *province,
    double *http, double *cli, size_t *body)
{
	const struct opts *o  = r->o;
	int                nr = o->report_runs;
	double            *v  = calloc((size_t) nr, sizeof(*v));
	char               url[512], db[PATH_MAX], ytext[8];
	char              *argv[12];

	if (v == NULL) {
		return -1;
	}
	snprintf(url, sizeof(url),
	    "%sapi/report?period=%04d&region=%s&depth=2", php->http, o->year,
	    province);
	for (int i = -5; i < nr; i++) {
		uint64_t t0 = bench_now_ns();
		int      status;

		if (bench_http_get(url, false, &status, body) != 0 ||
		    status != 200) {
			fprintf(stderr, "%s: GET %s failed\n", prog, url);
			free(v);
			return -1;
		}
		if (i >= 0) {
			v[i] = bench_ms_since(t0);
		}
	}
	http[0] = bench_percentile(v, (size_t) nr, 50);
	http[1] = bench_percentile(v, (size_t) nr, 99);
	http[2] = v[nr - 1];
	hub_db(o, province, db, sizeof(db));
	snprintf(ytext, sizeof(ytext), "%04d", o->year);
	argv[0]  = (char *) o->hub_bin;
	argv[1]  = "report";
	argv[2]  = "--db";
	argv[3]  = db;
	argv[4]  = "--period";
	argv[5]  = ytext;
	argv[6]  = "--depth";
	argv[7]  = "2";
	argv[8]  = "--format";
	argv[9]  = "json";
	argv[10] = NULL;
	for (int i = -2; i < nr; i++) {
		uint64_t t0 = bench_now_ns();

		if (bench_run(argv, NULL, "/dev/null") != 0) {
			fprintf(stderr, "%s: tally-hub report failed\n", prog);
			free(v);
			return -1;
		}
		if (i >= 0) {
			v[i] = bench_ms_since(t0);
		}
	}
	cli[0] = bench_percentile(v, (size_t) nr, 50);
	cli[1] = bench_percentile(v, (size_t) nr, 99);
	cli[2] = v[nr - 1];
	free(v);
	return 0;
}

/* Report latency when the data just changed, which is when the
 * dashboard's cached rendering cannot be used: n times, a probe's
 * correction at a county (waited for until the province has it), then
 * the first GET of the report after it. */
static int
report_cold(struct run *r, struct bench_proc *php, struct tally_store *pst,
    size_t probe_ii, size_t pslot, int n, double *out)
{
	const struct opts *o = r->o;
	double            *v = calloc((size_t) n, sizeof(*v));
	struct bench_rng   rng;
	char               url[512];
	size_t             body;

	if (v == NULL) {
		return -1;
	}
	snprintf(url, sizeof(url),
	    "%sapi/report?period=%04d&region=%s&depth=2", php->http, o->year,
	    o->region);
	bench_rng_seed(&rng, o->seed + 7);
	for (int i = 0; i < n; i++) {
		size_t   county = bench_rng_below(&rng, r->data.n), row;
		double   lat, ack;
		uint64_t t0;
		int      status;

		if (probe_once(r, pst, county, probe_ii,
		        (size_t) (o->probes + i), pslot, !o->real_nodes, &lat,
		        &ack, &row) != 0) {
			free(v);
			return -1;
		}
		t0 = bench_now_ns();
		if (bench_http_get(url, false, &status, &body) != 0 ||
		    status != 200) {
			fprintf(stderr, "%s: GET %s failed\n", prog, url);
			free(v);
			return -1;
		}
		v[i] = bench_ms_since(t0);
	}
	out[0] = bench_percentile(v, (size_t) n, 50);
	out[1] = bench_percentile(v, (size_t) n, 99);
	out[2] = bench_percentile(v, (size_t) n, 100);
	free(v);
	return 0;
}

static int
cmd_tree(const struct opts *o)
{
	struct run                   r;
	struct tally_store          *pst = NULL;
	struct bench_proc           *php = NULL, *nodes = NULL;
	struct bench_sums           *want = NULL;
	const struct tally_division *pd;
	struct load                  ld;
	struct load_thread          *lth = NULL;
	struct tally_uplink_stats    stats;
	struct check                 ck = { 0, 0 }, ckc = { 0, 0 };
	struct bench_rng             rng;
	double                      *lat = NULL, *ack = NULL;
	double                       conv_ms, http[3], cli[3], load_s = 0;
	double                       cold[3];
	int                          ncold;
	double                       held_ms, c50, c99;
	const char                  *provs[1];
	char                         db[PATH_MAX];
	size_t                       pslot, probe_ii, body = 0, cities = 0;
	size_t                       load_done = 0, view = 0, view_gz = 0;
	long                         prss, phwm, crss, chwm;
	int                          ex, started = 0;
	uint64_t                     t0;

	memset(&ld, 0, sizeof(ld));
	ex = run_setup(&r, o, o->region);
	if (ex != EX_OK) {
		goto done;
	}
	pd = tally_catalog_division(r.cat, o->region);
	if (pd->level != TALLY_LEVEL_PROVINCE) {
		ex =
		    fail(EX_USAGE, "--region %s is not a province", o->region);
		goto done;
	}
	pslot = (size_t) (pd - r.cat->divisions);
	php   = hub_spawn(o, &r.hubs, o->region, NULL, NULL, NULL, true);
	if (php == NULL || hubs_wait(&r.hubs) != 0) {
		ex = EX_UNAVAILABLE;
		goto done;
	}
	for (size_t ch = pd->first_child; ch != TALLY_NO_INDEX;
	     ch        = r.cat->divisions[ch].next_sibling) {
		/* A city without counties is a leaf: a node, not a hub. */
		if (r.cat->divisions[ch].first_child == TALLY_NO_INDEX) {
			continue;
		}
		if (hub_spawn(o, &r.hubs, r.cat->divisions[ch].code,
		        hubs_find(&r.hubs, o->region)->url, NULL, NULL,
		        false) == NULL) {
			ex = EX_OSERR;
			goto done;
		}
		cities++;
	}
	if (hubs_wait(&r.hubs) != 0) {
		ex = EX_UNAVAILABLE;
		goto done;
	}
	php = hubs_find(&r.hubs, o->region);
	ex  = counties_connect(&r, true, !o->real_nodes);
	if (ex != EX_OK) {
		goto done;
	}
	want = flat_table(r.cat, &r.data, r.per, pslot);
	hub_db(o, o->region, db, sizeof(db));
	if (want == NULL || open_read(r.cat, db, false, &pst) != TALLY_OK) {
		ex = EX_IOERR;
		goto done;
	}

	/* Convergence: every county pushes its year; until the province's
	 * every figure is the flat one. */
	memset(&stats, 0, sizeof(stats));
	t0 = bench_now_ns();
	if (o->real_nodes) {
		if (spawn_nodes(&r, &nodes) != 0) {
			ex = EX_OSERR;
			goto done;
		}
	} else if (bench_counties_push(r.cat, r.cs, r.data.n, o->workers,
	               BENCH_PUSH_MS, &stats) != TALLY_OK) {
		ex = fail(EX_UNAVAILABLE, "the first push failed");
		goto done;
	}
	if (wait_own_equal(r.cat, pst, r.per, want, 5, o->timeout_s * 1000) !=
	    0) {
		ex = fail(EX_SOFTWARE, "the province did not converge in %d s",
		    o->timeout_s);
		goto done;
	}
	conv_ms = bench_ms_since(t0);
	fprintf(stderr, "%s: converged in %.0f ms\n", prog, conv_ms);

	/* Freshness under load. */
	probe_ii = (size_t) (tally_catalog_indicator(r.cat, "mfg_pass_rate") -
	    r.cat->indicators);
	ld.cs    = r.cs;
	ld.n     = r.data.n;
	ld.probe_ind = &r.cat->indicators[probe_ii];
	ld.push      = !o->real_nodes;
	atomic_init(&ld.stop, false);
	atomic_init(&ld.done, 0);
	atomic_init(&ld.failed, TALLY_OK);
	if (o->load > 0) {
		lth = calloc((size_t) o->load_threads, sizeof(*lth));
		if (lth == NULL) {
			ex = fail(EX_OSERR, "out of memory");
			goto done;
		}
		ld.rate = o->load / o->load_threads;
		for (; started < o->load_threads; started++) {
			/* Each thread its own seed, all from --seed. */
			lth[started].l = &ld;
			lth[started].seed =
			    o->seed * 1000 + (uint64_t) started;
			if (pthread_create(&lth[started].th, NULL, load_main,
			        &lth[started]) != 0) {
				break;
			}
		}
	}
	t0  = bench_now_ns();
	lat = calloc((size_t) o->probes, sizeof(*lat));
	ack = calloc((size_t) o->probes, sizeof(*ack));
	if (lat == NULL || ack == NULL) {
		ex = fail(EX_OSERR, "out of memory");
		goto stop_load;
	}
	bench_rng_seed(&rng, o->seed);
	bench_sleep_ms(500);
	for (int k = 0; k < o->probes; k++) {
		size_t county = bench_rng_below(&rng, r.data.n), row;

		/* Probes at random moments, 20 to 80 ms apart, so that they
		 * land anywhere in the load's cycle. */
		bench_sleep_ms(20 + (double) bench_rng_below(&rng, 60));
		if (probe_once(&r, pst, county, probe_ii, (size_t) k, pslot,
		        !o->real_nodes, &lat[k], &ack[k], &row) != 0) {
			ex = fail(EX_SOFTWARE, "probe %d failed", k);
			goto stop_load;
		}
	}
stop_load:
	load_s = bench_ms_since(t0) / 1000;
	atomic_store(&ld.stop, true);
	for (int i = 0; i < started; i++) {
		pthread_join(lth[i].th, NULL);
	}
	load_done = atomic_load(&ld.done);
	if (ex != EX_OK) {
		goto done;
	}
	if (atomic_load(&ld.failed) != TALLY_OK) {
		ex = fail(EX_SOFTWARE, "the background load failed");
		goto done;
	}

	/* Exact at the end: whatever is pending is pushed, and then every
	 * figure of the tree must be the flat figure of what the counties
	 * hold. */
	if (!o->real_nodes &&
	    bench_counties_push(r.cat, r.cs, r.data.n, o->workers,
	        BENCH_PUSH_MS, &stats) != TALLY_OK) {
		ex = fail(EX_UNAVAILABLE, "the last push failed");
		goto done;
	}
	if (reload_leaves(r.cat, r.cs, r.data.n) != TALLY_OK) {
		ex = EX_IOERR;
		goto done;
	}
	free(want);
	want = flat_table(r.cat, &r.data, r.per, pslot);
	if (want == NULL ||
	    wait_own_equal(r.cat, pst, r.per, want, 5, 120000) != 0) {
		fprintf(stderr, "%s: the province did not settle\n", prog);
	}
	/* The cities' uplinks forward the counties after their own state:
	 * the held states are checked once they are all there (or the
	 * check shows which are not). */
	provs[0] = o->region;
	held_ms  = wait_held(&r, provs, 1, BENCH_NPER, 120000);
	if (held_ms < 0) {
		fprintf(stderr, "%s: the province did not get every county\n",
		    prog);
	}
	if (tally_store_read_begin(pst) == TALLY_OK) {
		check_tree(&r, pst, o->region, &ck);
		tally_store_read_end(pst);
	}
	check_city_hubs(&r, o->region, &ckc);

	if (report_latency(&r, php, o->region, http, cli, &body) != 0 ||
	    bench_first_view(php->http, o->region, o->year, "mfg_pass_rate",
	        true, &view_gz) != 0 ||
	    bench_first_view(php->http, o->region, o->year, "mfg_pass_rate",
	        false, &view) != 0) {
		ex = EX_UNAVAILABLE;
		goto done;
	}
	/* After the checks: the probes change the data. */
	ncold = o->report_runs < 50 ? o->report_runs : 50;
	if (report_cold(&r, php, pst, probe_ii, pslot, ncold, cold) != 0) {
		ex = fail(EX_UNAVAILABLE, "cold report runs failed");
		goto done;
	}
	hubs_rss(&r.hubs, is_province, &prss, &phwm);
	hubs_rss(&r.hubs, is_city, &crss, &chwm);
	snprintf(db, sizeof(db), "%s/commit.db", o->work);
	if (commit_latency(db, 200, &c50, &c99) != 0) {
		ex = fail(EX_IOERR, "cannot measure a commit");
		goto done;
	}

	printf("### Tree: %s, 1 + %zu + %zu, %s\n\n", o->region, cities,
	    r.data.n,
	    o->real_nodes ? "counties as `tally-node run` processes"
	                  : "counties simulated in one process");
	printf("| figure | value |\n| --- | --- |\n");
	printf("| convergence: every county's year until the province's "
	       "%zu figures are exact | %.0f ms |\n",
	    r.cat->n_indicators * BENCH_NPER, conv_ms);
	printf("| background load: corrections pushed (target rate) | %zu "
	       "in %.1f s = %.0f/s (%.0f/s) |\n",
	    load_done, load_s, (double) load_done / load_s, o->load);
	printf("| probes: a county's correction of `mfg_pass_rate` | %d |\n",
	    o->probes);
	if (!o->real_nodes) {
		printf("| county push acknowledged by its city hub: p50 / p99 "
		       "| %.1f / %.1f ms |\n",
		    bench_percentile(ack, (size_t) o->probes, 50),
		    bench_percentile(ack, (size_t) o->probes, 99));
	}
	printf("| **freshness: push until the province figure has it, p50 / "
	       "p99 / max** | **%.1f / %.1f / %.1f ms** |\n",
	    bench_percentile(lat, (size_t) o->probes, 50),
	    bench_percentile(lat, (size_t) o->probes, 99),
	    bench_percentile(lat, (size_t) o->probes, 100));
	printf("| one commit of one state (WAL, synchronous=FULL) on this "
	       "disk, 200 times: p50 / p99 | %.1f / %.1f ms |\n",
	    c50, c99);
	printf("| figures checked at the province (its own, every city and "
	       "county it holds, 17 periods) | %zu, %zu wrong |\n",
	    ck.compared, ck.bad);
	printf("| figures checked at the city hubs (year) | %zu, %zu wrong "
	       "|\n",
	    ckc.compared, ckc.bad);
	printf("| **report, `GET /api/report` depth 2, %d runs with the "
	       "data unchanged (warm): p50 / p99** | "
	       "**%.1f / %.1f ms** (%zu bytes) |\n",
	    o->report_runs, http[0], http[1], body);
	printf("| **report, `GET /api/report` depth 2, first after a "
	       "county's correction reached the province (cold), %d runs: "
	       "p50 / p99 / max** | **%.1f / %.1f / %.1f ms** |\n",
	    ncold, cold[0], cold[1], cold[2]);
	printf("| **dashboard first view (the page and its five API "
	       "answers), bytes sent gzip-compressed (uncompressed)** | "
	       "**%zu** (%zu) |\n",
	    view_gz, view);
	printf("| report, `tally-hub report --depth 2 --format json` (whole "
	       "process): p50 / p99 | %.1f / %.1f ms |\n",
	    cli[0], cli[1]);
	printf("| province hub RSS (peak) | %.1f MB (%.1f MB) |\n",
	    (double) prss / 1024, (double) phwm / 1024);
	printf("| largest city hub RSS (peak) | %.1f MB (%.1f MB) |\n\n",
	    (double) crss / 1024, (double) chwm / 1024);
	print_machine_line();
	if (ck.bad > 0 || ckc.bad > 0 || ck.compared == 0) {
		ex = fail(EX_SOFTWARE, "tree: results are not exact");
	}
done:
	stop_nodes(nodes, r.data.n);
	tally_store_close(pst);
	free(lth);
	free(lat);
	free(ack);
	free(want);
	run_free(&r);
	return ex;
}

/* ---------------------------------------------------------------- */
/* national */

/* Bytes on disk of the databases named like pattern's hubs, their WAL
 * included. */
static double
db_megabytes(const char *dir, const char *name)
{
	char        path[PATH_MAX];
	struct stat sb;
	double      total = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &sb) == 0) {
		total += (double) sb.st_size;
	}
	snprintf(path, sizeof(path), "%s/%s-wal", dir, name);
	if (stat(path, &sb) == 0) {
		total += (double) sb.st_size;
	}
	return total / 1e6;
}

/* Every figure of the country: each province hub's own (17 periods) and
 * the year's figure of every city and county it holds, against the flat
 * reference and, with pg, against PostgreSQL's (pg_by, the year). */
static void
check_national(struct run *r, const char *const *provs, size_t np,
    const struct bench_sums *pg_by, struct check *ck, struct check *ckpg)
{
	const struct tally_catalog *cat    = r->cat;
	size_t                      stride = cat->n_divisions + 1;

	for (size_t p = 0; p < np; p++) {
		const struct tally_division *pd =
		    tally_catalog_division(cat, provs[p]);
		size_t              ps = (size_t) (pd - cat->divisions);
		struct tally_store *st = NULL;
		char                db[PATH_MAX];

		hub_db(r->o, provs[p], db, sizeof(db));
		if (open_read(cat, db, false, &st) != TALLY_OK ||
		    tally_store_read_begin(st) != TALLY_OK) {
			ck->bad++;
			tally_store_close(st);
			continue;
		}
		for (size_t i = 0; i < cat->n_indicators; i++) {
			const struct tally_indicator *ind =
			    &cat->indicators[i];
			const struct bench_sums *pgi =
			    pg_by != NULL ? &pg_by[i * stride] : NULL;

			for (size_t k = 0; k < BENCH_NPER; k++) {
				bench_flat_all(cat, &r->data, ind, &r->per[k],
				    r->scratch);
				check_one(ck, st, provs[p], NULL, ind,
				    &r->per[k], &r->scratch[ps]);
				if (k > 0) {
					continue;
				}
				if (pgi != NULL) {
					check_one(ckpg, st, provs[p], NULL,
					    ind, &r->per[0], &pgi[ps]);
				}
				for (size_t c = pd->first_child;
				     c != TALLY_NO_INDEX;
				     c = cat->divisions[c].next_sibling) {
					const struct tally_division *cd =
					    &cat->divisions[c];

					check_one(ck, st, provs[p], cd->code,
					    ind, &r->per[0], &r->scratch[c]);
					if (pgi != NULL) {
						check_one(ckpg, st, provs[p],
						    cd->code, ind, &r->per[0],
						    &pgi[c]);
					}
					for (size_t g = cd->first_child;
					     g != TALLY_NO_INDEX;
					     g = cat->divisions[g]
					             .next_sibling) {
						const char *gc =
						    cat->divisions[g].code;

						check_one(ck, st, provs[p], gc,
						    ind, &r->per[0],
						    &r->scratch[g]);
						if (pgi != NULL) {
							check_one(ckpg, st,
							    provs[p], gc, ind,
							    &r->per[0],
							    &pgi[g]);
						}
					}
				}
			}
		}
		tally_store_read_end(st);
		tally_store_close(st);
	}
}

/* PostgreSQL's figures against the flat reference: every region and the
 * whole, every indicator, the year. */
static void
check_pg(struct run *r, const struct bench_sums *by, struct check *ck)
{
	const struct tally_catalog *cat    = r->cat;
	size_t                      stride = cat->n_divisions + 1;

	for (size_t i = 0; i < cat->n_indicators; i++) {
		bench_flat_all(cat, &r->data, &cat->indicators[i], &r->per[0],
		    r->scratch);
		for (size_t s = 0; s < stride; s++) {
			const struct bench_sums *got = &by[i * stride + s];

			if (got->leaves == 0 && r->scratch[s].leaves == 0) {
				continue;
			}
			ck->compared++;
			if (!bench_sums_equal(got, &r->scratch[s]) &&
			    ++ck->bad <= 10) {
				fprintf(stderr,
				    "%s: MISMATCH postgresql %s %s: %.17g/"
				    "%.17g (%u), flat %.17g/%.17g (%u)\n",
				    prog,
				    s < cat->n_divisions
				        ? cat->divisions[s].code
				        : "national",
				    cat->indicators[i].id, got->a, got->b,
				    got->leaves, r->scratch[s].a,
				    r->scratch[s].b, r->scratch[s].leaves);
			}
		}
	}
}

/* The CPU time the hubs used, in milliseconds. */
static double
hubs_cpu_ms(struct hubs *h)
{
	double total = 0;

	for (size_t i = 0; i < h->n; i++) {
		double ms = bench_cpu_ms(h->p[i].pid);

		total += ms > 0 ? ms : 0;
	}
	return total;
}

static double
self_cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	    (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/* A correction made during the run, for PostgreSQL to make too. */
struct fix {
	size_t            county;
	struct bench_row  row;  /* the row with its new figures */
	struct bench_sums want; /* the national figure with it */
};

static int
cmd_national(const struct opts *o)
{
	struct run                r;
	struct tally_store       *gst  = NULL;
	struct bench_pg          *pg   = NULL;
	struct bench_sums        *want = NULL, *pg_by = NULL, *orig = NULL;
	struct bench_proc        *gp;
	struct tally_uplink_stats stats;
	struct check              ck = { 0, 0 }, ckpg = { 0, 0 };
	struct check              ckflat = { 0, 0 }, ckn = { 0, 0 };
	struct bench_rng          rng;
	struct fix               *fixes   = NULL;
	const char              **provs   = NULL;
	char                     *members = NULL;
	char                      db[PATH_MAX], dir[PATH_MAX];
	double                    conv_ms, push_ms, copy_ms = 0, q[5];
	double                    hub_cpu0, self_cpu0, hub_cpu, self_cpu;
	double                    idle_cpu, held_ms;
	double                   *lat = NULL, *pgfix = NULL;
	double                    tdb[4] = { 0, 0, 0, 0 };
	size_t                    np = 0, ncities = 0, probe_ii, stride;
	long                      grss, ghwm, prss, phwm, crss, chwm;
	int                       ex;
	uint64_t                  t0;

	ex = run_setup(&r, o, NULL);
	if (ex != EX_OK) {
		goto done;
	}
	stride  = r.cat->n_divisions + 1;
	provs   = calloc(r.data.n, sizeof(*provs));
	members = calloc(r.data.n, TALLY_REGION_STRLEN);
	orig    = calloc(r.cat->n_indicators * stride, sizeof(*orig));
	if (provs == NULL || members == NULL || orig == NULL) {
		ex = fail(EX_OSERR, "out of memory");
		goto done;
	}
	/* The provinces that have leaves in the data. A few cities have
	 * no counties and are leaves themselves, right below their
	 * province. */
	for (size_t i = 0; i < r.data.n; i++) {
		const struct tally_division *p =
		    &r.cat->divisions[r.data.leaves[i].div];

		while (p->parent != TALLY_NO_INDEX) {
			p = &r.cat->divisions[p->parent];
		}
		if (np == 0 || strcmp(provs[np - 1], p->code) != 0) {
			provs[np++] = p->code;
			if (np > 1) {
				strcat(members, ",");
			}
			strcat(members, p->code);
		}
	}
	if (np < 2) {
		ex = fail(EX_USAGE,
		    "national: the data must cover at least "
		    "two provinces (the national hub is a "
		    "comparison group)");
		goto done;
	}
	gp = hub_spawn(o, &r.hubs, BENCH_NATION, NULL, NULL, members, false);
	if (gp == NULL || hubs_wait(&r.hubs) != 0) {
		ex = EX_UNAVAILABLE;
		goto done;
	}
	gp = hubs_find(&r.hubs, BENCH_NATION);
	for (size_t p = 0; p < np; p++) {
		if (hub_spawn(o, &r.hubs, provs[p], NULL, gp->url, NULL,
		        false) == NULL) {
			ex = EX_OSERR;
			goto done;
		}
	}
	if (hubs_wait(&r.hubs) != 0) {
		ex = EX_UNAVAILABLE;
		goto done;
	}
	for (size_t i = 0; i < r.data.n; i++) {
		const struct tally_division *c =
		    tally_catalog_division(r.cat, r.cs[i].parent);

		if (c->level == TALLY_LEVEL_PROVINCE ||
		    hubs_find(&r.hubs, c->code) != NULL) {
			continue;
		}
		if (hub_spawn(o, &r.hubs, c->code,
		        hubs_find(&r.hubs, c->parent_code)->url, NULL, NULL,
		        false) == NULL) {
			ex = EX_OSERR;
			goto done;
		}
		ncities++;
	}
	if (hubs_wait(&r.hubs) != 0) {
		ex = EX_UNAVAILABLE;
		goto done;
	}
	/* Every county open, as thousands of running nodes would be: a
	 * store and a socket each (four files). */
	ex = counties_connect(&r, true, true);
	if (ex != EX_OK) {
		goto done;
	}
	want = flat_table(r.cat, &r.data, r.per, r.cat->n_divisions);
	hub_db(o, BENCH_NATION, db, sizeof(db));
	if (want == NULL || open_read(r.cat, db, true, &gst) != TALLY_OK) {
		ex = EX_IOERR;
		goto done;
	}
	for (size_t i = 0; i < r.cat->n_indicators; i++) {
		bench_flat_all(r.cat, &r.data, &r.cat->indicators[i],
		    &r.per[0], r.scratch);
		memcpy(&orig[i * stride], r.scratch, stride * sizeof(*orig));
	}
	fprintf(stderr, "%s: %zu hubs up; pushing\n", prog, r.hubs.n);

	/* Convergence: every county pushes its year, workers at a time;
	 * until the national figures are all exact. */
	memset(&stats, 0, sizeof(stats));
	hub_cpu0  = hubs_cpu_ms(&r.hubs);
	self_cpu0 = self_cpu_ms();
	t0        = bench_now_ns();
	if (bench_counties_push(r.cat, r.cs, r.data.n, o->workers,
	        BENCH_PUSH_MS, &stats) != TALLY_OK) {
		ex = fail(EX_UNAVAILABLE, "the push failed");
		goto done;
	}
	push_ms = bench_ms_since(t0);
	if (wait_own_equal(r.cat, gst, r.per, want, 20, o->timeout_s * 1000) !=
	    0) {
		ex = fail(EX_SOFTWARE,
		    "the national figure did not converge "
		    "in %d s",
		    o->timeout_s);
		goto done;
	}
	conv_ms  = bench_ms_since(t0);
	hub_cpu  = hubs_cpu_ms(&r.hubs) - hub_cpu0;
	self_cpu = self_cpu_ms() - self_cpu0;
	fprintf(stderr, "%s: converged in %.0f ms\n", prog, conv_ms);

	/* Drill-down: the cities forward their counties after their own
	 * figures, so the provinces hold every county a little later. */
	held_ms = wait_held(&r, provs, np, 1, o->timeout_s * 1000);
	if (held_ms < 0) {
		fprintf(stderr, "%s: the provinces did not get every county\n",
		    prog);
	} else {
		held_ms += conv_ms;
	}

	/* Exact: the national figures, and every province's, city's and
	 * county's at the province hubs. */
	for (size_t i = 0; i < r.cat->n_indicators; i++) {
		for (size_t k = 0; k < BENCH_NPER; k++) {
			check_one(&ckn, gst, BENCH_NATION, NULL,
			    &r.cat->indicators[i], &r.per[k],
			    &want[i * BENCH_NPER + k]);
		}
	}
	check_national(&r, provs, np, NULL, &ck, NULL);

	/* What 370 idle hubs cost: each looks at its outbox every second. */
	hub_cpu0 = hubs_cpu_ms(&r.hubs);
	bench_sleep_ms(10000);
	idle_cpu = (hubs_cpu_ms(&r.hubs) - hub_cpu0) / 10000;

	/* Freshness after one county's correction: until the national
	 * figure has it. */
	probe_ii = (size_t) (tally_catalog_indicator(r.cat, "mfg_pass_rate") -
	    r.cat->indicators);
	lat      = calloc((size_t) o->probes, sizeof(*lat));
	pgfix    = calloc((size_t) o->probes, sizeof(*pgfix));
	fixes    = calloc((size_t) o->probes, sizeof(*fixes));
	if (lat == NULL || pgfix == NULL || fixes == NULL) {
		ex = fail(EX_OSERR, "out of memory");
		goto done;
	}
	bench_rng_seed(&rng, o->seed);
	for (int k = 0; k < o->probes; k++) {
		size_t county = bench_rng_below(&rng, r.data.n), row;
		double ack;

		bench_sleep_ms(20 + (double) bench_rng_below(&rng, 60));
		if (probe_once(&r, gst, county, probe_ii, (size_t) k,
		        r.cat->n_divisions, true, &lat[k], &ack, &row) != 0) {
			ex = fail(EX_SOFTWARE, "probe %d failed", k);
			goto done;
		}
		fixes[k].county = county;
		fixes[k].row    = r.cs[county].leaf->rows[row];
		fixes[k].want   = r.scratch[r.cat->n_divisions];
	}

	hubs_rss(&r.hubs, is_nation, &grss, &ghwm);
	hubs_rss(&r.hubs, is_province, &prss, &phwm);
	hubs_rss(&r.hubs, is_city, &crss, &chwm);

	/* The hubs stop before PostgreSQL runs, so that it has the machine
	 * to itself; their databases stay to be read. */
	tally_store_close(gst);
	gst = NULL;
	bench_counties_free(r.cs, r.data.n);
	r.cs = NULL;
	hubs_stop_keep(&r.hubs);

	if (o->pg != NULL) {
		pg    = bench_pg_connect(o->pg);
		pg_by = calloc(r.cat->n_indicators * stride, sizeof(*pg_by));
		if (pg == NULL || pg_by == NULL ||
		    bench_pg_load(pg, r.cat, o->flat, &copy_ms) != 0) {
			ex = EX_UNAVAILABLE;
			goto done;
		}
		for (int i = 0; i < 5; i++) {
			if (bench_pg_rollup(
			        pg, r.cat, o->year, pg_by, &q[i]) != 0) {
				ex = EX_UNAVAILABLE;
				goto done;
			}
		}
		/* The rows as they were before the corrections. */
		for (size_t i = 0; i < r.cat->n_indicators * stride; i++) {
			if (pg_by[i].leaves == 0 && orig[i].leaves == 0) {
				continue;
			}
			ckflat.compared++;
			if (!bench_sums_equal(&pg_by[i], &orig[i]) &&
			    ++ckflat.bad <= 10) {
				fprintf(stderr,
				    "%s: MISMATCH postgresql %s %s\n", prog,
				    i % stride < r.cat->n_divisions
				        ? r.cat->divisions[i % stride].code
				        : "national",
				    r.cat->indicators[i / stride].id);
			}
		}
		/* The same corrections, each the row updated and the rollup
		 * run again. */
		for (int k = 0; k < o->probes; k++) {
			double upd, qms;

			if (bench_pg_update(pg,
			        r.data.leaves[fixes[k].county].code,
			        &fixes[k].row, &upd) != 0 ||
			    bench_pg_rollup(pg, r.cat, o->year, pg_by, &qms) !=
			        0) {
				ex = EX_UNAVAILABLE;
				goto done;
			}
			pgfix[k] = upd + qms;
			ckflat.compared++;
			if (!bench_sums_equal(
			        &pg_by[probe_ii * stride + r.cat->n_divisions],
			        &fixes[k].want)) {
				ckflat.bad++;
				fprintf(stderr,
				    "%s: postgresql missed correction %d\n",
				    prog, k);
			}
		}
		check_pg(&r, pg_by, &ckflat);
	}
	/* Tally after the corrections, every level, against the flat
	 * reference and PostgreSQL's figures after the same corrections. */
	check_national(&r, provs, np, pg_by, &ck, &ckpg);
	hub_db(o, BENCH_NATION, db, sizeof(db));
	if (open_read(r.cat, db, true, &gst) == TALLY_OK) {
		for (size_t i = 0; i < r.cat->n_indicators; i++) {
			bench_flat_all(r.cat, &r.data, &r.cat->indicators[i],
			    &r.per[0], r.scratch);
			check_one(&ckn, gst, BENCH_NATION, NULL,
			    &r.cat->indicators[i], &r.per[0],
			    &r.scratch[r.cat->n_divisions]);
			if (pg_by != NULL) {
				check_one(&ckpg, gst, BENCH_NATION, NULL,
				    &r.cat->indicators[i], &r.per[0],
				    &pg_by[i * stride + r.cat->n_divisions]);
			}
		}
	} else {
		ckn.bad++;
	}

	snprintf(dir, sizeof(dir), "%s/c", o->work);
	for (size_t i = 0; i < r.data.n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "%s.db", r.data.leaves[i].code);
		tdb[0] += db_megabytes(dir, name);
	}
	snprintf(dir, sizeof(dir), "%s/h", o->work);
	for (size_t i = 0; i < r.hubs.n; i++) {
		char name[96];

		snprintf(name, sizeof(name), "%s.db", r.hubs.p[i].name);
		tdb[is_nation(r.hubs.p[i].name)         ? 3
		        : is_province(r.hubs.p[i].name) ? 2
		                                        : 1] +=
		    db_megabytes(dir, name);
	}

	printf("### National: %zu provinces, %zu cities, %zu counties, %zu "
	       "rows\n\n",
	    np, ncities, r.data.n, r.data.rows);
	printf("| figure | value |\n| --- | --- |\n");
	printf("| hubs: 1 national (a comparison group of every province), "
	       "%zu province, %zu city | %zu processes |\n",
	    np, ncities, r.hubs.n);
	printf("| states the counties sent (%d pushing at a time) | %zu "
	       "accepted, %zu other |\n",
	    o->workers, stats.accepted,
	    stats.duplicate + stats.stale + stats.rejected);
	printf("| every county pushed and acknowledged | %.2f s |\n",
	    push_ms / 1000);
	printf("| **Tally: until the national figures (%zu) are complete "
	       "and exact** | **%.2f s** |\n",
	    r.cat->n_indicators * BENCH_NPER, conv_ms / 1000);
	printf("| until every province also holds each of its cities and "
	       "counties (drill-down) | %.2f s |\n",
	    held_ms / 1000);
	printf("| CPU used meanwhile: all hubs / the simulated counties | "
	       "%.1f s / %.1f s |\n",
	    hub_cpu / 1000, self_cpu / 1000);
	printf("| CPU the idle hubs use (each looks at its outbox every "
	       "second) | %.0f%% of one core |\n",
	    idle_cpu * 100);
	if (pg != NULL) {
		double qm = bench_percentile(q, 5, 50);

		printf("| PostgreSQL: COPY of the same %zu rows | %.2f s |\n",
		    r.data.rows, copy_ms / 1000);
		printf("| PostgreSQL: `GROUP BY ROLLUP(province, city, "
		       "county)` for the year, first / median of 5 | %.2f / "
		       "%.2f s |\n",
		    q[0] / 1000, qm / 1000);
		printf("| **PostgreSQL: COPY + rollup** | **%.2f s** |\n",
		    (copy_ms + q[0]) / 1000);
		printf("| **Tally / PostgreSQL** | **%.2f** |\n",
		    conv_ms / (copy_ms + q[0]));
		printf("| PostgreSQL figures checked against the flat "
		       "reference | %zu, %zu wrong |\n",
		    ckflat.compared, ckflat.bad);
		printf("| Tally figures checked against PostgreSQL's (year, "
		       "after the corrections) | %zu, %zu wrong |\n",
		    ckpg.compared, ckpg.bad);
	}
	printf("| Tally national figures checked against the flat reference "
	       "| %zu, %zu wrong |\n",
	    ckn.compared, ckn.bad);
	printf("| Tally province, city and county figures checked (at the "
	       "province hubs) | %zu, %zu wrong |\n",
	    ck.compared, ck.bad);
	printf("| **correction at one county, %d probes: Tally until the "
	       "national figure has it, p50 / max** | **%.1f / %.1f ms** "
	       "|\n",
	    o->probes, bench_percentile(lat, (size_t) o->probes, 50),
	    bench_percentile(lat, (size_t) o->probes, 100));
	if (pg != NULL) {
		printf("| **PostgreSQL: UPDATE the row and run the rollup "
		       "again, p50 / max** | **%.1f / %.1f ms** |\n",
		    bench_percentile(pgfix, (size_t) o->probes, 50),
		    bench_percentile(pgfix, (size_t) o->probes, 100));
		printf("| PostgreSQL server | %s |\n", bench_pg_version(pg));
	}
	printf("| RSS: national hub / largest province hub / largest city "
	       "hub (peaks) | %.1f / %.1f / %.1f MB (%.1f / %.1f / %.1f MB) "
	       "|\n",
	    (double) grss / 1024, (double) prss / 1024, (double) crss / 1024,
	    (double) ghwm / 1024, (double) phwm / 1024, (double) chwm / 1024);
	printf("| databases on disk: counties / city hubs / province hubs / "
	       "national | %.0f / %.0f / %.0f / %.1f MB |\n\n",
	    tdb[0], tdb[1], tdb[2], tdb[3]);
	print_machine_line();
	if (ck.bad > 0 || ckn.bad > 0 || ckpg.bad > 0 || ckflat.bad > 0 ||
	    ck.compared == 0 || ckn.compared == 0 ||
	    (pg != NULL && (ckpg.compared == 0 || ckflat.compared == 0))) {
		ex = fail(EX_SOFTWARE, "national: results are not exact");
	}
done:
	tally_store_close(gst);
	bench_pg_close(pg);
	free(pg_by);
	free(orig);
	free(want);
	free(lat);
	free(pgfix);
	free(fixes);
	free(provs);
	free(members);
	run_free(&r);
	return ex;
}

/* ---------------------------------------------------------------- */
/* main */

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: %s COMMAND --flat FILE --work DIR [OPTIONS]\n"
	    "\n"
	    "Commands (bench/RESULTS.md says what each measures):\n"
	    "  ingest    --region CITY [--rounds N]\n"
	    "            one hub's ingest against raw SQLite upserts of the\n"
	    "            same rows (the limit); hub and idle node memory\n"
	    "  tree      --region PROVINCE [--probes N] [--load N]\n"
	    "            [--load-threads N] [--report-runs N] [--real-nodes]\n"
	    "            a province's tree: convergence, freshness under\n"
	    "            load, report latency\n"
	    "  national  [--pg CONNINFO] [--probes N]\n"
	    "            every province in FILE: convergence and freshness\n"
	    "            of the national figure, against PostgreSQL\n"
	    "\n"
	    "Options:\n"
	    "  --flat FILE       the raw rows (tally-gen --flat)\n"
	    "  --work DIR        a directory for stores, sockets and logs\n"
	    "  --year YYYY       the year of the rows (default 2020)\n"
	    "  --seed N          the seed of every random choice (default "
	    "1)\n"
	    "  --workers N       counties pushing at a time (default 8)\n"
	    "  --timeout S       the longest convergence (default 1800)\n"
	    "  --contexts N      tally-hub run --contexts N for every hub\n"
	    "  --hub-bin FILE    tally-hub (default: beside this program's\n"
	    "                    build directory)\n"
	    "  --node-bin FILE   tally-node (likewise)\n"
	    "\n"
	    "Every figure measured is checked against the flat reference\n"
	    "computed from the counties' raw rows; exit 70 when one is not\n"
	    "exact.\n",
	    prog);
}

enum {
	OPT_FLAT = 256,
	OPT_WORK,
	OPT_REGION,
	OPT_HUB_BIN,
	OPT_NODE_BIN,
	OPT_PG,
	OPT_YEAR,
	OPT_SEED,
	OPT_WORKERS,
	OPT_ROUNDS,
	OPT_PROBES,
	OPT_LOAD,
	OPT_LOAD_THREADS,
	OPT_REPORT_RUNS,
	OPT_TIMEOUT,
	OPT_REAL_NODES,
	OPT_CONTEXTS,
};

static const struct option long_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "flat", required_argument, NULL, OPT_FLAT },
	{ "work", required_argument, NULL, OPT_WORK },
	{ "region", required_argument, NULL, OPT_REGION },
	{ "hub-bin", required_argument, NULL, OPT_HUB_BIN },
	{ "node-bin", required_argument, NULL, OPT_NODE_BIN },
	{ "pg", required_argument, NULL, OPT_PG },
	{ "year", required_argument, NULL, OPT_YEAR },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	{ "probes", required_argument, NULL, OPT_PROBES },
	{ "load", required_argument, NULL, OPT_LOAD },
	{ "load-threads", required_argument, NULL, OPT_LOAD_THREADS },
	{ "report-runs", required_argument, NULL, OPT_REPORT_RUNS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "real-nodes", no_argument, NULL, OPT_REAL_NODES },
	{ "contexts", required_argument, NULL, OPT_CONTEXTS },
	{ NULL, 0, NULL, 0 },
};

/* A whole number in [lo, hi], or false. */
static bool
parse_num(const char *s, double lo, double hi, double *out)
{
	char  *end;
	double v;

	errno = 0;
	v     = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		return false;
	}
	*out = v;
	return true;
}

/* The programs beside this one in the build tree: bench/tally-bench,
 * hub/tally-hub, node/tally-node. */
static void
default_bins(struct opts *o)
{
	char    self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char   *slash;

	if (n <= 0) {
		return;
	}
	self[n] = '\0';
	slash   = strrchr(self, '/');
	if (slash == NULL) {
		return;
	}
	*slash = '\0';
	if (o->hub_bin == NULL) {
		snprintf(o->hub_buf, sizeof(o->hub_buf), "%s/../hub/tally-hub",
		    self);
		o->hub_bin = o->hub_buf;
	}
	if (o->node_bin == NULL) {
		snprintf(o->node_buf, sizeof(o->node_buf),
		    "%s/../node/tally-node", self);
		o->node_bin = o->node_buf;
	}
}

int
main(int argc, char **argv)
{
	struct opts o;
	double      v;
	int         c;

	memset(&o, 0, sizeof(o));
	o.year         = 2020;
	o.seed         = 1;
	o.workers      = 8;
	o.rounds       = 3;
	o.probes       = 200;
	o.load         = 50;
	o.load_threads = 2;
	o.report_runs  = 200;
	o.timeout_s    = 1800;
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 &&
		    (strcmp(argv[1], "-h") == 0 ||
		        strcmp(argv[1], "--help") == 0)) {
			usage(stdout);
			return EX_OK;
		}
		usage(stderr);
		return EX_USAGE;
	}
	o.cmd  = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		bool ok = true;

		switch (c) {
		case 'h':
			usage(stdout);
			return EX_OK;
		case OPT_FLAT:
			o.flat = optarg;
			break;
		case OPT_WORK:
			o.work = optarg;
			break;
		case OPT_REGION:
			o.region = optarg;
			break;
		case OPT_HUB_BIN:
			o.hub_bin = optarg;
			break;
		case OPT_NODE_BIN:
			o.node_bin = optarg;
			break;
		case OPT_PG:
			o.pg = optarg;
			break;
		case OPT_YEAR:
			ok     = parse_num(optarg, 1900, 2999, &v);
			o.year = (int) v;
			break;
		case OPT_SEED:
			ok     = parse_num(optarg, 0, 1e15, &v);
			o.seed = (uint64_t) v;
			break;
		case OPT_WORKERS:
			ok        = parse_num(optarg, 1, 1024, &v);
			o.workers = (int) v;
			break;
		case OPT_ROUNDS:
			ok       = parse_num(optarg, 1, 100, &v);
			o.rounds = (int) v;
			break;
		case OPT_PROBES:
			ok       = parse_num(optarg, 1, 100000, &v);
			o.probes = (int) v;
			break;
		case OPT_LOAD:
			ok     = parse_num(optarg, 0, 100000, &v);
			o.load = v;
			break;
		case OPT_LOAD_THREADS:
			ok             = parse_num(optarg, 1, 64, &v);
			o.load_threads = (int) v;
			break;
		case OPT_REPORT_RUNS:
			ok            = parse_num(optarg, 1, 100000, &v);
			o.report_runs = (int) v;
			break;
		case OPT_TIMEOUT:
			ok          = parse_num(optarg, 1, 86400, &v);
			o.timeout_s = (int) v;
			break;
		case OPT_REAL_NODES:
			o.real_nodes = true;
			break;
		case OPT_CONTEXTS:
			ok         = parse_num(optarg, 1, 4096, &v);
			o.contexts = optarg;
			break;
		default:
			usage(stderr);
			return EX_USAGE;
		}
		if (!ok) {
			fprintf(stderr,
			    "%s: %s: bad value '%s' (see %s --help)\n", prog,
			    argv[optind - 1], optarg, prog);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		return fail(
		    EX_USAGE, "unexpected argument '%s'", argv[optind]);
	}
	if (o.flat == NULL || o.work == NULL) {
		return fail(EX_USAGE, "--flat and --work are required");
	}
	default_bins(&o);
	tally_log_level = TALLY_LOG_ERROR;
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(o.cmd, "ingest") == 0 || strcmp(o.cmd, "tree") == 0) {
		if (o.region == NULL) {
			return fail(
			    EX_USAGE, "%s: --region is required", o.cmd);
		}
		return strcmp(o.cmd, "ingest") == 0 ? cmd_ingest(&o)
		                                    : cmd_tree(&o);
	}
	if (strcmp(o.cmd, "national") == 0) {
		return cmd_national(&o);
	}
	return fail(
	    EX_USAGE, "unknown command '%s' (see %s --help)", o.cmd, prog);
}

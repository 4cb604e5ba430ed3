/*
 * The parts every command of tally-bench shares (harness.h): the hub
 * processes, the checks against the flat reference, a run's setup.
 */
#include "harness.h"

#include "catalog.h"
#include "clock.h"
#include "errors.h"
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

const char *const bench_prog = "tally-bench";

int
bench_fail(int ex, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", bench_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return ex;
}

/* ---------------------------------------------------------------- */
/* Hubs */

/* Stops every hub and keeps the list (names) for what is read after. */
void
bench_hubs_stop_keep(struct bench_hubs *h)
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
hubs_stop(struct bench_hubs *h)
{
	bench_hubs_stop_keep(h);
	free(h->p);
	memset(h, 0, sizeof(*h));
}

/* Starts a hub named name (a region code or the national group): its
 * database work/h/NAME.db, its socket ipc://work/s/NAME. With members it
 * is the comparison hub of that group; else the region's hub, with its
 * parent, a comparison hub to report to, and a dashboard as asked. It is
 * not waited for: see bench_hubs_wait. */
struct bench_proc *
bench_hub_spawn(const struct bench_opts *o, struct bench_hubs *h,
    const char *name, const char *parent, const char *compare,
    const char *members, bool http)
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

int
bench_hubs_wait(struct bench_hubs *h)
{
	for (size_t i = 0; i < h->n; i++) {
		if (bench_proc_wait_ready(&h->p[i], BENCH_READY_MS) != 0) {
			return -1;
		}
	}
	return 0;
}

struct bench_proc *
bench_hubs_find(struct bench_hubs *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++) {
		if (strcmp(h->p[i].name, name) == 0) {
			return &h->p[i];
		}
	}
	return NULL;
}

void
bench_hub_db(
    const struct bench_opts *o, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/h/%s.db", o->work, name);
}

/* The largest resident set among the hubs whose names pass keep. */
void
bench_hubs_rss(
    struct bench_hubs *h, bool (*keep)(const char *), long *rss, long *hwm)
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

bool
bench_is_province(const char *name)
{
	return strlen(name) == 6 && strcmp(name + 2, "0000") == 0;
}

bool
bench_is_city(const char *name)
{
	return strlen(name) == 6 && !bench_is_province(name) &&
	    strcmp(name + 4, "00") == 0;
}

bool
bench_is_nation(const char *name)
{
	return strcmp(name, BENCH_NATION) == 0;
}

/* ---------------------------------------------------------------- */
/* Checks against the flat reference */

/* Compares what st holds, its own figure (held == NULL) or the state it
 * holds of the region held, with the flat figure want. */
void
bench_check_one(struct bench_check *ck, struct tally_store *st,
    const char *where, const char *held, const struct tally_indicator *ind,
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
		    bench_prog, where, held != NULL ? " holding " : "",
		    held != NULL ? held : "", ind->id, text, got.a, got.b,
		    got.leaves, want->a, want->b, want->leaves,
		    rv == TALLY_OK || rv == TALLY_ENOENT ? ""
		                                         : " (read failed)");
	}
}

/* The flat figure of the whole set or of one region for ind and p. */
struct bench_sums
bench_flat_one(const struct tally_catalog *cat, const struct bench_data *d,
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
int
bench_wait_own_equal(const struct tally_catalog *cat, struct tally_store *st,
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
struct bench_sums *
bench_flat_table(const struct tally_catalog *cat, const struct bench_data *d,
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
			want[i * BENCH_NPER + k] = bench_flat_one(cat, d,
			    scratch, &cat->indicators[i], &per[k], slot);
		}
	}
	free(scratch);
	return want;
}

size_t
bench_div_slot(const struct tally_catalog *cat, const char *code)
{
	const struct tally_division *d = tally_catalog_division(cat, code);

	return d != NULL ? (size_t) (d - cat->divisions) : TALLY_NO_INDEX;
}

/* Reloads every county's rows from its store: the truth to check
 * against after corrections. */
int
bench_reload_leaves(
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

int
bench_open_read(const struct tally_catalog *cat, const char *path, bool group,
    struct tally_store **out)
{
	struct tally_errbuf eb = { "" };
	int rv = group ? tally_store_open_group(path, cat, out, &eb)
	               : tally_store_open(path, cat, out, &eb);

	if (rv != TALLY_OK) {
		fprintf(stderr, "%s: %s\n", bench_prog,
		    eb.text[0] ? eb.text : tally_strerror(rv));
	}
	return rv;
}

/* ---------------------------------------------------------------- */
/* Setup shared by the commands */

static int
make_dir(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		return bench_fail(
		    EX_CANTCREAT, "%s: %s", path, strerror(errno));
	}
	return EX_OK;
}

int
bench_run_setup(
    struct bench_run *r, const struct bench_opts *o, const char *under)
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
		return bench_fail(EX_USAGE,
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
		return bench_fail(tally_exit_code(rv), "%s", eb.text);
	}
	if (under != NULL && tally_catalog_division(r->cat, under) == NULL) {
		return bench_fail(
		    EX_DATAERR, "--region: unknown region '%s'", under);
	}
	rv = bench_data_load(r->cat, o->flat, under, &r->data, &eb);
	if (rv != TALLY_OK) {
		return bench_fail(tally_exit_code(rv), "%s", eb.text);
	}
	r->scratch = calloc(r->cat->n_divisions + 1, sizeof(*r->scratch));
	if (r->scratch == NULL) {
		return bench_fail(EX_OSERR, "out of memory");
	}
	bench_year_periods(o->year, r->per);
	snprintf(path, sizeof(path), "%s/c", o->work);
	rv = bench_counties_new(r->cat, &r->data, path, &r->cs);
	if (rv != TALLY_OK) {
		return bench_fail(EX_OSERR, "out of memory");
	}
	/* Each county's `tally-node init` and `import`: the county's own
	 * work, done before anything is timed. */
	t0 = bench_now_ns();
	rv = bench_counties_load(r->cat, r->cs, r->data.n, 2);
	if (rv != TALLY_OK) {
		return bench_fail(
		    tally_exit_code(rv), "loading the counties failed");
	}
	fprintf(stderr, "%s: %zu counties loaded with %zu rows in %.1f s\n",
	    bench_prog, r->data.n, r->data.rows, bench_ms_since(t0) / 1000);
	return EX_OK;
}

void
bench_run_free(struct bench_run *r)
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
int
bench_counties_connect(struct bench_run *r, bool open, bool uplinks)
{
	for (size_t i = 0; i < r->data.n; i++) {
		struct bench_proc *p =
		    bench_hubs_find(&r->hubs, r->cs[i].parent);

		if (p == NULL) {
			return bench_fail(
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

void
bench_print_machine_line(void)
{
	double load[3] = { 0, 0, 0 };

	if (getloadavg(load, 3) == 3) {
		printf("load average at the end: %.2f %.2f %.2f\n\n", load[0],
		    load[1], load[2]);
	}
}

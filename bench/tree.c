/*
 * `tally-bench tree` (tree.h).
 */
#include "tree.h"

#include "harness.h"
#include "ingest.h"
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
int
bench_probe_once(struct bench_run *r, struct tally_store *pst, size_t county,
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
	want = bench_flat_one(
	    r->cat, &r->data, r->scratch, ind, &r->per[0], pslot);
	t0 = bench_now_ns();
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
			fprintf(stderr, "%s: probe %zu never arrived\n",
			    bench_prog, k);
			return -1;
		}
		bench_sleep_ms(0.1);
	}
}

/* Whether every region below the province that has data is held by the
 * province's hub with its flat figure, for the first nper periods. */
static bool
held_complete(struct bench_run *r, struct tally_store *st,
    const char *province, size_t nper)
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
double
bench_wait_held(struct bench_run *r, const char *const *provs, size_t np,
    size_t nper, int timeout_ms)
{
	uint64_t t0 = bench_now_ns();

	for (size_t p = 0; p < np; p++) {
		struct tally_store *st = NULL;
		char                db[PATH_MAX];

		bench_hub_db(r->o, provs[p], db, sizeof(db));
		if (bench_open_read(r->cat, db, false, &st) != TALLY_OK) {
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
check_tree(struct bench_run *r, struct tally_store *pst, const char *province,
    struct bench_check *ck)
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
			bench_check_one(ck, pst, province, NULL, ind,
			    &r->per[k], &r->scratch[pslot]);
			for (size_t ch = pd->first_child; ch != TALLY_NO_INDEX;
			     ch        = cat->divisions[ch].next_sibling) {
				const struct tally_division *cd =
				    &cat->divisions[ch];

				bench_check_one(ck, pst, province, cd->code,
				    ind, &r->per[k], &r->scratch[ch]);
				for (size_t g = cd->first_child;
				     g != TALLY_NO_INDEX;
				     g = cat->divisions[g].next_sibling) {
					bench_check_one(ck, pst, province,
					    cat->divisions[g].code, ind,
					    &r->per[k], &r->scratch[g]);
				}
			}
		}
	}
}

static void
check_city_hubs(
    struct bench_run *r, const char *province, struct bench_check *ck)
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
		bench_hub_db(r->o, cat->divisions[ch].code, db, sizeof(db));
		if (bench_open_read(cat, db, false, &st) != TALLY_OK) {
			ck->bad++;
			continue;
		}
		for (size_t i = 0; i < cat->n_indicators; i++) {
			bench_flat_all(cat, &r->data, &cat->indicators[i],
			    &r->per[0], r->scratch);
			bench_check_one(ck, st, cat->divisions[ch].code, NULL,
			    &cat->indicators[i], &r->per[0], &r->scratch[ch]);
		}
		tally_store_close(st);
	}
}

/* Starts `tally-node run` for every county: the real-process mode. */
static int
spawn_nodes(struct bench_run *r, struct bench_proc **out)
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
report_latency(struct bench_run *r, struct bench_proc *php,
    const char *province, double *http, double *cli, size_t *body)
{
	const struct bench_opts *o  = r->o;
	int                      nr = o->report_runs;
	double                  *v  = calloc((size_t) nr, sizeof(*v));
	char                     url[512], db[PATH_MAX], ytext[8];
	char                    *argv[12];

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
			fprintf(
			    stderr, "%s: GET %s failed\n", bench_prog, url);
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
	bench_hub_db(o, province, db, sizeof(db));
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
			fprintf(stderr, "%s: tally-hub report failed\n",
			    bench_prog);
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
report_cold(struct bench_run *r, struct bench_proc *php,
    struct tally_store *pst, size_t probe_ii, size_t pslot, int n, double *out)
{
	const struct bench_opts *o = r->o;
	double                  *v = calloc((size_t) n, sizeof(*v));
	struct bench_rng         rng;
	char                     url[512];
	size_t                   body;

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

		if (bench_probe_once(r, pst, county, probe_ii,
		        (size_t) (o->probes + i), pslot, !o->real_nodes, &lat,
		        &ack, &row) != 0) {
			free(v);
			return -1;
		}
		t0 = bench_now_ns();
		if (bench_http_get(url, false, &status, &body) != 0 ||
		    status != 200) {
			fprintf(
			    stderr, "%s: GET %s failed\n", bench_prog, url);
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

int
bench_cmd_tree(const struct bench_opts *o)
{
	struct bench_run             r;
	struct tally_store          *pst = NULL;
	struct bench_proc           *php = NULL, *nodes = NULL;
	struct bench_sums           *want = NULL;
	const struct tally_division *pd;
	struct load                  ld;
	struct load_thread          *lth = NULL;
	struct tally_uplink_stats    stats;
	struct bench_check           ck = { 0, 0 }, ckc = { 0, 0 };
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
	ex = bench_run_setup(&r, o, o->region);
	if (ex != EX_OK) {
		goto done;
	}
	pd = tally_catalog_division(r.cat, o->region);
	if (pd->level != TALLY_LEVEL_PROVINCE) {
		ex = bench_fail(
		    EX_USAGE, "--region %s is not a province", o->region);
		goto done;
	}
	pslot = (size_t) (pd - r.cat->divisions);
	php   = bench_hub_spawn(o, &r.hubs, o->region, NULL, NULL, NULL, true);
	if (php == NULL || bench_hubs_wait(&r.hubs) != 0) {
		ex = EX_UNAVAILABLE;
		goto done;
	}
	for (size_t ch = pd->first_child; ch != TALLY_NO_INDEX;
	     ch        = r.cat->divisions[ch].next_sibling) {
		/* A city without counties is a leaf: a node, not a hub. */
		if (r.cat->divisions[ch].first_child == TALLY_NO_INDEX) {
			continue;
		}
		if (bench_hub_spawn(o, &r.hubs, r.cat->divisions[ch].code,
		        bench_hubs_find(&r.hubs, o->region)->url, NULL, NULL,
		        false) == NULL) {
			ex = EX_OSERR;
			goto done;
		}
		cities++;
	}
	if (bench_hubs_wait(&r.hubs) != 0) {
		ex = EX_UNAVAILABLE;
		goto done;
	}
	php = bench_hubs_find(&r.hubs, o->region);
	ex  = bench_counties_connect(&r, true, !o->real_nodes);
	if (ex != EX_OK) {
		goto done;
	}
	want = bench_flat_table(r.cat, &r.data, r.per, pslot);
	bench_hub_db(o, o->region, db, sizeof(db));
	if (want == NULL ||
	    bench_open_read(r.cat, db, false, &pst) != TALLY_OK) {
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
		ex = bench_fail(EX_UNAVAILABLE, "the first push failed");
		goto done;
	}
	if (bench_wait_own_equal(
	        r.cat, pst, r.per, want, 5, o->timeout_s * 1000) != 0) {
		ex = bench_fail(EX_SOFTWARE,
		    "the province did not converge in %d s", o->timeout_s);
		goto done;
	}
	conv_ms = bench_ms_since(t0);
	fprintf(stderr, "%s: converged in %.0f ms\n", bench_prog, conv_ms);

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
			ex = bench_fail(EX_OSERR, "out of memory");
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
		ex = bench_fail(EX_OSERR, "out of memory");
		goto stop_load;
	}
	bench_rng_seed(&rng, o->seed);
	bench_sleep_ms(500);
	for (int k = 0; k < o->probes; k++) {
		size_t county = bench_rng_below(&rng, r.data.n), row;

		/* Probes at random moments, 20 to 80 ms apart, so that they
		 * land anywhere in the load's cycle. */
		bench_sleep_ms(20 + (double) bench_rng_below(&rng, 60));
		if (bench_probe_once(&r, pst, county, probe_ii, (size_t) k,
		        pslot, !o->real_nodes, &lat[k], &ack[k], &row) != 0) {
			ex = bench_fail(EX_SOFTWARE, "probe %d failed", k);
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
		ex = bench_fail(EX_SOFTWARE, "the background load failed");
		goto done;
	}

	/* Exact at the end: whatever is pending is pushed, and then every
	 * figure of the tree must be the flat figure of what the counties
	 * hold. */
	if (!o->real_nodes &&
	    bench_counties_push(r.cat, r.cs, r.data.n, o->workers,
	        BENCH_PUSH_MS, &stats) != TALLY_OK) {
		ex = bench_fail(EX_UNAVAILABLE, "the last push failed");
		goto done;
	}
	if (bench_reload_leaves(r.cat, r.cs, r.data.n) != TALLY_OK) {
		ex = EX_IOERR;
		goto done;
	}
	free(want);
	want = bench_flat_table(r.cat, &r.data, r.per, pslot);
	if (want == NULL ||
	    bench_wait_own_equal(r.cat, pst, r.per, want, 5, 120000) != 0) {
		fprintf(
		    stderr, "%s: the province did not settle\n", bench_prog);
	}
	/* The cities' uplinks forward the counties after their own state:
	 * the held states are checked once they are all there (or the
	 * check shows which are not). */
	provs[0] = o->region;
	held_ms  = bench_wait_held(&r, provs, 1, BENCH_NPER, 120000);
	if (held_ms < 0) {
		fprintf(stderr, "%s: the province did not get every county\n",
		    bench_prog);
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
		ex = bench_fail(EX_UNAVAILABLE, "cold report runs failed");
		goto done;
	}
	bench_hubs_rss(&r.hubs, bench_is_province, &prss, &phwm);
	bench_hubs_rss(&r.hubs, bench_is_city, &crss, &chwm);
	snprintf(db, sizeof(db), "%s/commit.db", o->work);
	if (bench_commit_latency(db, 200, &c50, &c99) != 0) {
		ex = bench_fail(EX_IOERR, "cannot measure a commit");
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
	bench_print_machine_line();
	if (ck.bad > 0 || ckc.bad > 0 || ck.compared == 0) {
		ex = bench_fail(EX_SOFTWARE, "tree: results are not exact");
	}
done:
	stop_nodes(nodes, r.data.n);
	tally_store_close(pst);
	free(lth);
	free(lat);
	free(ack);
	free(want);
	bench_run_free(&r);
	return ex;
}

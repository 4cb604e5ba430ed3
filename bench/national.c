/*
 * `tally-bench national` (national.h).
 */
#include "national.h"

#include "harness.h"
#include "tree.h"
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

/* ---------------------------------------------------------------- */
/* national */

/* Megabytes on disk of the database dir/name, its WAL included. */
static double
db_megabytes(const char *dir, const char *name)
{
	char        path[PATH_MAX];
	struct stat sb;
	double      total = 0;

	static const char *const sfx[] = { "", "-wal" };

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		int n =
		    snprintf(path, sizeof(path), "%s/%s%s", dir, name, sfx[i]);

		/* A path too long to name is no file of the run's. */
		if (n > 0 && (size_t) n < sizeof(path) &&
		    stat(path, &sb) == 0) {
			total += (double) sb.st_size;
		}
	}
	return total / 1e6;
}

/* Every figure of the country: each province hub's own (17 periods) and
 * the year's figure of every city and county it holds, against the flat
 * reference and, with pg, against PostgreSQL's (pg_by, the year). */
static void
check_national(struct bench_run *r, const char *const *provs, size_t np,
    const struct bench_sums *pg_by, struct bench_check *ck,
    struct bench_check *ckpg)
{
	const struct tally_catalog *cat    = r->cat;
	size_t                      stride = cat->n_divisions + 1;

	for (size_t p = 0; p < np; p++) {
		const struct tally_division *pd =
		    tally_catalog_division(cat, provs[p]);
		size_t              ps = (size_t) (pd - cat->divisions);
		struct tally_store *st = NULL;
		char                db[PATH_MAX];

		bench_hub_db(r->o, provs[p], db, sizeof(db));
		if (bench_open_read(cat, db, false, &st) != TALLY_OK ||
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
				bench_check_one(ck, st, provs[p], NULL, ind,
				    &r->per[k], &r->scratch[ps]);
				if (k > 0) {
					continue;
				}
				if (pgi != NULL) {
					bench_check_one(ckpg, st, provs[p],
					    NULL, ind, &r->per[0], &pgi[ps]);
				}
				for (size_t c = pd->first_child;
				     c != TALLY_NO_INDEX;
				     c = cat->divisions[c].next_sibling) {
					const struct tally_division *cd =
					    &cat->divisions[c];

					bench_check_one(ck, st, provs[p],
					    cd->code, ind, &r->per[0],
					    &r->scratch[c]);
					if (pgi != NULL) {
						bench_check_one(ckpg, st,
						    provs[p], cd->code, ind,
						    &r->per[0], &pgi[c]);
					}
					for (size_t g = cd->first_child;
					     g != TALLY_NO_INDEX;
					     g = cat->divisions[g]
					             .next_sibling) {
						const char *gc =
						    cat->divisions[g].code;

						bench_check_one(ck, st,
						    provs[p], gc, ind,
						    &r->per[0],
						    &r->scratch[g]);
						if (pgi != NULL) {
							bench_check_one(ckpg,
							    st, provs[p], gc,
							    ind, &r->per[0],
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
check_pg(
    struct bench_run *r, const struct bench_sums *by, struct bench_check *ck)
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
				    bench_prog,
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
hubs_cpu_ms(struct bench_hubs *h)
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

int
bench_cmd_national(const struct bench_opts *o)
{
	struct bench_run          r;
	struct tally_store       *gst  = NULL;
	struct bench_pg          *pg   = NULL;
	struct bench_sums        *want = NULL, *pg_by = NULL, *orig = NULL;
	struct bench_proc        *gp;
	struct tally_uplink_stats stats;
	struct bench_check        ck = { 0, 0 }, ckpg = { 0, 0 };
	struct bench_check        ckflat = { 0, 0 }, ckn = { 0, 0 };
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

	ex = bench_run_setup(&r, o, NULL);
	if (ex != EX_OK) {
		goto done;
	}
	stride  = r.cat->n_divisions + 1;
	provs   = calloc(r.data.n, sizeof(*provs));
	members = calloc(r.data.n, TALLY_REGION_STRLEN);
	orig    = calloc(r.cat->n_indicators * stride, sizeof(*orig));
	if (provs == NULL || members == NULL || orig == NULL) {
		ex = bench_fail(EX_OSERR, "out of memory");
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
		ex = bench_fail(EX_USAGE,
		    "national: the data must cover at least "
		    "two provinces (the national hub is a "
		    "comparison group)");
		goto done;
	}
	gp = bench_hub_spawn(
	    o, &r.hubs, BENCH_NATION, NULL, NULL, members, false);
	if (gp == NULL || bench_hubs_wait(&r.hubs) != 0) {
		ex = EX_UNAVAILABLE;
		goto done;
	}
	gp = bench_hubs_find(&r.hubs, BENCH_NATION);
	for (size_t p = 0; p < np; p++) {
		if (bench_hub_spawn(o, &r.hubs, provs[p], NULL, gp->url, NULL,
		        false) == NULL) {
			ex = EX_OSERR;
			goto done;
		}
	}
	if (bench_hubs_wait(&r.hubs) != 0) {
		ex = EX_UNAVAILABLE;
		goto done;
	}
	for (size_t i = 0; i < r.data.n; i++) {
		const struct tally_division *c =
		    tally_catalog_division(r.cat, r.cs[i].parent);

		if (c->level == TALLY_LEVEL_PROVINCE ||
		    bench_hubs_find(&r.hubs, c->code) != NULL) {
			continue;
		}
		if (bench_hub_spawn(o, &r.hubs, c->code,
		        bench_hubs_find(&r.hubs, c->parent_code)->url, NULL,
		        NULL, false) == NULL) {
			ex = EX_OSERR;
			goto done;
		}
		ncities++;
	}
	if (bench_hubs_wait(&r.hubs) != 0) {
		ex = EX_UNAVAILABLE;
		goto done;
	}
	/* Every county open, as thousands of running nodes would be: a
	 * store and a socket each (four files). */
	ex = bench_counties_connect(&r, true, true);
	if (ex != EX_OK) {
		goto done;
	}
	want = bench_flat_table(r.cat, &r.data, r.per, r.cat->n_divisions);
	bench_hub_db(o, BENCH_NATION, db, sizeof(db));
	if (want == NULL ||
	    bench_open_read(r.cat, db, true, &gst) != TALLY_OK) {
		ex = EX_IOERR;
		goto done;
	}
	for (size_t i = 0; i < r.cat->n_indicators; i++) {
		bench_flat_all(r.cat, &r.data, &r.cat->indicators[i],
		    &r.per[0], r.scratch);
		memcpy(&orig[i * stride], r.scratch, stride * sizeof(*orig));
	}
	fprintf(stderr, "%s: %zu hubs up; pushing\n", bench_prog, r.hubs.n);

	/* Convergence: every county pushes its year, workers at a time;
	 * until the national figures are all exact. */
	memset(&stats, 0, sizeof(stats));
	hub_cpu0  = hubs_cpu_ms(&r.hubs);
	self_cpu0 = self_cpu_ms();
	t0        = bench_now_ns();
	if (bench_counties_push(r.cat, r.cs, r.data.n, o->workers,
	        BENCH_PUSH_MS, &stats) != TALLY_OK) {
		ex = bench_fail(EX_UNAVAILABLE, "the push failed");
		goto done;
	}
	push_ms = bench_ms_since(t0);
	if (bench_wait_own_equal(
	        r.cat, gst, r.per, want, 20, o->timeout_s * 1000) != 0) {
		ex = bench_fail(EX_SOFTWARE,
		    "the national figure did not converge "
		    "in %d s",
		    o->timeout_s);
		goto done;
	}
	conv_ms  = bench_ms_since(t0);
	hub_cpu  = hubs_cpu_ms(&r.hubs) - hub_cpu0;
	self_cpu = self_cpu_ms() - self_cpu0;
	fprintf(stderr, "%s: converged in %.0f ms\n", bench_prog, conv_ms);

	/* Drill-down: the cities forward their counties after their own
	 * figures, so the provinces hold every county a little later. */
	held_ms = bench_wait_held(&r, provs, np, 1, o->timeout_s * 1000);
	if (held_ms < 0) {
		fprintf(stderr, "%s: the provinces did not get every county\n",
		    bench_prog);
	} else {
		held_ms += conv_ms;
	}

	/* Exact: the national figures, and every province's, city's and
	 * county's at the province hubs. */
	for (size_t i = 0; i < r.cat->n_indicators; i++) {
		for (size_t k = 0; k < BENCH_NPER; k++) {
			bench_check_one(&ckn, gst, BENCH_NATION, NULL,
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
		ex = bench_fail(EX_OSERR, "out of memory");
		goto done;
	}
	bench_rng_seed(&rng, o->seed);
	for (int k = 0; k < o->probes; k++) {
		size_t county = bench_rng_below(&rng, r.data.n), row;
		double ack;

		bench_sleep_ms(20 + (double) bench_rng_below(&rng, 60));
		if (bench_probe_once(&r, gst, county, probe_ii, (size_t) k,
		        r.cat->n_divisions, true, &lat[k], &ack, &row) != 0) {
			ex = bench_fail(EX_SOFTWARE, "probe %d failed", k);
			goto done;
		}
		fixes[k].county = county;
		fixes[k].row    = r.cs[county].leaf->rows[row];
		fixes[k].want   = r.scratch[r.cat->n_divisions];
	}

	bench_hubs_rss(&r.hubs, bench_is_nation, &grss, &ghwm);
	bench_hubs_rss(&r.hubs, bench_is_province, &prss, &phwm);
	bench_hubs_rss(&r.hubs, bench_is_city, &crss, &chwm);

	/* The hubs stop before PostgreSQL runs, so that it has the machine
	 * to itself; their databases stay to be read. */
	tally_store_close(gst);
	gst = NULL;
	bench_counties_free(r.cs, r.data.n);
	r.cs = NULL;
	bench_hubs_stop_keep(&r.hubs);

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
				    "%s: MISMATCH postgresql %s %s\n",
				    bench_prog,
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
				    bench_prog, k);
			}
		}
		check_pg(&r, pg_by, &ckflat);
	}
	/* Tally after the corrections, every level, against the flat
	 * reference and PostgreSQL's figures after the same corrections. */
	check_national(&r, provs, np, pg_by, &ck, &ckpg);
	bench_hub_db(o, BENCH_NATION, db, sizeof(db));
	if (bench_open_read(r.cat, db, true, &gst) == TALLY_OK) {
		for (size_t i = 0; i < r.cat->n_indicators; i++) {
			bench_flat_all(r.cat, &r.data, &r.cat->indicators[i],
			    &r.per[0], r.scratch);
			bench_check_one(&ckn, gst, BENCH_NATION, NULL,
			    &r.cat->indicators[i], &r.per[0],
			    &r.scratch[r.cat->n_divisions]);
			if (pg_by != NULL) {
				bench_check_one(&ckpg, gst, BENCH_NATION, NULL,
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
		tdb[bench_is_nation(r.hubs.p[i].name)         ? 3
		        : bench_is_province(r.hubs.p[i].name) ? 2
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
	bench_print_machine_line();
	if (ck.bad > 0 || ckn.bad > 0 || ckpg.bad > 0 || ckflat.bad > 0 ||
	    ck.compared == 0 || ckn.compared == 0 ||
	    (pg != NULL && (ckpg.compared == 0 || ckflat.compared == 0))) {
		ex =
		    bench_fail(EX_SOFTWARE, "national: results are not exact");
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
	bench_run_free(&r);
	return ex;
}

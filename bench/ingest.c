/*
 * `tally-bench ingest` (ingest.h).
 */
#include "ingest.h"

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
			    bench_prog, ic->c->leaf->code,
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
		fprintf(stderr, "%s: %s: %s\n", bench_prog, ic->c->leaf->code,
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
			fprintf(
			    stderr, "%s: cannot start a thread\n", bench_prog);
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
		fprintf(
		    stderr, "%s: limit: %s\n", bench_prog, sqlite3_errmsg(db));
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
	fprintf(stderr, "%s: limit: %s\n", bench_prog, sqlite3_errmsg(db));
done:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rv;
}

/* The floor under any freshness: one commit of one state with the hub's
 * settings, n times; its p50 and p99 in ms. */
int
bench_commit_latency(const char *path, int n, double *p50, double *p99)
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
idle_node_rss(struct bench_run *r, const char *url, long *rss, long *hwm)
{
	const struct bench_opts *o = r->o;
	char                     db[PATH_MAX], cmd[PATH_MAX * 2 + 64];
	char                     log[PATH_MAX];
	char                    *argv[8];
	struct bench_proc        p;
	int                      rv;

	snprintf(db, sizeof(db), "%s/node.db", o->work);
	snprintf(log, sizeof(log), "%s/l/node.log", o->work);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", r->cs[0].db, db);
	unlink(db);
	if (system(cmd) != 0) {
		return bench_fail(EX_IOERR, "cannot copy %s", r->cs[0].db);
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
		return bench_fail(
		    EX_SOFTWARE, "tally-node run exited (see %s)", log);
	}
	return EX_OK;
}

int
bench_cmd_ingest(const struct bench_opts *o)
{
	struct bench_run    r;
	struct ing_county **rounds = NULL;
	struct tally_store *hst    = NULL;
	struct bench_proc  *hp;
	struct bench_check  ck = { 0, 0 };
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

	ex = bench_run_setup(&r, o, o->region);
	if (ex != EX_OK) {
		goto done;
	}
	for (size_t i = 0; i < r.data.n; i++) {
		if (strcmp(r.cs[i].parent, o->region) != 0) {
			ex = bench_fail(EX_USAGE,
			    "--region %s: the ingest hub takes counties; %s "
			    "is not one of its children",
			    o->region, r.data.leaves[i].code);
			goto done;
		}
	}
	hp = bench_hub_spawn(o, &r.hubs, o->region, NULL, NULL, NULL, false);
	if (hp == NULL || bench_hubs_wait(&r.hubs) != 0) {
		ex = EX_UNAVAILABLE;
		goto done;
	}
	ex = bench_counties_connect(&r, true, false);
	if (ex != EX_OK) {
		goto done;
	}
	rounds = calloc((size_t) o->rounds, sizeof(*rounds));
	if (rounds == NULL) {
		ex = bench_fail(EX_OSERR, "out of memory");
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
			ex = bench_fail(EX_OSERR, "out of memory");
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
				ex = bench_fail(EX_SOFTWARE,
				    "cannot build round %d", k + 1);
				goto done;
			}
			subs += ic->nsubs;
		}
		if (ing_round(rounds[k], r.data.n, &ms) != 0) {
			ex = bench_fail(
			    EX_UNAVAILABLE, "round %d failed", k + 1);
			goto done;
		}
		total_ms += ms;
		for (size_t i = 0; i < r.data.n; i++) {
			states += rounds[k][i].states;
			accepted += rounds[k][i].accepted;
			other += rounds[k][i].other;
		}
		fprintf(
		    stderr, "%s: round %d: %.0f ms\n", bench_prog, k + 1, ms);
	}

	/* Read before the checks below open the hub's file. */
	hub_w1   = bench_write_bytes(hp->pid);
	hub_cpu1 = bench_cpu_ms(hp->pid);

	/* Exact: the hub's every figure against the flat figures of what
	 * the counties hold now. */
	if (bench_reload_leaves(r.cat, r.cs, r.data.n) != TALLY_OK) {
		ex = bench_fail(EX_IOERR, "cannot read the counties back");
		goto done;
	}
	bench_hub_db(o, o->region, db, sizeof(db));
	if (bench_open_read(r.cat, db, false, &hst) != TALLY_OK) {
		ex = EX_IOERR;
		goto done;
	}
	slot = bench_div_slot(r.cat, o->region);
	for (size_t i = 0; i < r.cat->n_indicators; i++) {
		for (size_t k = 0; k < BENCH_NPER; k++) {
			bench_flat_all(r.cat, &r.data, &r.cat->indicators[i],
			    &r.per[k], r.scratch);
			bench_check_one(&ck, hst, o->region, NULL,
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
	bench_print_machine_line();
	if (accepted != states || ck.bad > 0 || ck.compared == 0) {
		ex = bench_fail(EX_SOFTWARE, "ingest: results are not exact");
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
	bench_run_free(&r);
	return ex;
}

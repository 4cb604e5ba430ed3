/*
 * The county simulator declared in sim.h.
 */
#include "sim.h"

#include "log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
bench_counties_new(const struct tally_catalog *cat, struct bench_data *d,
    const char *dir, struct bench_county **out)
{
	struct bench_county *cs = calloc(d->n, sizeof(*cs));

	if (cs == NULL) {
		return TALLY_ENOMEM;
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct tally_division *div =
		    &cat->divisions[d->leaves[i].div];

		cs[i].leaf = &d->leaves[i];
		snprintf(cs[i].db, sizeof(cs[i].db), "%s/%s.db", dir,
		    d->leaves[i].code);
		snprintf(cs[i].parent, sizeof(cs[i].parent), "%s",
		    div->parent_code);
		pthread_mutex_init(&cs[i].mtx, NULL);
		cs[i].mtx_made = true;
	}
	*out = cs;
	return TALLY_OK;
}

void
bench_counties_free(struct bench_county *cs, size_t n)
{
	if (cs == NULL) {
		return;
	}
	for (size_t i = 0; i < n; i++) {
		bench_county_close(&cs[i]);
		if (cs[i].mtx_made) {
			pthread_mutex_destroy(&cs[i].mtx);
		}
	}
	free(cs);
}

/* A pool: each worker takes the next county until none is left. */
struct pool {
	const struct tally_catalog *cat;
	struct bench_county        *cs;
	size_t                      n;
	atomic_size_t               next;
	atomic_int                  failed;
	int                         timeout_ms;
	pthread_mutex_t             mtx; /* guards total */
	struct tally_uplink_stats  *total;
	int (*job)(struct pool *p, struct bench_county *c);
};

static void *
pool_main(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		size_t i = atomic_fetch_add(&p->next, 1);
		int    rv;

		if (i >= p->n || atomic_load(&p->failed) != TALLY_OK) {
			break;
		}
		pthread_mutex_lock(&p->cs[i].mtx);
		rv = p->job(p, &p->cs[i]);
		pthread_mutex_unlock(&p->cs[i].mtx);
		if (rv != TALLY_OK) {
			int expected = TALLY_OK;

			atomic_compare_exchange_strong(
			    &p->failed, &expected, rv);
		}
	}
	return NULL;
}

static int
pool_run(struct pool *p, int workers)
{
	pthread_t *th;
	int        made = 0;

	if (workers < 1) {
		workers = 1;
	}
	if ((size_t) workers > p->n) {
		workers = p->n > 0 ? (int) p->n : 1;
	}
	th = calloc((size_t) workers, sizeof(*th));
	if (th == NULL) {
		return TALLY_ENOMEM;
	}
	atomic_init(&p->next, 0);
	atomic_init(&p->failed, TALLY_OK);
	pthread_mutex_init(&p->mtx, NULL);
	for (; made < workers; made++) {
		if (pthread_create(&th[made], NULL, pool_main, p) != 0) {
			atomic_store(&p->failed, TALLY_ENOMEM);
			break;
		}
	}
	for (int i = 0; i < made; i++) {
		pthread_join(th[i], NULL);
	}
	pthread_mutex_destroy(&p->mtx);
	free(th);
	return atomic_load(&p->failed);
}

static int
load_job(struct pool *p, struct bench_county *c)
{
	struct tally_errbuf eb = { "" };
	struct tally_store *st = NULL;
	int                 rv, outcome;

	unlink(c->db);
	rv = tally_store_create(c->db, p->cat, c->leaf->code, &st, &eb);
	if (rv == TALLY_OK) {
		rv = tally_store_begin(st);
	}
	for (size_t i = 0; rv == TALLY_OK && i < c->leaf->n; i++) {
		rv = tally_store_put(st, c->leaf->rows[i].ind,
		    &c->leaf->rows[i].obs, &outcome, &eb);
	}
	if (rv == TALLY_OK) {
		rv = tally_store_commit(st);
	}
	if (rv != TALLY_OK) {
		fprintf(stderr, "tally-bench: %s: %s\n", c->db,
		    eb.text[0] ? eb.text : tally_strerror(rv));
	}
	tally_store_close(st);
	return rv;
}

int
bench_counties_load(const struct tally_catalog *cat, struct bench_county *cs,
    size_t n, int workers)
{
	struct pool p;

	memset(&p, 0, sizeof(p));
	p.cat = cat;
	p.cs  = cs;
	p.n   = n;
	p.job = load_job;
	return pool_run(&p, workers);
}

int
bench_county_open(
    const struct tally_catalog *cat, struct bench_county *c, bool uplink)
{
	struct tally_errbuf eb = { "" };
	int                 rv;

	rv = tally_store_open(c->db, cat, &c->st, &eb);
	if (rv == TALLY_OK && uplink) {
		rv = tally_uplink_new(&c->up, "parent", c->url, c->parent);
	}
	if (rv != TALLY_OK) {
		fprintf(stderr, "tally-bench: %s: %s\n", c->db,
		    eb.text[0] ? eb.text : tally_strerror(rv));
		bench_county_close(c);
	}
	return rv;
}

void
bench_county_close(struct bench_county *c)
{
	tally_uplink_free(c->up);
	tally_store_close(c->st);
	c->up = NULL;
	c->st = NULL;
}

int
bench_counties_open(const struct tally_catalog *cat, struct bench_county *cs,
    size_t n, bool uplinks)
{
	for (size_t i = 0; i < n; i++) {
		int rv = bench_county_open(cat, &cs[i], uplinks);

		if (rv != TALLY_OK) {
			return rv;
		}
	}
	return TALLY_OK;
}

static int
push_job(struct pool *p, struct bench_county *c)
{
	struct tally_uplink_stats s;
	bool                      transient = c->st == NULL;
	int                       rv;

	if (transient) {
		rv = bench_county_open(p->cat, c, true);
		if (rv != TALLY_OK) {
			return rv;
		}
	}
	memset(&s, 0, sizeof(s));
	rv = tally_uplink_push(c->up, c->st, p->timeout_ms, &s);
	if (transient) {
		bench_county_close(c);
	}
	if (rv != TALLY_OK) {
		fprintf(stderr, "tally-bench: push %s to %s: %s\n",
		    c->leaf->code, c->url, tally_strerror(rv));
		return rv;
	}
	pthread_mutex_lock(&p->mtx);
	p->total->batches += s.batches;
	p->total->accepted += s.accepted;
	p->total->duplicate += s.duplicate;
	p->total->stale += s.stale;
	p->total->rejected += s.rejected;
	p->total->resends += s.resends;
	pthread_mutex_unlock(&p->mtx);
	return TALLY_OK;
}

int
bench_counties_push(const struct tally_catalog *cat, struct bench_county *cs,
    size_t n, int workers, int timeout_ms, struct tally_uplink_stats *total)
{
	struct pool p;

	memset(&p, 0, sizeof(p));
	p.cat        = cat;
	p.cs         = cs;
	p.n          = n;
	p.job        = push_job;
	p.timeout_ms = timeout_ms;
	p.total      = total;
	return pool_run(&p, workers);
}

int
bench_county_record(
    struct bench_county *c, size_t row, const struct tally_obs *obs)
{
	struct tally_errbuf eb = { "" };
	struct bench_row   *r  = &c->leaf->rows[row];
	int                 rv, outcome;

	rv = tally_store_begin(c->st);
	if (rv == TALLY_OK) {
		rv = tally_store_put(c->st, r->ind, obs, &outcome, &eb);
	}
	if (rv == TALLY_OK) {
		rv = tally_store_commit(c->st);
	}
	if (rv != TALLY_OK) {
		tally_store_rollback(c->st);
		fprintf(stderr, "tally-bench: record at %s: %s\n",
		    c->leaf->code, eb.text[0] ? eb.text : tally_strerror(rv));
		return rv;
	}
	r->obs = *obs;
	return TALLY_OK;
}

int
bench_county_correct_all(struct bench_county *c, double delta)
{
	struct tally_errbuf eb = { "" };
	int                 rv, outcome;

	rv = tally_store_begin(c->st);
	for (size_t i = 0; rv == TALLY_OK && i < c->leaf->n; i++) {
		struct tally_obs obs;

		bench_correct(&c->leaf->rows[i], delta, &obs);
		rv = tally_store_put(
		    c->st, c->leaf->rows[i].ind, &obs, &outcome, &eb);
		if (rv == TALLY_OK) {
			c->leaf->rows[i].obs = obs;
		}
	}
	if (rv == TALLY_OK) {
		rv = tally_store_commit(c->st);
	}
	if (rv != TALLY_OK) {
		tally_store_rollback(c->st);
		fprintf(stderr, "tally-bench: correct %s: %s\n", c->leaf->code,
		    eb.text[0] ? eb.text : tally_strerror(rv));
	}
	return rv;
}

void
bench_correct(const struct bench_row *r, double delta, struct tally_obs *out)
{
	*out = r->obs;
	switch (r->ind->kind) {
	case TALLY_KIND_RATIO:
		out->den += delta;
		/* A percentage keeps its numerator within its denominator;
		 * moving both keeps the rate near where it was. */
		if (out->num + delta <= out->den) {
			out->num += delta;
		}
		break;
	case TALLY_KIND_WMEAN:
		out->weight += delta;
		break;
	default:
		out->value += delta;
		break;
	}
}

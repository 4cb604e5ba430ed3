/*
 * The raw rows and the flat reference declared in flat.h.
 */
#include "flat.h"

#include "csvfile.h"
#include "input.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct load_ctx {
	const struct tally_catalog *cat;
	const char                 *path;
	const char                 *under;
	struct bench_data          *d;
	size_t                      cap;
};

static int
add_row(struct bench_leaf *l, const struct tally_indicator *ind,
    const struct tally_obs *obs)
{
	if (l->n == l->cap) {
		size_t            ncap = l->cap == 0 ? 256 : l->cap * 2;
		struct bench_row *nr   = realloc(l->rows, ncap * sizeof(*nr));

		if (nr == NULL) {
			return TALLY_ENOMEM;
		}
		l->rows = nr;
		l->cap  = ncap;
	}
	l->rows[l->n].ind = ind;
	l->rows[l->n].obs = *obs;
	l->n++;
	return TALLY_OK;
}

static int
load_row(void *arg, size_t line, char **f, size_t n, struct tally_errbuf *eb)
{
	struct load_ctx              *c = arg;
	struct tally_input_row        row;
	const struct tally_indicator *ind;
	const struct tally_division  *div;
	struct tally_obs              obs;
	struct bench_data            *d = c->d;
	struct bench_leaf            *l;
	int                           rv;

	if (line == 1) {
		return n == 7 && strcmp(f[0], "region") == 0
		    ? TALLY_OK
		    : tally_fail(eb, TALLY_EDATA,
		          "%s:1: field header: expected region,indicator,"
		          "period,numerator,denominator,value,weight",
		          c->path);
	}
	if (n != 7) {
		return tally_fail(eb, TALLY_EDATA,
		    "%s:%zu: %zu fields, expected 7", c->path, line, n);
	}
	div = tally_catalog_division(c->cat, f[0]);
	if (div == NULL || div->first_child != TALLY_NO_INDEX) {
		return tally_fail(eb, TALLY_EDATA,
		    "%s:%zu: field region: '%s' is not a leaf region", c->path,
		    line, f[0]);
	}
	if (c->under != NULL && strcmp(c->under, f[0]) != 0 &&
	    !tally_catalog_is_below(c->cat, c->under, f[0])) {
		return TALLY_OK;
	}
	row.indicator   = f[1];
	row.period      = f[2];
	row.numerator   = f[3];
	row.denominator = f[4];
	row.value       = f[5];
	row.weight      = f[6];
	rv              = tally_input_parse(c->cat, &row, &ind, &obs, eb);
	if (rv != TALLY_OK) {
		tally_errbuf_prefix(eb, "%s:%zu: ", c->path, line);
		return rv;
	}
	/* The generator writes each leaf's rows together. */
	if (d->n == 0 || strcmp(d->leaves[d->n - 1].code, f[0]) != 0) {
		if (d->n == c->cap) {
			size_t ncap = c->cap == 0 ? 64 : c->cap * 2;
			struct bench_leaf *nl =
			    realloc(d->leaves, ncap * sizeof(*nl));

			if (nl == NULL) {
				return tally_fail(
				    eb, TALLY_ENOMEM, "out of memory");
			}
			d->leaves = nl;
			c->cap    = ncap;
		}
		l = &d->leaves[d->n++];
		memset(l, 0, sizeof(*l));
		memcpy(l->code, div->code, sizeof(l->code));
		l->div = (size_t) (div - c->cat->divisions);
	}
	l = &d->leaves[d->n - 1];
	if (add_row(l, ind, &obs) != TALLY_OK) {
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	d->rows++;
	return TALLY_OK;
}

static int
cmp_row(const void *a, const void *b)
{
	const struct bench_row *x = a, *y = b;

	if (x->ind != y->ind) {
		return x->ind < y->ind ? -1 : 1;
	}
	return tally_period_first_month(&x->obs.period) -
	    tally_period_first_month(&y->obs.period);
}

/* Orders a leaf's rows by indicator and makes its index. */
static int
index_leaf(struct bench_leaf *l, const struct tally_catalog *cat)
{
	size_t k = 0;

	qsort(l->rows, l->n, sizeof(*l->rows), cmp_row);
	free(l->start);
	l->start = calloc(cat->n_indicators + 1, sizeof(*l->start));
	if (l->start == NULL) {
		return TALLY_ENOMEM;
	}
	for (size_t i = 0; i < cat->n_indicators; i++) {
		l->start[i] = k;
		while (k < l->n && l->rows[k].ind == &cat->indicators[i]) {
			k++;
		}
	}
	l->start[cat->n_indicators] = k;
	return TALLY_OK;
}

static int
cmp_leaf(const void *a, const void *b)
{
	return strcmp(((const struct bench_leaf *) a)->code,
	    ((const struct bench_leaf *) b)->code);
}

int
bench_data_load(const struct tally_catalog *cat, const char *path,
    const char *under, struct bench_data *out, struct tally_errbuf *eb)
{
	struct bench_data d;
	struct load_ctx   c;
	int               rv;

	memset(&d, 0, sizeof(d));
	memset(&c, 0, sizeof(c));
	c.cat   = cat;
	c.path  = path;
	c.under = under;
	c.d     = &d;
	rv      = tally_csv_read(path, load_row, &c, eb);
	if (rv == TALLY_OK && d.n == 0) {
		rv = tally_fail(eb, TALLY_EDATA, "%s: no rows%s%s", path,
		    under != NULL ? " under " : "",
		    under != NULL ? under : "");
	}
	if (rv != TALLY_OK) {
		bench_data_free(&d);
		return rv;
	}
	qsort(d.leaves, d.n, sizeof(*d.leaves), cmp_leaf);
	for (size_t i = 0; i < d.n; i++) {
		if (index_leaf(&d.leaves[i], cat) != TALLY_OK) {
			bench_data_free(&d);
			return tally_fail(eb, TALLY_ENOMEM, "out of memory");
		}
	}
	for (size_t i = 1; i < d.n; i++) {
		if (strcmp(d.leaves[i - 1].code, d.leaves[i].code) == 0) {
			bench_data_free(&d);
			return tally_fail(eb, TALLY_EDATA,
			    "%s: the rows of %s are not together", path,
			    d.leaves[i].code);
		}
	}
	*out = d;
	return TALLY_OK;
}

void
bench_data_free(struct bench_data *d)
{
	if (d == NULL) {
		return;
	}
	for (size_t i = 0; i < d->n; i++) {
		free(d->leaves[i].rows);
		free(d->leaves[i].start);
	}
	free(d->leaves);
	memset(d, 0, sizeof(*d));
}

int
bench_leaf_reload(struct bench_leaf *leaf, const struct tally_catalog *cat,
    struct tally_store *st)
{
	leaf->n = 0;
	for (size_t i = 0; i < cat->n_indicators; i++) {
		const struct tally_indicator *ind = &cat->indicators[i];
		struct tally_obs             *obs = NULL;
		size_t                        n   = 0;
		int                           rv;

		rv = tally_store_observations(st, ind, NULL, &obs, &n);
		for (size_t k = 0; rv == TALLY_OK && k < n; k++) {
			rv = add_row(leaf, ind, &obs[k]);
		}
		free(obs);
		if (rv != TALLY_OK) {
			return rv;
		}
	}
	return index_leaf(leaf, cat);
}

/* One row's contribution as (a, b): the sums that merge by addition. */
static void
row_sums(const struct bench_row *r, double *a, double *b)
{
	switch (r->ind->kind) {
	case TALLY_KIND_RATIO:
		*a = r->obs.num;
		*b = r->obs.den;
		break;
	case TALLY_KIND_WMEAN:
		*a = r->obs.weight * r->obs.value;
		*b = r->obs.weight;
		break;
	default:
		*a = r->obs.value;
		*b = 0;
		break;
	}
}

/* A leaf's own figure for (ind, period) over its raw rows: time_agg
 * `last` takes the row whose period ends latest, the other rules add. */
static bool
leaf_sums(const struct bench_leaf *l, size_t ind_index,
    const struct tally_indicator *ind, int first, int last,
    struct bench_sums *out)
{
	int  latest = -1;
	bool any    = false;

	out->a      = 0;
	out->b      = 0;
	out->leaves = 0;
	for (size_t i = l->start[ind_index]; i < l->start[ind_index + 1];
	     i++) {
		const struct bench_row *r = &l->rows[i];
		int                     f, e;
		double                  a, b;

		f = tally_period_first_month(&r->obs.period);
		e = tally_period_last_month(&r->obs.period);
		if (f < first || e > last) {
			continue;
		}
		row_sums(r, &a, &b);
		any = true;
		if (ind->time_agg == TALLY_TIME_LAST) {
			if (e > latest) {
				latest = e;
				out->a = a;
				out->b = b;
			}
		} else {
			out->a += a;
			out->b += b;
		}
	}
	out->leaves = any ? 1 : 0;
	return any;
}

void
bench_flat_all(const struct tally_catalog *cat, const struct bench_data *d,
    const struct tally_indicator *ind, const struct tally_period *period,
    struct bench_sums *by)
{
	int    first = tally_period_first_month(period);
	int    last  = tally_period_last_month(period);
	size_t ii    = (size_t) (ind - cat->indicators);

	memset(by, 0, (cat->n_divisions + 1) * sizeof(*by));
	for (size_t i = 0; i < d->n; i++) {
		struct bench_sums s;
		size_t            k;

		if (!leaf_sums(&d->leaves[i], ii, ind, first, last, &s)) {
			continue;
		}
		/* The leaf, each region above it, and the whole. */
		for (k = d->leaves[i].div; k != TALLY_NO_INDEX;
		     k = cat->divisions[k].parent) {
			by[k].a += s.a;
			by[k].b += s.b;
			by[k].leaves += s.leaves;
		}
		by[cat->n_divisions].a += s.a;
		by[cat->n_divisions].b += s.b;
		by[cat->n_divisions].leaves += s.leaves;
	}
}

static bool
close_enough(double x, double y)
{
	double m = fabs(x) > fabs(y) ? fabs(x) : fabs(y);

	return x == y || fabs(x - y) <= 1e-9 * m;
}

bool
bench_sums_equal(const struct bench_sums *got, const struct bench_sums *want)
{
	return got->leaves == want->leaves && close_enough(got->a, want->a) &&
	    close_enough(got->b, want->b);
}

void
bench_sums_of_state(const struct tally_state *s, struct bench_sums *out)
{
	out->a      = s->sum_a;
	out->b      = s->sum_b;
	out->leaves = s->leaves;
}

size_t
bench_year_periods(int year, struct tally_period out[17])
{
	size_t n = 0;

	out[n++] = (struct tally_period) { year, TALLY_PERIOD_YEAR, 0 };
	for (int q = 1; q <= 4; q++) {
		out[n++] =
		    (struct tally_period) { year, TALLY_PERIOD_QUARTER, q };
	}
	for (int m = 1; m <= 12; m++) {
		out[n++] =
		    (struct tally_period) { year, TALLY_PERIOD_MONTH, m };
	}
	return n;
}

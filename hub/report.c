/*
 * The report declared in report.h. A hub holds its own region's snapshot
 * (its own observations merged with its children's states) and the newest
 * state of every region below it that its children forwarded; those are
 * the regions it can report, to any depth.
 *
 * Every figure is first built as a JSON document (the API's shape); the
 * table and CSV printers only format that document, so the CLI and the
 * dashboard can never disagree about a value, a target's status or which
 * children are missing.
 *
 * With an as-of time (report.h) the same documents are built from the
 * store's history instead of its current tables: only the functions
 * named view_* below choose the source, so a report as of a time can
 * never be computed differently from a report of now.
 */
#include "report.h"

#include "asof.h"
#include "errors.h"
#include "figure.h"
#include "rollup.h"
#include "text.h"

#include <csv.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What a report reads from: the hub's database and its settings. */
struct view {
	const struct tally_catalog  *cat;
	struct tally_store          *st;
	const struct tally_division *hub;
	const struct tally_due      *due;
	struct tally_due             default_due;
	int64_t                      now_ms;
	/* 0: the current tables; else the history as of this Unix ms. */
	int64_t as_of_ms;
};

/* Every state the hub holds for one (indicator, period). */
struct held {
	const struct tally_indicator *ind;
	struct tally_period           period;
	bool                          has_own;
	struct tally_state            own;
	uint64_t                      own_version;
	struct tally_region_state    *rs; /* sorted by region code */
	size_t                        n;
};

static void
view_init(struct view *v, const struct tally_catalog *cat,
    struct tally_store *st, const struct tally_due *due, int64_t now_ms)
{
	memset(v, 0, sizeof(*v));
	v->cat = cat;
	v->st  = st;
	v->hub = tally_catalog_division(cat, tally_store_region(st));
	tally_due_init(&v->default_due);
	v->due    = due != NULL ? due : &v->default_due;
	v->now_ms = now_ms > 0 ? now_ms : tally_now_ms();
}

/* Reads a report's figures as they stood at as_of_ms (0: now), and judges
 * what is late or overdue at that time. */
static void
view_as_of(struct view *v, int64_t as_of_ms)
{
	if (as_of_ms > 0) {
		v->as_of_ms = as_of_ms;
		v->now_ms   = as_of_ms;
	}
}

/* The report's data source: the current tables, or the history. */
static int
view_snapshot(const struct view *v, const struct tally_indicator *ind,
    const struct tally_period *p, struct tally_state *state, uint64_t *version)
{
	if (v->as_of_ms > 0) {
		return tally_store_snapshot_asof(
		    v->st, ind, p, v->as_of_ms, state, version);
	}
	return tally_store_snapshot(v->st, ind, p, state, version);
}

static int
view_held_states(const struct view *v, const struct tally_indicator *ind,
    const struct tally_period *p, struct tally_region_state **out, size_t *n)
{
	if (v->as_of_ms > 0) {
		return tally_store_held_states_asof(
		    v->st, ind, p, v->as_of_ms, out, n);
	}
	return tally_store_held_states(v->st, ind, p, out, n);
}

static int
view_observations(const struct view *v, const struct tally_indicator *ind,
    const struct tally_period *p, struct tally_obs **out, size_t *n)
{
	if (v->as_of_ms > 0) {
		return tally_store_observations_asof(
		    v->st, ind, p, v->as_of_ms, out, n);
	}
	return tally_store_observations(v->st, ind, p, out, n);
}

/* Sets "as_of" on a document read from the history. */
static void
as_of_json(const struct view *v, json_t *root)
{
	char text[TALLY_ASOF_STRLEN];

	if (v->as_of_ms > 0) {
		tally_asof_format(v->as_of_ms, text, sizeof(text));
		json_object_set_new(root, "as_of", json_string(text));
	}
}

static void
view_fini(struct view *v)
{
	tally_due_fini(&v->default_due);
}

static int
held_load(const struct view *v, const struct tally_indicator *ind,
    const struct tally_period *p, struct held *h)
{
	int rv;

	memset(h, 0, sizeof(*h));
	h->ind    = ind;
	h->period = *p;
	rv        = view_snapshot(v, ind, p, &h->own, &h->own_version);
	if (rv != TALLY_OK && rv != TALLY_ENOENT) {
		return rv;
	}
	h->has_own = rv == TALLY_OK;
	return view_held_states(v, ind, p, &h->rs, &h->n);
}

static void
held_fini(struct held *h)
{
	free(h->rs);
	h->rs = NULL;
}

static int
compare_region(const void *key, const void *elem)
{
	const struct tally_region_state *r = elem;

	return strcmp(key, r->region);
}

/* The held state of a region below the hub, or NULL. */
static const struct tally_region_state *
held_find(const struct held *h, const char *code)
{
	if (h->n == 0) {
		return NULL;
	}
	return bsearch(code, h->rs, h->n, sizeof(*h->rs), compare_region);
}

/* The state of code (the hub's own snapshot or a region's below), or
 * NULL; *version is set when it is not NULL. */
static const struct tally_state *
held_state(const struct view *v, const struct held *h, const char *code,
    uint64_t *version)
{
	const struct tally_region_state *r;

	if (strcmp(code, v->hub->code) == 0) {
		if (h->has_own && version != NULL) {
			*version = h->own_version;
		}
		return h->has_own ? &h->own : NULL;
	}
	r = held_find(h, code);
	if (r != NULL && version != NULL) {
		*version = r->version;
	}
	return r != NULL ? &r->state : NULL;
}

/* True when code is the hub's region or lies below it, for some period
 * when the region changes parent. */
static bool
view_holds(const struct view *v, const char *code)
{
	return strcmp(code, v->hub->code) == 0 ||
	    tally_catalog_is_below_ever(v->cat, v->hub->code, code);
}

static json_t *
iso_time(int64_t ms)
{
	/* The last time formatted: a report shows the same due date for
	 * every region of an indicator. */
	static _Thread_local int64_t last_s = INT64_MIN;
	static _Thread_local char    last[32];
	struct tm                    tm;
	time_t                       t = (time_t) (ms / 1000);

	if ((int64_t) t != last_s) {
		gmtime_r(&t, &tm);
		strftime(last, sizeof(last), "%Y-%m-%dT%H:%M:%SZ", &tm);
		last_s = (int64_t) t;
	}
	return json_string(last);
}

/* The parent of d for period p (catalog.h: a region may change parent),
 * in the tree of divisions.csv when p is NULL. */
static const char *
parent_code(const struct tally_catalog *cat, const struct tally_division *d,
    const struct tally_period *p)
{
	if (p != NULL) {
		return tally_catalog_parent_for(cat, d->code, p);
	}
	return d->parent == TALLY_NO_INDEX ? NULL
	                                   : cat->divisions[d->parent].code;
}

#define DIV_INDEX(cat, d) ((size_t) ((d) - (cat)->divisions))

/* The children of d for period p, which a report of p lists: so a report
 * of a period before a change of parent keeps the old shape. */
#define FOR_EACH_CHILD(cat, d, p, c)                                \
	for (size_t c = tally_catalog_next_child_for(               \
	         (cat), DIV_INDEX(cat, d), TALLY_NO_INDEX, (p));    \
	     c != TALLY_NO_INDEX; c = tally_catalog_next_child_for( \
	                              (cat), DIV_INDEX(cat, d), c, (p)))

/* The leaf regions expected at or below d for period p. */
#define LEAVES(cat, d, p) \
	tally_catalog_leaves_for((cat), DIV_INDEX(cat, d), (p))

static size_t
child_count(const struct tally_catalog *cat, const struct tally_division *d,
    const struct tally_period *p)
{
	size_t n = 0;

	FOR_EACH_CHILD(cat, d, p, c)
	{
		(void) c;
		n++;
	}
	return n;
}

/* Evaluates t for region d, whose figures for t's period are in h. */
static int
target_json(const struct view *v, const struct held *h,
    const struct tally_division *d, const struct tally_target *t, json_t **out)
{
	const struct tally_catalog *cat = v->cat;
	struct tally_target_input   in;
	struct tally_target_result  res;
	struct tally_target_child  *kids = NULL;
	struct held                 base;
	bool                        have_base = false;
	json_t                     *o;
	size_t                      n = 0;
	int                         rv;

	memset(&in, 0, sizeof(in));
	memset(&base, 0, sizeof(base));
	in.state    = held_state(v, h, d->code, NULL);
	in.expected = LEAVES(cat, d, &h->period);
	if (t->scope == TALLY_SCOPE_CHANGE_PCT && t->has_baseline) {
		rv = held_load(v, h->ind, &t->baseline, &base);
		if (rv != TALLY_OK) {
			goto fail;
		}
		have_base   = true;
		in.baseline = held_state(v, &base, d->code, NULL);
	}
	if (t->scope == TALLY_SCOPE_EACH_CHILD) {
		kids =
		    calloc(child_count(cat, d, &h->period) + 1, sizeof(*kids));
		if (kids == NULL) {
			rv = TALLY_ENOMEM;
			goto fail;
		}
		FOR_EACH_CHILD(cat, d, &h->period, c)
		{
			const struct tally_division *cd = &cat->divisions[c];

			kids[n].code     = cd->code;
			kids[n].state    = held_state(v, h, cd->code, NULL);
			kids[n].expected = LEAVES(cat, cd, &h->period);
			n++;
		}
		in.children   = kids;
		in.n_children = n;
	}
	rv = tally_target_evaluate(t, h->ind, &in, &res);
	if (rv != TALLY_OK) {
		goto fail;
	}
	o    = tally_figure_target_json(t, &res);
	*out = o;
fail:
	if (have_base) {
		held_fini(&base);
	}
	free(kids);
	return rv;
}

#define REPORT_TARGETS_MAX 8

/* Sets "target" on o: an object for one target, a list for several,
 * nothing when none is set for (d, ind, period). */
static int
targets_json(const struct view *v, const struct held *h,
    const struct tally_division *d, json_t *o)
{
	const struct tally_target *ts[REPORT_TARGETS_MAX];
	json_t                    *list = NULL;
	size_t                     n;
	int                        rv = TALLY_OK;

	n = tally_targets_for(
	    v->cat, d->code, h->ind, &h->period, ts, REPORT_TARGETS_MAX);
	if (n > REPORT_TARGETS_MAX) {
		n = REPORT_TARGETS_MAX;
	}
	if (n == 0) {
		return TALLY_OK;
	}
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *t = NULL;

		rv = target_json(v, h, d, ts[i], &t);
		if (rv != TALLY_OK) {
			json_decref(list);
			return rv;
		}
		json_array_append_new(list, t);
	}
	if (n == 1) {
		json_object_set(o, "target", json_array_get(list, 0));
		json_decref(list);
	} else {
		json_object_set_new(o, "target", list);
	}
	return TALLY_OK;
}

static json_t *
region_ref(const struct tally_division *d)
{
	return json_pack("{s:s,s:s}", "code", d->code, "name", d->name);
}

/* Which direct children of d have not reported (ind, period) at all, and
 * which first reported after the due date. */
static json_t *
children_json(const struct view *v, const struct held *h,
    const struct tally_division *d, int64_t due_ms)
{
	const struct tally_catalog *cat     = v->cat;
	json_t                     *missing = json_array();
	json_t                     *late    = json_array();
	size_t                      total = 0, reported = 0;

	FOR_EACH_CHILD(cat, d, &h->period, c)
	{
		const struct tally_division     *cd = &cat->divisions[c];
		const struct tally_region_state *r  = held_find(h, cd->code);

		total++;
		if (r == NULL) {
			json_array_append_new(missing, region_ref(cd));
			continue;
		}
		reported++;
		if (r->first_received_ms > due_ms) {
			json_t *e = region_ref(cd);

			json_object_set_new(e, "first_submitted",
			    iso_time(r->first_received_ms));
			json_object_set_new(
			    e, "last_submitted", iso_time(r->received_ms));
			json_array_append_new(late, e);
		}
	}
	return json_pack("{s:I,s:I,s:o,s:o}", "reported",
	    (json_int_t) reported, "expected", (json_int_t) total, "missing",
	    missing, "late", late);
}

/* One region's entry for one indicator. */
static int
figure_json(const struct view *v, const struct held *h,
    const struct tally_division *d, json_t **out)
{
	const struct tally_indicator *ind = h->ind;
	const struct tally_state     *s;
	uint64_t                      version = 0;
	int64_t                       due_ms;
	uint32_t                      reporting;
	json_t                       *o;
	int                           rv;

	s         = held_state(v, h, d->code, &version);
	reporting = s != NULL ? s->leaves : 0;
	due_ms    = tally_period_due_ms(
	       &h->period, tally_due_days(v->due, v->cat, ind));
	o = json_object();
	json_object_set_new(o, "id", json_string(ind->id));
	tally_figure_json(o, ind, s);
	json_object_set_new(o, "reporting", json_integer(reporting));
	json_object_set_new(o, "expected",
	    json_integer((json_int_t) LEAVES(v->cat, d, &h->period)));
	if (s != NULL && s->has_minmax) {
		json_object_set_new(o, "min",
		    json_pack("{s:f,s:s}", "value", s->min_value, "region",
		        s->min_region));
		json_object_set_new(o, "max",
		    json_pack("{s:f,s:s}", "value", s->max_value, "region",
		        s->max_region));
	}
	if (s != NULL && s->has_newest) {
		json_object_set_new(
		    o, "newest_period", tally_figure_period(&s->newest));
	}
	if (s != NULL) {
		json_object_set_new(
		    o, "version", json_integer((json_int_t) version));
	}
	json_object_set_new(o, "due", iso_time(due_ms));
	json_object_set_new(o, "overdue",
	    json_boolean(v->now_ms > due_ms &&
	        reporting < LEAVES(v->cat, d, &h->period)));
	rv = targets_json(v, h, d, o);
	if (rv != TALLY_OK) {
		json_decref(o);
		return rv;
	}
	if (d->first_child != TALLY_NO_INDEX) {
		json_object_set_new(
		    o, "children", children_json(v, h, d, due_ms));
	}
	*out = o;
	return TALLY_OK;
}

/* The regions of a report: top, then depth-first every region below it
 * down to max_depth levels (all levels when max_depth < 0). */
struct span {
	const struct tally_division **divs;
	int                          *depth;
	size_t                        n, cap;
};

static int
span_add(const struct tally_catalog *cat, struct span *sp,
    const struct tally_division *d, int depth, int max_depth,
    const struct tally_period *p)
{
	if (sp->n == sp->cap) {
		size_t ncap = sp->cap ? sp->cap * 2 : 64;
		const struct tally_division **nd;
		int                          *ndep;

		nd = realloc(sp->divs, ncap * sizeof(*nd));
		if (nd == NULL) {
			return TALLY_ENOMEM;
		}
		sp->divs = nd;
		ndep     = realloc(sp->depth, ncap * sizeof(*ndep));
		if (ndep == NULL) {
			return TALLY_ENOMEM;
		}
		sp->depth = ndep;
		sp->cap   = ncap;
	}
	sp->divs[sp->n]  = d;
	sp->depth[sp->n] = depth;
	sp->n++;
	if (max_depth >= 0 && depth >= max_depth) {
		return TALLY_OK;
	}
	FOR_EACH_CHILD(cat, d, p, c)
	{
		int rv = span_add(
		    cat, sp, &cat->divisions[c], depth + 1, max_depth, p);
		if (rv != TALLY_OK) {
			return rv;
		}
	}
	return TALLY_OK;
}

static void
span_fini(struct span *sp)
{
	free(sp->divs);
	free(sp->depth);
}

/* True when some region of the span has a target for (ind, period). */
static bool
span_has_target(const struct view *v, const struct span *sp,
    const struct tally_indicator *ind, const struct tally_period *p)
{
	const struct tally_target *t;

	for (size_t i = 0; i < sp->n; i++) {
		if (tally_targets_for(
		        v->cat, sp->divs[i]->code, ind, p, &t, 1) > 0) {
			return true;
		}
	}
	return false;
}

static json_t *
region_entry(const struct tally_catalog *cat, const struct tally_division *d,
    int depth, const struct tally_period *period)
{
	const char *p = parent_code(cat, d, period);

	return json_pack("{s:s,s:s,s:s,s:o,s:i,s:[]}", "code", d->code, "name",
	    d->name, "level", tally_level_name(d->level), "parent",
	    p ? json_string(p) : json_null(), "depth", depth, "indicators");
}

static const struct tally_division *
report_top(const struct view *v, const char *region)
{
	if (region == NULL) {
		return v->hub;
	}
	if (!view_holds(v, region)) {
		return NULL;
	}
	return tally_catalog_division(v->cat, region);
}

static int
report_json(
    const struct view *v, const struct hub_report_opts *o, json_t **out)
{
	const struct tally_catalog  *cat = v->cat;
	const struct tally_division *top = report_top(v, o->region);
	struct span                  sp;
	json_t                      *root, *regions;
	int                          rv = TALLY_OK;

	if (top == NULL) {
		return TALLY_ENOENT;
	}
	memset(&sp, 0, sizeof(sp));
	rv = span_add(cat, &sp, top, 0, o->depth, &o->period);
	if (rv != TALLY_OK) {
		span_fini(&sp);
		return rv;
	}
	root    = json_object();
	regions = json_array();
	json_object_set_new(root, "period", tally_figure_period(&o->period));
	as_of_json(v, root);
	json_object_set_new(root, "hub", json_string(v->hub->code));
	json_object_set_new(root, "region", json_string(top->code));
	for (size_t i = 0; i < sp.n; i++) {
		json_array_append_new(regions,
		    region_entry(cat, sp.divs[i], sp.depth[i], &o->period));
	}
	for (size_t k = 0; rv == TALLY_OK && k < cat->n_indicators; k++) {
		const struct tally_indicator *ind = &cat->indicators[k];
		struct held                   h;

		if (o->ind != NULL && ind != o->ind) {
			continue;
		}
		rv = held_load(v, ind, &o->period, &h);
		if (rv != TALLY_OK) {
			break;
		}
		/* An indicator is shown where the top region has a figure
		 * or someone shown has a target for it. */
		if (o->ind == NULL &&
		    (o->only_targets ||
		        held_state(v, &h, top->code, NULL) == NULL) &&
		    !span_has_target(v, &sp, ind, &o->period)) {
			held_fini(&h);
			continue;
		}
		for (size_t i = 0; rv == TALLY_OK && i < sp.n; i++) {
			json_t *f = NULL;

			rv = figure_json(v, &h, sp.divs[i], &f);
			if (rv == TALLY_OK) {
				json_array_append_new(
				    json_object_get(json_array_get(regions, i),
				        "indicators"),
				    f);
			}
		}
		held_fini(&h);
	}
	span_fini(&sp);
	if (rv != TALLY_OK) {
		json_decref(root);
		return rv;
	}
	json_object_set_new(root, "regions", regions);
	*out = root;
	return TALLY_OK;
}

int
hub_report_json(const struct tally_catalog *cat, struct tally_store *st,
    const struct hub_report_opts *opts, json_t **out)
{
	struct view v;
	int         rv;

	view_init(&v, cat, st, opts->due, opts->now_ms);
	view_as_of(&v, opts->as_of_ms);
	rv = tally_store_read_begin(st);
	if (rv == TALLY_OK) {
		rv = report_json(&v, opts, out);
		tally_store_read_end(st);
	}
	view_fini(&v);
	return rv;
}

/* The pooled value of s with the sums of r taken out, for "pull". */
static bool
value_without(const struct tally_indicator *ind, const struct tally_state *s,
    const struct tally_state *r, double *out)
{
	struct tally_state rest = *s;

	rest.sum_a -= r->sum_a;
	rest.sum_b -= r->sum_b;
	if (rest.sum_a < 0) {
		rest.sum_a = 0;
	}
	if (ind->kind != TALLY_KIND_COUNT && rest.sum_b <= 0) {
		return false;
	}
	return tally_state_value(&rest, ind, out) == TALLY_OK;
}

/* What one part (a child, or the region's own observations) adds. */
static json_t *
contribution_json(const struct tally_indicator *ind,
    const struct tally_division *d, bool own, const struct tally_state *part,
    const struct tally_state *total, size_t expected)
{
	json_t *o     = json_object();
	double  share = 0, pull = 0, tv, wv;
	bool    has_share = false, has_pull = false;

	json_object_set_new(o, "code", json_string(d->code));
	json_object_set_new(o, "name", json_string(d->name));
	json_object_set_new(o, "own", json_boolean(own));
	tally_figure_json(o, ind, part);
	json_object_set_new(
	    o, "reporting", json_integer(part != NULL ? part->leaves : 0));
	json_object_set_new(
	    o, "expected", json_integer((json_int_t) expected));
	if (part != NULL && total != NULL) {
		/* The share of what pools: the denominator of a ratio, the
		 * weight of a mean, the sum itself of a count. */
		double whole = ind->kind == TALLY_KIND_COUNT ? total->sum_a
		                                             : total->sum_b;
		double mine =
		    ind->kind == TALLY_KIND_COUNT ? part->sum_a : part->sum_b;
		if (whole > 0) {
			share     = mine / whole;
			has_share = true;
		}
		if (tally_state_value(total, ind, &tv) == TALLY_OK &&
		    value_without(ind, total, part, &wv)) {
			pull     = tv - wv;
			has_pull = true;
		}
	}
	json_object_set_new(o, "share", tally_figure_real(has_share, share));
	json_object_set_new(o, "pull", tally_figure_real(has_pull, pull));
	return o;
}

static int
compare_pull(const void *a, const void *b)
{
	json_t *pa = json_object_get(*(json_t *const *) a, "pull");
	json_t *pb = json_object_get(*(json_t *const *) b, "pull");

	/* Those dragging the figure down first; no figure last. */
	if (json_is_null(pa) || json_is_null(pb)) {
		return json_is_null(pa) - json_is_null(pb);
	}
	if (json_real_value(pa) != json_real_value(pb)) {
		return json_real_value(pa) < json_real_value(pb) ? -1 : 1;
	}
	return strcmp(
	    json_string_value(json_object_get(*(json_t *const *) a, "code")),
	    json_string_value(json_object_get(*(json_t *const *) b, "code")));
}

static int
explain_json(
    const struct view *v, const struct hub_report_opts *o, json_t **out)
{
	const struct tally_catalog   *cat = v->cat;
	const struct tally_indicator *ind = o->ind;
	const struct tally_division  *top = report_top(v, o->region);
	const struct tally_state     *total;
	struct tally_obs             *obs = NULL;
	struct held                   h;
	json_t                       *root, *list, **items = NULL;
	size_t                        nobs = 0, n = 0;
	int                           rv;

	if (top == NULL) {
		return TALLY_ENOENT;
	}
	if (ind == NULL) {
		return TALLY_EINVAL;
	}
	rv = held_load(v, ind, &o->period, &h);
	if (rv != TALLY_OK) {
		return rv;
	}
	total = held_state(v, &h, top->code, NULL);
	items = calloc(child_count(cat, top, &o->period) + 1, sizeof(*items));
	if (items == NULL) {
		rv = TALLY_ENOMEM;
		goto fail;
	}
	FOR_EACH_CHILD(cat, top, &o->period, c)
	{
		const struct tally_division *cd = &cat->divisions[c];

		items[n++] = contribution_json(ind, cd, false,
		    held_state(v, &h, cd->code, NULL), total,
		    LEAVES(cat, cd, &o->period));
	}
	/* The hub's own observations are a part of its figure too. Below
	 * the hub only the regions' totals are held, not their parts. */
	if (top == v->hub) {
		struct tally_state own;

		rv = view_observations(v, ind, &o->period, &obs, &nobs);
		if (rv != TALLY_OK) {
			goto fail;
		}
		if (tally_state_own(ind, top->code, false, obs, nobs,
		        &o->period, &own) == TALLY_OK) {
			items[n++] =
			    contribution_json(ind, top, true, &own, total, 0);
		}
	}
	qsort(items, n, sizeof(*items), compare_pull);
	root = json_object();
	json_object_set_new(root, "period", tally_figure_period(&o->period));
	as_of_json(v, root);
	json_object_set_new(root, "indicator", json_string(ind->id));
	json_object_set_new(root, "region", json_string(top->code));
	json_object_set_new(root, "name", json_string(top->name));
	tally_figure_json(root, ind, total);
	json_object_set_new(
	    root, "reporting", json_integer(total ? total->leaves : 0));
	json_object_set_new(root, "expected",
	    json_integer((json_int_t) LEAVES(cat, top, &o->period)));
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(list, items[i]);
	}
	json_object_set_new(root, "contributions", list);
	*out = root;
fail:
	free(items);
	free(obs);
	held_fini(&h);
	return rv;
}

int
hub_explain_json(const struct tally_catalog *cat, struct tally_store *st,
    const struct hub_report_opts *opts, json_t **out)
{
	struct view v;
	int         rv;

	view_init(&v, cat, st, opts->due, opts->now_ms);
	view_as_of(&v, opts->as_of_ms);
	rv = tally_store_read_begin(st);
	if (rv == TALLY_OK) {
		rv = explain_json(&v, opts, out);
		tally_store_read_end(st);
	}
	view_fini(&v);
	return rv;
}

int
hub_trend_json(const struct tally_catalog *cat, struct tally_store *st,
    const char *region, const struct tally_indicator *ind, int period_kind,
    const struct tally_due *due, json_t **out)
{
	static const char *const     grains[] = { "year", "quarter", "month" };
	const struct tally_division *d;
	struct tally_period         *periods = NULL;
	struct view                  v;
	json_t                      *root = NULL, *points;
	size_t                       np   = 0;
	int                          rv;

	view_init(&v, cat, st, due, 0);
	d = report_top(&v, region);
	if (d == NULL) {
		rv = TALLY_ENOENT;
		goto fail;
	}
	rv = tally_store_read_begin(st);
	if (rv != TALLY_OK) {
		goto fail;
	}
	rv = tally_store_periods(st, &periods, &np);
	if (rv != TALLY_OK) {
		goto fail;
	}
	root   = json_object();
	points = json_array();
	json_object_set_new(root, "region", json_string(d->code));
	json_object_set_new(root, "name", json_string(d->name));
	json_object_set_new(root, "indicator", json_string(ind->id));
	json_object_set_new(
	    root, "grain", json_string(grains[period_kind % 3]));
	json_object_set_new(root, "points", points);
	for (size_t i = 0; i < np; i++) {
		struct held h;
		json_t     *f = NULL;

		if (periods[i].kind != period_kind) {
			continue;
		}
		rv = held_load(&v, ind, &periods[i], &h);
		if (rv != TALLY_OK) {
			goto fail;
		}
		if (held_state(&v, &h, d->code, NULL) != NULL ||
		    tally_targets_for(
		        cat, d->code, ind, &periods[i], NULL, 0) > 0) {
			rv = figure_json(&v, &h, d, &f);
		}
		held_fini(&h);
		if (rv != TALLY_OK) {
			goto fail;
		}
		if (f != NULL) {
			json_object_del(f, "id");
			json_object_set_new(
			    f, "period", tally_figure_period(&periods[i]));
			json_array_append_new(points, f);
		}
	}
	*out = root;
	root = NULL;
fail:
	tally_store_read_end(st);
	json_decref(root);
	free(periods);
	view_fini(&v);
	return rv;
}

int
hub_meta_json(
    const struct tally_catalog *cat, struct tally_store *st, json_t **out)
{
	static const char *const aggs[]  = { "sum", "last", "weighted_mean" };
	struct tally_period     *periods = NULL;
	struct view              v;
	struct span              sp;
	json_t                  *root, *list;
	size_t                   np          = 0;
	int                      newest_year = -1;
	int                      rv;

	view_init(&v, cat, st, NULL, 0);
	memset(&sp, 0, sizeof(sp));
	rv = tally_store_read_begin(st);
	if (rv == TALLY_OK) {
		rv = tally_store_periods(st, &periods, &np);
		tally_store_read_end(st);
	}
	if (rv == TALLY_OK) {
		rv = span_add(cat, &sp, v.hub, 0, -1, NULL);
	}
	if (rv != TALLY_OK) {
		free(periods);
		span_fini(&sp);
		view_fini(&v);
		return rv;
	}
	root = json_object();
	json_object_set_new(root, "hub", json_string(v.hub->code));
	json_object_set_new(root, "name", json_string(v.hub->name));
	json_object_set_new(
	    root, "level", json_string(tally_level_name(v.hub->level)));
	list = json_array();
	for (size_t i = 0; i < np; i++) {
		json_array_append_new(list, tally_figure_period(&periods[i]));
		if (periods[i].kind == TALLY_PERIOD_YEAR) {
			newest_year = (int) i;
		}
	}
	json_object_set_new(root, "periods", list);
	json_object_set_new(root, "default_period",
	    newest_year >= 0 ? tally_figure_period(&periods[newest_year])
	        : np > 0     ? tally_figure_period(&periods[np - 1])
	                     : json_null());
	list = json_array();
	for (size_t i = 0; i < cat->n_indicators; i++) {
		const struct tally_indicator *ind = &cat->indicators[i];

		json_array_append_new(list,
		    json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", ind->id,
		        "name_zh", ind->name_zh, "name_en", ind->name_en,
		        "kind", tally_kind_name(ind->kind), "unit", ind->unit,
		        "better", ind->higher_better ? "higher" : "lower",
		        "time_agg", aggs[ind->time_agg % 3]));
	}
	json_object_set_new(root, "indicators", list);
	list = json_array();
	for (size_t i = 0; i < sp.n; i++) {
		json_t *e = region_entry(cat, sp.divs[i], sp.depth[i], NULL);

		json_object_del(e, "indicators");
		json_array_append_new(list, e);
	}
	json_object_set_new(root, "regions", list);
	*out = root;
	free(periods);
	span_fini(&sp);
	view_fini(&v);
	return TALLY_OK;
}

/* --- Printing the document as a table or CSV ------------------------ */

static const struct tally_indicator *
doc_indicator(const struct tally_catalog *cat, json_t *f)
{
	return tally_catalog_indicator(
	    cat, json_string_value(json_object_get(f, "id")));
}

/* The sums of an entry as (a, b): numerator and denominator, or sum and
 * weight; b is NULL for a count. */
/* The first target of an entry (several are listed in the JSON). */
static json_t *
doc_target(json_t *f, size_t *count)
{
	json_t *t = json_object_get(f, "target");

	*count = t == NULL ? 0 : json_is_array(t) ? json_array_size(t) : 1;
	return json_is_array(t) ? json_array_get(t, 0) : t;
}

static void
target_text(json_t *t, size_t count, char *spec, size_t slen, char *status,
    size_t stlen, char *gap, size_t glen)
{
	snprintf(spec, slen, "-");
	snprintf(status, stlen, "-");
	snprintf(gap, glen, "-");
	if (t == NULL) {
		return;
	}
	snprintf(spec, slen, "%s %g%s%s%s",
	    json_string_value(json_object_get(t, "op")),
	    json_number_value(json_object_get(t, "value")),
	    strcmp(json_string_value(json_object_get(t, "scope")), "total") ==
	            0
	        ? ""
	        : " ",
	    strcmp(json_string_value(json_object_get(t, "scope")), "total") ==
	            0
	        ? ""
	        : json_string_value(json_object_get(t, "scope")),
	    count > 1 ? " (+)" : "");
	snprintf(status, stlen, "%s",
	    json_string_value(json_object_get(t, "status")));
	tally_figure_num(gap, glen, json_object_get(t, "gap"), TALLY_NUM_GAP);
}

static void
print_entry_cols(FILE *out, const struct tally_indicator *ind, json_t *f)
{
	struct tally_figure_text t;

	tally_figure_doc_text(ind, f, &t);
	fprintf(out, " %12s %14s %14s %6lld/%lld", t.value, t.a, t.b,
	    json_integer_value(json_object_get(f, "reporting")),
	    json_integer_value(json_object_get(f, "expected")));
}

static void
print_target_cols(FILE *out, json_t *f)
{
	char    spec[64], status[16], gap[32];
	size_t  count;
	json_t *t = doc_target(f, &count);

	target_text(t, count, spec, sizeof(spec), status, sizeof(status), gap,
	    sizeof(gap));
	fprintf(out, "  %-18s %-10s %10s\n", spec, status, gap);
}

/* Lists the children of a region that are missing or late. */
static void
print_children(FILE *out, const char *code, json_t *f)
{
	json_t *ch = json_object_get(f, "children");
	json_t *missing, *late, *e;
	size_t  i;

	if (ch == NULL) {
		return;
	}
	missing = json_object_get(ch, "missing");
	late    = json_object_get(ch, "late");
	if (json_array_size(missing) > 0) {
		fprintf(out, "  %s: %zu of %lld children missing:", code,
		    json_array_size(missing),
		    json_integer_value(json_object_get(ch, "expected")));
		json_array_foreach(missing, i, e)
		{
			fprintf(out, " %s %s",
			    json_string_value(json_object_get(e, "code")),
			    json_string_value(json_object_get(e, "name")));
		}
		fputc('\n', out);
	}
	json_array_foreach(late, i, e)
	{
		fprintf(out, "  %s: late: %s %s, first %s, last %s\n", code,
		    json_string_value(json_object_get(e, "code")),
		    json_string_value(json_object_get(e, "name")),
		    json_string_value(json_object_get(e, "first_submitted")),
		    json_string_value(json_object_get(e, "last_submitted")));
	}
}

static void
print_table(FILE *out, const struct tally_catalog *cat, json_t *doc)
{
	json_t     *regions = json_object_get(doc, "regions");
	json_t     *top     = json_array_get(regions, 0);
	const char *period = json_string_value(json_object_get(doc, "period"));
	size_t      nind = json_array_size(json_object_get(top, "indicators"));

	if (nind == 0) {
		fprintf(out, "(no figures for %s)\n", period);
		return;
	}
	if (json_array_size(regions) == 1) {
		/* One region: one line per indicator, so that a region's
		 * whole picture fits on a screen. */
		fprintf(out, "%s %s (%s), period %s\n",
		    json_string_value(json_object_get(top, "code")),
		    json_string_value(json_object_get(top, "name")),
		    json_string_value(json_object_get(top, "level")), period);
		fprintf(out,
		    "%-38s %12s  %-8s %14s %14s %s  %-18s %-10s %10s\n",
		    "indicator", "value", "unit", "num/sum", "den/weight",
		    "reporting", "target", "status", "gap");
		for (size_t k = 0; k < nind; k++) {
			json_t *f = json_array_get(
			    json_object_get(top, "indicators"), k);
			const struct tally_indicator *ind =
			    doc_indicator(cat, f);
			struct tally_figure_text t;

			tally_figure_doc_text(ind, f, &t);
			fprintf(out, "%-38s %12s  ", ind->id, t.value);
			tally_text_pad(out, ind->unit, 8);
			fprintf(out, " %14s %14s %6lld/%-4lld", t.a, t.b,
			    json_integer_value(
			        json_object_get(f, "reporting")),
			    json_integer_value(
			        json_object_get(f, "expected")));
			print_target_cols(out, f);
		}
		return;
	}
	for (size_t k = 0; k < nind; k++) {
		json_t *f0 =
		    json_array_get(json_object_get(top, "indicators"), k);
		const struct tally_indicator *ind = doc_indicator(cat, f0);
		json_t                       *r;
		size_t                        i;

		fprintf(out, "%s %s (%s), %s, period %s\n", ind->id,
		    ind->name_zh, ind->unit, tally_kind_name(ind->kind),
		    period);
		fprintf(out,
		    "%-6s %-18s %12s %14s %14s %s  %-18s %-10s %10s\n",
		    "region", "name", "value", tally_figure_a_name(ind),
		    tally_figure_b_name(ind), "reporting", "target", "status",
		    "gap");
		json_array_foreach(regions, i, r)
		{
			json_t *f = json_array_get(
			    json_object_get(r, "indicators"), k);
			int depth = (int) json_integer_value(
			    json_object_get(r, "depth"));

			fprintf(out, "%*s%-6s ", 2 * depth, "",
			    json_string_value(json_object_get(r, "code")));
			tally_text_pad(out,
			    json_string_value(json_object_get(r, "name")),
			    depth * 2 >= 18 ? 1 : 18 - 2 * depth);
			print_entry_cols(out, ind, f);
			print_target_cols(out, f);
		}
		print_children(
		    out, json_string_value(json_object_get(top, "code")), f0);
		fputc('\n', out);
	}
}

static void
print_csv(FILE *out, const struct tally_catalog *cat, json_t *doc)
{
	json_t     *regions = json_object_get(doc, "regions");
	const char *period = json_string_value(json_object_get(doc, "period"));
	json_t     *top    = json_array_get(regions, 0);
	size_t      nind = json_array_size(json_object_get(top, "indicators"));

	fprintf(out,
	    "period,region,name,level,parent,indicator,value,numerator,"
	    "denominator,sum,weight,reporting,expected,due,overdue,"
	    "target_op,target_value,target_scope,target_status,target_gap\n");
	for (size_t k = 0; k < nind; k++) {
		json_t *r;
		size_t  i;

		json_array_foreach(regions, i, r)
		{
			json_t *f = json_array_get(
			    json_object_get(r, "indicators"), k);
			const struct tally_indicator *ind =
			    doc_indicator(cat, f);
			json_t *t;
			size_t  count;

			fprintf(out, "%s,%s,", period,
			    json_string_value(json_object_get(r, "code")));
			tally_figure_csv_field(out,
			    json_string_value(json_object_get(r, "name")));
			fprintf(out, ",%s,%s,%s",
			    json_string_value(json_object_get(r, "level")),
			    json_is_string(json_object_get(r, "parent"))
			        ? json_string_value(
			              json_object_get(r, "parent"))
			        : "",
			    ind->id);
			tally_figure_csv_sums(out, ind, f);
			fprintf(out, ",%lld,%lld,%s,%s",
			    json_integer_value(
			        json_object_get(f, "reporting")),
			    json_integer_value(json_object_get(f, "expected")),
			    json_string_value(json_object_get(f, "due")),
			    json_is_true(json_object_get(f, "overdue"))
			        ? "true"
			        : "false");
			t = doc_target(f, &count);
			tally_figure_csv_text(out,
			    t ? json_string_value(json_object_get(t, "op"))
			      : NULL);
			tally_figure_csv_num(
			    out, t ? json_object_get(t, "value") : NULL);
			tally_figure_csv_text(out,
			    t ? json_string_value(json_object_get(t, "scope"))
			      : NULL);
			tally_figure_csv_text(out,
			    t ? json_string_value(json_object_get(t, "status"))
			      : NULL);
			tally_figure_csv_num(
			    out, t ? json_object_get(t, "gap") : NULL);
			fputc('\n', out);
		}
	}
}

static void
print_explain(
    FILE *out, const struct tally_catalog *cat, json_t *doc, int format)
{
	const struct tally_indicator *ind = tally_catalog_indicator(
	    cat, json_string_value(json_object_get(doc, "indicator")));
	json_t                  *list = json_object_get(doc, "contributions");
	json_t                  *e;
	size_t                   i;
	char                     share[32], pull[32];
	struct tally_figure_text t;

	if (format == TALLY_FORMAT_CSV) {
		fprintf(out,
		    "period,region,indicator,part,name,own,value,"
		    "numerator,denominator,sum,weight,reporting,"
		    "expected,share,pull\n");
	} else {
		tally_figure_doc_text(ind, doc, &t);
		fprintf(out, "%s %s (%s), %s %s, period %s: %s (%s / %s)\n",
		    ind->id, ind->name_zh, ind->unit,
		    json_string_value(json_object_get(doc, "region")),
		    json_string_value(json_object_get(doc, "name")),
		    json_string_value(json_object_get(doc, "period")), t.value,
		    t.a, t.b);
		fprintf(out, "%-6s %-18s %12s %14s %14s %s %9s %12s\n", "part",
		    "name", "value", tally_figure_a_name(ind),
		    tally_figure_b_name(ind), "reporting", "share", "pull");
	}
	json_array_foreach(list, i, e)
	{
		if (format == TALLY_FORMAT_CSV) {
			fprintf(out, "%s,%s,%s,%s,",
			    json_string_value(json_object_get(doc, "period")),
			    json_string_value(json_object_get(doc, "region")),
			    ind->id,
			    json_string_value(json_object_get(e, "code")));
			tally_figure_csv_field(out,
			    json_string_value(json_object_get(e, "name")));
			fprintf(out, ",%s",
			    json_is_true(json_object_get(e, "own")) ? "true"
			                                            : "false");
			tally_figure_csv_sums(out, ind, e);
			fprintf(out, ",%lld,%lld",
			    json_integer_value(
			        json_object_get(e, "reporting")),
			    json_integer_value(
			        json_object_get(e, "expected")));
			tally_figure_csv_num(out, json_object_get(e, "share"));
			tally_figure_csv_num(out, json_object_get(e, "pull"));
			fputc('\n', out);
			continue;
		}
		fprintf(out, "%-6s ",
		    json_string_value(json_object_get(e, "code")));
		tally_text_pad(out,
		    json_is_true(json_object_get(e, "own"))
		        ? "(own observations)"
		        : json_string_value(json_object_get(e, "name")),
		    18);
		print_entry_cols(out, ind, e);
		if (json_is_number(json_object_get(e, "share"))) {
			snprintf(share, sizeof(share), "%.2f%%",
			    100 *
			        json_number_value(
			            json_object_get(e, "share")));
		} else {
			snprintf(share, sizeof(share), "-");
		}
		tally_figure_num(pull, sizeof(pull),
		    json_object_get(e, "pull"), TALLY_NUM_PULL);
		fprintf(out, " %9s %12s\n", share, pull);
	}
}

/* The first line of a table read from the history: the time in UTC and
 * in China Standard Time, the zone of the due dates. */
static void
print_as_of(FILE *out, int64_t as_of_ms)
{
	char utc[TALLY_ASOF_STRLEN], cst[TALLY_ASOF_STRLEN];

	tally_asof_format(as_of_ms, utc, sizeof(utc));
	tally_asof_format(
	    as_of_ms + INT64_C(8) * 3600 * 1000, cst, sizeof(cst));
	cst[strcspn(cst, "Z")] = '\0';
	fprintf(out, "as of %s (%s China Standard Time)\n", utc, cst);
}

int
hub_report(FILE *out, const struct tally_catalog *cat, struct tally_store *st,
    const struct hub_report_opts *o)
{
	json_t *doc = NULL;
	int     rv;

	if (o->explain) {
		rv = hub_explain_json(cat, st, o, &doc);
	} else {
		rv = hub_report_json(cat, st, o, &doc);
	}
	if (rv != TALLY_OK) {
		return rv;
	}
	if (o->format == TALLY_FORMAT_TABLE && o->as_of_ms > 0) {
		print_as_of(out, o->as_of_ms);
	}
	if (o->format == TALLY_FORMAT_JSON) {
		/* Encoded in memory and written at once: json_dumpf writes
		 * each token with its own fwrite, a fifth of the time of a
		 * province's report. */
		char *text =
		    json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(17));

		if (text == NULL || fputs(text, out) == EOF) {
			rv = TALLY_EIO;
		}
		free(text);
		fputc('\n', out);
	} else if (o->explain) {
		print_explain(out, cat, doc, o->format);
	} else if (o->format == TALLY_FORMAT_CSV) {
		print_csv(out, cat, doc);
	} else {
		print_table(out, cat, doc);
	}
	json_decref(doc);
	return rv;
}

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
 * store's history instead of its current tables: only the view (view.h)
 * chooses the source, so a report as of a time can never be computed
 * differently from a report of now.
 */
#include "report.h"
#include "report_approval.h"
#include "report_print.h"
#include "view.h"

#include "clock.h"
#include "errors.h"
#include "figure.h"
#include "reason.h"
#include "refusal.h"
#include "rollup.h"
#include "text.h"
#include "trajectory.h"

#include <csv.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static json_t *
iso_time(int64_t ms)
{
	/* The last time formatted: a report shows the same due date for
	 * every region of an indicator. */
	static _Thread_local int64_t last_s = INT64_MIN;
	static _Thread_local char    last[TALLY_CLOCK_ISO_STRLEN];

	if (ms / 1000 != last_s) {
		tally_clock_format_iso(ms, last, sizeof(last));
		last_s = ms / 1000;
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
target_json(const struct hub_view *v, const struct hub_view_held *h,
    const struct tally_division *d, const struct tally_target *t, json_t **out)
{
	const struct tally_catalog *cat = v->cat;
	struct tally_target_input   in;
	struct tally_target_result  res;
	struct tally_target_child  *kids = NULL;
	struct hub_view_held        base;
	bool                        have_base = false;
	json_t                     *o;
	size_t                      n = 0;
	int                         rv;

	memset(&in, 0, sizeof(in));
	memset(&base, 0, sizeof(base));
	in.state    = hub_view_state(v, h, d->code, NULL);
	in.expected = LEAVES(cat, d, &h->period);
	if (t->scope == TALLY_SCOPE_CHANGE_PCT && t->has_baseline) {
		rv = hub_view_load(v, h->ind, &t->baseline, &base);
		if (rv != TALLY_OK) {
			goto fail;
		}
		have_base   = true;
		in.baseline = hub_view_state(v, &base, d->code, NULL);
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

			kids[n].code  = cd->code;
			kids[n].state = hub_view_state(v, h, cd->code, NULL);
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
		hub_view_held_fini(&base);
	}
	free(kids);
	return rv;
}

#define REPORT_TARGETS_MAX 8

/* Sets "target" on o: an object for one target, a list for several,
 * nothing when none is set for (d, ind, period). */
static int
targets_json(const struct hub_view *v, const struct hub_view_held *h,
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

/* Sets "benchmark" on o for a region with no target of its own for
 * (ind, period): the targets of its nearest ancestor that has one, judged
 * on the region's own figure, with the ancestor named. An `each_child`
 * target asks the level of every part, so a region below is judged
 * against the level itself. A count has none: a province's 1,000 brand
 * products are the sum of its cities', not a level for each. */
static int
benchmark_json(const struct hub_view *v, const struct hub_view_held *h,
    const struct tally_division *d, json_t *o)
{
	const struct tally_catalog *cat = v->cat;
	const struct tally_target  *ts[REPORT_TARGETS_MAX];
	const char                 *code;
	size_t                      n = 0;

	if (h->ind->kind == TALLY_KIND_COUNT ||
	    tally_targets_for(cat, d->code, h->ind, &h->period, NULL, 0) > 0) {
		return TALLY_OK;
	}
	for (code = parent_code(cat, d, &h->period); code != NULL;
	     code = parent_code(
	         cat, tally_catalog_division(cat, code), &h->period)) {
		n = tally_targets_for(
		    cat, code, h->ind, &h->period, ts, REPORT_TARGETS_MAX);
		if (n > 0) {
			break;
		}
	}
	if (code == NULL) {
		return TALLY_OK;
	}
	if (n > REPORT_TARGETS_MAX) {
		n = REPORT_TARGETS_MAX;
	}
	{
		const struct tally_division *a =
		    tally_catalog_division(cat, code);
		json_t *list = json_array();

		for (size_t i = 0; i < n; i++) {
			struct tally_target t  = *ts[i];
			json_t             *tj = NULL;
			int                 rv;

			if (t.scope == TALLY_SCOPE_EACH_CHILD) {
				t.scope = TALLY_SCOPE_TOTAL;
			}
			rv = target_json(v, h, d, &t, &tj);
			if (rv != TALLY_OK) {
				json_decref(list);
				return rv;
			}
			json_object_set_new(tj, "region", region_ref(a));
			json_object_set_new(tj, "scope",
			    json_string(tally_scope_name(ts[i]->scope)));
			json_array_append_new(list, tj);
		}
		if (n == 1) {
			json_object_set(
			    o, "benchmark", json_array_get(list, 0));
			json_decref(list);
		} else {
			json_object_set_new(o, "benchmark", list);
		}
	}
	return TALLY_OK;
}

/* What a figure is compared with besides its targets: the same period a
 * year before (yoy), the period before for a month or quarter (pop), and
 * for a year the region's annual figures up to it, from which the
 * trajectory toward a later target is drawn. */
struct outlook {
	bool                 has_yoy, has_pop;
	struct hub_view_held yoy, pop;
	struct hub_view_held
	      *years; /* the years held up to the report's, oldest first */
	size_t n_years;
};

static void
outlook_fini(struct outlook *ol)
{
	if (ol->has_yoy) {
		hub_view_held_fini(&ol->yoy);
	}
	if (ol->has_pop) {
		hub_view_held_fini(&ol->pop);
	}
	for (size_t i = 0; i < ol->n_years; i++) {
		hub_view_held_fini(&ol->years[i]);
	}
	free(ol->years);
	memset(ol, 0, sizeof(*ol));
}

/* The value of code in h, or false. */
static bool
held_value(const struct hub_view *v, const struct hub_view_held *h,
    const char *code, double *out)
{
	const struct tally_state *s = hub_view_state(v, h, code, NULL);

	return s != NULL && tally_state_value(s, h->ind, out) == TALLY_OK;
}

/* {"period", "value", "change"}: the figure of d in prev and how much the
 * figure of now differs from it, in the indicator's unit (points of a
 * percentage). */
static json_t *
change_json(const struct hub_view *v, const struct hub_view_held *now,
    const struct hub_view_held *prev, const struct tally_division *d)
{
	double a = 0, b = 0;
	bool   ha = held_value(v, now, d->code, &a);
	bool   hb = held_value(v, prev, d->code, &b);

	return json_pack("{s:o,s:o,s:o}", "period",
	    tally_figure_period(&prev->period), "value",
	    tally_figure_real(hb, b), "change",
	    tally_figure_real(ha && hb, a - b));
}

/* The trajectory of d toward t, a target in a later year, from d's
 * annual figures up to the report's year: from the target's baseline
 * year when it has one, as changes from the baseline for change_pct. */
static json_t *
trajectory_json(const struct hub_view *v, const struct outlook *ol,
    const struct tally_division *d, const struct tally_target *t)
{
	struct tally_trajectory tr;
	int                    *ys = calloc(ol->n_years + 1, sizeof(*ys));
	double                 *vs = calloc(ol->n_years + 1, sizeof(*vs));
	int     from     = t->has_baseline ? t->baseline.year : INT_MIN;
	double  base     = 0;
	bool    has_base = false;
	size_t  n        = 0;
	json_t *o;

	memset(&tr, 0, sizeof(tr));
	tr.status = TALLY_TRAJECTORY_INCOMPLETE;
	if (ys == NULL || vs == NULL) {
		snprintf(tr.reason, sizeof(tr.reason), "out of memory");
		goto out;
	}
	if (t->scope == TALLY_SCOPE_EACH_CHILD) {
		snprintf(tr.reason, sizeof(tr.reason),
		    "each_child: every child's own trajectory decides");
		goto out;
	}
	for (size_t i = 0; i < ol->n_years; i++) {
		if (t->scope == TALLY_SCOPE_CHANGE_PCT &&
		    tally_period_equal(&ol->years[i].period, &t->baseline)) {
			has_base =
			    held_value(v, &ol->years[i], d->code, &base) &&
			    base != 0;
		}
	}
	if (t->scope == TALLY_SCOPE_CHANGE_PCT && !has_base) {
		snprintf(tr.reason, sizeof(tr.reason),
		    "no figure for the baseline period");
		goto out;
	}
	for (size_t i = 0; i < ol->n_years; i++) {
		double x;

		if (ol->years[i].period.year < from ||
		    !held_value(v, &ol->years[i], d->code, &x)) {
			continue;
		}
		ys[n] = ol->years[i].period.year;
		vs[n] = t->scope == TALLY_SCOPE_CHANGE_PCT
		    ? 100 * (x - base) / base
		    : x;
		n++;
	}
	if (tally_trajectory_fit(
	        ys, vs, n, t->period.year, t->op, t->value, &tr) != TALLY_OK) {
		snprintf(tr.reason, sizeof(tr.reason), "years repeat");
		tr.status = TALLY_TRAJECTORY_INCOMPLETE;
	}
out:
	o = json_object();
	json_object_set_new(
	    o, "status", json_string(tally_trajectory_status_name(tr.status)));
	if (tr.status == TALLY_TRAJECTORY_INCOMPLETE) {
		json_object_set_new(o, "projected", json_null());
		json_object_set_new(o, "needed_per_year", json_null());
		json_object_set_new(o, "pace_per_year", json_null());
		json_object_set_new(o, "reason", json_string(tr.reason));
	} else {
		json_object_set_new(o, "projected", json_real(tr.projected));
		json_object_set_new(
		    o, "needed_per_year", json_real(tr.needed_per_year));
		json_object_set_new(
		    o, "pace_per_year", json_real(tr.pace_per_year));
		json_object_set_new(o, "from", json_integer(ys[0]));
		json_object_set_new(o, "to", json_integer(tr.last_year));
		json_object_set_new(o, "last_value", json_real(tr.last_value));
	}
	json_object_set_new(o, "years", json_integer((json_int_t) n));
	free(ys);
	free(vs);
	return o;
}

/* Sets "ahead" on o: d's targets for ind in years after the report's,
 * each with its trajectory. */
static void
ahead_json(const struct hub_view *v, const struct outlook *ol,
    const struct hub_view_held *h, const struct tally_division *d, json_t *o)
{
	const struct tally_catalog *cat  = v->cat;
	json_t                     *list = NULL;

	if (ol->years == NULL) {
		return;
	}
	for (size_t k = 0; k < cat->n_targets; k++) {
		const struct tally_target *t = &cat->targets[k];
		json_t                    *e;

		if (&cat->indicators[t->indicator] != h->ind ||
		    strcmp(t->region, d->code) != 0 ||
		    t->period.kind != TALLY_PERIOD_YEAR ||
		    t->period.year <= h->period.year) {
			continue;
		}
		e = json_object();
		json_object_set_new(
		    e, "op", json_string(tally_op_name(t->op)));
		json_object_set_new(e, "value", json_real(t->value));
		json_object_set_new(
		    e, "scope", json_string(tally_scope_name(t->scope)));
		json_object_set_new(
		    e, "period", tally_figure_period(&t->period));
		if (t->has_baseline) {
			json_object_set_new(e, "baseline_period",
			    tally_figure_period(&t->baseline));
		}
		json_object_set_new(e, "source",
		    json_string(t->source != NULL ? t->source : ""));
		json_object_set_new(
		    e, "trajectory", trajectory_json(v, ol, d, t));
		if (list == NULL) {
			list = json_array();
		}
		json_array_append_new(list, e);
	}
	if (list != NULL) {
		json_object_set_new(o, "ahead", list);
	}
}

/* Which direct children of d have not reported (ind, period) at all, and
 * which first reported after the due date. */
static json_t *
children_json(const struct hub_view *v, const struct hub_view_held *h,
    const struct tally_division *d, int64_t due_ms)
{
	const struct tally_catalog *cat     = v->cat;
	json_t                     *missing = json_array();
	json_t                     *late    = json_array();
	size_t                      total = 0, reported = 0;

	FOR_EACH_CHILD(cat, d, &h->period, c)
	{
		const struct tally_division     *cd = &cat->divisions[c];
		const struct tally_region_state *r =
		    hub_view_find(h, cd->code);

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
figure_json(const struct hub_view *v, const struct hub_view_held *h,
    const struct outlook *ol, const struct tally_division *d, json_t **out)
{
	const struct tally_indicator *ind = h->ind;
	const struct tally_state     *s;
	uint64_t                      version = 0;
	int64_t                       due_ms;
	uint32_t                      reporting;
	json_t                       *o;
	int                           rv;

	s         = hub_view_state(v, h, d->code, &version);
	reporting = s != NULL ? s->leaves : 0;
	due_ms    = tally_target_due_ms(
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
	if (rv == TALLY_OK) {
		rv = benchmark_json(v, h, d, o);
	}
	if (rv != TALLY_OK) {
		json_decref(o);
		return rv;
	}
	if (ol != NULL && ol->has_yoy) {
		json_object_set_new(o, "yoy", change_json(v, h, &ol->yoy, d));
	}
	if (ol != NULL && ol->has_pop) {
		json_object_set_new(o, "pop", change_json(v, h, &ol->pop, d));
	}
	if (ol != NULL) {
		ahead_json(v, ol, h, d, o);
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
span_has_target(const struct hub_view *v, const struct span *sp,
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

/* True when a region of the span has a target for ind in a year after
 * the report's (a year report only). */
static bool
span_has_ahead(const struct hub_view *v, const struct span *sp,
    const struct tally_indicator *ind, const struct tally_period *p)
{
	const struct tally_catalog *cat = v->cat;

	if (p->kind != TALLY_PERIOD_YEAR) {
		return false;
	}
	for (size_t k = 0; k < cat->n_targets; k++) {
		const struct tally_target *t = &cat->targets[k];

		if (&cat->indicators[t->indicator] != ind ||
		    t->period.kind != TALLY_PERIOD_YEAR ||
		    t->period.year <= p->year) {
			continue;
		}
		for (size_t i = 0; i < sp->n; i++) {
			if (strcmp(sp->divs[i]->code, t->region) == 0) {
				return true;
			}
		}
	}
	return false;
}

/* hub_view_load, or an empty h when the store holds nothing for p at all
 * (the year before the first, usually): a report reads no more than it
 * shows. */
static int
held_load_if(const struct hub_view *v, const struct tally_period *periods,
    size_t np, const struct tally_indicator *ind, const struct tally_period *p,
    struct hub_view_held *h)
{
	for (size_t i = 0; i < np; i++) {
		if (tally_period_equal(&periods[i], p)) {
			return hub_view_load(v, ind, p, h);
		}
	}
	memset(h, 0, sizeof(*h));
	h->ind    = ind;
	h->period = *p;
	return TALLY_OK;
}

static int
outlook_load(const struct hub_view *v, const struct span *sp,
    const struct tally_period *periods, size_t np,
    const struct tally_indicator *ind, const struct tally_period *p,
    struct outlook *ol)
{
	struct tally_period q = *p;
	int                 rv;

	memset(ol, 0, sizeof(*ol));
	q.year--;
	if (q.year >= TALLY_PERIOD_YEAR_MIN) {
		rv = held_load_if(v, periods, np, ind, &q, &ol->yoy);
		if (rv != TALLY_OK) {
			return rv;
		}
		ol->has_yoy = true;
	}
	q = tally_period_step(p, -1);
	if (p->kind != TALLY_PERIOD_YEAR && q.year >= TALLY_PERIOD_YEAR_MIN) {
		rv = held_load_if(v, periods, np, ind, &q, &ol->pop);
		if (rv != TALLY_OK) {
			return rv;
		}
		ol->has_pop = true;
	}
	if (!span_has_ahead(v, sp, ind, p)) {
		return TALLY_OK;
	}
	ol->years = calloc(np + 1, sizeof(*ol->years));
	if (ol->years == NULL) {
		return TALLY_ENOMEM;
	}
	for (size_t i = 0; i < np; i++) {
		if (periods[i].kind != TALLY_PERIOD_YEAR ||
		    periods[i].year > p->year) {
			continue;
		}
		rv = hub_view_load(
		    v, ind, &periods[i], &ol->years[ol->n_years]);
		if (rv != TALLY_OK) {
			return rv;
		}
		ol->n_years++;
	}
	return TALLY_OK;
}

/* True when an ancestor of d has a target for (ind, p): d's benchmark. */
static bool
has_benchmark(const struct hub_view *v, const struct tally_division *d,
    const struct tally_indicator *ind, const struct tally_period *p)
{
	const char *code;

	if (ind->kind == TALLY_KIND_COUNT) {
		return false;
	}
	for (code = parent_code(v->cat, d, p); code != NULL;
	     code = parent_code(
	         v->cat, tally_catalog_division(v->cat, code), p)) {
		if (tally_targets_for(v->cat, code, ind, p, NULL, 0) > 0) {
			return true;
		}
	}
	return false;
}

/* The chase list's entry for ind: the direct children of top that have
 * not reported (ind, period) in full, for the office that phones them;
 * NULL when every child is in. */
static json_t *
chase_json(const struct hub_view *v, const struct hub_view_held *h,
    const struct tally_division *top)
{
	const struct tally_catalog *cat  = v->cat;
	json_t                     *kids = json_array(), *o;
	int64_t                     due_ms;

	due_ms = tally_target_due_ms(
	    &h->period, tally_due_days(v->due, cat, h->ind));
	FOR_EACH_CHILD(cat, top, &h->period, c)
	{
		const struct tally_division *cd = &cat->divisions[c];
		const struct tally_state    *s =
		    hub_view_state(v, h, cd->code, NULL);
		size_t  expected = LEAVES(cat, cd, &h->period);
		json_t *e;

		if (s != NULL && s->leaves >= expected) {
			continue;
		}
		e = region_ref(cd);
		json_object_set_new(e, "status",
		    json_string(s == NULL ? "missing" : "partial"));
		json_object_set_new(
		    e, "reporting", json_integer(s != NULL ? s->leaves : 0));
		json_object_set_new(
		    e, "expected", json_integer((json_int_t) expected));
		json_array_append_new(kids, e);
	}
	if (json_array_size(kids) == 0) {
		json_decref(kids);
		return NULL;
	}
	o = json_object();
	json_object_set_new(o, "indicator", json_string(h->ind->id));
	json_object_set_new(o, "name_zh", json_string(h->ind->name_zh));
	json_object_set_new(o, "name_en", json_string(h->ind->name_en));
	json_object_set_new(o, "due", iso_time(due_ms));
	json_object_set_new(o, "overdue", json_boolean(v->now_ms > due_ms));
	json_object_set_new(o, "children", kids);
	return o;
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

/* The regions' entries, each with its approval (report_approval.h);
 * *at (one per region, freed by the caller) the time each was approved,
 * 0 for none. */
static int
region_entries(const struct hub_view *v, const struct span *sp,
    const struct tally_period *period, json_t *regions, int64_t **at)
{
	struct tally_approval *list = NULL;
	size_t                 n    = 0;
	int rv = tally_approval_list(v->st, NULL, &list, &n);

	*at = calloc(sp->n > 0 ? sp->n : 1, sizeof(**at));
	if (rv == TALLY_OK && *at == NULL) {
		rv = TALLY_ENOMEM;
	}
	for (size_t i = 0; rv == TALLY_OK && i < sp->n; i++) {
		json_t *e =
		    region_entry(v->cat, sp->divs[i], sp->depth[i], period);

		json_object_set_new(e, "approval",
		    hub_report_approval(v->cat, list, n, v->hub->code,
		        sp->divs[i]->code, period, &(*at)[i]));
		json_array_append_new(regions, e);
	}
	free(list);
	return rv;
}

/* A region's figure as the hub held it when it was approved (at_ms). */
static int
approved_figure(const struct hub_view *v, const struct tally_indicator *ind,
    const struct tally_period *period, const struct outlook *ol,
    const struct tally_division *d, int64_t at_ms, json_t **out)
{
	struct hub_view      then = *v;
	struct hub_view_held h;
	int                  rv;

	then.as_of_ms = at_ms;
	rv            = hub_view_load(&then, ind, period, &h);
	if (rv == TALLY_OK) {
		rv = figure_json(&then, &h, ol, d, out);
	}
	hub_view_held_fini(&h);
	return rv;
}

/* What the hub refused and from whom (refusal.h): counts as they are
 * now, so an as-of report leaves them out. */
static int
refused_json(const struct hub_view *v, json_t *root)
{
	struct tally_refusal *r = NULL;
	size_t                n = 0;
	json_t               *arr;
	int                   rv = tally_refusal_list(v->st, &r, &n);

	if (rv != TALLY_OK) {
		return rv;
	}
	arr = tally_refusal_json(r, n);
	free(r);
	if (arr == NULL) {
		return TALLY_ENOMEM;
	}
	/* Only when there is something to say: a hub that refused nothing
	 * gives the same document as of now as it does plainly. */
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		return TALLY_OK;
	}
	json_object_set_new(root, "refused", arr);
	return TALLY_OK;
}

static int
report_json(
    const struct hub_view *v, const struct hub_report_opts *o, json_t **out)
{
	const struct tally_catalog  *cat = v->cat;
	const struct tally_division *top = hub_view_top(v, o->region);
	struct span                  sp;
	struct tally_period         *periods     = NULL;
	size_t                       np          = 0;
	int64_t                     *approved_at = NULL;
	json_t                      *root, *regions, *chase;
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
	chase   = json_array();
	json_object_set_new(root, "period", tally_figure_period(&o->period));
	hub_view_as_of_json(v, root);
	json_object_set_new(root, "hub", json_string(v->hub->code));
	json_object_set_new(root, "region", json_string(top->code));
	rv = region_entries(v, &sp, &o->period, regions, &approved_at);
	if (rv == TALLY_OK) {
		rv = tally_store_periods(v->st, &periods, &np);
	}
	for (size_t k = 0; rv == TALLY_OK && k < cat->n_indicators; k++) {
		const struct tally_indicator *ind = &cat->indicators[k];
		struct hub_view_held          h;
		struct outlook                ol;
		json_t                       *c;

		if (o->ind != NULL && ind != o->ind) {
			continue;
		}
		rv = hub_view_load(v, ind, &o->period, &h);
		if (rv != TALLY_OK) {
			break;
		}
		/* An indicator is shown where the top region has a figure
		 * or someone shown has a target for it, now or ahead, or the
		 * top region is judged by an ancestor's. */
		if (o->ind == NULL &&
		    (o->only_targets ||
		        hub_view_state(v, &h, top->code, NULL) == NULL) &&
		    !span_has_target(v, &sp, ind, &o->period) &&
		    !span_has_ahead(v, &sp, ind, &o->period) &&
		    !has_benchmark(v, top, ind, &o->period)) {
			hub_view_held_fini(&h);
			continue;
		}
		rv = outlook_load(v, &sp, periods, np, ind, &o->period, &ol);
		for (size_t i = 0; rv == TALLY_OK && i < sp.n; i++) {
			json_t *f = NULL;

			rv = o->approved && approved_at[i] > 0
			    ? approved_figure(v, ind, &o->period, &ol,
			          sp.divs[i], approved_at[i], &f)
			    : figure_json(v, &h, &ol, sp.divs[i], &f);
			if (rv == TALLY_OK) {
				json_array_append_new(
				    json_object_get(json_array_get(regions, i),
				        "indicators"),
				    f);
			}
		}
		c = rv == TALLY_OK ? chase_json(v, &h, top) : NULL;
		if (c != NULL) {
			json_array_append_new(chase, c);
		}
		outlook_fini(&ol);
		hub_view_held_fini(&h);
	}
	free(periods);
	free(approved_at);
	span_fini(&sp);
	if (rv == TALLY_OK && v->as_of_ms == 0) {
		rv = refused_json(v, root);
	}
	if (rv == TALLY_OK) {
		char text[TALLY_PERIOD_STRLEN];

		tally_period_format(&o->period, text);
		rv = tally_reason_report(v->st, text,
		    o->ind != NULL ? o->ind->id : NULL, v->as_of_ms,
		    v->hub->code, root);
	}
	if (rv != TALLY_OK) {
		json_decref(root);
		json_decref(regions);
		json_decref(chase);
		return rv;
	}
	json_object_set_new(root, "chase", chase);
	json_object_set_new(root, "regions", regions);
	*out = root;
	return TALLY_OK;
}

/* Builds one document with build, in one read of the store, through a
 * view set up from opts. */
static int
read_json(const struct tally_catalog *cat, struct tally_store *st,
    const struct hub_report_opts *opts,
    int (*build)(
        const struct hub_view *, const struct hub_report_opts *, json_t **),
    json_t **out)
{
	struct hub_view v;
	int             rv;

	hub_view_init(&v, cat, st, opts->due, opts->now_ms);
	hub_view_as_of(&v, opts->as_of_ms);
	rv = tally_store_read_begin(st);
	if (rv == TALLY_OK) {
		rv = build(&v, opts, out);
		tally_store_read_end(st);
	}
	hub_view_fini(&v);
	return rv;
}

int
hub_report_json(const struct tally_catalog *cat, struct tally_store *st,
    const struct hub_report_opts *opts, json_t **out)
{
	return read_json(cat, st, opts, report_json, out);
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

/* How much a part makes the figure worse: its pull, turned so that a
 * positive number is always the bad side (down when higher is better, up
 * when lower is better). */
static int
compare_drag(const void *a, const void *b)
{
	json_t *pa = json_object_get(*(json_t *const *) a, "drag");
	json_t *pb = json_object_get(*(json_t *const *) b, "drag");

	/* The parts that make the figure worse first; no figure last. */
	if (json_is_null(pa) || json_is_null(pb)) {
		return json_is_null(pa) - json_is_null(pb);
	}
	if (json_real_value(pa) != json_real_value(pb)) {
		return json_real_value(pa) > json_real_value(pb) ? -1 : 1;
	}
	return strcmp(
	    json_string_value(json_object_get(*(json_t *const *) a, "code")),
	    json_string_value(json_object_get(*(json_t *const *) b, "code")));
}

/* Sets "drag" on a part: its pull with the sign of harm. */
static void
set_drag(const struct tally_indicator *ind, json_t *part)
{
	json_t *pull = json_object_get(part, "pull");

	json_object_set_new(part, "drag",
	    json_is_number(pull)
	        ? json_real(ind->higher_better ? -json_number_value(pull)
	                                       : json_number_value(pull))
	        : json_null());
}

static int
explain_json(
    const struct hub_view *v, const struct hub_report_opts *o, json_t **out)
{
	const struct tally_catalog   *cat = v->cat;
	const struct tally_indicator *ind = o->ind;
	const struct tally_division  *top = hub_view_top(v, o->region);
	const struct tally_state     *total;
	struct tally_obs             *obs = NULL;
	struct hub_view_held          h;
	json_t                       *root, *list, **items = NULL;
	size_t                        nobs = 0, n = 0;
	int                           rv;

	if (top == NULL) {
		return TALLY_ENOENT;
	}
	if (ind == NULL) {
		return TALLY_EINVAL;
	}
	rv = hub_view_load(v, ind, &o->period, &h);
	if (rv != TALLY_OK) {
		return rv;
	}
	total = hub_view_state(v, &h, top->code, NULL);
	items = calloc(child_count(cat, top, &o->period) + 1, sizeof(*items));
	if (items == NULL) {
		rv = TALLY_ENOMEM;
		goto fail;
	}
	FOR_EACH_CHILD(cat, top, &o->period, c)
	{
		const struct tally_division *cd = &cat->divisions[c];

		items[n++] = contribution_json(ind, cd, false,
		    hub_view_state(v, &h, cd->code, NULL), total,
		    LEAVES(cat, cd, &o->period));
	}
	/* The hub's own observations are a part of its figure too. Below
	 * the hub only the regions' totals are held, not their parts. */
	if (top == v->hub) {
		struct tally_state own;

		rv = hub_view_observations(v, ind, &o->period, &obs, &nobs);
		if (rv != TALLY_OK) {
			goto fail;
		}
		if (tally_state_own(ind, top->code, false, obs, nobs,
		        &o->period, &own) == TALLY_OK) {
			items[n++] =
			    contribution_json(ind, top, true, &own, total, 0);
		}
	}
	for (size_t i = 0; i < n; i++) {
		set_drag(ind, items[i]);
	}
	qsort(items, n, sizeof(*items), compare_drag);
	root = json_object();
	json_object_set_new(root, "period", tally_figure_period(&o->period));
	hub_view_as_of_json(v, root);
	json_object_set_new(root, "indicator", json_string(ind->id));
	json_object_set_new(root, "better",
	    json_string(ind->higher_better ? "higher" : "lower"));
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
	hub_view_held_fini(&h);
	return rv;
}

int
hub_explain_json(const struct tally_catalog *cat, struct tally_store *st,
    const struct hub_report_opts *opts, json_t **out)
{
	return read_json(cat, st, opts, explain_json, out);
}

int
hub_trend_json(const struct tally_catalog *cat, struct tally_store *st,
    const char *region, const struct tally_indicator *ind, int period_kind,
    const struct tally_due *due, json_t **out)
{
	static const char *const     grains[] = { "year", "quarter", "month" };
	const struct tally_division *d;
	struct tally_period         *periods = NULL;
	struct hub_view              v;
	json_t                      *root = NULL, *points;
	size_t                       np   = 0;
	int                          rv;

	hub_view_init(&v, cat, st, due, 0);
	d = hub_view_top(&v, region);
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
		struct hub_view_held h;
		json_t              *f = NULL;

		if (periods[i].kind != period_kind) {
			continue;
		}
		rv = hub_view_load(&v, ind, &periods[i], &h);
		if (rv != TALLY_OK) {
			goto fail;
		}
		if (hub_view_state(&v, &h, d->code, NULL) != NULL ||
		    tally_targets_for(
		        cat, d->code, ind, &periods[i], NULL, 0) > 0) {
			rv = figure_json(&v, &h, NULL, d, &f);
		}
		hub_view_held_fini(&h);
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
	hub_view_fini(&v);
	return rv;
}

int
hub_meta_json(
    const struct tally_catalog *cat, struct tally_store *st, json_t **out)
{
	static const char *const aggs[]  = { "sum", "last", "weighted_mean" };
	struct tally_period     *periods = NULL;
	struct hub_view          v;
	struct span              sp;
	json_t                  *root, *list;
	size_t                   np          = 0;
	int                      newest_year = -1;
	int                      rv;

	hub_view_init(&v, cat, st, NULL, 0);
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
		hub_view_fini(&v);
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
	hub_view_fini(&v);
	return TALLY_OK;
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
		hub_report_print_as_of(out, o->as_of_ms);
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
		hub_report_print_explain(out, cat, doc, o->format);
	} else if (o->format == TALLY_FORMAT_CSV) {
		hub_report_print_csv(out, cat, doc);
	} else {
		hub_report_print_table(out, cat, doc);
		hub_report_print_withdrawn(out, doc);
		hub_report_print_refused(out, doc);
	}
	json_decref(doc);
	return rv;
}

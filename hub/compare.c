/*
 * The comparison declared in compare.h. A comparison hub's store holds,
 * per (indicator, period), each member's own state (region_state, via =
 * the member) and the group's pooled state (its snapshot, merged from the
 * members' exactly as a region's is from its children's). Everything
 * here is read from those; a member's completeness is its leaves against
 * the leaf regions below it in the division tree.
 *
 * As in report.c, the comparison is first built as a JSON document, and
 * the table and CSV printers only format it, so the command line and the
 * dashboard can never disagree.
 */
#include "compare.h"
#include "rank.h"

#include "errors.h"
#include "figure.h"
#include "rollup.h"
#include "target.h"
#include "text.h"

#include <csv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Where a member's period for an indicator comes from. */
static const char *const basis_requested = "requested";
static const char *const basis_target    = "target";
static const char *const basis_newest    = "newest";

/* One member's figure for one indicator. */
struct member {
	const struct tally_division *d;
	bool                         has_period;
	struct tally_period          period;
	const char                  *basis; /* NULL: no period at all */
	bool                         has_state;
	struct tally_region_state    rs;
	bool                         has_value;
	double                       value;
	bool                         complete;
	int                          rank; /* 0: unranked */
};

/* The group's common standard for one indicator, once resolved. */
struct standard {
	int                        rule; /* enum tally_standard_rule */
	bool                       has_level;
	int                        op; /* enum tally_op */
	double                     level;
	const struct tally_target *from; /* the strictest member target */
};

/* Everything the comparison reads from. */
struct cmp {
	const struct tally_catalog    *cat;
	struct tally_store            *st;
	const struct hub_compare_opts *o;
	struct tally_group             g;
	struct tally_standards         standards;
	struct tally_period           *periods; /* held, oldest first */
	size_t                         n_periods;
};

static size_t
ind_index(const struct tally_catalog *cat, const struct tally_indicator *ind)
{
	return (size_t) (ind - cat->indicators);
}

/* The latest period among code's own targets for ind. */
static bool
latest_target_period(const struct tally_catalog *cat, const char *code,
    const struct tally_indicator *ind, struct tally_period *out)
{
	bool found = false;

	for (size_t i = 0; i < cat->n_targets; i++) {
		const struct tally_target *t = &cat->targets[i];

		if (t->indicator != ind_index(cat, ind) ||
		    strcmp(t->region, code) != 0) {
			continue;
		}
		if (!found ||
		    tally_period_last_month(&t->period) >
		        tally_period_last_month(out)) {
			*out  = t->period;
			found = true;
		}
	}
	return found;
}

/* The newest year for which the store holds code's state of ind. */
static int
newest_year(const struct cmp *c, const char *code,
    const struct tally_indicator *ind, struct tally_period *out)
{
	for (size_t i = c->n_periods; i > 0; i--) {
		const struct tally_period *p = &c->periods[i - 1];
		struct tally_region_state  rs;
		int                        rv;

		if (p->kind != TALLY_PERIOD_YEAR) {
			continue;
		}
		rv = tally_store_region_state(c->st, code, ind, p, &rs);
		if (rv == TALLY_OK) {
			*out = *p;
			return TALLY_OK;
		}
		if (rv != TALLY_ENOENT) {
			return rv;
		}
	}
	return TALLY_ENOENT;
}

/* Picks the member's period for ind and reads its state there. */
static int
member_load(const struct cmp *c, const struct tally_indicator *ind,
    const char *code, struct member *m)
{
	int rv;

	memset(m, 0, sizeof(*m));
	m->d = tally_catalog_division(c->cat, code);
	if (c->o->latest &&
	    latest_target_period(c->cat, code, ind, &m->period)) {
		m->basis = basis_target;
	} else if (c->o->has_period) {
		m->period = c->o->period;
		m->basis  = basis_requested;
	} else {
		rv = newest_year(c, code, ind, &m->period);
		if (rv != TALLY_OK && rv != TALLY_ENOENT) {
			return rv;
		}
		m->basis = rv == TALLY_OK ? basis_newest : NULL;
	}
	m->has_period = m->basis != NULL;
	if (!m->has_period) {
		return TALLY_OK;
	}
	rv = tally_store_region_state(c->st, code, ind, &m->period, &m->rs);
	if (rv != TALLY_OK && rv != TALLY_ENOENT) {
		return rv;
	}
	m->has_state = rv == TALLY_OK;
	m->has_value = m->has_state &&
	    tally_state_value(&m->rs.state, ind, &m->value) == TALLY_OK;
	m->complete = m->has_state && m->rs.state.leaves >= m->d->leaves;
	return TALLY_OK;
}

/* True when a is better than b for ind. */
static bool
better(const struct tally_indicator *ind, double a, double b)
{
	return ind->higher_better ? a > b : a < b;
}

/* Ranks the members with a complete value, best first (rank.h: equal
 * values share a rank, 1, 1, 3). Returns the best member, or NULL. */
static const struct member *
rank_members(const struct tally_indicator *ind, struct member *ms, size_t n)
{
	double vs[TALLY_GROUP_MEMBERS_MAX];
	bool   ok[TALLY_GROUP_MEMBERS_MAX];
	int    ranks[TALLY_GROUP_MEMBERS_MAX];
	size_t best;

	if (n > TALLY_GROUP_MEMBERS_MAX) {
		n = TALLY_GROUP_MEMBERS_MAX;
	}
	for (size_t i = 0; i < n; i++) {
		vs[i] = ms[i].value;
		ok[i] = ms[i].complete && ms[i].has_value;
	}
	best = tally_rank(vs, ok, n, ind->higher_better, ranks);
	for (size_t i = 0; i < n; i++) {
		ms[i].rank = ranks[i];
	}
	return best < n ? &ms[best] : NULL;
}

/* True when op points the way ind is better: >= and > for higher. */
static bool
op_fits(const struct tally_indicator *ind, int op)
{
	bool up = op == TALLY_OP_GE || op == TALLY_OP_GT;

	return up == ind->higher_better;
}

/* True when target a asks more than b (same direction). */
static bool
stricter(const struct tally_indicator *ind, const struct tally_target *a,
    const struct tally_target *b)
{
	if (a->value != b->value) {
		return better(ind, a->value, b->value);
	}
	/* At the same level, > asks more than >=, < more than <=. */
	return a->op == TALLY_OP_GT || a->op == TALLY_OP_LT;
}

/* Resolves the group's standard for ind. "strictest" takes the members'
 * own `total` targets for ind, of any period, whose operator points the
 * way the indicator is better, and picks the one that asks most: a level
 * in the indicator's unit that every member can be held to. */
static void
standard_resolve(
    const struct cmp *c, const struct tally_indicator *ind, struct standard *s)
{
	const struct tally_standard *cfg =
	    &c->standards.items[ind_index(c->cat, ind)];

	memset(s, 0, sizeof(*s));
	s->rule = cfg->rule;
	if (cfg->rule == TALLY_STANDARD_VALUE) {
		s->has_level = true;
		s->level     = cfg->value;
		s->op        = ind->higher_better ? TALLY_OP_GE : TALLY_OP_LE;
		return;
	}
	if (cfg->rule != TALLY_STANDARD_STRICTEST) {
		return;
	}
	for (size_t i = 0; i < c->cat->n_targets; i++) {
		const struct tally_target *t = &c->cat->targets[i];

		if (t->indicator != ind_index(c->cat, ind) ||
		    t->scope != TALLY_SCOPE_TOTAL || !op_fits(ind, t->op) ||
		    tally_group_member_index(&c->g, t->region) < 0) {
			continue;
		}
		if (s->from == NULL || stricter(ind, t, s->from)) {
			s->from = t;
		}
	}
	if (s->from != NULL) {
		s->has_level = true;
		s->level     = s->from->value;
		s->op        = s->from->op;
	}
}

static json_t *
standard_json(const struct cmp *c, const struct standard *s)
{
	json_t *o;

	if (s->rule == TALLY_STANDARD_NONE) {
		return json_null();
	}
	o = json_object();
	json_object_set_new(o, "rule",
	    json_string(
	        s->rule == TALLY_STANDARD_STRICTEST ? "strictest" : "value"));
	json_object_set_new(o, "op",
	    s->has_level ? json_string(tally_op_name(s->op)) : json_null());
	json_object_set_new(
	    o, "value", tally_figure_real(s->has_level, s->level));
	if (s->from != NULL) {
		const struct tally_division *d =
		    tally_catalog_division(c->cat, s->from->region);

		json_object_set_new(o, "region", json_string(s->from->region));
		json_object_set_new(o, "name", json_string(d->name));
		json_object_set_new(
		    o, "period", tally_figure_period(&s->from->period));
		json_object_set_new(o, "source",
		    json_string(s->from->source ? s->from->source : ""));
	} else if (!s->has_level) {
		json_object_set_new(o, "reason",
		    json_string("no member has a target for this indicator "
		                "to take the strictest of"));
	}
	return o;
}

/* A figure's status against the standard: met or missed when it is
 * complete, else incomplete with the provisional value beside it. */
static json_t *
against_standard(const struct tally_indicator *ind, const struct standard *s,
    bool has_value, double value, bool complete)
{
	const char *status;

	if (!s->has_level) {
		return json_null();
	}
	if (!has_value || !complete) {
		status = "incomplete";
	} else if (tally_op_holds(s->op, value, s->level)) {
		status = "met";
	} else {
		status = "missed";
	}
	return json_pack("{s:s,s:o,s:o}", "status", status, "compared",
	    tally_figure_real(has_value, value), "gap",
	    tally_figure_real(has_value,
	        ind->higher_better ? value - s->level : s->level - value));
}

/* The reason a member's figure is not complete, or NULL. */
static json_t *
incomplete_reason(const struct member *m)
{
	char   buf[160];
	size_t missing;

	if (!m->has_period) {
		return json_string("no figure held for any year");
	}
	if (m->complete && m->has_value) {
		return NULL;
	}
	if (m->complete) {
		return json_string("the sums give no value");
	}
	missing = m->d->leaves - (m->has_state ? m->rs.state.leaves : 0);
	snprintf(buf, sizeof(buf), "%zu of %zu leaf regions %s not reported",
	    missing, m->d->leaves, missing == 1 ? "has" : "have");
	return json_string(buf);
}

/* Evaluates one of the member's own targets. */
static int
target_json(const struct cmp *c, const struct tally_indicator *ind,
    const struct member *m, const struct tally_target *t, json_t **out)
{
	struct tally_target_input  in;
	struct tally_target_result res;
	struct tally_region_state  base;
	json_t                    *o;
	int                        rv;

	memset(&in, 0, sizeof(in));
	memset(&res, 0, sizeof(res));
	in.state    = m->has_state ? &m->rs.state : NULL;
	in.expected = m->d->leaves;
	if (t->scope == TALLY_SCOPE_EACH_CHILD) {
		/* A comparison hub holds the members' own figures only, so a
		 * target on every child of a member cannot be judged here. */
		res.status = TALLY_TARGET_INCOMPLETE;
		snprintf(res.reason, sizeof(res.reason),
		    "an each_child target needs the member's children, "
		    "which the comparison hub does not hold");
	} else {
		if (t->scope == TALLY_SCOPE_CHANGE_PCT && t->has_baseline) {
			rv = tally_store_region_state(
			    c->st, m->d->code, ind, &t->baseline, &base);
			if (rv != TALLY_OK && rv != TALLY_ENOENT) {
				return rv;
			}
			in.baseline = rv == TALLY_OK ? &base.state : NULL;
		}
		rv = tally_target_evaluate(t, ind, &in, &res);
		if (rv != TALLY_OK) {
			return rv;
		}
	}
	o    = tally_figure_target_json(t, &res);
	*out = o;
	return TALLY_OK;
}

#define COMPARE_TARGETS_MAX 8

static int
member_json(const struct cmp *c, const struct tally_indicator *ind,
    const struct member *m, const struct member *best,
    const struct standard *s, json_t **out)
{
	const struct tally_target *ts[COMPARE_TARGETS_MAX];
	json_t                    *o, *targets, *why;
	size_t                     n = 0;
	int                        rv;

	o = json_object();
	json_object_set_new(o, "code", json_string(m->d->code));
	json_object_set_new(o, "name", json_string(m->d->name));
	json_object_set_new(o, "period",
	    m->has_period ? tally_figure_period(&m->period) : json_null());
	json_object_set_new(o, "period_basis",
	    m->basis != NULL ? json_string(m->basis) : json_null());
	tally_figure_json(o, ind, m->has_state ? &m->rs.state : NULL);
	json_object_set_new(o, "reporting",
	    json_integer(m->has_state ? (json_int_t) m->rs.state.leaves : 0));
	json_object_set_new(
	    o, "expected", json_integer((json_int_t) m->d->leaves));
	json_object_set_new(
	    o, "complete", json_boolean(m->complete && m->has_value));
	why = incomplete_reason(m);
	if (why != NULL) {
		json_object_set_new(o, "reason", why);
	}
	if (m->has_state) {
		json_object_set_new(o, "newest_period",
		    tally_figure_period(&m->rs.state.newest));
		json_object_set_new(
		    o, "version", json_integer((json_int_t) m->rs.version));
	}
	json_object_set_new(
	    o, "rank", m->rank > 0 ? json_integer(m->rank) : json_null());
	if (m->rank > 0 && best != NULL) {
		json_object_set_new(o, "gap_to_best",
		    json_real(ind->higher_better ? m->value - best->value
		                                 : best->value - m->value));
	} else {
		json_object_set_new(o, "gap_to_best", json_null());
	}
	targets = json_array();
	json_object_set_new(o, "targets", targets);
	if (m->has_period) {
		n = tally_targets_for(c->cat, m->d->code, ind, &m->period, ts,
		    COMPARE_TARGETS_MAX);
	}
	for (size_t i = 0; i < n && i < COMPARE_TARGETS_MAX; i++) {
		json_t *t = NULL;

		rv = target_json(c, ind, m, ts[i], &t);
		if (rv != TALLY_OK) {
			json_decref(o);
			return rv;
		}
		json_array_append_new(targets, t);
	}
	json_object_set_new(o, "standard",
	    against_standard(
	        ind, s, m->has_value, m->value, m->complete && m->has_value));
	*out = o;
	return TALLY_OK;
}

/* The group's pooled figure: its snapshot, which the hub merges from the
 * members' states, when every member is shown at the same period; the
 * merge of members at different periods would mean nothing. */
static int
pooled_json(const struct cmp *c, const struct tally_indicator *ind,
    const struct member *ms, size_t n, const struct standard *s, json_t **out)
{
	const struct tally_period *p = NULL;
	struct tally_state         pool;
	uint64_t                   version  = 0;
	size_t                     expected = 0, reporting = 0;
	bool    complete = true, mixed = false, has = false, has_value = false;
	double  value = 0;
	json_t *o     = json_object();
	int     rv;

	for (size_t i = 0; i < n; i++) {
		expected += ms[i].d->leaves;
		if (!ms[i].has_period) {
			complete = false;
			continue;
		}
		if (p != NULL && !tally_period_equal(p, &ms[i].period)) {
			mixed = true;
		}
		p = &ms[i].period;
		if (!(ms[i].complete && ms[i].has_value)) {
			complete = false;
		}
	}
	if (mixed) {
		p = NULL;
	}
	json_object_set_new(
	    o, "period", p ? tally_figure_period(p) : json_null());
	if (p != NULL) {
		rv = tally_store_snapshot(c->st, ind, p, &pool, &version);
		if (rv != TALLY_OK && rv != TALLY_ENOENT) {
			json_decref(o);
			return rv;
		}
		has = rv == TALLY_OK;
	}
	if (has) {
		reporting = pool.leaves;
		has_value = tally_state_value(&pool, ind, &value) == TALLY_OK;
	}
	tally_figure_json(o, ind, has ? &pool : NULL);
	json_object_set_new(
	    o, "reporting", json_integer((json_int_t) reporting));
	json_object_set_new(
	    o, "expected", json_integer((json_int_t) expected));
	json_object_set_new(
	    o, "complete", json_boolean(complete && has_value));
	if (mixed) {
		json_object_set_new(o, "reason",
		    json_string("the members are shown at different periods, "
		                "which do not pool"));
	} else if (!(complete && has_value)) {
		json_object_set_new(
		    o, "reason", json_string("not every member is complete"));
	}
	if (has) {
		json_object_set_new(
		    o, "version", json_integer((json_int_t) version));
	}
	/* A count pooled over the members is the group's total, not a level
	 * that one member's standard applies to; nor is there a pool of
	 * members at different periods to hold to it. */
	json_object_set_new(o, "standard",
	    ind->kind == TALLY_KIND_COUNT || mixed
	        ? json_null()
	        : against_standard(
	              ind, s, has_value, value, complete && has_value));
	*out = o;
	return TALLY_OK;
}

static int
indicator_json(
    const struct cmp *c, const struct tally_indicator *ind, json_t **out)
{
	struct member       *ms;
	const struct member *best;
	struct standard      s;
	size_t               n   = c->g.n_members;
	json_t              *o   = NULL, *list, *e;
	bool                 any = false;
	int                  rv  = TALLY_OK;

	*out = NULL;
	ms   = calloc(n, sizeof(*ms));
	if (ms == NULL) {
		return TALLY_ENOMEM;
	}
	for (size_t i = 0; rv == TALLY_OK && i < n; i++) {
		rv  = member_load(c, ind, c->g.members[i], &ms[i]);
		any = any || ms[i].has_state;
	}
	/* Without --indicator, only the indicators some member reported. */
	if (rv != TALLY_OK || (!any && c->o->ind == NULL)) {
		free(ms);
		return rv;
	}
	best = rank_members(ind, ms, n);
	standard_resolve(c, ind, &s);
	o = json_object();
	json_object_set_new(o, "id", json_string(ind->id));
	json_object_set_new(o, "name_zh", json_string(ind->name_zh));
	json_object_set_new(o, "name_en", json_string(ind->name_en));
	json_object_set_new(o, "unit", json_string(ind->unit));
	json_object_set_new(
	    o, "kind", json_string(tally_kind_name(ind->kind)));
	json_object_set_new(
	    o, "better", json_string(ind->higher_better ? "higher" : "lower"));
	json_object_set_new(o, "standard", standard_json(c, &s));
	json_object_set_new(o, "best",
	    best != NULL ? json_pack("{s:s,s:s,s:f}", "code", best->d->code,
	                       "name", best->d->name, "value", best->value)
	                 : json_null());
	list = json_array();
	json_object_set_new(o, "members", list);
	for (size_t i = 0; rv == TALLY_OK && i < n; i++) {
		rv = member_json(c, ind, &ms[i], best, &s, &e);
		if (rv == TALLY_OK) {
			json_array_append_new(list, e);
		}
	}
	if (rv == TALLY_OK) {
		rv = pooled_json(c, ind, ms, n, &s, &e);
		if (rv == TALLY_OK) {
			json_object_set_new(o, "pooled", e);
		}
	}
	free(ms);
	if (rv != TALLY_OK) {
		json_decref(o);
		return rv;
	}
	*out = o;
	return TALLY_OK;
}

static int
cmp_init(struct cmp *c, const struct tally_catalog *cat,
    struct tally_store *st, const struct hub_compare_opts *o)
{
	struct tally_errbuf eb   = { "" };
	const char         *name = tally_store_group(st);
	char               *text = NULL;
	int                 rv;

	memset(c, 0, sizeof(*c));
	c->cat = cat;
	c->st  = st;
	c->o   = o;
	if (name == NULL) {
		return TALLY_EINVAL;
	}
	rv = tally_group_parse(
	    cat, name, tally_store_group_members(st), &c->g, &eb);
	if (rv != TALLY_OK) {
		return TALLY_ECONFIG;
	}
	rv = tally_standards_init(&c->standards, cat);
	if (rv != TALLY_OK) {
		return rv;
	}
	if (o->standards != NULL) {
		memcpy(c->standards.items, o->standards->items,
		    cat->n_indicators * sizeof(*c->standards.items));
	} else {
		rv = tally_store_group_standards(st, &text);
		if (rv == TALLY_OK &&
		    tally_standards_parse(&c->standards, cat, text, &eb) !=
		        TALLY_OK) {
			/* Standards written by an older catalogue may name an
			 * indicator this one lacks; the rest still apply. */
			rv = TALLY_OK;
		}
		free(text);
		if (rv != TALLY_OK) {
			return rv;
		}
	}
	return tally_store_periods(st, &c->periods, &c->n_periods);
}

static void
cmp_fini(struct cmp *c)
{
	tally_standards_fini(&c->standards);
	free(c->periods);
}

int
hub_compare_json(const struct tally_catalog *cat, struct tally_store *st,
    const struct hub_compare_opts *o, json_t **out)
{
	struct cmp c;
	json_t    *root = NULL, *list, *members;
	int        rv;

	/* One read transaction: every figure comes from one commit. */
	rv = tally_store_read_begin(st);
	if (rv != TALLY_OK) {
		return rv;
	}
	rv = cmp_init(&c, cat, st, o);
	if (rv != TALLY_OK) {
		cmp_fini(&c);
		tally_store_read_end(st);
		return rv;
	}
	root = json_object();
	json_object_set_new(root, "group", json_string(c.g.name));
	members = json_array();
	for (size_t i = 0; i < c.g.n_members; i++) {
		const struct tally_division *d =
		    tally_catalog_division(cat, c.g.members[i]);

		json_array_append_new(members,
		    json_pack("{s:s,s:s,s:s,s:I}", "code", d->code, "name",
		        d->name, "level", tally_level_name(d->level),
		        "expected", (json_int_t) d->leaves));
	}
	json_object_set_new(root, "members", members);
	json_object_set_new(root, "period",
	    o->has_period ? tally_figure_period(&o->period) : json_null());
	json_object_set_new(root, "latest", json_boolean(o->latest));
	list = json_array();
	json_object_set_new(root, "indicators", list);
	for (size_t k = 0; rv == TALLY_OK && k < cat->n_indicators; k++) {
		const struct tally_indicator *ind = &cat->indicators[k];
		json_t                       *e   = NULL;

		if (o->ind != NULL && ind != o->ind) {
			continue;
		}
		rv = indicator_json(&c, ind, &e);
		if (rv == TALLY_OK && e != NULL) {
			json_array_append_new(list, e);
		}
	}
	cmp_fini(&c);
	tally_store_read_end(st);
	if (rv != TALLY_OK) {
		json_decref(root);
		return rv;
	}
	*out = root;
	return TALLY_OK;
}

/* Sets "title" on root: the group's display name, or its id when it has
 * none, so that the page always has a name to show. */
static int
meta_title(struct tally_store *st, const char *id, json_t *root)
{
	char *title = NULL;
	int   rv    = tally_store_read_begin(st);

	if (rv == TALLY_OK) {
		rv = tally_store_group_title(st, &title);
		tally_store_read_end(st);
	}
	if (rv == TALLY_OK) {
		json_object_set_new(
		    root, "title", json_string(title[0] != '\0' ? title : id));
	}
	free(title);
	return rv;
}

int
hub_compare_meta_json(
    const struct tally_catalog *cat, struct tally_store *st, json_t **out)
{
	struct hub_compare_opts o;
	struct cmp              c;
	json_t                 *root, *list, *std;
	int                     newest_year = -1;
	int                     rv;

	memset(&o, 0, sizeof(o));
	rv = tally_store_read_begin(st);
	if (rv != TALLY_OK) {
		return rv;
	}
	rv = cmp_init(&c, cat, st, &o);
	tally_store_read_end(st);
	if (rv != TALLY_OK) {
		cmp_fini(&c);
		return rv;
	}
	root = json_object();
	json_object_set_new(root, "group", json_string(c.g.name));
	rv = meta_title(st, c.g.name, root);
	if (rv != TALLY_OK) {
		json_decref(root);
		cmp_fini(&c);
		return rv;
	}
	list = json_array();
	for (size_t i = 0; i < c.g.n_members; i++) {
		const struct tally_division *d =
		    tally_catalog_division(cat, c.g.members[i]);

		json_array_append_new(list,
		    json_pack("{s:s,s:s,s:s,s:I}", "code", d->code, "name",
		        d->name, "level", tally_level_name(d->level),
		        "expected", (json_int_t) d->leaves));
	}
	json_object_set_new(root, "members", list);
	list = json_array();
	for (size_t i = 0; i < c.n_periods; i++) {
		json_array_append_new(
		    list, tally_figure_period(&c.periods[i]));
		if (c.periods[i].kind == TALLY_PERIOD_YEAR) {
			newest_year = (int) i;
		}
	}
	json_object_set_new(root, "periods", list);
	json_object_set_new(root, "default_period",
	    newest_year >= 0 ? tally_figure_period(&c.periods[newest_year])
	        : c.n_periods > 0
	        ? tally_figure_period(&c.periods[c.n_periods - 1])
	        : json_null());
	list = json_array();
	std  = json_object();
	for (size_t k = 0; k < cat->n_indicators; k++) {
		const struct tally_indicator *ind = &cat->indicators[k];
		const struct tally_standard  *s   = &c.standards.items[k];

		json_array_append_new(list,
		    json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", ind->id,
		        "name_zh", ind->name_zh, "name_en", ind->name_en,
		        "kind", tally_kind_name(ind->kind), "unit", ind->unit,
		        "better", ind->higher_better ? "higher" : "lower"));
		if (s->rule == TALLY_STANDARD_STRICTEST) {
			json_object_set_new(
			    std, ind->id, json_string("strictest"));
		} else if (s->rule == TALLY_STANDARD_VALUE) {
			json_object_set_new(std, ind->id, json_real(s->value));
		}
	}
	json_object_set_new(root, "indicators", list);
	json_object_set_new(root, "standards", std);
	cmp_fini(&c);
	*out = root;
	return TALLY_OK;
}

/* --- Printing the document as a table or CSV ------------------------ */

static const char *
str_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void
print_figure(FILE *out, const struct tally_indicator *ind, json_t *f)
{
	struct tally_figure_text t;

	tally_figure_doc_text(ind, f, &t);
	fprintf(out, " %-7s %12s %14s %14s %5lld/%-5lld",
	    str_of(f, "period") ? str_of(f, "period") : "-", t.value, t.a, t.b,
	    json_integer_value(json_object_get(f, "reporting")),
	    json_integer_value(json_object_get(f, "expected")));
}

static void
print_status(FILE *out, json_t *st)
{
	char gap[32];

	if (!json_is_object(st)) {
		fprintf(out, "  %-10s %9s", "-", "-");
		return;
	}
	tally_figure_num(
	    gap, sizeof(gap), json_object_get(st, "gap"), TALLY_NUM_DIFF);
	fprintf(out, "  %-10s %9s", str_of(st, "status"), gap);
}

static void
print_standard_line(FILE *out, json_t *s)
{
	char level[32];

	if (!json_is_object(s)) {
		fprintf(out, "standard: none set\n");
		return;
	}
	if (!json_is_number(json_object_get(s, "value"))) {
		fprintf(out, "standard: %s: %s\n", str_of(s, "rule"),
		    str_of(s, "reason") ? str_of(s, "reason") : "none");
		return;
	}
	tally_figure_num(level, sizeof(level), json_object_get(s, "value"),
	    TALLY_NUM_LEVEL);
	fprintf(out, "standard: %s %s", str_of(s, "op"), level);
	if (str_of(s, "region") != NULL) {
		fprintf(out, ", the strictest member target (%s %s, %s)",
		    str_of(s, "region"), str_of(s, "name"),
		    str_of(s, "period"));
	} else {
		fprintf(out, ", set for the group");
	}
	fputc('\n', out);
}

static void
print_table(FILE *out, const struct tally_catalog *cat, json_t *doc)
{
	json_t *inds = json_object_get(doc, "indicators");
	json_t *f, *m;
	size_t  k, i;

	fprintf(out, "group %s, ", str_of(doc, "group"));
	if (json_is_true(json_object_get(doc, "latest"))) {
		fprintf(out,
		    "each member at its own target year (else at %s)\n",
		    str_of(doc, "period") ? str_of(doc, "period")
		                          : "the newest year held");
	} else {
		fprintf(out, "period %s\n", str_of(doc, "period"));
	}
	if (json_array_size(inds) == 0) {
		fprintf(out, "(no figures)\n");
		return;
	}
	json_array_foreach(inds, k, f)
	{
		const struct tally_indicator *ind =
		    tally_catalog_indicator(cat, str_of(f, "id"));
		json_t *pooled = json_object_get(f, "pooled");

		fprintf(out, "\n%s %s (%s), %s, %s is better\n", ind->id,
		    ind->name_zh, ind->unit, tally_kind_name(ind->kind),
		    str_of(f, "better"));
		print_standard_line(out, json_object_get(f, "standard"));
		fprintf(out,
		    "%4s %-17s %-7s %12s %14s %14s %11s  %-16s %-10s %9s  "
		    "%-10s %9s %9s\n",
		    "rank", "member", "period", "value",
		    tally_figure_a_name(ind), tally_figure_b_name(ind),
		    "reporting", "own target", "status", "gap", "standard",
		    "gap", "to best");
		json_array_foreach(json_object_get(f, "members"), i, m)
		{
			json_t *ts = json_object_get(m, "targets");
			json_t *t  = json_array_get(ts, 0);
			char    spec[40], best[32];

			if (json_is_integer(json_object_get(m, "rank"))) {
				fprintf(out, "%4lld ",
				    json_integer_value(
				        json_object_get(m, "rank")));
			} else {
				fprintf(out, "%4s ", "-");
			}
			fprintf(out, "%s ", str_of(m, "code"));
			tally_text_pad(out, str_of(m, "name"), 10);
			print_figure(out, ind, m);
			if (t != NULL) {
				snprintf(spec, sizeof(spec), "%s %g %s%s",
				    str_of(t, "op"),
				    json_number_value(
				        json_object_get(t, "value")),
				    str_of(t, "period"),
				    json_array_size(ts) > 1 ? " (+)" : "");
			} else {
				snprintf(spec, sizeof(spec), "-");
			}
			fprintf(out, "  %-16s", spec);
			print_status(out, t);
			print_status(out, json_object_get(m, "standard"));
			tally_figure_num(best, sizeof(best),
			    json_object_get(m, "gap_to_best"), TALLY_NUM_DIFF);
			fprintf(out, " %9s\n", best);
		}
		fprintf(out, "%4s %-17s", "", "pooled");
		print_figure(out, ind, pooled);
		fprintf(out, "  %-16s", "-");
		print_status(out, NULL);
		print_status(out, json_object_get(pooled, "standard"));
		fprintf(out, " %9s\n", "-");
		json_array_foreach(json_object_get(f, "members"), i, m)
		{
			json_t *t =
			    json_array_get(json_object_get(m, "targets"), 0);

			if (str_of(m, "reason") != NULL) {
				fprintf(out, "  %s: %s\n", str_of(m, "code"),
				    str_of(m, "reason"));
			}
			if (t != NULL && str_of(t, "reason") != NULL) {
				fprintf(out, "  %s target %s %g: %s\n",
				    str_of(m, "code"), str_of(t, "op"),
				    json_number_value(
				        json_object_get(t, "value")),
				    str_of(t, "reason"));
			}
		}
		if (str_of(pooled, "reason") != NULL) {
			fprintf(
			    out, "  pooled: %s\n", str_of(pooled, "reason"));
		}
	}
	if (json_is_true(json_object_get(doc, "latest"))) {
		fprintf(out,
		    "\n(period: each member's own; ranks and gaps "
		    "compare members at those periods)\n");
	}
}

/* One row: a member (or the pooled figure, m = the pooled object). */
static void
csv_row(FILE *out, const char *group, const struct tally_indicator *ind,
    json_t *f, json_t *m, const char *code, const char *name,
    const char *basis)
{
	json_t *t   = json_array_get(json_object_get(m, "targets"), 0);
	json_t *s   = json_object_get(m, "standard");
	json_t *std = json_object_get(f, "standard");

	fputs(group, out);
	tally_figure_csv_text(out, ind->id);
	tally_figure_csv_text(out, code);
	tally_figure_csv_text(out, name);
	tally_figure_csv_text(out, str_of(m, "period"));
	tally_figure_csv_text(out, basis);
	tally_figure_csv_sums(out, ind, m);
	fprintf(out, ",%lld,%lld,%s",
	    json_integer_value(json_object_get(m, "reporting")),
	    json_integer_value(json_object_get(m, "expected")),
	    json_is_true(json_object_get(m, "complete")) ? "true" : "false");
	tally_figure_csv_num(out, json_object_get(m, "rank"));
	tally_figure_csv_num(out, json_object_get(m, "gap_to_best"));
	tally_figure_csv_text(out, t ? str_of(t, "op") : NULL);
	tally_figure_csv_num(out, t ? json_object_get(t, "value") : NULL);
	tally_figure_csv_text(out, t ? str_of(t, "period") : NULL);
	tally_figure_csv_text(out, t ? str_of(t, "scope") : NULL);
	tally_figure_csv_text(out, t ? str_of(t, "status") : NULL);
	tally_figure_csv_num(out, t ? json_object_get(t, "gap") : NULL);
	tally_figure_csv_text(
	    out, json_is_object(s) ? str_of(std, "op") : NULL);
	tally_figure_csv_num(
	    out, json_is_object(s) ? json_object_get(std, "value") : NULL);
	tally_figure_csv_text(
	    out, json_is_object(s) ? str_of(s, "status") : NULL);
	tally_figure_csv_num(
	    out, json_is_object(s) ? json_object_get(s, "gap") : NULL);
	fputc('\n', out);
}

static void
print_csv(FILE *out, const struct tally_catalog *cat, json_t *doc)
{
	const char *group = str_of(doc, "group");
	json_t     *f, *m;
	size_t      k, i;

	fprintf(out,
	    "group,indicator,member,name,period,period_basis,value,"
	    "numerator,denominator,sum,weight,reporting,expected,complete,"
	    "rank,gap_to_best,target_op,target_value,target_period,"
	    "target_scope,target_status,target_gap,standard_op,"
	    "standard_value,standard_status,standard_gap\n");
	json_array_foreach(json_object_get(doc, "indicators"), k, f)
	{
		const struct tally_indicator *ind =
		    tally_catalog_indicator(cat, str_of(f, "id"));

		json_array_foreach(json_object_get(f, "members"), i, m)
		{
			csv_row(out, group, ind, f, m, str_of(m, "code"),
			    str_of(m, "name"), str_of(m, "period_basis"));
		}
		csv_row(out, group, ind, f, json_object_get(f, "pooled"),
		    group, "pooled", "pooled");
	}
}

int
hub_compare_print(FILE *out, const struct tally_catalog *cat,
    struct tally_store *st, const struct hub_compare_opts *o)
{
	json_t *doc = NULL;
	int     rv;

	rv = hub_compare_json(cat, st, o, &doc);
	if (rv != TALLY_OK) {
		return rv;
	}
	if (o->format == TALLY_FORMAT_JSON) {
		if (json_dumpf(doc, out,
		        JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0) {
			rv = TALLY_EIO;
		}
		fputc('\n', out);
	} else if (o->format == TALLY_FORMAT_CSV) {
		print_csv(out, cat, doc);
	} else {
		print_table(out, cat, doc);
	}
	json_decref(doc);
	return rv;
}

/*
 * Evaluation of the programmes' targets and the due dates of periods,
 * declared in target.h. The evaluator never treats a missing figure as
 * zero: a region or child that has not reported fully makes a target
 * `incomplete` (with the provisional value beside it), except that a child
 * which has reported and fails an `each_child` target already settles it
 * as `missed`, whatever the others still send.
 */
#include "target.h"

#include "asof.h"
#include "clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define DUE_DAYS_MAX 3660

/* The spellings of targets.csv; catalog.c parses the same ones. */
static const char *const status_names[] = { "met", "missed", "incomplete" };
static const char *const op_names[]     = { ">=", ">", "<=", "<" };
static const char *const scope_names[]  = { "total", "each_child",
	 "change_pct" };

const char *
tally_target_status_name(int status)
{
	return status >= 0 && (size_t) status < NELEM(status_names)
	    ? status_names[status]
	    : "?";
}

const char *
tally_op_name(int op)
{
	return op >= 0 && (size_t) op < NELEM(op_names) ? op_names[op] : "?";
}

const char *
tally_scope_name(int scope)
{
	return scope >= 0 && (size_t) scope < NELEM(scope_names)
	    ? scope_names[scope]
	    : "?";
}

bool
tally_op_holds(int op, double value, double target)
{
	switch (op) {
	case TALLY_OP_GE:
		return value >= target;
	case TALLY_OP_GT:
		return value > target;
	case TALLY_OP_LE:
		return value <= target;
	case TALLY_OP_LT:
		return value < target;
	default:
		return false;
	}
}

/* Appends formatted text to the reason, cutting it at the buffer's end. */
static void reason_add(struct tally_target_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reason_add(struct tally_target_result *r, const char *fmt, ...)
{
	size_t  used = strlen(r->reason);
	va_list ap;

	if (used + 1 >= sizeof(r->reason)) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(r->reason + used, sizeof(r->reason) - used, fmt, ap);
	va_end(ap);
}

static void
set_value(struct tally_target_result *r, const struct tally_target *t,
    const struct tally_indicator *ind, double v)
{
	r->has_value = true;
	r->value     = v;
	r->has_gap   = true;
	r->gap       = ind->higher_better ? v - t->value : t->value - v;
}

/* The state's value, when it has one. */
static bool
value_of(
    const struct tally_state *s, const struct tally_indicator *ind, double *v)
{
	return s != NULL && tally_state_value(s, ind, v) == TALLY_OK;
}

static bool
complete(const struct tally_state *s, size_t expected)
{
	return s != NULL && s->leaves >= expected;
}

/* Says why a region's state cannot be judged yet: leaves missing, or
 * sums that give no value. prefix names the period for a baseline. */
static void
reason_unfinished(struct tally_target_result *r, const char *prefix,
    const struct tally_state *s, size_t expected,
    const struct tally_indicator *ind)
{
	size_t missing;

	if (!complete(s, expected)) {
		missing = expected - (s == NULL ? 0 : s->leaves);
		reason_add(r, "%s%zu of %zu leaf regions %s not reported",
		    prefix, missing, expected, missing == 1 ? "has" : "have");
	} else if (ind->kind == TALLY_KIND_RATIO && s->sum_b == 0) {
		reason_add(r, "%sthe denominator is 0", prefix);
	} else if (ind->kind == TALLY_KIND_WMEAN && s->sum_b == 0) {
		reason_add(r, "%sthe total weight is 0", prefix);
	} else {
		reason_add(r, "%sno value", prefix);
	}
}

static void
eval_total(const struct tally_target *t, const struct tally_indicator *ind,
    const struct tally_target_input *in, struct tally_target_result *r)
{
	double v;
	bool   has = value_of(in->state, ind, &v);

	if (has) {
		set_value(r, t, ind, v);
	}
	if (!has || !complete(in->state, in->expected)) {
		r->status = TALLY_TARGET_INCOMPLETE;
		reason_unfinished(r, "", in->state, in->expected, ind);
	} else if (tally_op_holds(t->op, v, t->value)) {
		r->status = TALLY_TARGET_MET;
	} else {
		r->status = TALLY_TARGET_MISSED;
		reason_add(r, "value %g does not meet %s %g", v,
		    tally_op_name(t->op), t->value);
	}
}

static int
eval_change(const struct tally_target *t, const struct tally_indicator *ind,
    const struct tally_target_input *in, struct tally_target_result *r)
{
	char   base_name[TALLY_PERIOD_STRLEN];
	char   prefix[TALLY_PERIOD_STRLEN + 16];
	double v = 0, b = 0, change = 0;
	bool   has_v, has_b;

	if (!t->has_baseline) {
		return TALLY_EINVAL;
	}
	tally_period_format(&t->baseline, base_name);
	has_v = value_of(in->state, ind, &v);
	has_b = value_of(in->baseline, ind, &b);
	if (has_b) {
		r->has_baseline_value = true;
		r->baseline_value     = b;
	}
	/* The change is shown whenever both figures exist, even provisional
	 * ones; only a zero baseline leaves it undefined. */
	if (has_v && has_b && b != 0) {
		change = (v - b) / b * 100;
		set_value(r, t, ind, change);
	}
	if (!has_v || !complete(in->state, in->expected)) {
		r->status = TALLY_TARGET_INCOMPLETE;
		reason_unfinished(r, "", in->state, in->expected, ind);
	} else if (in->baseline == NULL) {
		r->status = TALLY_TARGET_INCOMPLETE;
		reason_add(r, "baseline %s has no figure", base_name);
	} else if (!has_b || !complete(in->baseline, in->expected)) {
		r->status = TALLY_TARGET_INCOMPLETE;
		snprintf(prefix, sizeof(prefix), "baseline %s: ", base_name);
		reason_unfinished(r, prefix, in->baseline, in->expected, ind);
	} else if (b == 0) {
		r->status = TALLY_TARGET_INCOMPLETE;
		reason_add(
		    r, "baseline %s is 0: no change in percent", base_name);
	} else if (tally_op_holds(t->op, change, t->value)) {
		r->status = TALLY_TARGET_MET;
	} else {
		r->status = TALLY_TARGET_MISSED;
		reason_add(r, "change %g%% from %s does not meet %s %g",
		    change, base_name, tally_op_name(t->op), t->value);
	}
	return TALLY_OK;
}

/* A child counts only when all the leaves under it have reported and its
 * sums give a value; anything less may still move either way. */
static bool
child_full(const struct tally_target_child *c,
    const struct tally_indicator *ind, double *v)
{
	return complete(c->state, c->expected) && value_of(c->state, ind, v);
}

/* The word for a failing child's side of the target, exact also at the
 * target itself under a strict operator. */
static const char *
failing_side(int op)
{
	switch (op) {
	case TALLY_OP_GE:
		return "below";
	case TALLY_OP_GT:
		return "not above";
	case TALLY_OP_LE:
		return "above";
	default:
		return "not below";
	}
}

/* Lists the codes of the children that have not reported fully, as far
 * as the reason has room, then how many are left out. */
static void
reason_missing_codes(struct tally_target_result *r,
    const struct tally_target_input *in, const struct tally_indicator *ind)
{
	/* Room kept at the end for " and NNNN more". */
	const size_t tail   = 20;
	size_t       listed = 0, left;
	double       v;

	for (size_t i = 0; i < in->n_children; i++) {
		if (child_full(&in->children[i], ind, &v)) {
			continue;
		}
		if (strlen(r->reason) + strlen(in->children[i].code) + 2 +
		        tail >=
		    sizeof(r->reason)) {
			break;
		}
		reason_add(
		    r, "%s%s", listed == 0 ? "" : ", ", in->children[i].code);
		listed++;
	}
	left = r->children_missing - listed;
	if (left > 0) {
		reason_add(r, " and %zu more", left);
	}
}

static int
eval_each_child(const struct tally_target *t,
    const struct tally_indicator *ind, const struct tally_target_input *in,
    struct tally_target_result *r)
{
	bool   lower_worse = t->op == TALLY_OP_GE || t->op == TALLY_OP_GT;
	bool   has_worst   = false;
	double worst       = 0;

	if (in->children == NULL || in->n_children == 0) {
		return TALLY_EINVAL;
	}
	for (size_t i = 0; i < in->n_children; i++) {
		const struct tally_target_child *c = &in->children[i];
		double                           v;

		if (c->code == NULL) {
			return TALLY_EINVAL;
		}
		if (!child_full(c, ind, &v)) {
			r->children_missing++;
			continue;
		}
		if (!tally_op_holds(t->op, v, t->value)) {
			r->children_failing++;
		}
		if (!has_worst || (lower_worse ? v < worst : v > worst)) {
			has_worst = true;
			worst     = v;
			snprintf(r->worst_child, sizeof(r->worst_child), "%s",
			    c->code);
		}
	}
	if (has_worst) {
		set_value(r, t, ind, worst);
	}
	if (r->children_failing > 0) {
		r->status = TALLY_TARGET_MISSED;
		reason_add(r, "%zu %s %s target; worst %s at %g",
		    r->children_failing,
		    r->children_failing == 1 ? "child" : "children",
		    failing_side(t->op), r->worst_child, worst);
		if (r->children_missing > 0) {
			reason_add(r, "; not reported: ");
			reason_missing_codes(r, in, ind);
		}
	} else if (r->children_missing > 0) {
		r->status = TALLY_TARGET_INCOMPLETE;
		reason_add(r, "%zu %s not reported: ", r->children_missing,
		    r->children_missing == 1 ? "child has" : "children have");
		reason_missing_codes(r, in, ind);
	} else {
		r->status = TALLY_TARGET_MET;
	}
	return TALLY_OK;
}

int
tally_target_evaluate(const struct tally_target *t,
    const struct tally_indicator *ind, const struct tally_target_input *in,
    struct tally_target_result *out)
{
	struct tally_target_result r;
	int                        rv = TALLY_OK;

	if (t == NULL || ind == NULL || in == NULL || out == NULL ||
	    t->op < 0 || (size_t) t->op >= NELEM(op_names)) {
		return TALLY_EINVAL;
	}
	memset(&r, 0, sizeof(r));
	switch (t->scope) {
	case TALLY_SCOPE_TOTAL:
		eval_total(t, ind, in, &r);
		break;
	case TALLY_SCOPE_EACH_CHILD:
		rv = eval_each_child(t, ind, in, &r);
		break;
	case TALLY_SCOPE_CHANGE_PCT:
		rv = eval_change(t, ind, in, &r);
		break;
	default:
		rv = TALLY_EINVAL;
		break;
	}
	if (rv != TALLY_OK) {
		return rv;
	}
	*out = r;
	return TALLY_OK;
}

/* The index of ind in cat's indicators, or TALLY_NO_INDEX when ind is not
 * one of them. */
static size_t
indicator_index(
    const struct tally_catalog *cat, const struct tally_indicator *ind)
{
	if (cat == NULL || ind == NULL || ind < cat->indicators ||
	    ind >= cat->indicators + cat->n_indicators) {
		return TALLY_NO_INDEX;
	}
	return (size_t) (ind - cat->indicators);
}

size_t
tally_targets_for(const struct tally_catalog *cat, const char *region,
    const struct tally_indicator *ind, const struct tally_period *period,
    const struct tally_target **out, size_t max)
{
	size_t idx = indicator_index(cat, ind), n = 0;

	if (idx == TALLY_NO_INDEX || region == NULL || period == NULL) {
		return 0;
	}
	for (size_t i = 0; i < cat->n_targets; i++) {
		const struct tally_target *t = &cat->targets[i];

		if (t->indicator == idx && strcmp(t->region, region) == 0 &&
		    tally_period_equal(&t->period, period)) {
			if (n < max) {
				out[n] = t;
			}
			n++;
		}
	}
	return n;
}

int
tally_target_add_file(
    struct tally_catalog *cat, const char *path, struct tally_errbuf *eb)
{
	struct tally_target *add = NULL, *all;
	size_t               n   = 0;
	int                  rv;

	if (cat == NULL || path == NULL) {
		return tally_fail(eb, TALLY_EINVAL, "no catalogue or path");
	}
	rv = tally_catalog_read_targets(cat, path, &add, &n, eb);
	if (rv != TALLY_OK) {
		return rv;
	}
	if (n == 0) {
		return TALLY_OK;
	}
	all = realloc(cat->targets, (cat->n_targets + n) * sizeof(*all));
	if (all == NULL) {
		rv = tally_fail(eb, TALLY_ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	memcpy(all + cat->n_targets, add, n * sizeof(*add));
	cat->targets = all;
	cat->n_targets += n;
	/* The sources now belong to the catalogue; only the array goes. */
	free(add);
	return TALLY_OK;
fail:
	for (size_t i = 0; i < n; i++) {
		free(add[i].source);
	}
	free(add);
	return rv;
}

int64_t
tally_target_due_ms(const struct tally_period *p, int days)
{
	/* The period's last day ends when the first day of the next month
	 * begins, at 00:00 in China Standard Time. */
	int     next = tally_period_last_month(p) + 1;
	int64_t end = tally_clock_days_from_civil(next / 12, next % 12 + 1, 1);

	return end * TALLY_CLOCK_MS_PER_DAY - TALLY_CLOCK_CST_OFFSET_MS +
	    (int64_t) days * TALLY_CLOCK_MS_PER_DAY;
}

void
tally_due_init(struct tally_due *due)
{
	due->default_days = TALLY_DUE_DAYS_DEFAULT;
	due->days         = NULL;
}

int
tally_due_set(struct tally_due *due, const struct tally_catalog *cat,
    const struct tally_indicator *ind, int days)
{
	size_t idx = indicator_index(cat, ind);

	if (due == NULL || idx == TALLY_NO_INDEX || days < 0 ||
	    days > DUE_DAYS_MAX) {
		return TALLY_EINVAL;
	}
	if (due->days == NULL) {
		due->days = malloc(cat->n_indicators * sizeof(*due->days));
		if (due->days == NULL) {
			return TALLY_ENOMEM;
		}
		for (size_t i = 0; i < cat->n_indicators; i++) {
			due->days[i] = -1;
		}
	}
	due->days[idx] = days;
	return TALLY_OK;
}

int
tally_due_days(const struct tally_due *due, const struct tally_catalog *cat,
    const struct tally_indicator *ind)
{
	size_t idx = indicator_index(cat, ind);

	if (due == NULL) {
		return TALLY_DUE_DAYS_DEFAULT;
	}
	if (due->days != NULL && idx != TALLY_NO_INDEX &&
	    due->days[idx] >= 0) {
		return due->days[idx];
	}
	return due->default_days;
}

void
tally_due_fini(struct tally_due *due)
{
	if (due == NULL) {
		return;
	}
	free(due->days);
	due->days = NULL;
}

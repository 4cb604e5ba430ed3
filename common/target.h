/*
 * Targets and due dates (docs/rollup.md, "Targets" and "Completeness"). A
 * target from targets.csv is evaluated against the figures a hub holds: the
 * region's own state for `total`, every direct child's state for
 * `each_child`, and the region's state for the target period beside the
 * baseline period's for `change_pct`. The result is `met`, `missed` or
 * `incomplete`, with the compared value and the gap to the target in the
 * indicator's unit, signed so that a positive gap is always on the good
 * side of the target (above it when higher is better, below it when lower
 * is better).
 *
 * Due dates say when a period's figures should be in: by default 15 days
 * after the period ends, counted in China Standard Time (UTC+8), where the
 * programmes' offices keep their calendars.
 */
#ifndef TALLY_TARGET_H
#define TALLY_TARGET_H

#include "catalog.h"
#include "errors.h"
#include "period.h"
#include "rollup.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tally_target_status {
	TALLY_TARGET_MET,
	TALLY_TARGET_MISSED,
	TALLY_TARGET_INCOMPLETE,
};

/* A direct child of the target's region, for `each_child`. state is NULL
 * when the child has not reported; expected is the number of leaf regions
 * at or below the child (1 for a county). */
struct tally_target_child {
	const char               *code;
	const struct tally_state *state;
	size_t                    expected;
};

/* What the evaluator is given. Each state is NULL where there is none. */
struct tally_target_input {
	/* The region's state for the target's period, and the number of
	 * leaf regions expected under the region. */
	const struct tally_state *state;
	size_t                    expected;
	/* change_pct: the region's state for the baseline period. */
	const struct tally_state *baseline;
	/* each_child: every direct child of the region in the tree. */
	const struct tally_target_child *children;
	size_t                           n_children;
};

#define TALLY_TARGET_REASON_MAX 160

struct tally_target_result {
	int status; /* enum tally_target_status */
	/* The figure compared with the target: the region's value (total),
	 * the change from the baseline in percent (change_pct), or the worst
	 * reported child's value (each_child). Shown even when incomplete,
	 * as the provisional value. */
	bool   has_value;
	double value;
	/* The baseline period's value (change_pct only). */
	bool   has_baseline_value;
	double baseline_value;
	/* value - target when higher is better, target - value when lower is
	 * better: positive on the good side. Unset without a value. */
	bool   has_gap;
	double gap;
	/* each_child: how many children have not reported fully, how many
	 * reported and fail the target, and the worst reported child. */
	size_t children_missing;
	size_t children_failing;
	char   worst_child[TALLY_REGION_STRLEN];
	/* Why the status is incomplete or missed, in one line; "" when met. */
	char reason[TALLY_TARGET_REASON_MAX];
};

/* Evaluates t (whose indicator is ind) on in. A state counts as complete
 * when its leaves reach the expected count. TALLY_EINVAL when the input
 * does not fit the target's scope (no children for each_child). */
int tally_target_evaluate(const struct tally_target *t,
    const struct tally_indicator *ind, const struct tally_target_input *in,
    struct tally_target_result *out);

/* "met", "missed", "incomplete". */
const char *tally_target_status_name(int status);

/* ">=", ">", "<=", "<". */
const char *tally_op_name(int op);

/* "total", "each_child", "change_pct". */
const char *tally_scope_name(int scope);

/* True when `value op target` holds. */
bool tally_op_holds(int op, double value, double target);

/* The targets set for (region, ind, period), in file order: the first
 * max of them are written to out (pointers into the catalogue; out may be
 * NULL when max is 0). Returns how many there are in all (0: none). */
size_t tally_targets_for(const struct tally_catalog *cat, const char *region,
    const struct tally_indicator *ind, const struct tally_period *period,
    const struct tally_target **out, size_t max);

/* Loads a deployment's own targets file (the columns of targets.csv) and
 * adds its rows to cat's targets, all or none: on a malformed file, eb
 * holds `file:line: field NAME: message` and cat is unchanged
 * (TALLY_ECONFIG). Call it before the catalogue is shared. */
int tally_target_add_file(
    struct tally_catalog *cat, const char *path, struct tally_errbuf *eb);

/* The default number of days after a period's end that its figures are
 * due. */
#define TALLY_DUE_DAYS_DEFAULT 15

/* When the figures for period are due: the end of the period's last day
 * in China Standard Time (UTC+8), plus days, as Unix milliseconds. */
int64_t tally_target_due_ms(const struct tally_period *p, int days);

/* Due-date settings: a default for every indicator and, optionally, an
 * indicator's own. */
struct tally_due {
	int  default_days;
	int *days; /* per indicator index; -1: the default. NULL: none */
};

/* Initialises due with the default of TALLY_DUE_DAYS_DEFAULT and no
 * indicator's own setting. */
void tally_due_init(struct tally_due *due);

/* Sets ind's own number of days (0..3660), allocating the table on first
 * use. TALLY_EINVAL when days is out of range. */
int tally_due_set(struct tally_due *due, const struct tally_catalog *cat,
    const struct tally_indicator *ind, int days);

/* The number of days that applies to ind. */
int tally_due_days(const struct tally_due *due,
    const struct tally_catalog *cat, const struct tally_indicator *ind);

void tally_due_fini(struct tally_due *due);

#endif

/*
 * Incremental snapshots (snapshot.h): the double-double sums, the rules
 * for when a departing state forces a recomputation, and the map of what
 * a store knows of each (indicator, period).
 *
 * Compiled without -ffast-math (the project never uses it): the two-sum
 * below relies on IEEE-754 rounding of every operation as written.
 */
#include "snapshot.h"

#include "errors.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- */
/* The accumulator */

/* hi + lo += x, exactly up to the double-double's 106 bits: Knuth's
 * two-sum, then a renormalization (Dekker's fast two-sum). */
static void
dd_add(double *hi, double *lo, double x)
{
	double s  = *hi + x;
	double bb = s - *hi;
	double e  = (*hi - (s - bb)) + (x - bb);
	double t;

	e += *lo;
	t   = s + e;
	*lo = e - (t - s);
	*hi = t;
}

static void
note_mag(struct tally_snapacc *acc, double x)
{
	if (fabs(x) > acc->mag) {
		acc->mag = fabs(x);
	}
}

void
tally_snapacc_start(
    struct tally_snapacc *acc, const struct tally_state *current)
{
	memset(acc, 0, sizeof(*acc));
	acc->state = *current;
	acc->a_hi  = current->sum_a;
	acc->b_hi  = current->sum_b;
	note_mag(acc, current->sum_a);
	note_mag(acc, current->sum_b);
}

/* Whether n's lowest value comes before o's in tally_state_merge's order
 * (ties to the lower region code), or is the same. */
static bool
min_holds(const struct tally_state *n, const struct tally_state *o)
{
	return n != NULL && n->has_minmax &&
	    (n->min_value < o->min_value ||
	        (n->min_value == o->min_value &&
	            strcmp(n->min_region, o->min_region) <= 0));
}

static bool
max_holds(const struct tally_state *n, const struct tally_state *o)
{
	return n != NULL && n->has_minmax &&
	    (n->max_value > o->max_value ||
	        (n->max_value == o->max_value &&
	            strcmp(n->max_region, o->max_region) <= 0));
}

/* Whether taking old away and new_state in leaves the extremes and the
 * newest period to a merge, or only every child's state can tell them. */
static bool
needs_all(const struct tally_state *t, const struct tally_state *old,
    const struct tally_state *new_state)
{
	if (old != NULL && old->has_minmax) {
		if (!t->has_minmax) {
			return true;
		}
		if (old->min_value == t->min_value &&
		    strcmp(old->min_region, t->min_region) == 0 &&
		    !min_holds(new_state, old)) {
			return true;
		}
		if (old->max_value == t->max_value &&
		    strcmp(old->max_region, t->max_region) == 0 &&
		    !max_holds(new_state, old)) {
			return true;
		}
	}
	if (old != NULL && old->has_newest) {
		if (!t->has_newest) {
			return true;
		}
		/* The newest period may be this state's: unless the new one
		 * has the very same, another child's may be next. */
		if (tally_period_last_month(&old->newest) >=
		        tally_period_last_month(&t->newest) &&
		    !(new_state->has_newest &&
		        tally_period_equal(
		            &new_state->newest, &old->newest))) {
			return true;
		}
	}
	/* A tie of last months between different periods: the merge keeps
	 * whichever came first in region order, which only all can tell. */
	if (new_state->has_newest && t->has_newest &&
	    tally_period_last_month(&new_state->newest) ==
	        tally_period_last_month(&t->newest) &&
	    !tally_period_equal(&new_state->newest, &t->newest)) {
		return true;
	}
	return old != NULL && old->leaves > t->leaves;
}

void
tally_snapacc_replace(struct tally_snapacc *acc, const struct tally_state *old,
    const struct tally_state *new_state)
{
	struct tally_state extremes;

	if (acc->full) {
		return;
	}
	if (needs_all(&acc->state, old, new_state)) {
		acc->full = true;
		return;
	}
	if (old != NULL) {
		acc->state.leaves -= old->leaves;
		dd_add(&acc->a_hi, &acc->a_lo, -old->sum_a);
		dd_add(&acc->b_hi, &acc->b_lo, -old->sum_b);
		note_mag(acc, old->sum_a);
		note_mag(acc, old->sum_b);
		acc->terms++;
	}
	dd_add(&acc->a_hi, &acc->a_lo, new_state->sum_a);
	dd_add(&acc->b_hi, &acc->b_lo, new_state->sum_b);
	note_mag(acc, new_state->sum_a);
	note_mag(acc, new_state->sum_b);
	note_mag(acc, acc->a_hi);
	note_mag(acc, acc->b_hi);
	acc->terms++;
	/* The extremes and the newest period merge as in any rollup; the
	 * sums and leaves are kept above. */
	extremes        = *new_state;
	extremes.sum_a  = 0;
	extremes.sum_b  = 0;
	extremes.leaves = 0;
	tally_state_merge(&acc->state, &extremes);
	acc->state.leaves += new_state->leaves;
}

void
tally_snapacc_finish(const struct tally_snapacc *acc, struct tally_state *out,
    double *err_a, double *err_b)
{
	/* What the double-double itself may have lost: 2^-100 of the
	 * largest magnitude per term, far above its 2^-104. */
	double dd = acc->mag * (double) (acc->terms + 1) *
	    (1.0 / 1267650600228229401496703205376.0);

	*out       = acc->state;
	out->sum_a = acc->a_hi + acc->a_lo;
	out->sum_b = acc->b_hi + acc->b_lo;
	*err_a     = fabs((acc->a_hi - out->sum_a) + acc->a_lo) + dd;
	*err_b     = fabs((acc->b_hi - out->sum_b) + acc->b_lo) + dd;
}

void
tally_snapshot_merge_err(
    const struct tally_state *total, double *err_a, double *err_b)
{
	/* Half an ulp of the result, bounded by 2^-53 of its magnitude. */
	*err_a += fabs(total->sum_a) * (1.0 / 9007199254740992.0);
	*err_b += fabs(total->sum_b) * (1.0 / 9007199254740992.0);
}

bool
tally_snapshot_within(const struct tally_state *s, double err_a, double err_b)
{
	return err_a <= fabs(s->sum_a) * TALLY_SNAPSHOT_REL_BOUND &&
	    err_b <= fabs(s->sum_b) * TALLY_SNAPSHOT_REL_BOUND;
}

/* ---------------------------------------------------------------- */
/* The map */

struct tally_snapmap {
	struct tally_snapentry *entries;
	size_t                  n, cap;
	/* Open addressing: slot holds an entry's index + 1, 0 when free. */
	size_t *slots;
	size_t  nslots;
	size_t *txn;
	size_t  ntxn, captxn;
};

int
tally_snapmap_new(struct tally_snapmap **out)
{
	struct tally_snapmap *m = calloc(1, sizeof(*m));

	if (m == NULL) {
		return TALLY_ENOMEM;
	}
	*out = m;
	return TALLY_OK;
}

void
tally_snapmap_free(struct tally_snapmap *m)
{
	if (m == NULL) {
		return;
	}
	free(m->entries);
	free(m->slots);
	free(m->txn);
	free(m);
}

static size_t
hash_key(const struct tally_indicator *ind, const struct tally_period *p)
{
	uint64_t h = (uint64_t) (uintptr_t) ind;

	h ^= ((uint64_t) (uint32_t) p->year << 16) ^
	    ((uint64_t) (uint32_t) p->kind << 8) ^
	    (uint64_t) (uint32_t) p->index;
	h *= 0x9E3779B97F4A7C15ull;
	return (size_t) (h >> 17);
}

static bool
same_key(const struct tally_snapentry *e, const struct tally_indicator *ind,
    const struct tally_period *p)
{
	return e->ind == ind && e->period.year == p->year &&
	    e->period.kind == p->kind && e->period.index == p->index;
}

static int
grow_slots(struct tally_snapmap *m)
{
	size_t  n     = m->nslots == 0 ? 256 : m->nslots * 2;
	size_t *slots = calloc(n, sizeof(*slots));

	if (slots == NULL) {
		return TALLY_ENOMEM;
	}
	for (size_t i = 0; i < m->n; i++) {
		size_t h = hash_key(m->entries[i].ind, &m->entries[i].period);

		while (slots[h & (n - 1)] != 0) {
			h++;
		}
		slots[h & (n - 1)] = i + 1;
	}
	free(m->slots);
	m->slots  = slots;
	m->nslots = n;
	return TALLY_OK;
}

int
tally_snapmap_find(struct tally_snapmap *m, const struct tally_indicator *ind,
    const struct tally_period *period, size_t *idx)
{
	size_t h;

	if ((m->n + 1) * 2 > m->nslots && grow_slots(m) != TALLY_OK) {
		return TALLY_ENOMEM;
	}
	for (h = hash_key(ind, period);; h++) {
		size_t slot = m->slots[h & (m->nslots - 1)];

		if (slot == 0) {
			break;
		}
		if (same_key(&m->entries[slot - 1], ind, period)) {
			*idx = slot - 1;
			return TALLY_OK;
		}
	}
	if (m->n == m->cap) {
		size_t                  cap = m->cap == 0 ? 128 : m->cap * 2;
		struct tally_snapentry *e =
		    realloc(m->entries, cap * sizeof(*e));

		if (e == NULL) {
			return TALLY_ENOMEM;
		}
		m->entries = e;
		m->cap     = cap;
	}
	memset(&m->entries[m->n], 0, sizeof(m->entries[m->n]));
	m->entries[m->n].ind          = ind;
	m->entries[m->n].period       = *period;
	m->slots[h & (m->nslots - 1)] = m->n + 1;
	*idx                          = m->n++;
	return TALLY_OK;
}

int
tally_snapmap_touch(struct tally_snapmap *m, const struct tally_indicator *ind,
    const struct tally_period *period, size_t *idx)
{
	size_t i;
	int    rv = tally_snapmap_find(m, ind, period, &i);

	if (rv != TALLY_OK) {
		return rv;
	}
	if (!m->entries[i].in_txn) {
		if (m->ntxn == m->captxn) {
			size_t  cap = m->captxn == 0 ? 128 : m->captxn * 2;
			size_t *t   = realloc(m->txn, cap * sizeof(*t));

			if (t == NULL) {
				return TALLY_ENOMEM;
			}
			m->txn    = t;
			m->captxn = cap;
		}
		m->txn[m->ntxn++]     = i;
		m->entries[i].in_txn  = true;
		m->entries[i].started = false;
	}
	*idx = i;
	return TALLY_OK;
}

struct tally_snapentry *
tally_snapmap_at(struct tally_snapmap *m, size_t idx)
{
	return &m->entries[idx];
}

/* qsort has no context argument: the entries being sorted, for the one
 * thread that sorts (a store is used by one thread at a time). */
static _Thread_local const struct tally_snapentry *sort_entries;

static int
compare_txn(const void *a, const void *b)
{
	const struct tally_snapentry *x = &sort_entries[*(const size_t *) a];
	const struct tally_snapentry *y = &sort_entries[*(const size_t *) b];

	if (x->ind != y->ind) {
		return x->ind < y->ind ? -1 : 1;
	}
	if (x->period.year != y->period.year) {
		return x->period.year < y->period.year ? -1 : 1;
	}
	if (x->period.kind != y->period.kind) {
		return x->period.kind < y->period.kind ? -1 : 1;
	}
	if (x->period.index != y->period.index) {
		return x->period.index < y->period.index ? -1 : 1;
	}
	return 0;
}

void
tally_snapmap_txn_sort(struct tally_snapmap *m)
{
	if (m->ntxn < 2) {
		return;
	}
	sort_entries = m->entries;
	qsort(m->txn, m->ntxn, sizeof(*m->txn), compare_txn);
	sort_entries = NULL;
}

size_t
tally_snapmap_txn_count(const struct tally_snapmap *m)
{
	return m->ntxn;
}

size_t
tally_snapmap_txn_index(const struct tally_snapmap *m, size_t i)
{
	return m->txn[i];
}

void
tally_snapmap_txn_end(struct tally_snapmap *m)
{
	if (m == NULL) {
		return;
	}
	for (size_t i = 0; i < m->ntxn; i++) {
		m->entries[m->txn[i]].in_txn  = false;
		m->entries[m->txn[i]].started = false;
	}
	m->ntxn = 0;
}

void
tally_snapmap_forget(struct tally_snapmap *m)
{
	if (m == NULL) {
		return;
	}
	tally_snapmap_txn_end(m);
	for (size_t i = 0; i < m->n; i++) {
		m->entries[i].known_version = 0;
		m->entries[i].err_a         = 0;
		m->entries[i].err_b         = 0;
	}
}

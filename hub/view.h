/*
 * What a report reads: the hub's database and its settings (a view), and
 * every state the hub holds for one (indicator, period) read through it.
 * A view reads either the store's current tables or, with an as-of time,
 * its history (store.h): only the functions here choose the source, so a
 * report as of a time can never be computed differently from a report of
 * now. report.c builds every document on these.
 */
#ifndef HUB_VIEW_H
#define HUB_VIEW_H

#include "catalog.h"
#include "rollup.h"
#include "store.h"
#include "target.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a report reads from: the hub's database and its settings. */
struct hub_view {
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
struct hub_view_held {
	const struct tally_indicator *ind;
	struct tally_period           period;
	bool                          has_own;
	struct tally_state            own;
	uint64_t                      own_version;
	struct tally_region_state    *rs; /* sorted by region code */
	size_t                        n;
};

/* Sets v up to read st for cat's regions, judging late and overdue with
 * due (NULL: the default for every indicator) at now_ms (0: the clock).
 * hub_view_fini releases it. */
void hub_view_init(struct hub_view *v, const struct tally_catalog *cat,
    struct tally_store *st, const struct tally_due *due, int64_t now_ms);

/* Reads the figures as they stood at as_of_ms (0: now), and judges what is
 * late or overdue at that time. */
void hub_view_as_of(struct hub_view *v, int64_t as_of_ms);

void hub_view_fini(struct hub_view *v);

/* The hub's own observations of (ind, p); the caller frees *out. */
int hub_view_observations(const struct hub_view *v,
    const struct tally_indicator *ind, const struct tally_period *p,
    struct tally_obs **out, size_t *n);

/* Sets "as_of" on a document read from the history. */
void hub_view_as_of_json(const struct hub_view *v, json_t *root);

/* The region a report is of: region, or the hub's when region is NULL;
 * NULL when the hub does not hold region. */
const struct tally_division *hub_view_top(
    const struct hub_view *v, const char *region);

/* Loads every state held for (ind, p) into h; hub_view_held_fini frees
 * it. */
int hub_view_load(const struct hub_view *v, const struct tally_indicator *ind,
    const struct tally_period *p, struct hub_view_held *h);

void hub_view_held_fini(struct hub_view_held *h);

/* The held state of a region below the hub, or NULL. */
const struct tally_region_state *hub_view_find(
    const struct hub_view_held *h, const char *code);

/* The state of code (the hub's own snapshot or a region's below), or
 * NULL; *version (may be NULL) is set when it is not NULL. */
const struct tally_state *hub_view_state(const struct hub_view *v,
    const struct hub_view_held *h, const char *code, uint64_t *version);

#endif

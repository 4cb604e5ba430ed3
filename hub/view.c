/*
 * The view declared in view.h: where a report's figures come from, the
 * store's current tables or its history as of a time.
 */
#include "view.h"

#include "asof.h"
#include "clock.h"
#include "errors.h"

#include <stdlib.h>
#include <string.h>

void
hub_view_init(struct hub_view *v, const struct tally_catalog *cat,
    struct tally_store *st, const struct tally_due *due, int64_t now_ms)
{
	memset(v, 0, sizeof(*v));
	v->cat = cat;
	v->st  = st;
	v->hub = tally_catalog_division(cat, tally_store_region(st));
	tally_due_init(&v->default_due);
	v->due    = due != NULL ? due : &v->default_due;
	v->now_ms = now_ms > 0 ? now_ms : tally_clock_now_ms();
}

/* Reads a report's figures as they stood at as_of_ms (0: now), and judges
 * what is late or overdue at that time. */
void
hub_view_as_of(struct hub_view *v, int64_t as_of_ms)
{
	if (as_of_ms > 0) {
		v->as_of_ms = as_of_ms;
		v->now_ms   = as_of_ms;
	}
}

/* The report's data source: the current tables, or the history. */
static int
view_snapshot(const struct hub_view *v, const struct tally_indicator *ind,
    const struct tally_period *p, struct tally_state *state, uint64_t *version)
{
	if (v->as_of_ms > 0) {
		return tally_store_snapshot_asof(
		    v->st, ind, p, v->as_of_ms, state, version);
	}
	return tally_store_snapshot(v->st, ind, p, state, version);
}

static int
view_held_states(const struct hub_view *v, const struct tally_indicator *ind,
    const struct tally_period *p, struct tally_region_state **out, size_t *n)
{
	if (v->as_of_ms > 0) {
		return tally_store_held_states_asof(
		    v->st, ind, p, v->as_of_ms, out, n);
	}
	return tally_store_held_states(v->st, ind, p, out, n);
}

int
hub_view_observations(const struct hub_view *v,
    const struct tally_indicator *ind, const struct tally_period *p,
    struct tally_obs **out, size_t *n)
{
	if (v->as_of_ms > 0) {
		return tally_store_observations_asof(
		    v->st, ind, p, v->as_of_ms, out, n);
	}
	return tally_store_observations(v->st, ind, p, out, n);
}

/* Sets "as_of" on a document read from the history. */
void
hub_view_as_of_json(const struct hub_view *v, json_t *root)
{
	char text[TALLY_ASOF_STRLEN];

	if (v->as_of_ms > 0) {
		tally_asof_format(v->as_of_ms, text, sizeof(text));
		json_object_set_new(root, "as_of", json_string(text));
	}
}

void
hub_view_fini(struct hub_view *v)
{
	tally_due_fini(&v->default_due);
}

int
hub_view_load(const struct hub_view *v, const struct tally_indicator *ind,
    const struct tally_period *p, struct hub_view_held *h)
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

void
hub_view_held_fini(struct hub_view_held *h)
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
const struct tally_region_state *
hub_view_find(const struct hub_view_held *h, const char *code)
{
	if (h->n == 0) {
		return NULL;
	}
	return bsearch(code, h->rs, h->n, sizeof(*h->rs), compare_region);
}

/* The state of code (the hub's own snapshot or a region's below), or
 * NULL; *version is set when it is not NULL. */
const struct tally_state *
hub_view_state(const struct hub_view *v, const struct hub_view_held *h,
    const char *code, uint64_t *version)
{
	const struct tally_region_state *r;

	if (strcmp(code, v->hub->code) == 0) {
		if (h->has_own && version != NULL) {
			*version = h->own_version;
		}
		return h->has_own ? &h->own : NULL;
	}
	r = hub_view_find(h, code);
	if (r != NULL && version != NULL) {
		*version = r->version;
	}
	return r != NULL ? &r->state : NULL;
}

/* True when code is the hub's region or lies below it, for some period
 * when the region changes parent. */
static bool
view_holds(const struct hub_view *v, const char *code)
{
	return strcmp(code, v->hub->code) == 0 ||
	    tally_catalog_is_below_ever(v->cat, v->hub->code, code);
}

const struct tally_division *
hub_view_top(const struct hub_view *v, const char *region)
{
	if (region == NULL) {
		return v->hub;
	}
	if (!view_holds(v, region)) {
		return NULL;
	}
	return tally_catalog_division(v->cat, region);
}

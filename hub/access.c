/*
 * The scope rules of access.h.
 *
 * What a scoped document loses (docs/accounts.md gives the reasons):
 * - the hub's own code ("hub") becomes the scope's, and the "parent" of
 *   the scope's own entry is left empty;
 * - a benchmark (the target of an ancestor, for a region with none of its
 *   own) keeps its target value, which the office is judged against and
 *   is handed it in the programme's plan, but the ancestor is named only
 *   as "上级" (above), with no code: its figure never appears;
 * - the refusals of regions outside the scope are dropped;
 * - /api/meta lists only the scope's regions, at depths counted from it.
 */
#include "access.h"

#include "errors.h"
#include "log.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

/* How the benchmark's ancestor is named to a scoped user. */
#define ACCESS_ABOVE_NAME "上级"

bool
hub_access_in_scope(
    const struct tally_catalog *cat, const char *scope, const char *code)
{
	if (scope == NULL || code == NULL) {
		return false;
	}
	return strcmp(scope, code) == 0 ||
	    tally_catalog_is_below(cat, scope, code);
}

bool
hub_access_may(const struct tally_catalog *cat, const char *scope, int role,
    enum hub_action action, const char *region)
{
	const struct tally_division *d;

	if (!hub_access_in_scope(cat, scope, region)) {
		return false;
	}
	switch (action) {
	case HUB_ACTION_READ:
		return true;
	case HUB_ACTION_EXPORT:
	case HUB_ACTION_UPLOAD:
		return role >= TALLY_ROLE_OPERATOR;
	case HUB_ACTION_APPROVE:
		d = tally_catalog_division(cat, region);
		return role == TALLY_ROLE_APPROVER && d != NULL &&
		    strcmp(d->parent_code, scope) == 0;
	}
	return false;
}

bool
hub_access_group(
    const struct tally_catalog *cat, const char *scope, const char *members)
{
	char        code[TALLY_REGION_STRLEN];
	const char *p = members;

	if (members == NULL || members[0] == '\0') {
		return false;
	}
	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		if (n != TALLY_REGION_STRLEN - 1) {
			return false;
		}
		memcpy(code, p, n);
		code[n] = '\0';
		if (!hub_access_in_scope(cat, scope, code)) {
			return false;
		}
		p += n;
		p += *p == ',';
	}
	return true;
}

struct access_name {
	const char *name;
	size_t      div; /* index into the catalogue's divisions */
};

struct hub_access_names {
	const struct tally_catalog *cat;
	struct access_name         *by_name; /* sorted by name */
	size_t                      n;
};

static int
by_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct access_name *) a)->name,
	    ((const struct access_name *) b)->name);
}

int
hub_access_names_new(
    const struct tally_catalog *cat, struct hub_access_names **out)
{
	struct hub_access_names *nm = calloc(1, sizeof(*nm));

	if (nm == NULL) {
		return TALLY_ENOMEM;
	}
	nm->by_name = calloc(cat->n_divisions + 1, sizeof(*nm->by_name));
	if (nm->by_name == NULL) {
		free(nm);
		return TALLY_ENOMEM;
	}
	nm->cat = cat;
	nm->n   = cat->n_divisions;
	for (size_t i = 0; i < nm->n; i++) {
		const char *name = cat->divisions[i].name;

		nm->by_name[i].name = name != NULL ? name : "";
		nm->by_name[i].div  = i;
	}
	qsort(nm->by_name, nm->n, sizeof(*nm->by_name), by_name_cmp);
	*out = nm;
	return TALLY_OK;
}

void
hub_access_names_free(struct hub_access_names *names)
{
	if (names == NULL) {
		return;
	}
	free(names->by_name);
	free(names);
}

static const char *
name_at(const struct hub_access_names *nm, size_t k)
{
	return nm->by_name[k].name;
}

/* True when s names a region outside scope: its code, or a name that no
 * region in the scope also bears (two counties of different cities may
 * share a name). */
static bool
names_outside(const struct tally_catalog *cat,
    const struct hub_access_names *nm, const char *scope, const char *s)
{
	const struct tally_division *d;
	size_t                       lo = 0, hi = nm->n;
	bool                         outside = false;

	if (tally_region_code_valid(s)) {
		d = tally_catalog_division(cat, s);
		return d != NULL && !hub_access_in_scope(cat, scope, s);
	}
	/* The first index whose name is not below s. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(name_at(nm, mid), s) < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	for (; lo < nm->n && strcmp(name_at(nm, lo), s) == 0; lo++) {
		d = &cat->divisions[nm->by_name[lo].div];
		if (hub_access_in_scope(cat, scope, d->code)) {
			return false;
		}
		outside = true;
	}
	return outside;
}

/* The first string of v naming a region outside scope, or NULL. */
static const char *
find_leak(const struct tally_catalog *cat, const struct hub_access_names *nm,
    const char *scope, json_t *v)
{
	const char *key, *hit;
	json_t     *e;
	size_t      i;

	if (json_is_string(v)) {
		return names_outside(cat, nm, scope, json_string_value(v))
		    ? json_string_value(v)
		    : NULL;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			hit = find_leak(cat, nm, scope, e);
			if (hit != NULL) {
				return hit;
			}
		}
	}
	if (json_is_object(v)) {
		json_object_foreach(v, key, e)
		{
			hit = find_leak(cat, nm, scope, e);
			if (hit != NULL) {
				return hit;
			}
		}
	}
	return NULL;
}

/* Renames a benchmark's ancestor when it lies outside scope. */
static void
scrub_one(const struct tally_catalog *cat, const char *scope, json_t *b)
{
	const char *code = json_string_value(
	    json_object_get(json_object_get(b, "region"), "code"));

	if (json_is_object(b) &&
	    (code == NULL || !hub_access_in_scope(cat, scope, code))) {
		json_object_set_new(b, "region",
		    json_pack(
		        "{s:s,s:s}", "code", "", "name", ACCESS_ABOVE_NAME));
	}
}

/* An approval by a region above the scope (the province approving the
 * user's city) says who approved as "" : that it is official is the
 * user's to know, the approver's code is not. */
static void
scrub_approver(const struct tally_catalog *cat, const char *scope, json_t *a)
{
	const char *by = json_string_value(json_object_get(a, "by"));

	if (by != NULL && !hub_access_in_scope(cat, scope, by)) {
		json_object_set_new(a, "by", json_string(""));
	}
}

/* Renames the ancestor of every benchmark under v that lies outside
 * scope, and the approver of every approval (scrub_approver). */
static void
scrub_benchmarks(const struct tally_catalog *cat, const char *scope, json_t *v)
{
	const char *key;
	json_t     *e;
	size_t      i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			scrub_benchmarks(cat, scope, e);
		}
		return;
	}
	if (!json_is_object(v)) {
		return;
	}
	json_object_foreach(v, key, e)
	{
		if (strcmp(key, "approval") == 0) {
			scrub_approver(cat, scope, e);
			continue;
		}
		if (strcmp(key, "benchmark") != 0) {
			scrub_benchmarks(cat, scope, e);
			continue;
		}
		if (json_is_object(e)) {
			scrub_one(cat, scope, e);
			continue;
		}
		json_array_foreach(e, i, v)
		{
			scrub_one(cat, scope, v);
		}
	}
}

/* Keeps only the elements of the array at key that name nothing outside
 * the scope. */
static void
keep_inside(const struct tally_catalog *cat, const struct hub_access_names *nm,
    const char *scope, json_t *doc, const char *key)
{
	json_t *list = json_object_get(doc, key);
	size_t  i    = 0;

	while (json_is_array(list) && i < json_array_size(list)) {
		if (find_leak(cat, nm, scope, json_array_get(list, i)) !=
		    NULL) {
			json_array_remove(list, i);
		} else {
			i++;
		}
	}
	if (json_is_array(list) && json_array_size(list) == 0) {
		json_object_del(doc, key);
	}
}

/* The scope's own region entries: no parent above the scope. */
static void
scrub_regions(const struct tally_catalog *cat,
    const struct hub_access_names *nm, const char *scope, json_t *doc,
    bool meta)
{
	json_t *list  = json_object_get(doc, "regions");
	int     base  = -1;
	size_t  i     = 0;
	json_t *entry = NULL;

	json_array_foreach(list, i, entry)
	{
		const char *code =
		    json_string_value(json_object_get(entry, "code"));

		if (code != NULL && strcmp(code, scope) == 0) {
			json_object_set_new(entry, "parent", json_null());
			base = (int) json_integer_value(
			    json_object_get(entry, "depth"));
		}
	}
	if (!meta) {
		return;
	}
	keep_inside(cat, nm, scope, doc, "regions");
	list = json_object_get(doc, "regions");
	json_array_foreach(list, i, entry)
	{
		json_t *d = json_object_get(entry, "depth");

		if (json_is_integer(d) && base > 0) {
			json_integer_set(d, json_integer_value(d) - base);
		}
	}
	if (list == NULL) {
		json_object_set_new(doc, "regions", json_array());
	}
}

int
hub_access_filter(const struct tally_catalog *cat,
    const struct hub_access_names *nm, const char *scope, json_t *doc)
{
	const struct tally_division *d = tally_catalog_division(cat, scope);
	const char                  *leak;

	if (d == NULL) {
		return TALLY_EDATA;
	}
	if (json_object_get(doc, "hub") != NULL) {
		json_object_set_new(doc, "hub", json_string(d->code));
	}
	if (json_object_get(doc, "level") != NULL &&
	    json_object_get(doc, "periods") != NULL) {
		/* /api/meta: the page's top is the scope. */
		json_object_set_new(doc, "name", json_string(d->name));
		json_object_set_new(
		    doc, "level", json_string(tally_level_name(d->level)));
		scrub_regions(cat, nm, scope, doc, true);
	} else {
		scrub_regions(cat, nm, scope, doc, false);
	}
	scrub_benchmarks(cat, scope, doc);
	keep_inside(cat, nm, scope, doc, "refused");
	/* A report lists every withdrawal of its period the hub holds: a
	 * county of another city taking a figure back must not make the
	 * whole answer one to withhold. */
	keep_inside(cat, nm, scope, doc, "withdrawn");
	leak = find_leak(cat, nm, scope, doc);
	if (leak != NULL) {
		TALLY_LOG(TALLY_LOG_ERROR,
		    "http: withheld an answer for scope %s: it names %s, "
		    "outside the scope",
		    scope, leak);
		return TALLY_EDATA;
	}
	return TALLY_OK;
}

int
hub_access_periods(struct tally_store *st, const char *scope, json_t *meta)
{
	struct tally_period *held = NULL;
	json_t              *all  = json_object_get(meta, "periods");
	json_t              *kept = json_array();
	json_t              *dflt = json_null();
	size_t               n    = 0, i;
	json_t              *p;
	int                  rv;

	if (kept == NULL) {
		return TALLY_ENOMEM;
	}
	rv = tally_store_read_begin(st);
	if (rv == TALLY_OK) {
		rv = tally_store_region_periods(st, scope, &held, &n);
		tally_store_read_end(st);
	}
	if (rv != TALLY_OK) {
		json_decref(kept);
		return rv;
	}
	json_array_foreach(all, i, p)
	{
		char text[TALLY_PERIOD_STRLEN];

		for (size_t k = 0; k < n; k++) {
			tally_period_format(&held[k], text);
			if (strcmp(text, json_string_value(p)) != 0) {
				continue;
			}
			json_array_append(kept, p);
			/* As the hub's: the newest year, else the newest. */
			if (held[k].kind == TALLY_PERIOD_YEAR ||
			    json_is_null(dflt) ||
			    json_string_length(dflt) != 4) {
				dflt = p;
			}
			break;
		}
	}
	json_object_set(meta, "default_period", dflt);
	json_object_set_new(meta, "periods", kept);
	free(held);
	return TALLY_OK;
}

/*
 * Loading and lookup of the reference data declared in catalog.h. Each file
 * is validated row by row; the first problem is reported as
 * `file:line: message` and nothing of a bad catalogue is kept.
 */
#include "catalog.h"

#include "csvfile.h"
#include "text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TALLY_INSTALL_DATA_DIR
#define TALLY_INSTALL_DATA_DIR "/usr/local/share/tally"
#endif
#ifndef TALLY_SOURCE_DATA_DIR
#define TALLY_SOURCE_DATA_DIR "configs"
#endif

static const char *const indicator_header[] = { "id", "name_zh", "name_en",
	"kind", "unit", "factor", "better", "time_agg", "note" };
static const char *const division_header[]  = { "code", "name", "level",
	 "parent_code" };
static const char *const change_header[]    = { "region", "parent_code",
	   "effective" };
static const char *const target_header[]    = { "region_code", "region_name",
	   "indicator_id", "period", "op", "value", "scope", "baseline_period",
	   "source" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Growable array helper: ensures room for one more element of size sz. */
static int
grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	void  *p;
	size_t ncap;

	if (n < *cap) {
		return TALLY_OK;
	}
	ncap = *cap == 0 ? 64 : *cap * 2;
	p    = realloc(*arr, ncap * sz);
	if (p == NULL) {
		return TALLY_ENOMEM;
	}
	*arr = p;
	*cap = ncap;
	return TALLY_OK;
}

static int
check_header(const char *path, char **fields, size_t n,
    const char *const *want, size_t nwant, struct tally_errbuf *eb)
{
	if (n != nwant) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:1: header has %zu columns, expected %zu", path, n,
		    nwant);
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(fields[i], want[i]) != 0) {
			return tally_fail(eb, TALLY_ECONFIG,
			    "%s:1: header column %zu is '%s', expected '%s'",
			    path, i + 1, fields[i], want[i]);
		}
	}
	return TALLY_OK;
}

static int
lookup_name(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s, names[i]) == 0) {
			return (int) i;
		}
	}
	return -1;
}

static const char *const kind_names[]  = { "ratio", "count", "weighted_mean" };
static const char *const agg_names[]   = { "sum", "last", "weighted_mean" };
static const char *const level_names[] = { "province", "city", "county" };
static const char *const op_names[]    = { ">=", ">", "<=", "<" };
static const char *const scope_names[] = { "total", "each_child",
	"change_pct" };

const char *
tally_kind_name(int kind)
{
	return kind >= 0 && (size_t) kind < NELEM(kind_names)
	    ? kind_names[kind]
	    : "?";
}

const char *
tally_level_name(int level)
{
	return level >= 0 && (size_t) level < NELEM(level_names)
	    ? level_names[level]
	    : "?";
}

struct load_ctx {
	struct tally_catalog *cat;
	const char           *path;
	size_t                cap;
};

static char *
dup_field(const char *s, int *rv)
{
	char *d = strdup(s);
	if (d == NULL) {
		*rv = TALLY_ENOMEM;
	}
	return d;
}

static int
indicator_row(
    void *arg, size_t line, char **f, size_t n, struct tally_errbuf *eb)
{
	struct load_ctx        *ctx = arg;
	struct tally_catalog   *cat = ctx->cat;
	struct tally_indicator *ind;
	int                     rv = TALLY_OK;
	int                     kind, agg;
	double                  factor;

	if (line == 1) {
		return check_header(ctx->path, f, n, indicator_header,
		    NELEM(indicator_header), eb);
	}
	if (n != NELEM(indicator_header)) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: %zu fields, expected %zu", ctx->path, line, n,
		    NELEM(indicator_header));
	}
	if (!tally_ident_valid(f[0])) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field id: '%s' is not a valid identifier",
		    ctx->path, line, f[0]);
	}
	if (tally_catalog_indicator(cat, f[0]) != NULL) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field id: duplicate indicator '%s'", ctx->path,
		    line, f[0]);
	}
	kind = lookup_name(f[3], kind_names, NELEM(kind_names));
	if (kind < 0) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field kind: '%s' is not ratio, count or "
		    "weighted_mean",
		    ctx->path, line, f[3]);
	}
	if (tally_parse_double(f[5], &factor) != TALLY_OK || factor <= 0) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field factor: '%s' is not a positive number",
		    ctx->path, line, f[5]);
	}
	if (strcmp(f[6], "higher") != 0 && strcmp(f[6], "lower") != 0) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field better: '%s' is not higher or lower",
		    ctx->path, line, f[6]);
	}
	agg = lookup_name(f[7], agg_names, NELEM(agg_names));
	if (agg < 0) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field time_agg: '%s' is not sum, last or "
		    "weighted_mean",
		    ctx->path, line, f[7]);
	}
	/* Averaging over time only makes sense for a weighted mean, and a
	 * weighted mean cannot simply be summed over time. */
	if ((agg == TALLY_TIME_WMEAN) != (kind == TALLY_KIND_WMEAN) &&
	    agg != TALLY_TIME_LAST) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field time_agg: '%s' does not fit kind '%s'",
		    ctx->path, line, f[7], f[3]);
	}
	if (grow((void **) &cat->indicators, &ctx->cap, cat->n_indicators,
	        sizeof(*cat->indicators)) != TALLY_OK) {
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	ind = &cat->indicators[cat->n_indicators];
	memset(ind, 0, sizeof(*ind));
	cat->n_indicators++;
	ind->id            = dup_field(f[0], &rv);
	ind->name_zh       = dup_field(f[1], &rv);
	ind->name_en       = dup_field(f[2], &rv);
	ind->unit          = dup_field(f[4], &rv);
	ind->note          = dup_field(f[8], &rv);
	ind->kind          = kind;
	ind->factor        = factor;
	ind->higher_better = strcmp(f[6], "higher") == 0;
	ind->time_agg      = agg;
	ind->percent = kind == TALLY_KIND_RATIO && strcmp(f[4], "%") == 0;
	if (rv != TALLY_OK) {
		return tally_fail(eb, rv, "out of memory");
	}
	return TALLY_OK;
}

static int
division_row(
    void *arg, size_t line, char **f, size_t n, struct tally_errbuf *eb)
{
	struct load_ctx       *ctx = arg;
	struct tally_catalog  *cat = ctx->cat;
	struct tally_division *d;
	int                    level;
	int                    rv = TALLY_OK;

	if (line == 1) {
		return check_header(ctx->path, f, n, division_header,
		    NELEM(division_header), eb);
	}
	if (n != NELEM(division_header)) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: %zu fields, expected %zu", ctx->path, line, n,
		    NELEM(division_header));
	}
	if (!tally_region_code_valid(f[0])) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field code: '%s' is not a 6-digit code",
		    ctx->path, line, f[0]);
	}
	level = lookup_name(f[2], level_names, NELEM(level_names));
	if (level < 0) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field level: '%s' is not province, city or "
		    "county",
		    ctx->path, line, f[2]);
	}
	if (level == TALLY_LEVEL_PROVINCE ? f[3][0] != '\0'
	                                  : !tally_region_code_valid(f[3])) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field parent_code: '%s' is not valid for a %s",
		    ctx->path, line, f[3], f[2]);
	}
	if (f[1][0] == '\0') {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field name: empty", ctx->path, line);
	}
	/* The file is sorted by code; insisting on it makes duplicates
	 * visible at once and lets lookups use binary search. */
	if (cat->n_divisions > 0 &&
	    strcmp(cat->divisions[cat->n_divisions - 1].code, f[0]) >= 0) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field code: '%s' is duplicate or out of order",
		    ctx->path, line, f[0]);
	}
	if (grow((void **) &cat->divisions, &ctx->cap, cat->n_divisions,
	        sizeof(*cat->divisions)) != TALLY_OK) {
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	d = &cat->divisions[cat->n_divisions];
	memset(d, 0, sizeof(*d));
	cat->n_divisions++;
	memcpy(d->code, f[0], TALLY_REGION_STRLEN);
	snprintf(d->parent_code, sizeof(d->parent_code), "%s", f[3]);
	d->name         = dup_field(f[1], &rv);
	d->level        = level;
	d->parent       = TALLY_NO_INDEX;
	d->first_child  = TALLY_NO_INDEX;
	d->next_sibling = TALLY_NO_INDEX;
	/* The line is kept in `leaves` until the tree is linked, so that a
	 * missing parent can be reported with the child's line. */
	d->leaves = line;
	if (rv != TALLY_OK) {
		return tally_fail(eb, rv, "out of memory");
	}
	return TALLY_OK;
}

static size_t
division_index(const struct tally_catalog *cat, const char *code)
{
	size_t lo = 0, hi = cat->n_divisions;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int    c   = strcmp(cat->divisions[mid].code, code);
		if (c == 0) {
			return mid;
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return TALLY_NO_INDEX;
}

static int
link_divisions(
    struct tally_catalog *cat, const char *path, struct tally_errbuf *eb)
{
	/* Children are linked in reverse so that each sibling list comes out
	 * in code order. */
	for (size_t k = cat->n_divisions; k-- > 0;) {
		struct tally_division *d = &cat->divisions[k];
		struct tally_division *p;
		size_t                 pi;

		if (d->level == TALLY_LEVEL_PROVINCE) {
			continue;
		}
		pi = division_index(cat, d->parent_code);
		if (pi == TALLY_NO_INDEX) {
			return tally_fail(eb, TALLY_ECONFIG,
			    "%s:%zu: field parent_code: unknown region '%s'",
			    path, d->leaves, d->parent_code);
		}
		p = &cat->divisions[pi];
		if (p->level != d->level - 1 ||
		    strncmp(p->code, d->code, 2) != 0) {
			return tally_fail(eb, TALLY_ECONFIG,
			    "%s:%zu: field parent_code: '%s' is not a %s of "
			    "the same province",
			    path, d->leaves, d->parent_code,
			    level_names[d->level - 1]);
		}
		d->parent       = pi;
		d->next_sibling = p->first_child;
		p->first_child  = k;
	}
	/* Count leaves bottom-up: counties first, then cities, provinces. */
	for (int level = TALLY_LEVEL_COUNTY; level >= TALLY_LEVEL_PROVINCE;
	     level--) {
		for (size_t k = 0; k < cat->n_divisions; k++) {
			struct tally_division *d = &cat->divisions[k];
			if (d->level != level) {
				continue;
			}
			if (d->first_child == TALLY_NO_INDEX) {
				d->leaves = 1;
				continue;
			}
			d->leaves = 0;
			for (size_t c = d->first_child; c != TALLY_NO_INDEX;
			     c        = cat->divisions[c].next_sibling) {
				d->leaves += cat->divisions[c].leaves;
			}
		}
	}
	return TALLY_OK;
}

static size_t
indicator_index(const struct tally_catalog *cat, const char *id)
{
	for (size_t i = 0; i < cat->n_indicators; i++) {
		if (strcmp(cat->indicators[i].id, id) == 0) {
			return i;
		}
	}
	return TALLY_NO_INDEX;
}

/* The last column of targets.csv is free text naming the source document,
 * and the shipped file leaves commas in it unquoted. Extra fields are
 * joined back into that column, so such a row still reads as written. */
static char *
join_tail(char **f, size_t from, size_t n)
{
	size_t len = 1;
	char  *s;

	for (size_t i = from; i < n; i++) {
		len += strlen(f[i]) + 1;
	}
	s = malloc(len);
	if (s == NULL) {
		return NULL;
	}
	s[0] = '\0';
	for (size_t i = from; i < n; i++) {
		if (i > from) {
			strcat(s, ",");
		}
		strcat(s, f[i]);
	}
	return s;
}

static int
target_row(void *arg, size_t line, char **f, size_t n, struct tally_errbuf *eb)
{
	struct load_ctx      *ctx = arg;
	struct tally_catalog *cat = ctx->cat;
	struct tally_target   t;
	int                   op, scope;

	if (line == 1) {
		return check_header(
		    ctx->path, f, n, target_header, NELEM(target_header), eb);
	}
	if (n < NELEM(target_header)) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: %zu fields, expected %zu", ctx->path, line, n,
		    NELEM(target_header));
	}
	memset(&t, 0, sizeof(t));
	if (division_index(cat, f[0]) == TALLY_NO_INDEX) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field region_code: unknown region '%s'",
		    ctx->path, line, f[0]);
	}
	memcpy(t.region, f[0], TALLY_REGION_STRLEN);
	t.indicator = indicator_index(cat, f[2]);
	if (t.indicator == TALLY_NO_INDEX) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field indicator_id: unknown indicator '%s'",
		    ctx->path, line, f[2]);
	}
	if (tally_period_parse(f[3], &t.period) != TALLY_OK) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field period: '%s' is not YYYY, YYYYQn or "
		    "YYYY-MM",
		    ctx->path, line, f[3]);
	}
	op = lookup_name(f[4], op_names, NELEM(op_names));
	if (op < 0) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field op: '%s' is not >=, >, <= or <", ctx->path,
		    line, f[4]);
	}
	t.op = op;
	if (tally_parse_double(f[5], &t.value) != TALLY_OK) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field value: '%s' is not a number", ctx->path,
		    line, f[5]);
	}
	scope = lookup_name(f[6], scope_names, NELEM(scope_names));
	if (scope < 0) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field scope: '%s' is not total, each_child or "
		    "change_pct",
		    ctx->path, line, f[6]);
	}
	t.scope = scope;
	if (scope == TALLY_SCOPE_CHANGE_PCT) {
		if (tally_period_parse(f[7], &t.baseline) != TALLY_OK) {
			return tally_fail(eb, TALLY_ECONFIG,
			    "%s:%zu: field baseline_period: '%s' is not a "
			    "period",
			    ctx->path, line, f[7]);
		}
		t.has_baseline = true;
	} else if (f[7][0] != '\0') {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field baseline_period: set for scope '%s'",
		    ctx->path, line, f[6]);
	}
	if (grow((void **) &cat->targets, &ctx->cap, cat->n_targets,
	        sizeof(*cat->targets)) != TALLY_OK) {
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	t.source = join_tail(f, 8, n);
	if (t.source == NULL) {
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	cat->targets[cat->n_targets++] = t;
	return TALLY_OK;
}

/* The parent index of the division at index k in force in month (as
 * tally_period_first_month), with the catalogue's changes applied. */
static size_t
parent_index_at(const struct tally_catalog *cat, size_t k, int month)
{
	size_t parent = cat->divisions[k].parent;

	/* A region's own changes come in order of their effective month, so
	 * the last one in force wins. */
	for (size_t i = 0; i < cat->n_changes; i++) {
		const struct tally_division_change *c = &cat->changes[i];

		if (c->region == k && c->effective <= month) {
			parent = c->parent;
		}
	}
	return parent;
}

/* True when ancestor is p or lies above p in the tree. Only leaves move
 * (a parent must be at the level above and in the same province), so the
 * tree's parents above p are the ones in force for every period. */
static bool
chain_has(const struct tally_catalog *cat, size_t p, size_t ancestor)
{
	for (; p != TALLY_NO_INDEX; p = cat->divisions[p].parent) {
		if (p == ancestor) {
			return true;
		}
	}
	return false;
}

static bool
leaves_out_index(const struct tally_catalog *cat, size_t r, size_t m)
{
	bool in  = chain_has(cat, cat->divisions[m].parent, r);
	bool out = !in;

	for (size_t i = 0; i < cat->n_changes; i++) {
		if (cat->changes[i].region == m) {
			if (chain_has(cat, cat->changes[i].parent, r)) {
				in = true;
			} else {
				out = true;
			}
		}
	}
	return in && out;
}

/* How many moving regions r leaves out. */
static size_t
leaves_out_count(const struct tally_catalog *cat, size_t r)
{
	size_t n = 0;

	for (size_t i = 0; i < cat->n_changes; i++) {
		size_t m     = cat->changes[i].region;
		bool   first = true;

		for (size_t j = 0; j < i; j++) {
			if (cat->changes[j].region == m) {
				first = false;
			}
		}
		if (first && leaves_out_index(cat, r, m)) {
			n++;
		}
	}
	return n;
}

static int  left_out_table(struct tally_catalog *cat);
static bool left_out_has(const struct tally_catalog *cat, size_t r, size_t m);

static int
change_row(void *arg, size_t line, char **f, size_t n, struct tally_errbuf *eb)
{
	struct load_ctx             *ctx = arg;
	struct tally_catalog        *cat = ctx->cat;
	struct tally_division_change c;
	const struct tally_division *d, *p;
	struct tally_period          eff;
	char                         text[TALLY_PERIOD_STRLEN];
	size_t                       sides[2];

	if (line == 1) {
		return check_header(
		    ctx->path, f, n, change_header, NELEM(change_header), eb);
	}
	/* This file is written by hand when a change is announced, so it
	 * may keep commented examples and notes. */
	if (n >= 1 && f[0][0] == '#') {
		return TALLY_OK;
	}
	if (n != NELEM(change_header)) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: %zu fields, expected %zu", ctx->path, line, n,
		    NELEM(change_header));
	}
	c.region = division_index(cat, f[0]);
	if (c.region == TALLY_NO_INDEX) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field region: unknown region '%s'", ctx->path,
		    line, f[0]);
	}
	d = &cat->divisions[c.region];
	if (d->level == TALLY_LEVEL_PROVINCE) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field region: '%s' is a province, which has no "
		    "parent",
		    ctx->path, line, f[0]);
	}
	c.parent = division_index(cat, f[1]);
	if (c.parent == TALLY_NO_INDEX) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field parent_code: unknown region '%s'",
		    ctx->path, line, f[1]);
	}
	p = &cat->divisions[c.parent];
	/* A move stays inside its province: a region that leaves its
	 * province gets a new code in GB/T 2260. */
	if (p->level != d->level - 1 || strncmp(p->code, d->code, 2) != 0) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field parent_code: '%s' is not a %s of the same "
		    "province as '%s'",
		    ctx->path, line, f[1], level_names[d->level - 1], f[0]);
	}
	if (tally_period_parse(f[2], &eff) != TALLY_OK ||
	    eff.kind != TALLY_PERIOD_MONTH) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field effective: '%s' is not a month YYYY-MM",
		    ctx->path, line, f[2]);
	}
	c.effective = tally_period_first_month(&eff);
	for (size_t i = 0; i < cat->n_changes; i++) {
		const struct tally_division_change *o = &cat->changes[i];

		if (o->region == c.region && o->effective >= c.effective) {
			struct tally_period prev = { o->effective / 12,
				TALLY_PERIOD_MONTH, o->effective % 12 + 1 };

			tally_period_format(&prev, text);
			return tally_fail(eb, TALLY_ECONFIG,
			    "%s:%zu: field effective: %s is out of order: "
			    "'%s' already changes parent from %s",
			    ctx->path, line, f[2], f[0], text);
		}
	}
	if (parent_index_at(cat, c.region, c.effective) == c.parent) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field parent_code: '%s' is already the parent "
		    "of '%s' in %s",
		    ctx->path, line, f[1], f[0], f[2]);
	}
	if (grow((void **) &cat->changes, &ctx->cap, cat->n_changes,
	        sizeof(*cat->changes)) != TALLY_OK) {
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	cat->changes[cat->n_changes++] = c;
	/* What a region leaves out travels with each of its states in a
	 * bounded field, so the regions on either side of the move must
	 * stay within it. Only they and the regions above them can gain. */
	sides[0] = (size_t) (p - cat->divisions);
	sides[1] = parent_index_at(cat, c.region, c.effective - 1);
	for (size_t i = 0; i < 2; i++) {
		for (size_t r = sides[i]; r != TALLY_NO_INDEX;
		     r        = cat->divisions[r].parent) {
			if (leaves_out_count(cat, r) > TALLY_LEAVES_OUT_MAX) {
				return tally_fail(eb, TALLY_ECONFIG,
				    "%s:%zu: field region: more than %d "
				    "moving regions would lie below '%s' "
				    "for some periods only",
				    ctx->path, line, TALLY_LEAVES_OUT_MAX,
				    cat->divisions[r].code);
			}
		}
	}
	return TALLY_OK;
}

static int
load_file(struct tally_catalog *cat, const char *dir, const char *name,
    tally_csv_row_fn fn, struct tally_errbuf *eb)
{
	struct load_ctx ctx;
	char            path[4096];
	int             rv;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ctx.cat  = cat;
	ctx.path = path;
	ctx.cap  = 0;
	rv       = tally_csv_read(path, fn, &ctx, eb);
	if (rv == TALLY_EDATA || rv == TALLY_ENOENT || rv == TALLY_EIO) {
		rv = TALLY_ECONFIG;
	}
	return rv;
}

int
tally_catalog_read_targets(const struct tally_catalog *cat, const char *path,
    struct tally_target **out, size_t *n, struct tally_errbuf *eb)
{
	struct tally_catalog tmp;
	struct load_ctx      ctx;
	int                  rv;

	/* target_row appends to its catalogue's targets; a shallow copy with
	 * no targets of its own collects the new rows apart, so that cat is
	 * left untouched whatever happens. */
	tmp           = *cat;
	tmp.targets   = NULL;
	tmp.n_targets = 0;
	ctx.cat       = &tmp;
	ctx.path      = path;
	ctx.cap       = 0;
	rv            = tally_csv_read(path, target_row, &ctx, eb);
	if (rv == TALLY_EDATA || rv == TALLY_ENOENT || rv == TALLY_EIO) {
		rv = TALLY_ECONFIG;
	}
	if (rv != TALLY_OK) {
		for (size_t i = 0; i < tmp.n_targets; i++) {
			free(tmp.targets[i].source);
		}
		free(tmp.targets);
		return rv;
	}
	*out = tmp.targets;
	*n   = tmp.n_targets;
	return TALLY_OK;
}

int
tally_catalog_load(
    const char *dir, struct tally_catalog **out, struct tally_errbuf *eb)
{
	struct tally_catalog *cat;
	char                  path[4096];
	int                   rv;

	cat = calloc(1, sizeof(*cat));
	if (cat == NULL) {
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	cat->dir = strdup(dir);
	if (cat->dir == NULL) {
		rv = tally_fail(eb, TALLY_ENOMEM, "out of memory");
		goto fail;
	}
	rv = load_file(cat, dir, "indicators.csv", indicator_row, eb);
	if (rv != TALLY_OK) {
		goto fail;
	}
	rv = load_file(cat, dir, "divisions.csv", division_row, eb);
	if (rv != TALLY_OK) {
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/divisions.csv", dir);
	rv = link_divisions(cat, path, eb);
	if (rv != TALLY_OK) {
		goto fail;
	}
	rv = load_file(cat, dir, "targets.csv", target_row, eb);
	if (rv != TALLY_OK) {
		goto fail;
	}
	/* Changes of parent are optional: without the file the tree of
	 * divisions.csv holds for every period. */
	snprintf(path, sizeof(path), "%s/division_changes.csv", dir);
	if (access(path, F_OK) == 0) {
		rv = load_file(
		    cat, dir, "division_changes.csv", change_row, eb);
		if (rv == TALLY_OK) {
			rv = left_out_table(cat);
		}
		if (rv != TALLY_OK) {
			goto fail;
		}
	}
	if (cat->n_indicators == 0 || cat->n_divisions == 0) {
		rv = tally_fail(eb, TALLY_ECONFIG,
		    "%s: indicators.csv or divisions.csv has no rows", dir);
		goto fail;
	}
	*out = cat;
	return TALLY_OK;
fail:
	tally_catalog_free(cat);
	return rv;
}

static bool
dir_has_catalog(const char *dir)
{
	char        path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/indicators.csv", dir);
	return stat(path, &st) == 0;
}

int
tally_catalog_load_default(struct tally_catalog **out, struct tally_errbuf *eb)
{
	const char *dir = getenv("TALLY_DATA_DIR");

	if (tally_text_empty(dir)) {
		dir = dir_has_catalog(TALLY_INSTALL_DATA_DIR)
		    ? TALLY_INSTALL_DATA_DIR
		    : TALLY_SOURCE_DATA_DIR;
	}
	return tally_catalog_load(dir, out, eb);
}

void
tally_catalog_free(struct tally_catalog *cat)
{
	if (cat == NULL) {
		return;
	}
	for (size_t i = 0; i < cat->n_indicators; i++) {
		struct tally_indicator *ind = &cat->indicators[i];
		free(ind->id);
		free(ind->name_zh);
		free(ind->name_en);
		free(ind->unit);
		free(ind->note);
	}
	for (size_t i = 0; i < cat->n_divisions; i++) {
		free(cat->divisions[i].name);
	}
	for (size_t i = 0; i < cat->n_targets; i++) {
		free(cat->targets[i].source);
	}
	free(cat->indicators);
	free(cat->divisions);
	free(cat->left_out);
	free(cat->targets);
	free(cat->changes);
	free(cat->dir);
	free(cat);
}

const struct tally_indicator *
tally_catalog_indicator(const struct tally_catalog *cat, const char *id)
{
	size_t i;

	if (id == NULL) {
		return NULL;
	}
	i = indicator_index(cat, id);
	return i == TALLY_NO_INDEX ? NULL : &cat->indicators[i];
}

const struct tally_division *
tally_catalog_division(const struct tally_catalog *cat, const char *code)
{
	size_t i;

	if (code == NULL) {
		return NULL;
	}
	i = division_index(cat, code);
	return i == TALLY_NO_INDEX ? NULL : &cat->divisions[i];
}

bool
tally_catalog_is_child(
    const struct tally_catalog *cat, const char *parent, const char *child)
{
	const struct tally_division *d = tally_catalog_division(cat, child);

	return d != NULL && d->parent != TALLY_NO_INDEX &&
	    strcmp(cat->divisions[d->parent].code, parent) == 0;
}

bool
tally_catalog_is_below(
    const struct tally_catalog *cat, const char *ancestor, const char *code)
{
	const struct tally_division *d = tally_catalog_division(cat, code);

	while (d != NULL && d->parent != TALLY_NO_INDEX) {
		d = &cat->divisions[d->parent];
		if (strcmp(d->code, ancestor) == 0) {
			return true;
		}
	}
	return false;
}

const char *
tally_catalog_parent_for(const struct tally_catalog *cat, const char *code,
    const struct tally_period *period)
{
	size_t k = code != NULL ? division_index(cat, code) : TALLY_NO_INDEX;
	size_t p;

	if (k == TALLY_NO_INDEX) {
		return NULL;
	}
	p = parent_index_at(cat, k, tally_period_last_month(period));
	return p == TALLY_NO_INDEX ? NULL : cat->divisions[p].code;
}

bool
tally_catalog_is_child_for(const struct tally_catalog *cat, const char *parent,
    const char *child, const struct tally_period *period)
{
	const char *p = tally_catalog_parent_for(cat, child, period);

	return p != NULL && parent != NULL && strcmp(p, parent) == 0;
}

bool
tally_catalog_is_below_for(const struct tally_catalog *cat,
    const char *ancestor, const char *code, const struct tally_period *period)
{
	size_t k = code != NULL ? division_index(cat, code) : TALLY_NO_INDEX;
	int    month = tally_period_last_month(period);

	if (ancestor == NULL) {
		return false;
	}
	while (k != TALLY_NO_INDEX) {
		k = parent_index_at(cat, k, month);
		if (k != TALLY_NO_INDEX &&
		    strcmp(cat->divisions[k].code, ancestor) == 0) {
			return true;
		}
	}
	return false;
}

bool
tally_catalog_is_child_ever(
    const struct tally_catalog *cat, const char *parent, const char *child)
{
	size_t k = child != NULL ? division_index(cat, child) : TALLY_NO_INDEX;

	if (k == TALLY_NO_INDEX || parent == NULL) {
		return false;
	}
	if (tally_catalog_is_child(cat, parent, child)) {
		return true;
	}
	for (size_t i = 0; i < cat->n_changes; i++) {
		if (cat->changes[i].region == k &&
		    strcmp(cat->divisions[cat->changes[i].parent].code,
		        parent) == 0) {
			return true;
		}
	}
	return false;
}

bool
tally_catalog_moves(const struct tally_catalog *cat, const char *code)
{
	size_t k = code != NULL ? division_index(cat, code) : TALLY_NO_INDEX;

	for (size_t i = 0; k != TALLY_NO_INDEX && i < cat->n_changes; i++) {
		if (cat->changes[i].region == k) {
			return true;
		}
	}
	return false;
}

bool
tally_catalog_leaves_out(
    const struct tally_catalog *cat, const char *region, const char *code)
{
	size_t r, m;

	if (cat->n_changes == 0) {
		return false;
	}
	r = region != NULL ? division_index(cat, region) : TALLY_NO_INDEX;
	m = code != NULL ? division_index(cat, code) : TALLY_NO_INDEX;
	return r != TALLY_NO_INDEX && m != TALLY_NO_INDEX &&
	    left_out_has(cat, r, m);
}

static void
leaves_out_build(const struct tally_catalog *cat, size_t r,
    char buf[TALLY_LEAVES_OUT_STRLEN])
{
	size_t len = 0, after = TALLY_NO_INDEX;

	buf[0] = '\0';
	/* The moving regions in code order (indexes follow codes): the
	 * smallest one above the last written, until none is left. */
	for (;;) {
		size_t next = TALLY_NO_INDEX;

		for (size_t i = 0; i < cat->n_changes; i++) {
			size_t m = cat->changes[i].region;

			if ((after == TALLY_NO_INDEX || m > after) &&
			    (next == TALLY_NO_INDEX || m < next) &&
			    leaves_out_index(cat, r, m)) {
				next = m;
			}
		}
		if (next == TALLY_NO_INDEX) {
			break;
		}
		/* The load refused a file that would overflow this. */
		len +=
		    (size_t) snprintf(buf + len, TALLY_LEAVES_OUT_STRLEN - len,
		        "%s%s", len > 0 ? "," : "", cat->divisions[next].code);
		after = next;
	}
}

/* Builds cat->left_out: the regions on either side of a move and those
 * above them are the only ones that can leave anything out. */
static int
left_out_table(struct tally_catalog *cat)
{
	for (size_t i = 0; i < 2 * cat->n_changes; i++) {
		const struct tally_division_change *c = &cat->changes[i / 2];
		size_t                              r =
                    i % 2 == 0 ? c->parent : cat->divisions[c->region].parent;

		for (; r != TALLY_NO_INDEX; r = cat->divisions[r].parent) {
			struct tally_left_out *t;
			bool                   seen = false;

			for (size_t j = 0; j < cat->n_left_out; j++) {
				seen = seen || cat->left_out[j].division == r;
			}
			if (seen) {
				continue;
			}
			t = realloc(
			    cat->left_out, (cat->n_left_out + 1) * sizeof(*t));
			if (t == NULL) {
				return TALLY_ENOMEM;
			}
			cat->left_out = t;
			t             = &t[cat->n_left_out];
			t->division   = r;
			leaves_out_build(cat, r, t->text);
			if (t->text[0] != '\0') {
				cat->n_left_out++;
			}
		}
	}
	return TALLY_OK;
}

/* The text form of what the division at index r leaves out ("" for
 * nothing). */
static const char *
left_out_of(const struct tally_catalog *cat, size_t r)
{
	for (size_t j = 0; r != TALLY_NO_INDEX && j < cat->n_left_out; j++) {
		if (cat->left_out[j].division == r) {
			return cat->left_out[j].text;
		}
	}
	return "";
}

/* Whether the division at index r leaves the one at index m out. Codes
 * have six digits, so a code found in the text is a whole entry. */
static bool
left_out_has(const struct tally_catalog *cat, size_t r, size_t m)
{
	const char *text = left_out_of(cat, r);

	return text[0] != '\0' && strstr(text, cat->divisions[m].code) != NULL;
}

void
tally_catalog_leaves_out_text(const struct tally_catalog *cat,
    const char *region, char buf[TALLY_LEAVES_OUT_STRLEN])
{
	size_t r = region != NULL && cat->n_left_out > 0
	    ? division_index(cat, region)
	    : TALLY_NO_INDEX;

	snprintf(buf, TALLY_LEAVES_OUT_STRLEN, "%s", left_out_of(cat, r));
}

bool
tally_catalog_absorbs(const struct tally_catalog *cat, const char *hub,
    const char *code, const struct tally_period *period)
{
	size_t h, m, k;
	int    month;

	if (cat->n_changes == 0 || hub == NULL || code == NULL) {
		return false;
	}
	h = division_index(cat, hub);
	m = division_index(cat, code);
	if (h == TALLY_NO_INDEX || m == TALLY_NO_INDEX ||
	    !tally_catalog_moves(cat, code) || left_out_has(cat, h, m)) {
		return false;
	}
	month = tally_period_last_month(period);
	/* Climb from code for period to the child of hub on its path. */
	for (k = m; k != TALLY_NO_INDEX;) {
		size_t p = parent_index_at(cat, k, month);

		if (p == h) {
			return k != m && left_out_has(cat, k, m);
		}
		k = p;
	}
	return false;
}

size_t
tally_catalog_next_child_for(const struct tally_catalog *cat, size_t parent,
    size_t after, const struct tally_period *period)
{
	size_t best = TALLY_NO_INDEX;
	int    month;

	if (cat->n_changes == 0 || period == NULL) {
		return after == TALLY_NO_INDEX
		    ? cat->divisions[parent].first_child
		    : cat->divisions[after].next_sibling;
	}
	month = tally_period_last_month(period);
	/* The candidates are the tree's children and the regions that
	 * change parent; indexes follow code order, so the next child is
	 * the smallest candidate above after. There are few of either. */
	for (size_t k               = cat->divisions[parent].first_child;
	     k != TALLY_NO_INDEX; k = cat->divisions[k].next_sibling) {
		if ((after == TALLY_NO_INDEX || k > after) &&
		    (best == TALLY_NO_INDEX || k < best) &&
		    parent_index_at(cat, k, month) == parent) {
			best = k;
		}
	}
	for (size_t i = 0; i < cat->n_changes; i++) {
		size_t k = cat->changes[i].region;

		if ((after == TALLY_NO_INDEX || k > after) &&
		    (best == TALLY_NO_INDEX || k < best) &&
		    parent_index_at(cat, k, month) == parent) {
			best = k;
		}
	}
	return best;
}

size_t
tally_catalog_leaves_for(const struct tally_catalog *cat, size_t k,
    const struct tally_period *period)
{
	size_t n = 0;

	if (cat->n_changes == 0 || period == NULL ||
	    cat->divisions[k].first_child == TALLY_NO_INDEX) {
		return cat->divisions[k].leaves;
	}
	for (size_t c =
	         tally_catalog_next_child_for(cat, k, TALLY_NO_INDEX, period);
	     c != TALLY_NO_INDEX;
	     c = tally_catalog_next_child_for(cat, k, c, period)) {
		n += tally_catalog_leaves_for(cat, c, period);
	}
	return n;
}

bool
tally_catalog_is_below_ever(
    const struct tally_catalog *cat, const char *ancestor, const char *code)
{
	size_t k = code != NULL ? division_index(cat, code) : TALLY_NO_INDEX;

	if (tally_catalog_is_below(cat, ancestor, code)) {
		return true;
	}
	for (size_t i = 0; k != TALLY_NO_INDEX && i < cat->n_changes; i++) {
		const struct tally_division_change *c = &cat->changes[i];
		struct tally_period                 p = { c->effective / 12,
			                TALLY_PERIOD_MONTH, c->effective % 12 + 1 };

		if (c->region == k &&
		    tally_catalog_is_below_for(cat, ancestor, code, &p)) {
			return true;
		}
	}
	return false;
}

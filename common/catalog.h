/*
 * The reference data every Tally program works from: the indicator
 * catalogue, the division tree and the programmes' targets, loaded from the
 * CSV files in the data directory. A catalogue is read-only once loaded and
 * may be shared between threads.
 */
#ifndef TALLY_CATALOG_H
#define TALLY_CATALOG_H

#include "errors.h"
#include "period.h"

#include <stdbool.h>
#include <stddef.h>

enum tally_kind {
	TALLY_KIND_RATIO,
	TALLY_KIND_COUNT,
	TALLY_KIND_WMEAN,
};

enum tally_time_agg {
	TALLY_TIME_SUM,
	TALLY_TIME_LAST,
	TALLY_TIME_WMEAN,
};

enum tally_level {
	TALLY_LEVEL_PROVINCE,
	TALLY_LEVEL_CITY,
	TALLY_LEVEL_COUNTY,
};

enum tally_op {
	TALLY_OP_GE,
	TALLY_OP_GT,
	TALLY_OP_LE,
	TALLY_OP_LT,
};

enum tally_scope {
	TALLY_SCOPE_TOTAL,
	TALLY_SCOPE_EACH_CHILD,
	TALLY_SCOPE_CHANGE_PCT,
};

#define TALLY_REGION_STRLEN 7 /* six digits and the terminator */
#define TALLY_NO_INDEX      ((size_t) -1)

struct tally_indicator {
	char  *id;
	char  *name_zh;
	char  *name_en;
	int    kind; /* enum tally_kind */
	char  *unit;
	double factor;
	bool   higher_better;
	int    time_agg; /* enum tally_time_agg */
	char  *note;
	/* True for a ratio in percent, whose numerator cannot exceed its
	 * denominator. */
	bool percent;
};

struct tally_division {
	char   code[TALLY_REGION_STRLEN];
	char  *name;
	int    level;                            /* enum tally_level */
	char   parent_code[TALLY_REGION_STRLEN]; /* "" for a province */
	size_t parent;                           /* index, or TALLY_NO_INDEX */
	size_t first_child;                      /* index, or TALLY_NO_INDEX */
	size_t next_sibling;
	size_t leaves; /* leaf regions at or below this one */
};

struct tally_target {
	char                region[TALLY_REGION_STRLEN];
	size_t              indicator; /* index into indicators */
	struct tally_period period;
	int                 op; /* enum tally_op */
	double              value;
	int                 scope; /* enum tally_scope */
	bool                has_baseline;
	struct tally_period baseline;
	char               *source;
};

/* A change of a region's parent (division_changes.csv): from the month
 * effective on, region belongs to parent. */
struct tally_division_change {
	size_t region;    /* index into divisions */
	size_t parent;    /* index into divisions */
	int    effective; /* first month, as tally_period_first_month */
};

/* What a region leaves out of its own states (see tally_catalog_leaves_out
 * below): at most TALLY_LEAVES_OUT_MAX moving regions, in text form. */
#define TALLY_LEAVES_OUT_MAX    16
#define TALLY_LEAVES_OUT_STRLEN (TALLY_LEAVES_OUT_MAX * TALLY_REGION_STRLEN)

struct tally_left_out {
	size_t division; /* index into divisions */
	char   text[TALLY_LEAVES_OUT_STRLEN];
};

struct tally_catalog {
	char                   *dir;
	struct tally_indicator *indicators;
	size_t                  n_indicators;
	struct tally_division  *divisions; /* sorted by code */
	size_t                  n_divisions;
	struct tally_target    *targets;
	size_t                  n_targets;
	/* Changes of parent, in file order; a region's own changes are in
	 * order of their effective month. */
	struct tally_division_change *changes;
	size_t                        n_changes;
	/* Every region that leaves something out, worked out once when the
	 * changes are read: the rollup asks for each state it merges. */
	struct tally_left_out *left_out;
	size_t                 n_left_out;
};

/* Loads indicators.csv, divisions.csv, targets.csv and, when it exists,
 * division_changes.csv from dir. On a
 * malformed file, eb holds `file:line: message`. The caller frees the
 * catalogue with tally_catalog_free. */
int tally_catalog_load(
    const char *dir, struct tally_catalog **out, struct tally_errbuf *eb);

/* Finds the data directory (TALLY_DATA_DIR, then the installed data
 * directory, then the source tree's configs/) and loads from it. */
int tally_catalog_load_default(
    struct tally_catalog **out, struct tally_errbuf *eb);

void tally_catalog_free(struct tally_catalog *cat);

/* For tally_target_add_file (target.c): reads a file with the columns
 * of targets.csv, checked against cat's indicators and divisions exactly
 * as targets.csv is, into a new array of *n targets (NULL when there are
 * none) that the caller owns, sources included. cat is not changed. On a
 * malformed or missing file, eb holds `file:line: field NAME: message`
 * or `file: cannot open: ...` (TALLY_ECONFIG). */
int tally_catalog_read_targets(const struct tally_catalog *cat,
    const char *path, struct tally_target **out, size_t *n,
    struct tally_errbuf *eb);

const struct tally_indicator *tally_catalog_indicator(
    const struct tally_catalog *cat, const char *id);

const struct tally_division *tally_catalog_division(
    const struct tally_catalog *cat, const char *code);

/* True when child's parent in the tree is parent. */
bool tally_catalog_is_child(
    const struct tally_catalog *cat, const char *parent, const char *child);

/* True when code lies strictly below ancestor in the tree. */
bool tally_catalog_is_below(
    const struct tally_catalog *cat, const char *ancestor, const char *code);

/* Redistricting (division_changes.csv). The tree of divisions.csv holds
 * until a region's first change; a period belongs to the shape in force
 * in its last month, since it is reported after it ends. So with a move
 * effective 2021-07, 2021-06 and 2021Q2 keep the old parent, and 2021-07,
 * 2021Q3 and the year 2021 have the new one. */

/* The parent of code for period; NULL for a province or an unknown code. */
const char *tally_catalog_parent_for(const struct tally_catalog *cat,
    const char *code, const struct tally_period *period);

/* True when child's parent for period is parent. */
bool tally_catalog_is_child_for(const struct tally_catalog *cat,
    const char *parent, const char *child, const struct tally_period *period);

/* True when code lies strictly below ancestor for period. */
bool tally_catalog_is_below_for(const struct tally_catalog *cat,
    const char *ancestor, const char *code, const struct tally_period *period);

/* True when child is a child of parent for some period: in the tree or by
 * a change. */
bool tally_catalog_is_child_ever(
    const struct tally_catalog *cat, const char *parent, const char *child);

/* True when code lies below ancestor in the tree, or for some period by
 * a change of its parent. */
bool tally_catalog_is_below_ever(
    const struct tally_catalog *cat, const char *ancestor, const char *code);

/* True when code has a change of parent. */
bool tally_catalog_moves(const struct tally_catalog *cat, const char *code);

/*
 * What a region's own state leaves out. A moving region lies below each of
 * its parents (and their ancestors) for some periods only. If every such
 * parent counted it in the state it sends up, the lowest hub that always
 * holds the region (its province) would get it from the old parent's total
 * and the new one's at moments that do not agree, and count it twice or not
 * at all while a change travels up. So a region leaves out of its own state
 * every moving region that lies below it for some periods but not all, and
 * the lowest region that holds it for every period adds the moving region's
 * own state itself ("absorbs" it): each region is counted by exactly one
 * state at every moment. A region's figure for a period is its own state
 * plus the states of the regions it left out that lie below it then.
 *
 * The text form of what a region leaves out is the codes in ascending
 * order, joined by commas ("" for nothing); it travels with the state and
 * is signed with it, so a hub can tell whether a state was made by the
 * same division_changes.csv as its own.
 */

/* True when region leaves code out of its own state: code changes parent
 * and lies below region for some periods but not all. */
bool tally_catalog_leaves_out(
    const struct tally_catalog *cat, const char *region, const char *code);

/* Writes the text form of what region leaves out to buf. */
void tally_catalog_leaves_out_text(const struct tally_catalog *cat,
    const char *region, char buf[TALLY_LEAVES_OUT_STRLEN]);

/* True when hub adds code's own state to its own for period: code lies
 * below hub then, hub does not leave it out, and the region between them
 * that holds it for period (hub's child on code's path) does. */
bool tally_catalog_absorbs(const struct tally_catalog *cat, const char *hub,
    const char *code, const struct tally_period *period);

/* Iterates over the children of the division at index parent for period,
 * in code order: pass TALLY_NO_INDEX for the first, then the last one
 * returned; TALLY_NO_INDEX at the end. Without changes, or with period
 * NULL, this is the tree's first_child / next_sibling list. */
size_t tally_catalog_next_child_for(const struct tally_catalog *cat,
    size_t parent, size_t after, const struct tally_period *period);

/* The leaf regions at or below the division at index k for period (the
 * division's leaves without changes or with period NULL). */
size_t tally_catalog_leaves_for(const struct tally_catalog *cat, size_t k,
    const struct tally_period *period);

const char *tally_kind_name(int kind);
const char *tally_level_name(int level);

#endif

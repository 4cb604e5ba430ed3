/*
 * Region groups (docs/rollup.md, "Regions"): a named set of regions of one
 * level, such as 京津冀 (`jingjinji = 110000,120000,130000`), that a
 * comparison hub sets side by side. A group is a comparison set, never a
 * level of the division tree: nothing it holds adds into any total above
 * it. This module validates a group's name, its members and its common
 * standards, and gives each one canonical text form, in which the
 * comparison hub keeps them in its store.
 *
 * A group's name is a lowercase identifier that starts with a letter, so
 * that it can never be mistaken for a six-digit region code where either
 * may stand (the hub a submission is addressed to).
 */
#ifndef TALLY_GROUP_H
#define TALLY_GROUP_H

#include "catalog.h"
#include "errors.h"

#include <stdbool.h>
#include <stddef.h>

/* A group's name: up to 31 characters and the terminator. */
#define TALLY_GROUP_STRLEN 32
/* The most members one group may have: every province-level region. */
#define TALLY_GROUP_MEMBERS_MAX 64
/* Room for the text form of any member list. */
#define TALLY_GROUP_MEMBERS_TEXT \
	(TALLY_GROUP_MEMBERS_MAX * TALLY_REGION_STRLEN)

struct tally_group {
	char   name[TALLY_GROUP_STRLEN];
	char   members[TALLY_GROUP_MEMBERS_MAX][TALLY_REGION_STRLEN];
	size_t n_members;
};

/* True for 1..31 characters of [a-z0-9_] that start with a letter. */
bool tally_group_name_valid(const char *s);

/* Sets g from name and a comma-separated list of region codes
 * ("110000,120000,130000"; blanks around a code are allowed). The codes
 * must be in the catalogue, all of one level, and distinct; a group
 * compares at least two. On failure eb says what is wrong (TALLY_EINVAL),
 * and g is unchanged. */
int tally_group_parse(const struct tally_catalog *cat, const char *name,
    const char *members, struct tally_group *g, struct tally_errbuf *eb);

/* The canonical member list, "110000,120000,130000", in the order
 * configured; buf holds TALLY_GROUP_MEMBERS_TEXT. */
void tally_group_members_text(
    const struct tally_group *g, char *buf, size_t len);

/* The index of code among g's members, or -1. */
int tally_group_member_index(const struct tally_group *g, const char *code);

/* How a group's common standard for one indicator is set. */
enum tally_standard_rule {
	TALLY_STANDARD_NONE,      /* no common standard */
	TALLY_STANDARD_STRICTEST, /* the strictest member's own target */
	TALLY_STANDARD_VALUE,     /* a level in the indicator's unit */
};

struct tally_standard {
	int    rule; /* enum tally_standard_rule */
	double value;
};

/* A group's common standards, one per indicator of the catalogue. */
struct tally_standards {
	struct tally_standard *items; /* n_indicators of them */
	size_t                 n;
};

/* Makes standards with none set, for cat's indicators. */
int tally_standards_init(
    struct tally_standards *s, const struct tally_catalog *cat);

void tally_standards_fini(struct tally_standards *s);

/* Sets the standard of indicator id from text: "strictest" or a finite
 * number. On failure eb says why (TALLY_EINVAL). */
int tally_standards_set(struct tally_standards *s,
    const struct tally_catalog *cat, const char *id, const char *text,
    struct tally_errbuf *eb);

/* The text form, "mfg_pass_rate=strictest,agri_pass_rate=97" (numbers at
 * full precision), in catalogue order; "" when none is set. The caller
 * frees *out with free(). */
int tally_standards_text(const struct tally_standards *s,
    const struct tally_catalog *cat, char **out);

/* Reads the text form back. Unknown indicators are refused (TALLY_EINVAL,
 * with eb saying which). */
int tally_standards_parse(struct tally_standards *s,
    const struct tally_catalog *cat, const char *text,
    struct tally_errbuf *eb);

#endif

/*
 * tally-hub's comparison settings, from the command line and the INI
 * file: the region groups a comparison hub may serve (`--group NAME
 * --members CODES`, or `[hub] group = NAME` with a `[groups]` section of
 * `NAME = CODES`), the group's common standards (`--standard ID=RULE`, or
 * a `[standard]` section of `ID = strictest` or `ID = NUMBER`), and the
 * comparison hubs a region's hub also reports to (`--compare NAME=URL`,
 * or a `[compare]` section of `NAME = URL`). The command line wins over
 * the file: a setting given there is kept whatever the file says.
 */
#ifndef HUB_GROUPCONF_H
#define HUB_GROUPCONF_H

#include "catalog.h"
#include "group.h"
#include "server.h"

#include <stdbool.h>
#include <stddef.h>

#define HUB_GROUPS_MAX  32
#define HUB_COMPARE_MAX 16

/* A [groups] entry. */
struct hub_group_def {
	char *name;
	char *members;
};

/* A [group_names] entry: the name people read (京津冀) of a group. */
struct hub_group_title {
	char *name;
	char *title;
};

struct hub_groups {
	struct hub_group_def   defs[HUB_GROUPS_MAX];
	size_t                 n_defs;
	struct hub_group_title titles[HUB_GROUPS_MAX];
	size_t                 n_titles;
	/* --members: the members of the group the hub serves. */
	const char        *cli_members;
	struct hub_compare compare[HUB_COMPARE_MAX];
	bool               compare_cli[HUB_COMPARE_MAX];
	size_t             n_compare;
	/* --compare NAME=URL as given, until hub_groups_apply_cli. */
	const char *cli_compare[HUB_COMPARE_MAX];
	size_t      n_cli_compare;
	/* --standard ID=RULE, applied over the file's [standard]. */
	const char *cli_standards[64];
	size_t      n_cli_standards;
	/* The file's [standard] section; items NULL until it has one. */
	struct tally_standards standards;
};

void hub_groups_init(struct hub_groups *g);

void hub_groups_fini(struct hub_groups *g);

/* --compare NAME=URL and --standard ID=RULE, kept as given (arg must
 * outlive g) and checked later. TALLY_EINVAL when there are too many. */
int hub_groups_cli_compare(struct hub_groups *g, const char *arg);
int hub_groups_cli_standard(struct hub_groups *g, const char *arg);

/* Takes the --compare options, before the INI file is read, so that they
 * win over its [compare] section. On failure err says why. */
int hub_groups_apply_cli(struct hub_groups *g, char *err, size_t len);

/* The display name of group name from [group_names], or NULL. */
const char *hub_groups_title(const struct hub_groups *g, const char *name);

/* An INI key of the [groups], [group_names], [standard] or [compare]
 * section. Returns 1
 * when it is taken, 0 with err set when it is wrong, and -1 when section
 * is none of those. */
int hub_groups_ini(struct hub_groups *g, const struct tally_catalog *cat,
    const char *section, const char *name, const char *value, char *err,
    size_t len);

/* The group named name with its members (--members, else its [groups]
 * entry), checked against the catalogue. On failure err says why
 * (TALLY_EINVAL). */
int hub_groups_resolve(const struct hub_groups *g,
    const struct tally_catalog *cat, const char *name, struct tally_group *out,
    char *err, size_t len);

/* True when standards were given in the file or on the command line. */
bool hub_groups_has_standards(const struct hub_groups *g);

/* The standards given (the file's, then the command line's over them)
 * in the text form of group.h; the caller frees *out. On failure err
 * says why (TALLY_EINVAL). */
int hub_groups_standards_text(struct hub_groups *g,
    const struct tally_catalog *cat, char **out, char *err, size_t len);

#endif

/*
 * tally-hub's comparison settings, declared in groupconf.h.
 */
#include "groupconf.h"

#include "errors.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
hub_groups_init(struct hub_groups *g)
{
	memset(g, 0, sizeof(*g));
}

void
hub_groups_fini(struct hub_groups *g)
{
	if (g == NULL) {
		return;
	}
	for (size_t i = 0; i < g->n_defs; i++) {
		free(g->defs[i].name);
		free(g->defs[i].members);
	}
	for (size_t i = 0; i < g->n_titles; i++) {
		free(g->titles[i].name);
		free(g->titles[i].title);
	}
	for (size_t i = 0; i < g->n_compare; i++) {
		free((char *) g->compare[i].group);
		free((char *) g->compare[i].url);
	}
	tally_standards_fini(&g->standards);
	memset(g, 0, sizeof(*g));
}

/* Adds or, when from_cli, replaces the comparison hub of group name. A
 * setting from the command line is kept over the file's. */
static int
compare_put(struct hub_groups *g, const char *name, const char *url,
    bool from_cli, char *err, size_t len)
{
	size_t i;
	char  *n, *u;

	if (!tally_group_name_valid(name)) {
		snprintf(err, len,
		    "'%s' is not a group name (a-z, 0-9 and _, starting "
		    "with a letter, at most %d characters)",
		    name, TALLY_GROUP_STRLEN - 1);
		return TALLY_EINVAL;
	}
	if (url[0] == '\0') {
		snprintf(err, len, "group %s: no URL", name);
		return TALLY_EINVAL;
	}
	for (i = 0; i < g->n_compare; i++) {
		if (strcmp(g->compare[i].group, name) == 0) {
			break;
		}
	}
	if (i < g->n_compare && g->compare_cli[i] && !from_cli) {
		return TALLY_OK;
	}
	if (i < g->n_compare && g->compare_cli[i] == from_cli) {
		snprintf(
		    err, len, "group %s: comparison hub given twice", name);
		return TALLY_EINVAL;
	}
	if (i == HUB_COMPARE_MAX) {
		snprintf(
		    err, len, "more than %d comparison hubs", HUB_COMPARE_MAX);
		return TALLY_EINVAL;
	}
	n = strdup(name);
	u = strdup(url);
	if (n == NULL || u == NULL) {
		free(n);
		free(u);
		snprintf(err, len, "out of memory");
		return TALLY_ENOMEM;
	}
	if (i < g->n_compare) {
		free((char *) g->compare[i].group);
		free((char *) g->compare[i].url);
	} else {
		g->n_compare++;
	}
	g->compare[i].group = n;
	g->compare[i].url   = u;
	g->compare_cli[i]   = from_cli;
	return TALLY_OK;
}

int
hub_groups_cli_compare(struct hub_groups *g, const char *arg)
{
	if (g->n_cli_compare == HUB_COMPARE_MAX) {
		return TALLY_EINVAL;
	}
	g->cli_compare[g->n_cli_compare++] = arg;
	return TALLY_OK;
}

int
hub_groups_apply_cli(struct hub_groups *g, char *err, size_t len)
{
	for (size_t i = 0; i < g->n_cli_compare; i++) {
		const char *arg = g->cli_compare[i];
		const char *eq  = strchr(arg, '=');
		char        name[TALLY_GROUP_STRLEN + 1];
		char        why[200];
		size_t      n;

		if (eq == NULL) {
			snprintf(
			    err, len, "--compare: '%s' is not NAME=URL", arg);
			return TALLY_EINVAL;
		}
		n = (size_t) (eq - arg);
		if (n >= sizeof(name)) {
			n = sizeof(name) - 1;
		}
		memcpy(name, arg, n);
		name[n] = '\0';
		if (compare_put(g, name, eq + 1, true, why, sizeof(why)) !=
		    TALLY_OK) {
			snprintf(err, len, "--compare: %s", why);
			return TALLY_EINVAL;
		}
	}
	return TALLY_OK;
}

int
hub_groups_cli_standard(struct hub_groups *g, const char *arg)
{
	if (g->n_cli_standards ==
	    sizeof(g->cli_standards) / sizeof(g->cli_standards[0])) {
		return TALLY_EINVAL;
	}
	g->cli_standards[g->n_cli_standards++] = arg;
	return TALLY_OK;
}

static int
ini_group(struct hub_groups *g, const struct tally_catalog *cat,
    const char *name, const char *value, char *err, size_t len)
{
	struct tally_group  grp;
	struct tally_errbuf eb = { "" };

	/* Checked here too, so that a wrong entry is reported at its line
	 * even when this hub serves another group. */
	if (tally_group_parse(cat, name, value, &grp, &eb) != TALLY_OK) {
		snprintf(err, len, "[groups] %s", eb.text);
		return 0;
	}
	for (size_t i = 0; i < g->n_defs; i++) {
		if (strcmp(g->defs[i].name, name) == 0) {
			snprintf(err, len, "[groups] %s is set twice", name);
			return 0;
		}
	}
	if (g->n_defs == HUB_GROUPS_MAX) {
		snprintf(
		    err, len, "[groups]: more than %d groups", HUB_GROUPS_MAX);
		return 0;
	}
	g->defs[g->n_defs].name    = strdup(name);
	g->defs[g->n_defs].members = strdup(value);
	if (g->defs[g->n_defs].name == NULL ||
	    g->defs[g->n_defs].members == NULL) {
		free(g->defs[g->n_defs].name);
		free(g->defs[g->n_defs].members);
		snprintf(err, len, "out of memory");
		return 0;
	}
	g->n_defs++;
	return 1;
}

static int
ini_standard(struct hub_groups *g, const struct tally_catalog *cat,
    const char *name, const char *value, char *err, size_t len)
{
	struct tally_errbuf eb = { "" };

	if (g->standards.items == NULL &&
	    tally_standards_init(&g->standards, cat) != TALLY_OK) {
		snprintf(err, len, "out of memory");
		return 0;
	}
	if (tally_standards_set(&g->standards, cat, name, value, &eb) !=
	    TALLY_OK) {
		snprintf(err, len, "[standard] %s", eb.text);
		return 0;
	}
	return 1;
}

/* A [group_names] key: NAME = the group's display name (UTF-8, at most
 * 60 bytes, one line). */
static int
ini_title(struct hub_groups *g, const char *name, const char *value, char *err,
    size_t len)
{
	size_t n = strlen(value);

	if (!tally_group_name_valid(name)) {
		snprintf(
		    err, len, "[group_names] '%s' is not a group name", name);
		return 0;
	}
	if (n == 0 || n > 60 || !tally_utf8_valid(value, n) ||
	    strpbrk(value, "\r\n\t") != NULL) {
		snprintf(err, len,
		    "[group_names] %s: the display name must be 1 to 60 bytes "
		    "of UTF-8 on one line",
		    name);
		return 0;
	}
	if (hub_groups_title(g, name) != NULL) {
		snprintf(err, len, "[group_names] %s is set twice", name);
		return 0;
	}
	if (g->n_titles == HUB_GROUPS_MAX) {
		snprintf(err, len, "[group_names]: more than %d groups",
		    HUB_GROUPS_MAX);
		return 0;
	}
	g->titles[g->n_titles].name  = strdup(name);
	g->titles[g->n_titles].title = strdup(value);
	if (g->titles[g->n_titles].name == NULL ||
	    g->titles[g->n_titles].title == NULL) {
		free(g->titles[g->n_titles].name);
		free(g->titles[g->n_titles].title);
		snprintf(err, len, "out of memory");
		return 0;
	}
	g->n_titles++;
	return 1;
}

const char *
hub_groups_title(const struct hub_groups *g, const char *name)
{
	for (size_t i = 0; name != NULL && i < g->n_titles; i++) {
		if (strcmp(g->titles[i].name, name) == 0) {
			return g->titles[i].title;
		}
	}
	return NULL;
}

int
hub_groups_ini(struct hub_groups *g, const struct tally_catalog *cat,
    const char *section, const char *name, const char *value, char *err,
    size_t len)
{
	if (strcmp(section, "groups") == 0) {
		return ini_group(g, cat, name, value, err, len);
	}
	if (strcmp(section, "standard") == 0) {
		return ini_standard(g, cat, name, value, err, len);
	}
	if (strcmp(section, "group_names") == 0) {
		return ini_title(g, name, value, err, len);
	}
	if (strcmp(section, "compare") == 0) {
		char why[200];

		if (compare_put(g, name, value, false, why, sizeof(why)) !=
		    TALLY_OK) {
			snprintf(err, len, "[compare] %s", why);
			return 0;
		}
		return 1;
	}
	return -1;
}

int
hub_groups_resolve(const struct hub_groups *g, const struct tally_catalog *cat,
    const char *name, struct tally_group *out, char *err, size_t len)
{
	struct tally_errbuf eb      = { "" };
	const char         *members = g->cli_members;

	for (size_t i = 0; members == NULL && i < g->n_defs; i++) {
		if (strcmp(g->defs[i].name, name) == 0) {
			members = g->defs[i].members;
		}
	}
	if (members == NULL) {
		snprintf(err, len,
		    "group %s has no members: give --members CODES or a "
		    "[groups] entry %s = CODES",
		    name, tally_group_name_valid(name) ? name : "NAME");
		return TALLY_EINVAL;
	}
	if (tally_group_parse(cat, name, members, out, &eb) != TALLY_OK) {
		snprintf(err, len, "%s", eb.text);
		return TALLY_EINVAL;
	}
	return TALLY_OK;
}

bool
hub_groups_has_standards(const struct hub_groups *g)
{
	if (g->n_cli_standards > 0) {
		return true;
	}
	for (size_t k = 0; k < g->standards.n; k++) {
		if (g->standards.items[k].rule != TALLY_STANDARD_NONE) {
			return true;
		}
	}
	return false;
}

int
hub_groups_standards_text(struct hub_groups *g,
    const struct tally_catalog *cat, char **out, char *err, size_t len)
{
	struct tally_errbuf eb = { "" };

	if (g->standards.items == NULL &&
	    tally_standards_init(&g->standards, cat) != TALLY_OK) {
		snprintf(err, len, "out of memory");
		return TALLY_ENOMEM;
	}
	for (size_t i = 0; i < g->n_cli_standards; i++) {
		char *eq = strchr(g->cli_standards[i], '=');
		char  id[128];

		if (eq == NULL ||
		    (size_t) (eq - g->cli_standards[i]) >= sizeof(id)) {
			snprintf(err, len,
			    "--standard: '%s' is not ID=strictest or "
			    "ID=NUMBER",
			    g->cli_standards[i]);
			return TALLY_EINVAL;
		}
		memcpy(id, g->cli_standards[i],
		    (size_t) (eq - g->cli_standards[i]));
		id[eq - g->cli_standards[i]] = '\0';
		if (tally_standards_set(&g->standards, cat, id, eq + 1, &eb) !=
		    TALLY_OK) {
			snprintf(err, len, "--standard: %s", eb.text);
			return TALLY_EINVAL;
		}
	}
	if (tally_standards_text(&g->standards, cat, out) != TALLY_OK) {
		snprintf(err, len, "out of memory");
		return TALLY_ENOMEM;
	}
	return TALLY_OK;
}

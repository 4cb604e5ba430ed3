/*
 * The maintenance commands of maint.h. check-config reads the file with
 * its line numbers (inifile.h) and reports every problem it finds, each
 * as FILE:LINE, the way a person fixes them: all at once.
 */
#include "maint.h"

#include "admin.h"
#include "admit.h"
#include "catalog.h"
#include "cli.h"
#include "errors.h"
#include "groupconf.h"
#include "inifile.h"
#include "sign.h"
#include "storeinfo.h"
#include "text.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

struct check {
	struct tally_catalog *cat;
	struct tally_inifile *ini;
	struct hub_groups     groups;
	size_t                bad;
};

/* The [hub] entry of name, or NULL. */
static const struct tally_ini_entry *
hub_key(const struct check *c, const char *name)
{
	return tally_inifile_get(c->ini, "hub", name);
}

static void
problem(struct check *c, const struct tally_ini_entry *e, const char *msg)
{
	tally_inifile_complain(c->ini, e, "%s", msg);
	c->bad++;
}

/* A whole number in [lo, hi]. */
static bool
whole(const char *s, double lo, double hi)
{
	double d;

	return tally_parse_double(s, &d) == TALLY_OK && d >= lo && d <= hi &&
	    d == (int) d;
}

const char *const hub_maint_keys[HUB_MAINT_KEYS] = { "db", "region", "listen",
	"parent", "ready_file", "contexts", "http", "targets", "due_days",
	"group", "keys", "key", "tls_cert", "tls_key", "tls_ca",
	"tls_require_client", "parent_ca", "parent_cert", "parent_key",
	"parent_server_name", "max_clock_skew", "https_cert", "https_key",
	"session_idle", "login_delay" };

/* The keys of [hub]: known, given once. */
static void
check_hub_names(struct check *c)
{
	char err[256];

	for (size_t i = 0; i < c->ini->n; i++) {
		const struct tally_ini_entry *e     = &c->ini->entries[i];
		bool                          known = false;
		int                           taken;

		if (strcmp(e->section, "due") == 0) {
			const struct tally_indicator *ind =
			    tally_catalog_indicator(c->cat, e->name);
			if (ind == NULL) {
				problem(c, e, "unknown indicator");
			} else if (!whole(e->value, 0, 3660)) {
				problem(
				    c, e, "not a number of days (0..3660)");
			}
			continue;
		}
		err[0] = '\0';
		taken = hub_groups_ini(&c->groups, c->cat, e->section, e->name,
		    e->value, err, sizeof(err));
		if (taken == 0) {
			problem(c, e, err);
		}
		if (taken >= 0) {
			continue;
		}
		if (strcmp(e->section, "hub") != 0) {
			problem(c, e,
			    "unknown section (expected [hub], [due], "
			    "[groups], [standard] or [compare])");
			continue;
		}
		for (size_t k = 0; k < HUB_MAINT_KEYS; k++) {
			known =
			    known || strcmp(e->name, hub_maint_keys[k]) == 0;
		}
		if (!known) {
			problem(c, e, "unknown key");
		} else if (hub_key(c, e->name) != e) {
			problem(c, e, "given twice");
		}
	}
}

/* The database: there with the same region or group, or its directory
 * there to make it in. */
static void
check_db(struct check *c, const struct tally_ini_entry *db, const char *region,
    const char *group)
{
	struct tally_storeinfo info;
	struct tally_errbuf    eb = { "" };
	char                   dir[PATH_MAX], msg[PATH_MAX + 128];
	char                  *slash;
	int rv = tally_storeinfo_read(db->value, &info, &eb);

	if (rv == TALLY_ENOENT) {
		snprintf(dir, sizeof(dir), "%s", db->value);
		slash = strrchr(dir, '/');
		if (slash != NULL) {
			*slash = '\0';
		}
		if (slash != NULL && dir[0] != '\0' &&
		    access(dir, F_OK) != 0) {
			snprintf(msg, sizeof(msg),
			    "%s: its directory %s does not exist", db->value,
			    dir);
			problem(c, db, msg);
		}
		return;
	}
	if (rv != TALLY_OK) {
		problem(c, db, eb.text);
		return;
	}
	if (region != NULL && strcmp(info.region, region) != 0) {
		snprintf(msg, sizeof(msg), "%s holds region '%s%s', not %s",
		    db->value, info.region, info.group, region);
		problem(c, db, msg);
	}
	if (group != NULL && strcmp(info.group, group) != 0) {
		snprintf(msg, sizeof(msg), "%s holds '%s%s', not group %s",
		    db->value, info.region, info.group, group);
		problem(c, db, msg);
	}
}

/* region or group, and the URLs. */
static void
check_identity(struct check *c)
{
	const struct tally_ini_entry *region = hub_key(c, "region");
	const struct tally_ini_entry *group  = hub_key(c, "group");
	const struct tally_ini_entry *parent = hub_key(c, "parent");
	const struct tally_ini_entry *listen = hub_key(c, "listen");
	const struct tally_ini_entry *db     = hub_key(c, "db");
	const struct tally_division  *d      = NULL;
	struct tally_group            g;
	char                          err[256];

	if (db == NULL || listen == NULL ||
	    (region == NULL) == (group == NULL)) {
		fprintf(stderr,
		    "%s:1: [hub]: db, listen and one of region and group are "
		    "required\n",
		    c->ini->path);
		c->bad++;
	}
	if (region != NULL) {
		d = tally_catalog_division(c->cat, region->value);
		if (d == NULL) {
			problem(
			    c, region, "unknown region code (divisions.csv)");
		}
	}
	if (d != NULL && parent != NULL && d->parent == TALLY_NO_INDEX) {
		problem(
		    c, parent, "the region has no parent in divisions.csv");
	}
	if (group != NULL &&
	    hub_groups_resolve(&c->groups, c->cat, group->value, &g, err,
	        sizeof(err)) != TALLY_OK) {
		problem(c, group, err);
	}
	if (listen != NULL && !tally_inifile_url(c->ini, listen, NULL)) {
		c->bad++;
	}
	if (parent != NULL && !tally_inifile_url(c->ini, parent, NULL)) {
		c->bad++;
	}
	for (size_t i = 0; i < c->ini->n; i++) {
		const struct tally_ini_entry *e = &c->ini->entries[i];

		if (strcmp(e->section, "compare") == 0 &&
		    !tally_inifile_url(c->ini, e, NULL)) {
			c->bad++;
		}
	}
	if (db != NULL) {
		check_db(c, db,
		    region != NULL && d != NULL ? region->value : NULL,
		    group != NULL ? group->value : NULL);
	}
}

/* keys, key, the TLS files (also the dashboard's), targets and the
 * numbers: there and valid. */
static void
check_files(struct check *c)
{
	static const char *tls[] = { "tls_cert", "tls_key", "tls_ca",
		"parent_ca", "parent_cert", "parent_key", "https_cert",
		"https_key" };
	const struct tally_ini_entry *e;
	struct tally_errbuf           eb = { "" };
	long long                     skew;

	e = hub_key(c, "keys");
	if (e != NULL) {
		struct tally_keyring *kr = NULL;

		if (tally_keyring_load(e->value, c->cat, &kr, &eb) !=
		    TALLY_OK) {
			problem(c, e, eb.text);
		}
		tally_keyring_free(kr);
	}
	e = hub_key(c, "key");
	if (e != NULL) {
		struct tally_signer *s = NULL;

		if (tally_signer_load(e->value, &s, &eb) != TALLY_OK) {
			problem(c, e, eb.text);
		}
		tally_signer_free(s);
	}
	for (size_t i = 0; i < sizeof(tls) / sizeof(tls[0]); i++) {
		e = hub_key(c, tls[i]);
		if (e != NULL && !tally_inifile_readable(c->ini, e)) {
			c->bad++;
		}
	}
	e = hub_key(c, "tls_require_client");
	if (e != NULL && strcmp(e->value, "yes") != 0 &&
	    strcmp(e->value, "no") != 0) {
		problem(c, e, "yes or no");
	}
	e = hub_key(c, "targets");
	if (e != NULL &&
	    tally_target_add_file(c->cat, e->value, &eb) != TALLY_OK) {
		problem(c, e, eb.text);
	}
	e = hub_key(c, "session_idle");
	if (e != NULL && !whole(e->value, 1, 86400)) {
		problem(c, e, "not a number of seconds (1..86400)");
	}
	e = hub_key(c, "login_delay");
	if (e != NULL && !whole(e->value, 1, 900)) {
		problem(c, e, "not a number of seconds (1..900)");
	}
	if ((hub_key(c, "https_cert") == NULL) !=
	    (hub_key(c, "https_key") == NULL)) {
		e = hub_key(c, "https_cert") != NULL ? hub_key(c, "https_cert")
		                                     : hub_key(c, "https_key");
		problem(c, e, "https_cert and https_key go together");
	}
	e = hub_key(c, "due_days");
	if (e != NULL && !whole(e->value, 0, 3660)) {
		problem(c, e, "not a number of days (0..3660)");
	}
	e = hub_key(c, "contexts");
	if (e != NULL && !whole(e->value, 1, 1024)) {
		problem(c, e, "not a number of contexts (1..1024)");
	}
	e = hub_key(c, "max_clock_skew");
	if (e != NULL &&
	    tally_parse_duration(e->value, TALLY_ADMIT_SKEW_MAX_S, &skew) !=
	        TALLY_OK) {
		problem(c, e,
		    "not a duration: seconds or a number with s, m, h or d "
		    "(at most 3660d)");
	}
}

static int
check_config(const char *prog, const char *path)
{
	struct check        c;
	struct tally_errbuf eb = { "" };
	int                 ex, rv;

	if (path == NULL) {
		return tally_cli_usage(
		    prog, "check-config", "-c FILE is required");
	}
	memset(&c, 0, sizeof(c));
	hub_groups_init(&c.groups);
	ex = tally_cli_load_catalog(prog, &c.cat);
	if (ex != EX_OK) {
		goto done;
	}
	rv = tally_inifile_load(path, &c.ini, &eb);
	if (rv != TALLY_OK) {
		fprintf(stderr, "%s\n", eb.text);
		ex = rv == TALLY_ECONFIG ? EX_CONFIG : EX_NOINPUT;
		goto done;
	}
	check_hub_names(&c);
	check_identity(&c);
	check_files(&c);
	if (c.bad > 0) {
		ex = tally_cli_complain(prog, EX_CONFIG,
		    "check-config: %s: %zu problem%s", path, c.bad,
		    c.bad == 1 ? "" : "s");
	} else {
		printf("%s: good\n", path);
	}
done:
	tally_inifile_free(c.ini);
	hub_groups_fini(&c.groups);
	tally_catalog_free(c.cat);
	return ex;
}

static int
restore(const char *prog, const struct hub_maint_args *m)
{
	struct tally_catalog *cat = NULL;
	int                   ex  = tally_cli_load_catalog(prog, &cat);

	if (ex == EX_OK) {
		ex = tally_admin_restore(
		    prog, cat, TALLY_ADMIN_HUB, m->db, m->from);
	}
	tally_catalog_free(cat);
	return ex;
}

int
hub_maint_command(
    const char *prog, const char *cmd, const struct hub_maint_args *m)
{
	if (strcmp(cmd, "check-config") == 0) {
		return check_config(prog, m->config);
	}
	if (strcmp(cmd, "backup") == 0) {
		return tally_admin_backup(prog, m->db, m->out);
	}
	if (strcmp(cmd, "restore") == 0) {
		return restore(prog, m);
	}
	return -1;
}

/*
 * The node's INI file (config.h). Loading checks the file's form (known
 * keys, one section); check-config checks what the values name as well,
 * and reports every problem at once, each on its own line.
 */
#include "config.h"

#include "catalog.h"
#include "cli.h"
#include "errors.h"
#include "sign.h"
#include "storeinfo.h"
#include "text.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

/* The keys of [node] that take one value, and where each goes. */
static const char **
single_slot(struct node_config *cfg, const char *name)
{
	static const char *names[] = { "db", "timeout_ms", "key", "tls_ca",
		"tls_cert", "tls_key", "tls_server_name", "due_days" };
	const char       **slots[] = { &cfg->db, &cfg->timeout_ms, &cfg->key,
		      &cfg->tls_ca, &cfg->tls_cert, &cfg->tls_key,
		      &cfg->tls_server_name, &cfg->due_days };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			return slots[i];
		}
	}
	return NULL;
}

/* One entry of the file; false (complained) when it is wrong. */
static bool
take_entry(struct node_config *cfg, const struct tally_ini_entry *e)
{
	const struct tally_inifile *f = cfg->ini;
	const char                **slot;

	if (strcmp(e->section, "due") == 0) {
		/* An indicator's own due days: checked against the
		 * catalogue by node_config_due. */
		return true;
	}
	if (strcmp(e->section, "node") != 0) {
		tally_inifile_complain(f, e,
		    "unknown section (a node's file has [node] and [due])");
		return false;
	}
	if (strcmp(e->name, "hub") == 0) {
		if (cfg->n_hubs == NODE_CONFIG_HUBS_MAX) {
			tally_inifile_complain(
			    f, e, "more than %d hubs", NODE_CONFIG_HUBS_MAX);
			return false;
		}
		cfg->hubs[cfg->n_hubs++] = e->value;
		return true;
	}
	slot = single_slot(cfg, e->name);
	if (slot == NULL) {
		tally_inifile_complain(f, e,
		    "unknown key (expected db, hub, timeout_ms, key, tls_ca, "
		    "tls_cert, tls_key, tls_server_name or due_days)");
		return false;
	}
	if (*slot != NULL) {
		tally_inifile_complain(f, e, "given twice");
		return false;
	}
	*slot = e->value;
	return true;
}

/* Reads path into cfg and counts in *bad what is wrong with its form.
 * The caller frees cfg with node_config_fini unless this fails. */
static int
config_read(
    const char *prog, const char *path, struct node_config *cfg, size_t *bad)
{
	struct tally_errbuf eb = { "" };
	int                 rv;

	memset(cfg, 0, sizeof(*cfg));
	*bad = 0;
	rv   = tally_inifile_load(path, &cfg->ini, &eb);
	if (rv == TALLY_ENOENT || rv == TALLY_EIO) {
		return tally_cli_complain(prog, EX_NOINPUT, "%s", eb.text);
	}
	if (rv != TALLY_OK) {
		fprintf(stderr, "%s\n", eb.text);
		return EX_CONFIG;
	}
	for (size_t i = 0; i < cfg->ini->n; i++) {
		if (!take_entry(cfg, &cfg->ini->entries[i])) {
			(*bad)++;
		}
	}
	if (cfg->db == NULL) {
		fprintf(stderr, "%s:1: [node] db: missing\n", path);
		(*bad)++;
	}
	return EX_OK;
}

int
node_config_load(const char *prog, const char *path, struct node_config *cfg)
{
	size_t bad;
	int    ex = config_read(prog, path, cfg, &bad);

	if (ex == EX_OK && bad > 0) {
		node_config_fini(cfg);
		ex = EX_CONFIG;
	}
	return ex;
}

void
node_config_fini(struct node_config *cfg)
{
	tally_inifile_free(cfg->ini);
	memset(cfg, 0, sizeof(*cfg));
}

/* A number of days of a due date: a whole number 0..3660 (ten years). */
static bool
parse_days(const char *text, int *out)
{
	double d;

	if (tally_parse_double(text, &d) != TALLY_OK || d < 0 || d > 3660 ||
	    d != (int) d) {
		return false;
	}
	*out = (int) d;
	return true;
}

/* The due dates of cfg into due; the number of bad lines, each
 * printed as file:line. */
static size_t
config_due(const struct node_config *cfg, const struct tally_catalog *cat,
    struct tally_due *due)
{
	size_t bad = 0;
	int    days;

	for (size_t i = 0; i < cfg->ini->n; i++) {
		const struct tally_ini_entry *e = &cfg->ini->entries[i];
		const struct tally_indicator *ind;

		if (strcmp(e->section, "node") == 0 &&
		    strcmp(e->name, "due_days") == 0) {
			if (!parse_days(e->value, &days)) {
				tally_inifile_complain(cfg->ini, e,
				    "'%s' is not a number of days (0..3660)",
				    e->value);
				bad++;
			} else {
				due->default_days = days;
			}
			continue;
		}
		if (strcmp(e->section, "due") != 0) {
			continue;
		}
		ind = tally_catalog_indicator(cat, e->name);
		if (ind == NULL || !parse_days(e->value, &days) ||
		    tally_due_set(due, cat, ind, days) != TALLY_OK) {
			tally_inifile_complain(cfg->ini, e,
			    "not an indicator and a number of days "
			    "(0..3660)");
			bad++;
		}
	}
	return bad;
}

int
node_config_due(const char *prog, const struct node_config *cfg,
    const char *cli, const struct tally_catalog *cat, struct tally_due *due)
{
	int days;

	if (cfg != NULL && config_due(cfg, cat, due) > 0) {
		return EX_CONFIG;
	}
	if (cli != NULL) {
		if (!parse_days(cli, &days)) {
			return tally_cli_complain(prog, EX_USAGE,
			    "--due-days: '%s' is not a number of days "
			    "(0..3660)",
			    cli);
		}
		due->default_days = days;
	}
	return EX_OK;
}

/* The entry that set a value, for its line. */
static const struct tally_ini_entry *
entry_of(const struct node_config *cfg, const char *value)
{
	for (size_t i = 0; i < cfg->ini->n; i++) {
		if (cfg->ini->entries[i].value == value) {
			return &cfg->ini->entries[i];
		}
	}
	return &cfg->ini->entries[0];
}

/* The store: there, a Tally store of a schema this node reads, of a
 * region in the catalogue. Its region in *region ("" when unknown). */
static size_t
check_store(const struct node_config *cfg, const struct tally_catalog *cat,
    char *region, size_t len)
{
	const struct tally_ini_entry *e  = entry_of(cfg, cfg->db);
	struct tally_errbuf           eb = { "" };
	struct tally_storeinfo        info;
	int                           rv;

	rv = tally_storeinfo_read(cfg->db, &info, &eb);
	if (rv == TALLY_ENOENT) {
		tally_inifile_complain(cfg->ini, e,
		    "%s: no store: create it with `tally-node init --db %s "
		    "--region CODE`",
		    cfg->db, cfg->db);
		return 1;
	}
	if (rv != TALLY_OK) {
		tally_inifile_complain(cfg->ini, e, "%s", eb.text);
		return 1;
	}
	if (info.region[0] == '\0' ||
	    tally_catalog_division(cat, info.region) == NULL) {
		tally_inifile_complain(cfg->ini, e,
		    "%s: the store's region '%s' is not in divisions.csv",
		    cfg->db, info.region);
		return 1;
	}
	snprintf(region, len, "%s", info.region);
	return 0;
}

/* Each hub: a URL, or CODE=URL with CODE a parent the region ever has. */
static size_t
check_hubs(const struct node_config *cfg, const struct tally_catalog *cat,
    const char *region)
{
	size_t bad = 0;

	if (cfg->n_hubs == 0) {
		fprintf(stderr, "%s:1: [node] hub: missing\n", cfg->ini->path);
		return 1;
	}
	for (size_t i = 0; i < cfg->n_hubs; i++) {
		const struct tally_ini_entry *e  = entry_of(cfg, cfg->hubs[i]);
		const char                   *eq = strchr(cfg->hubs[i], '=');
		const char                   *url     = cfg->hubs[i];
		char                          code[8] = "";

		if (eq != NULL && eq - cfg->hubs[i] == 6) {
			memcpy(code, cfg->hubs[i], 6);
			code[6] = '\0';
			url     = eq + 1;
		}
		if (code[0] != '\0' && region[0] != '\0' &&
		    !tally_catalog_is_child_ever(cat, code, region)) {
			tally_inifile_complain(cfg->ini, e,
			    "region %s is never a child of %s "
			    "(divisions.csv, division_changes.csv)",
			    region, code);
			bad++;
		}
		if (!tally_inifile_url(cfg->ini, e, url)) {
			bad++;
		}
	}
	return bad;
}

/* The key and the TLS files: readable, the key a valid private key. */
static size_t
check_files(const struct node_config *cfg)
{
	const char *files[] = { cfg->tls_ca, cfg->tls_cert, cfg->tls_key };
	size_t      bad     = 0;

	if (cfg->key != NULL) {
		struct tally_signer *s  = NULL;
		struct tally_errbuf  eb = { "" };

		if (tally_signer_load(cfg->key, &s, &eb) != TALLY_OK) {
			tally_inifile_complain(
			    cfg->ini, entry_of(cfg, cfg->key), "%s", eb.text);
			bad++;
		}
		tally_signer_free(s);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (files[i] != NULL &&
		    !tally_inifile_readable(
		        cfg->ini, entry_of(cfg, files[i]))) {
			bad++;
		}
	}
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
		tally_inifile_complain(cfg->ini,
		    entry_of(cfg,
		        cfg->tls_cert != NULL ? cfg->tls_cert : cfg->tls_key),
		    "tls_cert and tls_key go together");
		bad++;
	}
	if (cfg->timeout_ms != NULL) {
		double d;

		if (tally_parse_double(cfg->timeout_ms, &d) != TALLY_OK ||
		    d < 1 || d > 3600000 || d != (int) d) {
			tally_inifile_complain(cfg->ini,
			    entry_of(cfg, cfg->timeout_ms),
			    "'%s' is not a number of milliseconds "
			    "(1..3600000)",
			    cfg->timeout_ms);
			bad++;
		}
	}
	return bad;
}

/* The due dates: each bad line a problem. */
static size_t
check_due(const struct node_config *cfg, const struct tally_catalog *cat)
{
	struct tally_due due;
	size_t           bad;

	tally_due_init(&due);
	bad = config_due(cfg, cat, &due);
	tally_due_fini(&due);
	return bad;
}

int
node_check_config(const char *prog, const char *path)
{
	struct tally_catalog *cat = NULL;
	struct node_config    cfg;
	char                  region[TALLY_STOREINFO_TEXT];
	size_t                bad;
	int                   ex;

	if (path == NULL) {
		return tally_cli_usage(
		    prog, "check-config", "-c FILE is required");
	}
	ex = tally_cli_load_catalog(prog, &cat);
	if (ex != EX_OK) {
		return ex;
	}
	ex = config_read(prog, path, &cfg, &bad);
	if (ex != EX_OK) {
		tally_catalog_free(cat);
		return ex;
	}
	region[0] = '\0';
	if (cfg.db != NULL) {
		bad += check_store(&cfg, cat, region, sizeof(region));
	}
	bad += check_hubs(&cfg, cat, region);
	bad += check_files(&cfg);
	bad += check_due(&cfg, cat);
	node_config_fini(&cfg);
	tally_catalog_free(cat);
	if (bad > 0) {
		return tally_cli_complain(prog, EX_CONFIG,
		    "check-config: %s: %zu problem%s", path, bad,
		    bad == 1 ? "" : "s");
	}
	printf("%s: good\n", path);
	return EX_OK;
}

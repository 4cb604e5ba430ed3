/*
 * tally-hub: merges its children's partial states into its region's rollup
 * and forwards that rollup to its own parent. `run` serves; `report` reads
 * a hub's database and prints what it holds.
 */
#include "admit.h"
#include "asof.h"
#include "approve.h"
#include "audit.h"
#include "brief.h"
#include "catalog.h"
#include "cli.h"
#include "clock.h"
#include "compare.h"
#include "errors.h"
#include "groupconf.h"
#include "log.h"
#include "maint.h"
#include "repair.h"
#include "report.h"
#include "server.h"
#include "sign.h"
#include "store.h"
#include "text.h"
#include "user.h"
#include "webopts.h"
#include "xlsx.h"
#include "accesslog.h"

#include <getopt.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#ifndef TALLY_VERSION
#define TALLY_VERSION "0.0.0"
#endif

static const char *prog = "tally-hub";

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: %s COMMAND [OPTIONS]\n"
	    "\n"
	    "Commands:\n"
	    "  run    --db FILE --region CODE --listen URL [--parent URL]\n"
	    "         [--ready-file FILE] [--contexts N] [--http ADDR:PORT]\n"
	    "         or   run -c FILE\n"
	    "         Serve the region's children and forward the region's\n"
	    "         rollup to the parent hub. Creates the database if\n"
	    "         there is none; refuses one of another region. Stops\n"
	    "         cleanly on SIGINT or SIGTERM. With --http, also serve\n"
	    "         the read-only dashboard and its JSON API on ADDR:PORT\n"
	    "         (127.0.0.1:8080; a bare :PORT or PORT is loopback;\n"
	    "         port 0 picks a free port, and the dashboard's URL is\n"
	    "         the ready file's second line).\n"
	    "  report --db FILE --period P [--region CODE] [--indicator ID]\n"
	    "         [--depth N] [--only-targets] [--format table|json|csv]\n"
	    "         Print what the hub's database holds for P: the region\n"
	    "         (the hub's, or one below it) and N levels below it\n"
	    "         (default 1), with targets, due dates, and the\n"
	    "         children that are missing or late. --only-targets:\n"
	    "         only the indicators with a target. Reads [hub] db,\n"
	    "         targets and [due] from -c FILE too.\n"
	    "  report ... --approved: each region as approved (approval.md)\n"
	    "  report ... --as-of TIME\n"
	    "         The figures as the hub held them at TIME: YYYY-MM-DD\n"
	    "         (the end of that day) or YYYY-MM-DDTHH:MM[:SS], in\n"
	    "         China Standard Time unless it ends in Z or +HH:MM.\n"
	    "  repair --db FILE --region CODE [--indicator ID] [--period P]\n"
	    "         [--max-clock-skew D]\n"
	    "         Drop the states held for the region whose version is\n"
	    "         more than D (default 1d) ahead of this clock, record\n"
	    "         it in the audit trail and give the database a new\n"
	    "         instance id, so that the child's honest states land.\n"
	    "  prune-history --db FILE --before TIME\n"
	    "         Forget the versions replaced before TIME: --as-of\n"
	    "         TIME and later still shows the same figures.\n"
	    "  report --explain --indicator ID --period P [--region CODE]\n"
	    "         Each child's value, sums, share of the pooled\n"
	    "         denominator and how far it pulls the total up or down.\n"
	    "  report ... --format xlsx --out FILE\n"
	    "         The report as an Excel workbook: figures, targets and\n"
	    "         the chase list, names in Chinese and English, numbers\n"
	    "         as numbers. --bom: a UTF-8 byte order mark before\n"
	    "         --format csv, for Excel on Chinese Windows.\n"
	    "  brief  --db FILE --period P [--region CODE] --out FILE.pdf\n"
	    "         A briefing of at most two A4 pages in Chinese: the\n"
	    "         headline counts, each off-track indicator with what\n"
	    "         drags it, and the children to chase.\n"
	    "  run    --db FILE --group NAME --members CODE,CODE,...\n"
	    "         --listen URL [--standard ID=strictest|NUMBER ...]\n"
	    "         Serve a comparison hub for a region group: it takes\n"
	    "         each member's own figures and forwards nothing.\n"
	    "         [hub] group, [groups] NAME = CODES and [standard]\n"
	    "         ID = RULE in -c FILE.\n"
	    "  compare --db FILE [--period P] [--latest] [--group NAME]\n"
	    "         [--indicator ID] [--format table|json|csv]\n"
	    "         The members side by side for P: values, sums,\n"
	    "         reporting, own targets, rank, gap to the best, the\n"
	    "         pooled figure and the common standard. --latest: each\n"
	    "         member at its own target year where it has one, else\n"
	    "         at P (or at the newest year held when P is not given).\n"
	    "\n"
	    "A region's hub also reports its own figures to comparison hubs\n"
	    "with --compare NAME=URL (repeatable) or a [compare] section of\n"
	    "NAME = URL.\n"
	    "\n"
	    "  check-config -c FILE\n"
	    "         Check the INI file and all it names (database,\n"
	    "         region, URLs, keys, TLS files, targets, due dates);\n"
	    "         each problem as FILE:LINE. Exit 78 if any.\n"
	    "  backup --db FILE --out FILE\n"
	    "         A consistent copy of the database, also while the\n"
	    "         hub runs; never overwrites FILE.\n"
	    "  restore --db FILE --from BACKUP\n"
	    "         With the hub stopped: put BACKUP back as FILE (the\n"
	    "         old one kept as FILE.pre-restore) under a new\n"
	    "         instance id, so that every child sends all again.\n"
	    "\n"
	    "A running hub re-reads its keys file, targets and due dates\n"
	    "on SIGHUP (systemctl reload), keeping every connection.\n"
	    "\n"
	    "Targets and due dates (run and report):\n"
	    "  --targets FILE     add a deployment's targets (targets.csv\n"
	    "                     columns) to configs/targets.csv\n"
	    "  --due-days N       figures are due N days after the period\n"
	    "                     ends (default 15); per indicator: [due]\n"
	    "                     section of the INI file\n"
	    "\n"
	    "  audit  --db FILE [--region CODE] [--period P]\n"
	    "         [--format table|json|csv]\n"
	    "         Who submitted what, when, and what it replaced: the\n"
	    "         append-only audit trail of accepted envelopes.\n"
	    "         --region: that region's states and what it sent.\n"
	    "  audit  --db FILE --access [--name NAME]\n"
	    "         [--format table|json|csv]\n"
	    "         The web pages' access log: logins, failed logins,\n"
	    "         logouts, refusals and downloads, with the account and\n"
	    "         the address.\n"
	    "  audit  --db FILE --verify [--keys FILE]\n"
	    "         Check the whole trail offline: every signature, every\n"
	    "         audited state against its signed body, the chain of\n"
	    "         the rows, every held figure against the trail (and\n"
	    "         with --keys, that each key is authorised for its\n"
	    "         sender). Exit 65 when a problem is found.\n"
	    "\n"
	    "  approve|unapprove|approvals: sign off a child's figures\n"
	    "         (docs/approval.md; see `tally-hub approve --help`).\n"
	    "\n"
	    "Accounts of the web pages (docs/accounts.md):\n"
	    "  user add --db FILE --name NAME --region CODE\n"
	    "         --role viewer|operator|approver [--password-file F]\n"
	    "         The password is read from F or standard input, never\n"
	    "         from the command line. Once an account exists, every\n"
	    "         page and answer needs a login.\n"
	    "  user list --db FILE [--format table|json]\n"
	    "  user disable|enable --db FILE --name NAME\n"
	    "  user passwd --db FILE --name NAME [--password-file F]\n"
	    "         Disabling or a new password ends the account's\n"
	    "         sessions at once.\n"
	    "  --https-cert FILE --https-key FILE\n"
	    "                     serve the dashboard over HTTPS (run)\n"
	    "  --session-idle S   end sessions after S seconds without a\n"
	    "                     request (default 900)\n"
	    "  --login-delay S    the first wait after a failed login,\n"
	    "                     doubling with each failure (default 1)\n"
	    "\n"
	    "Security (run; docs/security.md):\n"
	    "  --keys FILE        region,public_key lines: the keys allowed\n"
	    "                     to sign for each child; without it the\n"
	    "                     hub runs in open mode (a warning)\n"
	    "  --key FILE         the hub's own private key (tally-node\n"
	    "                     keygen): signs what it forwards\n"
	    "  --tls-cert FILE --tls-key FILE [--tls-ca FILE\n"
	    "  --tls-require-client]\n"
	    "                     serve tls+tcp:// with this certificate;\n"
	    "                     require children's certificates of the CA\n"
	    "  --max-clock-skew D refuse states whose version is more than\n"
	    "                     D ahead of this clock: seconds, or with\n"
	    "                     s, m, h or d (default 1d)\n"
	    "  --parent-ca FILE [--parent-cert FILE --parent-key FILE]\n"
	    "  [--parent-server-name NAME]\n"
	    "                     check a tls+tcp:// parent or comparison\n"
	    "                     hub against the CA; present a certificate\n"
	    "\n"
	    "URLs are NNG URLs: tcp://127.0.0.1:7001 (port 0 picks a free\n"
	    "port, written to --ready-file), ipc:///path/to/socket,\n"
	    "tls+tcp://host:port.\n"
	    "\n"
	    "Options:\n"
	    "  -c, --config FILE  read run settings from an INI file\n"
	    "  -h, --help         show this help\n"
	    "  -V, --version      show the version\n"
	    "  -q, --quiet        log errors only (no warnings, not even\n"
	    "                     the open-mode one of report, compare\n"
	    "                     and audit)\n"
	    "  -v, --verbose      log debugging detail\n",
	    prog);
}

struct hub_args {
	const char *config;
	const char *db;
	const char *region;
	const char *listen;
	const char *parent;
	const char *ready_file;
	const char *contexts;
	const char *http;
	const char *period;
	const char *indicator;
	const char *depth;
	const char *format;
	const char *targets;
	const char *due_days;
	const char *as_of;
	const char *before;
	/* report --out, backup --out; restore --from (maint.h). */
	const char *out;
	const char *from;
	bool        bom;
	/* --targets and --due-days as given, over the file's on a reload. */
	const char *targets_cli;
	const char *due_days_cli;
	bool        explain;
	bool        only_targets;
	/* Comparison: --group, --latest and the settings of groupconf.h. */
	const char       *group;
	bool              latest;
	struct hub_groups groups;
	/* Loaded before the INI file, so that its [due] keys are checked
	 * against the catalogue. */
	struct tally_catalog *cat;
	struct tally_due      due;
	/* Security: keys, the hub's own key, TLS (docs/security.md). */
	const char *keys;
	const char *key;
	const char *tls_cert;
	const char *tls_key;
	const char *tls_ca;
	const char *tls_require_client; /* yes or no */
	const char *parent_ca;
	const char *parent_cert;
	const char *parent_key;
	const char *parent_server_name;
	bool        verify;
	/* The web pages' accounts (user.h) and TLS, sessions, logins. */
	const char *user_sub;
	const char *name;
	const char *role;
	const char *password_file;
	const char *https_cert;
	const char *https_key;
	const char *session_idle;
	const char *login_delay;
	bool        access;
	bool        approved; /* report --approved */
	/* How far ahead of the clock a version may be (run, repair). */
	const char           *max_clock_skew;
	struct tally_keyring *keyring; /* loaded, freed at exit */
	struct tally_signer  *signer;  /* loaded, freed at exit */
	/* Strings read from the INI file, freed at exit. */
	char *owned[32];
	int   nowned;
	char  ini_error[256];
};

enum {
	OPT_DB = 256,
	OPT_REGION,
	OPT_LISTEN,
	OPT_PARENT,
	OPT_READY,
	OPT_CONTEXTS,
	OPT_HTTP,
	OPT_PERIOD,
	OPT_INDICATOR,
	OPT_DEPTH,
	OPT_FORMAT,
	OPT_TARGETS,
	OPT_DUE_DAYS,
	OPT_EXPLAIN,
	OPT_ONLY_TARGETS,
	OPT_GROUP,
	OPT_MEMBERS,
	OPT_COMPARE,
	OPT_STANDARD,
	OPT_LATEST,
	OPT_KEYS,
	OPT_KEY,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_TLS_CA,
	OPT_TLS_REQUIRE_CLIENT,
	OPT_PARENT_CA,
	OPT_PARENT_CERT,
	OPT_PARENT_KEY,
	OPT_PARENT_SERVER_NAME,
	OPT_VERIFY,
	OPT_AS_OF,
	OPT_APPROVED,
	OPT_BEFORE,
	OPT_MAX_CLOCK_SKEW,
	OPT_OUT,
	OPT_BOM,
	OPT_FROM,
	OPT_NAME,
	OPT_ROLE,
	OPT_PASSWORD_FILE,
	OPT_HTTPS_CERT,
	OPT_HTTPS_KEY,
	OPT_SESSION_IDLE,
	OPT_LOGIN_DELAY,
	OPT_ACCESS,
};

static const struct option long_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "config", required_argument, NULL, 'c' },
	{ "db", required_argument, NULL, OPT_DB },
	{ "region", required_argument, NULL, OPT_REGION },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "parent", required_argument, NULL, OPT_PARENT },
	{ "ready-file", required_argument, NULL, OPT_READY },
	{ "contexts", required_argument, NULL, OPT_CONTEXTS },
	{ "http", required_argument, NULL, OPT_HTTP },
	{ "period", required_argument, NULL, OPT_PERIOD },
	{ "indicator", required_argument, NULL, OPT_INDICATOR },
	{ "depth", required_argument, NULL, OPT_DEPTH },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "targets", required_argument, NULL, OPT_TARGETS },
	{ "due-days", required_argument, NULL, OPT_DUE_DAYS },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "only-targets", no_argument, NULL, OPT_ONLY_TARGETS },
	{ "as-of", required_argument, NULL, OPT_AS_OF },
	{ "approved", no_argument, NULL, OPT_APPROVED },
	{ "before", required_argument, NULL, OPT_BEFORE },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "bom", no_argument, NULL, OPT_BOM },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "members", required_argument, NULL, OPT_MEMBERS },
	{ "compare", required_argument, NULL, OPT_COMPARE },
	{ "standard", required_argument, NULL, OPT_STANDARD },
	{ "latest", no_argument, NULL, OPT_LATEST },
	{ "keys", required_argument, NULL, OPT_KEYS },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "tls-ca", required_argument, NULL, OPT_TLS_CA },
	{ "tls-require-client", no_argument, NULL, OPT_TLS_REQUIRE_CLIENT },
	{ "parent-ca", required_argument, NULL, OPT_PARENT_CA },
	{ "parent-cert", required_argument, NULL, OPT_PARENT_CERT },
	{ "parent-key", required_argument, NULL, OPT_PARENT_KEY },
	{ "parent-server-name", required_argument, NULL,
	    OPT_PARENT_SERVER_NAME },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "max-clock-skew", required_argument, NULL, OPT_MAX_CLOCK_SKEW },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "role", required_argument, NULL, OPT_ROLE },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "https-cert", required_argument, NULL, OPT_HTTPS_CERT },
	{ "https-key", required_argument, NULL, OPT_HTTPS_KEY },
	{ "session-idle", required_argument, NULL, OPT_SESSION_IDLE },
	{ "login-delay", required_argument, NULL, OPT_LOGIN_DELAY },
	{ "access", no_argument, NULL, OPT_ACCESS },
	{ NULL, 0, NULL, 0 },
};

#define complain(...) tally_cli_complain(prog, __VA_ARGS__)

#define usage_error(cmd, msg) tally_cli_usage(prog, cmd, msg)

/* Parses a number of days (0..3660) for a due date. */
static int
parse_days(const char *s, int *out)
{
	double d;

	if (tally_parse_double(s, &d) != TALLY_OK || d < 0 || d > 3660 ||
	    d != (int) d) {
		return TALLY_EINVAL;
	}
	*out = (int) d;
	return TALLY_OK;
}

/* Parses max_clock_skew (text.h), from 0 to ten years; the default is
 * one day. */
static int
parse_skew(const char *s, int64_t *out)
{
	long long v;

	if (s == NULL) {
		*out = TALLY_ADMIT_SKEW_DEFAULT_S;
		return TALLY_OK;
	}
	if (tally_parse_duration(s, TALLY_ADMIT_SKEW_MAX_S, &v) != TALLY_OK) {
		return TALLY_EINVAL;
	}
	*out = (int64_t) v;
	return TALLY_OK;
}

/* The skew of run and repair, or a usage error. */
static int
load_skew(struct hub_args *a, const char *cmd, int64_t *out)
{
	if (parse_skew(a->max_clock_skew, out) != TALLY_OK) {
		return complain(EX_USAGE,
		    "%s: --max-clock-skew: '%s' is not a duration: give "
		    "seconds or a number with s, m, h or d (at most 3660d)",
		    cmd, a->max_clock_skew);
	}
	return EX_OK;
}

/* A key of the [due] section: an indicator and its own due days. */
static int
due_ini_key(struct hub_args *a, const char *name, const char *value)
{
	const struct tally_indicator *ind;
	int                           days;

	ind = tally_catalog_indicator(a->cat, name);
	if (ind == NULL) {
		snprintf(a->ini_error, sizeof(a->ini_error),
		    "[due] %s: unknown indicator", name);
		return 0;
	}
	if (parse_days(value, &days) != TALLY_OK ||
	    tally_due_set(&a->due, a->cat, ind, days) != TALLY_OK) {
		snprintf(a->ini_error, sizeof(a->ini_error),
		    "[due] %s: '%s' is not a number of days (0..3660)", name,
		    value);
		return 0;
	}
	return 1;
}

/* inih handler: keys of the [hub] and [due] sections. Command-line options win
 * over the file, so a value already set is kept. Returns 0 on an unknown
 * section or key, which makes ini_parse report that line. */
static int
hub_ini_handler(
    void *arg, const char *section, const char *name, const char *value)
{
	struct hub_args *a = arg;
	/* In the order of hub_maint_keys. */
	const char **slots[HUB_MAINT_KEYS] = { &a->db, &a->region, &a->listen,
		&a->parent, &a->ready_file, &a->contexts, &a->http,
		&a->targets, &a->due_days, &a->group, &a->keys, &a->key,
		&a->tls_cert, &a->tls_key, &a->tls_ca, &a->tls_require_client,
		&a->parent_ca, &a->parent_cert, &a->parent_key,
		&a->parent_server_name, &a->max_clock_skew, &a->https_cert,
		&a->https_key, &a->session_idle, &a->login_delay };
	char        *copy;
	int          taken;

	if (strcmp(section, "due") == 0) {
		return due_ini_key(a, name, value);
	}
	taken = hub_groups_ini(&a->groups, a->cat, section, name, value,
	    a->ini_error, sizeof(a->ini_error));
	if (taken >= 0) {
		return taken;
	}
	if (strcmp(section, "hub") != 0) {
		snprintf(a->ini_error, sizeof(a->ini_error),
		    "unknown section [%s] (expected [hub], [due], [groups], "
		    "[standard] or [compare])",
		    section);
		return 0;
	}
	for (size_t i = 0; i < HUB_MAINT_KEYS; i++) {
		if (strcmp(name, hub_maint_keys[i]) != 0) {
			continue;
		}
		if (*slots[i] != NULL) {
			return 1;
		}
		if (a->nowned ==
		    (int) (sizeof(a->owned) / sizeof(a->owned[0]))) {
			snprintf(a->ini_error, sizeof(a->ini_error),
			    "too many settings");
			return 0;
		}
		copy = strdup(value);
		if (copy == NULL) {
			snprintf(a->ini_error, sizeof(a->ini_error),
			    "out of memory");
			return 0;
		}
		a->owned[a->nowned++] = copy;
		*slots[i]             = copy;
		return 1;
	}
	snprintf(a->ini_error, sizeof(a->ini_error), "unknown key '%s'", name);
	return 0;
}

static int
load_config(struct hub_args *a)
{
	int line = ini_parse(a->config, hub_ini_handler, a);

	if (line < 0) {
		(void) complain(0, "%s: cannot open", a->config);
		return EX_NOINPUT;
	}
	if (line > 0) {
		fprintf(stderr, "%s:%d: %s\n", a->config, line,
		    a->ini_error[0] ? a->ini_error : "syntax error");
		return EX_CONFIG;
	}
	return EX_OK;
}

/* Loads the catalogue, then the INI file and the settings that need the
 * catalogue: the deployment's targets and the due dates. The catalogue is
 * a->cat, freed by main. */
static int
load_settings(struct hub_args *a)
{
	struct tally_errbuf eb = { "" };
	int                 ex, days;

	ex = tally_cli_load_catalog(prog, &a->cat);
	if (ex != EX_OK) {
		return ex;
	}
	if (a->config != NULL) {
		ex = load_config(a);
		if (ex != EX_OK) {
			return ex;
		}
	}
	if (a->due_days != NULL) {
		if (parse_days(a->due_days, &days) != TALLY_OK) {
			return complain(EX_USAGE,
			    "--due-days: '%s' is not a number of days "
			    "(0..3660)",
			    a->due_days);
		}
		a->due.default_days = days;
	}
	if (a->targets != NULL &&
	    tally_target_add_file(a->cat, a->targets, &eb) != TALLY_OK) {
		return complain(EX_CONFIG, "%s", eb.text);
	}
	return EX_OK;
}

/* The comparison hubs a region's hub reports to (groupconf.h); the
 * comparison-hub settings are refused here. */
static int
compare_uplinks(struct hub_args *a, struct hub_config *cfg)
{
	if (a->groups.cli_members != NULL ||
	    hub_groups_has_standards(&a->groups)) {
		return usage_error("run",
		    "--members and standards are for a comparison hub "
		    "(--group)");
	}
	cfg->compare   = a->groups.compare;
	cfg->n_compare = a->groups.n_compare;
	return EX_OK;
}

/* `run --group`: a comparison hub, with no region and no parent. */
static int
run_group(struct hub_args *a, struct hub_config *cfg)
{
	struct tally_group g;
	char               err[256];
	char              *standards = NULL;
	int                rv;

	if (a->parent != NULL || a->groups.n_compare > 0) {
		return usage_error("run",
		    "a comparison hub has no parent: a group never adds "
		    "into any total (no --parent or --compare with --group)");
	}
	if (hub_groups_resolve(&a->groups, a->cat, a->group, &g, err,
	        sizeof(err)) != TALLY_OK) {
		return complain(EX_CONFIG, "run: %s", err);
	}
	rv = hub_groups_standards_text(
	    &a->groups, a->cat, &standards, err, sizeof(err));
	if (rv != TALLY_OK) {
		return complain(EX_CONFIG, "run: %s", err);
	}
	cfg->group       = &g;
	cfg->standards   = standards;
	cfg->group_title = hub_groups_title(&a->groups, a->group);
	tally_log_set_region(g.name);
	rv = hub_run(a->cat, cfg);
	free(standards);
	return tally_exit_code(rv);
}

/* The keys file, the hub's own key and the TLS options of `run`. */
static int
load_security(struct hub_args *a, struct hub_config *cfg)
{
	struct tally_errbuf eb  = { "" };
	const char         *req = a->tls_require_client;

	if (req != NULL && strcmp(req, "yes") != 0 && strcmp(req, "no") != 0) {
		return complain(EX_CONFIG,
		    "run: tls_require_client: '%s' is not yes or no", req);
	}
	if (a->keys != NULL &&
	    tally_keyring_load(a->keys, a->cat, &a->keyring, &eb) !=
	        TALLY_OK) {
		return complain(EX_CONFIG, "run: keys: %s", eb.text);
	}
	if (a->key != NULL &&
	    tally_signer_load(a->key, &a->signer, &eb) != TALLY_OK) {
		return complain(EX_CONFIG, "run: key: %s", eb.text);
	}
	cfg->keys                   = a->keyring;
	cfg->signer                 = a->signer;
	cfg->tls.cert               = a->tls_cert;
	cfg->tls.key                = a->tls_key;
	cfg->tls.ca                 = a->tls_ca;
	cfg->tls.require_client     = req != NULL && strcmp(req, "yes") == 0;
	cfg->uplink_tls.ca          = a->parent_ca;
	cfg->uplink_tls.cert        = a->parent_cert;
	cfg->uplink_tls.key         = a->parent_key;
	cfg->uplink_tls.server_name = a->parent_server_name;
	return EX_OK;
}

/* The dashboard's TLS, session and login settings (webopts.h). */
static int
load_web(struct hub_args *a, struct hub_config *cfg)
{
	struct hub_webopts_args w = { a->http, a->https_cert, a->https_key,
		a->session_idle, a->login_delay };

	return hub_webopts_load(prog, &w, &cfg->web);
}

/* `user add|list|disable|enable|passwd` (user.h). */
static int
cmd_user(struct hub_args *a)
{
	struct hub_user_args u;
	int                  ex = load_settings(a);

	if (ex != EX_OK) {
		return ex;
	}
	u.db            = a->db;
	u.name          = a->name;
	u.region        = a->region;
	u.role          = a->role;
	u.password_file = a->password_file;
	u.format        = a->format;
	return hub_user_command(prog, a->user_sub, a->cat, &u);
}

static int
cmd_run(struct hub_args *a)
{
	struct hub_reload_src reload;
	struct tally_catalog *cat;
	struct hub_config     cfg;
	int                   ex, rv;

	if (hub_groups_apply_cli(
	        &a->groups, a->ini_error, sizeof(a->ini_error)) != TALLY_OK) {
		return usage_error("run", a->ini_error);
	}
	ex = load_settings(a);
	if (ex != EX_OK) {
		return ex;
	}
	cat = a->cat;
	if (a->db == NULL || (a->region == NULL) == (a->group == NULL) ||
	    a->listen == NULL) {
		return usage_error("run",
		    "--db, --listen and one of --region and --group are "
		    "required");
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.db         = a->db;
	cfg.region     = a->region;
	cfg.listen     = a->listen;
	cfg.parent     = a->parent;
	cfg.ready_file = a->ready_file;
	cfg.http       = a->http;
	if (a->contexts != NULL) {
		long long n;

		if (tally_parse_whole(a->contexts, 1, 1024, &n) != TALLY_OK) {
			return usage_error(
			    "run", "--contexts must be 1..1024");
		}
		cfg.contexts = (int) n;
	}
	ex = load_web(a, &cfg);
	if (ex != EX_OK) {
		return ex;
	}
	cfg.due = &a->due;
	ex      = load_skew(a, "run", &cfg.max_clock_skew_s);
	if (ex != EX_OK) {
		return ex;
	}
	/* SIGHUP reads these again (reload.h). */
	reload.config   = a->config;
	reload.keys     = a->keys;
	reload.targets  = a->targets_cli;
	reload.due_days = a->due_days_cli;
	cfg.reload      = &reload;
	ex              = load_security(a, &cfg);
	if (ex != EX_OK) {
		return ex;
	}
	if (a->group != NULL) {
		return run_group(a, &cfg);
	}
	ex = compare_uplinks(a, &cfg);
	if (ex != EX_OK) {
		return ex;
	}
	tally_log_set_region(a->region);
	if (tally_catalog_division(cat, a->region) == NULL) {
		return complain(EX_DATAERR,
		    "run: --region: unknown region code '%s'", a->region);
	}
	rv = hub_run(cat, &cfg);
	return tally_exit_code(rv);
}

/* Every report of a hub that runs without keys says so: its figures
 * could have been sent by anyone who reached it. Unless asked for errors
 * only (-q): a script that runs many reports of one tree (the demos) says
 * it once itself instead of once per report, between the figures. */
static void
warn_open_mode(struct tally_store *st)
{
	bool open = false;

	if (tally_log_level < TALLY_LOG_WARN) {
		return;
	}
	if (tally_store_open_mode(st, &open) == TALLY_OK && open) {
		(void) complain(0,
		    "warning: this hub runs in OPEN MODE (no keys file): "
		    "unsigned submissions were accepted, so nothing proves "
		    "who sent these figures");
	}
}

/* `audit`: the audit trail, or with --verify its offline check. */
static int
cmd_audit(struct hub_args *a)
{
	struct tally_store   *st = NULL;
	struct tally_errbuf   eb = { "" };
	struct hub_audit_opts o;
	struct tally_period   p;
	size_t                problems = 0;
	int                   ex, rv;

	ex = load_settings(a);
	if (ex != EX_OK) {
		return ex;
	}
	if (a->db == NULL) {
		return usage_error("audit", "--db is required");
	}
	memset(&o, 0, sizeof(o));
	o.region = a->region;
	o.period = a->period;
	o.verify = a->verify;
	if (a->format != NULL &&
	    tally_format_parse(a->format, &o.format) != 0) {
		return usage_error(
		    "audit", "--format must be table, json or csv");
	}
	if (a->access &&
	    (a->verify || a->region != NULL || a->period != NULL)) {
		return usage_error("audit",
		    "--access shows the access log: no --verify, --region or "
		    "--period (--name keeps one account's lines)");
	}
	if (a->verify && (a->region != NULL || a->period != NULL)) {
		return usage_error("audit",
		    "--verify checks the whole trail: no --region or "
		    "--period");
	}
	if (a->verify && o.format == TALLY_FORMAT_CSV) {
		return usage_error("audit", "--verify prints a table or json");
	}
	if (!a->verify && a->keys != NULL) {
		return usage_error("audit", "--keys goes with --verify");
	}
	if (a->region != NULL && !tally_region_code_valid(a->region)) {
		return complain(EX_DATAERR,
		    "audit: --region: '%s' is not a region code", a->region);
	}
	if (a->period != NULL && tally_period_parse(a->period, &p) != 0) {
		return complain(EX_DATAERR,
		    "audit: --period: '%s' is not a valid period (YYYY, "
		    "YYYYQn or YYYY-MM)",
		    a->period);
	}
	if (a->keys != NULL &&
	    tally_keyring_load(a->keys, a->cat, &a->keyring, &eb) !=
	        TALLY_OK) {
		return complain(EX_CONFIG, "audit: --keys: %s", eb.text);
	}
	o.keys = a->keyring;
	rv     = tally_store_open(a->db, a->cat, &st, &eb);
	if (rv == TALLY_ECONFIG) {
		/* A comparison hub's database has a trail too. */
		rv = tally_store_open_group(a->db, a->cat, &st, &eb);
	}
	if (rv == TALLY_OK) {
		rv = tally_store_audit_ensure(st);
	}
	if (rv != TALLY_OK) {
		(void) complain(
		    0, "audit: %s", eb.text[0] ? eb.text : tally_strerror(rv));
		tally_store_close(st);
		return tally_exit_code(rv);
	}
	if (a->access) {
		rv = hub_accesslog_print(stdout, st, o.format, a->name);
		tally_store_close(st);
		return rv == TALLY_OK ? EX_OK
		                      : complain(tally_exit_code(rv),
		                            "audit: %s", tally_strerror(rv));
	}
	warn_open_mode(st);
	rv = hub_audit(stdout, a->cat, st, &o, &problems);
	tally_store_close(st);
	if (rv != TALLY_OK) {
		return complain(
		    tally_exit_code(rv), "audit: %s", tally_strerror(rv));
	}
	return problems > 0 ? EX_DATAERR : EX_OK;
}

/* An as-of time before the history was pruned cannot be shown. */
static int
check_history(struct tally_store *st, int64_t as_of_ms)
{
	char    text[TALLY_ASOF_STRLEN];
	int64_t from = 0;
	int     rv   = tally_store_history_from(st, &from);

	if (rv != TALLY_OK) {
		return complain(
		    tally_exit_code(rv), "report: %s", tally_strerror(rv));
	}
	if (as_of_ms < from) {
		tally_asof_format(from, text, sizeof(text));
		return complain(EX_DATAERR,
		    "report: --as-of: the history before %s was pruned "
		    "(prune-history)",
		    text);
	}
	return EX_OK;
}

/* `prune-history`: forgets the versions replaced before --before. */
static int
cmd_prune_history(struct hub_args *a)
{
	struct tally_store *st = NULL;
	struct tally_errbuf eb = { "" };
	char                text[TALLY_ASOF_STRLEN];
	int64_t             before  = 0;
	uint64_t            removed = 0;
	int                 ex, rv;

	ex = load_settings(a);
	if (ex != EX_OK) {
		return ex;
	}
	if (a->db == NULL || a->before == NULL) {
		return usage_error(
		    "prune-history", "--db and --before are required");
	}
	if (tally_asof_parse(a->before, &before) != TALLY_OK || before <= 0) {
		return complain(EX_USAGE,
		    "prune-history: --before: '%s' is not a time: give "
		    "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (CST unless it ends "
		    "in Z or +HH:MM)",
		    a->before);
	}
	rv = tally_store_open(a->db, a->cat, &st, &eb);
	if (rv == TALLY_ECONFIG) {
		rv = tally_store_open_group(a->db, a->cat, &st, &eb);
	}
	if (rv != TALLY_OK) {
		(void) complain(0, "prune-history: %s", eb.text);
		return tally_exit_code(rv);
	}
	rv = tally_store_begin(st);
	if (rv == TALLY_OK) {
		rv = tally_store_prune_history(st, before, &removed);
	}
	if (rv == TALLY_OK) {
		rv = tally_store_commit(st);
	}
	if (rv != TALLY_OK) {
		tally_store_rollback(st);
		tally_store_close(st);
		return complain(tally_exit_code(rv), "prune-history: %s",
		    tally_strerror(rv));
	}
	tally_store_close(st);
	tally_asof_format(before, text, sizeof(text));
	printf("removed %llu history rows replaced by %s\n",
	    (unsigned long long) removed, text);
	return EX_OK;
}

/* `repair`: drops the states held for --region from a clock too far
 * ahead (repair.h). */
static int
cmd_repair(struct hub_args *a)
{
	struct hub_repair_opts o;
	int                    ex;

	ex = load_settings(a);
	if (ex != EX_OK) {
		return ex;
	}
	if (a->db == NULL || a->region == NULL) {
		return usage_error("repair", "--db and --region are required");
	}
	memset(&o, 0, sizeof(o));
	ex = load_skew(a, "repair", &o.skew_s);
	if (ex != EX_OK) {
		return ex;
	}
	o.db        = a->db;
	o.region    = a->region;
	o.indicator = a->indicator;
	o.period    = a->period;
	return hub_repair(stdout, a->cat, &o);
}

/* Who issues what this hub's store holds. */
static void
issuer(const struct tally_catalog *cat, struct tally_store *st,
    struct hub_issuer *who)
{
	const struct tally_division *d =
	    tally_catalog_division(cat, tally_store_region(st));

	who->hub      = tally_store_region(st);
	who->hub_name = d != NULL ? d->name : "";
	who->instance = tally_store_instance_id(st);
	who->now_ms   = tally_clock_now_ms();
}

/* `report --format xlsx --out FILE`. */
static int
report_xlsx(const char *path, const struct tally_catalog *cat,
    struct tally_store *st, const struct hub_report_opts *o)
{
	struct hub_issuer who;
	json_t           *doc = NULL;
	int               rv  = hub_report_json(cat, st, o, &doc);

	if (rv == TALLY_OK) {
		issuer(cat, st, &who);
		rv = hub_xlsx_write(path, cat, doc, &who);
		if (rv == TALLY_EIO) {
			(void) complain(0, "report: %s: cannot write", path);
		}
	}
	json_decref(doc);
	return rv;
}

static int
cmd_report(struct hub_args *a)
{
	struct tally_catalog  *cat;
	struct tally_store    *st = NULL;
	struct tally_errbuf    eb = { "" };
	struct hub_report_opts o;
	bool                   xlsx;
	int                    ex, rv;

	ex = load_settings(a);
	if (ex != EX_OK) {
		return ex;
	}
	cat = a->cat;
	if (a->db == NULL || a->period == NULL) {
		return usage_error("report", "--db and --period are required");
	}
	memset(&o, 0, sizeof(o));
	o.depth        = 1;
	o.region       = a->region;
	o.explain      = a->explain;
	o.only_targets = a->only_targets;
	o.due          = &a->due;
	if (a->explain && a->indicator == NULL) {
		return usage_error("report", "--explain needs --indicator");
	}
	xlsx = a->format != NULL && strcmp(a->format, "xlsx") == 0;
	if (a->format != NULL && !xlsx &&
	    tally_format_parse(a->format, &o.format) != 0) {
		return usage_error(
		    "report", "--format must be table, json, csv or xlsx");
	}
	if (xlsx != (a->out != NULL) || (xlsx && a->explain)) {
		return usage_error("report",
		    "--format xlsx goes with --out FILE (and not with "
		    "--explain); other formats print to stdout");
	}
	if (a->bom && (o.format != TALLY_FORMAT_CSV || xlsx)) {
		return usage_error("report", "--bom goes with --format csv");
	}
	if (a->depth != NULL) {
		double d;
		if (tally_parse_double(a->depth, &d) != TALLY_OK || d < 0 ||
		    d != (int) d) {
			return usage_error(
			    "report", "--depth must be a whole number >= 0");
		}
		o.depth = (int) d;
	}
	o.approved = a->approved;
	if (a->as_of != NULL &&
	    (tally_asof_parse(a->as_of, &o.as_of_ms) != TALLY_OK ||
	        o.as_of_ms <= 0)) {
		return complain(EX_USAGE,
		    "report: --as-of: '%s' is not a time: give YYYY-MM-DD "
		    "(the end of that day, China Standard Time) or "
		    "YYYY-MM-DDTHH:MM[:SS] (CST unless it ends in Z or "
		    "+HH:MM)",
		    a->as_of);
	}
	if (tally_period_parse(a->period, &o.period) != TALLY_OK) {
		(void) complain(0,
		    "report: --period: '%s' is not a valid period (YYYY, "
		    "YYYYQn or YYYY-MM)",
		    a->period);
		return EX_DATAERR;
	}
	if (a->indicator != NULL) {
		o.ind = tally_catalog_indicator(cat, a->indicator);
		if (o.ind == NULL) {
			(void) complain(0,
			    "report: --indicator: unknown indicator "
			    "'%s'",
			    a->indicator);
			ex = EX_DATAERR;
			goto done;
		}
	}
	rv = tally_store_open(a->db, cat, &st, &eb);
	if (rv != TALLY_OK) {
		(void) complain(0, "report: %s", eb.text);
		ex = tally_exit_code(rv);
		goto done;
	}
	tally_log_set_region(tally_store_region(st));
	if (o.as_of_ms > 0) {
		ex = check_history(st, o.as_of_ms);
		if (ex != EX_OK) {
			goto done;
		}
	}
	warn_open_mode(st);
	if (xlsx) {
		rv = report_xlsx(a->out, cat, st, &o);
	} else {
		if (a->bom) {
			fputs("\xEF\xBB\xBF", stdout);
		}
		rv = hub_report(stdout, cat, st, &o);
	}
	if (rv == TALLY_ENOENT) {
		(void) complain(0,
		    "report: --region: %s is not the hub's region %s or "
		    "below it",
		    a->region, tally_store_region(st));
		ex = EX_DATAERR;
	} else if (rv != TALLY_OK) {
		(void) complain(0, "report: %s", tally_strerror(rv));
		ex = tally_exit_code(rv);
	}
done:
	tally_store_close(st);
	return ex;
}

/* `brief`: the briefing PDF of brief.h. */
static int
cmd_brief(struct hub_args *a)
{
	struct tally_store   *st = NULL;
	struct tally_errbuf   eb = { "" };
	struct hub_brief_opts o;
	int                   ex, rv;

	ex = load_settings(a);
	if (ex != EX_OK) {
		return ex;
	}
	if (a->db == NULL || a->period == NULL || a->out == NULL) {
		return usage_error(
		    "brief", "--db, --period and --out are required");
	}
	memset(&o, 0, sizeof(o));
	o.region = a->region;
	o.due    = &a->due;
	if (tally_period_parse(a->period, &o.period) != TALLY_OK) {
		return complain(EX_DATAERR,
		    "brief: --period: '%s' is not a valid period (YYYY, "
		    "YYYYQn or YYYY-MM)",
		    a->period);
	}
	if (a->region != NULL && !tally_region_code_valid(a->region)) {
		return complain(EX_DATAERR,
		    "brief: --region: '%s' is not a region code", a->region);
	}
	rv = tally_store_open(a->db, a->cat, &st, &eb);
	if (rv != TALLY_OK) {
		return complain(tally_exit_code(rv), "brief: %s", eb.text);
	}
	tally_log_set_region(tally_store_region(st));
	warn_open_mode(st);
	rv = hub_brief_write(a->out, a->cat, st, &o);
	if (rv == TALLY_ENOENT) {
		ex = complain(EX_DATAERR,
		    "brief: --region: %s is not the hub's region %s or below "
		    "it",
		    a->region, tally_store_region(st));
	} else if (rv == TALLY_EIO) {
		ex = complain(EX_CANTCREAT, "brief: %s: cannot write", a->out);
	} else if (rv != TALLY_OK) {
		ex = complain(
		    tally_exit_code(rv), "brief: %s", tally_strerror(rv));
	}
	tally_store_close(st);
	return ex;
}

/* `compare`: the members of the group side by side (compare.h). */
static int
cmd_compare(struct hub_args *a)
{
	struct tally_store     *st = NULL;
	struct tally_errbuf     eb = { "" };
	struct hub_compare_opts o;
	char                    err[256];
	char                   *text = NULL;
	int                     ex, rv;

	ex = load_settings(a);
	if (ex != EX_OK) {
		return ex;
	}
	if (a->db == NULL || (a->period == NULL && !a->latest)) {
		return usage_error(
		    "compare", "--db and --period (or --latest) are required");
	}
	memset(&o, 0, sizeof(o));
	o.latest = a->latest;
	if (a->format != NULL &&
	    tally_format_parse(a->format, &o.format) != 0) {
		return usage_error(
		    "compare", "--format must be table, json or csv");
	}
	if (a->period != NULL) {
		if (tally_period_parse(a->period, &o.period) != TALLY_OK) {
			return complain(EX_DATAERR,
			    "compare: --period: '%s' is not a valid period "
			    "(YYYY, YYYYQn or YYYY-MM)",
			    a->period);
		}
		o.has_period = true;
	}
	if (a->indicator != NULL) {
		o.ind = tally_catalog_indicator(a->cat, a->indicator);
		if (o.ind == NULL) {
			return complain(EX_DATAERR,
			    "compare: --indicator: unknown indicator '%s'",
			    a->indicator);
		}
	}
	/* Standards given here (-c FILE or --standard) replace, for this
	 * comparison, those the hub keeps in its database. */
	if (hub_groups_has_standards(&a->groups)) {
		if (hub_groups_standards_text(&a->groups, a->cat, &text, err,
		        sizeof(err)) != TALLY_OK) {
			return complain(EX_CONFIG, "compare: %s", err);
		}
		free(text);
		o.standards = &a->groups.standards;
	}
	rv = tally_store_open_group(a->db, a->cat, &st, &eb);
	if (rv != TALLY_OK) {
		return complain(tally_exit_code(rv), "compare: %s", eb.text);
	}
	if (a->group != NULL && strcmp(a->group, tally_store_group(st)) != 0) {
		ex = complain(EX_DATAERR,
		    "compare: --group: %s holds group %s, not %s", a->db,
		    tally_store_group(st), a->group);
		goto done;
	}
	tally_log_set_region(tally_store_group(st));
	warn_open_mode(st);
	rv = hub_compare_print(stdout, a->cat, st, &o);
	if (rv != TALLY_OK) {
		ex = complain(
		    tally_exit_code(rv), "compare: %s", tally_strerror(rv));
	}
done:
	tally_store_close(st);
	return ex;
}

/* The maintenance commands (maint.h); -1 for another. */
static int
maint_command(const char *cmd, const struct hub_args *a)
{
	struct hub_maint_args m = { a->config, a->db, a->out, a->from };

	return hub_maint_command(prog, cmd, &m);
}

int
main(int argc, char **argv)
{
	struct hub_args a;
	const char     *cmd = NULL;
	int             c, ex;

	memset(&a, 0, sizeof(a));
	hub_groups_init(&a.groups);
	tally_due_init(&a.due);
	if (argc >= 2 && hub_approve_is_command(argv[1])) {
		return hub_approve_main(argc - 1, argv + 1);
	}
	if (argc >= 2 && argv[1][0] != '-') {
		cmd = argv[1];
		argv++;
		argc--;
	}
	if (cmd != NULL && strcmp(cmd, "user") == 0 && argc >= 2 &&
	    argv[1][0] != '-') {
		a.user_sub = argv[1];
		argv++;
		argc--;
	}
	while ((c = getopt_long(argc, argv, "hVqvc:", long_options, NULL)) !=
	    -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf("%s %s\n", prog, TALLY_VERSION);
			return EX_OK;
		case 'q':
			tally_log_level = TALLY_LOG_ERROR;
			break;
		case 'v':
			tally_log_level = TALLY_LOG_DEBUG;
			break;
		case 'c':
			a.config = optarg;
			break;
		case OPT_DB:
			a.db = optarg;
			break;
		case OPT_REGION:
			a.region = optarg;
			break;
		case OPT_LISTEN:
			a.listen = optarg;
			break;
		case OPT_PARENT:
			a.parent = optarg;
			break;
		case OPT_READY:
			a.ready_file = optarg;
			break;
		case OPT_CONTEXTS:
			a.contexts = optarg;
			break;
		case OPT_HTTP:
			a.http = optarg;
			break;
		case OPT_PERIOD:
			a.period = optarg;
			break;
		case OPT_INDICATOR:
			a.indicator = optarg;
			break;
		case OPT_DEPTH:
			a.depth = optarg;
			break;
		case OPT_FORMAT:
			a.format = optarg;
			break;
		case OPT_TARGETS:
			a.targets     = optarg;
			a.targets_cli = optarg;
			break;
		case OPT_DUE_DAYS:
			a.due_days     = optarg;
			a.due_days_cli = optarg;
			break;
		case OPT_EXPLAIN:
			a.explain = true;
			break;
		case OPT_ONLY_TARGETS:
			a.only_targets = true;
			break;
		case OPT_GROUP:
			a.group = optarg;
			break;
		case OPT_MEMBERS:
			a.groups.cli_members = optarg;
			break;
		case OPT_COMPARE:
			if (hub_groups_cli_compare(&a.groups, optarg) !=
			    TALLY_OK) {
				return usage_error(
				    "run", "too many --compare options");
			}
			break;
		case OPT_STANDARD:
			if (hub_groups_cli_standard(&a.groups, optarg) !=
			    TALLY_OK) {
				return usage_error(cmd ? cmd : "run",
				    "too many --standard options");
			}
			break;
		case OPT_LATEST:
			a.latest = true;
			break;
		case OPT_KEYS:
			a.keys = optarg;
			break;
		case OPT_KEY:
			a.key = optarg;
			break;
		case OPT_TLS_CERT:
			a.tls_cert = optarg;
			break;
		case OPT_TLS_KEY:
			a.tls_key = optarg;
			break;
		case OPT_TLS_CA:
			a.tls_ca = optarg;
			break;
		case OPT_TLS_REQUIRE_CLIENT:
			a.tls_require_client = "yes";
			break;
		case OPT_PARENT_CA:
			a.parent_ca = optarg;
			break;
		case OPT_PARENT_CERT:
			a.parent_cert = optarg;
			break;
		case OPT_PARENT_KEY:
			a.parent_key = optarg;
			break;
		case OPT_PARENT_SERVER_NAME:
			a.parent_server_name = optarg;
			break;
		case OPT_VERIFY:
			a.verify = true;
			break;
		case OPT_APPROVED:
			a.approved = true;
			break;
		case OPT_AS_OF:
			a.as_of = optarg;
			break;
		case OPT_BEFORE:
			a.before = optarg;
			break;
		case OPT_MAX_CLOCK_SKEW:
			a.max_clock_skew = optarg;
			break;
		case OPT_OUT:
			a.out = optarg;
			break;
		case OPT_BOM:
			a.bom = true;
			break;
		case OPT_FROM:
			a.from = optarg;
			break;
		case OPT_NAME:
			a.name = optarg;
			break;
		case OPT_ROLE:
			a.role = optarg;
			break;
		case OPT_PASSWORD_FILE:
			a.password_file = optarg;
			break;
		case OPT_HTTPS_CERT:
			a.https_cert = optarg;
			break;
		case OPT_HTTPS_KEY:
			a.https_key = optarg;
			break;
		case OPT_SESSION_IDLE:
			a.session_idle = optarg;
			break;
		case OPT_LOGIN_DELAY:
			a.login_delay = optarg;
			break;
		case OPT_ACCESS:
			a.access = true;
			break;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (cmd == NULL) {
		usage(stderr);
		return EX_USAGE;
	}
	if (optind != argc) {
		return usage_error(cmd, "unexpected argument");
	}
	ex = maint_command(cmd, &a);
	if (ex >= 0) {
		/* check-config, backup or restore (maint.h) */
	} else if (strcmp(cmd, "run") == 0) {
		ex = cmd_run(&a);
	} else if (strcmp(cmd, "report") == 0) {
		ex = cmd_report(&a);
	} else if (strcmp(cmd, "compare") == 0) {
		ex = cmd_compare(&a);
	} else if (strcmp(cmd, "audit") == 0) {
		ex = cmd_audit(&a);
	} else if (strcmp(cmd, "brief") == 0) {
		ex = cmd_brief(&a);
	} else if (strcmp(cmd, "prune-history") == 0) {
		ex = cmd_prune_history(&a);
	} else if (strcmp(cmd, "repair") == 0) {
		ex = cmd_repair(&a);
	} else if (strcmp(cmd, "user") == 0) {
		ex = cmd_user(&a);
	} else {
		ex = usage_error(cmd, "unknown command");
	}
	for (int i = 0; i < a.nowned; i++) {
		free(a.owned[i]);
	}
	tally_keyring_free(a.keyring);
	tally_signer_free(a.signer);
	tally_due_fini(&a.due);
	hub_groups_fini(&a.groups);
	tally_catalog_free(a.cat);
	hub_brief_release();
	return ex;
}

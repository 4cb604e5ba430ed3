/*
 * tally-hub: merges its children's partial states into its region's rollup
 * and forwards that rollup to its own parent. `run` serves; `report` reads
 * a hub's database and prints what it holds.
 */
#include "catalog.h"
#include "cli.h"
#include "errors.h"
#include "log.h"
#include "report.h"
#include "server.h"
#include "store.h"
#include "text.h"

#include <getopt.h>
#include <ini.h>
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
	    "         [--ready-file FILE] [--contexts N]   or   run -c FILE\n"
	    "         Serve the region's children and forward the region's\n"
	    "         rollup to the parent hub. Creates the database if\n"
	    "         there is none; refuses one of another region. Stops\n"
	    "         cleanly on SIGINT or SIGTERM.\n"
	    "  report --db FILE --period P [--region CODE] [--indicator ID]\n"
	    "         [--depth N] [--format table|json|csv]\n"
	    "         Print what the hub's database holds for P: the hub's\n"
	    "         region and (unless --depth 0) its children.\n"
	    "\n"
	    "URLs are NNG URLs: tcp://127.0.0.1:7001 (port 0 picks a free\n"
	    "port, written to --ready-file), ipc:///path/to/socket.\n"
	    "\n"
	    "Options:\n"
	    "  -c, --config FILE  read run settings from an INI file\n"
	    "  -h, --help         show this help\n"
	    "  -V, --version      show the version\n"
	    "  -q, --quiet        log errors only\n"
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
	const char *period;
	const char *indicator;
	const char *depth;
	const char *format;
	/* Strings read from the INI file, freed at exit. */
	char *owned[8];
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
	OPT_PERIOD,
	OPT_INDICATOR,
	OPT_DEPTH,
	OPT_FORMAT,
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
	{ "period", required_argument, NULL, OPT_PERIOD },
	{ "indicator", required_argument, NULL, OPT_INDICATOR },
	{ "depth", required_argument, NULL, OPT_DEPTH },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ NULL, 0, NULL, 0 },
};

#define complain(...) tally_cli_complain(prog, __VA_ARGS__)

#define usage_error(cmd, msg) tally_cli_usage(prog, cmd, msg)

/* inih handler: keys of the [hub] section. Command-line options win over
 * the file, so a value already set is kept. Returns 0 on an unknown
 * section or key, which makes ini_parse report that line. */
static int
hub_ini_handler(
    void *arg, const char *section, const char *name, const char *value)
{
	static const char *keys[] = { "db", "region", "listen", "parent",
		"ready_file", "contexts" };
	struct hub_args   *a      = arg;
	const char **slots[] = { &a->db, &a->region, &a->listen, &a->parent,
		&a->ready_file, &a->contexts };
	char        *copy;

	if (strcmp(section, "hub") != 0) {
		snprintf(a->ini_error, sizeof(a->ini_error),
		    "unknown section [%s] (expected [hub])", section);
		return 0;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(name, keys[i]) != 0) {
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

static int
cmd_run(struct hub_args *a)
{
	struct tally_catalog *cat = NULL;
	struct hub_config     cfg;
	int                   ex, rv;

	if (a->config != NULL) {
		ex = load_config(a);
		if (ex != EX_OK) {
			return ex;
		}
	}
	if (a->db == NULL || a->region == NULL || a->listen == NULL) {
		return usage_error(
		    "run", "--db, --region and --listen are required");
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.db         = a->db;
	cfg.region     = a->region;
	cfg.listen     = a->listen;
	cfg.parent     = a->parent;
	cfg.ready_file = a->ready_file;
	if (a->contexts != NULL) {
		cfg.contexts = atoi(a->contexts);
		if (cfg.contexts < 1 || cfg.contexts > 1024) {
			return usage_error(
			    "run", "--contexts must be 1..1024");
		}
	}
	tally_log_set_region(a->region);
	ex = tally_cli_load_catalog(prog, &cat);
	if (ex != EX_OK) {
		return ex;
	}
	if (tally_catalog_division(cat, a->region) == NULL) {
		(void) complain(
		    0, "run: --region: unknown region code '%s'", a->region);
		tally_catalog_free(cat);
		return EX_DATAERR;
	}
	rv = hub_run(cat, &cfg);
	tally_catalog_free(cat);
	return tally_exit_code(rv);
}

static int
cmd_report(struct hub_args *a)
{
	struct tally_catalog  *cat = NULL;
	struct tally_store    *st  = NULL;
	struct tally_errbuf    eb  = { "" };
	struct hub_report_opts o;
	int                    ex, rv;

	if (a->db == NULL || a->period == NULL) {
		return usage_error("report", "--db and --period are required");
	}
	memset(&o, 0, sizeof(o));
	o.depth  = -1;
	o.region = a->region;
	if (a->format != NULL &&
	    tally_format_parse(a->format, &o.format) != 0) {
		return usage_error(
		    "report", "--format must be table, json or csv");
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
	if (tally_period_parse(a->period, &o.period) != TALLY_OK) {
		(void) complain(0,
		    "report: --period: '%s' is not a valid period (YYYY, "
		    "YYYYQn or YYYY-MM)",
		    a->period);
		return EX_DATAERR;
	}
	ex = tally_cli_load_catalog(prog, &cat);
	if (ex != EX_OK) {
		return ex;
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
	rv = hub_report(stdout, cat, st, &o);
	if (rv == TALLY_ENOENT) {
		(void) complain(0,
		    "report: --region: %s is not held by hub %s", a->region,
		    tally_store_region(st));
		ex = EX_DATAERR;
	} else if (rv != TALLY_OK) {
		(void) complain(0, "report: %s", tally_strerror(rv));
		ex = tally_exit_code(rv);
	}
done:
	tally_store_close(st);
	tally_catalog_free(cat);
	return ex;
}

int
main(int argc, char **argv)
{
	struct hub_args a;
	const char     *cmd = NULL;
	int             c, ex;

	memset(&a, 0, sizeof(a));
	if (argc >= 2 && argv[1][0] != '-') {
		cmd = argv[1];
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
	if (strcmp(cmd, "run") == 0) {
		ex = cmd_run(&a);
	} else if (strcmp(cmd, "report") == 0) {
		ex = cmd_report(&a);
	} else {
		ex = usage_error(cmd, "unknown command");
	}
	for (int i = 0; i < a.nowned; i++) {
		free(a.owned[i]);
	}
	return ex;
}

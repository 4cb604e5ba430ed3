/*
 * tally-node-intake: the spreadsheet commands of tally-node (import,
 * template, indicators), its status and its data-entry page (status,
 * serve), which tally-node runs in this program of its own so that the
 * libraries they need (libxml2, libzip, libxlsxwriter, libmicrohttpd)
 * are never loaded by its other commands, the idle daemon among them. It
 * takes the same command line as tally-node and speaks as tally-node.
 */
#include "catalog.h"
#include "cli.h"
#include "clock.h"
#include "config.h"
#include "encoding.h"
#include "errors.h"
#include "import.h"
#include "indicators.h"
#include "log.h"
#include "period.h"
#include "serve.h"
#include "status.h"
#include "store.h"
#include "template.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static const char *prog = "tally-node";

struct intake_args {
	const char *db;
	const char *period;
	const char *out;
	const char *format;
	const char *encoding;
	const char *file;
	const char *config;
	const char *due_days;
	const char *http;
	const char *ready_file;
};

enum {
	OPT_DB = 256,
	OPT_PERIOD,
	OPT_OUT,
	OPT_FORMAT,
	OPT_ENCODING,
	OPT_DUE_DAYS,
	OPT_HTTP,
	OPT_READY_FILE,
};

static const struct option long_options[] = {
	{ "quiet", no_argument, NULL, 'q' },
	{ "db", required_argument, NULL, OPT_DB },
	{ "period", required_argument, NULL, OPT_PERIOD },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "encoding", required_argument, NULL, OPT_ENCODING },
	{ "config", required_argument, NULL, 'c' },
	{ "due-days", required_argument, NULL, OPT_DUE_DAYS },
	{ "http", required_argument, NULL, OPT_HTTP },
	{ "ready-file", required_argument, NULL, OPT_READY_FILE },
	{ NULL, 0, NULL, 0 },
};

#define usage_error(cmd, msg) tally_cli_usage(prog, cmd, msg)

static int
cmd_import(const struct intake_args *a)
{
	struct tally_catalog *cat = NULL;
	struct tally_store   *st  = NULL;
	struct tally_errbuf   eb  = { "" };
	int                   ex, rv, enc = TALLY_ENC_AUTO;

	if (a->db == NULL || a->file == NULL) {
		return usage_error("import", "--db and a file are required");
	}
	if (a->encoding != NULL &&
	    tally_encoding_parse(a->encoding, &enc) != TALLY_OK) {
		return usage_error(
		    "import", "--encoding must be utf-8, gbk or gb18030");
	}
	ex = tally_cli_load_catalog(prog, &cat);
	if (ex != EX_OK) {
		return ex;
	}
	rv = tally_store_open(a->db, cat, &st, &eb);
	if (rv != TALLY_OK) {
		tally_catalog_free(cat);
		return tally_cli_complain(prog, tally_exit_code(rv),
		    "import: %s", eb.text[0] ? eb.text : tally_strerror(rv));
	}
	tally_log_set_region(tally_store_region(st));
	ex = node_import(prog, cat, st, a->file, enc);
	tally_store_close(st);
	tally_catalog_free(cat);
	return ex;
}

/* The template's rows: with --db, the indicators the store's region
 * reports (all of them when it reports none yet); else all. */
static int
template_rows(const struct intake_args *a, const struct tally_catalog *cat,
    struct node_rows *rows)
{
	struct tally_store *st = NULL;
	struct tally_errbuf eb = { "" };
	int                 rv;

	rows->inds = calloc(cat->n_indicators + 1, sizeof(*rows->inds));
	if (rows->inds == NULL) {
		return tally_cli_complain(prog, EX_OSERR, "out of memory");
	}
	rows->n = 0;
	if (a->db != NULL) {
		rv = tally_store_open(a->db, cat, &st, &eb);
		if (rv != TALLY_OK) {
			return tally_cli_complain(prog, tally_exit_code(rv),
			    "template: %s",
			    eb.text[0] ? eb.text : tally_strerror(rv));
		}
		for (size_t i = 0; i < cat->n_indicators; i++) {
			if (node_status_reports(
			        cat, st, &cat->indicators[i])) {
				rows->inds[rows->n++] = &cat->indicators[i];
			}
		}
		tally_store_close(st);
	}
	if (rows->n == 0) {
		for (size_t i = 0; i < cat->n_indicators; i++) {
			rows->inds[rows->n++] = &cat->indicators[i];
		}
	}
	return EX_OK;
}

static int
cmd_template(const struct intake_args *a)
{
	struct tally_catalog *cat  = NULL;
	struct node_rows      rows = { NULL, 0 };
	struct tally_period   period;
	int                   ex;

	if (a->period == NULL) {
		return usage_error("template", "--period is required");
	}
	if (tally_period_parse_loose(a->period, &period) != TALLY_OK) {
		return tally_cli_complain(prog, EX_USAGE,
		    "template: --period: '%s' is not a period (2020-03, "
		    "2020Q2, 2020)",
		    a->period);
	}
	ex = tally_cli_load_catalog(prog, &cat);
	if (ex == EX_OK) {
		ex = template_rows(a, cat, &rows);
	}
	if (ex == EX_OK) {
		ex = node_template(prog, &rows, &period, a->out);
	}
	free(rows.inds);
	tally_catalog_free(cat);
	return ex;
}

static int
cmd_indicators(const struct intake_args *a)
{
	struct tally_catalog *cat = NULL;
	int                   ex, format = TALLY_FORMAT_TABLE;

	if (a->format != NULL && tally_format_parse(a->format, &format) != 0) {
		return usage_error(
		    "indicators", "--format must be table, json or csv");
	}
	ex = tally_cli_load_catalog(prog, &cat);
	if (ex != EX_OK) {
		return ex;
	}
	ex = node_indicators(stdout, cat, format);
	tally_catalog_free(cat);
	return ex;
}

/* The due dates of -c FILE and --due-days into due (initialised), and
 * --db from the file when not given. cfg is finished by the caller. */
static int
load_due(struct intake_args *a, const struct tally_catalog *cat,
    struct node_config *cfg, bool *have_cfg, struct tally_due *due)
{
	int ex;

	*have_cfg = false;
	if (a->config != NULL) {
		ex = node_config_load(prog, a->config, cfg);
		if (ex != EX_OK) {
			return ex;
		}
		*have_cfg = true;
		if (a->db == NULL) {
			a->db = cfg->db;
		}
	}
	return node_config_due(
	    prog, *have_cfg ? cfg : NULL, a->due_days, cat, due);
}

static int
cmd_status(struct intake_args *a)
{
	struct tally_catalog *cat = NULL;
	struct tally_store   *st  = NULL;
	struct tally_errbuf   eb  = { "" };
	struct node_config    cfg;
	struct tally_due      due;
	struct tally_period   period;
	struct node_status    ns;
	bool                  have_cfg = false;
	int                   ex, rv, format = TALLY_FORMAT_TABLE;

	if (a->format != NULL &&
	    (tally_format_parse(a->format, &format) != 0 ||
	        format == TALLY_FORMAT_CSV)) {
		return usage_error("status", "--format must be table or json");
	}
	if (a->period != NULL &&
	    tally_period_parse_loose(a->period, &period) != TALLY_OK) {
		return tally_cli_complain(prog, EX_USAGE,
		    "status: --period: '%s' is not a period (2020-03, "
		    "2020Q2, 2020)",
		    a->period);
	}
	ex = tally_cli_load_catalog(prog, &cat);
	if (ex != EX_OK) {
		return ex;
	}
	tally_due_init(&due);
	ex = load_due(a, cat, &cfg, &have_cfg, &due);
	if (ex == EX_OK && a->db == NULL) {
		ex = usage_error("status", "--db (or -c FILE) is required");
	}
	if (ex == EX_OK) {
		rv = tally_store_open(a->db, cat, &st, &eb);
		if (rv != TALLY_OK) {
			ex = tally_cli_complain(prog, tally_exit_code(rv),
			    "status: %s",
			    eb.text[0] ? eb.text : tally_strerror(rv));
		}
	}
	if (ex == EX_OK) {
		rv = node_status_collect(cat, st, &due,
		    a->period != NULL ? &period : NULL, tally_clock_now_ms(),
		    &ns);
		if (rv != TALLY_OK) {
			ex = tally_cli_complain(prog, tally_exit_code(rv),
			    "status: %s", tally_strerror(rv));
		}
	}
	if (ex == EX_OK && format == TALLY_FORMAT_JSON) {
		json_t *j = node_status_json(cat, st, &ns);

		if (j == NULL || json_dumpf(j, stdout, JSON_INDENT(2)) != 0) {
			ex = tally_cli_complain(
			    prog, EX_OSERR, "status: output");
		}
		putchar('\n');
		json_decref(j);
	} else if (ex == EX_OK) {
		node_status_print(stdout, cat, st, &ns);
	}
	if (ex == EX_OK) {
		node_status_fini(&ns);
	}
	tally_store_close(st);
	tally_due_fini(&due);
	if (have_cfg) {
		node_config_fini(&cfg);
	}
	tally_catalog_free(cat);
	return ex;
}

static int
cmd_serve(struct intake_args *a)
{
	struct tally_catalog  *cat = NULL;
	struct node_config     cfg;
	struct tally_due       due;
	struct node_serve_opts o;
	bool                   have_cfg = false;
	int                    ex;

	ex = tally_cli_load_catalog(prog, &cat);
	if (ex != EX_OK) {
		return ex;
	}
	tally_due_init(&due);
	ex = load_due(a, cat, &cfg, &have_cfg, &due);
	if (ex == EX_OK && a->db == NULL) {
		ex = usage_error("serve", "--db (or -c FILE) is required");
	}
	if (ex == EX_OK) {
		memset(&o, 0, sizeof(o));
		o.db         = a->db;
		o.addr       = a->http != NULL ? a->http : "127.0.0.1:8087";
		o.ready_file = a->ready_file;
		o.due        = &due;
		ex           = node_serve(prog, cat, &o);
	}
	tally_due_fini(&due);
	if (have_cfg) {
		node_config_fini(&cfg);
	}
	tally_catalog_free(cat);
	return ex;
}

int
main(int argc, char **argv)
{
	struct intake_args a;
	const char        *cmd;
	int                c;

	memset(&a, 0, sizeof(a));
	if (argc < 2 || argv[1][0] == '-') {
		return usage_error("tally-node-intake",
		    "run by tally-node for import, template, indicators, "
		    "status and serve");
	}
	cmd = argv[1];
	argv++;
	argc--;
	while (
	    (c = getopt_long(argc, argv, "qc:", long_options, NULL)) != -1) {
		switch (c) {
		case 'q':
			tally_log_level = TALLY_LOG_ERROR;
			break;
		case 'c':
			a.config = optarg;
			break;
		case OPT_DUE_DAYS:
			a.due_days = optarg;
			break;
		case OPT_HTTP:
			a.http = optarg;
			break;
		case OPT_READY_FILE:
			a.ready_file = optarg;
			break;
		case OPT_DB:
			a.db = optarg;
			break;
		case OPT_PERIOD:
			a.period = optarg;
			break;
		case OPT_OUT:
			a.out = optarg;
			break;
		case OPT_FORMAT:
			a.format = optarg;
			break;
		case OPT_ENCODING:
			a.encoding = optarg;
			break;
		default:
			return usage_error(cmd, "unknown option");
		}
	}
	if (strcmp(cmd, "import") == 0) {
		if (optind + 1 != argc) {
			return usage_error(
			    "import", "give exactly one file (.csv or .xlsx)");
		}
		a.file = argv[optind];
		return cmd_import(&a);
	}
	if (optind != argc) {
		return usage_error(cmd, "unexpected argument");
	}
	if (strcmp(cmd, "template") == 0) {
		return cmd_template(&a);
	}
	if (strcmp(cmd, "indicators") == 0) {
		return cmd_indicators(&a);
	}
	if (strcmp(cmd, "status") == 0) {
		return cmd_status(&a);
	}
	if (strcmp(cmd, "serve") == 0) {
		return cmd_serve(&a);
	}
	return usage_error(cmd, "unknown command");
}

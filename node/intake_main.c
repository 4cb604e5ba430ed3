/*
 * tally-node-intake: the spreadsheet commands of tally-node (import,
 * template, indicators), which tally-node runs in this program of its own
 * so that the libraries they need (libxml2, libzip, libxlsxwriter) are
 * never loaded by its other commands, the idle daemon among them. It takes
 * the same command line as tally-node and speaks as tally-node.
 */
#include "catalog.h"
#include "cli.h"
#include "encoding.h"
#include "errors.h"
#include "import.h"
#include "indicators.h"
#include "log.h"
#include "period.h"
#include "store.h"
#include "template.h"

#include <getopt.h>
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
};

enum {
	OPT_DB = 256,
	OPT_PERIOD,
	OPT_OUT,
	OPT_FORMAT,
	OPT_ENCODING,
};

static const struct option long_options[] = {
	{ "quiet", no_argument, NULL, 'q' },
	{ "db", required_argument, NULL, OPT_DB },
	{ "period", required_argument, NULL, OPT_PERIOD },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "encoding", required_argument, NULL, OPT_ENCODING },
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

/* True when the region at index k reports ind: a target of ind is set
 * for it or a region above it (targets.csv), or its store has data. */
static bool
reports(const struct tally_catalog *cat, struct tally_store *st, size_t k,
    const struct tally_indicator *ind)
{
	struct tally_obs *obs = NULL;
	size_t            n   = 0;

	for (size_t t = 0; t < cat->n_targets; t++) {
		const struct tally_target *tg   = &cat->targets[t];
		const char                *code = cat->divisions[k].code;

		if (&cat->indicators[tg->indicator] == ind &&
		    (strcmp(tg->region, code) == 0 ||
		        tally_catalog_is_below_ever(cat, tg->region, code))) {
			return true;
		}
	}
	if (tally_store_observations(st, ind, NULL, &obs, &n) != TALLY_OK) {
		return false;
	}
	free(obs);
	return n > 0;
}

/* The template's rows: with --db, the indicators the store's region
 * reports (all of them when it reports none yet); else all. */
static int
template_rows(const struct intake_args *a, const struct tally_catalog *cat,
    struct node_rows *rows)
{
	struct tally_store          *st = NULL;
	struct tally_errbuf          eb = { "" };
	const struct tally_division *d;
	int                          rv;

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
		d = tally_catalog_division(cat, tally_store_region(st));
		for (size_t i = 0; i < cat->n_indicators; i++) {
			if (reports(cat, st, (size_t) (d - cat->divisions),
			        &cat->indicators[i])) {
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

int
main(int argc, char **argv)
{
	struct intake_args a;
	const char        *cmd;
	int                c;

	memset(&a, 0, sizeof(a));
	if (argc < 2 || argv[1][0] == '-') {
		return usage_error("tally-node-intake",
		    "run by tally-node for import, template and indicators");
	}
	cmd = argv[1];
	argv++;
	argc--;
	while ((c = getopt_long(argc, argv, "q", long_options, NULL)) != -1) {
		switch (c) {
		case 'q':
			tally_log_level = TALLY_LOG_ERROR;
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
	return usage_error(cmd, "unknown command");
}

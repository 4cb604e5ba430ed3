/*
 * tally-bench: the benchmark harness. Each command sets up a
 * tree of real tally-hub processes in a work directory, drives it with
 * simulated county nodes (sim.h: many counties in this process, each with
 * its own store and socket), measures, checks that every figure it
 * measured is exact against the flat reference (flat.h), and prints its
 * figures as Markdown for bench/RESULTS.md.
 *
 *   ingest    one hub's ingest rate against raw SQLite upserts of the
 *             same rows in the same batches (the limit); the hub's and an
 *             idle county node's resident memory
 *   tree      a province's three-level tree: convergence, freshness of
 *             the province's figure under background load, report latency
 *   national  every province: convergence to the national figure, against
 *             PostgreSQL's COPY and GROUP BY ROLLUP, and freshness after a
 *             county's correction against re-running the query
 *
 * There is no national region in the division tree (its loader knows
 * three levels, and a province has no parent), so the national figure is
 * kept by a comparison hub whose group is every province: it pools the
 * provinces' own figures with the same engine as any hub.
 */
#include "harness.h"
#include "ingest.h"
#include "national.h"
#include "tree.h"

#include "catalog.h"
#include "clock.h"
#include "errors.h"
#include "flat.h"
#include "log.h"
#include "pgbase.h"
#include "proc.h"
#include "sim.h"
#include "stats.h"
#include "store.h"
#include "uplink.h"
#include "wire.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

/* ---------------------------------------------------------------- */
/* main */

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: %s COMMAND --flat FILE --work DIR [OPTIONS]\n"
	    "\n"
	    "Commands (bench/RESULTS.md says what each measures):\n"
	    "  ingest    --region CITY [--rounds N]\n"
	    "            one hub's ingest against raw SQLite upserts of the\n"
	    "            same rows (the limit); hub and idle node memory\n"
	    "  tree      --region PROVINCE [--probes N] [--load N]\n"
	    "            [--load-threads N] [--report-runs N] [--real-nodes]\n"
	    "            a province's tree: convergence, freshness under\n"
	    "            load, report latency\n"
	    "  national  [--pg CONNINFO] [--probes N]\n"
	    "            every province in FILE: convergence and freshness\n"
	    "            of the national figure, against PostgreSQL\n"
	    "\n"
	    "Options:\n"
	    "  --flat FILE       the raw rows (tally-gen --flat)\n"
	    "  --work DIR        a directory for stores, sockets and logs\n"
	    "  --year YYYY       the year of the rows (default 2020)\n"
	    "  --seed N          the seed of every random choice (default "
	    "1)\n"
	    "  --workers N       counties pushing at a time (default 8)\n"
	    "  --timeout S       the longest convergence (default 1800)\n"
	    "  --contexts N      tally-hub run --contexts N for every hub\n"
	    "  --hub-bin FILE    tally-hub (default: beside this program's\n"
	    "                    build directory)\n"
	    "  --node-bin FILE   tally-node (likewise)\n"
	    "\n"
	    "Every figure measured is checked against the flat reference\n"
	    "computed from the counties' raw rows; exit 70 when one is not\n"
	    "exact.\n",
	    bench_prog);
}

enum {
	OPT_FLAT = 256,
	OPT_WORK,
	OPT_REGION,
	OPT_HUB_BIN,
	OPT_NODE_BIN,
	OPT_PG,
	OPT_YEAR,
	OPT_SEED,
	OPT_WORKERS,
	OPT_ROUNDS,
	OPT_PROBES,
	OPT_LOAD,
	OPT_LOAD_THREADS,
	OPT_REPORT_RUNS,
	OPT_TIMEOUT,
	OPT_REAL_NODES,
	OPT_CONTEXTS,
};

static const struct option long_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "flat", required_argument, NULL, OPT_FLAT },
	{ "work", required_argument, NULL, OPT_WORK },
	{ "region", required_argument, NULL, OPT_REGION },
	{ "hub-bin", required_argument, NULL, OPT_HUB_BIN },
	{ "node-bin", required_argument, NULL, OPT_NODE_BIN },
	{ "pg", required_argument, NULL, OPT_PG },
	{ "year", required_argument, NULL, OPT_YEAR },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	{ "probes", required_argument, NULL, OPT_PROBES },
	{ "load", required_argument, NULL, OPT_LOAD },
	{ "load-threads", required_argument, NULL, OPT_LOAD_THREADS },
	{ "report-runs", required_argument, NULL, OPT_REPORT_RUNS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "real-nodes", no_argument, NULL, OPT_REAL_NODES },
	{ "contexts", required_argument, NULL, OPT_CONTEXTS },
	{ NULL, 0, NULL, 0 },
};

/* A whole number in [lo, hi], or false. */
static bool
parse_num(const char *s, double lo, double hi, double *out)
{
	char  *end;
	double v;

	errno = 0;
	v     = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		return false;
	}
	*out = v;
	return true;
}

/* The programs beside this one in the build tree: bench/tally-bench,
 * hub/tally-hub, node/tally-node. */
static void
default_bins(struct bench_opts *o)
{
	char    self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char   *slash;

	if (n <= 0) {
		return;
	}
	self[n] = '\0';
	slash   = strrchr(self, '/');
	if (slash == NULL) {
		return;
	}
	*slash = '\0';
	if (o->hub_bin == NULL) {
		snprintf(o->hub_buf, sizeof(o->hub_buf), "%s/../hub/tally-hub",
		    self);
		o->hub_bin = o->hub_buf;
	}
	if (o->node_bin == NULL) {
		snprintf(o->node_buf, sizeof(o->node_buf),
		    "%s/../node/tally-node", self);
		o->node_bin = o->node_buf;
	}
}

int
main(int argc, char **argv)
{
	struct bench_opts o;
	double            v;
	int               c;

	memset(&o, 0, sizeof(o));
	o.year         = 2020;
	o.seed         = 1;
	o.workers      = 8;
	o.rounds       = 3;
	o.probes       = 200;
	o.load         = 50;
	o.load_threads = 2;
	o.report_runs  = 200;
	o.timeout_s    = 1800;
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 &&
		    (strcmp(argv[1], "-h") == 0 ||
		        strcmp(argv[1], "--help") == 0)) {
			usage(stdout);
			return EX_OK;
		}
		usage(stderr);
		return EX_USAGE;
	}
	o.cmd  = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		bool ok = true;

		switch (c) {
		case 'h':
			usage(stdout);
			return EX_OK;
		case OPT_FLAT:
			o.flat = optarg;
			break;
		case OPT_WORK:
			o.work = optarg;
			break;
		case OPT_REGION:
			o.region = optarg;
			break;
		case OPT_HUB_BIN:
			o.hub_bin = optarg;
			break;
		case OPT_NODE_BIN:
			o.node_bin = optarg;
			break;
		case OPT_PG:
			o.pg = optarg;
			break;
		case OPT_YEAR:
			ok     = parse_num(optarg, 1900, 2999, &v);
			o.year = (int) v;
			break;
		case OPT_SEED:
			ok     = parse_num(optarg, 0, 1e15, &v);
			o.seed = (uint64_t) v;
			break;
		case OPT_WORKERS:
			ok        = parse_num(optarg, 1, 1024, &v);
			o.workers = (int) v;
			break;
		case OPT_ROUNDS:
			ok       = parse_num(optarg, 1, 100, &v);
			o.rounds = (int) v;
			break;
		case OPT_PROBES:
			ok       = parse_num(optarg, 1, 100000, &v);
			o.probes = (int) v;
			break;
		case OPT_LOAD:
			ok     = parse_num(optarg, 0, 100000, &v);
			o.load = v;
			break;
		case OPT_LOAD_THREADS:
			ok             = parse_num(optarg, 1, 64, &v);
			o.load_threads = (int) v;
			break;
		case OPT_REPORT_RUNS:
			ok            = parse_num(optarg, 1, 100000, &v);
			o.report_runs = (int) v;
			break;
		case OPT_TIMEOUT:
			ok          = parse_num(optarg, 1, 86400, &v);
			o.timeout_s = (int) v;
			break;
		case OPT_REAL_NODES:
			o.real_nodes = true;
			break;
		case OPT_CONTEXTS:
			ok         = parse_num(optarg, 1, 4096, &v);
			o.contexts = optarg;
			break;
		default:
			usage(stderr);
			return EX_USAGE;
		}
		if (!ok) {
			fprintf(stderr,
			    "%s: %s: bad value '%s' (see %s --help)\n",
			    bench_prog, argv[optind - 1], optarg, bench_prog);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		return bench_fail(
		    EX_USAGE, "unexpected argument '%s'", argv[optind]);
	}
	if (o.flat == NULL || o.work == NULL) {
		return bench_fail(EX_USAGE, "--flat and --work are required");
	}
	default_bins(&o);
	tally_log_level = TALLY_LOG_ERROR;
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(o.cmd, "ingest") == 0 || strcmp(o.cmd, "tree") == 0) {
		if (o.region == NULL) {
			return bench_fail(
			    EX_USAGE, "%s: --region is required", o.cmd);
		}
		return strcmp(o.cmd, "ingest") == 0 ? bench_cmd_ingest(&o)
		                                    : bench_cmd_tree(&o);
	}
	if (strcmp(o.cmd, "national") == 0) {
		return bench_cmd_national(&o);
	}
	return bench_fail(EX_USAGE, "unknown command '%s' (see %s --help)",
	    o.cmd, bench_prog);
}

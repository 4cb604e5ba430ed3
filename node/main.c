/*
 * tally-node: the county (or city, or province) node. It keeps the region's
 * own observations in a local SQLite store and shows the region's figures.
 * The command line is a contract that other tools drive: the command names
 * and flags below must not change.
 */
#include "admin.h"
#include "backoff.h"
#include "catalog.h"
#include "cli.h"
#include "config.h"
#include "errors.h"
#include "input.h"
#include "log.h"
#include "notify.h"
#include "show.h"
#include "sign.h"
#include "store.h"
#include "text.h"
#include "uplink.h"
#include "withdraw.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <sqlite3.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/inotify.h>
#include <unistd.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#ifndef TALLY_VERSION
#define TALLY_VERSION "0.0.0"
#endif

static const char *prog = "tally-node";

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: %s COMMAND [OPTIONS]\n"
	    "\n"
	    "Commands:\n"
	    "  init   --db FILE --region CODE\n"
	    "         Create the store for one region (any level).\n"
	    "  record --db FILE --indicator ID --period P\n"
	    "         (--num N --den D | --value V | --value V --weight W)\n"
	    "         [--reason TEXT]\n"
	    "         Record one observation; the same (indicator, period)\n"
	    "         again is a correction, and --reason says why (it\n"
	    "         travels up with it, into every hub's audit trail).\n"
	    "  withdraw --db FILE --indicator ID --period P --reason TEXT\n"
	    "         Take back a period keyed by mistake: every level\n"
	    "         above drops it exactly; the reason is kept.\n"
	    "  import --db FILE [--encoding utf-8|gbk] FILE.csv|FILE.xlsx\n"
	    "         Import a sheet (CSV in UTF-8 or GBK, or .xlsx) whose\n"
	    "         header names indicator,period,numerator,denominator,\n"
	    "         value,weight (or 指标,期间,分子,分母,数值,权重) in any\n"
	    "         order, in one transaction: every problem of the file\n"
	    "         is listed and one bad row imports nothing.\n"
	    "  template [--db FILE] --period P [--out FILE.xlsx|FILE.csv]\n"
	    "         A sheet to fill: every indicator (with --db, those the\n"
	    "         region reports), the period filled in.\n"
	    "  indicators [--format table|json|csv]\n"
	    "         The indicators: id, Chinese name, unit, what to enter.\n"
	    "  status --db FILE|-c FILE [--period P] [--format table|json]\n"
	    "         [--due-days N]\n"
	    "         Per indicator and period: pending, taken by which hub\n"
	    "         and when, refused and why; the due date, overdue.\n"
	    "  serve  --db FILE|-c FILE [--http ADDR:PORT] [--due-days N]\n"
	    "         [--ready-file FILE]\n"
	    "         The data-entry page (default 127.0.0.1:8087): a form\n"
	    "         per period, uploads, checked as import checks; the\n"
	    "         status.\n"
	    "  show   --db FILE --period P [--indicator ID]\n"
	    "         [--format table|json|csv]\n"
	    "         The region's own figures for P.\n"
	    "  push   --db FILE --hub URL [--timeout-ms N] [--key FILE]\n"
	    "         Send every pending snapshot to the parent hub and wait\n"
	    "         for the acknowledgements. Exit 0 when all are\n"
	    "         acknowledged, 69 when the hub cannot be reached in "
	    "time\n"
	    "         (nothing is lost: the rest stays pending).\n"
	    "  run    --db FILE --hub URL [--key FILE]\n"
	    "         Keep pushing whenever data changes, retrying with\n"
	    "         exponential backoff; stops on SIGINT or SIGTERM.\n"
	    "         A region that changes parent (division_changes.csv)\n"
	    "         gives --hub CODE=URL for each parent: each period\n"
	    "         goes to the parent in force in its last month.\n"
	    "  run    -c FILE   (push -c FILE)\n"
	    "         The same with the settings of a node's INI file\n"
	    "         ([node] db, hub, key, tls_*, timeout_ms; "
	    "tally.ini(5)).\n"
	    "  check-config -c FILE\n"
	    "         Check the file and all it names (store, hubs, key,\n"
	    "         TLS files); each problem as FILE:LINE. Exit 78 if any.\n"
	    "  backup --db FILE --out FILE\n"
	    "         A consistent copy of the store, also while `run`\n"
	    "         pushes from it; never overwrites FILE.\n"
	    "  restore --db FILE --from BACKUP\n"
	    "         With `run` stopped: put a backup in place (the store\n"
	    "         that was there kept as FILE.pre-restore); its states\n"
	    "         go to the hub again under new versions.\n"
	    "  keygen --out PREFIX\n"
	    "         Make the node's key pair: PREFIX.key, the private\n"
	    "         key (mode 0600, kept on this machine), and\n"
	    "         PREFIX.pub, the public key for the hub's keys file.\n"
	    "\n"
	    "push and run sign every envelope with --key (the private key\n"
	    "of keygen), and talk to a tls+tcp:// hub checked against\n"
	    "--tls-ca FILE [--tls-server-name NAME], presenting\n"
	    "--tls-cert FILE --tls-key FILE when the hub requires it.\n"
	    "\n"
	    "Periods are YYYY, YYYYQn or YYYY-MM; record and import also\n"
	    "read 2020-3, 2020/3, 2020年3月, 2020年第二季度, 2020年.\n"
	    "Reference data is read from\n"
	    "$TALLY_DATA_DIR, the installed data directory, or the source\n"
	    "tree's configs/.\n"
	    "\n"
	    "Options:\n"
	    "  -h, --help     show this help\n"
	    "  -V, --version  show the version\n"
	    "  -q, --quiet    log errors only\n"
	    "\n"
	    "Exit codes: 0 ok, 64 usage, 65 bad data (or a state the hub\n"
	    "rejected), 66 no store, 69 hub unreachable, 73 store exists,\n"
	    "74 I/O or database error, 77 the hub refused the submission,\n"
	    "78 bad reference data.\n",
	    prog);
}

/* A region that changes parent more than this is not expected. */
#define NODE_HUBS_MAX 8

/* Everything any command may be given; each command checks what it needs. */
struct node_args {
	const char *db;
	const char *region;
	const char *indicator;
	const char *period;
	const char *num;
	const char *den;
	const char *value;
	const char *weight;
	const char *reason;
	const char *format;
	/* --hub, repeated: `URL`, or `CODE=URL` per parent (catalog.h). */
	const char *hubs[NODE_HUBS_MAX];
	size_t      n_hubs;
	const char *timeout_ms;
	const char *out;
	const char *from;
	const char *key;
	const char *tls_ca;
	const char *tls_cert;
	const char *tls_key;
	const char *tls_server_name;
	/* -c FILE: its settings fill what the command line left unset. */
	const char *config;
};

/* The file of -c, whose strings node_args points to until exit. */
static struct node_config node_cfg;

enum {
	OPT_DB = 256,
	OPT_REGION,
	OPT_INDICATOR,
	OPT_PERIOD,
	OPT_NUM,
	OPT_DEN,
	OPT_VALUE,
	OPT_WEIGHT,
	OPT_REASON,
	OPT_FORMAT,
	OPT_HUB,
	OPT_TIMEOUT,
	OPT_OUT,
	OPT_FROM,
	OPT_KEY,
	OPT_TLS_CA,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_TLS_SERVER_NAME,
};

static const struct option long_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "config", required_argument, NULL, 'c' },
	{ "db", required_argument, NULL, OPT_DB },
	{ "region", required_argument, NULL, OPT_REGION },
	{ "indicator", required_argument, NULL, OPT_INDICATOR },
	{ "period", required_argument, NULL, OPT_PERIOD },
	{ "num", required_argument, NULL, OPT_NUM },
	{ "den", required_argument, NULL, OPT_DEN },
	{ "value", required_argument, NULL, OPT_VALUE },
	{ "weight", required_argument, NULL, OPT_WEIGHT },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "hub", required_argument, NULL, OPT_HUB },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "tls-ca", required_argument, NULL, OPT_TLS_CA },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "tls-server-name", required_argument, NULL, OPT_TLS_SERVER_NAME },
	{ NULL, 0, NULL, 0 },
};

#define complain(...) tally_cli_complain(prog, __VA_ARGS__)

#define usage_error(cmd, msg) tally_cli_usage(prog, cmd, msg)

/* Prints a one-line error and returns the matching exit code. */
static int
report(int rv, const char *what, const struct tally_errbuf *eb)
{
	(void) complain(0, "%s%s%s", what, what[0] ? ": " : "",
	    eb->text[0] ? eb->text : tally_strerror(rv));
	return tally_exit_code(rv);
}

static int
cmd_init(const struct node_args *a)
{
	struct tally_catalog *cat = NULL;
	struct tally_store   *st  = NULL;
	struct tally_errbuf   eb  = { "" };
	int                   ex, rv;

	if (a->db == NULL || a->region == NULL) {
		return usage_error("init", "--db and --region are required");
	}
	ex = tally_cli_load_catalog(prog, &cat);
	if (ex != EX_OK) {
		return ex;
	}
	rv = tally_store_create(a->db, cat, a->region, &st, &eb);
	if (rv == TALLY_ENOENT) {
		/* An unknown region is bad input, not a missing file. */
		ex = report(TALLY_EDATA, "init: --region", &eb);
	} else if (rv != TALLY_OK) {
		ex = report(rv, "init", &eb);
	} else {
		const struct tally_division *d =
		    tally_catalog_division(cat, a->region);
		printf("created %s for %s %s (%s)\n", a->db, d->code, d->name,
		    tally_level_name(d->level));
		ex = EX_OK;
	}
	tally_store_close(st);
	tally_catalog_free(cat);
	return ex;
}

static int
open_store(const char *cmd, const char *db, struct tally_catalog **cat,
    struct tally_store **st)
{
	struct tally_errbuf eb = { "" };
	int                 ex, rv;

	ex = tally_cli_load_catalog(prog, cat);
	if (ex != EX_OK) {
		return ex;
	}
	rv = tally_store_open(db, *cat, st, &eb);
	if (rv != TALLY_OK) {
		tally_catalog_free(*cat);
		*cat = NULL;
		return report(rv, cmd, &eb);
	}
	tally_log_set_region(tally_store_region(*st));
	return EX_OK;
}

/* Rewrites "field numerator: ..." into "--num: ..." for messages about the
 * command line, where the user typed options, not columns. */
static void
print_record_error(int rv, const struct tally_errbuf *eb)
{
	static const char *map[][2] = { { "indicator", "--indicator" },
		{ "period", "--period" }, { "numerator", "--num" },
		{ "denominator", "--den" }, { "value", "--value" },
		{ "weight", "--weight" } };
	const char        *text     = eb->text;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t n = strlen(map[i][0]);
		if (strncmp(text, "field ", 6) == 0 &&
		    strncmp(text + 6, map[i][0], n) == 0 &&
		    text[6 + n] == ':') {
			(void) complain(
			    0, "record: %s:%s", map[i][1], text + 6 + n + 1);
			return;
		}
	}
	(void) complain(0, "record: %s", text[0] ? text : tally_strerror(rv));
}

static const char *
outcome_name(int outcome)
{
	switch (outcome) {
	case TALLY_PUT_NEW:
		return "recorded";
	case TALLY_PUT_CORRECTED:
		return "corrected";
	default:
		return "unchanged";
	}
}

static int
cmd_record(const struct node_args *a)
{
	struct tally_catalog         *cat = NULL;
	struct tally_store           *st  = NULL;
	struct tally_errbuf           eb  = { "" };
	struct tally_input_row        row;
	const struct tally_indicator *ind;
	struct tally_obs              obs;
	int                           ex, rv, outcome;

	if (a->db == NULL || a->indicator == NULL || a->period == NULL) {
		return usage_error(
		    "record", "--db, --indicator and --period are required");
	}
	ex = node_reason_check(prog, "record", a->reason);
	if (ex != EX_OK) {
		return ex;
	}
	ex = open_store("record", a->db, &cat, &st);
	if (ex != EX_OK) {
		return ex;
	}
	row.indicator   = a->indicator;
	row.period      = a->period;
	row.numerator   = a->num;
	row.denominator = a->den;
	row.value       = a->value;
	row.weight      = a->weight;
	rv              = tally_input_parse(cat, &row, &ind, &obs, &eb);
	if (rv == TALLY_OK) {
		rv = tally_store_begin(st);
		if (rv == TALLY_OK) {
			rv = tally_store_put(st, ind, &obs, &outcome, &eb);
		}
		if (rv == TALLY_OK && a->reason != NULL &&
		    outcome != TALLY_PUT_UNCHANGED) {
			rv = node_reason_note(
			    st, ind, &obs.period, false, a->reason);
		}
		if (rv == TALLY_OK) {
			rv = tally_store_commit(st);
		}
		if (rv != TALLY_OK) {
			tally_store_rollback(st);
		}
	}
	if (rv != TALLY_OK) {
		print_record_error(rv, &eb);
		ex = tally_exit_code(rv);
	} else {
		printf(
		    "%s %s %s\n", outcome_name(outcome), ind->id, a->period);
	}
	tally_store_close(st);
	tally_catalog_free(cat);
	return ex;
}

/* The commands that read and write spreadsheets run in a program of their
 * own, tally-node-intake, beside this one: libxml2, libzip and
 * libxlsxwriter (and the ICU, C++ and OpenSSL libraries they pull in)
 * would add megabytes to every process of this program, the idle daemon
 * `run` among them. argv is passed on unchanged. */
static int
run_intake(const char *cmd, char **argv)
{
	char        self[PATH_MAX], helper[PATH_MAX + 32];
	char        libexec[PATH_MAX + 48];
	ssize_t     n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *paths[3];

	/* Beside this program (a build tree), in libexec/tally beside its
	 * bin/ (an installed tree wherever its root is, such as a package
	 * unpacked for a test), then where the build installs it. */
	paths[0] = NULL;
	paths[1] = NULL;
	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash   = strrchr(self, '/');
		if (slash != NULL) {
			*slash = '\0';
			snprintf(helper, sizeof(helper),
			    "%s/tally-node-intake", self);
			snprintf(libexec, sizeof(libexec),
			    "%s/../libexec/tally/tally-node-intake", self);
			paths[0] = helper;
			paths[1] = libexec;
		}
	}
	paths[2] = TALLY_INTAKE_HELPER;
	for (int i = 0; i < 3; i++) {
		if (paths[i] != NULL && access(paths[i], X_OK) == 0) {
			execv(paths[i], argv);
			return complain(EX_SOFTWARE, "%s: cannot run %s: %s",
			    cmd, paths[i], strerror(errno));
		}
	}
	return complain(EX_SOFTWARE,
	    "%s: the helper tally-node-intake is not installed (looked "
	    "beside this program, in ../libexec/tally beside it and in %s)",
	    cmd, TALLY_INTAKE_HELPER);
}

static int
cmd_show(const struct node_args *a)
{
	struct tally_catalog         *cat = NULL;
	struct tally_store           *st  = NULL;
	const struct tally_indicator *ind = NULL;
	struct tally_period           period;
	int                           ex, rv, format = TALLY_FORMAT_TABLE;

	if (a->db == NULL || a->period == NULL) {
		return usage_error("show", "--db and --period are required");
	}
	if (a->format != NULL && tally_format_parse(a->format, &format) != 0) {
		return usage_error(
		    "show", "--format must be table, json or csv");
	}
	if (tally_period_parse(a->period, &period) != TALLY_OK) {
		(void) complain(0,
		    "show: --period: '%s' is not a valid period (YYYY, "
		    "YYYYQn or YYYY-MM)",
		    a->period);
		return EX_DATAERR;
	}
	ex = open_store("show", a->db, &cat, &st);
	if (ex != EX_OK) {
		return ex;
	}
	if (a->indicator != NULL) {
		ind = tally_catalog_indicator(cat, a->indicator);
		if (ind == NULL) {
			(void) complain(0,
			    "show: --indicator: unknown indicator '%s'",
			    a->indicator);
			ex = EX_DATAERR;
			goto done;
		}
	}
	rv = node_show(stdout, cat, st, &period, ind, format);
	if (rv != TALLY_OK) {
		(void) complain(0, "show: %s", tally_strerror(rv));
		ex = tally_exit_code(rv);
	}
done:
	tally_store_close(st);
	tally_catalog_free(cat);
	return ex;
}

/* How long an idle daemon waits before it makes an exchange anyway. */
#define NODE_HEARTBEAT_MS 10000

/* Without a watch on the store's directory, how often the daemon looks
 * whether another process committed to its store. */
#define NODE_POLL_MS 200
/* The daemon's SQLite page cache, in KiB. */
#define NODE_CACHE_KIB 256
/* After a write to the store's files that data_version does not show yet
 * (the other process wrote its WAL frames but has not yet published the
 * commit), how long the daemon keeps looking, at 1, 2, 4, ... ms apart up
 * to the longest step. */
#define NODE_SETTLE_MS          300
#define NODE_SETTLE_STEP_MAX_MS 8

static volatile sig_atomic_t node_stop;
/* A pipe the signal handler writes to, so that a wait in poll() ends on a
 * signal whichever thread (NNG has its own) the signal was delivered to. */
static int node_wake[2] = { -1, -1 };

static void
on_signal(int sig)
{
	int saved = errno;

	(void) sig;
	node_stop = 1;
	if (node_wake[1] >= 0) {
		(void) !write(node_wake[1], "", 1);
	}
	errno = saved;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads and drops whatever fd holds (non-blocking). */
static void
drain(int fd)
{
	char buf[4096];

	while (fd >= 0 && read(fd, buf, sizeof(buf)) > 0) {
	}
}

/* The name of the store's file in its directory: inotify events name the
 * file they are about, and only the store's own files (itself, its WAL,
 * its rollback journal) matter; other stores may share the directory. */
static char node_db_name[NAME_MAX + 1];

static bool
is_store_file(const char *name)
{
	size_t n = strlen(node_db_name);

	return n > 0 && strncmp(name, node_db_name, n) == 0 &&
	    (name[n] == '\0' || strcmp(name + n, "-wal") == 0 ||
	        strcmp(name + n, "-journal") == 0);
}

/* Reads every pending event of an inotify descriptor; true when one was
 * about the store's files. */
static bool
drain_watch(int fd)
{
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	bool    ours = false;
	ssize_t len;

	while ((len = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (void *) p;

			ours =
			    ours || (ev->len > 0 && is_store_file(ev->name));
			p += sizeof(*ev) + ev->len;
		}
	}
	return ours;
}

/* Waits up to ms for a signal or, with watch >= 0 (an inotify
 * descriptor), for a write to the store's files. Returns true when one
 * was written. */
static bool
node_wait(int watch, int ms)
{
	struct pollfd pfd[2];
	nfds_t        n = 0;
	int           rc;

	if (node_stop || ms <= 0) {
		return false;
	}
	if (node_wake[0] >= 0) {
		pfd[n].fd     = node_wake[0];
		pfd[n].events = POLLIN;
		n++;
	}
	if (watch >= 0) {
		pfd[n].fd     = watch;
		pfd[n].events = POLLIN;
		n++;
	}
	if (n == 0) {
		/* No pipe: short naps, so that a signal is noticed soon. */
		while (ms > 0 && !node_stop) {
			struct timespec ts = { 0, 20 * 1000000L };
			nanosleep(&ts, NULL);
			ms -= 20;
		}
		return false;
	}
	rc = poll(pfd, n, ms);
	if (rc <= 0) {
		return false;
	}
	drain(node_wake[0]);
	return watch >= 0 && (pfd[n - 1].revents & POLLIN) != 0 &&
	    drain_watch(watch);
}

static void
nap(int ms)
{
	(void) node_wait(-1, ms);
}

/* An inotify descriptor watching the directory of the store at db (its
 * WAL and journal files come and go there), or -1 when there is none:
 * then the daemon polls. Only writes are watched: any process that
 * commits to the store writes its WAL. */
static int
watch_store(const char *db)
{
	char        dir[PATH_MAX];
	const char *slash = strrchr(db, '/');
	int         fd;

	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
	} else if (slash == db) {
		snprintf(dir, sizeof(dir), "/");
	} else {
		snprintf(dir, sizeof(dir), "%.*s", (int) (slash - db), db);
	}
	snprintf(node_db_name, sizeof(node_db_name), "%s",
	    slash != NULL ? slash + 1 : db);
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0) {
		return -1;
	}
	if (inotify_add_watch(fd, dir,
	        IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
print_stats(const char *url, const struct tally_uplink_stats *s)
{
	printf("pushed to %s: %zu accepted, %zu duplicate, %zu stale, "
	       "%zu rejected",
	    url, s->accepted, s->duplicate, s->stale, s->rejected);
	/* Held states are kept and sent again later: not an error. */
	if (s->held > 0) {
		printf(", %zu held by approval", s->held);
	}
	putchar('\n');
	fflush(stdout);
}

/* One parent hub of a node: with a change of parent (catalog.h) a county
 * has one per parent, and each period's snapshots go to the parent for
 * that period. */
struct node_hub {
	char                 code[TALLY_REGION_STRLEN]; /* the parent */
	const char          *url;
	char                 name[32]; /* the outbox (uplink) name */
	struct tally_uplink *up;
};

/* Reads the --hub options into hubs: `URL` for the region's one parent,
 * or `CODE=URL` for each parent when the region changes parent. The
 * parent of divisions.csv keeps the outbox name "parent", so a store
 * pushed before the change went into force keeps what it was told. */
static int
node_hubs(const struct node_args *a, const struct tally_catalog *cat,
    const struct tally_division *d, const char *cmd, struct node_hub *hubs)
{
	const char *parent = cat->divisions[d->parent].code;

	for (size_t i = 0; i < a->n_hubs; i++) {
		struct node_hub *h  = &hubs[i];
		const char      *eq = strchr(a->hubs[i], '=');

		memset(h, 0, sizeof(*h));
		if (eq != NULL && eq - a->hubs[i] == 6) {
			memcpy(h->code, a->hubs[i], 6);
			h->code[6] = '\0';
		}
		if (tally_region_code_valid(h->code)) {
			h->url = eq + 1;
			if (!tally_catalog_is_child_ever(
			        cat, h->code, d->code)) {
				return usage_error(cmd,
				    "--hub: region is never a child of that "
				    "parent (divisions.csv, "
				    "division_changes.csv)");
			}
		} else {
			if (a->n_hubs > 1 ||
			    tally_catalog_moves(cat, d->code)) {
				(void) complain(0,
				    "%s: region %s changes parent "
				    "(division_changes.csv): give --hub "
				    "CODE=URL for each parent it reports to",
				    cmd, d->code);
				return EX_USAGE;
			}
			snprintf(h->code, sizeof(h->code), "%s", parent);
			h->url = a->hubs[i];
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(hubs[j].code, h->code) == 0) {
				return usage_error(
				    cmd, "--hub: the same parent twice");
			}
		}
		if (strcmp(h->code, parent) == 0) {
			snprintf(h->name, sizeof(h->name), "parent");
		} else {
			snprintf(
			    h->name, sizeof(h->name), "parent:%.6s", h->code);
		}
	}
	return EX_OK;
}

/* Waits until another connection commits to st (its data_version moves
 * from *seen, which is then updated), a signal, or NODE_HEARTBEAT_MS.
 * With a watch on the store's directory it sleeps until a file there is
 * written, so that a change is noticed within milliseconds at no cost
 * while idle; without, it looks every NODE_POLL_MS. */
static void
wait_changes(struct tally_store *st, int watch, uint64_t *seen)
{
	int64_t end = mono_ms() + NODE_HEARTBEAT_MS, settle_end = 0;
	int     settle_step = 1;

	while (!node_stop) {
		uint64_t now;
		int64_t  t = mono_ms(), left = end - t;
		int      step;

		if (tally_store_data_version(st, &now) == TALLY_OK &&
		    now != *seen) {
			*seen = now;
			return;
		}
		if (left <= 0) {
			return;
		}
		step = (int) left;
		if (watch < 0) {
			step = NODE_POLL_MS;
		} else if (t < settle_end) {
			step        = settle_step;
			settle_step = settle_step * 2 > NODE_SETTLE_STEP_MAX_MS
			    ? NODE_SETTLE_STEP_MAX_MS
			    : settle_step * 2;
		}
		if (step > left) {
			step = (int) left;
		}
		if (node_wait(watch, step)) {
			settle_end  = mono_ms() + NODE_SETTLE_MS;
			settle_step = 1;
		}
	}
}

/* The parent hubs' uplinks, each with the node's key (a->key) and TLS
 * settings. EX_OK, or the exit status (the reason said). */
static int
push_uplinks(const struct node_args *a, const char *cmd, struct node_hub *hubs,
    size_t nh, struct tally_signer **key)
{
	struct tally_tls    tls;
	struct tally_errbuf eb = { "" };
	int                 rv;

	if (a->key != NULL) {
		rv = tally_signer_load(a->key, key, &eb);
		if (rv != TALLY_OK) {
			return report(rv,
			    strcmp(cmd, "run") == 0 ? "run: --key"
			                            : "push: --key",
			    &eb);
		}
	}
	memset(&tls, 0, sizeof(tls));
	tls.ca          = a->tls_ca;
	tls.cert        = a->tls_cert;
	tls.key         = a->tls_key;
	tls.server_name = a->tls_server_name;
	for (size_t i = 0; i < nh; i++) {
		rv = tally_uplink_new_tls(&hubs[i].up, hubs[i].name,
		    hubs[i].url, hubs[i].code, &tls, &eb);
		if (rv == TALLY_ECONFIG) {
			return report(rv, cmd, &eb);
		}
		if (rv != TALLY_OK) {
			(void) complain(0, "push: --hub: cannot use '%s': %s",
			    hubs[i].url, tally_strerror(rv));
			return rv == TALLY_EINVAL ? EX_USAGE
			                          : tally_exit_code(rv);
		}
		tally_uplink_set_signer(hubs[i].up, *key);
	}
	return EX_OK;
}

/* The daemon's wake-up pipe (for the signal handler) and its watch on
 * the store's directory; -1 when the directory cannot be watched, and
 * the daemon looks every NODE_POLL_MS instead. */
static int
push_daemon_watch(const char *db)
{
	int watch;

	if (node_wake[0] < 0 && pipe(node_wake) != 0) {
		node_wake[0] = node_wake[1] = -1;
	}
	for (int i = 0; i < 2 && node_wake[i] >= 0; i++) {
		fcntl(node_wake[i], F_SETFL, O_NONBLOCK);
		fcntl(node_wake[i], F_SETFD, FD_CLOEXEC);
	}
	watch = watch_store(db);
	if (watch < 0) {
		TALLY_LOG(TALLY_LOG_INFO,
		    "run: cannot watch the directory of %s; looking for "
		    "changes "
		    "every %d ms",
		    db, NODE_POLL_MS);
	}
	return watch;
}

/* One push to every parent in turn, so that one that is down does not
 * hold back the periods of another. The first failure is what is
 * returned, with its hub's URL in *url. A single push to several hubs
 * prints each hub's counts as it goes, adding its rejections to
 * *rejected. */
static int
push_round(const struct node_hub *hubs, size_t nh, struct tally_store *st,
    int timeout, bool daemon, struct tally_uplink_stats *stats,
    const char **url, size_t *rejected)
{
	int rv = TALLY_OK;

	for (size_t i = 0; i < nh; i++) {
		int one = tally_uplink_push(hubs[i].up, st, timeout, stats);

		if (one == TALLY_OK && !daemon && nh > 1) {
			print_stats(hubs[i].url, stats);
			*rejected += stats->rejected;
			memset(stats, 0, sizeof(*stats));
		}
		if (rv == TALLY_OK) {
			*url = hubs[i].url;
			rv   = one;
		}
	}
	return rv;
}

/* The exit status of a push that ended with rv, having had rejected
 * states refused, said to the user. */
static int
push_exit(int rv, const char *url, int timeout, size_t rejected)
{
	if (rv == TALLY_ETIMEDOUT) {
		(void) complain(0,
		    "push: hub %s not reached within %d ms; pending "
		    "snapshots are kept",
		    url, timeout);
		return EX_UNAVAILABLE;
	}
	if (rv == TALLY_EPROTO) {
		(void) complain(0,
		    "push: hub %s refused the submission (see the log above)",
		    url);
		return EX_NOPERM;
	}
	if (rv != TALLY_OK) {
		(void) complain(0, "push: %s", tally_strerror(rv));
		return tally_exit_code(rv);
	}
	if (rejected > 0) {
		(void) complain(0,
		    "push: the hub rejected %zu states (see the log above)",
		    rejected);
		return EX_DATAERR;
	}
	return EX_OK;
}

/* The daemon's loop: push, then wait for the store to change (another
 * process records or imports), with backoff while a hub cannot be
 * reached, until SIGINT or SIGTERM. */
static void
push_forever(const struct node_hub *hubs, size_t nh, struct tally_store *st,
    int timeout, int watch)
{
	struct tally_uplink_stats stats;
	struct tally_backoff      backoff = { 0 };
	const char               *url     = NULL;
	uint64_t                  seen    = 0;
	size_t                    ignored = 0;

	memset(&stats, 0, sizeof(stats));
	/* Changes made before this point are sent by the first push. */
	(void) tally_store_data_version(st, &seen);
	tally_notify_ready("pushing %s to %zu parent hub%s",
	    tally_store_region(st), nh, nh == 1 ? "" : "s");
	while (!node_stop) {
		int rv = push_round(
		    hubs, nh, st, timeout, true, &stats, &url, &ignored);

		if (node_stop) {
			break;
		}
		if (rv != TALLY_OK) {
			int wait_ms = tally_backoff_next(&backoff);

			TALLY_LOG(TALLY_LOG_INFO,
			    "hub %s: %s; retrying in %d ms", url,
			    tally_strerror(rv), wait_ms);
			nap(wait_ms);
			continue;
		}
		/* The heartbeat's empty exchange is not worth a line. */
		if (stats.accepted + stats.duplicate + stats.stale +
		        stats.rejected + stats.held >
		    0) {
			print_stats(nh > 1 ? "the parent hubs" : url, &stats);
		}
		memset(&stats, 0, sizeof(stats));
		tally_backoff_reset(&backoff);
		/* Falling idle: what the push freed goes back to the system.
		 */
		malloc_trim(0);
		/* Wait until another connection commits to the store, or for
		 * NODE_HEARTBEAT_MS at most: a push with nothing pending still
		 * makes one exchange, which is how an idle daemon learns that
		 * its hub lost its database (a new instance id) and sends
		 * everything again. */
		wait_changes(st, watch, &seen);
	}
	tally_notify_stopping("stopping");
}

/* push: one pass until nothing is pending. run (daemon): push_forever.
 * Each parent hub is pushed in turn. */
static int
cmd_push(const struct node_args *a, bool daemon)
{
	struct tally_catalog        *cat = NULL;
	struct tally_store          *st  = NULL;
	struct tally_signer         *key = NULL;
	struct node_hub              hubs[NODE_HUBS_MAX];
	const struct tally_division *d;
	struct sigaction             sa;
	const char                  *cmd = daemon ? "run" : "push";
	size_t                       nh  = 0;
	int                          ex, timeout = 10000;
	int                          watch = -1;

	memset(hubs, 0, sizeof(hubs));
	/* The handlers first: a stop asked for while the catalogue loads
	 * and the store opens is a clean stop too, not death by the
	 * signal's default action. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (a->db == NULL || a->n_hubs == 0) {
		return usage_error(cmd, "--db and --hub are required");
	}
	if (a->timeout_ms != NULL) {
		long long ms;

		if (tally_parse_whole(a->timeout_ms, 1, INT_MAX, &ms) !=
		    TALLY_OK) {
			return usage_error("push",
			    "--timeout-ms must be a whole number of "
			    "milliseconds > 0");
		}
		timeout = (int) ms;
	}
	if (daemon) {
		/* A daemon idles for days on an old county PC: no lookaside
		 * pools (100 slots of 1200 bytes a connection, kept for
		 * speed), which must be set before SQLite starts. */
		sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0);
	}
	ex = open_store(cmd, a->db, &cat, &st);
	if (ex != EX_OK) {
		return ex;
	}
	if (daemon) {
		/* Its store is read only to find what is pending. */
		(void) tally_store_set_cache_kib(st, NODE_CACHE_KIB);
	}
	d = tally_catalog_division(cat, tally_store_region(st));
	if (d->parent == TALLY_NO_INDEX) {
		(void) complain(
		    0, "push: region %s has no parent hub", d->code);
		ex = EX_CONFIG;
		goto done;
	}
	ex = node_hubs(a, cat, d, cmd, hubs);
	if (ex != EX_OK) {
		goto done;
	}
	nh = a->n_hubs;
	ex = push_uplinks(a, cmd, hubs, nh, &key);
	if (ex != EX_OK) {
		goto done;
	}
	if (daemon) {
		watch = push_daemon_watch(a->db);
		push_forever(hubs, nh, st, timeout, watch);
	} else {
		struct tally_uplink_stats stats;
		const char               *url      = NULL;
		size_t                    rejected = 0;
		int                       rv;

		memset(&stats, 0, sizeof(stats));
		rv = push_round(
		    hubs, nh, st, timeout, false, &stats, &url, &rejected);
		if (rv == TALLY_OK && nh == 1) {
			print_stats(url, &stats);
		}
		ex = push_exit(rv, url, timeout, stats.rejected + rejected);
	}
done:
	for (size_t i = 0; i < nh; i++) {
		tally_uplink_free(hubs[i].up);
	}
	if (watch >= 0) {
		close(watch);
	}
	tally_signer_free(key);
	tally_store_close(st);
	tally_catalog_free(cat);
	return ex;
}

/* keygen: a new key pair. The public key is printed too, with the line
 * the hub's keys file needs once the region is filled in. */
static int
cmd_keygen(const struct node_args *a)
{
	struct tally_signer *s  = NULL;
	struct tally_errbuf  eb = { "" };
	char                 id[TALLY_KEY_ID_STRLEN];
	char                 path[4200];
	int                  rv;

	if (a->out == NULL) {
		return usage_error("keygen", "--out PREFIX is required");
	}
	rv = tally_sign_keygen(a->out, id, &eb);
	if (rv == TALLY_OK) {
		/* Read back through the same checks every signer passes. */
		snprintf(path, sizeof(path), "%s.key", a->out);
		rv = tally_signer_load(path, &s, &eb);
	}
	if (rv != TALLY_OK) {
		return report(rv, "keygen", &eb);
	}
	printf("wrote %s.key (private, mode 0600) and %s.pub\n"
	       "key id %s\n"
	       "keys file line: REGION,%s\n",
	    a->out, a->out, id, tally_signer_public_b64(s));
	tally_signer_free(s);
	return EX_OK;
}

/* -c FILE: the file's settings where the command line gave none. */
static int
apply_config(struct node_args *a)
{
	struct node_config *c  = &node_cfg;
	int                 ex = node_config_load(prog, a->config, c);

	if (ex != EX_OK) {
		return ex;
	}
	a->db         = a->db != NULL ? a->db : c->db;
	a->timeout_ms = a->timeout_ms != NULL ? a->timeout_ms : c->timeout_ms;
	a->key        = a->key != NULL ? a->key : c->key;
	a->tls_ca     = a->tls_ca != NULL ? a->tls_ca : c->tls_ca;
	a->tls_cert   = a->tls_cert != NULL ? a->tls_cert : c->tls_cert;
	a->tls_key    = a->tls_key != NULL ? a->tls_key : c->tls_key;
	a->tls_server_name = a->tls_server_name != NULL ? a->tls_server_name
	                                                : c->tls_server_name;
	for (size_t i = 0; a->n_hubs == 0 && i < c->n_hubs; i++) {
		a->hubs[i] = c->hubs[i];
	}
	if (a->n_hubs == 0) {
		a->n_hubs = c->n_hubs;
	}
	return EX_OK;
}

/* `restore`: a node's store restored gives its states new versions
 * (admin.h). */
static int
node_restore(const struct node_args *a)
{
	struct tally_catalog *cat = NULL;
	int                   ex  = tally_cli_load_catalog(prog, &cat);

	if (ex == EX_OK) {
		ex = tally_admin_restore(
		    prog, cat, TALLY_ADMIN_NODE, a->db, a->from);
	}
	tally_catalog_free(cat);
	return ex;
}

/* The commands: check-config, backup and restore; -1 for another. */
static int
admin_command(const char *cmd, struct node_args *a)
{
	if (strcmp(cmd, "check-config") == 0) {
		return node_check_config(prog, a->config);
	}
	if (strcmp(cmd, "backup") == 0) {
		return tally_admin_backup(prog, a->db, a->out);
	}
	if (strcmp(cmd, "restore") == 0) {
		return node_restore(a);
	}
	return -1;
}

/* Whether the command line asks for --help or --version, which this
 * program answers for every command, tally-node-intake's included. */
static bool
asks_help(int argc, char **argv)
{
	for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-V") == 0 ||
		    strcmp(argv[i], "--version") == 0) {
			return true;
		}
	}
	return false;
}

int
main(int argc, char **argv)
{
	struct node_args a;
	const char      *cmd;
	int              c;

	memset(&a, 0, sizeof(a));
	if (argc >= 2 &&
	    (strcmp(argv[1], "import") == 0 ||
	        strcmp(argv[1], "template") == 0 ||
	        strcmp(argv[1], "indicators") == 0 ||
	        strcmp(argv[1], "status") == 0 ||
	        strcmp(argv[1], "serve") == 0) &&
	    !asks_help(argc, argv)) {
		return run_intake(argv[1], argv);
	}
	if (argc >= 2 && argv[1][0] != '-') {
		cmd = argv[1];
		argv++;
		argc--;
	} else {
		cmd = NULL;
	}
	while (
	    (c = getopt_long(argc, argv, "hVqc:", long_options, NULL)) != -1) {
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
		case 'c':
			a.config = optarg;
			break;
		case OPT_DB:
			a.db = optarg;
			break;
		case OPT_REGION:
			a.region = optarg;
			break;
		case OPT_INDICATOR:
			a.indicator = optarg;
			break;
		case OPT_PERIOD:
			a.period = optarg;
			break;
		case OPT_NUM:
			a.num = optarg;
			break;
		case OPT_DEN:
			a.den = optarg;
			break;
		case OPT_VALUE:
			a.value = optarg;
			break;
		case OPT_WEIGHT:
			a.weight = optarg;
			break;
		case OPT_REASON:
			a.reason = optarg;
			break;
		case OPT_FORMAT:
			a.format = optarg;
			break;
		case OPT_HUB:
			if (a.n_hubs == NODE_HUBS_MAX) {
				return usage_error(
				    cmd != NULL ? cmd : "tally-node",
				    "too many --hub");
			}
			a.hubs[a.n_hubs++] = optarg;
			break;
		case OPT_TIMEOUT:
			a.timeout_ms = optarg;
			break;
		case OPT_OUT:
			a.out = optarg;
			break;
		case OPT_FROM:
			a.from = optarg;
			break;
		case OPT_KEY:
			a.key = optarg;
			break;
		case OPT_TLS_CA:
			a.tls_ca = optarg;
			break;
		case OPT_TLS_CERT:
			a.tls_cert = optarg;
			break;
		case OPT_TLS_KEY:
			a.tls_key = optarg;
			break;
		case OPT_TLS_SERVER_NAME:
			a.tls_server_name = optarg;
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
	if (strcmp(cmd, "check-config") != 0 && a.config != NULL) {
		c = apply_config(&a);
		if (c != EX_OK) {
			return c;
		}
	}
	c = admin_command(cmd, &a);
	if (c >= 0) {
		return c;
	}
	if (strcmp(cmd, "init") == 0) {
		return cmd_init(&a);
	}
	if (strcmp(cmd, "record") == 0) {
		return cmd_record(&a);
	}
	if (strcmp(cmd, "withdraw") == 0) {
		return node_withdraw(
		    prog, a.db, a.indicator, a.period, a.reason);
	}
	if (strcmp(cmd, "show") == 0) {
		return cmd_show(&a);
	}
	if (strcmp(cmd, "push") == 0) {
		return cmd_push(&a, false);
	}
	if (strcmp(cmd, "run") == 0) {
		return cmd_push(&a, true);
	}
	if (strcmp(cmd, "keygen") == 0) {
		return cmd_keygen(&a);
	}
	return usage_error(cmd, "unknown command");
}

/*
 * `tally-hub approve`, `unapprove` and `approvals`: a hub's sign-off of
 * a child's figures for a period, its reopening, and the list of both
 * (approval.h, docs/approval.md). They work on the store of a running
 * hub: each change is one BEGIN IMMEDIATE transaction, and the hub reads
 * the approvals in force in the transaction of every batch it admits, so
 * a state that arrives after the commit is held.
 */
#include "approve.h"

#include "admit.h"
#include "approval.h"
#include "cli.h"
#include "clock.h"
#include "errors.h"
#include "period.h"
#include "sign.h"
#include "store.h"
#include "text.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

struct approve_args {
	const char *cmd;
	const char *db;
	const char *region;
	const char *period;
	const char *key;
	const char *note;
	const char *reason;
	const char *format;
	char        ptext[TALLY_PERIOD_STRLEN]; /* the period, normalised */
};

static const char *prog = "tally-hub";

static void
approve_usage(FILE *f)
{
	fprintf(f,
	    "usage: %s approve --db FILE --region CHILD --period P\n"
	    "                  [--key FILE] [--note TEXT]\n"
	    "       %s unapprove --db FILE --region CHILD --period P\n"
	    "                  --reason TEXT\n"
	    "       %s approvals --db FILE [--format table|json]\n"
	    "approve: sign off CHILD's figures for P and every period inside\n"
	    "it: the digest of exactly the states held, signed with --key "
	    "(the\n"
	    "hub's key). A new version of them is then held, not taken, "
	    "until\n"
	    "unapprove reopens them with a reason. A child that has children\n"
	    "must have approved each of them first (docs/approval.md).\n",
	    prog, prog, prog);
}

static int
parse(int argc, char **argv, struct approve_args *a)
{
	enum {
		O_DB = 256,
		O_REGION,
		O_PERIOD,
		O_KEY,
		O_NOTE,
		O_REASON,
		O_FORMAT
	};
	static const struct option opts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "region", required_argument, NULL, O_REGION },
		{ "period", required_argument, NULL, O_PERIOD },
		{ "key", required_argument, NULL, O_KEY },
		{ "note", required_argument, NULL, O_NOTE },
		{ "reason", required_argument, NULL, O_REASON },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_DB:
			a->db = optarg;
			break;
		case O_REGION:
			a->region = optarg;
			break;
		case O_PERIOD:
			a->period = optarg;
			break;
		case O_KEY:
			a->key = optarg;
			break;
		case O_NOTE:
			a->note = optarg;
			break;
		case O_REASON:
			a->reason = optarg;
			break;
		case O_FORMAT:
			a->format = optarg;
			break;
		case 'h':
			approve_usage(stdout);
			return -1;
		default:
			approve_usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		return tally_cli_usage(prog, a->cmd, "unexpected argument");
	}
	return EX_OK;
}

/* The checks every command shares; the period normalised in a->ptext. */
static int
check_args(struct approve_args *a, bool listing)
{
	struct tally_period p;
	char                why[256];

	if (a->db == NULL) {
		return tally_cli_usage(prog, a->cmd, "--db is required");
	}
	if (listing) {
		if (a->region != NULL || a->period != NULL || a->key != NULL ||
		    a->note != NULL || a->reason != NULL) {
			return tally_cli_usage(
			    prog, a->cmd, "only --db and --format");
		}
		return EX_OK;
	}
	if (a->region == NULL || a->period == NULL) {
		return tally_cli_usage(
		    prog, a->cmd, "--region and --period are required");
	}
	if (!tally_region_code_valid(a->region)) {
		return tally_cli_complain(prog, EX_DATAERR,
		    "%s: --region: '%s' is not a region code", a->cmd,
		    a->region);
	}
	if (tally_period_parse(a->period, &p) != 0) {
		return tally_cli_complain(prog, EX_DATAERR,
		    "%s: --period: '%s' is not a valid period (YYYY, YYYYQn "
		    "or YYYY-MM)",
		    a->cmd, a->period);
	}
	tally_period_format(&p, a->ptext);
	if (strcmp(a->cmd, "approve") == 0 && a->reason != NULL) {
		return tally_cli_usage(prog, a->cmd,
		    "--reason goes with unapprove (approve takes --note)");
	}
	if (strcmp(a->cmd, "unapprove") == 0 &&
	    (a->note != NULL || a->key != NULL)) {
		return tally_cli_usage(prog, a->cmd,
		    "unapprove takes --reason, no --note or --key");
	}
	if (strcmp(a->cmd, "unapprove") == 0 && a->reason == NULL) {
		return tally_cli_usage(prog, a->cmd,
		    "--reason is required: say why the figures are reopened");
	}
	if (a->reason != NULL &&
	    tally_admit_reason(a->reason, why, sizeof(why)) != TALLY_OK) {
		return tally_cli_complain(
		    prog, EX_DATAERR, "%s: --reason: %s", a->cmd, why);
	}
	if (a->note != NULL &&
	    tally_admit_reason(a->note, why, sizeof(why)) != TALLY_OK) {
		return tally_cli_complain(
		    prog, EX_DATAERR, "%s: --note: %s", a->cmd, why);
	}
	return EX_OK;
}

/* The order rule: each child of a->region with a state held for a period
 * inside the one approved must have been approved for it by a->region
 * (its approvals came up with its states). why names the first missing. */
static int
children_approved(struct tally_store *st, const struct tally_catalog *cat,
    const struct approve_args *a, const struct tally_approval_state *s,
    size_t n, char *why, size_t len, bool *ok)
{
	const struct tally_division *d =
	    tally_catalog_division(cat, a->region);
	struct tally_approval got;

	*ok = true;
	if (d == NULL || d->first_child == TALLY_NO_INDEX) {
		return TALLY_OK;
	}
	for (size_t i = 0; i < n; i++) {
		const struct tally_division *r =
		    tally_catalog_division(cat, s[i].region);
		int rv;

		if (r == NULL || strcmp(r->parent_code, a->region) != 0) {
			continue;
		}
		rv = tally_approval_covering(
		    st, cat, a->region, s[i].region, s[i].period, &got);
		if (rv == TALLY_ENOENT) {
			snprintf(why, len,
			    "%s has not approved %s for %s: %s approves its "
			    "children first",
			    a->region, s[i].region, s[i].period, a->region);
			*ok = false;
			return TALLY_OK;
		}
		if (rv != TALLY_OK) {
			return rv;
		}
	}
	return TALLY_OK;
}

/* Builds, signs and adds the approval inside the open transaction. */
static int
make_approval(struct tally_store *st, const struct tally_catalog *cat,
    const struct approve_args *a, const struct tally_signer *signer,
    struct tally_approval *out)
{
	struct tally_approval_state *s = NULL;
	struct tally_approval        ap;
	char                         why[256];
	size_t                       n  = 0;
	bool                         ok = true;
	int                          rv;

	memset(&ap, 0, sizeof(ap));
	rv = tally_approval_covering(
	    st, cat, tally_store_region(st), a->region, a->ptext, &ap);
	if (rv == TALLY_OK && strcmp(ap.child, a->region) == 0 &&
	    strcmp(ap.period, a->ptext) == 0) {
		*out = ap;
		return TALLY_EEXIST;
	}
	rv = tally_approval_collect(st, cat, a->region, a->ptext, &s, &n);
	if (rv == TALLY_OK && n == 0) {
		tally_cli_complain(prog, EX_DATAERR,
		    "approve: this hub holds no figure of %s for %s or a "
		    "period inside it: nothing to approve",
		    a->region, a->ptext);
		rv = TALLY_EDATA;
	}
	if (rv == TALLY_OK) {
		rv =
		    children_approved(st, cat, a, s, n, why, sizeof(why), &ok);
	}
	if (rv == TALLY_OK && !ok) {
		tally_cli_complain(prog, EX_DATAERR, "approve: %s", why);
		rv = TALLY_EDATA;
	}
	if (rv != TALLY_OK) {
		free(s);
		return rv;
	}
	memset(&ap, 0, sizeof(ap));
	snprintf(
	    ap.approver, sizeof(ap.approver), "%s", tally_store_region(st));
	snprintf(ap.child, sizeof(ap.child), "%s", a->region);
	snprintf(ap.period, sizeof(ap.period), "%s", a->ptext);
	snprintf(
	    ap.note, sizeof(ap.note), "%s", a->note != NULL ? a->note : "");
	ap.approved_ms = tally_clock_now_ms();
	ap.states      = n;
	tally_approval_digest(s, n, ap.digest);
	free(s);
	if (signer != NULL) {
		tally_approval_sign(&ap, signer);
	}
	rv = tally_approval_put(st, &ap);
	if (rv == TALLY_OK) {
		*out = ap;
	}
	return rv;
}

static int
do_approve(struct tally_store *st, const struct tally_catalog *cat,
    const struct approve_args *a)
{
	struct tally_signer  *signer = NULL;
	struct tally_errbuf   eb     = { "" };
	struct tally_approval ap;
	char                  at[TALLY_CLOCK_ISO_STRLEN];
	int                   rv;

	if (a->key != NULL &&
	    tally_signer_load(a->key, &signer, &eb) != TALLY_OK) {
		return tally_cli_complain(
		    prog, EX_CONFIG, "approve: --key: %s", eb.text);
	}
	rv = tally_store_begin(st);
	if (rv == TALLY_OK) {
		rv = make_approval(st, cat, a, signer, &ap);
	}
	if (rv == TALLY_OK) {
		rv = tally_store_commit(st);
	} else {
		tally_store_rollback(st);
	}
	tally_signer_free(signer);
	if (rv == TALLY_EEXIST) {
		tally_clock_format_iso(ap.approved_ms, at, sizeof(at));
		printf("%s %s was approved already by %s at %s (digest %s)\n",
		    ap.child, ap.period, ap.approver, at, ap.digest);
		return EX_OK;
	}
	if (rv == TALLY_EDATA) {
		return EX_DATAERR;
	}
	if (rv != TALLY_OK) {
		return tally_cli_complain(prog, tally_exit_code(rv),
		    "approve: %s", tally_strerror(rv));
	}
	tally_clock_format_iso(ap.approved_ms, at, sizeof(at));
	printf("approved %s %s at %s: %llu states, digest %s, %s%s\n",
	    ap.child, ap.period, at, (unsigned long long) ap.states, ap.digest,
	    ap.key_id[0] != '\0' ? "signed with key " : "unsigned", ap.key_id);
	return EX_OK;
}

/* Whether the parent's approval in force of this hub's region (it came
 * with the parent's answers) lies over the period reopened: reopening
 * here would then let through what the parent approved. why says which. */
static int
parent_holds(struct tally_store *st, const struct tally_catalog *cat,
    const struct approve_args *a, char *why, size_t len, bool *holds)
{
	const struct tally_division *d =
	    tally_catalog_division(cat, tally_store_region(st));
	struct tally_approval *list = NULL;
	struct tally_period    p, q;
	size_t                 n = 0;
	int                    rv;

	*holds = false;
	if (d == NULL || d->parent_code[0] == '\0') {
		return TALLY_OK;
	}
	rv = tally_approval_of(st, d->parent_code, d->code, &list, &n);
	for (size_t i = 0; rv == TALLY_OK && i < n && !*holds; i++) {
		char at[TALLY_CLOCK_ISO_STRLEN];

		if (tally_period_parse(list[i].period, &q) != 0 ||
		    tally_period_parse(a->ptext, &p) != 0 ||
		    !(tally_period_contains(&q, &p) ||
		        tally_period_contains(&p, &q))) {
			continue;
		}
		tally_clock_format_iso(list[i].approved_ms, at, sizeof(at));
		snprintf(why, len,
		    "%s of %s was approved by %s at %s; ask %s to reopen it "
		    "first",
		    list[i].period, list[i].child, list[i].approver, at,
		    list[i].approver);
		*holds = true;
	}
	free(list);
	return rv;
}

static int
do_unapprove(struct tally_store *st, const struct tally_catalog *cat,
    const struct approve_args *a)
{
	int64_t now   = tally_clock_now_ms();
	bool    holds = false;
	char    why[256];
	int     rv = tally_store_begin(st);

	if (rv == TALLY_OK) {
		rv = parent_holds(st, cat, a, why, sizeof(why), &holds);
	}
	if (rv == TALLY_OK && holds) {
		tally_store_rollback(st);
		return tally_cli_complain(
		    prog, EX_DATAERR, "unapprove: %s", why);
	}
	if (rv == TALLY_OK) {
		rv = tally_approval_reopen(st, tally_store_region(st),
		    a->region, a->ptext, now, a->reason);
	}
	if (rv == TALLY_OK) {
		rv = tally_store_commit(st);
	} else {
		tally_store_rollback(st);
	}
	if (rv == TALLY_ENOENT) {
		return tally_cli_complain(prog, EX_DATAERR,
		    "unapprove: %s has no approval of %s for %s in force",
		    tally_store_region(st), a->region, a->ptext);
	}
	if (rv != TALLY_OK) {
		return tally_cli_complain(prog, tally_exit_code(rv),
		    "unapprove: %s", tally_strerror(rv));
	}
	printf("reopened %s %s: %s\n", a->region, a->ptext, a->reason);
	return EX_OK;
}

static int
do_list(struct tally_store *st, const struct approve_args *a)
{
	struct tally_approval *list = NULL;
	size_t                 n    = 0;
	int                    fmt  = TALLY_FORMAT_TABLE;
	int                    rv;

	if (a->format != NULL &&
	    (tally_format_parse(a->format, &fmt) != 0 ||
	        fmt == TALLY_FORMAT_CSV)) {
		return tally_cli_usage(
		    prog, a->cmd, "--format must be table or json");
	}
	rv = tally_approval_list(st, NULL, &list, &n);
	if (rv != TALLY_OK) {
		return tally_cli_complain(prog, tally_exit_code(rv),
		    "approvals: %s", tally_strerror(rv));
	}
	if (fmt == TALLY_FORMAT_JSON) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++) {
			json_array_append_new(
			    arr, tally_approval_json(&list[i]));
		}
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(arr);
	} else {
		for (size_t i = 0; i < n; i++) {
			char at[TALLY_CLOCK_ISO_STRLEN];

			tally_clock_format_iso(
			    list[i].approved_ms, at, sizeof(at));
			printf("%-8s %-8s %-8s %s %-9s %s%s%s\n",
			    list[i].approver, list[i].child, list[i].period,
			    at,
			    list[i].reopened_ms > 0 ? "reopened" : "approved",
			    list[i].digest, list[i].reopened_ms > 0 ? " " : "",
			    list[i].reopened_ms > 0 ? list[i].reopen_reason
			                            : "");
		}
	}
	free(list);
	return EX_OK;
}

bool
hub_approve_is_command(const char *cmd)
{
	return strcmp(cmd, "approve") == 0 || strcmp(cmd, "unapprove") == 0 ||
	    strcmp(cmd, "approvals") == 0;
}

int
hub_approve_main(int argc, char **argv)
{
	struct approve_args   a;
	struct tally_catalog *cat = NULL;
	struct tally_store   *st  = NULL;
	struct tally_errbuf   eb  = { "" };
	bool                  listing;
	int                   ex, rv;

	memset(&a, 0, sizeof(a));
	a.cmd   = argv[0];
	listing = strcmp(a.cmd, "approvals") == 0;
	ex      = parse(argc, argv, &a);
	if (ex != EX_OK) {
		return ex < 0 ? EX_OK : ex;
	}
	ex = check_args(&a, listing);
	if (ex != EX_OK) {
		return ex;
	}
	ex = tally_cli_load_catalog(prog, &cat);
	if (ex != EX_OK) {
		return ex;
	}
	rv = tally_store_open(a.db, cat, &st, &eb);
	if (rv != TALLY_OK) {
		ex = tally_cli_complain(prog, tally_exit_code(rv), "%s: %s",
		    a.cmd, eb.text[0] ? eb.text : tally_strerror(rv));
		goto done;
	}
	if (!listing &&
	    !tally_catalog_is_child_ever(
	        cat, tally_store_region(st), a.region)) {
		ex = tally_cli_complain(prog, EX_DATAERR,
		    "%s: %s is not a child of this hub's region %s", a.cmd,
		    a.region, tally_store_region(st));
		goto done;
	}
	if (listing) {
		ex = do_list(st, &a);
	} else if (strcmp(a.cmd, "approve") == 0) {
		ex = do_approve(st, cat, &a);
	} else {
		ex = do_unapprove(st, cat, &a);
	}
done:
	tally_store_close(st);
	tally_catalog_free(cat);
	return ex;
}

/*
 * `tally-node withdraw` and the reasons of corrections, declared in
 * withdraw.h. A withdrawal is a change like a correction: a new version
 * of the period's snapshot and of every coarser one, here without the
 * observation; the hubs above replace what they hold with it, so each
 * level drops the region's contribution exactly, and a resent older
 * version is stale there. Recording the period again later is a new
 * version again, and counts again.
 */
#include "withdraw.h"

#include "admit.h"
#include "cli.h"
#include "clock.h"
#include "errors.h"
#include "input.h"
#include "log.h"
#include "period.h"
#include "reason.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

int
node_reason_check(const char *prog, const char *cmd, const char *reason)
{
	char why[200];

	if (reason == NULL) {
		return EX_OK;
	}
	if (tally_admit_reason(reason, why, sizeof(why)) != TALLY_OK) {
		return tally_cli_complain(prog, EX_DATAERR,
		    "%s: --reason: %s; nothing was written", cmd, why);
	}
	return EX_OK;
}

int
node_reason_note(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_period *period, bool withdrawn, const char *reason)
{
	struct tally_period p = *period;
	uint64_t            made, v;
	int                 rv;

	rv = tally_store_snapshot_version(st, ind, period, &made);
	while (rv == TALLY_OK) {
		char               text[TALLY_PERIOD_STRLEN];
		struct tally_state s;
		bool               empty;

		/* A coarser snapshot held back (store.h, regroup) did not
		 * take this version: nothing to say about it. */
		if (tally_store_snapshot_version(st, ind, &p, &v) ==
		        TALLY_OK &&
		    v == made) {
			rv = tally_store_snapshot(st, ind, &p, &s, &v);
			if (rv != TALLY_OK && rv != TALLY_ENOENT) {
				return rv;
			}
			empty = rv == TALLY_ENOENT;
			tally_period_format(&p, text);
			rv = tally_reason_put(st, "", ind->id, text, made,
			    withdrawn && empty, reason, tally_clock_now_ms());
		}
		if (rv != TALLY_OK ||
		    tally_period_parent(&p, &p) != TALLY_OK) {
			break;
		}
	}
	return rv;
}

/* The indicator and period as typed, with the messages of `record`. */
static int
parse_key(const char *prog, const struct tally_catalog *cat,
    const char *indicator, const char *period,
    const struct tally_indicator **ind, struct tally_period *p)
{
	const struct tally_indicator *near;

	*ind = tally_input_indicator(cat, indicator);
	if (*ind == NULL) {
		near = tally_input_nearest(cat, indicator);
		if (near != NULL) {
			return tally_cli_complain(prog, EX_DATAERR,
			    "withdraw: --indicator: unknown indicator '%s'; "
			    "did you mean '%s' (%s)?",
			    indicator, near->id, near->name_zh);
		}
		return tally_cli_complain(prog, EX_DATAERR,
		    "withdraw: --indicator: unknown indicator '%s'; "
		    "`tally-node indicators` lists the ids and Chinese names",
		    indicator);
	}
	if (tally_period_parse_loose(period, p) != TALLY_OK) {
		return tally_cli_complain(prog, EX_DATAERR,
		    "withdraw: --period: '%s' is not a valid period (write "
		    "2020-03, 2020年3月, 2020Q2, 2020年第二季度 or 2020)",
		    period);
	}
	return EX_OK;
}

/* Whether the snapshot of (ind, period) is one this store withdrew:
 * withdrawing it again changes nothing. */
static bool
already_withdrawn(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_period *period)
{
	char     text[TALLY_PERIOD_STRLEN], why[8];
	uint64_t v;
	bool     withdrawn = false;

	tally_period_format(period, text);
	return tally_store_snapshot_version(st, ind, period, &v) == TALLY_OK &&
	    tally_reason_get(st, "", ind->id, text, v, &withdrawn, why,
	        sizeof(why)) == TALLY_OK &&
	    withdrawn;
}

/* Nothing recorded for (ind, period): says what is recorded inside it,
 * which is what a person who typed a quarter for its months meant. */
static int
nothing_recorded(const char *prog, struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period)
{
	struct tally_obs *obs = NULL;
	size_t            n   = 0;
	char              text[TALLY_PERIOD_STRLEN], list[256] = "";
	size_t            used = 0;

	tally_period_format(period, text);
	if (tally_store_observations(st, ind, period, &obs, &n) != TALLY_OK ||
	    n == 0) {
		free(obs);
		return tally_cli_complain(prog, EX_DATAERR,
		    "withdraw: --period: nothing is recorded for '%s' %s",
		    ind->id, text);
	}
	for (size_t i = 0; i < n && used + 16 < sizeof(list); i++) {
		char p[TALLY_PERIOD_STRLEN];

		tally_period_format(&obs[i].period, p);
		used += (size_t) snprintf(list + used, sizeof(list) - used,
		    "%s%s", i > 0 ? ", " : "", p);
	}
	free(obs);
	return tally_cli_complain(prog, EX_DATAERR,
	    "withdraw: --period: nothing is recorded for '%s' %s itself; "
	    "recorded inside it: %s (withdraw each)",
	    ind->id, text, list);
}

/* The withdrawal in one transaction: the observation, the snapshots and
 * their reasons are written whole or not at all. */
static int
withdraw_in(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_period *period, const char *reason,
    struct tally_errbuf *eb)
{
	uint64_t v;
	int      rv = tally_store_begin(st);

	if (rv == TALLY_OK) {
		rv = tally_store_withdraw(st, ind, period, &v, eb);
	}
	if (rv == TALLY_OK) {
		rv = node_reason_note(st, ind, period, true, reason);
	}
	if (rv == TALLY_OK) {
		rv = tally_store_commit(st);
	}
	if (rv != TALLY_OK) {
		tally_store_rollback(st);
	}
	return rv;
}

int
node_withdraw(const char *prog, const char *db, const char *indicator,
    const char *period, const char *reason)
{
	struct tally_catalog         *cat = NULL;
	struct tally_store           *st  = NULL;
	struct tally_errbuf           eb  = { "" };
	const struct tally_indicator *ind;
	struct tally_period           p;
	char                          text[TALLY_PERIOD_STRLEN];
	int                           ex, rv;

	if (db == NULL || indicator == NULL || period == NULL ||
	    reason == NULL) {
		return tally_cli_usage(prog, "withdraw",
		    "--db, --indicator, --period and --reason are required");
	}
	ex = node_reason_check(prog, "withdraw", reason);
	if (ex != EX_OK) {
		return ex;
	}
	ex = tally_cli_load_catalog(prog, &cat);
	if (ex != EX_OK) {
		return ex;
	}
	ex = parse_key(prog, cat, indicator, period, &ind, &p);
	if (ex != EX_OK) {
		goto done;
	}
	rv = tally_store_open(db, cat, &st, &eb);
	if (rv != TALLY_OK) {
		ex = tally_cli_complain(prog, tally_exit_code(rv),
		    "withdraw: %s", eb.text[0] ? eb.text : tally_strerror(rv));
		goto done;
	}
	tally_log_set_region(tally_store_region(st));
	tally_period_format(&p, text);
	rv = withdraw_in(st, ind, &p, reason, &eb);
	if (rv == TALLY_ENOENT && already_withdrawn(st, ind, &p)) {
		printf("unchanged %s %s: already withdrawn\n", ind->id, text);
		ex = EX_OK;
	} else if (rv == TALLY_ENOENT) {
		ex = nothing_recorded(prog, st, ind, &p);
	} else if (rv != TALLY_OK) {
		ex = tally_cli_complain(prog, tally_exit_code(rv),
		    "withdraw: %s", eb.text[0] ? eb.text : tally_strerror(rv));
	} else {
		printf("withdrawn %s %s: %s\n", ind->id, text, reason);
		ex = EX_OK;
	}
done:
	tally_store_close(st);
	tally_catalog_free(cat);
	return ex;
}

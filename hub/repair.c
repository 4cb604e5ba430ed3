/*
 * The repair command declared in repair.h.
 */
#include "repair.h"

#include "admit.h"
#include "cli.h"
#include "store.h"

#include <stdlib.h>
#include <sysexits.h>

static const char *prog = "tally-hub";

/* How far ahead of now a version is, as a person reads it. */
static void
ahead_text(uint64_t version, uint64_t now, char *buf, size_t len)
{
	uint64_t d = version > now ? version - now : 0;

	if (d >= 86400000000ULL) {
		snprintf(buf, len, "%llu days ahead",
		    (unsigned long long) (d / 86400000000ULL));
	} else {
		snprintf(buf, len, "%llu seconds ahead",
		    (unsigned long long) (d / 1000000u));
	}
}

int
hub_repair(FILE *out, const struct tally_catalog *cat,
    const struct hub_repair_opts *o)
{
	struct tally_store       *st    = NULL;
	struct tally_repair_item *items = NULL;
	struct tally_errbuf       eb    = { "" };
	struct tally_period       p;
	uint64_t                  now = tally_admit_now_us();
	uint64_t limit                = now + (uint64_t) o->skew_s * 1000000u;
	size_t   n                    = 0;
	char     ahead[64];
	int      rv;

	if (tally_catalog_division(cat, o->region) == NULL) {
		return tally_cli_complain(prog, EX_DATAERR,
		    "repair: --region: unknown region code '%s'", o->region);
	}
	if (o->indicator != NULL &&
	    tally_catalog_indicator(cat, o->indicator) == NULL) {
		return tally_cli_complain(prog, EX_DATAERR,
		    "repair: --indicator: unknown indicator '%s'",
		    o->indicator);
	}
	if (o->period != NULL &&
	    tally_period_parse(o->period, &p) != TALLY_OK) {
		return tally_cli_complain(prog, EX_DATAERR,
		    "repair: --period: '%s' is not a valid period (YYYY, "
		    "YYYYQn or YYYY-MM)",
		    o->period);
	}
	rv = tally_store_open(o->db, cat, &st, &eb);
	if (rv == TALLY_ECONFIG) {
		rv = tally_store_open_group(o->db, cat, &st, &eb);
	}
	if (rv != TALLY_OK) {
		(void) tally_cli_complain(prog, 0, "repair: %s", eb.text);
		return tally_exit_code(rv);
	}
	rv = tally_store_repair(
	    st, o->region, o->indicator, o->period, limit, &items, &n);
	if (rv != TALLY_OK) {
		tally_store_close(st);
		return tally_cli_complain(prog, tally_exit_code(rv),
		    "repair: %s", tally_strerror(rv));
	}
	for (size_t i = 0; i < n; i++) {
		ahead_text(items[i].version, now, ahead, sizeof(ahead));
		fprintf(out,
		    "dropped %s %s %s version %llu (%s of this clock), "
		    "received through %s\n",
		    items[i].region, items[i].indicator, items[i].period,
		    (unsigned long long) items[i].version, ahead,
		    items[i].via);
	}
	if (n == 0) {
		fprintf(out,
		    "nothing to repair: no state held for %s is more than "
		    "%lld s ahead of this clock\n",
		    o->region, (long long) o->skew_s);
	} else {
		fprintf(out,
		    "%zu states dropped and recorded in the audit trail; new "
		    "instance id %s: every child will send all its states "
		    "again\n",
		    n, tally_store_instance_id(st));
	}
	free(items);
	tally_store_close(st);
	return EX_OK;
}

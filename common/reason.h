/*
 * Why a state changed: the reason a region gave for a correction or a
 * withdrawal (`tally-node record --reason`, `tally-node withdraw`), and
 * the withdrawn mark, kept per state version (region, indicator, period,
 * version) beside the store's history, in table state_reason. A version
 * names one state, so its reason never changes: the table only grows, and
 * read beside state_history and the audit trail it says, for every
 * version they hold, why it came. The region is "" for the store's own
 * snapshots, as in state_history.
 *
 * The figures do not depend on it: a withdrawn state is a state without
 * data, which every level applies as it applies any newer version. This
 * table is what makes the withdrawal visible (reports, the audit
 * listing) and what the uplink sends with the state.
 */
#ifndef TALLY_REASON_H
#define TALLY_REASON_H

#include "store.h"
#include "wire.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The table, for the store's schema and its migration (store.c). */
#define TALLY_REASON_SQL                                      \
	"CREATE TABLE IF NOT EXISTS state_reason ("           \
	"  region TEXT NOT NULL, indicator TEXT NOT NULL,"    \
	"  period TEXT NOT NULL, version INTEGER NOT NULL,"   \
	"  withdrawn INTEGER NOT NULL, reason TEXT NOT NULL," \
	"  held_from INTEGER NOT NULL,"                       \
	"  PRIMARY KEY (region, indicator, period, version)) WITHOUT ROWID;"

/* Records, inside the caller's transaction, that version of (region,
 * indicator, period) is withdrawn and/or came with reason (""
 * for none). It is held from the time the store's history holds that
 * version from, else from at_ms. A version recorded already keeps what
 * was recorded first. */
int tally_reason_put(struct tally_store *st, const char *region,
    const char *indicator, const char *period, uint64_t version,
    bool withdrawn, const char *reason, int64_t at_ms);

/* The reason of one version: TALLY_ENOENT when none was recorded. reason
 * gets len bytes at most. */
int tally_reason_get(struct tally_store *st, const char *region,
    const char *indicator, const char *period, uint64_t version,
    bool *withdrawn, char *reason, size_t len);

/* Sets withdrawn and change_reason of each of the n states about to be
 * sent (tally_store_pending), from what is recorded for its version: the
 * region's own snapshots under "", the states from below under their
 * region. */
int tally_reason_attach(
    struct tally_store *st, struct tally_wire_state *ws, size_t n);

/* A withdrawal in force: the state held for (region, indicator, period)
 * is a withdrawn one. */
struct tally_withdrawal {
	char     region[TALLY_REGION_STRLEN]; /* "" for the store's own */
	char     indicator[TALLY_WIRE_TEXT_MAX];
	char     period[TALLY_PERIOD_STRLEN];
	uint64_t version;
	int64_t  at_ms; /* when this store took it, Unix ms */
	char     reason[TALLY_WIRE_CHANGE_REASON_MAX];
};

/* The withdrawals in force at as_of_ms (the newest version the history
 * held then is a withdrawn one), of period when it is not NULL, by
 * region, indicator and period. The caller frees *out with free(). */
int tally_reason_withdrawals(struct tally_store *st, const char *period,
    int64_t as_of_ms, struct tally_withdrawal **out, size_t *n);

/* The list as a JSON array of {region, indicator, period, version,
 * withdrawn_at (ISO 8601 UTC), reason}, own withdrawals under own_region;
 * NULL on failure. */
json_t *tally_reason_json(
    const struct tally_withdrawal *w, size_t n, const char *own_region);

/* Sets "withdrawn" on a report's document root to the withdrawals in
 * force at as_of_ms (0: now) for period (canonical text), of indicator
 * when it is not NULL; left out when there are none, so that a report
 * of a hub that holds no withdrawal is what it was before withdrawals
 * existed. */
int tally_reason_report(struct tally_store *st, const char *period,
    const char *indicator, int64_t as_of_ms, const char *own_region,
    json_t *root);

#endif

/*
 * Corrections with a reason and withdrawals at a node: `tally-node
 * withdraw --indicator ID --period P --reason TEXT` takes back a period
 * keyed by mistake, and `record ... --reason TEXT` says why a figure was
 * corrected. Both write the reason (and the withdrawn mark) beside the
 * new version of every snapshot the change made (reason.h), in the same
 * transaction, so that the uplink sends it with the version.
 */
#ifndef NODE_WITHDRAW_H
#define NODE_WITHDRAW_H

#include "catalog.h"
#include "store.h"

#include <stdbool.h>

/* Checks --reason as given to cmd (NULL: none given, which is fine).
 * Prints `prog: cmd: --reason: ...` and returns EX_DATAERR when it is
 * not one line of at most TALLY_ADMIT_REASON_MAX bytes; EX_OK otherwise. */
int node_reason_check(const char *prog, const char *cmd, const char *reason);

/* Records, inside the caller's transaction, reason (not NULL) for the
 * version that the last change of (ind, period) gave its snapshot and
 * every coarser snapshot made with it; with withdrawn, those left
 * without data are marked withdrawn. */
int node_reason_note(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_period *period, bool withdrawn, const char *reason);

/* `tally-node withdraw`; returns the exit code. */
int node_withdraw(const char *prog, const char *db, const char *indicator,
    const char *period, const char *reason);

#endif

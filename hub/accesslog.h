/*
 * The access log of the hub's web pages, part of the audit trail
 * (docs/accounts.md): every login, failed login, logout, refusal and
 * action, with the account name, the client's address and the outcome.
 * Append-only (triggers refuse changes), shown by `tally-hub audit
 * --access`.
 */
#ifndef HUB_ACCESSLOG_H
#define HUB_ACCESSLOG_H

#include "store.h"

#include <stdio.h>

/* Appends one line; name "" when nobody is logged in. */
int hub_accesslog_add(struct tally_store *st, const char *name,
    const char *address, const char *action, const char *target,
    const char *outcome);

/* Prints the log, oldest first, as a table or (format, cli.h) JSON or
 * CSV; name, when not NULL, keeps only that account's lines. */
int hub_accesslog_print(
    FILE *out, struct tally_store *st, int format, const char *name);

#endif

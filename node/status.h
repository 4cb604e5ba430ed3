/*
 * `tally-node status`: for each of the region's own (indicator, period)
 * figures, whether it is entered, still to be sent, taken by the parent
 * hub (which hub, when) or refused (the hub's reason), and when it is due
 * and whether that has passed. The data-entry page (serve.h) shows the
 * same rows. The rules are in docs/node.md, "Status".
 */
#ifndef NODE_STATUS_H
#define NODE_STATUS_H

#include "catalog.h"
#include "reply.h"
#include "store.h"
#include "target.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum node_state {
	NODE_NOT_ENTERED, /* nothing recorded for the period */
	NODE_PENDING,     /* recorded, not yet answered by the hub */
	NODE_ACCEPTED,    /* the hub holds this version */
	NODE_REJECTED,    /* the hub rejected this version (not resent) */
	NODE_REFUSED,     /* the hub refused the submission; resent */
	NODE_STALE,       /* the hub holds a newer version of this region */
	NODE_HELD, /* held by approval at the hub: kept, sent again later */
	NODE_STATES
};

struct node_status_row {
	const struct tally_indicator *ind;
	struct tally_period           period;
	int                           state;     /* enum node_state */
	uint64_t                      version;   /* 0 when not entered */
	bool                          has_reply; /* the hub's last answer */
	struct tally_reply            reply;
	int                           due_days;
	int64_t                       due_ms;
	bool                          overdue;
};

struct node_status {
	struct node_status_row *rows;
	size_t                  n;
	size_t                  counts[NODE_STATES];
	size_t                  overdue;
	int64_t                 now_ms;
	bool                    has_period; /* rows of one period only */
	struct tally_period     period;
};

/* Whether the region reports ind: a target of ind is set for the region
 * or one above it (targets.csv), or the store holds figures of it. */
bool node_status_reports(const struct tally_catalog *cat,
    struct tally_store *st, const struct tally_indicator *ind);

/* The rows at now_ms: with period, every indicator with a figure in
 * that period, and, as not entered, every one the region reports (a
 * target for it or a region above it) that it has no figure of yet, or
 * figures of the same kind of period (months, quarters, years); without
 * (NULL), every (indicator, period) the store holds a figure for, oldest
 * period first. due NULL: the default due dates. The caller frees *out with
 * node_status_fini. */
int node_status_collect(const struct tally_catalog *cat,
    struct tally_store *st, const struct tally_due *due,
    const struct tally_period *period, int64_t now_ms,
    struct node_status *out);

void node_status_fini(struct node_status *s);

/* The state's name: English ("not_entered", "pending", ...) and
 * Chinese. */
const char *node_state_name(int state);
const char *node_state_zh(int state);

/* The rows as the JSON document of docs/node.md; NULL on failure. */
json_t *node_status_json(const struct tally_catalog *cat,
    struct tally_store *st, const struct node_status *s);

/* Prints the table (Chinese first, times in China Standard Time). */
void node_status_print(FILE *out, const struct tally_catalog *cat,
    struct tally_store *st, const struct node_status *s);

/* The last day of a due date (the due time is the end of that day in
 * China Standard Time) as `YYYY-MM-DD` into buf of at least 11 bytes. */
void node_status_due_day(int64_t due_ms, char *buf, size_t len);

/* Writes ms as `YYYY-MM-DD HH:MM` in China Standard Time into buf of at
 * least 20 bytes. */
void node_status_cst(int64_t ms, char *buf, size_t len);

#endif

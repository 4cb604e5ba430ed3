/*
 * `tally-hub repair`: drops the states a hub holds for a region whose
 * version lies further ahead of the clock than max_clock_skew allows,
 * such as one a child made while its clock read ten years ahead, taken
 * before the hub refused such versions. Held, such a state makes every
 * honest version after it stale until the clock catches up. The repair
 * is recorded in the audit trail, and the hub's database gets a new
 * instance id so that every child sends all its states again: the
 * child's honest state then lands (docs/hub.md).
 */
#ifndef HUB_REPAIR_H
#define HUB_REPAIR_H

#include "catalog.h"

#include <stdint.h>
#include <stdio.h>

struct hub_repair_opts {
	const char *db;
	const char *region;
	const char *indicator; /* NULL: every indicator */
	const char *period;    /* NULL: every period */
	int64_t     skew_s;
};

/* Runs the repair and prints what it dropped to out; returns an exit
 * code (<sysexits.h>), having said why on standard error. */
int hub_repair(FILE *out, const struct tally_catalog *cat,
    const struct hub_repair_opts *o);

#endif

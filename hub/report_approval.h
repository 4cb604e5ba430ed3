/*
 * The approval of each region shown in a report (docs/approval.md):
 * whether the level above it signed off its figures for the report's
 * period ("approved"), for some periods inside it only ("partly"), or not
 * ("unapproved"), by whom, when and with which digest. The hub's own
 * region, whose approver is above the hub, is judged by its children: all
 * approved, some, or none.
 */
#ifndef HUB_REPORT_APPROVAL_H
#define HUB_REPORT_APPROVAL_H

#include "approval.h"
#include "catalog.h"
#include "period.h"

#include <jansson.h>
#include <stddef.h>

/* The approvals in force among list (n of them) that decide region's
 * status for period. *as_of_ms is the time of the newest approval of its
 * figures, in force or reopened since (the last official figure stays
 * the one approved until it is approved again); for the hub's own region
 * the newest of its children's, when each has one; 0 for none. Returns
 * the "approval" object of the report. */
json_t *hub_report_approval(const struct tally_catalog *cat,
    const struct tally_approval *list, size_t n, const char *hub_region,
    const char *region, const struct tally_period *period, int64_t *as_of_ms);

#endif

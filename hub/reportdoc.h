/*
 * Reading the report document (report.h, hub_report_json) for what
 * leaves the screen: the workbook (xlsx.h) and the briefing (brief.h).
 * Both are built from the same JSON document as the dashboard and the
 * CLI, so that a figure is never computed twice. Fields a newer report
 * may carry (yoy, pop, benchmark, trajectory, chase) are read where they
 * are and skipped where they are not.
 */
#ifndef HUB_REPORTDOC_H
#define HUB_REPORTDOC_H

#include "catalog.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Who issued a document that leaves the screen, and when: the hub's
 * region code and name, its database's instance id, and the time of
 * issue in Unix ms. */
struct hub_issuer {
	const char *hub;
	const char *hub_name;
	const char *instance;
	int64_t     now_ms;
};

/* ms as "YYYY-MM-DD HH:MM" in Beijing time (UTC+8, China has no summer
 * time). */
void hub_reportdoc_cst(int64_t ms, char *buf, size_t len);

/* An ISO time of a report ("2021-01-15T16:00:00Z") in Beijing time as
 * hub_reportdoc_cst; "" when iso is not one. */
void hub_reportdoc_iso_cst(const char *iso, char *buf, size_t len);

/* Where an indicator stands for the briefing's headline counts. */
enum hub_standing {
	HUB_STANDING_NONE,       /* no target of any kind */
	HUB_STANDING_MET,        /* met, or on track toward a later target */
	HUB_STANDING_MISSED,     /* a target of the period is missed */
	HUB_STANDING_AT_RISK,    /* a later target's trajectory falls short */
	HUB_STANDING_INCOMPLETE, /* not yet decidable */
};

/* The string at key of o, or "" when there is none. */
const char *hub_reportdoc_str(json_t *o, const char *key);

/* The targets of a figure entry f: those under "target" (one object or a
 * list) and those of any other key ending in "targets" (later years).
 * Fills up to max borrowed references and returns how many there are. */
size_t hub_reportdoc_targets(json_t *f, json_t **out, size_t max);

/* The standing of a figure entry: its own targets first (status of the
 * period's, trajectory of later ones), else its "benchmark". */
int hub_reportdoc_standing(json_t *f);

/* Chinese words for a status or a standing ("met" -> "达标"). */
const char *hub_reportdoc_status_zh(const char *status);
const char *hub_reportdoc_standing_zh(int standing);

/* The unit of a gap or a change of ind: "个百分点" for a percentage,
 * else the indicator's unit. */
const char *hub_reportdoc_gap_unit(const struct tally_indicator *ind);

/* The unit of target t's gap: points of a percentage for a change_pct
 * target, else hub_reportdoc_gap_unit. */
const char *hub_reportdoc_target_gap_unit(
    const struct tally_indicator *ind, json_t *t);

/* The chase list of doc's top region: a new array (the caller frees it)
 * of {"indicator": ID, "lists": {KIND: [{code, name, ...}], ...}}, one
 * per indicator with anyone to chase. It is the report's own "chase"
 * when there is one; else made from each figure's missing children,
 * KIND "overdue" when the figure is overdue, else "missing". */
json_t *hub_reportdoc_chase(json_t *doc);

/* The Chinese word of a chase list's kind ("overdue" -> "逾期未报"). */
const char *hub_reportdoc_chase_zh(const char *kind);

#endif

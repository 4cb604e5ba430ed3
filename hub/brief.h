/*
 * The briefing (`tally-hub brief` and the dashboard's button): at most
 * two A4 pages in Chinese for a leadership meeting, drawn by the hub
 * itself as a PDF with cairo and pango from the same report documents
 * the dashboard shows (report.h): the headline counts (met, missed, at
 * risk, incomplete), every off-track indicator with its value, target,
 * gap, trajectory and the parts that drag it most, the chase list, the
 * date in Beijing time and the hub that issued it. What does not fit on
 * two pages is summarised ("另有 K 项"), never cut off.
 */
#ifndef HUB_BRIEF_H
#define HUB_BRIEF_H

#include "catalog.h"
#include "period.h"
#include "reportdoc.h"
#include "store.h"
#include "target.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct hub_brief_opts {
	struct tally_period     period;
	const char             *region; /* NULL: the hub's region */
	const struct tally_due *due;    /* NULL: the default */
	/* The time of issue, which also decides what is overdue, in Unix
	 * ms; 0: now. */
	int64_t now_ms;
};

/* The briefing as a PDF in memory; the caller frees *out with free().
 * TALLY_ENOENT when opts->region is not held here. */
int hub_brief_pdf(const struct tally_catalog *cat, struct tally_store *st,
    const struct hub_brief_opts *opts, unsigned char **out, size_t *len);

/* The briefing of documents already made: doc a report of the region
 * one level deep (hub_report_json) and explains an object of the
 * explanations (hub_explain_json) by indicator id, which may lack some
 * (then no part is named as dragging it). who says who issued it and
 * when. The caller keeps its documents and frees *out with free(). */
int hub_brief_pdf_doc(const struct tally_catalog *cat, json_t *doc,
    json_t *explains, const struct hub_issuer *who, unsigned char **out,
    size_t *len);

/* The same written to path, which appears only once it is whole. */
int hub_brief_write(const char *path, const struct tally_catalog *cat,
    struct tally_store *st, const struct hub_brief_opts *opts);

/* Frees the process's font caches (cairo's and fontconfig's), once no
 * briefing is being made any more: at the end of a program, so that
 * LeakSanitizer sees no cache as a leak. */
void hub_brief_release(void);

#endif

/*
 * The table and CSV printers of tally-hub report (report_print.c): each
 * formats a document that report.c built, never the database.
 */
#ifndef HUB_REPORT_PRINT_H
#define HUB_REPORT_PRINT_H

#include "catalog.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* The report document (hub_report_json) as a table, or as CSV. */
void hub_report_print_table(
    FILE *out, const struct tally_catalog *cat, json_t *doc);
void hub_report_print_csv(
    FILE *out, const struct tally_catalog *cat, json_t *doc);

/* The explanation document (hub_explain_json) as a table or CSV (format:
 * enum tally_format). */
void hub_report_print_explain(
    FILE *out, const struct tally_catalog *cat, json_t *doc, int format);

/* The first line of a table read from the history: the time in China
 * Standard Time and in UTC. */
void hub_report_print_as_of(FILE *out, int64_t as_of_ms);

/* The hub's refusals by child (the document's "refused"), if any. */
void hub_report_print_refused(FILE *out, json_t *doc);

/* The withdrawals in force (doc's "withdrawn"), under the table. */
void hub_report_print_withdrawn(FILE *out, json_t *doc);

#endif

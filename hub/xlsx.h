/*
 * The report as an Excel workbook (`report --format xlsx --out FILE` and
 * the dashboard's download), written with libxlsxwriter from the report
 * document of report.h: the figures, the targets (with the benchmark and
 * trajectory a report may carry), the chase list and a sheet that says
 * who issued it and when. Every figure is a number cell, never text;
 * every indicator has its Chinese and English names and its unit.
 */
#ifndef HUB_XLSX_H
#define HUB_XLSX_H

#include "catalog.h"
#include "reportdoc.h"

#include <jansson.h>
#include <stddef.h>

/* Writes the workbook of doc to path. The file appears only once it is
 * whole (written beside it, then renamed). TALLY_EIO when it cannot be
 * written. */
int hub_xlsx_write(const char *path, const struct tally_catalog *cat,
    json_t *doc, const struct hub_issuer *who);

/* The same workbook in memory; the caller frees *out with free(). */
int hub_xlsx_buffer(const struct tally_catalog *cat, json_t *doc,
    const struct hub_issuer *who, unsigned char **out, size_t *len);

#endif

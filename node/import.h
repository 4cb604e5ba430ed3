/*
 * `tally-node import FILE`: a county's sheet (CSV in UTF-8 or GBK, or an
 * .xlsx workbook) read into the store in one transaction. Every problem
 * of the file is printed at once and then nothing is imported; figures
 * far outside the region's own history are warned about, not refused.
 */
#ifndef NODE_IMPORT_H
#define NODE_IMPORT_H

#include "catalog.h"
#include "store.h"

/* Imports path into st. enc is an enum tally_encoding. Prints the result
 * (stdout) or the problems (stderr, each line `prog: ...`); returns the
 * exit code: EX_OK, EX_DATAERR when the file has problems, or that of
 * the failure met. */
int node_import(const char *prog, const struct tally_catalog *cat,
    struct tally_store *st, const char *path, int enc);

#endif

/*
 * `tally-node import FILE`: a county's sheet (CSV in UTF-8 or GBK, or an
 * .xlsx workbook) read into the store in one transaction. Every problem
 * of the file is printed at once and then nothing is imported; figures
 * far outside the region's own history are warned about, not refused.
 */
#ifndef NODE_IMPORT_H
#define NODE_IMPORT_H

#include "catalog.h"
#include "intake.h"
#include "sheet.h"
#include "store.h"

#include <stdbool.h>
#include <stdio.h>

/* Imports path into st. enc is an enum tally_encoding. Prints the result
 * (stdout) or the problems (stderr, each line `prog: ...`); returns the
 * exit code: EX_OK, EX_DATAERR when the file has problems, or that of
 * the failure met. */
int node_import(const char *prog, const struct tally_catalog *cat,
    struct tally_store *st, const char *path, int enc);

/* What node_import_sheet did with a sheet. */
struct node_import_result {
	struct tally_intake *in;        /* its rows and problems (intake.h) */
	size_t               counts[3]; /* by enum tally_put_outcome */
	bool                 imported;  /* committed: no problem */
};

/* The checks and the transaction of node_import for a sheet read
 * already (the data-entry page's form and uploads go through here, as
 * the command does): every row checked, every problem gathered in
 * res->in, and the rows stored in one transaction only when there is
 * none. The outlier warnings go to warn (each line `prefix: warning:
 * ...`; NULL: none). Returns TALLY_OK when the sheet was gone through,
 * whether imported or not; on TALLY_OK the caller frees res->in with
 * tally_intake_free. path names the sheet in the messages. */
int node_import_sheet(const struct tally_catalog *cat, struct tally_store *st,
    const struct tally_sheet *sh, const char *path, FILE *warn,
    const char *prefix, struct node_import_result *res);

#endif

/*
 * Reading the observations of a county's sheet (sheet.h) for `tally-node
 * import`: the header row found and its columns named in English or
 * Chinese, in any order, beside columns of its own that are ignored;
 * each row checked as `record` checks it (input.h); and every problem of
 * the file gathered, each as `file:line: field NAME: message`, so that
 * one run shows all of them.
 */
#ifndef TALLY_INTAKE_H
#define TALLY_INTAKE_H

#include "catalog.h"
#include "rollup.h"
#include "sheet.h"

#include <stdio.h>

/* Problems kept and printed; the rest are only counted. */
#define TALLY_INTAKE_ERRORS_MAX 100

struct tally_intake_item {
	size_t                        line;
	const struct tally_indicator *ind;
	struct tally_obs              obs;
};

struct tally_intake_error {
	size_t line;
	char  *text; /* `file:line: field NAME: message` */
};

struct tally_intake {
	char                     *path;
	size_t                    header_line; /* 0 when none was found */
	struct tally_intake_item *items;       /* the good rows */
	size_t                    n_items;
	/* Rows with an indicator but no figure at all: a template's
	 * indicators that the county has nothing for. */
	size_t                     skipped;
	struct tally_intake_error *errors; /* the first ERRORS_MAX */
	size_t                     n_errors;
	size_t                     total_errors;
};

/* Reads sh (read from path) against cat. Returns TALLY_OK when the sheet
 * could be read through, whether or not its rows had problems (then
 * total_errors > 0); TALLY_ENOMEM otherwise. The caller frees *out with
 * tally_intake_free. */
int tally_intake_read(const struct tally_catalog *cat,
    const struct tally_sheet *sh, const char *path, struct tally_intake **out);

void tally_intake_free(struct tally_intake *in);

/* Adds a problem found later (by the store) to line. */
void tally_intake_error(struct tally_intake *in, size_t line, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* Prints the problems in line order, one line each as `prog: TEXT`, and
 * `prog: ... and N more` past TALLY_INTAKE_ERRORS_MAX. */
void tally_intake_print_errors(
    const struct tally_intake *in, FILE *out, const char *prog);

#endif

/*
 * A spreadsheet read into memory as rows of text cells, whatever file it
 * came from: a CSV file (UTF-8 or GBK, see encoding.h) or the first sheet
 * of an .xlsx workbook (or its sheet named TALLY_SHEET_ENTRY, the one
 * `tally-node template` writes). The kind of file is decided from its
 * first bytes (an .xlsx is a ZIP archive), not from its name. Cells are
 * UTF-8 text, trimmed; an xlsx number cell is its decimal text to the 15
 * significant digits Excel shows,
 * a date cell `YYYY-MM-DD`, a percentage cell `93.4%`, so that the rows
 * read the same as the CSV Excel saves from the same sheet.
 */
#ifndef TALLY_SHEET_H
#define TALLY_SHEET_H

#include "errors.h"

#include <stdbool.h>
#include <stddef.h>

/* The name of the data-entry sheet of a template workbook. */
#define TALLY_SHEET_ENTRY "填报"

struct tally_sheet_row {
	size_t line;  /* the CSV line the row starts on, or the xlsx row */
	size_t n;     /* cells, trailing empty ones dropped */
	char **cells; /* never NULL when n > 0; "" for an empty cell */
};

struct tally_sheet {
	struct tally_sheet_row *rows; /* blank rows are left out */
	size_t                  n_rows;
	bool                    xlsx;
	int                     encoding; /* enum tally_encoding, CSV only */
	char                   *sheet;    /* the xlsx sheet read, or NULL */
};

/* Reads path ("-": standard input) as CSV or xlsx. enc is an enum
 * tally_encoding for a CSV file (TALLY_ENC_AUTO to detect). On failure
 * eb holds `path[:line]: message`. The caller frees *out with
 * tally_sheet_free. */
int tally_sheet_read(const char *path, int enc, struct tally_sheet **out,
    struct tally_errbuf *eb);

void tally_sheet_free(struct tally_sheet *sh);

/* For the readers (sheet.c, xlsx.c): appends a row of n cells, which
 * the sheet then owns (freed here on failure too); an all-blank row is
 * dropped. */
int tally_sheet_add_row(
    struct tally_sheet *sh, size_t line, char **cells, size_t n);

/* Reads an xlsx workbook held in memory (xlsx.c). */
int tally_xlsx_read(const char *path, const void *data, size_t len,
    struct tally_sheet *sh, struct tally_errbuf *eb);

#endif

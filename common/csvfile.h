/*
 * Reads a CSV file with libcsv and hands each row, with the line it starts
 * on, to a callback. Every CSV input of Tally (reference data, imports) goes
 * through here so that every error can name its file and line.
 */
#ifndef TALLY_CSVFILE_H
#define TALLY_CSVFILE_H

#include "errors.h"

#include <stddef.h>

/* Called once per row, the header included (line 1). The fields are owned
 * by the reader and valid only during the call. A non-zero return stops the
 * read and is returned by tally_csv_read; the callback then fills eb. */
typedef int (*tally_csv_row_fn)(void *arg, size_t line, char **fields,
    size_t nfields, struct tally_errbuf *eb);

/* Reads path (or standard input when path is "-"). A UTF-8 byte-order mark
 * and CRLF line ends are accepted. On a parse error, eb names the file and
 * line; errors from fn are returned unchanged. */
int tally_csv_read(
    const char *path, tally_csv_row_fn fn, void *arg, struct tally_errbuf *eb);

#endif

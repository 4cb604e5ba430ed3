/*
 * A query's rows read into an array: the loop every list of the store
 * (accounts, refusals, withdrawals) would otherwise write again, growing
 * the array as rows come and freeing it if a step fails.
 */
#ifndef TALLY_ROWS_H
#define TALLY_ROWS_H

#include <sqlite3.h>
#include <stddef.h>

/* Fills *elem, zeroed, from the current row of s. */
typedef void tally_rows_read_fn(sqlite3_stmt *s, void *elem);

/* Steps s (prepared and bound on db) to its end, reading each row into a
 * new element of elem_size bytes with read_row. On success *out (the caller
 * frees it with free(); NULL when there are no rows) and *n are set; on
 * failure nothing is set and the error is tally_store_sqlite_error's,
 * naming what. The caller finalizes s either way. */
int tally_rows_collect(sqlite3 *db, sqlite3_stmt *s, size_t elem_size,
    tally_rows_read_fn *read_row, const char *what, void **out, size_t *n);

/* Copies column i of the current row of s into buf of len bytes, cut
 * short when longer; "" when it is NULL. */
void tally_rows_text(sqlite3_stmt *s, int i, char *buf, size_t len);

#endif

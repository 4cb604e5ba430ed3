/*
 * The rows of a query read into an array, declared in rows.h.
 */
#include "rows.h"

#include "errors.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
tally_rows_collect(sqlite3 *db, sqlite3_stmt *s, size_t elem_size,
    tally_rows_read_fn *read_row, const char *what, void **out, size_t *n)
{
	char  *arr   = NULL;
	size_t count = 0, cap = 0;
	int    rc, rv         = TALLY_OK;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == cap) {
			size_t ncap  = cap == 0 ? 8 : cap * 2;
			char  *grown = realloc(arr, ncap * elem_size);

			if (grown == NULL) {
				rv = TALLY_ENOMEM;
				goto fail;
			}
			arr = grown;
			cap = ncap;
		}
		memset(arr + count * elem_size, 0, elem_size);
		read_row(s, arr + count * elem_size);
		count++;
	}
	if (rc != SQLITE_DONE) {
		rv = tally_store_sqlite_error(db, rc, what);
		goto fail;
	}
	*out = arr;
	*n   = count;
	return TALLY_OK;
fail:
	free(arr);
	return rv;
}

void
tally_rows_text(sqlite3_stmt *s, int i, char *buf, size_t len)
{
	const char *text = (const char *) sqlite3_column_text(s, i);

	snprintf(buf, len, "%s", text != NULL ? text : "");
}

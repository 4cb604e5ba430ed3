/*
 * Consistent copies of a SQLite store while its daemon runs (SQLite's
 * online backup API), for `backup`, for `restore` and for the copy a
 * schema migration takes before it changes a store.
 */
#ifndef TALLY_BACKUP_H
#define TALLY_BACKUP_H

#include "errors.h"

#include <sqlite3.h>

/* Copies the database open on src (its "main") to the new file out, as
 * it was when the copy began. Refuses (TALLY_EEXIST) when out exists;
 * on any failure out is not left behind. The copy is taken in steps
 * inside one read transaction, so a writer on another connection goes on
 * committing meanwhile (WAL). */
int tally_backup_from(sqlite3 *src, const char *out, struct tally_errbuf *eb);

/* The same from the database file db, opened here without creating it. */
int tally_backup_file(
    const char *db, const char *out, struct tally_errbuf *eb);

#endif

/*
 * The read-only look at a store of storeinfo.h: SQLite's mode=ro URI,
 * which reads a WAL store without creating its -shm file.
 */
#include "storeinfo.h"

#include "store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void
meta_text(sqlite3 *db, const char *key, char *buf, size_t len)
{
	sqlite3_stmt *s = NULL;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1,
	        &s, NULL) != SQLITE_OK) {
		return;
	}
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_text(s, 0) != NULL) {
		snprintf(
		    buf, len, "%s", (const char *) sqlite3_column_text(s, 0));
	}
	sqlite3_finalize(s);
}

int
tally_storeinfo_read(
    const char *path, struct tally_storeinfo *out, struct tally_errbuf *eb)
{
	struct tally_storeinfo info;
	struct stat            sb;
	sqlite3               *db = NULL;
	char                   uri[4200];
	int                    rc;

	if (stat(path, &sb) != 0) {
		return tally_fail(eb, TALLY_ENOENT, "%s: no such file", path);
	}
	memset(&info, 0, sizeof(info));
	snprintf(uri, sizeof(uri), "file:%s?mode=ro", path);
	rc = sqlite3_open_v2(
	    uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	if (rc == SQLITE_OK) {
		meta_text(db, "schema", info.schema, sizeof(info.schema));
		meta_text(db, "region", info.region, sizeof(info.region));
		meta_text(db, "group", info.group, sizeof(info.group));
	}
	sqlite3_close(db);
	if (rc != SQLITE_OK || info.schema[0] == '\0') {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s: cannot be read as a Tally store", path);
	}
	rc = tally_store_schema_known(path, info.schema, eb);
	if (rc != TALLY_OK) {
		return rc;
	}
	*out = info;
	return TALLY_OK;
}

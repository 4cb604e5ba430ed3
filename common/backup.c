/*
 * The online backup of backup.h. The copy is written to OUT.partial,
 * made with O_EXCL, and put in place with link(2), which fails rather
 * than replace a file that appeared meanwhile: an existing backup is
 * never overwritten and a half-written copy never carries OUT's name.
 */
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Pages copied per step: a few MiB, then the lock is let go. */
#define BACKUP_STEP_PAGES 256

/* Copies src into the empty file at tmp. */
static int
copy_into(sqlite3 *src, const char *tmp, struct tally_errbuf *eb)
{
	sqlite3        *dst = NULL;
	sqlite3_backup *b   = NULL;
	int             rc, rv = TALLY_OK;

	rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		rv = tally_fail(eb, TALLY_EIO, "%s: cannot open: %s", tmp,
		    sqlite3_errstr(rc));
		goto done;
	}
	b = sqlite3_backup_init(dst, "main", src, "main");
	if (b == NULL) {
		rv = tally_fail(eb, TALLY_EDB, "cannot start the backup: %s",
		    sqlite3_errmsg(dst));
		goto done;
	}
	do {
		rc = sqlite3_backup_step(b, BACKUP_STEP_PAGES);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
			sqlite3_sleep(10);
		}
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	rc = sqlite3_backup_finish(b);
	if (rc != SQLITE_OK) {
		rv = tally_fail(
		    eb, TALLY_EDB, "backup failed: %s", sqlite3_errstr(rc));
		goto done;
	}
	/* The copy is a plain rollback-journal file until it is opened as
	 * a store again, which sets WAL; it is complete on disk now. */
	rc = sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rv = tally_fail(
		    eb, TALLY_EDB, "%s: %s", tmp, sqlite3_errmsg(dst));
	}
done:
	sqlite3_close(dst);
	return rv;
}

int
tally_backup_from(sqlite3 *src, const char *out, struct tally_errbuf *eb)
{
	struct stat sb;
	char        tmp[4200];
	int         fd, rc, rv;

	if (stat(out, &sb) == 0) {
		return tally_fail(eb, TALLY_EEXIST,
		    "%s already exists: a backup is never overwritten", out);
	}
	snprintf(tmp, sizeof(tmp), "%s.partial", out);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		return tally_fail(eb,
		    errno == EEXIST ? TALLY_EEXIST : TALLY_EIO, "%s: %s", tmp,
		    errno == EEXIST ? "exists (another backup running?)"
		                    : strerror(errno));
	}
	close(fd);
	/* One read transaction for the whole copy: every step reads the
	 * same snapshot, and a writer on another connection does not make
	 * the copy start again. */
	rc = sqlite3_exec(src, "BEGIN; SELECT count(*) FROM sqlite_master",
	    NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rv = tally_fail(eb, TALLY_EDB, "cannot read the store: %s",
		    sqlite3_errmsg(src));
		goto fail;
	}
	rv = copy_into(src, tmp, eb);
	(void) sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
	if (rv != TALLY_OK) {
		goto fail;
	}
	if (link(tmp, out) != 0) {
		rv = tally_fail(eb, errno == EEXIST ? TALLY_EEXIST : TALLY_EIO,
		    "%s: %s", out,
		    errno == EEXIST
		        ? "appeared meanwhile: a backup is never overwritten"
		        : strerror(errno));
		goto fail;
	}
	unlink(tmp);
	return TALLY_OK;
fail:
	unlink(tmp);
	return rv;
}

int
tally_backup_file(const char *db, const char *out, struct tally_errbuf *eb)
{
	sqlite3 *src = NULL;
	int      rc, rv;

	/* Read-write without create: a WAL database is read through its
	 * -shm file, which a read-only connection may not be able to
	 * set up. Nothing is written. */
	rc = sqlite3_open_v2(db, &src, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_close(src);
		return tally_fail(eb,
		    rc == SQLITE_CANTOPEN ? TALLY_ENOENT : TALLY_EDB,
		    "%s: cannot open: %s", db, sqlite3_errstr(rc));
	}
	sqlite3_busy_timeout(src, 5000);
	rv = tally_backup_from(src, out, eb);
	sqlite3_close(src);
	return rv;
}

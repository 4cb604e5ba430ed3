/*
 * backup and restore (admin.h). Restore works on a copy under a
 * temporary name and renames it into place last, so that a failure
 * leaves the store that was there untouched.
 */
#include "admin.h"

#include "backup.h"
#include "cli.h"
#include "errors.h"
#include "store.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

int
tally_admin_backup(const char *prog, const char *db, const char *out)
{
	struct tally_errbuf eb = { "" };
	int                 rv;

	if (db == NULL || out == NULL) {
		return tally_cli_usage(
		    prog, "backup", "--db and --out are required");
	}
	rv = tally_backup_file(db, out, &eb);
	if (rv != TALLY_OK) {
		return tally_cli_complain(prog,
		    rv == TALLY_EEXIST ? EX_CANTCREAT : tally_exit_code(rv),
		    "backup: %s", eb.text);
	}
	printf("backed up %s to %s\n", db, out);
	return EX_OK;
}

/* Moves path and its -wal and -shm files to path.pre-restore (and its
 * -wal, -shm), so that no old write-ahead log is ever read with the
 * restored file. */
static int
set_aside(const char *prog, const char *db)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char                     from[PATH_MAX + 32], to[PATH_MAX + 64];
	struct stat              sb;

	snprintf(to, sizeof(to), "%s.pre-restore", db);
	if (stat(to, &sb) == 0) {
		return tally_cli_complain(prog, EX_CANTCREAT,
		    "restore: %s exists: move it away first (it is the store "
		    "an earlier restore replaced)",
		    to);
	}
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(from, sizeof(from), "%s%s", db, sfx[i]);
		snprintf(to, sizeof(to), "%s.pre-restore%s", db, sfx[i]);
		if (rename(from, to) != 0 && errno != ENOENT) {
			return tally_cli_complain(prog, EX_IOERR,
			    "restore: cannot move %s to %s: %s", from, to,
			    strerror(errno));
		}
	}
	return EX_OK;
}

int
tally_admin_restore(const char *prog, const struct tally_catalog *cat,
    enum tally_admin_role role, const char *db, const char *from)
{
	struct tally_store *st = NULL;
	struct tally_errbuf eb = { "" };
	char                tmp[PATH_MAX + 32];
	char                instance[64];
	struct stat         sb;
	size_t              restamped = 0;
	int                 ex, rv;

	if (db == NULL || from == NULL) {
		return tally_cli_usage(
		    prog, "restore", "--db and --from are required");
	}
	snprintf(tmp, sizeof(tmp), "%s.restoring", db);
	unlink(tmp);
	rv = tally_backup_file(from, tmp, &eb);
	if (rv == TALLY_OK) {
		rv = tally_store_open(tmp, cat, &st, &eb);
		if (rv == TALLY_ECONFIG) {
			rv = tally_store_open_group(tmp, cat, &st, &eb);
		}
	}
	if (rv == TALLY_OK) {
		rv = tally_store_renew_instance(st);
		snprintf(eb.text, sizeof(eb.text), "%s", tally_strerror(rv));
	}
	if (rv == TALLY_OK && role == TALLY_ADMIN_NODE) {
		rv = tally_store_restamp(st, &restamped);
		snprintf(eb.text, sizeof(eb.text), "%s", tally_strerror(rv));
	}
	if (rv == TALLY_OK) {
		snprintf(instance, sizeof(instance), "%s",
		    tally_store_instance_id(st));
	}
	/* Closing checkpoints the write-ahead log into the file, so the
	 * file alone is the whole restored store. */
	tally_store_close(st);
	if (rv != TALLY_OK) {
		unlink(tmp);
		return tally_cli_complain(
		    prog, tally_exit_code(rv), "restore: %s", eb.text);
	}
	ex = stat(db, &sb) == 0 ? set_aside(prog, db) : EX_OK;
	if (ex == EX_OK && rename(tmp, db) != 0) {
		ex = tally_cli_complain(prog, EX_IOERR,
		    "restore: cannot move %s to %s: %s", tmp, db,
		    strerror(errno));
	}
	if (ex != EX_OK) {
		unlink(tmp);
		return ex;
	}
	if (role == TALLY_ADMIN_NODE) {
		printf("restored %s from %s; its %zu states go to the hub "
		       "again under new versions\n",
		    db, from, restamped);
	} else {
		printf("restored %s from %s; new instance id %s: every child "
		       "sends all its states again\n",
		    db, from, instance);
	}
	return EX_OK;
}

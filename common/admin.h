/*
 * The administration commands tally-hub and tally-node share:
 * `backup`, a consistent copy of a store while its daemon runs, and
 * `restore`, which puts a copy back under a new instance id. Each prints
 * its messages and returns an exit code (sysexits.h).
 */
#ifndef TALLY_ADMIN_H
#define TALLY_ADMIN_H

#include "catalog.h"

/* `backup --db FILE --out FILE`: never overwrites out. */
int tally_admin_backup(const char *prog, const char *db, const char *out);

/* Who restores: a hub, whose children resend, or a node, whose own
 * states go up again. */
enum tally_admin_role {
	TALLY_ADMIN_HUB,
	TALLY_ADMIN_NODE,
};

/* `restore --db FILE --from BACKUP`, with the daemon stopped: the store
 * at db (and its -wal and -shm files) is kept as db.pre-restore, the
 * backup copied to db, opened (and migrated if it is of the schema
 * before) and given a new instance id, so that every child, seeing it in
 * the next acknowledgement, sends all its states again: the restored
 * store holds older versions than the children were told were kept.
 * A node's store also gives its own states new versions
 * (tally_store_restamp): its parent holds versions newer than the copy's
 * for whatever changed after the backup, and would refuse the restored
 * figures as stale. */
int tally_admin_restore(const char *prog, const struct tally_catalog *cat,
    enum tally_admin_role role, const char *db, const char *from);

#endif

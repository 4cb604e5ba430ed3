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

/* `restore --db FILE --from BACKUP`, with the daemon stopped: the store
 * at db (and its -wal and -shm files) is kept as db.pre-restore, the
 * backup copied to db, opened (and migrated if it is of the schema
 * before) and given a new instance id, so that every child, seeing it in
 * the next acknowledgement, sends all its states again: the restored
 * store holds older versions than the children were told were kept. */
int tally_admin_restore(const char *prog, const struct tally_catalog *cat,
    const char *db, const char *from);

#endif

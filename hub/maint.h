/*
 * tally-hub's maintenance commands: `check-config -c FILE`,
 * which checks an INI file and everything it names before a restart,
 * `backup --db FILE --out FILE` while the hub runs, and `restore --db
 * FILE --from BACKUP` with the hub stopped (admin.h).
 */
#ifndef HUB_MAINT_H
#define HUB_MAINT_H

struct hub_maint_args {
	const char *config;
	const char *db;
	const char *out;
	const char *from;
};

/* The keys of a hub's [hub] section, read by `run` and checked by
 * `check-config` from this one list. */
#define HUB_MAINT_KEYS 25
extern const char *const hub_maint_keys[HUB_MAINT_KEYS];

/* Runs cmd when it is one of these and returns its exit code; -1 for
 * any other command. */
int hub_maint_command(
    const char *prog, const char *cmd, const struct hub_maint_args *m);

#endif

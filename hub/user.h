/*
 * `tally-hub user add|list|disable|enable|passwd`: the accounts of the
 * hub's web pages (account.h, docs/accounts.md). A password is read from
 * --password-file or standard input, never from the command line, where
 * every user of the machine could read it in the process list.
 */
#ifndef HUB_USER_H
#define HUB_USER_H

#include "catalog.h"

struct hub_user_args {
	const char *db;
	const char *name;
	const char *region;
	const char *role;
	const char *password_file;
	const char *format; /* list: table or json */
};

/* Runs `user SUB`; returns the exit code. cat is the catalogue. */
int hub_user_command(const char *prog, const char *sub,
    const struct tally_catalog *cat, const struct hub_user_args *a);

#endif

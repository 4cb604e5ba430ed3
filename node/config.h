/*
 * The node's configuration file (/etc/tally/node-NAME.ini, tally.ini(5)):
 * a [node] section with db, hub (once per parent), timeout_ms, key and
 * the tls_ files, for `tally-node run -c FILE` and `push -c FILE`, and
 * due_days with a [due] section (an indicator's own days), for `status`
 * and `serve`; and
 * `check-config -c FILE`, which checks all of it before a restart.
 */
#ifndef NODE_CONFIG_H
#define NODE_CONFIG_H

#include "catalog.h"
#include "inifile.h"
#include "target.h"

#include <stddef.h>

#define NODE_CONFIG_HUBS_MAX 8

/* The settings of a file; the strings belong to ini. */
struct node_config {
	struct tally_inifile *ini;
	const char           *db;
	const char           *hubs[NODE_CONFIG_HUBS_MAX];
	size_t                n_hubs;
	const char           *timeout_ms;
	const char           *key;
	const char           *tls_ca;
	const char           *tls_cert;
	const char           *tls_key;
	const char           *tls_server_name;
	const char           *due_days;
};

/* Reads path into cfg, printing every problem as `path:line: message`.
 * Returns EX_OK, EX_NOINPUT (cannot open) or EX_CONFIG. On EX_OK the
 * caller ends with node_config_fini. */
int node_config_load(
    const char *prog, const char *path, struct node_config *cfg);

void node_config_fini(struct node_config *cfg);

/* The due dates of cfg (NULL: none) and of --due-days (cli, NULL: not
 * given, else over the file's due_days) into due, which the caller has
 * initialised with tally_due_init. Prints every problem as
 * `file:line: ...` (or `prog: --due-days: ...`) and returns EX_CONFIG
 * (EX_USAGE for --due-days), else EX_OK. */
int node_config_due(const char *prog, const struct node_config *cfg,
    const char *cli, const struct tally_catalog *cat, struct tally_due *due);

/* `check-config -c FILE`: the file, then everything it names (the store
 * and its region, the hub URLs and parents, the key, the TLS files).
 * Prints each problem as file:line; EX_OK when there is none. */
int node_check_config(const char *prog, const char *path);

#endif

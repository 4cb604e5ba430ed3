/*
 * `tally-hub run`: the hub's server. It receives children's submissions on
 * an NNG REP socket served by several contexts, applies them on a single
 * writer thread that commits in batches (group commit), acknowledges each
 * submission only after its commit, and forwards the hub's own rollup to
 * its parent through the same uplink code the nodes use.
 */
#ifndef HUB_SERVER_H
#define HUB_SERVER_H

#include "catalog.h"

struct hub_config {
	const char *db;
	const char *region;
	const char *listen;
	const char *parent;     /* NULL: a top hub that forwards nothing */
	const char *ready_file; /* written with the bound URL once listening */
	int         contexts;   /* concurrent requests in flight */
};

/* Runs the hub until SIGINT or SIGTERM. Returns a Tally error code; the
 * reason has been logged. */
int hub_run(const struct tally_catalog *cat, const struct hub_config *cfg);

#endif

/*
 * `tally-node serve --http ADDR:PORT`: the county's data-entry page
 * (docs/entry.md). A small HTTP server (libmicrohttpd) on loopback by
 * default, in the intake helper so that the daemon `run` never loads it.
 * The form and the uploads go through node_import_sheet, the very checks
 * and transaction of `import`; a POST must carry the page's same-origin
 * token and stay under a size limit.
 */
#ifndef NODE_SERVE_H
#define NODE_SERVE_H

#include "catalog.h"
#include "target.h"

/* The largest form (POST /entry) and upload (POST /upload) taken. */
#define NODE_SERVE_FORM_MAX   (256 * 1024)
#define NODE_SERVE_UPLOAD_MAX (8 * 1024 * 1024)

struct node_serve_opts {
	const char *db;
	const char *addr;       /* ADDR:PORT (httpaddr.h) */
	const char *ready_file; /* the URL is written here, or NULL */
	const struct tally_due *due;
};

/* Serves until SIGINT or SIGTERM; returns the exit code. Prints the URL
 * on standard output once it listens. */
int node_serve(const char *prog, const struct tally_catalog *cat,
    const struct node_serve_opts *o);

#endif

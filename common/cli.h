/*
 * What the command-line programs (tally-node, tally-hub, tally-gen) share:
 * one-line error messages, loading the reference data with its errors
 * reported, and the output formats of their reports.
 */
#ifndef TALLY_CLI_H
#define TALLY_CLI_H

#include "catalog.h"

enum tally_format {
	TALLY_FORMAT_TABLE,
	TALLY_FORMAT_JSON,
	TALLY_FORMAT_CSV,
};

/* Parses "table", "json" or "csv"; TALLY_EINVAL otherwise. */
int tally_format_parse(const char *s, int *out);

/* Prints `prog: message` on stderr as one line, whatever the message
 * quotes, and returns ex, so that callers can `return tally_cli_complain(
 * prog, EX_DATAERR, ...)`. */
int tally_cli_complain(const char *prog, int ex, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints `prog: cmd: msg (see prog --help)` and returns EX_USAGE. */
int tally_cli_usage(const char *prog, const char *cmd, const char *msg);

/* Loads the catalogue from the default data directory. On failure prints
 * the file:line error and returns the exit code; EX_OK on success, when
 * the caller frees *cat with tally_catalog_free. */
int tally_cli_load_catalog(const char *prog, struct tally_catalog **cat);

#endif

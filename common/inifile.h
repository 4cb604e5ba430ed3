/*
 * An INI file read whole, every setting with the line it is on, so that
 * `check-config` can name the line of each problem it finds (inih itself
 * reports the line of the first syntax error only).
 */
#ifndef TALLY_INIFILE_H
#define TALLY_INIFILE_H

#include "errors.h"

#include <stdbool.h>
#include <stddef.h>

struct tally_ini_entry {
	char  *section;
	char  *name;
	char  *value;
	size_t line;
};

struct tally_inifile {
	char                   *path; /* as given */
	struct tally_ini_entry *entries;
	size_t                  n;
};

/* Reads path. TALLY_ENOENT when it cannot be opened; TALLY_ECONFIG on a
 * syntax error, with eb holding `path:line: syntax error`. On success
 * the caller frees *out with tally_inifile_free. */
int tally_inifile_load(
    const char *path, struct tally_inifile **out, struct tally_errbuf *eb);

void tally_inifile_free(struct tally_inifile *f);

/* The first entry of section/name, or NULL. */
const struct tally_ini_entry *tally_inifile_get(
    const struct tally_inifile *f, const char *section, const char *name);

/* For check-config: prints `path:line: [section] name: message` on
 * stderr. */
void tally_inifile_complain(const struct tally_inifile *f,
    const struct tally_ini_entry *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* True when the file e's value names can be read; otherwise complains
 * and returns false. */
bool tally_inifile_readable(
    const struct tally_inifile *f, const struct tally_ini_entry *e);

/* True when url (e's value unless given) is an NNG URL; otherwise
 * complains. */
bool tally_inifile_url(const struct tally_inifile *f,
    const struct tally_ini_entry *e, const char *url);

#endif

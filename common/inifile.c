/*
 * The line-numbered INI reader of inifile.h, on inih's stream parser: the
 * reader callback counts the lines it hands to inih, so when the handler
 * runs the count is the line of the setting.
 */
#include "inifile.h"

#include <errno.h>
#include <ini.h>
#include <nng/nng.h>
#include <stdarg.h>
#include <stdbool.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ini_reading {
	FILE                 *fp;
	size_t                line;
	struct tally_inifile *f;
	bool                  oom;
};

static char *
line_reader(char *buf, int len, void *arg)
{
	struct ini_reading *r   = arg;
	char               *got = fgets(buf, len, r->fp);

	if (got != NULL) {
		r->line++;
	}
	return got;
}

static int
entry_handler(
    void *arg, const char *section, const char *name, const char *value)
{
	struct ini_reading     *r = arg;
	struct tally_inifile   *f = r->f;
	struct tally_ini_entry *e, *grown;

	grown = realloc(f->entries, (f->n + 1) * sizeof(*f->entries));
	if (grown == NULL) {
		r->oom = true;
		return 0;
	}
	f->entries = grown;
	e          = &f->entries[f->n];
	e->section = strdup(section);
	e->name    = strdup(name);
	e->value   = strdup(value);
	e->line    = r->line;
	f->n++;
	if (e->section == NULL || e->name == NULL || e->value == NULL) {
		r->oom = true;
		return 0;
	}
	return 1;
}

int
tally_inifile_load(
    const char *path, struct tally_inifile **out, struct tally_errbuf *eb)
{
	struct ini_reading r;
	int                line, rv;

	memset(&r, 0, sizeof(r));
	r.f = calloc(1, sizeof(*r.f));
	if (r.f == NULL || (r.f->path = strdup(path)) == NULL) {
		tally_inifile_free(r.f);
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	r.fp = fopen(path, "r");
	if (r.fp == NULL) {
		rv = tally_fail(eb, errno == ENOENT ? TALLY_ENOENT : TALLY_EIO,
		    "%s: cannot open: %s", path, strerror(errno));
		tally_inifile_free(r.f);
		return rv;
	}
	line = ini_parse_stream(line_reader, &r, entry_handler, &r);
	fclose(r.fp);
	if (r.oom) {
		tally_inifile_free(r.f);
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	if (line != 0) {
		tally_inifile_free(r.f);
		return tally_fail(
		    eb, TALLY_ECONFIG, "%s:%d: syntax error", path, line);
	}
	*out = r.f;
	return TALLY_OK;
}

void
tally_inifile_free(struct tally_inifile *f)
{
	if (f == NULL) {
		return;
	}
	for (size_t i = 0; i < f->n; i++) {
		free(f->entries[i].section);
		free(f->entries[i].name);
		free(f->entries[i].value);
	}
	free(f->entries);
	free(f->path);
	free(f);
}

const struct tally_ini_entry *
tally_inifile_get(
    const struct tally_inifile *f, const char *section, const char *name)
{
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->entries[i].section, section) == 0 &&
		    strcmp(f->entries[i].name, name) == 0) {
			return &f->entries[i];
		}
	}
	return NULL;
}

void
tally_inifile_complain(const struct tally_inifile *f,
    const struct tally_ini_entry *e, const char *fmt, ...)
{
	char    msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s:%zu: [%s] %s: %s\n", f->path, e->line, e->section,
	    e->name, msg);
}

bool
tally_inifile_readable(
    const struct tally_inifile *f, const struct tally_ini_entry *e)
{
	FILE *fp = fopen(e->value, "r");

	if (fp == NULL) {
		tally_inifile_complain(
		    f, e, "%s: cannot read: %s", e->value, strerror(errno));
		return false;
	}
	fclose(fp);
	return true;
}

bool
tally_inifile_url(const struct tally_inifile *f,
    const struct tally_ini_entry *e, const char *url)
{
	nng_url *u = NULL;
	int      rv;

	if (url == NULL) {
		url = e->value;
	}
	rv = nng_url_parse(&u, url);
	if (rv != 0) {
		tally_inifile_complain(
		    f, e, "'%s' is not a URL: %s", url, nng_strerror(rv));
		return false;
	}
	nng_url_free(u);
	return true;
}

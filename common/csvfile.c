/*
 * The libcsv-based reader declared in csvfile.h. Lines are fed to libcsv one
 * at a time so that the reader always knows which line a row started on.
 */
#include "csvfile.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_FIELDS 64

struct csv_ctx {
	tally_csv_row_fn     fn;
	void                *arg;
	struct tally_errbuf *eb;
	const char          *path;
	size_t               cur_line;
	size_t               row_line;
	char                *fields[CSV_MAX_FIELDS];
	size_t               nfields;
	int                  rv; /* the first error; later rows are skipped */
};

static int
no_space(unsigned char c)
{
	(void) c;
	return 0;
}

static void
ctx_clear_fields(struct csv_ctx *c)
{
	for (size_t i = 0; i < c->nfields; i++) {
		free(c->fields[i]);
		c->fields[i] = NULL;
	}
	c->nfields = 0;
}

static void
on_field(void *data, size_t len, void *arg)
{
	struct csv_ctx *c = arg;
	char           *f;

	if (c->rv != TALLY_OK) {
		return;
	}
	if (c->nfields >= CSV_MAX_FIELDS) {
		c->rv = tally_fail(c->eb, TALLY_EDATA,
		    "%s:%zu: more than %d fields", c->path, c->row_line,
		    CSV_MAX_FIELDS);
		return;
	}
	f = malloc(len + 1);
	if (f == NULL) {
		c->rv = tally_fail(
		    c->eb, TALLY_ENOMEM, "%s: out of memory", c->path);
		return;
	}
	if (len > 0) {
		memcpy(f, data, len);
	}
	f[len]                  = '\0';
	c->fields[c->nfields++] = f;
}

static void
on_row(int term, void *arg)
{
	struct csv_ctx *c = arg;

	(void) term;
	if (c->rv == TALLY_OK && c->nfields > 0) {
		c->rv =
		    c->fn(c->arg, c->row_line, c->fields, c->nfields, c->eb);
	}
	ctx_clear_fields(c);
}

int
tally_csv_read(
    const char *path, tally_csv_row_fn fn, void *arg, struct tally_errbuf *eb)
{
	struct csv_parser p;
	struct csv_ctx    c;
	FILE             *f;
	char             *line = NULL;
	size_t            cap  = 0;
	ssize_t           n;
	int               rv;

	memset(&c, 0, sizeof(c));
	c.fn   = fn;
	c.arg  = arg;
	c.eb   = eb;
	c.path = path;
	if (strcmp(path, "-") == 0) {
		f = stdin;
	} else {
		f = fopen(path, "r");
	}
	if (f == NULL) {
		return tally_fail(eb,
		    errno == ENOENT ? TALLY_ENOENT : TALLY_EIO,
		    "%s: cannot open: %s", path, strerror(errno));
	}
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		rv = tally_fail(eb, TALLY_ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	/* libcsv trims blanks around unquoted fields by default; Tally keeps
	 * them, so that an import refuses " 90" exactly as `record` does. */
	csv_set_space_func(&p, no_space);
	while (c.rv == TALLY_OK && (n = getline(&line, &cap, f)) >= 0) {
		char *start = line;

		c.cur_line++;
		if (c.cur_line == 1 && n >= 3 &&
		    memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
			start += 3;
			n -= 3;
		}
		if (memchr(start, '\0', (size_t) n) != NULL) {
			c.rv = tally_fail(eb, TALLY_EDATA,
			    "%s:%zu: NUL byte in text", path, c.cur_line);
			break;
		}
		/* libcsv's state 0 is "no row begun": a row that begins in
		 * this line is reported with this line, even if a quoted field
		 * carries it over several lines. */
		if (p.pstate == 0) {
			c.row_line = c.cur_line;
		}
		if (csv_parse(&p, start, (size_t) n, on_field, on_row, &c) !=
		    (size_t) n) {
			c.rv = tally_fail(eb, TALLY_EDATA, "%s:%zu: %s", path,
			    c.cur_line, csv_strerror(csv_error(&p)));
		}
	}
	if (c.rv == TALLY_OK && ferror(f)) {
		c.rv = tally_fail(eb, TALLY_EIO, "%s: read error: %s", path,
		    strerror(errno));
	}
	if (c.rv == TALLY_OK && csv_fini(&p, on_field, on_row, &c) != 0 &&
	    c.rv == TALLY_OK) {
		c.rv = tally_fail(eb, TALLY_EDATA, "%s:%zu: %s", path,
		    c.row_line, csv_strerror(csv_error(&p)));
	}
	rv = c.rv;
	ctx_clear_fields(&c);
	csv_free(&p);
fail:
	free(line);
	if (f != stdin) {
		fclose(f);
	}
	return rv;
}

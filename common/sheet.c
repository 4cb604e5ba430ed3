/*
 * The sheet reader declared in sheet.h: the whole file is read into
 * memory (county files are small), its kind decided from its first bytes,
 * and a CSV file converted to UTF-8 and split by libcsv one line at a
 * time, so that every row knows the line it starts on.
 */
#include "sheet.h"

#include "encoding.h"
#include "text.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Larger than any sheet a county fills by hand, small enough that a
 * wrong file (a video, a database) is refused before it fills memory. */
#define SHEET_MAX_BYTES (64u << 20)
#define SHEET_MAX_CELLS 256

static void
free_cells(char **cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(cells[i]);
	}
	free(cells);
}

void
tally_sheet_free(struct tally_sheet *sh)
{
	if (sh == NULL) {
		return;
	}
	for (size_t i = 0; i < sh->n_rows; i++) {
		free_cells(sh->rows[i].cells, sh->rows[i].n);
	}
	free(sh->rows);
	free(sh->sheet);
	free(sh);
}

int
tally_sheet_add_row(
    struct tally_sheet *sh, size_t line, char **cells, size_t n)
{
	struct tally_sheet_row *rows;

	for (size_t i = 0; i < n; i++) {
		tally_text_trim(cells[i]);
	}
	while (n > 0 && cells[n - 1][0] == '\0') {
		free(cells[--n]);
	}
	if (n == 0) {
		free(cells);
		return TALLY_OK;
	}
	rows = realloc(sh->rows, (sh->n_rows + 1) * sizeof(*rows));
	if (rows == NULL) {
		free_cells(cells, n);
		return TALLY_ENOMEM;
	}
	sh->rows               = rows;
	rows[sh->n_rows].line  = line;
	rows[sh->n_rows].n     = n;
	rows[sh->n_rows].cells = cells;
	sh->n_rows++;
	return TALLY_OK;
}

/* The whole of f, at most SHEET_MAX_BYTES. */
static int
slurp(FILE *f, const char *path, char **out, size_t *len,
    struct tally_errbuf *eb)
{
	char  *buf = NULL, *nbuf;
	size_t n = 0, cap = 0, got;

	do {
		if (n == cap) {
			cap  = cap == 0 ? 65536 : cap * 2;
			nbuf = cap > SHEET_MAX_BYTES ? NULL
			                             : realloc(buf, cap + 1);
			if (nbuf == NULL) {
				free(buf);
				return tally_fail(eb, TALLY_EDATA,
				    "%s: larger than %u MiB: not a sheet to "
				    "import",
				    path, SHEET_MAX_BYTES >> 20);
			}
			buf = nbuf;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		free(buf);
		return tally_fail(eb, TALLY_EIO, "%s: read error: %s", path,
		    strerror(errno));
	}
	if (buf == NULL) {
		buf = malloc(1);
		if (buf == NULL) {
			return tally_fail(eb, TALLY_ENOMEM, "out of memory");
		}
	}
	buf[n] = '\0';
	*out   = buf;
	*len   = n;
	return TALLY_OK;
}

struct csv_ctx {
	struct tally_sheet *sh;
	size_t              row_line;
	char              **cells;
	size_t              n;
	int                 rv;
	bool                too_many; /* a row over SHEET_MAX_CELLS */
};

static void
on_field(void *data, size_t len, void *arg)
{
	struct csv_ctx *c = arg;
	char           *f;
	char          **cells;

	if (c->rv != TALLY_OK) {
		return;
	}
	if (c->n >= SHEET_MAX_CELLS) {
		c->too_many = true;
		c->rv       = TALLY_EDATA;
		return;
	}
	f     = malloc(len + 1);
	cells = realloc(c->cells, (c->n + 1) * sizeof(*cells));
	if (f == NULL || cells == NULL) {
		free(f);
		if (cells != NULL) {
			c->cells = cells;
		}
		c->rv = TALLY_ENOMEM;
		return;
	}
	if (len > 0) {
		memcpy(f, data, len);
	}
	f[len]           = '\0';
	c->cells         = cells;
	c->cells[c->n++] = f;
}

static void
on_row(int term, void *arg)
{
	struct csv_ctx *c = arg;

	(void) term;
	if (c->rv == TALLY_OK) {
		c->rv =
		    tally_sheet_add_row(c->sh, c->row_line, c->cells, c->n);
	} else {
		free_cells(c->cells, c->n);
	}
	c->cells = NULL;
	c->n     = 0;
}

static int
read_csv(const char *path, const char *text, size_t len,
    struct tally_sheet *sh, struct tally_errbuf *eb)
{
	struct csv_parser p;
	struct csv_ctx    c;
	const char       *line = text, *end = text + len;
	size_t            lineno = 0;

	if (memchr(text, '\0', len) != NULL) {
		return tally_fail(eb, TALLY_EDATA,
		    "%s: NUL bytes: not a CSV file (nor an .xlsx workbook)",
		    path);
	}
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	memset(&c, 0, sizeof(c));
	c.sh = sh;
	while (c.rv == TALLY_OK && line < end) {
		const char *nl = memchr(line, '\n', (size_t) (end - line));
		size_t      n  = nl != NULL ? (size_t) (nl - line) + 1
		                            : (size_t) (end - line);

		lineno++;
		/* libcsv's state 0 is "no row begun": a row that begins in
		 * this line is reported with this line, even if a quoted
		 * field carries it over several lines. */
		if (p.pstate == 0) {
			c.row_line = lineno;
		}
		if (csv_parse(&p, line, n, on_field, on_row, &c) != n &&
		    c.rv == TALLY_OK) {
			c.rv = tally_fail(eb, TALLY_EDATA, "%s:%zu: %s", path,
			    lineno, csv_strerror(csv_error(&p)));
		}
		line += n;
	}
	if (c.rv == TALLY_OK && csv_fini(&p, on_field, on_row, &c) != 0 &&
	    c.rv == TALLY_OK) {
		c.rv = tally_fail(eb, TALLY_EDATA, "%s:%zu: %s", path,
		    c.row_line, csv_strerror(csv_error(&p)));
	}
	if (c.too_many) {
		c.rv =
		    tally_fail(eb, TALLY_EDATA, "%s:%zu: more than %d cells",
		        path, c.row_line, SHEET_MAX_CELLS);
	} else if (c.rv == TALLY_ENOMEM && eb->text[0] == '\0') {
		(void) tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	free_cells(c.cells, c.n);
	csv_free(&p);
	return c.rv;
}

int
tally_sheet_read(const char *path, int enc, struct tally_sheet **out,
    struct tally_errbuf *eb)
{
	struct tally_sheet *sh;
	FILE               *f;
	char               *data = NULL, *text = NULL;
	size_t              len = 0, tlen = 0;
	int                 rv;

	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f == NULL) {
		return tally_fail(eb,
		    errno == ENOENT ? TALLY_ENOENT : TALLY_EIO,
		    "%s: cannot open: %s", path, strerror(errno));
	}
	rv = slurp(f, path, &data, &len, eb);
	if (f != stdin) {
		fclose(f);
	}
	if (rv != TALLY_OK) {
		return rv;
	}
	sh = calloc(1, sizeof(*sh));
	if (sh == NULL) {
		free(data);
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	if (len >= 4 && memcmp(data, "PK\3\4", 4) == 0) {
		sh->xlsx = true;
		rv       = tally_xlsx_read(path, data, len, sh, eb);
	} else {
		rv = tally_encoding_to_utf8(
		    data, len, enc, &text, &tlen, &sh->encoding, eb);
		if (rv != TALLY_OK) {
			tally_errbuf_prefix(eb, "%s: ", path);
		} else {
			rv = read_csv(path, text, tlen, sh, eb);
		}
	}
	free(data);
	free(text);
	if (rv != TALLY_OK) {
		tally_sheet_free(sh);
		return rv;
	}
	*out = sh;
	return TALLY_OK;
}

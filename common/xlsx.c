/*
 * The .xlsx reader behind tally_sheet_read (sheet.h): libzip opens the
 * archive, libxml2 parses its parts (no network, no entity expansion).
 * It reads what a filled-in sheet holds: shared and inline strings,
 * numbers, booleans, formulas' cached values, and date cells, told from
 * numbers by their cell style's number format (the built-in date formats,
 * the Chinese locale's, or a custom format with y, m or d), converted
 * from Excel's serial day numbers (1900 or 1904 date system).
 */
#include "clock.h"
#include "sheet.h"
#include "text.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

/* Parts larger than this are not a county's sheet. */
#define XLSX_PART_MAX (64u << 20)
#define XLSX_MAX_COLS 256
#define XLSX_MAX_ROWS 1048576 /* Excel's own limit */

struct xlsx {
	const char *path;
	zip_t      *zip;
	char      **strings; /* the shared strings */
	size_t      n_strings;
	/* Per cell style (cellXfs index): 0 number, 1 date, 2 percent. */
	unsigned char *style_kind;
	size_t         n_styles;
	bool           date1904;
};

enum { CELL_NUMBER, CELL_DATE, CELL_PERCENT };

/* Reads the archive member name and parses it; NULL when it is absent
 * (*missing set) or malformed (eb filled). */
static xmlDocPtr
read_part(
    struct xlsx *x, const char *name, bool *missing, struct tally_errbuf *eb)
{
	zip_stat_t  st;
	zip_file_t *zf;
	char       *buf;
	xmlDocPtr   doc;
	zip_int64_t got;

	*missing = false;
	zip_stat_init(&st);
	if (zip_stat(x->zip, name, 0, &st) != 0) {
		*missing = true;
		return NULL;
	}
	if (!(st.valid & ZIP_STAT_SIZE) || st.size > XLSX_PART_MAX) {
		(void) tally_fail(eb, TALLY_EDATA,
		    "%s: part %s of the workbook is too large", x->path, name);
		return NULL;
	}
	buf = malloc(st.size + 1);
	zf  = zip_fopen(x->zip, name, 0);
	got = zf != NULL && buf != NULL ? zip_fread(zf, buf, st.size) : -1;
	if (zf != NULL) {
		zip_fclose(zf);
	}
	if (got < 0 || (zip_uint64_t) got != st.size) {
		free(buf);
		(void) tally_fail(eb, TALLY_EDATA,
		    "%s: cannot read part %s of the workbook", x->path, name);
		return NULL;
	}
	doc = xmlReadMemory(buf, (int) st.size, name, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	free(buf);
	if (doc == NULL) {
		(void) tally_fail(eb, TALLY_EDATA,
		    "%s: part %s of the workbook is not well-formed XML",
		    x->path, name);
	}
	return doc;
}

static bool
named(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *) n->name, name) == 0;
}

/* The first child element called name, or NULL. */
static xmlNodePtr
child(xmlNodePtr n, const char *name)
{
	for (xmlNodePtr c = n != NULL ? n->children : NULL; c != NULL;
	     c            = c->next) {
		if (named(c, name)) {
			return c;
		}
	}
	return NULL;
}

/* An attribute by its local name, whatever its namespace; the caller
 * frees it with xmlFree. */
static char *
attr(xmlNodePtr n, const char *name)
{
	for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
		if (strcmp((const char *) a->name, name) == 0) {
			return (char *) xmlNodeGetContent((xmlNodePtr) a);
		}
	}
	return NULL;
}

/* The text of the <t> elements under n, in order, leaving out phonetic
 * runs (<rPh>); a new string. */
static char *
string_text(xmlNodePtr n)
{
	char  *out = calloc(1, 1);
	size_t len = 0;

	for (xmlNodePtr c = n->children; c != NULL && out != NULL;
	     c            = c->next) {
		char *part = NULL, *grown;

		if (named(c, "t")) {
			part = (char *) xmlNodeGetContent(c);
		} else if (named(c, "r")) {
			part = string_text(c);
		}
		if (part == NULL) {
			continue;
		}
		grown = realloc(out, len + strlen(part) + 1);
		if (grown != NULL) {
			memcpy(grown + len, part, strlen(part) + 1);
			len += strlen(part);
		} else {
			free(out);
		}
		out = grown;
		if (named(c, "t")) {
			xmlFree(part);
		} else {
			free(part);
		}
	}
	return out;
}

static int
load_strings(struct xlsx *x, struct tally_errbuf *eb)
{
	bool       missing;
	xmlDocPtr  doc = read_part(x, "xl/sharedStrings.xml", &missing, eb);
	xmlNodePtr root;
	size_t     n = 0;

	if (doc == NULL) {
		return missing ? TALLY_OK : TALLY_EDATA;
	}
	root = xmlDocGetRootElement(doc);
	for (xmlNodePtr c = root->children; c != NULL; c = c->next) {
		n += named(c, "si");
	}
	x->strings = calloc(n + 1, sizeof(*x->strings));
	if (x->strings == NULL) {
		xmlFreeDoc(doc);
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	for (xmlNodePtr c = root->children; c != NULL; c = c->next) {
		if (!named(c, "si")) {
			continue;
		}
		x->strings[x->n_strings] = string_text(c);
		if (x->strings[x->n_strings] == NULL) {
			xmlFreeDoc(doc);
			return tally_fail(eb, TALLY_ENOMEM, "out of memory");
		}
		x->n_strings++;
	}
	xmlFreeDoc(doc);
	return TALLY_OK;
}

/* What a custom number format shows: a date when, outside quoted text,
 * escapes and [colour] sections, it has y, m, d (or h, s of a time);
 * a percentage when it has %. */
static int
format_kind(const char *code)
{
	bool quoted = false, bracket = false, pct = false;

	for (const char *p = code; *p != '\0'; p++) {
		if (*p == '"') {
			quoted = !quoted;
		} else if (quoted) {
			continue;
		} else if (*p == '\\' && p[1] != '\0') {
			p++;
		} else if (*p == '[') {
			bracket = true;
		} else if (*p == ']') {
			bracket = false;
		} else if (!bracket && strchr("yYmMdDhHsS", *p) != NULL) {
			return CELL_DATE;
		} else if (!bracket && *p == '%') {
			pct = true;
		}
	}
	return pct ? CELL_PERCENT : CELL_NUMBER;
}

/* The built-in formats: 14-22 and 45-47 dates and times; 27-36 and 50-58
 * the dates of the Chinese, Japanese and Korean locales; 9-10 percent. */
static int
builtin_kind(long id)
{
	if ((id >= 14 && id <= 22) || (id >= 27 && id <= 36) ||
	    (id >= 45 && id <= 47) || (id >= 50 && id <= 58)) {
		return CELL_DATE;
	}
	return id == 9 || id == 10 ? CELL_PERCENT : CELL_NUMBER;
}

static int
style_kind_of(xmlNodePtr numfmts, long id)
{
	for (xmlNodePtr f = numfmts != NULL ? numfmts->children : NULL;
	     f != NULL; f = f->next) {
		char     *fid, *code;
		int       kind = -1;
		long long n;

		if (!named(f, "numFmt")) {
			continue;
		}
		fid  = attr(f, "numFmtId");
		code = attr(f, "formatCode");
		if (fid != NULL && code != NULL &&
		    tally_parse_whole(fid, 0, INT_MAX, &n) == TALLY_OK &&
		    n == id) {
			kind = format_kind(code);
		}
		xmlFree(fid);
		xmlFree(code);
		if (kind >= 0) {
			return kind;
		}
	}
	return builtin_kind(id);
}

static int
load_styles(struct xlsx *x, struct tally_errbuf *eb)
{
	bool       missing;
	xmlDocPtr  doc = read_part(x, "xl/styles.xml", &missing, eb);
	xmlNodePtr root, xfs, numfmts;
	size_t     n = 0;

	if (doc == NULL) {
		return missing ? TALLY_OK : TALLY_EDATA;
	}
	root    = xmlDocGetRootElement(doc);
	numfmts = child(root, "numFmts");
	xfs     = child(root, "cellXfs");
	for (xmlNodePtr c = xfs != NULL ? xfs->children : NULL; c != NULL;
	     c            = c->next) {
		n += named(c, "xf");
	}
	x->style_kind = calloc(n + 1, 1);
	if (x->style_kind == NULL) {
		xmlFreeDoc(doc);
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	for (xmlNodePtr c = xfs != NULL ? xfs->children : NULL; c != NULL;
	     c            = c->next) {
		char     *id;
		long long fmt;

		if (!named(c, "xf")) {
			continue;
		}
		id = attr(c, "numFmtId");
		/* A style without a valid format id is General. */
		if (id == NULL ||
		    tally_parse_whole(id, 0, INT_MAX, &fmt) != TALLY_OK) {
			fmt = 0;
		}
		x->style_kind[x->n_styles++] =
		    (unsigned char) style_kind_of(numfmts, (long) fmt);
		xmlFree(id);
	}
	xmlFreeDoc(doc);
	return TALLY_OK;
}

/* The part name of the sheet with relationship id rid, from the
 * workbook's relationships; TALLY_ENOENT when they do not name it. */
static int
sheet_part(struct xlsx *x, const char *rid, char *part, size_t cap,
    struct tally_errbuf *eb)
{
	bool      missing;
	xmlDocPtr rels =
	    read_part(x, "xl/_rels/workbook.xml.rels", &missing, eb);
	xmlNodePtr r  = rels != NULL ? xmlDocGetRootElement(rels) : NULL;
	int        rv = TALLY_ENOENT;

	for (r = r != NULL ? r->children : NULL; r != NULL; r = r->next) {
		char *id, *target;

		if (!named(r, "Relationship")) {
			continue;
		}
		id     = attr(r, "Id");
		target = attr(r, "Target");
		if (id != NULL && target != NULL && strcmp(id, rid) == 0) {
			/* Targets are relative to xl/, or absolute. */
			if (target[0] == '/') {
				snprintf(part, cap, "%s", target + 1);
			} else {
				snprintf(part, cap, "xl/%s", target);
			}
			rv = TALLY_OK;
		}
		xmlFree(id);
		xmlFree(target);
	}
	xmlFreeDoc(rels);
	return rels == NULL && !missing ? TALLY_EDATA : rv;
}

/* Finds the sheet to read in workbook.xml and its part name through the
 * workbook's relationships. */
static int
find_sheet(struct xlsx *x, struct tally_sheet *sh, char *part, size_t cap,
    struct tally_errbuf *eb)
{
	bool       missing;
	xmlDocPtr  wb = read_part(x, "xl/workbook.xml", &missing, eb);
	xmlNodePtr sheets, pick = NULL, pr;
	char      *rid = NULL;
	int        rv  = TALLY_EDATA;

	if (wb == NULL) {
		return missing ? tally_fail(eb, TALLY_EDATA,
		                     "%s: a ZIP archive, but not an .xlsx "
		                     "workbook (no xl/workbook.xml)",
		                     x->path)
		               : TALLY_EDATA;
	}
	pr = child(xmlDocGetRootElement(wb), "workbookPr");
	if (pr != NULL) {
		char *d     = attr(pr, "date1904");
		x->date1904 = d != NULL &&
		    (strcmp(d, "1") == 0 || strcmp(d, "true") == 0);
		xmlFree(d);
	}
	sheets = child(xmlDocGetRootElement(wb), "sheets");
	for (xmlNodePtr s = sheets != NULL ? sheets->children : NULL;
	     s != NULL; s = s->next) {
		char *name;

		if (!named(s, "sheet")) {
			continue;
		}
		name = attr(s, "name");
		if (pick == NULL ||
		    (name != NULL && strcmp(name, TALLY_SHEET_ENTRY) == 0)) {
			pick = s;
			free(sh->sheet);
			sh->sheet = strdup(name != NULL ? name : "");
		}
		xmlFree(name);
	}
	if (pick == NULL) {
		xmlFreeDoc(wb);
		return tally_fail(
		    eb, TALLY_EDATA, "%s: the workbook has no sheet", x->path);
	}
	rid = attr(pick, "id");
	xmlFreeDoc(wb);
	rv = rid != NULL ? sheet_part(x, rid, part, cap, eb) : TALLY_ENOENT;
	xmlFree(rid);
	if (rv == TALLY_ENOENT) {
		rv = tally_fail(eb, TALLY_EDATA,
		    "%s: the workbook does not say where its sheet '%s' is",
		    x->path, sh->sheet);
	}
	return rv;
}

/* The text of a date cell: `YYYY-MM-DD`, with ` HH:MM:SS` when the
 * serial has a time of day. */
static char *
date_text(const struct xlsx *x, double serial)
{
	char buf[64];
	long days = (long) floor(serial);
	long secs = lround((serial - (double) days) * 86400.0);
	int  y, m, d;

	if (secs >= 86400) {
		days++;
		secs -= 86400;
	}
	/* Serial 1 is 1900-01-01 and Excel counts a 29 February 1900 that
	 * never was (serial 60): from 61 on, day 0 is 1899-12-30. The 1904
	 * system counts from 1904-01-01 = 0. */
	if (x->date1904) {
		days -= 24107; /* 1904-01-01 is 24107 days before 1970 */
	} else if (days >= 61) {
		days -= 25569; /* 1899-12-30 is 25569 days before 1970 */
	} else {
		days -= 25568;
	}
	tally_clock_civil_from_days(days, &y, &m, &d);
	if (secs == 0) {
		snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
	} else {
		snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02ld:%02ld:%02ld",
		    y, m, d, secs / 3600, secs / 60 % 60, secs % 60);
	}
	return strdup(buf);
}

/* The text of a number cell with the 15 significant digits Excel keeps
 * and shows: a formula's 0.30000000000000004 is 0.3, as on screen. */
static char *
number_text(double v, bool percent)
{
	char buf[64];

	if (percent) {
		v *= 100;
	}
	snprintf(buf, sizeof(buf), "%.15g%s", v, percent ? "%" : "");
	return strdup(buf);
}

/* The column index of a reference such as "C12" (0 for A); -1 when
 * there is none. */
static long
column_of(const char *ref)
{
	long col = 0;
	int  n   = 0;

	for (; ref != NULL && *ref >= 'A' && *ref <= 'Z'; ref++, n++) {
		col = col * 26 + (*ref - 'A' + 1);
	}
	return n == 0 || n > 3 ? -1 : col - 1;
}

/* The text of a shared string cell, whose value is an index into the
 * shared strings: a new string. An index that is not one is kept as the
 * cell's text, for the validation to refuse, never read as another cell's
 * string. */
static char *
shared_text(const struct xlsx *x, const char *raw)
{
	long long i;

	if (tally_parse_whole(raw, 0, LLONG_MAX, &i) == TALLY_OK &&
	    (unsigned long long) i < x->n_strings) {
		return strdup(x->strings[i]);
	}
	return strdup(raw);
}

/* The text of a number cell, as its style shows it (a date, a percentage,
 * a number): a new string. A value that is not a number is kept as the
 * cell's text, for the validation to refuse with it, never read as the
 * number its first digits make. */
static char *
number_cell_text(const struct xlsx *x, const char *raw, const char *style)
{
	double    d;
	long long st;
	int       kind = CELL_NUMBER;

	if (tally_parse_double(raw, &d) != TALLY_OK) {
		return strdup(raw);
	}
	if (style != NULL &&
	    tally_parse_whole(style, 0, LLONG_MAX, &st) == TALLY_OK &&
	    (unsigned long long) st < x->n_styles) {
		kind = x->style_kind[st];
	}
	return kind == CELL_DATE ? date_text(x, d)
	                         : number_text(d, kind == CELL_PERCENT);
}

/* The text of one <c> element: a new string. */
static char *
cell_text(const struct xlsx *x, xmlNodePtr c)
{
	char      *t = attr(c, "t"), *s = attr(c, "s"), *raw = NULL, *out;
	xmlNodePtr v = child(c, "v");
	xmlNodePtr is;

	if (t != NULL && strcmp(t, "inlineStr") == 0) {
		is  = child(c, "is");
		out = is != NULL ? string_text(is) : strdup("");
	} else if (v == NULL) {
		out = strdup("");
	} else {
		raw = (char *) xmlNodeGetContent(v);
		if (t != NULL && strcmp(t, "s") == 0) {
			out = shared_text(x, raw);
		} else if (t != NULL && strcmp(t, "b") == 0) {
			out = strdup(strcmp(raw, "1") == 0 ? "TRUE" : "FALSE");
		} else if (t == NULL || strcmp(t, "n") == 0) {
			out = number_cell_text(x, raw, s);
		} else {
			/* str (a formula's text), e (an error such as #N/A) */
			out = strdup(raw);
		}
	}
	xmlFree(raw);
	xmlFree(t);
	xmlFree(s);
	return out;
}

/* Reads one <row>. Each cell goes to the column its reference names (in
 * whatever order the cells come), or after the previous one when it has
 * no reference; the columns between are empty. */
static int
read_row(const struct xlsx *x, xmlNodePtr row, size_t line,
    struct tally_sheet *sh, struct tally_errbuf *eb)
{
	char **cells;
	size_t n     = 0;
	long   next  = 0;
	bool   nomem = false;

	cells = calloc(XLSX_MAX_COLS, sizeof(*cells));
	if (cells == NULL) {
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	for (xmlNodePtr c = row->children; c != NULL; c = c->next) {
		char *ref;
		long  col;

		if (!named(c, "c")) {
			continue;
		}
		ref = attr(c, "r");
		col = ref != NULL ? column_of(ref) : next;
		xmlFree(ref);
		if (col < 0) {
			col = next;
		}
		if (col >= XLSX_MAX_COLS) {
			continue; /* far right of any table Tally reads */
		}
		free(cells[col]);
		cells[col] = cell_text(x, c);
		nomem      = nomem || cells[col] == NULL;
		n          = (size_t) col + 1 > n ? (size_t) col + 1 : n;
		next       = col + 1;
	}
	for (size_t i = 0; i < n && !nomem; i++) {
		if (cells[i] == NULL) {
			cells[i] = strdup("");
			nomem    = cells[i] == NULL;
		}
	}
	if (nomem) {
		for (size_t j = 0; j < XLSX_MAX_COLS; j++) {
			free(cells[j]);
		}
		free(cells);
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	if (tally_sheet_add_row(sh, line, cells, n) != TALLY_OK) {
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	return TALLY_OK;
}

static int
read_sheet(struct xlsx *x, const char *part, struct tally_sheet *sh,
    struct tally_errbuf *eb)
{
	bool       missing;
	xmlDocPtr  doc = read_part(x, part, &missing, eb);
	xmlNodePtr data;
	size_t     line = 0;
	int        rv   = TALLY_OK;

	if (doc == NULL) {
		return missing
		    ? tally_fail(eb, TALLY_EDATA,
		          "%s: the workbook lacks its sheet %s", x->path, part)
		    : TALLY_EDATA;
	}
	data = child(xmlDocGetRootElement(doc), "sheetData");
	for (xmlNodePtr r = data != NULL ? data->children : NULL;
	     r != NULL && rv == TALLY_OK; r = r->next) {
		char     *num;
		long long n;

		if (!named(r, "row")) {
			continue;
		}
		num = attr(r, "r");
		if (num == NULL ||
		    tally_parse_whole(num, 1, XLSX_MAX_ROWS, &n) != TALLY_OK) {
			n = (long long) line + 1;
		}
		line = (size_t) n;
		xmlFree(num);
		rv = read_row(x, r, line, sh, eb);
	}
	xmlFreeDoc(doc);
	return rv;
}

int
tally_xlsx_read(const char *path, const void *data, size_t len,
    struct tally_sheet *sh, struct tally_errbuf *eb)
{
	struct xlsx   x;
	zip_source_t *src;
	zip_error_t   zerr;
	char          part[512];
	int           rv;

	memset(&x, 0, sizeof(x));
	x.path = path;
	zip_error_init(&zerr);
	src = zip_source_buffer_create(data, len, 0, &zerr);
	if (src != NULL) {
		x.zip = zip_open_from_source(src, ZIP_RDONLY, &zerr);
		if (x.zip == NULL) {
			zip_source_free(src);
		}
	}
	if (x.zip == NULL) {
		rv = tally_fail(eb, TALLY_EDATA,
		    "%s: starts like an .xlsx workbook but cannot be opened: "
		    "%s",
		    path, zip_error_strerror(&zerr));
		zip_error_fini(&zerr);
		return rv;
	}
	zip_error_fini(&zerr);
	rv = find_sheet(&x, sh, part, sizeof(part), eb);
	if (rv == TALLY_OK) {
		rv = load_strings(&x, eb);
	}
	if (rv == TALLY_OK) {
		rv = load_styles(&x, eb);
	}
	if (rv == TALLY_OK) {
		rv = read_sheet(&x, part, sh, eb);
	}
	for (size_t i = 0; i < x.n_strings; i++) {
		free(x.strings[i]);
	}
	free(x.strings);
	free(x.style_kind);
	zip_discard(x.zip);
	return rv;
}

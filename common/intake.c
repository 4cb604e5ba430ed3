/*
 * The sheet interpreter declared in intake.h. A county's own sheet often
 * has a title above its header row and notes beside or below its table;
 * the header is the first row (of the first few) that names an
 * indicator column and a period column, and columns with names of their
 * own (the template's descriptions among them) are left alone.
 */
#include "intake.h"

#include "errors.h"
#include "input.h"
#include "text.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The header is looked for in this many rows from the top. */
#define HEADER_SEARCH_ROWS 10

enum field { F_IND, F_PERIOD, F_NUM, F_DEN, F_VALUE, F_WEIGHT, F_N };

static const char *const field_name[F_N] = { "indicator", "period",
	"numerator", "denominator", "value", "weight" };

static const char *const field_zh[F_N] = { "指标", "期间", "分子", "分母",
	"数值", "权重" };

/* Every header a column may have, English in lower case. */
static const char *const aliases[F_N][8] = {
	{ "indicator", "指标", "指标id", "指标代码", "指标名称", NULL },
	{ "period", "期间", "时期", "报告期", "统计期", "统计期间", NULL },
	{ "numerator", "分子", NULL },
	{ "denominator", "分母", NULL },
	{ "value", "数值", "值", "指标值", NULL },
	{ "weight", "权重", NULL },
};

/* Rows that are a note under the table, not data ("填表人：…"), when no
 * figure is given: what a county's sheet writes there. */
static const char *const note_starts[] = { "注", "说明", "备注", "填表",
	"填报人", "审核", "负责人", "制表" };

void
tally_intake_error(struct tally_intake *in, size_t line, const char *fmt, ...)
{
	struct tally_intake_error *errs;
	char                       buf[TALLY_ERRBUF_SIZE * 2];
	va_list                    ap;
	int                        n;

	in->total_errors++;
	if (in->n_errors >= TALLY_INTAKE_ERRORS_MAX) {
		return;
	}
	n = snprintf(buf, sizeof(buf), "%s:%zu: ", in->path, line);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t) n, fmt, ap);
	va_end(ap);
	tally_one_line(buf);
	errs = realloc(in->errors, (in->n_errors + 1) * sizeof(*errs));
	if (errs == NULL) {
		return; /* still counted */
	}
	in->errors              = errs;
	errs[in->n_errors].line = line;
	errs[in->n_errors].text = strdup(buf);
	in->n_errors += errs[in->n_errors].text != NULL;
}

void
tally_intake_free(struct tally_intake *in)
{
	if (in == NULL) {
		return;
	}
	for (size_t i = 0; i < in->n_errors; i++) {
		free(in->errors[i].text);
	}
	free(in->errors);
	free(in->items);
	free(in->path);
	free(in);
}

/* The header text lowered (ASCII) and cut at the first blank, bracket or
 * slash: "分子 numerator" and "Numerator (分子)" name one column. */
static void
header_words(const char *cell, char *whole, char *first, size_t cap)
{
	size_t n = 0, cut = (size_t) -1;

	for (const char *p = cell; *p != '\0' && n + 1 < cap; p++, n++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z') {
			c = (char) (c - 'A' + 'a');
		}
		if (cut == (size_t) -1 &&
		    (c == ' ' || c == '\n' || c == '(' || c == '/' ||
		        strncmp(p, "（", 3) == 0)) {
			cut = n;
		}
		whole[n] = c;
	}
	whole[n] = '\0';
	memcpy(first, whole, n + 1);
	if (cut != (size_t) -1) {
		first[cut] = '\0';
	}
}

static int
header_field(const char *cell)
{
	char whole[128], first[128];

	header_words(cell, whole, first, sizeof(whole));
	for (int f = 0; f < F_N; f++) {
		for (int i = 0; aliases[f][i] != NULL; i++) {
			if (strcmp(whole, aliases[f][i]) == 0 ||
			    strcmp(first, aliases[f][i]) == 0) {
				return f;
			}
		}
	}
	return -1;
}

/* Maps the columns of a header row: col[f] is the column of field f, or
 * -1. Returns false when a field has two columns (an error is added). */
static bool
map_header(struct tally_intake *in, const struct tally_sheet_row *r,
    long col[F_N], bool report)
{
	bool ok = true;

	for (int f = 0; f < F_N; f++) {
		col[f] = -1;
	}
	for (size_t i = 0; i < r->n; i++) {
		int f = header_field(r->cells[i]);

		if (f < 0) {
			continue;
		}
		if (col[f] >= 0 && !report) {
			ok = false;
		} else if (col[f] >= 0) {
			tally_intake_error(in, r->line,
			    "field header: two columns for %s (%s): '%s' and "
			    "'%s'",
			    field_name[f], field_zh[f], r->cells[col[f]],
			    r->cells[i]);
			ok = false;
		}
		col[f] = (long) i;
	}
	return ok;
}

/* A header cell that looks like a misspelt name of a missing column. */
static void
check_near_misses(struct tally_intake *in, const struct tally_sheet_row *r,
    const long col[F_N])
{
	for (size_t i = 0; i < r->n; i++) {
		char whole[128], first[128];

		if (header_field(r->cells[i]) >= 0) {
			continue;
		}
		header_words(r->cells[i], whole, first, sizeof(whole));
		for (int f = 0; f < F_N; f++) {
			if (col[f] < 0 &&
			    tally_edit_distance(first, field_name[f]) <= 2) {
				tally_intake_error(in, r->line,
				    "field header: unknown column '%s'; did "
				    "you mean '%s' (%s)?",
				    r->cells[i], field_name[f], field_zh[f]);
			}
		}
	}
}

static bool
find_header(struct tally_intake *in, const struct tally_sheet *sh,
    long col[F_N], size_t *first_data)
{
	for (size_t k = 0; k < sh->n_rows && k < HEADER_SEARCH_ROWS; k++) {
		bool ok = map_header(in, &sh->rows[k], col, false);

		if (col[F_IND] < 0 || col[F_PERIOD] < 0) {
			continue;
		}
		if (!ok) {
			(void) map_header(in, &sh->rows[k], col, true);
		}
		in->header_line = sh->rows[k].line;
		*first_data     = k + 1;
		check_near_misses(in, &sh->rows[k], col);
		if (col[F_NUM] < 0 && col[F_DEN] < 0 && col[F_VALUE] < 0) {
			tally_intake_error(in, sh->rows[k].line,
			    "field header: no figure columns: expected "
			    "numerator, denominator, value and weight (分子, "
			    "分母, 数值, 权重) as the indicators need");
			ok = false;
		}
		return ok;
	}
	if (sh->n_rows == 0) {
		tally_intake_error(
		    in, 1, "field header: missing (the file is empty)");
	} else {
		tally_intake_error(in, sh->rows[0].line,
		    "field header: no header row: expected a row naming the "
		    "columns indicator,period,numerator,denominator,value,"
		    "weight (or 指标,期间,分子,分母,数值,权重), in any order");
	}
	return false;
}

static const char *
cell_at(const struct tally_sheet_row *r, long c)
{
	return c >= 0 && (size_t) c < r->n ? r->cells[c] : "";
}

static bool
is_note_row(const struct tally_sheet_row *r, const long col[F_N])
{
	const char *ind = cell_at(r, col[F_IND]);
	bool        any = false;

	for (int f = 0; f < F_N; f++) {
		if (f != F_IND && cell_at(r, col[f])[0] != '\0') {
			return false;
		}
		any = any || cell_at(r, col[f])[0] != '\0';
	}
	if (!any) {
		return true; /* only cells of columns of its own */
	}
	for (size_t i = 0; i < sizeof(note_starts) / sizeof(note_starts[0]);
	     i++) {
		if (strncmp(ind, note_starts[i], strlen(note_starts[i])) ==
		    0) {
			return true;
		}
	}
	return false;
}

static int
read_row(struct tally_intake *in, const struct tally_catalog *cat,
    const struct tally_sheet_row *r, const long col[F_N])
{
	struct tally_input_row    row;
	struct tally_input_errors e;
	struct tally_intake_item  item;
	struct tally_intake_item *items;

	if (is_note_row(r, col)) {
		return TALLY_OK;
	}
	if (cell_at(r, col[F_NUM])[0] == '\0' &&
	    cell_at(r, col[F_DEN])[0] == '\0' &&
	    cell_at(r, col[F_VALUE])[0] == '\0' &&
	    cell_at(r, col[F_WEIGHT])[0] == '\0') {
		in->skipped++;
		return TALLY_OK;
	}
	row.indicator   = cell_at(r, col[F_IND]);
	row.period      = cell_at(r, col[F_PERIOD]);
	row.numerator   = cell_at(r, col[F_NUM]);
	row.denominator = cell_at(r, col[F_DEN]);
	row.value       = cell_at(r, col[F_VALUE]);
	row.weight      = cell_at(r, col[F_WEIGHT]);
	memset(&item, 0, sizeof(item));
	item.line = r->line;
	if (tally_input_check(cat, &row, &item.ind, &item.obs, &e) !=
	    TALLY_OK) {
		for (size_t i = 0; i < e.n; i++) {
			tally_intake_error(in, r->line, "%s", e.text[i]);
		}
		return TALLY_OK;
	}
	items = realloc(in->items, (in->n_items + 1) * sizeof(*items));
	if (items == NULL) {
		return TALLY_ENOMEM;
	}
	in->items                = items;
	in->items[in->n_items++] = item;
	return TALLY_OK;
}

static int
cmp_item(const void *a, const void *b)
{
	const struct tally_intake_item *x = a, *y = b;
	int mx = tally_period_first_month(&x->obs.period);
	int my = tally_period_first_month(&y->obs.period);

	if (x->ind != y->ind) {
		return x->ind < y->ind ? -1 : 1;
	}
	if (x->obs.period.kind != y->obs.period.kind) {
		return x->obs.period.kind - y->obs.period.kind;
	}
	if (mx != my) {
		return mx < my ? -1 : 1;
	}
	return x->line < y->line ? -1 : x->line > y->line;
}

/* The same (indicator, period) twice: the later line is refused, naming
 * the first. */
static void
check_duplicates(struct tally_intake *in)
{
	struct tally_intake_item *s;

	if (in->n_items < 2) {
		return;
	}
	s = malloc(in->n_items * sizeof(*s));
	if (s == NULL) {
		return;
	}
	memcpy(s, in->items, in->n_items * sizeof(*s));
	qsort(s, in->n_items, sizeof(*s), cmp_item);
	for (size_t i = 1, first = 0; i < in->n_items; i++) {
		char p[TALLY_PERIOD_STRLEN];

		if (s[i].ind != s[first].ind ||
		    !tally_period_equal(
		        &s[i].obs.period, &s[first].obs.period)) {
			first = i;
			continue;
		}
		tally_period_format(&s[i].obs.period, p);
		tally_intake_error(in, s[i].line,
		    "field period: %s %s already given on line %zu",
		    s[i].ind->id, p, s[first].line);
	}
	free(s);
}

int
tally_intake_read(const struct tally_catalog *cat,
    const struct tally_sheet *sh, const char *path, struct tally_intake **out)
{
	struct tally_intake *in = calloc(1, sizeof(*in));
	long                 col[F_N];
	size_t               first = 0;
	int                  rv    = TALLY_OK;

	if (in == NULL) {
		return TALLY_ENOMEM;
	}
	in->path = strdup(path);
	if (in->path == NULL) {
		free(in);
		return TALLY_ENOMEM;
	}
	if (find_header(in, sh, col, &first)) {
		for (size_t k = first; k < sh->n_rows && rv == TALLY_OK; k++) {
			rv = read_row(in, cat, &sh->rows[k], col);
		}
		check_duplicates(in);
	}
	if (rv != TALLY_OK) {
		tally_intake_free(in);
		return rv;
	}
	*out = in;
	return TALLY_OK;
}

static int
cmp_error(const void *a, const void *b)
{
	const struct tally_intake_error *x = a, *y = b;

	return x->line < y->line ? -1 : x->line > y->line;
}

void
tally_intake_print_errors(
    const struct tally_intake *in, FILE *out, const char *prog)
{
	/* A stable order by line: the messages of one row stay in field
	 * order. */
	struct tally_intake_error *s = malloc((in->n_errors + 1) * sizeof(*s));

	if (s == NULL) {
		return;
	}
	memcpy(s, in->errors, in->n_errors * sizeof(*s));
	for (size_t i = 1; i < in->n_errors; i++) {
		struct tally_intake_error e = s[i];
		size_t                    j = i;

		while (j > 0 && cmp_error(&s[j - 1], &e) > 0) {
			s[j] = s[j - 1];
			j--;
		}
		s[j] = e;
	}
	for (size_t i = 0; i < in->n_errors; i++) {
		fprintf(out, "%s: %s\n", prog, s[i].text);
	}
	if (in->total_errors > in->n_errors) {
		fprintf(out, "%s: %s: ... and %zu more\n", prog, in->path,
		    in->total_errors - in->n_errors);
	}
	free(s);
}

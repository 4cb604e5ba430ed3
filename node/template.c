/*
 * The template writer declared in template.h: CSV with libcsv's quoting
 * (figure.h), .xlsx with libxlsxwriter. In the workbook the period and
 * the indicator are text cells, so that Excel does not turn 2020-03 into
 * a date, the columns an indicator does not use are shaded, and the
 * figure columns accept only numbers of zero or more.
 */
#include "template.h"

#include "figure.h"
#include "guide.h"
#include "sheet.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <xlsxwriter.h>

enum col {
	C_IND,
	C_PERIOD,
	C_NUM,
	C_DEN,
	C_VALUE,
	C_WEIGHT,
	C_NAME_ZH,
	C_NAME_EN,
	C_UNIT,
	C_KIND,
	C_ENTER_ZH,
	C_ENTER_EN,
	C_N
};

/* The header: import reads the first word of the first six; the rest are
 * names of the template's own. */
static const char *const header[C_N] = { "指标 indicator", "期间 period",
	"分子 numerator", "分母 denominator", "数值 value", "权重 weight",
	"名称 name", "英文名称 English name", "单位 unit", "类型 kind",
	"填写说明", "what to enter" };

/* The cells of one indicator's row; the figure cells are left empty. */
static void
row_cells(const struct tally_indicator *ind, const struct tally_guide *g,
    const char *period, char kind[64], const char *cells[C_N])
{
	memset(cells, 0, C_N * sizeof(*cells));
	snprintf(kind, 64, "%s %s", g->kind_zh, tally_kind_name(ind->kind));
	cells[C_IND]      = ind->id;
	cells[C_PERIOD]   = period;
	cells[C_NAME_ZH]  = ind->name_zh;
	cells[C_NAME_EN]  = ind->name_en;
	cells[C_UNIT]     = ind->unit;
	cells[C_KIND]     = kind;
	cells[C_ENTER_ZH] = g->enter_zh;
	cells[C_ENTER_EN] = g->enter_en;
}

/* True when ind does not use the figure column c. */
static bool
unused(const struct tally_indicator *ind, int c)
{
	switch (ind->kind) {
	case TALLY_KIND_RATIO:
		return c == C_VALUE || c == C_WEIGHT;
	case TALLY_KIND_COUNT:
		return c != C_VALUE;
	default:
		return c == C_NUM || c == C_DEN;
	}
}

static int
write_csv(const char *prog, const struct node_rows *rows, const char *period,
    const char *path)
{
	FILE *f = path != NULL ? fopen(path, "wb") : stdout;

	if (f == NULL) {
		fprintf(stderr, "%s: template: %s: %s\n", prog, path,
		    strerror(errno));
		return EX_CANTCREAT;
	}
	/* Excel reads a CSV file as UTF-8 only with the byte-order mark. */
	fputs("\xEF\xBB\xBF", f);
	for (int c = 0; c < C_N; c++) {
		fputs(c > 0 ? "," : "", f);
		tally_figure_csv_field(f, header[c]);
	}
	fputs("\r\n", f);
	for (size_t i = 0; i < rows->n; i++) {
		const struct tally_indicator *ind = rows->inds[i];
		struct tally_guide            g;
		const char                   *cells[C_N];
		char                          kind[64];

		tally_guide_of(ind, &g);
		row_cells(ind, &g, period, kind, cells);
		for (int c = 0; c < C_N; c++) {
			fputs(c > 0 ? "," : "", f);
			tally_figure_csv_field(
			    f, cells[c] != NULL ? cells[c] : "");
		}
		fputs("\r\n", f);
	}
	if ((path != NULL ? fclose(f) : fflush(f)) != 0) {
		fprintf(stderr, "%s: template: cannot write %s: %s\n", prog,
		    path != NULL ? path : "standard output", strerror(errno));
		return EX_IOERR;
	}
	if (path != NULL) {
		printf("wrote %s: %zu indicators for %s\n", path, rows->n,
		    period);
	}
	return EX_OK;
}

/* The notes sheet: how to fill the entry sheet, in Chinese and English. */
static void
write_notes(lxw_workbook *wb, const char *period)
{
	static const char *const lines[] = {
		"填写说明 How to fill in this workbook",
		"1. "
		"在“填报”表中每个指标一行，期间已填好。按“填写说明”列填写分子"
		"、分母或数值、权重，不用的格子留空（灰色）。",
		"1. One row per indicator on the sheet 填报, the period "
		"filled in. Enter the numerator and denominator, or the value "
		"(and weight), as 'what to enter' says; leave the grey cells "
		"empty.",
		"2. 比率类指标填数量（如合格批次和抽检批次），不要填百分比。",
		"2. For a ratio enter the counts (batches passed and "
		"sampled), "
		"not the percentage.",
		"3. "
		"没有数据的指标整行留空即可（或删除该行）；其他列可保留，导入"
		"时忽略。",
		"3. Leave the figures of an indicator without data empty (or "
		"delete its row); the descriptive columns are ignored on "
		"import.",
		"4. 填好后保存，用 tally-node import --db 数据库 本文件.xlsx "
		"导入。",
		"4. Save, then import with: tally-node import --db STORE "
		"this.xlsx",
	};
	lxw_worksheet *ws = workbook_add_worksheet(wb, "说明");
	char           title[96];

	if (ws == NULL) {
		return;
	}
	worksheet_set_column(ws, 0, 0, 110, NULL);
	snprintf(title, sizeof(title), "期间 period: %s", period);
	worksheet_write_string(ws, 0, 0, title, NULL);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		worksheet_write_string(
		    ws, (lxw_row_t) (i + 2), 0, lines[i], NULL);
	}
}

static void
write_entry_row(lxw_worksheet *ws, lxw_row_t r,
    const struct tally_indicator *ind, const char *period, lxw_format *grey,
    lxw_format *text)
{
	struct tally_guide g;
	const char        *cells[C_N];
	char               kind[64];

	tally_guide_of(ind, &g);
	row_cells(ind, &g, period, kind, cells);
	for (int c = 0; c < C_N; c++) {
		if (cells[c] != NULL) {
			worksheet_write_string(ws, r, (lxw_col_t) c, cells[c],
			    c <= C_PERIOD ? text : NULL);
		} else if (unused(ind, c)) {
			worksheet_write_blank(ws, r, (lxw_col_t) c, grey);
		}
	}
}

static int
write_xlsx(const char *prog, const struct node_rows *rows, const char *period,
    const char *path)
{
	lxw_workbook       *wb = workbook_new(path);
	lxw_worksheet      *ws;
	lxw_format         *bold, *grey, *text;
	lxw_data_validation dv;
	lxw_error           err;
	static const double widths[C_N] = { 34, 12, 14, 14, 12, 12, 30, 40, 12,
		16, 60, 60 };

	if (wb == NULL) {
		fprintf(
		    stderr, "%s: template: cannot create %s\n", prog, path);
		return EX_CANTCREAT;
	}
	ws   = workbook_add_worksheet(wb, TALLY_SHEET_ENTRY);
	bold = workbook_add_format(wb);
	format_set_bold(bold);
	format_set_bg_color(bold, 0xDDEBF7);
	grey = workbook_add_format(wb);
	format_set_bg_color(grey, 0xD9D9D9);
	text = workbook_add_format(wb);
	format_set_num_format(text, "@");
	for (int c = 0; c < C_N; c++) {
		worksheet_set_column(
		    ws, (lxw_col_t) c, (lxw_col_t) c, widths[c], NULL);
		worksheet_write_string(ws, 0, (lxw_col_t) c, header[c], bold);
	}
	worksheet_freeze_panes(ws, 1, 2);
	for (size_t i = 0; i < rows->n; i++) {
		write_entry_row(ws, (lxw_row_t) (i + 1), rows->inds[i], period,
		    grey, text);
	}
	/* Figures only: a number of zero or more (a count's whole number
	 * and a ratio's bounds are import's to check, with its messages). */
	memset(&dv, 0, sizeof(dv));
	dv.validate     = LXW_VALIDATION_TYPE_DECIMAL;
	dv.criteria     = LXW_VALIDATION_CRITERIA_GREATER_THAN_OR_EQUAL_TO;
	dv.value_number = 0;
	dv.error_title  = "只能填数字 Numbers only";
	dv.error_message = "请填写不小于0的数字（比率类填数量，不填百分比）。"
	                   "Enter a number of 0 or more.";
	worksheet_data_validation_range(
	    ws, 1, C_NUM, (lxw_row_t) rows->n, C_WEIGHT, &dv);
	write_notes(wb, period);
	err = workbook_close(wb);
	if (err != LXW_NO_ERROR) {
		fprintf(stderr, "%s: template: cannot write %s: %s\n", prog,
		    path, lxw_strerror(err));
		return EX_CANTCREAT;
	}
	printf("wrote %s: %zu indicators for %s\n", path, rows->n, period);
	return EX_OK;
}

static bool
is_xlsx(const char *path)
{
	size_t n = path != NULL ? strlen(path) : 0;

	return n >= 5 && strcasecmp(path + n - 5, ".xlsx") == 0;
}

int
node_template(const char *prog, const struct node_rows *rows,
    const struct tally_period *period, const char *out)
{
	char p[TALLY_PERIOD_STRLEN];

	tally_period_format(period, p);
	if (is_xlsx(out)) {
		return write_xlsx(prog, rows, p, out);
	}
	return write_csv(prog, rows, p, out);
}

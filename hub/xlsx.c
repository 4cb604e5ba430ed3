/*
 * The workbook declared in xlsx.h. Each sheet is one concept: 指标
 * Figures (one row per region and indicator), 目标 Targets (one row per
 * target, own or benchmark), 催报 Chase (one row per child to phone) and
 * 说明 About. Headers are bilingual ("数值 Value"); optional columns
 * (yoy, pop, benchmark, trajectory) appear only when some row has them,
 * so a report without them makes no empty columns.
 */
#include "xlsx.h"

#include "errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

/* One sheet being written: its cursor and the workbook's formats. */
struct sheet {
	lxw_worksheet *ws;
	lxw_row_t      row;
	lxw_col_t      col;
	lxw_format    *head;
	lxw_format    *num;
	/* How a figure and a gap read: two decimals, or whole numbers for
	 * a count (the cell keeps every digit either way). */
	lxw_format *fig[2], *gap[2];
	bool        count; /* the row's indicator is a count */
	lxw_error   err;
};

static void
keep_err(struct sheet *s, lxw_error e)
{
	if (s->err == LXW_NO_ERROR) {
		s->err = e;
	}
}

static void
put_str(struct sheet *s, const char *text)
{
	if (text != NULL && text[0] != '\0') {
		keep_err(s,
		    worksheet_write_string(s->ws, s->row, s->col, text, NULL));
	}
	s->col++;
}

/* A number of the document as a number cell; blank when there is none. */
static void
put_num(struct sheet *s, json_t *v)
{
	if (json_is_number(v)) {
		keep_err(s,
		    worksheet_write_number(
		        s->ws, s->row, s->col, json_number_value(v), s->num));
	}
	s->col++;
}

/* A figure (a value, a target, a projection) in its indicator's format. */
static void
put_fig(struct sheet *s, json_t *v)
{
	lxw_format *num = s->num;

	s->num = s->fig[s->count];
	put_num(s, v);
	s->num = num;
}

/* A signed difference (a gap, a change, a pace), its sign shown. */
static void
put_gap(struct sheet *s, json_t *v)
{
	lxw_format *num = s->num;

	s->num = s->gap[s->count];
	put_num(s, v);
	s->num = num;
}

static void
next_row(struct sheet *s)
{
	s->row++;
	s->col = 0;
}

/* The header row, frozen, with a filter, and the columns' widths. */
static void
put_head(struct sheet *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		keep_err(s,
		    worksheet_write_string(
		        s->ws, 0, (lxw_col_t) i, names[i], s->head));
		worksheet_set_column(s->ws, (lxw_col_t) i, (lxw_col_t) i,
		    strlen(names[i]) > 24 ? 24 : 14, NULL);
	}
	worksheet_freeze_panes(s->ws, 1, 0);
	s->row = 1;
	s->col = 0;
}

static void
end_sheet(struct sheet *s, size_t ncols)
{
	if (s->row > 1 && ncols > 0) {
		worksheet_autofilter(
		    s->ws, 0, 0, s->row - 1, (lxw_col_t) (ncols - 1));
	}
}

/* A new sheet with the workbook's formats of f. */
static struct sheet
new_sheet(lxw_workbook *wb, const char *name, const struct sheet *f)
{
	struct sheet s = *f;

	s.ws = workbook_add_worksheet(wb, name);
	if (s.ws == NULL) {
		s.err = LXW_ERROR_MEMORY_MALLOC_FAILED;
	}
	return s;
}

/* True when any figure entry of doc has key (an optional column). */
static bool
doc_has(json_t *doc, const char *key)
{
	json_t *r, *f;
	size_t  i, k;

	json_array_foreach(json_object_get(doc, "regions"), i, r)
	{
		json_array_foreach(json_object_get(r, "indicators"), k, f)
		{
			if (json_object_get(f, key) != NULL &&
			    !json_is_null(json_object_get(f, key))) {
				return true;
			}
		}
	}
	return false;
}

/* The catalogue's entry for a figure entry, or NULL. */
static const struct tally_indicator *
indicator_of(const struct tally_catalog *cat, json_t *f, const char *key)
{
	return tally_catalog_indicator(cat, hub_reportdoc_str(f, key));
}

/* A level in both languages: "市 city". */
static const char *
level_text(const char *level)
{
	static const char *const map[][2] = { { "province", "省 province" },
		{ "city", "市 city" }, { "county", "县 county" } };

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(level, map[i][0]) == 0) {
			return map[i][1];
		}
	}
	return level;
}

static void
put_indicator(struct sheet *s, const struct tally_indicator *ind)
{
	put_str(s, ind->id);
	put_str(s, ind->name_zh);
	put_str(s, ind->name_en);
	put_str(s, ind->unit);
}

/* A change of a figure (yoy or pop): period, value, change. */
static void
put_change(struct sheet *s, json_t *c)
{
	put_str(s, hub_reportdoc_str(c, "period"));
	put_fig(s, json_object_get(c, "value"));
	put_gap(s, json_object_get(c, "change"));
}

/* The columns of one target: op, value, status, gap. */
static void
put_target_brief(struct sheet *s, json_t *t)
{
	put_str(s, hub_reportdoc_str(t, "op"));
	put_fig(s, json_object_get(t, "value"));
	put_str(s, hub_reportdoc_status_zh(hub_reportdoc_str(t, "status")));
	put_gap(s, json_object_get(t, "gap"));
}

static const char *const figure_head[] = { "期间 Period",
	"地区代码 Region code", "地区 Region", "层级 Level", "上级 Parent",
	"指标代码 Indicator ID", "指标 Indicator (中文)",
	"Indicator (English)", "单位 Unit", "数值 Value", "分子 Numerator",
	"分母 Denominator", "合计 Sum", "权重 Weight", "已报 Reporting",
	"应报 Expected", "截止 Due (北京时间 CST)", "逾期 Overdue",
	"目标条件 Target op", "目标值 Target", "达标情况 Status", "差距 Gap",
	"差距单位 Gap unit" };

#define FIGURE_HEAD_N (sizeof(figure_head) / sizeof(figure_head[0]))

static const char *const change_head[] = { "同比期 YoY period",
	"同比值 YoY value", "同比变化 YoY change", "环比期 PoP period",
	"环比值 PoP value", "环比变化 PoP change" };
static const char *const bench_head[]  = { "基准地区 Benchmark region",
	 "基准条件 Benchmark op", "基准值 Benchmark",
	 "基准情况 Benchmark status", "基准差距 Benchmark gap" };

static void
put_figure(struct sheet *s, const struct tally_catalog *cat, json_t *doc,
    json_t *r, json_t *f, bool yoy, bool pop, bool bench)
{
	const struct tally_indicator *ind = indicator_of(cat, f, "id");
	json_t                       *ts[1];
	char                          due[32];
	bool                          ratio;

	if (ind == NULL) {
		return;
	}
	ratio    = ind->kind == TALLY_KIND_RATIO;
	s->count = ind->kind == TALLY_KIND_COUNT;
	put_str(s, hub_reportdoc_str(doc, "period"));
	put_str(s, hub_reportdoc_str(r, "code"));
	put_str(s, hub_reportdoc_str(r, "name"));
	put_str(s, level_text(hub_reportdoc_str(r, "level")));
	put_str(s, hub_reportdoc_str(r, "parent"));
	put_indicator(s, ind);
	put_fig(s, json_object_get(f, "value"));
	put_num(s, ratio ? json_object_get(f, "numerator") : NULL);
	put_num(s, ratio ? json_object_get(f, "denominator") : NULL);
	put_num(s, ratio ? NULL : json_object_get(f, "sum"));
	put_num(s, json_object_get(f, "weight"));
	put_num(s, json_object_get(f, "reporting"));
	put_num(s, json_object_get(f, "expected"));
	hub_reportdoc_iso_cst(hub_reportdoc_str(f, "due"), due, sizeof(due));
	put_str(s, due);
	put_str(s,
	    json_is_true(json_object_get(f, "overdue")) ? "是 yes" : "否 no");
	if (hub_reportdoc_targets(f, ts, 1) > 0) {
		put_target_brief(s, ts[0]);
		put_str(s, hub_reportdoc_target_gap_unit(ind, ts[0]));
	} else {
		s->col += 5;
	}
	if (yoy) {
		put_change(s, json_object_get(f, "yoy"));
	}
	if (pop) {
		put_change(s, json_object_get(f, "pop"));
	}
	if (bench) {
		json_t *b = json_object_get(f, "benchmark");

		put_str(s, hub_reportdoc_str(b, "region"));
		put_target_brief(s, b);
	}
	next_row(s);
}

static void
figures_sheet(struct sheet *s, const struct tally_catalog *cat, json_t *doc)
{
	const char *head[FIGURE_HEAD_N + 6 + 5];
	json_t     *regions = json_object_get(doc, "regions");
	json_t     *top     = json_array_get(regions, 0);
	bool        yoy = doc_has(doc, "yoy"), pop = doc_has(doc, "pop");
	bool        bench = doc_has(doc, "benchmark");
	size_t      n     = 0, nind;

	for (size_t i = 0; i < FIGURE_HEAD_N; i++) {
		head[n++] = figure_head[i];
	}
	for (size_t i = 0; i < 6; i++) {
		if ((i < 3 && yoy) || (i >= 3 && pop)) {
			head[n++] = change_head[i];
		}
	}
	for (size_t i = 0; bench && i < 5; i++) {
		head[n++] = bench_head[i];
	}
	put_head(s, head, n);
	worksheet_set_column(s->ws, 2, 2, 16, NULL);
	worksheet_set_column(s->ws, 6, 6, 30, NULL);
	worksheet_set_column(s->ws, 7, 7, 40, NULL);
	nind = json_array_size(json_object_get(top, "indicators"));
	/* Indicator by indicator, each with every region of the report, as
	 * the CSV: a filter on the indicator shows one whole table. */
	for (size_t k = 0; k < nind; k++) {
		json_t *r;
		size_t  i;

		json_array_foreach(regions, i, r)
		{
			json_t *f = json_array_get(
			    json_object_get(r, "indicators"), k);

			put_figure(s, cat, doc, r, f, yoy, pop, bench);
		}
	}
	end_sheet(s, n);
}

static const char *const target_head[] = { "地区代码 Region code",
	"地区 Region", "指标代码 Indicator ID", "指标 Indicator (中文)",
	"Indicator (English)", "单位 Unit", "类别 Kind",
	"目标期 Target period", "条件 Op", "目标值 Target", "口径 Scope",
	"基期 Baseline period", "基期值 Baseline value", "比较值 Compared",
	"达标情况 Status", "Status (English)", "差距 Gap", "差距单位 Gap unit",
	"原因 Reason", "来源 Source" };

#define TARGET_HEAD_N (sizeof(target_head) / sizeof(target_head[0]))

static const char *const traj_head[] = { "预计值 Projected",
	"每年需提升 Needed per year", "近年每年变化 Pace per year",
	"进度 Trajectory" };

/* One target's row. kind: 本级目标 (own) or 上级基准 (an ancestor's). */
static void
put_target(struct sheet *s, const struct tally_indicator *ind, json_t *r,
    json_t *t, const char *kind, bool traj)
{
	json_t     *tr = json_object_get(t, "trajectory");
	const char *st = hub_reportdoc_str(t, "status");

	s->count = ind->kind == TALLY_KIND_COUNT;
	put_str(s, hub_reportdoc_str(r, "code"));
	put_str(s, hub_reportdoc_str(r, "name"));
	put_str(s, ind->id);
	put_str(s, ind->name_zh);
	put_str(s, ind->name_en);
	put_str(s, ind->unit);
	put_str(s, kind);
	put_str(s, hub_reportdoc_str(t, "period"));
	put_str(s, hub_reportdoc_str(t, "op"));
	put_fig(s, json_object_get(t, "value"));
	put_str(s, hub_reportdoc_str(t, "scope"));
	put_str(s, hub_reportdoc_str(t, "baseline_period"));
	put_fig(s, json_object_get(t, "baseline_value"));
	put_fig(s, json_object_get(t, "compared"));
	put_str(s, hub_reportdoc_status_zh(st));
	put_str(s, st);
	put_gap(s, json_object_get(t, "gap"));
	put_str(s, hub_reportdoc_target_gap_unit(ind, t));
	put_str(s, hub_reportdoc_str(t, "reason"));
	put_str(s, hub_reportdoc_str(t, "source"));
	if (traj) {
		put_fig(s, json_object_get(tr, "projected"));
		put_gap(s, json_object_get(tr, "needed_per_year"));
		put_gap(s, json_object_get(tr, "pace_per_year"));
		put_str(s,
		    hub_reportdoc_status_zh(hub_reportdoc_str(tr, "status")));
	}
	next_row(s);
}

/* True when some target of doc carries a trajectory. */
static bool
doc_has_trajectory(json_t *doc)
{
	json_t *r, *f, *ts[16];
	size_t  i, k;

	json_array_foreach(json_object_get(doc, "regions"), i, r)
	{
		json_array_foreach(json_object_get(r, "indicators"), k, f)
		{
			size_t n = hub_reportdoc_targets(f, ts, 16);

			for (size_t j = 0; j < n && j < 16; j++) {
				if (json_is_object(json_object_get(
				        ts[j], "trajectory"))) {
					return true;
				}
			}
		}
	}
	return false;
}

static void
targets_sheet(struct sheet *s, const struct tally_catalog *cat, json_t *doc)
{
	const char *head[TARGET_HEAD_N + 4];
	bool        traj = doc_has_trajectory(doc);
	size_t      n    = 0, i, k;
	json_t     *r, *f, *ts[16];

	for (size_t j = 0; j < TARGET_HEAD_N; j++) {
		head[n++] = target_head[j];
	}
	for (size_t j = 0; traj && j < 4; j++) {
		head[n++] = traj_head[j];
	}
	put_head(s, head, n);
	worksheet_set_column(s->ws, 3, 3, 30, NULL);
	worksheet_set_column(s->ws, 4, 4, 40, NULL);
	worksheet_set_column(s->ws, 18, 19, 40, NULL);
	json_array_foreach(json_object_get(doc, "regions"), i, r)
	{
		json_array_foreach(json_object_get(r, "indicators"), k, f)
		{
			const struct tally_indicator *ind =
			    indicator_of(cat, f, "id");
			size_t  nt = hub_reportdoc_targets(f, ts, 16);
			json_t *b  = json_object_get(f, "benchmark");

			if (ind == NULL) {
				continue;
			}
			for (size_t j = 0; j < nt && j < 16; j++) {
				put_target(
				    s, ind, r, ts[j], "本级目标 own", traj);
			}
			if (json_is_object(b)) {
				put_target(
				    s, ind, r, b, "上级基准 benchmark", traj);
			}
		}
	}
	end_sheet(s, n);
}

static void
chase_sheet(struct sheet *s, const struct tally_catalog *cat, json_t *doc)
{
	static const char *const head[] = { "指标代码 Indicator ID",
		"指标 Indicator (中文)", "Indicator (English)", "情况 Kind",
		"Kind (English)", "地区代码 Region code", "地区 Region",
		"首次报送 First submitted (北京时间 CST)" };
	json_t                  *chase  = hub_reportdoc_chase(doc);
	json_t                  *e, *list, *c;
	size_t                   i, j;
	char                     first[32];

	put_head(s, head, 8);
	worksheet_set_column(s->ws, 1, 1, 30, NULL);
	worksheet_set_column(s->ws, 2, 2, 40, NULL);
	json_array_foreach(chase, i, e)
	{
		const struct tally_indicator *ind =
		    indicator_of(cat, e, "indicator");
		const char *kind;

		if (ind == NULL) {
			continue;
		}
		json_object_foreach(json_object_get(e, "lists"), kind, list)
		{
			json_array_foreach(list, j, c)
			{
				put_str(s, ind->id);
				put_str(s, ind->name_zh);
				put_str(s, ind->name_en);
				put_str(s, hub_reportdoc_chase_zh(kind));
				put_str(s, kind);
				put_str(s, hub_reportdoc_str(c, "code"));
				put_str(s, hub_reportdoc_str(c, "name"));
				hub_reportdoc_iso_cst(
				    hub_reportdoc_str(c, "first_submitted"),
				    first, sizeof(first));
				put_str(s, first);
				next_row(s);
			}
		}
	}
	json_decref(chase);
	end_sheet(s, 8);
}

static void
about_row(struct sheet *s, const char *key, const char *value)
{
	put_str(s, key);
	put_str(s, value);
	next_row(s);
}

static void
about_sheet(struct sheet *s, const struct tally_catalog *cat, json_t *doc,
    const struct hub_issuer *who)
{
	static const char *const head[] = { "项目 Item", "内容 Value" };
	const struct tally_division *top =
	    tally_catalog_division(cat, hub_reportdoc_str(doc, "region"));
	char when[32], hub[256];

	put_head(s, head, 2);
	worksheet_set_column(s->ws, 0, 0, 28, NULL);
	worksheet_set_column(s->ws, 1, 1, 70, NULL);
	about_row(s, "地区 Region",
	    top != NULL ? top->name : hub_reportdoc_str(doc, "region"));
	about_row(s, "地区代码 Region code", hub_reportdoc_str(doc, "region"));
	about_row(s, "期间 Period", hub_reportdoc_str(doc, "period"));
	if (json_is_string(json_object_get(doc, "as_of"))) {
		about_row(s, "数据截至 As of (UTC)",
		    hub_reportdoc_str(doc, "as_of"));
	}
	hub_reportdoc_cst(who->now_ms, when, sizeof(when));
	about_row(s, "生成时间 Issued (北京时间 CST)", when);
	snprintf(hub, sizeof(hub), "%s %s", who->hub, who->hub_name);
	about_row(s, "签发汇总节点 Issuing hub", hub);
	about_row(s, "节点实例 Hub instance", who->instance);
	about_row(s, "说明 Note",
	    "数值为数字单元格；“%”指标的差距单位为百分点。Figures are "
	    "numbers; a gap of a % indicator is in percentage points.");
}

/* Writes the whole workbook to path (libxlsxwriter writes on close). */
static int
write_workbook(const char *path, const struct tally_catalog *cat, json_t *doc,
    const struct hub_issuer *who)
{
	static const char *const fig[2] = { "#,##0.00", "#,##0" };
	static const char *const gap[2] = { "+#,##0.00;-#,##0.00;0",
		"+#,##0;-#,##0;0" };
	lxw_workbook            *wb     = workbook_new(path);
	struct sheet             f, s[4];
	lxw_error                err = LXW_NO_ERROR;

	if (wb == NULL) {
		return TALLY_EIO;
	}
	memset(&f, 0, sizeof(f));
	f.head = workbook_add_format(wb);
	format_set_bold(f.head);
	format_set_bg_color(f.head, 0xDDEBF7);
	format_set_text_wrap(f.head);
	f.num = workbook_add_format(wb);
	for (int i = 0; i < 2; i++) {
		f.fig[i] = workbook_add_format(wb);
		format_set_num_format(f.fig[i], fig[i]);
		f.gap[i] = workbook_add_format(wb);
		format_set_num_format(f.gap[i], gap[i]);
	}
	s[0] = new_sheet(wb, "指标 Figures", &f);
	s[1] = new_sheet(wb, "目标 Targets", &f);
	s[2] = new_sheet(wb, "催报 Chase", &f);
	s[3] = new_sheet(wb, "说明 About", &f);
	for (int i = 0; i < 4 && err == LXW_NO_ERROR; i++) {
		err = s[i].err;
	}
	if (err == LXW_NO_ERROR) {
		figures_sheet(&s[0], cat, doc);
		targets_sheet(&s[1], cat, doc);
		chase_sheet(&s[2], cat, doc);
		about_sheet(&s[3], cat, doc, who);
		for (int i = 0; i < 4 && err == LXW_NO_ERROR; i++) {
			err = s[i].err;
		}
	}
	/* Closing writes the file, and frees the workbook in any case. */
	if (workbook_close(wb) != LXW_NO_ERROR || err != LXW_NO_ERROR) {
		return TALLY_EIO;
	}
	return TALLY_OK;
}

int
hub_xlsx_write(const char *path, const struct tally_catalog *cat, json_t *doc,
    const struct hub_issuer *who)
{
	size_t len = strlen(path) + 32;
	char  *tmp = malloc(len);
	int    rv;

	if (tmp == NULL) {
		return TALLY_ENOMEM;
	}
	snprintf(tmp, len, "%s.partial-%ld", path, (long) getpid());
	rv = write_workbook(tmp, cat, doc, who);
	if (rv == TALLY_OK && rename(tmp, path) != 0) {
		rv = TALLY_EIO;
	}
	if (rv != TALLY_OK) {
		(void) unlink(tmp);
	}
	free(tmp);
	return rv;
}

/* Reads the whole of path into a new buffer. */
static int
slurp(const char *path, unsigned char **out, size_t *len)
{
	FILE          *f = fopen(path, "rb");
	unsigned char *buf;
	long           n;

	if (f == NULL) {
		return TALLY_EIO;
	}
	n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
	if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return TALLY_EIO;
	}
	buf = malloc((size_t) n + 1);
	if (buf == NULL) {
		fclose(f);
		return TALLY_ENOMEM;
	}
	if (fread(buf, 1, (size_t) n, f) != (size_t) n) {
		free(buf);
		fclose(f);
		return TALLY_EIO;
	}
	fclose(f);
	*out = buf;
	*len = (size_t) n;
	return TALLY_OK;
}

int
hub_xlsx_buffer(const struct tally_catalog *cat, json_t *doc,
    const struct hub_issuer *who, unsigned char **out, size_t *len)
{
	const char *dir = getenv("TMPDIR");
	char        path[4096];
	int         fd, rv;

	/* libxlsxwriter 1.1.4 writes only to a file: a private temporary
	 * one, removed at once. */
	snprintf(path, sizeof(path), "%s/tally-xlsx.XXXXXX",
	    dir != NULL && dir[0] != '\0' ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		return TALLY_EIO;
	}
	close(fd);
	rv = write_workbook(path, cat, doc, who);
	if (rv == TALLY_OK) {
		rv = slurp(path, out, len);
	}
	(void) unlink(path);
	return rv;
}

/*
 * The briefing declared in brief.h.
 *
 * What it says is gathered first (struct brief: the report document of
 * the region one level deep, the explanation of each off-track
 * indicator, the chase list); how much of it fits is decided next, by
 * laying the pages out without drawing them, on a PDF surface that
 * writes nowhere, so that the measures are those of the real pages; then
 * the pages are drawn. Text is laid out by pango (Chinese line breaking,
 * the CJK font found by fontconfig: "Noto Sans CJK SC", with Debian's
 * WenQuanYi as a fallback) and drawn by cairo into the PDF, with the
 * fonts embedded and searchable (pdftotext reads it back).
 */
#include "brief.h"

#include "clock.h"
#include "errors.h"
#include "reportdoc.h"
#include "report.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A4 in points, and the page's margins. */
#define BRIEF_W      595.2756
#define BRIEF_H      841.8898
#define BRIEF_MARGIN 52.0
#define BRIEF_TOP    48.0
#define BRIEF_BOTTOM 64.0 /* the footer lives below this */
#define BRIEF_PAGES  2
#define BRIEF_FONT   "Noto Sans CJK SC, WenQuanYi Micro Hei"
/* The parts named as dragging an indicator down, at most. */
#define BRIEF_DRAGS 3
/* Targets of one indicator looked at, at most. */
#define BRIEF_TARGETS 8

/* One off-track indicator: its figure entry and its explanation. */
struct brief_item {
	const struct tally_indicator *ind;
	json_t                       *f;       /* borrowed from doc */
	json_t                       *explain; /* owned; NULL if none */
	int                           standing;
};

/* Everything the briefing says. */
struct brief {
	const struct tally_catalog  *cat;
	const struct tally_division *top;
	struct hub_issuer            who;
	char                         period[TALLY_PERIOD_STRLEN];
	json_t                      *doc;   /* the report, depth 1 */
	json_t                      *chase; /* hub_reportdoc_chase */
	int                          counts[HUB_STANDING_INCOMPLETE + 1];
	struct brief_item           *items;
	size_t                       n_items;
};

/* How much of the brief is shown: decided by measuring. */
struct fit {
	size_t items; /* off-track indicators shown */
	size_t chase; /* chase entries shown */
	size_t names; /* names listed per chase entry */
};

/* Where the next block goes, on a real or a measuring surface. */
struct pen {
	cairo_t            *cr;
	PangoContext       *ctx; /* of a font map of the brief's own */
	bool                draw;
	int                 page;  /* from 1 */
	int                 pages; /* total, known when drawing */
	double              y;
	const struct brief *b;
};

/* --- gathering ------------------------------------------------------ */

static void
brief_fini(struct brief *b)
{
	for (size_t i = 0; i < b->n_items; i++) {
		json_decref(b->items[i].explain);
	}
	free(b->items);
	json_decref(b->chase);
	json_decref(b->doc);
}

/* Counts the standings of the top region's indicators and lists those
 * off track: missed first, then at risk, each in catalogue order. */
static int
brief_items(struct brief *b)
{
	json_t *top  = json_array_get(json_object_get(b->doc, "regions"), 0);
	json_t *list = json_object_get(top, "indicators");
	json_t *f;
	size_t  i;

	b->items = calloc(json_array_size(list) + 1, sizeof(*b->items));
	if (b->items == NULL) {
		return TALLY_ENOMEM;
	}
	for (int want = HUB_STANDING_MISSED; want <= HUB_STANDING_AT_RISK;
	     want++) {
		json_array_foreach(list, i, f)
		{
			const struct tally_indicator *ind =
			    tally_catalog_indicator(
			        b->cat, hub_reportdoc_str(f, "id"));
			int st = hub_reportdoc_standing(f);

			if (want == HUB_STANDING_MISSED) {
				b->counts[st]++;
			}
			if (ind == NULL || st != want) {
				continue;
			}
			b->items[b->n_items].ind      = ind;
			b->items[b->n_items].f        = f;
			b->items[b->n_items].standing = st;
			b->n_items++;
		}
	}
	return TALLY_OK;
}

/* Makes b say what doc says (b takes a reference to it), issued by who. */
static int
brief_from_doc(struct brief *b, const struct tally_catalog *cat, json_t *doc,
    const struct hub_issuer *who)
{
	memset(b, 0, sizeof(*b));
	b->cat = cat;
	b->who = *who;
	b->doc = json_incref(doc);
	snprintf(b->period, sizeof(b->period), "%s",
	    hub_reportdoc_str(doc, "period"));
	b->top = tally_catalog_division(cat, hub_reportdoc_str(doc, "region"));
	if (b->top == NULL) {
		return TALLY_EINVAL;
	}
	b->chase = hub_reportdoc_chase(doc);
	if (b->chase == NULL) {
		return TALLY_ENOMEM;
	}
	return brief_items(b);
}

/* The brief of the hub's store: the report one level deep, and the
 * explanation of each off-track indicator. */
static int
brief_gather(const struct tally_catalog *cat, struct tally_store *st,
    const struct hub_brief_opts *o, struct brief *b)
{
	const struct tally_division *hub;
	struct hub_report_opts       ro;
	struct hub_issuer            who;
	json_t                      *doc = NULL;
	int                          rv;

	memset(b, 0, sizeof(*b));
	memset(&ro, 0, sizeof(ro));
	ro.period    = o->period;
	ro.region    = o->region;
	ro.depth     = 1;
	ro.due       = o->due;
	ro.now_ms    = o->now_ms > 0 ? o->now_ms : tally_clock_now_ms();
	hub          = tally_catalog_division(cat, tally_store_region(st));
	who.now_ms   = ro.now_ms;
	who.hub      = tally_store_region(st);
	who.instance = tally_store_instance_id(st);
	who.hub_name = hub != NULL ? hub->name : "";
	rv           = hub_report_json(cat, st, &ro, &doc);
	if (rv != TALLY_OK) {
		return rv;
	}
	rv = brief_from_doc(b, cat, doc, &who);
	json_decref(doc);
	for (size_t i = 0; rv == TALLY_OK && i < b->n_items; i++) {
		ro.ind     = b->items[i].ind;
		ro.explain = true;
		rv = hub_explain_json(cat, st, &ro, &b->items[i].explain);
	}
	return rv;
}

/* --- text ------------------------------------------------------------ */

/* Writes s into a markup text, escaped. */
static void
esc(FILE *m, const char *s)
{
	char *e = g_markup_escape_text(s != NULL ? s : "", -1);

	fputs(e, m);
	g_free(e);
}

/* A figure's value as the brief shows it: whole for a count, two
 * decimals otherwise; "—" when there is none. */
static void
num_text(char *buf, size_t len, const struct tally_indicator *ind, json_t *v,
    bool sign)
{
	if (!json_is_number(v)) {
		snprintf(buf, len, "—");
		return;
	}
	snprintf(buf, len,
	    ind->kind == TALLY_KIND_COUNT ? (sign ? "%+.0f" : "%.0f")
	                                  : (sign ? "%+.2f" : "%.2f"),
	    json_number_value(v));
}

/* A value and its unit: "94.18%", "51.35 μg/m³". */
static void
value_text(char *buf, size_t len, const struct tally_indicator *ind, json_t *v)
{
	char n[32];

	num_text(n, sizeof(n), ind, v, false);
	snprintf(buf, len, "%s%s%s", n,
	    strcmp(ind->unit, "%") == 0 || !json_is_number(v) ||
	            ind->unit[0] == '\0'
	        ? ""
	        : " ",
	    json_is_number(v) ? ind->unit : "");
}

static const char *
op_text(const char *op)
{
	static const char *const map[][2] = { { ">=", "≥" }, { "<=", "≤" },
		{ ">", "&gt;" }, { "<", "&lt;" } };

	for (size_t i = 0; i < 4; i++) {
		if (strcmp(op, map[i][0]) == 0) {
			return map[i][1];
		}
	}
	return op;
}

/* "目标 ≥ 93.5%（2020）", "较 2013 变化 ≤ -40%（2020）", ... as markup
 * (op_text's operators are escaped). */
static void
target_text(FILE *m, const struct tally_indicator *ind, json_t *t)
{
	const char *scope = hub_reportdoc_str(t, "scope");
	char        v[32];

	snprintf(v, sizeof(v), "%.10g",
	    json_number_value(json_object_get(t, "value")));
	if (strcmp(scope, "change_pct") == 0) {
		fprintf(m, "较 %s 年变化 %s %s%%",
		    hub_reportdoc_str(t, "baseline_period"),
		    op_text(hub_reportdoc_str(t, "op")), v);
	} else {
		fprintf(m, "%s%s %s%s",
		    strcmp(scope, "each_child") == 0 ? "每个下级 " : "",
		    op_text(hub_reportdoc_str(t, "op")), v,
		    strcmp(ind->unit, "%") == 0 ? "" : " ");
		esc(m, ind->unit);
	}
	fprintf(m, "（%s）", hub_reportdoc_str(t, "period"));
}

/* The target an off-track item is judged by: the first missed one, or
 * the first whose trajectory is at risk; else the benchmark. *bench is
 * set when it is the benchmark. */
static json_t *
item_target(const struct brief_item *it, bool *bench)
{
	json_t *ts[BRIEF_TARGETS];
	size_t  n = hub_reportdoc_targets(it->f, ts, BRIEF_TARGETS);

	*bench = false;
	for (size_t i = 0; i < n && i < BRIEF_TARGETS; i++) {
		json_t     *tr = json_object_get(ts[i], "trajectory");
		const char *s  = json_is_object(tr)
		     ? hub_reportdoc_str(tr, "status")
		     : hub_reportdoc_str(ts[i], "status");

		if (strcmp(s,
		        it->standing == HUB_STANDING_MISSED
		            ? "missed"
		            : "at_risk") == 0) {
			return ts[i];
		}
	}
	*bench = true;
	return hub_reportdoc_benchmark(it->f);
}

/* "；上级基准（河北省 130000）": whose target a benchmark is, by the name the
 * report gives it or else the catalogue's. */
static void
bench_label(FILE *m, const struct tally_catalog *cat, json_t *t)
{
	const struct tally_division *d;
	const char                  *code, *name;

	hub_reportdoc_region(t, &code, &name);
	d = tally_catalog_division(cat, code);
	if (name[0] == '\0' && d != NULL) {
		name = d->name;
	}
	fputs("；上级基准（", m);
	esc(m, name);
	fputs(name[0] != '\0' && code[0] != '\0' ? " " : "", m);
	esc(m, code);
	fputs("）", m);
}

/* "现值 …；目标 …；差距 …；同比 …" of an item. */
static void
item_figures(FILE *m, const struct brief *b, const struct brief_item *it)
{
	const struct tally_indicator *ind = it->ind;
	bool                          bench;
	json_t                       *t   = item_target(it, &bench);
	json_t                       *yoy = json_object_get(it->f, "yoy");
	char                          a[64], c[64];

	value_text(a, sizeof(a), ind, json_object_get(it->f, "value"));
	fputs("现值 ", m);
	esc(m, a);
	if (t != NULL) {
		if (bench) {
			bench_label(m, b->cat, t);
		} else {
			fputs("；目标 ", m);
		}
		target_text(m, ind, t);
		if (json_is_number(json_object_get(t, "gap"))) {
			num_text(c, sizeof(c), ind, json_object_get(t, "gap"),
			    true);
			fprintf(m, "；差距 %s %s", c,
			    hub_reportdoc_target_gap_unit(ind, t));
		}
		if (strcmp(hub_reportdoc_str(t, "scope"), "total") != 0 &&
		    json_is_number(json_object_get(t, "compared"))) {
			num_text(c, sizeof(c), ind,
			    json_object_get(t, "compared"), false);
			fprintf(m, "（比较值 %s）", c);
		}
	}
	if (json_is_object(yoy) &&
	    json_is_number(json_object_get(yoy, "change"))) {
		num_text(
		    a, sizeof(a), ind, json_object_get(yoy, "change"), true);
		num_text(
		    c, sizeof(c), ind, json_object_get(yoy, "value"), false);
		fprintf(m, "；同比 %s %s（%s 年 %s）", a,
		    hub_reportdoc_gap_unit(ind),
		    hub_reportdoc_str(yoy, "period"), c);
	}
}

/* One line per target of a later year that carries a trajectory. */
static void
item_trajectories(FILE *m, const struct brief_item *it)
{
	json_t *ts[BRIEF_TARGETS];
	size_t  n = hub_reportdoc_targets(it->f, ts, BRIEF_TARGETS);
	char    p[32], need[32], pace[32];

	for (size_t i = 0; i < n && i < BRIEF_TARGETS; i++) {
		json_t     *tr = json_object_get(ts[i], "trajectory");
		const char *st = hub_reportdoc_str(tr, "status");

		if (!json_is_object(tr)) {
			continue;
		}
		fputs("\n趋势：", m);
		target_text(m, it->ind, ts[i]);
		if (strcmp(st, "incomplete") == 0) {
			fputs("，数据不足，无法预测", m);
			if (hub_reportdoc_str(tr, "reason")[0] != '\0') {
				fputs("（", m);
				esc(m, hub_reportdoc_str(tr, "reason"));
				fputs("）", m);
			}
			continue;
		}
		num_text(p, sizeof(p), it->ind,
		    json_object_get(tr, "projected"), false);
		num_text(need, sizeof(need), it->ind,
		    json_object_get(tr, "needed_per_year"), true);
		num_text(pace, sizeof(pace), it->ind,
		    json_object_get(tr, "pace_per_year"), true);
		fprintf(m,
		    "，按近年每年 %s 的速度预计达到 %s，需每年 %s，"
		    "<b>%s</b>",
		    pace, p, need, hub_reportdoc_status_zh(st));
	}
}

struct drag {
	json_t *c;
	double  by; /* how far it moves the figure the wrong way, > 0 */
};

static int
compare_drag(const void *x, const void *y)
{
	const struct drag *a = x, *b = y;

	if (a->by != b->by) {
		return a->by > b->by ? -1 : 1;
	}
	return strcmp(
	    hub_reportdoc_str(a->c, "code"), hub_reportdoc_str(b->c, "code"));
}

/* "拖累最多：…": the parts whose pull moves the figure the wrong way
 * (down when higher is better, up when lower is), most first. The order
 * is decided here from the indicator's direction, whatever order the
 * explanation lists them in. */
static void
item_drags(FILE *m, const struct brief_item *it)
{
	json_t     *list = json_object_get(it->explain, "contributions");
	struct drag d[64];
	size_t      n = 0, i;
	json_t     *c;
	char        v[64], by[32];

	json_array_foreach(list, i, c)
	{
		json_t *pull = json_object_get(c, "pull");
		double  x;

		if (!json_is_number(pull) || n == 64) {
			continue;
		}
		x = json_number_value(pull) *
		    (it->ind->higher_better ? -1 : 1);
		if (x > 0) {
			d[n].c  = c;
			d[n].by = x;
			n++;
		}
	}
	if (n == 0) {
		return;
	}
	qsort(d, n, sizeof(d[0]), compare_drag);
	fputs("\n拖累最多：", m);
	for (i = 0; i < n && i < BRIEF_DRAGS; i++) {
		value_text(
		    v, sizeof(v), it->ind, json_object_get(d[i].c, "value"));
		snprintf(by, sizeof(by), "%.2f", d[i].by);
		fputs(i > 0 ? "、" : "", m);
		esc(m, hub_reportdoc_str(d[i].c, "name"));
		fprintf(m, "%s ",
		    json_is_true(json_object_get(d[i].c, "own")) ? "（本级）"
		                                                 : "");
		esc(m, v);
		fprintf(
		    m, "（拖累 %s %s）", by, hub_reportdoc_gap_unit(it->ind));
	}
}

/* The whole markup of item i (numbered from 1); the caller frees it. */
static char *
item_markup(const struct brief *b, size_t i)
{
	const struct brief_item *it = &b->items[i];
	char                    *s  = NULL;
	size_t                   len;
	FILE                    *m = open_memstream(&s, &len);

	if (m == NULL) {
		return NULL;
	}
	fprintf(m, "<b>%zu. ", i + 1);
	esc(m, it->ind->name_zh);
	fprintf(m,
	    "</b>  <span foreground=\"%s\"><b>%s</b></span>  "
	    "<span size=\"small\" foreground=\"#57606a\">",
	    it->standing == HUB_STANDING_MISSED ? "#cf222e" : "#bc4c00",
	    hub_reportdoc_standing_zh(it->standing));
	esc(m, it->ind->name_en);
	fputs("</span>\n", m);
	item_figures(m, b, it);
	item_trajectories(m, it);
	item_drags(m, it);
	if (fclose(m) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* The markup of chase entry i, with at most names names per list. */
static char *
chase_markup(const struct brief *b, size_t i, size_t names)
{
	json_t                       *e = json_array_get(b->chase, i);
	json_t                       *list, *c;
	const struct tally_indicator *in =
	    tally_catalog_indicator(b->cat, hub_reportdoc_str(e, "indicator"));
	const char *kind;
	char       *s = NULL;
	size_t      len, k;
	FILE       *m = open_memstream(&s, &len);

	if (m == NULL) {
		return NULL;
	}
	fputs("<b>", m);
	esc(m, in != NULL ? in->name_zh : hub_reportdoc_str(e, "indicator"));
	fputs("</b>", m);
	json_object_foreach(json_object_get(e, "lists"), kind, list)
	{
		fprintf(m, "　%s %zu 个：", hub_reportdoc_chase_zh(kind),
		    json_array_size(list));
		json_array_foreach(list, k, c)
		{
			if (k == names) {
				fprintf(m, " 等 %zu 个",
				    json_array_size(list) - names);
				break;
			}
			fputs(k > 0 ? "、" : "", m);
			esc(m, hub_reportdoc_str(c, "name"));
		}
	}
	if (fclose(m) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* --- pages ------------------------------------------------------------ */

static PangoLayout *
new_layout(PangoContext *ctx, const char *markup, double size, double width)
{
	PangoLayout          *l = pango_layout_new(ctx);
	PangoFontDescription *fd =
	    pango_font_description_from_string(BRIEF_FONT);

	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(l, (int) (width * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_spacing(l, (int) (size * 0.3 * PANGO_SCALE));
	pango_layout_set_markup(l, markup, -1);
	return l;
}

/* Draws markup at (x, y) in grey or ink. */
static void
show_at(struct pen *p, double x, double y, const char *markup, double size,
    double width, double grey)
{
	PangoLayout *l = new_layout(p->ctx, markup, size, width);

	cairo_set_source_rgb(p->cr, grey, grey, grey);
	cairo_move_to(p->cr, x, y);
	pango_cairo_show_layout(p->cr, l);
	g_object_unref(l);
}

/* The footer of the current page: who issued it, when, which page. */
static void
footer(struct pen *p)
{
	const struct brief *b = p->b;
	char                text[512], when[32];

	hub_reportdoc_cst(b->who.now_ms, when, sizeof(when));
	snprintf(text, sizeof(text),
	    "签发：%s（%s）汇总节点 · 实例 %s · 生成于 %s（北京时间） · "
	    "第 %d 页，共 %d 页",
	    b->who.hub_name, b->who.hub, b->who.instance, when, p->page,
	    p->pages);
	{
		char *e = g_markup_escape_text(text, -1);

		cairo_set_line_width(p->cr, 0.5);
		cairo_set_source_rgb(p->cr, 0.7, 0.7, 0.7);
		cairo_move_to(
		    p->cr, BRIEF_MARGIN, BRIEF_H - BRIEF_BOTTOM + 16);
		cairo_line_to(p->cr, BRIEF_W - BRIEF_MARGIN,
		    BRIEF_H - BRIEF_BOTTOM + 16);
		cairo_stroke(p->cr);
		show_at(p, BRIEF_MARGIN, BRIEF_H - BRIEF_BOTTOM + 22, e, 7.5,
		    BRIEF_W - 2 * BRIEF_MARGIN, 0.35);
		g_free(e);
	}
}

static void
new_page(struct pen *p)
{
	if (p->draw) {
		footer(p);
		cairo_show_page(p->cr);
	}
	p->page++;
	p->y = BRIEF_TOP;
}

/* One block of text: on this page if it fits, else on the next. */
static void
block(struct pen *p, const char *markup, double size, double indent,
    double before)
{
	double       width = BRIEF_W - 2 * BRIEF_MARGIN - indent;
	PangoLayout *l     = new_layout(p->ctx, markup, size, width);
	int          w, h;

	pango_layout_get_pixel_size(l, &w, &h);
	p->y += before;
	if (p->y + h > BRIEF_H - BRIEF_BOTTOM && p->y > BRIEF_TOP + before) {
		new_page(p);
	}
	if (p->draw) {
		cairo_set_source_rgb(p->cr, 0.12, 0.14, 0.16);
		cairo_move_to(p->cr, BRIEF_MARGIN + indent, p->y);
		pango_cairo_show_layout(p->cr, l);
	}
	p->y += h;
	g_object_unref(l);
}

/* The four headline boxes: met, missed, at risk, incomplete. */
static void
headline(struct pen *p)
{
	static const int    which[]  = { HUB_STANDING_MET, HUB_STANDING_MISSED,
		    HUB_STANDING_AT_RISK, HUB_STANDING_INCOMPLETE };
	static const double rgb[][3] = { { 0.10, 0.50, 0.22 },
		{ 0.81, 0.13, 0.18 }, { 0.74, 0.30, 0.0 },
		{ 0.60, 0.40, 0.0 } };
	double              gap      = 10, bw, x;
	char                n[64];

	bw = (BRIEF_W - 2 * BRIEF_MARGIN - 3 * gap) / 4;
	p->y += 10;
	for (int i = 0; p->draw && i < 4; i++) {
		x = BRIEF_MARGIN + i * (bw + gap);
		cairo_set_source_rgb(p->cr, rgb[i][0], rgb[i][1], rgb[i][2]);
		cairo_set_line_width(p->cr, 1.2);
		cairo_rectangle(p->cr, x, p->y, bw, 54);
		cairo_stroke(p->cr);
		snprintf(n, sizeof(n), "<b>%d</b>", p->b->counts[which[i]]);
		cairo_move_to(p->cr, x + 10, p->y + 4);
		{
			PangoLayout *l = new_layout(p->ctx, n, 24, bw - 20);

			pango_cairo_show_layout(p->cr, l);
			g_object_unref(l);
		}
		show_at(p, x + 10, p->y + 36,
		    hub_reportdoc_standing_zh(which[i]), 9, bw - 20, 0.3);
	}
	p->y += 54;
}

/* A block of markup made by one of the *_markup functions. */
static void
block_owned(struct pen *p, char *markup, double size, double before)
{
	if (markup != NULL) {
		block(p, markup, size, 0, before);
	}
	free(markup);
}

/* A line of plain text (escaped here) between two pieces of markup. */
static void
block_text(struct pen *p, const char *open, const char *text,
    const char *close, double size, double before)
{
	char *e = g_markup_escape_text(text, -1);
	char  buf[1024];

	snprintf(buf, sizeof(buf), "%s%s%s", open, e, close);
	g_free(e);
	block(p, buf, size, 0, before);
}

static void
title(struct pen *p, const struct brief *b)
{
	char text[512], when[32];

	block(p, "<b>质量强省指标简报</b>", 19, 0, 0);
	hub_reportdoc_cst(b->who.now_ms, when, sizeof(when));
	snprintf(text, sizeof(text),
	    "%s（%s） · 期间 %s · %s（北京时间） · 签发：%s（%s）汇总节点",
	    b->top->name, b->top->code, b->period, when, b->who.hub_name,
	    b->who.hub);
	block_text(
	    p, "<span foreground=\"#57606a\">", text, "</span>", 9.5, 6);
	snprintf(text, sizeof(text),
	    "有目标的指标 %d 项：达标 %d 项，未达标 %d 项，有风险 %d 项，"
	    "待定 %d 项。",
	    b->counts[HUB_STANDING_MET] + b->counts[HUB_STANDING_MISSED] +
	        b->counts[HUB_STANDING_AT_RISK] +
	        b->counts[HUB_STANDING_INCOMPLETE],
	    b->counts[HUB_STANDING_MET], b->counts[HUB_STANDING_MISSED],
	    b->counts[HUB_STANDING_AT_RISK],
	    b->counts[HUB_STANDING_INCOMPLETE]);
	block_text(p, "", text, "", 10.5, 10);
	headline(p);
}

static void
compose(struct pen *p, const struct brief *b, const struct fit *fit)
{
	char   text[256];
	size_t n_chase = json_array_size(b->chase);

	title(p, b);
	snprintf(text, sizeof(text), "<b>一、偏离目标的指标（%zu 项）</b>",
	    b->n_items);
	block(p, text, 13, 0, 18);
	for (size_t i = 0; i < fit->items && i < b->n_items; i++) {
		block_owned(p, item_markup(b, i), 9.5, 8);
	}
	if (b->n_items == 0) {
		block(p, "本期没有偏离目标的指标。", 10, 0, 6);
	} else if (fit->items < b->n_items) {
		snprintf(text, sizeof(text),
		    "……另有 %zu 项偏离目标的指标未列出，详见看板或 Excel "
		    "报表。",
		    b->n_items - fit->items);
		block(p, text, 9.5, 0, 8);
	}
	snprintf(
	    text, sizeof(text), "<b>二、催报名单（%zu 项指标）</b>", n_chase);
	block(p, text, 13, 0, 18);
	for (size_t i = 0; i < fit->chase && i < n_chase; i++) {
		block_owned(p, chase_markup(b, i, fit->names), 9.5, 5);
	}
	if (n_chase == 0) {
		block(p, "本期没有需要催报的下级地区。", 10, 0, 6);
	} else if (fit->chase < n_chase) {
		snprintf(text, sizeof(text),
		    "……另有 %zu 项指标的催报名单未列出。",
		    n_chase - fit->chase);
		block(p, text, 9.5, 0, 6);
	}
	if (p->draw) {
		footer(p);
		cairo_show_page(p->cr);
	}
}

/* The pages compose takes with fit, laid out on cr without drawing. */
static int
measure(cairo_t *cr, PangoContext *ctx, const struct brief *b,
    const struct fit *fit)
{
	struct pen p = { cr, ctx, false, 1, 0, BRIEF_TOP, b };

	compose(&p, b, fit);
	return p.page;
}

/* Shrinks what is shown until it takes at most BRIEF_PAGES pages: long
 * lists of names first, then the off-track items beyond the first three,
 * then the chase entries beyond three, then the rest. */
static int
choose_fit(
    cairo_t *cr, PangoContext *ctx, const struct brief *b, struct fit *fit)
{
	size_t *steps[] = { &fit->items, &fit->chase, &fit->items, &fit->chase,
		&fit->items };
	size_t  floors[] = { 3, 3, 1, 0, 0 };
	int     pages;

	fit->items = b->n_items;
	fit->chase = json_array_size(b->chase);
	fit->names = SIZE_MAX;
	pages      = measure(cr, ctx, b, fit);
	if (pages > BRIEF_PAGES) {
		fit->names = 8;
		pages      = measure(cr, ctx, b, fit);
	}
	for (size_t s = 0; s < 5 && pages > BRIEF_PAGES; s++) {
		while (pages > BRIEF_PAGES && *steps[s] > floors[s]) {
			(*steps[s])--;
			pages = measure(cr, ctx, b, fit);
		}
	}
	return pages;
}

/* --- the PDF -------------------------------------------------------- */

struct membuf {
	unsigned char *p;
	size_t         n, cap;
	bool           failed;
};

static cairo_status_t
to_memory(void *closure, const unsigned char *data, unsigned int len)
{
	struct membuf *m = closure;

	if (m->n + len > m->cap) {
		size_t         cap = (m->cap ? m->cap * 2 : 65536) + len;
		unsigned char *np  = realloc(m->p, cap);

		if (np == NULL) {
			m->failed = true;
			return CAIRO_STATUS_WRITE_ERROR;
		}
		m->p   = np;
		m->cap = cap;
	}
	memcpy(m->p + m->n, data, len);
	m->n += len;
	return CAIRO_STATUS_SUCCESS;
}

static cairo_status_t
to_nowhere(void *closure, const unsigned char *data, unsigned int len)
{
	(void) closure;
	(void) data;
	(void) len;
	return CAIRO_STATUS_SUCCESS;
}

/* Lays out on the measuring surface what fits, then draws it into out.
 * The fonts come from a font map of the brief's own, freed with it, so
 * that a hub serving briefings for months holds no font of the last. */
static int
render(const struct brief *b, struct membuf *out)
{
	PangoFontMap    *fm  = pango_cairo_font_map_new();
	PangoContext    *ctx = pango_font_map_create_context(fm);
	cairo_surface_t *ms, *s;
	cairo_t         *mcr, *cr;
	struct fit       fit;
	struct pen       p;
	char             meta[256];
	int              rv = TALLY_OK;

	ms = cairo_pdf_surface_create_for_stream(
	    to_nowhere, NULL, BRIEF_W, BRIEF_H);
	mcr = cairo_create(ms);
	pango_cairo_update_context(mcr, ctx);
	memset(&p, 0, sizeof(p));
	p.pages = choose_fit(mcr, ctx, b, &fit);
	cairo_destroy(mcr);
	cairo_surface_finish(ms);
	cairo_surface_destroy(ms);
	s = cairo_pdf_surface_create_for_stream(
	    to_memory, out, BRIEF_W, BRIEF_H);
	snprintf(meta, sizeof(meta), "质量强省指标简报 %s %s %s", b->top->code,
	    b->top->name, b->period);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, meta);
	snprintf(meta, sizeof(meta), "tally-hub %s %s", b->who.hub,
	    b->who.hub_name);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, meta);
	cr = cairo_create(s);
	pango_cairo_update_context(cr, ctx);
	p.cr   = cr;
	p.ctx  = ctx;
	p.draw = true;
	p.page = 1;
	p.y    = BRIEF_TOP;
	p.b    = b;
	compose(&p, b, &fit);
	if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
		rv = TALLY_EIO;
	}
	cairo_destroy(cr);
	cairo_surface_finish(s);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS || out->failed) {
		rv = out->failed ? TALLY_ENOMEM : TALLY_EIO;
	}
	cairo_surface_destroy(s);
	g_object_unref(ctx);
	g_object_unref(fm);
	return rv;
}

void
hub_brief_release(void)
{
	/* cairo's caches of fonts hold fontconfig's patterns: first them,
	 * then fontconfig's own configuration. */
	cairo_debug_reset_static_data();
	FcFini();
}

/* Renders b into *out and frees b. */
static int
brief_finish(struct brief *b, int rv, unsigned char **out, size_t *len)
{
	struct membuf m = { NULL, 0, 0, false };

	if (rv == TALLY_OK) {
		rv = render(b, &m);
	}
	brief_fini(b);
	if (rv != TALLY_OK) {
		free(m.p);
		return rv;
	}
	*out = m.p;
	*len = m.n;
	return TALLY_OK;
}

int
hub_brief_pdf(const struct tally_catalog *cat, struct tally_store *st,
    const struct hub_brief_opts *opts, unsigned char **out, size_t *len)
{
	struct brief b;
	int          rv = brief_gather(cat, st, opts, &b);

	return brief_finish(&b, rv, out, len);
}

int
hub_brief_pdf_doc(const struct tally_catalog *cat, json_t *doc,
    json_t *explains, const struct hub_issuer *who, unsigned char **out,
    size_t *len)
{
	struct brief b;
	int          rv = brief_from_doc(&b, cat, doc, who);

	for (size_t i = 0; rv == TALLY_OK && i < b.n_items; i++) {
		b.items[i].explain =
		    json_incref(json_object_get(explains, b.items[i].ind->id));
	}
	return brief_finish(&b, rv, out, len);
}

int
hub_brief_write(const char *path, const struct tally_catalog *cat,
    struct tally_store *st, const struct hub_brief_opts *opts)
{
	unsigned char *pdf = NULL;
	size_t         len = 0, tlen = strlen(path) + 32;
	char          *tmp;
	FILE          *f;
	int            rv = hub_brief_pdf(cat, st, opts, &pdf, &len);

	if (rv != TALLY_OK) {
		return rv;
	}
	tmp = malloc(tlen);
	if (tmp == NULL) {
		free(pdf);
		return TALLY_ENOMEM;
	}
	snprintf(tmp, tlen, "%s.partial-%ld", path, (long) getpid());
	f  = fopen(tmp, "wb");
	rv = f != NULL && fwrite(pdf, 1, len, f) == len ? TALLY_OK : TALLY_EIO;
	if (f != NULL && fclose(f) != 0) {
		rv = TALLY_EIO;
	}
	if (rv == TALLY_OK && rename(tmp, path) != 0) {
		rv = TALLY_EIO;
	}
	if (rv != TALLY_OK) {
		(void) unlink(tmp);
	}
	free(tmp);
	free(pdf);
	return rv;
}

/*
 * The data-entry page's HTML declared in entry_page.h. Every text from
 * the store, the catalogue or the user is escaped on the way out.
 */
#include "entry_page.h"

#include "guide.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const node_page_fields[PAGE_COLS] = { "num", "den", "value",
	"weight" };

static void
esc(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width\">"
    "<title>数据填报 Data entry</title><style>"
    "body{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;"
    "margin:1.5em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #bbb;padding:.25em .5em;vertical-align:top}"
    "th{background:#eef}input[type=text]{width:8em}"
    ".err{color:#a00;font-size:.9em}.bad td{background:#fee}"
    ".notice{background:#efe;border:1px solid #8b8;padding:.5em}"
    ".problems{background:#fee;border:1px solid #c88;padding:.5em}"
    ".warn{background:#ffe;border:1px solid #cc8;padding:.5em}"
    ".en{color:#666;font-size:.85em}.overdue{color:#a00;font-weight:bold}"
    "</style></head><body>\n";

/* A link to the period step away from p, as a county enters one month
 * after another; none outside the years a period may have. */
static void
step_link(FILE *f, const struct tally_period *p, int step, const char *id,
    const char *label)
{
	struct tally_period q = tally_period_step(p, step);
	char                text[TALLY_PERIOD_STRLEN];

	if (q.year < TALLY_PERIOD_YEAR_MIN || q.year > TALLY_PERIOD_YEAR_MAX) {
		return;
	}
	tally_period_format(&q, text);
	fprintf(f, "<a id=\"%s\" href=\"/?period=%s\">%s%s</a> ", id, text,
	    label, text);
}

static void
header(FILE *f, const struct node_page *p, const char *ptext)
{
	fputs(page_head, f);
	fputs(
	    "<h1>数据填报 <span class=\"en\">Data entry</span></h1>\n<p>", f);
	esc(f, p->region->code);
	fputc(' ', f);
	esc(f, p->region->name);
	fputs(" · 期间 <span class=\"en\">period</span> <b id=\"period\">", f);
	esc(f, ptext);
	fputs("</b></p>\n<form method=\"get\" action=\"/\">"
	      "<label>换期间 <span class=\"en\">other period</span> "
	      "<input type=\"text\" name=\"period\" value=\"",
	    f);
	esc(f, ptext);
	fputs("\"></label> <button type=\"submit\">打开 Open</button> ", f);
	step_link(f, &p->period, -1, "prev-period", "← 上期 previous ");
	step_link(f, &p->period, 1, "next-period", "下期 next → ");
	fputs("</form>\n", f);
}

static void
messages(FILE *f, const struct node_page *p)
{
	if (p->notice != NULL) {
		fputs("<p class=\"notice\" id=\"notice\">", f);
		esc(f, p->notice);
		fputs("</p>\n", f);
	}
	if (p->n_problems > 0 || p->problems_title != NULL) {
		fputs("<div class=\"problems\" id=\"problems\"><p>", f);
		esc(f, p->problems_title);
		fputs("</p><ul>", f);
		for (size_t i = 0; i < p->n_problems; i++) {
			fputs("<li>", f);
			esc(f, p->problems[i]);
			fputs("</li>", f);
		}
		if (p->total_problems > p->n_problems) {
			fprintf(f, "<li>…还有 %zu 个 and %zu more</li>",
			    p->total_problems - p->n_problems,
			    p->total_problems - p->n_problems);
		}
		fputs("</ul></div>\n", f);
	}
	if (p->warnings != NULL && p->warnings[0] != '\0') {
		fputs("<pre class=\"warn\" id=\"warnings\">", f);
		esc(f, p->warnings);
		fputs("</pre>\n", f);
	}
}

/* One column's cell: an input where the indicator's kind uses the
 * column, with what it counts as its title; else empty. */
static void
cell(FILE *f, const struct node_page_row *r, int col, const char *what)
{
	fputs("<td>", f);
	if (what[0] != '\0') {
		fprintf(f, "<input type=\"text\" name=\"%s_",
		    node_page_fields[col]);
		esc(f, r->ind->id);
		fputs("\" value=\"", f);
		esc(f, r->cells[col]);
		fputs("\" title=\"", f);
		esc(f, what);
		fputs("\">", f);
	}
	fputs("</td>", f);
}

static void
form_row(FILE *f, const struct node_page_row *r)
{
	struct tally_guide g;

	tally_guide_of(r->ind, &g);
	fputs(
	    r->error != NULL ? "<tr class=\"bad\" id=\"row-" : "<tr id=\"row-",
	    f);
	esc(f, r->ind->id);
	fputs("\"><td>", f);
	esc(f, r->ind->name_zh);
	fputs("<br><span class=\"en\">", f);
	esc(f, r->ind->name_en);
	fputs(" (", f);
	esc(f, r->ind->id);
	fputs(")</span></td><td>", f);
	esc(f, r->ind->unit);
	fputs("</td>", f);
	cell(f, r, PAGE_NUM, g.numerator_zh);
	cell(f, r, PAGE_DEN, g.denominator_zh);
	cell(f, r, PAGE_VALUE, g.value_zh);
	cell(f, r, PAGE_WEIGHT, g.weight_zh);
	fputs("<td>", f);
	esc(f, g.enter_zh);
	fputs("<br><span class=\"en\">", f);
	esc(f, g.enter_en);
	fputs("</span>", f);
	if (r->error != NULL) {
		fputs("<div class=\"err\">", f);
		esc(f, r->error);
		fputs("</div>", f);
	}
	fputs("</td></tr>\n", f);
}

static void
entry_form(FILE *f, const struct node_page *p, const char *ptext)
{
	fputs("<h2>填报 <span class=\"en\">Enter the figures</span></h2>\n"
	      "<form method=\"post\" action=\"/entry\" id=\"entry\">"
	      "<input type=\"hidden\" name=\"token\" value=\"",
	    f);
	esc(f, p->token);
	fputs("\"><input type=\"hidden\" name=\"period\" value=\"", f);
	esc(f, ptext);
	fputs(
	    "\"><table><tr><th>指标 <span class=\"en\">indicator</span></th>"
	    "<th>单位 <span class=\"en\">unit</span></th>"
	    "<th>分子 <span class=\"en\">numerator</span></th>"
	    "<th>分母 <span class=\"en\">denominator</span></th>"
	    "<th>数值 <span class=\"en\">value</span></th>"
	    "<th>权重 <span class=\"en\">weight</span></th>"
	    "<th>填写说明 <span class=\"en\">what to enter</span></th></tr>\n",
	    f);
	for (size_t i = 0; i < p->n_rows; i++) {
		form_row(f, &p->rows[i]);
	}
	fputs(
	    "</table><p>留空的指标不报送 <span class=\"en\">Rows left empty "
	    "are not reported.</span></p>"
	    "<button type=\"submit\" id=\"save\">保存 Save</button></form>\n",
	    f);
}

static void
upload_form(FILE *f, const struct node_page *p)
{
	fputs("<h2>上传表格 <span class=\"en\">Upload a sheet</span></h2>\n"
	      "<p>与 <code>tally-node import</code> 相同: .xlsx 或 .csv "
	      "(UTF-8 或 GBK) <span class=\"en\">as import takes it</span></p>"
	      "<form method=\"post\" action=\"/upload\" "
	      "enctype=\"multipart/form-data\" id=\"upload\">"
	      "<input type=\"hidden\" name=\"token\" value=\"",
	    f);
	esc(f, p->token);
	fputs("\"><input type=\"file\" name=\"file\" accept=\".xlsx,.csv\"> "
	      "<button type=\"submit\">上传 Upload</button></form>\n",
	    f);
}

static void
status_table(FILE *f, const struct node_status *s)
{
	char due[32], when[32];

	fputs("<h2>报送状态 <span class=\"en\">Status</span></h2>\n"
	      "<table id=\"status\"><tr><th>指标 <span class=\"en\">indicator"
	      "</span></th><th>状态 <span class=\"en\">state</span></th>"
	      "<th>上级答复 <span class=\"en\">hub's answer</span></th>"
	      "<th>截止日 <span class=\"en\">due by</span></th>"
	      "<th>逾期 <span class=\"en\">overdue</span></th></tr>\n",
	    f);
	for (size_t i = 0; i < s->n; i++) {
		const struct node_status_row *r = &s->rows[i];

		node_status_due_day(r->due_ms, due, sizeof(due));
		fputs("<tr data-indicator=\"", f);
		esc(f, r->ind->id);
		fprintf(
		    f, "\" data-state=\"%s\"><td>", node_state_name(r->state));
		esc(f, r->ind->name_zh);
		fprintf(f, "</td><td>%s <span class=\"en\">%s</span></td><td>",
		    node_state_zh(r->state), node_state_name(r->state));
		if (r->has_reply) {
			node_status_cst(
			    r->reply.answered_ms, when, sizeof(when));
			fprintf(
			    f, "%s ", tally_reply_status_zh(r->reply.status));
			esc(f, r->reply.hub);
			fprintf(f, " %s", when);
			if (r->reply.reason[0] != '\0') {
				fputs("<br>原因 <span "
				      "class=\"en\">reason</span>: ",
				    f);
				esc(f, r->reply.reason);
			}
		} else {
			fputs("-", f);
		}
		fprintf(f, "</td><td>%s</td><td%s>%s</td></tr>\n", due,
		    r->overdue ? " class=\"overdue\"" : "",
		    r->overdue ? "逾期 overdue" : "-");
	}
	fputs("</table>\n", f);
}

char *
node_page_html(const struct node_page *p, size_t *len)
{
	char  *buf = NULL;
	size_t n   = 0;
	char   ptext[TALLY_PERIOD_STRLEN];
	FILE  *f = open_memstream(&buf, &n);

	if (f == NULL) {
		return NULL;
	}
	tally_period_format(&p->period, ptext);
	header(f, p, ptext);
	messages(f, p);
	entry_form(f, p, ptext);
	upload_form(f, p);
	if (p->status != NULL) {
		status_table(f, p->status);
	}
	fputs("</body></html>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

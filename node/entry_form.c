/*
 * The data-entry page's content declared in entry_form.h: its rows, what
 * the store holds for them, and what import made of a form or a sheet.
 */
#include "entry_form.h"

#include "clock.h"
#include "errors.h"
#include "import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
node_entry_fini(struct node_entry *pd)
{
	for (size_t i = 0; pd->errors != NULL && i < pd->page.n_rows; i++) {
		free(pd->errors[i]);
	}
	for (size_t i = 0; i < pd->page.n_problems; i++) {
		free(pd->problems[i]);
	}
	free(pd->errors);
	free(pd->cells);
	free(pd->page.rows);
	free(pd->warnings);
	if (pd->has_status) {
		node_status_fini(&pd->status);
	}
}

static bool
same_period(const struct tally_period *a, const struct tally_period *b)
{
	return a->year == b->year && a->kind == b->kind &&
	    a->index == b->index;
}

/* What the store holds for the row's indicator in the period, as the
 * form shows it. */
static int
stored_cells(const struct node_entry_site *s, struct node_entry *pd, size_t k)
{
	struct node_page_row *row = &pd->page.rows[k];
	struct tally_obs     *obs = NULL;
	size_t                n   = 0;
	int                   rv  = tally_store_observations(
	                       s->st, row->ind, &pd->page.period, &obs, &n);

	if (rv != TALLY_OK) {
		return rv;
	}
	for (size_t i = 0; i < n; i++) {
		const struct tally_obs *o = &obs[i];
		char(*c)[64]              = pd->cells[k];

		if (!same_period(&o->period, &pd->page.period)) {
			continue;
		}
		if (row->ind->kind == TALLY_KIND_RATIO) {
			snprintf(c[PAGE_NUM], 64, "%.15g", o->num);
			snprintf(c[PAGE_DEN], 64, "%.15g", o->den);
			row->cells[PAGE_NUM] = c[PAGE_NUM];
			row->cells[PAGE_DEN] = c[PAGE_DEN];
		} else {
			snprintf(c[PAGE_VALUE], 64, "%.15g", o->value);
			row->cells[PAGE_VALUE] = c[PAGE_VALUE];
		}
		if (row->ind->kind == TALLY_KIND_WMEAN) {
			snprintf(c[PAGE_WEIGHT], 64, "%.15g", o->weight);
			row->cells[PAGE_WEIGHT] = c[PAGE_WEIGHT];
		}
	}
	free(obs);
	return TALLY_OK;
}

int
node_entry_init(const struct node_entry_site *s, struct node_entry *pd,
    const struct tally_period *period)
{
	const struct tally_catalog *cat = s->cat;
	size_t                      n   = 0;

	memset(pd, 0, sizeof(*pd));
	pd->page.region = s->region;
	pd->page.period = *period;
	pd->page.token  = s->token;
	pd->page.rows   = calloc(cat->n_indicators, sizeof(*pd->page.rows));
	pd->cells       = calloc(cat->n_indicators, sizeof(*pd->cells));
	pd->errors      = calloc(cat->n_indicators, sizeof(*pd->errors));
	if (pd->page.rows == NULL || pd->cells == NULL || pd->errors == NULL) {
		return TALLY_ENOMEM;
	}
	for (size_t i = 0; i < cat->n_indicators; i++) {
		if (node_status_reports(cat, s->st, &cat->indicators[i])) {
			pd->page.rows[n++].ind = &cat->indicators[i];
		}
	}
	if (n == 0) {
		for (size_t i = 0; i < cat->n_indicators; i++) {
			pd->page.rows[n++].ind = &cat->indicators[i];
		}
	}
	pd->page.n_rows = n;
	return TALLY_OK;
}

/* Fills the form with what is stored and adds the period's status. */
int
node_entry_finish(
    const struct node_entry_site *s, struct node_entry *pd, bool from_store)
{
	int rv = TALLY_OK;

	for (size_t k = 0; from_store && rv == TALLY_OK && k < pd->page.n_rows;
	     k++) {
		memset(
		    pd->page.rows[k].cells, 0, sizeof(pd->page.rows[k].cells));
		rv = stored_cells(s, pd, k);
	}
	if (rv == TALLY_OK) {
		rv = node_status_collect(s->cat, s->st, s->due,
		    &pd->page.period, tally_clock_now_ms(), &pd->status);
	}
	if (rv == TALLY_OK) {
		pd->has_status  = true;
		pd->page.status = &pd->status;
	}
	return rv;
}

/* The text after `path:line: ` of an import problem: beside its row the
 * line says nothing to a person. */
static const char *
after_line(const char *text, const char *path)
{
	size_t      n = strlen(path);
	const char *p;

	if (strncmp(text, path, n) != 0 || text[n] != ':') {
		return text;
	}
	p = text + n + 1;
	while (*p >= '0' && *p <= '9') {
		p++;
	}
	return p[0] == ':' && p[1] == ' ' ? p + 2 : text;
}

/* The problems of an import: beside their row where the line is one of
 * the form's rows (first_line the line of row 0), else in the list. */
static void
place_problems(struct node_entry *pd, const struct tally_intake *in,
    size_t first_line, const char *path)
{
	for (size_t i = 0; i < in->n_errors; i++) {
		const struct tally_intake_error *e = &in->errors[i];
		size_t                           k = e->line - first_line;

		if (first_line > 0 && e->line >= first_line &&
		    k < pd->page.n_rows) {
			const char *t   = after_line(e->text, path);
			char       *old = pd->errors[k];
			size_t      len = (old != NULL ? strlen(old) + 2 : 0) +
			    strlen(t) + 1;
			char *nw = malloc(len);

			if (nw == NULL) {
				continue;
			}
			snprintf(nw, len, "%s%s%s", old != NULL ? old : "",
			    old != NULL ? "; " : "", t);
			free(old);
			pd->errors[k]          = nw;
			pd->page.rows[k].error = nw;
		} else if (pd->page.n_problems < TALLY_INTAKE_ERRORS_MAX) {
			pd->problems[pd->page.n_problems] = strdup(e->text);
			if (pd->problems[pd->page.n_problems] != NULL) {
				pd->page.n_problems++;
			}
		}
	}
	pd->page.problems = pd->problems;
	pd->page.total_problems =
	    in->total_errors - in->n_errors + pd->page.n_problems;
}

/* Runs the sheet through import's checks and transaction and says on
 * the page what came of it. */
int
node_entry_import(const struct node_entry_site *s, struct node_entry *pd,
    const struct tally_sheet *sh, const char *path, size_t first_line,
    bool *imported)
{
	struct node_import_result res;
	size_t                    wlen = 0;
	FILE                     *w    = open_memstream(&pd->warnings, &wlen);
	int                       rv;

	rv = node_import_sheet(s->cat, s->st, sh, path, w, "tally-node", &res);
	if (w != NULL) {
		fclose(w);
	}
	if (rv != TALLY_OK) {
		return rv;
	}
	*imported = res.imported;
	if (res.imported && first_line == 0 && res.in->n_items > 0) {
		/* An upload: the page of the period it was for. */
		pd->page.period = res.in->items[0].obs.period;
	}
	if (res.imported) {
		snprintf(pd->notice, sizeof(pd->notice),
		    "已保存 saved %s: %zu 新增 new, %zu 更正 corrected, %zu "
		    "未变 "
		    "unchanged",
		    path, res.counts[TALLY_PUT_NEW],
		    res.counts[TALLY_PUT_CORRECTED],
		    res.counts[TALLY_PUT_UNCHANGED]);
		pd->page.notice = pd->notice;
	} else {
		snprintf(pd->title, sizeof(pd->title),
		    "%s: %zu 个问题, 未导入任何数据 %zu problem%s; nothing "
		    "imported",
		    path, res.in->total_errors, res.in->total_errors,
		    res.in->total_errors == 1 ? "" : "s");
		pd->page.problems_title = pd->title;
		place_problems(pd, res.in, first_line, path);
	}
	tally_intake_free(res.in);
	return TALLY_OK;
}

/* The form as a sheet of import's columns: a header on line 1, then row
 * k of the form on line k + 2, each with its indicator and the period. */
int
node_entry_form_sheet(struct node_entry *pd,
    const char *(*field)(void *arg, const char *key), void *arg,
    const char *ptext, struct tally_sheet **out)
{
	static const char *const head[] = { "indicator", "period", "numerator",
		"denominator", "value", "weight" };
	struct tally_sheet      *sh     = calloc(1, sizeof(*sh));
	int                      rv     = sh != NULL ? TALLY_OK : TALLY_ENOMEM;

	for (size_t k = 0; rv == TALLY_OK && k <= pd->page.n_rows; k++) {
		char **cells = calloc(6, sizeof(*cells));
		bool   ok    = cells != NULL;

		for (int c = 0; ok && c < 6; c++) {
			const char *v = head[c];

			if (k > 0) {
				struct node_page_row *row =
				    &pd->page.rows[k - 1];
				char key[160];

				if (c == 0) {
					v = row->ind->id;
				} else if (c == 1) {
					v = ptext;
				} else {
					snprintf(key, sizeof(key), "%s_%s",
					    node_page_fields[c - 2],
					    row->ind->id);
					v                 = field(arg, key);
					row->cells[c - 2] = v;
				}
			}
			cells[c] = strdup(v != NULL ? v : "");
			ok       = cells[c] != NULL;
		}
		if (!ok) {
			for (int c = 0; cells != NULL && c < 6; c++) {
				free(cells[c]);
			}
			free(cells);
			rv = TALLY_ENOMEM;
			break;
		}
		rv = tally_sheet_add_row(sh, k + 1, cells, 6);
	}
	if (rv != TALLY_OK) {
		tally_sheet_free(sh);
		return rv;
	}
	*out = sh;
	return TALLY_OK;
}

/*
 * The import command declared in import.h: sheet.h reads the file,
 * intake.h checks its rows, the store takes them in one transaction, and
 * outlier.h compares each figure with the region's own history.
 */
#include "import.h"

#include "errors.h"
#include "intake.h"
#include "log.h"
#include "outlier.h"
#include "sheet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* The figure an observation stands for: a ratio's rate, else its value;
 * false when there is none (a ratio of nothing). */
static bool
figure_of(
    const struct tally_indicator *ind, const struct tally_obs *o, double *out)
{
	if (ind->kind == TALLY_KIND_RATIO) {
		if (o->den <= 0) {
			return false;
		}
		*out = o->num / o->den * ind->factor;
	} else {
		*out = o->value;
	}
	return true;
}

/* How far back a region's own history counts as recent: three years. A
 * figure from five years before says little about a slip today. */
#define IMPORT_HISTORY_MONTHS 36

/* Earlier figures of the same indicator and kind of period, of the
 * IMPORT_HISTORY_MONTHS before it, the latest TALLY_OUTLIER_MAX_HISTORY
 * of them, into hist (*n of them). */
static int
history(struct tally_store *st, const struct tally_intake_item *it,
    double *hist, size_t *n)
{
	struct tally_obs *obs = NULL;
	size_t            k = 0, count = 0;
	int               month = tally_period_first_month(&it->obs.period);
	int               rv;

	rv = tally_store_observations(st, it->ind, NULL, &obs, &count);
	if (rv != TALLY_OK) {
		return rv;
	}
	/* The store gives them in period order; keep the latest ones. */
	for (size_t i = count; i-- > 0 && k < TALLY_OUTLIER_MAX_HISTORY;) {
		const struct tally_obs *o = &obs[i];

		int first = tally_period_first_month(&o->period);

		if (o->period.kind == it->obs.period.kind && first < month &&
		    month - first <= IMPORT_HISTORY_MONTHS &&
		    figure_of(it->ind, o, &hist[k])) {
			k++;
		}
	}
	free(obs);
	*n = k;
	return TALLY_OK;
}

static void
warn_outliers(FILE *out, const char *prog, struct tally_store *st,
    const struct tally_intake *in)
{
	/* A warning, so -q (errors only) leaves it out. */
	if (out == NULL || tally_log_level < TALLY_LOG_WARN) {
		return;
	}
	for (size_t i = 0; i < in->n_items; i++) {
		const struct tally_intake_item *it = &in->items[i];
		double               hist[TALLY_OUTLIER_MAX_HISTORY], x;
		struct tally_outlier o;
		size_t               n;
		char                 p[TALLY_PERIOD_STRLEN];

		if (!figure_of(it->ind, &it->obs, &x) ||
		    history(st, it, hist, &n) != TALLY_OK ||
		    !tally_outlier_check(hist, n, x, &o)) {
			continue;
		}
		tally_period_format(&it->obs.period, p);
		fprintf(out,
		    "%s: warning: %s:%zu: %s %s: %.6g %s is far outside this "
		    "region's usual range %.6g to %.6g (median %.6g of its "
		    "last %zu figures); imported, but check it for a keying "
		    "slip\n",
		    prog, in->path, it->line, it->ind->id, p, x, it->ind->unit,
		    o.low, o.high, o.median, n);
	}
}

/* Puts every good row; a row the store refuses (a period beside its own
 * sub-periods) becomes one more problem of the file. */
static int
put_all(struct tally_store *st, struct tally_intake *in, size_t counts[3])
{
	for (size_t i = 0; i < in->n_items; i++) {
		const struct tally_intake_item *it = &in->items[i];
		struct tally_errbuf             eb = { "" };
		int                             outcome, rv;

		rv = tally_store_put(st, it->ind, &it->obs, &outcome, &eb);
		if (rv == TALLY_EDATA) {
			tally_intake_error(in, it->line, "%s", eb.text);
		} else if (rv != TALLY_OK) {
			return rv;
		} else {
			counts[outcome]++;
		}
	}
	return TALLY_OK;
}

int
node_import_sheet(const struct tally_catalog *cat, struct tally_store *st,
    const struct tally_sheet *sh, const char *path, FILE *warn,
    const char *prefix, struct node_import_result *res)
{
	struct tally_intake *in = NULL;
	int                  rv;

	memset(res, 0, sizeof(*res));
	rv = tally_intake_read(cat, sh, path, &in);
	if (rv != TALLY_OK) {
		return rv;
	}
	if (in->total_errors == 0) {
		warn_outliers(warn, prefix, st, in);
	}
	rv = tally_store_begin(st);
	if (rv == TALLY_OK) {
		rv = put_all(st, in, res->counts);
	}
	if (rv == TALLY_OK && in->total_errors == 0) {
		rv            = tally_store_commit(st);
		res->imported = rv == TALLY_OK;
	}
	if (rv != TALLY_OK || in->total_errors > 0) {
		/* One bad row imports nothing. */
		tally_store_rollback(st);
	}
	if (rv != TALLY_OK) {
		tally_intake_free(in);
		return rv;
	}
	res->in = in;
	return TALLY_OK;
}

int
node_import(const char *prog, const struct tally_catalog *cat,
    struct tally_store *st, const char *path, int enc)
{
	struct tally_sheet       *sh = NULL;
	struct tally_intake      *in;
	struct node_import_result res;
	struct tally_errbuf       eb = { "" };
	int                       rv, ex = EX_OK;

	rv = tally_sheet_read(path, enc, &sh, &eb);
	if (rv != TALLY_OK) {
		fprintf(stderr, "%s: %s\n", prog, eb.text);
		return tally_exit_code(rv);
	}
	rv = node_import_sheet(cat, st, sh, path, stderr, prog, &res);
	tally_sheet_free(sh);
	if (rv != TALLY_OK) {
		fprintf(stderr, "%s: import: %s\n", prog, tally_strerror(rv));
		return tally_exit_code(rv);
	}
	in = res.in;
	if (in->total_errors > 0) {
		tally_intake_print_errors(in, stderr, prog);
		fprintf(stderr,
		    "%s: import: %zu problem%s in %s; nothing imported\n",
		    prog, in->total_errors, in->total_errors == 1 ? "" : "s",
		    path);
		ex = EX_DATAERR;
	} else {
		printf("imported %s: %zu new, %zu corrected, %zu unchanged",
		    path, res.counts[TALLY_PUT_NEW],
		    res.counts[TALLY_PUT_CORRECTED],
		    res.counts[TALLY_PUT_UNCHANGED]);
		if (in->skipped > 0) {
			printf("; %zu row%s without figures skipped",
			    in->skipped, in->skipped == 1 ? "" : "s");
		}
		putchar('\n');
	}
	tally_intake_free(in);
	return ex;
}

/*
 * What the data-entry page (serve.h) shows, gathered: the form's rows
 * (the indicators the region reports, every one when it reports none
 * yet, as the template has them) with what the store holds or what was
 * typed, import's problems beside their rows, and the period's status.
 * A form is made into a sheet of import's columns and goes, as an
 * uploaded sheet does, through node_import_sheet (import.h).
 */
#ifndef NODE_ENTRY_FORM_H
#define NODE_ENTRY_FORM_H

#include "catalog.h"
#include "entry_page.h"
#include "intake.h"
#include "sheet.h"
#include "status.h"
#include "store.h"
#include "target.h"

#include <stdbool.h>

/* What a page is made of and from; borrowed. */
struct node_entry_site {
	const struct tally_catalog  *cat;
	struct tally_store          *st;
	const struct tally_due      *due;
	const struct tally_division *region;
	const char                  *token; /* the forms' same-origin token */
};

/* A page being made, with what it points to; freed with
 * node_entry_fini. */
struct node_entry {
	struct node_page   page;
	struct node_status status;
	bool               has_status;
	char (*cells)[PAGE_COLS][64];
	char **errors; /* per row */
	char  *problems[TALLY_INTAKE_ERRORS_MAX];
	char   notice[256];
	char   title[512];
	char  *warnings;
};

/* Starts the page of period with its rows, empty. */
int node_entry_init(const struct node_entry_site *s, struct node_entry *pd,
    const struct tally_period *period);

/* Fills the rows with what the store holds for the period (from_store;
 * else they keep what was typed) and adds the period's status. */
int node_entry_finish(
    const struct node_entry_site *s, struct node_entry *pd, bool from_store);

/* The form as a sheet: a header on line 1, then row k on line k + 2 with
 * its indicator, ptext and the fields field(arg, "num_ID") etc.; each row
 * keeps what was typed (the strings stay field's). The caller frees *out
 * with tally_sheet_free. */
int node_entry_form_sheet(struct node_entry *pd,
    const char *(*field)(void *arg, const char *key), void *arg,
    const char *ptext, struct tally_sheet **out);

/* Runs sh (named path) through import's checks and transaction and says
 * on the page what came of it: a notice, or the problems, beside their
 * rows when first_line (the line of row 0; 0: none, an upload) places
 * them. *imported says whether it was stored. */
int node_entry_import(const struct node_entry_site *s, struct node_entry *pd,
    const struct tally_sheet *sh, const char *path, size_t first_line,
    bool *imported);

void node_entry_fini(struct node_entry *pd);

#endif

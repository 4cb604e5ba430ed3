/*
 * The HTML of the data-entry page of `tally-node serve` (serve.h): one
 * form per period with the template's rows, each row with what was
 * entered and, beside it, what import found wrong with it; the upload
 * form; and the period's status (status.h). Chinese first, with English.
 * The page is plain HTML and CSS, without script, built on the server.
 */
#ifndef NODE_ENTRY_PAGE_H
#define NODE_ENTRY_PAGE_H

#include "catalog.h"
#include "status.h"

#include <stddef.h>

/* The columns of a row, in the order of the template. */
enum { PAGE_NUM, PAGE_DEN, PAGE_VALUE, PAGE_WEIGHT, PAGE_COLS };

/* The form's field names of the columns ("num", "den", "value",
 * "weight"), each followed by "_" and the indicator's id. */
extern const char *const node_page_fields[PAGE_COLS];

struct node_page_row {
	const struct tally_indicator *ind;
	const char *cells[PAGE_COLS]; /* as entered or stored; NULL: empty */
	const char *error; /* import's problems of this row, or NULL */
};

struct node_page {
	const struct tally_division *region;
	struct tally_period          period;
	const char                  *token; /* the form's same-origin token */
	struct node_page_row        *rows;
	size_t                       n_rows;
	const char                  *notice; /* what was saved, or NULL */
	/* The problems not of one row (an upload's), and how many there
	 * were in all (more than n_problems past the limit). */
	const char *problems_title;
	char      **problems;
	size_t      n_problems;
	size_t      total_problems;
	const char *warnings; /* outlier warnings, lines, or NULL */
	const struct node_status *status; /* the period's, or NULL */
};

/* The page as a string the caller frees with free(); NULL when out of
 * memory. */
char *node_page_html(const struct node_page *p, size_t *len);

#endif

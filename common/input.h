/*
 * Validation of one observation as a user enters it, from the command line
 * (`tally-node record`) or a row of a sheet (`tally-node import`). Both go
 * through the same checks so that they accept and refuse exactly the same
 * things: an indicator by its id or its Chinese name, a period as a county
 * office writes it (period.h, tally_period_parse_loose), figures with
 * thousands separators (text.h, tally_parse_figure).
 */
#ifndef TALLY_INPUT_H
#define TALLY_INPUT_H

#include "catalog.h"
#include "errors.h"
#include "rollup.h"

/* The raw text of one observation. NULL or "" means the field is absent.
 * The field names in error messages are the CSV column names:
 * indicator, period, numerator, denominator, value, weight. */
struct tally_input_row {
	const char *indicator;
	const char *period;
	const char *numerator;
	const char *denominator;
	const char *value;
	const char *weight;
};

/* Every problem of one row: at most one per field and one more. */
#define TALLY_INPUT_ERRORS_MAX 8

struct tally_input_errors {
	size_t n;
	/* `field NAME: message`, each quoting the value and, where one
	 * helps, a hint (did you mean …?, what to enter instead). */
	char text[TALLY_INPUT_ERRORS_MAX][TALLY_ERRBUF_SIZE];
};

/* Checks row against the catalogue and fills *ind and *obs. On failure
 * (TALLY_EDATA) errs holds every problem of the row, in field order. */
int tally_input_check(const struct tally_catalog *cat,
    const struct tally_input_row *row, const struct tally_indicator **ind,
    struct tally_obs *obs, struct tally_input_errors *errs);

/* As tally_input_check, for callers that report one problem: on failure,
 * eb holds the first, `field NAME: message`, for the caller to prefix
 * with where the row came from. */
int tally_input_parse(const struct tally_catalog *cat,
    const struct tally_input_row *row, const struct tally_indicator **ind,
    struct tally_obs *obs, struct tally_errbuf *eb);

/* The indicator whose id (in any letter case) or Chinese or English name
 * is text, or NULL. */
const struct tally_indicator *tally_input_indicator(
    const struct tally_catalog *cat, const char *text);

/* The indicator whose id or Chinese name is nearest to text by edit
 * distance, when near enough to be a slip; else NULL. */
const struct tally_indicator *tally_input_nearest(
    const struct tally_catalog *cat, const char *text);

#endif

/*
 * Validation of one observation as a user enters it, from the command line
 * (`tally-node record`) or a CSV row (`tally-node import`). Both go through
 * the same checks so that they accept and refuse exactly the same things.
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

/* Checks row against the catalogue and fills *ind and *obs. On failure, eb
 * holds `field NAME: message`, for the caller to prefix with where the row
 * came from. */
int tally_input_parse(const struct tally_catalog *cat,
    const struct tally_input_row *row, const struct tally_indicator **ind,
    struct tally_obs *obs, struct tally_errbuf *eb);

#endif

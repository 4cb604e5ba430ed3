/*
 * `tally-node show`: a region's own figures for one period, computed by the
 * rollup engine from the store, printed as a table, JSON or CSV.
 */
#ifndef NODE_SHOW_H
#define NODE_SHOW_H

#include "catalog.h"
#include "cli.h"
#include "store.h"

#include <stdio.h>

/* Prints the figures of st's region for period: every indicator with data
 * in the period, or only ind when it is not NULL (then also when it has no
 * data, with an empty value). */
int node_show(FILE *out, const struct tally_catalog *cat,
    struct tally_store *st, const struct tally_period *period,
    const struct tally_indicator *ind, int format); /* enum tally_format */

#endif

/*
 * `tally-node indicators [--format table|json|csv]`: the catalogue as a
 * county sees it: each indicator's id, Chinese and English name, unit,
 * kind and what to enter for it (guide.h).
 */
#ifndef NODE_INDICATORS_H
#define NODE_INDICATORS_H

#include "catalog.h"

#include <stdio.h>

/* Prints the catalogue to out in format (enum tally_format). Returns
 * the exit code. */
int node_indicators(FILE *out, const struct tally_catalog *cat, int format);

#endif

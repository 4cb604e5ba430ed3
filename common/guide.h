/*
 * What a county enters for each indicator, in Chinese and English: the
 * text of `tally-node indicators`, of the template's descriptive columns
 * and of import's hints. indicators.csv gives names, kind, unit and a
 * free note; the rest is derived here from those, so that a new indicator
 * gets sensible text without a new column in the catalogue.
 */
#ifndef TALLY_GUIDE_H
#define TALLY_GUIDE_H

#include "catalog.h"

#define TALLY_GUIDE_STRLEN 192

struct tally_guide {
	const char *kind_zh; /* 比率 / 计数 / 加权平均 */
	const char *unit_zh; /* the unit as a Chinese office writes it */
	/* What each column holds, "" for a column left empty. */
	char numerator_zh[TALLY_GUIDE_STRLEN];
	char numerator_en[TALLY_GUIDE_STRLEN];
	char denominator_zh[TALLY_GUIDE_STRLEN];
	char denominator_en[TALLY_GUIDE_STRLEN];
	char value_zh[TALLY_GUIDE_STRLEN];
	char value_en[TALLY_GUIDE_STRLEN];
	char weight_zh[TALLY_GUIDE_STRLEN];
	char weight_en[TALLY_GUIDE_STRLEN];
	/* One line: which columns to fill and with what. */
	char enter_zh[TALLY_GUIDE_STRLEN * 3];
	char enter_en[TALLY_GUIDE_STRLEN * 3];
};

/* Fills *g for ind. */
void tally_guide_of(const struct tally_indicator *ind, struct tally_guide *g);

#endif

/*
 * Numbers as text for the machine-read forms (CSV): the shortest decimal
 * that reads back to the same double, so that 84.6 is written "84.6" and
 * not "84.599999999999994", while no bit of the value is lost. Every CSV
 * a Tally program writes prints its numbers through here.
 */
#ifndef TALLY_NUMBER_H
#define TALLY_NUMBER_H

#include <stddef.h>

/* Enough for any double in %.17g form and the terminator. */
#define TALLY_NUMBER_STRLEN 32

/* Writes v to buf (at least TALLY_NUMBER_STRLEN bytes) with the fewest
 * significant digits, from 15 to 17, whose text strtod reads back as v
 * exactly; "" for NaN or infinity (which CSV cannot carry). */
void tally_number_shortest(double v, char *buf, size_t len);

#endif

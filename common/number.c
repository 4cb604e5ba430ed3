/*
 * The shortest round-tripping text of a double, declared in number.h.
 * %.15g is exact for every decimal a person typed with up to 15 digits,
 * which is nearly every figure; sums of many such figures may need 16 or
 * 17 digits, and 17 always round-trips.
 */
#include "number.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void
tally_number_shortest(double v, char *buf, size_t len)
{
	if (len == 0) {
		return;
	}
	buf[0] = '\0';
	if (!isfinite(v)) {
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		/* strtod is the reader of the contract here, not user input:
		 * it decides only which of our own texts is exact. */
		if (strtod(buf, NULL) == v) {
			return;
		}
	}
}

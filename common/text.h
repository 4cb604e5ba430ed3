/*
 * Strict parsing of numbers and identifiers from text. Input from users and
 * peers is parsed only through here, so that "12abc", "nan", "inf", hex
 * floats and surrounding blanks are refused the same way everywhere.
 */
#ifndef TALLY_TEXT_H
#define TALLY_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Parses a finite decimal number occupying all of s. TALLY_EINVAL for an
 * empty string, trailing text, NaN, infinity or overflow. */
int tally_parse_double(const char *s, double *out);

/* Parses a whole number in [lo, hi] occupying all of s: decimal digits
 * with an optional sign, nothing else. TALLY_EINVAL otherwise. */
int tally_parse_whole(
    const char *s, long long lo, long long hi, long long *out);

/* Parses a duration in whole seconds from 0 to max_s occupying all of s:
 * a number of seconds, or a number followed by s, m, h or d ("90",
 * "15m", "1.5h", "2d"). TALLY_EINVAL otherwise. */
int tally_parse_duration(const char *s, long long max_s, long long *out);

/* True when s is NULL or "": an absent field, read the same everywhere. */
bool tally_text_empty(const char *s);

/* True for a 6-digit region code. */
bool tally_region_code_valid(const char *s);

/* True for an identifier of 1..63 characters from [a-z0-9_]. */
bool tally_ident_valid(const char *s);

/* True when the n bytes at s are well-formed UTF-8. */
bool tally_utf8_valid(const char *s, unsigned long n);

/* The width of UTF-8 text on a terminal: one column for ASCII, two for
 * the CJK characters of region names, one for other characters (μ, ³). */
int tally_text_width(const char *s);

/* Prints s and pads it with spaces to width columns. */
void tally_text_pad(FILE *out, const char *s, int width);

/* Parses a figure as people type it in a spreadsheet: a finite decimal
 * number (as tally_parse_double) that may group its whole part with commas
 * in threes ("1,210", "12,345.6"). Anything else, "93.4%" among it, is
 * TALLY_EINVAL. */
int tally_parse_figure(const char *s, double *out);

/* Removes blanks from both ends of s in place: ASCII white space, the
 * no-break space and the ideographic (full-width) space that Chinese
 * input methods type. Returns s. */
char *tally_text_trim(char *s);

/* The edit (Levenshtein) distance between a and b, counted in Unicode
 * characters of UTF-8 text, so that one wrong Chinese character is 1. */
size_t tally_edit_distance(const char *a, const char *b);

#endif

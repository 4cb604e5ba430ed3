/*
 * Strict parsing of numbers and identifiers from text. Input from users and
 * peers is parsed only through here, so that "12abc", "nan", "inf", hex
 * floats and surrounding blanks are refused the same way everywhere.
 */
#ifndef TALLY_TEXT_H
#define TALLY_TEXT_H

#include <stdbool.h>

/* Parses a finite decimal number occupying all of s. TALLY_EINVAL for an
 * empty string, trailing text, NaN, infinity or overflow. */
int tally_parse_double(const char *s, double *out);

/* True when s is NULL or "": an absent field, read the same everywhere. */
bool tally_text_empty(const char *s);

/* True for a 6-digit region code. */
bool tally_region_code_valid(const char *s);

/* True for an identifier of 1..63 characters from [a-z0-9_]. */
bool tally_ident_valid(const char *s);

/* True when the n bytes at s are well-formed UTF-8. */
bool tally_utf8_valid(const char *s, unsigned long n);

#endif

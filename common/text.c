/*
 * The strict text parsers declared in text.h.
 */
#include "text.h"

#include "errors.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int
tally_parse_double(const char *s, double *out)
{
	char  *end;
	double v;

	if (s == NULL || *s == '\0') {
		return TALLY_EINVAL;
	}
	/* strtod accepts leading blanks, hex and "nan"/"inf"; a statistician's
	 * figure is plain decimal, so only digits, sign, point and exponent.
	 */
	for (const char *p = s; *p != '\0'; p++) {
		if (strchr("0123456789+-.eE", *p) == NULL) {
			return TALLY_EINVAL;
		}
	}
	errno = 0;
	v     = strtod(s, &end);
	if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v)) {
		return TALLY_EINVAL;
	}
	*out = v;
	return TALLY_OK;
}

bool
tally_text_empty(const char *s)
{
	return s == NULL || *s == '\0';
}

bool
tally_region_code_valid(const char *s)
{
	if (s == NULL || strlen(s) != 6) {
		return false;
	}
	for (int i = 0; i < 6; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
	}
	return true;
}

bool
tally_ident_valid(const char *s)
{
	size_t n;

	if (s == NULL) {
		return false;
	}
	n = strlen(s);
	if (n == 0 || n > 63) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		        c == '_')) {
			return false;
		}
	}
	return true;
}

bool
tally_utf8_valid(const char *s, unsigned long n)
{
	const unsigned char *p   = (const unsigned char *) s;
	const unsigned char *end = p + n;

	while (p < end) {
		unsigned      c = *p;
		int           len;
		unsigned long cp;

		if (c < 0x80) {
			p++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			len = 2;
			cp  = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3;
			cp  = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4;
			cp  = c & 0x07;
		} else {
			return false;
		}
		if (end - p < len) {
			return false;
		}
		for (int i = 1; i < len; i++) {
			if ((p[i] & 0xC0) != 0x80) {
				return false;
			}
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		/* Overlong forms, surrogates and values past U+10FFFF. */
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF)) {
			return false;
		}
		p += len;
	}
	return true;
}

int
tally_text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	int                  w = 0;

	while (*p != '\0') {
		if (*p < 0x80) {
			w++;
			p++;
		} else if ((*p & 0xF0) == 0xE0) {
			/* Three-byte sequences from U+3000 hold the CJK
			 * ideographs and punctuation, two columns each. */
			w += (*p >= 0xE3) ? 2 : 1;
			p += 3;
		} else if ((*p & 0xF8) == 0xF0) {
			w += 2;
			p += 4;
		} else {
			w++;
			p += ((*p & 0xE0) == 0xC0) ? 2 : 1;
		}
	}
	return w;
}

void
tally_text_pad(FILE *out, const char *s, int width)
{
	fputs(s, out);
	for (int w = tally_text_width(s); w < width; w++) {
		fputc(' ', out);
	}
}

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

int
tally_parse_whole(const char *s, long long lo, long long hi, long long *out)
{
	const char *p = s;
	char       *end;
	long long   v;

	if (p != NULL && (*p == '-' || *p == '+')) {
		p++;
	}
	if (p == NULL || *p == '\0') {
		return TALLY_EINVAL;
	}
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9') {
			return TALLY_EINVAL;
		}
	}
	errno = 0;
	v     = strtoll(s, &end, 10);
	if (*end != '\0' || errno == ERANGE || v < lo || v > hi) {
		return TALLY_EINVAL;
	}
	*out = v;
	return TALLY_OK;
}

int
tally_parse_duration(const char *s, long long max_s, long long *out)
{
	static const char   units[] = "smhd";
	static const double mult[]  = { 1, 60, 3600, 86400 };
	char                num[32];
	size_t              n = s != NULL ? strlen(s) : 0;
	double              v, m = 1;

	if (n == 0 || n >= sizeof(num)) {
		return TALLY_EINVAL;
	}
	memcpy(num, s, n + 1);
	if (strchr(units, num[n - 1]) != NULL) {
		m          = mult[strchr(units, num[n - 1]) - units];
		num[n - 1] = '\0';
	}
	if (tally_parse_double(num, &v) != TALLY_OK || v < 0 ||
	    v * m > (double) max_s || v * m != floor(v * m)) {
		return TALLY_EINVAL;
	}
	*out = (long long) (v * m);
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

int
tally_parse_figure(const char *s, double *out)
{
	char        buf[64];
	size_t      n = 0, group = 0;
	bool        grouped = false, in_whole = true;
	const char *p;

	if (s == NULL || *s == '\0' || strlen(s) >= sizeof(buf)) {
		return TALLY_EINVAL;
	}
	if (strchr(s, ',') == NULL) {
		return tally_parse_double(s, out);
	}
	/* Commas are accepted only as Excel writes them: between groups of
	 * three digits of the whole part, the first group of one to three. */
	p = s;
	if (*p == '-' || *p == '+') {
		buf[n++] = *p++;
	}
	for (; *p != '\0'; p++) {
		if (*p == ',') {
			if (!in_whole || group == 0 ||
			    (grouped && group != 3) ||
			    (!grouped && group > 3)) {
				return TALLY_EINVAL;
			}
			grouped = true;
			group   = 0;
			continue;
		}
		if (*p >= '0' && *p <= '9') {
			if (in_whole) {
				group++;
			}
		} else if (in_whole) {
			in_whole = false;
			if (grouped && group != 3) {
				return TALLY_EINVAL;
			}
		}
		buf[n++] = *p;
	}
	if (in_whole && grouped && group != 3) {
		return TALLY_EINVAL;
	}
	buf[n] = '\0';
	return tally_parse_double(buf, out);
}

/* The length of the blank at p (0 when there is none). */
static size_t
blank_len(const unsigned char *p)
{
	if (*p == ' ' || (*p >= '\t' && *p <= '\r')) {
		return 1;
	}
	if (p[0] == 0xC2 && p[1] == 0xA0) {
		return 2; /* U+00A0 no-break space */
	}
	if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) {
		return 3; /* U+3000 ideographic space */
	}
	return 0;
}

char *
tally_text_trim(char *s)
{
	unsigned char *p = (unsigned char *) s, *end;
	size_t         k;

	if (s == NULL) {
		return s;
	}
	while ((k = blank_len(p)) > 0) {
		p += k;
	}
	end = p + strlen((char *) p);
	while (end > p) {
		if (end[-1] == ' ' || (end[-1] >= '\t' && end[-1] <= '\r')) {
			end--;
		} else if (end - p >= 2 && end[-2] == 0xC2 &&
		    end[-1] == 0xA0) {
			end -= 2;
		} else if (end - p >= 3 && end[-3] == 0xE3 &&
		    end[-2] == 0x80 && end[-1] == 0x80) {
			end -= 3;
		} else {
			break;
		}
	}
	memmove(s, p, (size_t) (end - p));
	s[end - p] = '\0';
	return s;
}

/* Splits UTF-8 text into code points (at most max); returns the count. */
static size_t
code_points(const char *s, unsigned long *cp, size_t max)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t               n = 0;

	while (*p != '\0' && n < max) {
		int           len = *p < 0x80       ? 1
		              : (*p & 0xE0) == 0xC0 ? 2
		              : (*p & 0xF0) == 0xE0 ? 3
		              : (*p & 0xF8) == 0xF0 ? 4
		                                    : 1;
		unsigned long c   = *p;

		for (int i = 1; i < len && p[i] != '\0'; i++) {
			c = (c << 8) | p[i];
		}
		cp[n++] = c;
		for (int i = 0; i < len && *p != '\0'; i++) {
			p++;
		}
	}
	return n;
}

#define EDIT_MAX 128

size_t
tally_edit_distance(const char *a, const char *b)
{
	unsigned long ca[EDIT_MAX], cb[EDIT_MAX];
	size_t        row[EDIT_MAX + 1];
	size_t        na = code_points(a, ca, EDIT_MAX);
	size_t        nb = code_points(b, cb, EDIT_MAX);

	for (size_t j = 0; j <= nb; j++) {
		row[j] = j;
	}
	for (size_t i = 1; i <= na; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t up   = row[j];
			size_t best = diag + (ca[i - 1] != cb[j - 1]);

			if (row[j] + 1 < best) {
				best = row[j] + 1;
			}
			if (row[j - 1] + 1 < best) {
				best = row[j - 1] + 1;
			}
			row[j] = best;
			diag   = up;
		}
	}
	return row[nb];
}

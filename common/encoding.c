/*
 * Detection and conversion of the encodings declared in encoding.h. GBK
 * text is almost never well-formed UTF-8 (its two-byte characters rarely
 * fit UTF-8's continuation pattern for long), so "valid UTF-8" is a
 * reliable test for spreadsheet files that hold any Chinese at all.
 */
#include "encoding.h"

#include "text.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
tally_encoding_parse(const char *name, int *out)
{
	if (name == NULL) {
		return TALLY_EINVAL;
	}
	if (strcasecmp(name, "utf-8") == 0 || strcasecmp(name, "utf8") == 0) {
		*out = TALLY_ENC_UTF8;
	} else if (strcasecmp(name, "gbk") == 0 ||
	    strcasecmp(name, "gb18030") == 0 ||
	    strcasecmp(name, "gb2312") == 0) {
		*out = TALLY_ENC_GB18030;
	} else if (strcasecmp(name, "auto") == 0) {
		*out = TALLY_ENC_AUTO;
	} else {
		return TALLY_EINVAL;
	}
	return TALLY_OK;
}

int
tally_encoding_detect(const char *s, size_t n)
{
	return tally_utf8_valid(s, n) ? TALLY_ENC_UTF8 : TALLY_ENC_GB18030;
}

const char *
tally_encoding_name(int enc)
{
	return enc == TALLY_ENC_GB18030 ? "GB18030" : "UTF-8";
}

/* A copy of UTF-8 text, checked. */
static int
copy_utf8(const char *s, size_t n, char **out, size_t *outlen,
    struct tally_errbuf *eb)
{
	char *copy;

	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;
		n -= 3;
	}
	if (!tally_utf8_valid(s, n)) {
		return tally_fail(eb, TALLY_EDATA,
		    "the file is not valid UTF-8 (saved as GBK? try "
		    "--encoding gbk)");
	}
	copy = malloc(n + 1);
	if (copy == NULL) {
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	memcpy(copy, s, n);
	copy[n] = '\0';
	*out    = copy;
	*outlen = n;
	return TALLY_OK;
}

static int
from_gb18030(const char *s, size_t n, char **out, size_t *outlen,
    struct tally_errbuf *eb)
{
	iconv_t cd;
	char   *buf, *in = (char *) s, *o;
	size_t  cap = n * 2 + 4, inleft = n, oleft;
	int     rv = TALLY_OK;

	/* Every GB18030 character becomes at most 4 UTF-8 bytes from at
	 * least 1, and 2-byte ones (all of GBK's Chinese) at most 3: twice
	 * the input is room for ASCII and GBK; 4-byte sequences fit as
	 * well (4 -> 4). */
	buf = malloc(cap);
	if (buf == NULL) {
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	cd = iconv_open("UTF-8", "GB18030");
	if (cd == (iconv_t) -1) {
		free(buf);
		return tally_fail(eb, TALLY_ECONFIG,
		    "this system's iconv cannot read GB18030");
	}
	o     = buf;
	oleft = cap - 1;
	if (iconv(cd, &in, &inleft, &o, &oleft) == (size_t) -1) {
		rv = tally_fail(eb, TALLY_EDATA,
		    "byte %zu: not valid GB18030/GBK text (%s); saved in "
		    "another encoding? try --encoding utf-8",
		    (size_t) (in - s), strerror(errno));
	}
	iconv_close(cd);
	if (rv != TALLY_OK) {
		free(buf);
		return rv;
	}
	*o      = '\0';
	*out    = buf;
	*outlen = (size_t) (o - buf);
	return TALLY_OK;
}

int
tally_encoding_to_utf8(const char *s, size_t n, int enc, char **out,
    size_t *outlen, int *used, struct tally_errbuf *eb)
{
	int rv;

	if (enc == TALLY_ENC_AUTO) {
		enc = tally_encoding_detect(s, n);
	}
	if (enc == TALLY_ENC_UTF8) {
		rv = copy_utf8(s, n, out, outlen, eb);
	} else {
		rv = from_gb18030(s, n, out, outlen, eb);
	}
	if (rv == TALLY_OK) {
		*used = enc;
	}
	return rv;
}

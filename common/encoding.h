/*
 * The text encodings of files that county offices save: UTF-8 (with or
 * without the byte-order mark Excel writes) or GB18030, of which GBK and
 * GB2312 are subsets (what Excel on Chinese Windows writes as "CSV").
 * Conversion goes through glibc's iconv.
 */
#ifndef TALLY_ENCODING_H
#define TALLY_ENCODING_H

#include "errors.h"

#include <stddef.h>

enum tally_encoding {
	TALLY_ENC_AUTO,    /* decide from the bytes */
	TALLY_ENC_UTF8,    /* UTF-8, a leading byte-order mark dropped */
	TALLY_ENC_GB18030, /* GB18030, GBK or GB2312 */
};

/* Parses the name given to --encoding: utf-8 (utf8), gbk, gb18030 or
 * gb2312 (read as GB18030, which contains them); TALLY_EINVAL otherwise. */
int tally_encoding_parse(const char *name, int *out);

/* The encoding of n bytes at s: UTF-8 when they are well-formed UTF-8
 * (pure ASCII is UTF-8), GB18030 otherwise. */
int tally_encoding_detect(const char *s, size_t n);

const char *tally_encoding_name(int enc);

/* Converts n bytes at s from enc (TALLY_ENC_AUTO: detected) into a new
 * NUL-terminated UTF-8 string *out of *outlen bytes, without a byte-order
 * mark; *used gets the encoding read. The caller frees *out. TALLY_EDATA
 * with eb naming the byte offset when the bytes are not valid in that
 * encoding. */
int tally_encoding_to_utf8(const char *s, size_t n, int enc, char **out,
    size_t *outlen, int *used, struct tally_errbuf *eb);

#endif

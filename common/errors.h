/*
 * Error codes shared by every Tally module. Functions that can fail return
 * one of these; tally_strerror() gives its text. Codes from NNG and SQLite
 * are converted where they are met, so no caller sees a foreign code.
 *
 * Some operations validate user input and must say exactly what was wrong
 * (file, line, field). They take a struct tally_errbuf, which, unlike other
 * out-parameters, is written only on failure.
 */
#ifndef TALLY_ERRORS_H
#define TALLY_ERRORS_H

#include <stddef.h>

enum tally_err {
	TALLY_OK = 0,
	TALLY_EINVAL,    /* bad argument or malformed input */
	TALLY_ENOMEM,    /* out of memory */
	TALLY_ENOENT,    /* no such thing (file, region, indicator, value) */
	TALLY_EEXIST,    /* already exists */
	TALLY_EDATA,     /* input data rejected by validation */
	TALLY_EIO,       /* operating-system I/O failure */
	TALLY_EDB,       /* the SQLite store failed */
	TALLY_ECONFIG,   /* configuration or reference data is wrong */
	TALLY_EPROTO,    /* a peer broke the wire protocol */
	TALLY_ETIMEDOUT, /* an operation ran out of time */
	TALLY_ECLOSED,   /* the object was closed under us */
	TALLY_EBUSY,     /* the resource is locked by someone else */
};

#define TALLY_ERRBUF_SIZE 512

struct tally_errbuf {
	char text[TALLY_ERRBUF_SIZE];
};

const char *tally_strerror(int err);

/* The <sysexits.h> exit code a program should end with after err. */
int tally_exit_code(int err);

/* Writes a formatted message into eb (if eb is not NULL) and returns err,
 * so that validation code can say `return tally_fail(eb, TALLY_EDATA, ...)`.
 */
int tally_fail(struct tally_errbuf *eb, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Replaces control characters (line breaks among them) in s with '?', so
 * that a message quoting user input stays on one line. */
void tally_one_line(char *s);

/* Prefixes eb's text with a formatted string, for callers that add the
 * file and line to a message from a lower layer. */
void tally_errbuf_prefix(struct tally_errbuf *eb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif

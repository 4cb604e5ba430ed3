/*
 * Error texts and the error-buffer helpers declared in errors.h.
 */
#include "errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

const char *
tally_strerror(int err)
{
	switch (err) {
	case TALLY_OK:
		return "success";
	case TALLY_EINVAL:
		return "invalid argument";
	case TALLY_ENOMEM:
		return "out of memory";
	case TALLY_ENOENT:
		return "not found";
	case TALLY_EEXIST:
		return "already exists";
	case TALLY_EDATA:
		return "invalid data";
	case TALLY_EIO:
		return "input/output error";
	case TALLY_EDB:
		return "database error";
	case TALLY_ECONFIG:
		return "configuration error";
	case TALLY_EPROTO:
		return "protocol error";
	case TALLY_ETIMEDOUT:
		return "timed out";
	case TALLY_ECLOSED:
		return "closed";
	case TALLY_EBUSY:
		return "busy";
	}
	return "unknown error";
}

/* Messages quote user input, which may hold line breaks or terminal
 * controls; every error must stay one line, so controls become '?'. */
void
tally_one_line(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char) *s < 0x20 || *s == 0x7F) {
			*s = '?';
		}
	}
}

int
tally_fail(struct tally_errbuf *eb, int err, const char *fmt, ...)
{
	va_list ap;

	if (eb != NULL) {
		va_start(ap, fmt);
		vsnprintf(eb->text, sizeof(eb->text), fmt, ap);
		va_end(ap);
		tally_one_line(eb->text);
	}
	return err;
}

void
tally_errbuf_prefix(struct tally_errbuf *eb, const char *fmt, ...)
{
	char    head[TALLY_ERRBUF_SIZE];
	size_t  hl, ol;
	va_list ap;

	if (eb == NULL) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	/* The message is cut at the buffer's end rather than lost: the
	 * beginning (file, line, field) is what matters most. */
	hl = strlen(head);
	ol = strlen(eb->text);
	if (hl >= sizeof(eb->text)) {
		hl = sizeof(eb->text) - 1;
	}
	if (hl + ol >= sizeof(eb->text)) {
		ol = sizeof(eb->text) - 1 - hl;
	}
	memmove(eb->text + hl, eb->text, ol);
	memcpy(eb->text, head, hl);
	eb->text[hl + ol] = '\0';
	tally_one_line(eb->text);
}

int
tally_exit_code(int err)
{
	switch (err) {
	case TALLY_OK:
		return EX_OK;
	case TALLY_EINVAL:
		return EX_USAGE;
	case TALLY_ENOENT:
		return EX_NOINPUT;
	case TALLY_EEXIST:
		return EX_CANTCREAT;
	case TALLY_EDATA:
	case TALLY_EPROTO:
		return EX_DATAERR;
	case TALLY_ECONFIG:
		return EX_CONFIG;
	case TALLY_ENOMEM:
		return EX_OSERR;
	case TALLY_ETIMEDOUT:
	case TALLY_ECLOSED:
		return EX_UNAVAILABLE;
	case TALLY_EBUSY:
		return EX_TEMPFAIL;
	default:
		return EX_IOERR;
	}
}

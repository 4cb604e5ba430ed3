/*
 * The command-line helpers declared in cli.h.
 */
#include "cli.h"

#include "errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

int
tally_format_parse(const char *s, int *out)
{
	static const char *names[] = { "table", "json", "csv" };

	for (int i = 0; i < 3; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return TALLY_OK;
		}
	}
	return TALLY_EINVAL;
}

int
tally_cli_complain(const char *prog, int ex, const char *fmt, ...)
{
	char    buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tally_one_line(buf);
	fprintf(stderr, "%s: %s\n", prog, buf);
	return ex;
}

int
tally_cli_usage(const char *prog, const char *cmd, const char *msg)
{
	return tally_cli_complain(
	    prog, EX_USAGE, "%s: %s (see %s --help)", cmd, msg, prog);
}

int
tally_cli_load_catalog(const char *prog, struct tally_catalog **cat)
{
	struct tally_errbuf eb = { "" };
	int                 rv = tally_catalog_load_default(cat, &eb);

	if (rv != TALLY_OK) {
		return tally_cli_complain(prog, tally_exit_code(rv), "%s",
		    eb.text[0] ? eb.text : tally_strerror(rv));
	}
	return EX_OK;
}

/*
 * The PEM files of --https (pem.h), read whole.
 */
#include "pem.h"

#include "errors.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>

/* Reads a PEM file whole, for libmicrohttpd's HTTPS options. */
int
hub_pem_read(const char *path, char **out)
{
	FILE  *f    = fopen(path, "r");
	char  *text = NULL;
	size_t len  = 0;
	FILE  *mem;
	int    c;

	if (f == NULL) {
		TALLY_LOG(
		    TALLY_LOG_ERROR, "--https: %s: cannot read it", path);
		return TALLY_ECONFIG;
	}
	mem = open_memstream(&text, &len);
	if (mem == NULL) {
		fclose(f);
		return TALLY_ENOMEM;
	}
	while ((c = fgetc(f)) != EOF) {
		fputc(c, mem);
	}
	fclose(f);
	if (fclose(mem) != 0) {
		free(text);
		return TALLY_ENOMEM;
	}
	*out = text;
	return TALLY_OK;
}

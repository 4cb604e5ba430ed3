/*
 * What a store says about itself (its region or group and its schema),
 * read without opening it for writing: `check-config` may run as root
 * beside a running daemon, and must neither migrate the store nor leave
 * files beside it that the daemon's user cannot write.
 */
#ifndef TALLY_STOREINFO_H
#define TALLY_STOREINFO_H

#include "errors.h"

#include <stddef.h>

#define TALLY_STOREINFO_TEXT 64

struct tally_storeinfo {
	char region[TALLY_STOREINFO_TEXT]; /* "" for a comparison group's */
	char group[TALLY_STOREINFO_TEXT];  /* "" for a region's */
	char schema[16];
};

/* Reads path's meta table read-only. TALLY_ENOENT when there is no file,
 * TALLY_ECONFIG when it is not a Tally store or is of a newer release's
 * schema than this program reads (eb says why). */
int tally_storeinfo_read(
    const char *path, struct tally_storeinfo *out, struct tally_errbuf *eb);

#endif

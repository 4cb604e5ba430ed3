/*
 * The dashboard's first view, in bytes: what a browser fetches to show a
 * hub's page before anyone clicks (the page, the session, the hub's
 * description, the report of the default period one level deep, and the
 * trend and explanation of the first indicator).
 */
#ifndef BENCH_FIRSTVIEW_H
#define BENCH_FIRSTVIEW_H

#include <stdbool.h>
#include <stddef.h>

/* Fetches the first view from the dashboard at http ("http://HOST:PORT/")
 * of region's hub, for year and indicator, saying "Accept-Encoding:
 * gzip" when gzip is set. *bytes receives the bodies' bytes as sent.
 * Returns 0, or -1 when a request fails (said on stderr). */
int bench_first_view(const char *http, const char *region, int year,
    const char *indicator, bool gzip, size_t *bytes);

#endif

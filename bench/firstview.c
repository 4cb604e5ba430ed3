/*
 * The dashboard's first view in bytes (firstview.h), with the same GETs
 * as hub/dashboard.html makes when it opens.
 */
#include "firstview.h"

#include "proc.h"

#include <stdio.h>

int
bench_first_view(const char *http, const char *region, int year,
    const char *indicator, bool gzip, size_t *bytes)
{
	char   paths[6][256], url[768];
	size_t sum = 0;

	snprintf(paths[0], sizeof(paths[0]), "%s", "");
	snprintf(paths[1], sizeof(paths[1]), "%s", "api/session");
	snprintf(paths[2], sizeof(paths[2]), "%s", "api/meta");
	snprintf(paths[3], sizeof(paths[3]), "api/report?period=%04d&depth=1",
	    year);
	snprintf(paths[4], sizeof(paths[4]),
	    "api/trend?region=%s&indicator=%s&grain=year", region, indicator);
	snprintf(paths[5], sizeof(paths[5]),
	    "api/explain?period=%04d&region=%s&indicator=%s", year, region,
	    indicator);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		size_t len    = 0;
		int    status = 0;

		int n = snprintf(url, sizeof(url), "%s%s", http, paths[i]);

		if (n < 0 || (size_t) n >= sizeof(url) ||
		    bench_http_get(url, gzip, &status, &len) != 0 ||
		    status != 200) {
			fprintf(stderr, "tally-bench: GET %s failed (%d)\n",
			    url, status);
			return -1;
		}
		sum += len;
	}
	*bytes = sum;
	return 0;
}

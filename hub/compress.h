/*
 * Answers of the dashboard compressed with gzip for the browsers that
 * accept it. A province's report is megabytes of JSON that compresses
 * tenfold or more, and leaders and county offices read the page over
 * slow links; every browser sends "Accept-Encoding: gzip".
 */
#ifndef HUB_COMPRESS_H
#define HUB_COMPRESS_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

/* Whether conn's request accepts a gzip body: "gzip", "x-gzip" or "*"
 * among its Accept-Encoding codings, without q=0. */
bool hub_compress_wanted(struct MHD_Connection *conn);

/* A response with body (len bytes, taken: freed here in every case),
 * compressed with gzip when gzip is set and the body is long enough to
 * gain, with Content-Encoding: gzip then, and Vary: Accept-Encoding
 * always. NULL when no response could be made. */
struct MHD_Response *hub_compress_response(char *body, size_t len, bool gzip);

/* The same for a body that outlives every response (an embedded page):
 * compressed into a new buffer when gzip is set, else served as it is. */
struct MHD_Response *hub_compress_static(
    const unsigned char *body, size_t len, bool gzip);

#endif

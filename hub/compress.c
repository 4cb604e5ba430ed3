/*
 * gzip for the dashboard's answers (compress.h), with zlib's deflate.
 */
#include "compress.h"

#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* Shorter bodies are sent as they are: a gzip header and trailer are 18
 * bytes, and a short body gains nothing worth a browser's inflating. */
#define COMPRESS_MIN 1024

/* Whether the coding at p (n bytes, blanks trimmed) with its parameters
 * names gzip without refusing it (q=0, q=0.0, ...). */
static bool
coding_takes_gzip(const char *p, size_t n)
{
	const char *semi = memchr(p, ';', n);
	size_t      name = semi != NULL ? (size_t) (semi - p) : n;
	const char *q;

	while (name > 0 && (p[name - 1] == ' ' || p[name - 1] == '\t')) {
		name--;
	}
	if (!((name == 4 && strncasecmp(p, "gzip", 4) == 0) ||
	        (name == 6 && strncasecmp(p, "x-gzip", 6) == 0) ||
	        (name == 1 && p[0] == '*'))) {
		return false;
	}
	if (semi == NULL) {
		return true;
	}
	/* q=0 refuses; any other weight accepts. */
	q = semi + 1;
	while (q < p + n && (*q == ' ' || *q == '\t')) {
		q++;
	}
	if (p + n - q < 3 || strncasecmp(q, "q=", 2) != 0) {
		return true;
	}
	for (q += 2; q < p + n && *q != ' ' && *q != '\t'; q++) {
		if (*q != '0' && *q != '.') {
			return true;
		}
	}
	return false;
}

bool
hub_compress_wanted(struct MHD_Connection *conn)
{
	const char *ae = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	const char *p = ae;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t      n   = end != NULL ? (size_t) (end - p) : strlen(p);

		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		if (coding_takes_gzip(p, n)) {
			return true;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return false;
}

/* Into *out (malloc'd) and *out_len, in with gzip's framing; false when
 * it cannot be made or would be no shorter. */
static bool
deflate_gzip(const void *in, size_t len, unsigned char **out, size_t *out_len)
{
	z_stream       z;
	unsigned char *buf;
	uLong          cap;
	int            rc;

	if (len < COMPRESS_MIN || len > (size_t) UINT32_MAX) {
		return false;
	}
	memset(&z, 0, sizeof(z));
	/* 15 bits of window and 16 for the gzip header; level 6, zlib's
	 * default: a 4 MB report in tens of milliseconds, once per change
	 * (the dashboard keeps the encoded report). */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK) {
		return false;
	}
	cap = deflateBound(&z, (uLong) len);
	buf = malloc(cap);
	if (buf == NULL) {
		deflateEnd(&z);
		return false;
	}
	z.next_in   = (Bytef *) (uintptr_t) in;
	z.avail_in  = (uInt) len;
	z.next_out  = buf;
	z.avail_out = (uInt) cap;
	rc          = deflate(&z, Z_FINISH);
	deflateEnd(&z);
	if (rc != Z_STREAM_END || z.total_out >= len) {
		free(buf);
		return false;
	}
	*out     = buf;
	*out_len = z.total_out;
	return true;
}

/* Adds the headers of a body that was (gz) or could have been
 * compressed; false when one cannot be added. */
static bool
add_coding(struct MHD_Response *resp, bool gz)
{
	return MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY,
	           MHD_HTTP_HEADER_ACCEPT_ENCODING) == MHD_YES &&
	    (!gz ||
	        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING,
	            "gzip") == MHD_YES);
}

/* The response of hub_compress_response (owned: body is freed here) and
 * of hub_compress_static (not owned: body outlives the response). */
static struct MHD_Response *
respond(void *body, size_t len, bool gzip, bool owned)
{
	struct MHD_Response *resp;
	unsigned char       *gz = NULL;
	size_t               gz_len;
	bool                 packed;

	packed = gzip && deflate_gzip(body, len, &gz, &gz_len);
	if (packed) {
		if (owned) {
			free(body);
		}
		resp = MHD_create_response_from_buffer_with_free_callback(
		    gz_len, gz, free);
		if (resp == NULL) {
			free(gz);
		}
	} else if (owned) {
		resp = MHD_create_response_from_buffer_with_free_callback(
		    len, body, free);
		if (resp == NULL) {
			free(body);
		}
	} else {
		resp = MHD_create_response_from_buffer(
		    len, body, MHD_RESPMEM_PERSISTENT);
	}
	if (resp != NULL && !add_coding(resp, packed)) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	if (resp == NULL) {
		TALLY_LOG(TALLY_LOG_ERROR, "http: cannot build a response");
	}
	return resp;
}

struct MHD_Response *
hub_compress_response(char *body, size_t len, bool gzip)
{
	return respond(body, len, gzip, true);
}

struct MHD_Response *
hub_compress_static(const unsigned char *body, size_t len, bool gzip)
{
	return respond((void *) (uintptr_t) body, len, gzip, false);
}

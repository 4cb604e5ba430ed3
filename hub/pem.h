/*
 * A PEM file (the dashboard's --https certificate and key) read whole
 * into memory, as libmicrohttpd takes them.
 */
#ifndef HUB_PEM_H
#define HUB_PEM_H

/* A PEM file, whole and NUL-terminated; the caller frees *out.
 * TALLY_ECONFIG when it cannot be read (logged). */
int hub_pem_read(const char *path, char **out);

#endif

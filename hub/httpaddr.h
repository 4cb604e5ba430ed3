/*
 * Where and how the dashboard listens (http.h): its ADDR:PORT, the URL a
 * browser opens, and the PEM files of --https read into memory, as
 * libmicrohttpd takes them.
 */
#ifndef HUB_HTTPADDR_H
#define HUB_HTTPADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Parses addr (see hub_http_opts in http.h) into a socket address:
 * TALLY_EINVAL when it is malformed. */
int hub_httpaddr_parse(const char *addr, struct sockaddr_storage *ss);

/* The URL a browser on this machine opens for a server bound to ss and
 * port: the bound address, or loopback for every address. */
void hub_httpaddr_url(const struct sockaddr_storage *ss, int port, bool tls,
    char *buf, size_t len);

/* A PEM file, whole and NUL-terminated; the caller frees *out.
 * TALLY_ECONFIG when it cannot be read. */
int hub_httpaddr_read_pem(const char *path, char **out);

#endif

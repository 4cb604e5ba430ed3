/*
 * The address a web page listens on (`tally-hub run --http` and
 * `tally-node serve --http`): ADDR:PORT, [IPv6]:PORT, or PORT alone,
 * which, like an empty address or localhost, is loopback. Port 0 lets
 * the system pick a free port.
 */
#ifndef TALLY_HTTPADDR_H
#define TALLY_HTTPADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Parses addr into *ss; TALLY_EINVAL when it is none of the forms. */
int tally_httpaddr_parse(const char *addr, struct sockaddr_storage *ss);

/* The URL a browser on this machine opens ("http://127.0.0.1:8080/",
 * https:// when tls): the bound address, or loopback for a server that
 * listens on every address. */
void tally_httpaddr_url(const struct sockaddr_storage *ss, int port, bool tls,
    char *buf, size_t len);

#endif

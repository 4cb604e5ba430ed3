/*
 * The listening address of the programs' web pages declared in
 * httpaddr.h.
 */
#include "httpaddr.h"

#include "errors.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int
tally_httpaddr_parse(const char *addr, struct sockaddr_storage *ss)
{
	const char *colon, *port_text;
	char        host[INET6_ADDRSTRLEN + 2];
	size_t      hlen;
	long        port = 0;

	memset(ss, 0, sizeof(*ss));
	if (addr == NULL || addr[0] == '\0') {
		return TALLY_EINVAL;
	}
	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');

		if (end == NULL || end[1] != ':') {
			return TALLY_EINVAL;
		}
		hlen      = (size_t) (end - addr - 1);
		port_text = end + 2;
		if (hlen == 0 || hlen >= sizeof(host)) {
			return TALLY_EINVAL;
		}
		memcpy(host, addr + 1, hlen);
		host[hlen] = '\0';
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL) {
			port_text = addr;
			hlen      = 0;
		} else {
			port_text = colon + 1;
			hlen      = (size_t) (colon - addr);
		}
		if (hlen >= sizeof(host) || memchr(addr, ':', hlen) != NULL) {
			return TALLY_EINVAL;
		}
		memcpy(host, addr, hlen);
		host[hlen] = '\0';
		if (hlen == 0 || strcmp(host, "localhost") == 0) {
			snprintf(host, sizeof(host), "127.0.0.1");
		}
	}
	if (port_text[0] == '\0' || strlen(port_text) > 5) {
		return TALLY_EINVAL;
	}
	for (const char *p = port_text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9') {
			return TALLY_EINVAL;
		}
		port = port * 10 + (*p - '0');
	}
	if (port > 65535) {
		return TALLY_EINVAL;
	}
	if (addr[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) ss;

		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) {
			return TALLY_EINVAL;
		}
		s6->sin6_family = AF_INET6;
		s6->sin6_port   = htons((uint16_t) port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *) ss;

		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
			return TALLY_EINVAL;
		}
		s4->sin_family = AF_INET;
		s4->sin_port   = htons((uint16_t) port);
	}
	return TALLY_OK;
}

void
tally_httpaddr_url(const struct sockaddr_storage *ss, int port, bool tls,
    char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
		    (const struct sockaddr_in6 *) ss;

		if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr) ||
		    inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host)) ==
		        NULL) {
			snprintf(host, sizeof(host), "::1");
		}
		snprintf(buf, len, "%s://[%s]:%d/", tls ? "https" : "http",
		    host, port);
		return;
	}
	{
		const struct sockaddr_in *s4 = (const struct sockaddr_in *) ss;

		if (s4->sin_addr.s_addr == htonl(INADDR_ANY) ||
		    inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host)) ==
		        NULL) {
			snprintf(host, sizeof(host), "127.0.0.1");
		}
	}
	snprintf(buf, len, "%s://%s:%d/", tls ? "https" : "http", host, port);
}

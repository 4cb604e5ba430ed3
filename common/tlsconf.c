/*
 * The TLS options declared in tlsconf.h, over NNG's TLS configuration
 * objects. Only TLS 1.2 is offered: it is what NNG's mbed TLS 2.28 speaks
 * at best, and older versions are refused.
 */
#include "tlsconf.h"

#include <errno.h>
#include <nng/supplemental/tls/tls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Certificates and keys are a few kilobytes; a chain a few more. */
#define TLS_PEM_MAX (256 * 1024)

bool
tally_tls_url(const char *url)
{
	return url != NULL && strncmp(url, "tls+tcp", 7) == 0;
}

bool
tally_tls_any(const struct tally_tls *t)
{
	return t != NULL &&
	    (t->ca != NULL || t->cert != NULL || t->key != NULL ||
	        t->require_client || t->server_name != NULL);
}

/* Reads a PEM file whole into a new string, freed with free(). */
static int
read_pem(const char *path, bool secret, char **out, struct tally_errbuf *eb)
{
	struct stat sb;
	FILE       *f;
	char       *buf;
	size_t      n;

	f = fopen(path, "r");
	if (f == NULL) {
		return tally_fail(
		    eb, TALLY_ECONFIG, "%s: %s", path, strerror(errno));
	}
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > TLS_PEM_MAX) {
		fclose(f);
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s: not a PEM file of at most %d bytes", path,
		    TLS_PEM_MAX);
	}
	if (secret && (sb.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		fclose(f);
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s: the private key is open to others (mode %04o); run "
		    "chmod 600 %s",
		    path, (unsigned) (sb.st_mode & 07777), path);
	}
	buf = calloc(1, (size_t) sb.st_size + 1);
	if (buf == NULL) {
		fclose(f);
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	n = fread(buf, 1, (size_t) sb.st_size, f);
	fclose(f);
	buf[n] = '\0';
	*out   = buf;
	return TALLY_OK;
}

static int
nng_fail(struct tally_errbuf *eb, int rv, const char *what, const char *path)
{
	return tally_fail(eb, TALLY_ECONFIG, "%s%s%s: %s", what,
	    path != NULL ? " " : "", path != NULL ? path : "",
	    nng_strerror(rv));
}

/* Makes the configuration of one side. */
static int
make_config(const struct tally_tls *t, bool server, nng_tls_config **out,
    struct tally_errbuf *eb)
{
	nng_tls_config *cfg  = NULL;
	char           *cert = NULL, *key = NULL;
	int             rv, err;

	rv = nng_tls_config_alloc(
	    &cfg, server ? NNG_TLS_MODE_SERVER : NNG_TLS_MODE_CLIENT);
	if (rv != 0) {
		return nng_fail(eb, rv, "TLS", NULL);
	}
	rv = nng_tls_config_version(cfg, NNG_TLS_1_2, NNG_TLS_1_2);
	if (rv != 0) {
		err = nng_fail(eb, rv, "TLS version", NULL);
		goto fail;
	}
	if (t->ca != NULL) {
		rv = nng_tls_config_ca_file(cfg, t->ca);
		if (rv != 0) {
			err = nng_fail(eb, rv, "--tls-ca", t->ca);
			goto fail;
		}
	}
	if (t->cert != NULL) {
		err = read_pem(t->cert, false, &cert, eb);
		if (err == TALLY_OK) {
			err = read_pem(t->key, true, &key, eb);
		}
		if (err != TALLY_OK) {
			goto fail;
		}
		rv = nng_tls_config_own_cert(cfg, cert, key, NULL);
		if (rv != 0) {
			err =
			    nng_fail(eb, rv, "--tls-cert/--tls-key", t->cert);
			goto fail;
		}
	}
	if (!server && t->server_name != NULL) {
		rv = nng_tls_config_server_name(cfg, t->server_name);
		if (rv != 0) {
			err = nng_fail(eb, rv, "--tls-server-name", NULL);
			goto fail;
		}
	}
	/* A dialer always checks the hub (NNG's default for clients); a
	 * listener checks children only in required mode. */
	rv = nng_tls_config_auth_mode(cfg,
	    !server || t->require_client ? NNG_TLS_AUTH_MODE_REQUIRED
	                                 : NNG_TLS_AUTH_MODE_NONE);
	if (rv != 0) {
		err = nng_fail(eb, rv, "TLS authentication mode", NULL);
		goto fail;
	}
	*out = cfg;
	cfg  = NULL;
	err  = TALLY_OK;
fail:
	free(cert);
	/* The private key stays in memory no longer than needed. */
	if (key != NULL) {
		memset(key, 0, strlen(key));
	}
	free(key);
	if (cfg != NULL) {
		nng_tls_config_free(cfg);
	}
	return err;
}

/* Checks that the options fit the URL and the side. */
static int
check(const char *url, const struct tally_tls *t, bool server,
    struct tally_errbuf *eb)
{
	if (!tally_tls_url(url)) {
		if (tally_tls_any(t)) {
			return tally_fail(eb, TALLY_ECONFIG,
			    "%s: TLS options are for tls+tcp:// URLs only",
			    url);
		}
		return TALLY_OK;
	}
	if ((t == NULL || t->cert == NULL) != (t == NULL || t->key == NULL)) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s: --tls-cert and --tls-key go together", url);
	}
	if (server && (t == NULL || t->cert == NULL)) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s: a TLS listener needs --tls-cert and --tls-key", url);
	}
	if (server && t->require_client && t->ca == NULL) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s: requiring client certificates needs --tls-ca", url);
	}
	if (!server && (t == NULL || t->ca == NULL)) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s: a TLS hub is checked against --tls-ca: give the CA "
		    "that signed its certificate",
		    url);
	}
	if (!server && t->require_client) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s: requiring client certificates is a listener's "
		    "setting",
		    url);
	}
	return TALLY_OK;
}

int
tally_tls_listener(nng_listener l, const char *url, const struct tally_tls *t,
    struct tally_errbuf *eb)
{
	nng_tls_config *cfg;
	int             rv;

	rv = check(url, t, true, eb);
	if (rv != TALLY_OK || !tally_tls_url(url)) {
		return rv;
	}
	rv = make_config(t, true, &cfg, eb);
	if (rv != TALLY_OK) {
		return rv;
	}
	/* The listener holds its own reference. */
	rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, cfg);
	nng_tls_config_free(cfg);
	return rv == 0 ? TALLY_OK : nng_fail(eb, rv, "TLS listener", url);
}

int
tally_tls_dialer(nng_dialer d, const char *url, const struct tally_tls *t,
    struct tally_errbuf *eb)
{
	nng_tls_config *cfg;
	int             rv;

	rv = check(url, t, false, eb);
	if (rv != TALLY_OK || !tally_tls_url(url)) {
		return rv;
	}
	rv = make_config(t, false, &cfg, eb);
	if (rv != TALLY_OK) {
		return rv;
	}
	rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg);
	nng_tls_config_free(cfg);
	return rv == 0 ? TALLY_OK : nng_fail(eb, rv, "TLS dialer", url);
}

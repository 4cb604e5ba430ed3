/*
 * `tally-hub audit`: who submitted what to this hub, when, and what it
 * replaced, read from the append-only audit trail of the hub's database
 * (store.h); and with --verify, an offline check of the whole trail: every
 * stored signature against its body and key, every audited state against
 * the signed body it came in, the chain of the rows, and every figure the
 * hub holds from below against the trail.
 */
#ifndef HUB_AUDIT_H
#define HUB_AUDIT_H

#include "catalog.h"
#include "sign.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct hub_audit_opts {
	const char *region; /* NULL: all; else its states and what it sent */
	const char *period; /* NULL: all; else exactly this period */
	int         format; /* enum tally_format */
	bool        verify;
	/* With verify: also require each signing key to be authorised in
	 * this registry for the envelope's sender. NULL: not checked. */
	const struct tally_keyring *keys;
};

/* Prints the trail, or with opts->verify the check and every problem
 * found; *problems is how many (0 without verify). */
int hub_audit(FILE *out, const struct tally_catalog *cat,
    struct tally_store *st, const struct hub_audit_opts *opts,
    size_t *problems);

#endif

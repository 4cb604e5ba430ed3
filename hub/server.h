/*
 * `tally-hub run`: the hub's server. It receives children's submissions on
 * an NNG REP socket served by several contexts, applies them on a single
 * writer thread that commits in batches (group commit), acknowledges each
 * submission only after its commit, and forwards the hub's own rollup to
 * its parent through the same uplink code the nodes use.
 */
#ifndef HUB_SERVER_H
#define HUB_SERVER_H

#include "catalog.h"
#include "group.h"
#include "http.h"
#include "reload.h"
#include "sign.h"
#include "target.h"
#include "tlsconf.h"

#include <stddef.h>
#include <stdint.h>

/* A comparison hub that a region's hub also reports its own figures to
 * (--compare NAME=URL), beside its parent. */
struct hub_compare {
	const char *group; /* the group the comparison hub serves */
	const char *url;
};

struct hub_config {
	const char *db;
	const char *region; /* NULL for a comparison hub */
	const char *listen;
	const char *parent;     /* NULL: a top hub that forwards nothing */
	const char *ready_file; /* written with the bound URL once listening */
	/* The dashboard's ADDR:PORT (http.h); NULL: no dashboard. Its URL is
	 * the ready file's second line. */
	const char *http;
	/* The dashboard's TLS, sessions and login throttle (http.h); its
	 * addr is http. */
	struct hub_http_opts web;
	int                  contexts; /* concurrent requests in flight */
	/* Due dates for the dashboard; NULL: the default. */
	const struct tally_due *due;
	/* A comparison hub: the group it serves, with region and parent
	 * NULL and no comparison uplinks; it takes each member's own
	 * figures and forwards nothing. NULL for a region's hub. */
	const struct tally_group *group;
	/* A comparison hub's common standards in the text form of group.h,
	 * kept in its database for the comparison to read; NULL: none. */
	const char *standards;
	/* A comparison hub's display name ([group_names]); NULL: none. */
	const char *group_title;
	/* The comparison hubs a region's hub also reports to. */
	const struct hub_compare *compare;
	size_t                    n_compare;
	/* The public keys authorised for the children (keys = FILE): every
	 * envelope must be signed by one of its sender's. NULL: open mode,
	 * unsigned envelopes accepted, with a warning. */
	const struct tally_keyring *keys;
	/* The hub's own key: it signs what it forwards. NULL: unsigned. */
	const struct tally_signer *signer;
	/* TLS of the listener (tls+tcp://), and of the uplinks whose URL is
	 * tls+tcp:// (the parent, the comparison hubs). */
	struct tally_tls tls;
	struct tally_tls uplink_tls;
	/* How far ahead of the hub's clock a state's version may be, in
	 * seconds (max_clock_skew; admit.h). */
	int64_t max_clock_skew_s;
	/* What SIGHUP reads again (reload.h); NULL: a reload only logs. */
	const struct hub_reload_src *reload;
};

/* Runs the hub until SIGINT or SIGTERM. Returns a Tally error code; the
 * reason has been logged. */
int hub_run(const struct tally_catalog *cat, const struct hub_config *cfg);

#endif

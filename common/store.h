/*
 * A region's own store: one SQLite file holding the region's own
 * observations and the version of each (indicator, period) snapshot derived
 * from them. Nodes and hubs both keep their own observations here; the hub
 * adds its own tables to the same file.
 *
 * The file runs in WAL mode with synchronous=FULL, because what is
 * committed here is what a statistician was told is saved. All writes go
 * through tally_store_begin (BEGIN IMMEDIATE) and tally_store_commit, so a
 * batch is written whole or not at all.
 */
#ifndef TALLY_STORE_H
#define TALLY_STORE_H

#include "catalog.h"
#include "errors.h"
#include "rollup.h"
#include "wire.h"

#include <stddef.h>
#include <stdint.h>

struct tally_store;

/* What tally_store_put did. */
enum tally_put_outcome {
	TALLY_PUT_NEW,       /* a first figure for (indicator, period) */
	TALLY_PUT_CORRECTED, /* replaced a different figure */
	TALLY_PUT_UNCHANGED, /* the same figure again: nothing written */
};

/* Creates a new store at path for region. TALLY_EEXIST when path exists,
 * TALLY_ENOENT when region is not in the catalogue. The catalogue must
 * outlive the store. The caller frees the store with tally_store_close. */
int tally_store_create(const char *path, const struct tally_catalog *cat,
    const char *region, struct tally_store **out, struct tally_errbuf *eb);

/* Opens an existing store. TALLY_ENOENT when there is none at path. */
int tally_store_open(const char *path, const struct tally_catalog *cat,
    struct tally_store **out, struct tally_errbuf *eb);

/* Closes and frees st; NULL is accepted. */
void tally_store_close(struct tally_store *st);

const char *tally_store_region(const struct tally_store *st);

/* The random id of this database file, made when it was created. */
const char *tally_store_instance_id(const struct tally_store *st);

int  tally_store_begin(struct tally_store *st);
int  tally_store_commit(struct tally_store *st);
void tally_store_rollback(struct tally_store *st);

/* Records one observation inside a transaction. An observation whose period
 * overlaps another recorded period of the same indicator (a year beside its
 * own months) is refused with TALLY_EDATA and `field period: ...` in eb.
 * A different figure for the same period is a correction: it replaces the
 * old one and raises the version of that period's snapshot and of every
 * coarser snapshot derived from it. */
int tally_store_put(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_obs *obs, int *outcome, struct tally_errbuf *eb);

/* The observations of ind that lie inside period (all of them when period
 * is NULL). The caller frees *out with free(). */
int tally_store_observations(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    struct tally_obs **out, size_t *n);

/* The version of the (ind, period) snapshot; TALLY_ENOENT when none. */
int tally_store_snapshot_version(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    uint64_t *version);

/* The region's figure for (ind, period): its own observations merged with
 * its children's newest states. TALLY_ENOENT when there is no data. */
int tally_store_snapshot(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    struct tally_state *state, uint64_t *version);

/* Applies a child's state inside a transaction, keeping the highest
 * version per (child, indicator, period). *status is TALLY_ACK_ACCEPTED
 * (new or newer: stored, and the region's snapshot recomputed with a new
 * version), TALLY_ACK_DUPLICATE (this version is held already) or
 * TALLY_ACK_STALE (a newer one is held). ws must be valid (status NONE). */
int tally_store_put_child(struct tally_store *st, const char *child,
    const struct tally_wire_state *ws, int *status);

struct tally_child_state {
	char               child[TALLY_REGION_STRLEN];
	struct tally_state state;
	uint64_t           version;
	int64_t            received_at; /* Unix seconds */
};

/* The newest state of every child for (ind, period), by child code. The
 * caller frees *out with free(). */
int tally_store_child_states(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    struct tally_child_state **out, size_t *n);

/* Up to limit snapshots not yet acknowledged on uplink, oldest version
 * first, as states ready to send. The caller frees *out with free(). */
int tally_store_pending(struct tally_store *st, const char *uplink,
    size_t limit, struct tally_wire_state **out, size_t *n);

/* Records, inside a transaction, that the parent on uplink answered for
 * version of (indicator, period). Never lowers what is recorded. */
int tally_store_acked(struct tally_store *st, const char *uplink,
    const char *indicator, const char *period, uint64_t version, int status);

/* The parent's instance id last seen on uplink; TALLY_ENOENT when none. */
int tally_store_uplink_instance(
    struct tally_store *st, const char *uplink, char *buf, size_t len);

/* Records a new instance id for uplink inside a transaction. When it
 * differs from the one held, every acknowledgement on that uplink is
 * forgotten, so that everything is sent again: the parent lost its data. */
int tally_store_set_uplink_instance(
    struct tally_store *st, const char *uplink, const char *instance);

/* A number that changes whenever another connection commits to the file,
 * for daemons that wait for new data. */
int tally_store_data_version(struct tally_store *st, uint64_t *out);

#endif

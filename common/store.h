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
 *
 * A struct tally_store is one connection, opened without SQLite's own
 * mutexes: one thread at a time uses it (a thread that needs the file
 * opens its own).
 */
#ifndef TALLY_STORE_H
#define TALLY_STORE_H

#include "catalog.h"
#include "errors.h"
#include "rollup.h"
#include "wire.h"

#include <stdbool.h>
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
/* TALLY_ECONFIG when schema (the meta table's) is not a number or is newer
 * than this program's: a store of a newer release is refused, because
 * this one would misread it. */
int tally_store_schema_known(
    const char *path, const char *schema, struct tally_errbuf *eb);

int tally_store_create(const char *path, const struct tally_catalog *cat,
    const char *region, struct tally_store **out, struct tally_errbuf *eb);

/* Opens an existing store. TALLY_ENOENT when there is none at path. */
int tally_store_open(const char *path, const struct tally_catalog *cat,
    struct tally_store **out, struct tally_errbuf *eb);

/* Creates a new store for the comparison group name (group.h) with its
 * members in text form ("110000,120000,130000"). A group's store has no
 * region and no observations of its own: it holds the members' own states
 * (tally_store_put_state with via = the member) and, as its snapshots,
 * the group's pooled figure, merged from them exactly as a region's is
 * from its children's. TALLY_EEXIST when path exists. */
int tally_store_create_group(const char *path, const struct tally_catalog *cat,
    const char *name, const char *members, struct tally_store **out,
    struct tally_errbuf *eb);

/* Opens an existing group store. Each kind refuses the other with
 * TALLY_ECONFIG: tally_store_open a group's store, and this a region's. */
int tally_store_open_group(const char *path, const struct tally_catalog *cat,
    struct tally_store **out, struct tally_errbuf *eb);

/* The group's name and members (text form) of a group's store; NULL for
 * a region's store, whose tally_store_region is then "". */
const char *tally_store_group(const struct tally_store *st);
const char *tally_store_group_members(const struct tally_store *st);

/* The group's common standards in the text form of group.h, "" when none
 * are set. The caller frees *out with free(). */
int tally_store_group_standards(struct tally_store *st, char **out);

/* Replaces the group's standards (a group's store only). */
int tally_store_set_group_standards(struct tally_store *st, const char *text);

/* The group's display name (京津冀), "" when none was given; the caller
 * frees *out. Set, like the standards, when the comparison hub starts. */
int tally_store_group_title(struct tally_store *st, char **out);
int tally_store_set_group_title(struct tally_store *st, const char *text);

/* Closes and frees st; NULL is accepted. */
void tally_store_close(struct tally_store *st);

const char *tally_store_region(const struct tally_store *st);

/* The random id of this database file, made when it was created. */
const char *tally_store_instance_id(const struct tally_store *st);

/* Gives the store a new instance id (outside a transaction, or inside
 * the caller's): every child that reads it in an acknowledgement sends
 * all its states again, as after a restore from a backup. */
int tally_store_renew_instance(struct tally_store *st);

/* Gives every state of the store's own (its snapshots) one new version,
 * above all it gave before, in a transaction of its own, so that they
 * are pending again and win over what the parent was sent after a
 * backup: a county store restored from a copy then holds its parent to
 * exactly the restored figures. *changed receives how many. */
int tally_store_restamp(struct tally_store *st, size_t *changed);

int  tally_store_begin(struct tally_store *st);
int  tally_store_commit(struct tally_store *st);
void tally_store_rollback(struct tally_store *st);

/* A read transaction: everything read between these two calls comes from
 * one commit, so a report never mixes the states before and after a
 * submission. It never blocks the writer (WAL). */
int  tally_store_read_begin(struct tally_store *st);
void tally_store_read_end(struct tally_store *st);

/* Records one observation inside a transaction. An observation whose period
 * overlaps another recorded period of the same indicator (a year beside its
 * own months) is refused with TALLY_EDATA and `field period: ...` in eb.
 * A different figure for the same period is a correction: it replaces the
 * old one and raises the version of that period's snapshot and of every
 * coarser snapshot derived from it. */
int tally_store_put(struct tally_store *st, const struct tally_indicator *ind,
    const struct tally_obs *obs, int *outcome, struct tally_errbuf *eb);

/* Withdraws, inside a transaction, the observation recorded for (ind,
 * period): it is removed, the history keeps it up to now, and the
 * period's snapshot and every coarser one derived from it are recomputed
 * without it under one new version, set in *version (the snapshot of a
 * period left without data becomes a state without data, which every
 * level above applies like any newer version). TALLY_ENOENT, with
 * `field period: ...` in eb, when nothing is recorded for (ind, period).
 * The reason and the withdrawn mark are the caller's (reason.h). */
int tally_store_withdraw(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    uint64_t *version, struct tally_errbuf *eb);

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

/* Applies a state that the direct child via sent, inside a transaction,
 * keeping the highest version per (region, indicator, period). The state
 * is the child's own (ws->region empty or equal to via), or that of a
 * region below the child, which the caller has checked. *status is
 * TALLY_ACK_ACCEPTED (new or newer: stored; for the child's own state the
 * region's snapshot is recomputed with a new version), TALLY_ACK_DUPLICATE
 * (this version is held already, with the same figures), TALLY_ACK_STALE
 * (a newer one is held) or TALLY_ACK_REJECTED: a conflict, this version
 * is held with other figures (sums, leaves, min and max, newest period or
 * what it leaves out), with the reason in ws->reason; nothing changes.
 * ws must be valid (status NONE). */
int tally_store_put_state(struct tally_store *st, const char *via,
    struct tally_wire_state *ws, int *status);

/* A state held for a region below the store's region. */
struct tally_region_state {
	char               region[TALLY_REGION_STRLEN];
	char               via[TALLY_REGION_STRLEN]; /* the direct child */
	struct tally_state state;
	uint64_t           version;
	int64_t            first_received_ms; /* first arrival, Unix ms */
	int64_t            received_ms;       /* this version's arrival */
	/* What the region left out of its state as sent (catalog.h); the
	 * state read back is the region's figure, with them added. */
	char leaves_out[TALLY_LEAVES_OUT_STRLEN];
};

/* The newest own state of every direct child for (ind, period), by code.
 * The caller frees *out with free(). */
int tally_store_child_states(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    struct tally_region_state **out, size_t *n);

/* The newest state of every region held below the store's region for
 * (ind, period), direct children and deeper, by code. The caller frees
 * *out with free(). */
int tally_store_held_states(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    struct tally_region_state **out, size_t *n);

/* The state held for one region below; TALLY_ENOENT when none. */
int tally_store_region_state(struct tally_store *st, const char *region,
    const struct tally_indicator *ind, const struct tally_period *period,
    struct tally_region_state *out);

/* Every period the store has a figure for (its own or a region's below),
 * oldest first, a year before its quarters and months. The caller frees
 * *out with free(). */
int tally_store_periods(
    struct tally_store *st, struct tally_period **out, size_t *n);

/* Up to limit states not yet acknowledged on uplink, as states ready to
 * send: the region's own snapshots first, oldest version first, then,
 * when with_below is set, the states held for the regions below (with
 * their region and received times set). The caller frees *out with
 * free(). */
int tally_store_pending(struct tally_store *st, const char *uplink,
    size_t limit, bool with_below, struct tally_wire_state **out, size_t *n);

/* tally_store_pending for the parent hub hub (a region code, or a
 * comparison group's name; NULL: no filter): with changes of parent
 * (catalog.h), only the states whose period belongs to hub are pending
 * on this uplink. The region's own snapshots for a period go to its
 * parent for that period; a state from below goes only while its region
 * lies below both the store's region and hub for its period. */
int tally_store_pending_to(struct tally_store *st, const char *uplink,
    const char *hub, size_t limit, bool with_below,
    struct tally_wire_state **out, size_t *n);

/* Brings the region's snapshots in line with the catalogue's changes of
 * parent (catalog.h) when they differ from those of the last call, in one
 * transaction: every snapshot is recomputed with the children of its
 * period and what the region leaves out and absorbs, and written with a
 * new version where it differs (all of them when what the region leaves
 * out changed), so that the change goes upward. States held are kept: a
 * period before the change still counts them. A snapshot that a state
 * made by another division_changes.csv would enter is held as it was
 * until that state is replaced. The store gets a new instance id, so
 * that its children send everything again. *changed is how many
 * snapshots were rewritten, *held how many were held. A region's store
 * only. */
int tally_store_regroup(struct tally_store *st, size_t *changed, size_t *held);

/* Records, inside a transaction, that the parent on uplink answered for
 * version of (region, indicator, period); region "" is the store's own.
 * Never lowers what is recorded. */
int tally_store_acked(struct tally_store *st, const char *uplink,
    const char *region, const char *indicator, const char *period,
    uint64_t version, int status);

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

/* How many rows this connection has written since it was opened: what
 * tally_store_data_version does not count. */
int tally_store_own_changes(struct tally_store *st, uint64_t *out);

/* The audit trail: every envelope a hub accepted, with its body, its
 * signature and the key that verified it, and for each state it changed,
 * what the state replaced. The tables refuse UPDATE and DELETE (triggers),
 * and each envelope's row carries a BLAKE2b chain over every row before
 * it, so that a row changed or removed later is found by recomputing the
 * chain (hub/audit.c). */
#define TALLY_AUDIT_CHAIN_BYTES 32

/* An accepted envelope. Pointers are borrowed. */
struct tally_audit_envelope {
	int64_t        id;          /* set by the store */
	int64_t        received_ms; /* Unix ms at the hub */
	const char    *sender;      /* the submission's sender region */
	const char    *key_id;      /* "" when unsigned (open mode) */
	const uint8_t *public_key;  /* 32 bytes; NULL when unsigned */
	const uint8_t *signature;   /* NULL when unsigned */
	size_t         sig_len;
	const uint8_t *body; /* the exact signed body bytes */
	size_t         body_len;
	/* The chain of this row, set by the store. */
	uint8_t chain[TALLY_AUDIT_CHAIN_BYTES];
};

/* A state an envelope changed, and what it replaced. */
struct tally_audit_item {
	uint32_t           seq; /* the state's index in the submission */
	char               region[TALLY_REGION_STRLEN];
	char               indicator[TALLY_WIRE_TEXT_MAX];
	char               period[TALLY_PERIOD_STRLEN];
	uint64_t           version;
	struct tally_state state; /* sums and leaves */
	bool               has_prev;
	uint64_t           prev_version;
	struct tally_state prev; /* sums and leaves */
	char               prev_via[TALLY_REGION_STRLEN];
	/* The state's end-to-end signature as it came (wire.h), and the
	 * public key that verified it when the hub checked it. */
	bool    has_origin;
	uint8_t origin_sig[TALLY_SIGN_BYTES];
	char    origin_key_id[TALLY_KEY_ID_STRLEN];
	bool    has_origin_pk;
	uint8_t origin_pk[TALLY_PUBLIC_BYTES];
};

/* Creates the audit tables in a store made before they existed. */
int tally_store_audit_ensure(struct tally_store *st);

/* tally_store_put_state that also fills *item with what the state
 * replaced, when *status is TALLY_ACK_ACCEPTED. seq is the state's index
 * in its submission. */
int tally_store_put_state_audited(struct tally_store *st, const char *via,
    struct tally_wire_state *ws, uint32_t seq, struct tally_audit_item *item,
    int *status);

/* Appends env and its n items inside a transaction; sets env->id and
 * env->chain. */
int tally_store_audit_append(struct tally_store *st,
    struct tally_audit_envelope *env, const struct tally_audit_item *items,
    size_t n);

/* The chain of a row: BLAKE2b over the previous row's chain (zeros for
 * the first), the envelope and its items. */
void tally_store_audit_chain(const uint8_t prev[TALLY_AUDIT_CHAIN_BYTES],
    const struct tally_audit_envelope     *env,
    const struct tally_audit_item *items, size_t n,
    uint8_t out[TALLY_AUDIT_CHAIN_BYTES]);

/* Called for each envelope in order with its items; the pointers are
 * valid during the call only. A non-zero return stops the walk and is
 * returned. */
typedef int (*tally_audit_fn)(void    *arg,
    const struct tally_audit_envelope *env,
    const struct tally_audit_item *items, size_t n);

/* Walks the audit trail. With region or period (NULL: any), only the
 * items of that region or period are given, and envelopes without one
 * are skipped. */
int tally_store_audit_each(struct tally_store *st, const char *region,
    const char *period, tally_audit_fn fn, void *arg);

/* Called for a state held that the audit trail does not back: no
 * audited state has its version (envelope 0), or the one that has
 * differs from it. */
typedef int (*tally_unbacked_fn)(
    void *arg, const struct tally_audit_item *held, int64_t envelope);

/* Checks every state held from below against the audit trail. */
int tally_store_audit_unbacked(
    struct tally_store *st, tally_unbacked_fn fn, void *arg);

/* Whether the hub that writes to this store runs in open mode (no keys):
 * set by the hub at start, read by reports to warn. */
int tally_store_set_open_mode(struct tally_store *st, bool open);

/* TALLY_ENOENT when no hub has run on this store. */
int tally_store_open_mode(struct tally_store *st, bool *open);

/* The history: every version of every state the store has held (its own
 * snapshots, and each state of a region below it) and of its own
 * observations, each held from the time (Unix ms, at this store) of the
 * transaction that wrote it. It is appended in the same transaction as
 * every change, so history and current state never disagree. The _asof
 * functions read what the store held at as_of_ms: per key, the newest
 * version held from as_of_ms or earlier. Each behaves as the function of
 * the same name without _asof; nothing is found before a key's first
 * version arrived. */
int tally_store_snapshot_asof(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    int64_t as_of_ms, struct tally_state *state, uint64_t *version);

int tally_store_held_states_asof(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    int64_t as_of_ms, struct tally_region_state **out, size_t *n);

/* period must not be NULL. */
int tally_store_observations_asof(struct tally_store *st,
    const struct tally_indicator *ind, const struct tally_period *period,
    int64_t as_of_ms, struct tally_obs **out, size_t *n);

/* Forgets, inside a transaction, every version that was replaced at or
 * before before_ms: what the store held at before_ms and at every later
 * time stays, so an as-of report of those times is unchanged, and one of
 * an earlier time can no longer be made. Sets *removed to the rows
 * removed. */
int tally_store_prune_history(
    struct tally_store *st, int64_t before_ms, uint64_t *removed);

/* The time from which the history is whole (the latest prune), in Unix
 * ms; 0 when it was never pruned. */
int tally_store_history_from(struct tally_store *st, int64_t *ms);

/* The SQLite connection, for the modules that keep their own tables in
 * the store's file (refusal.h); it stays the store's. */
struct sqlite3;
struct sqlite3 *tally_store_handle(struct tally_store *st);

/* rc, a failed SQLite call's code on db (NULL: none open), logged with
 * what was being done and converted to a Tally error: the one place
 * SQLite's codes become Tally's, for the store and the tables kept
 * beside it (reply.c, reason.c, refusal.c, account.c). */
int tally_store_sqlite_error(struct sqlite3 *db, int rc, const char *what);

/* Reads the instance id again: another process (tally-hub repair) may
 * have given the file a new one. */
int tally_store_instance_refresh(struct tally_store *st);

/* A held state an operator dropped (tally-hub repair). */
struct tally_repair_item {
	char               region[TALLY_REGION_STRLEN];
	char               via[TALLY_REGION_STRLEN];
	char               indicator[TALLY_WIRE_TEXT_MAX];
	char               period[TALLY_PERIOD_STRLEN];
	uint64_t           version;
	struct tally_state state;
};

/* Drops, in one transaction, every state held for region (of indicator
 * and period when they are not NULL) whose version is above limit, such
 * as one from a clock years ahead that would make every honest version
 * after it stale: from the held states, from their history above limit
 * and from every uplink's acknowledgements above limit (the honest state
 * that replaces it is sent on). The snapshots it entered are recomputed
 * with new versions; each drop is appended to the audit trail
 * (audit_repair); and the store gets a new instance id, so that every
 * child sends all its states again and the honest one lands. *out (the
 * caller frees it with free()) lists what was dropped, *n of them. */
int tally_store_repair(struct tally_store *st, const char *region,
    const char *indicator, const char *period, uint64_t limit,
    struct tally_repair_item **out, size_t *n);

/* Called for each repair recorded in the audit trail, oldest first: when
 * (Unix ms), the state dropped, and the instance id the store got. */
typedef int (*tally_repair_fn)(void *arg, int64_t at_ms,
    const struct tally_repair_item *it, const char *new_instance);

/* Walks the repairs of the audit trail, of region and period when they
 * are not NULL. */
int tally_store_audit_repairs(struct tally_store *st, const char *region,
    const char *period, tally_repair_fn fn, void *arg);

/* Caps the connection's page cache at kib KiB (SQLite's default is
 * 2 MiB): for a long-running process that reads little, such as an idle
 * county node. */
int tally_store_set_cache_kib(struct tally_store *st, int kib);

#endif

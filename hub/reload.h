/*
 * `systemctl reload` (SIGHUP) for a running hub: the keys file, the
 * targets and the due dates are read again while every connection stays
 * up and every acknowledged submission stays acknowledged.
 *
 * The keyring is held by reference: an NNG callback takes a reference
 * for the time it verifies one envelope (a mutex held for a pointer copy
 * and a count, never while anything is read or verified), and a reload
 * swaps in the new keyring; the old one is freed by whoever lets go of
 * it last. Submissions already verified stay verified.
 */
#ifndef HUB_RELOAD_H
#define HUB_RELOAD_H

#include "catalog.h"
#include "sign.h"
#include "target.h"

struct hub_keys;
struct hub_keyref;

/* Holds kr (not owned: the caller's, freed by the caller after
 * hub_keys_free). kr NULL: open mode, which a reload does not change. */
int hub_keys_new(const struct tally_keyring *kr, struct hub_keys **out);

/* Frees the holder and every keyring a reload loaded; no reference may
 * be held any more. */
void hub_keys_free(struct hub_keys *k);

/* The current keyring (NULL in open mode) and a reference to pass back
 * to hub_keys_release. Never waits for a reload's file reading. */
const struct tally_keyring *hub_keys_acquire(
    struct hub_keys *k, struct hub_keyref **ref);

void hub_keys_release(struct hub_keys *k, struct hub_keyref *ref);

/* What a reload reads: the paths and command-line values the hub was
 * started with. */
struct hub_reload_src {
	const char *config;   /* -c FILE, or NULL */
	const char *keys;     /* the keys file, or NULL (open mode) */
	const char *targets;  /* --targets, over the file's */
	const char *due_days; /* --due-days, over the file's */
};

/* The settings a reload made: a catalogue with the targets, and the due
 * dates; the caller frees them with hub_reload_settings_free. */
struct hub_reloaded {
	struct tally_catalog *cat;
	struct tally_due      due;
};

/* Reads the keys file into k (swapped in only when it is good) and the
 * targets and due dates into *out. Logs what it did; on a bad file
 * nothing changes and the reason is logged with its file and line. */
int hub_reload_run(const struct hub_reload_src *src, struct hub_keys *k,
    struct hub_reloaded *out);

void hub_reload_settings_free(struct hub_reloaded *r);

#endif

/*
 * The reload of reload.h. Everything is read and checked first; only
 * then is anything swapped, so a reload from a broken file changes
 * nothing and the hub goes on with what it had.
 */
#include "reload.h"

#include "errors.h"
#include "inifile.h"
#include "log.h"
#include "text.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct hub_keyref {
	const struct tally_keyring *kr;
	struct tally_keyring       *owned; /* loaded by a reload */
	int                         refs;  /* the holder's one included */
	struct hub_keyref          *next;  /* every ref made, for the free */
};

struct hub_keys {
	pthread_mutex_t    mtx;
	struct hub_keyref *cur;
};

int
hub_keys_new(const struct tally_keyring *kr, struct hub_keys **out)
{
	struct hub_keys *k = calloc(1, sizeof(*k));

	if (k == NULL) {
		return TALLY_ENOMEM;
	}
	k->cur = calloc(1, sizeof(*k->cur));
	if (k->cur == NULL) {
		free(k);
		return TALLY_ENOMEM;
	}
	k->cur->kr   = kr;
	k->cur->refs = 1;
	pthread_mutex_init(&k->mtx, NULL);
	*out = k;
	return TALLY_OK;
}

void
hub_keys_free(struct hub_keys *k)
{
	if (k == NULL) {
		return;
	}
	tally_keyring_free(k->cur->owned);
	free(k->cur);
	pthread_mutex_destroy(&k->mtx);
	free(k);
}

const struct tally_keyring *
hub_keys_acquire(struct hub_keys *k, struct hub_keyref **ref)
{
	struct hub_keyref *r;

	pthread_mutex_lock(&k->mtx);
	r = k->cur;
	r->refs++;
	pthread_mutex_unlock(&k->mtx);
	*ref = r;
	return r->kr;
}

/* Drops one reference; the last frees a keyring that was replaced. */
static void
unref_locked(struct hub_keyref *r, struct hub_keyref **dead)
{
	r->refs--;
	*dead = r->refs == 0 ? r : NULL;
}

static void
free_ref(struct hub_keyref *r)
{
	if (r != NULL) {
		tally_keyring_free(r->owned);
		free(r);
	}
}

void
hub_keys_release(struct hub_keys *k, struct hub_keyref *ref)
{
	struct hub_keyref *dead;

	pthread_mutex_lock(&k->mtx);
	unref_locked(ref, &dead);
	pthread_mutex_unlock(&k->mtx);
	free_ref(dead);
}

/* Makes kr the current keyring (owned from now on). */
static int
keys_swap(struct hub_keys *k, struct tally_keyring *kr)
{
	struct hub_keyref *r = calloc(1, sizeof(*r)), *old, *dead;

	if (r == NULL) {
		tally_keyring_free(kr);
		return TALLY_ENOMEM;
	}
	r->kr    = kr;
	r->owned = kr;
	r->refs  = 1;
	pthread_mutex_lock(&k->mtx);
	old    = k->cur;
	k->cur = r;
	unref_locked(old, &dead);
	pthread_mutex_unlock(&k->mtx);
	free_ref(dead);
	return TALLY_OK;
}

/* A whole number of days, 0..3660. */
static bool
days_of(const char *s, int *out)
{
	double d;

	if (tally_parse_double(s, &d) != TALLY_OK || d < 0 || d > 3660 ||
	    d != (int) d) {
		return false;
	}
	*out = (int) d;
	return true;
}

/* The targets and due dates of the file and the command line, into a
 * fresh catalogue and due table. */
static int
read_settings(const struct hub_reload_src *src, struct hub_reloaded *out)
{
	struct tally_inifile         *ini     = NULL;
	struct tally_errbuf           eb      = { "" };
	const struct tally_ini_entry *e       = NULL;
	const char                   *targets = src->targets;
	const char                   *days    = src->due_days;
	int                           rv, n;

	memset(out, 0, sizeof(*out));
	tally_due_init(&out->due);
	rv = tally_catalog_load_default(&out->cat, &eb);
	if (rv == TALLY_OK && src->config != NULL) {
		rv = tally_inifile_load(src->config, &ini, &eb);
	}
	if (rv == TALLY_OK && ini != NULL) {
		e       = tally_inifile_get(ini, "hub", "targets");
		targets = targets != NULL ? targets
		    : e != NULL           ? e->value
		                          : NULL;
		e       = tally_inifile_get(ini, "hub", "due_days");
		days    = days != NULL ? days : e != NULL ? e->value : NULL;
		for (size_t i = 0; rv == TALLY_OK && i < ini->n; i++) {
			const struct tally_indicator *ind;

			e = &ini->entries[i];
			if (strcmp(e->section, "due") != 0) {
				continue;
			}
			ind = tally_catalog_indicator(out->cat, e->name);
			if (ind == NULL || !days_of(e->value, &n) ||
			    tally_due_set(&out->due, out->cat, ind, n) !=
			        TALLY_OK) {
				rv = tally_fail(&eb, TALLY_ECONFIG,
				    "%s:%zu: [due] %s: not an indicator and a "
				    "number of days",
				    src->config, e->line, e->name);
			}
		}
	}
	if (rv == TALLY_OK && days != NULL) {
		if (days_of(days, &n)) {
			out->due.default_days = n;
		} else {
			rv = tally_fail(&eb, TALLY_ECONFIG,
			    "due_days: '%s' is not a number of days", days);
		}
	}
	if (rv == TALLY_OK && targets != NULL) {
		rv = tally_target_add_file(out->cat, targets, &eb);
	}
	tally_inifile_free(ini);
	if (rv != TALLY_OK) {
		TALLY_LOG(TALLY_LOG_ERROR, "reload: %s; nothing changed",
		    eb.text[0] ? eb.text : tally_strerror(rv));
		hub_reload_settings_free(out);
	}
	return rv;
}

int
hub_reload_run(const struct hub_reload_src *src, struct hub_keys *k,
    struct hub_reloaded *out)
{
	struct tally_keyring *kr = NULL;
	struct tally_errbuf   eb = { "" };
	int                   rv = read_settings(src, out);

	if (rv != TALLY_OK) {
		return rv;
	}
	if (src->keys != NULL) {
		rv = tally_keyring_load(src->keys, out->cat, &kr, &eb);
		if (rv != TALLY_OK) {
			TALLY_LOG(TALLY_LOG_ERROR,
			    "reload: %s; nothing changed", eb.text);
			hub_reload_settings_free(out);
			return rv;
		}
		TALLY_LOG(TALLY_LOG_INFO, "reload: %zu keys authorised (%s)",
		    tally_keyring_count(kr), src->keys);
		rv = keys_swap(k, kr);
	} else {
		TALLY_LOG(TALLY_LOG_WARN,
		    "reload: OPEN MODE stays open mode: a keys file needs a "
		    "restart");
	}
	if (rv != TALLY_OK) {
		hub_reload_settings_free(out);
	}
	return rv;
}

void
hub_reload_settings_free(struct hub_reloaded *r)
{
	tally_due_fini(&r->due);
	tally_catalog_free(r->cat);
	r->cat = NULL;
}

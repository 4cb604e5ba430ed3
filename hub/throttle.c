/*
 * The login throttle of throttle.h: a fixed table, so that a flood of
 * made-up names cannot grow the server's memory; when it is full, the
 * entry failed longest ago gives way.
 */
#include "throttle.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THROTTLE_SLOTS 1024

struct slot {
	char    key[80]; /* "n:" name or "a:" address; "" when free */
	int     failures;
	int64_t last_ms;
};

struct hub_throttle {
	int64_t     base_ms;
	struct slot slots[THROTTLE_SLOTS];
};

struct hub_throttle *
hub_throttle_new(int64_t base_s)
{
	struct hub_throttle *t = calloc(1, sizeof(*t));

	if (t != NULL) {
		t->base_ms = base_s * 1000;
	}
	return t;
}

void
hub_throttle_free(struct hub_throttle *t)
{
	free(t);
}

static const struct slot *
lookup(const struct hub_throttle *t, const char *key, int64_t now_ms)
{
	for (size_t i = 0; i < THROTTLE_SLOTS; i++) {
		const struct slot *s = &t->slots[i];

		if (s->key[0] != '\0' && strcmp(s->key, key) == 0 &&
		    now_ms - s->last_ms < HUB_THROTTLE_FORGET_S * 1000LL) {
			return s;
		}
	}
	return NULL;
}

/* The wait after n counted failures. */
static int64_t
delay_ms(const struct hub_throttle *t, int n)
{
	int64_t d = t->base_ms;

	if (n <= 0) {
		return 0;
	}
	for (int i = 1; i < n && d < HUB_THROTTLE_MAX_S * 1000LL; i++) {
		d *= 2;
	}
	return d < HUB_THROTTLE_MAX_S * 1000LL ? d
	                                       : HUB_THROTTLE_MAX_S * 1000LL;
}

static int64_t
remaining(
    const struct hub_throttle *t, const char *key, int free_n, int64_t now_ms)
{
	const struct slot *s = lookup(t, key, now_ms);
	int64_t            until;

	if (s == NULL) {
		return 0;
	}
	until = s->last_ms + delay_ms(t, s->failures - free_n);
	return until > now_ms ? until - now_ms : 0;
}

int64_t
hub_throttle_wait(const struct hub_throttle *t, const char *name,
    const char *address, int64_t now_ms)
{
	char    key[80];
	int64_t a, b;

	snprintf(key, sizeof(key), "n:%s", name);
	a = remaining(t, key, 0, now_ms);
	snprintf(key, sizeof(key), "a:%s", address);
	b = remaining(t, key, HUB_THROTTLE_ADDR_FREE, now_ms);
	return a > b ? a : b;
}

static void
count(struct hub_throttle *t, const char *key, int64_t now_ms)
{
	struct slot *s = (struct slot *) lookup(t, key, now_ms);

	if (s == NULL) {
		s = &t->slots[0];
		for (size_t i = 0; i < THROTTLE_SLOTS; i++) {
			struct slot *c = &t->slots[i];

			if (strcmp(c->key, key) == 0) {
				/* Forgotten by age: counted afresh. */
				s = c;
				break;
			}
			if (c->key[0] == '\0' || c->last_ms < s->last_ms) {
				s = c;
			}
		}
		snprintf(s->key, sizeof(s->key), "%s", key);
		s->failures = 0;
	}
	s->failures++;
	s->last_ms = now_ms;
}

void
hub_throttle_failed(struct hub_throttle *t, const char *name,
    const char *address, int64_t now_ms)
{
	char key[80];

	snprintf(key, sizeof(key), "n:%s", name);
	count(t, key, now_ms);
	snprintf(key, sizeof(key), "a:%s", address);
	count(t, key, now_ms);
}

void
hub_throttle_succeeded(struct hub_throttle *t, const char *name)
{
	char key[80];

	snprintf(key, sizeof(key), "n:%s", name);
	for (size_t i = 0; i < THROTTLE_SLOTS; i++) {
		if (strcmp(t->slots[i].key, key) == 0) {
			memset(&t->slots[i], 0, sizeof(t->slots[i]));
		}
	}
}

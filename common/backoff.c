/*
 * The retry backoff of backoff.h. The jitter comes from libsodium's
 * randombytes, seeded by the kernel in every process: random() unseeded
 * gives every process the same sequence, which is no jitter at all.
 */
#include "backoff.h"

#include <sodium.h>

int
tally_backoff_next(struct tally_backoff *b)
{
	int half;

	if (b->ceiling_ms < TALLY_BACKOFF_FIRST_MS) {
		b->ceiling_ms = TALLY_BACKOFF_FIRST_MS;
	}
	half          = b->ceiling_ms / 2;
	b->ceiling_ms = b->ceiling_ms > TALLY_BACKOFF_MAX_MS / 2
	    ? TALLY_BACKOFF_MAX_MS
	    : b->ceiling_ms * 2;
	return half + (int) randombytes_uniform((uint32_t) half + 1);
}

void
tally_backoff_reset(struct tally_backoff *b)
{
	b->ceiling_ms = 0;
}

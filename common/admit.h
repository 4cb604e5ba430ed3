/*
 * Admission: every rule a figure must satisfy before a Tally program takes
 * it, in one place. tally-node holds each observation a person enters to
 * tally_admit_obs; every hub holds each state it receives, a child's own
 * and each one forwarded from below, to tally_admit_state and its version
 * to tally_admit_version, so that a county's state forwarded by its city is
 * held to the county's rules at the city and again at the province; a
 * store refuses to make a version from a clock that tally_admit_mint finds
 * wrong. A state a node could not have made is refused wherever it shows
 * up, never merged.
 *
 * Each check returns TALLY_OK or TALLY_EDATA; on TALLY_EDATA, why (len
 * bytes) holds one line that names the wire field (or, for an observation,
 * *field holds the input field) and says what is wrong.
 */
#ifndef TALLY_ADMIT_H
#define TALLY_ADMIT_H

#include "catalog.h"
#include "period.h"
#include "rollup.h"

#include <stddef.h>
#include <stdint.h>

/* How far ahead of a hub's clock a version may be, and how far behind the
 * newest version it made a node's clock may be, by default: one day. */
#define TALLY_ADMIT_SKEW_DEFAULT_S 86400
/* The largest skew a hub may be configured with: ten years. */
#define TALLY_ADMIT_SKEW_MAX_S (3660LL * 86400LL)
/* Versions are Unix microseconds; a clock that reads before 2020-01-01
 * is wrong (Tally did not exist), and nothing is minted from it. */
#define TALLY_ADMIT_EPOCH_US 1577836800000000ULL
/* The largest whole number a double holds exactly: a count above it has
 * lost its units. */
#define TALLY_ADMIT_COUNT_MAX 9007199254740992.0

/* The numbers of one observation of ind: none negative; for a percentage,
 * the numerator at most the denominator; for any ratio, a denominator of
 * 0 only with a numerator of 0; a count a whole number within 2^53; a
 * weight above 0. *field is the input field at fault ("numerator",
 * "denominator", "value" or "weight"). */
int tally_admit_obs(const struct tally_indicator *ind,
    const struct tally_obs *o, const char **field, char *why, size_t len);

/* A state of region for (ind, period), as a hub receives it. Beyond the
 * rules of the observations it sums (tally_admit_obs, applied to the sums):
 * a state without data (no newest period) holds nothing; `leaves` is 1 for
 * a leaf region with data and at most the leaf regions below region for
 * period otherwise (0 only for a hub's own observations, which are not a
 * leaf); min and max come together, only with a leaf counted, credit leaf
 * regions at or below region for period (a leaf's are itself, with its
 * own value for both, or none), min <= max, and fit the figure: within [0,
 * factor] for a percentage, at most the total for a count, equal for one leaf.
 * A ratio's or weighted mean's total is not held between min and max: a hub's
 * own observations enter its sums but not its min and max. */
int tally_admit_state(const struct tally_catalog *cat,
    const struct tally_indicator *ind, const char *region,
    const struct tally_period *period, const struct tally_state *s, char *why,
    size_t len);

/* A withdrawn state (a region taking back what it sent for an
 * (indicator, period)): it holds no data at all, no newest period, sums
 * and leaves 0, no min or max, so that the levels above, which replace
 * the region's state with it, drop the region's contribution exactly.
 * One that carries data is refused, whatever the data. */
int tally_admit_withdrawn(const struct tally_state *s, char *why, size_t len);

/* The most bytes of a reason a region gives for a change (a correction
 * or a withdrawal): 255 bytes of UTF-8, about 85 Chinese characters. */
#define TALLY_ADMIT_REASON_MAX 255

/* A reason as a person typed it: one line of UTF-8 without control
 * characters, not blank, at most TALLY_ADMIT_REASON_MAX bytes. A longer
 * one is refused, never cut: a cut reason would say something else. */
int tally_admit_reason(const char *text, char *why, size_t len);

/* A version as a hub receives it, against the hub's clock now_us: at most
 * skew_s seconds ahead. A version further ahead would make every honest
 * version after it stale until the clock caught up. */
int tally_admit_version(
    uint64_t version, uint64_t now_us, int64_t skew_s, char *why, size_t len);

/* Whether a store may make a version from the clock now_us when the
 * newest version it made is newest (0: none): the clock must read after
 * TALLY_ADMIT_EPOCH_US and not more than skew_s seconds before newest,
 * or it is wrong and the versions it would give could not be trusted to
 * grow. */
int tally_admit_mint(
    uint64_t now_us, uint64_t newest, int64_t skew_s, char *why, size_t len);

/* The wall clock in Unix microseconds, as versions count it. */
uint64_t tally_admit_now_us(void);

#endif

/*
 * The approval status of a region in a report, declared in
 * report_approval.h.
 */
#include "report_approval.h"

#include "clock.h"

#include <string.h>

enum { ST_UNAPPROVED, ST_PARTLY, ST_APPROVED };

static const char *const status_names[] = { "unapproved", "partly",
	"approved" };

/* The status of region as approved by its parent: the covering approval
 * in force in *found when approved; *last the time of the newest covering
 * approval, reopened or not (0: none). */
static int
by_parent(const struct tally_catalog *cat, const struct tally_approval *list,
    size_t n, const char *region, const struct tally_period *period,
    const struct tally_approval **found, int64_t *last)
{
	const struct tally_division *d  = tally_catalog_division(cat, region);
	int                          st = ST_UNAPPROVED;

	*found = NULL;
	*last  = 0;
	for (size_t i = 0; d != NULL && i < n; i++) {
		const struct tally_approval *a = &list[i];
		struct tally_period          ap;

		if (strcmp(a->child, region) != 0 ||
		    strcmp(a->approver, d->parent_code) != 0 ||
		    tally_period_parse(a->period, &ap) != 0) {
			continue;
		}
		if (tally_period_contains(&ap, period) &&
		    a->approved_ms > *last) {
			*last = a->approved_ms;
		}
		if (a->reopened_ms > 0) {
			continue;
		}
		if (tally_period_contains(&ap, period)) {
			if (*found == NULL ||
			    a->approved_ms > (*found)->approved_ms) {
				*found = a;
			}
			st = ST_APPROVED;
		} else if (tally_period_contains(period, &ap) &&
		    st == ST_UNAPPROVED) {
			st = ST_PARTLY;
		}
	}
	return st;
}

/* The hub's own region: by its children. */
static int
by_children(const struct tally_catalog *cat, const struct tally_approval *list,
    size_t n, const char *region, const struct tally_period *period,
    const struct tally_approval **latest, int64_t *last)
{
	const struct tally_division *d = tally_catalog_division(cat, region);
	size_t kids = 0, approved = 0, partly = 0, ever = 0;

	*latest = NULL;
	*last   = 0;
	if (d == NULL) {
		return ST_UNAPPROVED;
	}
	for (size_t k = d->first_child; k != TALLY_NO_INDEX;
	     k        = cat->divisions[k].next_sibling) {
		const struct tally_approval *a  = NULL;
		int64_t                      t  = 0;
		int                          st = by_parent(
		                             cat, list, n, cat->divisions[k].code, period, &a, &t);

		kids++;
		ever += t > 0;
		*last = t > *last ? t : *last;
		approved += st == ST_APPROVED;
		partly += st != ST_UNAPPROVED;
		if (a != NULL &&
		    (*latest == NULL ||
		        a->approved_ms > (*latest)->approved_ms)) {
			*latest = a;
		}
	}
	if (kids == 0 || ever < kids) {
		*last = 0;
	}
	if (kids > 0 && approved == kids) {
		return ST_APPROVED;
	}
	*latest = NULL;
	return partly > 0 ? ST_PARTLY : ST_UNAPPROVED;
}

json_t *
hub_report_approval(const struct tally_catalog *cat,
    const struct tally_approval *list, size_t n, const char *hub_region,
    const char *region, const struct tally_period *period, int64_t *as_of_ms)
{
	const struct tally_approval *a = NULL;
	char                         at[TALLY_CLOCK_ISO_STRLEN];
	bool                         own = strcmp(region, hub_region) == 0;
	int                          st;

	st = own ? by_children(cat, list, n, region, period, &a, as_of_ms)
	         : by_parent(cat, list, n, region, period, &a, as_of_ms);
	if (a == NULL) {
		return json_pack("{s:s, s:n, s:n, s:n}", "status",
		    status_names[st], "by", "at", "digest");
	}
	tally_clock_format_iso(a->approved_ms, at, sizeof(at));
	if (own) {
		/* Each child has its own digest: the newest approval's time
		 * says when the whole became official. */
		return json_pack("{s:s, s:s, s:s, s:n}", "status",
		    status_names[st], "by", a->approver, "at", at, "digest");
	}
	return json_pack("{s:s, s:s, s:s, s:s}", "status", status_names[st],
	    "by", a->approver, "at", at, "digest", a->digest);
}

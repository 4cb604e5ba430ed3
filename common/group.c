/*
 * Region groups and their common standards, declared in group.h.
 */
#include "group.h"

#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
tally_group_name_valid(const char *s)
{
	size_t n;

	if (s == NULL || !(s[0] >= 'a' && s[0] <= 'z')) {
		return false;
	}
	n = strlen(s);
	return n < TALLY_GROUP_STRLEN && tally_ident_valid(s);
}

int
tally_group_member_index(const struct tally_group *g, const char *code)
{
	for (size_t i = 0; i < g->n_members; i++) {
		if (strcmp(g->members[i], code) == 0) {
			return (int) i;
		}
	}
	return -1;
}

/* Copies the next comma-separated item of *p into buf without the blanks
 * around it, and moves *p past it. False when the item does not fit. */
static bool
next_item(const char **p, char *buf, size_t len)
{
	const char *s = *p, *end = strchr(s, ',');
	size_t      n;

	if (end == NULL) {
		end = s + strlen(s);
	}
	*p = *end == ',' ? end + 1 : end;
	while (s < end && (*s == ' ' || *s == '\t')) {
		s++;
	}
	while (end > s && (end[-1] == ' ' || end[-1] == '\t')) {
		end--;
	}
	n = (size_t) (end - s);
	if (n >= len) {
		return false;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

int
tally_group_parse(const struct tally_catalog *cat, const char *name,
    const char *members, struct tally_group *g, struct tally_errbuf *eb)
{
	struct tally_group           got;
	const struct tally_division *first = NULL;
	const char                  *p     = members;

	if (!tally_group_name_valid(name)) {
		return tally_fail(eb, TALLY_EINVAL,
		    "group name '%s' must be 1 to %d characters of a-z, 0-9 "
		    "and _, starting with a letter",
		    name != NULL ? name : "", TALLY_GROUP_STRLEN - 1);
	}
	memset(&got, 0, sizeof(got));
	snprintf(got.name, sizeof(got.name), "%s", name);
	while (p != NULL && *p != '\0') {
		char                         code[16];
		const struct tally_division *d;

		if (!next_item(&p, code, sizeof(code))) {
			return tally_fail(eb, TALLY_EINVAL,
			    "group %s: members: an item is not a region code",
			    name);
		}
		if (!tally_region_code_valid(code)) {
			return tally_fail(eb, TALLY_EINVAL,
			    "group %s: members: '%.15s' is not a region code",
			    name, code);
		}
		d = tally_catalog_division(cat, code);
		if (d == NULL) {
			return tally_fail(eb, TALLY_EINVAL,
			    "group %s: members: unknown region code %s", name,
			    code);
		}
		if (first != NULL && d->level != first->level) {
			return tally_fail(eb, TALLY_EINVAL,
			    "group %s: members: %s is a %s, %s a %s: a group "
			    "compares regions of one level",
			    name, code, tally_level_name(d->level),
			    first->code, tally_level_name(first->level));
		}
		if (tally_group_member_index(&got, code) >= 0) {
			return tally_fail(eb, TALLY_EINVAL,
			    "group %s: members: %s is listed twice", name,
			    code);
		}
		if (got.n_members == TALLY_GROUP_MEMBERS_MAX) {
			return tally_fail(eb, TALLY_EINVAL,
			    "group %s: members: more than %d", name,
			    TALLY_GROUP_MEMBERS_MAX);
		}
		if (first == NULL) {
			first = d;
		}
		memcpy(
		    got.members[got.n_members++], code, TALLY_REGION_STRLEN);
	}
	if (got.n_members < 2) {
		return tally_fail(eb, TALLY_EINVAL,
		    "group %s: members: a group compares at least two "
		    "regions",
		    name);
	}
	*g = got;
	return TALLY_OK;
}

void
tally_group_members_text(const struct tally_group *g, char *buf, size_t len)
{
	size_t used = 0;

	if (len == 0) {
		return;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < g->n_members && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s",
		    i > 0 ? "," : "", g->members[i]);
		if (n < 0) {
			break;
		}
		used += (size_t) n;
	}
}

int
tally_standards_init(
    struct tally_standards *s, const struct tally_catalog *cat)
{
	memset(s, 0, sizeof(*s));
	s->items = calloc(
	    cat->n_indicators > 0 ? cat->n_indicators : 1, sizeof(*s->items));
	if (s->items == NULL) {
		return TALLY_ENOMEM;
	}
	s->n = cat->n_indicators;
	return TALLY_OK;
}

void
tally_standards_fini(struct tally_standards *s)
{
	if (s == NULL) {
		return;
	}
	free(s->items);
	s->items = NULL;
	s->n     = 0;
}

int
tally_standards_set(struct tally_standards *s, const struct tally_catalog *cat,
    const char *id, const char *text, struct tally_errbuf *eb)
{
	const struct tally_indicator *ind = tally_catalog_indicator(cat, id);
	size_t                        k;
	double                        v;

	if (ind == NULL) {
		return tally_fail(eb, TALLY_EINVAL, "unknown indicator '%s'",
		    id != NULL ? id : "");
	}
	k = (size_t) (ind - cat->indicators);
	if (k >= s->n) {
		return tally_fail(
		    eb, TALLY_EINVAL, "unknown indicator '%s'", id);
	}
	if (strcmp(text, "strictest") == 0) {
		s->items[k].rule  = TALLY_STANDARD_STRICTEST;
		s->items[k].value = 0;
		return TALLY_OK;
	}
	if (tally_parse_double(text, &v) != TALLY_OK) {
		return tally_fail(eb, TALLY_EINVAL,
		    "%s: '%s' is neither 'strictest' nor a number", id, text);
	}
	s->items[k].rule  = TALLY_STANDARD_VALUE;
	s->items[k].value = v;
	return TALLY_OK;
}

int
tally_standards_text(const struct tally_standards *s,
    const struct tally_catalog *cat, char **out)
{
	size_t cap = 1, used = 0;
	char  *buf;

	for (size_t k = 0; k < s->n; k++) {
		cap += strlen(cat->indicators[k].id) + 40;
	}
	buf = malloc(cap);
	if (buf == NULL) {
		return TALLY_ENOMEM;
	}
	buf[0] = '\0';
	for (size_t k = 0; k < s->n; k++) {
		const struct tally_standard *st = &s->items[k];
		int                          n;

		if (st->rule == TALLY_STANDARD_NONE) {
			continue;
		}
		if (st->rule == TALLY_STANDARD_STRICTEST) {
			n = snprintf(buf + used, cap - used, "%s%s=strictest",
			    used > 0 ? "," : "", cat->indicators[k].id);
		} else {
			n = snprintf(buf + used, cap - used, "%s%s=%.17g",
			    used > 0 ? "," : "", cat->indicators[k].id,
			    st->value);
		}
		if (n < 0 || (size_t) n >= cap - used) {
			free(buf);
			return TALLY_EINVAL;
		}
		used += (size_t) n;
	}
	*out = buf;
	return TALLY_OK;
}

int
tally_standards_parse(struct tally_standards *s,
    const struct tally_catalog *cat, const char *text, struct tally_errbuf *eb)
{
	const char *p = text;

	while (p != NULL && *p != '\0') {
		char  item[128];
		char *eq;
		int   rv;

		if (!next_item(&p, item, sizeof(item))) {
			return tally_fail(eb, TALLY_EINVAL,
			    "standards: an item is too long");
		}
		eq = strchr(item, '=');
		if (eq == NULL) {
			return tally_fail(eb, TALLY_EINVAL,
			    "standards: '%s' is not ID=RULE", item);
		}
		*eq = '\0';
		rv  = tally_standards_set(s, cat, item, eq + 1, eb);
		if (rv != TALLY_OK) {
			return rv;
		}
	}
	return TALLY_OK;
}

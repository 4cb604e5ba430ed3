/*
 * Who may see and do what on the hub's web pages (docs/accounts.md): a
 * user sees only their region and what lies below it, and an answer that
 * would name anything outside that scope is not sent. The JSON documents
 * of report.h are made for the whole hub; hub_access_filter turns one into
 * what a scoped user may read and then checks every string of it, so that
 * a field added to a report later cannot leak unnoticed: a document that
 * still names a region outside the scope is withheld (TALLY_EDATA).
 */
#ifndef HUB_ACCESS_H
#define HUB_ACCESS_H

#include "account.h"
#include "catalog.h"
#include "store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* What a user may do, each for a region. */
enum hub_action {
	HUB_ACTION_READ,    /* pages, reports, explanations, trends */
	HUB_ACTION_EXPORT,  /* CSV, Excel and PDF downloads */
	HUB_ACTION_UPLOAD,  /* sending figures from the page */
	HUB_ACTION_APPROVE, /* approving and reopening a child's figures */
};

/* True when code is scope or lies below it in the catalogue's tree. */
bool hub_access_in_scope(
    const struct tally_catalog *cat, const char *scope, const char *code);

/* Whether a user of role and scope may do action for region: reading
 * anywhere in the scope; exports and uploads for operators and
 * approvers; approving only for approvers, and only for the direct
 * children of their region. */
bool hub_access_may(const struct tally_catalog *cat, const char *scope,
    int role, enum hub_action action, const char *region);

/* On a comparison hub, a user sees the group only when every member lies
 * in their scope: a member office would otherwise read its peers'
 * figures. members is the store's comma-separated list. */
bool hub_access_group(
    const struct tally_catalog *cat, const char *scope, const char *members);

/* The catalogue's region names, sorted, so that every string of an
 * answer can be looked up among them quickly. cat must outlive it. */
struct hub_access_names;
int hub_access_names_new(
    const struct tally_catalog *cat, struct hub_access_names **out);
void hub_access_names_free(struct hub_access_names *names);

/* Makes doc (of /api/meta, report, explain or trend) what a user of scope
 * may read, then checks it: TALLY_EDATA, logged, when it still names a
 * region outside the scope (the caller withholds it). names is the
 * index of cat. */
int hub_access_filter(const struct tally_catalog *cat,
    const struct hub_access_names *names, const char *scope, json_t *doc);

/* Keeps in meta (the document of /api/meta) only the periods for which
 * the store holds a state of scope, a region below the hub's, and picks
 * its default period among them, so that a user is offered only the
 * periods their scope reported. */
int hub_access_periods(
    struct tally_store *st, const char *scope, json_t *meta);

#endif

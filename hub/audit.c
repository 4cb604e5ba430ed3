/*
 * The audit command declared in audit.h. Listing and checking both walk
 * the trail through the store in the order the hub accepted the
 * envelopes; the check decodes each stored body again with the same
 * decoder the hub used, so that what the trail says was accepted is
 * compared with what was signed.
 */
#include "audit.h"

#include "approval.h"
#include "clock.h"

#include "cli.h"
#include "errors.h"
#include "figure.h"
#include "number.h"
#include "reason.h"
#include "wire.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

/* Unix ms as ISO 8601 UTC with milliseconds. */
static void
format_ms(int64_t ms, char *buf, size_t len)
{
	time_t    t = (time_t) (ms / 1000);
	struct tm tm;
	char      stamp[32];

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", stamp, (int) (ms % 1000));
}

static const char *
key_text(const struct tally_audit_envelope *env)
{
	return env->signature != NULL ? env->key_id : "unsigned";
}

struct list_ctx {
	FILE               *out;
	struct tally_store *st;
	int                 format;
	json_t             *envelopes; /* JSON only */
	json_t             *repairs;   /* JSON only */
};

/* Why the region changed the state (reason.h): whether it is a
 * withdrawal, and its reason, "" for none given. */
struct item_reason {
	bool withdrawn;
	char text[TALLY_WIRE_CHANGE_REASON_MAX];
};

static int
item_reason(struct list_ctx *c, const struct tally_audit_item *it,
    struct item_reason *r)
{
	int rv = tally_reason_get(c->st, it->region, it->indicator, it->period,
	    it->version, &r->withdrawn, r->text, sizeof(r->text));

	if (rv == TALLY_ENOENT) {
		r->withdrawn = false;
		r->text[0]   = '\0';
		rv           = TALLY_OK;
	}
	return rv;
}

static json_t *
item_json(const struct tally_audit_item *it, const struct item_reason *r)
{
	json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:I, s:f, s:f, s:i}",
	    "seq", (int) it->seq, "region", it->region, "indicator",
	    it->indicator, "period", it->period, "version",
	    (json_int_t) it->version, "sum_a", it->state.sum_a, "sum_b",
	    it->state.sum_b, "leaves", (int) it->state.leaves);

	if (o == NULL) {
		return NULL;
	}
	if (it->has_prev) {
		json_object_set_new(o, "replaced",
		    json_pack("{s:I, s:f, s:f, s:i, s:s}", "version",
		        (json_int_t) it->prev_version, "sum_a", it->prev.sum_a,
		        "sum_b", it->prev.sum_b, "leaves",
		        (int) it->prev.leaves, "via", it->prev_via));
	} else {
		json_object_set_new(o, "replaced", json_null());
	}
	json_object_set_new(o, "origin_key_id",
	    it->has_origin ? json_string(it->origin_key_id) : json_null());
	json_object_set_new(o, "withdrawn", json_boolean(r->withdrawn));
	json_object_set_new(o, "change_reason",
	    r->text[0] != '\0' ? json_string(r->text) : json_null());
	return o;
}

static int
list_json(struct list_ctx *c, const struct tally_audit_envelope *env,
    const struct tally_audit_item *items, size_t n)
{
	char    when[40];
	json_t *states = json_array();
	json_t *o;

	format_ms(env->received_ms, when, sizeof(when));
	o = json_pack("{s:I, s:s, s:I, s:s, s:o, s:b, s:I}", "envelope",
	    (json_int_t) env->id, "received_at", when, "received_ms",
	    (json_int_t) env->received_ms, "sender", env->sender, "key_id",
	    env->signature != NULL ? json_string(env->key_id) : json_null(),
	    "signed", env->signature != NULL, "body_bytes",
	    (json_int_t) env->body_len);
	if (o == NULL || states == NULL) {
		json_decref(o);
		json_decref(states);
		return TALLY_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct item_reason r;
		int                rv = item_reason(c, &items[i], &r);

		if (rv != TALLY_OK) {
			json_decref(o);
			json_decref(states);
			return rv;
		}
		json_array_append_new(states, item_json(&items[i], &r));
	}
	json_object_set_new(o, "states", states);
	json_array_append_new(c->envelopes, o);
	return TALLY_OK;
}

static int
list_fn(void *arg, const struct tally_audit_envelope *env,
    const struct tally_audit_item *items, size_t n)
{
	struct list_ctx *c = arg;
	char             when[40];

	if (c->format == TALLY_FORMAT_JSON) {
		return list_json(c, env, items, n);
	}
	format_ms(env->received_ms, when, sizeof(when));
	for (size_t i = 0; i < n; i++) {
		const struct tally_audit_item *it = &items[i];
		struct item_reason             r;
		int                            rv = item_reason(c, it, &r);

		if (rv != TALLY_OK) {
			return rv;
		}
		if (c->format == TALLY_FORMAT_CSV) {
			char a[TALLY_NUMBER_STRLEN], b[TALLY_NUMBER_STRLEN];

			tally_number_shortest(it->state.sum_a, a, sizeof(a));
			tally_number_shortest(it->state.sum_b, b, sizeof(b));
			fprintf(c->out,
			    "%" PRId64 ",%s,%s,%s,%s,%s,%s,%" PRIu64
			    ",%s,%s,%u,",
			    env->id, when, env->sender,
			    env->signature != NULL ? env->key_id : "",
			    it->region, it->indicator, it->period, it->version,
			    a, b, it->state.leaves);
			if (it->has_prev) {
				tally_number_shortest(
				    it->prev.sum_a, a, sizeof(a));
				tally_number_shortest(
				    it->prev.sum_b, b, sizeof(b));
				fprintf(c->out, "%" PRIu64 ",%s,%s,%u,%s,",
				    it->prev_version, a, b, it->prev.leaves,
				    it->prev_via);
			} else {
				fprintf(c->out, ",,,,,");
			}
			fprintf(c->out, "%s,%s,",
			    it->has_origin ? it->origin_key_id : "",
			    r.withdrawn ? "yes" : "");
			tally_figure_csv_field(c->out, r.text);
			fputc('\n', c->out);
			continue;
		}
		fprintf(c->out,
		    "%8" PRId64 " %-24s %-6s %-16s %-6s %-32s %-7s %17" PRIu64
		    " %14.15g %14.15g %6u  ",
		    env->id, when, env->sender, key_text(env), it->region,
		    it->indicator, it->period, it->version, it->state.sum_a,
		    it->state.sum_b, it->state.leaves);
		if (it->has_prev) {
			fprintf(c->out, "v%" PRIu64 " %.15g/%.15g (%u)",
			    it->prev_version, it->prev.sum_a, it->prev.sum_b,
			    it->prev.leaves);
		} else {
			fprintf(c->out, "new");
		}
		if (r.withdrawn || r.text[0] != '\0') {
			fprintf(c->out, "  %s: %s",
			    r.withdrawn ? "withdrawn" : "reason", r.text);
		}
		fputc('\n', c->out);
	}
	return TALLY_OK;
}

/* A repair (tally-hub repair) as the listing shows it. */
static int
repair_fn(void *arg, int64_t at_ms, const struct tally_repair_item *it,
    const char *new_instance)
{
	struct list_ctx *c = arg;
	char             when[40];

	format_ms(at_ms, when, sizeof(when));
	if (c->format == TALLY_FORMAT_JSON) {
		json_t *o = json_pack(
		    "{s:s, s:I, s:s, s:s, s:s, s:I, s:s, s:f, s:f, s:i, s:s}",
		    "at", when, "at_ms", (json_int_t) at_ms, "region",
		    it->region, "indicator", it->indicator, "period",
		    it->period, "dropped_version", (json_int_t) it->version,
		    "via", it->via, "sum_a", it->state.sum_a, "sum_b",
		    it->state.sum_b, "leaves", (int) it->state.leaves,
		    "new_instance", new_instance);

		return o == NULL || json_array_append_new(c->repairs, o) != 0
		    ? TALLY_ENOMEM
		    : TALLY_OK;
	}
	if (c->format == TALLY_FORMAT_TABLE) {
		fprintf(c->out,
		    "repair %s: dropped %s %s %s v%" PRIu64
		    " (%.15g, %.15g, %u leaves, received through %s); new "
		    "instance %s\n",
		    when, it->region, it->indicator, it->period, it->version,
		    it->state.sum_a, it->state.sum_b, it->state.leaves,
		    it->via, new_instance);
	}
	return TALLY_OK;
}

static int
list(FILE *out, struct tally_store *st, const struct hub_audit_opts *o)
{
	struct list_ctx c = { out, st, o->format, NULL, NULL };
	int             rv;

	if (o->format == TALLY_FORMAT_JSON) {
		c.envelopes = json_array();
		c.repairs   = json_array();
		if (c.envelopes == NULL || c.repairs == NULL) {
			json_decref(c.envelopes);
			json_decref(c.repairs);
			return TALLY_ENOMEM;
		}
	} else if (o->format == TALLY_FORMAT_CSV) {
		fprintf(out,
		    "envelope,received_at,sender,key_id,region,"
		    "indicator,period,version,sum_a,sum_b,leaves,"
		    "prev_version,prev_sum_a,prev_sum_b,prev_leaves,"
		    "prev_via,origin_key_id,withdrawn,change_reason\n");
	} else {
		fprintf(out,
		    "%8s %-24s %-6s %-16s %-6s %-32s %-7s %17s %14s %14s "
		    "%6s  %s\n",
		    "envelope", "received (UTC)", "sender", "key", "region",
		    "indicator", "period", "version", "sum_a", "sum_b",
		    "leaves", "replaced");
	}
	rv = tally_store_audit_each(st, o->region, o->period, list_fn, &c);
	/* The repairs after the envelopes: the CSV keeps its columns. */
	if (rv == TALLY_OK) {
		rv = tally_store_audit_repairs(
		    st, o->region, o->period, repair_fn, &c);
	}
	if (rv == TALLY_OK && c.envelopes != NULL) {
		json_t *doc =
		    json_pack("{s:s, s:O, s:O}", "hub", tally_store_region(st),
		        "envelopes", c.envelopes, "repairs", c.repairs);

		if (doc == NULL ||
		    json_dumpf(doc, out,
		        JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0) {
			rv = TALLY_EIO;
		}
		fputc('\n', out);
		json_decref(doc);
	}
	json_decref(c.envelopes);
	json_decref(c.repairs);
	return rv;
}

struct verify_ctx {
	FILE                       *out;
	int                         format;
	const struct tally_catalog *cat;
	const struct tally_keyring *keys;
	uint8_t                     chain[TALLY_AUDIT_CHAIN_BYTES];
	size_t                      envelopes;
	size_t                      states;
	size_t                      verified;
	size_t                      unsigned_n;
	size_t                      origins;        /* origin sigs verified */
	size_t                      origin_missing; /* states without one */
	size_t                      problems;
	size_t                      approvals;        /* checked */
	size_t                      approvals_signed; /* signatures good */
	json_t                     *list;             /* JSON only */
};

/* Records one problem: a line of text, or an entry of the JSON list. */
__attribute__((format(printf, 3, 4))) static void
problem(struct verify_ctx *v, int64_t envelope, const char *fmt, ...)
{
	char    msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A tampered database can hold anything: keep each problem on its
	 * own line. */
	tally_one_line(msg);
	v->problems++;
	if (v->list != NULL) {
		json_array_append_new(v->list,
		    json_pack("{s:I, s:s}", "envelope", (json_int_t) envelope,
		        "problem", msg));
	} else if (envelope > 0) {
		fprintf(v->out, "envelope %" PRId64 ": %s\n", envelope, msg);
	} else {
		fprintf(v->out, "%s\n", msg);
	}
}

static void
check_signature(struct verify_ctx *v, const struct tally_audit_envelope *env)
{
	char           id[TALLY_KEY_ID_STRLEN];
	const char    *region;
	const uint8_t *pk;
	int            res;

	if (env->signature == NULL) {
		v->unsigned_n++;
		return;
	}
	if (env->public_key == NULL) {
		problem(v, env->id, "signed, but no public key is stored");
		return;
	}
	tally_sign_key_id(env->public_key, id);
	if (strcmp(id, env->key_id) != 0) {
		problem(v, env->id,
		    "key id %.20s is not the id of the stored public key (%s)",
		    env->key_id, id);
	}
	if (!tally_sign_check(env->public_key, env->body, env->body_len,
	        env->signature, env->sig_len)) {
		problem(v, env->id,
		    "bad signature: the body or the signature was changed "
		    "(sender %s, key %s)",
		    env->sender, id);
		return;
	}
	v->verified++;
	if (v->keys == NULL) {
		return;
	}
	res = tally_keyring_verify(v->keys, env->body, env->body_len,
	    env->signature, env->sig_len, id, &region, &pk);
	if (res != TALLY_VERIFY_OK) {
		problem(v, env->id, "key %s: %s in the keys file", id,
		    tally_verify_reason(res));
	} else if (strcmp(region, env->sender) != 0) {
		problem(v, env->id,
		    "key %s is authorised for %s, not for the sender %s", id,
		    region, env->sender);
	}
}

/* Whether an audited item says what the signed body says. */
static bool
item_matches(
    const struct tally_submission *sub, const struct tally_audit_item *it)
{
	const struct tally_wire_state *ws;
	const char                    *region;

	if (it->seq >= sub->n_states) {
		return false;
	}
	ws     = &sub->states[it->seq];
	region = ws->region[0] != '\0' ? ws->region : sub->sender;
	return ws->status == TALLY_ACK_NONE &&
	    strcmp(region, it->region) == 0 &&
	    strcmp(ws->indicator, it->indicator) == 0 &&
	    strcmp(ws->period_text, it->period) == 0 &&
	    ws->version == it->version && ws->state.sum_a == it->state.sum_a &&
	    ws->state.sum_b == it->state.sum_b &&
	    ws->state.leaves == it->state.leaves;
}

/* Whether the audited origin (signature, key id) is the one in the body. */
static bool
origin_matches(
    const struct tally_wire_state *ws, const struct tally_audit_item *it)
{
	if (ws->has_origin != it->has_origin) {
		return false;
	}
	return !it->has_origin ||
	    (strcmp(ws->origin_key_id, it->origin_key_id) == 0 &&
	        memcmp(ws->origin_sig, it->origin_sig, TALLY_SIGN_BYTES) == 0);
}

/* Checks the end-to-end signature of an audited state, over the claim
 * made from the signed body's state: with the public key the hub stored
 * when it verified it, and with --keys against the keys file for the
 * state's region. */
static void
check_origin(struct verify_ctx *v, const struct tally_audit_envelope *env,
    const struct tally_wire_state *ws, const struct tally_audit_item *it)
{
	struct tally_claim c;
	char               period[TALLY_PERIOD_STRLEN];
	char               newest[TALLY_PERIOD_STRLEN];
	char               id[TALLY_KEY_ID_STRLEN];
	bool               ok = true;

	if (!origin_matches(ws, it)) {
		problem(v, env->id,
		    "state %u (%s %s %s v%" PRIu64
		    "): its origin signature differs from the signed body",
		    it->seq, it->region, it->indicator, it->period,
		    it->version);
		return;
	}
	if (!it->has_origin) {
		v->origin_missing++;
		if (v->keys != NULL) {
			problem(v, env->id,
			    "state %u (%s %s %s v%" PRIu64
			    "): no origin signature",
			    it->seq, it->region, it->indicator, it->period,
			    it->version);
		}
		return;
	}
	tally_wire_state_claim(ws, it->region, period, newest, &c);
	if (it->has_origin_pk) {
		tally_sign_key_id(it->origin_pk, id);
		if (strcmp(id, it->origin_key_id) != 0) {
			problem(v, env->id,
			    "state %u: origin key id %s is not the id of the "
			    "stored public key (%s)",
			    it->seq, it->origin_key_id, id);
			ok = false;
		} else if (!tally_claim_check(it->origin_pk, &c,
		               it->origin_sig, TALLY_SIGN_BYTES)) {
			problem(v, env->id,
			    "state %u (%s %s %s v%" PRIu64
			    "): bad origin signature of key %s",
			    it->seq, it->region, it->indicator, it->period,
			    it->version, it->origin_key_id);
			ok = false;
		}
	}
	if (v->keys != NULL) {
		struct tally_wire_state copy = *ws;
		char                    why[TALLY_WIRE_REASON_MAX];

		if (tally_wire_state_verify(v->keys, &copy, it->region, why,
		        sizeof(why)) != TALLY_VERIFY_OK) {
			problem(v, env->id,
			    "state %u (%s %s %s v%" PRIu64 "): %s in the keys "
			    "file",
			    it->seq, it->region, it->indicator, it->period,
			    it->version, why);
			ok = false;
		}
	} else if (!it->has_origin_pk) {
		/* Accepted in open mode: nothing to check it with but a keys
		 * file. */
		ok = false;
		v->origin_missing++;
	}
	if (ok) {
		v->origins++;
	}
}

static int
verify_fn(void *arg, const struct tally_audit_envelope *env,
    const struct tally_audit_item *items, size_t n)
{
	struct verify_ctx       *v   = arg;
	struct tally_submission *sub = NULL;
	struct tally_errbuf      eb  = { "" };
	uint8_t                  chain[TALLY_AUDIT_CHAIN_BYTES];

	v->envelopes++;
	v->states += n;
	tally_store_audit_chain(v->chain, env, items, n, chain);
	if (memcmp(chain, env->chain, sizeof(chain)) != 0) {
		problem(v, env->id,
		    "the chain is broken: this row, or one before it, was "
		    "changed, inserted or removed");
	}
	/* Go on from the stored chain, so that one changed row is reported
	 * once and not for every row after it. */
	memcpy(v->chain, env->chain, sizeof(chain));
	check_signature(v, env);
	/* The same decoder the hub ran when the body arrived. */
	if (tally_submission_decode_body(
	        v->cat, env->body, env->body_len, &sub, &eb) != TALLY_OK) {
		problem(v, env->id, "the body is not a valid submission: %s",
		    eb.text);
		return TALLY_OK;
	}
	if (strcmp(sub->sender, env->sender) != 0) {
		problem(v, env->id, "the sender %s differs from the body's %s",
		    env->sender, sub->sender);
	}
	for (size_t i = 0; i < n; i++) {
		if (!item_matches(sub, &items[i])) {
			problem(v, env->id,
			    "state %u (%s %s %s v%" PRIu64
			    ") differs from the signed body",
			    items[i].seq, items[i].region, items[i].indicator,
			    items[i].period, items[i].version);
			continue;
		}
		check_origin(v, env, &sub->states[items[i].seq], &items[i]);
	}
	tally_submission_free(sub);
	return TALLY_OK;
}

static int
unbacked_fn(void *arg, const struct tally_audit_item *held, int64_t envelope)
{
	struct verify_ctx *v = arg;

	if (envelope == 0) {
		problem(v, 0,
		    "held state %s %s %s v%" PRIu64
		    ": no accepted envelope carries this version",
		    held->region, held->indicator, held->period,
		    held->version);
	} else {
		problem(v, 0,
		    "held state %s %s %s v%" PRIu64
		    ": its figures (%.17g, %.17g, %u leaves) or its origin "
		    "signature differ from those accepted in envelope "
		    "%" PRId64,
		    held->region, held->indicator, held->period, held->version,
		    held->state.sum_a, held->state.sum_b, held->state.leaves,
		    envelope);
	}
	return TALLY_OK;
}

/* One approval (approval.h): its signature, and for one in force that
 * the states it names are those held now. */
static int
check_approval(struct verify_ctx *v, struct tally_store *st,
    const struct tally_approval *a)
{
	struct tally_approval_state *s = NULL;
	char   at[TALLY_CLOCK_ISO_STRLEN], now[TALLY_APPROVAL_DIGEST_HEX];
	size_t n = 0;
	int    rv;

	tally_clock_format_iso(a->approved_ms, at, sizeof(at));
	v->approvals++;
	if (a->signature[0] != '\0' && !tally_approval_signature_ok(a)) {
		problem(v, 0,
		    "approval of %s %s by %s at %s: the signature does not "
		    "match (key %s)",
		    a->child, a->period, a->approver, at, a->key_id);
	} else if (a->signature[0] != '\0') {
		v->approvals_signed++;
	}
	if (a->reopened_ms > 0) {
		return TALLY_OK;
	}
	rv = tally_approval_collect(st, v->cat, a->child, a->period, &s, &n);
	if (rv != TALLY_OK) {
		return rv;
	}
	tally_approval_digest(s, n, now);
	free(s);
	if (strcmp(now, a->digest) != 0) {
		problem(v, 0,
		    "approval of %s %s by %s at %s: the states it approved "
		    "changed since (%llu states, digest %.16s; now %zu, "
		    "%.16s)",
		    a->child, a->period, a->approver, at,
		    (unsigned long long) a->states, a->digest, n, now);
	}
	return TALLY_OK;
}

static int
verify_approvals(struct verify_ctx *v, struct tally_store *st)
{
	struct tally_approval *list = NULL;
	size_t                 n    = 0;
	int                    rv   = tally_approval_list(st, NULL, &list, &n);

	for (size_t i = 0; rv == TALLY_OK && i < n; i++) {
		rv = check_approval(v, st, &list[i]);
	}
	free(list);
	return rv;
}

static int
verify(FILE *out, const struct tally_catalog *cat, struct tally_store *st,
    const struct hub_audit_opts *o, size_t *problems)
{
	struct verify_ctx v;
	int               rv;

	memset(&v, 0, sizeof(v));
	v.out    = out;
	v.format = o->format;
	v.cat    = cat;
	v.keys   = o->keys;
	if (o->format == TALLY_FORMAT_JSON) {
		v.list = json_array();
		if (v.list == NULL) {
			return TALLY_ENOMEM;
		}
	}
	rv = tally_store_audit_each(st, NULL, NULL, verify_fn, &v);
	if (rv == TALLY_OK) {
		rv = tally_store_audit_unbacked(st, unbacked_fn, &v);
	}
	if (rv == TALLY_OK && tally_store_region(st)[0] != '\0') {
		rv = verify_approvals(&v, st);
	}
	if (rv == TALLY_OK && v.list != NULL) {
		json_t *doc = json_pack(
		    "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:O}", "hub",
		    tally_store_region(st), "envelopes",
		    (json_int_t) v.envelopes, "states", (json_int_t) v.states,
		    "signatures_verified", (json_int_t) v.verified, "unsigned",
		    (json_int_t) v.unsigned_n, "origin_signatures_verified",
		    (json_int_t) v.origins, "states_without_origin_check",
		    (json_int_t) v.origin_missing, "keys_checked",
		    o->keys != NULL, "problems", v.list);

		if (doc != NULL) {
			json_object_set_new(doc, "approvals",
			    json_pack("{s:I, s:I}", "checked",
			        (json_int_t) v.approvals,
			        "signatures_verified",
			        (json_int_t) v.approvals_signed));
		}

		if (doc == NULL ||
		    json_dumpf(doc, out,
		        JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0) {
			rv = TALLY_EIO;
		}
		fputc('\n', out);
		json_decref(doc);
	} else if (rv == TALLY_OK) {
		fprintf(out,
		    "audit trail of hub %s: %zu envelopes, %zu states; %zu "
		    "signatures verified%s, %zu envelopes unsigned%s\n",
		    tally_store_region(st), v.envelopes, v.states, v.verified,
		    o->keys != NULL ? " against the keys file" : "",
		    v.unsigned_n,
		    v.unsigned_n > 0 ? " (accepted in open mode: nothing "
		                       "proves who sent them)"
		                     : "");
		fprintf(out,
		    "%zu origin signatures of states verified%s, %zu states "
		    "without a verifiable origin signature\n",
		    v.origins, o->keys != NULL ? " against the keys file" : "",
		    v.origin_missing);
		fprintf(out,
		    "%zu approvals checked, %zu of their signatures "
		    "verified\n",
		    v.approvals, v.approvals_signed);
		if (v.problems == 0) {
			fprintf(out, "no problems found\n");
		} else {
			fprintf(out, "%zu problems found\n", v.problems);
		}
	}
	json_decref(v.list);
	if (rv == TALLY_OK) {
		*problems = v.problems;
	}
	return rv;
}

int
hub_audit(FILE *out, const struct tally_catalog *cat, struct tally_store *st,
    const struct hub_audit_opts *opts, size_t *problems)
{
	if (opts->verify) {
		return verify(out, cat, st, opts, problems);
	}
	*problems = 0;
	return list(out, st, opts);
}

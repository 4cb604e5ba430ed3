/*
 * The status rows declared in status.h: the store's snapshots, the outbox
 * (what the hub acknowledged) and the hub's last answers (reply.h),
 * judged against the due dates of target.h.
 */
#include "status.h"

#include "clock.h"
#include "errors.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* China Standard Time, in which due dates and times are shown. */
#define CST_OFFSET_MS (8LL * 3600 * 1000)

static const char *const state_names[NODE_STATES] = { "not_entered", "pending",
	"accepted", "rejected", "refused", "stale", "held" };
static const char *const state_zh[NODE_STATES]    = { "未填报", "待报送",
	   "已接收", "被退回", "整批被拒", "上级有更新版本", "已审核锁定" };

const char *
node_state_name(int state)
{
	return state >= 0 && state < NODE_STATES ? state_names[state] : "?";
}

const char *
node_state_zh(int state)
{
	return state >= 0 && state < NODE_STATES ? state_zh[state] : "?";
}

bool
node_status_reports(const struct tally_catalog *cat, struct tally_store *st,
    const struct tally_indicator *ind)
{
	const char       *code = tally_store_region(st);
	struct tally_obs *obs  = NULL;
	size_t            n    = 0;

	for (size_t t = 0; t < cat->n_targets; t++) {
		const struct tally_target *tg = &cat->targets[t];

		if (&cat->indicators[tg->indicator] == ind &&
		    (strcmp(tg->region, code) == 0 ||
		        tally_catalog_is_below_ever(cat, tg->region, code))) {
			return true;
		}
	}
	if (tally_store_observations(st, ind, NULL, &obs, &n) != TALLY_OK) {
		return false;
	}
	free(obs);
	return n > 0;
}

/* The state of a figure of version v, from the outbox and the last
 * answer. */
static int
judge(struct tally_store *st, struct node_status_row *r, const char *ptext)
{
	uint64_t acked = 0;
	int      rv;

	rv = tally_reply_get(st, r->ind->id, ptext, &r->reply);
	if (rv == TALLY_OK) {
		r->has_reply = true;
	} else if (rv != TALLY_ENOENT) {
		return rv;
	}
	rv = tally_reply_acked_version(st, r->ind->id, ptext, &acked);
	if (rv != TALLY_OK && rv != TALLY_ENOENT) {
		return rv;
	}
	/* Held by approval (approval.h): the hub approved the figure this
	 * version would change; it stays here and goes again on a later
	 * push, whether or not the outbox has let it go yet. */
	if (r->has_reply && r->reply.version == r->version &&
	    r->reply.status == TALLY_ACK_HELD) {
		r->state = NODE_HELD;
		return TALLY_OK;
	}
	if (rv == TALLY_ENOENT || acked < r->version) {
		/* Still in the outbox; a refusal of this very version says
		 * why it has not gone yet. */
		r->state = r->has_reply && r->reply.version == r->version &&
		        r->reply.status == TALLY_REPLY_REFUSED
		    ? NODE_REFUSED
		    : NODE_PENDING;
		return TALLY_OK;
	}
	r->state = NODE_ACCEPTED;
	if (r->has_reply && r->reply.version >= r->version) {
		if (r->reply.status == TALLY_ACK_REJECTED) {
			r->state = NODE_REJECTED;
		} else if (r->reply.status == TALLY_ACK_STALE) {
			r->state = NODE_STALE;
		}
	}
	return TALLY_OK;
}

/* One row; *keep false when it is not to be listed (no figure, and the
 * rows are of every period). */
static int
make_row(const struct tally_catalog *cat, struct tally_store *st,
    const struct tally_due *due, const struct tally_indicator *ind,
    const struct tally_period *p, int64_t now_ms, struct node_status_row *r)
{
	char ptext[TALLY_PERIOD_STRLEN];
	int  rv;

	memset(r, 0, sizeof(*r));
	r->ind    = ind;
	r->period = *p;
	tally_period_format(p, ptext);
	r->due_days = tally_due_days(due, cat, ind);
	r->due_ms   = tally_target_due_ms(p, r->due_days);
	rv          = tally_store_snapshot_version(st, ind, p, &r->version);
	if (rv == TALLY_ENOENT) {
		r->version = 0;
		r->state   = NODE_NOT_ENTERED;
	} else if (rv != TALLY_OK) {
		return rv;
	} else {
		rv = judge(st, r, ptext);
		if (rv != TALLY_OK) {
			return rv;
		}
	}
	/* Overdue: the due date passed and the hub holds no figure of it
	 * from this region. */
	r->overdue = now_ms > r->due_ms && r->state != NODE_ACCEPTED &&
	    r->state != NODE_STALE;
	return TALLY_OK;
}

static int
add_row(struct node_status *s, size_t *cap, const struct node_status_row *r)
{
	if (s->n == *cap) {
		size_t                  nc = *cap == 0 ? 64 : *cap * 2;
		struct node_status_row *nr =
		    realloc(s->rows, nc * sizeof(*nr));

		if (nr == NULL) {
			return TALLY_ENOMEM;
		}
		s->rows = nr;
		*cap    = nc;
	}
	s->rows[s->n++] = *r;
	s->counts[r->state]++;
	s->overdue += r->overdue;
	return TALLY_OK;
}

/* Whether a figure of ind is expected for a period of kind: the region
 * reports ind, and has either no figure of it yet or figures of that
 * kind of period. A county that enters an index once a year is not
 * told each month that the month's is missing. */
static bool
expected(const struct tally_catalog *cat, struct tally_store *st,
    const struct tally_indicator *ind, int kind)
{
	struct tally_obs *obs = NULL;
	size_t            n   = 0;
	bool              yes = false;

	if (!node_status_reports(cat, st, ind) ||
	    tally_store_observations(st, ind, NULL, &obs, &n) != TALLY_OK) {
		return false;
	}
	yes = n == 0;
	for (size_t i = 0; i < n && !yes; i++) {
		yes = obs[i].period.kind == kind;
	}
	free(obs);
	return yes;
}

/* Every indicator the region is expected to report for one period, and
 * every one it has a figure of. */
static int
collect_period(const struct tally_catalog *cat, struct tally_store *st,
    const struct tally_due *due, const struct tally_period *p,
    struct node_status *s, size_t *cap)
{
	for (size_t i = 0; i < cat->n_indicators; i++) {
		const struct tally_indicator *ind = &cat->indicators[i];
		struct node_status_row        r;
		int rv = make_row(cat, st, due, ind, p, s->now_ms, &r);

		if (rv != TALLY_OK) {
			return rv;
		}
		if (r.state == NODE_NOT_ENTERED &&
		    !expected(cat, st, ind, p->kind)) {
			continue;
		}
		rv = add_row(s, cap, &r);
		if (rv != TALLY_OK) {
			return rv;
		}
	}
	return TALLY_OK;
}

/* Every figure the store holds, period by period. */
static int
collect_all(const struct tally_catalog *cat, struct tally_store *st,
    const struct tally_due *due, struct node_status *s, size_t *cap)
{
	struct tally_period *ps = NULL;
	size_t               np = 0;
	int                  rv = tally_store_periods(st, &ps, &np);

	for (size_t k = 0; rv == TALLY_OK && k < np; k++) {
		for (size_t i = 0; rv == TALLY_OK && i < cat->n_indicators;
		     i++) {
			struct node_status_row r;

			rv = make_row(cat, st, due, &cat->indicators[i],
			    &ps[k], s->now_ms, &r);
			if (rv == TALLY_OK && r.state != NODE_NOT_ENTERED) {
				rv = add_row(s, cap, &r);
			}
		}
	}
	free(ps);
	return rv;
}

int
node_status_collect(const struct tally_catalog *cat, struct tally_store *st,
    const struct tally_due *due, const struct tally_period *period,
    int64_t now_ms, struct node_status *out)
{
	struct node_status s;
	size_t             cap = 0;
	int                rv;

	memset(&s, 0, sizeof(s));
	s.now_ms = now_ms;
	rv       = tally_store_read_begin(st);
	if (rv != TALLY_OK) {
		return rv;
	}
	if (period != NULL) {
		s.has_period = true;
		s.period     = *period;
		rv           = collect_period(cat, st, due, period, &s, &cap);
	} else {
		rv = collect_all(cat, st, due, &s, &cap);
	}
	tally_store_read_end(st);
	if (rv != TALLY_OK) {
		node_status_fini(&s);
		return rv;
	}
	*out = s;
	return TALLY_OK;
}

void
node_status_fini(struct node_status *s)
{
	if (s != NULL) {
		free(s->rows);
		s->rows = NULL;
		s->n    = 0;
	}
}

void
node_status_due_day(int64_t due_ms, char *buf, size_t len)
{
	time_t    t = (time_t) ((due_ms - 1 + CST_OFFSET_MS) / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

void
node_status_cst(int64_t ms, char *buf, size_t len)
{
	time_t    t = (time_t) ((ms + CST_OFFSET_MS) / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
}

static json_t *
iso(int64_t ms)
{
	char buf[TALLY_CLOCK_ISO_STRLEN];

	tally_clock_format_iso(ms, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *
reply_json(const struct tally_reply *r)
{
	json_t *o = json_object();

	json_object_set_new(
	    o, "status", json_string(tally_reply_status_name(r->status)));
	json_object_set_new(o, "hub", json_string(r->hub));
	json_object_set_new(o, "hub_instance", json_string(r->hub_instance));
	json_object_set_new(
	    o, "version", json_integer((json_int_t) r->version));
	json_object_set_new(o, "at", iso(r->answered_ms));
	json_object_set_new(o, "reason", json_string(r->reason));
	return o;
}

static json_t *
row_json(const struct node_status_row *r)
{
	json_t *o = json_object();
	char    p[TALLY_PERIOD_STRLEN];

	tally_period_format(&r->period, p);
	json_object_set_new(o, "indicator", json_string(r->ind->id));
	json_object_set_new(o, "name_zh", json_string(r->ind->name_zh));
	json_object_set_new(o, "period", json_string(p));
	json_object_set_new(
	    o, "state", json_string(node_state_name(r->state)));
	json_object_set_new(
	    o, "state_zh", json_string(node_state_zh(r->state)));
	json_object_set_new(o, "version",
	    r->version > 0 ? json_integer((json_int_t) r->version)
	                   : json_null());
	json_object_set_new(o, "pending",
	    json_boolean(r->state == NODE_PENDING ||
	        r->state == NODE_REFUSED || r->state == NODE_HELD));
	json_object_set_new(
	    o, "answer", r->has_reply ? reply_json(&r->reply) : json_null());
	json_object_set_new(o, "due", iso(r->due_ms));
	json_object_set_new(o, "due_days", json_integer(r->due_days));
	json_object_set_new(o, "overdue", json_boolean(r->overdue));
	return o;
}

json_t *
node_status_json(const struct tally_catalog *cat, struct tally_store *st,
    const struct node_status *s)
{
	const struct tally_division *d =
	    tally_catalog_division(cat, tally_store_region(st));
	json_t *root = json_object(), *items = json_array();
	json_t *sum = json_object();
	char    p[TALLY_PERIOD_STRLEN];

	if (root == NULL || items == NULL || sum == NULL) {
		json_decref(root);
		json_decref(items);
		json_decref(sum);
		return NULL;
	}
	json_object_set_new(root, "region",
	    json_pack("{s:s, s:s, s:s}", "code", d->code, "name", d->name,
	        "level", tally_level_name(d->level)));
	if (s->has_period) {
		tally_period_format(&s->period, p);
	}
	json_object_set_new(
	    root, "period", s->has_period ? json_string(p) : json_null());
	json_object_set_new(root, "now", iso(s->now_ms));
	for (size_t i = 0; i < s->n; i++) {
		json_array_append_new(items, row_json(&s->rows[i]));
	}
	json_object_set_new(root, "items", items);
	for (int k = 0; k < NODE_STATES; k++) {
		json_object_set_new(sum, node_state_name(k),
		    json_integer((json_int_t) s->counts[k]));
	}
	json_object_set_new(
	    sum, "overdue", json_integer((json_int_t) s->overdue));
	json_object_set_new(root, "summary", sum);
	return root;
}

/* The table's column of the hub's answer: which hub and when, or why it
 * refused. */
static void
print_answer(FILE *out, const struct node_status_row *r)
{
	char when[32];

	if (!r->has_reply || r->state == NODE_NOT_ENTERED) {
		fputs("-", out);
		return;
	}
	node_status_cst(r->reply.answered_ms, when, sizeof(when));
	fprintf(out, "%s %s (v%llu, %s %s)",
	    tally_reply_status_zh(r->reply.status), r->reply.hub,
	    (unsigned long long) r->reply.version, when,
	    r->reply.hub_instance);
	if (r->reply.reason[0] != '\0') {
		fprintf(out, " 原因 reason: %s", r->reply.reason);
	}
}

void
node_status_print(FILE *out, const struct tally_catalog *cat,
    struct tally_store *st, const struct node_status *s)
{
	const struct tally_division *d =
	    tally_catalog_division(cat, tally_store_region(st));
	char now[32], p[TALLY_PERIOD_STRLEN], due[32], state[64];
	int  w_id = 2;

	node_status_cst(s->now_ms, now, sizeof(now));
	fprintf(out, "%s %s 报送状态 reporting status", d->code, d->name);
	if (s->has_period) {
		tally_period_format(&s->period, p);
		fprintf(out, ", 期间 period %s", p);
	}
	fprintf(out, " (%s 北京时间 CST)\n", now);
	for (size_t i = 0; i < s->n; i++) {
		int w = tally_text_width(s->rows[i].ind->id);

		w_id = w > w_id ? w : w_id;
	}
	tally_text_pad(out, "期间 period", 12);
	tally_text_pad(out, "指标 indicator", w_id + 2);
	tally_text_pad(out, "状态 state", 30);
	tally_text_pad(out, "截止 due", 12);
	tally_text_pad(out, "逾期 overdue", 14);
	fputs("上级答复 hub's answer\n", out);
	for (size_t i = 0; i < s->n; i++) {
		const struct node_status_row *r = &s->rows[i];

		tally_period_format(&r->period, p);
		node_status_due_day(r->due_ms, due, sizeof(due));
		snprintf(state, sizeof(state), "%s %s",
		    node_state_zh(r->state), node_state_name(r->state));
		tally_text_pad(out, p, 12);
		tally_text_pad(out, r->ind->id, w_id + 2);
		tally_text_pad(out, state, 30);
		tally_text_pad(out, due, 12);
		tally_text_pad(out, r->overdue ? "逾期 yes" : "-", 14);
		print_answer(out, r);
		fputc('\n', out);
	}
	if (s->n == 0) {
		fputs("(无数据 nothing recorded)\n", out);
	}
	fprintf(out,
	    "合计 total: %zu 已接收 accepted, %zu 待报送 pending, %zu 被退回 "
	    "rejected, %zu 整批被拒 refused, %zu 已审核锁定 held by approval, "
	    "%zu 未填报 not entered, %zu 逾期 overdue\n",
	    s->counts[NODE_ACCEPTED] + s->counts[NODE_STALE],
	    s->counts[NODE_PENDING], s->counts[NODE_REJECTED],
	    s->counts[NODE_REFUSED], s->counts[NODE_HELD],
	    s->counts[NODE_NOT_ENTERED], s->overdue);
}

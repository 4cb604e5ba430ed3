/*
 * The reading of report documents declared in reportdoc.h.
 */
#include "reportdoc.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void
hub_reportdoc_cst(int64_t ms, char *buf, size_t len)
{
	time_t    t = (time_t) (ms / 1000) + 8 * 3600;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
}

void
hub_reportdoc_iso_cst(const char *iso, char *buf, size_t len)
{
	struct tm tm;
	char      z = '\0';

	memset(&tm, 0, sizeof(tm));
	buf[0] = '\0';
	if (iso == NULL ||
	    sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon,
	        &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
	    z != 'Z') {
		return;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	hub_reportdoc_cst((int64_t) timegm(&tm) * 1000, buf, len);
}

const char *
hub_reportdoc_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static size_t
add_targets(json_t *v, json_t **out, size_t n, size_t max)
{
	size_t  i;
	json_t *t;

	if (json_is_object(v)) {
		if (n < max) {
			out[n] = v;
		}
		return n + 1;
	}
	json_array_foreach(v, i, t)
	{
		if (json_is_object(t)) {
			if (n < max) {
				out[n] = t;
			}
			n++;
		}
	}
	return n;
}

static bool
ends_with(const char *s, const char *tail)
{
	size_t ls = strlen(s), lt = strlen(tail);

	return ls >= lt && strcmp(s + ls - lt, tail) == 0;
}

size_t
hub_reportdoc_targets(json_t *f, json_t **out, size_t max)
{
	const char *key;
	json_t     *v;
	size_t      n = add_targets(json_object_get(f, "target"), out, 0, max);

	json_object_foreach(f, key, v)
	{
		if (strcmp(key, "target") != 0 && ends_with(key, "targets")) {
			n = add_targets(v, out, n, max);
		}
	}
	return n;
}

/* The standing one target gives: its status when it is of the period
 * judged, its trajectory's when it carries one (a later year's). */
static int
target_standing(json_t *t)
{
	json_t     *tr = json_object_get(t, "trajectory");
	const char *s  = hub_reportdoc_str(t, "status");

	if (json_is_object(tr)) {
		s = hub_reportdoc_str(tr, "status");
		if (strcmp(s, "on_track") == 0) {
			return HUB_STANDING_MET;
		}
		if (strcmp(s, "at_risk") == 0) {
			return HUB_STANDING_AT_RISK;
		}
		return HUB_STANDING_INCOMPLETE;
	}
	if (strcmp(s, "met") == 0) {
		return HUB_STANDING_MET;
	}
	if (strcmp(s, "missed") == 0) {
		return HUB_STANDING_MISSED;
	}
	return s[0] != '\0' ? HUB_STANDING_INCOMPLETE : HUB_STANDING_NONE;
}

/* The worse of two standings: missed, at risk, incomplete, met. */
static int
worse(int a, int b)
{
	static const int rank[] = { 0, 1, 4, 3, 2 };

	return rank[b] > rank[a] ? b : a;
}

int
hub_reportdoc_standing(json_t *f)
{
	json_t *ts[16];
	size_t  n  = hub_reportdoc_targets(f, ts, 16);
	int     st = HUB_STANDING_NONE;

	if (n > 16) {
		n = 16;
	}
	for (size_t i = 0; i < n; i++) {
		st = worse(st, target_standing(ts[i]));
	}
	if (st == HUB_STANDING_NONE &&
	    json_is_object(json_object_get(f, "benchmark"))) {
		st = target_standing(json_object_get(f, "benchmark"));
	}
	return st;
}

const char *
hub_reportdoc_status_zh(const char *status)
{
	static const char *const map[][2] = {
		{ "met", "达标" },
		{ "missed", "未达标" },
		{ "incomplete", "待定" },
		{ "on_track", "进度正常" },
		{ "at_risk", "有风险" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(status, map[i][0]) == 0) {
			return map[i][1];
		}
	}
	return status;
}

const char *
hub_reportdoc_standing_zh(int standing)
{
	static const char *const names[] = { "无目标", "达标", "未达标",
		"有风险", "待定" };

	return standing >= 0 && standing <= HUB_STANDING_INCOMPLETE
	    ? names[standing]
	    : "";
}

const char *
hub_reportdoc_gap_unit(const struct tally_indicator *ind)
{
	return strcmp(ind->unit, "%") == 0 ? "个百分点" : ind->unit;
}

const char *
hub_reportdoc_target_gap_unit(const struct tally_indicator *ind, json_t *t)
{
	return strcmp(hub_reportdoc_str(t, "scope"), "change_pct") == 0
	    ? "个百分点"
	    : hub_reportdoc_gap_unit(ind);
}

/* True when v is a list of regions ({code, ...} objects). */
static bool
region_list(json_t *v)
{
	return json_is_array(v) &&
	    (json_array_size(v) == 0 ||
	        json_is_string(json_object_get(json_array_get(v, 0), "code")));
}

/* One entry of the report's own chase list, in the shape of
 * hub_reportdoc_chase: every list of regions it has, by its key. */
static json_t *
chase_entry(json_t *e)
{
	const char *id = hub_reportdoc_str(e, "indicator");
	const char *key;
	json_t     *v, *lists = json_object();

	if (id[0] == '\0') {
		id = hub_reportdoc_str(e, "id");
	}
	json_object_foreach(e, key, v)
	{
		if (region_list(v) && json_array_size(v) > 0) {
			json_object_set(lists, key, v);
		}
	}
	if (id[0] == '\0' || json_object_size(lists) == 0) {
		json_decref(lists);
		return NULL;
	}
	return json_pack("{s:s,s:o}", "indicator", id, "lists", lists);
}

json_t *
hub_reportdoc_chase(json_t *doc)
{
	json_t *own  = json_object_get(doc, "chase");
	json_t *top  = json_array_get(json_object_get(doc, "regions"), 0);
	json_t *list = json_array();
	json_t *e, *f;
	size_t  i;

	if (json_is_array(own)) {
		json_array_foreach(own, i, e)
		{
			json_t *c = chase_entry(e);

			if (c != NULL) {
				json_array_append_new(list, c);
			}
		}
		return list;
	}
	json_array_foreach(json_object_get(top, "indicators"), i, f)
	{
		json_t *missing =
		    json_object_get(json_object_get(f, "children"), "missing");

		if (json_array_size(missing) == 0) {
			continue;
		}
		json_array_append_new(list,
		    json_pack("{s:s,s:{s:O}}", "indicator",
		        hub_reportdoc_str(f, "id"), "lists",
		        json_is_true(json_object_get(f, "overdue"))
		            ? "overdue"
		            : "missing",
		        missing));
	}
	return list;
}

const char *
hub_reportdoc_chase_zh(const char *kind)
{
	if (strcmp(kind, "overdue") == 0) {
		return "逾期未报";
	}
	if (strcmp(kind, "missing") == 0) {
		return "未报送";
	}
	if (strcmp(kind, "late") == 0) {
		return "迟报";
	}
	return kind;
}

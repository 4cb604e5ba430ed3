/*
 * The entry texts declared in guide.h. A ratio's numerator and
 * denominator come from its note when the note says them ("passed
 * batches / sampled batches", "numerator = X; denominator = Y"), in
 * Chinese from the shape of its name (…合格率: passed and checked; A占B
 * 比例: A and B); a weight from "weight = X" in the note.
 */
#include "guide.h"

#include <stdio.h>
#include <string.h>

static const char *
kind_zh(int kind)
{
	switch (kind) {
	case TALLY_KIND_RATIO:
		return "比率";
	case TALLY_KIND_COUNT:
		return "计数";
	default:
		return "加权平均";
	}
}

static const char *
unit_zh(const char *unit)
{
	static const char *map[][2] = { { "batches", "批次" },
		{ "firms", "家" }, { "items", "个" }, { "index", "指数" },
		{ "per million people", "件/百万人" } };

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(unit, map[i][0]) == 0) {
			return map[i][1];
		}
	}
	return unit;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Copies the n bytes at s into out, trimmed of blanks. */
static void
put_trimmed(char *out, const char *s, size_t n)
{
	while (n > 0 && *s == ' ') {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == ';')) {
		n--;
	}
	if (n >= TALLY_GUIDE_STRLEN) {
		n = TALLY_GUIDE_STRLEN - 1;
	}
	memcpy(out, s, n);
	out[n] = '\0';
}

/* "key = text" in a note, up to the next ';' (or the end). */
static bool
note_field(const char *note, const char *key, char *out)
{
	const char *p = strstr(note, key), *end;

	if (p == NULL) {
		return false;
	}
	p += strlen(key);
	end = strchr(p, ';');
	put_trimmed(out, p, end != NULL ? (size_t) (end - p) : strlen(p));
	return out[0] != '\0';
}

static void
ratio_en(const struct tally_indicator *ind, struct tally_guide *g)
{
	const char *note  = ind->note != NULL ? ind->note : "";
	const char *slash = strstr(note, " / ");

	if (note_field(note, "numerator = ", g->numerator_en) &&
	    note_field(note, "denominator = ", g->denominator_en)) {
		return;
	}
	if (slash != NULL && strchr(note, '=') == NULL) {
		const char *end = strchr(slash, ';');

		put_trimmed(g->numerator_en, note, (size_t) (slash - note));
		slash += 3;
		put_trimmed(g->denominator_en, slash,
		    end != NULL ? (size_t) (end - slash) : strlen(slash));
		return;
	}
	if (ind->higher_better) {
		snprintf(g->numerator_en, TALLY_GUIDE_STRLEN,
		    "how many met the standard (passed, covered, closed)");
	} else {
		snprintf(g->numerator_en, TALLY_GUIDE_STRLEN,
		    "how many were counted against (e.g. repaired)");
	}
	snprintf(g->denominator_en, TALLY_GUIDE_STRLEN,
	    "how many were counted in all (checked, due, received)");
}

static void
ratio_zh(const struct tally_indicator *ind, struct tally_guide *g)
{
	static const char *rules[][3] = {
		{ "合格率", "合格数（批次、件或项）", "检验或抽检总数" },
		{ "覆盖率", "已覆盖的数量", "应覆盖的总数" },
		{ "完结率", "已处理完结的件数", "受理的件数" },
		{ "返修率", "返修的数量", "售出（在保修期内）的数量" },
		{ "成品率", "成品数量", "投入生产的总数量" },
		{ "普及率", "标准化生产的产量（或面积）", "总产量（或面积）" },
		{ "实施率", "已实施的专利数", "有效专利总数" },
		{ "申请量", "发明专利申请量（件）", "常住人口（人）" },
	};
	const char *name = ind->name_zh;
	const char *zhan = strstr(name, "占");

	if (zhan != NULL && ends_with(name, "比例")) {
		size_t rest = strlen(zhan + 3) - strlen("比例");

		put_trimmed(g->numerator_zh, name, (size_t) (zhan - name));
		put_trimmed(g->denominator_zh, zhan + 3, rest);
		return;
	}
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (ends_with(name, rules[i][0])) {
			snprintf(g->numerator_zh, TALLY_GUIDE_STRLEN, "%s",
			    rules[i][1]);
			snprintf(g->denominator_zh, TALLY_GUIDE_STRLEN, "%s",
			    rules[i][2]);
			return;
		}
	}
	snprintf(g->numerator_zh, TALLY_GUIDE_STRLEN, "符合要求的数量");
	snprintf(g->denominator_zh, TALLY_GUIDE_STRLEN, "统计的总数");
}

static void
count_text(const struct tally_indicator *ind, struct tally_guide *g)
{
	bool stock = ind->time_agg == TALLY_TIME_LAST;

	snprintf(g->value_zh, TALLY_GUIDE_STRLEN, "%s（%s，整数）",
	    stock ? "期末总数" : "本期发生数", g->unit_zh);
	snprintf(g->value_en, TALLY_GUIDE_STRLEN, "%s (%s, a whole number)",
	    stock ? "the number held at the end of the period"
	          : "the number in the period",
	    ind->unit);
}

static void
wmean_text(const struct tally_indicator *ind, struct tally_guide *g)
{
	const char *note = ind->note != NULL ? ind->note : "";

	snprintf(g->value_zh, TALLY_GUIDE_STRLEN, "本地区的%s（%s）",
	    ind->name_zh, g->unit_zh);
	snprintf(g->value_en, TALLY_GUIDE_STRLEN, "the area's own figure (%s)",
	    ind->unit);
	if (!note_field(note, "weight = ", g->weight_en)) {
		snprintf(g->weight_en, TALLY_GUIDE_STRLEN,
		    "the area's weight in the mean (above zero)");
	}
	if (strstr(note, "output value") != NULL) {
		snprintf(g->weight_zh, TALLY_GUIDE_STRLEN,
		    "本地区工业总产值（权重，大于0）");
	} else if (strstr(note, "station-days") != NULL) {
		snprintf(g->weight_zh, TALLY_GUIDE_STRLEN,
		    "监测站日数（或人口，权重，大于0）");
	} else {
		snprintf(g->weight_zh, TALLY_GUIDE_STRLEN,
		    "本地区在平均中的权重（大于0）");
	}
}

void
tally_guide_of(const struct tally_indicator *ind, struct tally_guide *g)
{
	memset(g, 0, sizeof(*g));
	g->kind_zh = kind_zh(ind->kind);
	g->unit_zh = unit_zh(ind->unit);
	switch (ind->kind) {
	case TALLY_KIND_RATIO:
		ratio_en(ind, g);
		ratio_zh(ind, g);
		snprintf(g->enter_zh, sizeof(g->enter_zh),
		    "分子：%s；分母：%s（填数量，不填%s）", g->numerator_zh,
		    g->denominator_zh, ind->percent ? "百分比" : "比率");
		snprintf(g->enter_en, sizeof(g->enter_en),
		    "numerator: %s; denominator: %s (counts, not the %s)",
		    g->numerator_en, g->denominator_en,
		    ind->percent ? "percentage" : "rate");
		break;
	case TALLY_KIND_COUNT:
		count_text(ind, g);
		snprintf(
		    g->enter_zh, sizeof(g->enter_zh), "数值：%s", g->value_zh);
		snprintf(g->enter_en, sizeof(g->enter_en), "value: %s",
		    g->value_en);
		break;
	default:
		wmean_text(ind, g);
		snprintf(g->enter_zh, sizeof(g->enter_zh),
		    "数值：%s；权重：%s", g->value_zh, g->weight_zh);
		snprintf(g->enter_en, sizeof(g->enter_en),
		    "value: %s; weight: %s", g->value_en, g->weight_en);
		break;
	}
}

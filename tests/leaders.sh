#!/usr/bin/env bash
# What a province's leadership office reads, end to end: a real
# city hub (Shijiazhuang, 130100) and three of its counties' tally-node
# stores on real SQLite files, the counties pushing over ipc://. Each
# check below failed before its fix:
#
#   * "who drags it down" follows the indicator's direction: for the bulk
#     goods repair rate (lower is better) the county with the highest rate
#     comes first in report --explain, in JSON, table and CSV;
#   * a region with no target of its own for the period is judged against
#     its nearest ancestor's as a "benchmark" (Hebei's, for the city and
#     its counties), apart from its own targets;
#   * year-on-year and period-on-period change ("yoy", "pop") of every
#     figure, for a year, a quarter and a month;
#   * a report for 2018 shows the 2020 targets with their trajectory (the
#     issue's example: 90, 91, 92 in 2016-2018 project 94, at risk against
#     >= 95; PM2.5 falling from its 2016 baseline, on track);
#   * the chase list: the children missing for the period;
#   * CSV numbers are the shortest text that reads back (84.6), the table
#     gives the gap of a percentage in points (pp) and times in China
#     Standard Time;
#   * the dashboard, rendered by headless Chromium: explanation bars in
#     order of harm and red where they make the figure worse, children
#     sorted by their gap to the benchmark, gaps in 个百分点 / pp, yoy,
#     targets ahead, the chase list, times in Beijing time. Screenshots
#     are kept in BUILD_DIR/tests/artifacts/leaders-*.png.
# Every yoy, pop and trajectory is also checked against tests/flat.py, an
# independent computation from the raw rows.
#
# Usage: leaders.sh BUILD_DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=faultlib.sh
. "$here/faultlib.sh"
fl_init "$1" leaders
data=$TALLY_DATA_DIR
city=130100
kids="130102 130104 130105"

# The deployment's own targets: the city's 2020 plan, and Hebei's level
# for 2018, which the city and its counties are benchmarked against.
cat >"$work/targets.csv" <<'CSV'
region_code,region_name,indicator_id,period,op,value,scope,baseline_period,source
130100,石家庄市,mfg_pass_rate,2020,>=,95,total,,test plan
130100,石家庄市,pm25_concentration,2020,<=,-20,change_pct,2016,test plan
130000,河北省,mfg_pass_rate,2018,>=,91,total,,test level
130000,河北省,industrial_brand_products,2018,>=,1000,total,,test sum
CSV
hub_extra[$city]="--targets $work/targets.csv --http 127.0.0.1:0"
start_hub $city || finish

rec() { # COUNTY INDICATOR PERIOD NUM DEN VALUE WEIGHT
	local args=(record -q --db "$work/db/$1.db" --indicator "$2" --period "$3")
	[ -n "$4" ] && args+=(--num "$4" --den "$5")
	[ -n "$6" ] && args+=(--value "$6")
	[ -n "$7" ] && args+=(--weight "$7")
	node_cmd "${args[@]}" >/dev/null || not_ok "record $*"
	echo "$1,$2,$3,$4,$5,$6,$7" >>"$work/raw/raw.csv"
}
for c in $kids; do
	city_of[$c]=$city
	node_cmd init -q --db "$work/db/$c.db" --region "$c" >/dev/null || not_ok "init $c"
done
# mfg_pass_rate: the city at 90, 91, 92 in 2016-2018; in 2018 the
# counties 130102, 130104 and 130105 at 96, 92 and 88, so that the worst
# is the last by code.
for y in 2016 2017; do
	for c in $kids; do rec $c mfg_pass_rate $y $((y - 1926)) 100 "" ""; done
done
rec 130102 mfg_pass_rate 2018 96 100 "" ""
rec 130104 mfg_pass_rate 2018 92 100 "" ""
rec 130105 mfg_pass_rate 2018 88 100 "" ""
# 84.6%: a figure whose %.17g text is 84.599999999999994; none in 2017,
# which the trend chart shows as a gap.
rec 130102 agri_pass_rate 2018 846 1000 "" ""
rec 130102 agri_pass_rate 2016 800 1000 "" ""
# A count: the province's 1,000 brand products are no level for a city.
rec 130102 industrial_brand_products 2018 "" "" 5 ""
# bulk_goods_repair_rate, lower is better: 2%, 5%, 8%.
rec 130102 bulk_goods_repair_rate 2018 2 100 "" ""
rec 130104 bulk_goods_repair_rate 2018 5 100 "" ""
rec 130105 bulk_goods_repair_rate 2018 8 100 "" ""
# PM2.5: 60, 56, 52 in 2016-2018 in every county.
for y in 2016 2017 2018; do
	for c in $kids; do rec $c pm25_concentration $y "" "" $((60 - 4 * (y - 2016))) 1; done
done
# Months and their quarters: food spot checks in 2017-03, 2017-12,
# 2018-01, 2018-02 and 2018-03.
n=0
for p in 2017-03 2017-12 2018-01 2018-02 2018-03; do
	n=$((n + 1))
	rec 130102 food_spot_check_pass_rate $p $((90 + n)) 100 "" ""
	rec 130104 food_spot_check_pass_rate $p $((80 + 2 * n)) 100 "" ""
done
for c in $kids; do push $c || not_ok "push $c"; done

report() { # FILE ARGS...
	local f=$1
	shift
	"$hub" report --db "$work/db/$city.db" --targets "$work/targets.csv" "$@" >"$f" 2>>"$work/log/report.log"
}
jq_py() { # FILE EXPR: a Python expression over the document d
	"$python" -c 'import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
def fig(code, ind):
    for r in d["regions"]:
        if r["code"] == code:
            for f in r["indicators"]:
                if f["id"] == ind:
                    return f
v = eval(sys.argv[2])
print(round(v, 9) if isinstance(v, float) else v)' "$1" "$2"
}

section "who drags it down follows the indicator's direction"
f=$work/out/explain.json
report "$f" --period 2018 --explain --indicator bulk_goods_repair_rate --format json
check "explain, lower is better: the worst part (8%) first" \
	"$(jq_py "$f" '[c["code"] for c in d["contributions"]][:3]')" "['130105', '130104', '130102']"
check "explain: better is named" "$(jq_py "$f" 'd["better"]')" lower
check "explain: drag is the pull made positive on the bad side" \
	"$(jq_py "$f" 'd["contributions"][0]["drag"] > 0 and d["contributions"][0]["pull"] > 0')" True
report "$work/out/explain.txt" --period 2018 --explain --indicator bulk_goods_repair_rate
check "explain table: the worst part first" \
	"$(awk 'NR == 3 { print $1 }' "$work/out/explain.txt")" 130105
report "$work/out/explain.csv" --period 2018 --explain --indicator bulk_goods_repair_rate --format csv
check "explain CSV: the worst part first" \
	"$(awk -F, 'NR == 2 { print $4 }' "$work/out/explain.csv")" 130105
report "$f" --period 2018 --explain --indicator mfg_pass_rate --format json
check "explain, higher is better: the lowest part (88%) first" \
	"$(jq_py "$f" '[c["code"] for c in d["contributions"]][:3]')" "['130105', '130104', '130102']"

section "a region with no target of its own is benchmarked against its ancestor's"
f=$work/out/y2018.json
report "$f" --period 2018 --depth 1 --format json
check "the city has no target of its own for 2018" \
	"$(jq_py "$f" 'fig("130100", "mfg_pass_rate").get("target")')" None
check "the city's benchmark: Hebei's >= 91 (3 of its counties in: provisional)" \
	"$(jq_py "$f" '(lambda b: (b["region"]["code"], b["op"], b["value"], b["status"], b["gap"]))(fig("130100", "mfg_pass_rate")["benchmark"])')" \
	"('130000', '>=', 91.0, 'incomplete', 1.0)"
check "a county above the benchmark: met by 5 points" \
	"$(jq_py "$f" '(lambda b: (b["status"], round(b["gap"], 9)))(fig("130102", "mfg_pass_rate")["benchmark"])')" \
	"('met', 5.0)"
check "a count has no benchmark (the province's target is a sum)" \
	"$(jq_py "$f" '"benchmark" in fig("130100", "industrial_brand_products")')" False
check "a county below the benchmark: missed by 3 points" \
	"$(jq_py "$f" '(lambda b: (b["status"], round(b["gap"], 9)))(fig("130105", "mfg_pass_rate")["benchmark"])')" \
	"('missed', -3.0)"

section "year-on-year and period-on-period change"
check "yoy of the city's 2018 figure" \
	"$(jq_py "$f" '(lambda y: (y["period"], y["value"], round(y["change"], 9)))(fig("130100", "mfg_pass_rate")["yoy"])')" \
	"('2017', 91.0, 1.0)"
check "a year has no pop" "$(jq_py "$f" '"pop" in fig("130100", "mfg_pass_rate")')" False
check "yoy of a county with nothing the year before" \
	"$(jq_py "$f" '(lambda y: (y["period"], y["value"], y["change"]))(fig("130102", "agri_pass_rate")["yoy"])')" \
	"('2017', None, None)"
fm=$work/out/m.json
report "$fm" --period 2018-03 --depth 1 --format json
check "a month's yoy and pop periods" \
	"$(jq_py "$fm" '(fig("130100", "food_spot_check_pass_rate")["yoy"]["period"], fig("130100", "food_spot_check_pass_rate")["pop"]["period"])')" \
	"('2017-03', '2018-02')"
fq=$work/out/q.json
report "$fq" --period 2018Q1 --depth 1 --format json
check "a quarter's yoy and pop periods" \
	"$(jq_py "$fq" '(fig("130100", "food_spot_check_pass_rate")["yoy"]["period"], fig("130100", "food_spot_check_pass_rate")["pop"]["period"])')" \
	"('2017Q1', '2017Q4')"

section "targets ahead and their trajectory"
check "2018 shows the 2020 target: the issue's example, at risk" \
	"$(jq_py "$f" '(lambda a: (a["period"], a["op"], a["value"], a["trajectory"]["status"], round(a["trajectory"]["projected"], 9), round(a["trajectory"]["needed_per_year"], 9), round(a["trajectory"]["pace_per_year"], 9)))(fig("130100", "mfg_pass_rate")["ahead"][0])')" \
	"('2020', '>=', 95.0, 'at_risk', 94.0, 1.5, 1.0)"
check "PM2.5 down from 2016, lower is better: on track" \
	"$(jq_py "$f" '(lambda t: (t["status"], round(t["projected"], 6)))(fig("130100", "pm25_concentration")["ahead"][0]["trajectory"])')" \
	"('on_track', -26.666667)"
f17=$work/out/y2016.json
report "$f17" --period 2016 --depth 0 --format json
check "one year is not a trajectory" \
	"$(jq_py "$f17" '(lambda t: (t["status"], "two years" in t["reason"]))(fig("130100", "mfg_pass_rate")["ahead"][0]["trajectory"])')" \
	"('incomplete', True)"

section "the chase list"
check "the city's missing counties for mfg_pass_rate 2018" \
	"$(jq_py "$f" '[e for e in d["chase"] if e["indicator"] == "mfg_pass_rate"][0]["children"].__len__()')" \
	"$(($(counties_of $city | wc -l) - 3))"
check "a county that reported is not chased" \
	"$(jq_py "$f" '"130102" in [c["code"] for e in d["chase"] for c in e["children"]]')" False

section "the independent computation (flat.py)"
if "$python" "$here/flat.py" compare --indicators "$data/indicators.csv" \
	--tree "$data/divisions.csv" --raw "$work/raw/raw.csv" \
	--targets "$data/targets.csv" --targets "$work/targets.csv" \
	--report "$f" --report "$fm" --report "$fq" --report "$f17" >"$work/out/flat.out" 2>&1; then
	ok "flat.py: $(tail -1 "$work/out/flat.out")"
else
	not_ok "flat.py disagrees"
	cat "$work/out/flat.out"
fi

if "$python" "$here/targets_check.py" --indicators "$data/indicators.csv" \
	--tree "$data/divisions.csv" --targets "$data/targets.csv" --targets "$work/targets.csv" \
	--raw "$work/raw/raw.csv" "$f" "$fm" "$fq" "$f17" >"$work/out/tc.out" 2>&1; then
	ok "targets_check.py (targets and benchmarks): $(tail -1 "$work/out/tc.out")"
else
	not_ok "targets_check.py disagrees"
	cat "$work/out/tc.out"
fi

section "CSV and table forms"
report "$work/out/y2018.csv" --period 2018 --depth 1 --format csv
check "CSV: 84.6, the shortest text that reads back" \
	"$(awk -F, '$2 == "130102" && $6 == "agri_pass_rate" { print $7 }' "$work/out/y2018.csv")" 84.6
report "$work/out/y2018.txt" --period 2018 --depth 1
check "table: the gap of a percentage in points" \
	"$(grep -c -- '-3 pp' "$work/out/y2018.txt")" 1
check "table: the children sorted by their gap to the benchmark, worst first" \
	"$(awk '/^mfg_pass_rate /{on=1; next} on && /^  1301/{print $1} /^$/{on=0}' "$work/out/y2018.txt" | head -3 | tr '\n' ' ')" \
	"130105 130104 130102 "

section "the dashboard in headless Chromium"
chromium=$(command -v chromium || true)
artifacts=$build/tests/artifacts
mkdir -p "$artifacts"
web=$(sed -n 2p "$work/sock/$city.ready")
chrome() {
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
		--disable-dev-shm-usage --no-first-run --disable-extensions \
		--hide-scrollbars --user-data-dir="$work/profile" \
		--virtual-time-budget=30000 "$@" 2>>"$work/log/chromium.log"
}
dom() { # NAME VIEW: the DOM after the page's script has run
	local f=$artifacts/leaders-$1.html
	for _ in 1 2 3; do
		chrome --dump-dom "$web#$2" >"$f"
		grep -q 'data-ready="1"' "$f" && break
	done
	grep -q 'data-ready="1"' "$f" || not_ok "$1: the page did not finish rendering"
}
# domq NAME EXPR: a Python expression over the DOM's elements: E(tag,
# **attrs) finds them in document order (class_ matches one class).
domq() {
	"$python" - "$artifacts/leaders-$1.html" "$2" <<'PY'
import sys
from html.parser import HTMLParser
els = []
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.stack = []
    def handle_starttag(self, tag, attrs):
        e = {"tag": tag, "a": dict(attrs), "text": ""}
        els.append(e)
        if tag not in ("br", "img", "input", "meta", "link"):
            self.stack.append(e)
    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()["tag"] == tag: break
    def handle_data(self, d):
        for e in self.stack: e["text"] += d
P().feed(open(sys.argv[1], encoding="utf-8").read())
def E(tag=None, class_=None, **kw):
    out = []
    for e in els:
        if tag and e["tag"] != tag: continue
        if class_ and class_ not in (e["a"].get("class") or "").split(): continue
        if any(e["a"].get(k.replace("_", "-")) != v for k, v in kw.items()): continue
        out.append(e)
    return out
print(eval(sys.argv[2]))
PY
}
if [ -z "$chromium" ] || [ -z "$web" ]; then
	not_ok "chromium and the hub's dashboard are needed (scripts/install-deps.sh)"
else
	dom explain "period=2018&indicator=bulk_goods_repair_rate"
	check "page: explanation bars in order of harm (lower is better)" \
		"$(domq explain '[g["a"]["data-region"] for g in E("g", "bar")][:3]')" "['130105', '130104', '130102']"
	check "page: the worst bar is red, the best green" \
		"$(domq explain '[r["a"]["class"] for r in E("rect") if r["a"]["class"].startswith("drag")][::2]')" \
		"['drag-worse', 'drag-better']"
	dom mfg "period=2018&indicator=mfg_pass_rate"
	check "page: children sorted by their gap to the benchmark, worst first" \
		"$(domq mfg '[r["a"]["data-region"] for r in E("tr") if r["a"].get("data-region") and r["a"].get("data-status")][:3]')" \
		"['130105', '130104', '130102']"
	check "page: a percentage's gap in 个百分点" \
		"$(domq mfg '[e["text"] for e in E(class_="bench-gap") if e["a"]["data-bench-gap"] == "-3"]')" \
		"['−3.00 个百分点']"
	check "page: the city's benchmark names Hebei" \
		"$(domq mfg '[e["text"] for e in E(class_="bench-of")][0]')" "对标上级目标：河北省"
	check "page: yoy of the city" \
		"$(domq mfg '[e["text"] for e in E("tr", data_indicator="mfg_pass_rate")[0:1] for e in []] or [c["text"] for c in E("span", class_="yoy")][0]')" \
		"同比+1.00 个百分点"
	check "page: the 2020 target ahead, at risk" \
		"$(domq mfg '[(e["a"]["data-period"], e["a"]["data-trajectory"]) for e in E(class_="ahead-item")][0]')" \
		"('2020', 'at_risk')"
	check "page: the at-risk card" \
		"$(domq mfg 'E(id="summary-at-risk")[0]["a"]["data-count"]')" 1
	check "page: the chase list of mfg_pass_rate" \
		"$(domq mfg 'E("li", class_="chase-item", data_indicator="mfg_pass_rate")[0]["a"]["data-count"]')" \
		"$(($(counties_of $city | wc -l) - 3))"
	check "page: the due date in Beijing time" \
		"$(domq mfg '"2019-01-16 00:00 北京时间" in E(id="detail-hint")[0]["text"]')" True
	dom mfg-en "period=2018&indicator=mfg_pass_rate&lang=en"
	check "page in English: the gap in pp" \
		"$(domq mfg-en '[e["text"] for e in E(class_="bench-gap") if e["a"]["data-bench-gap"] == "-3"]')" \
		"['−3.00 pp']"
	dom trend "period=2018&indicator=agri_pass_rate"
	check "page: the trend spans the years held, with a gap for 2017" \
		"$(domq trend '([e["text"] for e in E("text", class_="x-label")], [c["a"]["data-period"] for c in E("circle", class_="pt")], E("path", class_="series")[0]["a"]["d"].count("M"), "L" in E("path", class_="series")[0]["a"]["d"])')" \
		"(['2016', '2017', '2018'], ['2016', '2018'], 2, False)"
	check "page: the 2020 target ahead drawn as a line at 95" \
		"$(domq mfg '[(l["a"]["data-period"], l["a"]["data-target"]) for l in E("line", class_="target-line")]')" \
		"[('2020', '95')]"
	dom pm25 "period=2018&indicator=pm25_concentration"
	check "page: PM2.5's 2016 baseline and the level a 20% fall asks for" \
		"$(domq pm25 '([(l["a"]["data-period"], l["a"]["data-value"]) for l in E("line", class_="baseline-line")], [round(float(l["a"]["data-level"]), 6) for l in E("line", class_="target-pct-line")])')" \
		"([('2016', '60')], [48.0])"
	check "page: the trend's labels at the right do not overlap" \
		"$(domq pm25 '(lambda ys: all(b - a >= 11.9 for a, b in zip(ys, ys[1:])))(sorted(float(e["a"]["y"]) for e in E("text") if e["a"].get("class") in ("target-label", "baseline-label")))')" \
		True
	dom asof "period=2018&as_of=2020-01-01"
	check "page: as of a time before any figure, the picker holds it and no figure is shown" \
		"$(domq asof '(E("input", id="asof-input")[0]["a"].get("data-as-of"), E("body")[0]["a"].get("data-as-of"), sorted({v["a"]["data-value"] for v in E("span", class_="value")}), E("body")[0]["a"].get("data-error"))')" \
		"('2020-01-01', '2020-01-01T15:59:59.999Z', [''], None)"
	# Last, as it adds a period: a county's figure of May 2019 taken
	# back is shown with its reason, in Beijing time.
	node_cmd record -q --db "$work/db/130102.db" --indicator mfg_pass_rate \
		--period 2019-05 --num 90 --den 100 >/dev/null || not_ok "record 2019-05"
	push 130102 || not_ok "push 2019-05"
	node_cmd withdraw --db "$work/db/130102.db" --indicator mfg_pass_rate \
		--period 2019-05 --reason "重复录入" >/dev/null || not_ok "withdraw 2019-05"
	push 130102 || not_ok "push the withdrawal"
	dom withdrawn "period=2019-05&indicator=mfg_pass_rate"
	check "page: the withdrawn figure, its time and its reason" \
		"$(domq withdrawn '(E(id="summary-withdrawn")[0]["a"]["data-count"], [(e["a"]["data-region"], "重复录入" in e["text"], "北京时间" in e["text"]) for e in E(id="summary-withdrawn")[0:1] for e in E("li", data_indicator="mfg_pass_rate")])')" \
		"('1', [('130102', True, True)])"
	for v in "mfg:period=2018&indicator=mfg_pass_rate" "pm25:period=2018&indicator=pm25_concentration" "explain:period=2018&indicator=bulk_goods_repair_rate"; do
		png=$artifacts/leaders-${v%%:*}.png
		rm -f "$png"
		chrome --window-size=1280,1700 --screenshot="$png" "$web#${v#*:}" >/dev/null
		if [ -s "$png" ]; then ok "screenshot: $png"; else not_ok "no screenshot of #${v#*:}"; fi
	done
fi

finish

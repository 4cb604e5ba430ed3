#!/usr/bin/env bash
# Targets, due dates and missing children, end to end: real tally-hub and
# tally-node processes over ipc:// in a temporary directory, with figures
# pushed up a real tree. Every target a report shows is checked against an
# independent evaluation from the raw rows (targets_check.py, which uses
# flat.py), and each programme case is also asserted by name:
#
#   Chaoyang (211300): at least one ecological-origin product in every
#     county (each_child) - one county missing is incomplete, never met;
#     a county at 0 is missed; once it has one, met.
#   Yangjiang (441700): bulk goods repair rate below 5% (a strict <, lower
#     is better) - met at 4.9, missed at exactly 5.
#   Hebei (130000): manufacturing pass rate >= 93.5 (missed, then met after
#     corrections), and PM2.5 in 2020 at least 40% below 2013 (change_pct):
#     incomplete without the 2013 baseline, decided once it is there.
#
# Usage: targets.sh BUILD_DIR   (TALLY_DATA_DIR must name configs/)
set -uo pipefail

build=$1
here=$(cd "$(dirname "$0")" && pwd)
node=$build/node/tally-node
hub=$build/hub/tally-hub
gen=$build/bench/tally-gen
# The real interpreter, not a version manager's shim in front of it: the
# checks start Python often, and a shim can cost 0.4 s of CPU a start.
python=$(python3 -c 'import sys; print(sys.executable)') || exit 1
data=${TALLY_DATA_DIR:?TALLY_DATA_DIR must be set}
work=$(mktemp -d)
pids=()
fails=0
passes=0

cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/db" "$work/sock" "$work/log" "$work/out" "$work/raw"

ok() {
	passes=$((passes + 1))
	echo "ok - $1"
}
not_ok() {
	fails=$((fails + 1))
	echo "not ok - $1"
}
check() { # LABEL GOT WANT
	if [ "$2" = "$3" ]; then ok "$1: $2"; else not_ok "$1: got '$2', want '$3'"; fi
}

start_hub() { # REGION [ARGS...]
	local r=$1
	shift
	"$hub" run -q --db "$work/db/$r.db" --region "$r" \
		--listen "ipc://$work/sock/$r" --ready-file "$work/sock/$r.ready" \
		"$@" 2>>"$work/log/$r.log" &
	pids+=($!)
	for _ in $(seq 1 500); do
		[ -f "$work/sock/$r.ready" ] && return 0
		sleep 0.02
	done
	not_ok "hub $r did not start"
	cat "$work/log/$r.log"
	exit 1
}

record() {
	"$node" record -q "$@" >/dev/null
}
# county REGION: a county store, created once.
county() {
	[ -f "$work/db/$1.db" ] || "$node" init -q --db "$work/db/$1.db" --region "$1" >/dev/null
}
push() { # REGION PARENT
	"$node" push -q --db "$work/db/$1.db" --hub "ipc://$work/sock/$2" \
		--timeout-ms 20000 >/dev/null 2>>"$work/log/node.log"
}
# raw REGION INDICATOR PERIOD NUM DEN VALUE WEIGHT: the flat reference row.
raw() {
	echo "$1,$2,$3,$4,$5,$6,$7" >>"$work/raw/manual.csv"
}
echo "region,indicator,period,numerator,denominator,value,weight" >"$work/raw/manual.csv"

report() { # HUB FILE ARGS...
	local h=$1 f=$2
	shift 2
	"$hub" report --db "$work/db/$h.db" --format json "$@" >"$f" 2>>"$work/log/report.log"
}
field() {
	"$python" "$here/flat.py" field "$@"
}
# tfield REPORT REGION INDICATOR KEY: a field of the (first) target.
tfield() {
	"$python" - "$@" <<'EOF'
import json, sys
path, region, ind, key = sys.argv[1:5]
rep = json.load(open(path, encoding="utf-8"))
for reg in rep["regions"]:
    if reg["code"] != region:
        continue
    for f in reg["indicators"]:
        if f["id"] == ind:
            t = f.get("target")
            t = t[0] if isinstance(t, list) else t
            v = None if t is None else t.get(key)
            print("none" if v is None else (round(v, 6) if isinstance(v, float) else v))
            sys.exit(0)
print("none")
EOF
}
# children REPORT REGION INDICATOR KEY: the codes listed as missing or late.
children() {
	"$python" - "$@" <<'EOF'
import json, sys
path, region, ind, key = sys.argv[1:5]
rep = json.load(open(path, encoding="utf-8"))
for reg in rep["regions"]:
    if reg["code"] == region:
        for f in reg["indicators"]:
            if f["id"] == ind:
                print(" ".join(c["code"] for c in f["children"][key]))
EOF
}
independent() { # LABEL REPORT... : every target against the raw rows
	local label=$1 out=$work/out/check.out
	shift
	if "$python" "$here/targets_check.py" --indicators "$data/indicators.csv" \
		--tree "$data/divisions.csv" --targets "$data/targets.csv" \
		--raw "$work/raw/manual.csv" "${raw_extra[@]}" "$@" >"$out" 2>&1; then
		ok "$label: $(tail -1 "$out")"
	else
		not_ok "$label: independent evaluation disagrees"
		cat "$out"
	fi
}
raw_extra=()

# ------------------------------------------------------------- Chaoyang
echo "# Chaoyang 211300: eco_origin_products >= 1 in every county (each_child)"
start_hub 211300
counties=$(awk -F, '$4 == "211300" { print $1 }' "$data/divisions.csv")
last=$(echo "$counties" | tail -1)
i=0
for c in $counties; do
	i=$((i + 1))
	[ "$c" = "$last" ] && continue
	county "$c"
	record --db "$work/db/$c.db" --indicator eco_origin_products \
		--period 2020 --value "$i"
	raw "$c" eco_origin_products 2020 "" "" "$i" ""
	push "$c" 211300 || not_ok "push $c"
done
f=$work/out/chaoyang-1.json
report 211300 "$f" --period 2020
check "Chaoyang, one county missing: status" \
	"$(tfield "$f" 211300 eco_origin_products status)" incomplete
check "Chaoyang, one county missing: children_missing" \
	"$(tfield "$f" 211300 eco_origin_products children_missing)" 1
check "Chaoyang: the missing county is listed" \
	"$(children "$f" 211300 eco_origin_products missing)" "$last"
check "Chaoyang: overdue (the 2020 figures were due in January 2021)" \
	"$(field "$f" 211300 eco_origin_products overdue)" True
check "Chaoyang: every county that reported is late (first sent in $(date +%Y))" \
	"$(children "$f" 211300 eco_origin_products late | wc -w)" 6
report 211300 "$work/out/chaoyang-due.json" --period 2020 --due-days 3660
check "Chaoyang, due 3660 days after 2020: none late" \
	"$(children "$work/out/chaoyang-due.json" 211300 eco_origin_products late | wc -w)" 0
check "Chaoyang, due 3660 days after 2020: not overdue" \
	"$(field "$work/out/chaoyang-due.json" 211300 eco_origin_products overdue)" False
independent "Chaoyang, one county missing" "$f"

county "$last"
record --db "$work/db/$last.db" --indicator eco_origin_products --period 2020 --value 0
push "$last" 211300 || not_ok "push $last"
f=$work/out/chaoyang-2.json
report 211300 "$f" --period 2020
check "Chaoyang, $last at 0: status" "$(tfield "$f" 211300 eco_origin_products status)" missed
check "Chaoyang, $last at 0: worst child" "$(tfield "$f" 211300 eco_origin_products worst_child)" "$last"
sed -i "/^$last,eco_origin_products,/d" "$work/raw/manual.csv"
raw "$last" eco_origin_products 2020 "" "" 0 ""
independent "Chaoyang, a county at 0" "$f"

record --db "$work/db/$last.db" --indicator eco_origin_products --period 2020 --value 1
push "$last" 211300 || not_ok "push $last"
f=$work/out/chaoyang-3.json
report 211300 "$f" --period 2020
check "Chaoyang, every county has one: status" "$(tfield "$f" 211300 eco_origin_products status)" met
sed -i "/^$last,eco_origin_products,/d" "$work/raw/manual.csv"
raw "$last" eco_origin_products 2020 "" "" 1 ""
independent "Chaoyang, every county" "$f"

# ------------------------------------------------------------ Yangjiang
echo "# Yangjiang 441700: bulk_goods_repair_rate < 5 in 2015 (lower is better)"
start_hub 441700
yj=$(awk -F, '$4 == "441700" { print $1 }' "$data/divisions.csv")
nyj=$(echo "$yj" | wc -w)
n=0
for c in $yj; do
	n=$((n + 1))
	county "$c"
	# 4.9% in all: 49 repaired of 1000 sold, spread over the counties.
	num=$((n == 1 ? 49 - 12 * (nyj - 1) : 12))
	record --db "$work/db/$c.db" --indicator bulk_goods_repair_rate \
		--period 2015 --num "$num" --den $((1000 / nyj))
	raw "$c" bulk_goods_repair_rate 2015 "$num" $((1000 / nyj)) "" ""
	push "$c" 441700 || not_ok "push $c"
done
f=$work/out/yangjiang-1.json
report 441700 "$f" --period 2015
check "Yangjiang at 4.9%: status" "$(tfield "$f" 441700 bulk_goods_repair_rate status)" met
check "Yangjiang at 4.9%: gap (5 - 4.9, lower is better)" \
	"$(tfield "$f" 441700 bulk_goods_repair_rate gap)" 0.1
independent "Yangjiang at 4.9%" "$f"
first=$(echo "$yj" | head -1)
num=$((50 - 12 * (nyj - 1)))
record --db "$work/db/$first.db" --indicator bulk_goods_repair_rate \
	--period 2015 --num "$num" --den $((1000 / nyj))
push "$first" 441700 || not_ok "push $first"
sed -i "/^$first,bulk_goods_repair_rate,/d" "$work/raw/manual.csv"
raw "$first" bulk_goods_repair_rate 2015 "$num" $((1000 / nyj)) "" ""
f=$work/out/yangjiang-2.json
report 441700 "$f" --period 2015
check "Yangjiang at exactly 5%: status (the target is a strict <)" \
	"$(tfield "$f" 441700 bulk_goods_repair_rate status)" missed
independent "Yangjiang at 5%" "$f"

# ---------------------------------------------------------------- Hebei
echo "# Hebei 130000: a whole province tree, 11 city hubs and 167 counties"
start_hub 130000
cities=$(awk -F, '$4 == "130000" { print $1 }' "$data/divisions.csv")
for c in $cities; do start_hub "$c" --parent "ipc://$work/sock/130000"; done
"$gen" --region 130000 --year 2020 --out "$work/gen2020" --flat "$work/raw/gen2020.csv" >/dev/null
"$gen" --region 130000 --year 2013 --out "$work/gen2013" --flat "$work/raw/gen2013all.csv" >/dev/null
awk -F, 'NR == 1 || $2 == "pm25_concentration"' "$work/raw/gen2013all.csv" >"$work/raw/gen2013.csv"
awk -F, '$3 == "county" && substr($1, 1, 2) == "13" { print $1, $4 }' "$data/divisions.csv" >"$work/counties"
load() { # YEAR-DIR FILTER
	local c p
	while read -r c p; do
		county "$c"
		if [ "$2" = pm25 ]; then
			awk -F, 'NR == 1 || $1 == "pm25_concentration"' "$1/$c.csv" >"$work/out/in.csv"
		else
			cp "$1/$c.csv" "$work/out/in.csv"
		fi
		"$node" import -q --db "$work/db/$c.db" "$work/out/in.csv" >/dev/null ||
			not_ok "import $c"
		push "$c" "$p" || not_ok "push $c to $p"
	done <"$work/counties"
}
# converge FILE: waits until the province's report holds every county for
# mfg_pass_rate and PM2.5 in 2020 (the city hubs forward within a second).
converge() {
	for _ in $(seq 1 300); do
		report 130000 "$1" --period 2020 --depth 1 --only-targets
		if [ "$(field "$1" 130000 mfg_pass_rate reporting)" = 167 ] &&
			[ "$(field "$1" 130000 pm25_concentration reporting)" = 167 ] &&
			{ [ -z "${2:-}" ] || [ "$(field "$1" 130000 mfg_pass_rate numerator)" = "$2" ]; }; then
			return 0
		fi
		sleep 0.2
	done
	not_ok "the province did not converge"
	return 1
}
load "$work/gen2020" all
raw_extra=(--raw "$work/raw/gen2020.csv")
f=$work/out/hebei-1.json
converge "$f"
check "Hebei without the 2013 baseline: PM2.5 change_pct status" \
	"$(tfield "$f" 130000 pm25_concentration status)" incomplete
independent "Hebei 2020, no baseline" "$f"
want=$("$python" - "$work/raw/gen2020.csv" <<'EOF'
import csv, sys
n = d = 0
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    if r["indicator"] == "mfg_pass_rate":
        n += float(r["numerator"]); d += float(r["denominator"])
print("met" if 100 * n / d >= 93.5 else "missed")
EOF
)
check "Hebei mfg_pass_rate >= 93.5 on the generated data" \
	"$(tfield "$f" 130000 mfg_pass_rate status)" "$want"

load "$work/gen2013" pm25
raw_extra=(--raw "$work/raw/gen2020.csv" --raw "$work/raw/gen2013.csv")
f=$work/out/hebei-2.json
converge "$f"
for _ in $(seq 1 100); do
	report 130000 "$f" --period 2020 --depth 1 --only-targets
	[ "$(tfield "$f" 130000 pm25_concentration status)" != incomplete ] && break
	sleep 0.2
done
st=$(tfield "$f" 130000 pm25_concentration status)
case $st in
met | missed) ok "Hebei with the 2013 baseline: PM2.5 change_pct decided: $st" ;;
*) not_ok "Hebei with the 2013 baseline: PM2.5 change_pct is $st" ;;
esac
independent "Hebei 2020 with the 2013 baseline" "$f"

# Corrections: months in which some batches failed are recorded again
# with every batch passed, until the province reaches 93.5%, so that the
# same target is seen missed and then met.
"$python" - "$work/raw/gen2020.csv" >"$work/out/fixes" <<'EOF'
import csv, math, sys
rows = [r for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))
        if r["indicator"] == "mfg_pass_rate"]
n = sum(float(r["numerator"]) for r in rows)
d = sum(float(r["denominator"]) for r in rows)
need = math.ceil(0.935 * d - n)
rows.sort(key=lambda r: float(r["numerator"]) - float(r["denominator"]))
for r in rows:
    if need <= 0:
        break
    gain = float(r["denominator"]) - float(r["numerator"])
    print(r["region"], r["period"], r["denominator"])
    need -= gain
EOF
while read -r c p den; do
	parent=$(awk -F, -v c="$c" '$1 == c { print $4 }' "$data/divisions.csv")
	record --db "$work/db/$c.db" --indicator mfg_pass_rate --period "$p" \
		--num "$den" --den "$den" || not_ok "record $c $p"
	awk -F, -v OFS=, -v c="$c" -v p="$p" \
		'$1 == c && $2 == "mfg_pass_rate" && $3 == p { $4 = $5 } { print }' \
		"$work/raw/gen2020.csv" >"$work/out/g.csv" && mv "$work/out/g.csv" "$work/raw/gen2020.csv"
	echo "$c $parent"
done <"$work/out/fixes" | sort -u >"$work/out/fixed"
while read -r c parent; do push "$c" "$parent" || not_ok "push $c"; done <"$work/out/fixed"
numerator=$("$python" - "$work/raw/gen2020.csv" <<'EOF'
import csv, sys
print(int(sum(float(r["numerator"]) for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))
              if r["indicator"] == "mfg_pass_rate")))
EOF
)
f=$work/out/hebei-3.json
converge "$f" "$numerator"
check "Hebei mfg_pass_rate >= 93.5 after $(wc -l <"$work/out/fixes") corrected months" \
	"$(tfield "$f" 130000 mfg_pass_rate status)" met
independent "Hebei after corrections" "$f"

# The table and CSV show the same statuses as the JSON.
"$hub" report --db "$work/db/130000.db" --period 2020 --depth 0 --only-targets \
	--format csv >"$work/out/hebei.csv"
check "Hebei CSV: the 10 targets of 2020" "$(($(wc -l <"$work/out/hebei.csv") - 1))" 10
check "Hebei CSV: mfg_pass_rate status column" \
	"$(awk -F, '$6 == "mfg_pass_rate" { print $19 }' "$work/out/hebei.csv")" met

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]

#!/usr/bin/env bash
# A withdrawal travels through a real city and province. Hebei's province
# hub (130000) listens on loopback TCP with a kernel-chosen port; city A
# (邢台 130500, counties 130502 and 130503) and city B (保定 130600, one
# county, 130602) listen on ipc:// sockets in this test's directory and
# forward to it. After every step the province's reports for the year,
# its quarters and its months, two levels deep (its cities and their
# counties), and at the first and the last step the cities' too, must
# equal what tests/flat.py computes from the raw rows alone (a withdrawn
# row leaves the raw rows):
#   a. every county pushes;
#   b. county 130502 withdraws a month with a reason: the month, its
#      quarter and its year drop its contribution at both levels, the
#      province's `reporting` drops by one, both hubs list the withdrawal
#      with its reason in the report, the audit trail and the history
#      (`--as-of` before it still shows the month);
#   c. the county's older versions arrive late (a copy of its store from
#      before the withdrawal pushes again): stale, nothing comes back;
#      the withdrawal sent again: duplicate, nothing changes;
#   d. city B's only county withdraws a yearly figure: city B's figure
#      becomes a state without data, and the province drops it;
#   e. a correction after the withdrawal counts again, with its reason in
#      both hubs' audit trails;
#   f. what the command refuses: a reason too long (refused, not cut),
#      over two lines, or missing; a period with nothing recorded;
#      nothing is written. Withdrawing again changes nothing.
# Every wait is bounded, every process is stopped on exit, and the last
# line is "N passed, N failed".
#
# Usage: bash tests/withdraw.sh BUILD_DIR
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 64
fi
deadline_s=${deadline_s:-30}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/faultlib.sh
. "$here/faultlib.sh"
fl_init "$1" withdraw

city_a=130500
city_b=130600
counties_a="130502 130503"
counties_b="130602"
ind=mfg_pass_rate
month=2020-03
why="录入时月份填错（应为4月），撤回"

# raw_del REGION INDICATOR PERIOD: the row is no longer the county's.
raw_del() {
	awk -F, -v r="$1" -v i="$2" -v p="$3" '!($1 == r && $2 == i && $3 == p)' \
		"$work/raw/raw.csv" >"$work/raw/raw.tmp" &&
		mv "$work/raw/raw.tmp" "$work/raw/raw.csv"
}

# withdrawn_in FILE REGION INDICATOR PERIOD: the reason a report lists
# for the withdrawal, or "none".
withdrawn_in() {
	"$python" - "$@" <<'EOF'
import json, sys
path, region, ind, period = sys.argv[1:5]
with open(path, encoding="utf-8") as f:
    doc = json.load(f)
for w in doc.get("withdrawn", []):
    if (w["region"], w["indicator"], w["period"]) == (region, ind, period):
        print(w["reason"])
        break
else:
    print("none")
EOF
}

# audit_reason HUB REGION INDICATOR PERIOD: "withdrawn REASON" or
# "reason REASON" for the newest version of the region's state in the
# hub's audit trail, "none" when the trail has none.
audit_reason() {
	"$hub" audit --db "$work/db/$1.db" --region "$2" --period "$4" --format json \
		>"$work/out/audit.json" 2>>"$work/log/report.log" || return 1
	"$python" - "$work/out/audit.json" "$3" <<'EOF'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    doc = json.load(f)
best = None
for e in doc["envelopes"]:
    for s in e["states"]:
        if s["indicator"] == sys.argv[2] and (best is None or s["version"] > best["version"]):
            best = s
if best is None or best["change_reason"] is None:
    print("none")
else:
    print(("withdrawn " if best["withdrawn"] else "reason ") + best["change_reason"])
EOF
}

# ------------------------------------------------------------------ setup
start_hub $province || finish
start_hub $city_a || finish
start_hub $city_b || finish
all_loaded=1
for c in $counties_a $counties_b; do
	add_county "$c" || all_loaded=0
done
check "three counties created and loaded" $all_loaded 1

# ------------------------------------------------------ a. the first push
section "a. every county pushes"
for c in $counties_a $counties_b; do
	push "$c"
	check "a: $c pushes (exit)" $? 0
done
converge "a" $province $city_a $city_b
rep=$work/rep/conv
check "a: province $ind $month reporting" \
	"$(field "$rep/$province-$month.json" $province $ind reporting)" 3
check "a: no withdrawal listed" "$(withdrawn_in "$rep/$province-$month.json" 130502 $ind $month)" none
cp "$work/db/130502.db" "$work/db/old130502.db"
# The history: a mark after a's figures and before b's withdrawal, a
# second from either, as --as-of reads times to the second.
sleep 1.1
mark=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1.1

# ----------------------------------------------------- b. the withdrawal
section "b. county 130502 withdraws $ind $month"
out=$(node_cmd withdraw --db "$work/db/130502.db" --indicator $ind --period $month --reason "$why")
check "b: withdraw (exit)" $? 0
check "b: withdraw says what it did" "$out" "withdrawn $ind $month: $why"
raw_del 130502 $ind $month
push 130502
check "b: the push (exit)" $? 0
check "b: the month, its quarter and its year are accepted" "$accepted" 3
converge "b" $province
check "b: province $ind $month reporting drops to 2" \
	"$(field "$rep/$province-$month.json" $province $ind reporting)" 2
report $city_a $month "$work/out/city-a.json"
check "b: city A's own report: $ind $month reporting drops to 1" \
	"$(field "$work/out/city-a.json" $city_a $ind reporting)" 1
check "b: 130502 has no $ind $month figure at the province" \
	"$(field "$rep/$province-$month.json" 130502 $ind value)" none
check "b: city A lists the withdrawal with its reason" \
	"$(withdrawn_in "$work/out/city-a.json" 130502 $ind $month)" "$why"
check "b: the province lists it too, with the reason the county gave" \
	"$(withdrawn_in "$rep/$province-$month.json" 130502 $ind $month)" "$why"
check "b: the quarter, which keeps the county's other months, is not" \
	"$(withdrawn_in "$rep/$province-2020Q1.json" 130502 $ind 2020Q1)" none
check "b: city A's audit trail keeps the withdrawal and its reason" \
	"$(audit_reason $city_a 130502 $ind $month)" "withdrawn $why"
check "b: the province's audit trail too" \
	"$(audit_reason $province 130502 $ind $month)" "withdrawn $why"
check "b: the year's correction carries the reason in the province's trail" \
	"$(audit_reason $province 130502 $ind 2020)" "reason $why"
out=$("$hub" report --db "$work/db/$province.db" --period $month --indicator $ind 2>>"$work/log/report.log")
case $out in
*"withdrawn (no longer counted):"*"130502   $ind $month, withdrawn "*": $why"*)
	ok "b: the province's table lists the withdrawal under the figures" ;;
*) not_ok "b: the province's table: $out" ;;
esac
report $province $month "$work/out/asof.json" --depth 2 --as-of "$mark"
check "b: as of before the withdrawal, the province held 3 reporting" \
	"$(field "$work/out/asof.json" $province $ind reporting)" 3
check "b: and 130502's month" \
	"$(field "$work/out/asof.json" 130502 $ind reporting)" 1
check "b: and listed no withdrawal" \
	"$(withdrawn_in "$work/out/asof.json" 130502 $ind $month)" none
check "b: the county's own store keeps its history (the month, then nothing)" \
	"$(sqlite3 "$work/db/130502.db" "SELECT count(*), sum(num IS NULL) FROM observation_history
		WHERE indicator = '$ind' AND period = '$month'")" "2|1"

# ------------------------------------------- c. late and repeated versions
section "c. older versions arriving late, and the withdrawal sent again"
reports "$work/rep/c-before" $province
sqlite3 "$work/db/old130502.db" "DELETE FROM uplink_ack"
push_with old130502 --hub "${url[$city_a]}" 2>/dev/null
rc=$?
# push_with names its files after the store; the counts are what matter.
check "c: the old copy's push (exit)" $rc 0
check "c: nothing of it is accepted" "$accepted" 0
check "c: the three versions the withdrawal replaced are stale" "$stale" 3
sqlite3 "$work/db/130502.db" "DELETE FROM uplink_ack"
push 130502
check "c: the withdrawal again (exit)" $? 0
check "c: the withdrawal again: nothing accepted" "$accepted" 0
check "c: the withdrawal again: all duplicate, none stale" "$stale" 0
# The hubs forward on their own; once nothing is pending anywhere, the
# figures must be those of b.
wait_until "$deadline_s" nothing_pending "$work/db/$city_a.db" "$work/db/$city_b.db"
check "c: nothing left pending at the cities" $? 0
converge "c" $province
reports "$work/rep/c-after" $province
check_true "c: the province's reports are as they were after b" \
	diff -r -q "$work/rep/c-before" "$work/rep/c-after"

# ------------------------------ d. a city's last data for a figure withdrawn
section "d. city B's only county withdraws a yearly figure"
yind=major_project_acceptance_rate
check "d: before, the province counts city B's county for $yind" \
	"$(field "$rep/$province-2020.json" $city_b $yind reporting)" 1
node_cmd withdraw -q --db "$work/db/130602.db" --indicator $yind --period 2020 \
	--reason "项目验收数据重复上报" >/dev/null
check "d: withdraw (exit)" $? 0
raw_del 130602 $yind 2020
push 130602
check "d: the push (exit)" $? 0
converge "d" $province
check "d: city B's $yind 2020 reporting is 0 at the province" \
	"$(field "$rep/$province-2020.json" $city_b $yind reporting)" 0
check "d: and it has no value" "$(field "$rep/$province-2020.json" $city_b $yind value)" none
check "d: the province lists 130602's withdrawal" \
	"$(withdrawn_in "$rep/$province-2020.json" 130602 $yind 2020)" "项目验收数据重复上报"

# ----------------------------------------- e. a correction after it counts
section "e. the month recorded again after the withdrawal"
node_cmd record -q --db "$work/db/130502.db" --indicator $ind --period $month \
	--num 47 --den 50 --reason "补录3月实际数据" >/dev/null
check "e: record --reason (exit)" $? 0
echo "130502,$ind,$month,47,50,," >>"$work/raw/raw.csv"
push 130502
check "e: the push (exit)" $? 0
check "e: the month, its quarter and its year are accepted" "$accepted" 3
converge "e" $province $city_a $city_b
check "e: province $ind $month reporting is 3 again" \
	"$(field "$rep/$province-$month.json" $province $ind reporting)" 3
check "e: the withdrawal is no longer listed" \
	"$(withdrawn_in "$rep/$province-$month.json" 130502 $ind $month)" none
check "e: the province's trail keeps the correction's reason" \
	"$(audit_reason $province 130502 $ind $month)" "reason 补录3月实际数据"
check "e: city A's too" "$(audit_reason $city_a 130502 $ind $month)" "reason 补录3月实际数据"

# ----------------------------------------------- f. what is refused
section "f. what withdraw and record refuse, and a withdrawal repeated"
db=$work/db/130503.db
before=$(sqlite3 "$db" .dump)
long=$(printf '撤%.0s' $(seq 1 86)) # 258 bytes of UTF-8
out=$("$node" withdraw --db "$db" --indicator $ind --period $month --reason "$long" 2>&1)
check "f: a reason of 258 bytes (exit)" $? 65
check "f: ... says the limit" "$out" \
	"tally-node: withdraw: --reason: 258 bytes, at most 255 (about 85 Chinese characters): shorten it; nothing was written"
out=$("$node" record --db "$db" --indicator $ind --period $month --num 1 --den 2 \
	--reason "$long" 2>&1)
check "f: record with that reason (exit)" $? 65
out=$("$node" withdraw --db "$db" --indicator $ind --period $month --reason "$(printf 'two\nlines')" 2>&1)
check "f: a reason over two lines (exit)" $? 65
check "f: ... says why" "$out" \
	"tally-node: withdraw: --reason: one line of text without control characters (line breaks, tabs); nothing was written"
"$node" withdraw --db "$db" --indicator $ind --period $month 2>/dev/null
check "f: no --reason (exit)" $? 64
out=$("$node" withdraw --db "$db" --indicator $ind --period 2020Q1 --reason x 2>&1)
check "f: a quarter recorded as months (exit)" $? 65
check "f: ... names the months" "$out" \
	"tally-node: withdraw: --period: nothing is recorded for '$ind' 2020Q1 itself; recorded inside it: 2020-01, 2020-02, 2020-03 (withdraw each)"
out=$("$node" withdraw --db "$db" --indicator mfg_pass_rat --period $month --reason x 2>&1)
check "f: an unknown indicator (exit)" $? 65
check "f: the store is byte for byte as it was" "$(sqlite3 "$db" .dump)" "$before"
out=$(node_cmd withdraw --db "$work/db/130502.db" --indicator $yind --period 2021 --reason x)
check "f: a withdrawal of a year not recorded (exit)" $? 65
node_cmd withdraw -q --db "$work/db/130602.db" --indicator $yind --period 2020 --reason again >"$work/out/again.out"
check "f: withdrawing again (exit)" $? 0
check "f: ... changes nothing" "$(cat "$work/out/again.out")" "unchanged $yind 2020: already withdrawn"
check "f: ... and nothing is pending" "$(pending "$work/db/130602.db")" 0

sanitizer_check
finish

#!/usr/bin/env bash
# Redistricting (docs/redistricting.md), with real processes. Zhejiang's
# province hub (330000) and two of its cities, 杭州 330100 (A) and 宁波
# 330200 (B), run on ipc:// sockets in a temporary directory, on a copy of
# configs/ as TALLY_DATA_DIR. Two counties of A (one of them, 桐庐
# 330122, the one that moves) and two of B load a generated year 2020,
# month by month, and push. Without a changes file the three hubs must
# equal tests/flat.py for the year, its quarters and its months. Then
# division_changes.csv moves 330122 from A to B from 2020-07: the hubs
# restart with it, the county pushes with one --hub per parent, and every
# figure of every hub and period must equal tests/flat.py --changes, which
# takes each period's parent from the file on its own (the one in force in
# the period's last month). On top: the old city drops the county from
# 2020-07, the quarter Q3 and the year; the new one includes it; the province
# counts it exactly once; reports of earlier periods keep the old shape; a
# state sent to the wrong parent for its period is rejected with the reason;
# and a plain --hub for a region that changes parent is refused. The last
# line is "N passed, N failed".
#
# Usage: bash tests/redistrict.sh BUILD_DIR
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 64
fi
# Bounded waits: far above what convergence takes, even under the
# sanitizers on a loaded 2-core machine.
deadline_s=${deadline_s:-120}
here=$(cd "$(dirname "$0")" && pwd)
# The processes, the checks, the hubs, the counties, the reports and the
# flat computation (with the changes file when there is one):
# tests/faultlib.sh.
# shellcheck source=tests/faultlib.sh
. "$here/faultlib.sh"
fl_init "$1" redistrict
configs=$here/../configs
mkdir -p "$work/data"
cp "$configs"/indicators.csv "$configs"/divisions.csv "$configs"/targets.csv "$work/data/"
# The copy starts without any change of parent, whatever configs/ ships.
rm -f "$work/data/division_changes.csv"
export TALLY_DATA_DIR=$work/data

province=330000
# Every hub listens on an ipc:// socket, the province too.
listen[$province]=ipc://$work/sock/$province
city_a=330100
city_b=330200
mover=330122
counties_a="330102 $mover"
counties_b="330203 330205"
effective=2020-07
n_a=$(echo $counties_a | wc -w)
n_b=$(echo $counties_b | wc -w)

# lists JSON PARENT CODE: "yes" when a report's drill-down shows CODE as a
# child of PARENT, else "no".
lists() {
	"$python" -c '
import json, sys
rep = json.load(open(sys.argv[1], encoding="utf-8"))
print("yes" if any(r["code"] == sys.argv[3] and r.get("parent") == sys.argv[2]
                   for r in rep["regions"]) else "no")
' "$@"
}

# ------------------------------------------------------------------ setup
gen_year 2020 --monthly || {
	not_ok "tally-gen failed"
	finish
}
start_hub $province || finish
start_hub $city_a || finish
start_hub $city_b || finish
loaded=1
for c in $counties_a $counties_b; do
	add_county "$c" || loaded=0
done
check "four counties created and loaded" $loaded 1

# ------------------------------------------------- a. before the change
echo "# a. no change of parent: the tree equals the flat computation"
for c in $counties_a $counties_b; do
	if push "$c"; then
		ok "a: $c pushed to ${city_of[$c]}"
	else
		not_ok "a: push $c: $(cat "$work/out/push-$c.out" "$work/out/push-$c.err")"
	fi
done
converge "a" $province $city_a $city_b
check "a: the province shows $mover under city A for 2020-09 (no change yet)" \
	"$(lists "$work/rep/conv/$province-2020-09.json" $city_a $mover)" yes

# --------------------------------------------- b. the change is deployed
echo "# b. $mover moves from $city_a to $city_b from $effective"
cat >"$work/data/division_changes.csv" <<EOF
region,parent_code,effective
# Illustrative only: in this test 桐庐县 moves to 宁波市.
$mover,$city_b,$effective
EOF
# A county whose configuration still lacks the change pushes its new
# periods to its old city, which now refuses them, each with the reason.
cp "$work/db/$mover.db" "$work/db/stale.db"
sqlite3 "$work/db/stale.db" "DELETE FROM uplink_ack"
stops_cleanly "b: " $province $city_a $city_b
start_hub $province || finish
start_hub $city_a || finish
start_hub $city_b || finish
if grep -q "snapshots recomputed" "$work/log/hub-$city_a.log"; then
	ok "b: city A recomputed the snapshots the change affects at start"
else
	not_ok "b: city A did not say it recomputed any snapshot"
fi

TALLY_DATA_DIR=$configs push_with stale --hub "${url[$city_a]}"
rc=$?
check "b: a push with the old shape to the old parent exits 65 (states rejected)" $rc 65
if grep -q "rejected: region $mover belongs to $city_b for $effective, not to $city_a" "$work/out/push-stale.err"; then
	ok "b: the rejection names the parent for the period ($(grep -m1 -o "rejected: region $mover belongs to $city_b for $effective[^\"]*" "$work/out/push-stale.err"))"
else
	not_ok "b: no rejection naming $city_b for $effective in: $(head -5 "$work/out/push-stale.err")"
fi
if grep -q "2020-06 rejected\|2020Q2 rejected" "$work/out/push-stale.err"; then
	not_ok "b: a period before the change was rejected at the old parent"
else
	ok "b: the periods before the change are still taken by the old parent"
fi

push_with $mover --hub "${url[$city_a]}"
check "b: a plain --hub for a region that changes parent is a usage error" $? 64
if grep -q "changes parent" "$work/out/push-$mover.err"; then
	ok "b: and says why: $(head -1 "$work/out/push-$mover.err")"
else
	not_ok "b: no reason given: $(cat "$work/out/push-$mover.err")"
fi
push_with $mover --hub "$city_a=${url[$city_a]}" --hub "$city_b=${url[$city_b]}"
rc=$?
check "b: $mover pushes to both parents" $rc 0
cat "$work/out/push-$mover.out"
# Each uplink's outbox holds only its parent's periods: nothing of 2020-07
# or later, of Q3, Q4 or the year was ever sent on the new uplink's name for
# the old parent, and nothing before on the new one.
wrong=$(sqlite3 "$work/db/$mover.db" "SELECT count(*) FROM uplink_ack
	WHERE uplink = 'parent:$city_b' AND (period < '2020-07' AND period LIKE '2020-%'
	OR period IN ('2020Q1', '2020Q2'))")
check "b: no period before the change went to the new parent" "$wrong" 0
sent=$(sqlite3 "$work/db/$mover.db" "SELECT count(DISTINCT period) FROM uplink_ack
	WHERE uplink = 'parent:$city_b'")
check "b: the new parent took the months 07-12, Q3, Q4 and the year" "$sent" 9

converge "b" $province $city_a $city_b
rep=$work/rep/conv
check "b: city A no longer lists $mover for 2020-09" \
	"$(lists "$rep/$city_a-2020-09.json" $city_a $mover)" no
check "b: city B lists $mover for 2020-09" \
	"$(lists "$rep/$city_b-2020-09.json" $city_b $mover)" yes
check "b: city A still lists $mover for 2020-03 (the old shape)" \
	"$(lists "$rep/$city_a-2020-03.json" $city_a $mover)" yes
check "b: city B does not list $mover for 2020Q2" \
	"$(lists "$rep/$city_b-2020Q2.json" $city_b $mover)" no
check "b: the province shows $mover under $city_a for 2020-06" \
	"$(lists "$rep/$province-2020-06.json" $city_a $mover)" yes
check "b: the province does not show $mover under $city_b for 2020-06" \
	"$(lists "$rep/$province-2020-06.json" $city_b $mover)" no
check "b: the province shows $mover under $city_b for the year" \
	"$(lists "$rep/$province-2020.json" $city_b $mover)" yes
check "b: the province does not show $mover under $city_a for the year" \
	"$(lists "$rep/$province-2020.json" $city_a $mover)" no
check "b: city A's 2020-09 expects one county fewer than its 2020-06" \
	"$(($(field "$rep/$city_a-2020-06.json" $city_a mfg_pass_rate expected) - $(field "$rep/$city_a-2020-09.json" $city_a mfg_pass_rate expected)))" 1
for p in 2020 2020Q2 2020Q3 2020-06 2020-07; do
	check "b: the province counts each county once in $p (mfg_pass_rate reporting)" \
		"$(field "$rep/$province-$p.json" $province mfg_pass_rate reporting)" $((n_a + n_b))
done
check "b: city A counts its counties but $mover for the year" \
	"$(field "$rep/$city_a-2020.json" $city_a mfg_pass_rate reporting)" $((n_a - 1))
check "b: city A counts all its counties for 2020Q2" \
	"$(field "$rep/$city_a-2020Q2.json" $city_a mfg_pass_rate reporting)" $n_a
check "b: city B counts its counties and $mover for Q3" \
	"$(field "$rep/$city_b-2020Q3.json" $city_b mfg_pass_rate reporting)" $((n_b + 1))
# The comparison is not vacuous: the same reports disagree with the flat
# computation on the tree without the change.
mv "$work/data/division_changes.csv" "$work/data/changes.off"
if flat_compare "$rep"/*.json >"$work/out/nochange.out" 2>&1; then
	not_ok "b: the reports also equal the flat computation without the change"
else
	ok "b: without the change the flat computation disagrees ($(tail -1 "$work/out/nochange.out" | sed 's/.*: \([0-9]*\) mismatches/\1 mismatches/'))"
fi
mv "$work/data/changes.off" "$work/data/division_changes.csv"

# After convergence nothing moves any more: the figures stay equal to the
# flat computation (no late double count).
sleep 2
reports "$work/rep/later" $province $city_a $city_b &&
	flat_compare "$work/rep/later"/*.json >"$work/out/later.out" 2>&1
check "b: two seconds later the hubs still equal the flat computation" $? 0

# ------------------------------------- c. corrections on both sides
echo "# c. corrections of $mover before and after the change"
# A month before the change goes to the old city (with its quarter), a
# month after it to the new one; both change the year, which the new city
# holds. Each correction lowers the numerator by one (raises it, were it
# 0), in the raw rows too.
corrected=1
for p in 2020-03 2020-09; do
	correct $mover mfg_pass_rate $p -1 || corrected=0
done
check "c: two corrections recorded at $mover" $corrected 1
push_with $mover --hub "$city_a=${url[$city_a]}" --hub "$city_b=${url[$city_b]}"
check "c: $mover pushes its corrections to both parents" $? 0
# acked UPLINK PERIOD: "yes" when the uplink acknowledged the current
# snapshot of mfg_pass_rate for the period.
acked() {
	sqlite3 "$work/db/$mover.db" "SELECT CASE WHEN EXISTS (SELECT 1 FROM uplink_ack a
		JOIN snapshot s ON s.indicator = a.indicator AND s.period = a.period
		WHERE a.uplink = '$1' AND a.indicator = 'mfg_pass_rate'
		AND a.period = '$2' AND a.version = s.version) THEN 'yes' ELSE 'no' END"
}
check "c: the old city took the correction of 2020-03" "$(acked parent 2020-03)" yes
check "c: the old city took the new 2020Q1" "$(acked parent 2020Q1)" yes
check "c: the new city did not get 2020-03" "$(acked parent:$city_b 2020-03)" no
check "c: the new city took the correction of 2020-09" "$(acked parent:$city_b 2020-09)" yes
check "c: the new city took the new year" "$(acked parent:$city_b 2020)" yes
check "c: the old city did not get the new year" "$(acked parent 2020)" no
converge "c" $province $city_a $city_b

# A restart with the same change recomputes nothing more.
stops_cleanly "c: " $city_a
start_hub $city_a || finish
check "b: a second start of city A recomputes nothing" \
	"$(grep -c "snapshots recomputed" "$work/log/hub-$city_a.log")" 1

final_stops $city_a $city_b $province
finish

#!/usr/bin/env bash
# Redistricting (README, "Redistricting"), with real processes. Zhejiang's
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
build=$(cd "$1" && pwd) || exit 64
here=$(cd "$(dirname "$0")" && pwd)
configs=$here/../configs
node=$build/node/tally-node
hub=$build/hub/tally-hub
gen=$build/bench/tally-gen
python=$(python3 -c 'import sys; print(sys.executable)') || exit 1
work=$(mktemp -d)
mkdir -p "$work/db" "$work/sock" "$work/log" "$work/out" "$work/rep" "$work/data"
cp "$configs"/indicators.csv "$configs"/divisions.csv "$configs"/targets.csv "$work/data/"
# The copy starts without any change of parent, whatever configs/ ships.
rm -f "$work/data/division_changes.csv"
export TALLY_DATA_DIR=$work/data

declare -A hub_pid=()
passed=0
failed=0
# Bounded waits: far above what convergence takes, even under the
# sanitizers on a loaded 2-core machine.
deadline_s=120

cleanup() {
	local p
	for p in "${hub_pid[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${hub_pid[@]}"; do
		for _ in $(seq 1 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() {
	passed=$((passed + 1))
	echo "ok - $*"
}

not_ok() {
	failed=$((failed + 1))
	echo "FAIL - $*"
}

finish() {
	local f
	if [ $failed -gt 0 ]; then
		for f in "$work"/log/*.log; do
			[ -f "$f" ] || continue
			echo "--- $(basename "$f") (last 30 lines)"
			tail -30 "$f"
		done
	fi
	echo "$passed passed, $failed failed"
	[ $failed -eq 0 ] && exit 0
	exit 1
}

check() {
	if [ "$2" == "$3" ]; then
		ok "$1"
	else
		not_ok "$1: got '$2', expected '$3'"
	fi
}

province=330000
city_a=330100
city_b=330200
mover=330122
counties_a="330102 $mover"
counties_b="330203 330205"
effective=2020-07
n_a=$(echo $counties_a | wc -w)
n_b=$(echo $counties_b | wc -w)
periods="2020 2020Q1 2020Q2 2020Q3 2020Q4 $(printf '2020-%02d ' $(seq 1 12))"
declare -A city_of=()
for c in $counties_a; do city_of[$c]=$city_a; done
for c in $counties_b; do city_of[$c]=$city_b; done
declare -A url=()

# start_hub REGION [PARENT_REGION]: waits for the hub's ready file.
start_hub() {
	local region=$1 parent=${2:-} ready=$work/sock/$1.ready args
	args=(run --db "$work/db/$region.db" --region "$region"
		--listen "ipc://$work/sock/$region" --ready-file "$ready")
	[ -n "$parent" ] && args+=(--parent "${url[$parent]}")
	rm -f "$ready"
	echo "--- start $(date +%T.%N)" >>"$work/log/hub-$region.log"
	"$hub" "${args[@]}" 2>>"$work/log/hub-$region.log" &
	hub_pid[$region]=$!
	local end=$((SECONDS + deadline_s))
	while [ ! -s "$ready" ]; do
		if ! kill -0 "${hub_pid[$region]}" 2>/dev/null || [ $SECONDS -ge $end ]; then
			not_ok "hub $region did not become ready"
			return 1
		fi
		sleep 0.02
	done
	url[$region]=$(cat "$ready")
}

stop_hub() {
	local region=$1 pid=${hub_pid[$1]} end=$((SECONDS + deadline_s))
	kill -TERM "$pid"
	while kill -0 "$pid" 2>/dev/null; do
		if [ $SECONDS -ge $end ]; then
			kill -KILL "$pid"
			break
		fi
		sleep 0.05
	done
	wait "$pid"
	local rc=$?
	unset "hub_pid[$region]"
	return $rc
}

# push DB ARGS...: tally-node push; output in $work/out/push.out and .err.
push() {
	local db=$1
	shift
	"$node" push --db "$work/db/$db.db" "$@" \
		>"$work/out/push.out" 2>"$work/out/push.err"
	local rc=$?
	cat "$work/out/push.err" >>"$work/log/node.log"
	return $rc
}

report() {
	local h=$1 p=$2 f=$3
	shift 3
	"$build/hub/tally-hub" report --db "$work/db/$h.db" --period "$p" \
		--format json "$@" >"$f" 2>>"$work/log/report.log"
}

reports() {
	local dir=$1 h p
	shift
	rm -rf "$dir"
	mkdir -p "$dir"
	for h in "$@"; do
		for p in $periods; do
			report "$h" "$p" "$dir/$h-$p.json" --depth 2 || return 1
		done
	done
}

# flat_compare FILE...: tests/flat.py on the raw rows of the counties in
# use, with the changes file when there is one.
flat_compare() {
	local args=() f
	for f in "$@"; do args+=(--report "$f"); done
	[ -f "$work/data/division_changes.csv" ] &&
		args+=(--changes "$work/data/division_changes.csv")
	"$python" "$here/flat.py" compare --indicators "$work/data/indicators.csv" \
		--tree "$work/data/divisions.csv" --raw "$work/raw.csv" "${args[@]}"
}

field() {
	"$python" "$here/flat.py" field "$@"
}

# converge LABEL HUB...: waits (bounded) until every period of every given
# hub equals the flat computation.
converge() {
	local label=$1 end=$((SECONDS + deadline_s)) out=$work/out/compare.out
	shift
	while :; do
		if reports "$work/rep/conv" "$@" &&
			flat_compare "$work/rep/conv"/*.json >"$out" 2>&1; then
			ok "$label: $* equal the flat computation for every period ($(tail -1 "$out" | sed 's/flat.py: compared \([0-9]*\) figures.*/\1 figures/'))"
			return 0
		fi
		if [ $SECONDS -ge $end ]; then
			not_ok "$label: $* did not converge within ${deadline_s}s"
			head -30 "$out"
			tail -1 "$out"
			return 1
		fi
		sleep 0.3
	done
}

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
for b in "$node" "$hub" "$gen"; do
	if [ ! -x "$b" ]; then
		not_ok "$b is missing; build first"
		finish
	fi
done
"$gen" --region $province --year 2020 --monthly --out "$work/gen" \
	--flat "$work/gen/flat.csv" >/dev/null 2>>"$work/log/node.log" || {
	not_ok "tally-gen failed"
	finish
}
head -1 "$work/gen/flat.csv" >"$work/raw.csv"
start_hub $province || finish
start_hub $city_a $province || finish
start_hub $city_b $province || finish
loaded=1
for c in $counties_a $counties_b; do
	"$node" init --db "$work/db/$c.db" --region "$c" >/dev/null 2>>"$work/log/node.log" &&
		"$node" import --db "$work/db/$c.db" "$work/gen/$c.csv" >/dev/null 2>>"$work/log/node.log" &&
		awk -F, -v r="$c" '$1 == r' "$work/gen/flat.csv" >>"$work/raw.csv" || loaded=0
done
check "four counties created and loaded" $loaded 1

# ------------------------------------------------- a. before the change
echo "# a. no change of parent: the tree equals the flat computation"
for c in $counties_a $counties_b; do
	if push "$c" --hub "${url[${city_of[$c]}]}"; then
		ok "a: $c pushed to ${city_of[$c]}"
	else
		not_ok "a: push $c: $(cat "$work/out/push.out" "$work/out/push.err")"
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
stop_hub $province && stop_hub $city_a && stop_hub $city_b
check "b: the hubs stopped cleanly" $? 0
start_hub $province || finish
start_hub $city_a $province || finish
start_hub $city_b $province || finish
if grep -q "snapshots recomputed" "$work/log/hub-$city_a.log"; then
	ok "b: city A recomputed the snapshots the change affects at start"
else
	not_ok "b: city A did not say it recomputed any snapshot"
fi

TALLY_DATA_DIR=$configs push stale --hub "${url[$city_a]}"
rc=$?
check "b: a push with the old shape to the old parent exits 65 (states rejected)" $rc 65
if grep -q "rejected: region $mover belongs to $city_b for $effective, not to $city_a" "$work/out/push.err"; then
	ok "b: the rejection names the parent for the period ($(grep -m1 -o "rejected: region $mover belongs to $city_b for $effective[^\"]*" "$work/out/push.err"))"
else
	not_ok "b: no rejection naming $city_b for $effective in: $(head -5 "$work/out/push.err")"
fi
if grep -q "2020-06 rejected\|2020Q2 rejected" "$work/out/push.err"; then
	not_ok "b: a period before the change was rejected at the old parent"
else
	ok "b: the periods before the change are still taken by the old parent"
fi

push $mover --hub "${url[$city_a]}"
check "b: a plain --hub for a region that changes parent is a usage error" $? 64
if grep -q "changes parent" "$work/out/push.err"; then
	ok "b: and says why: $(head -1 "$work/out/push.err")"
else
	not_ok "b: no reason given: $(cat "$work/out/push.err")"
fi
push $mover --hub "$city_a=${url[$city_a]}" --hub "$city_b=${url[$city_b]}"
rc=$?
check "b: $mover pushes to both parents" $rc 0
cat "$work/out/push.out"
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
# holds. Each correction lowers the numerator by one, in the raw rows too.
corrected=1
for p in 2020-03 2020-09; do
	row=$(awk -F, -v r=$mover -v p=$p '$1 == r && $2 == "mfg_pass_rate" && $3 == p' "$work/raw.csv")
	num=$(echo "$row" | cut -d, -f4)
	den=$(echo "$row" | cut -d, -f5)
	if [ -z "$num" ] || [ "$num" -lt 1 ]; then
		corrected=0
		continue
	fi
	"$node" record --db "$work/db/$mover.db" --indicator mfg_pass_rate --period $p \
		--num $((num - 1)) --den "$den" >/dev/null 2>>"$work/log/node.log" || corrected=0
	awk -F, -v OFS=, -v r=$mover -v p=$p -v n=$((num - 1)) \
		'$1 == r && $2 == "mfg_pass_rate" && $3 == p { $4 = n } { print }' \
		"$work/raw.csv" >"$work/raw.tmp" && mv "$work/raw.tmp" "$work/raw.csv"
done
check "c: two corrections recorded at $mover" $corrected 1
push $mover --hub "$city_a=${url[$city_a]}" --hub "$city_b=${url[$city_b]}"
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
stop_hub $city_a
start_hub $city_a $province || finish
check "b: a second start of city A recomputes nothing" \
	"$(grep -c "snapshots recomputed" "$work/log/hub-$city_a.log")" 1

finish

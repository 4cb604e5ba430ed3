#!/usr/bin/env bash
# A three-level tree of real processes, held to the flat computation of
# docs/rollup.md. Hebei's province hub (130000) listens on loopback TCP with a
# kernel-chosen port, and two city hubs (邢台 130500 and 保定 130600) listen
# on ipc:// sockets inside this test's temporary directory and forward to
# it. Three counties per city load a generated year and push to their city
# hub, and a city and the province also record observations of their own.
# After every step the hubs' reports for the year, its quarters and its
# months must equal what tests/flat.py computes from the raw rows alone,
# through duplicates, a correction, a hub killed with kill -9 in the middle
# of a push, a hub that is down, a hub that lost its database, and a push
# from a region that is not a child. Every wait is bounded, every process is
# stopped on exit, and the last line is "N passed, N failed".
#
# Usage: bash tests/tree.sh BUILD_DIR
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 64
fi
# A few waits are longer under the sanitizers; 30 s is still far above
# what any of them takes on a loaded 2-core machine.
deadline_s=${deadline_s:-30}
here=$(cd "$(dirname "$0")" && pwd)
# The processes, the checks, the hubs, the counties, the reports and the
# flat computation: tests/faultlib.sh. The raw rows (the counties' and the
# hubs' own observations) are in $work/raw/raw.csv.
# shellcheck source=tests/faultlib.sh
. "$here/faultlib.sh"
fl_init "$1" tree

# The tree (the province is faultlib's, 130000). City A has observations
# of its own and is the one stopped, and later wiped; city B is the one
# killed with kill -9.
city_a=130500
city_b=130600
counties_a="130502 130503 130505"
counties_b="130602 130606 130607"
fresh=130608 # a county of city B that joins only in case e

same_files() { # DIR1 DIR2: byte-identical reports
	diff -r "$1" "$2" >/dev/null
}

# DIR1 DIR2: the same figures in every report, the hub's count of what it
# refused aside ("refused" moves with every refusal, which is the point of
# it, and is counted by the writer with its next batch).
same_figures() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import json, os, sys
a, b = sys.argv[1], sys.argv[2]
names = sorted(os.listdir(a))
if names != sorted(os.listdir(b)):
    sys.exit(1)
for n in names:
    with open(os.path.join(a, n)) as f:
        x = json.load(f)
    with open(os.path.join(b, n)) as f:
        y = json.load(f)
    x.pop("refused", None)
    y.pop("refused", None)
    if x != y:
        sys.exit(1)
EOF
}

same_hub_reports() { # DIR1 DIR2 HUB: that hub's reports byte-identical
	local p
	for p in $periods; do
		cmp -s "$1/$3-$p.json" "$2/$3-$p.json" || return 1
	done
}

# ------------------------------------------------------------------ setup
start_hub $province || finish
case ${url[$province]} in
tcp://127.0.0.1:0 | "") not_ok "the province's ready file has no real port: ${url[$province]}" ;;
tcp://127.0.0.1:*) ok "the province listens on ${url[$province]}" ;;
*) not_ok "the province's URL is ${url[$province]}" ;;
esac
start_hub $city_a || finish
start_hub $city_b || finish

all_loaded=1
for c in $counties_a $counties_b; do
	add_county "$c" || all_loaded=0
done
check "six counties created and loaded" $all_loaded 1

# ----------------------------------------------------- a. the first push
section "a. every county pushes; the tree equals the flat computation"
for c in $counties_a $counties_b; do
	push "$c"
	rc=$?
	if [ $rc -eq 0 ] && [ "${accepted:-0}" -gt 0 ]; then
		ok "a: $c pushed to ${city_of[$c]}: $accepted accepted"
	else
		not_ok "a: push $c: exit $rc, output: $(cat "$work/out/push-$c.out" "$work/out/push-$c.err")"
	fi
done
# Own observations of city A and of the province: a 5A count (a stock,
# `last`) in a quarter where the counties also report, a ratio for one
# month, a weighted mean for one month, and at the province a stock in a
# month where no county reports (reporting stays 0 there) and a yearly
# weighted mean. They add to the sums but are not leaves.
own_ok=1
own $city_a scenic_spots_5a 2020Q4 "" "" 3 "" || own_ok=0
own $city_a mfg_pass_rate 2020-03 45 50 "" "" || own_ok=0
own $city_a pm25_concentration 2020-06 "" "" 41.5 30 || own_ok=0
own $province scenic_spots_5a 2020-11 "" "" 5 "" || own_ok=0
own $province mfg_competitiveness_index 2020 "" "" 80.25 120 || own_ok=0
check "a: own observations recorded into the running hubs' databases" $own_ok 1

converge "a" $province $city_a $city_b
rep=$work/rep/conv
check "a: province mfg_pass_rate 2020 reporting" \
	"$(field "$rep/$province-2020.json" $province mfg_pass_rate reporting)" 6
check "a: province mfg_pass_rate 2020 expected" \
	"$(field "$rep/$province-2020.json" $province mfg_pass_rate expected)" 167
check "a: province scenic_spots_5a 2020-11 (its own observation only) reporting" \
	"$(field "$rep/$province-2020-11.json" $province scenic_spots_5a reporting)" 0
check "a: province scenic_spots_5a 2020-11 value" \
	"$(field "$rep/$province-2020-11.json" $province scenic_spots_5a value)" 5
check "a: county 130502 in city A's report at depth 1: reporting" \
	"$(field "$rep/$city_a-2020.json" 130502 mfg_pass_rate reporting)" 1
check "a: county 130502 in city A's report at depth 1: expected" \
	"$(field "$rep/$city_a-2020.json" 130502 mfg_pass_rate expected)" 1
check "a: county 130502 is at depth 1 of city A's report" \
	"$("$python" "$here/flat.py" regions "$rep/$city_a-2020.json" | awk '$1 == "130502" { print $2 }')" 1
report $province 2020 "$work/out/depth0.json" --depth 0
check "a: report --depth 0 shows only the province" \
	"$("$python" "$here/flat.py" regions "$work/out/depth0.json" | tr '\n' ' ')" "$province 0 "
report $province 2020 "$work/out/depth1.json"
check "a: the province's report shows the province and its 11 cities" \
	"$("$python" "$here/flat.py" regions "$work/out/depth1.json" | wc -l)" 12

# ------------------------------------------------- b. the same snapshots
section "b. the same snapshots again change nothing"
reports "$work/rep/b-before" $province $city_a $city_b
for c in $counties_a $counties_b; do
	push "$c"
	rc=$?
	check "b: $c pushes again: exit, accepted" "$rc ${accepted:-?}" "0 0"
done
# A lost acknowledgement makes a county send the very same snapshots
# again: forgetting its acknowledgements does exactly that.
c=130606
n=$(sqlite3 "$work/db/$c.db" "SELECT count(*) FROM snapshot")
sqlite3 "$work/db/$c.db" "DELETE FROM uplink_ack"
push $c
rc=$?
check "b: $c resends its $n snapshots: exit, accepted, duplicate" \
	"$rc ${accepted:-?} ${duplicate:-?}" "0 0 $n"
# Anything the duplicates (wrongly) changed at a city was committed before
# the city answered, so it is pending there until its uplink has forwarded
# it: once nothing is pending at either city, the province holds it.
check_true "b: nothing is left pending at either city" \
	wait_until $deadline_s nothing_pending "$work/db/$city_a.db" "$work/db/$city_b.db"
reports "$work/rep/b-after" $province $city_a $city_b
check_true "b: every report of the province and both cities is byte-identical" \
	same_files "$work/rep/b-before" "$work/rep/b-after"

# ------------------------------------------------ c. an unchanged store
section "c. an unchanged county pushes nothing new; its versions stay"
c=130502
"$python" "$here/flat.py" versions "$work/rep/b-before/$city_a-2020.json" $c >"$work/out/c-before"
push $c
rc=$?
check "c: $c with an unchanged store: exit, accepted" "$rc ${accepted:-?}" "0 0"
report $city_a 2020 "$work/out/c-after.json"
"$python" "$here/flat.py" versions "$work/out/c-after.json" $c >"$work/out/c-after"
check "c: city A holds versions of $c for every indicator" \
	"$(grep -vc ' None$' "$work/out/c-before")" 50
check_true "c: city A's versions of $c (depth 1) are unchanged" \
	cmp -s "$work/out/c-before" "$work/out/c-after"

# ------------------------------------------------------- d. a correction
section "d. a county correction moves the province by exactly the difference"
c=130503
old=$(raw_get $c mfg_pass_rate 2020-05 4)
den=$(raw_get $c mfg_pass_rate 2020-05 5)
new=$((old - 7))
delta=$((new - old))
reports "$work/rep/d-before" $province $city_a $city_b
node_cmd record --db "$work/db/$c.db" --indicator mfg_pass_rate --period 2020-05 \
	--num $new --den "$den" >"$work/out/record.out"
check "d: record the correction" "$(cat "$work/out/record.out")" "corrected mfg_pass_rate 2020-05"
push $c
rc=$?
# The month, its quarter and the year are the snapshots that changed.
check "d: push the correction: exit, accepted" "$rc ${accepted:-?}" "0 3"
# City A committed the correction before it answered; once nothing is
# pending there, the province holds every period it changed.
check_true "d: city A forwards the correction" \
	wait_until $deadline_s nothing_pending "$work/db/$city_a.db"
reports "$work/rep/d-after" $province $city_a $city_b
delta_of() { # FILE-NAME REGION FIELD: after - before
	echo $(($(field "$work/rep/d-after/$1" "$2" mfg_pass_rate "$3") -
		$(field "$work/rep/d-before/$1" "$2" mfg_pass_rate "$3")))
}
check "d: province 2020 numerator change" "$(delta_of $province-2020.json $province numerator)" $delta
check "d: province 2020 denominator change" "$(delta_of $province-2020.json $province denominator)" 0
check "d: province 2020Q2 numerator change" "$(delta_of $province-2020Q2.json $province numerator)" $delta
check "d: province 2020-05 numerator change" "$(delta_of $province-2020-05.json $province numerator)" $delta
check "d: city A's row in the province, 2020 numerator change" "$(delta_of $province-2020.json $city_a numerator)" $delta
check "d: city A 2020 numerator change" "$(delta_of $city_a-2020.json $city_a numerator)" $delta
check "d: $c in city A, 2020Q2 numerator change" "$(delta_of $city_a-2020Q2.json $c numerator)" $delta
check "d: city B's row in the province, 2020 numerator change" "$(delta_of $province-2020.json $city_b numerator)" 0
check_true "d: the province's 2020Q1 report is unchanged" \
	cmp -s "$work/rep/d-before/$province-2020Q1.json" "$work/rep/d-after/$province-2020Q1.json"
check_true "d: every report of the untouched city B is unchanged" \
	same_hub_reports "$work/rep/d-before" "$work/rep/d-after" $city_b
"$python" "$here/flat.py" versions "$work/rep/d-before/$province-2020.json" $city_b >"$work/out/d-vb"
"$python" "$here/flat.py" versions "$work/rep/d-after/$province-2020.json" $city_b >"$work/out/d-va"
check_true "d: city B's versions at the province are unchanged" cmp -s "$work/out/d-vb" "$work/out/d-va"
raw_set $c mfg_pass_rate 2020-05 4 $new
converge "d" $province $city_a $city_b

# --------------------------------------------- e. kill -9 in mid-stream
section "e. a hub killed with kill -9 during a push loses no acknowledged snapshot"
# The fresh county also loads the nine years before 2020, so that its
# push (about 2,600 states) takes three submissions (an uplink sends up to
# 1,024 states at a time) and the kill is likely to fall between or inside
# them.
add_county $fresh || not_ok "e: cannot load $fresh"
for y in $(seq 2011 2019); do
	"$gen" --region $fresh --year $y --out "$work/fresh-$y" --flat "$work/fresh-$y/flat.csv" \
		>/dev/null 2>>"$work/log/node.log" &&
		node_cmd import --db "$work/db/$fresh.db" "$work/fresh-$y/$fresh.csv" >/dev/null &&
		tail -n +2 "$work/fresh-$y/flat.csv" >>"$work/raw/raw.csv" ||
		not_ok "e: cannot load $fresh for $y"
done
total=$(pending "$work/db/$fresh.db")
"$node" push --db "$work/db/$fresh.db" --hub "${url[$city_b]}" --timeout-ms 8000 \
	>"$work/out/e-push.out" 2>"$work/out/e-push.err" &
e_push=$!
bg_pids+=($e_push)
# The push of those states takes well under 100 ms on a fast disk, so the
# hub is killed at the first of two moments: the first acknowledgement
# recorded in the county's store (the rest is then still on its way), or a
# random 50 to 300 ms after the push started (sanitizer builds are slower).
delay_ms=$((50 + RANDOM % 251))
n=0
t0=$(date +%s%N)
while kill -0 $e_push 2>/dev/null &&
	[ $((($(date +%s%N) - t0) / 1000000)) -lt $delay_ms ]; do
	n=$(sqlite3 -cmd ".timeout 1000" "$work/db/$fresh.db" "SELECT count(*) FROM uplink_ack" 2>/dev/null)
	[ "${n:-0}" -gt 0 ] && break
	sleep 0.005
done
running=$(kill -0 $e_push 2>/dev/null && echo "still running" || echo "already done")
kill9_hub $city_b
echo "# killed city B after $((($(date +%s%N) - t0) / 1000000)) ms (limit $delay_ms ms), ${n:-0} acknowledged, the push $running"
start_hub $city_b
end=$((SECONDS + deadline_s))
while kill -0 $e_push 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.05; done
kill -KILL $e_push 2>/dev/null
wait $e_push
rc=$?
cat "$work/out/e-push.err" >>"$work/log/node.log"
# The push may have finished before the kill, or reached the restarted
# hub, or given up: all fine, as long as nothing acknowledged is lost.
case $rc in
0 | 69) ok "e: the interrupted push ended with exit $rc" ;;
*) not_ok "e: the interrupted push ended with exit $rc: $(cat "$work/out/e-push.err")" ;;
esac
acked=$(sqlite3 "$work/db/$fresh.db" \
	"SELECT count(*) FROM uplink_ack WHERE uplink = 'parent' AND status IN (1, 2, 3)")
lost=$(sqlite3 "$work/db/$fresh.db" "ATTACH '$work/db/$city_b.db' AS hub;
	SELECT count(*) FROM uplink_ack a LEFT JOIN hub.region_state c
	ON c.indicator = a.indicator AND c.period = a.period
	AND c.region = '$fresh' AND c.via = '$fresh'
	WHERE a.uplink = 'parent' AND a.status IN (1, 2, 3)
	AND (c.version IS NULL OR c.version < a.version)")
echo "# $acked of $total snapshots were acknowledged when the push ended"
check "e: of $acked acknowledged snapshots, missing at the restarted hub" "$lost" 0
push $fresh
rc=$?
check "e: push again: exit" $rc 0
check "e: nothing pending at $fresh" "$(pending "$work/db/$fresh.db")" 0
converge "e" $province $city_a $city_b
check "e: province mfg_pass_rate 2020 reporting with $fresh" \
	"$(field "$work/rep/conv/$province-2020.json" $province mfg_pass_rate reporting)" 7
# The earlier years went up the tree too; 2016 holds only $fresh.
report $province 2016 "$work/out/e-p2016.json" &&
	report $city_b 2016Q3 "$work/out/e-b2016q3.json" &&
	flat_compare "$work/out/e-p2016.json" "$work/out/e-b2016q3.json" >"$work/out/compare.out" 2>&1
rc=$?
check "e: the province's 2016 and city B's 2016Q3 match the flat computation" $rc 0
[ $rc -eq 0 ] || head -20 "$work/out/compare.out"
check "e: province mfg_pass_rate 2016 reporting" \
	"$(field "$work/out/e-p2016.json" $province mfg_pass_rate reporting)" 1

# ------------------------------------------------------ f. a hub is down
section "f. a county whose hub is down keeps its data and delivers it later"
stop_hub $city_a
check "f: city A stops cleanly on SIGTERM" $? 0
c=130505
old=$(raw_get $c supervision_spot_check_batches 2020-07 6)
new=$((old + 5))
node_cmd record --db "$work/db/$c.db" --indicator supervision_spot_check_batches \
	--period 2020-07 --value $new >"$work/out/record.out"
check "f: record a new figure at $c" "$(cat "$work/out/record.out")" \
	"corrected supervision_spot_check_batches 2020-07"
push_with $c --hub "ipc://$work/sock/$city_a" --timeout-ms 500
check "f: push to the stopped hub exits 69" $? 69
n=$(pending "$work/db/$c.db")
check "f: snapshots still pending at $c (month, quarter, year)" "$n" 3
start_hub $city_a
push $c
rc=$?
check "f: push once the hub is up: exit, accepted" "$rc ${accepted:-?}" "0 $n"
raw_set $c supervision_spot_check_batches 2020-07 6 $new
converge "f" $province $city_a $city_b

# ----------------------------------------------- g. a hub lost its disk
section "g. a hub restarted on an empty database gets everything again"
old_instance=$(instance_of "$work/db/$city_a.db")
stop_hub $city_a
check "g: city A stops cleanly" $? 0
rm -f "$work/db/$city_a.db" "$work/db/$city_a.db-wal" "$work/db/$city_a.db-shm"
start_hub $city_a
new_instance=$(instance_of "$work/db/$city_a.db")
if [ -n "$new_instance" ] && [ "$new_instance" != "$old_instance" ]; then
	ok "g: the new database has a new instance id"
else
	not_ok "g: instance id '$old_instance' -> '$new_instance'"
fi
# City A's own observations were in the deleted database: they are gone,
# so they leave the flat raw rows too (its counties' rows stay: they
# carry the counties' codes). They were recorded for periods in
# which its counties also report, so the city sends a new snapshot for
# every (indicator, period) the province holds from it, and the province
# ends up with exactly the flat figures without them.
awk -F, -v r=$city_a '$1 != r' "$work/raw/raw.csv" >"$work/raw/raw.tmp" &&
	mv "$work/raw/raw.tmp" "$work/raw/raw.csv"
for c in $counties_a; do
	n=$(sqlite3 "$work/db/$c.db" "SELECT count(*) FROM snapshot")
	push $c
	rc=$?
	check "g: $c sees the new instance and resends all: exit, accepted" \
		"$rc ${accepted:-?}" "0 $n"
done
converge "g" $province $city_a $city_b

# ------------------------------------------------ h. not a direct child
section "h. a submission from a region that is not a direct child is refused"
# tally-node addresses its submission to the parent that the division tree
# gives its region, so a county of city A that pushes to city B's URL says
# "hub 130500" to hub 130600. The hub checks the address before the sender
# and refuses it as misaddressed; either reason refuses the whole
# submission. (The "not a direct child" wording itself, with a submission
# addressed to the right hub, is covered by tests/test_hub.c: the node's
# command line cannot produce one.)
c=130502
reports "$work/rep/h-before" $city_b
instance_a=$(instance_of "$work/db/$city_a.db")
sqlite3 "$work/db/$c.db" "DELETE FROM uplink_ack" # so that it has states to send
push_with $c --hub "${url[$city_b]}"
check "h: $c (city A) pushing to city B exits 77" $? 77
refusal="not a direct child|addressed to hub $city_a, this is hub $city_b"
check_true "h: the push names the refusal" grep -q -E "$refusal" "$work/out/push-$c.err"
check_true "h: city B's log names the refusal" grep -q -E "$refusal" "$work/log/hub-$city_b.log"
check "h: $c still holds city A's instance id, not city B's" \
	"$(sqlite3 "$work/db/$c.db" "SELECT value FROM meta WHERE key = 'uplink_instance:parent'")" "$instance_a"
reports "$work/rep/h-after" $city_b
check_true "h: city B's figures are unchanged" same_figures "$work/rep/h-before" "$work/rep/h-after"
push $c
rc=$?
check "h: $c pushing to its own hub: exit, accepted" "$rc ${accepted:-?}" "0 0"
converge "h" $province $city_a $city_b

# --------------------------------------------------------- clean stops
final_stops $city_a $city_b $province
finish

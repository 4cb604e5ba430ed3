#!/usr/bin/env bash
# Redistricting as it happens (docs/redistricting.md): the province must
# count a moving county exactly once at every moment while a change of
# parent propagates, not only once everything has converged.
#
# Zhejiang's province hub (330000) and two of its cities, 杭州 330100 (A)
# and 宁波 330200 (B), run as real processes, with two counties each (桐庐
# 330122, under A, is the one that moves) holding a generated year 2020,
# month by month. Once the tree equals tests/flat.py, division_changes.csv
# moves 330122 to B from 2020-07. The province keeps the county throughout,
# so its own figure for every period is the same before, during and after
# the change, and there is exactly one right figure (no county changes its
# data meanwhile). A background poller takes `tally-hub report` of the
# province again and again for the year, Q3, Q4, three months from 2020-07
# and one before, while the change is deployed in the worst orders, each on
# fresh hubs and stores:
#   a. the province first, then A (its new totals reach the province), then
#      B, then the county pushes with one --hub per parent: between A and
#      the county, the province could drop the county;
#   b. B first and the county pushes to it (B's new totals reach the
#      province), then A, the province last: meanwhile the province could
#      count the county twice.
# After each step the poller takes every period at least once more before
# the next step, so that the state each step leaves is seen whatever the
# speed of the machine. Each program reads its own data directory, which
# gets the file when the program is restarted, as in a real deployment. tests/live_check.py holds
# every observation to the flat figure (value and sums within 1e-9, the
# reporting leaves exactly) and says how many were too high (a double
# count) or too low (a drop). After each order every figure of the province
# and the cities' affected periods equal flat.py --changes, the sanitizer
# logs are clean and the hubs stop cleanly. The last line is
# "N passed, N failed".
#
# Usage: bash tests/redistrict_live.sh BUILD_DIR
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 64
fi
deadline_s=${deadline_s:-60}
# shellcheck source=tests/faultlib.sh
. "$(dirname "$0")/faultlib.sh"
fl_init "$1" redistrict_live

province=330000
city_a=330100
city_b=330200
mover=330122
counties="330102 $mover 330203 330205"
live_periods="2020 2020Q3 2020Q4 2020-07 2020-09 2020-12 2020-03"

# The reference data directory (what flat_compare and converge read: the
# change is in it once it is decided) and one per program, which gets the
# change when the program is restarted with it.
ref=$work/data
mkdir -p "$ref"
cp "$fl_tests"/../configs/{indicators,divisions,targets}.csv "$ref/"
export TALLY_DATA_DIR=$ref
for r in $province $city_a $city_b $mover; do
	mkdir -p "$work/data-$r"
	cp "$ref"/*.csv "$work/data-$r/"
done
cat >"$work/changes.csv" <<EOF
region,parent_code,effective
# Illustrative only: in this test 桐庐县 moves to 宁波市.
$mover,$city_b,2020-07
EOF

# start_as REGION: the hub with its own data directory.
start_as() {
	TALLY_DATA_DIR=$work/data-$1 start_hub "$1"
}

# restart REGION: stops the hub (it must stop cleanly), gives it the change
# and starts it again.
restart() {
	local r=$1
	stops_cleanly "$label: " "$r"
	cp "$work/changes.csv" "$work/data-$r/division_changes.csv"
	note "$label: hub $r restarted with the change at $(date +%T.%N | cut -c1-12)"
	start_as "$r"
}

# push_mover: the county, given the change, pushes with one --hub per
# parent.
push_mover() {
	cp "$work/changes.csv" "$work/data-$mover/division_changes.csv"
	TALLY_DATA_DIR=$work/data-$mover push_with $mover \
		--hub "$city_a=${url[$city_a]}" --hub "$city_b=${url[$city_b]}"
	check "$label: $mover pushes to both parents" $? 0
	note "$label: $mover pushed at $(date +%T.%N | cut -c1-12): $(tr '\n' ' ' <"$work/out/push-$mover.out")"
}

# pushed_up REGION: waits until the hub has nothing left to send to the
# province, so that what it recomputed or received has reached it: the
# worst moment of the order. A hub may have reason to hold states back
# while the others run another file; that is only noted (the convergence
# at the end holds it to every figure), after a shorter wait.
pushed_up() {
	if wait_until 15 nothing_pending "$work/db/$1.db"; then
		note "$label: hub $1 has sent everything up at $(date +%T.%N | cut -c1-12)"
	else
		note "$label: hub $1 still holds $(pending "$work/db/$1.db") states for the province after 15 s"
	fi
	observed
}

# observed: waits until the poller has taken every polled period at least
# once after this moment, so that each step's state is seen whatever the
# speed of the machine: the report under way now may have started before
# it, the next ones (one per period) have not.
observed() {
	local n
	n=$(($(wc -l <"$work/obs/index") + $(echo "$live_periods" | wc -w) + 1))
	wait_until "$deadline_s" obs_at_least $n ||
		not_ok "$label: the poller took no full round within ${deadline_s}s"
}

# shellcheck disable=SC2317 # called through wait_until
obs_at_least() {
	[ "$(wc -l <"$work/obs/index")" -ge "$1" ]
}

# The poller: the province's report of each polled period in turn, as
# fast as the reports come, each kept with its start and end time, until
# the stop file appears.
start_poller() {
	rm -rf "$work/obs"
	mkdir -p "$work/obs"
	: >"$work/obs/index"
	(
		i=0
		while [ ! -e "$work/obs/stop" ]; do
			for p in $live_periods; do
				i=$((i + 1))
				t0=$EPOCHREALTIME
				TALLY_DATA_DIR=$work/data-$province "$hub" report \
					--db "$work/db/$province.db" --period "$p" --depth 0 \
					--format json >"$work/obs/$i.json" 2>>"$work/log/report.log"
				rc=$?
				echo "$i $t0 $EPOCHREALTIME $p $rc $work/obs/$i.json" >>"$work/obs/index"
			done
		done
	) &
	poller=$!
	bg_pids+=("$poller")
}

stop_poller() {
	touch "$work/obs/stop"
	wait "$poller"
}

# scenario LABEL ORDER: fresh hubs and stores, the tree before the change,
# then the change deployed in ORDER (a or b) under the poller.
scenario() {
	label=$1
	local order=$2 c rc t_from t_to
	section "$label"
	rm -f "$work"/db/* "$ref/division_changes.csv" "$work"/data-*/division_changes.csv
	cp "$work"/tmpl/* "$work/db/"
	unset "fl_port[$province]"
	start_as $province && start_as $city_a && start_as $city_b || return 1
	for c in $counties; do
		push "$c" || not_ok "$label: push $c: $(cat "$work/out/push-$c.err")"
	done
	converge "$label: before the change" $province || return 1

	cp "$work/changes.csv" "$ref/division_changes.csv"
	start_poller
	t_from=$EPOCHREALTIME
	observed
	# After every step the poller sees the state it leaves.
	case $order in
	a)
		restart $province && observed || return 1
		restart $city_a || return 1
		pushed_up $city_a
		restart $city_b && observed || return 1
		push_mover
		pushed_up $city_b
		;;
	b)
		restart $city_b && observed || return 1
		push_mover
		pushed_up $city_b
		restart $city_a || return 1
		pushed_up $city_a
		restart $province && observed || return 1
		;;
	esac
	converge "$label: after the change" $province
	periods="2020 2020Q3 2020Q4 2020-03 2020-09" \
		converge "$label: the cities' affected periods" $city_a $city_b
	t_to=$EPOCHREALTIME
	# A little longer: nothing may move once it has converged.
	sleep 1
	stop_poller

	"$python" "$fl_tests/live_check.py" --indicators "$ref/indicators.csv" \
		--tree "$ref/divisions.csv" --changes "$work/changes.csv" \
		--raw "$work/raw/raw.csv" --index "$work/obs/index" --region $province \
		--window "$t_from" "$t_to" --min 20 >"$work/out/live-$order.out" 2>&1
	rc=$?
	sed 's/^/# /' "$work/out/live-$order.out"
	if [ $rc -eq 0 ]; then
		ok "$label: every report of the province taken while the change propagated equals the flat figure ($(sed -n 's/^live_check: \([0-9]*\) observations of.*/\1/p' "$work/out/live-$order.out") observations)"
	else
		not_ok "$label: the province's reports while the change propagated: $(grep -m1 'bad observations' "$work/out/live-$order.out" | sed 's/^live_check: //')"
	fi

	stops_cleanly "$label: " $city_a $city_b $province
}

# ------------------------------------------------------------------ setup
# The counties' stores are made once and copied for each order.
gen_year 2020 --monthly || {
	not_ok "tally-gen failed"
	finish
}
loaded=1
for c in $counties; do
	add_county "$c" || loaded=0
done
check "four counties created and loaded" $loaded 1
mkdir -p "$work/tmpl"
cp "$work"/db/* "$work/tmpl/"

scenario "a (province, A, B, then the county)" a || finish
scenario "b (B and the county, then A, the province last)" b || finish
final_stops
finish

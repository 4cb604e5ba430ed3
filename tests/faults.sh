#!/usr/bin/env bash
# Fault tests: real tally-hub and tally-node processes on real
# SQLite files, over ipc:// and loopback TCP, doing real damage, each case
# ending in the flat-computation invariant (every report of every hub, the
# province's county rows included, equals tests/flat.py over the raw rows)
# and in "every acknowledged snapshot is held": each child's
# acknowledgements (accepted or duplicate) are looked up in its hub's
# database at that version or a newer one. Every case ends with what it
# left running stopping cleanly, and no sanitizer report in any log.
#
# Usage: bash tests/faults.sh BUILD_DIR CASE
#
# Cases (one CTest test each, so that they run and time out separately):
#   burst       a city hub killed with kill -9 at a random moment while 20
#               counties push at once, then the province killed while two
#               cities forward a burst; both restarted
#   node-kill   tally-node push killed mid-push, then a tally-node run
#               daemon killed mid-delivery; both started again
#   hub-down    a city hub and the province down for a while: pushes exit
#               69, daemons retry, corrections queue (one county revises
#               the same month twice, and an older copy of a store arrives
#               after the newer one); restarted in a random order
#   db-lost     the province, then a city hub, restarted on an empty
#               database with a new instance id
#   partition   the link between a city hub and the province cut (reset,
#               refused), then hung (nothing moves), through a TCP proxy
#   stuck       clients that never finish their handshake or their message,
#               one that sends a byte every 200 ms, and one that never
#               reads its replies, while honest counties push
#   disk        the city hub's disk full (a small tmpfs), its database
#               files made immutable (read-only), and its database locked
#               by another process
#   correction  a county revises an old month (and an old quarter): the
#               quarter, the year, the city and the province change by
#               exactly the difference
#   handshake   a peer that leaves a city hub's listener before the hub's
#               half of the handshake: the hub still takes new connections
# The last line is "N passed, N failed".
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 BUILD_DIR CASE" >&2
	exit 64
fi
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/faultlib.sh
. "$here/faultlib.sh"
fl_init "$1" "fault-$2"
case_name=$2

# kill_when_held REGION COUNT MAX_MS: kill -9 the hub of REGION once its
# database holds COUNT states from below, or after MAX_MS, whichever
# comes first. Prints what it saw.
kill_when_held() {
	local region=$1 want=$2 max=$3 t0 n=0
	t0=$(now_ms)
	while [ $(($(now_ms) - t0)) -lt "$max" ]; do
		n=$(sqlite3 -cmd ".timeout 200" "$work/db/$region.db" \
			"SELECT count(*) FROM region_state" 2>/dev/null)
		[ "${n:-0}" -ge "$want" ] && break
		sleep 0.02
	done
	kill9_hub "$region"
	note "killed hub $region with kill -9 after $(($(now_ms) - t0)) ms, holding ${n:-0} states (aimed at $want, at most $max ms)"
}

# holds_exactly COUNTY: the city hub holds every snapshot of the county at
# the county's own version: no state missing, none older, none newer.
holds_exactly() {
	local c=$1
	sqlite3 -cmd ".timeout 5000" "$work/db/${city_of[$c]}.db" "ATTACH '$work/db/$c.db' AS c;
		SELECT (SELECT count(*) FROM c.snapshot s LEFT JOIN region_state r
		        ON r.region = '$c' AND r.indicator = s.indicator AND r.period = s.period
		        WHERE r.version IS NOT s.version)
		     + (SELECT count(*) FROM region_state r LEFT JOIN c.snapshot s
		        ON s.indicator = r.indicator AND s.period = r.period
		        WHERE r.region = '$c' AND s.version IS NOT r.version)"
}

# ------------------------------------------------------------------ burst
case_burst() {
	local city=130500 other=130300 counties others c n total t0 rc lost
	local -A bp=()
	counties=$(counties_of $city | tr '\n' ' ')
	others="130302 130303"
	start_hub $province || finish
	start_hub $city || finish
	start_hub $other || finish
	for c in $counties $others; do add_county "$c" || not_ok "cannot load $c"; done
	n=$(echo $counties $others | wc -w)
	total=0
	for c in $counties; do total=$((total + $(pending "$work/db/$c.db"))); done

	section "1a. city hub $city killed with kill -9 while $n counties push at once"
	for c in $counties $others; do
		"$node" push --db "$work/db/$c.db" --hub "${url[${city_of[$c]}]}" --timeout-ms 30000 \
			>"$work/out/push-$c.out" 2>"$work/out/push-$c.err" &
		bp[$c]=$!
		bg_pids+=($!)
	done
	# At a random point of the burst: once the hub holds a random 10 to
	# 90 per cent of what its counties send.
	kill_when_held $city $((total * (10 + RANDOM % 81) / 100)) 8000
	for c in $counties; do save_acks "$work/db/$c.db" "$work/out/acks-$c"; done
	note "the counties held $(for c in $counties; do cat "$work/out/acks-$c"; done | wc -l) acknowledgements of $total states when the hub died"
	start_hub $city || finish
	lost=0
	for c in $counties; do lost=$((lost + $(lost_acks "$work/out/acks-$c" "$work/db/$city.db"))); done
	check "1a: acknowledged states missing at the restarted hub" "$lost" 0
	rc=""
	for c in $counties $others; do
		wait "${bp[$c]}"
		rc+="$? "
		cat "$work/out/push-$c.err" >>"$work/log/node.log"
	done
	note "push exit codes: $rc"
	for c in $counties $others; do
		if ! grep -q "accepted" "$work/out/push-$c.out"; then
			push "$c"
			check "1a: $c pushes again after its push gave up" $? 0
		fi
	done
	check "1a: nothing pending at any county" "$(nothing_pending $(for c in $counties $others; do echo "$work/db/$c.db"; done) && echo yes)" yes
	for c in $counties; do
		save_acks "$work/db/$c.db" "$work/out/acks-$c"
		lost=$((lost + $(lost_acks "$work/out/acks-$c" "$work/db/$city.db")))
	done
	check "1a: every acknowledgement of every county is held by the city" "$lost" 0
	converge_year "1a"

	section "1b. the province killed with kill -9 while both cities forward a burst"
	# City $other's counties load 2019 as well (each a few hundred
	# states, forwarded by the city in several submissions of up to 1,024
	# states), and every county of $city revises two months and runs as a
	# daemon, so that both cities forward at once.
	for c in 130304 130306 130321; do add_county "$c" 2019 2020 || not_ok "cannot load $c"; done
	for c in $counties; do correct_some "$c" || not_ok "cannot correct $c"; done
	t0=$(sqlite3 "$work/db/$province.db" "SELECT count(*) FROM region_state")
	for c in $counties 130304 130306 130321; do start_daemon "$c"; done
	kill_when_held $province $((t0 + 200 + RANDOM % 1500)) 8000
	save_acks "$work/db/$city.db" "$work/out/acks-$city"
	save_acks "$work/db/$other.db" "$work/out/acks-$other"
	note "the cities held $(cat "$work/out/acks-$city" "$work/out/acks-$other" | wc -l) acknowledgements when the province died"
	start_hub $province || finish
	lost=$(($(lost_acks "$work/out/acks-$city" "$work/db/$province.db") +
		$(lost_acks "$work/out/acks-$other" "$work/db/$province.db")))
	check "1b: acknowledged states missing at the restarted province" "$lost" 0
	converge "1b" $province $city $other
	report $province 2019 "$work/out/p2019.json" --depth 2 &&
		flat_compare "$work/out/p2019.json" >"$work/out/compare.out" 2>&1
	check "1b: the province's 2019, two levels deep, equals the flat computation" $? 0
	save_acks "$work/db/$city.db" "$work/out/acks-$city"
	save_acks "$work/db/$other.db" "$work/out/acks-$other"
	lost=$(($(lost_acks "$work/out/acks-$city" "$work/db/$province.db") +
		$(lost_acks "$work/out/acks-$other" "$work/db/$province.db")))
	check "1b: every acknowledgement of both cities is held by the province" "$lost" 0
	rc=""
	for c in $counties 130304 130306 130321; do
		stop_daemon "$c"
		rc+="$? "
	done
	check "1b: every daemon stops cleanly on SIGTERM" "$(echo $rc | tr ' ' '\n' | sort -u | tr '\n' ' ')" "0 "
}

# -------------------------------------------------------------- node-kill
case_node_kill() {
	local city=130500 x=130502 y=130503 total n rc pend t0 want
	start_hub $province || finish
	start_hub $city || finish
	# Seven years each: about 1,830 states, two submissions of up to
	# 1,024, so that a kill can fall between and inside them.
	for c in $x $y; do add_county $c $(seq 2014 2020) || not_ok "cannot load $c"; done

	section "2a. tally-node push killed with kill -9 mid-push"
	total=$(pending "$work/db/$x.db")
	"$node" push --db "$work/db/$x.db" --hub "${url[$city]}" --timeout-ms 20000 \
		>"$work/out/push-kill.out" 2>"$work/out/push-kill.err" &
	pid=$!
	bg_pids+=($pid)
	want=$((total * (10 + RANDOM % 81) / 100))
	t0=$(now_ms)
	n=0
	while kill -0 $pid 2>/dev/null && [ $(($(now_ms) - t0)) -lt 8000 ]; do
		n=$(sqlite3 -cmd ".timeout 200" "$work/db/$city.db" \
			"SELECT count(*) FROM region_state WHERE region = '$x'" 2>/dev/null)
		[ "${n:-0}" -ge $want ] && break
		sleep 0.01
	done
	kill -KILL $pid 2>/dev/null
	wait $pid
	rc=$?
	note "killed the push after $(($(now_ms) - t0)) ms (exit $rc), the hub holding ${n:-0} of $total states (aimed at $want)"
	pend=$(pending "$work/db/$x.db")
	note "$((total - pend)) of $total states acknowledged in the county's store, $pend pending"
	save_acks "$work/db/$x.db" "$work/out/acks-$x"
	check "2a: acknowledged states missing at the hub" "$(lost_acks "$work/out/acks-$x" "$work/db/$city.db")" 0
	push $x
	rc=$?
	check "2a: the push started again exits" $rc 0
	note "the second push: $accepted accepted, $duplicate duplicate (committed by the hub before the kill, acknowledgement never recorded), $stale stale"
	check "2a: the second push sent each pending state once: accepted + duplicate" \
		$((accepted + duplicate)) "$pend"
	check "2a: nothing pending at $x" "$(pending "$work/db/$x.db")" 0
	check "2a: the city holds every snapshot of $x at its version, none other" "$(holds_exactly $x)" 0

	section "2b. tally-node run killed with kill -9 mid-delivery"
	total=$(pending "$work/db/$y.db")
	want=$((total * (10 + RANDOM % 81) / 100))
	start_daemon $y
	t0=$(now_ms)
	n=0
	while [ $(($(now_ms) - t0)) -lt 8000 ]; do
		n=$(sqlite3 -cmd ".timeout 200" "$work/db/$city.db" \
			"SELECT count(*) FROM region_state WHERE region = '$y'" 2>/dev/null)
		[ "${n:-0}" -ge $want ] && break
		sleep 0.01
	done
	kill9_daemon $y
	pend=$(pending "$work/db/$y.db")
	note "killed the daemon after $(($(now_ms) - t0)) ms, the hub holding ${n:-0} of $total states; $pend pending at the county"
	save_acks "$work/db/$y.db" "$work/out/acks-$y"
	check "2b: acknowledged states missing at the hub" "$(lost_acks "$work/out/acks-$y" "$work/db/$city.db")" 0
	start_daemon $y
	check_true "2b: the restarted daemon delivers the rest" wait_until $deadline_s nothing_pending "$work/db/$y.db"
	stop_daemon $y
	check "2b: the daemon stops cleanly" $? 0
	check "2b: the city holds every snapshot of $y at its version, none other" "$(holds_exactly $y)" 0
	converge "2" $province $city
	report $province 2015 "$work/out/p2015.json" --depth 2 &&
		report $city 2014Q3 "$work/out/a2014q3.json" --depth 1 &&
		flat_compare "$work/out/p2015.json" "$work/out/a2014q3.json" >"$work/out/compare.out" 2>&1
	check "2: the province's 2015 and the city's 2014Q3 equal the flat computation" $? 0
	check "2: the province's mfg_pass_rate 2015 has both counties" \
		"$(field "$work/out/p2015.json" $province mfg_pass_rate reporting)" 2
}

# --------------------------------------------------------------- hub-down
case_hub_down() {
	local city=130500 c rc ind per first
	local xs="130502 130503 130505 130506"
	start_hub $province || finish
	start_hub $city || finish
	for c in $xs; do add_county $c || not_ok "cannot load $c"; done
	start_daemon 130502
	start_daemon 130503
	push 130505 && push 130506 || not_ok "the first pushes failed"
	converge_year "3 before"

	section "3. the city hub and the province down for a while"
	stop_hub $city
	check "3: the city hub stops on SIGTERM" $? 0
	stop_hub $province
	check "3: the province stops on SIGTERM" $? 0
	# 130502 revises the same month twice: only the newer may count.
	correct 130502 mfg_pass_rate 2020-03 &&
		correct 130502 mfg_pass_rate 2020-03 &&
		correct_some 130503 &&
		correct_some 130505 &&
		correct 130506 food_spot_check_pass_rate 2020-07 || not_ok "3: the corrections failed"
	# An older copy of 130506's store, taken before its second revision:
	# it arrives after the newer one, as a late retransmission would.
	sqlite3 "$work/db/130506.db" ".backup '$work/db/130506-old.db'"
	correct 130506 food_spot_check_pass_rate 2020-07 || not_ok "3: the correction failed"
	push 130505 --timeout-ms 1000
	check "3: a push to the stopped hub exits" $? 69
	check "3: the revised month, quarter and year stay pending at 130505" "$(pending "$work/db/130505.db")" 6
	push 130506 --timeout-ms 1000
	check "3: a second county's push exits" $? 69
	sleep 3
	check_true "3: both daemons still run while the hub is down" \
		kill -0 "${daemon_pid[130502]}" "${daemon_pid[130503]}"
	# Back in a random order; the counties push in a random order too.
	if [ $((RANDOM % 2)) -eq 0 ]; then
		first="city"
		start_hub $city && start_hub $province || finish
	else
		first="province"
		start_hub $province && start_hub $city || finish
	fi
	note "restarted the $first first"
	for c in $(printf '%s\n' 130505 130506 | shuf); do
		push $c
		check "3: $c pushes once its hub is back: exit" $? 0
	done
	# The older copy: what it holds newer than its acknowledgements is
	# now older than what the hub holds from 130506.
	"$node" push --db "$work/db/130506-old.db" --hub "${url[$city]}" \
		>"$work/out/push-old.out" 2>>"$work/log/node.log"
	rc=$?
	push_counts "$work/out/push-old.out"
	check "3: the older copy's late push: exit, accepted, stale" "$rc $accepted $stale" "0 0 3"
	converge "3" $province $city
	for c in 130502 130503; do
		stop_daemon $c
		check "3: daemon $c stops cleanly" $? 0
	done
	check "3: nothing pending at any county" \
		"$(nothing_pending $(for c in $xs; do echo "$work/db/$c.db"; done) && echo yes)" yes
}

# ---------------------------------------------------------------- db-lost
case_db_lost() {
	local a=130500 b=130300 old new c
	start_hub $province || finish
	start_hub $a || finish
	start_hub $b || finish
	for c in 130502 130503 130302; do add_county $c || not_ok "cannot load $c"; done
	start_daemon 130502
	start_daemon 130503
	push 130302 || not_ok "the first push failed"
	converge_year "4 before"

	section "4a. the province restarts on an empty database"
	old=$(instance_of "$work/db/$province.db")
	kill9_hub $province
	rm -f "$work/db/$province.db" "$work/db/$province.db-wal" "$work/db/$province.db-shm"
	start_hub $province || finish
	new=$(instance_of "$work/db/$province.db")
	check_true "4a: the new database has a new instance id ($old -> $new)" \
		test -n "$new" -a "$new" != "$old"
	# The cities make one exchange a second even with nothing pending:
	# the new instance id tells them to send everything again.
	converge_year "4a"
	for c in $a $b; do
		check "4a: city $c holds the province's new instance id" \
			"$(sqlite3 "$work/db/$c.db" "SELECT value FROM meta WHERE key = 'uplink_instance:parent'")" "$new"
		save_acks "$work/db/$c.db" "$work/out/acks-$c"
		check "4a: city $c's acknowledgements missing at the province" \
			"$(lost_acks "$work/out/acks-$c" "$work/db/$province.db")" 0
	done

	section "4b. a city hub restarts on an empty database; its counties' daemons are idle"
	old=$(instance_of "$work/db/$a.db")
	kill9_hub $a
	rm -f "$work/db/$a.db" "$work/db/$a.db-wal" "$work/db/$a.db-shm"
	start_hub $a || finish
	new=$(instance_of "$work/db/$a.db")
	check_true "4b: the city's new database has a new instance id" test -n "$new" -a "$new" != "$old"
	# Nothing changes at the counties: the daemons must learn of the new
	# hub by themselves and send everything again.
	converge "4b" $province $a $b
	for c in 130502 130503; do
		save_acks "$work/db/$c.db" "$work/out/acks-$c"
		check "4b: $c's acknowledgements missing at the new city hub" \
			"$(lost_acks "$work/out/acks-$c" "$work/db/$a.db")" 0
		stop_daemon $c
		check "4b: daemon $c stops cleanly" $? 0
	done
}

# -------------------------------------------------------------- partition
# proxy_mode MODE: the proxy switched to MODE. It reads its control file
# every 50 ms and logs each change; the test goes on once the log says so,
# not after a while (on a loaded machine the proxy can be late).
proxy_mode() {
	echo "$1" >"$work/sock/proxy.ctl.tmp" && mv "$work/sock/proxy.ctl.tmp" "$work/sock/proxy.ctl"
	wait_until $deadline_s proxy_in "$1" || not_ok "the proxy did not switch to $1"
}

proxy_in() {
	[ "$(sed -n 's/^faultnet proxy: [a-z]* -> //p' "$work/log/proxy.log" | tail -1)" == "$1" ]
}

# more_lines FILE PATTERN N: FILE has more than N lines matching PATTERN.
more_lines() {
	[ "$(grep -c -- "$2" "$1")" -gt "$3" ]
}

case_partition() {
	local a=130500 b=130300 c before after retries xs="130502 130503 130505"
	start_hub $province || finish
	# City A reaches the province only through the proxy, which runs as
	# long as this test does (a fixed lifetime ran out on a loaded
	# machine before the test was done with it).
	"$python" "$here/faultnet.py" proxy --to "${url[$province]}" --ready "$work/sock/proxy.ready" \
		--control "$work/sock/proxy.ctl" --max-seconds 3600 >>"$work/log/proxy.log" 2>&1 &
	bg_pids+=($!)
	wait_until 10 test -s "$work/sock/proxy.ready" || {
		not_ok "the proxy did not start"
		finish
	}
	parent_url[$a]=$(cat "$work/sock/proxy.ready")
	start_hub $a || finish
	start_hub $b || finish
	for c in $xs 130302; do add_county $c || not_ok "cannot load $c"; done
	for c in $xs 130302; do push $c || not_ok "5: the first push of $c failed"; done
	converge_year "5 before"

	section "5a. the link between city $a and the province is cut"
	retries=$(grep -c "uplink to .*retrying" "$work/log/hub-$a.log")
	proxy_mode cut
	reports "$work/rep/p-before" $province
	for c in $xs; do correct_some $c || not_ok "5a: cannot correct $c"; done
	for c in $xs; do
		push $c
		check "5a: $c pushes to its city during the cut: exit" $? 0
	done
	# Until the city's uplink has met the cut and given up once.
	check_true "5a: the city logs its failed uplink and retries" wait_until $deadline_s \
		more_lines "$work/log/hub-$a.log" "uplink to .*retrying" "$retries"
	reports "$work/rep/p-during" $province
	check_true "5a: the province's reports did not change during the cut" \
		diff -r "$work/rep/p-before" "$work/rep/p-during"
	# The city itself holds the new figures: only its row at the province
	# and the province are behind.
	reports "$work/rep/a-during" $a
	flat_compare "$work/rep/a-during"/*.json >"$work/out/compare.out" 2>&1
	check "5a: the city's own reports equal the flat computation during the cut" $? 0
	proxy_mode pass
	converge_year "5a healed"
	reports "$work/rep/p-before" $province

	section "5b. the link hangs: the proxy holds every byte"
	retries=$(grep -c "uplink to .*retrying" "$work/log/hub-$a.log")
	proxy_mode stall
	for c in $xs; do correct_some $c || not_ok "5b: cannot correct $c"; done
	# The same month twice at one county: the newer must arrive.
	correct 130502 pm25_concentration 2020-05 && correct 130502 pm25_concentration 2020-05 ||
		not_ok "5b: cannot correct 130502"
	for c in $xs; do
		push $c
		check "5b: $c pushes to its city while the link hangs: exit" $? 0
	done
	# Until the uplink has waited its whole 5 s timeout on the hung link,
	# given up and backed off to try again.
	check_true "5b: the city's uplink times out on the hung link" wait_until $deadline_s \
		more_lines "$work/log/hub-$a.log" "uplink to .*retrying" "$retries"
	reports "$work/rep/p-stall" $province
	check_true "5b: the province's reports did not change while the link hung" \
		diff -r "$work/rep/p-before" "$work/rep/p-stall"
	proxy_mode pass
	converge "5b healed" $province $a $b
	save_acks "$work/db/$a.db" "$work/out/acks-$a"
	check "5: city $a's acknowledgements missing at the province" \
		"$(lost_acks "$work/out/acks-$a" "$work/db/$province.db")" 0
}

# ------------------------------------------------------------------ stuck

# stuck_start MODE COUNT: COUNT clients of faultnet.py's MODE on the city
# hub's TCP listener, until the test stops them (they must still be there
# after the pushes, however long a loaded machine takes over them; an hour
# is only the last bound); waits until they are going.
stuck_start() {
	"$python" "$here/faultnet.py" stuck --to "${url[130500]}" --mode "$1" --count "$2" \
		--seconds 3600 --ready "$work/sock/stuck-$1.ready" >>"$work/log/stuck-$1.log" 2>&1 &
	sp[$1]=$!
	bg_pids+=($!)
	wait_until 30 test -s "$work/sock/stuck-$1.ready" || not_ok "6: the $1 client did not get going"
}

# honest_pushes LABEL COUNTY...: each county revises two months and
# pushes with the push's own default timeout (10 s): an honest child is
# acknowledged within it, whatever the stuck clients do.
honest_pushes() {
	local label=$1 c rc
	shift
	for c in "$@"; do
		correct_some $c || not_ok "$label: cannot correct $c"
		push $c
		rc=$?
		check "$label: $c pushes past the stuck clients: exit" $rc 0
		[ $rc -eq 0 ] || cat "$work/out/push-$c.err"
	done
}

case_stuck() {
	local a=130500 c mode xs="130502 130503 130505 130506"
	local -A sp=()
	listen[$a]=tcp://127.0.0.1:0
	start_hub $province || finish
	start_hub $a || finish
	for c in $xs; do add_county $c || not_ok "cannot load $c"; done
	for c in $xs; do push $c || not_ok "the first push of $c failed"; done

	section "6a. clients that never finish: silent, a partial message, a byte every 200 ms"
	stuck_start silent 3
	stuck_start partial 3
	stuck_start slow 3
	honest_pushes "6a" 130502 130503
	start_daemon 130506
	correct_some 130506 || not_ok "6a: cannot correct 130506"
	converge_year "6a"

	section "6b. and clients that send requests and never read the replies"
	stuck_start noread 2
	note "the noread clients sent $(cat "$work/sock/stuck-noread.ready") bytes of requests whose answers they never read"
	honest_pushes "6b" 130503 130505 130506
	correct_some 130506 || not_ok "6b: cannot correct 130506"
	converge "6" $province $a
	for mode in silent partial slow noread; do
		check_true "6: the $mode clients were still running through the pushes" kill -0 "${sp[$mode]}"
	done
	stop_daemon 130506
	check "6: the daemon stops cleanly" $? 0
	for mode in silent partial slow noread; do
		kill -TERM "${sp[$mode]}" 2>/dev/null
		wait "${sp[$mode]}" 2>/dev/null
	done
	cat "$work"/log/stuck-*.log | sed 's/^/# /'
	check_true "6: the city hub is still running" hub_alive $a
	correct_some 130505 || not_ok "6: cannot correct 130505"
	push 130505
	check "6: a push after the stuck clients left: exit" $? 0
	converge_year "6 after"
	# After a flood of requests whose replies are never read, NNG 1.5.2
	# can wedge its reaper thread, and then no NNG socket finishes
	# closing. The hub must still stop by itself: its database closed
	# first, then, if NNG is wedged, it ends 10 s after the signal with
	# EX_SOFTWARE (70) and says so. Not stopping, or any other status,
	# fails.
	local rc=none t0
	t0=$(now_ms)
	kill -TERM "${hub_pid[$a]}"
	if wait_until 30 eval '! kill -0 "${hub_pid[$a]}" 2>/dev/null'; then
		wait "${hub_pid[$a]}"
		rc=$?
	else
		kill9_hub $a
	fi
	note "the city hub ended with status $rc $(($(now_ms) - t0)) ms after SIGTERM"
	if [ "$rc" == 70 ] && grep -q "did not stop within 10 s of the signal" "$work/log/hub-$a.log"; then
		note "NNG did not finish closing (the 1.5.2 defect): the hub ended at its deadline, as documented"
		rc=0
	fi
	check "6: the city hub stops by itself on SIGTERM: exit 0 (or 70 at its deadline)" "$rc" 0
	for c in $xs; do
		save_acks "$work/db/$c.db" "$work/out/acks-$c"
		check "6: $c's acknowledgements missing at the stopped city hub" \
			"$(lost_acks "$work/out/acks-$c" "$work/db/$a.db")" 0
	done
	unset "hub_pid[$a]"
}

# ------------------------------------------------------------------- disk
case_disk() {
	local a=130500 b=130300 c mnt=$work/mnt d lost locker bdb
	local xs="130502 130503" ys="130302 130303"
	start_hub $province || finish
	mkdir -p "$mnt"
	# City A's database on a tmpfs of its own, 8 MiB: enough for the
	# test's data, and quick to fill.
	if mount -t tmpfs -o size=8m tally-fault "$mnt" 2>"$work/out/mount.err"; then
		fl_cleanups+=("umount '$mnt' 2>/dev/null")
		d=$mnt
		# The store made on the tmpfs, and a link to it where the test
		# looks: the hub opens an existing store of its region, and
		# SQLite follows the link, so its -wal and -shm files are on
		# the tmpfs too.
		node_cmd init -q --db "$d/$a.db" --region $a >/dev/null || not_ok "cannot make the store"
		ln -s "$d/$a.db" "$work/db/$a.db"
	else
		note "cannot mount a tmpfs here ($(cat "$work/out/mount.err")): the disk-full case is left out"
		d=""
	fi
	start_hub $a || finish
	start_hub $b || finish
	for c in $xs $ys; do add_county $c || not_ok "cannot load $c"; done
	for c in $xs $ys; do push $c || not_ok "the first push of $c failed"; done
	converge_year "7 before"

	if [ -n "$d" ]; then
		section "7a. city $a's disk is full"
		for c in $xs; do save_acks "$work/db/$c.db" "$work/out/acks-$c"; done
		dd if=/dev/zero of="$d/filler" bs=64k 2>/dev/null
		note "filled the tmpfs: $(df -k "$d" | awk 'NR == 2 { print $4 }') KiB left"
		correct_some 130502 && correct_some 130503 || not_ok "7a: cannot correct"
		push 130502 --timeout-ms 3000
		check "7a: a push to the hub with a full disk exits" $? 69
		start_daemon 130503
		sleep 3
		check_true "7a: the hub is still running" hub_alive $a
		check_true "7a: the hub logs why it does not acknowledge" \
			grep -q "database or disk is full" "$work/log/hub-$a.log"
		grep -E "ERROR" "$work/log/hub-$a.log" | tail -2 | sed 's/^/# hub log: /'
		check "7a: the revisions stay pending at 130502" "$(pending "$work/db/130502.db")" 6
		check "7a: the revisions stay pending at 130503" "$(pending "$work/db/130503.db")" 6
		lost=0
		for c in $xs; do lost=$((lost + $(lost_acks "$work/out/acks-$c" "$work/db/$a.db"))); done
		check "7a: acknowledged states missing at the hub" "$lost" 0
		rm -f "$d/filler"
		note "space is back"
		push 130502
		check "7a: the push once space is back: exit" $? 0
		check_true "7a: the daemon delivers by itself" wait_until $deadline_s nothing_pending "$work/db/130503.db"
		stop_daemon 130503
		check "7a: the daemon stops cleanly" $? 0
		converge_year "7a"
		for c in $xs; do save_acks "$work/db/$c.db" "$work/out/acks-$c"; done
		lost=0
		for c in $xs; do lost=$((lost + $(lost_acks "$work/out/acks-$c" "$work/db/$a.db"))); done
		check "7a: every acknowledgement is held once space is back" "$lost" 0
	fi

	section "7b. city $b's database becomes read-only while it runs"
	# As root, file modes do not stop a write; on the work directory's
	# disk (ext4) the immutable attribute does, even through a file that
	# is already open (EPERM). A tmpfs lets such writes through, which is
	# why this is city B's database, not the one on the tmpfs.
	bdb=$work/db/$b.db
	if chattr +i "$bdb" "$bdb-wal" 2>"$work/out/chattr.err" &&
		! (echo >>"$bdb-wal") 2>/dev/null; then
		fl_cleanups+=("chattr -i '$bdb' '$bdb-wal' 2>/dev/null")
		for c in $ys; do save_acks "$work/db/$c.db" "$work/out/acks-$c"; done
		correct_some 130302 || not_ok "7b: cannot correct"
		push 130302 --timeout-ms 3000
		check "7b: a push to the hub with a read-only database exits" $? 69
		check_true "7b: the hub is still running" hub_alive $b
		grep -E "ERROR" "$work/log/hub-$b.log" | tail -2 | sed 's/^/# hub log: /'
		check_true "7b: the hub logs why it does not acknowledge" \
			grep -q "commit failed" "$work/log/hub-$b.log"
		check "7b: the revisions stay pending at 130302" "$(pending "$work/db/130302.db")" 6
		chattr -i "$bdb" "$bdb-wal"
		note "the database is writable again"
		push 130302
		check "7b: the push once the database is writable: exit" $? 0
		for c in $ys; do save_acks "$work/db/$c.db" "$work/out/acks-$c"; done
		lost=0
		for c in $ys; do lost=$((lost + $(lost_acks "$work/out/acks-$c" "$work/db/$b.db"))); done
		check "7b: acknowledged states missing at the hub" "$lost" 0
		converge_year "7b"
	else
		chattr -i "$bdb" "$bdb-wal" 2>/dev/null
		note "the immutable attribute does not stop writes here ($(cat "$work/out/chattr.err")): the read-only case is left out"
	fi

	if [ -n "$d" ]; then
		section "7d. a store on a read-only filesystem"
		# Opening a store sets WAL mode, which writes; on a read-only
		# mount that fails. The message must say so: "not a Tally
		# store" could get a good database deleted.
		local ro=$work/ro
		mkdir -p "$ro"
		if mount -t tmpfs -o size=1m tally-fault-ro "$ro" 2>>"$work/out/mount.err"; then
			fl_cleanups+=("umount '$ro' 2>/dev/null")
			node_cmd init -q --db "$ro/c.db" --region 130502 >/dev/null || not_ok "7d: cannot make the store"
			mount -o remount,ro "$ro"
			"$node" show --db "$ro/c.db" --period 2020 >/dev/null 2>"$work/out/ro.err"
			check "7d: tally-node show on it exits" $? 74
			check_true "7d: and says the store is read-only" \
				grep -q "cannot open for writing: the file or its directory is read-only" "$work/out/ro.err"
			check_true "7d: not that it is no Tally store" eval '! grep -q "not a Tally store" "$work/out/ro.err"'
			umount "$ro"
		fi
	fi

	section "7c. another process holds city $b's database locked"
	# The other process holds the write lock from when it says so (the
	# file locked) until the test lets it go (the file unlock), not for a
	# fixed time: however slowly the machine runs, the first push meets
	# the lock, and the second comes after it is gone.
	printf '%s\n' "touch '$work/out/locked'" \
		"while [ ! -e '$work/out/unlock' ]; do sleep 0.05; done" >"$work/out/hold.sh"
	sqlite3 "$bdb" >/dev/null 2>&1 <<-EOF &
		.timeout 5000
		BEGIN IMMEDIATE;
		.shell sh $work/out/hold.sh
		COMMIT;
	EOF
	locker=$!
	bg_pids+=($locker)
	check_true "7c: the other process holds the lock" wait_until $deadline_s test -e "$work/out/locked"
	correct_some 130303 || not_ok "7c: cannot correct"
	push 130303 --timeout-ms 3000
	check "7c: a push while the database is locked exits" $? 69
	# The hub's writer waits up to 5 s for the lock, then gives up on
	# the submission and says so.
	check_true "7c: the hub logs why" wait_until $deadline_s \
		grep -q "commit failed (busy)" "$work/log/hub-$b.log"
	touch "$work/out/unlock"
	wait $locker
	check "7c: the other process commits and lets the lock go" $? 0
	push 130303
	check "7c: the push once the lock is released: exit" $? 0
	converge "7" $province $a $b
	for h in $a $b; do
		check_true "7: hub $h is still running" hub_alive $h
		stop_hub $h
		check "7: hub $h stops cleanly on SIGTERM" $? 0
	done
}

# -------------------------------------------------------------- handshake
# A peer that leaves before the hub has written its half of the SP
# handshake made NNG 1.5.2 stop accepting on the listener for good
# (hub/listen.h): the hub answered its connected children and never
# another one. A county push that gave up while its socket dialled again
# is such a peer; under load it left city hubs deaf in fault_disk.
#
# The peer leaves right after a push, several times: the hub's watcher
# then looks at the listener, its own connection leaving counted,
# about when the peer ends the listener. A watcher that took the count
# read after its look as the new mark once missed the end this way and
# left the hub deaf (the same look at another time always saw it).
handshake_rounds=4

# The peer: connects to the hub's socket while the hub is stopped, and
# leaves; the hub then accepts a connection already closed, and its
# header meets a closed connection (NNG hands its listener NNG_ECLOSED,
# the error it takes for its own close).
leave_early() {
	local b=$1 sock=${url[$1]#ipc://}
	kill -STOP "${hub_pid[$b]}"
	"$python" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.close()' "$sock"
	local rv=$?
	kill -CONT "${hub_pid[$b]}"
	return $rv
}

# Whether the hub's log says n times that it listens again.
listens_again() {
	test "$(grep -c "listening again on ${url[$1]}" "$work/log/hub-$1.log")" -ge "$2"
}

case_handshake() {
	local b=130300 c=130302 lost r
	start_hub $b || finish
	add_county $c || not_ok "cannot load $c"
	push $c
	check "h: the first push: exit" $? 0
	for r in $(seq 1 $handshake_rounds); do
		section "h$r. a peer leaves city $b's listener before the hub's half of the handshake"
		leave_early $b
		check "h$r: the peer connects and leaves" $? 0
		if ! wait_until $deadline_s listens_again $b "$r"; then
			# A deaf hub takes no push: the rest tells nothing.
			not_ok "h$r: the hub listens again"
			break
		fi
		ok "h$r: the hub listens again"
		save_acks "$work/db/$c.db" "$work/out/acks-$c"
		correct_some $c || not_ok "h$r: cannot correct"
		push $c
		check "h$r: a push from a new connection afterwards: exit" $? 0
		check_true "h$r: the hub accepts what it sends" test "${accepted:-0}" -gt 0
		check "h$r: nothing stays pending at $c" "$(pending "$work/db/$c.db")" 0
		save_acks "$work/db/$c.db" "$work/out/acks-$c"
		lost=$(lost_acks "$work/out/acks-$c" "$work/db/$b.db")
		check "h$r: acknowledged states missing at the hub" "$lost" 0
	done
	grep -E "WARN" "$work/log/hub-$b.log" | tail -1 | sed 's/^/# hub log: /'
}

# ------------------------------------------------------------- correction
case_correction() {
	local a=130500 b=130300 x=130502 c f
	start_hub $province || finish
	start_hub $a || finish
	start_hub $b || finish
	for c in $x 130503 130302; do add_county $c || not_ok "cannot load $c"; done
	for c in $x 130503 130302; do push $c || not_ok "the first push of $c failed"; done
	converge_year "8 before"
	reports "$work/rep/before" $province $a $b

	section "8. $x revises February, and its second quarter of a stock"
	vmax=$(sqlite3 "$work/db/$x.db" "SELECT max(version) FROM snapshot")
	correct $x mfg_pass_rate 2020-02 -7 || not_ok "8: cannot correct"
	d_ratio=$delta
	correct $x supervision_spot_check_batches 2020-02 5 || not_ok "8: cannot correct"
	d_count=$delta
	correct $x industrial_brand_products 2020Q2 3 || not_ok "8: cannot correct"
	d_stock=$delta
	changed=$(sqlite3 "$work/db/$x.db" "SELECT count(*) FROM snapshot WHERE version > $vmax")
	note "the revisions gave $changed snapshots of $x a new version"
	push $x
	check "8: the revisions' push: exit, accepted (each snapshot the county re-versioned)" \
		"$? $accepted" "0 $changed"
	converge "8" $province $a $b
	after=$work/rep/conv
	before=$work/rep/before
	# diff FILE REGION INDICATOR FIELD: after minus before, exactly.
	diff_of() {
		"$python" - "$before/$1" "$after/$1" "$2" "$3" "$4" <<-'EOF'
			import json, sys
			def get(path):
			    for r in json.load(open(path))["regions"]:
			        if r["code"] == sys.argv[3]:
			            for i in r["indicators"]:
			                if i["id"] == sys.argv[4]:
			                    return i.get(sys.argv[5]) or 0
			    return 0
			d = get(sys.argv[2]) - get(sys.argv[1])
			print(int(d) if d == int(d) else d)
		EOF
	}
	for f in $a-2020-02 $a-2020Q1 $a-2020 $province-2020-02 $province-2020Q1 $province-2020; do
		for c in $x $a $province; do
			[ ${f%%-*} == $a ] && [ $c == $province ] && continue
			check "8: mfg_pass_rate numerator of $c in ${f%%-*}'s ${f#*-}" \
				"$(diff_of $f.json $c mfg_pass_rate numerator)" "$d_ratio"
			check "8: supervision_spot_check_batches of $c in ${f%%-*}'s ${f#*-}" \
				"$(diff_of $f.json $c supervision_spot_check_batches sum)" "$d_count"
		done
		check "8: mfg_pass_rate denominator of $a in ${f%%-*}'s ${f#*-} is unchanged" \
			"$(diff_of $f.json $a mfg_pass_rate denominator)" 0
	done
	for f in $province-2020Q2 $a-2020Q2; do
		check "8: the stock's second quarter at $a in $f" \
			"$(diff_of $f.json $a industrial_brand_products sum)" "$d_stock"
	done
	# A stock's year is its last quarter: a revised second quarter does
	# not move the year.
	check "8: the stock's year at the province is unchanged" \
		"$(diff_of $province-2020.json $province industrial_brand_products sum)" 0
	for f in $province-2020Q2 $province-2020-03 $province-2020-06; do
		check "8: mfg_pass_rate at the province in $f is unchanged" \
			"$(diff_of $f.json $province mfg_pass_rate numerator)" 0
	done
	check "8: city $b's row at the province is unchanged" \
		"$(diff_of $province-2020.json $b mfg_pass_rate numerator)" 0
	check_true "8: every report of city $b is byte-identical" \
		bash -c "for p in $periods; do cmp -s '$before/$b-'\$p.json '$after/$b-'\$p.json || exit 1; done"
}

case $case_name in
burst) case_burst ;;
node-kill) case_node_kill ;;
hub-down) case_hub_down ;;
db-lost) case_db_lost ;;
partition) case_partition ;;
stuck) case_stuck ;;
disk) case_disk ;;
correction) case_correction ;;
handshake) case_handshake ;;
*)
	echo "$0: unknown case '$case_name'" >&2
	exit 64
	;;
esac
# Whatever the case left running stops cleanly (a crash or a leak on the
# way out would otherwise go unseen): the daemons, then the cities, the
# province last.
for c in "${!daemon_pid[@]}"; do
	stop_daemon "$c"
	check "daemon $c exits 0 on SIGTERM" $? 0
done
cities=()
for h in "${!hub_pid[@]}"; do
	[ "$h" == "$province" ] || cities+=("$h")
done
final_stops "${cities[@]}" ${hub_pid[$province]:+$province}
finish

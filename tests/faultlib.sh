# Shared helpers of the shell tests that drive a tree of hubs (tests/tree.sh,
# compare.sh, redistrict.sh, redistrict_live.sh, history.sh, faults.sh) and
# of the soak test (bench/soak.sh), sourced by each, so that one copy of
# starting and stopping processes, checking and reporting serves them all:
# real tally-hub and tally-node processes on real SQLite files in one
# temporary directory, talking NNG over ipc:// sockets inside it and over
# loopback TCP with kernel-chosen ports. Every process a test starts is
# recorded here by its pid and stopped by that pid alone on exit; every
# wait is bounded. A test may set deadline_s before fl_init, and may set
# province and TALLY_DATA_DIR after it.
#
# A test sets up the library with fl_init BUILD_DIR NAME, builds its tree
# with start_hub and add_county, and ends every step with converge, which
# holds every hub's reports (at two levels: the province's counties too)
# for the year, its quarters and its months to the flat computation of
# tests/flat.py over the raw rows: the counties' generated rows as they
# stand after every correction the test made.

# ------------------------------------------------------------------ setup

# fl_init BUILD_DIR NAME: the binaries, the work directory, the trap.
fl_init() {
	build=$(cd "$1" && pwd) || exit 64
	fl_name=$2
	fl_tests=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	export TALLY_DATA_DIR=${TALLY_DATA_DIR:-$fl_tests/../configs}
	node=$build/node/tally-node
	hub=$build/hub/tally-hub
	gen=$build/bench/tally-gen
	# The real interpreter, not a version manager's shim: the tests
	# start Python often, and a shim can cost 0.3 s a start.
	python=$(python3 -c 'import sys; print(sys.executable)') || exit 1
	work=$(mktemp -d "${TMPDIR:-/tmp}/tally-$fl_name.XXXXXX")
	mkdir -p "$work/db" "$work/sock" "$work/log" "$work/raw" "$work/out" "$work/rep"
	fl_started=$(date +%s)
	declare -gA hub_pid=() daemon_pid=() url=() listen=() parent_url=() city_of=()
	declare -gA fl_port=()
	# Extra arguments of a hub's `run` (e.g. --http), by region.
	declare -gA hub_extra=()
	bg_pids=()
	fl_cleanups=()
	passed=0
	failed=0
	# Far above what any wait takes on a loaded 2-core machine under the
	# sanitizers; a wait that reaches it is a failure, not a slow pass.
	deadline_s=${deadline_s:-90}
	province=130000
	periods="2020 2020Q1 2020Q2 2020Q3 2020Q4 $(printf '2020-%02d ' $(seq 1 12))"
	for b in "$node" "$hub" "$gen"; do
		if [ ! -x "$b" ]; then
			not_ok "$b is missing; build first"
			finish
		fi
	done
	trap fl_cleanup EXIT
	trap 'exit 130' INT TERM
	echo "region,indicator,period,numerator,denominator,value,weight" >"$work/raw/raw.csv"
}

# Stops exactly the processes this script started: SIGTERM, up to 5 s for
# a clean stop, then SIGKILL. Then the test's own clean-ups (a tmpfs to
# unmount, an immutable flag to clear), last the work directory.
fl_cleanup() {
	local p alive c
	local all=("${hub_pid[@]}" "${daemon_pid[@]}" "${bg_pids[@]}")
	for p in "${all[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for _ in $(seq 1 50); do
		alive=0
		for p in "${all[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive -eq 0 ] && break
		sleep 0.1
	done
	for p in "${all[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for c in "${fl_cleanups[@]}"; do eval "$c"; done
	[ -n "${FL_KEEP:-}" ] && echo "# kept $work" || rm -rf "$work"
}

ok() {
	passed=$((passed + 1))
	echo "ok - $*"
}

not_ok() {
	failed=$((failed + 1))
	echo "FAIL - $*"
}

note() {
	echo "# $*"
}

section() {
	echo "# $* (at $(($(date +%s) - fl_started)) s)"
}

# check DESCRIPTION ACTUAL EXPECTED
check() {
	if [ "$2" == "$3" ]; then
		ok "$1"
	else
		not_ok "$1: got '$2', expected '$3'"
	fi
}

# check_true DESCRIPTION COMMAND...
check_true() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# sanitizer_check [quiet]: one check that no log (the hubs', the daemons',
# the commands') holds a report of AddressSanitizer, LeakSanitizer or
# UndefinedBehaviorSanitizer; the reports are shown when one does. Quiet, it
# says nothing when the logs are clean (what finish does when the test did
# not check itself).
sanitizer_check() {
	local f
	fl_san_checked=1
	if grep -l -E "AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:" \
		"$work"/log/*.log >"$work/out/san" 2>/dev/null; then
		not_ok "sanitizer reports in: $(xargs -n1 basename <"$work/out/san" | tr '\n' ' ')"
		for f in $(cat "$work/out/san"); do
			echo "--- $(basename "$f")"
			grep -A30 -E "AddressSanitizer|LeakSanitizer|runtime error:" "$f" | head -60
		done
	elif [ "${1:-}" != quiet ]; then
		ok "no sanitizer reports in any log"
	fi
}

# finish: the logs' tails when anything failed, a sanitizer scan (unless
# the test made its own), the one summary line "N passed, N failed", and
# the exit status.
finish() {
	local f
	[ -n "${fl_san_checked:-}" ] || sanitizer_check quiet
	if [ $failed -gt 0 ]; then
		for f in "$work"/log/*.log; do
			[ -f "$f" ] || continue
			echo "--- $(basename "$f") (last 30 lines)"
			tail -30 "$f"
		done
	fi
	echo "# $fl_name: $(($(date +%s) - fl_started)) s"
	echo "$passed passed, $failed failed"
	[ $failed -eq 0 ] && exit 0
	exit 1
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# --------------------------------------------------------------- the hubs

# start_hub REGION: listens on listen[REGION] (default: the province on
# loopback TCP with a kernel-chosen port, a city on an ipc:// socket in
# the work directory) and forwards to parent_url[REGION] (default: the URL
# of its parent hub, if that runs). A TCP hub restarted later binds the
# port it was given the first time, so that its children's URLs still
# hold. Waits for the ready file, which the hub writes once it listens.
start_hub() {
	local region=$1 args l p
	l=${listen[$region]:-}
	if [ -z "$l" ]; then
		if [ "$region" == "$province" ]; then
			l=tcp://127.0.0.1:0
		else
			l=ipc://$work/sock/$region
		fi
	fi
	[ -n "${fl_port[$region]:-}" ] && l=tcp://127.0.0.1:${fl_port[$region]}
	args=(--db "$work/db/$region.db" --region "$region" --listen "$l")
	p=${parent_url[$region]:-}
	if [ -z "$p" ] && [ "$region" != "$province" ]; then
		p=${url[$(parent_of "$region")]:-}
	fi
	[ -n "$p" ] && args+=(--parent "$p")
	# shellcheck disable=SC2206 # words on purpose
	[ -n "${hub_extra[$region]:-}" ] && args+=(${hub_extra[$region]})
	start_hub_with "$region" "${args[@]}" || return 1
	case ${url[$region]} in
	tcp://127.0.0.1:*) fl_port[$region]=${url[$region]##*:} ;;
	esac
	return 0
}

# start_hub_with NAME ARGS...: `tally-hub run ARGS` as the hub NAME (a
# region, or any name for a hub that is none, such as a comparison hub),
# logging to log/hub-NAME.log. Waits for its ready file sock/NAME.ready;
# its first line, the URL the hub listens on, goes to url[NAME].
start_hub_with() {
	local name=$1 ready=$work/sock/$1.ready
	shift
	rm -f "$ready"
	echo "--- start $(date +%T.%N)" >>"$work/log/hub-$name.log"
	"$hub" run "$@" --ready-file "$ready" 2>>"$work/log/hub-$name.log" &
	hub_pid[$name]=$!
	local end=$((SECONDS + deadline_s))
	while [ ! -s "$ready" ]; do
		if ! kill -0 "${hub_pid[$name]}" 2>/dev/null || [ $SECONDS -ge $end ]; then
			not_ok "hub $name did not become ready ($*)"
			return 1
		fi
		sleep 0.02
	done
	url[$name]=$(head -1 "$ready")
	return 0
}

# term_wait WHAT PID: SIGTERM and a bounded wait (SIGKILL after
# deadline_s); returns the exit status (137 when it had to be killed).
term_wait() {
	local what=$1 pid=$2 end=$((SECONDS + deadline_s)) masks m ready
	# A program that has not yet installed its SIGTERM handler (a
	# daemon stopped just after it started, still in the sanitizers'
	# start-up) would die of the signal itself and look like one that
	# failed to stop cleanly; wait, briefly, until it catches SIGTERM
	# (bit 15 of SigCgt in /proc/PID/status) or blocks it to take it with
	# sigwait, as a hub does. sigwait unblocks the signal in the thread
	# that waits, so that shows only in the other threads' SigBlk, which
	# they inherit from the main thread once it blocked the signal.
	for _ in $(seq 1 100); do
		masks=$(awk '/^(SigCgt|SigBlk):/ {print $2}' "/proc/$pid/task/"*/status 2>/dev/null)
		[ -z "$masks" ] && break
		ready=0
		for m in $masks; do
			(((0x$m >> 14) & 1)) && ready=1
		done
		[ $ready -eq 1 ] && break
		sleep 0.05
	done
	kill -TERM "$pid"
	while kill -0 "$pid" 2>/dev/null; do
		if [ $SECONDS -ge $end ]; then
			echo "# $what did not stop within ${deadline_s}s of SIGTERM: killed"
			kill -KILL "$pid"
			break
		fi
		sleep 0.05
	done
	wait "$pid"
}

# stop_hub REGION: term_wait, and the hub is no longer running.
stop_hub() {
	local rc
	term_wait "hub $1" "${hub_pid[$1]}"
	rc=$?
	unset "hub_pid[$1]"
	return $rc
}

# stops_cleanly PREFIX HUB...: stops each hub in turn, a check each that
# it exits 0 on SIGTERM (a hub that crashes or leaks on the way out does
# not). PREFIX starts each check's description.
stops_cleanly() {
	local prefix=$1 h
	shift
	for h in "$@"; do
		stop_hub "$h"
		check "${prefix}hub $h exits 0 on SIGTERM" $? 0
	done
}

# final_stops HUB...: the end of a test: every hub still running stops
# cleanly, in the order given (children before their parents), none is
# left, and no log holds a sanitizer report (a leak shows only once a
# process has exited).
final_stops() {
	section "every hub stops cleanly"
	stops_cleanly "" "$@"
	check "no hub is left running" "${!hub_pid[*]}" ""
	sanitizer_check
}

# kill9_wait PID: kill -9, and the process reaped.
kill9_wait() {
	kill -KILL "$1"
	wait "$1" 2>/dev/null
}

kill9_hub() {
	kill9_wait "${hub_pid[$1]}"
	unset "hub_pid[$1]"
}

hub_alive() {
	[ -n "${hub_pid[$1]:-}" ] && kill -0 "${hub_pid[$1]}" 2>/dev/null
}

parent_of() {
	awk -F, -v c="$1" '$1 == c { print $4; exit }' "$TALLY_DATA_DIR/divisions.csv"
}

# counties_of CITY: every county of a city in the division tree.
counties_of() {
	awk -F, -v c="$1" '$4 == c { print $1 }' "$TALLY_DATA_DIR/divisions.csv"
}

instance_of() {
	sqlite3 -cmd ".timeout 5000" "$1" "SELECT value FROM meta WHERE key = 'instance_id'"
}

# ------------------------------------------------------------ the counties

# gen_year YEAR [ARGS...]: the whole province's generated rows for a year,
# once; ARGS go to tally-gen (--monthly: every figure month by month).
gen_year() {
	local y=$1
	shift
	[ -f "$work/gen-$y/flat.csv" ] && return 0
	"$gen" --region $province --year "$y" --out "$work/gen-$y" --flat "$work/gen-$y/flat.csv" \
		"$@" >/dev/null 2>>"$work/log/node.log"
}

# add_county COUNTY [YEAR...]: its store and its generated years (2020 by
# default), each also kept as raw rows for the flat computation.
add_county() {
	local c=$1 y
	shift
	city_of[$c]=$(parent_of "$c")
	node_cmd init --db "$work/db/$c.db" --region "$c" >/dev/null || return 1
	for y in "${@:-2020}"; do
		gen_year "$y" &&
			node_cmd import --db "$work/db/$c.db" "$work/gen-$y/$c.csv" >/dev/null &&
			awk -F, -v r="$c" '$1 == r' "$work/gen-$y/flat.csv" >>"$work/raw/raw.csv" || return 1
	done
}

node_cmd() {
	"$node" "$@" 2>>"$work/log/node.log"
}

# own REGION INDICATOR PERIOD NUM DEN VALUE WEIGHT: an observation of a
# hub's own region (empty fields for what the kind lacks), recorded into
# its database while it runs, and kept as a raw row for the flat
# computation.
own() {
	local args=(record -q --db "$work/db/$1.db" --indicator "$2" --period "$3")
	[ -n "$4" ] && args+=(--num "$4" --den "$5")
	[ -n "$6" ] && args+=(--value "$6")
	[ -n "$7" ] && args+=(--weight "$7")
	node_cmd "${args[@]}" >/dev/null || return 1
	echo "$1,$2,$3,$4,$5,$6,$7" >>"$work/raw/raw.csv"
}

# push COUNTY [ARGS...]: tally-node push to the county's city hub; its
# output in $work/out/push-COUNTY.out, the counts in $accepted, $duplicate
# and $stale, the exit status returned.
push() {
	local c=$1
	shift
	push_with "$c" --hub "${url[${city_of[$c]}]}" "$@"
}

# push_with COUNTY ARGS...: the same with the hubs the caller names (a
# hub that is not the county's, or one --hub per parent), as push.
push_with() {
	local c=$1 rc
	shift
	"$node" push --db "$work/db/$c.db" "$@" \
		>"$work/out/push-$c.out" 2>"$work/out/push-$c.err"
	rc=$?
	cat "$work/out/push-$c.err" >>"$work/log/node.log"
	push_counts "$work/out/push-$c.out"
	return $rc
}

push_counts() {
	accepted=$(sed -n 's/.*: \([0-9]*\) accepted, .*/\1/p' "$1")
	duplicate=$(sed -n 's/.* \([0-9]*\) duplicate, .*/\1/p' "$1")
	stale=$(sed -n 's/.* \([0-9]*\) stale, .*/\1/p' "$1")
}

# start_daemon COUNTY: tally-node run, logging to its own file.
start_daemon() {
	local c=$1
	echo "--- start $(date +%T.%N)" >>"$work/log/daemon-$c.log"
	"$node" run --db "$work/db/$c.db" --hub "${url[${city_of[$c]}]}" \
		>>"$work/log/daemon-$c.log" 2>&1 &
	daemon_pid[$c]=$!
}

# stop_daemon COUNTY: term_wait, and the daemon is no longer running.
stop_daemon() {
	local rc
	term_wait "daemon $1" "${daemon_pid[$1]}"
	rc=$?
	unset "daemon_pid[$1]"
	return $rc
}

kill9_daemon() {
	kill9_wait "${daemon_pid[$1]}"
	unset "daemon_pid[$1]"
}

# pending DB: states whose version is above what the parent acknowledged
# (the region's own snapshots, and a hub's states from below).
pending() {
	sqlite3 -cmd ".timeout 5000" "$1" "SELECT
		(SELECT count(*) FROM snapshot s LEFT JOIN uplink_ack a
		 ON a.uplink = 'parent' AND a.region = (SELECT value FROM meta WHERE key = 'region')
		 AND a.indicator = s.indicator AND a.period = s.period
		 WHERE a.version IS NULL OR s.version > a.version)
		+ (SELECT count(*) FROM region_state r LEFT JOIN uplink_ack a
		 ON a.uplink = 'parent' AND a.region = r.region
		 AND a.indicator = r.indicator AND a.period = r.period
		 WHERE a.version IS NULL OR r.version > a.version)"
}

# save_acks DB FILE: what a child holds as acknowledged, as
# region|indicator|period|version lines, taken at one moment.
save_acks() {
	sqlite3 -cmd ".timeout 5000" "$1" "SELECT region, indicator, period, version
		FROM uplink_ack WHERE uplink = 'parent' AND status IN (1, 2)" >"$2"
}

# lost_acks ACKS-FILE HUB-DB: how many of the saved acknowledgements the
# hub does not hold at that version or a newer one. Each missing one is
# listed in $work/out/lost.txt.
lost_acks() {
	local f=$1 db=$2
	if [ ! -s "$f" ]; then
		echo 0
		return
	fi
	sqlite3 -cmd ".timeout 5000" "$db" "CREATE TEMP TABLE a (region TEXT, indicator TEXT,
			period TEXT, version INTEGER);" ".mode list" ".separator |" ".import '$f' a" \
		"SELECT 'imported', count(*) FROM a;" \
		"SELECT a.region, a.indicator, a.period, a.version, r.version FROM a
		 LEFT JOIN region_state r ON r.region = a.region
		 AND r.indicator = a.indicator AND r.period = a.period
		 WHERE r.version IS NULL OR r.version < a.version" >"$work/out/lost.txt"
	# An import that read fewer rows than the file holds would hide a
	# loss: it counts as a million of them.
	if [ "$(sed -n 's/^imported|//p' "$work/out/lost.txt")" != "$(wc -l <"$f")" ]; then
		echo "lost_acks: the import of $f read fewer rows than it has" >&2
		echo 1000000
		return
	fi
	grep -vc '^imported|' "$work/out/lost.txt"
}

# ------------------------------------------------------------ corrections

# raw_get REGION INDICATOR PERIOD COLUMN-NUMBER (4 numerator, 5
# denominator, 6 value, 7 weight)
raw_get() {
	awk -F, -v r="$1" -v i="$2" -v p="$3" -v c="$4" \
		'$1 == r && $2 == i && $3 == p { print $c }' "$work/raw/raw.csv"
}

# raw_set REGION INDICATOR PERIOD COLUMN-NUMBER VALUE
raw_set() {
	awk -F, -v OFS=, -v r="$1" -v i="$2" -v p="$3" -v c="$4" -v v="$5" \
		'$1 == r && $2 == i && $3 == p { $c = v } { print }' \
		"$work/raw/raw.csv" >"$work/raw/raw.tmp" &&
		mv "$work/raw/raw.tmp" "$work/raw/raw.csv"
}

# correct COUNTY INDICATOR PERIOD [DELTA]: records a new figure for a row
# the county holds, as a county revising a month does, and changes the
# raw row the same way. A ratio's numerator moves by DELTA (kept within
# 0..denominator), a count's value moves by DELTA (kept at 0 or above), a
# weighted mean's value by DELTA/10. DELTA defaults to a random 1..9,
# with a random sign. The change made is left in $delta.
correct() {
	local c=$1 ind=$2 per=$3 d=${4:-} num den val w new
	[ -z "$d" ] && d=$(((RANDOM % 9 + 1) * (RANDOM % 2 * 2 - 1)))
	num=$(raw_get "$c" "$ind" "$per" 4)
	den=$(raw_get "$c" "$ind" "$per" 5)
	val=$(raw_get "$c" "$ind" "$per" 6)
	w=$(raw_get "$c" "$ind" "$per" 7)
	if [ -n "$num" ]; then
		new=$((num + d))
		[ $new -lt 0 ] && new=$((num - d))
		[ $new -gt "$den" ] && new=$((num - d))
		[ $new -lt 0 ] && new=0
		delta=$((new - num))
		node_cmd record -q --db "$work/db/$c.db" --indicator "$ind" --period "$per" \
			--num "$new" --den "$den" >/dev/null || return 1
		raw_set "$c" "$ind" "$per" 4 "$new"
	elif [ -n "$w" ]; then
		new=$("$python" -c "import sys; v = float(sys.argv[1]) + int(sys.argv[2]) / 10; print(repr(v if v >= 0 else float(sys.argv[1]) - int(sys.argv[2]) / 10))" "$val" "$d")
		delta=$new
		node_cmd record -q --db "$work/db/$c.db" --indicator "$ind" --period "$per" \
			--value "$new" --weight "$w" >/dev/null || return 1
		raw_set "$c" "$ind" "$per" 6 "$new"
	elif [ -n "$val" ]; then
		new=$((${val%.*} + d))
		[ $new -lt 0 ] && new=$((${val%.*} - d))
		delta=$((new - ${val%.*}))
		node_cmd record -q --db "$work/db/$c.db" --indicator "$ind" --period "$per" \
			--value "$new" >/dev/null || return 1
		raw_set "$c" "$ind" "$per" 6 "$new"
	else
		echo "correct: $c has no row $ind $per" >&2
		return 1
	fi
}

# correct_some COUNTY: one correction of a random month of mfg_pass_rate
# and one of supervision_spot_check_batches (a count), as a county does
# when it revises its figures.
correct_some() {
	local m1 m2
	m1=$(printf '2020-%02d' $((RANDOM % 12 + 1)))
	m2=$(printf '2020-%02d' $((RANDOM % 12 + 1)))
	correct "$1" mfg_pass_rate "$m1" && correct "$1" supervision_spot_check_batches "$m2"
}

# ---------------------------------------------------- reports and the flat

# report HUB PERIOD FILE [ARGS...]
report() {
	local h=$1 p=$2 f=$3
	shift 3
	"$hub" report --db "$work/db/$h.db" --period "$p" --format json "$@" \
		>"$f" 2>>"$work/log/report.log"
}

# reports DIR HUB...: every period's report of each hub, two levels deep.
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

# flat_compare FILE...: tests/flat.py over the raw rows, with the data
# directory's division_changes.csv when it has one (a test of
# redistricting), so that each period takes the shape in force then.
flat_compare() {
	local args=() f
	for f in "$@"; do args+=(--report "$f"); done
	[ -f "$TALLY_DATA_DIR/division_changes.csv" ] &&
		args+=(--changes "$TALLY_DATA_DIR/division_changes.csv")
	"$python" "$fl_tests/flat.py" compare --indicators "$TALLY_DATA_DIR/indicators.csv" \
		--tree "$TALLY_DATA_DIR/divisions.csv" --raw "$work/raw/raw.csv" "${args[@]}"
}

field() {
	"$python" "$fl_tests/flat.py" field "$@"
}

# converge LABEL HUB...: waits until the province's year agrees with the
# flat computation, then until every period of every given hub does, at
# two levels. Bounded; on failure the first mismatches are shown.
converge() {
	local label=$1 end=$((SECONDS + deadline_s)) out=$work/out/compare.out t0
	shift
	t0=$(now_ms)
	province_year "$label" $end || return 1
	while :; do
		if reports "$work/rep/conv" "$@" &&
			flat_compare "$work/rep/conv"/*.json >"$out" 2>&1; then
			ok "$label: $* equal the flat computation for every period, two levels deep ($(tail -1 "$out" | sed 's/flat.py: compared \([0-9]*\) figures.*/\1 figures/'), after $((($(now_ms) - t0) / 100))00 ms)"
			return 0
		fi
		if [ $SECONDS -ge $end ]; then
			not_ok "$label: $* did not reach the flat figures within ${deadline_s}s"
			head -20 "$out"
			tail -1 "$out"
			return 1
		fi
		sleep 0.3
	done
}

# converge_year LABEL: the quick form, for the steps between: waits until
# the province's year, two levels deep (the province, its cities and the
# counties it holds), equals the flat computation.
converge_year() {
	local t0
	t0=$(now_ms)
	province_year "$1" $((SECONDS + deadline_s)) || return 1
	ok "$1: the province's year equals the flat computation, two levels deep (after $((($(now_ms) - t0) / 100))00 ms)"
}

# province_year LABEL END: waits until the province's year, two levels
# deep, equals the flat computation, or the clock (SECONDS) reaches END,
# which fails the check LABEL.
province_year() {
	local out=$work/out/compare.out
	while :; do
		if report $province 2020 "$work/out/poll.json" --depth 2 &&
			flat_compare "$work/out/poll.json" >"$out" 2>&1; then
			return 0
		fi
		if [ $SECONDS -ge "$2" ]; then
			not_ok "$1: the province did not reach the flat figures within ${deadline_s}s"
			head -20 "$out"
			return 1
		fi
		sleep 0.25
	done
}

# wait_until SECONDS COMMAND...: polls every 0.1 s; true once the command
# succeeds, false when the time runs out.
wait_until() {
	local end=$(($(now_ms) + $1 * 1000))
	shift
	while ! "$@"; do
		[ "$(now_ms)" -ge $end ] && return 1
		sleep 0.1
	done
}

# nothing_pending DB...: true when no state is pending in any of them.
nothing_pending() {
	local db
	for db in "$@"; do
		[ "$(pending "$db")" == 0 ] || return 1
	done
}

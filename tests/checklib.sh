# The checks and the clean-up of the small shell tests (admin.sh,
# package.sh, e2e_sign.sh, security.sh, daemon.sh, bench_smoke.sh), sourced
# by each so that one copy counts, reports and cleans up for them all. The
# tree tests have a larger library of their own, faultlib.sh.
#
# A test calls cl_init NAME BUILD_DIR first and cl_finish last. Between
# them, every check adds to $pass or $fail and prints each failure; every
# process the test records in pids is killed on exit, and the work
# directory is removed (kept when KEEP is set, to look at after a failure).

# cl_init NAME BUILD_DIR: sets build, here, node, hub, work, pids, pass,
# fail, and the exit trap.
cl_init() {
	cl_name=$1
	build=$(cd "$2" && pwd) || exit 64
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	export TALLY_DATA_DIR=${TALLY_DATA_DIR:-$here/../configs}
	node=$build/node/tally-node
	hub=$build/hub/tally-hub
	# Short: the hubs' ipc:// socket paths inside it must fit in 108 bytes.
	work=$(mktemp -d "${TMPDIR:-/tmp}/t$cl_name.XXXXXX") || exit 1
	pids=()
	cl_cleanups=()
	pass=0
	fail=0
	trap cl_cleanup EXIT
	trap 'exit 130' INT TERM
}

# cl_on_exit COMMAND...: run at exit, before the work directory goes.
cl_on_exit() {
	cl_cleanups+=("$*")
}

cl_cleanup() {
	local p c
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	wait 2>/dev/null
	for c in "${cl_cleanups[@]}"; do eval "$c"; done
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}

ok() { pass=$((pass + 1)); }

bad() {
	fail=$((fail + 1))
	echo "FAIL: $*" >&2
}

# check DESCRIPTION COMMAND...: the command must succeed.
check() {
	local what=$1
	shift
	if "$@"; then ok; else bad "$what"; fi
}

# contains DESCRIPTION TEXT PART: TEXT holds PART.
contains() {
	if grep -qF -- "$3" <<<"$2"; then ok; else bad "$1: expected '$3' in: $2"; fi
}

# wait_for DESCRIPTION COMMAND...: polls the command until it succeeds,
# up to 30 s; a failure when it never does.
wait_for() {
	local what=$1 i
	shift
	for ((i = 0; i < 300; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	bad "timed out waiting for $what"
	return 1
}

# cl_wait_ready FILE PID LOG: waits until a program started as PID has
# written FILE (its ready file). A program that exits first has failed
# to start, said at once with its LOG; one that lives on without writing
# the file for 60 s, far beyond any start under the sanitizers on a
# loaded machine, has hung. Either ends the test.
cl_wait_ready() {
	local file=$1 pid=$2 log=$3 i
	for ((i = 0; i < 600; i++)); do
		[ -s "$file" ] && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			[ -s "$file" ] && return 0
			bad "process $pid exited before writing $file"
			cat "$log" >&2
			exit 1
		fi
		sleep 0.1
	done
	bad "$file not written within 60 s"
	cat "$log" >&2
	exit 1
}

# cl_finish: the summary line, and the test's exit status.
cl_finish() {
	echo "$cl_name: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

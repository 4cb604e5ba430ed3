#!/usr/bin/env bash
# The soak test: a small tree of real processes under a steady
# submission load, with hubs and county daemons killed and restarted at
# random, for a bounded time; at the end every hub must hold every state
# its children hold as acknowledged, and every report of every hub (the
# province's counties included) must equal the flat computation of
# tests/flat.py over the raw rows.
#
# The tree: Hebei's province hub (loopback TCP, kernel-chosen port), two
# city hubs (邢台 130500 and 秦皇岛 130300, ipc:// sockets) and ten
# counties, each running `tally-node run`. The load: every few hundred
# milliseconds a random county revises a random month of two indicators
# (`tally-node record`), which its daemon delivers by itself. The faults,
# every few seconds, at random: kill -9 of a city hub or of the province,
# restarted after up to 3 s; kill -9 of a county's daemon, restarted; a
# hub stopped with SIGTERM and started again; and, in runs of two minutes
# or more, at most once each, the province and each city restarted on an
# empty database. A process that dies without being killed is a failure.
#
# Usage: bash bench/soak.sh BUILD_DIR [--duration SECONDS] [--seed N]
#   --duration  how long the load and the faults go on (default 600); the
#               final convergence and checks come after, bounded too
#   --seed      the seed of bash's RANDOM, to replay a run's choices
# Only loopback and ipc:// are used. The last line is "N passed, N failed".
set -u

if [ $# -lt 1 ]; then
	echo "usage: $0 BUILD_DIR [--duration SECONDS] [--seed N]" >&2
	exit 64
fi
bdir=$1
shift
duration=600
seed=$(($(date +%s) % 100000))
while [ $# -gt 0 ]; do
	case $1 in
	--duration)
		duration=${2:-}
		shift 2
		;;
	--seed)
		seed=${2:-}
		shift 2
		;;
	*)
		echo "$0: unknown option $1" >&2
		exit 64
		;;
	esac
done
case $duration in
'' | *[!0-9]*)
	echo "$0: --duration must be a whole number of seconds" >&2
	exit 64
	;;
esac
case $seed in
'' | *[!0-9]*)
	echo "$0: --seed must be a whole number" >&2
	exit 64
	;;
esac
RANDOM=$seed

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/faultlib.sh
. "$here/../tests/faultlib.sh"
fl_init "$bdir" soak
echo "# soak: $duration s of load and faults, seed $seed"

a=130500
b=130300
counties="130502 130503 130505 130506 130522 130523 130302 130303 130304 130306"
cities="$a $b"

start_hub $province || finish
for h in $cities; do start_hub $h || finish; done
for c in $counties; do add_county $c || not_ok "cannot load $c"; done
for c in $counties; do start_daemon $c; done
converge_year "start"

declare -A kills=() restarts=()
records=0
unexpected=0
lost_db_done=""

# alive_or_restart: a hub or daemon that died while the soak believed it
# up died by itself: a failure; it is started again so the run goes on.
alive_or_restart() {
	local h c rc
	for h in $province $cities; do
		if [ -n "${hub_pid[$h]:-}" ] && ! kill -0 "${hub_pid[$h]}" 2>/dev/null; then
			wait "${hub_pid[$h]}"
			rc=$?
			not_ok "hub $h died by itself (exit $rc)"
			unexpected=$((unexpected + 1))
			unset "hub_pid[$h]"
			start_hub $h
		fi
	done
	for c in $counties; do
		if [ -n "${daemon_pid[$c]:-}" ] && ! kill -0 "${daemon_pid[$c]}" 2>/dev/null; then
			wait "${daemon_pid[$c]}"
			rc=$?
			not_ok "the daemon of $c died by itself (exit $rc)"
			unexpected=$((unexpected + 1))
			unset "daemon_pid[$c]"
			start_daemon $c
		fi
	done
}

pick() { # pick WORD...: one of them at random
	local w=("$@")
	echo "${w[$((RANDOM % ${#w[@]}))]}"
}

count() { # count KEY: one more of that fault
	kills[$1]=$((${kills[$1]:-0} + 1))
}

# One fault, chosen at random. Every process it stops is started again
# before the next fault, at most 3 s later.
fault() {
	local r=$((RANDOM % 100)) h c
	if [ $r -lt 30 ]; then
		h=$(pick $cities)
		kill9_hub $h
		count "kill -9 city hub"
		sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
		start_hub $h || not_ok "city hub $h did not restart"
	elif [ $r -lt 45 ]; then
		kill9_hub $province
		count "kill -9 province"
		sleep "$((RANDOM % 3)).$((RANDOM % 10))"
		start_hub $province || not_ok "the province did not restart"
	elif [ $r -lt 80 ]; then
		c=$(pick $counties)
		kill9_daemon $c
		count "kill -9 county daemon"
		sleep "0.$((RANDOM % 10))"
		start_daemon $c
	elif [ $r -lt 92 ] || [ "$duration" -lt 120 ]; then
		h=$(pick $province $cities)
		stop_hub $h
		rc=$?
		[ $rc -eq 0 ] || not_ok "hub $h did not stop cleanly on SIGTERM (exit $rc)"
		count "SIGTERM and restart of a hub"
		start_hub $h || not_ok "hub $h did not restart"
	else
		# Once each: the province, then a city, loses its database.
		h=$province
		[[ " $lost_db_done " == *" $province "* ]] && h=$(pick $cities)
		if [[ " $lost_db_done " == *" $h "* ]]; then
			count "kill -9 county daemon"
			c=$(pick $counties)
			kill9_daemon $c
			start_daemon $c
			return
		fi
		kill9_hub $h
		rm -f "$work/db/$h.db" "$work/db/$h.db-wal" "$work/db/$h.db-shm"
		count "database lost"
		lost_db_done+=" $h"
		start_hub $h || not_ok "hub $h did not restart on an empty database"
	fi
}

section "load and faults for $duration s"
t_end=$((SECONDS + duration))
next_fault=$((SECONDS + 2 + RANDOM % 4))
# Bounded in count too: no more iterations than one per 50 ms of the run.
max_iter=$((duration * 20 + 100))
iter=0
while [ $SECONDS -lt $t_end ] && [ $iter -lt $max_iter ]; do
	iter=$((iter + 1))
	alive_or_restart
	c=$(pick $counties)
	if correct_some $c; then
		records=$((records + 2))
	else
		not_ok "a record at $c failed"
	fi
	if [ $SECONDS -ge $next_fault ]; then
		fault
		next_fault=$((SECONDS + 2 + RANDOM % 5))
	fi
	sleep "0.$((RANDOM % 4))"
done
alive_or_restart
note "$records records at the counties in $iter rounds; faults: $(for k in "${!kills[@]}"; do printf '%s %d, ' "$k" "${kills[$k]}"; done)"

section "the end: everything up, every daemon delivers, the tree converges"
check "processes that died by themselves" "$unexpected" 0
for c in $counties; do
	[ -n "${daemon_pid[$c]:-}" ] || start_daemon $c
done
db_list=()
for c in $counties; do db_list+=("$work/db/$c.db"); done
check_true "every county's daemon delivered all it holds" wait_until $deadline_s nothing_pending "${db_list[@]}"
check_true "both cities forwarded all they hold" wait_until $deadline_s nothing_pending "$work/db/$a.db" "$work/db/$b.db"
converge "soak" $province $a $b
lost=0
for c in $counties; do
	save_acks "$work/db/$c.db" "$work/out/acks-$c"
	lost=$((lost + $(lost_acks "$work/out/acks-$c" "$work/db/${city_of[$c]}.db")))
done
check "acknowledged county states missing at their city" "$lost" 0
lost=0
for h in $cities; do
	save_acks "$work/db/$h.db" "$work/out/acks-$h"
	lost=$((lost + $(lost_acks "$work/out/acks-$h" "$work/db/$province.db")))
done
check "acknowledged city states missing at the province" "$lost" 0
check "states the province holds" \
	"$(sqlite3 "$work/db/$province.db" "SELECT count(*) FROM region_state")" \
	"$(($(sqlite3 "$work/db/$a.db" "SELECT count(*) FROM snapshot") +
		$(sqlite3 "$work/db/$b.db" "SELECT count(*) FROM snapshot") +
		$(sqlite3 "$work/db/$a.db" "SELECT count(*) FROM region_state") +
		$(sqlite3 "$work/db/$b.db" "SELECT count(*) FROM region_state")))"
rcs=""
for c in $counties; do
	stop_daemon $c
	rcs+="$? "
done
check "every daemon stops cleanly on SIGTERM" "$(echo $rcs | tr ' ' '\n' | sort -u | tr '\n' ' ')" "0 "
final_stops $cities $province
finish

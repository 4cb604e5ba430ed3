#!/usr/bin/env bash
# Tests `tally-node run`, the county daemon, against a real hub: it must
# deliver what the store holds when it starts, deliver each later record
# without being asked, keep its data while the hub is down and deliver it
# when the hub returns, and stop cleanly on SIGTERM.
# Usage: bash tests/daemon.sh BUILD_DIR
set -u
. "$(dirname "$0")/checklib.sh"
cl_init daemon "$1"

start_hub() {
  rm -f "$work/ready"
  "$hub" run -q --db "$work/city.db" --region 130100 \
    --listen "ipc://$work/city.sock" --ready-file "$work/ready" 2>>"$work/hub.log" &
  hub_pid=$!
  pids+=("$hub_pid")
  cl_wait_ready "$work/ready" "$hub_pid" "$work/hub.log"
}

# The city's figure for mfg_pass_rate in 2020, as "numerator/denominator".
city_figure() {
  "$hub" report --db "$work/city.db" --period 2020 --indicator mfg_pass_rate \
    --depth 0 --format csv | awk -F, 'NR == 2 { print $8 "/" $9 }'
}

# Waits up to 20 s for the city's figure to become $1.
wait_figure() {
  local want=$1 got=""
  for _ in $(seq 1 200); do
    got=$(city_figure)
    [ "$got" = "$want" ] && return 0
    sleep 0.1
  done
  echo "city figure is '$got', expected '$want'" >&2
  return 1
}

start_hub
"$node" init -q --db "$work/county.db" --region 130102 >/dev/null
"$node" record -q --db "$work/county.db" --indicator mfg_pass_rate \
  --period 2020-01 --num 5 --den 10 >/dev/null
"$node" run -q --db "$work/county.db" --hub "ipc://$work/city.sock" \
  >"$work/node.out" 2>"$work/node.log" &
node_pid=$!
pids+=("$node_pid")

check "the daemon delivers what the store held at start" wait_figure "5/10"

"$node" record -q --db "$work/county.db" --indicator mfg_pass_rate \
  --period 2020-02 --num 990 --den 990 >/dev/null
check "the daemon delivers a later record by itself" wait_figure "995/1000"

kill -TERM "$hub_pid"
wait "$hub_pid"
"$node" record -q --db "$work/county.db" --indicator mfg_pass_rate \
  --period 2020-03 --num 3 --den 1000 >/dev/null
sleep 1
check "a record made while the hub is down stays in the county store" \
  test "$("$node" show --db "$work/county.db" --period 2020 \
    --indicator mfg_pass_rate --format csv | awk -F, 'NR == 2 { print $7 "/" $8 }')" = "998/2000"
start_hub
check "the daemon delivers it once the hub is back" wait_figure "998/2000"

kill -TERM "$node_pid"
wait "$node_pid"
status=$?
check "the daemon stops cleanly on SIGTERM (status $status)" test "$status" -eq 0
check "the daemon reported its pushes" grep -q "accepted" "$work/node.out"
kill -TERM "$hub_pid"
wait "$hub_pid"

cl_finish

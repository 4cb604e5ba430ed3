#!/usr/bin/env bash
# Beijing, Tianjin and Hebei side by side (京津冀). It installs what is
# missing, builds Tally, and runs three province trees as separate
# processes on this machine, each with its own SQLite file in a temporary
# directory, talking NNG over ipc:// sockets:
#
#   Beijing 110000 -> 110100 市辖区 -> its 16 districts       (2020)
#   Tianjin 120000 -> 120100 市辖区 -> its 16 districts (2016 and 2020)
#   Hebei   130000 -> its 11 cities -> its 167 counties        (2020)
#
# and a comparison hub for the group jingjinji (configs/hub-compare.ini),
# to which each province hub also reports its own figures (--compare).
# Every district and county is loaded with deterministic generated data
# and pushes it to its city hub. The demo waits until the comparison hub
# has every member complete, prints the comparison for 2020 and with each
# member at its own target year (Tianjin 2016, Hebei 2020), and stops
# every process cleanly.
#
# With --serve [PORT], the comparison hub also serves the dashboard on
# 127.0.0.1:PORT (default 8090); the demo prints the comparison page's
# address and keeps running until Ctrl-C.
set -euo pipefail

serve=0
port=8090
case "${1:-}" in
--serve)
  serve=1
  if [ -n "${2:-}" ]; then port=$2; fi
  ;;
"") ;;
*)
  echo "usage: $0 [--serve [PORT]]" >&2
  exit 64
  ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTALLY_WERROR=OFF -DTALLY_SANITIZE=OFF >/dev/null
cmake --build "$top/build" -j"$(nproc)" >/dev/null

export TALLY_DATA_DIR="$top/configs"
node="$top/build/node/tally-node"
hub="$top/build/hub/tally-hub"
gen="$top/build/bench/tally-gen"
group=jingjinji
work=$(mktemp -d)
pids=()

cleanup() {
  # Children before parents, the comparison hub last: SIGTERM is a clean
  # stop, and waiting for each means no process outlives the demo.
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

started=$(date +%s.%N)
mkdir -p "$work/data" "$work/db" "$work/sock" "$work/log"

# The data: one import file per district or county and year.
"$gen" --region 110000 --year 2020 --out "$work/data/2020" >/dev/null
"$gen" --region 120000 --year 2020 --out "$work/data/2020" >/dev/null
"$gen" --region 120000 --year 2016 --out "$work/data/2016" >/dev/null
"$gen" --region 130000 --year 2020 --out "$work/data/2020" >/dev/null
# Hebei's PM2.5 target is a fall of 40% from 2013: each county also loads
# its 2013 PM2.5 months, the baseline the target is measured from.
"$gen" --region 130000 --year 2013 --out "$work/data/2013-all" >/dev/null
mkdir -p "$work/data/2013"
for f in "$work/data/2013-all"/*.csv; do
  { head -1 "$f"; grep '^pm25_concentration,' "$f"; } >"$work/data/2013/$(basename "$f")"
done

start_hub() { # name args...
  local name=$1
  shift
  "$hub" run -q "$@" --ready-file "$work/sock/$name.ready" 2>"$work/log/$name.log" &
  pids+=($!)
}

wait_ready() { # name
  for _ in $(seq 1 500); do
    [ -f "$work/sock/$1.ready" ] && return 0
    sleep 0.01
  done
  echo "demo: hub $1 did not start; its log:" >&2
  cat "$work/log/$1.log" >&2
  exit 1
}

region_hub() { # code parent-code-or-empty [args...]
  local code=$1 parent=$2
  shift 2
  local args=(--db "$work/db/$code.db" --region "$code" --listen "ipc://$work/sock/$code")
  [ -n "$parent" ] && args+=(--parent "ipc://$work/sock/$parent")
  start_hub "$code" "${args[@]}" "$@"
}

# The comparison hub, from the sample configuration; its database and
# address come from the command line, which wins over the file.
compare_args=(-c "$top/configs/hub-compare.ini" --db "$work/db/compare.db"
  --listen "ipc://$work/sock/compare")
if [ $serve -eq 1 ]; then
  compare_args+=(--http "127.0.0.1:$port")
fi
start_hub compare "${compare_args[@]}"
wait_ready compare
compare_url="ipc://$work/sock/compare"

# The province hubs report to the comparison hub; the cities to them.
for p in 110000 120000 130000; do
  region_hub $p "" --compare "$group=$compare_url"
done
for p in 110000 120000 130000; do wait_ready $p; done
cities=$(awk -F, '$4 == "110000" || $4 == "120000" || $4 == "130000" { print $1 }' \
  "$TALLY_DATA_DIR/divisions.csv")
for c in $cities; do region_hub "$c" "${c:0:2}0000"; done
for c in $cities; do wait_ready "$c"; done
echo "started the comparison hub of $group, 3 province hubs and $(echo "$cities" | wc -w) city hubs"

# Each district or county: create its store, import its years, push to
# its city hub. Two at a time, one per core.
awk -F, '$3 == "county" && (substr($1, 1, 2) == "11" || substr($1, 1, 2) == "12" ||
  substr($1, 1, 2) == "13") { print $1, $4 }' "$TALLY_DATA_DIR/divisions.csv" >"$work/leaves"
leaf_job() { # leaf city
  local y
  "$node" init -q --db "$work/db/$1.db" --region "$1" >/dev/null || return 1
  for y in 2013 2016 2020; do
    if [ -f "$work/data/$y/$1.csv" ]; then
      "$node" import -q --db "$work/db/$1.db" "$work/data/$y/$1.csv" >/dev/null || return 1
    fi
  done
  "$node" push -q --db "$work/db/$1.db" --hub "ipc://$work/sock/$2" >/dev/null
}
export -f leaf_job
export node work
if ! xargs -P 2 -n 2 bash -c 'leaf_job "$0" "$1"' <"$work/leaves"; then
  echo "demo: a district or county failed to load or push" >&2
  exit 1
fi
echo "loaded and pushed $(wc -l <"$work/leaves") districts and counties"

# Wait until the comparison hub has every member complete for every
# indicator of 2020 (the CSV's complete column, members' rows only).
indicators=$(($(wc -l <"$TALLY_DATA_DIR/indicators.csv") - 1))
want=$((3 * indicators))
complete=0
for _ in $(seq 1 600); do
  complete=$("$hub" compare -q --db "$work/db/compare.db" --period 2020 --format csv |
    awk -F, -v g=$group 'NR > 1 && $3 != g && $14 == "true"' | wc -l)
  [ "$complete" -eq "$want" ] && break
  sleep 0.1
done
if [ "$complete" -ne "$want" ]; then
  echo "demo: the comparison hub has only $complete of $want member figures complete" >&2
  exit 1
fi
elapsed=$(echo "$(date +%s.%N) - $started" | bc)
printf 'the comparison hub has all three members complete for all %d indicators (%.1f s)\n\n' \
  "$indicators" "$elapsed"

# Every hub here runs in open mode (no keys file), and every comparison
# would warn on its own, between the figures: the demo says it once, and
# its comparisons run with -q.
echo "warning: every hub runs in OPEN MODE (no keys file): unsigned submissions"
echo "were accepted, so nothing proves who sent these figures"
echo
echo "=== 2020, side by side"
"$hub" compare -q --db "$work/db/compare.db" --period 2020 --indicator mfg_pass_rate
"$hub" compare -q --db "$work/db/compare.db" --period 2020 --indicator food_spot_check_pass_rate |
  tail -n +2
echo
echo "=== each member at its own target year (Tianjin 2016, Hebei 2020; Beijing,"
echo "    which has no target here, at 2020)"
"$hub" compare -q --db "$work/db/compare.db" --period 2020 --latest --indicator mfg_pass_rate
"$hub" compare -q --db "$work/db/compare.db" --period 2020 --latest --indicator agri_pass_rate |
  tail -n +2
echo
echo "(tally-hub compare --db DB --period 2020 [--latest] --format json|csv gives"
echo " every indicator with its sums; the JSON is described in docs/compare.md)"
if [ $serve -eq 1 ]; then
  echo
  echo "comparison page: $(sed -n 2p "$work/sock/compare.ready")"
  echo "press Ctrl-C to stop every process"
  wait "${pids[0]}" || true
fi

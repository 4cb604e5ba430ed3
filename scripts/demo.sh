#!/usr/bin/env bash
# The README's main command. It installs what is missing, builds Tally, and
# runs a real tree as separate processes on this machine: Hebei's province
# hub (130000), its 11 city hubs and its 167 county nodes, each with its own
# SQLite file in a temporary directory, talking NNG over ipc:// sockets.
# Every county is loaded with deterministic generated data for 2020 and
# pushes it to its city hub; the city hubs forward their rollups to the
# province. The demo waits until the province has every county for every
# indicator, prints the province report, and stops every process cleanly.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTALLY_WERROR=OFF -DTALLY_SANITIZE=OFF >/dev/null
cmake --build "$top/build" -j"$(nproc)" >/dev/null

export TALLY_DATA_DIR="$top/configs"
node="$top/build/node/tally-node"
hub="$top/build/hub/tally-hub"
gen="$top/build/bench/tally-gen"
province=130000
year=2020
work=$(mktemp -d)
pids=()

cleanup() {
  # SIGTERM is a clean stop for a hub; wait so that no process outlives
  # the demo.
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

started=$(date +%s.%N)
mkdir -p "$work/data" "$work/db" "$work/sock" "$work/log"
"$gen" --region $province --year $year --out "$work/data" >/dev/null

start_hub() { # region [parent-url]
  local region=$1 parent=${2:-}
  local args=(run -q --db "$work/db/$region.db" --region "$region"
    --listen "ipc://$work/sock/$region" --ready-file "$work/sock/$region.ready")
  [ -n "$parent" ] && args+=(--parent "$parent")
  "$hub" "${args[@]}" 2>"$work/log/$region.log" &
  pids+=($!)
}

wait_ready() { # region
  for _ in $(seq 1 500); do
    [ -f "$work/sock/$1.ready" ] && return 0
    sleep 0.01
  done
  echo "demo: hub $1 did not start; its log:" >&2
  cat "$work/log/$1.log" >&2
  exit 1
}

# The tree comes from the division file: Hebei's cities, then the
# counties of each city.
cities=$(awk -F, -v p=$province '$4 == p { print $1 }' "$TALLY_DATA_DIR/divisions.csv")
start_hub $province
wait_ready $province
for c in $cities; do start_hub "$c" "ipc://$work/sock/$province"; done
for c in $cities; do wait_ready "$c"; done
echo "started the province hub and $(echo "$cities" | wc -w) city hubs"

# Each county: create its store, import its year, push to its city hub.
# Two at a time, one per core.
awk -F, -v p="${province:0:2}" '$3 == "county" && substr($1, 1, 2) == p { print $1, $4 }' \
  "$TALLY_DATA_DIR/divisions.csv" >"$work/counties"
county_job() { # county city
  "$node" init -q --db "$work/db/$1.db" --region "$1" >/dev/null &&
    "$node" import -q --db "$work/db/$1.db" "$work/data/$1.csv" >/dev/null &&
    "$node" push -q --db "$work/db/$1.db" --hub "ipc://$work/sock/$2" >/dev/null
}
export -f county_job
export node work
if ! xargs -P 2 -n 2 bash -c 'county_job "$0" "$1"' <"$work/counties"; then
  echo "demo: a county failed to load or push" >&2
  exit 1
fi
echo "loaded and pushed $(wc -l <"$work/counties") counties"

# Wait until the province holds every county for every indicator.
expected=$(wc -l <"$work/counties")
indicators=$(($(wc -l <"$TALLY_DATA_DIR/indicators.csv") - 1))
for _ in $(seq 1 300); do
  complete=$("$hub" report --db "$work/db/$province.db" --period $year \
    --depth 0 --format csv | awk -F, -v n="$expected" 'NR > 1 && $12 == n' | wc -l)
  [ "$complete" -eq "$indicators" ] && break
  sleep 0.1
done
if [ "$complete" -ne "$indicators" ]; then
  echo "demo: the province has only $complete of $indicators indicators complete" >&2
  exit 1
fi
elapsed=$(echo "$(date +%s.%N) - $started" | bc)
printf 'the province has all %d counties for all %d indicators (%.1f s)\n\n' \
  "$expected" "$indicators" "$elapsed"

"$hub" report --db "$work/db/$province.db" --period $year --indicator mfg_pass_rate
"$hub" report --db "$work/db/$province.db" --period $year --depth 0

#!/usr/bin/env bash
# The README's main command. It installs what is missing, builds Tally, and
# runs a real tree as separate processes on this machine: Hebei's province
# hub (130000), its 11 city hubs and its 167 county nodes, each with its own
# SQLite file in a temporary directory, talking NNG over ipc:// sockets.
# Every county is loaded with deterministic generated data for 2020 and
# pushes it to its city hub; the city hubs forward their rollups to the
# province. The demo waits until the province has every county for every
# indicator, prints Hebei's 2020 figures against its targets, which city
# drags the pass rate down, and stops every process cleanly.
#
# With --serve [PORT], the province hub also serves the dashboard on
# 127.0.0.1:PORT (default 8080); the demo prints its address and keeps
# running until Ctrl-C.
#
# The tree runs as a deployment would (docs/security.md): every county
# and city has its own key and signs what it sends, envelopes and each of
# its own states; every hub has the one national keys file, checks every
# state against the key of the region it belongs to (so the province
# checks each county's own signature, not only its city's) and refuses
# anything else, and the hubs talk TLS over loopback TCP
# with certificates of a development CA (scripts/dev-certs.sh), children
# presenting theirs (mutual TLS). The demo ends with the province's audit
# check. --open runs the same tree unsigned over ipc:// instead (open
# mode, for development: every report then warns about it).
set -euo pipefail

serve=0
secure=1
port=8080
while [ $# -gt 0 ]; do
  case "$1" in
  --serve)
    serve=1
    if [[ ${2:-} =~ ^[0-9]+$ ]]; then port=$2; shift; fi
    ;;
  --secure) secure=1 ;;
  --open) secure=0 ;;
  *)
    echo "usage: $0 [--serve [PORT]] [--open]" >&2
    exit 64
    ;;
  esac
  shift
done

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
# Ctrl-C or a TERM ends the demo through the same cleanup.
trap 'exit 130' INT TERM

started=$(date +%s.%N)
mkdir -p "$work/data" "$work/db" "$work/sock" "$work/log"
"$gen" --region $province --year $year --out "$work/data" >/dev/null
# Hebei's PM2.5 target is a fall of 40% from 2013, so each county also
# loads its 2013 PM2.5 months: the baseline the target is measured from.
"$gen" --region $province --year 2013 --out "$work/data/2013" >/dev/null
for f in "$work/data"/*.csv; do
  grep '^pm25_concentration,' "$work/data/2013/$(basename "$f")" >>"$f"
done

# --secure: a development CA, a server certificate for the hubs and one
# client certificate for the children; a key pair for every city and
# county, and one national keys file listing every public key, which
# every hub is given: a county's states carry its signature up to the
# province, which checks them against the county's key.
if [ $secure -eq 1 ]; then
  bash "$top/scripts/dev-certs.sh" --client child "$work/pki" >/dev/null
  mkdir -p "$work/keys"
  echo "region,public_key" >"$work/keys/keys.csv"
  awk -F, -v p="${province:0:2}" 'substr($1, 1, 2) == p && $4 != "" { print $1 }' \
    "$TALLY_DATA_DIR/divisions.csv" | while read -r code; do
    "$node" keygen --out "$work/keys/$code" >/dev/null
    echo "$code,$(cat "$work/keys/$code.pub")" >>"$work/keys/keys.csv"
  done
fi
# What a child adds to reach a hub: its key, and the CA and its
# certificate for TLS.
child_args() { # region
  [ $secure -eq 1 ] || return 0
  echo "--key $work/keys/$1.key --tls-ca $work/pki/ca.crt" \
    "--tls-cert $work/pki/child.crt --tls-key $work/pki/child.key"
}
hub_url() { # region
  if [ $secure -eq 1 ]; then head -n 1 "$work/sock/$1.ready"; else echo "ipc://$work/sock/$1"; fi
}

start_hub() { # region [parent-url [extra args...]]
  local region=$1 parent=${2:-}
  local args=(run -q --db "$work/db/$region.db" --region "$region"
    --ready-file "$work/sock/$region.ready")
  if [ $secure -eq 1 ]; then
    args+=(--listen tls+tcp://127.0.0.1:0 --keys "$work/keys/keys.csv"
      --tls-cert "$work/pki/server.crt" --tls-key "$work/pki/server.key"
      --tls-ca "$work/pki/ca.crt" --tls-require-client)
    [ -n "$parent" ] && args+=(--key "$work/keys/$region.key"
      --parent-ca "$work/pki/ca.crt" --parent-cert "$work/pki/child.crt"
      --parent-key "$work/pki/child.key")
  else
    args+=(--listen "ipc://$work/sock/$region")
  fi
  [ -n "$parent" ] && args+=(--parent "$parent")
  [ $# -gt 2 ] && args+=("${@:3}")
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
if [ $serve -eq 1 ]; then
  start_hub $province "" --http "127.0.0.1:$port"
else
  start_hub $province
fi
wait_ready $province
for c in $cities; do start_hub "$c" "$(hub_url $province)"; done
for c in $cities; do wait_ready "$c"; done
echo "started the province hub and $(echo "$cities" | wc -w) city hubs"

# Each county: create its store, import its year, push to its city hub.
# Two at a time, one per core.
awk -F, -v p="${province:0:2}" '$3 == "county" && substr($1, 1, 2) == p { print $1, $4 }' \
  "$TALLY_DATA_DIR/divisions.csv" >"$work/counties"
county_job() { # county city
  # shellcheck disable=SC2046 # child_args is words on purpose
  "$node" init -q --db "$work/db/$1.db" --region "$1" >/dev/null &&
    "$node" import -q --db "$work/db/$1.db" "$work/data/$1.csv" >/dev/null &&
    "$node" push -q --db "$work/db/$1.db" --hub "$(hub_url "$2")" \
      $(child_args "$1") >/dev/null
}
export -f county_job child_args hub_url
export node work secure
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
    --depth 0 --format csv 2>/dev/null | awk -F, -v n="$expected" 'NR > 1 && $12 == n' | wc -l)
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

# In open mode every report would warn on its own, between the figures;
# the demo says it once, and its reports run with -q.
if [ $secure -eq 0 ]; then
  echo "warning: every hub runs in OPEN MODE (--open: no keys file): unsigned"
  echo "submissions were accepted, so nothing proves who sent these figures"
  echo
fi
echo "Hebei's $year figures against its targets:"
"$hub" report -q --db "$work/db/$province.db" --period $year --depth 0 --only-targets
echo
"$hub" report -q --db "$work/db/$province.db" --period $year --indicator mfg_pass_rate |
  grep -v ': late: ' || true
echo "(every city sent its $year figures in $(date +%Y), after the due date: the"
echo " full report lists each one as late, with its submission times)"
echo
echo "Which cities pull Hebei's pass rate down (share of the batches, pull):"
"$hub" report -q --db "$work/db/$province.db" --period $year --explain \
  --indicator mfg_pass_rate | head -6
if [ $secure -eq 1 ]; then
  echo
  echo "Signed and over TLS; the province's audit trail, checked offline:"
  "$hub" audit --db "$work/db/$province.db" --verify \
    --keys "$work/keys/keys.csv"
fi
if [ $serve -eq 1 ]; then
  echo
  echo "dashboard: $(sed -n 2p "$work/sock/$province.ready")"
  echo "press Ctrl-C to stop every process"
  wait "${pids[0]}" || true
fi

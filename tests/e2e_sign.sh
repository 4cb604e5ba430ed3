#!/usr/bin/env bash
# End-to-end signatures: a tree county -> city -> province in
# signed mode, every hub with one national keys file. The honest tree is
# taken and the province's figures, its counties' included, equal
# tests/flat.py over the raw rows. Then a malicious city, signing its
# envelopes with its own valid key (tests/sec_client.c crafts them), tries
# to change a county's figures at the province: (a) a county state with
# its sums altered under the county's original signature, (b) the origin
# signature stripped, (c) the county state re-signed with the city's key,
# (d) an older county version replayed with its valid signature, and (e)
# its own state without an origin signature. The province must reject
# a-c and e per state with the reason, find d stale, and keep its figure
# tables (sqlite3 .dump) unchanged. Last, the province's audit trail
# verifies every origin signature, and finds one changed behind its back.
# Usage: bash tests/e2e_sign.sh BUILD_DIR
set -u
. "$(dirname "$0")/checklib.sh"
cl_init e2e_sign "$1"
gen="$build/bench/tally-gen"
client="$build/tests/sec_client"
python=$(python3 -c 'import sys; print(sys.executable)') || exit 1
province=130000
city=130100
counties="130102 130104"
ind=mfg_pass_rate
per=2020-01

# start_hub NAME REGION ARGS...: a hub on an ipc socket; sets url and
# hub_pid.
start_hub() {
  local name=$1 region=$2
  shift 2
  "$hub" run --db "$work/$name.db" --region "$region" \
    --listen "ipc://$work/$name.sock" --ready-file "$work/$name.ready" \
    "$@" 2>>"$work/$name.log" &
  hub_pid=$!
  pids+=("$hub_pid")
  cl_wait_ready "$work/$name.ready" "$hub_pid" "$work/$name.log"
  url=$(head -n 1 "$work/$name.ready")
}

stop_hub() { # pid
  kill -TERM "$1"
  wait "$1"
  check "a hub stops cleanly" test $? -eq 0
}

# The province's figure tables: what no attack may change.
figures() {
  sqlite3 "$work/prov.db" ".dump region_state" ".dump snapshot" \
    ".dump observation"
}

flat_compare() { # report files...
  local args=() f
  for f in "$@"; do args+=(--report "$f"); done
  "$python" "$here/flat.py" compare --indicators "$TALLY_DATA_DIR/indicators.csv" \
    --tree "$TALLY_DATA_DIR/divisions.csv" --raw "$work/raw.csv" "${args[@]}"
}

# converge: waits (bounded) until the province's 2020 and 2020-01, two
# levels deep, equal the flat computation.
converge() {
  local label=$1
  for _ in $(seq 1 300); do
    if "$hub" report --db "$work/prov.db" --period 2020 --depth 2 \
      --format json >"$work/p2020.json" 2>/dev/null &&
      "$hub" report --db "$work/prov.db" --period $per --depth 2 \
        --format json >"$work/p$per.json" 2>/dev/null &&
      flat_compare "$work/p2020.json" "$work/p$per.json" >"$work/flat.out" 2>&1; then
      ok
      return 0
    fi
    sleep 0.1
  done
  bad "$label: the province's figures do not equal the flat computation"
  head -20 "$work/flat.out" >&2
  return 1
}

# --- keys: one national keys file, used by every hub.
for r in $city $counties; do
  "$node" keygen --out "$work/k$r" >"$work/k$r.out" || exit 1
done
id100=$(sed -n 's/^key id //p' "$work/k$city.out")
id102=$(sed -n 's/^key id //p' "$work/k130102.out")
{
  echo "region,public_key"
  for r in $city $counties; do echo "$r,$(cat "$work/k$r.pub")"; done
} >"$work/keys.csv"

start_hub prov $province --keys "$work/keys.csv"
prov_pid=$hub_pid
prov_url=$url
start_hub city $city --keys "$work/keys.csv" --key "$work/k$city.key" \
  --parent "$prov_url"
city_pid=$hub_pid
city_url=$url

# --- the honest tree.
"$gen" --region $city --year 2020 --out "$work/gen" --flat "$work/gen/flat.csv" \
  >/dev/null || exit 1
head -1 "$work/gen/flat.csv" >"$work/raw.csv"
for c in $counties; do
  "$node" init -q --db "$work/$c.db" --region "$c" >/dev/null &&
    "$node" import -q --db "$work/$c.db" "$work/gen/$c.csv" >/dev/null &&
    awk -F, -v r="$c" '$1 == r' "$work/gen/flat.csv" >>"$work/raw.csv" ||
    exit 1
  out=$("$node" push --db "$work/$c.db" --hub "$city_url" \
    --key "$work/k$c.key" --timeout-ms 20000 2>&1)
  contains "county $c: its signed push is taken whole" "$out" "0 rejected"
done
converge "the honest tree"
check "the province holds the counties' states, each with its origin signature" \
  test "$(sqlite3 "$work/prov.db" "SELECT count(*) FROM region_state
    WHERE region IN ('130102', '130104') AND origin_key_id IS NOT NULL
    AND length(origin_signature) = 64")" -gt 0
check "no state at the province lacks an origin signature" \
  test "$(sqlite3 "$work/prov.db" "SELECT count(*) FROM region_state
    WHERE origin_signature IS NULL")" -eq 0
check "the city's own states carry the city's key" \
  test "$(sqlite3 "$work/prov.db" "SELECT count(DISTINCT origin_key_id)
    FROM region_state WHERE region = '$city'")" = 1 -a \
  "$(sqlite3 "$work/prov.db" "SELECT origin_key_id FROM region_state
    WHERE region = '$city' LIMIT 1")" = "$id100"

# row DB REGION: the held state of REGION for ($ind, $per) as a sec_client
# --state spec (every field of the claim), then its signature in hex and
# key id, separated by spaces.
row() {
  sqlite3 -separator ' ' "$1" "SELECT indicator || '|' || period || '|' ||
    printf('%!.17g', sum_a) || '|' || printf('%!.17g', sum_b) || '|' ||
    version || '|' || region || '|' || leaves || '|' || newest || '|' ||
    printf('%!.17g', min_value) || '|' || min_region || '|' ||
    printf('%!.17g', max_value) || '|' || max_region,
    lower(hex(origin_signature)), origin_key_id FROM region_state
    WHERE region = '$2' AND indicator = '$ind' AND period = '$per'"
}
read -r old_state old_sig old_kid <<<"$(row "$work/city.db" 130102)"
check "the city holds the county's state with the county's key" \
  test "$old_kid" = "$id102"
old_version=$(cut -d'|' -f5 <<<"$old_state")

# --- a correction at the county: a newer version travels up, signed.
"$node" record -q --db "$work/130102.db" --indicator $ind --period $per \
  --num 1 --den 2 >/dev/null || exit 1
awk -F, -v OFS=, -v i=$ind -v p=$per '$1 == "130102" && $2 == i && $3 == p { $4 = 1; $5 = 2 } { print }' \
  "$work/raw.csv" >"$work/raw.tmp" && mv "$work/raw.tmp" "$work/raw.csv"
out=$("$node" push --db "$work/130102.db" --hub "$city_url" \
  --key "$work/k130102.key" --timeout-ms 20000 2>&1)
contains "the county's correction is taken" "$out" "0 rejected"
converge "after the correction"
read -r cur_state cur_sig cur_kid <<<"$(row "$work/prov.db" 130102)"
cur_version=$(cut -d'|' -f5 <<<"$cur_state")
check "the province holds the corrected, newer version" \
  test "$cur_version" -gt "$old_version"
read -r city_own_state _ <<<"$(row "$work/prov.db" $city)"

# --- the malicious city: envelopes signed with its own valid key.
# with_version SPEC VERSION: the spec with another version.
with_version() {
  awk -F'|' -v OFS='|' -v v="$2" '{ $5 = v; print }' <<<"$1"
}
attack() { # what, expected answer, craft options...
  local what=$1 want=$2 before out
  shift 2
  before=$(figures)
  "$client" craft --out "$work/attack.bin" --sender $city --hub $province \
    --key "$work/k$city.key" "$@" || { bad "$what: craft"; return; }
  out=$("$client" send "$prov_url" "$work/attack.bin")
  contains "$what" "$out" "$want"
  if [ "$before" = "$(figures)" ]; then ok; else bad "$what: a figure at the province changed"; fi
}
attack "control: the county's state as the city holds it, with its real signature, is verified (a duplicate)" \
  "duplicate 130102 $ind $per v$cur_version" \
  --state "$cur_state" --origin-sig "$cur_sig" --origin-key-id "$cur_kid"
attack "(a) the sums altered under the county's original signature: rejected" \
  "rejected 130102 $ind $per v$cur_version: bad origin signature: the state of 130102 does not match the signature of key $id102" \
  --state "$cur_state" --origin-sig "$cur_sig" --origin-key-id "$cur_kid" --origin-alter
newer=$((cur_version + 1000))
attack "(a') altered and given a newer version, the original signature kept: rejected" \
  "rejected 130102 $ind $per v$newer: bad origin signature" \
  --state "$(with_version "$cur_state" $newer)" --origin-sig "$cur_sig" \
  --origin-key-id "$cur_kid" --origin-alter
attack "(b) the origin signature stripped: rejected" \
  "rejected 130102 $ind $per v$newer: missing origin signature" \
  --state "$(with_version "$cur_state" $newer)" --origin-alter
attack "(c) re-signed with the city's key: rejected" \
  "rejected 130102 $ind $per v$newer: key not authorised for region 130102: key $id100 belongs to region $city" \
  --state "$(with_version "$cur_state" $newer)" --origin-alter \
  --origin-key "$work/k$city.key"
attack "(d) an older county version replayed with its valid signature: stale" \
  "stale 130102 $ind $per v$old_version" \
  --state "$old_state" --origin-sig "$old_sig" --origin-key-id "$old_kid"
attack "(e) the city's own state without an origin signature: rejected" \
  "rejected - $ind $per v$newer: missing origin signature" \
  --state "$(with_version "$city_own_state" $newer | awk -F'|' -v OFS='|' '{ $6 = "-"; print }')"
contains "the province logs each rejection with its reason" \
  "$(cat "$work/prov.log")" "130100: $ind $per rejected: key not authorised for region 130102"
converge "after the attacks"

# --- the audit trail proves who submitted each county figure.
out=$("$hub" audit --db "$work/prov.db" --verify --keys "$work/keys.csv")
status=$?
contains "audit --verify: every origin signature checks" "$out" "no problems found"
check "audit --verify exits 0" test $status -eq 0
contains "audit --verify counts the origin signatures" "$out" \
  "origin signatures of states verified against the keys file, 0 states without"
out=$("$hub" audit --db "$work/prov.db" --region 130102 --format csv)
contains "audit lists the county's key beside the city's envelope" "$out" \
  ",$city,$id100,130102,$ind,$per,$cur_version,"
contains "audit lists the county's origin key" "$out" ",$id102"
stop_hub "$city_pid"
stop_hub "$prov_pid"

cp "$work/prov.db" "$work/tampered.db"
sqlite3 "$work/tampered.db" "DROP TRIGGER audit_state_no_update;
  UPDATE audit_state SET origin_signature = zeroblob(64)
  WHERE region = '130102' AND indicator = '$ind' AND period = '$per'"
out=$("$hub" audit --db "$work/tampered.db" --verify)
check "audit --verify exits 65 on a changed origin signature" test $? -eq 65
contains "audit --verify finds the changed origin signature" "$out" \
  "its origin signature differs from the signed body"
cp "$work/prov.db" "$work/tampered.db"
sqlite3 "$work/tampered.db" "UPDATE region_state SET origin_signature = zeroblob(64)
  WHERE region = '130102' AND indicator = '$ind' AND period = '$per'"
out=$("$hub" audit --db "$work/tampered.db" --verify)
contains "audit --verify finds a held origin signature changed" "$out" \
  "held state 130102 $ind $per v$cur_version"

cl_finish

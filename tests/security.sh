#!/usr/bin/env bash
# Tries each attack against a live hub in signed mode (a city
# hub, 130100, with a keys file for two of its counties) and checks, for
# every one, that it is refused with a clear reason, that the hub goes on
# serving the honest county (it records and pushes a new figure, signed,
# after each attack), and that no stored figure changed (the figure tables
# compared with `sqlite3 .dump` before and after). Then the audit trail:
# `tally-hub audit --verify` passes, and finds a figure and a body changed
# behind the hub's back. Then TLS with required client certificates, and
# open mode.
#
# The hostile child is tests/sec_client.c (it crafts any envelope);
# nngcat sends the raw bytes. nngcat exits 0 even when no answer comes, so
# what it prints is checked, never its status.
# Usage: bash tests/security.sh BUILD_DIR
set -u
. "$(dirname "$0")/checklib.sh"
cl_init security "$1"
src=$(cd "$here/.." && pwd)
client="$build/tests/sec_client"

# Starts a hub: name, then the options of `run` after --db (the city
# 130100 unless --region is given).
start_hub() {
  local name=$1 region=130100
  shift
  if [ "$1" = --region ]; then region=$2; shift 2; fi
  rm -f "$work/$name.ready"
  "$hub" run --db "$work/$name.db" --region "$region" \
    --ready-file "$work/$name.ready" "$@" 2>>"$work/$name.log" &
  hub_pid=$!
  pids+=("$hub_pid")
  cl_wait_ready "$work/$name.ready" "$hub_pid" "$work/$name.log"
  url=$(head -n 1 "$work/$name.ready")
}

# Stops the hub; a clean stop exits 0 (a leak or a crash under the
# sanitizers would not).
stop_hub() {
  kill -TERM "$hub_pid"
  wait "$hub_pid"
  check "the hub stops cleanly after the attacks" test $? -eq 0
}

# The figure tables of the hub: what no attack may change.
figures() {
  sqlite3 "$work/city.db" ".dump region_state" ".dump snapshot" \
    ".dump observation"
}

# --- keys: the honest county 130102, its neighbour 130104 with a valid
# key of its own, and a stranger whose key the hub does not know.
for k in c102 c104 stranger; do
  "$node" keygen --out "$work/$k" >"$work/$k.out" || exit 1
done
id102=$(sed -n 's/^key id //p' "$work/c102.out")
id104=$(sed -n 's/^key id //p' "$work/c104.out")
idstr=$(sed -n 's/^key id //p' "$work/stranger.out")
printf 'region,public_key\n130102,%s\n130104,%s\n' \
  "$(cat "$work/c102.pub")" "$(cat "$work/c104.pub")" >"$work/keys.csv"

start_hub city --listen "ipc://$work/city.sock" --keys "$work/keys.csv"
contains "the hub says it runs in signed mode" "$(cat "$work/city.log")" \
  "signed mode: 2 keys authorised"

"$node" init -q --db "$work/c102.db" --region 130102 >/dev/null
round=0
# The honest county records a new figure and pushes it, signed: the hub
# must take it after every attack.
honest_push() {
  round=$((round + 1))
  "$node" record -q --db "$work/c102.db" --indicator mfg_pass_rate \
    --period 2020 --num $((900 + round)) --den 1000 >/dev/null
  local out
  out=$("$node" push -q --db "$work/c102.db" --hub "$url" \
    --key "$work/c102.key" --timeout-ms 10000 2>&1)
  contains "after $1: the hub still serves the honest county" "$out" \
    "1 accepted, 0 duplicate, 0 stale, 0 rejected"
}
honest_push "the start"

# Sends an envelope crafted by sec_client and checks the answer and that
# no figure changed, then the honest push. Arguments: the attack, the
# text the answer must contain, then the craft options.
attack() {
  local what=$1 want=$2
  shift 2
  local before after out
  before=$(figures)
  "$client" craft --out "$work/attack.bin" "$@" || { bad "$what: craft"; return; }
  out=$("$client" send "$url" "$work/attack.bin")
  contains "$what: refused with a clear reason" "$out" "$want"
  after=$(figures)
  if [ "$before" = "$after" ]; then ok; else bad "$what: a stored figure changed"; fi
  honest_push "$what"
}
# The same for raw bytes sent with nngcat; want is "" when no answer at
# all is expected.
raw_attack() {
  local what=$1 want=$2 file=$3
  local before after out
  before=$(figures)
  out=$(nngcat --req0 --dial "$url" --file "$file" --raw --recv-timeout 3 \
    2>&1 | tr -c '[:print:]\n' '.')
  if [ -z "$want" ]; then
    if [ -z "$out" ]; then ok; else bad "$what: an answer came: $out"; fi
  else
    contains "$what: refused with a clear reason" "$out" "$want"
  fi
  after=$(figures)
  if [ "$before" = "$after" ]; then ok; else bad "$what: a stored figure changed"; fi
  honest_push "$what"
}

v=$(($(date +%s) * 1000000))
state="mfg_pass_rate|2020|1|1000|$((v + 5000000000))"

attack "a forged sender (130104's key speaking for 130102)" \
  "refused: key not authorised for the sender region: key $id104 belongs to region 130104, the sender is 130102" \
  --sender 130102 --state "$state" --key "$work/c104.key"
attack "a forged key id (the stranger's signature under 130102's id)" \
  "refused: bad signature: the body does not match the signature of key $id102" \
  --sender 130102 --state "$state" --key "$work/stranger.key" --key-id "$id102"
attack "the wrong key (one the hub does not know)" \
  "refused: unknown key $idstr" \
  --sender 130102 --state "$state" --key "$work/stranger.key"
attack "an unsigned envelope" \
  "refused: unsigned envelope: this hub accepts signed envelopes only" \
  --sender 130102 --state "$state"
attack "a tampered body (changed after signing)" \
  "refused: bad signature" \
  --sender 130102 --state "$state" --key "$work/c102.key" --tamper
attack "misdirection (signed for hub 130200)" \
  "refused: addressed to hub 130200, this is hub 130100" \
  --sender 130102 --hub 130200 --state "$state" --key "$work/c102.key"

# Replay: a message of 130102 captured on the way, sent again after a
# newer one was accepted, is stale and changes nothing; the newer one sent
# again is a duplicate.
"$client" craft --out "$work/old.bin" --sender 130102 --key "$work/c102.key" \
  --state "mfg_pass_rate|2019|10|100|$((v + 1))" --origin-key "$work/c102.key"
"$client" craft --out "$work/new.bin" --sender 130102 --key "$work/c102.key" \
  --state "mfg_pass_rate|2019|20|100|$((v + 2))" --origin-key "$work/c102.key"
contains "replay: the captured message was first accepted" \
  "$("$client" send "$url" "$work/old.bin")" "accepted - mfg_pass_rate 2019"
contains "replay: a newer one was accepted" \
  "$("$client" send "$url" "$work/new.bin")" "accepted - mfg_pass_rate 2019"
before=$(figures)
contains "a replayed older message is stale" \
  "$("$client" send "$url" "$work/old.bin")" "stale - mfg_pass_rate 2019 v$((v + 1))"
contains "a replayed current message is a duplicate" \
  "$("$client" send "$url" "$work/new.bin")" "duplicate - mfg_pass_rate 2019 v$((v + 2))"
check "a replay changes no stored figure" test "$before" = "$(figures)"
honest_push "a replay"

# Raw bytes.
head -c $((5 * 1024 * 1024)) /dev/zero | tr '\0' 'x' >"$work/big.bin"
raw_attack "an oversized message (5 MiB, over NNG_OPT_RECVMAXSZ: dropped unread)" \
  "" "$work/big.bin"
"$client" craft --out "$work/good.bin" --sender 130102 --key "$work/c102.key" \
  --state "$state"
head -c $(($(stat -c %s "$work/good.bin") - 10)) "$work/good.bin" >"$work/trunc.bin"
raw_attack "a truncated message" "malformed envelope: message Envelope: field key_id: a length of" \
  "$work/trunc.bin"
python3 -c 'import random, sys; random.seed(6); sys.stdout.buffer.write(bytes(random.randrange(256) for _ in range(1000)))' \
  >"$work/random.bin"
raw_attack "random bytes" "malformed envelope: message Envelope" \
  "$work/random.bin"
cp "$work/good.bin" "$work/unknown.bin"
printf '\170\001' >>"$work/unknown.bin" # field 15, varint 1
raw_attack "an envelope with an unknown field" \
  "malformed envelope: unknown fields" "$work/unknown.bin"
python3 -c 'import sys; sys.stdout.buffer.write(b"\x0a\x05hello\xff\xff\xff")' \
  >"$work/junk.body"
attack "malformed protobuf inside a good signature" \
  "refused: malformed submission: message Submission: the message ends inside a tag" \
  --body-file "$work/junk.body" --key "$work/c102.key"

# SQL and control characters in strings, signed by the county itself.
attack "SQL in an indicator" \
  "rejected - mfg_pass_rate'; DROP TABLE region_state; -- 2020 v$((v + 7)): unknown indicator" \
  --sender 130102 --key "$work/c102.key" \
  --state "mfg_pass_rate'; DROP TABLE region_state; --|2020|1|10|$((v + 7))"
attack "SQL in a region" \
  "region is not a region code" \
  --sender 130102 --key "$work/c102.key" \
  --state "mfg_pass_rate|2020|1|10|$((v + 8))|130104' OR '1'='1"
attack "SQL in the sender" \
  "refused: malformed submission: field sender: not a region code" \
  --sender "130102' OR '1'='1" --key "$work/c102.key" --state "$state"
attack "a line break in an indicator (a forged log line)" \
  "refused: malformed submission: field states[0].indicator: not UTF-8 text" \
  --sender 130102 --key "$work/c102.key" \
  --state "$(printf 'mfg_pass_rate\n2001-01-01T00:00:00.000Z ERROR [130100] forged|2020|1|10|1')"
attack "an escape sequence in a period" \
  "refused: malformed submission: field states[0].period: not UTF-8 text" \
  --sender 130102 --key "$work/c102.key" \
  --state "$(printf 'mfg_pass_rate|2020\033[2J|1|10|1')"
attack "invalid UTF-8 in an indicator" \
  "refused: malformed submission: field states[0].indicator: not UTF-8 text" \
  --sender 130102 --key "$work/c102.key" \
  --state "$(printf 'mfg_pass_rate\377\376|2020|1|10|1')"
check "the forged log line is not in the hub's log" \
  bash -c "! grep -q '^2001-01-01T00:00:00.000Z ERROR' '$work/city.log'"
check "every refusal is in the hub's log with its reason" \
  grep -q "submission from ipc refused: unknown key $idstr" "$work/city.log"
check "the figure tables are still there" \
  test "$(sqlite3 "$work/city.db" 'SELECT count(*) FROM region_state')" -ge 1

# --- the audit trail: who sent what, checked offline.
out=$("$hub" audit --db "$work/city.db" --region 130102 --format csv)
contains "audit: the honest county's pushes are listed with its key" "$out" \
  ",130102,$id102,130102,mfg_pass_rate,2020,"
contains "audit: a correction says what it replaced" "$out" \
  ",mfg_pass_rate,2019,$((v + 2)),20,100,1,$((v + 1)),10,100,1,130102"
out=$("$hub" audit --db "$work/city.db" --verify)
status=$?
contains "audit --verify passes on an untouched trail" "$out" "no problems found"
check "audit --verify exits 0 on an untouched trail" test "$status" -eq 0
stop_hub

out=$(sqlite3 "$work/city.db" "UPDATE audit_envelope SET sender = '130104'" 2>&1)
contains "the audit trail refuses UPDATE" "$out" "append-only"
out=$(sqlite3 "$work/city.db" "DELETE FROM audit_state" 2>&1)
contains "the audit trail refuses DELETE" "$out" "append-only"
cp "$work/city.db" "$work/figure.db"
sqlite3 "$work/figure.db" "UPDATE region_state SET sum_a = sum_a + 1
  WHERE region = '130102' AND indicator = 'mfg_pass_rate' AND period = '2020'"
out=$("$hub" audit --db "$work/figure.db" --verify)
status=$?
contains "audit --verify finds a figure changed behind the hub's back" "$out" \
  "held state 130102 mfg_pass_rate 2020"
check "audit --verify exits 65 on a problem" test "$status" -eq 65
cp "$work/city.db" "$work/body.db"
sqlite3 "$work/body.db" "DROP TRIGGER audit_envelope_no_update;
  UPDATE audit_envelope SET body = body || x'00' WHERE id = 2"
out=$("$hub" audit --db "$work/body.db" --verify)
contains "audit --verify finds a changed body" "$out" "envelope 2: bad signature"
contains "audit --verify finds the broken chain" "$out" "envelope 2: the chain is broken"
printf 'region,public_key\n130102,%s\n' "$(cat "$work/stranger.pub")" >"$work/other-keys.csv"
out=$("$hub" audit --db "$work/city.db" --verify --keys "$work/other-keys.csv")
contains "audit --verify --keys finds keys no longer authorised" "$out" \
  "key $id102: unknown key in the keys file"

# --- a city hub forwards its county's state to a province that requires
# signatures, signing with its own key; the county's state keeps the
# county's own signature, which the province checks (it lists the
# county's key too); the city's key cannot speak for the county at the
# province. tests/e2e_sign.sh tries the city's other ways to cheat.
"$node" keygen --out "$work/c100" >"$work/c100.out"
id100=$(sed -n 's/^key id //p' "$work/c100.out")
printf 'region,public_key\n130100,%s\n130102,%s\n' "$(cat "$work/c100.pub")" \
  "$(cat "$work/c102.pub")" >"$work/prov-keys.csv"
start_hub prov --region 130000 --listen "ipc://$work/prov.sock" \
  --keys "$work/prov-keys.csv"
prov_pid=$hub_pid
prov_url=$url
start_hub fwd --listen "ipc://$work/fwd.sock" --keys "$work/keys.csv" \
  --key "$work/c100.key" --parent "$prov_url"
"$node" init -q --db "$work/fwd102.db" --region 130102 >/dev/null
"$node" record -q --db "$work/fwd102.db" --indicator mfg_pass_rate \
  --period 2020 --num 3 --den 4 >/dev/null
"$node" push -q --db "$work/fwd102.db" --hub "$url" --key "$work/c102.key" \
  >/dev/null
check "forwarding: the county's push reaches its city" test $? -eq 0
for _ in $(seq 1 200); do
  out=$("$hub" audit --db "$work/prov.db" --region 130102 --format csv 2>/dev/null)
  grep -q ",130100,$id100,130102,mfg_pass_rate,2020," <<<"$out" && break
  sleep 0.1
done
contains "forwarding: the province holds the county's state, sent and signed by the city" \
  "$out" ",130100,$id100,130102,mfg_pass_rate,2020,"
contains "forwarding: the province's trail verifies against its keys" \
  "$("$hub" audit --db "$work/prov.db" --verify --keys "$work/prov-keys.csv")" \
  "no problems found"
"$client" craft --out "$work/city-as-county.bin" --sender 130102 --hub 130000 \
  --key "$work/c100.key" --state "$state"
contains "forwarding: the city's key cannot speak for its county" \
  "$("$client" send "$prov_url" "$work/city-as-county.bin")" \
  "refused: key not authorised for the sender region: key $id100 belongs to region 130100, the sender is 130102"
stop_hub
hub_pid=$prov_pid
stop_hub

# --- TLS with required client certificates (scripts/dev-certs.sh).
bash "$src/scripts/dev-certs.sh" --client county "$work/pki" >/dev/null
bash "$src/scripts/dev-certs.sh" "$work/other-pki" >/dev/null
start_hub tls --listen "tls+tcp://127.0.0.1:0" --keys "$work/keys.csv" \
  --tls-cert "$work/pki/server.crt" --tls-key "$work/pki/server.key" \
  --tls-ca "$work/pki/ca.crt" --tls-require-client
"$node" init -q --db "$work/tls102.db" --region 130102 >/dev/null
"$node" record -q --db "$work/tls102.db" --indicator mfg_pass_rate \
  --period 2020 --num 1 --den 2 >/dev/null
push_tls() {
  "$node" push -q --db "$work/tls102.db" --hub "$1" --key "$work/c102.key" \
    --timeout-ms 3000 "${@:2}" >/dev/null 2>&1
}
push_tls "$url" --tls-ca "$work/other-pki/ca.crt" \
  --tls-cert "$work/pki/county.crt" --tls-key "$work/pki/county.key"
check "TLS: a hub whose certificate another CA signed is not talked to (69)" \
  test $? -eq 69
push_tls "$url" --tls-ca "$work/pki/ca.crt"
check "TLS: a child without a certificate is not served (69)" test $? -eq 69
push_tls "${url/tls+tcp/tcp}"
check "TLS: plain TCP to the TLS listener gets nowhere (69)" test $? -eq 69
push_tls "$url" --tls-ca "$work/pki/ca.crt" \
  --tls-cert "$work/pki/county.crt" --tls-key "$work/pki/county.key"
check "TLS: a child with its certificate and key is served" test $? -eq 0
chmod 644 "$work/pki/county.key"
out=$("$node" push -q --db "$work/tls102.db" --hub "$url" --tls-ca "$work/pki/ca.crt" \
  --tls-cert "$work/pki/county.crt" --tls-key "$work/pki/county.key" 2>&1)
contains "TLS: a private key others can read is refused" "$out" "chmod 600"
stop_hub

# --- open mode: no keys file.
start_hub open --listen "ipc://$work/open.sock"
contains "open mode: the hub warns at start" "$(cat "$work/open.log")" "OPEN MODE"
"$node" init -q --db "$work/open102.db" --region 130102 >/dev/null
"$node" record -q --db "$work/open102.db" --indicator mfg_pass_rate \
  --period 2020 --num 1 --den 2 >/dev/null
"$node" push -q --db "$work/open102.db" --hub "$url" --timeout-ms 10000 \
  >/dev/null
check "open mode: an unsigned push is taken" test $? -eq 0
out=$("$hub" report --db "$work/open.db" --period 2020 2>&1 >/dev/null)
contains "open mode: every report warns" "$out" "OPEN MODE"
# -q (errors only) leaves the warning to the caller, as the demos do, who
# say it once for a whole tree; the figures are the same.
out=$("$hub" report -q --db "$work/open.db" --period 2020 2>&1 >/dev/null)
check "open mode: report -q does not warn" test -z "$out"
out=$("$hub" audit --db "$work/open.db" --verify 2>/dev/null)
contains "open mode: the audit says nothing proves who sent them" "$out" \
  "1 envelopes unsigned"
stop_hub
chmod 644 "$work/c102.key"
out=$("$node" push -q --db "$work/c102.db" --hub "$url" --key "$work/c102.key" 2>&1)
contains "a private key others can read is refused" "$out" "chmod 600"

cl_finish

#!/usr/bin/env bash
# The admission rules against live hubs in open mode: every
# state a node could not have made is rejected with a reason that names
# the field, is logged and counted, and changes no figure (the figure
# tables compared with `sqlite3 .dump` before and after), while the
# honest county's next push is still taken. A county's state forwarded by
# its city is held to the county's rules at the province. Then a version
# ten years ahead: refused by default, and, taken by a hub configured to
# allow it, dropped again by `tally-hub repair` (recorded in the audit
# trail) after which the county's honest state lands; a node refuses to
# make a version from a clock behind one it made. The report and the
# dashboard's API show what was refused and from whom.
#
# The hostile child is tests/sec_client.c. Usage: bash tests/admit.sh BUILD_DIR
set -u
. "$(dirname "$0")/faultlib.sh"
fl_init "$1" admit
client=$build/tests/sec_client
day_us=86400000000

figures() {
	sqlite3 -cmd ".timeout 5000" "$work/db/$1.db" ".dump region_state" \
		".dump snapshot" ".dump observation"
}

# contains DESCRIPTION TEXT NEEDLE
contains() {
	if grep -qF -- "$3" <<<"$2"; then
		ok "$1"
	else
		not_ok "$1: expected '$3' in: $2"
	fi
}

node_cmd init --db "$work/db/130102.db" --region 130102 >/dev/null
round=0
# The honest county records a new figure and pushes it: the hub must
# take it after every refusal.
honest_push() {
	local out
	round=$((round + 1))
	node_cmd record -q --db "$work/db/130102.db" --indicator mfg_pass_rate \
		--period 2020 --num $((900 + round)) --den 1000 >/dev/null
	out=$(node_cmd push -q --db "$work/db/130102.db" --hub "${url[130100]}" \
		--timeout-ms 20000 2>&1)
	contains "after $1: the hub still takes the honest county's push" "$out" \
		"1 accepted, 0 duplicate, 0 stale, 0 rejected"
}

# refused_case HUB WHAT WANT CRAFT-ARGS...: the crafted submission is
# answered with WANT, which is in the hub's log too, and no figure of HUB
# changed; then the honest push.
refused_case() {
	local h=$1 what=$2 want=$3 before out
	shift 3
	before=$(figures "$h")
	"$client" craft --out "$work/out/attack.bin" "$@" || {
		not_ok "$what: craft"
		return
	}
	out=$("$client" send "${url[$h]}" "$work/out/attack.bin")
	contains "$what: refused with its reason" "$out" "$want"
	contains "$what: the reason is in the hub's log" \
		"$(cat "$work/log/hub-$h.log")" "${want#*: }"
	check "$what: no figure changed" "$(figures "$h")" "$before"
	[ "$h" = 130100 ] && honest_push "$what"
}

section "a city hub in open mode, and its honest county"
start_hub_with 130100 --db "$work/db/130100.db" --region 130100 \
	--listen "ipc://$work/sock/130100" --http 127.0.0.1:0 || finish
honest_push "the start"

v=$(($(date +%s) * 1000000))
n100=$(awk -F, '$4 == "130100"' "$TALLY_DATA_DIR/divisions.csv" | wc -l)

section "states a node could not have made, each with its reason"
refused_case 130100 "120 passed of 100 sampled" \
	"rejected - mfg_pass_rate 2020 v$((v + 1)): field sum_a: numerator 120 exceeds the denominator 100 of a percentage" \
	--sender 130102 --state "mfg_pass_rate|2020|120|100|$((v + 1))|-|1|2020|120|130102|120|130102"
refused_case 130100 "a ratio 5 / 0 with min and max 95" \
	"rejected - mfg_pass_rate 2020 v$((v + 2)): field sum_a: numerator 5 over a denominator of 0: a denominator of 0 needs a numerator of 0" \
	--sender 130102 --state "mfg_pass_rate|2020|5|0|$((v + 2))|-|1|2020|95|130102|95|130102"
refused_case 130100 "a count of 42.5 batches" \
	"field sum_a: a count is a whole number within 2^53, not 42.5" \
	--sender 130102 --state "supervision_spot_check_batches|2020|42.5|0|$((v + 3))"
refused_case 130100 "a count of 1e300" \
	"field sum_a: a count is a whole number within 2^53, not 1e+300" \
	--sender 130102 --state "supervision_spot_check_batches|2020|1e300|0|$((v + 4))"
refused_case 130100 "leaves = 2^32+1 on the wire" \
	"field leaves: 4294967297 is out of range (at most 100000)" \
	--sender 130102 --state "mfg_pass_rate|2020|9|10|$((v + 5))|-|4294967297|2020"
refused_case 130100 "a county claiming leaves = 5" \
	"field leaves: 5, but 130102 is a leaf region: its state with data counts 1" \
	--sender 130102 --state "mfg_pass_rate|2020|9|10|$((v + 6))|-|5|2020"
refused_case 130100 "leaves = 0 with data" \
	"field leaves: 0, but 130102 is a leaf region" \
	--sender 130102 --state "mfg_pass_rate|2020|9|10|$((v + 7))|-|0|2020"
refused_case 130100 "min and max credited to a neighbouring county" \
	"field min_region: 130104, but the min and max of leaf 130102 are its own" \
	--sender 130102 --state "mfg_pass_rate|2020|9|10|$((v + 8))|-|1|2020|90|130104|90|130104"
refused_case 130100 "0.95 for a value of 95" \
	"field min_value: 0.95, but the state's value is 95" \
	--sender 130102 --state "mfg_pass_rate|2020|95|100|$((v + 9))|-|1|2020|0.95|130102|0.95|130102"
ahead=$(($(date +%s) * 1000000 + 3652 * day_us + 600000000))
refused_case 130100 "a version ten years ahead" \
	"field version: version $ahead is 3652 days ahead of this hub's clock" \
	--sender 130102 --state "mfg_pass_rate|2020|9|10|$ahead"

section "the same version with other figures is a conflict"
"$client" craft --out "$work/out/first.bin" --sender 130102 \
	--state "mfg_pass_rate|2021|9|10|$((v + 10))"
contains "conflict: the first state is taken" \
	"$("$client" send "${url[130100]}" "$work/out/first.bin")" \
	"accepted - mfg_pass_rate 2021 v$((v + 10))"
refused_case 130100 "the same version with other sums" \
	"rejected - mfg_pass_rate 2021 v$((v + 10)): conflict: version $((v + 10)) of 130102 mfg_pass_rate 2021 is held with other figures" \
	--sender 130102 --state "mfg_pass_rate|2021|8|10|$((v + 10))"
refused_case 130100 "the same version with another newest period" \
	"conflict: version $((v + 10)) of 130102 mfg_pass_rate 2021 is held" \
	--sender 130102 --state "mfg_pass_rate|2021|9|10|$((v + 10))|-|1|2021-12"
contains "an identical resend stays a duplicate" \
	"$("$client" send "${url[130100]}" "$work/out/first.bin")" \
	"duplicate - mfg_pass_rate 2021 v$((v + 10))"

section "malformed protobuf: one reason naming the message and the field"
# Submission 130102 -> 130100 whose one PartialState lacks its version.
python3 -c '
import struct, sys
def s(f, b): return bytes([f << 3 | 2, len(b)]) + b
st = s(1, b"mfg_pass_rate") + s(2, b"2020") + b"\x19" + struct.pack("<d", 9) \
   + b"\x21" + struct.pack("<d", 10) + b"\x28\x01" + s(10, b"2020")
sys.stdout.buffer.write(s(1, b"130102") + s(2, b"130100") + b"\x18\x01\x20\x01" + s(5, st))
' >"$work/out/noversion.body"
refused_case 130100 "a state without its required version" \
	"refused: malformed submission: message PartialState (states[0]): missing required field version" \
	--body-file "$work/out/noversion.body"
python3 -c '
import sys
def s(f, b): return bytes([f << 3 | 2, len(b)]) + b
sys.stdout.buffer.write(s(1, b"130102") + s(2, b"130100") + b"\x18\x01" + s(4, b"12"))
' >"$work/out/wiretype.body"
refused_case 130100 "sent_at with the wrong wire type" \
	"refused: malformed submission: message Submission: field sent_at: wire type length-delimited where varint is expected" \
	--body-file "$work/out/wiretype.body"
out=$(grep -c "malformed submission: malformed" "$work/log/hub-130100.log")
check "no reason has its prefix doubled" "$out" 0

section "a forwarded county state is held to the county's rules at the province"
start_hub_with 130000 --db "$work/db/130000.db" --region 130000 \
	--listen "ipc://$work/sock/130000" || finish
refused_case 130000 "a county state forwarded with leaves = 5" \
	"rejected 130102 mfg_pass_rate 2020 v$((v + 11)): field leaves: 5, but 130102 is a leaf region" \
	--sender 130100 --hub 130000 \
	--state "mfg_pass_rate|2020|9|10|$((v + 11))|130102|5|2020"
refused_case 130000 "a county state forwarded ten years ahead" \
	"rejected 130102 mfg_pass_rate 2020 v$ahead: field version: version $ahead is" \
	--sender 130100 --hub 130000 --state "mfg_pass_rate|2020|9|10|$ahead|130102"
refused_case 130000 "a city counting more leaves than it has" \
	"field leaves: 99999, but 130100 has $n100 leaf regions for 2020" \
	--sender 130100 --hub 130000 --state "mfg_pass_rate|2020|9|10|$((v + 12))|-|99999|2020"
"$client" craft --out "$work/out/fwd.bin" --sender 130100 --hub 130000 \
	--state "mfg_pass_rate|2020|9|10|$((v + 13))|130102|1|2020|90|130102|90|130102"
contains "a lawful forwarded county state is taken" \
	"$("$client" send "${url[130000]}" "$work/out/fwd.bin")" \
	"accepted 130102 mfg_pass_rate 2020"
stop_hub 130000
check "the province exits 0 on SIGTERM" $? 0

section "the report and the dashboard show what was refused and from whom"
doc=$("$hub" report --db "$work/db/130100.db" --period 2020 --format json)
check "report: 130102's refused states, conflicts among them" \
	"$(python3 -c 'import json,sys
r = {e["sender"]: e for e in json.load(sys.stdin)["refused"]}
c = r["130102"]
print(c["states"], c["conflicts"], c["submissions"], r[None]["submissions"])' <<<"$doc")" \
	"12 2 0 2"
out=$("$hub" report --db "$work/db/130100.db" --period 2020)
contains "report table: a line per child" "$out" \
	"130102   12 states (2 conflicts), 0 submissions"
http=$(sed -n 2p "$work/sock/130100.ready")
http=${http%/}
api=$(python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1] + "/api/report?period=2020").read().decode())' "$http")
check "the dashboard API: refused by child" \
	"$(python3 -c 'import json,sys
print([(e["sender"], e["states"], e["conflicts"]) for e in json.load(sys.stdin)["refused"]])' <<<"$api")" \
	"[(None, 0, 0), ('130102', 12, 2)]"

section "a version from the future already held: tally-hub repair"
stop_hub 130100
check "the city exits 0 on SIGTERM" $? 0
printf '[hub]\nmax_clock_skew = 3660d\n' >"$work/out/lax.ini"
start_hub_with 130100 -c "$work/out/lax.ini" --db "$work/db/130100.db" \
	--region 130100 --listen "ipc://$work/sock/130100" || finish
"$client" craft --out "$work/out/future.bin" --sender 130102 \
	--state "mfg_pass_rate|2020|1|10|$ahead|-|1|2020|10|130102|10|130102"
contains "a hub that allows 3660 days takes a version ten years ahead" \
	"$("$client" send "${url[130100]}" "$work/out/future.bin")" \
	"accepted - mfg_pass_rate 2020 v$ahead"
node_cmd record -q --db "$work/db/130102.db" --indicator mfg_pass_rate \
	--period 2020 --num 777 --den 1000 >/dev/null
out=$(node_cmd push -q --db "$work/db/130102.db" --hub "${url[130100]}" \
	--timeout-ms 20000 2>&1)
contains "behind it, the county's honest correction is stale" "$out" "1 stale"
stop_hub 130100
start_hub_with 130100 --db "$work/db/130100.db" --region 130100 \
	--listen "ipc://$work/sock/130100" || finish
out=$("$hub" repair --db "$work/db/130100.db" --region 130102 --max-clock-skew 5x 2>&1)
contains "repair: a bad --max-clock-skew is a usage error" "$out" \
	"--max-clock-skew: '5x' is not a duration"
out=$("$hub" repair --db "$work/db/130100.db" --region 130102 \
	--indicator mfg_pass_rate --period 2020)
check "repair exits 0" $? 0
contains "repair names what it dropped" "$out" \
	"dropped 130102 mfg_pass_rate 2020 version $ahead (3652 days ahead of this clock), received through 130102"
contains "repair says the children will send again" "$out" "1 states dropped"
out=$(node_cmd push -q --db "$work/db/130102.db" --hub "${url[130100]}" \
	--timeout-ms 20000 2>&1)
contains "after the repair the county's next push lands" "$out" "1 accepted"
check "the city holds the county's honest figure" \
	"$(sqlite3 "$work/db/130100.db" "SELECT sum_a, sum_b FROM region_state
	  WHERE region = '130102' AND indicator = 'mfg_pass_rate' AND period = '2020'")" \
	"777.0|1000.0"
out=$("$hub" audit --db "$work/db/130100.db" --region 130102)
contains "the repair is in the audit trail" "$out" \
	"dropped 130102 mfg_pass_rate 2020 v$ahead"
contains "audit --verify passes after the repair" \
	"$("$hub" audit --db "$work/db/130100.db" --verify)" "no problems found"
out=$("$hub" repair --db "$work/db/130100.db" --region 130102)
contains "a second repair finds nothing" "$out" "nothing to repair"
"$client" craft --out "$work/out/future2.bin" --sender 130102 \
	--state "mfg_pass_rate|2020|1|10|$((ahead + 1))"
contains "back on the default skew, the hub refuses it again" \
	"$("$client" send "${url[130100]}" "$work/out/future2.bin")" \
	"is 3652 days ahead of this hub's clock"

section "a node does not make a version from a clock behind its own"
before=$(sqlite3 "$work/db/130102.db" ".dump observation")
sqlite3 "$work/db/130102.db" "UPDATE meta SET value = '$ahead' WHERE key = 'clock'"
out=$("$node" record --db "$work/db/130102.db" --indicator mfg_pass_rate \
	--period 2020 --num 1 --den 2 2>&1)
rc=$?
check "record with a clock ten years behind its store fails (78)" "$rc" 78
contains "and says why" "$out" "this machine's clock is 3652 days behind version $ahead"
check "and records nothing" "$(sqlite3 "$work/db/130102.db" ".dump observation")" "$before"

final_stops 130100
finish

#!/usr/bin/env bash
# The independent client (tests/wire_client.py) against real hubs: a city
# hub (130100) in open mode on loopback TCP with a kernel-chosen port,
# the province hub (130000) in open mode on an ipc:// socket in the work
# directory, the same city in signed mode, and the same city allowing
# ten years of clock skew (for `tally-hub repair`), both on loopback TCP.
# The client, written from docs/protocol.md in Python with no code shared
# with the C side, does the talking and the checking; this script starts
# the hubs, runs it under Debian's interpreter (python3-protobuf loads
# only there), and checks that every hub stops cleanly with clean
# sanitizer logs.
# Usage: bash tests/wire_client.sh BUILD_DIR
set -u
# shellcheck source=tests/faultlib.sh
. "$(dirname "$0")/faultlib.sh"
fl_init "$1" wire_client

for b in /usr/bin/python3 protoc sqlite3; do
	command -v "$b" >/dev/null || { not_ok "$b is missing (scripts/install-deps.sh)"; finish; }
done

start_hub_with city --db "$work/db/city.db" --region 130100 \
	--listen tcp://127.0.0.1:0 || finish
start_hub_with province --db "$work/db/province.db" --region 130000 \
	--listen "ipc://$work/sock/province" || finish

# A third hub, the same city in signed mode, with the county's key made
# by the real tally-node.
"$node" keygen --out "$work/out/c130102" >"$work/out/keygen.txt" 2>>"$work/log/node.log" ||
	{ not_ok "tally-node keygen"; finish; }
key_id=$(sed -n 's/^key id //p' "$work/out/keygen.txt")
printf 'region,public_key\n130102,%s\n' "$(cat "$work/out/c130102.pub")" >"$work/out/keys.csv"
start_hub_with signed --db "$work/db/signed.db" --region 130100 \
	--listen tcp://127.0.0.1:0 --keys "$work/out/keys.csv" || finish

# A fourth, the same city allowing ten years of clock skew, for the
# repair of a version from the future.
start_hub_with lenient --db "$work/db/lenient.db" --region 130100 \
	--listen tcp://127.0.0.1:0 --max-clock-skew 3660d || finish

section "the independent client"
/usr/bin/python3 "$fl_tests/wire_client.py" \
	--city-url "${url[city]}" --city-db "$work/db/city.db" \
	--city-log "$work/log/hub-city.log" \
	--province-url "${url[province]}" --province-db "$work/db/province.db" \
	--province-log "$work/log/hub-province.log" \
	--signed-url "${url[signed]}" --signed-db "$work/db/signed.db" \
	--signed-log "$work/log/hub-signed.log" --key "$work/out/c130102.key" \
	--pub "$work/out/c130102.pub" --key-id "$key_id" \
	--lenient-url "${url[lenient]}" --lenient-db "$work/db/lenient.db" \
	--lenient-log "$work/log/hub-lenient.log" \
	--proto "$fl_tests/../proto/tally.proto" \
	--node "$node" --hub "$hub" --work "$work/out"
check "the independent client's checks all pass" $? 0

final_stops city province signed lenient
finish

#!/usr/bin/env bash
# Accounts and scoped access on the hub's web pages (docs/accounts.md),
# end to end: Hebei's province hub with its dashboard, the city hubs of
# Shijiazhuang (130100) and Tangshan (130200) and two counties of each, on
# real SQLite files, the counties pushing over ipc://. Then, by
# tests/accounts_check.py:
#
#   * with no account the pages are open and say so (the API, and the page
#     in headless Chromium);
#   * `user add` keeps Argon2id strings; once an account exists every
#     page and answer needs a session;
#   * a city's user asking for the other city, the province or one of the
#     other city's counties gets 403 (report, explain, trend, brief,
#     exports) with nothing else in it; the city's own answers, every field
#     of them (and every cell of the CSV and the workbook, and the
#     briefing's text), name no region outside the city, and the province's
#     target is shown as a benchmark without naming the province;
#   * a viewer may not download; an operator may;
#   * a logout without the session's CSRF token is refused;
#   * a disabled account's session, and one whose password changed, end at
#     once;
#   * a wrong password is answered 401, the next try within the hub's
#     --login-delay 429 with Retry-After, and both are in the access log
#     (`tally-hub audit --access`) with the address;
#   * Chromium logs in through the login page and sees its city only;
#   * a session idle past --session-idle ends (a hub of its own, with a
#     1-second limit: the test sleeps past it, so it holds however slow
#     the machine);
#   * a comparison hub's page is only for a user whose scope holds every
#     member of its group;
#   * the hub serves HTTPS itself (--https-cert, --https-key), with Secure
#     cookies;
#   * check-config knows the dashboard's settings;
#   * a store of schema 6 is upgraded to 7 (the accounts' tables), after a
#     backup.
# Screenshots go to BUILD_DIR/tests/artifacts/accounts-*.png.
#
# Usage: accounts.sh BUILD_DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=faultlib.sh
. "$here/faultlib.sh"
fl_init "$1" accounts
province=130000
check_py=/usr/bin/python3
artifacts=$build/tests/artifacts
mkdir -p "$artifacts"

# run_check CMD ARGS...: one command of accounts_check.py, its lines shown
# and its checks counted with this test's.
run_check() {
	local out=$work/out/check-$1.out p f
	"$check_py" "$here/accounts_check.py" "$@" >"$out" 2>&1
	grep -E '^(ok|FAIL) - |^# ' "$out"
	p=$(grep -c '^ok - ' "$out")
	f=$(grep -c '^FAIL - ' "$out")
	if ! tail -1 "$out" | grep -q ' passed, '; then
		f=$((f + 1))
		echo "FAIL - accounts_check.py $1 did not finish:"
		tail -20 "$out"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

http_url() { # NAME: the dashboard's URL, the ready file's second line
	sed -n 2p "$work/sock/$1.ready"
}

section "the tree"
hub_extra[$province]="--http 127.0.0.1:0 --login-delay 60"
start_hub $province || finish
for city in 130100 130200; do
	start_hub $city || finish
	for c in $(counties_of $city | head -2); do
		add_county "$c" || not_ok "county $c"
		push "$c" >/dev/null || not_ok "push $c"
	done
done
converge_year "loaded" || finish
# A month only the other city reported: offered to the province's users,
# never to the first city's.
other=$(counties_of 130200 | head -1)
"$node" record --db "$work/db/$other.db" --indicator mfg_pass_rate \
	--period 2019-06 --num 90 --den 100 >/dev/null || not_ok "record 2019-06 at $other"
# And a figure of the other city's county taken back: alice's report is
# still answered, without it.
"$node" withdraw --db "$work/db/$other.db" --indicator mfg_pass_rate \
	--period 2020-03 --reason "录入错误" >/dev/null || not_ok "withdraw at $other"
push "$other" >/dev/null || not_ok "push $other"
held_2019() { sqlite3 "$work/db/$province.db" "SELECT 1 FROM region_state WHERE region = '$other' AND period = '2019-06'" | grep -q 1; }
check_true "the province holds $other's 2019-06" wait_until $deadline_s held_2019
echo "$other" >"$work/out/withdrawn-region"
# The first city approves its counties' 2020 and the province the city
# (unsigned: open mode): alice's report says her city's figures are
# official without naming the province.
for c in $(counties_of 130100 | head -2); do
	"$hub" approve --db "$work/db/130100.db" --region "$c" --period 2020 \
		>>"$work/log/approve.log" 2>&1 || not_ok "130100 approves $c"
done
has_city_approvals() {
	test "$(sqlite3 "$work/db/$province.db" "SELECT count(*) FROM approval WHERE approver = '130100' AND period = '2020' AND reopened_at IS NULL")" -ge 2
}
check_true "the province holds the city's approvals" wait_until $deadline_s has_city_approvals
"$hub" approve --db "$work/db/$province.db" --region 130100 --period 2020 \
	>>"$work/log/approve.log" 2>&1 || not_ok "the province approves 130100: $(tail -2 "$work/log/approve.log")"
url=$(http_url $province)
db=$work/db/$province.db

section "no accounts"
run_check open --url "$url"
run_check browser --url "$url" --work "$work" --artifacts "$artifacts" --mode open

section "accounts, scope, roles, CSRF, sessions, the access log"
run_check check --hub "$hub" --db "$db" --url "$url" --work "$work" \
	--hub-log "$work/log/hub-$province.log"

section "Chromium logs in"
run_check browser --url "$url" --work "$work" --artifacts "$artifacts" --mode login

section "sessions expire"
start_hub_with idle --db "$work/db/idle.db" --region $province \
	--listen "ipc://$work/sock/idle" --http 127.0.0.1:0 --session-idle 1 || finish
run_check expiry --hub "$hub" --db "$work/db/idle.db" --url "$(http_url idle)" \
	--work "$work" --idle 1

section "a comparison hub"
start_hub_with group --db "$work/db/group.db" --group jizhong --members 130100,130200 \
	--listen "ipc://$work/sock/group" --http 127.0.0.1:0 || finish
run_check group --hub "$hub" --db "$work/db/group.db" --url "$(http_url group)"

section "TLS served by the hub"
bash "$here/../scripts/dev-certs.sh" "$work/certs" >/dev/null 2>&1 || not_ok "dev-certs.sh"
start_hub_with tls --db "$work/db/tls.db" --region $province \
	--listen "ipc://$work/sock/tls" --http 127.0.0.1:0 \
	--https-cert "$work/certs/server.crt" --https-key "$work/certs/server.key" || finish
run_check tls --hub "$hub" --db "$work/db/tls.db" --url "$(http_url tls)" \
	--work "$work" --ca "$work/certs/ca.crt"
out=$("$hub" run --db "$work/db/x.db" --region $province --listen "ipc://$work/sock/x" \
	--http 127.0.0.1:0 --https-cert "$work/certs/server.crt" 2>&1)
check "--https-cert without --https-key is a usage error" $? 64

section "check-config knows the dashboard's settings"
printf '[hub]\ndb = %s\nregion = 130000\nlisten = tcp://127.0.0.1:0\nhttp = 127.0.0.1:0\nhttps_cert = %s\nhttps_key = %s\nsession_idle = 900\nlogin_delay = 2\n' \
	"$work/db/cc.db" "$work/certs/server.crt" "$work/certs/server.key" >"$work/good.ini"
out=$("$hub" check-config -c "$work/good.ini" 2>&1)
check "a hub file with https_cert, https_key, session_idle and login_delay passes: $out" $? 0
printf '[hub]\ndb = %s\nregion = 130000\nlisten = tcp://127.0.0.1:0\nhttps_cert = %s\nsession_idle = 0\n' \
	"$work/db/cc.db" "$work/certs/none.crt" >"$work/bad.ini"
out=$("$hub" check-config -c "$work/bad.ini" 2>&1)
check "a bad one is refused (78)" $? 78
check "naming each problem by its line" "$(echo "$out" | grep -c -E '^'"$work"'/bad.ini:(5|6): \[hub\] (https_cert|session_idle)')" 3

section "schema 6 is upgraded"
stop_hub tls
check "the TLS hub stops cleanly" $? 0
cp "$work/db/tls.db" "$work/db/old.db"
cur=$(sqlite3 "$work/db/tls.db" "SELECT value FROM meta WHERE key = 'schema'")
# Schema 7 added the accounts' tables.
sqlite3 "$work/db/old.db" "DROP TABLE account; DROP TABLE account_session;
	DROP TABLE access_log; UPDATE meta SET value = '6' WHERE key = 'schema';" ||
	not_ok "make a schema-6 store"
out=$("$hub" user list --db "$work/db/old.db" 2>&1)
check "a schema-6 store opens for user list: $out" $? 0
check_true "it was copied first" test -f "$work/db/old.db.bak-schema6"
check "the store is of this release's schema" \
	"$(sqlite3 "$work/db/old.db" "SELECT value FROM meta WHERE key = 'schema'")" "$cur"
check "the accounts' tables are there" \
	"$(sqlite3 "$work/db/old.db" "SELECT count(*) FROM sqlite_master WHERE name IN ('account', 'account_session', 'access_log')")" 3

final_stops group idle 130200 130100 $province
finish

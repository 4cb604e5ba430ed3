#!/usr/bin/env bash
#
# `tally-node status` and the data-entry page of `tally-node serve`, with
# real processes: a county store in a temporary directory, its real city
# hub over ipc://, and the page on loopback with a port the kernel picks.
#
#  - status: an imported figure is pending; after a push it is accepted
#    by the city hub (its code and instance id, the time); a submission
#    refused whole (pushed to a hub that is not the county's parent) keeps
#    the hub's reason and stays pending; due dates follow --due-days and
#    the [node] due_days and [due] of a -c file; a not-entered indicator
#    is overdue once its due date is past; JSON and table agree.
#  - the store: a new store has the answers' table (schema 5); a schema-4
#    store is upgraded after a copy FILE.bak-schema4.
#  - serve: the page in headless Chromium (tests/entry_browser.py); and,
#    over plain HTTP: a POST without the page's token (403), from another
#    origin (403), too large (413), a Host that is not loopback (421).
#
# Usage: bash tests/entry.sh BUILD_DIR

set -u
. "$(dirname "$0")/faultlib.sh"
fl_init "$1" entry
cd "$work" || exit 1
db=$work/db/130102.db
county=130102
city=130100

# run CODE NAME CMD...: runs CMD into out/NAME.{out,err}, checks the exit.
run() {
	local want=$1 name=$2 rc
	shift 2
	"$@" >"out/$name.out" 2>"out/$name.err"
	rc=$?
	cat "out/$name.err" >>log/commands.log
	check "$name: exit status" "$rc" "$want"
}

# has NAME TEXT: out/NAME.out holds TEXT.
has() {
	if grep -qF -- "$2" "out/$1.out"; then
		ok "$1 says '$2'"
	else
		not_ok "$1 lacks '$2': $(head -c 1500 "out/$1.out")"
	fi
}

# jq_py NAME EXPR: EXPR of the JSON document d in out/NAME.out.
jq_py() {
	"$python" -c "import json,sys; d=json.load(open('out/$1.out')); print($2)"
}

section "status"
run 0 init "$node" init --db "$db" --region $county
run 0 import "$node" import -q --db "$db" "$fl_tests/../configs/samples/county-130102-2020.csv"
# This release's schema, as a new store says.
cur=$(sqlite3 "$db" "SELECT value FROM meta WHERE key='schema'")
check "a new store is of schema 5 or later" "$([ "$cur" -ge 5 ] && echo yes)" yes
check "with the answers' table" "$(sqlite3 "$db" "SELECT count(*) FROM uplink_reply")" 0
run 0 status-pending "$node" status --db "$db" --period 2020-03 --format json
check "an imported figure is pending" \
	"$(jq_py status-pending "[i['state'] for i in d['items'] if i['indicator']=='mfg_pass_rate'][0]")" pending
check "its due date: 15 days after March, in CST" \
	"$(jq_py status-pending "d['items'][0]['due']")" 2020-04-15T16:00:00Z
check "overdue, as nothing went up" \
	"$(jq_py status-pending "d['items'][0]['overdue']")" True

start_hub_with $city --db "$work/db/$city.db" --region $city --listen "ipc://$work/sock/$city" || finish
run 0 push "$node" push --db "$db" --hub "${url[$city]}"
run 0 status-json "$node" status --db "$db" --period 2020-03 --format json
instance=$(sqlite3 "$work/db/$city.db" "SELECT value FROM meta WHERE key='instance_id'")
check "after the push: accepted" \
	"$(jq_py status-json "[i['state'] for i in d['items'] if i['indicator']=='mfg_pass_rate'][0]")" accepted
check "by the city hub" \
	"$(jq_py status-json "[i['answer']['hub'] for i in d['items'] if i['indicator']=='mfg_pass_rate'][0]")" $city
check "of that hub's database" \
	"$(jq_py status-json "[i['answer']['hub_instance'] for i in d['items'] if i['indicator']=='mfg_pass_rate'][0]")" "$instance"
check "no longer overdue" \
	"$(jq_py status-json "[i['overdue'] for i in d['items'] if i['indicator']=='mfg_pass_rate'][0]")" False
check "a not-entered indicator the county reports is listed, overdue" \
	"$(jq_py status-json "[(i['state'], i['overdue']) for i in d['items'] if i['indicator']=='quality_products'][0]")" \
	"('not_entered', True)"
check "the summary counts agree with the items" \
	"$(jq_py status-json "d['summary']['accepted'] == sum(i['state']=='accepted' for i in d['items']) and d['summary']['overdue'] == sum(i['overdue'] for i in d['items'])")" True
run 0 status-table "$node" status --db "$db" --period 2020-03
has status-table "报送状态 reporting status, 期间 period 2020-03"
has status-table "已接收 accepted"
has status-table "2020-04-15"
has status-table "未填报 not_entered"
run 0 status-all "$node" status --db "$db" --format json
check "without --period: every figure held, all accepted" \
	"$(jq_py status-all "(len(d['items']), d['summary']['accepted'])")" \
	"($(sqlite3 "$db" "SELECT count(*) FROM snapshot"), $(sqlite3 "$db" "SELECT count(*) FROM snapshot"))"

section "a refusal"
run 0 record "$node" record -q --db "$db" --indicator mfg_pass_rate --period 2020-03 --num 100 --den 120
start_hub_with 130200 --db "$work/db/130200.db" --region 130200 --listen "ipc://$work/sock/130200" || finish
run 77 push-wrong "$node" push --db "$db" --hub "${url[130200]}"
run 0 status-refused "$node" status --db "$db" --period 2020-03 --format json
row="[i for i in d['items'] if i['indicator']=='mfg_pass_rate'][0]"
check "the refused figure is marked refused and still pending" \
	"$(jq_py status-refused "($row['state'], $row['pending'])")" "('refused', True)"
reason=$(jq_py status-refused "$row['answer']['reason']")
if [ -n "$reason" ] && grep -qF -- "$reason" "$work/log/hub-130200.log"; then
	ok "with the hub's reason: $reason"
else
	not_ok "the reason '$reason' is not the hub's"
fi
run 0 status-refused-table "$node" status --db "$db" --period 2020-03
has status-refused-table "整批被拒 refused"
has status-refused-table "原因 reason: $reason"
run 0 push-right "$node" push --db "$db" --hub "${url[$city]}"
run 0 status-again "$node" status --db "$db" --period 2020-03 --format json
check "sent to its own hub, it is accepted" \
	"$(jq_py status-again "$row['state']")" accepted

section "due dates"
run 0 due-cli "$node" status --db "$db" --period 2020-03 --format json --due-days 40
check "--due-days 40" "$(jq_py due-cli "d['items'][0]['due']")" 2020-05-10T16:00:00Z
cat >node.ini <<INI
[node]
db = $db
hub = ${url[$city]}
due_days = 20
[due]
mfg_pass_rate = 45
INI
run 0 due-config "$node" status -c node.ini --period 2020-03 --format json
check "the file's due_days" \
	"$(jq_py due-config "[i['due'] for i in d['items'] if i['indicator']=='pm25_concentration'][0]")" \
	2020-04-20T16:00:00Z
check "an indicator's own [due]" \
	"$(jq_py due-config "[i['due'] for i in d['items'] if i['indicator']=='mfg_pass_rate'][0]")" \
	2020-05-15T16:00:00Z
run 0 check-config "$node" check-config -c node.ini
printf '[node]\ndb = %s\nhub = %s\n[due]\nno_such = 3\nmfg_pass_rate = soon\n' "$db" "${url[$city]}" >bad.ini
run 78 check-config-bad "$node" check-config -c bad.ini
if grep -qF "bad.ini:5: [due] no_such: not an indicator" out/check-config-bad.err &&
	grep -qF "bad.ini:6: [due] mfg_pass_rate: not an indicator" out/check-config-bad.err &&
	grep -qF "bad.ini: 2 problems" out/check-config-bad.err; then
	ok "check-config names each bad [due] line"
else
	not_ok "check-config: $(cat out/check-config-bad.err)"
fi
run 64 due-bad "$node" status --db "$db" --due-days -1
run 64 format-bad "$node" status --db "$db" --format csv

section "upgrade from schema 4"
cp "$db" old.db
# Schema 4 had neither the answers' table nor the tables of later steps.
sqlite3 old.db "DROP TABLE uplink_reply; DROP TABLE state_reason;
	UPDATE meta SET value='4' WHERE key='schema'"
run 0 upgrade "$node" status --db old.db --period 2020-03
check "a backup of the schema-4 store" "$(sqlite3 old.db.bak-schema4 "SELECT value FROM meta WHERE key='schema'")" 4
check "the store is of schema $cur" "$(sqlite3 old.db "SELECT value FROM meta WHERE key='schema'")" "$cur"
check "with the answers' table" "$(sqlite3 old.db "SELECT count(*) FROM uplink_reply")" 0

section "serve"
rm -f sock/serve.ready
"$node" serve --db "$db" --http 127.0.0.1:0 --ready-file sock/serve.ready \
	>out/serve.out 2>>log/serve.log &
serve_pid=$!
bg_pids+=("$serve_pid")
end=$((SECONDS + deadline_s))
while [ ! -s sock/serve.ready ]; do
	if ! kill -0 "$serve_pid" 2>/dev/null || [ $SECONDS -ge $end ]; then
		not_ok "serve did not start: $(tail -5 log/serve.log)"
		finish
	fi
	sleep 0.05
done
page=$(head -1 sock/serve.ready)
case $page in
http://127.0.0.1:*/) ok "serve listens on loopback: $page" ;;
*) not_ok "serve's URL: $page" ;;
esac
curl -s -o out/page.html "${page}?period=2020-03"
token=$(sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' out/page.html | head -1)
check "the page carries a token" "${#token}" 64
before=$(sqlite3 "$db" .dump | md5sum)
code=$(curl -s -o /dev/null -w '%{http_code}' --data "period=2020-03&num_mfg_pass_rate=1&den_mfg_pass_rate=2" "${page}entry")
check "a POST without the token is refused" "$code" 403
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Origin: http://evil.example" \
	--data "token=$token&period=2020-03&num_mfg_pass_rate=1&den_mfg_pass_rate=2" "${page}entry")
check "a POST from another origin is refused" "$code" 403
head -c 300000 /dev/zero | tr '\0' a >big.txt
code=$(curl -s -o /dev/null -w '%{http_code}' --data-urlencode "token=$token" \
	--data-urlencode "period=2020-03" --data-urlencode "x@big.txt" "${page}entry")
check "a form over 256 KiB is refused" "$code" 413
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: evil.example" "${page}")
check "a Host that is not loopback is refused" "$code" 421
check "none of them changed the store" "$(sqlite3 "$db" .dump | md5sum)" "$before"
code=$(curl -s -o out/status.json -w '%{http_code}' "${page}status.json?period=2020-03")
check "status.json" "$code" 200
"$node" status --db "$db" --period 2020-03 --format json >out/status-cli.json 2>>log/commands.log
check "status.json is the status command's document" \
	"$("$python" -c "import json; a=json.load(open('out/status.json')); b=json.load(open('out/status-cli.json')); a.pop('now'); b.pop('now'); print(a == b)")" True

section "the page in Chromium"
if ! command -v chromium >/dev/null; then
	not_ok "chromium is not installed (scripts/install-deps.sh installs it)"
else
	mkdir -p "$build/tests/artifacts"
	# Debian's python3-openpyxl loads only under the system interpreter.
	timeout 300 /usr/bin/python3 "$fl_tests/entry_browser.py" "$page" "$db" \
		"$node" "${url[$city]}" "$work" "$build/tests/artifacts" >out/browser.out 2>&1
	rc=$?
	cat out/browser.out
	check "entry_browser.py" "$rc" 0
fi
term_wait serve "$serve_pid"
check "serve stops cleanly on SIGTERM" "$?" 0
cat log/serve.log >/dev/null
finish

#!/usr/bin/env bash
# What an administrator does to a running deployment, on real
# hub and node processes and real SQLite files in a temporary directory:
#  - readiness: the hub and the node send READY=1 (and STOPPING=1 on a
#    stop) to a NOTIFY_SOCKET the test binds (tests/notify_recv.py);
#  - reload: a county whose key is added to the keys file is accepted
#    after SIGHUP, without a restart, while a node daemon connected
#    before the reload keeps its connection and its data still arrives;
#  - check-config on a good and a broken hub file and node file, each
#    problem as file:line;
#  - backup while the hub is under load: an openable store whose audit
#    trail verifies, and, once the load stops, the same report as the
#    hub's; a second backup to the same name is refused;
#  - restore: a new instance id, and every child sends its states again,
#    so the restored hub's report equals the one before; a county's store
#    restored from a copy makes its hub hold the copy's figures, not the
#    change pushed after the copy;
#  - upgrade: a schema-3 store, and a store of the schema before the
#    last step, open (upgraded to this release's schema) with the same
#    figures after a backup copy FILE.bak-schemaN was taken; a store of
#    a newer schema is refused, by the programs and by check-config.
# Usage: bash tests/admin.sh BUILD_DIR
set -u
. "$(dirname "$0")/checklib.sh"
cl_init admin "$1"
py=/usr/bin/python3
city=130100
per=2020

# notify_start NAME: a notification socket sock/NAME.notify whose
# messages go to log/NAME.notify.
notify_start() {
	"$py" "$here/notify_recv.py" "$work/sock/$1.notify" "$work/log/$1.notify" &
	pids+=($!)
	wait_for "notify socket $1" test -f "$work/log/$1.notify.bound"
}
notified() { grep -qx "$2" "$work/log/$1.notify" 2>/dev/null; }
# at_least N PATTERN FILE: FILE has N lines that match, counted at each
# call (for wait_for).
at_least() { test "$(grep -c -- "$2" "$3" 2>/dev/null)" -ge "$1"; }

mkdir -p "$work/sock" "$work/log" "$work/keys"
cd "$work" || exit 1

# ------------------------------------------------------------ the tree
for c in 130102 130104; do
	"$node" keygen --out "keys/$c" >/dev/null || bad "keygen $c"
	"$node" init --db "c$c.db" --region "$c" >/dev/null || bad "init $c"
	"$node" import --db "c$c.db" "$here/../configs/samples/county-130102-2020.csv" \
		>/dev/null || bad "import $c"
done
{
	echo "region,public_key"
	echo "130102,$(cat keys/130102.pub)"
} >keys/city.keys
cat >hub-city.ini <<INI
[hub]
db = $work/city.db
region = $city
listen = ipc://$work/sock/city
ready_file = $work/sock/city.ready
keys = $work/keys/city.keys
targets = $work/targets.csv
http = 127.0.0.1:0
due_days = 15
max_clock_skew = 2d
INI
cat >targets.csv <<CSV
region_code,region_name,indicator_id,period,op,value,scope,baseline_period,source
$city,石家庄市,mfg_pass_rate,$per,>=,90,total,,admin test
CSV
for c in 130102 130104; do
	cat >"node-$c.ini" <<INI
[node]
db = $work/c$c.db
hub = ipc://$work/sock/city
key = $work/keys/$c.key
timeout_ms = 20000
INI
done

echo "== check-config"
out=$("$hub" check-config -c hub-city.ini 2>&1)
check "hub check-config good: $out" test $? -eq 0
out=$("$node" check-config -c node-130102.ini 2>&1)
check "node check-config good: $out" test $? -eq 0
cat >hub-bad.ini <<INI
[hub]
db = $work/nodir/city.db
region = 999999
listen = nonsense
keys = $work/keys/missing.keys
contexts = 0
colour = blue
max_clock_skew = 3 days
[due]
no_such_indicator = 10
INI
out=$("$hub" check-config -c hub-bad.ini 2>&1)
check "hub check-config broken exits 78" test $? -eq 78
contains "hub bad db" "$out" "hub-bad.ini:2: [hub] db:"
contains "hub bad region" "$out" "hub-bad.ini:3: [hub] region: unknown region code"
contains "hub bad listen" "$out" "hub-bad.ini:4: [hub] listen: 'nonsense' is not a URL"
contains "hub bad keys" "$out" "hub-bad.ini:5: [hub] keys:"
contains "hub bad contexts" "$out" "hub-bad.ini:6: [hub] contexts:"
contains "hub unknown key" "$out" "hub-bad.ini:7: [hub] colour: unknown key"
contains "hub bad skew" "$out" "hub-bad.ini:8: [hub] max_clock_skew: not a duration"
contains "hub bad due" "$out" "hub-bad.ini:10: [due] no_such_indicator: unknown indicator"
cat >node-bad.ini <<INI
[node]
db = $work/none.db
hub = nonsense
key = $work/keys/none.key
timeout_ms = -5
[extra]
x = 1
INI
out=$("$node" check-config -c node-bad.ini 2>&1)
check "node check-config broken exits 78" test $? -eq 78
contains "node no store" "$out" "node-bad.ini:2: [node] db: $work/none.db: no store"
contains "node bad hub" "$out" "node-bad.ini:3: [node] hub: 'nonsense' is not a URL"
contains "node bad key" "$out" "node-bad.ini:4: [node] key:"
contains "node bad timeout" "$out" "node-bad.ini:5: [node] timeout_ms:"
contains "node bad section" "$out" "node-bad.ini:7: [extra] x: unknown section"
printf '[node\ndb = x\n' >node-syntax.ini
out=$("$node" run -c node-syntax.ini 2>&1)
check "node run -c with a syntax error exits 78" test $? -eq 78
contains "node syntax error line" "$out" "node-syntax.ini:1: syntax error"

echo "== readiness and reload"
notify_start hub
NOTIFY_SOCKET=$work/sock/hub.notify "$hub" run -c hub-city.ini 2>>log/hub.log &
hubpid=$!
pids+=($hubpid)
wait_for "hub READY=1" notified hub READY=1
check "hub STATUS line" grep -q '^STATUS=hub 130100 serving on ipc://' log/hub.notify
notify_start node
NOTIFY_SOCKET=$work/sock/node.notify "$node" run -c node-130102.ini \
	>log/node.out 2>>log/node.log &
nodepid=$!
pids+=($nodepid)
wait_for "node READY=1" notified node READY=1
wait_for "130102 pushed" grep -q "accepted" log/node.out
out=$("$node" push -c node-130104.ini 2>&1)
rc=$?
check "130104 refused before its key is listed (rc $rc): $out" test $rc -ne 0
contains "130104 refused for its key" "$out" "no key with this id"
echo "130104,$(cat keys/130104.pub)" >>keys/city.keys
kill -HUP "$hubpid"
wait_for "hub reloaded" grep -q "reloaded: keys, targets and due dates" log/hub.log
check "RELOADING=1 sent" notified hub RELOADING=1
out=$("$node" push -c node-130104.ini 2>&1)
check "130104 accepted after the reload: $out" test $? -eq 0
check "the hub is the same process" kill -0 "$hubpid"
# The targets and due dates, read again on the next reload; the dashboard
# answers on the same address with them.
api=$(sed -n 2p sock/city.ready)api/report?period=$per\&indicator=mfg_pass_rate
json=$(curl -sf "$api")
contains "target before" "$json" '"op":">=","value":90.0'
contains "due date before" "$json" '"due":"2021-01-15T16:00:00Z"'
sed -i 's/,>=,90,/,>=,95,/' targets.csv
sed -i 's/^due_days = 15/due_days = 30/' hub-city.ini
kill -HUP "$hubpid"
wait_for "second reload" at_least 2 'reloaded: keys' log/hub.log
json=$(curl -sf "$api")
contains "target after the reload" "$json" '"op":">=","value":95.0'
contains "due date after the reload" "$json" '"due":"2021-01-30T16:00:00Z"'
# A broken keys file changes nothing: the keys held stay in force.
cp keys/city.keys keys/city.keys.good
echo "130106,not-a-key" >>keys/city.keys
kill -HUP "$hubpid"
wait_for "refused reload" grep -q "reload: .*nothing changed" log/hub.log
out=$("$node" push -c node-130104.ini 2>&1)
check "the keys held before still verify: $out" test $? -eq 0
mv keys/city.keys.good keys/city.keys
# The daemon connected before the reload: a new observation still
# arrives, and it never lost its connection.
"$node" record --db c130102.db --indicator mfg_pass_rate --period 2020-12 \
	--num 77 --den 100 >/dev/null || bad "record"
wait_for "the daemon's new push" at_least 2 accepted log/node.out
check "no connection dropped" bash -c "! grep -qi 'dialling again\|dropped' log/node.log"

echo "== backup under load"
load() { # corrections, pushed one after another
	local i
	for ((i = 1; i <= 15; i++)); do
		"$node" record --db c130104.db --indicator mfg_pass_rate \
			--period 2020-0$((i % 9 + 1)) --num $((50 + i)) --den 100 >/dev/null
		"$node" push -c node-130104.ini >/dev/null 2>&1
	done
}
load &
loadpid=$!
pids+=($loadpid)
sleep 0.5
out=$("$hub" backup --db city.db --out backup1.db 2>&1)
check "backup under load: $out" test $? -eq 0
wait "$loadpid"
"$hub" audit --db backup1.db --verify >log/verify1.out 2>&1
check "the backup's trail verifies: $(tail -3 log/verify1.out)" test $? -eq 0
check "the backup reports" "$hub" report --db backup1.db --period $per >/dev/null
out=$("$hub" backup --db city.db --out backup1.db 2>&1)
check "a backup is never overwritten (rc $?)" test $? -eq 73
contains "overwrite refused" "$out" "already exists"
"$hub" backup --db city.db --out backup2.db >/dev/null || bad "backup2"
"$hub" report --db city.db --period $per --depth 1 >log/live.rep 2>/dev/null
"$hub" report --db backup2.db --period $per --depth 1 >log/b2.rep 2>/dev/null
check "the backup after the load reports what the hub does" cmp -s log/live.rep log/b2.rep

echo "== restore"
old_instance=$(sqlite3 city.db "SELECT value FROM meta WHERE key='instance_id'")
kill -TERM "$hubpid"
wait "$hubpid"
check "the hub stopped cleanly" test $? -eq 0
check "STOPPING=1 sent" notified hub STOPPING=1
out=$("$hub" restore --db city.db --from backup1.db 2>&1)
check "restore: $out" test $? -eq 0
new_instance=$(sqlite3 city.db "SELECT value FROM meta WHERE key='instance_id'")
check "a new instance id ($old_instance -> $new_instance)" \
	test -n "$new_instance" -a "$new_instance" != "$old_instance"
check "the replaced store is kept" test -f city.db.pre-restore
"$hub" run -c hub-city.ini 2>>log/hub.log &
hubpid=$!
pids+=($hubpid)
wait_for "hub ready again" test -f sock/city.ready
out=$("$node" push -c node-130104.ini 2>&1)
check "130104 resends after the restore: $out" test $? -eq 0
# The same figures; only when 130104 was last heard from moves on.
figures() { sed 's/, last .*$//' "$@"; }
same_as_before() {
	"$hub" report --db city.db --period $per --depth 1 2>/dev/null |
		figures | cmp -s - <(figures log/live.rep)
}
wait_for "130102's daemon resent" grep -q "hub instance changed" log/node.log
wait_for "the restored hub holds what it did before" same_as_before
check "the restored hub reports what it did before" same_as_before
if ! same_as_before; then
	diff <("$hub" report --db city.db --period $per --depth 1 2>/dev/null | figures) \
		<(figures log/live.rep) | head -20
fi
echo "== restore of a county's store"
# What the hub holds for 130104, and what 130104's store does, state by
# state: equal once a push has gone through.
sums() { sqlite3 "$1" "SELECT indicator, period, sum_a, sum_b FROM $2 ORDER BY 1, 2"; }
hub_has_node() { cmp -s <(sums city.db "region_state WHERE region = '130104'") <(sums c130104.db snapshot); }
"$node" backup --db c130104.db --out n-backup.db >/dev/null || bad "node backup"
"$node" record --db c130104.db --indicator mfg_pass_rate --period 2020-01 \
	--num 11 --den 100 >/dev/null || bad "record after the backup"
"$node" push -c node-130104.ini >/dev/null 2>&1 || bad "push after the backup"
check "the hub holds the change made after the backup" hub_has_node
check "which the backup does not hold" test \
	"$(sums c130104.db snapshot)" != "$(sums n-backup.db snapshot)"
out=$("$node" restore --db c130104.db --from n-backup.db 2>&1)
check "node restore: $out" test $? -eq 0
contains "node restore says what happens" "$out" "go to the hub again under new versions"
check "the replaced county store is kept" test -f c130104.db.pre-restore
check "the store is the backup's" test \
	"$(sums c130104.db snapshot)" = "$(sums n-backup.db snapshot)"
out=$("$node" push -c node-130104.ini 2>&1)
check "the restored county pushes: $out" test $? -eq 0
check "the hub holds the restored figures, not the newer ones" hub_has_node
pending=$(sqlite3 c130104.db "SELECT count(*) FROM snapshot s LEFT JOIN uplink_ack a
	ON a.region = '130104' AND a.indicator = s.indicator AND a.period = s.period
	WHERE a.version IS NULL OR s.version > a.version")
check "nothing stays pending ($pending)" test "$pending" = 0
out=$("$node" restore --db c130104.db --from n-backup.db 2>&1)
check "a second restore while FILE.pre-restore exists is refused (rc $?)" test $? -eq 73

kill -TERM "$nodepid" "$hubpid"
wait "$nodepid"
check "the node stopped cleanly" test $? -eq 0
wait_for "node STOPPING=1" notified node STOPPING=1
wait "$hubpid"

echo "== upgrade"
# This release's schema, as a store it made says.
cur=$(sqlite3 c130102.db "SELECT value FROM meta WHERE key='schema'")
"$node" show --db c130102.db --period $per --format csv >log/before.csv
cp c130102.db old.db
# The schema 3: version 4 added these columns, 5 the table of the hub's
# answers, 6 the table of change reasons.
sqlite3 old.db "DROP TABLE uplink_reply;
	DROP TABLE state_reason;
	ALTER TABLE snapshot DROP COLUMN leaves_out;
	ALTER TABLE region_state DROP COLUMN leaves_out;
	ALTER TABLE state_history DROP COLUMN leaves_out;
	UPDATE meta SET value='3' WHERE key='schema';" || bad "make a schema-3 store"
"$node" show --db old.db --period $per --format csv >log/after.csv 2>log/upgrade.log
check "the schema-3 store opens: $(cat log/upgrade.log)" test $? -eq 0
check "same figures after the upgrade" cmp -s log/before.csv log/after.csv
check "a backup was taken first" test -f old.db.bak-schema3
check "the backup is of schema 3" test \
	"$(sqlite3 old.db.bak-schema3 "SELECT value FROM meta WHERE key='schema'")" = 3
check "the store is of schema $cur" test \
	"$(sqlite3 old.db "SELECT value FROM meta WHERE key='schema'")" = "$cur"
# Schema 6 only added the table of change reasons (withdrawals).
cp c130102.db old5.db
sqlite3 old5.db "DROP TABLE state_reason;
	UPDATE meta SET value='5' WHERE key='schema';" || bad "make a schema-5 store"
"$node" show --db old5.db --period $per --format csv >log/after5.csv 2>log/upgrade5.log
check "the schema-5 store opens: $(cat log/upgrade5.log)" test $? -eq 0
check "same figures after the upgrade from 5" cmp -s log/before.csv log/after5.csv
check "a backup of schema 5 was taken first" test \
	"$(sqlite3 old5.db.bak-schema5 "SELECT value FROM meta WHERE key='schema'")" = 5
check "the upgraded store is of schema $cur with the reasons table" test \
	"$(sqlite3 old5.db "SELECT value FROM meta WHERE key='schema'; SELECT count(*) FROM state_reason")" = "$cur
0"
cp c130102.db new.db
sqlite3 new.db "UPDATE meta SET value='99' WHERE key='schema'"
out=$("$node" show --db new.db --period $per 2>&1)
check "a newer store is refused (rc $?)" test $? -ne 0
contains "newer schema message" "$out" \
	"store new.db has schema 99; this tally-node knows up to $cur: upgrade tally"
# check-config, run before a restart after a downgrade, sees it too.
sed "s|^db = .*|db = $work/new.db|" node-130102.ini >node-new.ini
out=$("$node" check-config -c node-new.ini 2>&1)
check "node check-config of a newer store exits 78" test $? -eq 78
contains "node check-config names the newer schema" "$out" \
	"node-new.ini:2: [node] db: store $work/new.db has schema 99; this tally-node knows up to $cur"
cp city.db newcity.db
sqlite3 newcity.db "UPDATE meta SET value='99' WHERE key='schema'"
sed "s|^db = .*|db = $work/newcity.db|" hub-city.ini >hub-new.ini
out=$("$hub" check-config -c hub-new.ini 2>&1)
check "hub check-config of a newer store exits 78" test $? -eq 78
contains "hub check-config names the newer schema" "$out" \
	"hub-new.ini:2: [hub] db: store $work/newcity.db has schema 99; this tally-hub knows up to $cur"

cl_finish

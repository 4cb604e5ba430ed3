#!/usr/bin/env bash
# Approval (docs/approval.md) through a real tree: Hebei's province hub
# (130000) on loopback TCP, city A (邢台 130500: counties 130502 and
# 130503) and city B (保定 130600: county 130602) on ipc:// sockets, the
# counties as real tally-node pushes, every store a real SQLite file. The
# hubs sign with keys made by `tally-node keygen`. After every step the
# hubs' figures are held to tests/flat.py over the raw rows the hub should
# hold: a correction held by approval is not in them until it lands.
#   a. every county pushes; the figures equal the flat computation;
#   b. the order rule: the province cannot approve city A for 2020 before
#      city A approved its counties;
#   c. city A approves 130502 for 2020 (signed, with a note);
#   d. a correction of 130502 is held at city A: the push says held, the
#      county keeps it (`tally-node status` says held, with who approved it
#      and whom to ask), a second push holds it again (no loop, no error),
#      the figures stay the approved ones;
#   e. unapprove needs a reason; with one, the held correction lands on
#      the next push; approving again gives a new digest;
#   f. approvals survive a restart of the hub; a state still held after it;
#   g. city A approves 130503, the approvals travel up with the states, and
#      the province approves city A for 2020; city A cannot reopen 130502
#      under it until the province reopens city A;
#   h. the province's report shows the approval per region and period at
#      every depth; `report --approved` gives the figures as approved;
#   h2. a change of city A's own figures is held at the province: the city
#      has it, the province keeps the approved figure until it reopens;
#   i. `audit --verify` passes, then after a hand edit of an approved state
#      (sqlite3 UPDATE) names the approval whose digest no longer matches.
# Every wait is bounded; the last line is "N passed, N failed".
#
# Usage: bash tests/approval.sh BUILD_DIR
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 64
fi
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/faultlib.sh
. "$here/faultlib.sh"
fl_init "$1" approval

city_a=130500
city_b=130600
counties_a="130502 130503"
counties_b="130602"
ind=mfg_pass_rate
month=2020-03
mkdir -p "$work/keys"

# approve HUB ARGS...: `tally-hub approve` on the hub's store, output in
# $out, exit status returned.
approve() {
	local h=$1
	shift
	out=$("$hub" approve --db "$work/db/$h.db" "$@" 2>&1)
}

unapprove() {
	local h=$1
	shift
	out=$("$hub" unapprove --db "$work/db/$h.db" "$@" 2>&1)
}

# status_of COUNTY INDICATOR PERIOD WHAT: the county's status row, WHAT
# "state" or "reason" (the hub's last answer's reason).
status_of() {
	"$node" status --db "$work/db/$1.db" --period "$3" --format json \
		>"$work/out/status.json" 2>>"$work/log/node.log" || return 1
	"$python" - "$work/out/status.json" "$2" "$4" <<'EOF'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    doc = json.load(f)
for i in doc["items"]:
    if i["indicator"] == sys.argv[2]:
        if sys.argv[3] == "state":
            print(i["state"])
        else:
            print((i["answer"] or {}).get("reason", ""))
        break
EOF
}

# with_raw FILE LABEL HUB...: every period of each hub against the flat
# computation over FILE (the raw rows those hubs should hold).
with_raw() {
	local f=$1 label=$2 keep=$work/raw/keep.csv
	shift 2
	cp "$work/raw/raw.csv" "$keep"
	cp "$f" "$work/raw/raw.csv"
	converge "$label" "$@"
	cp "$keep" "$work/raw/raw.csv"
}

# approval_of FILE REGION FIELD: a field of the approval a report shows
# for the region ("none" when it shows none).
approval_of() {
	"$python" - "$@" <<'EOF'
import json, sys
path, region, key = sys.argv[1:4]
with open(path, encoding="utf-8") as f:
    doc = json.load(f)
for r in doc["regions"]:
    if r["code"] == region:
        print(r.get("approval", {}).get(key, "none"))
        break
else:
    print("none")
EOF
}

# approved_reports LABEL FILE: `report --approved` of the province for
# city A and its counties, every period, against the flat computation over
# the raw rows in FILE (the figures as approved).
approved_reports() {
	local p ok_all=1
	cp "$work/raw/raw.csv" "$work/raw/keep.csv"
	cmp -s "$2" "$work/raw/raw.csv" || cp "$2" "$work/raw/raw.csv"
	rm -rf "$work/rep/appr"
	mkdir -p "$work/rep/appr"
	for p in $periods; do
		report $province "$p" "$work/rep/appr/$p.json" --region $city_a --depth 1 --approved || ok_all=0
	done
	if [ $ok_all = 1 ] && flat_compare "$work/rep/appr"/*.json >"$work/out/appr.out" 2>&1; then
		ok "$1 ($(tail -1 "$work/out/appr.out" | sed 's/flat.py: compared \([0-9]*\) figures.*/\1 figures/'))"
	else
		not_ok "$1"
		head -20 "$work/out/appr.out"
	fi
	cp "$work/raw/keep.csv" "$work/raw/raw.csv"
}

# in_force HUB APPROVER: how many approvals by APPROVER in force HUB holds.
in_force() {
	sqlite3 -cmd ".timeout 5000" "$work/db/$1.db" \
		"SELECT count(*) FROM approval WHERE approver = '$2' AND reopened_at IS NULL"
}

in_force_is() {
	[ "$(in_force "$1" "$2")" == "$3" ]
}

# held_at HUB N: true when the hub's parent holds N of its states by
# approval (marked held in its outbox).
held_at() {
	[ "$(sqlite3 -cmd ".timeout 5000" "$work/db/$1.db" \
		"SELECT count(*) FROM uplink_ack WHERE status = 6")" -ge "$2" ]
}

# settle LABEL FILE HUB...: waits until every period of each hub, two
# levels deep, equals the flat computation over the raw rows in FILE.
settle() {
	local label=$1 f=$2 end=$((SECONDS + deadline_s)) out=$work/out/settle.out
	shift 2
	cp "$work/raw/raw.csv" "$work/raw/keep.csv"
	cmp -s "$f" "$work/raw/raw.csv" || cp "$f" "$work/raw/raw.csv"
	while :; do
		if reports "$work/rep/settle" "$@" &&
			flat_compare "$work/rep/settle"/*.json >"$out" 2>&1; then
			ok "$label: $* equal the flat computation ($(tail -1 "$out" | sed 's/flat.py: compared \([0-9]*\) figures.*/\1 figures/'))"
			break
		fi
		if [ $SECONDS -ge $end ]; then
			not_ok "$label: $* did not reach the flat figures within ${deadline_s}s"
			head -20 "$out"
			break
		fi
		sleep 0.3
	done
	cp "$work/raw/keep.csv" "$work/raw/raw.csv"
}

# ------------------------------------------------------------------ setup
for h in $province $city_a; do
	"$node" keygen --out "$work/keys/$h" >/dev/null 2>>"$work/log/node.log"
done
start_hub $province || finish
start_hub $city_a || finish
start_hub $city_b || finish
all_loaded=1
for c in $counties_a $counties_b; do
	add_county "$c" || all_loaded=0
done
check "three counties created and loaded" $all_loaded 1

# ------------------------------------------------------ a. the first push
section "a. every county pushes"
for c in $counties_a $counties_b; do
	push "$c"
	check "a: $c pushes (exit)" $? 0
done
converge "a" $province $city_a $city_b

# ------------------------------------------------------ b. the order rule
section "b. the province cannot approve city A before city A approved"
approve $province --region $city_a --period 2020 --key "$work/keys/$province.key"
check "b: refused (exit)" $? 65
check "b: ... naming the county city A has not approved" \
	"$(echo "$out" | grep -c "130500 has not approved 13050[23] for 2020")" 1
check "b: no approval was written" \
	"$(sqlite3 "$work/db/$province.db" "SELECT count(*) FROM approval")" 0

# ------------------------------------------------------- c. city approves
section "c. city A approves 130502 for 2020"
approve $city_a --region 130502 --period 2020 --key "$work/keys/$city_a.key" --note "审核通过"
check "c: approve (exit)" $? 0
check "c: says what it approved" "$(echo "$out" | grep -c "^approved 130502 2020 at .*: [0-9]* states, digest [0-9a-f]\{64\}, signed with key [0-9a-f]\{16\}$")" 1
digest1=$(echo "$out" | sed -n 's/.*digest \([0-9a-f]*\),.*/\1/p')
"$hub" approvals --db "$work/db/$city_a.db" --format json >"$work/out/approvals.json"
check "c: approvals lists it with its note" \
	"$("$python" -c 'import json,sys; a=json.load(open(sys.argv[1])); print(len(a), a[0]["child"], a[0]["period"], a[0]["status"], a[0]["note"])' "$work/out/approvals.json")" \
	"1 130502 2020 approved 审核通过"
approve $city_a --region 130502 --period 2020 --key "$work/keys/$city_a.key"
check "c: approving again changes nothing (exit)" $? 0
check "c: ... and says so" "$(echo "$out" | grep -c "was approved already")" 1
approve $city_a --region 130602 --period 2020
check "c: a region that is not a child of the hub (exit)" $? 65
unapprove $city_a --region 130502 --period 2020
check "c: unapprove without a reason (exit)" $? 64

# ------------------------------------------- d. the correction is held
section "d. a correction of 130502 is held by approval"
cp "$work/raw/raw.csv" "$work/raw/approved.csv"
correct 130502 $ind $month 3
push 130502
check "d: the push (exit)" $? 0
check "d: nothing accepted" "$accepted" 0
check "d: the month, quarter and year are held" \
	"$(sed -n 's/.* \([0-9]*\) held by approval$/\1/p' "$work/out/push-130502.out")" 3
check "d: status says held" "$(status_of 130502 $ind $month state)" held
check "d: ... with who approved it and whom to ask" \
	"$(status_of 130502 $ind 2020 reason | sed 's/at [0-9T:Z-]*;/at T;/')" \
	"2020 of 130502 was approved by 130500 at T; ask 130500 to reopen it"
push 130502
check "d: a second push holds it again, not an error (exit)" $? 0
check "d: ... again held" \
	"$(sed -n 's/.* \([0-9]*\) held by approval$/\1/p' "$work/out/push-130502.out")" 3
check "d: the county keeps the correction pending" \
	"$("$node" status --db "$work/db/130502.db" --period $month --format json | "$python" -c 'import json,sys; d=json.load(sys.stdin); print([i["pending"] for i in d["items"] if i["indicator"]=="'$ind'"][0])')" True
cp "$work/raw/raw.csv" "$work/raw/corrected.csv"
with_raw "$work/raw/approved.csv" "d: the hubs keep the approved figures" $province $city_a

# ------------------------------------------ e. reopened, lands, again
section "e. unapprove with a reason; the correction lands"
unapprove $city_a --region 130502 --period 2020 --reason "县里更正3月数据"
check "e: unapprove (exit)" $? 0
check "e: says so" "$out" "reopened 130502 2020: 县里更正3月数据"
unapprove $city_a --region 130502 --period 2020 --reason again
check "e: nothing left to reopen (exit)" $? 65
push 130502
check "e: the push (exit)" $? 0
check "e: the held correction lands" "$accepted" 3
check "e: status says accepted" "$(status_of 130502 $ind $month state)" accepted
converge "e" $province $city_a
approve $city_a --region 130502 --period 2020 --key "$work/keys/$city_a.key"
check "e: approve again (exit)" $? 0
digest2=$(echo "$out" | sed -n 's/.* digest \([0-9a-f]*\),.*/\1/p')
check_true "e: a new digest, of the corrected figures" test "$digest1" != "$digest2" -a -n "$digest2"
check "e: the history keeps both approvals" \
	"$(sqlite3 "$work/db/$city_a.db" "SELECT count(*), count(reopened_at) FROM approval WHERE child = '130502'")" "2|1"

# ------------------------------------------------------- f. a restart
section "f. approvals survive a restart of city A"
cp "$work/raw/raw.csv" "$work/raw/approved.csv"
stop_hub $city_a
start_hub $city_a || finish
correct 130502 $ind 2020-04 2
push 130502
check "f: after the restart the correction is held" \
	"$(sed -n 's/.* \([0-9]*\) held by approval$/\1/p' "$work/out/push-130502.out")" 3
cp "$work/raw/raw.csv" "$work/raw/corrected.csv"
cp "$work/raw/approved.csv" "$work/raw/raw.csv"
converge "f" $province $city_a
cp "$work/raw/corrected.csv" "$work/raw/raw.csv"

# ------------------------------------------- g. the province approves
section "g. approvals travel up; the province approves city A"
approve $city_a --region 130503 --period 2020 --key "$work/keys/$city_a.key"
check "g: city A approves 130503 (exit)" $? 0
check_true "g: both of city A's approvals in force reach the province" \
	wait_until $deadline_s in_force_is $province $city_a 2
approve $province --region $city_a --period 2020 --key "$work/keys/$province.key" --note "省级审核"
check "g: now the province approves city A (exit)" $? 0
# The correction of f is held at city A. City A cannot reopen it while
# the province's approval of city A lies over it.
check_true "g: city A learns of the province's approval from its answers" \
	wait_until $deadline_s in_force_is $city_a $province 1
unapprove $city_a --region 130502 --period 2020 --reason "县里更正4月数据"
check "g: city A cannot reopen 130502 under the province's approval (exit)" $? 65
check "g: ... and says whom to ask" "$(echo "$out" | sed 's/at [0-9T:Z-]*;/at T;/')" \
	"tally-hub: unapprove: 2020 of 130500 was approved by 130000 at T; ask 130000 to reopen it first"
unapprove $province --region $city_a --period 2020 --reason "市里更正"
check "g: the province reopens city A (exit)" $? 0
check_true "g: city A learns of the reopening" \
	wait_until $deadline_s in_force_is $city_a $province 0
unapprove $city_a --region 130502 --period 2020 --reason "县里更正4月数据"
check "g: now city A reopens 130502 (exit)" $? 0
push 130502
check "g: the correction lands at city A" "$accepted" 3
converge "g: ... and at the province" $province $city_a

# ------------------------------------- h. the report and --approved
section "h. the report shows the approvals; --approved the figures as approved"
approved_reports "h: reopened, the figures as last approved are the ones before the correction" \
	"$work/raw/approved.csv"
approve $province --region $city_a --period 2020 --key "$work/keys/$province.key"
check "h: the province cannot approve city A again before city A re-approved 130502 (exit)" $? 65
approve $city_a --region 130502 --period 2020 --key "$work/keys/$city_a.key"
check "h: city A approves 130502 again (exit)" $? 0
check_true "h: it reaches the province" wait_until $deadline_s in_force_is $province $city_a 2
approve $province --region $city_a --period 2020 --key "$work/keys/$province.key"
check "h: the province approves city A again (exit)" $? 0
pdigest=$(echo "$out" | sed -n 's/.* digest \([0-9a-f]*\),.*/\1/p')
report $province 2020 "$work/out/rep.json" --depth 2
f=$work/out/rep.json
check "h: 130502 approved, by city A" "$(approval_of "$f" 130502 status) $(approval_of "$f" 130502 by)" "approved 130500"
check "h: city A approved, by the province, with the digest it signed" \
	"$(approval_of "$f" $city_a status) $(approval_of "$f" $city_a by) $(approval_of "$f" $city_a digest)" \
	"approved 130000 $pdigest"
check "h: city B and its county unapproved" \
	"$(approval_of "$f" $city_b status) $(approval_of "$f" 130602 status) $(approval_of "$f" 130602 by)" \
	"unapproved unapproved None"
check "h: the province itself partly (city B is not)" "$(approval_of "$f" $province status)" partly
report $province 2020-03 "$work/out/rep-m.json" --depth 2
check "h: a month inside the year approved too" "$(approval_of "$work/out/rep-m.json" 130503 status)" approved
report $city_a 2020 "$work/out/rep-a.json" --depth 1
check "h: city A's own report: 130503 approved by it" \
	"$(approval_of "$work/out/rep-a.json" 130503 status) $(approval_of "$work/out/rep-a.json" 130503 by)" "approved 130500"
approved_reports "h: approved again, --approved gives the figures as they are" "$work/raw/raw.csv"

# ------------------------------- h2. held at the province, not at the city
section "h2. a change of city A's own figures is held at the province"
cp "$work/raw/raw.csv" "$work/raw/approved.csv"
own $city_a $ind 2020-06 5 10 "" ""
check "h2: city A records an observation of its own (exit)" $? 0
check_true "h2: the province holds it: city A keeps it pending" \
	wait_until $deadline_s held_at $city_a 3
settle "h2: city A has its observation" "$work/raw/raw.csv" $city_a
settle "h2: the province keeps the figures it approved" "$work/raw/approved.csv" $province
unapprove $province --region $city_a --period 2020 --reason "市本级补录6月"
check "h2: the province reopens city A (exit)" $? 0
converge "h2: the held figures land at the province" $province $city_a

# ------------------------------------------------------------ i. audit
section "i. audit --verify checks every approval"
out=$("$hub" audit --db "$work/db/$city_a.db" --verify 2>&1)
check "i: city A's store verifies (exit)" $? 0
check "i: ... its approvals checked and signed" "$(echo "$out" | grep -c "^[1-9][0-9]* approvals checked, [1-9][0-9]* of their signatures verified$")" 1
out=$("$hub" audit --db "$work/db/$province.db" --verify 2>&1)
check "i: the province's store verifies, with city A's approvals (exit)" $? 0
sqlite3 "$work/db/$city_a.db" "UPDATE region_state SET sum_a = sum_a + 1
	WHERE region = '130503' AND indicator = '$ind' AND period = '2020-05'"
out=$("$hub" audit --db "$work/db/$city_a.db" --verify 2>&1)
check "i: after a hand edit of an approved state (exit)" $? 65
check "i: ... the approval whose states changed is named" \
	"$(echo "$out" | grep -c "^approval of 130503 2020 by 130500 at .*: the states it approved changed since")" 1
sqlite3 "$work/db/$province.db" "UPDATE approval SET note = '篡改'
	WHERE approver = '130000'"
out=$("$hub" audit --db "$work/db/$province.db" --verify 2>&1)
check "i: after a hand edit of an approval's note (exit)" $? 65
check "i: ... their signatures no longer match" \
	"$(echo "$out" | grep -c "^approval of 130500 2020 by 130000 at .*: the signature does not match")" 2

sanitizer_check
finish

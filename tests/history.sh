#!/usr/bin/env bash
# Corrections and history: `tally-hub report --as-of TIME` shows
# the figures as the hub held them at TIME.
#
# Real processes on real SQLite files (tests/faultlib.sh): a province hub,
# the city hub of 130500 and three of its counties. The counties push,
# the time T1 is marked; a county corrects a month, a third county first
# reports, the city records an observation of its own, T2 is marked; the
# county corrects again. The raw rows are kept as they stood at each
# mark, and then:
#   - as of T1 and as of T2, the city's and the province's reports (every
#     period, two levels deep) equal tests/flat.py over the raw rows as
#     they stood then; children missing and late, and --explain, are those
#     of that time, derived from the same raw rows;
#   - between T1 and T2 the month, its quarter, its year, the city and the
#     province moved by exactly the correction;
#   - as of now, table, CSV, JSON and --explain equal the plain report
#     byte for byte (but for the line or field that says "as of");
#   - as of a time before any data, nothing is held and every child is
#     missing; a period is overdue as of its due date's next moment and
#     not as of the end of the day before (docs/reports.md: due 15 days after the
#     period, China Standard Time);
#   - the dashboard's /api/report?as_of= serves the CLI's document;
#   - a malformed --as-of is one line and exit 64;
#   - prune-history --before T2 keeps every report as of T2 and later as
#     it was, and refuses one as of T1;
#   - the hubs stop cleanly and no log holds a sanitizer report.
# The last line is "N passed, N failed".
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 64
fi
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/faultlib.sh
. "$here/faultlib.sh"
fl_init "$1" history

city=130500
counties_t1="130502 130503"
late_county=130505
ind=mfg_pass_rate
month=2020-03

# mark NAME: a whole second after everything committed so far, waited out,
# so that every row held until now is held from at most that second and
# every later one from after it. Sets mark_ms[NAME].
declare -A mark_ms=()
mark() {
	local t s
	t=$(now_ms)
	s=$((t / 1000 + 1))
	while [ "$(now_ms)" -le $((s * 1000 + 50)) ]; do sleep 0.05; done
	mark_ms[$1]=$((s * 1000))
}

# as_text MS FORM: the mark as --as-of takes it: cst (no zone), utc (Z)
# or offset (+08:00).
as_text() {
	"$python" - "$1" "$2" <<'EOF'
import datetime, sys
ms, form = int(sys.argv[1]), sys.argv[2]
tz = datetime.timezone(datetime.timedelta(hours=0 if form == "utc" else 8))
t = datetime.datetime.fromtimestamp(ms // 1000, tz).strftime("%Y-%m-%dT%H:%M:%S")
print(t + {"cst": "", "utc": "Z", "offset": "+08:00"}[form])
EOF
}

# reports_as_of DIR RAW-COPY TIME: every period's report of the city and
# the province as of TIME, two levels deep, against the flat computation
# over RAW-COPY.
reports_as_of() {
	local dir=$1 raw=$2 when=$3 h p
	mkdir -p "$dir"
	for h in $city $province; do
		for p in $periods; do
			report "$h" "$p" "$dir/$h-$p.json" --depth 2 --as-of "$when" || return 1
		done
	done
	"$python" "$fl_tests/flat.py" compare --indicators "$TALLY_DATA_DIR/indicators.csv" \
		--tree "$TALLY_DATA_DIR/divisions.csv" --raw "$raw" \
		$(for f in "$dir"/*.json; do echo --report "$f"; done)
}

# completeness RAW-COPY WHEN-MS REPORT...: children missing and late, and
# the as_of field, derived from the raw rows as they stood: a child is
# missing when no raw row below it falls in the period, late (all 2020
# figures are long overdue) when it has one.
completeness() {
	"$python" - "$fl_tests" "$TALLY_DATA_DIR" "$@" <<'EOF'
import datetime, json, sys
sys.path.insert(0, sys.argv[1])
import flat
data, raw, when_ms = sys.argv[2], sys.argv[3], int(sys.argv[4])
f = flat.Flat(data + "/indicators.csv", data + "/divisions.csv", [raw])
want_as_of = datetime.datetime.fromtimestamp(when_ms / 1000, datetime.timezone.utc)
want_as_of = want_as_of.strftime("%Y-%m-%dT%H:%M:%SZ")
bad = checked = 0
for path in sys.argv[5:]:
    rep = json.load(open(path, encoding="utf-8"))
    if rep.get("as_of") != want_as_of:
        print("%s: as_of %r, want %r" % (path, rep.get("as_of"), want_as_of))
        bad += 1
    for reg in rep["regions"]:
        for got in reg["indicators"]:
            ch = got.get("children")
            if ch is None:
                continue
            kids = f.children[reg["code"]]
            held = [k for k in kids if f.figure(k, got["id"], rep["period"]) is not None]
            missing = sorted(k for k in kids if k not in held)
            late = [e["code"] for e in ch["late"]]
            checked += 1
            if sorted(e["code"] for e in ch["missing"]) != missing or \
                    sorted(late) != sorted(held) or ch["reported"] != len(held):
                print("%s %s %s: missing %s late %s, want missing %s late %s" % (
                    path, reg["code"], got["id"],
                    [e["code"] for e in ch["missing"]], late, missing, held))
                bad += 1
            for e in ch["late"]:
                for k in ("first_submitted", "last_submitted"):
                    if e[k] > want_as_of:
                        print("%s: %s %s %s after the as-of time" % (path, e["code"], k, e[k]))
                        bad += 1
print("completeness: %d children lists checked, %d wrong" % (checked, bad))
sys.exit(1 if bad or not checked else 0)
EOF
}

# explain_check RAW-COPY JSON: --explain's parts (each child and the
# city's own observations) against the flat figures of the raw rows.
explain_check() {
	"$python" - "$fl_tests" "$TALLY_DATA_DIR" "$@" <<'EOF'
import json, sys
sys.path.insert(0, sys.argv[1])
import flat
data, raw, path = sys.argv[2], sys.argv[3], sys.argv[4]
f = flat.Flat(data + "/indicators.csv", data + "/divisions.csv", [raw])
doc = json.load(open(path, encoding="utf-8"))
top, ind, per = doc["region"], doc["indicator"], doc["period"]
bad = 0
def sums(fig):
    return (None, None) if fig is None else (fig["a"], fig["b"])
own_rows = [r for r in f.rows if r["region"] == top and r["indicator"] == ind
            and flat.period_span(per)[0] <= r["span"][0] and r["span"][1] <= flat.period_span(per)[1]]
want_own = (sum(r["num"] for r in own_rows), sum(r["den"] for r in own_rows)) if own_rows else None
parts = {(p["code"], p["own"]): p for p in doc["contributions"]}
for kid in f.children[top]:
    p = parts.get((kid, False))
    fig = f.figure(kid, ind, per)
    got = (None, None) if p is None else (p.get("numerator"), p.get("denominator"))
    if not all(flat.close(x, y) for x, y in zip(got, sums(fig))):
        print("%s: child %s %r, flat %r" % (path, kid, got, sums(fig)))
        bad += 1
p = parts.get((top, True))
got = None if p is None else (p["numerator"], p["denominator"])
if got != want_own:
    print("%s: own observations %r, flat %r" % (path, got, want_own))
    bad += 1
tot = f.figure(top, ind, per)
if not all(flat.close(x, y) for x, y in zip((doc.get("numerator"), doc.get("denominator")), sums(tot))):
    print("%s: total %r, flat %r" % (path, (doc.get("numerator"), doc.get("denominator")), sums(tot)))
    bad += 1
print("explain: %d parts, %d wrong" % (len(doc["contributions"]), bad))
sys.exit(1 if bad else 0)
EOF
}

# num_of JSON REGION: the numerator of $ind in a report.
num_of() {
	field "$1" "$2" $ind numerator
}

hub_extra[$city]="--http 127.0.0.1:0"
start_hub $province || finish
start_hub $city || finish
dash=$(sed -n 2p "$work/sock/$city.ready")
dash=${dash%/}
mark t0

section "1. $counties_t1 report; T1"
for c in $counties_t1; do
	add_county $c || not_ok "cannot load $c"
	push $c
	check "1: $c pushes" $? 0
done
converge "1" $province $city
cp "$work/raw/raw.csv" "$work/raw/t1.csv"
mark t1

section "2. a correction of $month, a county's first report and the city's own row; T2"
correct 130502 $ind $month || not_ok "2: the correction failed"
delta2=$delta
note "130502 revised its $ind $month numerator by $delta2"
add_county $late_county || not_ok "cannot load $late_county"
for c in 130502 $late_county; do
	push $c
	check "2: $c pushes" $? 0
done
# The city's own observation (a city may record its own), also in the
# flat rows.
own $city $ind 2020-05 40 50 "" "" || not_ok "2: the city's own record failed"
converge "2" $province $city
cp "$work/raw/raw.csv" "$work/raw/t2.csv"
mark t2

section "3. the same month corrected again, and a count; now"
correct 130502 $ind $month || not_ok "3: the correction failed"
correct 130503 supervision_spot_check_batches 2020-07 || not_ok "3: the count's correction failed"
for c in 130502 130503; do
	push $c
	check "3: $c pushes" $? 0
done
converge "3" $province $city
mark now

t1=$(as_text "${mark_ms[t1]}" cst)
t2=$(as_text "${mark_ms[t2]}" utc)
tnow=$(as_text "${mark_ms[now]}" offset)
t0=$(as_text "${mark_ms[t0]}" utc)
note "T0 $t0, T1 $t1 (CST), T2 $t2, now $tnow"

section "4. as of T1 and T2: the flat computation over the raw rows as they were"
for m in t1 t2; do
	when=$([ $m == t1 ] && echo "$t1" || echo "$t2")
	reports_as_of "$work/rep/$m" "$work/raw/$m.csv" "$when" >"$work/out/$m.cmp" 2>&1
	rc=$?
	check "4: as of $m ($when), city and province, every period, two levels deep, equal the flat figures: $(tail -1 "$work/out/$m.cmp")" $rc 0
	[ $rc == 0 ] || head -10 "$work/out/$m.cmp"
	completeness "$work/raw/$m.csv" "${mark_ms[$m]}" "$work/rep/$m"/*.json >"$work/out/$m.compl" 2>&1
	rc=$?
	check "4: as of $m, children missing and late as the raw rows then say: $(tail -1 "$work/out/$m.compl")" $rc 0
	[ $rc == 0 ] || head -10 "$work/out/$m.compl"
	"$hub" report --db "$work/db/$city.db" --period 2020 --explain --indicator $ind \
		--as-of "$when" --format json >"$work/out/$m-explain.json" 2>>"$work/log/report.log"
	explain_check "$work/raw/$m.csv" "$work/out/$m-explain.json" >"$work/out/$m.expl" 2>&1
	rc=$?
	check "4: as of $m, --explain's parts at the city equal the flat figures: $(tail -1 "$work/out/$m.expl")" $rc 0
	[ $rc == 0 ] || head -10 "$work/out/$m.expl"
done
check "4: as of T1, $late_county is missing at the city for 2020" \
	"$("$python" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(any(e["code"]=="130505" for e in d["regions"][0]["indicators"][0]["children"]["missing"]))' \
		"$work/rep/t1/$city-2020.json")" True

section "5. between T1 and T2, $month moved by exactly the correction at every level"
for p in $month 2020Q1 2020; do
	for h in $city $province; do
		a=$(num_of "$work/rep/t1/$h-$p.json" $h)
		b=$(num_of "$work/rep/t2/$h-$p.json" $h)
		c1=$(num_of "$work/rep/t1/$h-$p.json" 130502)
		c2=$(num_of "$work/rep/t2/$h-$p.json" 130502)
		# The late county and the city's own May row enter between the
		# marks too: take out what the raw rows say they add.
		extra=$(awk -F, -v p="$p" -v i=$ind '
			function inside(q) { return q == p || (p == "2020Q1" && (q == "2020-01" || q == "2020-02" || q == "2020-03")) || (p == "2020" && q ~ /^2020-/) }
			$2 == i && ($1 == "130505" || $1 == "130500") && inside($3) { s += $4 } END { print s + 0 }' "$work/raw/t2.csv")
		check "5: $h's $p numerator, T2 - T1 - what the new rows add" \
			"$("$python" -c 'import sys; a,b,e=map(float,sys.argv[1:4]); print(b-a-e)' "$a" "$b" "$extra")" "$delta2.0"
		[ "$h" == $city ] && check "5: 130502's $p numerator at the city, T2 - T1" \
			"$("$python" -c 'import sys; a,b=map(float,sys.argv[1:3]); print(b-a)' "$c1" "$c2")" "$delta2.0"
	done
done

section "6. as of now: the plain report, byte for byte"
for h in $city $province; do
	for p in 2020 2020Q1 $month; do
		for fmt in table csv json; do
			"$hub" report --db "$work/db/$h.db" --period $p --depth 2 --format $fmt \
				>"$work/out/plain" 2>>"$work/log/report.log"
			"$hub" report --db "$work/db/$h.db" --period $p --depth 2 --format $fmt \
				--as-of "$tnow" >"$work/out/asof" 2>>"$work/log/report.log"
			case $fmt in
			table) head -1 "$work/out/asof" | grep -q '^as of ' || not_ok "6: $h $p table: no 'as of' line"
				sed -i 1d "$work/out/asof" ;;
			json) grep -q '^  "as_of": ' "$work/out/asof" || not_ok "6: $h $p json: no as_of"
				sed -i '/^  "as_of": /d' "$work/out/asof" ;;
			esac
			check_true "6: $h $p $fmt as of now equals the plain report" \
				cmp -s "$work/out/plain" "$work/out/asof"
		done
	done
	"$hub" report --db "$work/db/$h.db" --period 2020 --explain --indicator $ind \
		>"$work/out/plain" 2>>"$work/log/report.log"
	"$hub" report --db "$work/db/$h.db" --period 2020 --explain --indicator $ind \
		--as-of "$tnow" 2>>"$work/log/report.log" | sed 1d >"$work/out/asof"
	check_true "6: $h --explain as of now equals the plain one" cmp -s "$work/out/plain" "$work/out/asof"
done

section "7. before any data, and the due date"
for h in $city $province; do
	report $h 2020 "$work/out/t0-$h.json" --depth 2 --indicator $ind --as-of "$t0"
	check "7: $h as of T0: every figure empty, every child missing" "$("$python" - "$work/out/t0-$h.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
figs = [f for r in d["regions"] for f in r["indicators"]]
bad = [f["id"] for f in figs if f["value"] is not None or f["reporting"] != 0
       or (f.get("children") and len(f["children"]["missing"]) != f["children"]["expected"])]
print("%s figures, %d not empty" % ("some" if figs else "no", len(bad)))
EOF
)" "some figures, 0 not empty"
	"$hub" report --db "$work/db/$h.db" --period 2020 --depth 1 --as-of "$t0" --indicator $ind \
		>"$work/out/t0-$h.txt" 2>>"$work/log/report.log"
	check "7: $h as of T0: the table shows no value" \
		"$(awk 'NR > 3 && $1 ~ /^[0-9]+$/ && $3 != "-" { n++ } END { print n + 0 }' "$work/out/t0-$h.txt")" 0
done
# docs/reports.md: a period is due 15 days after it ends, in China Standard Time:
# 2020 ends on 2020-12-31, so it is due when 2021-01-16 begins in CST.
due_utc=$("$python" -c 'import datetime as d; print((d.datetime(2021,1,16,tzinfo=d.timezone(d.timedelta(hours=8)))).astimezone(d.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))')
for when in 2021-01-15 2021-01-16T00:00:01 2021-01-15T16:00:01Z; do
	report $city 2020 "$work/out/due.json" --depth 0 --indicator $ind --as-of "$when"
	want=$([ $when == 2021-01-15 ] && echo False || echo True)
	check "7: as of $when, 2020 due $due_utc, overdue" \
		"$("$python" -c 'import json,sys; f=json.load(open(sys.argv[1]))["regions"][0]["indicators"][0]; print(f["due"], f["overdue"])' "$work/out/due.json")" \
		"$due_utc $want"
done

section "8. the dashboard's /api/report?as_of= and bad times"
if [ -n "$dash" ]; then
	for m in t1 t2; do
		when=$([ $m == t1 ] && echo "$t1" || echo "$t2")
		curl -sf "$dash/api/report?period=2020&depth=2&as_of=$when" >"$work/out/api-$m.json"
		check "8: /api/report as of $m answers" $? 0
		check "8: /api/report as of $m is the CLI's document" \
			"$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1])) == json.load(open(sys.argv[2])))' \
				"$work/out/api-$m.json" "$work/rep/$m/$city-2020.json")" True
	done
	check "8: /api/report with a bad as_of: 400" \
		"$(curl -s -o /dev/null -w '%{http_code}' "$dash/api/report?period=2020&as_of=2021-02-30")" 400
else
	not_ok "8: the city hub wrote no dashboard address"
fi
for bad in 2021-02-30 yesterday 2021-01-15T25:00 "2021-01-15 08:00" 2021-01-15T08:00+8; do
	"$hub" report --db "$work/db/$city.db" --period 2020 --as-of "$bad" >"$work/out/bad.out" 2>"$work/out/bad.err"
	rc=$?
	check "8: --as-of '$bad': exit, one line on stderr, nothing on stdout" \
		"$rc $(wc -l <"$work/out/bad.err") $(wc -c <"$work/out/bad.out")" "64 1 0"
done

section "9. prune-history: what was held at T2 and later stays"
rows_before=$(sqlite3 -cmd ".timeout 5000" "$work/db/$city.db" "SELECT count(*) FROM state_history")
"$hub" prune-history --db "$work/db/$city.db" --before "$t2" >"$work/out/prune.out" 2>>"$work/log/report.log"
check "9: prune-history --before T2 exits" $? 0
rows_after=$(sqlite3 -cmd ".timeout 5000" "$work/db/$city.db" "SELECT count(*) FROM state_history")
note "$(cat "$work/out/prune.out"); state_history rows $rows_before before, $rows_after after"
check "9: it removed the rows it says it removed, and some" \
	"$(sed -n 's/^removed \([0-9]*\) history rows.*/\1/p' "$work/out/prune.out" | awk -v d=$((rows_before - rows_after)) '{ print ($1 >= d && d > 0) ? "yes" : "no " $1 " " d }')" yes
for p in $periods; do
	report $city "$p" "$work/out/pruned.json" --depth 2 --as-of "$t2"
	cmp -s "$work/out/pruned.json" "$work/rep/t2/$city-$p.json" || not_ok "9: $p as of T2 changed by the prune"
done
ok "9: every period as of T2 is what it was before the prune"
for fmt in table json; do
	"$hub" report --db "$work/db/$city.db" --period 2020 --depth 2 --format $fmt >"$work/out/plain" 2>>"$work/log/report.log"
	"$hub" report --db "$work/db/$city.db" --period 2020 --depth 2 --format $fmt --as-of "$tnow" 2>>"$work/log/report.log" |
		sed '1{/^as of /d}; /^  "as_of": /d' >"$work/out/asof"
	check_true "9: as of now after the prune ($fmt) equals the plain report" cmp -s "$work/out/plain" "$work/out/asof"
done
"$hub" report --db "$work/db/$city.db" --period 2020 --as-of "$t1" >"$work/out/bad.out" 2>"$work/out/bad.err"
rc=$?
check "9: as of T1, before the prune: exit, one line, nothing on stdout" \
	"$rc $(wc -l <"$work/out/bad.err") $(wc -c <"$work/out/bad.out")" "65 1 0"
if [ -n "$dash" ]; then
	check "9: /api/report as of T1 after the prune: 400" \
		"$(curl -s -o /dev/null -w '%{http_code}' "$dash/api/report?period=2020&as_of=$t1")" 400
fi
"$hub" prune-history --db "$work/db/$city.db" --before soon >/dev/null 2>"$work/out/bad.err"
rc=$?
check "9: prune-history --before soon: exit, one line" "$rc $(wc -l <"$work/out/bad.err")" "64 1"

final_stops $city $province
finish

#!/usr/bin/env bash
#
# Command-line tests of tally-node. They drive the real program on real
# SQLite stores in a private temporary directory and check three things:
# that the figures `show` prints follow the rollup rules of docs/rollup.md at a
# single node (pooled sums, `last` for stocks, weighted means, corrections
# with growing versions), that every refused input exits 65 with a one-line
# message naming where the fault is, and that a refused command leaves the
# store byte-for-byte as it was (compared with `sqlite3 DB .dump`).
#
# Usage: bash tests/cli_node.sh /path/to/tally-node
# Reference data comes from $TALLY_DATA_DIR (CTest sets it); when it is not
# set, the source tree's configs/ beside this script is used.

set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 /path/to/tally-node" >&2
	exit 2
fi
# The script works inside its temporary directory, so a relative path to the
# program (or to the reference data) must be made absolute first.
NODE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
# The real interpreter, not a version manager's shim in front of it: the
# checks start Python often, and a shim can cost 0.4 s of CPU a start.
PYTHON=$(python3 -c 'import sys; print(sys.executable)') || exit 1
if [ ! -x "$NODE" ]; then
	echo "$0: $1 is not an executable" >&2
	exit 2
fi
if [ -z "${TALLY_DATA_DIR:-}" ]; then
	TALLY_DATA_DIR=$(dirname "$0")/../configs
fi
TALLY_DATA_DIR=$(cd "$TALLY_DATA_DIR" && pwd)
export TALLY_DATA_DIR

T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2
mkdir work
cd work || exit 2

PASSED=0
FAILED=0
OUT=$T/stdout
ERR=$T/stderr
LAST_CMD=
HEADER=indicator,period,numerator,denominator,value,weight

# ---------------------------------------------------------------------------
# Helpers. expect_exit runs a command and keeps its stdout and stderr, which
# the expect_std* helpers that follow it then examine.
# ---------------------------------------------------------------------------

pass() {
	PASSED=$((PASSED + 1))
}

# fail WHAT [DETAIL...]: counts a failure and says what was expected and
# what was seen, one detail per line.
fail() {
	FAILED=$((FAILED + 1))
	printf 'FAIL: %s\n' "$1"
	shift
	for line in "$@"; do
		printf '    %s\n' "$line"
	done
}

# expect_exit CODE -- CMD...: runs CMD and checks its exit status.
expect_exit() {
	local want=$1
	shift
	[ "${1:-}" = -- ] && shift
	LAST_CMD="$*"
	"$@" >"$OUT" 2>"$ERR"
	local rc=$?
	if [ "$rc" -eq "$want" ]; then
		pass
	else
		fail "exit status of: $LAST_CMD" "expected: $want" "seen: $rc" \
		    "stdout: $(head -c 600 "$OUT")" "stderr: $(head -c 600 "$ERR")"
	fi
}

expect_stdout_contains() {
	if grep -qF -- "$1" "$OUT"; then
		pass
	else
		fail "stdout of: $LAST_CMD" "expected to contain: $1" \
		    "seen: $(head -c 600 "$OUT")"
	fi
}

expect_stderr_contains() {
	if grep -qF -- "$1" "$ERR"; then
		pass
	else
		fail "stderr of: $LAST_CMD" "expected to contain: $1" \
		    "seen: $(cat "$ERR")"
	fi
}

# An error message is exactly one line, so that logs and callers that read
# one line per error never see half a message.
expect_stderr_one_line() {
	local n
	n=$(wc -l <"$ERR")
	if [ "$n" -eq 1 ] && [ "$(tail -c 1 "$ERR" | od -An -c | tr -d ' ')" = '\n' ]; then
		pass
	else
		fail "stderr of: $LAST_CMD" "expected: exactly one line" \
		    "seen ($n newlines): $(cat "$ERR")"
	fi
}

# A refused import prints one line per problem of the file, each
# `tally-node: FILE:LINE: ...`, then one line saying that nothing was
# imported.
expect_stderr_import_refused() {
	local bad
	bad=$(grep -v -c '^tally-node: ' "$ERR")
	if [ "$bad" -eq 0 ] && tail -n 1 "$ERR" | grep -q 'nothing imported$'; then
		pass
	else
		fail "stderr of: $LAST_CMD" \
		    "expected: lines 'tally-node: ...', the last 'nothing imported'" \
		    "seen: $(cat "$ERR")"
	fi
}

expect_stdout_empty() {
	if [ ! -s "$OUT" ]; then
		pass
	else
		fail "stdout of: $LAST_CMD" "expected: nothing" \
		    "seen: $(head -c 600 "$OUT")"
	fi
}

# expect_file_absent FILE: a refused command must not leave a file behind.
expect_file_absent() {
	if [ ! -e "$1" ]; then
		pass
	else
		fail "after: $LAST_CMD" "expected: no file $1" "seen: it exists"
	fi
}

dump() {
	sqlite3 "$1" .dump
}

# expect_refused DB NEEDLE... -- CMD...: CMD must exit 65 with a one-line
# message holding every NEEDLE, and DB must be exactly as it was before.
expect_refused() {
	local db=$1
	shift
	local needles=()
	while [ "$1" != -- ]; do
		needles+=("$1")
		shift
	done
	shift
	dump "$db" >"$T/before.sql"
	expect_exit 65 -- "$@"
	case " $* " in
	*" import "*) expect_stderr_import_refused ;;
	*) expect_stderr_one_line ;;
	esac
	for needle in "${needles[@]}"; do
		expect_stderr_contains "$needle"
	done
	dump "$db" >"$T/after.sql"
	if cmp -s "$T/before.sql" "$T/after.sql"; then
		pass
	else
		fail "store changed by refused: $LAST_CMD" \
		    "expected: the same dump before and after" \
		    "seen: $(diff "$T/before.sql" "$T/after.sql" | head -20)"
	fi
}

# write_csv FILE ROW...: the standard header, then one line per ROW.
write_csv() {
	local file=$1
	shift
	{
		echo "$HEADER"
		printf '%s\n' "$@"
	} >"$file"
}

# show_json DB PERIOD [INDICATOR]: leaves show's JSON in $T/show.json.
show_json() {
	local args=(show --db "$1" --period "$2" --format json)
	[ $# -ge 3 ] && args+=(--indicator "$3")
	expect_exit 0 -- "$NODE" "${args[@]}"
	cp "$OUT" "$T/show.json"
}

# json_field INDICATOR FIELD: one field of one indicator in $T/show.json,
# printed as JSON ("<absent>" when the indicator or field is not there).
json_field() {
	"$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
rows = [r for r in doc["indicators"] if r["id"] == sys.argv[2]]
if len(rows) != 1 or sys.argv[3] not in rows[0]:
    print("<absent>")
else:
    print(json.dumps(rows[0][sys.argv[3]]))
' "$T/show.json" "$1" "$2"
}

# expect_json DB PERIOD INDICATOR FIELD EXPECTED: EXPECTED is a JSON literal
# (92.5, "2020-06", null). Numbers are compared with a relative tolerance
# of 1e-9, the bound docs/rollup.md sets, so that the check does not depend on
# how the program formats them.
expect_json() {
	local db=$1 period=$2 ind=$3 field=$4 want=$5 seen
	show_json "$db" "$period" "$ind"
	seen=$(json_field "$ind" "$field")
	if "$PYTHON" -c '
import json, math, sys
want, seen = json.loads(sys.argv[1]), sys.argv[2]
if seen == "<absent>":
    sys.exit(1)
seen = json.loads(seen)
num = (int, float)
if isinstance(want, num) and isinstance(seen, num) and not isinstance(seen, bool):
    sys.exit(0 if math.isclose(want, seen, rel_tol=1e-9, abs_tol=1e-12) else 1)
sys.exit(0 if want == seen else 1)
' "$want" "$seen"; then
		pass
	else
		fail "show --period $period: $ind.$field" "expected: $want" \
		    "seen: $seen"
	fi
}

# version DB PERIOD INDICATOR: the snapshot version show reports.
version() {
	"$NODE" show --db "$1" --period "$2" --indicator "$3" --format json |
	    "$PYTHON" -c '
import json, sys
v = json.load(sys.stdin)["indicators"][0]["version"]
print(v if isinstance(v, int) else "none")
'
}

# expect_greater WHAT A B: version B must be above version A.
expect_greater() {
	if [[ $2 =~ ^[0-9]+$ && $3 =~ ^[0-9]+$ ]] && [ "$3" -gt "$2" ]; then
		pass
	else
		fail "$1" "expected: a version above $2" "seen: $3"
	fi
}

expect_equal() {
	if [ "$2" = "$3" ]; then
		pass
	else
		fail "$1" "expected: $2" "seen: $3"
	fi
}

record() {
	"$NODE" record "$@"
}

# ---------------------------------------------------------------------------
# Help, version and usage errors.
# ---------------------------------------------------------------------------

expect_exit 0 -- "$NODE" --help
expect_stdout_contains "Usage: tally-node"
expect_stdout_contains "import --db FILE"
expect_exit 0 -- "$NODE" --version
expect_stdout_contains "tally-node "
# The commands of tally-node-intake answer --help as every other does.
for c in status import serve; do
	expect_exit 0 -- "$NODE" $c --help
	expect_stdout_contains "Usage: tally-node"
done

# Usage errors exit 64 before any store is touched or created.
expect_exit 64 -- "$NODE"
expect_exit 64 -- "$NODE" init --region 130102
expect_stderr_one_line
expect_stderr_contains "--db"
expect_exit 64 -- "$NODE" init --db usage.db
expect_stderr_contains "--region"
expect_file_absent usage.db
expect_exit 64 -- "$NODE" record --indicator mfg_pass_rate --period 2020 \
    --num 1 --den 2
expect_stderr_contains "--db"
expect_exit 64 -- "$NODE" show --period 2020
expect_stderr_contains "--db"
expect_exit 64 -- "$NODE" show --db usage.db
expect_stderr_contains "--period"
expect_exit 64 -- "$NODE" import --db usage.db
expect_exit 64 -- "$NODE" import --db usage.db a.csv b.csv
expect_exit 64 -- "$NODE" init --db usage.db --region 130102 --frobnicate
expect_stderr_contains "frobnicate"
expect_file_absent usage.db
expect_exit 64 -- "$NODE" frobnicate --db usage.db
expect_stderr_one_line
expect_stderr_contains "frobnicate"
expect_exit 64 -- "$NODE" show --db usage.db --period 2020 --format xml
expect_stderr_contains "--format"

# ---------------------------------------------------------------------------
# init: any level of the tree, never an unknown code, never over a store.
# ---------------------------------------------------------------------------

DB=county.db
expect_exit 0 -- "$NODE" init --db "$DB" --region 130102
expect_stdout_contains "130102"
expect_stdout_contains "county"
expect_exit 0 -- "$NODE" init --db city.db --region 130100
expect_stdout_contains "130100"
expect_stdout_contains "city"
expect_exit 0 -- "$NODE" init --db province.db --region 130000
expect_stdout_contains "province"

# An unknown code is bad input (65), and no half-made store is left behind.
expect_exit 65 -- "$NODE" init --db unknown.db --region 999999
expect_stderr_one_line
expect_stderr_contains "--region"
expect_stderr_contains "999999"
expect_file_absent unknown.db

# A second init over an existing store must refuse (73) and keep the store,
# data included, exactly as it was.
record --db city.db --indicator mfg_pass_rate --period 2020-01 \
    --num 9 --den 10 >/dev/null
dump city.db >"$T/city.before"
sum_before=$(cksum <city.db)
expect_exit 73 -- "$NODE" init --db city.db --region 130102
expect_stderr_one_line
expect_stderr_contains "city.db"
dump city.db >"$T/city.after"
if cmp -s "$T/city.before" "$T/city.after" &&
    [ "$sum_before" = "$(cksum <city.db)" ]; then
	pass
else
	fail "init over an existing store" "expected: the store untouched" \
	    "seen: $(diff "$T/city.before" "$T/city.after" | head -20)"
fi
expect_json city.db 2020 mfg_pass_rate value 90

# A missing store is 66 for every command that needs one, and none of them
# creates it.
expect_exit 66 -- "$NODE" record --db missing.db --indicator mfg_pass_rate \
    --period 2020-01 --num 1 --den 2
expect_stderr_one_line
expect_stderr_contains "missing.db"
write_csv ok.csv "mfg_pass_rate,2020-01,1,2,,"
expect_exit 66 -- "$NODE" import --db missing.db ok.csv
expect_stderr_one_line
expect_stderr_contains "missing.db"
expect_exit 66 -- "$NODE" show --db missing.db --period 2020
expect_stderr_one_line
expect_stderr_contains "missing.db"
expect_file_absent missing.db

# ---------------------------------------------------------------------------
# Figures. Each kind and each time rule, checked on the numbers themselves.
# ---------------------------------------------------------------------------

# A ratio pools numerators and denominators: (90+95)/(100+100) = 92.5 %.
expect_exit 0 -- record --db "$DB" --indicator mfg_pass_rate --period 2020-01 \
    --num 90 --den 100
expect_stdout_contains "recorded mfg_pass_rate 2020-01"
expect_exit 0 -- record --db "$DB" --indicator mfg_pass_rate --period 2020-02 \
    --num 95 --den 100
expect_json "$DB" 2020Q1 mfg_pass_rate value 92.5
expect_json "$DB" 2020Q1 mfg_pass_rate numerator 185
expect_json "$DB" 2020Q1 mfg_pass_rate denominator 200
expect_json "$DB" 2020Q1 mfg_pass_rate kind '"ratio"'
expect_json "$DB" 2020Q1 mfg_pass_rate newest_period '"2020-02"'
expect_json "$DB" 2020-01 mfg_pass_rate value 90
expect_json "$DB" 2020 mfg_pass_rate value 92.5

# A stock (time_agg last) takes the latest month inside the period, never
# the sum of the months.
record --db "$DB" --indicator industrial_brand_products --period 2020-03 \
    --value 50 >/dev/null
expect_exit 0 -- record --db "$DB" --indicator industrial_brand_products \
    --period 2020-06 --value 52
expect_json "$DB" 2020 industrial_brand_products value 52
expect_json "$DB" 2020 industrial_brand_products sum 52
expect_json "$DB" 2020 industrial_brand_products newest_period '"2020-06"'
expect_json "$DB" 2020Q1 industrial_brand_products value 50
expect_json "$DB" 2020Q1 industrial_brand_products newest_period '"2020-03"'
expect_json "$DB" 2020Q2 industrial_brand_products value 52

# A flow (time_agg sum) adds its months.
record --db "$DB" --indicator supervision_spot_check_batches --period 2020-01 \
    --value 10 >/dev/null
record --db "$DB" --indicator supervision_spot_check_batches --period 2020-02 \
    --value 20 >/dev/null
expect_exit 0 -- record --db "$DB" --indicator supervision_spot_check_batches \
    --period 2020-05 --value 30
expect_json "$DB" 2020Q1 supervision_spot_check_batches value 30
expect_json "$DB" 2020 supervision_spot_check_batches value 60

# A weighted mean adds Σw·x and Σw: (40·31 + 70·29) / 60 = 54.5.
record --db "$DB" --indicator pm25_concentration --period 2020-01 \
    --value 40 --weight 31 >/dev/null
expect_exit 0 -- record --db "$DB" --indicator pm25_concentration \
    --period 2020-02 --value 70 --weight 29
expect_json "$DB" 2020Q1 pm25_concentration value \
    "$("$PYTHON" -c 'print((40*31 + 70*29) / 60)')"
expect_json "$DB" 2020Q1 pm25_concentration sum 3270
expect_json "$DB" 2020Q1 pm25_concentration weight 60

# A quarter recorded as such rolls into its year beside the months of the
# other quarters, but cannot be split into months.
expect_exit 0 -- record --db "$DB" --indicator supervision_spot_check_batches \
    --period 2020Q3 --value 40
expect_json "$DB" 2020Q3 supervision_spot_check_batches value 40
expect_json "$DB" 2020 supervision_spot_check_batches value 100
expect_json "$DB" 2020-08 supervision_spot_check_batches value null
record --db "$DB" --indicator mfg_pass_rate --period 2020Q3 \
    --num 40 --den 50 >/dev/null
expect_json "$DB" 2020 mfg_pass_rate value 90
expect_json "$DB" 2020 mfg_pass_rate denominator 250
expect_json "$DB" 2020 mfg_pass_rate newest_period '"2020Q3"'
# For a stock, a quarter loses to a later month whatever their sizes.
record --db "$DB" --indicator service_brands --period 2020Q2 \
    --value 9 >/dev/null
record --db "$DB" --indicator service_brands --period 2020-11 \
    --value 7 >/dev/null
expect_json "$DB" 2020 service_brands value 7
expect_json "$DB" 2020 service_brands newest_period '"2020-11"'

# A per-million ratio may have a numerator above its denominator: 150
# patent applications for 100 people is 1.5 million per million.
expect_exit 0 -- record --db "$DB" --indicator invention_patents_per_million \
    --period 2020 --num 150 --den 100
expect_json "$DB" 2020 invention_patents_per_million value 1500000

# Without --indicator, show lists exactly the indicators holding data.
show_json "$DB" 2020Q1
ids=$("$PYTHON" -c '
import json, sys
print(" ".join(sorted(r["id"] for r in json.load(open(sys.argv[1]))["indicators"])))
' "$T/show.json")
expect_equal "indicators shown for 2020Q1" \
    "industrial_brand_products mfg_pass_rate pm25_concentration supervision_spot_check_batches" \
    "$ids"
expect_equal "region in show's JSON" '"130102"' \
    "$("$PYTHON" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["region"]["code"]))' "$T/show.json")"
# An indicator asked for by name but without data is listed with nulls.
expect_json "$DB" 2021 mfg_pass_rate value null
expect_json "$DB" 2021 mfg_pass_rate version null

# The table (the default format) names the indicator and its value.
expect_exit 0 -- "$NODE" show --db "$DB" --period 2020Q1
expect_stdout_contains "mfg_pass_rate"
expect_stdout_contains "92.5"
expect_exit 0 -- "$NODE" show --db "$DB" --period 2020Q1 --format table
expect_stdout_contains "pm25_concentration"

# ---------------------------------------------------------------------------
# Corrections: the same (indicator, period) again replaces the figure, and
# the versions of the period and of every coarser one grow; the identical
# figure again changes nothing at all.
# ---------------------------------------------------------------------------

v_jan=$(version "$DB" 2020-01 mfg_pass_rate)
v_feb=$(version "$DB" 2020-02 mfg_pass_rate)
v_q1=$(version "$DB" 2020Q1 mfg_pass_rate)
v_year=$(version "$DB" 2020 mfg_pass_rate)
expect_exit 0 -- record --db "$DB" --indicator mfg_pass_rate --period 2020-02 \
    --num 97 --den 100
expect_stdout_contains "corrected"
expect_json "$DB" 2020Q1 mfg_pass_rate value 93.5
expect_json "$DB" 2020Q1 mfg_pass_rate numerator 187
v_feb2=$(version "$DB" 2020-02 mfg_pass_rate)
v_q12=$(version "$DB" 2020Q1 mfg_pass_rate)
v_year2=$(version "$DB" 2020 mfg_pass_rate)
expect_greater "version of 2020-02 after a correction" "$v_feb" "$v_feb2"
expect_greater "version of 2020Q1 after a correction" "$v_q1" "$v_q12"
expect_greater "version of 2020 after a correction" "$v_year" "$v_year2"
expect_equal "version of 2020-01 after correcting 2020-02" "$v_jan" \
    "$(version "$DB" 2020-01 mfg_pass_rate)"

dump "$DB" >"$T/same.before"
expect_exit 0 -- record --db "$DB" --indicator mfg_pass_rate --period 2020-02 \
    --num 97 --den 100
expect_stdout_contains "unchanged"
# The same figure written differently is still the same figure.
expect_exit 0 -- record --db "$DB" --indicator mfg_pass_rate --period 2020-02 \
    --num 97.0 --den 1e2
expect_stdout_contains "unchanged"
expect_equal "version of 2020-02 after an unchanged record" "$v_feb2" \
    "$(version "$DB" 2020-02 mfg_pass_rate)"
expect_equal "version of 2020 after an unchanged record" "$v_year2" \
    "$(version "$DB" 2020 mfg_pass_rate)"
dump "$DB" >"$T/same.after"
if cmp -s "$T/same.before" "$T/same.after"; then
	pass
else
	fail "store after recording an identical figure" \
	    "expected: no change" \
	    "seen: $(diff "$T/same.before" "$T/same.after" | head -20)"
fi

# A correction of a stock changes what `last` picks.
v_year=$(version "$DB" 2020 industrial_brand_products)
expect_exit 0 -- record --db "$DB" --indicator industrial_brand_products \
    --period 2020-06 --value 53
expect_stdout_contains "corrected"
expect_json "$DB" 2020 industrial_brand_products value 53
expect_greater "version of 2020 after correcting a stock" "$v_year" \
    "$(version "$DB" 2020 industrial_brand_products)"

# ---------------------------------------------------------------------------
# import: the same checks and rules as record, one transaction per file.
# ---------------------------------------------------------------------------

IDB=import.db
"$NODE" init --db "$IDB" --region 130102 >/dev/null
write_csv good.csv \
    "mfg_pass_rate,2020-01,90,100,," \
    "mfg_pass_rate,2020-02,95,100,," \
    "industrial_brand_products,2020-03,,,50," \
    "industrial_brand_products,2020-06,,,52," \
    "pm25_concentration,2020-01,,,40,31" \
    "pm25_concentration,2020-02,,,70,29" \
    "supervision_spot_check_batches,2020Q3,,,40,"
expect_exit 0 -- "$NODE" import --db "$IDB" good.csv
expect_stdout_contains "7 new"
expect_json "$IDB" 2020Q1 mfg_pass_rate value 92.5
expect_json "$IDB" 2020 industrial_brand_products value 52
expect_json "$IDB" 2020Q1 pm25_concentration value 54.5
expect_json "$IDB" 2020 supervision_spot_check_batches value 40

# Quoted fields, CRLF line ends and a byte-order mark are ordinary CSV.
printf '\xef\xbb\xbf%s\r\n"mfg_pass_rate","2020-03","10","20","",""\r\n' \
    "$HEADER" >crlf.csv
expect_exit 0 -- "$NODE" import --db "$IDB" crlf.csv
expect_stdout_contains "1 new"
expect_json "$IDB" 2020-03 mfg_pass_rate value 50

# Importing again: one correction, the rest unchanged.
v_year=$(version "$IDB" 2020 mfg_pass_rate)
write_csv again.csv \
    "mfg_pass_rate,2020-01,91,100,," \
    "mfg_pass_rate,2020-02,95,100,,"
expect_exit 0 -- "$NODE" import --db "$IDB" again.csv
expect_stdout_contains "0 new, 1 corrected, 1 unchanged"
expect_json "$IDB" 2020-01 mfg_pass_rate value 91
expect_greater "version of 2020 after an imported correction" "$v_year" \
    "$(version "$IDB" 2020 mfg_pass_rate)"
v_year=$(version "$IDB" 2020 mfg_pass_rate)
expect_exit 0 -- "$NODE" import --db "$IDB" again.csv
expect_stdout_contains "0 new, 0 corrected, 2 unchanged"
expect_equal "version of 2020 after an unchanged import" "$v_year" \
    "$(version "$IDB" 2020 mfg_pass_rate)"

# --format csv: the header, and one row read back with the csv module.
expect_exit 0 -- "$NODE" show --db "$IDB" --period 2020Q1 --format csv
cp "$OUT" "$T/show.csv"
v_q1=$(version "$IDB" 2020Q1 mfg_pass_rate)
if "$PYTHON" - "$T/show.csv" "$v_q1" <<'EOF'; then
import csv, math, sys
want_header = ["region", "period", "indicator", "kind", "unit", "value",
               "numerator", "denominator", "sum", "weight",
               "newest_period", "version"]
with open(sys.argv[1], newline="") as f:
    rows = list(csv.reader(f))
problems = []
if rows[0] != want_header:
    problems.append("header %r" % rows[0])
table = {r[2]: dict(zip(want_header, r)) for r in rows[1:]}
if sorted(table) != ["industrial_brand_products", "mfg_pass_rate",
                     "pm25_concentration"]:
    problems.append("indicators %r" % sorted(table))
r = table.get("mfg_pass_rate", {})
expect_text = {"region": "130102", "period": "2020Q1", "kind": "ratio",
               "unit": "%", "sum": "", "weight": "",
               "newest_period": "2020-03", "version": sys.argv[2]}
expect_num = {"value": 100 * 196 / 220, "numerator": 196,
              "denominator": 220}
for k, v in expect_text.items():
    if r.get(k) != v:
        problems.append("mfg_pass_rate.%s = %r, expected %r" % (k, r.get(k), v))
for k, v in expect_num.items():
    try:
        ok = math.isclose(float(r.get(k)), v, rel_tol=1e-9)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        problems.append("mfg_pass_rate.%s = %r, expected %r" % (k, r.get(k), v))
w = table.get("pm25_concentration", {})
for k, v in {"sum": 3270, "weight": 60, "value": 54.5}.items():
    try:
        ok = math.isclose(float(w.get(k)), v, rel_tol=1e-9)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        problems.append("pm25_concentration.%s = %r, expected %r" % (k, w.get(k), v))
if w.get("numerator") != "" or w.get("denominator") != "":
    problems.append("pm25_concentration has numerator/denominator")
if problems:
    print("\n".join(problems))
    sys.exit(1)
EOF
	pass
else
	fail "show --format csv" "expected: the fields listed above" \
	    "seen: $(cat "$T/show.csv")"
fi

# ---------------------------------------------------------------------------
# Bad input. Every case exits 65 with one line naming the field (and for
# import the file and line) and leaves the store exactly as it was. The
# store holds data that the overlap cases need: months of mfg_pass_rate in
# 2020 and a whole year 2019 of industrial_brand_products.
# ---------------------------------------------------------------------------

BDB=bad.db
"$NODE" init --db "$BDB" --region 130102 >/dev/null
record --db "$BDB" --indicator mfg_pass_rate --period 2020-03 \
    --num 8 --den 10 >/dev/null
record --db "$BDB" --indicator industrial_brand_products --period 2019 \
    --value 40 >/dev/null
record --db "$BDB" --indicator pm25_concentration --period 2020-01 \
    --value 40 --weight 31 >/dev/null

# Each bad import row sits on line 4 between good rows for other
# indicators, so that a partial import would show in the dump.
GOOD1="sme_quality_training,2021-01,,,3,"
GOOD2="agri_pass_rate,2021-01,8,10,,"
GOOD3="mfg_competitiveness_index,2021-01,,,80,5"

# The good rows import on their own, so a refusal below is the bad row's.
cp "$BDB" scratch.db
write_csv goods.csv "$GOOD1" "$GOOD2" "$GOOD3"
expect_exit 0 -- "$NODE" import --db scratch.db goods.csv
expect_stdout_contains "3 new"

NBAD=0
# import_refused BADROW NEEDLE...: the row on line 4 must be refused.
import_refused() {
	local row=$1
	shift
	NBAD=$((NBAD + 1))
	local file=bad$NBAD.csv
	write_csv "$file" "$GOOD1" "$GOOD2" "$row" "$GOOD3"
	expect_refused "$BDB" "$file:4:" "$@" -- "$NODE" import --db "$BDB" "$file"
}

# record_refused NEEDLE... -- ARGS...: `record` with ARGS must be refused.
record_refused() {
	local needles=()
	while [ "$1" != -- ]; do
		needles+=("$1")
		shift
	done
	shift
	expect_refused "$BDB" "${needles[@]}" -- "$NODE" record --db "$BDB" "$@"
}

# 1. Unknown indicator.
record_refused "--indicator" "no_such_indicator" -- \
    --indicator no_such_indicator --period 2021-01 --value 1
import_refused "no_such_indicator,2021-01,,,1," "indicator" "no_such_indicator"
expect_refused "$BDB" "--indicator" -- \
    "$NODE" show --db "$BDB" --period 2020 --indicator no_such_indicator

# 2. Malformed or impossible periods.
# (2020-1 and 2020q1 are accepted: see tests/intake.sh.)
for p in 2020-13 2020Q5 20 2020-00 2020Q0 abcd 2020-1x 2020q; do
	record_refused "--period" "'$p'" -- \
	    --indicator mfg_pass_rate --period "$p" --num 1 --den 2
	import_refused "mfg_pass_rate,$p,1,2,," "period" "'$p'"
done
expect_refused "$BDB" "--period" -- "$NODE" show --db "$BDB" --period 2020Q5

# 3. Numbers that are not finite decimals.
for n in abc nan NaN inf -inf 1e999 0x10 ""; do
	record_refused "--num" -- \
	    --indicator mfg_pass_rate --period 2021-02 --num "$n" --den 100
	record_refused "--den" -- \
	    --indicator mfg_pass_rate --period 2021-02 --num 1 --den "$n"
	record_refused "--value" -- \
	    --indicator supervision_spot_check_batches --period 2021-02 \
	    --value "$n"
	record_refused "--weight" -- \
	    --indicator pm25_concentration --period 2021-02 --value 40 \
	    --weight "$n"
	import_refused "mfg_pass_rate,2021-02,$n,100,," "numerator"
	import_refused "mfg_pass_rate,2021-02,1,$n,," "denominator"
	# A row with no figure at all is a template row left empty and is
	# skipped (tests/intake.sh), so the empty value is not tried here.
	[ -n "$n" ] && import_refused \
	    "supervision_spot_check_batches,2021-02,,,$n," "value"
	import_refused "pm25_concentration,2021-02,,,40,$n" "weight"
done

# 4. Negative figures.
record_refused "--num" "negative" -- \
    --indicator mfg_pass_rate --period 2021-02 --num -1 --den 100
record_refused "--den" "negative" -- \
    --indicator mfg_pass_rate --period 2021-02 --num 1 --den -100
record_refused "--value" "negative" -- \
    --indicator supervision_spot_check_batches --period 2021-02 --value -3
record_refused "--value" "negative" -- \
    --indicator pm25_concentration --period 2021-02 --value -5 --weight 30
import_refused "mfg_pass_rate,2021-02,-1,100,," "numerator" "negative"
import_refused "mfg_pass_rate,2021-02,1,-100,," "denominator" "negative"
import_refused "supervision_spot_check_batches,2021-02,,,-3," "value" \
    "negative"
import_refused "pm25_concentration,2021-02,,,-5,30" "value" "negative"

# 5. A percentage cannot pass more than it checked.
record_refused "--num" -- \
    --indicator mfg_pass_rate --period 2021-02 --num 101 --den 100
import_refused "mfg_pass_rate,2021-02,101,100,," "numerator"

# 6. A weight must be above zero.
for w in 0 0.0 -1; do
	record_refused "--weight" -- \
	    --indicator pm25_concentration --period 2021-02 --value 40 \
	    --weight "$w"
	import_refused "pm25_concentration,2021-02,,,40,$w" "weight"
done

# 7. Fields that do not fit the kind: given where unused, or missing where
# needed.
record_refused "--value" -- \
    --indicator mfg_pass_rate --period 2021-02 --num 1 --den 2 --value 3
record_refused "--den" -- --indicator mfg_pass_rate --period 2021-02 --num 1
record_refused "--num" -- --indicator mfg_pass_rate --period 2021-02 --den 2
record_refused "--weight" -- \
    --indicator supervision_spot_check_batches --period 2021-02 \
    --value 3 --weight 1
record_refused "--num" -- \
    --indicator supervision_spot_check_batches --period 2021-02 \
    --value 3 --num 1
record_refused "--value" -- \
    --indicator supervision_spot_check_batches --period 2021-02
record_refused "--weight" -- \
    --indicator pm25_concentration --period 2021-02 --value 40
record_refused "--den" -- \
    --indicator pm25_concentration --period 2021-02 --value 40 \
    --weight 30 --den 1
import_refused "mfg_pass_rate,2021-02,1,2,3," "value"
import_refused "mfg_pass_rate,2021-02,1,,," "denominator"
import_refused "mfg_pass_rate,2021-02,1,2,,4" "weight"
import_refused "supervision_spot_check_batches,2021-02,,,3,1" "weight"
import_refused "supervision_spot_check_batches,2021-02,1,,3," "numerator"
import_refused "pm25_concentration,2021-02,,,40," "weight"
import_refused "pm25_concentration,2021-02,,3,40,30" "denominator"
# A short row (Excel leaves off trailing empty cells) is read as if the
# missing cells were empty, so it is refused for what it lacks.
import_refused "pm25_concentration,2021-02,,,40" "weight" "required"

# A count counts whole things.
record_refused "--value" -- \
    --indicator supervision_spot_check_batches --period 2021-02 --value 2.5
import_refused "supervision_spot_check_batches,2021-02,,,2.5," "value"

# 8. The same (indicator, period) twice in one file, with different or
# identical figures: the message names the second line and the first.
write_csv dup1.csv "mfg_pass_rate,2021-06,5,10,," "$GOOD1" \
    "mfg_pass_rate,2021-06,6,10,," "$GOOD3"
expect_refused "$BDB" "dup1.csv:4:" "period" "line 2" -- \
    "$NODE" import --db "$BDB" dup1.csv
write_csv dup2.csv "$GOOD1" "supervision_spot_check_batches,2021Q2,,,5," \
    "supervision_spot_check_batches,2021Q2,,,5," "$GOOD3"
expect_refused "$BDB" "dup2.csv:4:" "period" "line 3" -- \
    "$NODE" import --db "$BDB" dup2.csv

# 9. A period beside its own sub-periods, within one file in either order,
# and against what the store already holds in either direction.
write_csv mix1.csv "supervision_spot_check_batches,2022-01,,,5," "$GOOD1" \
    "supervision_spot_check_batches,2022,,,9," "$GOOD3"
expect_refused "$BDB" "mix1.csv:4:" "period" -- \
    "$NODE" import --db "$BDB" mix1.csv
write_csv mix2.csv "supervision_spot_check_batches,2022,,,9," "$GOOD1" \
    "supervision_spot_check_batches,2022-12,,,5," "$GOOD3"
expect_refused "$BDB" "mix2.csv:4:" "period" -- \
    "$NODE" import --db "$BDB" mix2.csv
write_csv mix3.csv "supervision_spot_check_batches,2022Q2,,,9," "$GOOD1" \
    "supervision_spot_check_batches,2022-05,,,5," "$GOOD3"
expect_refused "$BDB" "mix3.csv:4:" "period" -- \
    "$NODE" import --db "$BDB" mix3.csv
record_refused "--period" "2020-03" -- \
    --indicator mfg_pass_rate --period 2020 --num 1 --den 2
record_refused "--period" "2020-03" -- \
    --indicator mfg_pass_rate --period 2020Q1 --num 1 --den 2
record_refused "--period" "2019" -- \
    --indicator industrial_brand_products --period 2019-05 --value 3
record_refused "--period" "2019" -- \
    --indicator industrial_brand_products --period 2019Q4 --value 3
import_refused "mfg_pass_rate,2020,1,2,," "period" "2020-03"
import_refused "industrial_brand_products,2019-05,,,3," "period" "2019"

# 10. Wrong headers, each followed by rows that would otherwise import.
header_refused() {
	local file=$1
	expect_refused "$BDB" "$file:1:" "header" -- \
	    "$NODE" import --db "$BDB" "$file"
}
printf '%s\n%s\n' "indicator,period,numerator,denominater,value,weight" \
    "$GOOD1" >hdr_name.csv
header_refused hdr_name.csv
# Columns in any order, a missing column no row needs and columns of the
# file's own are all read (on a copy: they import).
header_read() {
	local file=$1
	cp "$BDB" hdr.db
	expect_exit 0 -- "$NODE" import --db hdr.db "$file"
	expect_stdout_contains "1 new"
}
printf '%s\n%s\n' "indicator,period,numerator,denominator,value" \
    "sme_quality_training,2021-01,,,3" >hdr_missing.csv
header_read hdr_missing.csv
printf '%s\n%s\n' "$HEADER,note" "$GOOD1,x" >hdr_extra.csv
header_read hdr_extra.csv
printf '%s\n%s\n' "period,indicator,numerator,denominator,value,weight" \
    "2021-01,sme_quality_training,,,3," >hdr_order.csv
header_read hdr_order.csv
# The same column twice cannot be read.
printf '%s\n%s\n' "$HEADER,数值" "$GOOD1,3" >hdr_twice.csv
header_refused hdr_twice.csv
printf '%s\n' "$GOOD1" "$GOOD2" >hdr_none.csv
header_refused hdr_none.csv
: >empty.csv
header_refused empty.csv

# A line break inside a quoted field must neither split the message over
# two lines nor move the line number away from where the row starts.
record_refused "--indicator" -- \
    --indicator "$(printf 'no_such\nindicator')" --period 2021-01 --value 1
printf '%s\n%s\n%s\n"no_such\nindicator",2021-01,,,1,\n%s\n' "$HEADER" \
    "$GOOD1" "$GOOD2" "$GOOD3" >newline.csv
expect_refused "$BDB" "newline.csv:4:" "indicator" -- \
    "$NODE" import --db "$BDB" newline.csv

# After all of that the bad store still holds exactly its three rows.
expect_json "$BDB" 2020 mfg_pass_rate value 80
expect_json "$BDB" 2019 industrial_brand_products value 40
expect_json "$BDB" 2021 sme_quality_training value null

printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]

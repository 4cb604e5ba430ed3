#!/usr/bin/env bash
# A short run of the benchmark harness (bench/), with small sizes: it
# checks that every benchmark still runs and that every figure it measures
# is exact, against the flat reference computed from the counties' raw
# rows and, for the national run, against PostgreSQL's GROUP BY ROLLUP of
# the same rows. tally-bench exits 70 when a figure is not exact. No speed
# is asserted: speed goals live in bench/RESULTS.md.
#
# The ingest run sends 22 counties' submissions at once to a hub with 16
# contexts, more than it can take at a time: the case that once crashed
# the hub's writer.
# Usage: bash tests/bench_smoke.sh BUILD_DIR
set -u
. "$(dirname "$0")/checklib.sh"
cl_init bench_smoke "$1"
top=$(cd "$here/.." && pwd)
gen="$build/bench/tally-gen"
bench="$build/bench/tally-bench"
data=$TALLY_DATA_DIR
pg_dir=
cl_on_exit '[ -z "$pg_dir" ] || "$top/bench/pg.sh" stop "$pg_dir"'

# Runs one benchmark; its table goes to $work/NAME.md and must show that
# it compared figures and found none wrong.
run_bench() { # name, then tally-bench's arguments
  local name=$1
  shift
  "$bench" "$@" --work "$work/$name" >"$work/$name.md" 2>"$work/$name.err"
  local rc=$?
  if [ $rc -ne 0 ]; then
    echo "tally-bench $* exited $rc:" >&2
    tail -20 "$work/$name.err" >&2
    return 1
  fi
  grep -q ', 0 wrong |' "$work/$name.md" &&
    ! grep -E ', [0-9]+ wrong \|' "$work/$name.md" | grep -vq ', 0 wrong |'
}

# The generator: --monthly writes every indicator for every month of
# every county, and the same arguments give the same bytes.
counties=$(awk -F, '$3 == "county" && substr($1, 1, 2) == "11"' "$data/divisions.csv" | wc -l)
indicators=$(($(wc -l <"$data/indicators.csv") - 1))
check "tally-gen --monthly" "$gen" --region 110000 --year 2020 --monthly \
  --flat "$work/bj.csv"
check "monthly rows: $counties counties x $indicators indicators x 12" \
  test "$(($(wc -l <"$work/bj.csv") - 1))" -eq $((counties * indicators * 12))
"$gen" --region 110000 --year 2020 --monthly --flat "$work/bj2.csv" >/dev/null
check "tally-gen is deterministic" cmp -s "$work/bj.csv" "$work/bj2.csv"
"$gen" --region 120000 --year 2020 --monthly --flat "$work/tj.csv" >/dev/null
{
  cat "$work/bj.csv"
  tail -n +2 "$work/tj.csv"
} >"$work/bjtj.csv"
"$gen" --region 130100 --year 2020 --flat "$work/sjz.csv" >/dev/null

check "ingest: 22 counties at once, 2 rounds, exact" \
  run_bench ingest ingest --flat "$work/sjz.csv" --region 130100 --rounds 2
check "ingest: the limit and the footprint are measured" \
  grep -q 'idle county node' "$work/ingest.md"

check "tree: Tianjin in one process, under load, exact" \
  run_bench tree tree --flat "$work/tj.csv" --region 120000 --probes 10 \
  --load 20 --report-runs 5
check "tree: freshness and report latency are measured" \
  grep -q 'report, `GET /api/report`' "$work/tree.md"
check "tree: the report is also measured cold, after a change" \
  grep -q "first after a county.s correction" "$work/tree.md"
# The first view's bytes, compressed fewer than plain (the page and the
# answers go out gzip-compressed to a browser that takes it).
first_view_smaller() {
  local line gz plain
  line=$(grep 'dashboard first view' "$work/tree.md") || return 1
  gz=$(sed 's/.*| \*\*\([0-9]*\)\*\* (\([0-9]*\)) |$/\1/' <<<"$line")
  plain=$(sed 's/.*| \*\*\([0-9]*\)\*\* (\([0-9]*\)) |$/\2/' <<<"$line")
  echo "# first view: $gz bytes compressed, $plain plain"
  [[ $gz =~ ^[0-9]+$ && $plain =~ ^[0-9]+$ ]] && [ "$gz" -gt 0 ] && [ "$gz" -lt "$plain" ]
}
check "tree: the dashboard's first view is measured, compressed" first_view_smaller

check "tree: Tianjin with tally-node run processes, exact" \
  run_bench real tree --flat "$work/tj.csv" --region 120000 --probes 3 \
  --load 5 --report-runs 3 --real-nodes

# The national run against PostgreSQL, started here as the benchmark
# does.
if pg_env=$("$top/bench/pg.sh" start); then
  eval "$pg_env"
  pg_dir=$PG_DIR
  check "national: Beijing and Tianjin against PostgreSQL, exact" \
    run_bench national national --flat "$work/bjtj.csv" --pg "$PG_CONNINFO" \
    --probes 5
  check "national: PostgreSQL's figures were compared" \
    grep -q 'Tally figures checked against PostgreSQL' "$work/national.md"
else
  fail=$((fail + 1))
  echo "FAIL: cannot start PostgreSQL (scripts/install-deps.sh installs it)" >&2
fi

cl_finish

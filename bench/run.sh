#!/usr/bin/env bash
# Runs every benchmark of bench/RESULTS.md at its full size and writes what
# it measured into that file, between the markers `measured:begin` and
# `measured:end` (the notes around them are kept): the machine, its load,
# and for each measurement the exact commands that reproduce it and the
# figures tally-bench printed. Every figure is also checked for exactness
# by tally-bench itself, which stops the run if one is not.
#
# Usage: bench/run.sh [STEP ...]
#   steps: ingest tree real national footprint (default: all of them)
# Environment: BUILD (default build-bench-rel), a Release build without
# sanitizers made here; KEEP=1 keeps the work directory.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build-bench-rel}
steps=("$@")
if [ ${#steps[@]} -eq 0 ]; then
  steps=(ingest tree real national footprint)
fi

"$top/scripts/install-deps.sh"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTALLY_SANITIZE=OFF \
  -DTALLY_WERROR=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

gen="$build/bench/tally-gen"
bench="$build/bench/tally-bench"
# Short: the hubs' ipc:// socket paths must fit in 108 bytes.
work=$(mktemp -d /tmp/tbr.XXXXXX)
out="$work/measured.md"
pg_dir=
cleanup() {
  if [ -n "$pg_dir" ]; then "$top/bench/pg.sh" stop "$pg_dir"; fi
  if [ "${KEEP:-0}" != 1 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
export TALLY_DATA_DIR="$top/configs"

# How a command is written in the results: paths relative to the top of
# the tree, the work directory as $WORK.
show() {
  local line="$*"
  if [ "$TALLY_DATA_DIR" != "$top/configs" ]; then
    line="TALLY_DATA_DIR=$TALLY_DATA_DIR $line"
  fi
  line=${line//$work/\$WORK}
  line=${line//$build/\$BUILD}
  line=${line//$top\//}
  echo "    $line" >>"$out"
}

# Runs a command, shows it, and keeps its output in $work/last.
run() {
  show "$@"
  "$@" >"$work/last" 2>"$work/last.err" || {
    echo "run.sh: failed: $*" >&2
    tail -20 "$work/last.err" >&2
    exit 1
  }
}

# A benchmark: its commands, then what /usr/bin/time says of the whole
# tally-bench process, then its table.
measure() { # title, then tally-bench's arguments
  local title=$1
  shift
  {
    echo
    echo "## $title"
    echo
    echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    echo "Commands (with \$BUILD the build directory and \$WORK a new"
    echo "temporary directory; the data was made as in *Data* above):"
    echo
  } >>"$out"
  show "$bench" "$@"
  /usr/bin/time -f '%e s wall, %U s user, %S s system, %M KiB peak RSS of tally-bench itself' \
    -o "$work/time" "$bench" "$@" >"$work/last" 2>"$work/last.err" || {
    echo "run.sh: failed: $title" >&2
    tail -30 "$work/last.err" >&2
    exit 1
  }
  {
    echo
    echo "Whole run: $(cat "$work/time")."
    echo
    cat "$work/last"
  } >>"$out"
}

# A catalogue for the benchmark only (the shipped one is never changed):
# configs/ with one more city of Hebei, 139800, holding 200 counties
# (138001 to 138200), because no region of the real tree has more than
# 31 children and a hub with 200 children is what is asked for.
make_catalog() { # dir
  mkdir -p "$1"
  cp "$top/configs/indicators.csv" "$top/configs/targets.csv" "$1/"
  {
    head -1 "$top/configs/divisions.csv"
    {
      tail -n +2 "$top/configs/divisions.csv"
      echo "139800,基准测试市,city,130000"
      for i in $(seq 1 200); do
        printf '%d,基准测试县%03d,county,139800\n' $((138000 + i)) "$i"
      done
    } | LC_ALL=C sort -t, -k1,1
  } >"$1/divisions.csv"
}

{
  echo "<!-- measured:begin (written by bench/run.sh; do not edit by hand) -->"
  echo
  echo "## Machine"
  echo
  echo "- $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
  echo "- $(awk '/MemTotal/ {printf "%.1f GiB memory", $2 / 1048576}' /proc/meminfo)"
  echo "- $(uname -sr), $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "- work directory on $(df -T "$work" | awk 'NR == 2 {print $2}') ($(df "$work" | awk 'NR == 2 {print $1}'))"
  echo "- SQLite $(sqlite3 --version | cut -d' ' -f1), NNG $(dpkg-query -W -f='${Version}' libnng1), PostgreSQL $(dpkg-query -W -f='${Version}' postgresql-15 2>/dev/null || echo '?')"
  echo "- commit $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$top" diff --quiet 2>/dev/null || echo ' with local changes'), run $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- load average when the run began: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "## Data"
  echo
  echo "Made with the seeded generator; the same commands give the same bytes."
  echo
} >"$out"

make_catalog "$work/catalog"
show "# the catalogue with a 200-county city: make_catalog in bench/run.sh"
run "$gen" --region 130000 --year 2020 --flat "$work/hebei.csv"
run "$gen" --all --year 2020 --monthly --flat "$work/national.csv"
TALLY_DATA_DIR="$work/catalog" run "$gen" --region 139800 --year 2020 \
  --flat "$work/city200.csv"
echo >>"$out"
echo "Rows: Hebei $(($(wc -l <"$work/hebei.csv") - 1)), the 200-county city $(($(wc -l <"$work/city200.csv") - 1)), the country (every indicator monthly) $(($(wc -l <"$work/national.csv") - 1))." >>"$out"

for step in "${steps[@]}"; do
  case $step in
  ingest)
    TALLY_DATA_DIR="$work/catalog" measure \
      "Hub ingest against the limit: a hub with 200 children" \
      ingest --flat "$work/city200.csv" --region 139800 --rounds 3 \
      --work "$work/ingest200"
    measure "Hub ingest against the limit: Shijiazhuang (22 counties)" \
      ingest --flat "$work/hebei.csv" --region 130100 --rounds 5 \
      --work "$work/ingest22"
    ;;
  tree)
    measure "Freshness and report latency: Hebei (1 + 11 + 167) under load" \
      tree --flat "$work/hebei.csv" --region 130000 --probes 300 \
      --load 50 --report-runs 200 --work "$work/tree"
    ;;
  real)
    measure "Real processes: Hebei with 167 \`tally-node run\` daemons" \
      tree --flat "$work/hebei.csv" --region 130000 --probes 50 --load 10 \
      --report-runs 50 --real-nodes --work "$work/real"
    ;;
  national)
    eval "$("$top/bench/pg.sh" start)"
    pg_dir=$PG_DIR
    measure "National convergence against PostgreSQL" \
      national --flat "$work/national.csv" --pg "$PG_CONNINFO" \
      --workers 16 --probes 20 --work "$work/national"
    "$top/bench/pg.sh" stop "$pg_dir"
    pg_dir=
    ;;
  footprint)
    {
      echo
      echo "## Binary sizes"
      echo
      echo "CMake's Release build (-O3 -DNDEBUG), linked dynamically against Debian's libraries:"
      echo
      echo "| binary | size | stripped | text |"
      echo "| --- | --- | --- | --- |"
    } >>"$out"
    for b in node/tally-node hub/tally-hub; do
      strip -o "$work/stripped" "$build/$b"
      printf '| %s | %s bytes | %s bytes | %s bytes |\n' "$(basename "$b")" \
        "$(stat -c %s "$build/$b")" "$(stat -c %s "$work/stripped")" \
        "$(size "$build/$b" | awk 'NR == 2 {print $1}')" >>"$out"
    done
    ;;
  *)
    echo "run.sh: unknown step '$step'" >&2
    exit 64
    ;;
  esac
done

{
  echo
  echo "Load average when the run ended: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "<!-- measured:end -->"
} >>"$out"

results="$top/bench/RESULTS.md"
if [ -f "$results" ] && grep -q 'measured:begin' "$results"; then
  awk -v f="$out" '
    /measured:begin/ { while ((getline l < f) > 0) print l; skip = 1; next }
    /measured:end/ { skip = 0; next }
    !skip { print }' "$results" >"$work/results.md"
  cp "$work/results.md" "$results"
else
  cp "$out" "$results"
fi
echo "run.sh: wrote $results"

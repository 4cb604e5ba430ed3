#!/usr/bin/env bash
# Runs the envelope fuzzer for a bounded time (TALLY_FUZZ_SECONDS, default
# 60) from a seed corpus made now: it must end without a crash, a leak, a
# timeout or undefined behaviour. Findings are kept in the build directory.
#   run.sh FUZZER MAKE_SEEDS OUTDIR
set -euo pipefail

fuzzer=$1
make_seeds=$2
out=$3
seconds=${TALLY_FUZZ_SECONDS:-60}

rm -rf "$out/keys" "$out/corpus"
mkdir -p "$out/keys" "$out/corpus" "$out/findings"
"$make_seeds" "$out/keys" "$out/corpus"

export TALLY_FUZZ_KEYS="$out/keys/keys.csv"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# -rss_limit_mb bounds memory: the decoder's budget must keep every
# input far below it. -timeout makes a slow input a finding.
status=0
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
  -max_len=65536 -artifact_prefix="$out/findings/" -print_final_stats=1 \
  "$out/corpus" 2>"$out/fuzz.log" || status=$?
tail -n 20 "$out/fuzz.log"
if [ $status -ne 0 ]; then
  echo "fuzz_envelope failed (exit $status); inputs in $out/findings" >&2
  exit 1
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz.log")
echo "fuzz_envelope: $runs inputs in ${seconds} s, no finding"

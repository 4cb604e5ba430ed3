#!/usr/bin/env bash
# The README's test command, and what CI runs: installs what is missing,
# builds with -Werror under AddressSanitizer and UBSan, runs every test with
# CTest, and checks the formatting of every C file against .clang-format.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"

build="$top/build-ci"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Debug \
  -DTALLY_WERROR=ON -DTALLY_SANITIZE=ON >/dev/null
cmake --build "$build" -j"$(nproc)"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
(cd "$build" && ctest --output-on-failure -j2) || status=1

# The envelope fuzzer, in a clang build of its own, for about a minute
# (TALLY_FUZZ_SECONDS): no crash, leak, hang or undefined behaviour.
fuzz="$top/build-fuzz"
if CC=clang cmake -S "$top" -B "$fuzz" -DCMAKE_BUILD_TYPE=Debug \
  -DTALLY_WERROR=ON -DTALLY_SANITIZE=ON -DTALLY_FUZZ=ON >/dev/null &&
  cmake --build "$fuzz" -j"$(nproc)" --target fuzz_envelope make_seeds; then
  (cd "$fuzz" && ctest --output-on-failure -R '^fuzz_') || status=1
else
  status=1
fi

cd "$top"
if ! git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror; then
  echo "formatting differs from .clang-format (run: clang-format -i FILE)" >&2
  status=1
fi
exit $status

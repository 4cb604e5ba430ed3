#!/usr/bin/env bash
# The README's test command, and what CI runs: installs what is missing,
# builds with -Werror under AddressSanitizer and UBSan, runs every test with
# CTest, builds again as Release (-O2, whose optimiser finds warnings a
# Debug build does not) with -Werror, and checks the formatting of every C
# file against .clang-format.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"

# ccache, where there is one, makes the builds after the first quick.
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

build="$top/build-ci"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Debug \
  -DTALLY_WERROR=ON -DTALLY_SANITIZE=ON "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
(cd "$build" && ctest --output-on-failure -j2) || status=1

# The Release build: built only (the tests ran on the Debug build above).
release="$top/build-release"
if ! { cmake -S "$top" -B "$release" -DCMAKE_BUILD_TYPE=Release \
  -DTALLY_WERROR=ON "${launcher[@]}" >/dev/null &&
  cmake --build "$release" -j"$(nproc)" >"$release/build.log" 2>&1; }; then
  grep -E -B2 -A6 'error|warning' "$release/build.log" >&2 || tail -30 "$release/build.log" >&2
  echo "the Release build failed (-O2 -Werror; the whole log: $release/build.log)" >&2
  status=1
fi

# The envelope fuzzer, in a clang build of its own, for about a minute
# (TALLY_FUZZ_SECONDS): no crash, leak, hang or undefined behaviour.
fuzz="$top/build-fuzz"
if CC=clang cmake -S "$top" -B "$fuzz" -DCMAKE_BUILD_TYPE=Debug \
  -DTALLY_WERROR=ON -DTALLY_SANITIZE=ON -DTALLY_FUZZ=ON "${launcher[@]}" >/dev/null &&
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

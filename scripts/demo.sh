#!/usr/bin/env bash
# The README's main command: installs what is missing, builds Tally, and
# runs the demo. For now the demo is one county node (长安区, 130102): it is
# initialised in a temporary directory, loaded with the sample data for 2020
# and asked for its figures for the year and for the first quarter.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTALLY_WERROR=OFF -DTALLY_SANITIZE=OFF >/dev/null
cmake --build "$top/build" -j"$(nproc)" >/dev/null

export TALLY_DATA_DIR="$top/configs"
node="$top/build/node/tally-node"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$node" init --db "$work/county.db" --region 130102
"$node" import --db "$work/county.db" "$top/configs/samples/county-130102-2020.csv"
echo
"$node" show --db "$work/county.db" --period 2020
echo
"$node" show --db "$work/county.db" --period 2020Q1 --indicator mfg_pass_rate

#!/usr/bin/env bash
# The dashboard in a real browser. A live tree (Hebei's province hub with
# its dashboard, its 11 city hubs and its 167 counties, loaded by real
# tally-node pushes; `api_test.py serve`) serves the page, and headless
# Chromium (Debian's `chromium`) renders it for several views: the
# province with an indicator opened, a city in English, a county, and a
# year only one city has reported. The DOM Chromium dumps after the page's
# script has run is held to the API and to the flat computation over the
# raw rows (`api_test.py check-dom`): every indicator's value, status,
# target, gap and completeness, each child's figure, the trend's points
# and target line, and the explanation's bars. Screenshots are saved in
# BUILD_DIR/tests/artifacts/ and their paths printed. Without Chromium the
# test fails: CI installs it with scripts/install-deps.sh.
#
# Usage: bash tests/browser.sh BUILD_DIR
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 64
fi
build=$(cd "$1" && pwd) || exit 64
here=$(cd "$(dirname "$0")" && pwd)
export TALLY_DATA_DIR=${TALLY_DATA_DIR:-$here/../configs}
python=$(python3 -c 'import sys; print(sys.executable)') || exit 1
artifacts=$build/tests/artifacts
work=$(mktemp -d)
serve_pid=
passed=0
failed=0
started=$(date +%s)

cleanup() {
	if [ -n "$serve_pid" ]; then
		kill -TERM "$serve_pid" 2>/dev/null
		wait "$serve_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() {
	passed=$((passed + 1))
	echo "ok - $*"
}

not_ok() {
	failed=$((failed + 1))
	echo "FAIL - $*"
}

finish() {
	if [ $failed -gt 0 ] && [ -f "$work/serve.log" ]; then
		echo "--- api_test.py serve (last 40 lines)"
		tail -40 "$work/serve.log"
	fi
	echo "# $(($(date +%s) - started)) s"
	echo "$passed passed, $failed failed"
	[ $failed -eq 0 ] && exit 0
	exit 1
}

chromium=$(command -v chromium || true)
if [ -z "$chromium" ]; then
	not_ok "chromium is not installed (scripts/install-deps.sh installs it)"
	finish
fi
ok "chromium: $("$chromium" --version 2>/dev/null | head -1)"

# chrome ARGS... URL: one headless run with a profile of its own, so that
# runs never share state; bounded, as a browser can hang.
chrome() {
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
		--disable-dev-shm-usage --no-first-run --disable-extensions \
		--hide-scrollbars --user-data-dir="$work/profile" \
		--virtual-time-budget=30000 "$@" 2>>"$work/chromium.log"
}

# ------------------------------------------------------------- the tree
mkdir -p "$work/tree" "$artifacts"
"$python" "$here/api_test.py" serve "$build" --work "$work/tree" >"$work/serve.log" 2>&1 &
serve_pid=$!
# Loading 167 counties under the sanitizers takes a minute or two; the
# bound only keeps a broken tree from hanging the test.
end=$((SECONDS + 500))
while [ ! -s "$work/tree/ready" ]; do
	if ! kill -0 "$serve_pid" 2>/dev/null || [ $SECONDS -ge $end ]; then
		not_ok "the tree did not come up"
		finish
	fi
	sleep 0.05
done
url=$(head -1 "$work/tree/ready")
ok "a live tree serves the dashboard at $url"

# ----------------------------------------------------------- the views
city=131100
county=$(awk -F, -v c=$city '$4 == c { print $1; exit }' "$TALLY_DATA_DIR/divisions.csv")
views=(
	"indicator=mfg_pass_rate"
	"region=$city&indicator=mfg_pass_rate&lang=en"
	"region=$county&indicator=pm25_concentration&grain=quarter"
	"period=2013&indicator=mfg_competitiveness_index&grain=month"
)
names=(province city county older-year)

for i in "${!views[@]}"; do
	view=${views[$i]}
	dom=$artifacts/dashboard-${names[$i]}.html
	# The page sets data-ready once every request of the view has been
	# answered; a dump taken before that is a load race, not a result,
	# and is taken again.
	for _ in 1 2 3; do
		chrome --dump-dom "$url#$view" >"$dom"
		grep -q 'data-ready="1"' "$dom" && break
	done
	if ! grep -q 'data-ready="1"' "$dom"; then
		not_ok "${names[$i]}: the page did not finish rendering #$view"
		continue
	fi
	if "$python" "$here/api_test.py" check-dom --work "$work/tree" --view "$view" "$dom" \
		>"$work/check.out" 2>&1; then
		ok "${names[$i]} (#$view): the rendered DOM shows the right figures ($(tail -1 "$work/check.out"))"
	else
		not_ok "${names[$i]} (#$view): the rendered DOM differs"
		grep -v '^ok' "$work/check.out"
	fi
done

# --------------------------------------------------------- screenshots
shot() { # NAME VIEW HEIGHT
	local png=$artifacts/$1.png
	rm -f "$png"
	chrome --window-size=1280,"$3" --screenshot="$png" "$url#$2" >/dev/null
	if [ -s "$png" ] && [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" == "89504e470d0a1a0a" ]; then
		ok "screenshot saved: $png"
	else
		not_ok "no screenshot of #$2"
	fi
}
shot dashboard "indicator=mfg_pass_rate" 1800
shot dashboard-city "region=$city&indicator=mfg_pass_rate&lang=en" 1400

if [ $failed -gt 0 ]; then
	echo "--- chromium (last 10 lines)"
	tail -10 "$work/chromium.log"
fi
echo "# screenshot: $artifacts/dashboard.png"
finish

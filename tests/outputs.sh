#!/usr/bin/env bash
# What leaves the screen: the Excel workbook, the CSV with a
# byte order mark and the briefing PDF, from the CLI and from the
# dashboard, held to the report's JSON document.
#
# Real processes on real SQLite files (tests/faultlib.sh): the city hub of
# Hengshui (131100) with its dashboard and a deployment's targets file,
# and its 11 counties, each a real tally-node store loaded with a
# generated year and pushed; one county leaves out one indicator, so that
# the chase list has a name. Then:
#   - `report --format xlsx` read back by openpyxl (Debian's, under
#     /usr/bin/python3): every figure of the JSON report is a number cell
#     equal to it, with the indicator's Chinese and English names and
#     unit; every target, status and gap; the chase list; who issued it;
#   - `report --format csv --bom` starts with the UTF-8 byte order mark,
#     plain --format csv does not, and both carry the same rows;
#   - `brief` makes a PDF that pdfinfo calls A4 with at most two pages,
#     whose text (pdftotext) holds the headline counts, every off-track
#     indicator with its value, gap and worst drag, the chase list, the
#     date in Beijing time and the issuing hub's code and instance, all
#     computed again from the JSON report and explanations; with a target
#     missed for every indicator it still fits two pages, saying how
#     many items it left out; page 1 is kept as a PNG (pdftoppm) beside
#     the screenshots in BUILD_DIR/tests/artifacts/;
#   - the dashboard serves the same three files (/api/report.csv with the
#     BOM, /api/report.xlsx, /api/brief.pdf) with the right types and
#     names, refuses bad parameters with 400, and the page rendered by
#     headless Chromium links to them for the view shown;
#   - bad usage is one line and exit 64; the hub stops cleanly and no log
#     holds a sanitizer report.
# The last line is "N passed, N failed".
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 64
fi
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/faultlib.sh
. "$here/faultlib.sh"
fl_init "$1" outputs

# Debian's python3-openpyxl loads only under Debian's interpreter.
dpy=/usr/bin/python3
check_py() { "$dpy" "$here/outputs_check.py" "$@"; }
artifacts=$build/tests/artifacts
mkdir -p "$artifacts"

city=131100
province=$city
period=2020
dropped=food_spot_check_pass_rate
counties=$(counties_of $city)
late=$(echo "$counties" | tail -1)

# A deployment's targets for the city: some surely missed (a pass rate of
# 99.9%, PM2.5 at most 5), some surely met, one left incomplete by the
# county that does not report it.
cat >"$work/targets.csv" <<EOF
region_code,region_name,indicator_id,period,op,value,scope,baseline_period,source
$city,衡水市,mfg_pass_rate,$period,>=,99.9,total,,test
$city,衡水市,pm25_concentration,$period,<=,5,total,,test
$city,衡水市,agri_pass_rate,$period,>=,10,total,,test
$city,衡水市,$dropped,$period,>=,50,total,,test
$city,衡水市,supervision_spot_check_batches,$period,>=,1,total,,test
EOF
# Every indicator missed: far past any generated figure in its direction.
awk -F, -v c=$city -v p=$period 'NR == 1 { print "region_code,region_name,indicator_id,period,op,value,scope,baseline_period,source"; next }
	{ print c ",衡水市," $1 "," p "," ($7 == "higher" ? ">=,1000000000" : "<=,-1") ",total,,test" }' \
	"$TALLY_DATA_DIR/indicators.csv" >"$work/targets-all.csv"

section "the city hub and its counties"
hub_extra[$city]="--http 127.0.0.1:0 --targets $work/targets.csv"
start_hub $city || finish
dash=$(sed -n 2p "$work/sock/$city.ready")
check "the dashboard's URL is on the ready file" "${dash%%:*}" http
gen_year $period
for c in $counties; do
	if [ "$c" == "$late" ]; then
		awk -F, -v d=$dropped '$1 != d' "$work/gen-$period/$c.csv" >"$work/out/part.csv" &&
			mv "$work/out/part.csv" "$work/gen-$period/$c.csv"
	fi
	add_county "$c" $period || not_ok "add $c"
	push "$c" || not_ok "push $c"
done
ok "$(echo "$counties" | wc -w) counties pushed to $city"

rep=$work/out/report.json
report $city $period "$rep" --depth 1 --targets "$work/targets.csv"
check "the report has the city and its counties" \
	"$("$python" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["regions"]))' "$rep")" \
	$(($(echo "$counties" | wc -w) + 1))
check "$dropped: $late is missing" "$(field "$rep" $city $dropped reporting)" \
	$(($(echo "$counties" | wc -w) - 1))
instance=$(instance_of "$work/db/$city.db")

# explains DIR REPORT: each indicator's explanation of the city.
explains() {
	local dir=$1 ind
	mkdir -p "$dir"
	for ind in $("$python" -c 'import json,sys
for f in json.load(open(sys.argv[1]))["regions"][0]["indicators"]: print(f["id"])' "$2"); do
		"$hub" report --db "$work/db/$city.db" --period $period --explain \
			--indicator "$ind" --format json >"$dir/$ind.json" 2>>"$work/log/report.log"
	done
}
explains "$work/out/explain" "$rep"

section "xlsx from the CLI"
"$hub" report --db "$work/db/$city.db" --period $period --depth 1 \
	--targets "$work/targets.csv" --format xlsx --out "$work/out/report.xlsx" \
	2>>"$work/log/report.log"
check "report --format xlsx exits 0" $? 0
if check_py xlsx --report "$rep" --xlsx "$work/out/report.xlsx" \
	--indicators "$TALLY_DATA_DIR/indicators.csv" --hub $city --instance "$instance" \
	>"$work/out/xlsx.out" 2>&1; then
	ok "the workbook equals the JSON report ($(tail -1 "$work/out/xlsx.out"))"
else
	not_ok "the workbook differs from the JSON report"
	cat "$work/out/xlsx.out"
fi
check "no partial file is left beside the workbook" \
	"$(find "$work/out" -name '*.partial-*' | wc -l)" 0

section "CSV with and without a byte order mark"
"$hub" report --db "$work/db/$city.db" --period $period --depth 1 \
	--targets "$work/targets.csv" --format csv --bom >"$work/out/bom.csv" 2>>"$work/log/report.log"
"$hub" report --db "$work/db/$city.db" --period $period --depth 1 \
	--targets "$work/targets.csv" --format csv >"$work/out/plain.csv" 2>>"$work/log/report.log"
check "--bom: the CSV starts with EF BB BF" "$(head -c 3 "$work/out/bom.csv" | od -An -tx1 | tr -d ' ')" efbbbf
check "without --bom: the CSV starts with its header" "$(head -c 7 "$work/out/plain.csv")" "period,"
check "--bom changes nothing else" "$(tail -c +4 "$work/out/bom.csv" | cmp - "$work/out/plain.csv" && echo same)" same

section "the briefing from the CLI"
brief_check() { # LABEL PDF ARGS...
	local label=$1 pdf=$2 txt=${2%.pdf}.txt
	shift 2
	if ! pdfinfo "$pdf" >"$pdf.info" 2>&1; then
		not_ok "$label: pdfinfo cannot read it"
		return 1
	fi
	check "$label: A4" "$(sed -n 's/^Page size: *.*(\(.*\))$/\1/p' "$pdf.info")" A4
	check_true "$label: at most two pages ($(sed -n 's/^Pages: *//p' "$pdf.info"))" \
		test "$(sed -n 's/^Pages: *//p' "$pdf.info")" -le 2
	pdftotext -enc UTF-8 "$pdf" "$txt"
	if check_py pdf --text "$txt" --indicators "$TALLY_DATA_DIR/indicators.csv" \
		--hub $city --instance "$instance" "$@" >"$pdf.out" 2>&1; then
		ok "$label: its text says what the report says ($(tail -1 "$pdf.out"))"
	else
		not_ok "$label: its text differs from the report"
		cat "$pdf.out"
	fi
}
"$hub" brief --db "$work/db/$city.db" --period $period --targets "$work/targets.csv" \
	--out "$work/out/brief.pdf" 2>>"$work/log/report.log"
check "brief exits 0" $? 0
brief_check "brief" "$work/out/brief.pdf" --report "$rep" --explain "$work/out/explain" \
	--chase-name "$(awk -F, -v c="$late" '$1 == c { print $2 }' "$TALLY_DATA_DIR/divisions.csv")"
pdftoppm -png -r 70 -f 1 -l 1 -singlefile "$work/out/brief.pdf" "$artifacts/brief-page1" &&
	ok "page 1 of the briefing saved: $artifacts/brief-page1.png"

rep_all=$work/out/report-all.json
report $city $period "$rep_all" --depth 1 --targets "$work/targets-all.csv"
"$hub" brief --db "$work/db/$city.db" --period $period --targets "$work/targets-all.csv" \
	--out "$work/out/brief-all.pdf" 2>>"$work/log/report.log"
check "brief with every indicator missed exits 0" $? 0
brief_check "every indicator missed" "$work/out/brief-all.pdf" --report "$rep_all" \
	--explain "$work/out/explain" --expect-summary
pdftoppm -png -r 70 -f 2 -l 2 -singlefile "$work/out/brief-all.pdf" "$artifacts/brief-full-page2" &&
	ok "page 2 of the full briefing saved: $artifacts/brief-full-page2.png"

section "bad usage"
"$hub" brief --db "$work/db/$city.db" --period $period 2>"$work/out/err"
check "brief without --out: exit 64" $? 64
check "  in one line" "$(wc -l <"$work/out/err")" 1
"$hub" report --db "$work/db/$city.db" --period $period --format xlsx 2>"$work/out/err"
check "report --format xlsx without --out: exit 64" $? 64
"$hub" report --db "$work/db/$city.db" --period $period --bom 2>"$work/out/err"
check "--bom without --format csv: exit 64" $? 64
"$hub" brief --db "$work/db/$city.db" --period 2020 --region 130100 \
	--out "$work/out/no.pdf" 2>"$work/out/err"
check "brief of a region the hub does not hold: exit 65" $? 65
check "  and no file" "$(find "$work/out" -name 'no.pdf*' | wc -l)" 0

section "the dashboard's downloads"
# get PATH FILE: the body to FILE, the headers to FILE.h; prints the status.
get() {
	curl -s -o "$2" -D "$2.h" -w '%{http_code}' "${dash%/}$1"
}
header() { # FILE NAME
	sed -n "s/^$2: *//Ip" "$1.h" | tr -d '\r'
}
check "GET /api/report.csv: 200" "$(get "/api/report.csv?period=$period" "$work/out/d.csv")" 200
check "  text/csv" "$(header "$work/out/d.csv" content-type)" "text/csv; charset=utf-8"
check "  as an attachment named for the region and period" \
	"$(header "$work/out/d.csv" content-disposition)" "attachment; filename=\"tally-$city-$period.csv\""
check "  starts with the byte order mark" "$(head -c 3 "$work/out/d.csv" | od -An -tx1 | tr -d ' ')" efbbbf
check "  the CLI's CSV after it" "$(tail -c +4 "$work/out/d.csv" | cmp - "$work/out/plain.csv" && echo same)" same
check "GET /api/report.xlsx: 200" "$(get "/api/report.xlsx?period=$period&depth=1" "$work/out/d.xlsx")" 200
check "  the xlsx type" "$(header "$work/out/d.xlsx" content-type)" \
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
if check_py xlsx --report "$rep" --xlsx "$work/out/d.xlsx" \
	--indicators "$TALLY_DATA_DIR/indicators.csv" --hub $city --instance "$instance" \
	>"$work/out/dx.out" 2>&1; then
	ok "  the downloaded workbook equals the JSON report ($(tail -1 "$work/out/dx.out"))"
else
	not_ok "  the downloaded workbook differs from the JSON report"
	cat "$work/out/dx.out"
fi
check "GET /api/brief.pdf: 200" "$(get "/api/brief.pdf?period=$period" "$work/out/d.pdf")" 200
check "  application/pdf" "$(header "$work/out/d.pdf" content-type)" application/pdf
brief_check "the downloaded briefing" "$work/out/d.pdf" --report "$rep" --explain "$work/out/explain"
check "GET /api/brief.pdf without a period: 400" "$(get "/api/brief.pdf" "$work/out/e")" 400
check "GET /api/brief.pdf?period=2020&x=1: 400" "$(get "/api/brief.pdf?period=2020&x=1" "$work/out/e")" 400
check "GET /api/report.xlsx?period=bad: 400" "$(get "/api/report.xlsx?period=bad" "$work/out/e")" 400
check "GET /api/report.csv of a region not held: 404" \
	"$(get "/api/report.csv?period=$period&region=130100" "$work/out/e")" 404

section "the page's download links in headless Chromium"
chromium=$(command -v chromium || true)
if [ -z "$chromium" ]; then
	not_ok "chromium is not installed (scripts/install-deps.sh installs it)"
else
	chrome() {
		timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
			--disable-dev-shm-usage --no-first-run --disable-extensions \
			--hide-scrollbars --user-data-dir="$work/profile" \
			--virtual-time-budget=30000 "$@" 2>>"$work/log/chromium.txt"
	}
	county1=$(echo "$counties" | head -1)
	view="period=$period&region=$county1"
	for _ in 1 2 3; do
		chrome --dump-dom "$dash#$view" >"$work/out/page.html"
		grep -q 'data-ready="1"' "$work/out/page.html" && break
	done
	check_true "the page finished rendering #$view" grep -q 'data-ready="1"' "$work/out/page.html"
	for kind in csv xlsx pdf; do
		case $kind in
		pdf) want="/api/brief.pdf?period=$period&amp;region=$county1" ;;
		*) want="/api/report.$kind?period=$period&amp;region=$county1&amp;depth=1" ;;
		esac
		check_true "the page links to $want" grep -qF "href=\"$want\"" "$work/out/page.html"
	done
	# As of a time, the figures downloaded are those the page shows.
	view="period=$period&region=$county1&as_of=2030-01-01"
	for _ in 1 2 3; do
		chrome --dump-dom "$dash#$view" >"$work/out/page-asof.html"
		grep -q 'data-ready="1"' "$work/out/page-asof.html" && break
	done
	check_true "the page finished rendering #$view" grep -q 'data-ready="1"' "$work/out/page-asof.html"
	for kind in csv xlsx; do
		want="/api/report.$kind?period=$period&amp;region=$county1&amp;depth=1&amp;as_of=2030-01-01"
		check_true "the page links to $want" grep -qF "href=\"$want\"" "$work/out/page-asof.html"
	done
	check "the county's briefing the page links to: 200" \
		"$(get "/api/brief.pdf?period=$period&region=$county1" "$work/out/c.pdf")" 200
	check_true "  and it is a PDF" pdfinfo "$work/out/c.pdf"
	rm -f "$artifacts/dashboard-downloads.png"
	chrome --window-size=1280,900 --screenshot="$artifacts/dashboard-downloads.png" \
		"$dash#period=$period" >/dev/null
	check_true "screenshot saved: $artifacts/dashboard-downloads.png" \
		test -s "$artifacts/dashboard-downloads.png"
fi

final_stops $city
finish

#!/usr/bin/env bash
#
# County intake: `tally-node import` of files as a county office
# has them, `template` and `indicators`. Real tally-node processes on real
# SQLite stores in a temporary directory; the files are made the way Excel
# on Chinese Windows saves them (GBK with CRLF, UTF-8 with a byte-order
# mark) and by openpyxl (an .xlsx with date, number and text cells). What
# an import stored is read back from the store's observation table with
# sqlite3; a refused file must leave `sqlite3 .dump` unchanged.
#
# Usage: bash tests/intake.sh BUILD_DIR

set -u
. "$(dirname "$0")/faultlib.sh"
fl_init "$1" intake
# Debian's python3-openpyxl loads only under the system interpreter.
PY=/usr/bin/python3
cd "$work" || exit 1

# run CODE NAME CMD...: runs CMD, keeps its output in out/NAME.{out,err}
# and checks its exit status.
run() {
	local want=$1 name=$2
	shift 2
	"$@" >"out/$name.out" 2>"out/$name.err"
	local rc=$?
	cat "out/$name.err" >>log/commands.log
	if [ "$rc" -eq "$want" ]; then
		ok "$name: exit $want"
	else
		not_ok "$name: exit $rc, expected $want: $(head -c 800 "out/$name.err")"
	fi
}

# has NAME STREAM TEXT: out/NAME.STREAM holds TEXT.
has() {
	if grep -qF -- "$3" "out/$1.$2"; then
		ok "$1: $2 says '$3'"
	else
		not_ok "$1: $2 lacks '$3': $(head -c 1500 "out/$1.$2")"
	fi
}

lacks() {
	if grep -qF -- "$3" "out/$1.$2"; then
		not_ok "$1: $2 should not say '$3': $(head -c 800 "out/$1.$2")"
	else
		ok "$1: $2 does not say '$3'"
	fi
}

# rows DB: the stored observations, one line each, figures as %g (the
# store keeps 0 in the fields an indicator's kind does not use).
rows() {
	sqlite3 -separator ' ' "$1" "SELECT indicator, period,
	    printf('%g', num), printf('%g', den), printf('%g', value),
	    printf('%g', weight)
	    FROM observation ORDER BY indicator, first_month, period"
}

# expect_rows NAME DB LINE...: the store holds exactly these rows.
expect_rows() {
	local name=$1 db=$2
	shift 2
	printf '%s\n' "$@" >"out/$name.want"
	rows "$db" >"out/$name.rows"
	if cmp -s "out/$name.want" "out/$name.rows"; then
		ok "$name: stored exactly"
	else
		not_ok "$name: stored rows differ: $(diff "out/$name.want" "out/$name.rows" | head -20 | tr '\n' '|')"
	fi
}

new_store() {
	rm -f "$1" "$1-wal" "$1-shm"
	"$node" init --db "$1" --region 130123 >/dev/null || not_ok "init $1"
}

# crlf_gbk IN OUT: IN (UTF-8, LF) as Excel on Chinese Windows saves CSV.
crlf_gbk() {
	sed 's/$/\r/' "$1" | iconv -f UTF-8 -t GBK >"$2"
}

section "GBK with CRLF, Chinese headers and names, as Excel saves it"
new_store gbk.db
cat >gbk.utf8 <<'CSV'
正定县质量强县指标 2020年
指标,期间,分子,分母,数值,权重,备注
制造业产品质量合格率,2020年3月,"1,210","1,300",,,监督抽查
制造业产品质量合格率,2020/4/1, 1250 ,"1,320"
,,,,,,
农产品质量安全监测合格率,2020-5,95,100,,,
产品质量监督抽查批次,2020年第二季度,,,"1,024",,
工业类名牌产品,2020年,,,12,,
PM2.5年均浓度,2020Q1,,,41.5,"2,160",
填表人：张三,,,,,,
CSV
crlf_gbk gbk.utf8 gbk.csv
check_true "gbk.csv is not UTF-8" sh -c '! iconv -f UTF-8 -t UTF-8 gbk.csv >/dev/null 2>&1'
run 0 gbk "$node" import --db gbk.db gbk.csv
has gbk out "6 new"
expect_rows gbk gbk.db \
    "agri_pass_rate 2020-05 95 100 0 0" \
    "industrial_brand_products 2020 0 0 12 0" \
    "mfg_pass_rate 2020-03 1210 1300 0 0" \
    "mfg_pass_rate 2020-04 1250 1320 0 0" \
    "pm25_concentration 2020Q1 0 0 41.5 2160" \
    "supervision_spot_check_batches 2020Q2 0 0 1024 0"
dump_before=$(sqlite3 gbk.db .dump)
# Read as UTF-8 by force, the same file is refused, and says why.
run 65 gbk_forced "$node" import --db gbk.db --encoding utf-8 gbk.csv
has gbk_forced err "not valid UTF-8"
has gbk_forced err "--encoding gbk"
check "gbk_forced: store unchanged" "$(sqlite3 gbk.db .dump)" "$dump_before"
# Forced GBK reads it the same: all six unchanged.
run 0 gbk_again "$node" import --db gbk.db --encoding gbk gbk.csv
has gbk_again out "0 new, 0 corrected, 6 unchanged"

section "UTF-8 with a byte-order mark, English headers in another order"
new_store bom.db
{
printf '\xef\xbb\xbf'
printf '%s\r\n' "period,value,indicator,weight,numerator,denominator" \
    "2020-3,,mfg_pass_rate,,90,100" \
    "2020q1,\"3,000\",supervision_spot_check_batches,,," \
    "2020-04-01,80,mfg_competitiveness_index,12.5,,"
} >bom.csv
run 0 bom "$node" import --db bom.db bom.csv
has bom out "3 new"
expect_rows bom bom.db \
    "mfg_competitiveness_index 2020-04 0 0 80 12.5" \
    "mfg_pass_rate 2020-03 90 100 0 0" \
    "supervision_spot_check_batches 2020Q1 0 0 3000 0"

section "an .xlsx from openpyxl: date, number, percentage and text cells"
new_store xlsx.db
"$PY" - <<'PYEOF' || not_ok "openpyxl could not write own.xlsx"
import datetime, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "2020年报表"
ws.append(["正定县 2020年 质量指标"])
ws.append(["指标", "期间", "分子", "分母", "数值", "权重"])
ws.append(["制造业产品质量合格率", datetime.datetime(2020, 4, 1), 1210, 1300])
ws["B3"].number_format = "yyyy/m/d"
ws.append(["mfg_pass_rate", datetime.datetime(2020, 5, 1), "1,215", "1,301"])
ws["B4"].number_format = "yyyy\"年\"m\"月\""
ws.append(["agri_pass_rate", "2020年6月", 97.5, 100.0])
ws.append(["agri_pass_rate", "2020年7月", 0.1 + 0.2, 1])  # 0.30000000000000004
ws.append([])
ws.append(["工业类名牌产品", "2020年第2季度", None, None, 14])
ws.append(["PM2.5年均浓度", 2020, None, None, 38.25, 2190])
ws.append(["supervision_spot_check_batches", datetime.datetime(2020, 7, 1), None, None, "1,234"])
ws["B10"].number_format = "mm-dd-yy"  # built-in format 14
wb.create_sheet("说明").append(["notes: ignored"])
wb.save("own.xlsx")
PYEOF
run 0 xlsx "$node" import --db xlsx.db own.xlsx
has xlsx out "7 new"
expect_rows xlsx xlsx.db \
    "agri_pass_rate 2020-06 97.5 100 0 0" \
    "agri_pass_rate 2020-07 0.3 1 0 0" \
    "industrial_brand_products 2020Q2 0 0 14 0" \
    "mfg_pass_rate 2020-04 1210 1300 0 0" \
    "mfg_pass_rate 2020-05 1215 1301 0 0" \
    "pm25_concentration 2020 0 0 38.25 2190" \
    "supervision_spot_check_batches 2020-07 0 0 1234 0"
# Decided by content, not by name: the workbook named .csv is still one.
cp own.xlsx looks_like.csv
run 0 xlsx_named_csv "$node" import --db xlsx.db looks_like.csv
has xlsx_named_csv out "0 new, 0 corrected, 7 unchanged"

# A workbook as other programs write it: inline strings, no styles, no
# shared strings, cells without references, the 1904 date system; made
# part by part with Python's zipfile.
"$PY" - <<'PYEOF' || not_ok "could not write inline.xlsx"
import zipfile
ct = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      '<Default Extension="xml" ContentType="application/xml"/></Types>')
wb = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr date1904="1"/>'
      '<sheets><sheet name="数据" sheetId="1" r:id="rId7"/></sheets></workbook>')
rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/data.xml"/>'
        '</Relationships>')
def istr(t):
    return '<c t="inlineStr"><is><t>%s</t></is></c>' % t
sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
         '<row>' + istr("指标") + istr("期间") + istr("分子") + istr("分母") + '</row>'
         '<row>' + istr("制造业产品质量合格率") + istr("2020年8月") + '<c><v>77</v></c><c><v>80</v></c></row>'
         '<row r="5"><c r="B5" t="inlineStr"><is><r><t>2020年</t></r><r><t>9月</t></r></is></c>'
         '<c r="A5" t="inlineStr"><is><t>mfg_pass_rate</t></is></c><c r="C5"><v>1</v></c><c r="D5"><v>2</v></c></row>'
         '</sheetData></worksheet>')
with zipfile.ZipFile("inline.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", ct)
    z.writestr("xl/workbook.xml", wb)
    z.writestr("xl/_rels/workbook.xml.rels", rels)
    z.writestr("xl/worksheets/data.xml", sheet)
# A damaged number cell: its text, never the number its first digits make.
junk = sheet.replace('<c><v>77</v></c>', '<c><v>77abc</v></c>')
with zipfile.ZipFile("junk.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", ct)
    z.writestr("xl/workbook.xml", wb)
    z.writestr("xl/_rels/workbook.xml.rels", rels)
    z.writestr("xl/worksheets/data.xml", junk)
with zipfile.ZipFile("notxlsx.xlsx", "w") as z:
    z.writestr("readme.txt", "a zip, not a workbook")
PYEOF
new_store inline.db
run 0 inline "$node" import --db inline.db inline.xlsx
expect_rows inline inline.db \
    "mfg_pass_rate 2020-08 77 80 0 0" \
    "mfg_pass_rate 2020-09 1 2 0 0"
before=$(sqlite3 inline.db .dump)
run 65 junk "$node" import --db inline.db junk.xlsx
has junk err "junk.xlsx:2: field numerator: '77abc'"
check "junk: store unchanged" "$(sqlite3 inline.db .dump)" "$before"
run 65 notxlsx "$node" import --db inline.db notxlsx.xlsx
has notxlsx err "not an .xlsx workbook"

section "a bad file: every problem in one run, nothing imported"
new_store bad.db
"$node" record --db bad.db --indicator mfg_pass_rate --period 2020-01 \
    --num 9 --den 10 >/dev/null
cat >bad.utf8 <<'CSV'
指标,期间,分子,分母,数值,权重
制造业产品质量合格率,2020年3月,"1,210","1,300",,
mfg_pass_rat,2020-04,5,10,,
制造业产品质量合格律,2020-04,5,10,,
mfg_pass_rate,2020-05,93.4%,,,
产品质量监督抽查批次,2020-05,,,93.4%,
mfg_pass_rate,2020/4/15,5,10,,
mfg_pass_rate,2020-13,5,10,,
mfg_pass_rate,2020-06,"1,21",10,,
mfg_pass_rate,2020年3月,1,2,,
mfg_pass_rate,2020-07,,,93.4,
mfg_pass_rate,2020,1,2,,
CSV
crlf_gbk bad.utf8 bad.csv
before=$(sqlite3 bad.db .dump)
run 65 bad "$node" import --db bad.db bad.csv
has bad err "bad.csv:3: field indicator: unknown indicator 'mfg_pass_rat'; did you mean 'mfg_pass_rate'"
has bad err "bad.csv:4: field indicator: unknown indicator '制造业产品质量合格律'; did you mean 'mfg_pass_rate' (制造业产品质量合格率)?"
has bad err "bad.csv:5: field numerator: '93.4%' is a percentage; this indicator pools counts: enter passed batches as the numerator and sampled batches"
has bad err "bad.csv:6: field value: '93.4%' is a percentage; enter a plain number (batches)"
has bad err "bad.csv:7: field period: '2020/4/15' is a day, not a month"
has bad err "bad.csv:8: field period: '2020-13' is not a valid period"
has bad err "bad.csv:9: field numerator: '1,21' is not a finite number"
has bad err "bad.csv:10: field period: mfg_pass_rate 2020-03 already given on line 2"
has bad err "bad.csv:11: field value: '93.4' must be empty for ratio indicator 'mfg_pass_rate'; this indicator pools counts"
has bad err "bad.csv:12: field period: 2020 overlaps 2020-01"
has bad err "import: 10 problems in bad.csv; nothing imported"
check "bad: one line per problem and the summary" "$(wc -l <out/bad.err)" 11
check "bad: store unchanged (sqlite3 .dump)" "$(sqlite3 bad.db .dump)" "$before"

# The same mistakes in a workbook: a percentage cell where the counts go,
# a date cell on the 15th, a misspelt Chinese name; reported with the
# rows Excel shows.
"$PY" - <<'PYEOF' || not_ok "openpyxl could not write bad.xlsx"
import datetime, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.append(["指标", "期间", "分子", "分母", "数值", "权重"])
ws.append(["mfg_pass_rate", "2020-03", 0.934, None])
ws["C2"].number_format = "0.0%"
ws.append(["mfg_pass_rate", datetime.datetime(2020, 4, 15), 1, 2])
ws["B3"].number_format = "yyyy-mm-dd"
ws.append(["工业类名牌产", "2020", None, None, 3])
wb.save("bad.xlsx")
PYEOF
run 65 bad_xlsx "$node" import --db bad.db bad.xlsx
has bad_xlsx err "bad.xlsx:2: field numerator: '93.4%' is a percentage; this indicator pools counts"
has bad_xlsx err "bad.xlsx:3: field period: '2020-04-15' is a day, not a month"
has bad_xlsx err "bad.xlsx:4: field indicator: unknown indicator '工业类名牌产'; did you mean 'industrial_brand_products' (工业类名牌产品)?"
has bad_xlsx err "import: 3 problems in bad.xlsx; nothing imported"
check "bad_xlsx: store unchanged" "$(sqlite3 bad.db .dump)" "$before"

# More than 100 problems: the first 100, then how many more.
{
	echo "indicator,period,numerator,denominator,value,weight"
	for i in $(seq 1 130); do echo "no_such_$i,2020-01,1,2,,"; done
} >many.csv
run 65 many "$node" import --db bad.db many.csv
check "many: 100 problems, 'and N more', the summary" "$(wc -l <out/many.err)" 102
has many err "many.csv: ... and 30 more"
has many err "130 problems in many.csv"
check "many: store unchanged" "$(sqlite3 bad.db .dump)" "$before"

# Headers: no header row at all; a misspelt column.
printf '%s\n' "mfg_pass_rate,2020-05,1,2,," >nohdr.csv
run 65 nohdr "$node" import --db bad.db nohdr.csv
has nohdr err "nohdr.csv:1: field header: no header row"
printf '%s\n' "指标,期间,分子,denominater,数值,权重" "mfg_pass_rate,2020-05,1,2,," >typo.csv
run 65 typo "$node" import --db bad.db typo.csv
has typo err "did you mean 'denominator' (分母)?"
check "headers: store unchanged" "$(sqlite3 bad.db .dump)" "$before"

section "template -> fill -> import"
new_store tpl.db
run 0 template_xlsx "$node" template --period 2020年6月 --out tpl.xlsx
has template_xlsx out "wrote tpl.xlsx"
"$PY" - <<'PYEOF' || not_ok "openpyxl could not fill tpl.xlsx"
import openpyxl
wb = openpyxl.load_workbook("tpl.xlsx")
ws = wb["填报"]
head = [c.value for c in ws[1]]
assert head[:6] == ["指标 indicator", "期间 period", "分子 numerator",
                    "分母 denominator", "数值 value", "权重 weight"], head
fill = {"mfg_pass_rate": (1210, 1300, None, None),
        "supervision_spot_check_batches": (None, None, "1,024", None),
        "pm25_concentration": (None, None, 41.5, 31)}
seen = 0
for row in ws.iter_rows(min_row=2):
    assert row[1].value == "2020-06", row[1].value
    seen += 1
    if row[0].value in fill:
        for k, v in enumerate(fill[row[0].value]):
            row[2 + k].value = v
assert seen == 50, seen
wb.save("tpl_filled.xlsx")
PYEOF
# Unfilled, the template imports nothing and says so.
run 0 template_empty "$node" import --db tpl.db tpl.xlsx
has template_empty out "0 new, 0 corrected, 0 unchanged; 50 rows without figures skipped"
run 0 template_import "$node" import --db tpl.db tpl_filled.xlsx
has template_import out "3 new, 0 corrected, 0 unchanged; 47 rows without figures skipped"
expect_rows template_xlsx tpl.db \
    "mfg_pass_rate 2020-06 1210 1300 0 0" \
    "pm25_concentration 2020-06 0 0 41.5 31" \
    "supervision_spot_check_batches 2020-06 0 0 1024 0"
# The CSV template, filled by a script that keeps its byte-order mark.
run 0 template_csv "$node" template --period 2020Q3 --out tpl.csv
"$PY" - <<'PYEOF' || not_ok "could not fill tpl.csv"
import csv
with open("tpl.csv", encoding="utf-8-sig", newline="") as f:
    rows = list(csv.reader(f))
assert rows[0][0] == "指标 indicator", rows[0]
for r in rows[1:]:
    assert r[1] == "2020Q3", r
    if r[0] == "agri_pass_rate":
        r[2], r[3] = "88", "100"
with open("tpl_filled.csv", "w", encoding="utf-8-sig", newline="") as f:
    csv.writer(f, lineterminator="\r\n").writerows(rows)
PYEOF
run 0 template_csv_import "$node" import --db tpl.db tpl_filled.csv
has template_csv_import out "1 new"
check "template csv: stored" \
    "$(sqlite3 tpl.db "SELECT num, den FROM observation WHERE indicator='agri_pass_rate' AND period='2020Q3'")" \
    "88.0|100.0"
# With --db, the indicators the county reports: those with a target set
# for it or a region above it (targets.csv: Hebei's for 正定县), and
# those its store holds.
new_store tpl2.db
"$node" record --db tpl2.db --indicator city_brands --period 2020 --value 2 >/dev/null
want=$(awk -F, '$1 == "130000" || $1 == "130100" || $1 == "130123" {print $3}' \
    "$TALLY_DATA_DIR/targets.csv" | sort -u)
want=$(printf '%s\ncity_brands\n' "$want" | sort -u)
run 0 template_db "$node" template --db tpl2.db --period 2020 --out tpl2.csv
check "template --db: the county's indicators" \
    "$("$PY" -c 'import csv,sys; print("\n".join(sorted(r[0] for r in list(csv.reader(open("tpl2.csv", encoding="utf-8-sig")))[1:])))')" \
    "$want"
has template_db out "$(printf '%s\n' "$want" | wc -l) indicators for 2020"
run 64 template_noperiod "$node" template
run 64 template_badperiod "$node" template --period 2020-13

section "a figure far outside the county's own history: a warning"
new_store hist.db
{
	echo "指标,期间,分子,分母"
	for m in $(seq 1 12); do printf '制造业产品质量合格率,2019年%d月,%d,100\n' "$m" $((90 + m % 5)); done
	for m in 1 2; do printf '制造业产品质量合格率,2020年%d月,%d,100\n' "$m" $((91 + m)); done
} >hist.csv
run 0 hist "$node" import --db hist.db hist.csv
lacks hist err "warning"
printf '%s\n' "指标,期间,分子,分母" "制造业产品质量合格率,2020年3月,93,1000" \
    "制造业产品质量合格率,2020年4月,93,100" >slip.csv
run 0 slip "$node" import --db hist.db slip.csv
has slip err "warning: slip.csv:2: mfg_pass_rate 2020-03: 9.3 % is far outside this region's usual range"
lacks slip err "slip.csv:3"
has slip out "2 new"
# -q keeps errors only: the same slip in a store of the same history is
# imported without the warning.
new_store histq.db
run 0 histq "$node" import --db histq.db hist.csv
run 0 slipq "$node" import -q --db histq.db slip.csv
lacks slipq err "warning"
# Only the last three years are the county's own recent history: the same
# months five years before do not make 2020's slip stand out.
new_store histold.db
sed 's/2019年/2015年/' hist.csv | grep -v '2020年' >histold.csv
run 0 histold "$node" import --db histold.db histold.csv
run 0 slipold "$node" import --db histold.db slip.csv
lacks slipold err "warning"

section "indicators"
run 0 indicators "$node" indicators
has indicators out "制造业产品质量合格率"
run 0 indicators_json "$node" indicators --format json
check_true "indicators --format json: the catalogue, with what to enter" \
    "$PY" -c '
import json, sys
d = json.load(open("out/indicators_json.out"))
m = {e["id"]: e for e in d}
assert len(d) == 50, len(d)
e = m["mfg_pass_rate"]
assert e["name_zh"] == "制造业产品质量合格率" and e["kind"] == "ratio" and e["unit"] == "%"
assert e["numerator_en"] == "passed batches", e
assert "weight_en" in m["pm25_concentration"] and "value_zh" in m["scenic_spots_5a"]
'
run 0 indicators_csv "$node" indicators --format csv
has indicators_csv out "id,name_zh,name_en,kind,unit,enter_zh,enter_en"
run 64 indicators_bad "$node" indicators --format xml

sanitizer_check
finish

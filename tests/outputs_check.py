#!/usr/bin/python3
"""Checks of what leaves the screen (tests/outputs.sh), against the report.

Runs under Debian's /usr/bin/python3, whose openpyxl reads the workbook.

Commands:
  xlsx --report JSON --xlsx FILE --indicators CSV --hub CODE --instance ID
      Every figure of the JSON report is a number cell of the sheet
      "指标 Figures" equal to it, on the row of its region and indicator,
      with the indicator's names and unit from indicators.csv; every
      target of the report is a row of "目标 Targets" with its value,
      status and gap; every missing child of the top region is a row of
      "催报 Chase"; "说明 About" names the hub and its instance.
  pdf --text TXT --report JSON --explain DIR --indicators CSV --hub CODE
      --instance ID [--chase-name NAME] [--expect-summary]
      The text of the briefing (pdftotext) holds the headline counts,
      computed here again from the report's targets, each off-track
      indicator shown with its Chinese name, value, gap and the part that
      drags it most (from the explanations, by the indicator's direction),
      the chase list's names, the issuing hub and instance, and a time of
      issue in Beijing time within the last half hour. With
      --expect-summary it must say how many items it left out.
The last line printed is a summary; the exit status is 1 on any mismatch.
"""

import argparse
import csv
import datetime
import json
import math
import os
import re
import sys

sys.dont_write_bytecode = True

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL - " + msg)


def close(a, b):
    return a == b or (a is not None and b is not None and
                      math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12))


def indicators(path):
    with open(path, encoding="utf-8") as f:
        return {r["id"]: r for r in csv.DictReader(f)}


def targets_of(f):
    """Every target object of a figure entry: "target" and any later ones."""
    out = []
    for key, v in f.items():
        if key == "target" or (key.endswith("targets") and key != "target"):
            out.extend(v if isinstance(v, list) else [v])
    return [t for t in out if isinstance(t, dict)]


# ----------------------------------------------------------------- xlsx

def sheet_rows(ws):
    rows = list(ws.iter_rows(values_only=True))
    head = [h for h in rows[0]]
    return head, [dict(zip(head, r)) for r in rows[1:]]


def check_figures(book, rep, inds):
    head, rows = sheet_rows(book["指标 Figures"])
    by = {(r["地区代码 Region code"], r["指标代码 Indicator ID"]): r for r in rows}
    cols = {"value": "数值 Value", "numerator": "分子 Numerator",
            "denominator": "分母 Denominator", "sum": "合计 Sum",
            "weight": "权重 Weight", "reporting": "已报 Reporting",
            "expected": "应报 Expected"}
    n = 0
    for reg in rep["regions"]:
        for f in reg["indicators"]:
            row = by.get((reg["code"], f["id"]))
            if row is None:
                fail("no row for %s %s" % (reg["code"], f["id"]))
                continue
            n += 1
            ind = inds[f["id"]]
            for col, want in (("指标 Indicator (中文)", ind["name_zh"]),
                              ("Indicator (English)", ind["name_en"]),
                              ("单位 Unit", ind["unit"] or None),
                              ("地区 Region", reg["name"])):
                if row[col] != want:
                    fail("%s %s %s: %r, expected %r" % (reg["code"], f["id"], col, row[col], want))
            for key, col in cols.items():
                want = f.get(key)
                if key == "sum" and ind["kind"] == "ratio":
                    want = None
                got = row[col]
                if want is None:
                    if got is not None:
                        fail("%s %s %s: %r, expected blank" % (reg["code"], f["id"], col, got))
                elif not isinstance(got, (int, float)) or isinstance(got, bool):
                    fail("%s %s %s: %r is not a number cell" % (reg["code"], f["id"], col, got))
                elif not close(float(got), float(want)):
                    fail("%s %s %s: %r, expected %r" % (reg["code"], f["id"], col, got, want))
            ts = targets_of(f)
            if ts:
                t = ts[0]
                if not close(row["目标值 Target"], t["value"]) or \
                        not close(row["差距 Gap"], t.get("gap")):
                    fail("%s %s: target %r gap %r, expected %r %r" % (
                        reg["code"], f["id"], row["目标值 Target"], row["差距 Gap"],
                        t["value"], t.get("gap")))
    if len(rows) != n:
        fail("the figures sheet has %d rows, the report %d figures" % (len(rows), n))
    return n


def check_targets(book, rep):
    head, rows = sheet_rows(book["目标 Targets"])
    n = 0
    for reg in rep["regions"]:
        for f in reg["indicators"]:
            for t in targets_of(f):
                match = [r for r in rows
                         if r["地区代码 Region code"] == reg["code"]
                         and r["指标代码 Indicator ID"] == f["id"]
                         and r["目标期 Target period"] == t["period"]
                         and r["类别 Kind"] == "本级目标 own"
                         and close(r["目标值 Target"], t["value"])]
                if len(match) != 1:
                    fail("target %s %s %s: %d rows" % (reg["code"], f["id"], t["period"], len(match)))
                    continue
                r = match[0]
                n += 1
                if r["Status (English)"] != t["status"] or not close(r["差距 Gap"], t.get("gap")) \
                        or r["条件 Op"] != t["op"]:
                    fail("target %s %s: %r %r %r, expected %r %r %r" % (
                        reg["code"], f["id"], r["条件 Op"], r["Status (English)"], r["差距 Gap"],
                        t["op"], t["status"], t.get("gap")))
                if t.get("gap") is not None and not isinstance(r["差距 Gap"], (int, float)):
                    fail("target %s %s: the gap is not a number cell" % (reg["code"], f["id"]))
    return n


def check_chase(book, rep):
    head, rows = sheet_rows(book["催报 Chase"])
    have = {(r["指标代码 Indicator ID"], r["地区代码 Region code"]) for r in rows}
    n = 0
    top = rep["regions"][0]
    for f in top["indicators"]:
        for c in (f.get("children") or {}).get("missing", []):
            n += 1
            if (f["id"], c["code"]) not in have:
                fail("chase: %s %s is not listed" % (f["id"], c["code"]))
    if n == 0:
        fail("the report has no missing child: the chase check proves nothing")
    return n


def cmd_xlsx(a):
    import openpyxl  # Debian's python3-openpyxl
    book = openpyxl.load_workbook(a.xlsx)
    rep = json.load(open(a.report, encoding="utf-8"))
    inds = indicators(a.indicators)
    want = ["指标 Figures", "目标 Targets", "催报 Chase", "说明 About"]
    if book.sheetnames != want:
        fail("sheets %r, expected %r" % (book.sheetnames, want))
        return
    nf = check_figures(book, rep, inds)
    nt = check_targets(book, rep)
    nc = check_chase(book, rep)
    about = {r[0]: r[1] for r in book["说明 About"].iter_rows(min_row=2, values_only=True)}
    if not str(about.get("签发汇总节点 Issuing hub", "")).startswith(a.hub + " "):
        fail("about: hub %r" % about.get("签发汇总节点 Issuing hub"))
    if about.get("节点实例 Hub instance") != a.instance:
        fail("about: instance %r, expected %r" % (about.get("节点实例 Hub instance"), a.instance))
    if about.get("期间 Period") != rep["period"]:
        fail("about: period %r" % about.get("期间 Period"))
    if nt == 0:
        fail("the report has no target: the target check proves nothing")
    print("xlsx: %d figures, %d targets, %d chase rows checked, %d mismatches"
          % (nf, nt, nc, len(failures)))


# ------------------------------------------------------------------ pdf

STANDING = {"met": 1, "incomplete": 2, "at_risk": 3, "missed": 4}


def standing(f):
    """The worst of the figure's targets: missed, at risk, incomplete, met."""
    worst = None
    items = targets_of(f)
    if not items and isinstance(f.get("benchmark"), dict):
        items = [f["benchmark"]]
    for t in items:
        tr = t.get("trajectory")
        if isinstance(tr, dict):
            s = {"on_track": "met", "at_risk": "at_risk"}.get(tr.get("status"), "incomplete")
        else:
            s = t.get("status") if t.get("status") in ("met", "missed") else "incomplete"
        if worst is None or STANDING[s] > STANDING[worst]:
            worst = s
    return worst


def fmt(v, kind, sign=False):
    if kind == "count":
        return ("%+.0f" if sign else "%.0f") % v
    return ("%+.2f" if sign else "%.2f") % v


def squash(s):
    return re.sub(r"\s+", "", s)


def worst_drag(expl, better):
    best = None
    for c in expl.get("contributions", []):
        if c.get("pull") is None:
            continue
        by = -c["pull"] if better == "higher" else c["pull"]
        if by > 0 and (best is None or by > best[0] or (by == best[0] and c["code"] < best[1]["code"])):
            best = (by, c)
    return best


def cmd_pdf(a):
    text = open(a.text, encoding="utf-8").read()
    flat = squash(text)
    rep = json.load(open(a.report, encoding="utf-8"))
    inds = indicators(a.indicators)
    top = rep["regions"][0]
    counts = {"met": 0, "missed": 0, "at_risk": 0, "incomplete": 0}
    off = {"missed": [], "at_risk": []}
    for f in top["indicators"]:
        s = standing(f)
        if s is None:
            continue
        counts[s] += 1
        if s in off:
            off[s].append(f)
    line = "有目标的指标%d项：达标%d项，未达标%d项，有风险%d项，待定%d项。" % (
        sum(counts.values()), counts["met"], counts["missed"], counts["at_risk"], counts["incomplete"])
    if line not in flat:
        fail("the headline %r is not in the text" % line)
    items = off["missed"] + off["at_risk"]
    m = re.search(r"另有(\d+)项偏离目标的指标未列出", flat)
    left = int(m.group(1)) if m else 0
    if a.expect_summary and not m:
        fail("the briefing does not say how many items it left out")
    if not a.expect_summary and m:
        fail("the briefing left out %d items" % left)
    if ("一、偏离目标的指标（%d项）" % len(items)) not in flat:
        fail("the off-track heading does not count %d items" % len(items))
    shown = items[:len(items) - left]
    pos = 0
    for i, f in enumerate(shown):
        ind = inds[f["id"]]
        head = "%d.%s" % (i + 1, ind["name_zh"])
        at = flat.find(head, pos)
        if at < 0:
            fail("item %s is not shown in order" % head)
            continue
        nxt = flat.find("%d.%s" % (i + 2, inds[shown[i + 1]["id"]]["name_zh"]), at) \
            if i + 1 < len(shown) else flat.find("二、催报名单", at)
        part = flat[at:nxt if nxt > 0 else len(flat)]
        pos = at
        if f.get("value") is not None and ("现值" + fmt(f["value"], ind["kind"])) not in part:
            fail("%s: the value %s is not shown" % (f["id"], fmt(f["value"], ind["kind"])))
        t = [t for t in targets_of(f) if t.get("status") == "missed"][:1]
        if t and t[0].get("gap") is not None and \
                ("差距" + fmt(t[0]["gap"], ind["kind"], True)) not in part:
            fail("%s: the gap %s is not shown" % (f["id"], fmt(t[0]["gap"], ind["kind"], True)))
        path = os.path.join(a.explain, f["id"] + ".json")
        if os.path.exists(path):
            d = worst_drag(json.load(open(path, encoding="utf-8")), ind["better"])
            if d is not None and ("拖累最多：" + d[1]["name"]) not in part:
                fail("%s: the worst drag %s is not named first" % (f["id"], d[1]["name"]))
    if a.chase_name and a.chase_name not in flat:
        fail("the chase list does not name %s" % a.chase_name)
    for want in (a.hub, a.instance, "北京时间", "质量强省指标简报", top["name"]):
        if want not in flat:
            fail("%r is not in the text" % want)
    m = re.search(r"生成于(\d{4}-\d\d-\d\d)(\d\d:\d\d)（北京时间）", flat)
    if not m:
        fail("no time of issue in Beijing time")
    else:
        issued = datetime.datetime.strptime(m.group(1) + " " + m.group(2), "%Y-%m-%d %H:%M")
        now = datetime.datetime.utcnow() + datetime.timedelta(hours=8)
        if not datetime.timedelta(0) <= now - issued <= datetime.timedelta(minutes=30):
            fail("issued %s is not Beijing time now (%s)" % (issued, now))
    print("pdf: %d counts, %d of %d off-track items shown, %d mismatches"
          % (sum(counts.values()), len(shown), len(items), len(failures)))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    x = sub.add_parser("xlsx")
    for k in ("report", "xlsx", "indicators", "hub", "instance"):
        x.add_argument("--" + k, required=True)
    d = sub.add_parser("pdf")
    for k in ("text", "report", "explain", "indicators", "hub", "instance"):
        d.add_argument("--" + k, required=True)
    d.add_argument("--chase-name")
    d.add_argument("--expect-summary", action="store_true")
    a = p.parse_args()
    {"xlsx": cmd_xlsx, "pdf": cmd_pdf}[a.cmd](a)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

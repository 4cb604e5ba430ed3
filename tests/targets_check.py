#!/usr/bin/env python3
"""An independent check of the targets in a `tally-hub report --format json`.

docs/rollup.md ("Targets") says what a target's status is; this script computes
it again from the raw rows alone, with flat.py's flat figures and the
targets file, sharing no code with the C evaluator, and compares every
target the report shows (and that every target set for a shown region and
indicator is shown). A region with no target of its own for the period
must show as "benchmark" the targets of its nearest ancestor that has
some, each judged on the region's own figure (an each_child
level as the region's total), with that ancestor as "region"; and none
when no ancestor has one, or for a count (whose ancestor's target is a
sum, not a level for each part).

  targets_check.py --indicators CSV --tree CSV --targets CSV [--targets CSV]
                   --raw CSV [--raw CSV ...] REPORT.json [REPORT.json ...]

Prints each mismatch and a closing line; exits 1 on a mismatch or when it
checked no target.
"""

import argparse
import csv
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flat as flatmod  # noqa: E402

OPS = {
    ">=": lambda v, t: v >= t,
    ">": lambda v, t: v > t,
    "<=": lambda v, t: v <= t,
    "<": lambda v, t: v < t,
}


def complete_value(flat, code, ind_id, period):
    """The region's value when every leaf below it reported, else None."""
    fig = flat.figure(code, ind_id, period)
    if fig is None or fig["value"] is None:
        return None, fig
    if fig["reporting"] < flat.leaves_under(code):
        return None, fig
    return fig["value"], fig


def evaluate(flat, better, t):
    """(status, compared value or None, gap or None) for one target row."""
    code, ind_id, period = t["region_code"], t["indicator_id"], t["period"]
    op, target = OPS[t["op"]], float(t["value"])
    higher = better[ind_id] == "higher"

    def gap(v):
        return None if v is None else (v - target if higher else target - v)

    if t["scope"] == "total":
        v, fig = complete_value(flat, code, ind_id, period)
        if v is None:
            shown = None if fig is None else fig["value"]
            return "incomplete", shown, gap(shown)
        return ("met" if op(v, target) else "missed"), v, gap(v)
    if t["scope"] == "change_pct":
        v, fig = complete_value(flat, code, ind_id, period)
        b, _ = complete_value(flat, code, ind_id, t["baseline_period"])
        if v is None or b is None or b == 0:
            return "incomplete", None, None
        change = (v - b) / b * 100.0
        return ("met" if op(change, target) else "missed"), change, gap(change)
    # each_child: every direct child must meet it; a child that has not
    # fully reported cannot, and a fully reported child that fails settles
    # the target as missed.
    values, missing, failing = [], 0, 0
    for child in flat.children.get(code, []):
        v, _ = complete_value(flat, child, ind_id, period)
        if v is None:
            missing += 1
            continue
        values.append(v)
        if not op(v, target):
            failing += 1
    lower_is_worse = t["op"] in (">=", ">")
    worst = None
    if values:
        worst = min(values) if lower_is_worse else max(values)
    if failing:
        return "missed", worst, gap(worst)
    if missing:
        return "incomplete", worst, gap(worst)
    return "met", worst, gap(worst)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--indicators", required=True)
    p.add_argument("--tree", required=True)
    p.add_argument("--targets", required=True, action="append")
    p.add_argument("--raw", required=True, action="append")
    p.add_argument("reports", nargs="+")
    args = p.parse_args()

    flat = flatmod.Flat(args.indicators, args.tree, args.raw)
    better = {r["id"]: r["better"] for r in flatmod.read_csv(args.indicators)}
    targets = []
    for path in args.targets:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        head = rows[0]
        for r in rows[1:]:
            # The free-text source may hold unquoted commas.
            r = r[:8] + [",".join(r[8:])]
            targets.append(dict(zip(head, r)))

    checked = mismatches = 0
    for path in args.reports:
        with open(path, encoding="utf-8") as f:
            rep = json.load(f)
        period = rep["period"]
        for reg in rep["regions"]:
            for got in reg["indicators"]:
                want = [t for t in targets
                        if t["region_code"] == reg["code"]
                        and t["indicator_id"] == got["id"]
                        and t["period"] == period]
                shown = got.get("target")
                shown = [] if shown is None else (
                    shown if isinstance(shown, list) else [shown])
                where = "%s %s %s %s" % (path, period, reg["code"], got["id"])
                bench = got.get("benchmark")
                bench = [] if bench is None else (
                    bench if isinstance(bench, list) else [bench])
                if not want:
                    # The nearest ancestor's targets, judged here; a count
                    # has none (the ancestor's is a sum, not a level).
                    anc, code = [], flat.parent.get(reg["code"])
                    if flat.ind[got["id"]]["kind"] == "count":
                        code = None
                    while code is not None and not anc:
                        anc = [t for t in targets if t["region_code"] == code
                               and t["indicator_id"] == got["id"]
                               and t["period"] == period]
                        anc_code = code
                        code = flat.parent.get(code)
                    if len(bench) != len(anc):
                        print("MISMATCH %s: %d benchmarks shown, %d set above"
                              % (where, len(bench), len(anc)))
                        mismatches += 1
                        continue
                    want = [dict(t, region_code=reg["code"],
                                 scope="total" if t["scope"] == "each_child" else t["scope"])
                            for t in anc]
                    for b in bench:
                        if (b.get("region") or {}).get("code") != anc_code:
                            print("MISMATCH %s: benchmark of %r, want %s"
                                  % (where, b.get("region"), anc_code))
                            mismatches += 1
                    shown = [dict(b, scope="total" if b.get("scope") == "each_child"
                                  else b.get("scope")) for b in bench]
                elif bench:
                    print("MISMATCH %s: a benchmark beside the region's own targets" % where)
                    mismatches += 1
                if len(shown) != len(want):
                    print("MISMATCH %s: %d targets shown, %d set"
                          % (where, len(shown), len(want)))
                    mismatches += 1
                    continue
                for s, t in zip(shown, want):
                    checked += 1
                    status, value, gap = evaluate(flat, better, t)
                    bad = []
                    if s.get("status") != status:
                        bad.append("status %r, want %r" % (s.get("status"), status))
                    if s.get("op") != t["op"] or s.get("scope") != t["scope"]:
                        bad.append("op/scope %r %r" % (s.get("op"), s.get("scope")))
                    if not flatmod.close(s.get("value"), float(t["value"])):
                        bad.append("value %r" % s.get("value"))
                    if status != "incomplete" or t["scope"] != "change_pct":
                        if not flatmod.close(s.get("compared"), value):
                            bad.append("compared %r, want %r" % (s.get("compared"), value))
                        if not flatmod.close(s.get("gap"), gap):
                            bad.append("gap %r, want %r" % (s.get("gap"), gap))
                    if bad:
                        mismatches += 1
                        print("MISMATCH %s: %s" % (where, "; ".join(bad)))
    print("targets_check.py: checked %d targets in %d reports: %d mismatches"
          % (checked, len(args.reports), mismatches))
    return 1 if mismatches or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())

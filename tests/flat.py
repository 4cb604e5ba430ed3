#!/usr/bin/env python3
"""The flat reference for the tree test.

docs/rollup.md says that every region's figure must equal what one query over a
flat table of all raw observations below it would give. This script is that
query, written from the rules in docs/rollup.md alone and sharing no code with the
C engine: it reads the indicator catalogue, the division tree and the raw
rows (the flat file of tally-gen plus any hub's own observations, all in the
columns region,indicator,period,numerator,denominator,value,weight), and
computes every figure of every region by going over the raw rows directly.

Commands:
  compare --indicators CSV --tree CSV [--changes CSV] --raw CSV
          [--raw CSV ...] --report JSON [--report JSON ...]
      Compares every region and indicator of each `tally-hub report
      --format json` output with the flat figures, prints each mismatch and
      how many figures it compared, and exits 1 on any mismatch or when it
      compared nothing. With --changes (division_changes.csv: region,
      parent_code, effective YYYY-MM), a region's parent for a period is the
      one in force in the period's last month, as docs/redistricting.md
      section says; every figure, count and child list uses that parent.
      With --targets CSV (targets.csv's columns; repeatable), it also checks
      what each figure is compared with: "yoy", the same period
      a year before, and for a month or quarter "pop", the period before,
      each {"period", "value", "change"}; and for a year report "ahead",
      the region's targets of later years, each with its "trajectory": a
      least-squares line (statistics.linear_regression) over the region's
      flat annual figures up to the report's year, from the target's
      baseline year when it has one (as percent changes from the baseline
      for change_pct), projected to the target's year; on_track when the
      projection meets the target, incomplete with under two years.
  field JSON REGION INDICATOR KEY
      Prints one field of one region's indicator in a report (or "none"),
      so that the shell script needs no JSON tool of its own.
  regions JSON
      Prints "code depth" for every region of a report.
  versions JSON REGION
      Prints "indicator version" for every indicator of one region.
"""

import argparse
import csv
import json
import math
import re
import statistics
import sys

REL_TOL = 1e-9


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# Periods are kept as (first month, last month), months counted from year 0,
# so that containment and "latest" are plain integer comparisons.
def period_span(text):
    m = re.fullmatch(r"(\d{4})", text)
    if m:
        y = int(m.group(1))
        return (y * 12 + 1, y * 12 + 12)
    m = re.fullmatch(r"(\d{4})Q([1-4])", text)
    if m:
        y, q = int(m.group(1)), int(m.group(2))
        return (y * 12 + 3 * q - 2, y * 12 + 3 * q)
    m = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if m and 1 <= int(m.group(2)) <= 12:
        y, mo = int(m.group(1)), int(m.group(2))
        return (y * 12 + mo, y * 12 + mo)
    raise ValueError("bad period %r" % text)


def number(text):
    return None if text is None or text.strip() == "" else float(text)


class Flat:
    def __init__(self, indicators_path, tree_path, raw_paths, changes_path=None):
        self.ind = {}
        for r in read_csv(indicators_path):
            self.ind[r["id"]] = {
                "kind": r["kind"],
                "factor": float(r["factor"]),
                "time_agg": r["time_agg"],
            }
        # The tree: parent of every region; leaves are regions without
        # children (counties, in Hebei).
        self.parent = {}
        self.children = {}
        for r in read_csv(tree_path):
            code, parent = r["code"], (r.get("parent_code") or "").strip()
            self.parent[code] = parent or None
            self.children.setdefault(code, [])
            if parent:
                self.children.setdefault(parent, []).append(code)
        for c in self.children.values():
            c.sort()
        # Changes of parent: region -> [(first month, new parent)], in file
        # order (each region's in order of its months).
        self.changes = {}
        if changes_path:
            for r in read_csv(changes_path):
                if r["region"].startswith("#"):
                    continue
                first = period_span(r["effective"])[0]
                self.changes.setdefault(r["region"], []).append(
                    (first, r["parent_code"]))
        self.shape_cache = {}
        self.rows = []
        for path in raw_paths:
            for i, r in enumerate(read_csv(path), start=2):
                if r["region"] not in self.parent:
                    raise SystemExit("%s:%d: unknown region %s" % (path, i, r["region"]))
                if r["indicator"] not in self.ind:
                    raise SystemExit("%s:%d: unknown indicator %s" % (path, i, r["indicator"]))
                self.rows.append({
                    "region": r["region"],
                    "indicator": r["indicator"],
                    "period": r["period"],
                    "span": period_span(r["period"]),
                    "num": number(r["numerator"]),
                    "den": number(r["denominator"]),
                    "value": number(r["value"]),
                    "weight": number(r["weight"]),
                })
        # Rows by indicator, and each raw region's ancestors, so that one
        # figure only looks at the rows that can matter.
        self.by_indicator = {}
        for r in self.rows:
            self.by_indicator.setdefault(r["indicator"], []).append(r)
        self.above = {}
        self.cache = {}
        self.leaf_count = {}

    def is_leaf(self, code):
        return not self.children.get(code)

    def parent_at(self, code, last=None):
        """The parent in force in month last (None: the tree's)."""
        parent = self.parent.get(code)
        if last is not None:
            for first, new in self.changes.get(code, []):
                if first <= last:
                    parent = new
        return parent

    def ancestors_or_self(self, code, last=None):
        while code is not None:
            yield code
            code = self.parent_at(code, last)

    def children_at(self, code, last=None):
        if last is None or not self.changes:
            return self.children.get(code, [])
        key = ("children", code, last)
        if key not in self.shape_cache:
            self.shape_cache[key] = sorted(
                c for c in self.parent if self.parent_at(c, last) == code)
        return self.shape_cache[key]

    def leaves_under(self, code, last=None):
        key = (code, last if self.changes else None)
        if key not in self.leaf_count:
            self.leaf_count[key] = 1 if self.is_leaf(code) else sum(
                self.leaves_under(c, last) for c in self.children_at(code, last))
        return self.leaf_count[key]

    def row_sums(self, ind, r):
        """One raw row's (a, b) contribution, by kind."""
        if ind["kind"] == "ratio":
            return r["num"], r["den"]
        if ind["kind"] == "weighted_mean":
            return r["value"] * r["weight"], r["weight"]
        return r["value"], 0.0

    def value_of(self, ind, a, b):
        if ind["kind"] == "ratio":
            return None if b == 0 else ind["factor"] * a / b
        if ind["kind"] == "weighted_mean":
            return None if b == 0 else a / b
        return ind["factor"] * a

    def figure(self, code, ind_id, period):
        """The flat figure of one region: None when no raw row below it
        (the region included) falls inside the period."""
        key = (code, ind_id, period)
        if key in self.cache:
            return self.cache[key]
        ind = self.ind[ind_id]
        first, last = period_span(period)
        # Every raw row of the indicator inside the period whose region is
        # the region itself or below it, grouped by raw region.
        by_region = {}
        for r in self.by_indicator.get(ind_id, []):
            if not (first <= r["span"][0] and r["span"][1] <= last):
                continue
            # The shape of the period is the one in force in its last
            # month.
            akey = (r["region"], last if self.changes else None)
            if akey not in self.above:
                self.above[akey] = set(self.ancestors_or_self(*akey))
            if code not in self.above[akey]:
                continue
            by_region.setdefault(r["region"], []).append(r)
        if not by_region:
            self.cache[key] = None
            return None
        a = b = 0.0
        leaf_values = []
        newest = None
        for region in sorted(by_region):
            rows = by_region[region]
            latest = max(r["span"][1] for r in rows)
            newest = latest if newest is None else max(newest, latest)
            if ind["time_agg"] == "last":
                # Each region's latest sub-period inside the period.
                picked = [r for r in rows if r["span"][1] == latest]
                if len(picked) != 1:
                    raise SystemExit("ambiguous latest period for %s %s %s"
                                     % (region, ind_id, period))
            else:
                picked = rows
            ra = rb = 0.0
            for r in picked:
                x, y = self.row_sums(ind, r)
                ra += x
                rb += y
            a += ra
            b += rb
            if self.is_leaf(region):
                leaf_values.append((self.value_of(ind, ra, rb), region))
        fig = {
            "a": a,
            "b": b,
            "value": self.value_of(ind, a, b),
            "reporting": len(leaf_values),
            "newest_month": newest,
            # A leaf with no value (Σden = 0) has no place in min/max.
            "leaf_values": [lv for lv in leaf_values if lv[0] is not None],
        }
        self.cache[key] = fig
        return fig


def close(x, y):
    if x is None or y is None:
        return x is None and y is None
    if x == y:
        return True
    return abs(x - y) <= REL_TOL * max(abs(x), abs(y))


def shift_period(text, back_years, back_one):
    """The period a year before (back_years) or the one before
    (back_one), in the same text form."""
    m = re.fullmatch(r"(\d{4})", text)
    if m:
        return "%04d" % (int(m.group(1)) - 1)
    m = re.fullmatch(r"(\d{4})Q([1-4])", text)
    if m:
        y, q = int(m.group(1)), int(m.group(2))
        if back_years:
            return "%04dQ%d" % (y - 1, q)
        return "%04dQ%d" % ((y, q - 1) if q > 1 else (y - 1, 4))
    y, mo = int(text[:4]), int(text[5:7])
    if back_years:
        return "%04d-%02d" % (y - 1, mo)
    return "%04d-%02d" % ((y, mo - 1) if mo > 1 else (y - 1, 12))


OPS = {">=": lambda v, t: v >= t, ">": lambda v, t: v > t,
       "<=": lambda v, t: v <= t, "<": lambda v, t: v < t}


class Comparer:
    def __init__(self, flat, targets=None):
        self.targets = targets
        self.flat = flat
        self.figures = 0
        self.fields = 0
        self.mismatches = 0

    def bad(self, where, what, got, want):
        self.mismatches += 1
        print("MISMATCH %s: %s: report %r, flat %r" % (where, what, got, want))

    def check(self, where, what, got, want, exact=False):
        self.fields += 1
        ok = got == want if exact else close(got, want)
        if not ok:
            self.bad(where, what, got, want)

    def check_extreme(self, where, name, got, fig):
        vals = fig["leaf_values"]
        if not vals:
            if got is not None:
                self.bad(where, name, got, None)
            return
        pick = min if name == "min" else max
        want = pick(v for v, _ in vals)
        # Ties (within the tolerance) may go to any of the tied leaves'
        # lowest code; accept every leaf whose value is that close.
        allowed = sorted(r for v, r in vals if close(v, want))
        if got is None:
            self.bad(where, name, None, {"value": want, "region": allowed[0]})
            return
        self.check(where, name + ".value", got.get("value"), want)
        self.fields += 1
        if got.get("region") not in allowed:
            self.bad(where, name + ".region", got.get("region"), allowed)

    def compare_one(self, where, code, ind_id, got, fig, last=None):
        kind = self.flat.ind[ind_id]["kind"]
        self.figures += 1
        self.check(where, "expected", got.get("expected"),
                   self.flat.leaves_under(code, last), exact=True)
        if fig is None:
            # No raw row: the report must show no state at all.
            self.check(where, "value", got.get("value"), None)
            self.check(where, "reporting", got.get("reporting"), 0, exact=True)
            for k in ("numerator", "denominator", "sum", "weight", "min", "max",
                      "newest_period", "version"):
                if got.get(k) is not None:
                    self.bad(where, k, got.get(k), None)
            return
        self.check(where, "value", got.get("value"), fig["value"])
        if kind == "ratio":
            self.check(where, "numerator", got.get("numerator"), fig["a"])
            self.check(where, "denominator", got.get("denominator"), fig["b"])
        elif kind == "weighted_mean":
            self.check(where, "sum", got.get("sum"), fig["a"])
            self.check(where, "weight", got.get("weight"), fig["b"])
        else:
            self.check(where, "sum", got.get("sum"), fig["a"])
        self.check(where, "reporting", got.get("reporting"), fig["reporting"],
                   exact=True)
        newest = got.get("newest_period")
        self.check(where, "newest_period (last month)",
                   None if newest is None else period_span(newest)[1],
                   fig["newest_month"], exact=True)
        self.check_extreme(where, "min", got.get("min"), fig)
        self.check_extreme(where, "max", got.get("max"), fig)
        if got.get("version") is None:
            self.bad(where, "version", None, "a version")

    def compare_change(self, where, code, ind_id, got, period, key, prev):
        c = got.get(key)
        if c is None:
            self.bad(where, key, None, "a %s entry" % key)
            return
        self.check(where, key + ".period", c.get("period"), prev, exact=True)
        now = self.flat.figure(code, ind_id, period)
        before = self.flat.figure(code, ind_id, prev)
        v_now = now["value"] if now else None
        v_before = before["value"] if before else None
        self.check(where, key + ".value", c.get("value"), v_before)
        want = None if v_now is None or v_before is None else v_now - v_before
        self.check(where, key + ".change", c.get("change"), want)

    def want_trajectory(self, code, ind_id, t, year):
        flat = self.flat
        base = None
        if t["scope"] == "each_child":
            return {"status": "incomplete"}
        if t["scope"] == "change_pct":
            fig = flat.figure(code, ind_id, t["baseline_period"])
            base = fig["value"] if fig else None
            if not base:
                return {"status": "incomplete"}
        first = int(t["baseline_period"][:4]) if t["baseline_period"] else 0
        xs, ys = [], []
        for y in range(max(first, 1900), year + 1):
            fig = flat.figure(code, ind_id, "%04d" % y)
            if fig is None or fig["value"] is None:
                continue
            v = fig["value"]
            xs.append(y)
            ys.append(100 * (v - base) / base if base is not None else v)
        if len(xs) < 2:
            return {"status": "incomplete"}
        slope, intercept = statistics.linear_regression(xs, ys)
        target_year = int(t["period"])
        projected = slope * target_year + intercept
        return {
            "status": "on_track" if OPS[t["op"]](projected, float(t["value"]))
            else "at_risk",
            "projected": projected,
            "pace_per_year": slope,
            "needed_per_year": (float(t["value"]) - ys[-1]) / (target_year - xs[-1]),
        }

    def compare_ahead(self, where, code, ind_id, got, period):
        year = int(period)
        want = [t for t in self.targets
                if t["region_code"] == code and t["indicator_id"] == ind_id
                and re.fullmatch(r"\d{4}", t["period"]) and int(t["period"]) > year]
        have = got.get("ahead") or []
        self.check(where, "ahead (targets of later years)", len(have), len(want),
                   exact=True)
        for t, a in zip(want, have):
            self.check(where, "ahead.period", a.get("period"), t["period"], exact=True)
            self.check(where, "ahead.value", a.get("value"), float(t["value"]))
            tr, w = a.get("trajectory") or {}, self.want_trajectory(code, ind_id, t, year)
            self.check(where, "trajectory.status", tr.get("status"), w["status"],
                       exact=True)
            for k in ("projected", "pace_per_year", "needed_per_year"):
                if k in w:
                    # Least squares in two ways: agree to 1e-9 relative,
                    # or absolute near zero.
                    g = tr.get(k)
                    if g is None or abs(g - w[k]) > 1e-9 * max(1.0, abs(w[k])):
                        self.bad(where, "trajectory." + k, g, w[k])
                    self.fields += 1

    def compare_outlook(self, where, code, ind_id, got, period):
        self.compare_change(where, code, ind_id, got, period, "yoy",
                            shift_period(period, True, False))
        if re.fullmatch(r"\d{4}", period):
            if "pop" in got:
                self.bad(where, "pop", got["pop"], "none for a year")
            self.compare_ahead(where, code, ind_id, got, period)
        else:
            self.compare_change(where, code, ind_id, got, period, "pop",
                                shift_period(period, False, True))

    def compare_report(self, path):
        with open(path, encoding="utf-8") as f:
            rep = json.load(f)
        period, hub = rep["period"], rep["hub"]
        flat = self.flat
        seen = {}
        top = rep.get("region", hub)
        last = period_span(period)[1]
        for reg in rep["regions"]:
            code = reg["code"]
            # A hub holds every region below it (forwarded by its
            # children); the report shows the top region and those below
            # it, each at its distance from the top.
            chain = list(flat.ancestors_or_self(code, last))
            if top not in chain or hub not in chain:
                self.bad("%s %s" % (path, code), "region", code,
                         "the report's region or one below it")
                continue
            if reg.get("depth") != chain.index(top):
                self.bad("%s %s" % (path, code), "depth", reg.get("depth"),
                         chain.index(top))
            if reg.get("parent") != flat.parent_at(code, last):
                self.bad("%s %s" % (path, code), "parent", reg.get("parent"),
                         flat.parent_at(code, last))
            for got in reg["indicators"]:
                where = "%s: hub %s period %s region %s %s" % (
                    path, hub, period, code, got["id"])
                seen.setdefault(code, set()).add(got["id"])
                self.compare_one(where, code, got["id"], got,
                                 flat.figure(code, got["id"], period), last)
                if self.targets is not None:
                    self.compare_outlook(where, code, got["id"], got, period)
        # The report leaves out an indicator only when the hub's region has
        # no figure for it; then the flat query must have none either. Each
        # indicator shown lists every direct child, with or without data.
        for ind_id in flat.ind:
            shown = ind_id in seen.get(top, set())
            if not shown and flat.figure(top, ind_id, period) is not None:
                self.bad("%s: hub %s period %s %s" % (path, hub, period, ind_id),
                         "indicator", "missing", "a figure")
            if shown and len(seen) > 1:
                for child in flat.children_at(top, last):
                    if ind_id not in seen.get(child, set()):
                        self.bad("%s: hub %s period %s %s" % (path, hub, period, ind_id),
                                 "child " + child, "missing", "listed")


def cmd_compare(args):
    flat = Flat(args.indicators, args.tree, args.raw, args.changes)
    targets = None
    if args.targets:
        targets = [t for path in args.targets for t in read_csv(path)]
    cmp_ = Comparer(flat, targets)
    for path in args.report:
        cmp_.compare_report(path)
    print("flat.py: compared %d figures (%d fields) in %d reports: %d mismatches"
          % (cmp_.figures, cmp_.fields, len(args.report), cmp_.mismatches))
    return 1 if cmp_.mismatches or cmp_.figures == 0 else 0


def cmd_field(args):
    with open(args.report, encoding="utf-8") as f:
        rep = json.load(f)
    for reg in rep["regions"]:
        if reg["code"] != args.region:
            continue
        for got in reg["indicators"]:
            if got["id"] == args.indicator:
                v = got.get(args.key)
                if v is None:
                    print("none")
                elif isinstance(v, float) and v == math.floor(v) and abs(v) < 2**53:
                    print(int(v))
                else:
                    print(v)
                return 0
    print("none")
    return 0


def cmd_regions(args):
    with open(args.report, encoding="utf-8") as f:
        rep = json.load(f)
    for reg in rep["regions"]:
        print(reg["code"], reg["depth"])
    return 0


def cmd_versions(args):
    with open(args.report, encoding="utf-8") as f:
        rep = json.load(f)
    for reg in rep["regions"]:
        if reg["code"] == args.region:
            for got in reg["indicators"]:
                print(got["id"], got.get("version"))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare")
    c.add_argument("--indicators", required=True)
    c.add_argument("--tree", required=True,
                   help="the division tree: a CSV with code and parent_code")
    c.add_argument("--changes",
                   help="division_changes.csv: parents per period")
    c.add_argument("--raw", required=True, action="append")
    c.add_argument("--report", required=True, action="append")
    c.add_argument("--targets", action="append",
                   help="targets.csv files: also check yoy, pop and ahead")
    f = sub.add_parser("field")
    f.add_argument("report")
    f.add_argument("region")
    f.add_argument("indicator")
    f.add_argument("key")
    r = sub.add_parser("regions")
    r.add_argument("report")
    v = sub.add_parser("versions")
    v.add_argument("report")
    v.add_argument("region")
    args = p.parse_args()
    return {"compare": cmd_compare, "field": cmd_field, "regions": cmd_regions,
            "versions": cmd_versions}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())

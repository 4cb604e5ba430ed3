#!/usr/bin/env python3
"""An independent check of `tally-hub compare --format json`.

The comparison of a region group must say, for each indicator, what a flat
query over the raw rows of every member gives: each member's figure (the
pooled sums of the leaves below it, docs/rollup.md), its completeness, its own
targets and their status, its rank among the members with a complete value
and its gap to the best, the group's pooled figure (the ratio of the sums
over the members) and the common standard with each member's status
against it. This script computes all of that again from the raw rows, the
division tree and the targets file alone, with flat.py's flat figures,
sharing no code with the C side, and compares it with the document.

  compare_check.py --indicators CSV --tree CSV --targets CSV
                   --raw CSV [--raw CSV ...] --members CODE,CODE,...
                   [--standard ID=strictest|NUMBER ...] COMPARE.json

Prints each mismatch and a closing line; exits 1 on a mismatch or when it
compared no figure.

  compare_check.py member COMPARE.json INDICATOR CODE
      Prints the member's entry without the fields that depend on the other
      members (rank, gap to the best), as canonical JSON, so that a shell
      script can compare one member's figures across two comparisons.
  compare_check.py members COMPARE.json DIR CODE...
      The same for every indicator of each member, into DIR/CODE-ID.json.

  compare_check.py same A.json B.json
      Exits 0 when the two documents are equal as JSON (the API's compact
      form against the command line's indented one).

  compare_check.py dom DOM.html COMPARE.json INDICATOR
      Holds the comparison page's chart, as headless Chromium rendered it,
      to the API's document: a bar per member with its value, status and
      rank, each member's own total targets as lines, and the common
      standard's line.
"""

import argparse
import csv
import html.parser
import json
import math
import os
import sys

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flat as flatmod  # noqa: E402

OPS = {
    ">=": lambda v, t: v >= t,
    ">": lambda v, t: v > t,
    "<=": lambda v, t: v <= t,
    "<": lambda v, t: v < t,
}


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def year_of(period):
    return int(period[:4])


class Check:
    def __init__(self, args):
        self.flat = flatmod.Flat(args.indicators, args.tree, args.raw)
        self.better = {r["id"]: r["better"] for r in read_csv(args.indicators)}
        self.kind = {r["id"]: r["kind"] for r in read_csv(args.indicators)}
        self.targets = read_csv(args.targets)
        self.members = args.members.split(",")
        self.standards = {}
        for s in args.standard or []:
            ind, rule = s.split("=", 1)
            self.standards[ind] = rule
        self.fields = 0
        self.figures = 0
        self.mismatches = 0

    # --- comparing ---------------------------------------------------
    def bad(self, where, what, got, want):
        self.mismatches += 1
        print("MISMATCH %s: %s: compare %r, flat %r" % (where, what, got, want))

    def same(self, where, what, got, want, exact=False):
        self.fields += 1
        ok = got == want if exact else flatmod.close(got, want)
        if not ok:
            self.bad(where, what, got, want)

    # --- the flat side -----------------------------------------------
    def higher(self, ind):
        return self.better[ind] == "higher"

    def gap(self, ind, value, level):
        if value is None:
            return None
        return value - level if self.higher(ind) else level - value

    def own_targets(self, code, ind):
        return [t for t in self.targets
                if t["region_code"] == code and t["indicator_id"] == ind]

    def member_period(self, doc, code, ind):
        """(period, basis) the way the comparison must pick it."""
        if doc["latest"]:
            own = self.own_targets(code, ind)
            if own:
                latest = max(own, key=lambda t: flatmod.period_span(t["period"])[1])
                return latest["period"], "target"
        if doc["period"] is not None:
            return doc["period"], "requested"
        years = sorted({year_of(r["period"]) for r in self.flat.by_indicator.get(ind, [])
                        if code in self.flat.ancestors_or_self(r["region"])})
        if not years:
            return None, None
        return str(years[-1]), "newest"

    def figure(self, code, ind, period):
        """(fig or None, value when complete else None)."""
        if period is None:
            return None, None
        fig = self.flat.figure(code, ind, period)
        if fig is None or fig["value"] is None:
            return fig, None
        if fig["reporting"] < self.flat.leaves_under(code):
            return fig, None
        return fig, fig["value"]

    def target_status(self, code, ind, t, fig, complete):
        """(status, compared, gap) of one of a member's own targets."""
        op, level = OPS[t["op"]], float(t["value"])
        if t["scope"] == "each_child":
            return "incomplete", None, None
        if t["scope"] == "total":
            shown = None if fig is None else fig["value"]
            if complete is None:
                return "incomplete", shown, self.gap(ind, shown, level)
            return ("met" if op(complete, level) else "missed"), complete, \
                self.gap(ind, complete, level)
        base_fig, base = self.figure(code, ind, t["baseline_period"])
        v = None if fig is None else fig["value"]
        b = None if base_fig is None else base_fig["value"]
        change = None if v is None or b is None or b == 0 else (v - b) / b * 100
        if complete is None or base is None or base == 0:
            return "incomplete", change, self.gap(ind, change, level)
        return ("met" if op(change, level) else "missed"), change, \
            self.gap(ind, change, level)

    def standard(self, ind):
        """(op, level, from target row) or None; ("none",) when the rule
        finds no level."""
        rule = self.standards.get(ind)
        if rule is None:
            return None
        if rule != "strictest":
            return (">=" if self.higher(ind) else "<=", float(rule), None)
        best = None
        for t in self.targets:
            if t["indicator_id"] != ind or t["region_code"] not in self.members:
                continue
            if t["scope"] != "total":
                continue
            up = t["op"] in (">=", ">")
            if up != self.higher(ind):
                continue
            v = float(t["value"])
            if best is None:
                best = t
                continue
            bv = float(best["value"])
            if (v > bv if self.higher(ind) else v < bv) or \
                    (v == bv and t["op"] in (">", "<")):
                best = t
        if best is None:
            return ("none",)
        return (best["op"], float(best["value"]), best)

    # --- the check ---------------------------------------------------
    def check_status(self, where, got, std, ind, value, complete):
        if std is None or std[0] == "none":
            if got is not None:
                self.bad(where, "standard", got, None)
            return
        if got is None:
            self.bad(where, "standard", None, "a status")
            return
        op, level = std[0], std[1]
        want = "incomplete" if not complete or value is None else \
            ("met" if OPS[op](value, level) else "missed")
        self.same(where, "standard.status", got.get("status"), want, exact=True)
        self.same(where, "standard.gap", got.get("gap"), self.gap(ind, value, level))

    def check_indicator(self, doc, e):
        ind = e["id"]
        where = "%s %s" % (doc["group"], ind)
        std = self.standard(ind)
        got_std = e.get("standard")
        if std is None:
            if got_std is not None:
                self.bad(where, "standard", got_std, None)
        elif std[0] == "none":
            if got_std is None or got_std.get("value") is not None:
                self.bad(where, "standard", got_std, "a rule without a level")
        else:
            self.same(where, "standard.op", (got_std or {}).get("op"), std[0], exact=True)
            self.same(where, "standard.value", (got_std or {}).get("value"), std[1])
            if std[2] is not None:
                self.same(where, "standard.region", got_std.get("region"),
                          std[2]["region_code"], exact=True)
        got_members = {m["code"]: m for m in e["members"]}
        self.same(where, "member list", [m["code"] for m in e["members"]],
                  self.members, exact=True)
        rows = {}
        for code in self.members:
            period, basis = self.member_period(doc, code, ind)
            fig, complete = self.figure(code, ind, period)
            rows[code] = (period, fig, complete)
            m = got_members.get(code, {})
            w = "%s member %s period %s" % (where, code, period)
            self.figures += 1
            self.same(w, "period", m.get("period"), period, exact=True)
            self.same(w, "period_basis", m.get("period_basis"), basis, exact=True)
            self.same(w, "expected", m.get("expected"),
                      self.flat.leaves_under(code), exact=True)
            self.same(w, "reporting", m.get("reporting"),
                      0 if fig is None else fig["reporting"], exact=True)
            self.same(w, "value", m.get("value"), None if fig is None else fig["value"])
            a = None if fig is None else fig["a"]
            b = None if fig is None else fig["b"]
            if self.kind[ind] == "ratio":
                self.same(w, "numerator", m.get("numerator"), a)
                self.same(w, "denominator", m.get("denominator"), b)
            else:
                self.same(w, "sum", m.get("sum"), a)
                if self.kind[ind] == "weighted_mean":
                    self.same(w, "weight", m.get("weight"), b)
            self.same(w, "complete", m.get("complete"), complete is not None, exact=True)
            # Own targets of the member's period.
            want_t = [t for t in self.own_targets(code, ind) if t["period"] == period]
            got_t = m.get("targets", [])
            self.same(w, "number of targets", len(got_t), len(want_t), exact=True)
            for t, g in zip(want_t, got_t):
                status, compared, gap = self.target_status(code, ind, t, fig, complete)
                tw = "%s target %s %s %s" % (w, t["op"], t["value"], t["scope"])
                self.same(tw, "op", g.get("op"), t["op"], exact=True)
                self.same(tw, "value", g.get("value"), float(t["value"]))
                self.same(tw, "status", g.get("status"), status, exact=True)
                self.same(tw, "compared", g.get("compared"), compared)
                self.same(tw, "gap", g.get("gap"), gap)
            self.check_status(w, m.get("standard"), std, ind,
                              None if fig is None else fig["value"],
                              complete is not None)
        # Ranks and gaps to the best among complete members.
        ranked = {c: v[2] for c, v in rows.items() if v[2] is not None}
        higher = self.higher(ind)
        best = None
        for c, v in ranked.items():
            if best is None or (v > ranked[best] if higher else v < ranked[best]):
                best = c
        for code in self.members:
            m = got_members.get(code, {})
            w = "%s member %s" % (where, code)
            if code not in ranked:
                self.same(w, "rank", m.get("rank"), None, exact=True)
                self.same(w, "gap_to_best", m.get("gap_to_best"), None)
                continue
            v = ranked[code]
            # Equal values share a rank, also when they differ only by
            # the rounding of the sums that reached them.
            ahead = sum(1 for o in ranked.values()
                        if (o > v if higher else o < v) and not math.isclose(o, v, rel_tol=1e-9))
            self.same(w, "rank", m.get("rank"), ahead + 1, exact=True)
            self.same(w, "gap_to_best", m.get("gap_to_best"),
                      self.gap(ind, v, ranked[best]))
        got_best = e.get("best")
        self.same(where, "best.value", None if got_best is None else got_best.get("value"),
                  None if best is None else ranked[best])
        # The pooled figure: the sums over the members, at one period.
        periods = {v[0] for v in rows.values() if v[0] is not None}
        pooled = e.get("pooled", {})
        w = "%s pooled" % where
        self.figures += 1
        expected = sum(self.flat.leaves_under(c) for c in self.members)
        self.same(w, "expected", pooled.get("expected"), expected, exact=True)
        if len(periods) > 1:
            self.same(w, "period", pooled.get("period"), None, exact=True)
            self.same(w, "value", pooled.get("value"), None)
            self.same(w, "complete", pooled.get("complete"), False, exact=True)
            self.same(w, "standard", pooled.get("standard"), None, exact=True)
            return
        if not periods:
            self.same(w, "value", pooled.get("value"), None)
            self.same(w, "complete", pooled.get("complete"), False, exact=True)
            return
        a = bsum = 0.0
        reporting = 0
        have = False
        for code, (period, fig, complete) in rows.items():
            if fig is not None:
                have = True
                a += fig["a"]
                bsum += fig["b"]
                reporting += fig["reporting"]
        ind_row = self.flat.ind[ind]
        value = self.flat.value_of(ind_row, a, bsum) if have else None
        complete = all(v[2] is not None for v in rows.values()) and value is not None
        self.same(w, "period", pooled.get("period"), periods.pop(), exact=True)
        self.same(w, "value", pooled.get("value"), value)
        self.same(w, "reporting", pooled.get("reporting"), reporting, exact=True)
        if self.kind[ind] == "ratio":
            self.same(w, "numerator", pooled.get("numerator"), a if have else None)
            self.same(w, "denominator", pooled.get("denominator"), bsum if have else None)
        self.same(w, "complete", pooled.get("complete"), complete, exact=True)
        if self.kind[ind] == "count":
            if pooled.get("standard") is not None:
                self.bad(w, "standard", pooled.get("standard"), None)
        else:
            self.check_status(w, pooled.get("standard"), std, ind, value, complete)

    def check(self, path):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        self.same(path, "members", [m["code"] for m in doc["members"]],
                  self.members, exact=True)
        shown = [e["id"] for e in doc["indicators"]]
        for e in doc["indicators"]:
            self.check_indicator(doc, e)
        # Without --indicator, every indicator some member has a figure
        # for is shown, and no other.
        if len(shown) > 1:
            for ind in self.flat.ind:
                has = any(self.figure(c, ind, self.member_period(doc, c, ind)[0])[0]
                          is not None for c in self.members)
                if has != (ind in shown):
                    self.bad(path, "indicator " + ind, ind in shown, has)


def member_entry(doc, indicator, code):
    """A member's entry for one indicator without rank and gap to the best,
    as one line of canonical JSON ("none" when it has none)."""
    for e in doc["indicators"]:
        if e["id"] != indicator:
            continue
        for m in e["members"]:
            if m["code"] == code:
                m = {k: v for k, v in m.items() if k not in ("rank", "gap_to_best")}
                return json.dumps(m, sort_keys=True, ensure_ascii=False)
    return "none"


def cmd_member(args):
    with open(args.report, encoding="utf-8") as f:
        doc = json.load(f)
    print(member_entry(doc, args.indicator, args.code))
    return 0


def cmd_members(args):
    """Every indicator's entry of each member, one file each
    (DIR/CODE-INDICATOR.json), in one process rather than one a file."""
    with open(args.report, encoding="utf-8") as f:
        doc = json.load(f)
    for e in doc["indicators"]:
        for code in args.codes:
            path = os.path.join(args.dir, "%s-%s.json" % (code, e["id"]))
            with open(path, "w", encoding="utf-8") as out:
                out.write(member_entry(doc, e["id"], code) + "\n")
    return 0


def cmd_same(args):
    with open(args.a, encoding="utf-8") as f:
        a = json.load(f)
    with open(args.b, encoding="utf-8") as f:
        b = json.load(f)
    if a != b:
        print("the documents differ")
        return 1
    print("equal")
    return 0


class Dom(html.parser.HTMLParser):
    """Every element's tag and attributes, in document order."""

    def __init__(self):
        super().__init__()
        self.elems = []

    def handle_starttag(self, tag, attrs):
        self.elems.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        # The text right after an element's start: enough for the SVG
        # labels, which hold nothing else.
        if self.elems:
            a = self.elems[-1][1]
            a["_text"] = a.get("_text", "") + data


def cmd_dom(args):
    with open(args.doc, encoding="utf-8") as f:
        doc = json.load(f)
    dom = Dom()
    with open(args.dom, encoding="utf-8") as f:
        dom.feed(f.read())
    e = next(x for x in doc["indicators"] if x["id"] == args.indicator)
    bad = []
    checked = 0

    def classes(a):
        return (a.get("class") or "").split()

    body = [a for t, a in dom.elems if t == "body"]
    checked += 1
    if not body or body[0].get("data-ready") != "1" or "data-error" in body[0]:
        bad.append("the page did not finish cleanly: %r" % (body[0] if body else None))
    rows = [a.get("data-member") for t, a in dom.elems if t == "tr" and "data-member" in a]
    checked += 1
    if rows != [m["code"] for m in e["members"]] + ["pooled"]:
        bad.append("member table rows %r" % rows)
    chart = [a for t, a in dom.elems if t == "svg" and a.get("id") == "compare-chart"]
    if len(chart) != 1 or chart[0].get("data-indicator") != args.indicator:
        bad.append("no chart of %s" % args.indicator)
    bars = {a["data-member"]: a for t, a in dom.elems
            if t == "rect" and "bar" in classes(a)}
    for m in e["members"]:
        b = bars.get(m["code"])
        if m["value"] is None:
            if b is not None:
                bad.append("%s: a bar without a value" % m["code"])
            continue
        checked += 1
        if b is None:
            bad.append("%s: no bar" % m["code"])
            continue
        if float(b["data-value"]) != m["value"]:
            bad.append("%s: bar %s, API %r" % (m["code"], b["data-value"], m["value"]))
        want_rank = "" if m["rank"] is None else str(m["rank"])
        if b.get("data-rank") != want_rank:
            bad.append("%s: rank %r, API %r" % (m["code"], b.get("data-rank"), want_rank))
        want_status = "incomplete" if not m["complete"] else \
            (m["standard"] or {}).get("status") or \
            (m["targets"][0]["status"] if m["targets"] else "none")
        if b.get("data-status") != want_status:
            bad.append("%s: status %r, API %r" % (m["code"], b.get("data-status"), want_status))
    # Honest bars: every bar stands on zero and its height is
    # proportional to its value; values that differ read differently.
    if len(chart) == 1 and "data-y0" in chart[0]:
        y0 = float(chart[0]["data-y0"])
        per = []
        for code, b in bars.items():
            v = float(b["data-value"])
            top, h = float(b["y"]), float(b["height"])
            checked += 1
            if v >= 0 and abs(top + h - y0) > 0.01:
                bad.append("%s: the bar does not stand on zero (%r + %r != %r)" % (code, top, h, y0))
            if v > 0 and h > 1:
                per.append(h / v)
        if per and max(per) - min(per) > 1e-6 * max(per):
            bad.append("bar heights not proportional to values: %r" % per)
    else:
        bad.append("the chart does not say where zero is")
    texts = {}
    for t, a in dom.elems:
        if t == "text" and "bar-value" in classes(a):
            texts[a["data-member"]] = a.get("_text", "")
    values = {m["code"]: m["value"] for m in e["members"] if m["value"] is not None}
    for c1 in values:
        for c2 in values:
            checked += 1
            if c1 < c2 and values[c1] != values[c2] and c1 in texts and c2 in texts \
                    and texts[c1] == texts[c2]:
                bad.append("%s and %s differ (%r, %r) but both read %r"
                           % (c1, c2, values[c1], values[c2], texts[c1]))
    targets = sorted((a["data-member"], float(a["data-value"])) for t, a in dom.elems
                     if t == "line" and "target-line" in classes(a))
    want = sorted((m["code"], t["value"]) for m in e["members"]
                  for t in m["targets"] if t["scope"] == "total")
    checked += 1
    if targets != want:
        bad.append("target lines %r, API %r" % (targets, want))
    std = [float(a["data-value"]) for t, a in dom.elems
           if t == "line" and "standard-line" in classes(a)]
    want_std = [] if not e["standard"] or e["standard"]["value"] is None \
        else [e["standard"]["value"]]
    checked += 1
    if std != want_std:
        bad.append("standard line %r, API %r" % (std, want_std))
    for b_ in bad:
        print("MISMATCH " + b_)
    print("compare_check.py dom: %d checks, %d mismatches" % (checked, len(bad)))
    return 1 if bad or checked == 0 else 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "same":
        p = argparse.ArgumentParser()
        p.add_argument("cmd")
        p.add_argument("a")
        p.add_argument("b")
        return cmd_same(p.parse_args())
    if len(sys.argv) > 1 and sys.argv[1] == "dom":
        p = argparse.ArgumentParser()
        p.add_argument("cmd")
        p.add_argument("dom")
        p.add_argument("doc")
        p.add_argument("indicator")
        return cmd_dom(p.parse_args())
    if len(sys.argv) > 1 and sys.argv[1] == "members":
        p = argparse.ArgumentParser()
        p.add_argument("cmd")
        p.add_argument("report")
        p.add_argument("dir")
        p.add_argument("codes", nargs="+")
        return cmd_members(p.parse_args())
    if len(sys.argv) > 1 and sys.argv[1] == "member":
        p = argparse.ArgumentParser()
        p.add_argument("cmd")
        p.add_argument("report")
        p.add_argument("indicator")
        p.add_argument("code")
        return cmd_member(p.parse_args())
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--indicators", required=True)
    p.add_argument("--tree", required=True)
    p.add_argument("--targets", required=True)
    p.add_argument("--raw", required=True, action="append")
    p.add_argument("--members", required=True)
    p.add_argument("--standard", action="append")
    p.add_argument("report", nargs="+")
    args = p.parse_args()
    c = Check(args)
    for path in args.report:
        c.check(path)
    print("compare_check.py: compared %d figures (%d fields) in %d documents: %d mismatches"
          % (c.figures, c.fields, len(args.report), c.mismatches))
    return 1 if c.mismatches or c.figures == 0 else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The dashboard's JSON API, tested against a live hub.

A real tree runs as separate processes in a temporary directory: Hebei's
province hub (130000) with `--http 127.0.0.1:0`, its 11 city hubs over
ipc:// sockets, and its 167 counties, each a real `tally-node` store loaded
with a generated year (`tally-gen`) and pushed to its city hub. The province
also records an observation of its own. Every figure the API serves is held
to an independent computation over the raw rows: tests/flat.py for values,
sums, completeness and extremes, and the rules of docs/rollup.md written out
again here for targets, due dates, shares and pulls. Then the bad requests
(400, 404, 405), the headers, and a second year loaded while the API is
being hit, which must arrive whole.

Commands:
  check BUILD_DIR
      The API test (CTest's `api`). The last line is "N passed, N failed".
  serve BUILD_DIR --work DIR
      Brings the same tree up with its data, writes the dashboard's URL to
      DIR/ready once every figure has arrived, and keeps it running until
      SIGTERM or SIGINT (for tests/browser.sh).
  check-dom --work DIR --view NAME DOM_FILE
      Holds the DOM that headless Chromium rendered for one view of the
      page (province, city, county) to the API and the flat computation.
"""

import argparse
import concurrent.futures
import csv
import datetime
import decimal
import html.parser
import gzip
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import flat  # noqa: E402  (the independent reference, beside this file)

PROVINCE = "130000"
YEAR = "2020"
# The city whose counties also load an older year, while the API is hit.
LATE_CITY = "131100"
OLD_YEAR = "2013"
# Generous bounds for waits: the tree runs under the sanitizers on a
# loaded 2-core machine. They bound the test, they assert nothing.
DEADLINE_S = 180
HTTP_TIMEOUT_S = 120

DATA_DIR = os.environ.get("TALLY_DATA_DIR") or os.path.join(HERE, "..", "configs")


# --------------------------------------------------------------- results

class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, what):
        self.passed += 1
        print("ok - " + what, flush=True)

    def fail(self, what):
        self.failed += 1
        print("FAIL - " + what, flush=True)

    def check(self, what, cond, detail=""):
        if cond:
            self.ok(what)
        else:
            self.fail(what + (": " + detail if detail else ""))
        return cond

    def equal(self, what, got, want):
        return self.check(what, got == want, "got %r, expected %r" % (got, want))

    def close(self, what, got, want):
        return self.check(what, flat.close(got, want), "got %r, expected %r" % (got, want))


# ----------------------------------------------------------------- HTTP

def request(base, method, path, body=None, headers=None):
    """One request on a fresh connection: (status, headers, body)."""
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=HTTP_TIMEOUT_S)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        return resp.status, hdrs, data
    finally:
        conn.close()


def get_json(base, path):
    status, hdrs, data = request(base, "GET", path)
    try:
        doc = json.loads(data.decode("utf-8"))
    except ValueError:
        doc = None
    return status, hdrs, doc


def query(path, **params):
    return path + "?" + urllib.parse.urlencode(params)


# ----------------------------------------------------------- the tree

class Tree:
    """The processes of one test: hubs and the commands that load
    counties. Everything started here is stopped by stop()."""

    def __init__(self, build, work):
        self.build = build
        self.work = work
        self.node = os.path.join(build, "node", "tally-node")
        self.hub = os.path.join(build, "hub", "tally-hub")
        self.gen = os.path.join(build, "bench", "tally-gen")
        self.procs = {}
        self.urls = {}
        self.http = None
        for d in ("db", "sock", "log", "gen", "raw", "out"):
            os.makedirs(os.path.join(work, d), exist_ok=True)
        self.divisions = flat.read_csv(os.path.join(DATA_DIR, "divisions.csv"))
        self.cities = [r["code"] for r in self.divisions if r["parent_code"] == PROVINCE]
        self.city_of = {r["code"]: r["parent_code"] for r in self.divisions
                        if r["parent_code"] in self.cities}

    def log(self, name):
        return open(os.path.join(self.work, "log", name + ".log"), "ab")

    def start_hub(self, region, parent=None, http_addr=None, config=None):
        ready = os.path.join(self.work, "sock", region + ".ready")
        if os.path.exists(ready):
            os.unlink(ready)
        if config:
            args = [self.hub, "run", "-c", config]
        else:
            args = [self.hub, "run", "--db", os.path.join(self.work, "db", region + ".db"),
                    "--region", region, "--listen",
                    "ipc://" + os.path.join(self.work, "sock", region),
                    "--ready-file", ready]
            if parent:
                args += ["--parent", self.urls[parent]]
            if http_addr:
                args += ["--http", http_addr]
        with self.log("hub-" + region) as err:
            p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err)
        self.procs[region] = p
        end = time.monotonic() + DEADLINE_S
        while True:
            if os.path.exists(ready):
                with open(ready) as f:
                    lines = f.read().splitlines()
                if lines:
                    self.urls[region] = lines[0]
                    return lines
            if p.poll() is not None or time.monotonic() > end:
                raise SystemExit("hub %s did not become ready (exit %s); see %s"
                                 % (region, p.poll(), self.work))
            time.sleep(0.02)

    def stop_hub(self, region):
        p = self.procs.pop(region)
        p.terminate()
        try:
            return p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            return p.wait()

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.terminate()
        for p in self.procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs.clear()

    def run(self, args, name="node"):
        with self.log(name) as err:
            return subprocess.run(args, stdout=subprocess.DEVNULL, stderr=err).returncode

    def generate(self, region, year, seed, name):
        """Generates a year for every leaf under region; the raw rows go to
        raw/NAME.csv for the flat computation."""
        out = os.path.join(self.work, "gen", name)
        rc = self.run([self.gen, "--region", region, "--year", year, "--seed", str(seed),
                       "--out", out, "--flat", os.path.join(self.work, "raw", name + ".csv")])
        if rc != 0:
            raise SystemExit("tally-gen failed (%d)" % rc)
        return out

    def load_county(self, county, gen_dir, create):
        db = os.path.join(self.work, "db", county + ".db")
        if create and self.run([self.node, "init", "-q", "--db", db, "--region", county]) != 0:
            return "init"
        if self.run([self.node, "import", "-q", "--db", db,
                     os.path.join(gen_dir, county + ".csv")]) != 0:
            return "import"
        if self.run([self.node, "push", "-q", "--db", db, "--hub",
                     self.urls[self.city_of[county]], "--timeout-ms", "60000"]) != 0:
            return "push"
        return None

    def load(self, counties, gen_dir, create):
        """Loads and pushes counties, two at a time (one per core).
        Returns the failures as (county, step)."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
            steps = list(ex.map(lambda c: self.load_county(c, gen_dir, create), counties))
        return [(c, s) for c, s in zip(counties, steps) if s is not None]

    def own(self, region, indicator, period, value):
        """An observation of a hub's own region, recorded into its database
        while it runs, and kept as a raw row for the flat computation."""
        rc = self.run([self.node, "record", "-q", "--db",
                       os.path.join(self.work, "db", region + ".db"),
                       "--indicator", indicator, "--period", period, "--value", str(value)])
        if rc == 0:
            path = os.path.join(self.work, "raw", "own.csv")
            new = not os.path.exists(path)
            with open(path, "a", newline="") as f:
                w = csv.writer(f)
                if new:
                    w.writerow(["region", "indicator", "period", "numerator",
                                "denominator", "value", "weight"])
                w.writerow([region, indicator, period, "", "", value, ""])
        return rc

    def raw_files(self):
        d = os.path.join(self.work, "raw")
        return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".csv"))

    def tails(self):
        d = os.path.join(self.work, "log")
        for f in sorted(os.listdir(d)):
            with open(os.path.join(d, f), "rb") as fh:
                lines = fh.read().decode("utf-8", "replace").splitlines()
            print("--- %s (last 20 lines)" % f)
            for line in lines[-20:]:
                print(line)


def make_flat(work):
    raw = sorted(os.path.join(work, "raw", f) for f in os.listdir(os.path.join(work, "raw"))
                 if f.endswith(".csv"))
    return flat.Flat(os.path.join(DATA_DIR, "indicators.csv"),
                     os.path.join(DATA_DIR, "divisions.csv"), raw)


def counties_of(tree, cities):
    return sorted(c for c, p in tree.city_of.items() if p in cities)


def bring_up(tree, res):
    """The province with its dashboard, the cities, every county's 2020,
    and the province's own observation. Returns the dashboard's URL."""
    lines = tree.start_hub(PROVINCE, http_addr="127.0.0.1:0")
    res.check("the province's ready file has the NNG URL, then the dashboard's",
              len(lines) == 2 and re.fullmatch(r"http://127\.0\.0\.1:[1-9][0-9]*/", lines[1]) is not None,
              repr(lines))
    base = lines[1] if len(lines) > 1 else None
    for c in tree.cities:
        tree.start_hub(c, parent=PROVINCE)
    gen = tree.generate(PROVINCE, YEAR, 1, "gen" + YEAR)
    counties = counties_of(tree, tree.cities)
    bad = tree.load(counties, gen, True)
    res.check("%d counties created, loaded and pushed to their city hubs" % len(counties),
              not bad, repr(bad[:5]))
    res.equal("the province records an observation of its own while it runs",
              tree.own(PROVINCE, "scenic_spots_5a", YEAR + "-11", 5), 0)
    return base


def converge(base, fl, period, res, label):
    """Waits until the whole tree's report for period equals the flat
    computation (the cities forward within about a second)."""
    end = time.monotonic() + DEADLINE_S
    while True:
        status, _, doc = get_json(base, query("/api/report", period=period, depth=-1))
        mismatches = None
        if status == 200 and doc is not None:
            mismatches = compare_report(fl, doc, quiet=True)
            if mismatches == 0:
                res.ok("%s: every region's figures for %s arrived" % (label, period))
                return True
        if time.monotonic() > end:
            res.fail("%s: the tree did not converge for %s (status %s, %s mismatches)"
                     % (label, period, status, mismatches))
            if doc is not None:
                compare_report(fl, doc, quiet=False)
            return False
        time.sleep(0.5)


# ------------------------------------------- the independent reference

def indicators():
    return {r["id"]: r for r in flat.read_csv(os.path.join(DATA_DIR, "indicators.csv"))}


def targets_for(region, ind, period):
    return [r for r in flat.read_csv(os.path.join(DATA_DIR, "targets.csv"))
            if r["region_code"] == region and r["indicator_id"] == ind and r["period"] == period]


def op_holds(op, v, x):
    return {">=": v >= x, ">": v > x, "<=": v <= x, "<": v < x}[op]


def expect_target(fl, inds, code, ind, period, row):
    """A target's status, compared value and gap, from docs/rollup.md: a figure
    that not every expected region reported is incomplete, and so is a
    change whose baseline is missing or incomplete; the gap is positive on
    the good side of the target."""
    want = float(row["value"])
    expected = fl.leaves_under(code)
    fig = fl.figure(code, ind, period)
    higher = inds[ind]["better"] == "higher"
    complete = fig is not None and fig["value"] is not None and fig["reporting"] >= expected
    value = fig["value"] if fig is not None else None
    if row["scope"] == "change_pct":
        base = fl.figure(code, ind, row["baseline_period"])
        if value is not None and base is not None and base["value"]:
            value = (value - base["value"]) / base["value"] * 100
        else:
            value = None
        complete = complete and base is not None and base["reporting"] >= expected
    elif row["scope"] != "total":
        raise SystemExit("no %s target in Hebei's programme" % row["scope"])
    out = {"op": row["op"], "value": want, "scope": row["scope"], "compared": value,
           "gap": None if value is None else (value - want if higher else want - value)}
    if not complete:
        out["status"] = "incomplete"
    else:
        out["status"] = "met" if op_holds(row["op"], value, want) else "missed"
    return out


def due_of(period):
    """The due date: 15 days after the period's last day ends in China
    Standard Time (UTC+8)."""
    first, last = flat.period_span(period)
    y, m = divmod(last, 12)
    if m == 0:
        y, m = y - 1, 12
    nxt = datetime.datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=datetime.timezone.utc)
    end_cst = nxt - datetime.timedelta(hours=8)
    return end_cst + datetime.timedelta(days=15)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def own_rows(work, code, ind, period):
    path = os.path.join(work, "raw", "own.csv")
    if not os.path.exists(path):
        return []
    first, last = flat.period_span(period)
    return [r for r in flat.read_csv(path) if r["region"] == code and r["indicator"] == ind
            and first <= flat.period_span(r["period"])[0] and flat.period_span(r["period"])[1] <= last]


def compare_report(fl, doc, quiet):
    """Every figure of a report against flat.py. Returns the mismatches."""
    cmp_ = flat.Comparer(fl)
    out = sys.stdout
    if quiet:
        sys.stdout = open(os.devnull, "w")
    try:
        for reg in doc["regions"]:
            for got in reg["indicators"]:
                where = "period %s region %s %s" % (doc["period"], reg["code"], got["id"])
                cmp_.compare_one(where, reg["code"], got["id"], got,
                                 fl.figure(reg["code"], got["id"], doc["period"]))
    finally:
        if quiet:
            sys.stdout.close()
            sys.stdout = out
    if cmp_.figures == 0:
        return -1
    return cmp_.mismatches


def held_periods(fl):
    """Every period held: each raw row's period and the coarser ones a
    node derives from it, oldest first, a year before its quarters and a
    quarter before its months."""
    out = set()
    for r in fl.rows:
        p = r["period"]
        out.add(p)
        m = re.fullmatch(r"(\d{4})-(\d{2})", p)
        if m:
            out.add("%sQ%d" % (m.group(1), (int(m.group(2)) + 2) // 3))
        out.add(p[:4])
    return sorted(out, key=lambda p: (flat.period_span(p)[0], -(flat.period_span(p)[1] - flat.period_span(p)[0])))


def expected_contributions(fl, work, code, ind, period, hub):
    """Each direct child's part of code's figure (and the region's own
    observations, at the hub), with its share of what pools and its pull:
    the pooled value minus the value pooled without it."""
    kind = fl.ind[ind]["kind"]
    total = fl.figure(code, ind, period)
    out = {}

    def part(key, a, b, reporting, expected, own):
        value = fl.value_of(fl.ind[ind], a, b)
        share = pull = None
        if total is not None:
            whole, mine = (total["a"], a) if kind == "count" else (total["b"], b)
            share = mine / whole if whole > 0 else None
            ra, rb = total["a"] - a, total["b"] - b
            if total["value"] is not None and (kind == "count" or rb > 0):
                pull = total["value"] - fl.value_of(fl.ind[ind], ra, rb)
        out[key] = {"value": value, "a": a, "b": b, "reporting": reporting,
                    "expected": expected, "share": share, "pull": pull, "own": own}

    for child in fl.children.get(code, []):
        fig = fl.figure(child, ind, period)
        if fig is None:
            out[child] = {"value": None, "share": None, "pull": None, "reporting": 0,
                          "expected": fl.leaves_under(child), "own": False}
        else:
            part(child, fig["a"], fig["b"], fig["reporting"], fl.leaves_under(child), False)
    rows = own_rows(work, code, ind, period) if code == hub else []
    if rows:
        a = b = 0.0
        for r in rows:
            x, y = fl.row_sums(fl.ind[ind], {"num": flat.number(r["numerator"]),
                                             "den": flat.number(r["denominator"]),
                                             "value": flat.number(r["value"]),
                                             "weight": flat.number(r["weight"])})
            a, b = a + x, b + y
        part("own:" + code, a, b, 0, 0, True)
    return out


# ------------------------------------------------------------ the checks

def check_meta(base, fl, res, tree):
    status, hdrs, doc = get_json(base, "/api/meta")
    if not res.equal("GET /api/meta", status, 200):
        return None
    res.equal("meta: hub", doc["hub"], PROVINCE)
    names = {r["code"]: r for r in tree.divisions}
    res.equal("meta: name", doc["name"], names[PROVINCE]["name"])
    res.equal("meta: level", doc["level"], "province")
    res.equal("meta: every period held, oldest first", doc["periods"], held_periods(fl))
    res.equal("meta: the default period is the newest year", doc["default_period"], YEAR)
    inds = indicators()
    got = [(i["id"], i["name_zh"], i["name_en"], i["kind"], i["unit"], i["better"], i["time_agg"])
           for i in doc["indicators"]]
    want = [(i["id"], i["name_zh"], i["name_en"], i["kind"], i["unit"], i["better"], i["time_agg"])
            for i in inds.values()]
    res.equal("meta: the indicator catalogue with both names", got, want)
    regions = {r["code"]: r for r in doc["regions"]}
    below = [PROVINCE] + tree.cities + sorted(tree.city_of)
    res.equal("meta: every region under the hub, to the counties",
              sorted(regions), sorted(below))
    bad = [c for c in below if c in regions and (
        regions[c]["name"] != names[c]["name"] or regions[c]["level"] != names[c]["level"]
        or regions[c]["parent"] != (names[c]["parent_code"] if c != PROVINCE else None)
        or regions[c]["depth"] != (0 if c == PROVINCE else 1 if c in tree.cities else 2))]
    res.check("meta: each region's name, level, parent and depth", not bad, repr(bad[:3]))
    return doc


def check_report_doc(fl, doc, period, region, depth, res, label, hub=PROVINCE):
    """The shape of a report (regions, depths, parents, which indicators)
    and every figure against flat.py."""
    res.equal(label + ": period", doc.get("period"), period)
    res.equal(label + ": hub", doc.get("hub"), hub)
    res.equal(label + ": region", doc.get("region"), region)
    want = []

    def walk(code, d):
        want.append((code, d))
        if depth < 0 or d < depth:
            for c in fl.children.get(code, []):
                walk(c, d + 1)
    walk(region, 0)
    got = [(r["code"], r["depth"]) for r in doc["regions"]]
    res.equal(label + ": the region and %s below it, depth first" %
              ("everything" if depth < 0 else "%d level(s)" % depth), got, want)
    res.check(label + ": each region's parent",
              all(r["parent"] == fl.parent.get(r["code"]) for r in doc["regions"]))
    shown = set()
    for ind in fl.ind:
        if fl.figure(region, ind, period) is not None or any(
                targets_for(c, ind, period) for c, _ in want):
            shown.add(ind)
    res.check(label + ": every region lists the indicators with a figure or a target",
              all({f["id"] for f in r["indicators"]} == shown for r in doc["regions"]),
              "top shows %d, expected %d" % (len(doc["regions"][0]["indicators"]) if doc["regions"] else -1,
                                             len(shown)))
    if shown:
        n = compare_report(fl, doc, quiet=False)
        res.check(label + ": every figure equals the flat computation", n == 0,
                  "%s mismatches" % n)


def check_targets_and_children(base, fl, res, tree, period, now0):
    inds = indicators()
    status, _, doc = get_json(base, query("/api/report", period=period))
    if not res.equal("report %s (defaults: the hub's region, depth 1)" % period, status, 200):
        return
    check_report_doc(fl, doc, period, PROVINCE, 1, res, "report " + period)
    top = doc["regions"][0]
    n_targets = 0
    for f in top["indicators"]:
        rows = targets_for(PROVINCE, f["id"], period)
        if not rows:
            res.check("report %s: %s has no target" % (period, f["id"]), "target" not in f)
            continue
        n_targets += 1
        got = f.get("target")
        if isinstance(got, dict):
            got = [got]
        if not res.check("report %s: %s has its target" % (period, f["id"]),
                         isinstance(got, list) and len(got) == len(rows)):
            continue
        for g, row in zip(got, rows):
            w = expect_target(fl, inds, PROVINCE, f["id"], period, row)
            what = "report %s: %s target %s %s %s" % (period, f["id"], w["op"], row["value"], w["scope"])
            res.check(what + ": " + w["status"],
                      g["op"] == w["op"] and g["value"] == w["value"] and g["scope"] == w["scope"]
                      and g["status"] == w["status"] and flat.close(g.get("compared"), w["compared"])
                      and flat.close(g.get("gap"), w["gap"]),
                      "got %r, expected %r" % ({k: g.get(k) for k in w}, w))
            if w["scope"] == "change_pct":
                res.equal(what + ": baseline period", g.get("baseline_period"), row["baseline_period"])
    res.equal("report %s: the province's targets are all shown" % period, n_targets,
              len({r["indicator_id"] for r in flat.read_csv(os.path.join(DATA_DIR, "targets.csv"))
                   if r["region_code"] == PROVINCE and r["period"] == period}))
    # Due dates, completeness and late children.
    due = due_of(period)
    now = datetime.datetime.now(datetime.timezone.utc)
    bad_due, bad_children = [], []
    for f in top["indicators"]:
        fig = fl.figure(PROVINCE, f["id"], period)
        reporting = fig["reporting"] if fig else 0
        if f.get("due") != iso(due) or f.get("overdue") != (now > due and reporting < 167):
            bad_due.append((f["id"], f.get("due"), f.get("overdue")))
        ch = f.get("children", {})
        reported = [c for c in tree.cities if fl.figure(c, f["id"], period) is not None]
        missing = [m["code"] for m in ch.get("missing", [])]
        late = ch.get("late", [])
        # Every child reported in this test, long after the due date.
        want_late = reported if now0 > due else []
        ok = (ch.get("reported") == len(reported) and ch.get("expected") == len(tree.cities)
              and missing == [c for c in tree.cities if c not in reported]
              and [x["code"] for x in late] == want_late
              and all(x["first_submitted"] <= x["last_submitted"]
                      and x["first_submitted"] >= iso(now0 - datetime.timedelta(seconds=2))
                      and x["last_submitted"] <= iso(now + datetime.timedelta(seconds=2))
                      for x in late))
        if not ok:
            bad_children.append((f["id"], ch.get("reported"), len(reported), missing[:3],
                                 [x["code"] for x in late][:3]))
    res.check("report %s: due %s and overdue for every indicator" % (period, iso(due)),
              not bad_due, repr(bad_due[:3]))
    res.check("report %s: children reported, missing and late for every indicator" % period,
              not bad_children, repr(bad_children[:3]))


def check_reports(base, fl, res, tree):
    city = tree.cities[0]
    county = counties_of(tree, [city])[0]
    for params, region, depth, label in (
            ({"period": YEAR, "depth": -1}, PROVINCE, -1, "report depth -1 (every region held)"),
            ({"period": YEAR, "depth": 0}, PROVINCE, 0, "report depth 0"),
            ({"period": YEAR, "region": city}, city, 1, "report of city %s" % city),
            ({"period": YEAR, "region": city, "depth": 2}, city, 2, "report of city %s, depth 2" % city),
            ({"period": YEAR + "Q3", "region": city}, city, 1, "report of city %s for a quarter" % city),
            ({"period": YEAR + "-11", "depth": 2}, PROVINCE, 2, "report of a month, depth 2"),
            ({"period": YEAR, "region": county}, county, 1, "report of county %s" % county)):
        status, _, doc = get_json(base, query("/api/report", **params))
        if res.equal("GET " + label, status, 200):
            check_report_doc(fl, doc, params["period"], region, depth, res, label)
            if region == county:
                res.check(label + ": a leaf has no children",
                          all("children" not in f for f in doc["regions"][0]["indicators"]))
    status, _, doc = get_json(base, query("/api/report", period=YEAR, indicator="pm25_concentration", depth=2))
    if res.equal("GET report of one indicator", status, 200):
        res.check("report of one indicator: only that indicator, in every region",
                  all([f["id"] for f in r["indicators"]] == ["pm25_concentration"]
                      for r in doc["regions"]) and len(doc["regions"]) == 179)
        compare = compare_report(fl, doc, quiet=False)
        res.equal("report of one indicator: figures equal the flat computation", compare, 0)
    # Nothing is held for 2019: no figure anywhere. The region shown still
    # lists an indicator where a later target stands ahead of it (its
    # trajectory, "incomplete" without figures), and only then; the rows
    # below it list the same indicators, without figures too.
    status, _, doc = get_json(base, query("/api/report", period="2019"))
    regions = (doc or {}).get("regions", [])
    odd = [(r["code"], f) for r in regions for f in r["indicators"]
           if not (f.get("value") is None and f.get("reporting", 0) == 0)]
    odd += [(regions[0]["code"], f) for f in regions[0]["indicators"] if not f.get("ahead")] if regions else []
    res.check("report of a period nothing is held for: 200, no figures, only targets ahead",
              status == 200 and doc["regions"] and not odd,
              "status %s, %d other entries, the first: %s"
              % (status, len(odd), json.dumps(odd[:1], ensure_ascii=False)[:600]))


def check_explain(base, fl, res, tree, work, period, ind, region):
    label = "explain %s %s %s" % (period, ind, region)
    params = {"period": period, "indicator": ind}
    if region != PROVINCE:
        params["region"] = region
    status, _, doc = get_json(base, query("/api/explain", **params))
    if not res.equal("GET " + label, status, 200):
        return
    fig = fl.figure(region, ind, period)
    res.check(label + ": the region's pooled figure",
              doc["region"] == region and doc["indicator"] == ind and doc["period"] == period
              and flat.close(doc.get("value"), fig["value"] if fig else None),
              "got %r" % doc.get("value"))
    want = expected_contributions(fl, work, region, ind, period, PROVINCE)
    got = {("own:" + c["code"]) if c["own"] else c["code"]: c for c in doc["contributions"]}
    res.equal(label + ": one part per child (and the hub's own)", sorted(got), sorted(want))
    kind = fl.ind[ind]["kind"]
    bad = []
    for key, w in want.items():
        g = got.get(key)
        if g is None:
            continue
        ok = (flat.close(g["value"], w["value"]) and flat.close(g["share"], w["share"])
              and flat.close(g["pull"], w["pull"]) and g["own"] == w["own"]
              and g["reporting"] == w["reporting"] and g["expected"] == w["expected"])
        if w["value"] is not None:
            if kind == "ratio":
                ok = ok and flat.close(g["numerator"], w["a"]) and flat.close(g["denominator"], w["b"])
            elif kind == "weighted_mean":
                ok = ok and flat.close(g["sum"], w["a"]) and flat.close(g["weight"], w["b"])
            else:
                ok = ok and flat.close(g["sum"], w["a"])
        if not ok:
            bad.append((key, {k: g.get(k) for k in ("value", "share", "pull")},
                        {k: w.get(k) for k in ("value", "share", "pull")}))
    res.check(label + ": each part's value, sums, share and pull", not bad, repr(bad[:2]))
    # What makes the figure worse first: the most negative
    # pull when higher is better, the most positive when lower is.
    higher = indicators()[ind]["better"] == "higher"
    pulls = [c["pull"] for c in doc["contributions"]]
    known = [p for p in pulls if p is not None]
    res.check(label + ": sorted by harm, the part that makes the figure worse first, unreported last",
              known == sorted(known, reverse=not higher) and pulls[:len(known)] == known
              and doc["better"] == ("higher" if higher else "lower"))
    shares = [c["share"] for c in doc["contributions"] if c["share"] is not None]
    if want and fig is not None and fig["reporting"] == fl.leaves_under(region):
        res.close(label + ": the shares add up to 1", sum(shares), 1.0)


def check_trend(base, fl, res, region, ind, grain, periods_held):
    label = "trend %s %s %s" % (region, ind, grain)
    params = {"region": region, "indicator": ind}
    if grain != "year":
        params["grain"] = grain
    status, _, doc = get_json(base, query("/api/trend", **params))
    if not res.equal("GET " + label, status, 200):
        return
    kind = {"year": r"\d{4}", "quarter": r"\d{4}Q\d", "month": r"\d{4}-\d{2}"}[grain]
    want = [p for p in periods_held if re.fullmatch(kind, p)
            and (fl.figure(region, ind, p) is not None or targets_for(region, ind, p))]
    res.equal(label + ": one point per period held, oldest first",
              [p["period"] for p in doc["points"]], want)
    bad = []
    for p in doc["points"]:
        fig = fl.figure(region, ind, p["period"])
        if not flat.close(p["value"], fig["value"] if fig else None) or \
                p["reporting"] != (fig["reporting"] if fig else 0) or \
                p["expected"] != fl.leaves_under(region) or \
                ("target" in p) != bool(targets_for(region, ind, p["period"])):
            bad.append(p["period"])
    res.check(label + ": each point's value, completeness and target", not bad, repr(bad[:4]))
    res.check(label + ": region, indicator and grain",
              doc["region"] == region and doc["indicator"] == ind and doc["grain"] == grain)


def check_errors(base, res):
    cases = [
        ("/api/report", 400, "period is required"),
        (query("/api/report", period="2020-13"), 400, "an impossible period"),
        (query("/api/report", period="20"), 400, "a malformed period"),
        (query("/api/report", period=""), 400, "an empty period"),
        (query("/api/report", period="2020", region="13000"), 400, "a 5-digit region"),
        (query("/api/report", period="2020", region="13000a"), 400, "a region with a letter"),
        (query("/api/report", period="2020", region="999999"), 400, "a region not in the catalogue"),
        (query("/api/report", period="2020", indicator="nope"), 400, "an unknown indicator"),
        (query("/api/report", period="2020", depth="4"), 400, "depth 4"),
        (query("/api/report", period="2020", depth="-2"), 400, "depth -2"),
        (query("/api/report", period="2020", depth="1.0"), 400, "depth 1.0"),
        (query("/api/report", period="2020", depth="x"), 400, "depth x"),
        (query("/api/report", period="2020", colour="red"), 400, "an unknown parameter"),
        ("/api/report?period=2020&period=2019", 400, "a parameter given twice"),
        ("/api/report?period=%FF%FE", 400, "a period that is not UTF-8"),
        (query("/api/explain", period="2020"), 400, "explain without an indicator"),
        (query("/api/explain", indicator="mfg_pass_rate"), 400, "explain without a period"),
        (query("/api/trend", region="130000"), 400, "trend without an indicator"),
        (query("/api/trend", indicator="mfg_pass_rate", grain="week"), 400, "grain week"),
        (query("/api/meta", x="1"), 400, "meta with a parameter"),
        (query("/api/report", period="2020", region="110000"), 404, "a region the hub does not hold"),
        (query("/api/explain", period="2020", indicator="mfg_pass_rate", region="120101"), 404,
         "explain of a region not held"),
        (query("/api/trend", indicator="mfg_pass_rate", region="110000"), 404, "trend of a region not held"),
        ("/api/nope", 404, "an unknown API path"),
        ("/nope.html", 404, "an unknown page"),
        ("/api/meta/", 404, "a path with a trailing slash"),
    ]
    for path, want, what in cases:
        status, hdrs, data = request(base, "GET", path)
        try:
            body = json.loads(data.decode("utf-8"))
        except ValueError:
            body = None
        res.check("GET %s: %d (%s)" % (path, want, what),
                  status == want and isinstance(body, dict) and isinstance(body.get("error"), str)
                  and body["error"] and "\n" not in body["error"]
                  and hdrs.get("content-type") == "application/json; charset=utf-8",
                  "status %s, body %r" % (status, data[:120]))
    for method, path, body in (("POST", "/api/report?period=2020", b"{}"), ("PUT", "/", b"x"),
                               ("DELETE", "/api/meta", None), ("OPTIONS", "/api/meta", None),
                               ("PATCH", "/index.html", b"y")):
        status, hdrs, data = request(base, method, path, body=body)
        try:
            err = json.loads(data.decode("utf-8")).get("error")
        except (ValueError, AttributeError):
            err = None
        res.check("%s %s: 405 with Allow: GET, HEAD" % (method, path),
                  status == 405 and hdrs.get("allow") == "GET, HEAD" and isinstance(err, str),
                  "status %s, allow %r" % (status, hdrs.get("allow")))


def check_headers(base, res):
    status, hdrs, data = request(base, "GET", "/")
    res.equal("GET /: 200", status, 200)
    res.equal("GET /: text/html", hdrs.get("content-type"), "text/html; charset=utf-8")
    res.equal("GET /: X-Content-Type-Options", hdrs.get("x-content-type-options"), "nosniff")
    csp = hdrs.get("content-security-policy", "")
    res.check("GET /: the CSP allows only this origin and the page's own script and style",
              "default-src 'none'" in csp and "connect-src 'self'" in csp
              and "script-src 'unsafe-inline'" in csp and "style-src 'unsafe-inline'" in csp
              and "http" not in csp and "*" not in csp, csp)
    text = data.decode("utf-8")
    refs = [m for m in re.findall(r"https?://[^\s\"'<>)]*", text) if m != "http://www.w3.org/2000/svg"]
    res.check("GET /: the page loads nothing from elsewhere (no URL, src, link, import or url())",
              not refs and not re.search(r"\bsrc\s*=|<link\b|@import|url\(", text), repr(refs[:3]))
    res.check("GET /: the page uses the API under /api/",
              all(p in text for p in ("/api/meta", "/api/report", "/api/explain", "/api/trend")))
    s2, _, d2 = request(base, "GET", "/index.html")
    res.check("GET /index.html: the same page", s2 == 200 and d2 == data)
    status, hdrs, data = request(base, "GET", "/api/meta")
    res.equal("GET /api/meta: Cache-Control no-store", hdrs.get("cache-control"), "no-store")
    res.equal("GET /api/meta: nosniff", hdrs.get("x-content-type-options"), "nosniff")
    length = len(data)
    status, hdrs, data = request(base, "HEAD", "/api/meta")
    res.check("HEAD /api/meta: 200, the GET's headers and no body",
              status == 200 and data == b"" and hdrs.get("content-type") == "application/json; charset=utf-8"
              and hdrs.get("content-length") == str(length),
              "status %s, %d bytes, length %r" % (status, len(data), hdrs.get("content-length")))
    status, hdrs, data = request(base, "HEAD", "/")
    res.check("HEAD /: 200 and no body", status == 200 and data == b"")
    check_gzip(base, res)


def check_gzip(base, res):
    """A browser that takes gzip gets the report and the page compressed,
    the same bytes once inflated; one that refuses it (q=0) or says
    nothing gets them plain. The cached report keeps the two apart."""
    path = "/api/report?period=2020&depth=2"
    _, plain_h, plain = request(base, "GET", path)
    for label, ae in (("gzip", "gzip"), ("a list with gzip", "br;q=1.0, gzip;q=0.8, deflate"),
                      ("gzip again (cached)", "gzip")):
        status, hdrs, data = request(base, "GET", path, headers={"Accept-Encoding": ae})
        res.check("GET %s, Accept-Encoding %s: Content-Encoding gzip, Vary" % (path, label),
                  status == 200 and hdrs.get("content-encoding") == "gzip"
                  and hdrs.get("vary") == "Accept-Encoding", (status, hdrs.get("content-encoding")))
        body = gzip.decompress(data) if hdrs.get("content-encoding") == "gzip" else data
        res.check("GET %s, %s: the same bytes as uncompressed, %d of %d" % (path, label, len(data), len(plain)),
                  body == plain and len(data) * 4 < len(plain))
    for label, ae in (("gzip;q=0", "gzip;q=0"), ("identity", "identity")):
        status, hdrs, data = request(base, "GET", path, headers={"Accept-Encoding": ae})
        res.check("GET %s, Accept-Encoding %s: not compressed" % (path, label),
                  status == 200 and "content-encoding" not in hdrs and data == plain, hdrs.get("content-encoding"))
    res.check("GET %s without Accept-Encoding: plain, Vary" % path,
              "content-encoding" not in plain_h and plain_h.get("vary") == "Accept-Encoding")
    _, page_h, page = request(base, "GET", "/")
    status, hdrs, data = request(base, "GET", "/", headers={"Accept-Encoding": "gzip"})
    res.check("GET /, gzip: the same page compressed (%d of %d bytes)" % (len(data), len(page)),
              status == 200 and hdrs.get("content-encoding") == "gzip" and gzip.decompress(data) == page)


def check_slow_client(base, res):
    """A client that sends half a request and waits must not hold the
    server: the next request is answered."""
    u = urllib.parse.urlsplit(base)
    s = socket.create_connection((u.hostname, u.port), timeout=HTTP_TIMEOUT_S)
    try:
        s.sendall(b"GET /api/meta HTTP/1.1\r\nHost: x\r\n")
        status, _, doc = get_json(base, "/api/meta")
        res.check("a half-sent request does not hold the server", status == 200 and doc is not None)
    finally:
        s.close()


class Hammer(threading.Thread):
    """Hits the API in a loop until stopped, counting answers by status."""

    def __init__(self, base, paths):
        super().__init__(daemon=True)
        self.base = base
        self.paths = paths
        self.stop = threading.Event()
        self.first = threading.Event()
        self.counts = {}
        self.errors = []

    def run(self):
        i = 0
        while not self.stop.is_set():
            path = self.paths[i % len(self.paths)]
            i += 1
            try:
                status, _, data = request(self.base, "GET", path)
                self.counts[status] = self.counts.get(status, 0) + 1
                if status != 200:
                    self.errors.append((path, status, data[:200]))
                elif path.startswith("/api/"):
                    json.loads(data.decode("utf-8"))
            except (OSError, ValueError, http.client.HTTPException) as e:
                self.errors.append((path, "exception", repr(e)))
            self.first.set()


def check_ingestion_under_load(base, tree, res):
    """A second year for one city's counties is loaded, by real pushes,
    while the API is being hit: every push succeeds, every answer is 200,
    and every figure arrives."""
    gen = tree.generate(LATE_CITY, OLD_YEAR, 7, "gen" + OLD_YEAR)
    counties = counties_of(tree, [LATE_CITY])
    hammer = Hammer(base, [query("/api/report", period=OLD_YEAR, depth=-1),
                           query("/api/explain", period=OLD_YEAR, indicator="mfg_pass_rate"),
                           query("/api/trend", indicator="pm25_concentration", grain="month"),
                           "/api/meta", "/"])
    hammer.start()
    hammer.first.wait(HTTP_TIMEOUT_S)
    bad = tree.load(counties, gen, False)
    hammer.stop.set()
    hammer.join()
    res.check("%d counties load %s and push while the API is being hit" % (len(counties), OLD_YEAR),
              not bad, repr(bad[:5]))
    total = sum(hammer.counts.values())
    res.check("the API answered %d requests during the load, all with 200" % total,
              total > 0 and not hammer.errors, repr(hammer.errors[:3]))
    return make_flat(tree.work)


def check_misc_hub(tree, res):
    """--http from an INI file with a bare port (loopback), and a bad
    --http refused with a one-line error and EX_CONFIG."""
    ini = os.path.join(tree.work, "hub.ini")
    ready = os.path.join(tree.work, "sock", "120000.ready")
    with open(ini, "w") as f:
        f.write("[hub]\ndb = %s\nregion = 120000\nlisten = ipc://%s\nready_file = %s\nhttp = :0\n"
                % (os.path.join(tree.work, "db", "120000.db"),
                   os.path.join(tree.work, "sock", "120000"), ready))
    lines = tree.start_hub("120000", config=ini)
    ok = len(lines) == 2 and re.fullmatch(r"http://127\.0\.0\.1:[1-9][0-9]*/", lines[1])
    res.check("http = :0 in the [hub] section binds a loopback port", ok, repr(lines))
    if ok:
        status, _, doc = get_json(lines[1], "/api/meta")
        res.check("that hub's dashboard answers for its region",
                  status == 200 and doc["hub"] == "120000" and doc["periods"] == []
                  and doc["default_period"] is None, "status %s" % status)
    res.equal("that hub stops cleanly on SIGTERM", tree.stop_hub("120000"), 0)
    for addr in ("nonsense", "127.0.0.1:99999", "300.1.1.1:80", "[::1]"):
        p = subprocess.run([tree.hub, "run", "--db", os.path.join(tree.work, "db", "x.db"),
                            "--region", "120000", "--listen",
                            "ipc://" + os.path.join(tree.work, "sock", "x"), "--http", addr],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
        err = p.stderr.decode("utf-8", "replace").strip().splitlines()
        res.check("--http %s is refused: exit 78 and an error naming --http" % addr,
                  p.returncode == 78 and any("--http" in line for line in err),
                  "exit %d, %r" % (p.returncode, err[-1:]))


# ---------------------------------------------------------------- commands

def finish(res, tree, started):
    if res.failed and tree is not None:
        tree.tails()
    print("# %d s" % (time.monotonic() - started))
    print("%d passed, %d failed" % (res.passed, res.failed))
    return 0 if res.failed == 0 else 1


def cmd_check(args):
    started = time.monotonic()
    res = Results()
    work = tempfile.mkdtemp(prefix="tally-api-")
    tree = Tree(os.path.abspath(args.build), work)
    try:
        now0 = datetime.datetime.now(datetime.timezone.utc)
        base = bring_up(tree, res)
        if base is None:
            return finish(res, tree, started)
        fl = make_flat(work)
        if not converge(base, fl, YEAR, res, "first load"):
            return finish(res, tree, started)
        print("# dashboard at %s" % base, flush=True)
        check_meta(base, fl, res, tree)
        check_targets_and_children(base, fl, res, tree, YEAR, now0)
        check_reports(base, fl, res, tree)
        city, county = tree.cities[0], counties_of(tree, [tree.cities[0]])[0]
        for ind in ("mfg_pass_rate", "mfg_competitiveness_index", "scenic_spots_5a"):
            check_explain(base, fl, res, tree, work, YEAR, ind, PROVINCE)
        check_explain(base, fl, res, tree, work, YEAR, "mfg_pass_rate", city)
        check_explain(base, fl, res, tree, work, YEAR + "Q2", "agri_pass_rate", city)
        check_explain(base, fl, res, tree, work, YEAR, "mfg_pass_rate", county)
        check_errors(base, res)
        check_headers(base, res)
        check_slow_client(base, res)

        fl = check_ingestion_under_load(base, tree, res)
        if converge(base, fl, OLD_YEAR, res, "load under API traffic"):
            check_targets_and_children(base, fl, res, tree, OLD_YEAR, now0)
            check_targets_and_children(base, fl, res, tree, YEAR, now0)
            check_explain(base, fl, res, tree, work, OLD_YEAR, "mfg_pass_rate", PROVINCE)
            status, _, meta = get_json(base, "/api/meta")
            res.equal("meta after the second year: every period held", meta["periods"], held_periods(fl))
            held = meta["periods"]
            for region in (PROVINCE, LATE_CITY, counties_of(tree, [LATE_CITY])[0], county):
                check_trend(base, fl, res, region, "mfg_pass_rate", "year", held)
            check_trend(base, fl, res, PROVINCE, "pm25_concentration", "quarter", held)
            check_trend(base, fl, res, LATE_CITY, "scenic_spots_5a", "month", held)
            check_trend(base, fl, res, PROVINCE, "scenic_spots_5a", "month", held)
        check_misc_hub(tree, res)
        res.equal("the province hub stops cleanly on SIGTERM with its dashboard open",
                  tree.stop_hub(PROVINCE), 0)
    finally:
        tree.stop()
    rc = finish(res, tree, started)
    if rc == 0:
        subprocess.run(["rm", "-rf", work])
    else:
        print("# left %s for inspection" % work)
    return rc


def cmd_serve(args):
    res = Results()
    work = os.path.abspath(args.work)
    tree = Tree(os.path.abspath(args.build), work)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        base = bring_up(tree, res)
        if base is None or res.failed:
            return 1
        gen = tree.generate(LATE_CITY, OLD_YEAR, 7, "gen" + OLD_YEAR)
        bad = tree.load(counties_of(tree, [LATE_CITY]), gen, False)
        if not res.check("the older year loads", not bad, repr(bad[:3])):
            return 1
        fl = make_flat(work)
        if not (converge(base, fl, YEAR, res, "serve") and converge(base, fl, OLD_YEAR, res, "serve")):
            return 1
        with open(os.path.join(work, "ready.tmp"), "w") as f:
            f.write(base + "\n")
        os.rename(os.path.join(work, "ready.tmp"), os.path.join(work, "ready"))
        while not stop.wait(0.2):
            if any(p.poll() is not None for p in tree.procs.values()):
                print("a hub stopped", file=sys.stderr)
                return 1
        return 0
    finally:
        tree.stop()
        if res.failed:
            tree.tails()


# --------------------------------------------- the rendered page (browser)

class Dom(html.parser.HTMLParser):
    """The elements of a dumped DOM as a tree of dicts, enough to find
    elements by id, tag, class and attribute and read their text."""

    VOID = {"meta", "link", "br", "img", "input", "hr", "source", "wbr", "col"}

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.root = {"tag": "#root", "attrs": {}, "kids": [], "parent": None}
        self.cur = self.root
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        e = {"tag": tag, "attrs": dict(attrs), "kids": [], "parent": self.cur}
        self.cur["kids"].append(e)
        if tag not in self.VOID:
            self.cur = e

    def handle_startendtag(self, tag, attrs):
        self.cur["kids"].append({"tag": tag, "attrs": dict(attrs), "kids": [], "parent": self.cur})

    def handle_endtag(self, tag):
        e = self.cur
        while e is not None and e["tag"] != tag:
            e = e["parent"]
        if e is not None and e["parent"] is not None:
            self.cur = e["parent"]

    def handle_data(self, data):
        self.cur["kids"].append(data)


def walk(e):
    for k in e["kids"]:
        if isinstance(k, dict):
            yield k
            yield from walk(k)


def find_all(e, tag=None, cls=None, **attrs):
    out = []
    for k in walk(e):
        if tag and k["tag"] != tag:
            continue
        if cls and cls not in k["attrs"].get("class", "").split():
            continue
        if any(k["attrs"].get(a.replace("_", "-")) != v for a, v in attrs.items() if v is not True):
            continue
        if any(a.replace("_", "-") not in k["attrs"] for a, v in attrs.items() if v is True):
            continue
        out.append(k)
    return out


def find(e, tag=None, cls=None, **attrs):
    r = find_all(e, tag, cls, **attrs)
    return r[0] if r else None


def text(e):
    if e is None:
        return None
    return "".join(k if isinstance(k, str) else text(k) for k in e["kids"])


def fmt_value(v, kind):
    """The page's number format: counts whole with grouping, everything
    else two decimals, rounded half away from zero on the shortest decimal
    form of the number."""
    if v is None:
        return "—"
    d = decimal.Decimal(repr(v))
    if kind == "count" and abs(v - round(v)) < 1e-9:
        return "{:,}".format(int(d.quantize(decimal.Decimal(1), decimal.ROUND_HALF_UP)))
    return "{:,}".format(d.quantize(decimal.Decimal("0.01"), decimal.ROUND_HALF_UP))


def cmd_check_dom(args):
    res = Results()
    work = os.path.abspath(args.work)
    with open(os.path.join(work, "ready")) as f:
        base = f.read().split()[0]
    fl = make_flat(work)
    inds = indicators()
    with open(args.dom, encoding="utf-8") as f:
        dom = Dom(f.read())
    view = dict(urllib.parse.parse_qsl(args.view))
    region = view.get("region", PROVINCE)
    ind_sel = view.get("indicator")
    period = view.get("period", YEAR)
    lang = view.get("lang", "zh")
    label = "page %s" % args.view
    body = find(dom.root, "body")
    if not res.check(label + ": rendered, without an error",
                     body is not None and body["attrs"].get("data-ready") == "1"
                     and "data-error" not in body["attrs"],
                     repr(body["attrs"] if body else None)):
        return finish(res, None, time.monotonic())
    res.equal(label + ": the region shown", body["attrs"].get("data-region"), region)
    res.equal(label + ": the period shown", body["attrs"].get("data-period"), period)
    html_el = find(dom.root, "html")
    res.equal(label + ": the page's language", html_el["attrs"].get("lang"),
              "en" if lang == "en" else "zh-CN")
    # The breadcrumbs: from the hub down to the region.
    path = []
    c = region
    while c is not None:
        path.insert(0, c)
        c = fl.parent.get(c) if c != PROVINCE else None
    crumbs = [li["attrs"].get("data-region") for li in find_all(find(dom.root, "nav", id="breadcrumbs"), "li")]
    res.equal(label + ": breadcrumbs from the hub down", crumbs, path)
    # The API's own report, for what flat.py does not compute (children
    # lists), and to tie each row to the figure the page was given.
    status, _, rep = get_json(base, query("/api/report", period=period, region=region, depth=1))
    if not res.equal(label + ": the API's report for the same view", status, 200):
        return finish(res, None, time.monotonic())
    top = rep["regions"][0]
    table = find(dom.root, "table", id="indicators")
    rows = find_all(table, "tr", data_indicator=True)
    rows = [r for r in rows if r["parent"]["parent"] is table]
    got_ids = [r["attrs"]["data-indicator"] for r in rows]
    with_t = [f["id"] for f in top["indicators"] if "target" in f]
    res.equal(label + ": one row per indicator, those with a target first", got_ids,
              with_t + [f["id"] for f in top["indicators"] if "target" not in f])
    counts = {"met": 0, "missed": 0, "incomplete": 0}
    bad = []
    for r in rows:
        iid = r["attrs"]["data-indicator"]
        fig = fl.figure(region, iid, period)
        want_status = "none"
        trows = targets_for(region, iid, period)
        if trows:
            sts = [expect_target(fl, inds, region, iid, period, t)["status"] for t in trows]
            want_status = next(s for s in ("missed", "incomplete", "met") if s in sts)
            counts[want_status] += 1
        v = find(r, "span", "value")
        dv = v["attrs"].get("data-value") if v else None
        value = float(dv) if dv else None
        comp = find(r, "span", "completeness")
        f_api = next(f for f in top["indicators"] if f["id"] == iid)
        miss = find(r, "span", "missing")
        late = find(r, "span", "late")
        problems = []
        if r["attrs"].get("data-status") != want_status:
            problems.append("status %s, expected %s" % (r["attrs"].get("data-status"), want_status))
        if not flat.close(value, fig["value"] if fig else None):
            problems.append("value %r, flat %r" % (value, fig["value"] if fig else None))
        if text(v) != fmt_value(value, inds[iid]["kind"]):
            problems.append("value text %r" % text(v))
        if comp is None or comp["attrs"].get("data-reporting") != str(fig["reporting"] if fig else 0) \
                or comp["attrs"].get("data-expected") != str(fl.leaves_under(region)) \
                or text(find(comp, "span", "ratio")) != "%s/%s" % (fig["reporting"] if fig else 0,
                                                                  fl.leaves_under(region)):
            problems.append("completeness %r" % (comp["attrs"] if comp else None))
        if "children" in f_api:
            if text(miss) != str(len(f_api["children"]["missing"])) or \
                    text(late) != str(len(f_api["children"]["late"])):
                problems.append("missing/late %r/%r" % (text(miss), text(late)))
        elif miss is not None or late is not None:
            problems.append("a leaf shows missing/late children")
        tgs = find_all(r, "div", "target-item")
        if [(t["attrs"].get("data-op"), float(t["attrs"].get("data-target")), t["attrs"].get("data-scope"))
                for t in tgs] != [(t["op"], float(t["value"]), t["scope"]) for t in trows]:
            problems.append("targets %r" % [t["attrs"] for t in tgs])
        gaps = find_all(r, "div", "gap")
        for g, t in zip(gaps, trows):
            w = expect_target(fl, inds, region, iid, period, t)["gap"]
            dg = g["attrs"].get("data-gap")
            if not flat.close(float(dg) if dg else None, w):
                problems.append("gap %r, expected %r" % (dg, w))
        if problems:
            bad.append((iid, problems))
    res.check(label + ": every row's status, value, target, gap and completeness (%d rows)" % len(rows),
              rows and not bad, repr(bad[:3]))
    for k, n in counts.items():
        card = find(dom.root, "div", id="summary-" + k)
        res.equal(label + ": the summary counts %s" % k,
                  card["attrs"].get("data-count") if card else None, str(n))
    if ind_sel is None:
        return finish(res, None, time.monotonic())

    # The selected indicator: its children, trend and explanation.
    detail = find(dom.root, "section", id="detail")
    res.equal(label + ": the detail of the selected indicator",
              detail["attrs"].get("data-indicator") if detail else None, ind_sel)
    kids = fl.children.get(region, [])
    crow = find_all(find(dom.root, "table", id="children"), "tr", data_region=True)
    res.equal(label + ": one row per child region", sorted(r["attrs"]["data-region"] for r in crow), sorted(kids))
    # Sorted by how far each child is from what it is judged against (its
    # own target, else its ancestor's as a benchmark), worst first, then
    # those with no gap in code order.
    def gap_of(code):
        reg = next((x for x in rep["regions"] if x["code"] == code), None)
        f = next((x for x in (reg or {}).get("indicators", []) if x["id"] == ind_sel), None)
        if not f or not f.get("reporting"):
            return None
        js = f.get("target") or f.get("benchmark") or []
        js = js if isinstance(js, list) else [js]
        gaps = [j["gap"] for j in js if j.get("gap") is not None]
        return min(gaps) if gaps else None
    order = sorted(kids, key=lambda c: (gap_of(c) is None, gap_of(c) or 0, kids.index(c)))
    res.equal(label + ": children sorted by their gap, worst first", [r["attrs"]["data-region"] for r in crow], order)
    # Each child marked official or provisional as the report says
    # (docs/approval.md).
    def approval_of(code):
        reg = next((x for x in rep["regions"] if x["code"] == code), None)
        return ((reg or {}).get("approval") or {}).get("status", "unapproved")
    res.equal(label + ": each child marked official or provisional as the report says",
              [r["attrs"].get("data-approval") for r in crow],
              [approval_of(r["attrs"]["data-region"]) for r in crow])
    bad = []
    for r in crow:
        code = r["attrs"]["data-region"]
        fig = fl.figure(code, ind_sel, period)
        v = find(r, "span", "value")
        dv = v["attrs"].get("data-value") if v else ""
        trows = targets_for(code, ind_sel, period)
        want_status = "missing" if fig is None else "none"
        if fig is not None and trows:
            sts = [expect_target(fl, inds, code, ind_sel, period, t)["status"] for t in trows]
            want_status = next(s for s in ("missed", "incomplete", "met") if s in sts)
        comp = find(r, "span", "completeness")
        if r["attrs"].get("data-status") != want_status or \
                not flat.close(float(dv) if dv else None, fig["value"] if fig else None) or \
                text(v) != fmt_value(float(dv) if dv else None, inds[ind_sel]["kind"]) or \
                comp["attrs"].get("data-reporting") != str(fig["reporting"] if fig else 0):
            bad.append((code, r["attrs"].get("data-status"), dv, text(v)))
    res.check(label + ": each child's value, status and completeness", crow or not kids, "no rows")
    res.check(label + ": the children's figures equal the flat computation", not bad, repr(bad[:3]))
    svg = find(dom.root, "svg", id="trend-chart")
    grain = view.get("grain", "year")
    pattern = {"year": r"\d{4}", "quarter": r"\d{4}Q\d", "month": r"\d{4}-\d{2}"}[grain]
    status, _, meta = get_json(base, "/api/meta")
    want = [(p, fl.figure(region, ind_sel, p)["value"]) for p in meta["periods"]
            if re.fullmatch(pattern, p) and fl.figure(region, ind_sel, p) is not None
            and fl.figure(region, ind_sel, p)["value"] is not None]
    pts = [(c["attrs"]["data-period"], float(c["attrs"]["data-value"]))
           for c in find_all(svg, "circle", "pt")] if svg else []
    res.check(label + ": the trend chart has a point for every %s held, at the flat value" % grain,
              len(pts) == len(want) and all(p == wp and flat.close(v, wv) for (p, v), (wp, wv) in zip(pts, want)),
              "got %r, expected %r" % (pts[:4], want[:4]))
    tlines = [(t["attrs"]["data-period"], float(t["attrs"]["data-target"]))
              for t in find_all(svg, "line", "target-line")] if svg else []
    want_t = [(p, float(t["value"])) for p in meta["periods"] if re.fullmatch(pattern, p)
              for t in targets_for(region, ind_sel, p) if t["scope"] != "change_pct"]
    res.equal(label + ": the trend chart draws each target as a line", tlines, want_t)
    svg = find(dom.root, "svg", id="explain-chart")
    bars = [(g["attrs"]["data-region"], g["attrs"]["data-own"], g["attrs"]["data-pull"])
            for g in find_all(svg, "g", "bar")] if svg else []
    want_c = expected_contributions(fl, work, region, ind_sel, period, PROVINCE)
    got_c = {(("own:" + c) if own == "1" else c): (float(p) if p else None) for c, own, p in bars}
    res.check(label + ": the explanation has a bar per part, at the pull computed from the raw rows",
              sorted(got_c) == sorted(want_c) and all(flat.close(got_c[k], want_c[k]["pull"]) for k in got_c),
              "got %r" % bars[:3])
    order = [float(p) if p else None for _, _, p in bars]
    known = [p for p in order if p is not None]
    res.check(label + ": the bars go from the part dragging the figure down most, unreported last",
              order[:len(known)] == known and known == sorted(known), repr(order[:4]))
    return finish(res, None, time.monotonic())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("build")
    s = sub.add_parser("serve")
    s.add_argument("build")
    s.add_argument("--work", required=True)
    d = sub.add_parser("check-dom")
    d.add_argument("--work", required=True)
    d.add_argument("--view", required=True,
                   help="the page's fragment: region=...&indicator=...&lang=...")
    d.add_argument("dom")
    args = p.parse_args()
    return {"check": cmd_check, "serve": cmd_serve, "check-dom": cmd_check_dom}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())

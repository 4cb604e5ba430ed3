#!/usr/bin/env python3
"""Holds every report a poller took while a change of parent propagated to
the flat figure (tests/redistrict_live.sh).

The poller ran `tally-hub report --format json` of one region (the
province) again and again and wrote one index line per report:
"SEQ START END PERIOD RC FILE" (START and END in seconds since the epoch).
Every report must have succeeded, and in every one the region's own figure
of every indicator the flat computation has must equal it: the value
(relative error below 1e-9) and the pooled sums within the same tolerance,
the reporting leaves exactly. The flat figure comes from tests/flat.py's
Flat class, taking each period's shape from the changes file; for a region
that holds the moving county before and after the change, it is the same
with and without the file, which is checked too (else the test would hold
the region to a figure that moves).

A bad figure is sorted by what the user sees: "double count" when more
leaves report than exist or the pooled quantity (denominator, weight or
sum) is above the flat one, "drop" when fewer report or it is below, else
"other". The summary says how many observations and figures were bad of
each kind, per period, the first few, and from when to when bad ones were
seen. Exit 0 when every observation is right and there were at least --min
of them, 1 otherwise, 2 on bad usage.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flat import Flat, close  # noqa: E402


def pooled(kind, got):
    """The quantity a double count raises and a drop lowers."""
    if kind == "ratio":
        return got.get("denominator")
    if kind == "weighted_mean":
        return got.get("weight")
    return got.get("sum")


def sums(kind, got):
    if kind == "ratio":
        return [("numerator", got.get("numerator")), ("denominator", got.get("denominator"))]
    if kind == "weighted_mean":
        return [("sum", got.get("sum")), ("weight", got.get("weight"))]
    return [("sum", got.get("sum"))]


def clock(t):
    return time.strftime("%H:%M:%S", time.localtime(t)) + ".%03d" % int((t % 1) * 1000)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--indicators", required=True)
    p.add_argument("--tree", required=True)
    p.add_argument("--changes", required=True)
    p.add_argument("--raw", required=True)
    p.add_argument("--index", required=True)
    p.add_argument("--region", required=True)
    p.add_argument("--min", type=int, default=20,
                   help="fewest observations for the check to count")
    p.add_argument("--window", nargs=2, type=float, metavar=("FROM", "TO"),
                   help="the propagation, in seconds since the epoch: how many "
                   "observations fell inside it is printed")
    p.add_argument("--kinds", default="ratio/sum,count/last,weighted_mean",
                   help="kind/time_agg pairs that must be among the checked")
    args = p.parse_args()

    flat = Flat(args.indicators, args.tree, [args.raw], args.changes)
    before = Flat(args.indicators, args.tree, [args.raw])
    region = args.region
    problems = []

    obs = []
    with open(args.index, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) != 6:
                problems.append("index: malformed line %r" % line.strip())
                continue
            obs.append((int(parts[0]), float(parts[1]), float(parts[2]), parts[3],
                        int(parts[4]), parts[5]))

    # The flat figures of every polled period, and that they do not move
    # with the change for this region.
    periods = sorted({o[3] for o in obs})
    want = {}
    checked_kinds = set()
    for per in periods:
        for ind_id, ind in flat.ind.items():
            fig = flat.figure(region, ind_id, per)
            if fig is None:
                continue
            want[(per, ind_id)] = fig
            checked_kinds.add("%s/%s" % (ind["kind"], ind["time_agg"]))
            old = before.figure(region, ind_id, per)
            if (old is None or not close(old["value"], fig["value"])
                    or old["reporting"] != fig["reporting"]):
                problems.append("the flat figure of %s %s %s moves with the change: "
                                "this region cannot be held to one figure" % (region, per, ind_id))
    for k in args.kinds.split(","):
        if not any(c == k or c.startswith(k + "/") for c in checked_kinds):
            problems.append("no indicator of kind %s has a flat figure: the check misses it" % k)

    failed_reads = []
    bad_obs = {"double count": 0, "drop": 0, "other": 0}
    bad_figs = {"double count": 0, "drop": 0, "other": 0}
    by_period = {}
    examples = []
    first_bad = last_bad = None
    figures = 0
    for seq, t0, t1, per, rc, path in obs:
        if rc != 0:
            failed_reads.append("report %d of %s at %s exited %d" % (seq, per, clock(t0), rc))
            continue
        try:
            with open(path, encoding="utf-8") as f:
                rep = json.load(f)
            row = next(r for r in rep["regions"] if r["code"] == region)
        except (OSError, ValueError, StopIteration) as e:
            failed_reads.append("report %d of %s at %s unreadable: %s" % (seq, per, clock(t0), e))
            continue
        shown = {g["id"]: g for g in row["indicators"]}
        kinds_here = set()
        for (wper, ind_id), fig in want.items():
            if wper != per:
                continue
            figures += 1
            kind = flat.ind[ind_id]["kind"]
            got = shown.get(ind_id)
            what = None
            if got is None:
                what, detail = "drop", "no figure at all"
            else:
                wrong = []
                if not close(got.get("value"), fig["value"]):
                    wrong.append("value %r, flat %r" % (got.get("value"), fig["value"]))
                for (name, g), w in zip(sums(kind, got), (fig["a"], fig["b"])):
                    if not close(g, w):
                        wrong.append("%s %r, flat %r" % (name, g, w))
                if got.get("reporting") != fig["reporting"]:
                    wrong.append("reporting %r, flat %r" % (got.get("reporting"), fig["reporting"]))
                if wrong:
                    detail = "; ".join(wrong)
                    rep_n = got.get("reporting") or 0
                    q = pooled(kind, got)
                    w = fig["b"] if kind != "count" else fig["a"]
                    if rep_n > fig["reporting"] or (q is not None and q > w and not close(q, w)):
                        what = "double count"
                    elif rep_n < fig["reporting"] or (q is not None and q < w and not close(q, w)):
                        what = "drop"
                    else:
                        what = "other"
            if what is None:
                continue
            bad_figs[what] += 1
            kinds_here.add(what)
            if len(examples) < 8:
                examples.append("%s %s %s: %s (%s)" % (clock(t0), per, ind_id, what, detail))
        for what in kinds_here:
            bad_obs[what] += 1
        if kinds_here:
            by_period.setdefault(per, []).append(seq)
            first_bad = t0 if first_bad is None else first_bad
            last_bad = t1

    n = len(obs)
    span = "%s to %s" % (clock(obs[0][1]), clock(obs[-1][2])) if obs else "nothing"
    print("live_check: %d observations of %s (%d periods: %s) from %s, %d figures checked"
          % (n, region, len(periods), " ".join(periods), span, figures))
    if args.window:
        inside = sum(1 for o in obs if args.window[0] <= o[1] and o[2] <= args.window[1])
        print("live_check: %d observations while the change propagated (%s to %s)"
              % (inside, clock(args.window[0]), clock(args.window[1])))
    print("live_check: kinds checked: %s" % " ".join(sorted(checked_kinds)))
    nbad = sum(1 for _ in {s for v in by_period.values() for s in v})
    print("live_check: %d bad observations: %d with a double count, %d with a drop, "
          "%d other (bad figures: %d double count, %d drop, %d other)"
          % (nbad, bad_obs["double count"], bad_obs["drop"], bad_obs["other"],
             bad_figs["double count"], bad_figs["drop"], bad_figs["other"]))
    if nbad:
        print("live_check: bad from %s to %s; by period: %s" % (
            clock(first_bad), clock(last_bad),
            ", ".join("%s %d" % (k, len(v)) for k, v in sorted(by_period.items()))))
        for e in examples:
            print("live_check:   " + e)
    for f in failed_reads[:5]:
        print("live_check: FAILED READ " + f)
    for pr in problems:
        print("live_check: PROBLEM " + pr)
    if n < args.min:
        print("live_check: only %d observations, fewer than %d: the check is vacuous"
              % (n, args.min))
    return 1 if nbad or failed_reads or problems or n < args.min else 0


if __name__ == "__main__":
    sys.exit(main())

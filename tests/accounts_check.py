#!/usr/bin/python3
"""Accounts and scoped access on the hub's web pages (docs/accounts.md),
against a live hub that tests/accounts.sh brings up: Hebei's province hub
with its dashboard, two city hubs and a few counties of each, loaded by
real tally-node pushes.

Commands (each prints "ok - ..." / "FAIL - ..." lines and ends with
"N passed, N failed"; the exit status is 1 when any check failed):
  open    --url URL
      Before any account: the pages and the API answer without a session
      and say that they are open.
  check   --hub BIN --db FILE --url URL --work DIR --hub-log FILE
      Accounts, logins, scope (403 with nothing of another city in it,
      checked field by field; the answers of the city's own scope hold no
      code or name from outside it), roles, CSRF, disabling, new
      passwords, slowed and logged failures, the access log.
  expiry  --hub BIN --db FILE --url URL --work DIR --idle S
      A session left idle longer than the hub's --session-idle ends.
  tls     --hub BIN --db FILE --url URL --work DIR --ca FILE
      The hub serves HTTPS itself; its session cookie is Secure.
  group   --hub BIN --db FILE --url URL
      A comparison hub: only a user whose scope holds every member reads
      the comparison.
  browser --url URL --work DIR --artifacts DIR --mode open|login
      Headless Chromium, driven over the DevTools protocol on a pipe:
      open: the dashboard says that it is open; login: the page sends
      the browser to the login page, the login is typed in and submitted,
      and the dashboard shows the user's city and nothing outside it.

Debian's Python is named on purpose (/usr/bin/python3): the xlsx check
reads the workbook with python3-openpyxl.
"""

import argparse
import csv
import http.client
import io
import json
import os
import re
import select
import ssl
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
DIVISIONS = os.path.join(
    os.environ.get("TALLY_DATA_DIR", os.path.join(HERE, "..", "configs")),
    "divisions.csv",
)
PROVINCE = "130000"
CITY = "130100"  # alice's and bob's
OTHER = "130200"  # carol's and dave's
PERIOD = "2020"
IND = "mfg_pass_rate"
PASSWORD = {
    "alice": "alice-pass-0001",
    "bob": "bob-pass-000002",
    "prov": "prov-pass-00003",
    "carol": "carol-pass-0004",
    "dave": "dave-pass-00005",
}
# Bounds on waits for a process or a browser; they assert nothing.
DEADLINE_S = 120

passed = 0
failed = 0


def ok(msg):
    global passed
    passed += 1
    print("ok - " + msg, flush=True)


def bad(msg):
    global failed
    failed += 1
    print("FAIL - " + msg, flush=True)


def check(cond, msg, detail=""):
    if cond:
        ok(msg)
    else:
        bad(msg + (": " + str(detail)[:400] if detail != "" else ""))
    return cond


def finish():
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


# ------------------------------------------------------------------ HTTP


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (lower-case name, value)
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k == name.lower():
                return v
        return None

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except ValueError:
            return None


# The name of each session cookie a hub set: tally_session_ and the
# hub's region or group, so that hubs on one host keep their own.
COOKIE_NAMES = {}


def request(base, method, path, body=None, headers=None, cookie=None, ca=None):
    u = urllib.parse.urlsplit(base)
    if u.scheme == "https":
        ctx = ssl.create_default_context(cafile=ca)
        conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=DEADLINE_S, context=ctx)
    else:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=DEADLINE_S)
    h = dict(headers or {})
    if cookie:
        h["Cookie"] = "%s=%s" % (COOKIE_NAMES.get(cookie, "tally_session_"), cookie)
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    try:
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        return Reply(r.status, [(k.lower(), v) for k, v in r.getheaders()], r.read())
    finally:
        conn.close()


def login(base, name, password, ca=None):
    """(reply, cookie or None, document)"""
    r = request(base, "POST", "/api/login", {"name": name, "password": password}, ca=ca)
    cookie = None
    sc = r.header("set-cookie") or ""
    m = re.match(r"(tally_session_[0-9a-z_]+)=([0-9a-f]*);", sc)
    if m:
        cookie = m.group(2)
        COOKIE_NAMES[cookie] = m.group(1)
    return r, cookie, r.json()


def hub_cmd(hub, *args, stdin=None):
    p = subprocess.run([hub] + list(args), input=stdin, capture_output=True, text=True, timeout=DEADLINE_S)
    return p.returncode, p.stdout, p.stderr


# ----------------------------------------------------------------- scope


def load_tree():
    """code -> (name, parent)"""
    tree = {}
    with open(DIVISIONS, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            tree[row["code"]] = (row["name"], row["parent_code"])
    return tree


def inside(tree, scope, code):
    while code:
        if code == scope:
            return True
        code = tree.get(code, ("", ""))[1]
    return False


class Scope:
    """What lies outside a scope, worked out from divisions.csv on its own
    (not from the hub's code)."""

    def __init__(self, tree, scope):
        self.scope = scope
        self.in_codes = {c for c in tree if inside(tree, scope, c)}
        in_names = {tree[c][0] for c in self.in_codes}
        self.out_codes = set(tree) - self.in_codes
        # A name borne by a region inside too (two counties of different
        # cities may share one) names nothing for certain.
        self.out_names = {tree[c][0] for c in self.out_codes} - in_names
        # The names most likely to leak: the province, the sibling cities.
        self.near = [tree[PROVINCE][0]] + [
            tree[c][0] for c in tree if tree[c][1] == PROVINCE and c != scope and tree[c][0] not in in_names
        ]

    def leaks_json(self, v, path="$"):
        """Every field of v naming a region outside the scope."""
        out = []
        if isinstance(v, dict):
            for k, e in v.items():
                out += self.leaks_json(e, path + "." + k)
        elif isinstance(v, list):
            for i, e in enumerate(v):
                out += self.leaks_json(e, "%s[%d]" % (path, i))
        elif isinstance(v, str):
            out += ["%s=%s" % (path, v) for t in self.text_leaks(v, exact=True)]
        return out

    def text_leaks(self, text, exact=False):
        hits = [c for c in re.findall(r"(?<!\d)\d{6}(?!\d)", text) if c in self.out_codes]
        if exact:
            if text in self.out_names:
                hits.append(text)
        else:
            hits += [n for n in self.near if n in text]
        return hits


# --------------------------------------------------------------- commands


def cmd_open(a):
    r = request(a.url, "GET", "/api/session")
    check(r.status == 200 and r.json() == {"accounts": False}, "no accounts: /api/session says the pages are open", r.body)
    r = request(a.url, "GET", "/api/report?period=" + PERIOD)
    check(r.status == 200 and r.json().get("region") == PROVINCE, "no accounts: the report is served without a session", r.status)
    r = request(a.url, "GET", "/")
    check(r.status == 200 and b'id="access"' in r.body, "no accounts: the page is served, with its access bar", r.status)
    r = request(a.url, "POST", "/api/login", {"name": "x", "password": "y"})
    check(r.status == 409, "no accounts: a login is refused (409)", r.status)
    finish()


def add_users(a):
    roles = {"alice": (CITY, "viewer"), "bob": (CITY, "operator"), "prov": (PROVINCE, "approver"),
             "carol": (OTHER, "viewer"), "dave": (OTHER, "viewer")}
    for name, (region, role) in roles.items():
        args = ["user", "add", "--db", a.db, "--name", name, "--region", region, "--role", role]
        if name == "bob":
            pf = os.path.join(a.work, "bob.pw")
            with open(pf, "w") as f:
                f.write(PASSWORD[name] + "\n")
            os.chmod(pf, 0o600)
            rc, out, err = hub_cmd(a.hub, *(args + ["--password-file", pf]))
        else:
            rc, out, err = hub_cmd(a.hub, *args, stdin=PASSWORD[name] + "\n")
        check(rc == 0, "user add %s (%s of %s)" % (name, role, region), err)
    rc, out, err = hub_cmd(a.hub, "user", "add", "--db", a.db, "--name", "eve", "--region", CITY, "--role", "viewer", stdin="short\n")
    check(rc == 65 and "shorter" in err, "a password under 10 characters is refused (65)", (rc, err))
    rc, out, err = hub_cmd(a.hub, "user", "add", "--db", a.db, "--name", "eve", "--region", "110000", "--role", "viewer", stdin="long-enough-pw\n")
    check(rc == 65 and "not 130000 or below" in err, "an account of a region the hub does not hold is refused", (rc, err))
    rc, out, err = hub_cmd(a.hub, "user", "add", "--db", a.db, "--name", "alice", "--region", CITY, "--role", "viewer", stdin="long-enough-pw\n")
    check(rc == 73, "a name already taken is refused (73)", (rc, err))
    rc, out, err = hub_cmd(a.hub, "user", "add", "--db", a.db, "--name", "eve", "--region", CITY, "--role", "boss", stdin="long-enough-pw\n")
    check(rc == 65 and "viewer, operator or approver" in err, "an unknown role is refused", (rc, err))
    rc, out, err = hub_cmd(a.hub, "user", "list", "--db", a.db, "--format", "json")
    users = json.loads(out) if rc == 0 else []
    check([u["name"] for u in users] == sorted(roles) and all(not u["disabled"] for u in users),
          "user list names every account, enabled", out)
    rows = subprocess.run(["sqlite3", a.db, "SELECT name || ' ' || hash FROM account"], capture_output=True, text=True).stdout.split("\n")
    hashes = dict(r.split(" ", 1) for r in rows if r)
    check(len(hashes) == 5 and all(h.startswith("$argon2id$v=19$m=65536,t=2,p=1$") for h in hashes.values()),
          "every stored password is an Argon2id string with libsodium's interactive limits", hashes)
    check(not any(PASSWORD[n] in h for n, h in hashes.items()), "no stored hash contains its password")


def check_gate(a):
    r = request(a.url, "GET", "/")
    check(r.status == 303 and r.header("location") == "/login", "with accounts, the page without a session goes to /login", (r.status, r.header("location")))
    for path in ("/api/meta", "/api/report?period=" + PERIOD, "/api/session", "/api/trend?indicator=" + IND,
                 "/api/report.csv?period=" + PERIOD):
        r = request(a.url, "GET", path)
        check(r.status == 401 and r.json() == {"error": "login required"}, "without a session %s is 401" % path, (r.status, r.body))
    r = request(a.url, "GET", "/login")
    check(r.status == 200 and r.header("content-type").startswith("text/html") and "登录".encode() in r.body,
          "the login page is served without a session, Chinese first", r.status)
    r = request(a.url, "POST", "/api/login", b"name=alice&password=" + PASSWORD["alice"].encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(r.status == 415, "a login sent as a form (what another site could post) is refused (415)", r.status)


def check_cookie(a, r, cookie, doc):
    sc = r.header("set-cookie") or ""
    attrs = [p.strip() for p in sc.split(";")[1:]]
    check(r.status == 200 and cookie is not None and len(cookie) == 64, "alice logs in: a 256-bit session id", (r.status, sc))
    check(sc.startswith("tally_session_%s=" % PROVINCE),
          "the cookie is named after the hub's region, so that hubs on one host keep their own", sc)
    check("HttpOnly" in attrs and "SameSite=Strict" in attrs and "Path=/" in attrs and "Secure" not in attrs,
          "the cookie is HttpOnly, SameSite=Strict, not Secure over plain HTTP", sc)
    check(doc.get("region") == CITY and doc.get("role") == "viewer" and len(doc.get("csrf", "")) == 64 and cookie not in r.body.decode(),
          "the login answer gives the scope, role and CSRF token, never the session id", doc)
    stored = subprocess.run(["sqlite3", a.db, "SELECT lower(hex(id_hash)) FROM account_session"], capture_output=True, text=True).stdout.split()
    check(stored and cookie not in stored and not any(cookie in s for s in stored),
          "the store holds the session's hash, not its id", stored)


def check_forbidden(a, cookie, sc):
    county = next(c for c in sorted(sc.out_codes) if c.startswith("1302") and c != OTHER)
    paths = []
    for region in (OTHER, PROVINCE, county):
        paths += [
            "/api/report?period=%s&region=%s" % (PERIOD, region),
            "/api/report?period=%s&region=%s&depth=-1" % (PERIOD, region),
            "/api/explain?period=%s&indicator=%s&region=%s" % (PERIOD, IND, region),
            "/api/trend?indicator=%s&region=%s" % (IND, region),
            "/api/brief.pdf?period=%s&region=%s" % (PERIOD, region),
            "/api/report.csv?period=%s&region=%s" % (PERIOD, region),
            "/api/report.xlsx?period=%s&region=%s" % (PERIOD, region),
        ]
    for path in paths:
        r = request(a.url, "GET", path, cookie=cookie)
        doc = r.json()
        asked = re.search(r"region=(\d+)", path).group(1)
        fields_ok = isinstance(doc, dict) and list(doc) == ["error"]
        others = [x for x in sc.text_leaks(doc.get("error", "") if fields_ok else "") if x != asked]
        check(r.status == 403 and fields_ok and not others and r.header("content-type").startswith("application/json"),
              "alice (%s): %s is 403 with one field, naming nothing but what she asked" % (CITY, path), (r.status, r.body))


def get_doc(a, cookie, path, label, sc):
    r = request(a.url, "GET", path, cookie=cookie)
    doc = r.json()
    if not check(r.status == 200 and doc is not None, label + ": 200", (r.status, r.body[:200])):
        return None
    leaks = sc.leaks_json(doc)
    check(not leaks, label + ": no field names a region outside %s" % sc.scope, leaks[:5])
    return doc


def figure(doc, code, ind):
    for reg in doc.get("regions", []):
        if reg["code"] == code:
            for f in reg["indicators"]:
                if f["id"] == ind:
                    return f
    return None


def check_scope(a, cookie, prov_cookie, sc):
    meta = get_doc(a, cookie, "/api/meta", "alice /api/meta", sc)
    if meta:
        codes = [r["code"] for r in meta["regions"]]
        check(meta["hub"] == CITY and codes[0] == CITY and meta["regions"][0]["depth"] == 0 and meta["regions"][0]["parent"] is None,
              "alice's meta starts at her city, depth 0, no parent", meta["regions"][:1])
        check(set(codes) <= sc.in_codes and len(codes) > 1, "alice's meta lists only her city and what lies below it", codes)
        prov = request(a.url, "GET", "/api/meta", cookie=prov_cookie).json()
        check("2019-06" in prov["periods"] and "2019" in prov["periods"],
              "the province's meta offers 2019, which only the other city reported", prov["periods"][:6])
        check(PERIOD in meta["periods"] and not any(p.startswith("2019") for p in meta["periods"])
              and meta["default_period"] == PERIOD,
              "alice's meta offers only the periods her city reported, its newest year the default",
              (meta["periods"][:6], meta["default_period"]))
    doc = get_doc(a, cookie, "/api/report?period=%s&depth=-1" % PERIOD, "alice's own report, every level", sc)
    full = request(a.url, "GET", "/api/report?period=%s&region=%s&depth=-1" % (PERIOD, CITY), cookie=prov_cookie).json()
    if doc and full:
        check(doc["region"] == CITY and doc["hub"] == CITY, "alice's report is of her city, issued as her city's", (doc["region"], doc["hub"]))
        mine, theirs = figure(doc, CITY, IND), figure(full, CITY, IND)
        check(mine is not None and theirs is not None and mine["value"] == theirs["value"] and mine["reporting"] == theirs["reporting"],
              "her city's figure is the one the province's user sees", (mine or {}).get("value"))
        b = (mine or {}).get("benchmark")
        fb = (theirs or {}).get("benchmark")
        check(isinstance(b, dict) and b["region"] == {"code": "", "name": "上级"} and b["value"] == fb["value"] == 93.5
              and fb["region"]["code"] == PROVINCE,
              "the benchmark keeps the province's target (93.5) but names it only as 上级", (b, fb))
        check([r["code"] for r in doc["regions"]] == [r["code"] for r in full["regions"]],
              "alice sees every region of her city that the province's user sees there")
        check(all(reg["code"] in sc.in_codes for reg in doc["regions"]) and not sc.leaks_json(doc.get("refused", [])),
              "her report's regions and refusals are all hers")
        with open(os.path.join(a.work, "out", "withdrawn-region")) as f:
            other = f.read().strip()
        appr = next((r.get("approval") or {} for r in doc["regions"] if r["code"] == CITY), {})
        appr_full = next((r.get("approval") or {} for r in full["regions"] if r["code"] == CITY), {})
        check(appr_full.get("status") == "approved" and appr_full.get("by") == PROVINCE,
              "the province's user sees the city approved by the province", appr_full)
        check(appr.get("status") == "approved" and appr.get("by") == "" and appr.get("digest") == appr_full.get("digest"),
              "alice sees her city's figures approved, the approver above her not named", appr)
        # Withdrawals are listed in the report of the period taken back.
        march = "/api/report?period=2020-03&depth=-1"
        full3 = request(a.url, "GET", march + "&region=" + CITY, cookie=prov_cookie).json()
        check(any(w["region"] == other for w in full3.get("withdrawn", [])),
              "the province's user sees the other city's withdrawal of March", full3.get("withdrawn"))
        mine3 = get_doc(a, cookie, march, "alice's report of March, when another city withdrew a figure", sc)
        check(mine3 is not None and not any(w["region"] not in sc.in_codes for w in mine3.get("withdrawn", [])),
              "alice's report of March is answered, without the other city's withdrawal", (mine3 or {}).get("withdrawn"))
    get_doc(a, cookie, "/api/explain?period=%s&indicator=%s" % (PERIOD, IND), "alice's explanation of her city", sc)
    get_doc(a, cookie, "/api/trend?indicator=%s" % IND, "alice's trend of her city", sc)
    county = sorted(c for c in sc.in_codes if c != CITY)[0]
    get_doc(a, cookie, "/api/report?period=%s&region=%s" % (PERIOD, county), "alice's report of county %s" % county, sc)
    r = request(a.url, "GET", "/api/report.csv?period=" + PERIOD, cookie=cookie)
    check(r.status == 403 and r.json() == {"error": "a viewer may not download: ask an operator"}, "a viewer may not download (403)", r.body)


def check_exports(a, cookie, sc):
    r = request(a.url, "GET", "/api/report.csv?period=%s&depth=-1" % PERIOD, cookie=cookie)
    text = r.body.decode("utf-8-sig", "replace")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    leaks = [c for c in cells if sc.text_leaks(c, exact=True)]
    check(r.status == 200 and len(cells) > 50 and not leaks, "bob (operator) downloads his city's CSV: no cell names a region outside it", (r.status, leaks[:5]))
    r = request(a.url, "GET", "/api/report.xlsx?period=%s&depth=-1" % PERIOD, cookie=cookie)
    try:
        import openpyxl  # noqa: E402  (Debian's python3-openpyxl)

        wb = openpyxl.load_workbook(io.BytesIO(r.body))
        cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
        leaks = [c for c in cells if sc.text_leaks(c, exact=True) or sc.text_leaks(c)]
        check(r.status == 200 and len(cells) > 50 and not leaks, "bob's workbook: no cell names a region outside his city", leaks[:5])
    except Exception as e:  # noqa: BLE001  (a failed read is the check failing)
        bad("bob's workbook cannot be read: %s (status %d)" % (e, r.status))
    r = request(a.url, "GET", "/api/brief.pdf?period=" + PERIOD, cookie=cookie)
    pdf = os.path.join(a.work, "brief.pdf")
    with open(pdf, "wb") as f:
        f.write(r.body)
    p = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True)
    leaks = sc.text_leaks(p.stdout)
    check(r.status == 200 and p.returncode == 0 and "石家庄市" in p.stdout and not leaks,
          "bob's briefing names his city, and neither the province nor another city", (r.status, leaks[:5]))


def check_csrf(a, cookie, csrf):
    r = request(a.url, "POST", "/api/logout", {}, cookie=cookie)
    check(r.status == 403 and "CSRF" in r.json()["error"], "a logout without the CSRF token is refused (403)", r.body)
    r = request(a.url, "POST", "/api/logout", {}, cookie=cookie, headers={"X-CSRF-Token": "0" * 64})
    check(r.status == 403, "a logout with a wrong CSRF token is refused (403)", r.status)
    check(request(a.url, "GET", "/api/session", cookie=cookie).status == 200, "the session outlives the refused logouts")
    r = request(a.url, "POST", "/api/logout", {}, cookie=cookie, headers={"X-CSRF-Token": csrf})
    check(r.status == 200 and "Max-Age=0" in (r.header("set-cookie") or ""), "a logout with the token ends the session and clears the cookie", r.status)
    check(request(a.url, "GET", "/api/session", cookie=cookie).status == 401, "after the logout the old cookie is 401")
    r = request(a.url, "GET", "/api/report?period=" + PERIOD, cookie=cookie)
    check(r.status == 401, "and reads nothing", r.status)
    r = request(a.url, "PUT", "/api/login", {}, cookie=cookie)
    check(r.status == 405, "another method is 405", r.status)


def check_disable(a):
    r, cookie, _ = login(a.url, "carol", PASSWORD["carol"])
    check(r.status == 200 and request(a.url, "GET", "/api/report?period=" + PERIOD, cookie=cookie).status == 200,
          "carol logs in and reads her city's report")
    rc, out, err = hub_cmd(a.hub, "user", "disable", "--db", a.db, "--name", "carol")
    check(rc == 0, "user disable carol", err)
    r = request(a.url, "GET", "/api/report?period=" + PERIOD, cookie=cookie)
    check(r.status == 401, "carol's session ends at once: her next request is 401", r.status)
    r, c2, _ = login(a.url, "carol", PASSWORD["carol"])
    check(r.status == 401 and r.json() == {"error": "wrong name or password"}, "a disabled account cannot log in, and is not told why", r.body)
    rc, out, err = hub_cmd(a.hub, "user", "enable", "--db", a.db, "--name", "carol")
    r, cookie, _ = login(a.url, "carol", PASSWORD["carol"])
    check(rc == 0 and r.status == 429, "enabled again, carol must still wait out her failed try (429)", (rc, r.status))
    r, cookie, _ = login(a.url, "alice", PASSWORD["alice"])
    rc, out, err = hub_cmd(a.hub, "user", "passwd", "--db", a.db, "--name", "alice", stdin="alice-new-pass-5\n")
    check(r.status == 200 and rc == 0 and request(a.url, "GET", "/api/session", cookie=cookie).status == 401,
          "a new password ends alice's sessions at once", (r.status, rc, err))
    r, _, _ = login(a.url, "alice", "alice-new-pass-5")
    check(r.status == 200, "alice logs in with the new password", r.status)
    rc, out, err = hub_cmd(a.hub, "user", "disable", "--db", a.db, "--name", "nobody")
    check(rc == 67, "disabling an account that does not exist is 67 (EX_NOUSER)", (rc, err))


def access_log(a):
    rc, out, err = hub_cmd(a.hub, "audit", "--db", a.db, "--access", "--format", "json")
    return json.loads(out) if rc == 0 else []


def check_slowed(a):
    r, _, _ = login(a.url, "dave", "not-his-password")
    check(r.status == 401, "dave's wrong password is refused (401)", r.status)
    r, cookie, _ = login(a.url, "dave", PASSWORD["dave"])
    ra = r.header("retry-after") or ""
    check(r.status == 429 and cookie is None and ra.isdigit() and 1 <= int(ra) <= 60,
          "dave's next login, within the 60 s the hub was told to wait after a failure, is 429 with Retry-After", (r.status, ra))
    r, _, _ = login(a.url, "nobody-at-all", "whatever-pass")
    check(r.status == 401 and r.json() == {"error": "wrong name or password"}, "an unknown name gets the same answer as a wrong password", r.body)
    r, _, _ = login(a.url, "evil\nFORGED log line", "whatever-pass")
    check(r.status == 401, "a name with a line break is refused as a wrong login", r.status)
    r, cookie, _ = login(a.url, "prov", PASSWORD["prov"])
    check(r.status == 200, "another name from the same address still logs in (an address is let off its first failures)", r.status)
    log = access_log(a)
    mine = [(e["name"], e["address"], e["action"], e["outcome"]) for e in log if e["name"] == "dave"]
    check(("dave", "127.0.0.1", "login", "failed") in mine and ("dave", "127.0.0.1", "login", "throttled") in mine,
          "the access log has dave's failure and the throttled try, with his address", mine)
    with open(a.hub_log, encoding="utf-8", errors="replace") as f:
        text = f.read()
    check("failed login of 'dave' from 127.0.0.1" in text, "the hub's log says so too")
    check("\nFORGED" not in text and "failed login of 'evil?FORGED?log?line' from 127.0.0.1" in text,
          "a name sent with a line break cannot write a line of its own into the log")
    check(any(e["name"] == "evil?FORGED?log?line" and e["outcome"] == "failed" for e in log),
          "nor into the access log")


def check_access_log(a):
    log = access_log(a)
    rows = [(e["name"], e["action"], e["target"], e["outcome"]) for e in log]
    check(("alice", "login", "", "ok") in rows, "the access log has alice's login", rows[:3])
    check(("alice", "read", OTHER, "forbidden") in rows, "and her refused read of %s" % OTHER)
    check(("alice", "export", "/api/report.csv", "forbidden") in rows, "and her refused download")
    check(("bob", "export", "/api/report.xlsx", "ok") in rows and ("bob", "export", "/api/brief.pdf", "ok") in rows,
          "and bob's downloads")
    check(("alice", "post", "/api/logout", "no-csrf") in rows and ("alice", "logout", "", "ok") in rows,
          "and the refused CSRF-less logout and the logout")
    check(all(e["address"] == "127.0.0.1" and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", e["at"]) for e in log),
          "every line has the address and a UTC time")
    rc, out, err = hub_cmd(a.hub, "audit", "--db", a.db, "--access", "--name", "bob")
    check(rc == 0 and "bob" in out and "alice" not in out, "audit --access --name keeps one account's lines", out[:300])
    p = subprocess.run(["sqlite3", a.db, "DELETE FROM access_log"], capture_output=True, text=True)
    check(p.returncode != 0 and "append-only" in p.stderr, "the access log is append-only", p.stderr)


def cmd_check(a):
    tree = load_tree()
    add_users(a)
    check_gate(a)
    r, cookie, doc = login(a.url, "alice", PASSWORD["alice"])
    check_cookie(a, r, cookie, doc)
    sc = Scope(tree, CITY)
    _, prov_cookie, _ = login(a.url, "prov", PASSWORD["prov"])
    check_forbidden(a, cookie, sc)
    check_scope(a, cookie, prov_cookie, sc)
    r, bob, _ = login(a.url, "bob", PASSWORD["bob"])
    check_exports(a, bob, sc)
    pdoc = request(a.url, "GET", "/api/report?period=%s&region=%s" % (PERIOD, OTHER), cookie=prov_cookie)
    check(pdoc.status == 200, "the province's approver reads %s" % OTHER, pdoc.status)
    check_csrf(a, cookie, doc["csrf"])
    check_disable(a)
    check_slowed(a)
    check_access_log(a)
    finish()


def cmd_expiry(a):
    rc, _, err = hub_cmd(a.hub, "user", "add", "--db", a.db, "--name", "idle", "--region", CITY, "--role", "viewer", stdin="idle-pass-0001\n")
    check(rc == 0, "user add idle", err)
    r, cookie, doc = login(a.url, "idle", "idle-pass-0001")
    check(r.status == 200 and doc.get("idle_s") == a.idle, "the login says the hub's idle limit (%d s)" % a.idle, doc)
    # Past the limit whatever the machine's speed: the check holds however
    # late this request comes.
    time.sleep(a.idle + 1.5)
    r = request(a.url, "GET", "/api/session", cookie=cookie)
    check(r.status == 401, "a session idle longer than --session-idle has ended", r.status)
    n = subprocess.run(["sqlite3", a.db, "SELECT count(*) FROM account_session"], capture_output=True, text=True).stdout.strip()
    check(n == "0", "and is gone from the store", n)
    finish()


def cmd_tls(a):
    check(a.url.startswith("https://"), "the ready file gives an https:// URL", a.url)
    rc, _, err = hub_cmd(a.hub, "user", "add", "--db", a.db, "--name", "tls", "--region", CITY, "--role", "viewer", stdin="tls-pass-00001\n")
    check(rc == 0, "user add tls", err)
    r = request(a.url, "GET", "/login", ca=a.ca)
    check(r.status == 200, "the login page is served over HTTPS, its certificate checked against the CA", r.status)
    r, cookie, doc = login(a.url, "tls", "tls-pass-00001", ca=a.ca)
    sc = r.header("set-cookie") or ""
    check(r.status == 200 and "; Secure" in sc and "HttpOnly" in sc, "over HTTPS the session cookie is Secure", sc)
    r = request(a.url, "GET", "/api/report?period=" + PERIOD, cookie=cookie, ca=a.ca)
    check(r.status == 200 and r.json()["region"] == CITY, "and reads the user's city", r.status)
    plain = "http://" + a.url.split("://", 1)[1]
    try:
        r = request(plain, "GET", "/api/session")
        check(r.status >= 400, "plain HTTP on the HTTPS port gets nothing", r.status)
    except (http.client.HTTPException, OSError) as e:
        ok("plain HTTP on the HTTPS port gets nothing (%s)" % type(e).__name__)
    finish()


def cmd_group(a):
    for name, region in (("g-prov", PROVINCE), ("g-city", CITY)):
        rc, _, err = hub_cmd(a.hub, "user", "add", "--db", a.db, "--name", name, "--region", region, "--role", "viewer",
                             stdin="group-pass-0001\n")
        check(rc == 0, "comparison hub: user add %s (%s)" % (name, region), err)
    r = request(a.url, "GET", "/api/compare?latest=1")
    check(r.status == 401, "comparison hub: without a session the comparison is 401", r.status)
    _, prov, _ = login(a.url, "g-prov", "group-pass-0001")
    _, city, _ = login(a.url, "g-city", "group-pass-0001")
    for path in ("/api/meta", "/api/compare?latest=1"):
        r = request(a.url, "GET", path, cookie=prov)
        check(r.status == 200, "the province's user, whose scope holds every member, reads %s" % path, (r.status, r.body[:200]))
        r = request(a.url, "GET", path, cookie=city)
        check(r.status == 403 and r.json() == {"error": "this comparison is outside your scope"},
              "a member city's user may not read %s: its peers are outside its scope" % path, (r.status, r.body[:200]))
    finish()


# -------------------------------------------------------------- browser


class Chrome:
    """Headless Chromium over the DevTools protocol on a pipe (fd 3 in,
    fd 4 out, NUL-terminated JSON): no port, no extra package."""

    def __init__(self, work):
        exe = "chromium"
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()

        def fds():
            # Through fresh numbers first: either end may already be 3 or 4.
            a, b = os.dup(to_r), os.dup(from_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.p = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--disable-extensions", "--hide-scrollbars", "--window-size=1280,900",
             "--user-data-dir=" + os.path.join(work, "profile"), "--remote-debugging-pipe", "about:blank"],
            # The pipe's ends are made fds 3 and 4 in the child; every other
            # descriptor of this process is close-on-exec (PEP 446).
            preexec_fn=fds, close_fds=False, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(work, "chromium.log"), "ab"))
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.seq = 0
        self.session = None
        t = self.call("Target.createTarget", {"url": "about:blank"})
        s = self.call("Target.attachToTarget", {"targetId": t["targetId"], "flatten": True})
        self.session = s["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method, params=None):
        self.seq += 1
        msg = {"id": self.seq, "method": method, "params": params or {}}
        if self.session:
            msg["sessionId"] = self.session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        end = time.time() + DEADLINE_S
        while True:
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                m = json.loads(raw)
                if m.get("id") == self.seq:
                    if "error" in m:
                        raise RuntimeError("%s: %s" % (method, m["error"]))
                    return m.get("result", {})
            left = end - time.time()
            if left <= 0 or not select.select([self.from_r], [], [], left)[0]:
                raise RuntimeError(method + ": no answer from Chromium")
            chunk = os.read(self.from_r, 1 << 20)
            if not chunk:
                raise RuntimeError(method + ": Chromium closed the pipe")
            self.buf += chunk

    def eval(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True})
        return r.get("result", {}).get("value")

    def wait(self, expr):
        """Polls expr until it is true; bounded, asserts nothing."""
        end = time.time() + DEADLINE_S
        while time.time() < end:
            try:
                if self.eval(expr):
                    return True
            except RuntimeError:
                pass  # a navigation replaced the context: ask again
            time.sleep(0.1)
        return False

    def screenshot(self, path):
        import base64

        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        print("# screenshot: " + path)

    def close(self):
        try:
            self.call("Browser.close")
        except RuntimeError:
            pass
        try:
            self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        os.close(self.to_w)
        os.close(self.from_r)


def cmd_browser(a):
    os.makedirs(a.artifacts, exist_ok=True)
    b = Chrome(a.work)
    try:
        base = a.url.rstrip("/")
        b.call("Page.navigate", {"url": base + "/"})
        if a.mode == "open":
            ready = b.wait("document.body && document.body.getAttribute('data-ready') === '1'")
            text = b.eval("document.getElementById('access').textContent") or ""
            check(ready and "未设账户" in text and "No accounts" in text, "open hub: the page says it has no accounts, Chinese first", text)
            b.screenshot(os.path.join(a.artifacts, "accounts-open.png"))
            finish()
        check(b.wait("location.pathname === '/login' && document.readyState === 'complete'"),
              "without a session the browser is sent to /login", b.eval("location.href"))
        b.eval("document.getElementById('name').value = 'alice';"
               "document.getElementById('password').value = 'wrong-password';"
               "document.getElementById('submit').click(); true")
        check(b.wait("getComputedStyle(document.getElementById('error')).display !== 'none'"),
              "a wrong password shows the page's error", b.eval("document.getElementById('error').textContent"))
        err = b.eval("document.getElementById('error').textContent") or ""
        check("用户名或密码错误" in err, "in Chinese first", err)
        b.screenshot(os.path.join(a.artifacts, "accounts-login-failed.png"))
        b.eval("document.getElementById('name').value = 'bob';"
               "document.getElementById('password').value = %s;"
               "document.getElementById('submit').click(); true" % json.dumps(PASSWORD["bob"]))
        ready = b.wait("location.pathname === '/' && document.body && document.body.getAttribute('data-ready') === '1'")
        check(ready, "bob's login through the page opens the dashboard", b.eval("location.href"))
        who = b.eval("(document.getElementById('access-user') || {}).textContent") or ""
        check("bob" in who and CITY in who and "石家庄市" in who, "the page names who is logged in and his city", who)
        page = b.eval("document.body.innerText") or ""
        crumbs = b.eval("document.getElementById('breadcrumbs').innerText") or ""
        sc = Scope(load_tree(), CITY)
        leaks = sc.text_leaks(page)
        check("石家庄市" in crumbs and "河北省" not in crumbs, "the page starts at his city", crumbs)
        tree = load_tree()
        counties = [tree[c][0] for c in sc.in_codes if c != CITY and tree[c][0] in page]
        check(not leaks and counties, "the page shows his city's counties (%d) and nothing outside the city" % len(counties), leaks[:5])
        cookie_js = b.eval("document.cookie")
        check(cookie_js == "", "the page's script cannot read the session cookie (HttpOnly)", cookie_js)
        b.screenshot(os.path.join(a.artifacts, "accounts-city.png"))
        b.eval("document.getElementById('logout').click(); true")
        check(b.wait("location.pathname === '/login'"), "the page's logout button ends the session and shows the login")
        r = b.eval("fetch('/api/session').then(function (r) { return r.status; })")
        check(r == 401, "after the logout the browser has no session", r)
    finally:
        b.close()
    finish()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["open", "check", "expiry", "tls", "browser", "group"])
    ap.add_argument("--hub")
    ap.add_argument("--db")
    ap.add_argument("--url", required=True)
    ap.add_argument("--work")
    ap.add_argument("--hub-log")
    ap.add_argument("--idle", type=int)
    ap.add_argument("--ca")
    ap.add_argument("--artifacts")
    ap.add_argument("--mode", choices=["open", "login"], default="login")
    a = ap.parse_args()
    a.url = a.url.rstrip("/")
    {"open": cmd_open, "check": cmd_check, "expiry": cmd_expiry, "tls": cmd_tls, "browser": cmd_browser,
     "group": cmd_group}[a.cmd](a)


if __name__ == "__main__":
    main()

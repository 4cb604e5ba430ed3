#!/usr/bin/python3
"""The data-entry page of `tally-node serve` in a real browser.

Headless Chromium (Debian's `chromium`) is driven over the DevTools
protocol on a pipe (--remote-debugging-pipe: no port at all), as a county
statistician would use the page: it opens a period, types figures into the
form and presses Save, picks a file for upload and sends it. What the
page then shows is read from the DOM, and what the store holds from the
store itself with sqlite3:

  - a form with a percentage where counts are asked and a word where a
    number is asked shows import's own message beside each of the two
    rows, the count of problems, and the store is unchanged (.dump);
  - the corrected form is saved: the store holds the figures typed (a
    thousands separator read as import reads it), the page says so and
    its status lists the figure as pending; after `tally-node push` to the
    city hub the page shows it accepted by that hub;
  - a CSV upload with a misspelt indicator lists `file:line: field ...`
    with the hint, and the store is unchanged; an .xlsx made by openpyxl
    with an Excel date cell for its period is imported.

Screenshots go to ARTIFACTS. Usage (run by tests/entry.sh):
  entry_browser.py URL DB NODE HUB_URL WORK ARTIFACTS
"""
import json
import os
import subprocess
import sys
import time

URL, DB, NODE, HUB, WORK, ARTIFACTS = sys.argv[1:7]
passed = 0
failed = 0


def ok(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok - " + what)
    else:
        failed += 1
        print("FAIL - %s %s" % (what, detail))


def dump():
    return subprocess.run(["sqlite3", DB, ".dump"], capture_output=True,
                          check=True).stdout


def sql(q):
    return subprocess.run(["sqlite3", DB, q], capture_output=True,
                          check=True, text=True).stdout.strip()


class Browser:
    """One headless Chromium, spoken to over fds 3 and 4."""

    def __init__(self):
        cmd_r, self.cmd_w = os.pipe()
        self.ev_r, ev_w = os.pipe()

        def fds():
            # By way of high numbers, in case a pipe's end is 3 or 4.
            os.dup2(cmd_r, 100)
            os.dup2(ev_w, 101)
            os.dup2(100, 3)
            os.dup2(101, 4)

        self.proc = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--no-first-run",
             "--disable-extensions", "--hide-scrollbars",
             "--user-data-dir=" + os.path.join(WORK, "profile"),
             "--window-size=1280,1400", "--remote-debugging-pipe",
             "about:blank"],
            pass_fds=(3, 4), preexec_fn=fds,
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(WORK, "chromium.log"), "w"))
        os.close(cmd_r)
        os.close(ev_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None
        target = self.call("Target.createTarget", url="about:blank")
        self.session = self.call("Target.attachToTarget",
                                 targetId=target["targetId"],
                                 flatten=True)["sessionId"]
        self.call("Page.enable")

    def read(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.ev_r, 65536)
            if not chunk:
                raise RuntimeError("chromium closed its pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if self.session is not None:
            msg["sessionId"] = self.session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self.read()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_load(self):
        """Until the page that is loading has loaded."""
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == "Page.loadEventFired":
                    del self.events[:i + 1]
                    return
            self.events.append(self.read())

    def open(self, url):
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_load()

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr,
                      returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def click_and_wait(self, selector):
        self.events.clear()
        self.js("document.querySelector(%s).click()" % json.dumps(selector))
        self.wait_load()

    def shot(self, name):
        import base64
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path = os.path.join(ARTIFACTS, "entry-%s.png" % name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        print("# screenshot " + path)

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def fill(b, values):
    for name, value in values.items():
        b.js("document.querySelector('[name=%s]').value = %s"
             % (name, json.dumps(value)))


def text(b, selector):
    return b.js("(document.querySelector(%s) || {}).textContent || ''"
                % json.dumps(selector))


def state_of(b, indicator):
    return b.js("(document.querySelector('#status tr[data-indicator=%s]')"
                " || {dataset: {}}).dataset.state || ''" % indicator)


def upload(b, path):
    obj = b.call("Runtime.evaluate",
                 expression="document.querySelector('input[type=file]')"
                 )["result"]["objectId"]
    b.call("DOM.setFileInputFiles", files=[path], objectId=obj)
    b.click_and_wait("#upload button")


def make_xlsx(path):
    import datetime
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["指标", "期间", "分子", "分母", "数值", "权重"])
    # Excel turns 2020/5/1 into a date cell.
    ws.append(["制造业产品质量合格率", datetime.datetime(2020, 5, 1), 130,
               140, None, None])
    wb.save(path)


def main():
    b = Browser()
    try:
        run(b)
    finally:
        b.close()
    print("entry_browser: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


def run(b):
    page = URL + "?period=2020-03"
    b.open(page)
    ok(text(b, "#period") == "2020-03", "the page opens the period asked",
       text(b, "#period"))
    ok(b.js("!!document.querySelector('[name=num_mfg_pass_rate]')"),
       "the form has the template's row for mfg_pass_rate")
    ok("数据填报" in b.js("document.title"), "the title is Chinese first")
    links = b.js("[document.querySelector('#prev-period').getAttribute('href'),"
                 " document.querySelector('#next-period').getAttribute('href')].join(' ')")
    ok(links == "/?period=2020-02 /?period=2020-04",
       "links to the month before and the month after", links)
    ok(state_of(b, "mfg_pass_rate") == "accepted",
       "the status lists the figure the city hub took as accepted",
       state_of(b, "mfg_pass_rate"))
    b.shot("open")

    before = dump()
    fill(b, {"num_mfg_pass_rate": "93.4%", "den_mfg_pass_rate": "",
             "value_quality_products": "abc"})
    b.click_and_wait("#save")
    err1 = text(b, "#row-mfg_pass_rate .err")
    err2 = text(b, "#row-quality_products .err")
    ok("field numerator" in err1 and "percentage" in err1
       and "enter passed batches" in err1,
       "the percentage is refused beside its row with import's hint", err1)
    ok("field value" in err2 and "'abc' is not a finite number" in err2,
       "the word is refused beside its row", err2)
    ok("2 problems; nothing imported" in text(b, "#problems"),
       "both problems at once, nothing imported", text(b, "#problems"))
    ok(b.js("document.querySelector('[name=num_mfg_pass_rate]').value")
       == "93.4%", "the form keeps what was typed")
    ok(dump() == before, "the store is unchanged (sqlite3 .dump)")
    b.shot("errors")

    fill(b, {"num_mfg_pass_rate": "1,210", "den_mfg_pass_rate": "1300",
             "value_quality_products": "7"})
    b.click_and_wait("#save")
    ok("saved" in text(b, "#notice"), "the corrected form is saved",
       text(b, "#notice"))
    got = sql("SELECT num, den FROM observation WHERE indicator ="
              " 'mfg_pass_rate' AND period = '2020-03'")
    ok(got == "1210.0|1300.0", "the store holds the figures typed", got)
    got = sql("SELECT value FROM observation WHERE indicator ="
              " 'quality_products' AND period = '2020-03'")
    ok(got == "7.0", "and the count typed", got)
    ok(state_of(b, "mfg_pass_rate") == "pending",
       "the corrected figure is pending")
    r = subprocess.run([NODE, "push", "--db", DB, "--hub", HUB],
                       capture_output=True, text=True)
    ok(r.returncode == 0, "tally-node push to the city hub", r.stderr)
    b.open(page)
    ok(state_of(b, "mfg_pass_rate") == "accepted",
       "after the push the page shows it accepted", state_of(b,
                                                            "mfg_pass_rate"))
    row = text(b, "#status tr[data-indicator=mfg_pass_rate]")
    ok("130100" in row, "by the city hub 130100", row)
    b.shot("saved")

    bad = os.path.join(WORK, "bad.csv")
    with open(bad, "w", encoding="utf-8") as f:
        f.write("指标,期间,分子,分母\n制造业产品质量合格率,2020-04,5,4\n"
                "mfg_pass_rat,2020-04,1,2\n")
    before = dump()
    upload(b, bad)
    items = b.js("Array.from(document.querySelectorAll('#problems li'))"
                 ".map(e => e.textContent)")
    ok(any(i.startswith("bad.csv:2: field numerator") for i in items)
       and any(i.startswith("bad.csv:3: field indicator") and
               "did you mean 'mfg_pass_rate'" in i for i in items),
       "an upload's problems are all listed as file:line: field", items)
    ok(dump() == before, "the store is unchanged after the bad upload")
    b.shot("upload-errors")

    xlsx = os.path.join(WORK, "may.xlsx")
    make_xlsx(xlsx)
    upload(b, xlsx)
    ok("saved may.xlsx" in text(b, "#notice"), "the xlsx upload is imported",
       text(b, "#notice"))
    ok(text(b, "#period") == "2020-05", "the page shows the sheet's period",
       text(b, "#period"))
    got = sql("SELECT num, den FROM observation WHERE indicator ="
              " 'mfg_pass_rate' AND period = '2020-05'")
    ok(got == "130.0|140.0", "the date cell's month is stored", got)
    b.shot("upload")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""An independent client of the hub's wire protocol, written from
docs/protocol.md alone: it shares no code with the C side (nor with the
other test tools), speaks the SP framing itself over a plain socket
(tcp:// and ipc://), encodes the messages with a Python module that
protoc generates from proto/tally.proto at test time, and reads keys,
derives key ids and signs envelopes and state claims by the documented
formats.

It drives real `tally-hub run` processes: a city hub in open mode over
tcp://, the province hub above it over ipc://, the same city in signed
mode, and the same city allowing ten years of clock skew. For every
kind of state a node could not have made (a percentage over 100, a ratio
over 0, counts that are not whole or too large, leaves out of range or
wrong for the region, min and max credited elsewhere or on another
scale, a version from the future, a conflicting version), for malformed
protobuf and for the submissions refused whole, it checks the
acknowledgement's status and reason, the line the hub logs, and that a
`sqlite3 .dump` of the hub's figure tables is byte-identical before and
after; then that the same child's next honest state lands and that an
honest sibling, pushed by the real tally-node, is still served. It also
checks the honest semantics (accepted, duplicate, stale, a correction
that moves the city's figure by exactly its difference, an empty
exchange), a withdrawal (dropped exactly, an older version late stale,
a withdrawn state with data refused, a correction after it counted), a
forwarded county state held to the county's rules at the
province, the refusals counted in each hub's report, signed mode, and
`tally-hub repair` of a version from the future.

Run by tests/wire_client.sh, which starts and stops the hubs and gives
their URLs, databases and logs (--city-*, --province-*, --signed-*,
--lenient-*), the county's key files and id (--key, --pub, --key-id),
the schema (--proto), the programs (--node, --hub) and a work directory
(--work). Prints one line per check ("ok - ..." or "FAIL - ...") and
exits 1 when any check failed.
"""

import argparse
import base64
import hashlib
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys
import time

CITY = "130100"
PROVINCE = "130000"
COUNTY = "130102"  # the child that sends the bad states
SIBLING = "130104"  # an honest county pushed by the real tally-node
NEIGHBOUR = "130105"  # a county of the same city: not 130102's region
OTHER_CITY_COUNTY = "130202"  # a county of another city

RECV_TIMEOUT_S = 60  # a bound on every wait, not a speed goal

passed = 0
failed = 0


def ok(what):
    global passed
    passed += 1
    print("ok - " + what, flush=True)


def not_ok(what):
    global failed
    failed += 1
    print("FAIL - " + what, flush=True)


def check(what, got, want):
    if got == want:
        ok(what)
    else:
        not_ok("%s: got %r, expected %r" % (what, got, want))


# ------------------------------------------------------------ SP framing


class SPRequester:
    """The requester's side of SP REQ/REP over tcp:// or ipc://
    (docs/protocol.md, Transport): an 8-byte header each way, then
    messages as a 64-bit big-endian length and the bytes (over ipc://
    after one byte 0x01); a request starts with a 32-bit request id whose
    top bit is set, and the reply starts with the same id."""

    REQ = 0x30
    REP = 0x31

    def __init__(self, url):
        m = re.fullmatch(r"tcp://(127\.0\.0\.1):(\d+)", url)
        if m is not None:
            self.sock = socket.create_connection(
                (m.group(1), int(m.group(2))), timeout=RECV_TIMEOUT_S)
            self.lead = b""
        elif url.startswith("ipc://"):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(RECV_TIMEOUT_S)
            self.sock.connect(url[len("ipc://"):])
            self.lead = b"\x01"
        else:
            raise SystemExit("wire_client: a loopback tcp:// or an ipc:// "
                             "URL, not %r" % url)
        self.sock.settimeout(RECV_TIMEOUT_S)
        self.sock.sendall(b"\x00SP\x00" + struct.pack(">HH", self.REQ, 0))
        head = self._read(8)
        if head != b"\x00SP\x00" + struct.pack(">HH", self.REP, 0):
            raise RuntimeError("not an SP REP peer: header %s" % head.hex())
        self.next_id = random.randrange(0, 1 << 31)

    def peer_text(self):
        """How the hub's log names this connection."""
        if self.lead:
            return "ipc"
        return "127.0.0.1:%d" % self.sock.getsockname()[1]

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise RuntimeError("the hub closed the connection")
            data += chunk
        return data

    def request(self, body):
        self.next_id = (self.next_id + 1) & 0x7FFFFFFF
        rid = struct.pack(">I", self.next_id | 0x80000000)
        msg = rid + body
        self.sock.sendall(self.lead + struct.pack(">Q", len(msg)) + msg)
        while True:
            if self.lead and self._read(1) != self.lead:
                raise RuntimeError("an ipc message of another type")
            (n,) = struct.unpack(">Q", self._read(8))
            reply = self._read(n)
            if reply[:4] == rid:
                return reply[4:]
            # A reply to an earlier request of ours: not the answer.

    def close(self):
        self.sock.close()


# ------------------------------------------------- protobuf by hand


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(num, v):
    return varint(num << 3 | 0) + varint(v)


def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


# ------------------------------------------------------ keys and claims


def load_private_key(path):
    """A private key file (docs: Keys): comment lines, and one line
    `ed25519-seed:` with the 32-byte seed in base64."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import \
        Ed25519PrivateKey
    seeds = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line == "" or line.startswith("#"):
                continue
            if not line.startswith("ed25519-seed:"):
                raise ValueError("%s: not a key line: %r" % (path, line))
            seeds.append(base64.b64decode(line[len("ed25519-seed:"):],
                                          validate=True))
    if len(seeds) != 1 or len(seeds[0]) != 32:
        raise ValueError("%s: expected one 32-byte seed" % path)
    return Ed25519PrivateKey.from_private_bytes(seeds[0])


def public_bytes(key):
    from cryptography.hazmat.primitives import serialization
    return key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key):
    """BLAKE2b with a 16-byte output over the public key; its first 8
    bytes in lowercase hex."""
    return hashlib.blake2b(public_key, digest_size=16).hexdigest()[:16]


def claim(region, st):
    """The bytes a region signs for one of its states (docs: Signatures)."""

    def text(v):
        b = v.encode("utf-8")
        if len(b) > 255:
            raise ValueError("a claim's string is at most 255 bytes")
        return bytes([len(b)]) + b

    def f64(v):
        return struct.pack(">d", 0.0 if v == 0 else v)

    out = b"tally-state-v1\x00"
    out += text(region) + text(st.indicator) + text(st.period)
    out += struct.pack(">Q", st.version) + f64(st.sum_a) + f64(st.sum_b)
    out += struct.pack(">I", st.leaves)
    if st.HasField("min_value"):
        out += b"\x01" + f64(st.min_value) + text(st.min_region)
        out += f64(st.max_value) + text(st.max_region)
    else:
        out += b"\x00"
    out += text(st.newest_period)
    if st.HasField("leaves_out"):
        out += text(st.leaves_out)
    return out


# ------------------------------------------------------------ the client


class Client:
    def __init__(self, pb, url):
        self.pb = pb
        self.url = url
        self.sp = SPRequester(url)
        self.last_version = 0
        self.signer = None
        self.key_id = None

    def version(self):
        """A new version: at least the current time in microseconds and
        above every one this client gave before (docs: Versions)."""
        v = max(time.time_ns() // 1000, self.last_version + 1)
        self.last_version = v
        return v

    def leaf_state(self, indicator, period, a, b, version, region=None,
                   leaves=1, value=None, mm_region=None, factor=100.0,
                   kind="ratio", newest=None):
        """A leaf's own state: its min and max are its own value, credited
        to itself (docs: PartialState)."""
        s = self.pb.PartialState()
        s.indicator = indicator
        s.period = period
        s.sum_a = a
        s.sum_b = b
        s.leaves = leaves
        s.newest_period = newest if newest is not None else period
        s.version = version
        if value is None:
            if kind == "ratio":
                value = factor * a / b if b != 0 else None
            elif kind == "count":
                value = factor * a
            else:
                value = a / b
        if value is not None:
            s.min_value = value
            s.max_value = value
            s.min_region = mm_region or region or self.sender
            s.max_region = mm_region or region or self.sender
        if region is not None:
            s.region = region
        return s

    def submission_bytes(self, sender, hub, states, raw_states=()):
        sub = self.pb.Submission()
        sub.sender = sender
        sub.hub = hub
        versions = [s.version for s in states] + [v for v, _ in raw_states]
        sub.sender_version = max(versions, default=0)
        sub.sent_at = time.time_ns() // 1000000
        sub.states.extend(states)
        body = sub.SerializeToString()
        for _, raw in raw_states:
            body += field_bytes(5, raw)
        return body

    def envelope(self, body):
        env = self.pb.Envelope()
        env.body = body
        if self.signer is not None:
            env.signature = self.signer.sign(body)
            env.key_id = self.key_id
        return env.SerializeToString()

    def sign_state(self, st, region):
        """The state's origin signature: the Ed25519 signature of its
        claim (docs: Signatures) by the key of the region it is of."""
        st.origin_signature = self.signer.sign(claim(region, st))
        st.origin_key_id = self.key_id

    def send_raw(self, payload):
        """Sends an envelope's bytes; returns the Ack."""
        env = self.pb.Envelope()
        env.ParseFromString(self.sp.request(payload))
        ack = self.pb.Ack()
        ack.ParseFromString(env.body)
        return ack

    def send(self, sender, hub, states, raw_states=()):
        if self.signer is not None:
            for st in states:
                if not st.HasField("origin_signature"):
                    self.sign_state(
                        st, st.region if st.HasField("region") else sender)
        return self.send_raw(
            self.envelope(self.submission_bytes(sender, hub, states, raw_states)))


# ------------------------------------------------------------ the hub side


class Hub:
    """What the test reads of a hub: its log (new lines since the last
    look), its figure tables and its report."""

    TABLES = ["region_state", "snapshot", "observation", "state_history",
              "observation_history", "state_reason"]

    def __init__(self, name, db, log, hub_bin):
        self.name = name
        self.db = db
        self.log = log
        self.hub_bin = hub_bin
        self.offset = os.path.getsize(log)

    def new_log(self):
        with open(self.log, "rb") as f:
            f.seek(self.offset)
            text = f.read()
        self.offset += len(text)
        return text.decode("utf-8", "replace")

    def dump(self):
        args = ["sqlite3", "-cmd", ".timeout 10000", self.db]
        args += [".dump " + t for t in self.TABLES]
        return subprocess.run(args, check=True, capture_output=True).stdout

    def report_json(self, period, *extra):
        out = subprocess.run(
            [self.hub_bin, "report", "--db", self.db, "--period", period,
             "--depth", "0", "--format", "json"] + list(extra),
            check=True, capture_output=True, text=True).stdout
        return json.loads(out)

    def figure(self, indicator, period):
        doc = self.report_json(period, "--indicator", indicator)
        for ind in doc["regions"][0]["indicators"]:
            if ind["id"] == indicator:
                return ind
        return None


def log_has(what, text, line):
    if line in text:
        ok(what)
    else:
        not_ok("%s: no line with %r in the hub's log; it logged:\n%s"
               % (what, line, text.rstrip()))


# ------------------------------------------------------------ expectations

# The hub's texts (docs/protocol.md, "Acknowledgements" and "Reasons").
# The days of a version from the future are counted from this hub's clock.
FUTURE_DAYS = 3652
REASONS = {
    "percent_over": "field sum_a: numerator 120 exceeds the denominator 100 "
                    "of a percentage",
    "zero_den": "field sum_a: numerator 5 over a denominator of 0: "
                "a denominator of 0 needs a numerator of 0",
    "count_fraction": "field sum_a: a count is a whole number within 2^53, "
                      "not 42.5",
    "count_huge": "field sum_a: a count is a whole number within 2^53, "
                  "not 1e+300",
    "leaves_wide": "field leaves: 4294967297 is out of range (at most 100000)",
    "leaves_five": "field leaves: 5, but 130102 is a leaf region: its state "
                   "with data counts 1",
    "leaves_zero": "field leaves: 0, but 130102 is a leaf region: its state "
                   "with data counts 1",
    "minmax_neighbour": "field min_region: 130105, but the min and max of "
                        "leaf 130102 are its own",
    "minmax_scale": "field min_value: 0.95, but the state's value is 95",
    "future": "field version: version %d is %d days ahead of this hub's clock",
    "conflict": "conflict: version %d of 130102 mfg_pass_rate 2020-09 is held "
                "with other figures",
    "not_child": "region 130202 is not a direct child of 130100",
    "misaddressed": "addressed to hub 130200, this is hub 130100",
    "unknown_indicator": "unknown indicator",
    "not_below": "region 130202 is not below 130100",
    "env_no_body": "malformed envelope: message Envelope: missing required "
                   "field body",
    "env_wire_type": "malformed envelope: message Envelope: field body: wire "
                     "type varint where length-delimited is expected",
    "sub_no_hub": "malformed submission: message Submission: missing "
                  "required field hub",
    "sub_wire_type": "malformed submission: message Submission: field sender: "
                     "wire type varint where length-delimited is expected",
    "state_no_version": "malformed submission: message PartialState "
                        "(states[0]): missing required field version",
    "withdrawn_data": "field withdrawn: a withdrawn state holds no data, so "
                      "newest_period must be empty, sums and leaves 0 and "
                      "min and max absent",
    "reason_empty": "change_reason is empty: absent for none",
    "reason_long": "malformed submission: field states[0].change_reason: not "
                   "UTF-8 text of at most 255 bytes without control "
                   "characters",
}


class Test:
    def __init__(self, args, pb):
        self.args = args
        self.pb = pb
        self.city = Hub("city", args.city_db, args.city_log, args.hub)
        self.province = Hub("province", args.province_db, args.province_log,
                            args.hub)
        self.c = Client(pb, args.city_url)
        self.c.sender = COUNTY
        self.p = Client(pb, args.province_url)
        self.p.sender = CITY
        self.city.client = self.c
        self.province.client = self.p
        self.honest_round = 0
        self.sibling_db = os.path.join(args.work, "sibling.db")
        self.signed = Hub("signed", args.signed_db, args.signed_log, args.hub)
        self.s = Client(pb, args.signed_url)
        self.s.sender = COUNTY
        self.signed.client = self.s
        self.lenient = Hub("lenient", args.lenient_db, args.lenient_log,
                           args.hub)
        self.lenient.client = Client(pb, args.lenient_url)
        self.lenient.client.sender = COUNTY
        # What each hub must count as refused, by sender (None: a
        # submission too malformed to name one): [states, conflicts,
        # submissions, last reason].
        self.refusals = {}

    # -- the acknowledgements

    def ack_one(self, what, ack, status, reason=None, region=None):
        """The acknowledgement of a submission of one state."""
        if ack.HasField("error"):
            not_ok("%s: refused whole: %s" % (what, ack.error))
            return False
        if len(ack.states) != 1:
            not_ok("%s: %d state acknowledgements, expected 1"
                   % (what, len(ack.states)))
            return False
        st = ack.states[0]
        good = True
        if st.status != status:
            not_ok("%s: status %s (reason %r), expected %s"
                   % (what, self.pb.AckStatus.Name(st.status),
                      st.reason if st.HasField("reason") else None,
                      self.pb.AckStatus.Name(status)))
            good = False
        elif reason is not None and st.reason != reason:
            not_ok("%s: reason %r, expected %r" % (what, st.reason, reason))
            good = False
        elif reason is None and st.HasField("reason"):
            not_ok("%s: an unexpected reason %r" % (what, st.reason))
            good = False
        if region is not None and st.region != region:
            not_ok("%s: region %r echoed, expected %r"
                   % (what, st.region, region))
            good = False
        if good:
            ok("%s: %s%s" % (what, self.pb.AckStatus.Name(status),
                             ": " + reason if reason else ""))
        return good

    def ack_error(self, what, ack, error):
        if not ack.HasField("error"):
            not_ok("%s: not refused whole (%d state acknowledgements)"
                   % (what, len(ack.states)))
        elif ack.error != error:
            not_ok("%s: refused with %r, expected %r" % (what, ack.error, error))
        elif len(ack.states) != 0:
            not_ok("%s: refused, yet with state acknowledgements" % what)
        else:
            ok("%s: refused: %s" % (what, error))

    # -- the honest children

    def honest(self, what, client, hub, indicator, period, kind="ratio"):
        """The same child's next honest state for the key a bad one was
        sent for: it must land."""
        self.honest_round += 1
        r = self.honest_round
        if client.sender == CITY:
            # A city's own state: two counties merged, min and max theirs.
            st = client.leaf_state(indicator, period, 1750 + r, 2000,
                                   client.version(), leaves=2)
            st.min_value, st.min_region = 80.0, COUNTY
            st.max_value, st.max_region = 95.0, SIBLING
        elif kind == "ratio":
            st = client.leaf_state(indicator, period, 800 + r, 1000,
                                   client.version())
        else:
            st = client.leaf_state(indicator, period, 40 + r, 0,
                                   client.version(), kind="count",
                                   factor=1.0)
        ack = client.send(client.sender, hub, [st])
        self.ack_one("after %s: %s's next honest state lands"
                     % (what, client.sender), ack, self.pb.ACCEPTED)

    def sibling_push(self, what):
        """The honest sibling county, as the real tally-node, records a
        new figure and pushes it."""
        self.honest_round += 1
        node = self.args.node
        subprocess.run([node, "record", "-q", "--db", self.sibling_db,
                        "--indicator", "mfg_pass_rate", "--period", "2020",
                        "--num", str(900 + self.honest_round), "--den", "1000"],
                       check=True, capture_output=True)
        out = subprocess.run([node, "push", "--db", self.sibling_db, "--hub",
                              self.args.city_url, "--timeout-ms", "60000"],
                             capture_output=True, text=True)
        text = out.stdout + out.stderr
        if out.returncode == 0 and "1 accepted, 0 duplicate, 0 stale, 0 rejected" in text:
            ok("after %s: the honest sibling %s (tally-node) is served"
               % (what, SIBLING))
        else:
            not_ok("after %s: the honest sibling's push: exit %d: %s"
                   % (what, out.returncode, text.strip()))

    # -- one refusal

    def refused(self, what, hub, send, expect, log_line, follow=None):
        """Sends a bad submission with send(); expect(ack) checks the
        answer. Then the hub's log line, the figure tables unchanged, and
        the honest children served."""
        before = hub.dump()
        hub.new_log()
        ack = send()
        expect(ack)
        log_has("%s: the hub logs it" % what, hub.new_log(), log_line)
        after = hub.dump()
        if before == after:
            ok("%s: the figure tables are byte-identical" % what)
        else:
            not_ok("%s: the figure tables changed" % what)
        if follow is not None:
            follow()
        if hub is self.city:
            self.sibling_push(what)

    def count_refusal(self, hub, sender, states, conflicts, submissions,
                      reason):
        r = self.refusals.setdefault(hub.name, {}).setdefault(
            sender, [0, 0, 0, ""])
        r[0] += states
        r[1] += conflicts
        r[2] += submissions
        r[3] = reason

    def check_refusals(self, hub):
        """The hub's report counts what it refused, from whom, with the
        last reason: exactly what this client sent it. A refusal is
        counted by the time the hub answers a later submission (docs:
        Answers and reasons), so an empty exchange comes first."""
        ack = hub.client.send(hub.client.sender,
                              PROVINCE if hub is self.province else CITY, [])
        check("the %s hub answers an empty exchange" % hub.name,
              (ack.HasField("error"), len(ack.states)), (False, 0))
        doc = hub.report_json("2020")
        got = sorted(([r["sender"], r["states"], r["conflicts"],
                       r["submissions"], r["last_reason"]]
                      for r in doc.get("refused", [])),
                     key=lambda r: r[0] or "")
        want = sorted(([k] + v for k, v in
                       self.refusals.get(hub.name, {}).items()),
                      key=lambda r: r[0] or "")
        check("the %s hub's report counts every refusal by child" % hub.name,
              got, want)

    def state_refused(self, what, state=None, raw=None, reason="",
                      follow_key=None, kind="ratio", sender=None,
                      via_province=False, hub=None):
        hub = hub or (self.province if via_province else self.city)
        client = hub.client
        to = PROVINCE if hub is self.province else CITY
        sender = sender or client.sender
        states = [state] if state is not None else []
        raws = [raw] if raw is not None else []
        ind = state.indicator if state is not None else follow_key[0]
        period = state.period if state is not None else follow_key[1]
        version = state.version if state is not None else raw[0]
        region = state.region if state is not None and state.HasField("region") else None

        self.count_refusal(hub, sender, 1,
                           1 if reason.startswith("conflict:") else 0, 0,
                           reason)

        def follow():
            if follow_key is not None:
                self.honest(what, client, to, follow_key[0], follow_key[1], kind)

        self.refused(
            what, hub, lambda: client.send(sender, to, states, raws),
            lambda ack: self.ack_one(what, ack, self.pb.REJECTED, reason,
                                     region=region),
            "%s: %s %s rejected: %s (%sv%d)" % (
                sender, ind, period, reason, region + " " if region else "",
                version), follow)

    def whole_refused(self, what, payload, error, hub=None, sender=None):
        """sender: the region the submission names, None when it is too
        malformed to name one."""
        hub = hub or self.city
        client = hub.client
        self.count_refusal(hub, sender, 0, 0, 1, error)
        self.refused(
            what, hub, lambda: client.send_raw(payload),
            lambda ack: self.ack_error(what, ack, error),
            "submission from %s refused: %s" % (client.sp.peer_text(), error))

    # ------------------------------------------------------ the scenarios

    def honest_semantics(self):
        c, city, pb = self.c, self.city, self.pb
        ack = c.send(COUNTY, CITY, [])
        instance = subprocess.run(
            ["sqlite3", "-cmd", ".timeout 10000", city.db,
             "SELECT value FROM meta WHERE key = 'instance_id'"],
            check=True, capture_output=True, text=True).stdout.strip()
        check("an empty submission gets the hub's instance id",
              (ack.hub_instance, len(ack.states), ack.HasField("error")),
              (instance, 0, False))

        before = city.figure("mfg_pass_rate", "2020")
        v1 = c.version()
        ack = c.send(COUNTY, CITY,
                     [c.leaf_state("mfg_pass_rate", "2020", 900, 1000, v1)])
        self.ack_one("a new state", ack, pb.ACCEPTED)
        check("the hub's instance id is the same in every acknowledgement",
              ack.hub_instance, instance)
        after = city.figure("mfg_pass_rate", "2020")
        b_num = before["numerator"] if before else 0
        b_den = before["denominator"] if before else 0
        check("the city's 2020 figure gains the county's sums",
              (after["numerator"] - b_num, after["denominator"] - b_den),
              (900, 1000))

        dump = city.dump()
        ack = c.send(COUNTY, CITY,
                     [c.leaf_state("mfg_pass_rate", "2020", 900, 1000, v1)])
        self.ack_one("the same version again", ack, pb.DUPLICATE)
        check("a duplicate changes no figure", city.dump() == dump, True)

        ack = c.send(COUNTY, CITY,
                     [c.leaf_state("mfg_pass_rate", "2020", 100, 1000, v1 - 1)])
        self.ack_one("an older version", ack, pb.STALE)
        check("a stale state changes no figure", city.dump() == dump, True)

        ack = c.send(COUNTY, CITY, [c.leaf_state(
            "mfg_pass_rate", "2020", 950, 1000, c.version())])
        self.ack_one("a correction (a newer version)", ack, pb.ACCEPTED)
        corrected = city.figure("mfg_pass_rate", "2020")
        check("the correction moves the city's figure by exactly its difference",
              (corrected["numerator"] - after["numerator"],
               corrected["denominator"] - after["denominator"]), (50, 0))

        # Two states in one submission, one bad: the other is taken.
        good = c.leaf_state("mfg_pass_rate", "2020Q1", 300, 400, c.version())
        bad = c.leaf_state("no_such_indicator", "2020", 1, 2, c.version())
        ack = c.send(COUNTY, CITY, [good, bad])
        got = [(s.indicator, s.period, pb.AckStatus.Name(s.status), s.reason)
               for s in ack.states]
        self.count_refusal(city, COUNTY, 1, 0, 0,
                           REASONS["unknown_indicator"])
        check("a bad state is rejected on its own, the rest is taken", got,
              [("mfg_pass_rate", "2020Q1", "ACCEPTED", ""),
               ("no_such_indicator", "2020", "REJECTED",
                REASONS["unknown_indicator"])])

    def withdrawal(self):
        """A withdrawal (docs: PartialState, withdrawn): a newer version
        without data, marked, with its reason; the city drops the
        county's contribution exactly, an older version sent late is
        stale, and a correction after it counts again."""
        c, city, pb = self.c, self.city, self.pb
        key = ("mfg_pass_rate", "2020-12")
        why = "录入时月份填错"
        def sums(fig):
            """The city's sums; none held is 0 of 0."""
            fig = fig or {}
            return (fig.get("numerator") or 0, fig.get("denominator") or 0)

        b = sums(city.figure(*key))
        v1 = c.version()
        ack = c.send(COUNTY, CITY, [c.leaf_state(*key, 70, 80, v1)])
        self.ack_one("withdrawal: the month first", ack, pb.ACCEPTED)

        def withdrawn(version, reason=why):
            s = pb.PartialState()
            s.indicator, s.period = key
            s.sum_a = s.sum_b = 0
            s.leaves = 0
            s.newest_period = ""
            s.version = version
            s.withdrawn = True
            if reason is not None:
                s.change_reason = reason
            return s

        v2 = c.version()
        ack = c.send(COUNTY, CITY, [withdrawn(v2)])
        self.ack_one("withdrawal: the withdrawn state", ack, pb.ACCEPTED)
        check("withdrawal: the city's figure is what it was before the month",
              sums(city.figure(*key)), b)
        listed = [(w["region"], w["indicator"], w["period"], w["reason"])
                  for w in city.report_json(key[1]).get("withdrawn", [])]
        check("withdrawal: the city's report lists it with its reason",
              listed, [(COUNTY, key[0], key[1], why)])
        dump = city.dump()
        ack = c.send(COUNTY, CITY, [c.leaf_state(*key, 70, 80, v1)])
        self.ack_one("withdrawal: the older version sent late", ack, pb.STALE)
        ack = c.send(COUNTY, CITY, [withdrawn(v2)])
        self.ack_one("withdrawal: the withdrawal again", ack, pb.DUPLICATE)
        check("withdrawal: neither changes the figure tables",
              city.dump() == dump, True)

        st = c.leaf_state(*key, 70, 80, c.version())
        st.withdrawn = True
        st.change_reason = why
        self.state_refused("a withdrawn state that carries data", st,
                           reason=REASONS["withdrawn_data"])
        self.state_refused("an empty change_reason",
                           withdrawn(c.version(), reason=""),
                           reason=REASONS["reason_empty"])
        self.whole_refused(
            "a change_reason of 256 bytes",
            c.envelope(c.submission_bytes(
                COUNTY, CITY, [withdrawn(c.version(), reason="x" * 256)])),
            REASONS["reason_long"], sender=None)

        st = c.leaf_state(*key, 75, 80, c.version())
        st.change_reason = "补录"
        ack = c.send(COUNTY, CITY, [st])
        self.ack_one("withdrawal: a correction after it", ack, pb.ACCEPTED)
        again = sums(city.figure(*key))
        check("withdrawal: the correction counts again",
              (again[0] - b[0], again[1] - b[1]), (75, 80))
        check("withdrawal: the report no longer lists it",
              city.report_json(key[1]).get("withdrawn", []), [])

    def refused_whole(self):
        c = self.c
        st = c.leaf_state("mfg_pass_rate", "2020", 1, 2, c.version(),
                          region=None)
        st.min_region = st.max_region = OTHER_CITY_COUNTY
        self.whole_refused(
            "a submission from a region that is not a child",
            c.envelope(c.submission_bytes(OTHER_CITY_COUNTY, CITY, [st])),
            REASONS["not_child"], sender=OTHER_CITY_COUNTY)
        st = c.leaf_state("mfg_pass_rate", "2020", 1, 2, c.version())
        self.whole_refused(
            "a submission addressed to another hub",
            c.envelope(c.submission_bytes(COUNTY, "130200", [st])),
            REASONS["misaddressed"], sender=COUNTY)

    def table_rows(self):
        c = self.c
        # A percentage above 100: 120 passed of 100 sampled.
        self.state_refused(
            "mfg_pass_rate 120 passed of 100 sampled",
            c.leaf_state("mfg_pass_rate", "2020-01", 120, 100, c.version()),
            reason=REASONS["percent_over"],
            follow_key=("mfg_pass_rate", "2020-01"))
        # A ratio 5 / 0, whose min and max would still enter the city.
        self.state_refused(
            "a ratio 5 / 0",
            c.leaf_state("mfg_pass_rate", "2020-02", 5, 0, c.version(),
                         value=95.0),
            reason=REASONS["zero_den"],
            follow_key=("mfg_pass_rate", "2020-02"))
        # Counts that are not whole numbers within 2^53.
        for key, amount in (("count_fraction", 42.5), ("count_huge", 1e300)):
            self.state_refused(
                "a count of %r batches" % amount,
                c.leaf_state("supervision_spot_check_batches", "2020-01",
                             amount, 0, c.version(), kind="count",
                             factor=1.0),
                reason=REASONS[key],
                follow_key=("supervision_spot_check_batches", "2020-01"),
                kind="count")
        # leaves = 2^32 + 1 on the wire: the field is a uint32; a decoder
        # that keeps the low 32 bits would read 1.
        st = c.leaf_state("mfg_pass_rate", "2020-03", 90, 100, c.version())
        st.ClearField("leaves")
        raw = st.SerializePartialToString() + field_varint(5, 2 ** 32 + 1)
        self.state_refused(
            "leaves = 2^32+1 on the wire", raw=(st.version, raw),
            reason=REASONS["leaves_wide"],
            follow_key=("mfg_pass_rate", "2020-03"))
        # A county claiming 5 leaves, and one claiming none with data.
        self.state_refused(
            "a county claiming leaves = 5",
            c.leaf_state("mfg_pass_rate", "2020-04", 90, 100, c.version(),
                         leaves=5),
            reason=REASONS["leaves_five"],
            follow_key=("mfg_pass_rate", "2020-04"))
        st = c.leaf_state("mfg_pass_rate", "2020-05", 90, 100, c.version(),
                          leaves=0)
        for f in ("min_value", "max_value", "min_region", "max_region"):
            st.ClearField(f)
        self.state_refused(
            "a county claiming leaves = 0 with data", st,
            reason=REASONS["leaves_zero"],
            follow_key=("mfg_pass_rate", "2020-05"))
        # min and max credited to a neighbour, or on another scale.
        self.state_refused(
            "min/max credited to a neighbouring county",
            c.leaf_state("mfg_pass_rate", "2020-06", 90, 100, c.version(),
                         mm_region=NEIGHBOUR),
            reason=REASONS["minmax_neighbour"],
            follow_key=("mfg_pass_rate", "2020-06"))
        self.state_refused(
            "min/max 0.95 for a value of 95",
            c.leaf_state("mfg_pass_rate", "2020-07", 95, 100, c.version(),
                         value=0.95),
            reason=REASONS["minmax_scale"],
            follow_key=("mfg_pass_rate", "2020-07"))
        # A version ten years ahead of the hub's clock.
        ahead = (time.time_ns() // 1000 + FUTURE_DAYS * 86400 * 10 ** 6
                 + 3600 * 10 ** 6)
        self.state_refused(
            "a version ten years ahead",
            c.leaf_state("mfg_pass_rate", "2020-08", 90, 100, ahead),
            reason=REASONS["future"] % (ahead, FUTURE_DAYS),
            follow_key=("mfg_pass_rate", "2020-08"))
        # The same version again with other sums: a conflict.
        v = c.version()
        ack = c.send(COUNTY, CITY,
                     [c.leaf_state("mfg_pass_rate", "2020-09", 91, 100, v)])
        self.ack_one("a state before its conflicting twin", ack,
                     self.pb.ACCEPTED)
        self.state_refused(
            "the same version again with other sums",
            c.leaf_state("mfg_pass_rate", "2020-09", 92, 100, v),
            reason=REASONS["conflict"] % v,
            follow_key=("mfg_pass_rate", "2020-09"))

    def malformed(self):
        c, pb = self.c, self.pb
        good_state = c.leaf_state("mfg_pass_rate", "2020-10", 90, 100,
                                  c.version())
        good_body = c.submission_bytes(COUNTY, CITY, [good_state])
        # An envelope without its required body (only a key id).
        self.whole_refused("an envelope without its body",
                           field_bytes(3, b"0123456789abcdef"),
                           REASONS["env_no_body"])
        # The body as a varint: the wrong wire type.
        self.whole_refused("an envelope whose body has the wrong wire type",
                           field_varint(1, 7), REASONS["env_wire_type"])
        # A submission without its required hub.
        sub = pb.Submission()
        sub.ParseFromString(good_body)
        sub.ClearField("hub")
        self.whole_refused("a submission without its hub",
                           c.envelope(sub.SerializePartialToString()),
                           REASONS["sub_no_hub"])
        # The sender as a varint instead of a string.
        sub.ParseFromString(good_body)
        sub.ClearField("sender")
        body = field_varint(1, int(COUNTY)) + sub.SerializePartialToString()
        self.whole_refused("a submission whose sender has the wrong wire type",
                           c.envelope(body), REASONS["sub_wire_type"])
        # A state without its required version.
        st = pb.PartialState()
        st.CopyFrom(good_state)
        st.ClearField("version")
        body = c.submission_bytes(COUNTY, CITY, []) + field_bytes(
            5, st.SerializePartialToString())
        self.whole_refused("a state without its version", c.envelope(body),
                           REASONS["state_no_version"])
        self.honest("the malformed submissions", c, CITY, "mfg_pass_rate",
                    "2020-10")

    def forwarded(self):
        """The city (this client) forwards its county's states to the
        province: a county state is held to the county's rules there too."""
        p, pb = self.p, self.pb
        now = time.time_ns() // 1000000
        own = p.leaf_state("mfg_pass_rate", "2020", 1850, 2000, p.version(),
                           leaves=2)
        own.min_value, own.min_region = 90.0, COUNTY
        own.max_value, own.max_region = 95.0, SIBLING
        fwd = p.leaf_state("mfg_pass_rate", "2020", 900, 1000, p.version(),
                           region=COUNTY)
        fwd.first_received_at = now - 1000
        fwd.received_at = now
        ack = p.send(CITY, PROVINCE, [own, fwd])
        got = [(s.region, pb.AckStatus.Name(s.status), s.reason)
               for s in ack.states]
        check("the province takes the city's own state and a forwarded "
              "county state", got,
              [("", "ACCEPTED", ""), (COUNTY, "ACCEPTED", "")])
        bad = p.leaf_state("mfg_pass_rate", "2020-01", 120, 100, p.version(),
                           region=COUNTY)
        bad.first_received_at = now - 1000
        bad.received_at = now
        self.state_refused(
            "a forwarded county state of 120 passed of 100 sampled", bad,
            reason=REASONS["percent_over"], via_province=True)
        self.whole_refused(
            "a submission to the province addressed to the city",
            p.envelope(p.submission_bytes(CITY, CITY, [])),
            "addressed to hub 130100, this is hub 130000", hub=self.province,
            sender=CITY)
        far = p.leaf_state("mfg_pass_rate", "2020", 1, 2, p.version(),
                           region=OTHER_CITY_COUNTY)
        far.first_received_at = now - 1000
        far.received_at = now
        self.state_refused(
            "a forwarded state of a county of another city", far,
            reason=REASONS["not_below"], via_province=True,
            follow_key=("mfg_pass_rate", "2020"))


    def signed_mode(self):
        """A city hub with a keys file: the key file's format, the key id
        formula, the envelope's signature and the state's claim, as the
        docs give them, must be what the hub checks."""
        s, pb, args = self.s, self.pb, self.args
        s.signer = load_private_key(args.key)
        pub = public_bytes(s.signer)
        with open(args.pub) as f:
            check("the .pub file is the public key of the .key file in base64",
                  f.read().strip(), base64.b64encode(pub).decode())
        s.key_id = key_id(pub)
        check("the key id by the docs' formula is tally-node keygen's",
              s.key_id, args.key_id)
        # A quarter, with min and max: the claim holds its canonical text.
        st = s.leaf_state("mfg_pass_rate", "2020Q1", 270, 300, s.version(),
                          newest="2020-03")
        ack = s.send(COUNTY, CITY, [st])
        self.ack_one("a signed state of 2020Q1 with min and max", ack,
                     pb.ACCEPTED)
        # A state whose sums changed after its region signed it.
        st = s.leaf_state("mfg_pass_rate", "2020Q2", 270, 300, s.version())
        s.sign_state(st, COUNTY)
        st.sum_a = 280
        st.min_value = st.max_value = 100.0 * 280 / 300
        self.state_refused(
            "a signed state changed after it was signed", st,
            reason="bad origin signature: the state of %s does not match "
            "the signature of key %s" % (COUNTY, s.key_id),
            follow_key=("mfg_pass_rate", "2020Q2"), hub=self.signed)
        body = s.submission_bytes(COUNTY, CITY, [])
        signer, s.signer = s.signer, None
        unsigned = s.envelope(body)
        s.signer = signer
        self.whole_refused("an unsigned envelope", unsigned,
                           "unsigned envelope: this hub accepts signed "
                           "envelopes only", hub=self.signed)
        # Signed, then its sent_at moved by a millisecond.
        env = pb.Envelope()
        env.ParseFromString(s.envelope(body))
        sub = pb.Submission()
        sub.ParseFromString(env.body)
        sub.sent_at += 1
        env.body = sub.SerializeToString()
        self.whole_refused("an envelope whose body changed after signing",
                           env.SerializeToString(),
                           "bad signature: the body does not match the "
                           "signature of key %s" % s.key_id, hub=self.signed)

    def repair(self):
        """A hub that allows ten years of skew takes a version from a
        clock ten years ahead; every honest version after it is stale.
        `tally-hub repair` drops it, records it in the audit trail and
        gives the database a new instance id; the child's next state
        lands."""
        h, pb = self.lenient, self.pb
        c = h.client
        ahead = (time.time_ns() // 1000 + FUTURE_DAYS * 86400 * 10 ** 6
                 + 3600 * 10 ** 6)
        ack = c.send(COUNTY, CITY, [
            c.leaf_state("mfg_pass_rate", "2020-08", 90, 100, ahead)])
        self.ack_one("a hub with --max-clock-skew 3660d: a version ten years "
                     "ahead", ack, pb.ACCEPTED)
        old_instance = ack.hub_instance
        ack = c.send(COUNTY, CITY, [
            c.leaf_state("mfg_pass_rate", "2020-08", 91, 100, c.version())])
        self.ack_one("then the county's honest correction", ack, pb.STALE)
        out = subprocess.run(
            [self.args.hub, "repair", "--db", h.db, "--region", COUNTY],
            capture_output=True, text=True)
        lines = out.stdout.splitlines()
        new_instance = None
        m = re.fullmatch(r"1 states dropped and recorded in the audit "
                         r"trail; new instance id ([0-9a-f]{32}): every "
                         r"child will send all its states again",
                         lines[-1] if lines else "")
        if m is not None:
            new_instance = m.group(1)
        check("tally-hub repair drops the state from the future",
              (out.returncode, lines[:1], new_instance is not None),
              (0, ["dropped %s mfg_pass_rate 2020-08 version %d (%d days "
                   "ahead of this clock), received through %s"
                   % (COUNTY, ahead, FUTURE_DAYS, COUNTY)], True))
        ack = c.send(COUNTY, CITY, [])
        check("the running hub answers with the repaired database's new "
              "instance id", (ack.hub_instance, ack.hub_instance != old_instance),
              (new_instance, True))
        ack = c.send(COUNTY, CITY, [
            c.leaf_state("mfg_pass_rate", "2020-08", 92, 100, c.version())])
        self.ack_one("after the repair, the county's honest state", ack,
                     pb.ACCEPTED)
        audit = subprocess.run(
            [self.args.hub, "audit", "--db", h.db, "--region", COUNTY],
            capture_output=True, text=True)
        got = [l for l in audit.stdout.splitlines() if " dropped " in l]
        pattern = r"repair \S+: dropped " + re.escape(
            "%s mfg_pass_rate 2020-08 v%d (90, 100, 1 leaves, received "
            "through %s); new instance %s" % (COUNTY, ahead, COUNTY,
                                              new_instance))
        check("the audit trail records the repair",
              (audit.returncode, len(got),
               bool(got) and re.fullmatch(pattern, got[0]) is not None),
              (0, 1, True))


def main():
    ap = argparse.ArgumentParser()
    for a in ("city-url", "city-db", "city-log", "province-url",
              "province-db", "province-log", "signed-url", "signed-db",
              "signed-log", "lenient-url", "lenient-db", "lenient-log",
              "key", "pub", "key-id", "proto", "node", "hub", "work"):
        ap.add_argument("--" + a, required=True)
    args = ap.parse_args()
    # The protocol module, generated here from the schema alone.
    gen = os.path.join(args.work, "pb")
    os.makedirs(gen, exist_ok=True)
    subprocess.run(["protoc", "--python_out=" + gen,
                    "-I", os.path.dirname(os.path.abspath(args.proto)),
                    os.path.abspath(args.proto)], check=True)
    sys.path.insert(0, gen)
    import tally_pb2 as pb

    t = Test(args, pb)
    subprocess.run([args.node, "init", "-q", "--db", t.sibling_db,
                    "--region", SIBLING], check=True, capture_output=True)
    t.sibling_push("the start")
    t.honest_semantics()
    t.refused_whole()
    t.withdrawal()
    t.table_rows()
    t.malformed()
    t.forwarded()
    t.signed_mode()
    t.repair()
    for hub in (t.city, t.province, t.signed):
        t.check_refusals(hub)
    for client in (t.c, t.p, t.s):
        client.sp.close()
    print("# the independent client: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

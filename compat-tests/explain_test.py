#!/usr/bin/env python3
"""Black-box tests of `polypopd explain` (docs/explain.md).

  explain_test.py --polypopd PATH --conform PATH [--store maildir|mbox]
                  [--only GLOB] [--keep] [--capture FILE]

- A live session: polypopd on a `pop3/rfc1081` listener (with --trace) is
  driven over a socket and written down as a C:/S: transcript; explained
  against rfc1081 it has nothing flagged, against rfc1725 exactly its LAST
  commands are flagged, and explaining its --trace file gives the same
  annotations --trace wrote.
- The samples in compat-tests/explain/: one captured from a real polypopd
  session (re-capture with --capture FILE), RFC 1081's own example
  session, the input formats, and hand-made deviant transcripts, each
  with the flags expected under given lines, the summary and exit code.
- The command line: usage errors and unreadable files exit 2, `-` reads
  standard input.

Prints ok/FAIL/skip lines and 'N passed, N failed, N skipped'.
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "harness"))
import common  # noqa: E402
from common import HarnessError  # noqa: E402

SAMPLES = os.path.join(HERE, "explain")
TESTS, test = common.registry()


# -- running explain and reading its output ---------------------------------

def explain(a, path, profile=None, strict=False, stdin=None):
    argv = [a.polypopd, "explain"]
    if profile is not None:
        argv += ["--profile", profile]
    if strict:
        argv.append("--strict")
    argv.append(path)
    r = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    return r.returncode, r.stdout.decode("utf-8", "replace"), \
        r.stderr.decode("utf-8", "replace")


ROW_RE = re.compile(r"^([CS]): (.*?) *( \| .*)$")


def parse(out):
    """Rows [(dir, text, annotation, [flags])], the end flags, the
    skipped-line reports and the summary line."""
    rows, end, skipped, summary = [], [], [], None
    for line in out.splitlines():
        if line.startswith("   !! "):
            # The end row's flags come last and say so.
            if line[6:].startswith("the transcript ends") or not rows:
                end.append(line[6:])
            else:
                rows[-1][3].append(line[6:])
            continue
        if line.startswith("   ?? "):
            skipped.append(line[6:])
            continue
        m = ROW_RE.match(line)
        if m:
            rows.append((m.group(1), m.group(2), m.group(3)[3:], []))
            continue
        if re.match(r"^\d+ lines, \d+ commands, \d+ flagged \(profile \S+\)$",
                    line):
            summary = line
            continue
        raise HarnessError("unexpected output line %r" % line)
    return rows, end, skipped, summary


def check_run(a, path, profile, strict, want_rc, want_summary,
              want_flags=(), want_skipped=None, clean_others=True):
    """Explain PATH; WANT_FLAGS is [(line text, nth, flag substring)]:
    the NTH row (from 0) with that text has a flag containing the
    substring.  With CLEAN_OTHERS every other row must have no flag."""
    problems = []
    rc, out, err = explain(a, path, profile, strict)
    if rc != want_rc:
        problems.append("%s --profile %s: exit %d, want %d; stderr %r"
                        % (os.path.basename(path), profile, rc, want_rc, err))
    rows, end, skipped, summary = parse(out)
    if summary != want_summary:
        problems.append("summary %r, want %r" % (summary, want_summary))
    seen = set()
    for text, nth, part in want_flags:
        idx = [i for i, r in enumerate(rows) if r[1] == text]
        if text is None:
            if not any(part in f for f in end):
                problems.append("no end flag %r in %r" % (part, end))
            continue
        if len(idx) <= nth:
            problems.append("no row %r (#%d)" % (text, nth))
            continue
        i = idx[nth]
        seen.add(i)
        if not any(part in f for f in rows[i][3]):
            problems.append("row %r: no flag %r in %r"
                            % (text, part, rows[i][3]))
    if clean_others:
        for i, r in enumerate(rows):
            if i not in seen and r[3]:
                problems.append("row %r: unexpected flags %r" % (r[1], r[3]))
        if end and not any(t is None for t, _, _ in want_flags):
            problems.append("unexpected end flags %r" % end)
    if want_skipped is not None and len(skipped) != want_skipped:
        problems.append("%d skipped-line reports, want %d: %r"
                        % (len(skipped), want_skipped, skipped))
    return problems, rows


# -- a live session ----------------------------------------------------------

def drive(port):
    """One POP3 session against a RFC 1081 server, written down as a list
    of (dir, text) with every reply line, bodies and '.' included."""
    import socket
    sock = socket.create_connection(("127.0.0.1", port), 15)
    sock.settimeout(15)
    f = sock.makefile("rb")
    lines = []

    def read():
        raw = f.readline(65536)
        if not raw.endswith(b"\r\n"):
            raise HarnessError("bad line %r" % raw)
        text = raw[:-2].decode("latin-1")
        lines.append(("S", text))
        return text

    def cmd(text, multi=False):
        sock.sendall(text.encode() + b"\r\n")
        lines.append(("C", text))
        first = read()
        if multi and first.startswith("+OK"):
            while read() != ".":
                pass
        return first

    read()
    for c, multi in [("USER alice", False), ("PASS secret", False),
                     ("STAT", False), ("LIST", True), ("LAST", False),
                     ("RETR 1", True), ("LAST", False), ("TOP 2 0", True),
                     ("LIST 2", False), ("DELE 1", False), ("NOOP", False),
                     ("RSET", False), ("UIDL", True), ("RETR 99", True),
                     ("QUIT", False)]:
        cmd(c, multi)
    f.close()
    sock.close()
    return lines


def capture(a, trace_dir=None):
    srv = common.Server(a.polypopd, a.conform, store=a.store,
                        fixtures={"alice": "basic"}, keep=a.keep,
                        name="explain", listen=["pop3/rfc1081"])
    if trace_dir:
        srv.extra_args = ["--trace", trace_dir]
    try:
        srv.setup().start()
        lines = drive(srv.port)
        problems = srv.stop()
        if problems:
            raise HarnessError("; ".join(problems))
    finally:
        srv.cleanup()
    return lines


def write_transcript(path, lines):
    with open(path, "w", encoding="latin-1") as f:
        for d, t in lines:
            f.write("%s: %s\n" % (d, t))


@test
def live_session(a):
    problems = []
    work = a.work
    trace_dir = os.path.join(work, "trace")
    os.makedirs(trace_dir, exist_ok=True)
    lines = capture(a, trace_dir)
    path = os.path.join(work, "live.txt")
    write_transcript(path, lines)
    n = len(lines)
    ncmd = sum(1 for d, _ in lines if d == "C")
    p, rows = check_run(a, path, "rfc1081", False, 0,
                        "%d lines, %d commands, 0 flagged (profile rfc1081)"
                        % (n, ncmd))
    problems += p
    # Every line echoed, in order.
    if [(r[0], r[1]) for r in rows] != [(d, t.rstrip(" ")) for d, t in lines]:
        problems.append("rows are not the transcript's lines in order")
    # The state machine as polypopd went through it.
    want = {"PASS secret": "AUTHORIZATION -> TRANSACTION | PASS: RFC 1081, "
            "The AUTHORIZATION State",
            "QUIT": "TRANSACTION -> UPDATE | QUIT: RFC 1081, The "
            "AUTHORIZATION State; The UPDATE State",
            "UIDL": "TRANSACTION -> TRANSACTION | UIDL: not in RFC 1081"}
    for r in rows:
        if r[0] == "C" and r[1] in want and r[2] != want[r[1]]:
            problems.append("%s annotated %r" % (r[1], r[2]))
    # The same session against RFC 1725: exactly the two LASTs.
    p, _ = check_run(a, path, "rfc1725", False, 1,
                     "%d lines, %d commands, 2 flagged (profile rfc1725)"
                     % (n, ncmd),
                     [("LAST", 0, "RFC 1725 has no LAST command"),
                      ("LAST", 1, "RFC 1725 has no LAST command")])
    problems += p
    # Its --trace file reads the same as what --trace wrote.
    traces = [os.path.join(trace_dir, t) for t in os.listdir(trace_dir)]
    if len(traces) != 1:
        return problems + ["%d trace files" % len(traces)]
    rc, out, err = explain(a, traces[0], "rfc1081")
    if rc != 0:
        problems.append("trace: exit %d: %s" % (rc, out[-400:]))
    rows, end, skipped, summary = parse(out)
    traced = []
    with open(traces[0], encoding="latin-1") as f:
        for line in f:
            m = re.match(r"^\d\d:\d\d:\d\d\.\d\d\d ([CS]): (.*)$",
                         line.rstrip("\n"))
            if m:
                text, _, ann = m.group(2).partition(" | ")
                traced.append((m.group(1), text.rstrip(" "), ann))
    if [(d, t) for d, t, _ in traced] != [(r[0], r[1]) for r in rows]:
        problems.append("trace rows differ: %r vs %r"
                        % (traced[:4], rows[:4]))
    for (d, t, ann), r in zip(traced, rows):
        if ann != r[2]:
            problems.append("trace %s: %r, explain %r" % (t, ann, r[2]))
    if skipped:
        problems.append("trace lines skipped: %r" % skipped)
    return problems


# -- the samples ---------------------------------------------------------------

def sample(name):
    return os.path.join(SAMPLES, name)


@test
def sample_captured(a):
    """The session captured from polypopd: clean as rfc1081 and rfc1225,
    its LASTs flagged from RFC 1725 on."""
    path = sample("polypopd-rfc1081.txt")
    with open(path, encoding="latin-1") as f:
        n = sum(1 for line in f if line.strip())
    problems = []
    for prof in ("rfc1081", "rfc1225", "rfc1460"):
        problems += check_run(a, path, prof, True, 0,
                              "%d lines, 15 commands, 0 flagged (profile %s)"
                              % (n, prof))[0]
    for prof in ("rfc1725", "rfc1939", "current"):
        problems += check_run(
            a, path, prof if prof != "current" else None, False, 1,
            "%d lines, 15 commands, 2 flagged (profile %s)" % (n, prof),
            [("LAST", 0, "has no LAST command"),
             ("LAST", 1, "has no LAST command")])[0]
    return problems


@test
def sample_rfc1081_example(a):
    """RFC 1081's "Example POP3 Session" pasted with its indentation and a
    page break: narration is not flagged, the page break is skipped."""
    return check_run(a, sample("rfc1081-example.txt"), "rfc1081", False, 0,
                     "30 lines, 9 commands, 0 flagged (profile rfc1081)",
                     want_skipped=5)[0]


@test
def sample_formats(a):
    """C:/S:, c:/s:, >/<, --trace lines and junk in one file."""
    problems, rows = check_run(
        a, sample("formats.txt"), "rfc1081", False, 0,
        "10 lines, 5 commands, 0 flagged (profile rfc1081)", want_skipped=2)
    want = [("S", "+OK dewey POP3 server ready"), ("C", "USER mrose"),
            ("S", "+OK mrose is a real hoopy frood"), ("C", "PASS secret"),
            ("S", "+OK mrose's maildrop has 2 messages (320 octets)"),
            ("C", "STAT"), ("S", "+OK 2 320"), ("C", "RETR 1"),
            ("S", "+OK 120 octets"), ("C", "QUIT")]
    got = [(r[0], r[1]) for r in rows]
    if got != want:
        problems.append("rows %r" % got)
    return problems


DEVIANT_1939 = [
    ("+ok ready <1.2@example>", 0, "upper case (RFC 1939 §3)"),
    ("STAT", 0, "before login"),
    ("PASS secret", 0, "immediately after a successful USER"),
    ("+OK 2  320", 0, "STAT reply is not \"+OK nn mm\""),
    ("LAST", 0, "RFC 1939 has no LAST command"),
    ("1 has space", 0, "no information follows"),
    ("RETR", 0, "it takes 1"),
    ("NOOP", 0, "no terminating \".\""),
    ("NOOP", 1, "nothing may follow"),
    ("+OK late", 0, "after the session ended"),
]


@test
def sample_deviant_1939(a):
    """What an RFC 1939 server would not have sent or accepted; --strict
    adds the scan listing with extra text."""
    path = sample("deviant-1939.txt")
    return check_run(
        a, path, "rfc1939", False, 1,
        "27 lines, 10 commands, 10 flagged (profile rfc1939)",
        DEVIANT_1939)[0] + check_run(
        a, path, "rfc1939", True, 1,
        "27 lines, 10 commands, 11 flagged (profile rfc1939)",
        DEVIANT_1939 + [("2 200 extra", 0, "STRONGLY discourages")])[0]


@test
def sample_deviant_1081(a):
    """Old-server habits judged against RFC 1081 and RFC 1460."""
    path = sample("deviant-1081.txt")
    return check_run(
        a, path, "rfc1081", False, 1,
        "14 lines, 5 commands, 4 flagged (profile rfc1081)",
        [("-ERR not now", 0, "should always give a positive response"),
         ("APOP mrose c4c9334bac560ecc979e58001b3e22fb", 0,
          "RFC 1081 has no APOP command (RFC 1081, A Short Digression); it is in RFC 1460 §7"),
         ("UIDL", 1, "RFC 1081 has no UIDL command"),
         (None, 0, "ends inside the multi-line reply to RETR")])[0] + \
        check_run(
        a, path, "rfc1460", False, 1,
        "14 lines, 5 commands, 4 flagged (profile rfc1460)",
        [("-ERR not now", 0, "should always give a positive response"),
         ("APOP mrose c4c9334bac560ecc979e58001b3e22fb", 0,
          "the greeting has no <timestamp> for the digest (RFC 1460 §7)"),
         ("UIDL", 1, "RFC 1460 has no UIDL command"),
         (None, 0, "ends inside the multi-line reply to RETR")])[0]


# -- the command line ------------------------------------------------------------

@test
def command_line(a):
    problems = []
    for args in ([], ["--profile", "rfc9999", sample("formats.txt")],
                 ["--bogus", sample("formats.txt")],
                 [sample("formats.txt"), sample("formats.txt")],
                 [os.path.join(a.work, "missing.txt")]):
        r = subprocess.run([a.polypopd, "explain"] + args,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=30)
        if r.returncode != 2 or not r.stderr:
            problems.append("explain %r: exit %d, stderr %r"
                            % (args, r.returncode, r.stderr))
    with open(sample("polypopd-rfc1081.txt"), "rb") as f:
        data = f.read()
    rc, out, _ = explain(a, "-", "rfc1725", stdin=data)
    rc2, out2, _ = explain(a, sample("polypopd-rfc1081.txt"), "rfc1725")
    if rc != 1 or out != out2:
        problems.append("stdin: exit %d, output differs: %r" % (rc, out[-200:]))
    rc, out, _ = explain(a, "-", stdin=b"")
    if rc != 0 or out != "0 lines, 0 commands, 0 flagged (profile current)\n":
        problems.append("empty input: exit %d %r" % (rc, out))
    return problems


def main():
    import argparse
    import fnmatch
    import tempfile
    import shutil
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--polypopd", required=True)
    ap.add_argument("--conform", required=True)
    ap.add_argument("--store", default="maildir", choices=["maildir", "mbox"])
    ap.add_argument("--only", default="*")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--capture", help="write a live rfc1081 session here")
    a = ap.parse_args()
    if a.capture:
        write_transcript(a.capture, capture(a))
        return 0
    rep = common.Report()
    for fn in TESTS:
        name = fn.__name__.replace("_", "-")
        if not fnmatch.fnmatch(name, a.only):
            continue
        a.work = tempfile.mkdtemp(prefix="polypop-explain-")
        try:
            problems = fn(a)
            if problems:
                rep.fail(name, "; ".join(problems))
            else:
                rep.ok(name)
        except Exception as e:  # noqa: BLE001 - every error is a FAIL
            rep.fail(name, "%s: %s" % (type(e).__name__, e))
        finally:
            if not a.keep:
                shutil.rmtree(a.work, ignore_errors=True)
    return rep.close()


if __name__ == "__main__":
    sys.exit(main())

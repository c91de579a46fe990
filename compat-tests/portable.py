#!/usr/bin/env python3
"""polypop-conform as an outsider runs it: docs/conformance.md, "A server
that is already running".  No --cases, no --clauses: the runner finds its
cases and clause lists itself (installed, or in the source tree beside its
build), picks the cases of --proto / --profile, and refuses what it cannot
do rather than reporting a clean run.

  portable.py --polypopd PATH --conform PATH [--store maildir|mbox]
              [--only GLOB] [--keep]

Prints ok/FAIL/skip lines and 'N passed, N failed, N skipped'; exits
non-zero on failure.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "harness"))
import common  # noqa: E402

TESTS, test = common.registry()


def conform(a, args):
    """Runs the runner as a user would: from another directory, so nothing
    is found relative to the working directory by accident."""
    r = subprocess.run([os.path.abspath(a.ns.conform)] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120, cwd="/")
    return (r.returncode, r.stdout.decode(errors="replace"),
            r.stderr.decode(errors="replace"))


def login(srv, port):
    return ["--host", "127.0.0.1", "--port", str(port), "--user", "alice",
            "--pass", srv.users["alice"], "--level", "rfc"]


@test
def defaults_and_report(a):
    """POP3 cases and the clause lists by default; --report writes the
    user's column with the clauses the case covers."""
    problems = []
    with a.new_server(listen=("pop3",)) as srv:
        report = os.path.join(srv.dir, "my-server.md")
        rc, out, err = conform(a, login(srv, srv.port) + [
            "--only", "stat", "--report", report, "--label", "my-server"])
        if rc != 0 or out.splitlines() != [
                "ok stat", "1 passed, 0 failed, 0 skipped"]:
            problems.append("run: status %d, %r %r" % (rc, out, err))
        text = open(report).read() if os.path.exists(report) else ""
        if not re.search(r"^\| Clause \| Title \| my-server \|$", text, re.M):
            problems.append("no my-server column in the report")
        if not re.search(r"^\| RFC 1939 §5 STAT \|.*\| ok \|$", text, re.M):
            problems.append("RFC 1939 §5 STAT is not ok in the report")
        problems += srv.stop()
    return problems


@test
def cases_follow_proto_and_profile(a):
    """--proto pop2 / pop1 play the POP2 and POP1 cases, --profile the
    historic revisions'; a case that needs a second port is skipped with
    the option to give, not failed."""
    problems = []
    with a.new_server(listen=("pop2", "pop1", "pop3/rfc1081")) as srv:
        runs = [
            (["--proto", "pop2", "--only", "helo"], srv.ports["pop2"],
             ["ok helo", "1 passed, 0 failed, 0 skipped"]),
            (["--proto", "pop1", "--only", "greeting"], srv.ports["pop1"],
             ["ok greeting", "1 passed, 0 failed, 0 skipped"]),
            (["--profile", "rfc1081", "--only", "greeting-positive"],
             srv.ports["pop3/rfc1081"],
             ["skip greeting-positive: needs a second connection (@switch "
              "second): give its POP3 port with --port2 P",
              "0 passed, 0 failed, 1 skipped"]),
        ]
        for args, port, want in runs:
            rc, out, err = conform(a, login(srv, port) + args)
            if rc != 0 or out.splitlines() != want:
                problems.append("%s: status %d, %r %r"
                                % (" ".join(args), rc, out, err))
        problems += srv.stop()
    return problems


@test
def refusals(a):
    """What the runner cannot do is an error (status 2) that says what to
    do, and a server that fails a case is a FAIL line and status 1."""
    problems = []
    with a.new_server(listen=("pop3",)) as srv:
        base = login(srv, srv.port)
        for args, want in [
                (["--only", "no-such-case"], "no case matches --only "
                 "'no-such-case'; --list shows their names"),
                (["--proto", "pop4"], "--proto pop4: not one of pop3, "
                 "pop2, pop1, pop109"),
                (["--proto", "pop2", "--profile", "rfc1081"],
                 "--profile names a POP3 revision; --proto pop2 has none")]:
            rc, out, err = conform(a, base + args)
            if rc != 2 or err.strip() != "polypop-conform: " + want:
                problems.append("%s: status %d, %r" % (" ".join(args), rc,
                                                       err))
        bad = base[:]
        bad[bad.index("--pass") + 1] = "not-the-password"
        rc, out, err = conform(a, bad + ["--only", "stat"])
        lines = out.splitlines()
        if rc != 1 or len(lines) != 2 or not lines[0].startswith(
                "FAIL stat: ") or lines[1] != "0 passed, 1 failed, 0 skipped":
            problems.append("wrong password: status %d, %r" % (rc, out))
        problems += srv.stop()
    return problems


def main():
    return common.run_tests(__doc__, TESTS, common.SuiteArgs)


if __name__ == "__main__":
    sys.exit(main())

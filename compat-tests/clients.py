#!/usr/bin/env python3
"""Real POP3 clients download the hard corpus; the bytes must match.

  clients.py --polypopd PATH --conform PATH [--store maildir|mbox]
             [--only GLOB] [--keep]

Clients: python3 poplib, curl, fetchmail, getmail6, mpop.  Each fetches
alice's mailbox (fixture 'hard') from a fresh server, keeping the mail on
the server, and each message is matched to the fixture by Message-ID.

What is compared, per client (only what the client documents it adds or
changes is undone; everything else must be byte-identical):
  poplib     the un-stuffed RETR lines joined with CRLF: exact wire bytes.
  curl       its output for pop3://.../N: exact wire bytes.
  fetchmail  MDA input with 'no stripcr' and 'no rewrite': exact wire bytes
             after removing the one leading Received: header it adds.
  getmail6   Maildir file, with delivered_to/received/record_mailbox off:
             wire bytes with CRLF turned into LF (getmail stores LF), after
             removing a leading Return-Path: header it adds.
  mpop       Maildir file with --received-header=off: wire bytes with CRLF
             turned into LF (mpop stores LF).  With LF storage, the CRLF
             file and a stray CR cannot be told apart: a known limit.
A missing client is a FAIL; with POLYPOP_ALLOW_SKIP=1 it is a skip.
"""

import argparse
import fnmatch
import getpass
import os
import poplib
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "harness"))
import common  # noqa: E402
from common import HarnessError  # noqa: E402

CLIENTS = []


class Skip(Exception):
    pass


def client(fn):
    CLIENTS.append(fn)
    return fn


def need(prog):
    path = shutil.which(prog)
    if path:
        return path
    why = "%s not installed (apt-get install %s)" % (
        prog, {"getmail": "getmail6"}.get(prog, prog))
    if common.allow_skip():
        raise Skip(why)
    raise HarnessError(why + "; set POLYPOP_ALLOW_SKIP=1 to skip locally")


def run(argv, env=None, timeout=120):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=env, timeout=timeout)
    if r.returncode != 0:
        raise HarnessError("%s exited %d: %s" % (
            os.path.basename(argv[0]), r.returncode,
            r.stdout.decode(errors="replace")[-1500:]))
    return r.stdout


def msgid(data):
    m = re.search(rb"^Message-ID: *(<[^>\r\n]+>)", data, re.M | re.I)
    return m.group(1) if m else None


def strip_header(data, name):
    """Removes one leading header field (with continuation lines)."""
    field = re.escape(name.encode())
    m = re.match(rb"%s:[^\n]*\n([ \t][^\n]*\n)*" % field, data, re.I)
    return data[m.end():] if m else data


def compare(got, want, what):
    """got: list of fetched messages (transformed); want: expected list."""
    by_id = {msgid(w): w for w in want}
    seen = set()
    for g in got:
        mid = msgid(g)
        if mid not in by_id:
            raise HarnessError("%s: fetched a message with unknown "
                               "Message-ID %r: %r" % (what, mid, g[:120]))
        w = by_id[mid]
        if g != w:
            k = next((j for j in range(min(len(g), len(w)))
                      if g[j] != w[j]), min(len(g), len(w)))
            raise HarnessError(
                "%s: %s differs at octet %d of %d (got %d): expected %r "
                "got %r" % (what, mid.decode(), k, len(w), len(g),
                            w[max(0, k - 24):k + 24],
                            g[max(0, k - 24):k + 24]))
        seen.add(mid)
    missing = [m.decode() for m in by_id if m not in seen]
    if missing:
        raise HarnessError("%s: not fetched: %s" % (what, ", ".join(missing)))


def read_maildir(path):
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(path, sub)
        if os.path.isdir(d):
            for n in sorted(os.listdir(d)):
                with open(os.path.join(d, n), "rb") as f:
                    out.append(f.read())
    return out


def lf(data):
    return data.replace(b"\r\n", b"\n")


@client
def poplib_client(srv, work, wire):
    p = poplib.POP3("127.0.0.1", srv.port, timeout=30)
    p.user("alice")
    p.pass_(srv.users["alice"])
    n, _ = p.stat()
    got = []
    for i in range(1, n + 1):
        _, lines, octets = p.retr(i)
        got.append(b"\r\n".join(lines) + b"\r\n")
    if p.quit()[:3] != b"+OK":
        raise HarnessError("poplib QUIT failed")
    compare(got, wire, "poplib")


@client
def curl_client(srv, work, wire):
    curl = need("curl")
    got = []
    for i in range(1, len(wire) + 1):
        out = os.path.join(work, "msg%d" % i)
        run([curl, "-sS", "--max-time", "60", "-u",
             "alice:" + srv.users["alice"], "-o", out,
             "pop3://127.0.0.1:%d/%d" % (srv.port, i)])
        with open(out, "rb") as f:
            got.append(f.read())
    compare(got, wire, "curl")


@client
def fetchmail_client(srv, work, wire):
    fm = need("fetchmail")
    out = os.path.join(work, "out")
    os.makedirs(out)
    mda = os.path.join(work, "mda.sh")
    with open(mda, "w") as f:
        f.write('#!/bin/sh\nexec cat > "$(mktemp %s/msg.XXXXXX)"\n' % out)
    os.chmod(mda, 0o755)
    rc = os.path.join(work, "fetchmailrc")
    with open(rc, "w") as f:
        f.write("set no syslog\n"
                "poll 127.0.0.1 protocol POP3 port %d auth password\n"
                "  user \"alice\" there with password \"%s\" is \"%s\" here\n"
                "  options keep fetchall no rewrite no stripcr sslproto ''\n"
                "  mda \"%s\"\n"
                % (srv.port, srv.users["alice"], getpass.getuser(), mda))
    os.chmod(rc, 0o600)
    env = dict(os.environ, HOME=work, FETCHMAILHOME=work)
    run([fm, "-f", rc, "--nodetach", "-s"], env=env)
    got = []
    for n in sorted(os.listdir(out)):
        with open(os.path.join(out, n), "rb") as f:
            got.append(strip_header(f.read(), "Received"))
    compare(got, wire, "fetchmail")


@client
def getmail_client(srv, work, wire):
    gm = need("getmail")
    md = os.path.join(work, "Maildir")
    user = ""
    if os.getuid() == 0:
        # getmail refuses to deliver as root: it writes as 'nobody' into
        # a Maildir outside the (private) server directory.
        md = os.path.join(tempfile.mkdtemp(prefix="polypop-getmail-"),
                          "Maildir")
        os.chmod(os.path.dirname(md), 0o755)
        user = "user = nobody\n"
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(md, sub))
    if user:
        pw = pwd.getpwnam("nobody")
        for sub in ("", "new", "cur", "tmp"):
            os.chown(os.path.join(md, sub), pw.pw_uid, pw.pw_gid)
    with open(os.path.join(work, "getmailrc"), "w") as f:
        f.write("[retriever]\ntype = SimplePOP3Retriever\n"
                "server = 127.0.0.1\nport = %d\nusername = alice\n"
                "password = %s\n\n"
                "[destination]\ntype = Maildir\npath = %s/\n%s\n"
                "[options]\nread_all = true\ndelete = false\n"
                "delivered_to = false\nreceived = false\n"
                "message_log_syslog = false\nverbose = 0\n"
                % (srv.port, srv.users["alice"], md, user))
    try:
        run([gm, "--getmaildir", work, "--rcfile", "getmailrc"])
        got = [strip_header(m, "Return-Path") for m in read_maildir(md)]
    finally:
        if user:
            shutil.rmtree(os.path.dirname(md), ignore_errors=True)
    compare(got, [lf(w) for w in wire], "getmail")


@client
def mpop_client(srv, work, wire):
    mp = need("mpop")
    md = os.path.join(work, "Maildir")
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(md, sub))
    env = dict(os.environ, HOME=work)
    run([mp, "--host=127.0.0.1", "--port=%d" % srv.port, "--tls=off",
         "--auth=user", "--user=alice",
         "--passwordeval=echo %s" % srv.users["alice"],
         "--delivery=maildir,%s" % md, "--keep=on", "--only-new=off",
         "--received-header=off", "--uidls-file=%s/uidls" % work,
         "--timeout=60", "--quiet"], env=env)
    compare(read_maildir(md), [lf(w) for w in wire], "mpop")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--polypopd", required=True)
    ap.add_argument("--conform", required=True)
    ap.add_argument("--store", default="maildir", choices=["maildir", "mbox"])
    ap.add_argument("--only", default="*")
    ap.add_argument("--keep", action="store_true")
    ns = ap.parse_args()
    rep = common.Report()
    if not os.access(ns.polypopd, os.X_OK):
        rep.fail("setup", "no executable server at %s" % ns.polypopd)
        return rep.close()
    for fn in CLIENTS:
        name = "%s-%s" % (fn.__name__.replace("_client", ""), ns.store)
        if not fnmatch.fnmatch(name, ns.only):
            continue
        srv = common.Server(ns.polypopd, ns.conform, store=ns.store,
                            fixtures={"alice": "hard"}, keep=ns.keep,
                            name=name)
        try:
            srv.setup().start()
            wire = srv.wire("hard")
            work = os.path.join(srv.dir, "client")
            os.makedirs(work)
            fn(srv, work, wire)
            problems = srv.stop()
            if problems:
                rep.fail(name, "; ".join(problems))
            else:
                rep.ok(name)
        except Skip as e:
            rep.skip(name, str(e))
        except Exception as e:  # noqa: BLE001 - every error is a FAIL
            tb = traceback.extract_tb(e.__traceback__)
            rep.fail(name, "%s (%s:%d)" % (e, os.path.basename(
                tb[-1].filename), tb[-1].lineno))
        finally:
            srv.cleanup()
    return rep.close()


if __name__ == "__main__":
    sys.exit(main())

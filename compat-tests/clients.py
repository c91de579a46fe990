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

Historic POP3 revisions (a `pop3/PROFILE` listener, polypopd --trace; the
test reads the trace's `C:` lines and fails on any command the revision
lacks, printing `# CLIENT session N sent: ...`):
  poplib-rfc1081        USER PASS STAT LIST RETR DELE QUIT only: every
                        message retrieved (exact wire bytes, size = LIST)
                        and deleted; a second session finds STAT 0.
  poplib-apop-rfc1460   APOP (RFC 1460 §7) with the greeting timestamp,
                        STAT, RETR, QUIT; exact wire bytes.
  poplib-uidl-rfc1725   UIDL (RFC 1725 §7), RETR by number; the same
                        unique-ids in a second session and from UIDL 2.
  fetchmail-rfc1081     fetchmail --protocol pop3 --fetchall, no keep:
                        exact wire bytes minus Received:, mail deleted,
                        only RFC 1081 commands on the wire.

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
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "harness"))
import common  # noqa: E402
from common import HarnessError  # noqa: E402

CLIENTS = []


class Skip(Exception):
    pass


def client(fn=None, *, profile=None):
    """Registers a client test.  PROFILE: serve it on a `pop3/PROFILE`
    listener (a historic POP3 revision) with --trace, so the test can see
    which commands the client sent (traced_commands)."""
    def register(f):
        f.profile = profile
        CLIENTS.append(f)
        return f
    return register(fn) if fn is not None else register


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
    """Runs a client; a non-zero exit or a timeout raises HarnessError
    with the tail of its output."""
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=env,
                           timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise HarnessError("%s timed out after %ds: %s" % (
            os.path.basename(argv[0]), timeout,
            (e.output or b"").decode(errors="replace")[-1500:]))
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


def fetchmail_mda(work):
    """(OUT, MDA): a directory and an MDA script that stores each message
    fetchmail hands it, unchanged, as one file in it."""
    out = os.path.join(work, "out")
    os.makedirs(out)
    mda = os.path.join(work, "mda.sh")
    with open(mda, "w") as f:
        f.write('#!/bin/sh\nexec cat > "$(mktemp %s/msg.XXXXXX)"\n' % out)
    os.chmod(mda, 0o755)
    return out, mda


def fetchmail_got(out):
    """The messages fetchmail_mda's script stored, minus the Received:
    header fetchmail puts first."""
    got = []
    for n in sorted(os.listdir(out)):
        with open(os.path.join(out, n), "rb") as f:
            got.append(strip_header(f.read(), "Received"))
    return got


def fetchmail_fetch(work, port, password, options, auth="password",
                    poll="", flags=(), verbose=False, timeout=120):
    """Runs fetchmail for alice (PASSWORD) on 127.0.0.1:PORT with an
    rcfile, HOME and FETCHMAILHOME in WORK and fetchmail_mda's script;
    OPTIONS go on the user's 'options' line, POLL after the poll line's
    'auth AUTH', FLAGS on the command line.  Returns fetchmail_got()."""
    fm = need("fetchmail")
    out, mda = fetchmail_mda(work)
    rc = os.path.join(work, "fetchmailrc")
    with open(rc, "w") as f:
        f.write("set no syslog\n"
                "poll 127.0.0.1 protocol POP3 port %d auth %s%s\n"
                "  user \"alice\" there with password \"%s\" is \"%s\" here\n"
                "  options %s\n"
                "  mda \"%s\"\n"
                % (port, auth, poll, password, getpass.getuser(), options,
                   mda))
    os.chmod(rc, 0o600)
    env = dict(os.environ, HOME=work, FETCHMAILHOME=work)
    # Its own lock file: as root, fetchmail shares one system-wide lock
    # and refuses to run beside another fetchmail (another test run).
    run([fm, "-f", rc, "--nodetach", "-v" if verbose else "-s",
         "--pidfile", os.path.join(work, "fetchmail.pid")] + list(flags),
        env=env, timeout=timeout)
    return fetchmail_got(out)


@client
def fetchmail_client(srv, work, wire):
    got = fetchmail_fetch(work, srv.port, srv.users["alice"],
                          "keep fetchall no rewrite no stripcr sslproto ''")
    compare(got, wire, "fetchmail")


def getmail_fetch(work, retriever):
    """Runs getmail with RETRIEVER (the [retriever] lines after 'type')
    into a fresh Maildir; returns the messages minus the Return-Path:
    header getmail adds."""
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
        f.write("[retriever]\n%s\n"
                "[destination]\ntype = Maildir\npath = %s/\n%s\n"
                "[options]\nread_all = true\ndelete = false\n"
                "delivered_to = false\nreceived = false\n"
                "message_log_syslog = false\nverbose = 0\n"
                % (retriever, md, user))
    try:
        run([gm, "--getmaildir", work, "--rcfile", "getmailrc"])
        return [strip_header(m, "Return-Path") for m in read_maildir(md)]
    finally:
        if user:
            shutil.rmtree(os.path.dirname(md), ignore_errors=True)


@client
def getmail_client(srv, work, wire):
    got = getmail_fetch(work, "type = SimplePOP3Retriever\n"
                        "server = 127.0.0.1\nport = %d\nusername = alice\n"
                        "password = %s\n" % (srv.port, srv.users["alice"]))
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


# -- historic revisions ------------------------------------------------

# The commands each revision has (compat-tests/cases/pop3-profiles); a
# client test on a profile listener may send only these.
RFC1081_CMDS = {"USER", "PASS", "STAT", "LIST", "RETR", "DELE", "QUIT"}


def trace_texts(tdir, sessions=None, timeout=5):
    """The texts of polypopd's --trace files in TDIR, in connection order,
    once SESSIONS of them (None: all there are, at least one) end with
    '# connection closed'; fewer within TIMEOUT seconds is an error."""
    deadline = time.monotonic() + timeout
    while True:
        names = sorted((n for n in os.listdir(tdir) if n.endswith(".trace")),
                       key=lambda n: int(re.match(r"\d*", n).group(0) or 0))
        texts = []
        for n in names:
            with open(os.path.join(tdir, n), "rb") as f:
                texts.append(f.read().decode(errors="replace"))
        done = [t for t in texts if "# connection closed" in t]
        want = (len(names) or 1) if sessions is None else sessions
        if len(done) >= want or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if len(done) != len(names) or (sessions is not None and
                                   len(names) != sessions) or not names:
        raise HarnessError("expected %s closed sessions in %s, found %d "
                           "(%d closed)" % (sessions or "all", tdir,
                                            len(names), len(done)))
    return texts


def traced_commands(srv, sessions, timeout=5):
    """The keywords the clients sent, one list per session in connection
    order, from polypopd --trace DIR (lines 'HH:MM:SS.mmm C: LINE | ...').
    Waits until SESSIONS files each end with '# connection closed'."""
    texts = trace_texts(os.path.join(srv.dir, "trace"), sessions, timeout)
    out = []
    for t in texts:
        cmds = []
        for line in t.splitlines():
            m = re.match(r"^\S+ C: (\S*)", line)
            if m:
                cmds.append(m.group(1).upper())
        out.append(cmds)
    return out


def summary(cmds):
    """'USER PASS STAT RETRx8 QUIT': a session's commands, runs counted."""
    out = []
    for c in cmds:
        if out and out[-1][0] == c:
            out[-1][1] += 1
        else:
            out.append([c, 1])
    return " ".join(c if n == 1 else "%sx%d" % (c, n) for c, n in out)


def check_commands(srv, what, sessions, allowed, required):
    """Every command of every session is in ALLOWED and each of REQUIRED
    was sent; prints what was sent (a '#' comment line)."""
    per = traced_commands(srv, sessions)
    for i, cmds in enumerate(per, 1):
        print("# %s session %d sent: %s" % (what, i, summary(cmds)),
              flush=True)
    sent = set(c for cmds in per for c in cmds)
    bad = sorted(sent - set(allowed))
    if bad:
        raise HarnessError("%s sent %s, not in %s; sessions: %s" % (
            what, " ".join(bad), " ".join(sorted(allowed)),
            " / ".join(summary(c) for c in per)))
    missing = sorted(set(required) - sent)
    if missing:
        raise HarnessError("%s never sent %s; sessions: %s" % (
            what, " ".join(missing), " / ".join(summary(c) for c in per)))


def empty_after(srv, what):
    """A fresh session (USER/PASS/STAT/QUIT) finds the maildrop empty."""
    p = poplib.POP3("127.0.0.1", srv.port, timeout=30)
    p.user("alice")
    p.pass_(srv.users["alice"])
    n, octets = p.stat()
    p.quit()
    if n != 0:
        raise HarnessError("%s: %d messages (%d octets) left after DELE "
                           "and QUIT" % (what, n, octets))


@client(profile="rfc1081")
def poplib_rfc1081_client(srv, work, wire):
    """RFC 1081's minimal commands only: USER PASS STAT LIST RETR DELE
    QUIT; every message retrieved and deleted, then the drop is empty."""
    p = poplib.POP3("127.0.0.1", srv.port, timeout=30)
    if b"<" in p.getwelcome():
        raise HarnessError("rfc1081 greeting has an APOP timestamp: %r"
                           % p.getwelcome())
    p.user("alice")
    p.pass_(srv.users["alice"])
    n, total = p.stat()
    _, listing, _ = p.list()
    sizes = [int(l.split()[1]) for l in listing]
    if len(sizes) != n or sum(sizes) != total:
        raise HarnessError("LIST %r disagrees with STAT %d %d"
                           % (listing, n, total))
    got = []
    for i in range(1, n + 1):
        _, lines, _ = p.retr(i)
        got.append(b"\r\n".join(lines) + b"\r\n")
        if len(got[-1]) != sizes[i - 1]:
            raise HarnessError("message %d: %d octets, LIST said %d"
                               % (i, len(got[-1]), sizes[i - 1]))
        p.dele(i)
    if p.quit()[:3] != b"+OK":
        raise HarnessError("poplib QUIT failed")
    compare(got, wire, "poplib")
    empty_after(srv, "poplib")
    check_commands(srv, "poplib", 2, RFC1081_CMDS, RFC1081_CMDS)


@client(profile="rfc1460")
def poplib_apop_rfc1460_client(srv, work, wire):
    """RFC 1460 §7: APOP with the greeting's timestamp, then STAT, RETR,
    QUIT; no USER or PASS on the wire."""
    p = poplib.POP3("127.0.0.1", srv.port, timeout=30)
    p.apop(common.APOP_USER, common.APOP_PASS)
    n, _ = p.stat()
    got = []
    for i in range(1, n + 1):
        _, lines, _ = p.retr(i)
        got.append(b"\r\n".join(lines) + b"\r\n")
    if p.quit()[:3] != b"+OK":
        raise HarnessError("poplib QUIT failed")
    compare(got, wire, "poplib")
    check_commands(srv, "poplib", 1, {"APOP", "STAT", "RETR", "QUIT"},
                   {"APOP", "RETR"})


def uid_map(p):
    _, lines, _ = p.uidl()
    uids = {}
    for l in lines:
        num, uid = l.split(b" ", 1)
        if not re.fullmatch(rb"[\x21-\x7e]{1,70}", uid):
            raise HarnessError("bad unique-id %r" % uid)
        uids[int(num)] = uid
    if len(set(uids.values())) != len(uids):
        raise HarnessError("duplicate unique-ids: %r" % lines)
    return uids


@client(profile="rfc1725")
def poplib_uidl_rfc1725_client(srv, work, wire):
    """RFC 1725 §7: UIDL, RETR by number, and the same unique-ids in a
    second session (a client's "already seen" check); mail kept."""
    p = poplib.POP3("127.0.0.1", srv.port, timeout=30)
    p.user("alice")
    p.pass_(srv.users["alice"])
    uids = uid_map(p)
    got = {}
    for num in sorted(uids):
        _, lines, _ = p.retr(num)
        got[uids[num]] = b"\r\n".join(lines) + b"\r\n"
    if p.quit()[:3] != b"+OK":
        raise HarnessError("poplib QUIT failed")
    compare(list(got.values()), wire, "poplib")
    q = poplib.POP3("127.0.0.1", srv.port, timeout=30)
    q.user("alice")
    q.pass_(srv.users["alice"])
    again = uid_map(q)
    one = q._shortcmd("UIDL 2").split()
    q.quit()
    if again != uids:
        raise HarnessError("unique-ids changed between sessions: %r then %r"
                           % (uids, again))
    if one != [b"+OK", b"2", uids[2]]:
        raise HarnessError("UIDL 2 answered %r" % b" ".join(one))
    check_commands(srv, "poplib", 2, {"USER", "PASS", "UIDL", "RETR",
                                      "QUIT"}, {"UIDL", "RETR"})


@client(profile="rfc1081")
def fetchmail_rfc1081_client(srv, work, wire):
    """fetchmail --protocol pop3 against RFC 1081 (FETCHMAIL_1081_FLAGS):
    the mail is fetched (exact wire bytes minus Received:) and deleted,
    and the trace shows only RFC 1081 commands."""
    got = fetchmail_fetch(work, srv.port, srv.users["alice"],
                          "fetchall no rewrite no stripcr sslproto ''",
                          flags=FETCHMAIL_1081_FLAGS)
    compare(got, wire, "fetchmail")
    empty_after(srv, "fetchmail")
    check_commands(srv, "fetchmail", 2, RFC1081_CMDS,
                   {"USER", "PASS", "STAT", "RETR", "DELE", "QUIT"})


# fetchmail 6.4 with the rcfile above ("protocol POP3 ... auth password",
# "fetchall", "sslproto ''", no "uidl") and these flags sends, per the
# trace: USER PASS STAT, then LIST n / RETR n / DELE n per message, QUIT;
# no CAPA (nothing to probe without TLS and with auth password), no
# UIDL, no LAST (fetchall), no TOP.
FETCHMAIL_1081_FLAGS = ["--protocol", "pop3", "--fetchall"]


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
        name = "%s-%s" % (fn.__name__.replace("_client", "")
                          .replace("_", "-"), ns.store)
        if not fnmatch.fnmatch(name, ns.only):
            continue
        listen = ["pop3/" + fn.profile] if fn.profile else ["pop3"]
        srv = common.Server(ns.polypopd, ns.conform, store=ns.store,
                            fixtures={"alice": "hard"}, keep=ns.keep,
                            name=name, listen=listen).add_apop_user()
        if fn.profile:
            os.makedirs(os.path.join(srv.dir, "trace"))
            srv.extra_args = ["--trace", os.path.join(srv.dir, "trace")]
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

#!/usr/bin/env python3
"""Black-box tests that transcripts cannot express: process signals,
concurrent deliveries and sessions, what is on disk, uid stability.

  blackbox.py --polypopd PATH --conform PATH [--store maildir|mbox]
              [--only GLOB] [--keep]

Each test gets a fresh server (harness/common.py).  Prints ok/FAIL/skip
lines and 'N passed, N failed, N skipped'; exits non-zero on failure.
"""

import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "harness"))
import common  # noqa: E402
from common import HarnessError, Pop3, Skip  # noqa: E402

TESTS, test = common.registry()


def check(cond, what):
    if not cond:
        raise HarnessError(what)


def login_retry(srv, user="alice", password=None, timeout=5.0):
    """Logs in, retrying while the previous session's lock is released."""
    password = password or srv.users[user]
    deadline = time.monotonic() + timeout
    while True:
        p = Pop3(srv.port)
        p.cmd("USER " + user)
        r = p.cmd("PASS " + password, ok=None)
        if r.startswith(b"+OK"):
            return p
        p.close()
        if time.monotonic() > deadline:
            raise HarnessError("login as %s still failing after %.0fs: %r"
                               % (user, timeout, r))
        time.sleep(0.1)


def all_messages(p):
    n, _ = p.stat()
    return [p.multi("RETR %d" % i) for i in range(1, n + 1)]


def same_messages(got, want, what):
    """Checks two message lists, naming the first difference."""
    if len(got) != len(want):
        raise HarnessError("%s: %d messages, expected %d"
                           % (what, len(got), len(want)))
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            k = next((j for j in range(min(len(g), len(w)))
                      if g[j] != w[j]), min(len(g), len(w)))
            raise HarnessError("%s: message %d differs at octet %d: "
                               "expected %r got %r" % (
                                   what, i + 1, k, w[max(0, k - 20):k + 20],
                                   g[max(0, k - 20):k + 20]))


def stat_of(msgs):
    return len(msgs), sum(len(m) for m in msgs)


@test
def abrupt_disconnect_loses_nothing(a):
    """RFC 1939 §6: DELE then a dropped TCP connection removes nothing."""
    with a.server(fixture="hard") as srv:
        wire = srv.wire("hard")
        p = login_retry(srv)
        for i in (1, 2, 5, 8):
            p.cmd("DELE %d" % i)
        p.multi("RETR 3")
        # Drop without QUIT; with SO_LINGER 0 it is a TCP reset.
        p.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                          b"\x01\x00\x00\x00\x00\x00\x00\x00")
        p.close()
        p = login_retry(srv)
        # Octet totals of this corpus are checked by list-hard-sizes.
        check(p.stat()[0] == len(wire), "STAT after drop %r, %d messages"
              % (p.stat(), len(wire)))
        same_messages(all_messages(p), wire, "after a drop")
        p.quit()
        return srv.stop()


@test
def sigterm_commits_nothing(a):
    """SIGTERM with DELEs pending: exit 0, nothing removed."""
    with a.server() as srv:
        wire = srv.wire("basic")
        p = login_retry(srv)
        for i in (1, 2, 3):
            p.cmd("DELE %d" % i)
        check(p.stat() == (0, 0), "STAT after DELE all")
        rc = srv.sigterm()
        check(rc == 0, "exit status after SIGTERM: %r" % rc)
        try:
            p.sock.settimeout(5)
            rest = p.sock.recv(100)
            check(rest == b"" or rest.startswith(b"-ERR"),
                  "server sent %r while shutting down" % rest)
        except OSError:
            pass
        p.close()
        srv.start()
        p = login_retry(srv)
        same_messages(all_messages(p), wire, "after SIGTERM")
        p.quit()
        return srv.stop()


def on_disk(srv, user="alice"):
    """Message-ID values in the user's mailbox files."""
    path = srv.mailbox_path(user)
    blobs = []
    if srv.store == "maildir":
        for sub in ("new", "cur"):
            d = os.path.join(path, sub)
            for n in os.listdir(d):
                with open(os.path.join(d, n), "rb") as f:
                    blobs.append(f.read())
    else:
        with open(path, "rb") as f:
            blobs.append(f.read())
    data = b"\n".join(blobs)
    return sorted(set(w for w in data.split() if w.startswith(b"<basic-")
                      or w.startswith(b"<token-")))


@test
def commit_on_quit_only(a):
    """RFC 1939 §5/§6: DELE only marks; QUIT removes, before its +OK."""
    with a.server() as srv:
        wire = srv.wire("basic")
        before = on_disk(srv)
        check(len(before) == 3, "fixture on disk: %r" % before)
        p = login_retry(srv)
        p.cmd("DELE 2")
        p.cmd("NOOP")
        time.sleep(0.3)
        check(on_disk(srv) == before, "DELE changed the mailbox before QUIT")
        p.quit()
        after = on_disk(srv)
        check(after == [before[0], before[2]],
              "after QUIT the disk holds %r" % after)
        # No retry: the commit is done when +OK to QUIT is sent.
        p = Pop3(srv.port)
        p.login("alice", srv.users["alice"])
        same_messages(all_messages(p), [wire[0], wire[2]], "kept messages")
        p.quit()
        return srv.stop()


def deliver_async(srv, user, data):
    box = {}

    def run():
        try:
            srv.deliver(user, data, timeout=60)
            box["ok"] = True
        except Exception as e:  # noqa: BLE001 - reported by the caller
            box["error"] = e
    t = threading.Thread(target=run)
    t.start()
    return t, box


TOKEN_MSG = (b"From: Dave <dave@example.org>\nTo: alice@example.org\n"
             b"Subject: delivered during a session\n"
             b"Message-ID: <token-%d@polypop.test>\n\n"
             b"From the middle of a session.\n.dot line\nbye\n")


@test
def deliver_during_session(a):
    """A delivery while a session holds DELEs is kept by the commit."""
    with a.server() as srv:
        wire = srv.wire("basic")
        p = login_retry(srv)
        p.cmd("DELE 1")
        p.cmd("DELE 2")
        msgs = [TOKEN_MSG % i for i in range(3)]
        threads = [deliver_async(srv, "alice", m) for m in msgs]
        # Deliveries may wait for the session's lock (mbox); give them time
        # to finish or to block, then commit.
        for t, _ in threads:
            t.join(3)
        p.quit()
        for t, box in threads:
            t.join(60)
            check(not t.is_alive(), "deliver still running after 60s")
            if "error" in box:
                raise box["error"]
        p = login_retry(srv)
        got = all_messages(p)
        p.quit()
        check(len(got) == 4, "expected 1 kept + 3 delivered, got %d"
              % len(got))
        check(wire[2] in got, "the kept message is gone or changed")
        for m in msgs:
            norm = m.replace(b"\n", b"\r\n")
            # A delivery agent may prepend trace headers (Return-Path...).
            check(any(g.endswith(norm) for g in got),
                  "delivered message missing: %r" % m[:80])
        return srv.stop()


@test
def in_use_second_session(a):
    """RFC 2449 §8.1.2: a second session on a locked maildrop: [IN-USE]."""
    with a.server() as srv:
        p = login_retry(srv)
        q = Pop3(srv.port)
        q.cmd("USER alice")
        r = q.cmd("PASS " + srv.users["alice"], ok=False)
        check(r.startswith(b"-ERR [IN-USE]"), "second login: %r" % r)
        q.close()
        # bob is independent of alice's lock.
        b = login_retry(srv, "bob")
        b.quit()
        p.quit()
        q = login_retry(srv)
        q.quit()
        return srv.stop()


@test
def many_concurrent_sessions(a):
    """200 sessions at once, each its own user: all log in and STAT."""
    n = 200
    users = {"u%03d" % i: "pw%03d" % i for i in range(n)}
    with a.server(users=users, fixtures={u: "basic" for u in users},
                  config={"max_connections": "1000",
                          "max_connections_per_ip": "1000"}) as srv:
        wire = srv.wire("basic")
        want = b"+OK %d %d" % stat_of(wire)
        errors = []
        barrier = threading.Barrier(n, timeout=120)

        def session(user):
            try:
                p = Pop3(srv.port, timeout=60)
                p.login(user, users[user])
                barrier.wait()      # every session is in TRANSACTION
                r = p.cmd("STAT")
                if r != want:
                    errors.append("%s: STAT %r" % (user, r))
                p.quit()
            except Exception as e:  # noqa: BLE001
                errors.append("%s: %s" % (user, e))
                barrier.abort()
        threads = [threading.Thread(target=session, args=(u,))
                   for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
        check(not errors, "%d of %d sessions failed, first: %s"
              % (len(errors), n, errors[:3]))
        return srv.stop()


@test
def uid_stability(a):
    """RFC 1939 §7: uids persist across sessions and are never reused."""
    with a.server() as srv:
        p = login_retry(srv)
        u1 = p.uidl()
        check(len(u1) == 3 and len(set(u1)) == 3, "UIDL %r" % u1)
        p.cmd("DELE 3")
        p.close()                           # no UPDATE
        p = login_retry(srv)
        check(p.uidl() == u1, "uids changed after a dropped session")
        p.cmd("DELE 1")
        p.quit()
        p = login_retry(srv)
        check(p.uidl() == u1[1:], "uids after deleting message 1: %r"
              % p.uidl())
        p.quit()
        srv.deliver("alice", TOKEN_MSG % 7)
        srv.deliver("alice", (TOKEN_MSG % 7).replace(b"token-7", b"token-8"))
        sigterm_restart(srv)
        p = login_retry(srv)
        u2 = p.uidl()
        p.quit()
        check(u2[:2] == u1[1:], "old uids changed after delivery: %r" % u2)
        check(len(u2) == 4 and not set(u2[2:]) & set(u1) and
              len(set(u2)) == 4, "new uids reuse or collide: %r vs %r"
              % (u2, u1))
        return srv.stop()


def sigterm_restart(srv):
    rc = srv.sigterm()
    check(rc == 0, "exit status after SIGTERM: %r" % rc)
    srv.start()


@test
def apop_timestamp_unique(a):
    """RFC 1939 §7: the greeting timestamp MUST differ each time."""
    with a.server() as srv:
        seen = set()
        for _ in range(5):
            p = Pop3(srv.port)
            g = p.greeting
            p.quit()
            if b"<" not in g:
                raise Skip("greeting has no APOP timestamp")
            ts = g[g.index(b"<"):g.index(b">", g.index(b"<")) + 1]
            check(ts not in seen, "timestamp repeated: %r" % ts)
            seen.add(ts)
        return srv.stop()


class Args(common.SuiteArgs):
    def server(self, fixture="basic", users=None, fixtures=None,
               config=None):
        users = users or dict(common.USERS)
        if fixtures is None:
            fixtures = {"alice": fixture, "bob": "basic"}
        return self.new_server(fixtures=fixtures, users=users,
                               config=config)


def main():
    return common.run_tests(__doc__, TESTS, Args)


if __name__ == "__main__":
    sys.exit(main())

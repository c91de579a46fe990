#!/usr/bin/env python3
"""Black-box tests of the server core: listeners (IPv6, several at once),
the users file (malformed lines, SIGHUP reload), the idle timer, the
connection limits, --demo, user-name checks at login, back-pressure on a
large RETR, --trace, the command line and `polypopd deliver`, and SIGTERM
in the middle of a download.

  server_core.py --polypopd PATH --conform PATH [--store maildir|mbox]
                 [--only GLOB] [--keep]

Everything runs on loopback (127.0.0.1, ::1) with port 0, and every wait is
bounded.  Each test gets a fresh server (harness/common.py) and ends with
its leak checks (descriptors, sanitizer reports, tmp/ and lock files).
Prints ok/FAIL/skip lines and 'N passed, N failed, N skipped'; exits
non-zero on failure.
"""

import base64
import hashlib
import hmac
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "harness"))
import common  # noqa: E402
from common import HarnessError, Pop3, Skip  # noqa: E402

TESTS, test = common.registry()
LISTEN_RE = re.compile(r"^listening (\S+) (\[[^\]]+\]|[^\s:]+):(\d+)$")
AUTH_FAILED = b"-ERR [AUTH] Authentication failed."


def check(cond, what):
    if not cond:
        raise HarnessError(what)


class CoreServer(common.Server):
    """common.Server with any command line, several listeners, and every
    line of standard output kept (a thread drains it)."""

    def __init__(self, *a, listens=None, extra=None, argv=None,
                 users_text=None, env=None, **kw):
        super().__init__(*a, **kw)
        self.env = env
        self.listens = listens or ["pop3@127.0.0.1:0"]
        self.extra = list(extra or [])
        self.argv = argv
        self.users_text = users_text
        self.users_path = os.path.join(self.dir, "users")
        self.addrs = []
        self.out = []
        self.out_cv = threading.Condition()
        self.reader = None

    def setup(self):
        super().setup()
        if self.users_text is not None:
            with open(self.users_path, "w") as f:
                f.write(self.users_text)
        return self

    def command(self):
        if self.argv is not None:
            return list(self.argv)
        argv = [self.polypopd]
        for spec in self.listens:
            argv += ["--listen", spec]
        return argv + ["--users", self.users_path, "--mail", self.location,
                       "--config", os.path.join(self.dir, "polypop.conf")] \
            + self.extra

    def _drain(self, f):
        for raw in iter(f.readline, b""):
            with self.out_cv:
                self.out.append(raw.decode(errors="replace").rstrip("\n"))
                self.out_cv.notify_all()
        with self.out_cv:
            self.out.append(None)       # EOF
            self.out_cv.notify_all()

    def listening(self):
        return [l for l in self.out if l is not None and
                l.startswith("listening")]

    def start(self, timeout=20, nlisten=None):
        nlisten = len(self.listens) if nlisten is None else nlisten
        self.out = []
        self.errf = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE,
                                     stderr=self.errf,
                                     stdin=subprocess.DEVNULL,
                                     start_new_session=True, env=self.env)
        self.reader = threading.Thread(target=self._drain,
                                       args=(self.proc.stdout,), daemon=True)
        self.reader.start()
        deadline = time.monotonic() + timeout
        with self.out_cv:
            while len(self.listening()) < nlisten:
                left = deadline - time.monotonic()
                if None in self.out or left <= 0:
                    break
                self.out_cv.wait(left)
            lines = self.listening()
        if len(lines) < nlisten:
            rc = self.proc.poll()
            self.kill()
            raise HarnessError("%d of %d 'listening' lines (exit %s); "
                               "stdout %r; log:\n%s" % (
                                   len(lines), nlisten, rc, self.out,
                                   self.log_tail()))
        self.addrs = []
        for line in lines:
            m = LISTEN_RE.match(line)
            if not m:
                self.kill()
                raise HarnessError("bad listening line %r" % line)
            self.addrs.append((m.group(1), m.group(2), int(m.group(3))))
        self.port = self.addrs[0][2]
        self.base_fds = self.fd_count()
        return self

    def stdout_text(self):
        with self.out_cv:
            return "\n".join(l for l in self.out if l is not None)

    def wait_stdout(self, pattern, timeout=5):
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern, re.M)
        with self.out_cv:
            while not rx.search(self.stdout_text()):
                left = deadline - time.monotonic()
                if None in self.out or left <= 0:
                    return False
                self.out_cv.wait(left)
        return True

    def sigterm(self, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            rc = None
        self.kill()
        if self.reader is not None:
            self.reader.join(5)
        self.proc.stdout.close()
        self.errf.close()
        return rc

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise HarnessError("no VmRSS in /proc/%d/status" % self.proc.pid)

    def log(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")


def run(argv, timeout=15, data=None):
    """Runs a short-lived polypopd; returns (status, stdout, stderr)."""
    try:
        r = subprocess.run(argv, input=data, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout,
                           stdin=None if data is not None
                           else subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise HarnessError("%s still running after %ds" % (argv, timeout))
    return (r.returncode, r.stdout.decode(errors="replace"),
            r.stderr.decode(errors="replace"))


def no_sanitizer(text, what):
    m = common.SANITIZER_RE.search(text.encode())
    check(not m, "%s: sanitizer report: %s" % (what, m and m.group(0)))


def try_login(port, user, password, host="127.0.0.1"):
    """USER/PASS; returns (client or None, reply to PASS)."""
    p = Pop3(port, host=host)
    p.cmd("USER " + user)
    r = p.cmd("PASS " + password, ok=None)
    if r.startswith(b"+OK"):
        return p, r
    p.close()
    return None, r


def login_retry(srv, user="alice", password=None, timeout=5.0, port=None,
                host="127.0.0.1"):
    """Logs in, retrying while a previous session's lock is released (or,
    under a connection limit, its slot)."""
    password = password or srv.users[user]
    deadline = time.monotonic() + timeout
    while True:
        try:
            p, r = try_login(port or srv.port, user, password, host)
        except HarnessError as e:
            if "[SYS/TEMP]" not in str(e):
                raise
            p, r = None, str(e)
        if p is not None:
            return p
        if time.monotonic() > deadline:
            raise HarnessError("login as %s still failing after %.0fs: %r"
                               % (user, timeout, r))
        time.sleep(0.1)


def expect_closed(sock, timeout, what):
    """Waits for EOF (or a reset); returns (seconds, octets received)."""
    t0 = time.monotonic()
    got = b""
    sock.settimeout(0.2)
    while time.monotonic() - t0 < timeout:
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            continue
        except ConnectionResetError:
            break
        if not chunk:
            break
        got += chunk
    else:
        raise HarnessError("%s: connection still open after %.1fs"
                           % (what, timeout))
    return time.monotonic() - t0, got


def wire_of(raw):
    """RFC 1939 wire form of an LF message: CRLF lines."""
    data = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


def unstuff(data):
    """Dot-unstuffs a multi-line reply body ending in CRLF.CRLF."""
    check(data.endswith(b"\r\n.\r\n") or data == b".\r\n",
          "multi-line reply does not end with CRLF.CRLF: %r" % data[-20:])
    body = data[:-3]
    if body.startswith(b"."):
        body = body[1:]
    return body.replace(b"\r\n.", b"\r\n")


def big_message(size, tag):
    """An LF message of about SIZE octets whose lines are all different,
    with dot lines and From_ lines here and there."""
    head = (b"From: Big Sender <big@example.org>\nTo: alice@example.org\n"
            b"Subject: %s\nMessage-ID: <%s@polypop.test>\n\n" % (tag, tag))
    pad = b"x" * 150
    lines = []
    n = 0
    total = len(head)
    while total < size:
        if n % 97 == 0:
            line = b".%08d dot line\n" % n
        elif n % 101 == 0:
            line = b"From %08d looks like an mbox separator\n" % n
        else:
            line = b"%08d %s\n" % (n, pad)
        lines.append(line)
        total += len(line)
        n += 1
    return head + b"".join(lines)


def ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError:
        return False
    try:
        s.bind(("::1", 0))
        return True
    except OSError:
        return False
    finally:
        s.close()


def users_file(users):
    return "".join("%s:{PLAIN}%s\n" % (u, p) for u, p in users.items())


def tree(top, skip=()):
    """Every path under TOP, relative, minus the names in SKIP."""
    out = set()
    for root, dirs, files in os.walk(top):
        for n in dirs + files:
            rel = os.path.relpath(os.path.join(root, n), top)
            if rel.split(os.sep)[0] not in skip:
                out.add(rel)
    return out


# -- 1. IPv6 ------------------------------------------------------------

@test
def ipv6_listener(a):
    """--listen pop3@[::1]:0 prints [::1]:PORT; a login over ::1 works."""
    if not ipv6_loopback():
        raise Skip("this machine cannot bind a socket to ::1")
    with a.server(listens=["pop3@[::1]:0"]) as srv:
        line = srv.listening()[0]
        check(re.match(r"^listening pop3 \[::1\]:\d+$", line),
              "listening line %r" % line)
        check(srv.port != 0, "port 0 reported")
        p = login_retry(srv, host="::1")
        check(p.stat()[0] == 3, "STAT over ::1")
        p.quit()
        return srv.stop()


# -- 2. two listeners ---------------------------------------------------

@test
def two_listeners(a):
    """--listen twice: two 'listening' lines, both addresses serve."""
    with a.server(listens=["pop3@127.0.0.1:0", "pop3@127.0.0.1:0"]) as srv:
        lines = srv.listening()
        check(len(lines) == 2, "listening lines %r" % lines)
        ports = [port for _, _, port in srv.addrs]
        check(len(set(ports)) == 2 and 0 not in ports,
              "ports %r" % ports)
        check(all(h == "127.0.0.1" for _, h, _ in srv.addrs),
              "hosts %r" % srv.addrs)
        # Both at once: alice on one, bob on the other.
        p = login_retry(srv, "alice", port=ports[0])
        q = login_retry(srv, "bob", port=ports[1])
        check(p.stat()[0] == 3 and q.stat()[0] == 3, "STAT on both")
        p.quit()
        q.quit()
        p = login_retry(srv, "alice", port=ports[1])
        p.quit()
        return srv.stop()


# -- 3. the users file --------------------------------------------------

BAD_USERS = [
    # (line, is it bad)
    ("# polypop test users", False),
    ("alice:{PLAIN}secret", False),
    ("justaname", True),                        # no password field
    ("eve:{NOPE}x", True),                      # unknown scheme
    (":{PLAIN}x", True),                        # empty user name
    ("bob:{PLAIN}hunter2", False),
    ("mallory:{SHA512-CRYPT}not-a-hash", True),  # hash vs scheme
    ("sp ace:{PLAIN}x", True),                  # space in name
    ("trudy:{PLAIN", True),                     # unterminated scheme
]


def reported_line(log, path, lineno):
    """A log line naming the place as PATH:LINENO (at=FILE:LINE)."""
    for l in log.splitlines():
        if re.search(r"\bat=%s:%d\b" % (re.escape(path), lineno), l):
            return l
    return None


@test
def users_file_malformed_lines(a):
    """Bad users-file lines: reported with file and line, skipped."""
    text = "".join(l + "\n" for l, _ in BAD_USERS)
    with a.server(users_text=text) as srv:
        log = srv.log()
        for i, (line, bad) in enumerate(BAD_USERS, 1):
            rep = reported_line(log, srv.users_path, i)
            if bad:
                check(rep, "users line %d %r not reported with %s and "
                      "line %d; log:\n%s" % (i, line, srv.users_path, i,
                                             log))
            else:
                check(not rep, "good line %d reported: %r" % (i, rep))
        for u in ("alice", "bob"):
            p = login_retry(srv, u)
            p.quit()
        for u, pw in (("eve", "x"), ("mallory", "not-a-hash"),
                      ("trudy", "")):
            p, r = try_login(srv.port, u, pw or "x")
            check(p is None and r == AUTH_FAILED,
                  "skipped user %s: %r" % (u, r))
        return srv.stop()


@test
def users_file_missing(a):
    """A missing users file: non-zero exit, the path and the reason."""
    with a.server(start=False) as srv:
        missing = os.path.join(srv.dir, "no-such-users")
        rc, out, err = run([srv.polypopd, "--listen", "pop3@127.0.0.1:0",
                            "--users", missing, "--mail", srv.location])
        check(rc != 0, "exit status %d with a missing users file" % rc)
        check(missing in err and re.search(r"(?i)no such file", err),
              "message does not name the file and the reason: %r" % err)
        check("listening" not in out, "listened anyway: %r" % out)
        no_sanitizer(err, "missing users file")
        return []


# -- 4. SIGHUP ----------------------------------------------------------

@test
def sighup_reloads_users(a):
    """SIGHUP: a new user can log in, a removed one cannot."""
    with a.server() as srv:
        p, r = try_login(srv.port, "carol", "c4rol")
        check(p is None, "carol logged in before she was added")
        with open(srv.users_path + ".new", "w") as f:
            f.write(users_file({"alice": "secret", "carol": "c4rol"}))
        os.rename(srv.users_path + ".new", srv.users_path)
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while True:
            p, r = try_login(srv.port, "carol", "c4rol")
            if p is not None:
                break
            check(time.monotonic() < deadline,
                  "carol still refused 5s after SIGHUP: %r" % r)
            time.sleep(0.1)
        check(p.stat() == (0, 0), "carol's empty maildrop")
        p.quit()
        p, r = try_login(srv.port, "bob", "hunter2")
        check(p is None and r == AUTH_FAILED,
              "bob was removed but: %r" % r)
        p = login_retry(srv, "alice")
        p.quit()
        check(srv.proc.poll() is None, "server exited on SIGHUP")
        return srv.stop()


# -- 5. idle timeout ----------------------------------------------------

@test
def idle_timeout(a):
    """idle_timeout = 1: closed after ~1s, no reply, lock released, the
    session's DELEs not committed (RFC 1939 §3)."""
    with a.server(config={"idle_timeout": "1"}) as srv:
        wire = srv.wire("basic")
        # Idle before login, too.
        q = Pop3(srv.port)
        p = login_retry(srv)
        p.cmd("DELE 1")
        p.cmd("DELE 2")
        t, got = expect_closed(p.sock, 5, "idle session")
        check(got == b"", "server replied before closing: %r" % got)
        check(0.8 <= t <= 3.5, "closed after %.2fs, expected about 1s" % t)
        _, got = expect_closed(q.sock, 3, "idle session before login")
        check(got == b"", "server replied before closing: %r" % got)
        p.close()
        q.close()
        # Lock released: a new session gets in at once (a short grace for
        # the close to run), and sees all three messages.
        p = login_retry(srv, timeout=1.0)
        n, size = p.stat()
        check((n, size) == (3, sum(len(m) for m in wire)),
              "after the timeout STAT is %r" % ((n, size),))
        for i, w in enumerate(wire, 1):
            check(p.multi("RETR %d" % i) == w, "message %d changed" % i)
        p.quit()
        return srv.stop()


# -- 6. connection limits -----------------------------------------------

def connect_from(port, src, timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def read_line(sock, timeout=10):
    sock.settimeout(timeout)
    buf = b""
    while not buf.endswith(b"\r\n"):
        c = sock.recv(1)
        if not c:
            raise HarnessError("closed before a full line: %r" % buf)
        buf += c
    return buf[:-2]


def check_refused(sock, what):
    line = read_line(sock)
    check(line.startswith(b"-ERR [SYS/TEMP]"),
          "%s: expected '-ERR [SYS/TEMP] ...', got %r" % (what, line))
    _, rest = expect_closed(sock, 5, what)
    check(rest == b"", "%s: more after the -ERR: %r" % (what, rest))
    sock.close()


def greeted(sock, what):
    line = read_line(sock)
    check(line.startswith(b"+OK"), "%s: greeting %r" % (what, line))


def accepted_again(port, src, what, timeout=5):
    """After a slot frees, a new connection is greeted (polls)."""
    deadline = time.monotonic() + timeout
    while True:
        s = connect_from(port, src)
        line = read_line(s)
        if line.startswith(b"+OK"):
            return s
        s.close()
        check(time.monotonic() < deadline,
              "%s: still refused %.0fs after a slot freed: %r"
              % (what, timeout, line))
        time.sleep(0.1)


def second_loopback():
    try:
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.close()
        return True
    except OSError:
        return False


@test
def max_connections_per_ip(a):
    """max_connections_per_ip = 2: a third from the same address gets
    -ERR [SYS/TEMP] and is closed; another address is not affected."""
    with a.server(config={"max_connections_per_ip": "2"}) as srv:
        c1 = connect_from(srv.port, "127.0.0.1")
        c2 = connect_from(srv.port, "127.0.0.1")
        greeted(c1, "first")
        greeted(c2, "second")
        check_refused(connect_from(srv.port, "127.0.0.1"), "third")
        other = None
        if second_loopback():
            other = connect_from(srv.port, "127.0.0.2")
            greeted(other, "from 127.0.0.2")
        c1.close()
        c3 = accepted_again(srv.port, "127.0.0.1", "after closing one")
        # c3 now holds the freed slot: the limit still applies.
        check_refused(connect_from(srv.port, "127.0.0.1"), "again third")
        for s in (c2, c3, other):
            if s is not None:
                s.close()
        p = login_retry(srv)
        p.quit()
        return srv.stop()


@test
def max_connections_total(a):
    """max_connections = 2: a third connection, from any address, gets
    -ERR [SYS/TEMP] and is closed; after one closes a new one works."""
    src2 = "127.0.0.2" if second_loopback() else "127.0.0.1"
    src3 = "127.0.0.3" if second_loopback() else "127.0.0.1"
    with a.server(config={"max_connections": "2"}) as srv:
        c1 = connect_from(srv.port, "127.0.0.1")
        c2 = connect_from(srv.port, src2)
        greeted(c1, "first")
        greeted(c2, "second")
        check_refused(connect_from(srv.port, src3), "third")
        check_refused(connect_from(srv.port, "127.0.0.1"), "fourth")
        c2.close()
        c3 = accepted_again(srv.port, src3, "after closing one")
        check_refused(connect_from(srv.port, "127.0.0.1"), "again third")
        c1.close()
        c3.close()
        p = login_retry(srv)
        p.quit()
        return srv.stop()


# -- 7. --demo ----------------------------------------------------------

def apop_digest(greeting, secret):
    m = re.search(rb"<[^<>]*@[^<>]*>", greeting)
    check(m, "no APOP timestamp in greeting %r" % greeting)
    return hashlib.md5(m.group(0) + secret.encode()).hexdigest()


@test
def demo_mode(a):
    """--demo DIR: users and mail created, instructions printed, alice
    (PLAIN, APOP) and bob (SHA512-CRYPT) log in; a restart reuses DIR."""
    with a.server(start=False) as base:
        demo = os.path.join(base.dir, "demo")
        argv = [base.polypopd, "--demo", demo,
                "--listen", "pop3@127.0.0.1:0"]
        for round_ in (1, 2):
            srv = CoreServer(base.polypopd, None, argv=argv,
                             name=a.name + "-%d" % round_, keep=a.ns.keep)
            srv.mailroot = os.path.join(demo, "mail")
            try:
                srv.start()
                check(os.path.isfile(os.path.join(demo, "users")),
                      "no users file in %s" % demo)
                check(os.path.isdir(os.path.join(demo, "mail")),
                      "no mail directory in %s" % demo)
                check(srv.wait_stdout(r"curl pop3://alice:wonderland@"
                                      r"127\.0\.0\.1:%d/" % srv.port),
                      "no curl command for port %d in stdout:\n%s"
                      % (srv.port, srv.stdout_text()))
                check(not re.search(r":1110\b", srv.stdout_text()),
                      "demo still mentions port 1110:\n%s"
                      % srv.stdout_text())
                p = login_retry(srv, "alice", "wonderland")
                n, _ = p.stat()
                check(n == 4, "round %d: alice has %d messages, not 4"
                      % (round_, n))
                msgs = [p.multi("RETR %d" % i) for i in range(1, 5)]
                p.quit()
                p = login_retry(srv, "bob", "builder")
                check(p.stat()[0] == 1, "bob's STAT %r" % (p.stat(),))
                p.quit()
                deadline = time.monotonic() + 5
                while True:
                    p = Pop3(srv.port)
                    r = p.cmd("APOP alice " + apop_digest(p.greeting,
                                                          "wonderland"),
                              ok=None)
                    if r.startswith(b"+OK") or \
                            not r.startswith(b"-ERR [IN-USE]") or \
                            time.monotonic() > deadline:
                        break
                    p.close()
                    time.sleep(0.1)
                check(r.startswith(b"+OK"), "APOP alice: %r" % r)
                check(p.stat()[0] == 4, "APOP session STAT")
                check(p.multi("RETR 1") == msgs[0], "RETR 1 after APOP")
                p.quit()
                problems = srv.stop()
                if problems:
                    return ["round %d: %s" % (round_, x) for x in problems]
            finally:
                srv.cleanup()
        return []


# -- 8. bad user names --------------------------------------------------

@test
def bad_user_names(a):
    """USER ../etc, a/b, .hidden: -ERR [AUTH], like a wrong password,
    even with the right password; nothing appears on disk."""
    bad = {"../etc": "x", "a/b": "x", ".hidden": "x", "..": "x"}
    users = dict(common.USERS)
    users.update(bad)
    with a.server(users_text=users_file(users)) as srv:
        before = tree(srv.dir, skip=("server.log",))
        p, wrong = try_login(srv.port, "alice", "wrong")
        check(p is None and wrong == AUTH_FAILED,
              "wrong password: %r" % wrong)
        for name, pw in bad.items():
            for secret in (pw, "other"):
                p, r = try_login(srv.port, name, secret)
                check(p is None, "USER %s logged in" % name)
                check(r == wrong, "USER %s / PASS %s: %r, a wrong "
                      "password gives %r" % (name, secret, r, wrong))
            q = Pop3(srv.port)
            r = q.cmd("APOP %s %s" % (name, apop_digest(q.greeting, pw)),
                      ok=None)
            q.close()
            check(r == wrong, "APOP %s: %r" % (name, r))
        after = tree(srv.dir, skip=("server.log",))
        check(after == before, "the file system changed: new %r, gone %r"
              % (sorted(after - before), sorted(before - after)))
        p = login_retry(srv)
        p.quit()
        return srv.stop()


# -- 9. back-pressure ---------------------------------------------------

class SmallWindowPop3(Pop3):
    """A client with a small receive buffer, so that little of a reply it
    does not read can sit in the kernel."""

    def __init__(self, port, host="127.0.0.1", timeout=15, rcvbuf=64 << 10):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self.f = self.sock.makefile("rb")
        self.greeting = self.line()
        if not self.greeting.startswith(b"+OK"):
            raise HarnessError("bad greeting %r" % self.greeting)


@test
def retr_back_pressure(a):
    """RETR of 48 MiB to a client that does not read: the server's RSS
    stays within 8 MiB of where it was, other users are served, and then
    every octet arrives.

    Under ASan, freed memory sits in ASan's quarantine (256 MiB by
    default), so the 16 KiB output chunks of the several MiB the kernel's
    socket buffers take before the stall all stay resident: about 8 MiB,
    whatever the message size.  A 1 MiB quarantine for this server keeps
    the measure about polypopd, not about the sanitizer."""
    size = 48 << 20
    limit_kib = 8 << 10
    msg = big_message(size, b"big-48")
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(
        x for x in (os.environ.get("ASAN_OPTIONS"), "quarantine_size_mb=1")
        if x)
    with a.server(fixtures={"alice": "empty", "bob": "basic"},
                  env=env) as srv:
        srv.deliver("alice", msg, timeout=60)
        want = wire_of(msg)
        p = SmallWindowPop3(srv.port)
        p.login("alice", srv.users["alice"])
        n, octets = p.stat()
        check((n, octets) == (1, len(want)), "STAT %r, expected (1, %d)"
              % ((n, octets), len(want)))
        base = srv.rss_kib()
        p.sock.sendall(b"RETR 1\r\n")
        peak = base
        helper_ok = [None]

        def other():
            try:
                b = Pop3(srv.port, timeout=10)
                b.login("bob", "hunter2")
                helper_ok[0] = b.stat()
                b.quit()
            except Exception as e:  # noqa: BLE001 - reported below
                helper_ok[0] = e
        t0 = time.monotonic()
        th = None
        while time.monotonic() - t0 < 2.0:
            peak = max(peak, srv.rss_kib())
            if th is None and time.monotonic() - t0 > 0.5:
                th = threading.Thread(target=other)
                th.start()
            time.sleep(0.05)
        th.join(10)
        check(not th.is_alive(), "bob's session hung while alice stalls")
        check(isinstance(helper_ok[0], tuple) and helper_ok[0][0] == 3,
              "bob's STAT while alice stalls: %r" % (helper_ok[0],))
        grew = peak - base
        check(grew <= limit_kib, "RSS grew by %d KiB (from %d KiB) while "
              "the client did not read; limit %d KiB"
              % (grew, base, limit_kib))
        # Now read everything.
        p.sock.settimeout(30)
        first = p.f.readline(1024)
        check(first.startswith(b"+OK"), "RETR reply %r" % first)
        chunks = []
        tail = b""
        while not tail.endswith(b"\r\n.\r\n"):
            c = p.f.read1(1 << 20)
            check(c, "connection closed in the middle of RETR")
            chunks.append(c)
            tail = (tail + c)[-5:]
        got = unstuff(b"".join(chunks))
        if got != want:
            k = next((j for j in range(min(len(got), len(want)))
                      if got[j] != want[j]), min(len(got), len(want)))
            raise HarnessError("RETR differs at octet %d of %d (got %d): "
                               "expected %r got %r" % (
                                   k, len(want), len(got),
                                   want[k:k + 30], got[k:k + 30]))
        p.quit()
        return srv.stop()


@test
def retr_dropped_mid_download(a):
    """A client that stops reading a large RETR and then drops the
    connection: the session is freed with its message reader (no
    descriptor left open), the lock is released, nothing is removed."""
    msg = big_message(8 << 20, b"big-8")
    with a.server(fixtures={"alice": "basic", "bob": "basic"}) as srv:
        wire = srv.wire("basic")
        srv.deliver("alice", msg, timeout=60)
        for _ in range(3):
            p = login_retry(srv)
            p.cmd("DELE 1")
            p.sock.sendall(b"RETR 4\r\n")
            p.sock.settimeout(10)
            check(p.f.readline(1024).startswith(b"+OK"), "RETR reply")
            check(p.f.read1(64 << 10), "no message data")
            time.sleep(0.3)         # the server now waits for the socket
            p.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                              b"\x01\x00\x00\x00\x00\x00\x00\x00")
            p.close()
        p = login_retry(srv, timeout=3)
        check(p.stat()[0] == 4, "STAT after drops: %r" % (p.stat(),))
        for i, w in enumerate(wire + [wire_of(msg)], 1):
            check(p.multi("RETR %d" % i) == w, "message %d changed" % i)
        p.quit()
        return srv.stop()


# -- 10. --trace --------------------------------------------------------

@test
def trace_transcripts(a):
    """--trace DIR: one file per session, USER shown, PASS and the APOP
    digest masked, server replies present."""
    pw = "Tr4ce-s3cret-pw"
    users = {"alice": pw, "bob": "hunter2"}
    with a.server(users=users, extra_factory=lambda d: [
            "--trace", os.path.join(d, "trace")]) as srv:
        tdir = os.path.join(srv.dir, "trace")
        p = login_retry(srv, "alice", pw)
        p.stat()
        p.quit()
        q = Pop3(srv.port)
        digest = apop_digest(q.greeting, pw)
        q.cmd("APOP alice " + digest)
        q.quit()
        r = Pop3(srv.port)
        r.cmd("USER bob")
        r.cmd("PASS " + pw, ok=False)       # a failed PASS is masked too
        r.quit()
        deadline = time.monotonic() + 3
        while True:
            files = sorted(os.listdir(tdir))
            if len(files) >= 3 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        check(len(files) == 3, "trace files %r for 3 sessions" % files)
        texts = []
        for name in files:
            with open(os.path.join(tdir, name), "rb") as f:
                texts.append(f.read().decode(errors="replace"))
        everything = "\n".join(texts)
        check(pw not in everything, "the password is in a transcript")
        check(digest not in everything, "the APOP digest is in a "
              "transcript")
        first = next((t for t in texts if "APOP" not in t and
                      "USER alice" in t), None)
        check(first, "no transcript with 'USER alice':\n%s" % everything)
        # Each line: the text, then " | " and its annotations.
        A = r" +\| "
        check(re.search(r"C: USER alice" + A +
                        r"AUTHORIZATION -> AUTHORIZATION \| USER: RFC 1939 §7$",
                        first, re.M),
              "no annotated client line 'USER alice':\n%s" % first)
        check(re.search(r"C: PASS \*+" + A +
                        r"AUTHORIZATION -> TRANSACTION \| PASS: RFC 1939 §7$",
                        first, re.M),
              "no masked, annotated 'PASS ****' line:\n%s" % first)
        check(re.search(r"S: \+OK POP3 .*" + A +
                        r"AUTHORIZATION \| greeting: RFC 1939 §4$", first,
                        re.M), "greeting not annotated:\n%s" % first)
        check(re.search(r"C: STAT" + A + r"TRANSACTION -> TRANSACTION", first,
                        re.M) and
              re.search(r"S: \+OK 3 \d+" + A +
                        r"TRANSACTION \| STAT: RFC 1939 §5$", first, re.M),
              "server replies missing:\n%s" % first)
        check(re.search(r"C: QUIT" + A + r"TRANSACTION -> UPDATE", first,
                        re.M), "QUIT's state change missing:\n%s" % first)
        check(re.search(r"C: APOP alice \*+" + A, everything, re.M),
              "no masked APOP line:\n%s" % everything)
        check(re.search(r"S: -ERR \[AUTH\]", everything, re.M),
              "failed login reply missing:\n%s" % everything)
        return srv.stop()


# -- 10b. profiles on listeners, RPOP -------------------------------------

@test
def profile_listeners(a):
    """Two POP3 revisions on one server: each listener prints
    'listening pop3/PROFILE HOST:PORT' and answers as its RFC (LAST on
    rfc1081, not on rfc1939); an unknown profile binds nothing and names
    the known ones."""
    with a.server(listens=["pop3/rfc1081@127.0.0.1:0",
                           "pop3/rfc1939@127.0.0.1:0",
                           "pop3@127.0.0.1:0"]) as srv:
        names = [x[0] for x in srv.addrs]
        check(names == ["pop3/rfc1081", "pop3/rfc1939", "pop3"],
              "listening names %r" % names)
        ports = dict((x[0], x[2]) for x in srv.addrs)
        for name, last_ok, stamp in (("pop3/rfc1081", True, False),
                                     ("pop3/rfc1939", False, True),
                                     ("pop3", False, True)):
            p = Pop3(ports[name])
            check((b"<" in p.greeting) == stamp,
                  "%s greeting %r" % (name, p.greeting))
            p.cmd("USER alice")
            p.cmd("PASS " + common.USERS["alice"])
            r = p.cmd("LAST", ok=None)
            check(r.startswith(b"+OK 0") if last_ok else
                  r == b"-ERR Unknown command: LAST",
                  "%s: LAST gave %r" % (name, r))
            p.quit()
        problems = srv.stop()
    with a.server(start=False) as srv:
        rc, out, err = run([srv.polypopd, "--listen",
                            "pop3@127.0.0.1:0", "--listen",
                            "pop3/rfc1940@127.0.0.1:0", "--users",
                            srv.users_path, "--mail", srv.location])
        check(rc != 0, "unknown profile: exit 0")
        check("listening" not in out, "a listener was bound: %r" % out)
        check("rfc1940" in err and "rfc1081" in err and "rfc1939" in err,
              "unknown profile not explained: %r" % err)
        rc, out, err = run([srv.polypopd, "--listen",
                            "pop2/rfc937@127.0.0.1:0", "--users",
                            srv.users_path, "--mail", srv.location])
        check(rc != 0 and "no profiles" in err,
              "pop2 with a profile: exit %d, %r" % (rc, err))
    return problems


def pop2_helo(port, user, password):
    """A POP2 (RFC 937) login: the reply to HELO."""
    with socket.create_connection(("127.0.0.1", port), 15) as sock:
        sock.settimeout(15)
        f = sock.makefile("rb")
        greeting = f.readline()
        check(greeting.startswith(b"+ "), "POP2 greeting %r" % greeting)
        sock.sendall(("HELO %s %s\r\n" % (user, password)).encode())
        r = f.readline().rstrip(b"\r\n")
        if r.startswith(b"#"):
            # Logged in: end the session cleanly.  After a refusal the
            # server may close at once (RFC 937), so nothing more is sent.
            sock.sendall(b"QUIT\r\n")
            f.readline()
        f.close()
        return r


@test
def apop_or_pass_per_user(a):
    """RFC 1460 §13 / RFC 1725 §12 (1939 §13: should not): the users
    file's apop=only user logs in by APOP and CRAM-MD5 only, never with
    the password in the clear (PASS, AUTH PLAIN, POP2 HELO); apop=no
    never by APOP; an unmarked user by PASS only on rfc1460/rfc1725 and
    both ways elsewhere.  A refusal reads exactly like a wrong password."""
    users = ("alice:{PLAIN}secret\n"
             "dave:{PLAIN}tea-time::::::userdb_x=1 apop=only\n"
             "erin:{PLAIN}lobster::::::apop=no\n")
    listens = ["pop3@127.0.0.1:0", "pop3/rfc1460@127.0.0.1:0",
               "pop3/rfc1725@127.0.0.1:0", "pop3/rfc1939@127.0.0.1:0",
               "pop2@127.0.0.1:0"]
    fixtures = {"alice": "basic", "dave": "basic", "erin": "basic"}
    with a.server(users={"alice": "secret", "dave": "tea-time",
                         "erin": "lobster"}, fixtures=fixtures,
                  users_text=users, listens=listens) as srv:
        ports = dict((x[0], x[2]) for x in srv.addrs)

        def apop(name, user, secret):
            p = Pop3(ports[name])
            r = p.cmd("APOP %s %s" % (user, apop_digest(p.greeting,
                                                        secret)), ok=None)
            p.close()
            return r

        def pass_(name, user, secret):
            p = Pop3(ports[name])
            p.cmd("USER " + user)
            r = p.cmd("PASS " + secret, ok=None)
            p.close()
            return r

        def sasl(user, secret, mech):
            p = Pop3(ports["pop3"])
            if mech == "PLAIN":
                r = p.cmd("AUTH PLAIN " + base64.b64encode(
                    ("\0%s\0%s" % (user, secret)).encode()).decode(),
                    ok=None)
            else:
                c = p.cmd("AUTH CRAM-MD5", ok=None)
                check(c.startswith(b"+ "), "CRAM-MD5 challenge %r" % c)
                mac = hmac.new(secret.encode(), base64.b64decode(c[2:]),
                               "md5").hexdigest()
                r = p.cmd(base64.b64encode(("%s %s" % (user, mac))
                                           .encode()).decode(), ok=None)
            p.close()
            return r

        for name in ("pop3", "pop3/rfc1460", "pop3/rfc1725",
                     "pop3/rfc1939"):
            wrong = pass_(name, "dave", "not-it")
            check(wrong.startswith(b"-ERR"), "%s: wrong PASS %r"
                  % (name, wrong))
            r = pass_(name, "dave", "tea-time")
            check(r == wrong, "%s: apop=only user's right PASS gave %r, "
                  "a wrong one %r" % (name, r, wrong))
            r = apop(name, "dave", "tea-time")
            check(r.startswith(b"+OK"), "%s: apop=only APOP %r" % (name, r))
            r = apop(name, "erin", "lobster")
            check(r == apop(name, "erin", "wrong"),
                  "%s: apop=no user's right APOP gave %r" % (name, r))
            r = pass_(name, "erin", "lobster")
            check(r.startswith(b"+OK"), "%s: apop=no PASS %r" % (name, r))
            # The unmarked user: PASS everywhere, APOP only where the
            # revision allows both.
            r = pass_(name, "alice", "secret")
            check(r.startswith(b"+OK"), "%s: alice PASS %r" % (name, r))
            r = apop(name, "alice", "secret")
            if name in ("pop3/rfc1460", "pop3/rfc1725"):
                check(r == apop(name, "alice", "wrong"),
                      "%s: unmarked user's APOP gave %r" % (name, r))
            else:
                check(r.startswith(b"+OK"), "%s: alice APOP %r" % (name, r))
        r = sasl("dave", "tea-time", "PLAIN")
        check(r == sasl("dave", "not-it", "PLAIN"),
              "apop=only AUTH PLAIN gave %r" % r)
        r = sasl("dave", "tea-time", "CRAM-MD5")
        check(r.startswith(b"+OK"), "apop=only AUTH CRAM-MD5 %r" % r)
        wrong = pop2_helo(ports["pop2"], "dave", "not-it")
        check(wrong.startswith(b"-"), "POP2 wrong HELO %r" % wrong)
        r = pop2_helo(ports["pop2"], "dave", "tea-time")
        check(r == wrong, "apop=only POP2 HELO gave %r, a wrong password "
              "%r" % (r, wrong))
        r = pop2_helo(ports["pop2"], "erin", "lobster")
        check(r.startswith(b"#"), "apop=no POP2 HELO %r" % r)
        problems = srv.stop()
        log = open(srv.stderr_path, errors="replace").read()
        for want in ("event=login-refused reason=apop-only method=password",
                     "event=login-refused reason=apop-only method=sasl",
                     "event=login-refused reason=no-apop method=apop"):
            check(want in log, "log lacks %r" % want)
    return problems


def rpop_connect(port, sport):
    """A connection from 127.0.0.1:SPORT (0: any) to PORT."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", sport))
    s.connect(("127.0.0.1", port))
    p = Pop3.__new__(Pop3)
    p.sock = s
    p.f = s.makefile("rb")
    p.greeting = p.line()
    return p


def free_reserved_port():
    for sport in range(1023, 600, -1):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", sport))
        except PermissionError:
            raise Skip("binding a reserved port needs root or "
                       "CAP_NET_BIND_SERVICE")
        except OSError:
            continue
        finally:
            s.close()
        return sport
    raise Skip("no free reserved port on 127.0.0.1")


@test
def rpop_trust(a):
    """RFC 1081 RPOP: from a reserved source port and a --rpop-trust rule
    it logs in without a password; from an unprivileged port, for another
    remote user, without the flag, or on RFC 1460, it does not."""
    def trust_map(d):
        path = os.path.join(d, "rpop-trust")
        with open(path, "w") as f:
            f.write("# host remote-user local-user\n"
                    "127.0.0.1 mrose alice\n")
        return ["--rpop-trust=" + path]

    sport = free_reserved_port()
    with a.server(listens=["pop3/rfc1081@127.0.0.1:0",
                           "pop3/rfc1460@127.0.0.1:0"],
                  extra_factory=trust_map) as srv:
        ports = dict((x[0], x[2]) for x in srv.addrs)
        p = rpop_connect(ports["pop3/rfc1081"], sport)
        p.cmd("USER alice")
        r = p.cmd("RPOP mrose", ok=None)
        check(r.startswith(b"+OK"), "RPOP from port %d: %r" % (sport, r))
        n, _ = p.stat()
        check(n == 3, "STAT after RPOP: %d" % n)
        p.quit()
        time.sleep(0.2)
        for who, port, ruser, want in (
                ("unprivileged port", 0, "mrose",
                 b"-ERR Authentication failed."),
                ("another remote user", sport, "eve",
                 b"-ERR Authentication failed."),
        ):
            p = rpop_connect(ports["pop3/rfc1081"], port)
            p.cmd("USER alice")
            r = p.cmd("RPOP " + ruser, ok=None)
            check(r == want, "%s: %r" % (who, r))
            p.close()
            time.sleep(0.2)
        p = rpop_connect(ports["pop3/rfc1460"], sport)
        p.cmd("USER alice")
        r = p.cmd("RPOP mrose", ok=None)
        check(r == b"-ERR Unknown command: RPOP", "RFC 1460 RPOP: %r" % r)
        p.close()
        log = srv.log_tail(20000)
        check("event=rpop-login" in log, "no rpop-login log line")
        problems = srv.stop()
    time.sleep(0.2)
    with a.server(listens=["pop3/rfc1081@127.0.0.1:0"]) as srv:
        p = rpop_connect(srv.port, sport)
        p.cmd("USER alice")
        r = p.cmd("RPOP mrose", ok=None)
        check(r == b"-ERR Authentication failed.",
              "RPOP without --rpop-trust: %r" % r)
        p.close()
        problems += srv.stop()
    return problems


# -- 11. the command line -----------------------------------------------

@test
def command_line_errors(a):
    """--help; an unknown flag; an unknown protocol; an address in use."""
    with a.server(start=False) as srv:
        d = srv.polypopd
        rc, out, err = run([d, "--help"])
        check(rc == 0, "--help exit %d" % rc)
        check("--listen" in out, "--help does not mention --listen: %r"
              % out)
        rc, out, err = run([d, "--no-such-flag"])
        check(rc != 0, "unknown flag: exit 0")
        check("--no-such-flag" in err, "unknown flag not named: %r" % err)
        common_args = ["--users", srv.users_path, "--mail", srv.location]
        rc, out, err = run([d, "--listen", "bogus@127.0.0.1:0"]
                           + common_args)
        check(rc != 0, "unknown protocol: exit 0")
        check("bogus" in err and "listening" not in out,
              "unknown protocol not named: %r %r" % (out, err))
        no_sanitizer(err, "unknown protocol")
        holder = socket.socket()
        try:
            holder.bind(("127.0.0.1", 0))
            holder.listen(1)
            port = holder.getsockname()[1]
            rc, out, err = run([d, "--listen", "pop3@127.0.0.1:%d" % port]
                               + common_args)
        finally:
            holder.close()
        check(rc != 0, "address in use: exit 0 (stdout %r)" % out)
        check("listening" not in out, "listened on a used port: %r" % out)
        check(re.search(r"(?i)address already in use", err) and
              str(port) in err,
              "no clear 'address in use' message naming port %d: %r"
              % (port, err))
        no_sanitizer(err, "address in use")
        return []


# -- 12. polypopd deliver -----------------------------------------------

@test
def deliver_errors(a):
    """deliver: a bad user name fails; no --mail prints usage, exit 64."""
    with a.server(start=False) as srv:
        before = tree(srv.dir)
        msg = b"From: x@example.org\nSubject: t\n\nhi\n"
        for name in ("../etc", "a/b", ".hidden", ""):
            rc, out, err = run([srv.polypopd, "deliver", "--mail",
                                srv.location, name], data=msg)
            check(rc != 0, "deliver to %r: exit 0" % name)
            no_sanitizer(err, "deliver %r" % name)
        check(tree(srv.dir) == before, "deliver to a bad name changed "
              "the file system: %r" % sorted(tree(srv.dir) - before))
        rc, out, err = run([srv.polypopd, "deliver", "alice"], data=msg)
        check(rc == 64, "deliver without --mail: exit %d, not 64" % rc)
        check("usage" in (out + err).lower(),
              "no usage text: %r %r" % (out, err))
        return []


# -- 13. SIGTERM during a download --------------------------------------

def start_download(srv, size, tag):
    msg = big_message(size, tag)
    srv.deliver("alice", msg, timeout=60)
    p = login_retry(srv)
    n, _ = p.stat()
    check(n == 4, "STAT %d, expected 3 + 1" % n)
    p.cmd("DELE 1")
    p.cmd("DELE 2")
    p.sock.sendall(b"RETR 4\r\n")
    p.sock.settimeout(10)
    first = p.f.readline(1024)
    check(first.startswith(b"+OK"), "RETR reply %r" % first)
    got = p.f.read1(256 << 10)
    check(got, "no message data")
    return p, wire_of(msg), got


def check_nothing_committed(srv, msgs):
    srv.start()
    p = login_retry(srv)
    check(p.stat()[0] == 4, "after SIGTERM STAT %r, expected 4 messages"
          % (p.stat(),))
    for i, w in enumerate(msgs, 1):
        check(p.multi("RETR %d" % i) == w, "message %d changed" % i)
    p.quit()


@test
def sigterm_mid_download_reading(a):
    """SIGTERM while a client downloads 16 MiB and keeps reading: exit 0
    soon, the reply is completed, nothing committed."""
    with a.server() as srv:
        wire = srv.wire("basic")
        p, want, got = start_download(srv, 16 << 20, b"big-16a")
        t0 = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        data = [got]
        p.sock.settimeout(12)
        while True:
            try:
                c = p.f.read1(1 << 20)
            except (ConnectionResetError, socket.timeout):
                break
            if not c:
                break
            data.append(c)
        rest = b"".join(data)
        try:
            rc = srv.proc.wait(max(0.1, 12 - (time.monotonic() - t0)))
        except subprocess.TimeoutExpired:
            rc = None
        t = time.monotonic() - t0
        check(rc == 0, "exit status %r %.1fs after SIGTERM" % (rc, t))
        check(t < 10.5, "took %.1fs to stop" % t)
        end = rest.find(b"\r\n.\r\n")
        check(end >= 0, "the reply was cut off after %d octets"
              % len(rest))
        check(unstuff(rest[:end + 5]) == want, "the message arrived "
              "changed")
        after = rest[end + 5:]
        check(after == b"" or after.startswith(b"-ERR"),
              "after the message: %r" % after[:80])
        p.close()
        srv.sigterm()
        check_nothing_committed(srv, wire + [want])
        return srv.stop()


@test
def sigterm_mid_download_stalled(a):
    """SIGTERM while a client has stopped reading a 16 MiB reply: exit 0
    within the 10 s grace period, nothing committed."""
    with a.server() as srv:
        wire = srv.wire("basic")
        p, want, _ = start_download(srv, 16 << 20, b"big-16b")
        time.sleep(0.3)             # let the socket buffers fill
        t0 = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        try:
            rc = srv.proc.wait(13)
        except subprocess.TimeoutExpired:
            rc = None
        t = time.monotonic() - t0
        p.close()
        check(rc == 0, "exit status %r %.1fs after SIGTERM" % (rc, t))
        check(t < 11.5, "took %.1fs to stop (grace is 10s)" % t)
        srv.sigterm()
        check_nothing_committed(srv, wire + [want])
        return srv.stop()


class Args(common.SuiteArgs):
    def server(self, fixture="basic", users=None, fixtures=None,
               config=None, start=True, extra_factory=None, **kw):
        users = users or dict(common.USERS)
        if fixtures is None:
            fixtures = {"alice": fixture, "bob": "basic"}

        def prepare(srv):
            if extra_factory is not None:
                srv.extra += extra_factory(srv.dir)
                for x in srv.extra:
                    if x.startswith(srv.dir):
                        os.makedirs(x, exist_ok=True)

        return self.new_server(cls=CoreServer, start=start, prepare=prepare,
                               fixtures=fixtures, users=users, config=config,
                               **kw)


def main():
    return common.run_tests(__doc__, TESTS, Args)


if __name__ == "__main__":
    sys.exit(main())

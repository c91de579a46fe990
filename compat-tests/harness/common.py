"""Shared harness for polypop's black-box tests.

A Server owns one temporary directory: a Dovecot-style passwd-file, an
INI config, the users' mailboxes, and a running `polypopd` (or any program
with the same command line, such as peers/dovecot.sh).  Tests talk to it
over loopback TCP and stop it with SIGTERM, after which it must exit 0 and
leave nothing behind (see Server.stop).
"""

import argparse
import fnmatch
import os
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

USERS = {"alice": "secret", "bob": "hunter2"}
# RFC 1460 §13 / RFC 1725 §12: a server "must not allow both methods of
# access for a given user".  This user is marked apop=only in the users
# file (docs/auth.md) and is the one that logs in by APOP
# (polypop-conform --apop-user); see Server.add_apop_user.
APOP_USER, APOP_PASS = "carol", "apop-secret"
DEFAULT_CONFIG = {
    "auth_failure_delay": "100",
    "idle_timeout": "600",
    "max_connections": "1000",
    "max_connections_per_ip": "1000",
    "hostname": "polypop.test",
    "log_level": "info",
}
SANITIZER_RE = re.compile(
    rb"(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
    rb"ThreadSanitizer|Assertion .* failed|double free|corrupted)")


class HarnessError(Exception):
    pass


def mail_location(root, store):
    if store == "maildir":
        return "maildir:%s/%%u/Maildir" % root
    if store == "mbox":
        return "mbox:%s/%%u:INBOX=%s/%%u/inbox" % (root, root)
    raise HarnessError("unknown store %r" % store)


def is_peer(path):
    """A reference peer script rather than polypopd itself."""
    return path.endswith(".sh")


class Server:
    def __init__(self, polypopd, conform, store="maildir", fixtures=None,
                 config=None, users=None, fixture_via="direct", keep=False,
                 name="test", listen=("pop3",), folders=None,
                 extra_args=None, bboards=None):
        self.polypopd = os.path.abspath(polypopd)
        self.conform = os.path.abspath(conform) if conform else None
        self.store = store
        self.users = dict(USERS if users is None else users)
        # user -> the passwd-file's extra field ("apop=only").
        self.user_fields = {}
        # user -> fixture name; users not listed get an empty mailbox.
        self.fixtures = {"alice": "basic", "bob": "basic"}
        if fixtures is not None:
            self.fixtures = dict(fixtures)
        self.config = dict(DEFAULT_CONFIG)
        self.config.update(config or {})
        self.fixture_via = fixture_via
        self.keep = keep
        # Protocols to listen for, one loopback listener each; the first
        # one's port is self.port, all are in self.ports.
        self.listen = tuple(listen)
        self.ports = {}
        # user -> [(folder name, fixture)]: second mailboxes (POP2 FOLD).
        self.folders = dict(folders or {})
        # More polypopd arguments (e.g. --trace DIR), after --config.
        self.extra_args = list(extra_args or ())
        # [(NAME, FIXTURE, unreadable)]: RFC 1082 discussion groups in a
        # --bboards location of the store's kind (docs/bboards.md).
        self.bboards = list(bboards or ())
        self.dir = tempfile.mkdtemp(prefix="polypop-%s-" % name)
        self.bboard_root = os.path.join(self.dir, "bboards")
        self.mailroot = os.path.join(self.dir, "mail")
        self.location = mail_location(self.mailroot, store)
        self.proc = None
        self.port = None
        self.stderr_path = os.path.join(self.dir, "server.log")
        self.base_fds = None

    # -- set-up ---------------------------------------------------------
    def add_apop_user(self, mailbox=True):
        """APOP_USER, marked apop=only, with the same mailbox as alice:
        APOP cases log in as this user and then see alice's fixture.
        MAILBOX false: an empty one (nothing to write or deliver)."""
        self.users[APOP_USER] = APOP_PASS
        self.user_fields[APOP_USER] = "apop=only"
        self.fixtures[APOP_USER] = self.fixtures.get("alice", "empty") \
            if mailbox else "empty"
        return self

    def mailbox_path(self, user, folder=None):
        """The INBOX, or a named folder: Maildir++ `.Name` inside the
        Maildir, or the file `Name` beside the mbox inbox."""
        if self.store == "maildir":
            base = os.path.join(self.mailroot, user, "Maildir")
            return os.path.join(base, "." + folder) if folder else base
        return os.path.join(self.mailroot, user, folder or "inbox")

    def setup(self):
        with open(os.path.join(self.dir, "users"), "w") as f:
            for u, p in self.users.items():
                extra = self.user_fields.get(u)
                # The extra field is the eighth: uid to shell empty.
                f.write("%s:{PLAIN}%s%s\n" % (
                    u, p, "::::::" + extra if extra else ""))
        with open(os.path.join(self.dir, "polypop.conf"), "w") as f:
            for k, v in self.config.items():
                f.write("%s = %s\n" % (k, v))
        os.makedirs(self.mailroot, exist_ok=True)
        for user in self.users:
            os.makedirs(os.path.join(self.mailroot, user), exist_ok=True)
            self.write_fixture(user, self.fixtures.get(user, "empty"))
            for folder, fixture in self.folders.get(user, ()):
                self.write_fixture(user, fixture, folder)
        self.setup_bboards()
        return self

    def bboard_location(self):
        return "%s:%s" % (self.store, self.bboard_root)

    def setup_bboards(self):
        """Each group a folder of the --bboards location: Maildir++
        ROOT/.NAME or mbox ROOT/NAME (NAME.archive: NAME's archive).  An
        unreadable one gets mode 000 (see unreadable_wrapper)."""
        if not self.bboards:
            return
        os.makedirs(self.bboard_root, exist_ok=True)
        for name, fixture, unreadable in self.bboards:
            path = os.path.join(self.bboard_root, ("." if self.store ==
                                                   "maildir" else "") + name)
            self.write_fixture("bboards", fixture, name, path,
                               self.bboard_location())
            if not os.path.exists(path):    # mbox: nothing delivered
                open(path, "ab").close()
            if unreadable:
                os.chmod(path, 0)

    def unreadable_wrapper(self):
        """A server running as root reads a mode-000 maildrop all the same
        (CAP_DAC_OVERRIDE): it runs without that capability and
        CAP_DAC_READ_SEARCH then, so that the files it owns obey their
        mode bits as for any user (util-linux setpriv)."""
        if os.geteuid() != 0 or not any(b[2] for b in self.bboards):
            return []
        return ["setpriv", "--bounding-set",
                "-dac_override,-dac_read_search", "--"]

    def write_fixture(self, user, fixture, folder=None, path=None,
                      location=None):
        path = path or self.mailbox_path(user, folder)
        if self.fixture_via == "deliver":
            raw = os.path.join(self.dir, "raw-%s-%s" % (user, folder or ""))
            self.run_conform(["--write-fixture", fixture, "--format", "raw",
                              "--out", raw])
            for name in sorted(os.listdir(raw)):
                if name.endswith(".eml"):
                    with open(os.path.join(raw, name), "rb") as f:
                        self.deliver(user, f.read(), folder,
                                     location=location)
            if self.store == "maildir":
                for sub in ("new", "cur", "tmp"):
                    os.makedirs(os.path.join(path, sub), exist_ok=True)
            return
        self.run_conform(["--write-fixture", fixture, "--format", self.store,
                          "--out", path])

    def run_conform(self, args):
        r = subprocess.run([self.conform] + args, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        if r.returncode != 0:
            raise HarnessError("polypop-conform %s: %s" % (
                " ".join(args), r.stderr.decode(errors="replace")))
        return r.stdout.decode(errors="replace")

    def wire(self, fixture):
        """Expected wire bytes (un-stuffed) of each message of a fixture."""
        out = os.path.join(self.dir, "wire-%s" % fixture)
        if not os.path.isdir(out):
            self.run_conform(["--write-fixture", fixture, "--format", "wire",
                              "--out", out])
        msgs = []
        for name in sorted(os.listdir(out)):
            if name.endswith(".wire"):
                with open(os.path.join(out, name), "rb") as f:
                    msgs.append(f.read())
        return msgs

    def deliver(self, user, data, folder=None, timeout=30, location=None):
        argv = [self.polypopd, "deliver", "--mail", location or self.location,
                user]
        if folder:
            argv.append(folder)
        r = subprocess.run(argv, input=data, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        if r.returncode != 0:
            raise HarnessError("deliver to %s: exit %d: %s" % (
                user, r.returncode, r.stderr.decode(errors="replace")))

    # -- running --------------------------------------------------------
    def argv(self):
        """The server's command line."""
        argv = self.unreadable_wrapper() + [self.polypopd]
        # A listener is "PROTO[/PROFILE]" with optional ",OPTION"s
        # ("pop3,plaintext-auth=tls"), which follow the port.
        for spec in self.listen:
            proto, _, opts = spec.partition(",")
            argv += ["--listen", "%s@127.0.0.1:0%s"
                     % (proto, "," + opts if opts else "")]
        argv += ["--users", os.path.join(self.dir, "users"),
                "--mail", self.location,
                "--config", os.path.join(self.dir, "polypop.conf")]
        if self.bboards:
            argv += ["--bboards", self.bboard_location()]
        return argv + self.extra_args

    def start(self, timeout=20):
        argv = self.argv()
        self.errf = open(self.stderr_path, "ab")
        # Own process group, so a peer script's children die with it.
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                     stderr=self.errf,
                                     stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        buf = b""
        fd = self.proc.stdout.fileno()
        # One "listening PROTO HOST:PORT" line per listener, in --listen
        # order (a restart gets new ports).  self.listening keeps them
        # all; self.ports the first port of each name.
        self.ports = {}
        self.listening = []
        while len(self.listening) < len(self.listen):
            if b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                m = re.match(r"^listening (\S+) (\S+):(\d+)$",
                             line.decode(errors="replace"))
                if line.startswith(b"listening") and not m:
                    self.kill()
                    raise HarnessError("bad listening line %r" % line)
                if m:
                    self.listening.append((m.group(1), int(m.group(3))))
                    self.ports.setdefault(m.group(1), int(m.group(3)))
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise HarnessError("no 'listening' line within %ds; log:\n%s"
                                   % (timeout, self.log_tail()))
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 4096)
                if not chunk:
                    rc = self.proc.wait()
                    raise HarnessError("server exited (status %s) before "
                                       "listening; log:\n%s"
                                       % (rc, self.log_tail()))
                buf += chunk
        missing = [p for p in self.listen
                   if p.partition(",")[0] not in self.ports]
        if missing:
            self.kill()
            raise HarnessError("no listening line for %s (got %s)"
                               % (", ".join(missing), self.ports))
        self.port = self.ports[self.listen[0].partition(",")[0]]
        if not is_peer(self.polypopd):
            self.base_fds = self.fd_count()
        return self

    def fd_count(self):
        try:
            return len(os.listdir("/proc/%d/fd" % self.proc.pid))
        except OSError:
            return None

    def log_tail(self, n=4000):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def kill(self):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def sigterm(self, timeout=10):
        """SIGTERM the server; return its exit status (None: had to kill)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            rc = None
        self.kill()             # whatever is left in its process group
        self.proc.stdout.close()
        return rc

    def stop(self):
        """Stops the server; returns a list of problems (empty: clean)."""
        problems = []
        if self.proc is None:
            return problems
        if self.proc.poll() is not None:
            problems.append("server died during the test (status %s)"
                            % self.proc.returncode)
        elif self.base_fds is not None:
            # Every session is over: descriptors must be back to the count
            # right after start-up.  Give closing sessions a moment.
            deadline = time.monotonic() + 3
            n = self.fd_count()
            while n is not None and n > self.base_fds and \
                    time.monotonic() < deadline:
                time.sleep(0.05)
                n = self.fd_count()
            if n is not None and n > self.base_fds:
                problems.append("descriptor leak: %d open after the test, "
                                "%d after start-up" % (n, self.base_fds))
        rc = self.sigterm()
        if rc is None:
            problems.append("server ignored SIGTERM for 10s (killed)")
        elif rc != 0 and not problems:
            problems.append("server exited with status %d after SIGTERM"
                            % rc)
        self.errf.close()
        self.proc = None
        with open(self.stderr_path, "rb") as f:
            log = f.read()
        m = SANITIZER_RE.search(log)
        if m:
            problems.append("sanitizer/abort report in server log: %s"
                            % m.group(0).decode(errors="replace"))
        problems += self.leftovers()
        return problems

    def leftovers(self):
        """Temporary or lock files a clean server leaves nowhere."""
        found = []
        for top, dirs, files in (list(os.walk(self.mailroot)) +
                                 list(os.walk(self.bboard_root))):
            if os.path.basename(top) == "tmp" and files:
                found.append("file left in Maildir tmp/: %s"
                             % os.path.join(top, files[0]))
            for f in files:
                if f.endswith(".lock") or f.startswith(".polypop-"):
                    found.append("lock/temp file left: %s"
                                 % os.path.join(top, f))
        return found

    def cleanup(self):
        self.kill()
        for name, _, unreadable in self.bboards:
            if unreadable:      # rmtree as a user other than root
                for p in (name, "." + name):
                    try:
                        os.chmod(os.path.join(self.bboard_root, p), 0o700)
                    except OSError:
                        pass
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


class Pop3:
    """A minimal strict POP3 client for the Python black-box tests."""

    def __init__(self, port, host="127.0.0.1", timeout=15):
        self.sock = socket.create_connection((host, port), timeout)
        self.sock.settimeout(timeout)
        self.f = self.sock.makefile("rb")
        self.greeting = self.line()
        if not self.greeting.startswith(b"+OK"):
            raise HarnessError("bad greeting %r" % self.greeting)

    def line(self):
        raw = self.f.readline(65536)
        if not raw:
            raise HarnessError("connection closed by server")
        if not raw.endswith(b"\r\n"):
            raise HarnessError("line not terminated by CRLF: %r" % raw)
        return raw[:-2]

    def cmd(self, text, ok=True):
        self.sock.sendall(text.encode() + b"\r\n")
        r = self.line()
        if ok is True and not r.startswith(b"+OK"):
            raise HarnessError("%s: %r" % (text.split(" ")[0], r))
        if ok is False and not r.startswith(b"-ERR"):
            raise HarnessError("%s should fail: %r" % (text.split(" ")[0], r))
        return r

    def multi(self, text):
        """Sends a multi-line command, returns the un-stuffed body bytes."""
        self.cmd(text)
        out = []
        while True:
            raw = self.f.readline(1 << 22)
            if not raw:
                raise HarnessError("connection closed in multi-line reply")
            if raw == b".\r\n":
                return b"".join(out)
            if raw.startswith(b"."):
                raw = raw[1:]
            out.append(raw)

    def login(self, user, password):
        self.cmd("USER " + user)
        return self.cmd("PASS " + password)

    def stat(self):
        r = self.cmd("STAT").split()
        return int(r[1]), int(r[2])

    def uidl(self):
        lines = self.multi("UIDL").split(b"\r\n")
        return [l.split(b" ", 1)[1].decode() for l in lines if l]

    def quit(self):
        r = self.cmd("QUIT")
        self.close()
        return r

    def close(self):
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass


def list_cases(conform, cases):
    """(name, path, proto, fixture, level, folders, second, profiles,
    bboards, server_options, cert) of every transcript; folders is
    [(NAME, FIXTURE)], second is True when the case uses "@switch second"
    (a POP3 listener beside the case's own), profiles the case's
    `profile:` names ([]: the default POP3 only), bboards its `bboard:`
    groups [(NAME, FIXTURE, unreadable)], server_options its
    `server-options:` split like a shell line, cert True when it needs a
    server with a certificate (`@stls`, `@require capa STLS`)."""
    out = []
    paths = []
    for root in cases:
        if os.path.isdir(root):
            paths += [os.path.join(root, n) for n in sorted(os.listdir(root))
                      if n.endswith(".txt") and not n.startswith(".")]
        else:
            paths.append(root)
    for p in paths:
        r = subprocess.run([conform, "--list", "--cases", p],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = r.stdout.decode().strip()
        if r.returncode != 0 or not line:
            out.append((os.path.basename(p), p, None, None, line or
                        r.stdout.decode() + r.stderr.decode(), [], False,
                        [], [], [], False))
            continue
        fields = line.split()
        if len(fields) == 6:        # an older runner: no profiles field
            fields.append("-")
        while len(fields) < 10:     # ... no bboards, server-options, cert
            fields.append("-")
        (name, proto, fixture, level, folders, second, profiles, bbs,
         opts, cert) = fields
        folders = [tuple(f.replace("%20", " ").split("=", 1))
                   for f in folders.split(",") if folders != "-"]
        profiles = [] if profiles == "-" else profiles.split(",")
        bbs = [(b.split("=")[0], b.split("=")[1], b.endswith("=unreadable"))
               for b in bbs.split(",") if bbs != "-"]
        try:
            opts = [] if opts == "-" else shlex.split(
                opts.replace("%20", " ").replace("%25", "%"))
        except ValueError as e:     # e.g. an unbalanced quote
            out.append((name, p, None, None, "server-options: %s" % e, [],
                        False, [], [], [], False))
            continue
        out.append((name, p, proto, fixture, level, folders,
                    second == "second", profiles, bbs, opts, cert == "cert"))
    return out


def allow_skip():
    return os.environ.get("POLYPOP_ALLOW_SKIP") == "1"


class Report:
    """ok/FAIL/skip lines and the closing 'N passed, N failed, N skipped'."""

    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def ok(self, name):
        self.passed += 1
        print("ok %s" % name, flush=True)

    def fail(self, name, why):
        self.failed += 1
        why = why.strip().replace("\n", "\n    ")
        print("FAIL %s: %s" % (name, why), flush=True)

    def skip(self, name, why):
        self.skipped += 1
        print("skip %s: %s" % (name, why), flush=True)

    def close(self):
        print("%d passed, %d failed, %d skipped"
              % (self.passed, self.failed, self.skipped), flush=True)
        return 1 if self.failed else 0


class SuiteArgs:
    """What run_tests hands each test: the suite's command line (ns), the
    test's name, and a way to start a server from them."""

    def __init__(self, ns, name):
        self.ns = ns
        self.name = name

    def new_server(self, cls=None, start=True, prepare=None, **kw):
        """A server for this test: a Server (or CLS, a subclass) made with
        keywords KW, set up, given to PREPARE if any, and started unless
        START is false."""
        srv = (cls or Server)(self.ns.polypopd, self.ns.conform,
                              store=self.ns.store, keep=self.ns.keep,
                              name=self.name, **kw)
        try:
            srv.setup()
            if prepare is not None:
                prepare(srv)
            if start:
                srv.start()
        except BaseException:
            srv.cleanup()       # a failed set-up leaves no directory
            raise
        return srv


def registry():
    """A suite's test list and the decorator that adds a function to it,
    in definition order: TESTS, test = common.registry()."""
    tests = []

    def test(fn):
        tests.append(fn)
        return fn

    return tests, test


class Skip(Exception):
    """Raised by a black-box test that cannot run here; reported as skip."""


def run_tests(description, tests, make_args):
    """The main() of a python black-box suite (blackbox.py, server_core.py).

    Runs each function of TESTS (optionally filtered by --only) with
    MAKE_ARGS(ns, name); a returned list of problems or an exception is a
    FAIL, Skip a skip.  Prints one line per test and the closing
    'N passed, N failed, N skipped'; returns the exit status.
    """
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--polypopd", required=True)
    ap.add_argument("--conform", required=True)
    ap.add_argument("--store", default="maildir", choices=["maildir", "mbox"])
    ap.add_argument("--only", default="*")
    ap.add_argument("--keep", action="store_true")
    ns = ap.parse_args()
    rep = Report()
    if not os.access(ns.polypopd, os.X_OK):
        rep.fail("setup", "no executable server at %s" % ns.polypopd)
        return rep.close()
    for fn in tests:
        name = "%s-%s" % (fn.__name__.replace("_", "-"), ns.store)
        if not fnmatch.fnmatch(name, ns.only):
            continue
        a = make_args(ns, name)
        t0 = time.monotonic()
        try:
            problems = fn(a)
            if problems:
                rep.fail(name, "; ".join(problems))
            else:
                rep.ok(name)
        except Skip as e:
            rep.skip(name, str(e))
        except Exception as e:  # noqa: BLE001 - every error is a FAIL
            tb = traceback.extract_tb(e.__traceback__)
            where = "%s:%d" % (os.path.basename(tb[-1].filename),
                               tb[-1].lineno)
            rep.fail(name, "%s (%s)" % (e, where))
        if os.environ.get("POLYPOP_TIMES"):
            print("# %s %.1fs" % (name, time.monotonic() - t0), flush=True)
    return rep.close()

#!/usr/bin/env python3
"""Black-box tests of TLS in the server core: implicit TLS (pop3s@,
RFC 8314) with Python's ssl module, poplib and curl; the start-up errors
of bad TLS settings; the --demo certificate; SIGHUP reloading the
certificate; and STLS (RFC 2595) with its injection rule and the
plaintext-auth=tls listener option.

  tls_core.py --polypopd PATH --conform PATH [--store maildir|mbox]
              [--only GLOB] [--keep]

The test certificate is made with `openssl req` in each server's temporary
directory.  STLS is a command of the pop3 module: while that module
answers STLS with -ERR, the STLS tests are reported as skip with the
reason, and they run as soon as it does not.  Everything is on 127.0.0.1
with port 0, and every wait is bounded.
"""

import os
import poplib
import re
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "harness"))
sys.path.insert(0, HERE)
import common  # noqa: E402
from common import HarnessError, Pop3, Skip  # noqa: E402
from server_core import CoreServer, run  # noqa: E402

TESTS, test = common.registry()
TIMEOUT = 15


def check(cond, what):
    if not cond:
        raise HarnessError(what)


def make_cert(dirname, name="cert", cn="localhost"):
    """A self-signed EC certificate for CN (and 127.0.0.1) by `openssl
    req`; returns (cert path, key path)."""
    cert = os.path.join(dirname, name + ".pem")
    key = os.path.join(dirname, name + "-key.pem")
    r = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
         "-subj", "/CN=%s" % cn, "-keyout", key, "-out", cert,
         "-addext", "subjectAltName=DNS:%s,IP:127.0.0.1" % cn],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        raise HarnessError("openssl req: %s" % r.stderr.decode())
    return cert, key


def client_ctx(cafile):
    """A client context that verifies like a careful client would."""
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = True
    return ctx


class TlsPop3(Pop3):
    """common.Pop3 over an implicit-TLS connection."""

    def __init__(self, port, ctx, host="127.0.0.1", name="localhost",
                 timeout=TIMEOUT):
        raw = socket.create_connection((host, port), timeout)
        self.sock = ctx.wrap_socket(raw, server_hostname=name)
        self.sock.settimeout(timeout)
        self.f = self.sock.makefile("rb")
        self.greeting = self.line()
        if not self.greeting.startswith(b"+OK"):
            raise HarnessError("bad greeting %r" % self.greeting)


def stls(p, ctx, name="localhost"):
    """Sends STLS on the plain connection P and wraps it; Skip when the
    pop3 module does not offer STLS yet."""
    p.sock.sendall(b"STLS\r\n")
    r = p.line()
    if r.startswith(b"-ERR"):
        raise Skip("the pop3 module answers STLS with %r (STLS not "
                   "implemented there yet)" % r.decode(errors="replace"))
    check(r == b"+OK Begin TLS negotiation", "STLS reply %r" % r)
    p.sock = ctx.wrap_socket(p.sock, server_hostname=name)
    p.sock.settimeout(TIMEOUT)
    p.f = p.sock.makefile("rb")
    return r


class Args(common.SuiteArgs):
    def server(self, listens, cert=True, start=True, extra=None, **kw):
        """A CoreServer on LISTENS with, unless CERT is False, a fresh
        certificate given by --tls-cert/--tls-key (srv.cert, srv.key)."""
        def prepare(srv):
            srv.cert = srv.key = None
            if cert:
                srv.cert, srv.key = make_cert(srv.dir)
                srv.extra += ["--tls-cert", srv.cert, "--tls-key", srv.key]
            srv.extra += list(extra or [])

        return self.new_server(cls=CoreServer, start=start, prepare=prepare,
                               listens=listens, **kw)


def addr(srv, proto):
    for p, _host, port in srv.addrs:
        if p == proto:
            return port
    raise HarnessError("no listener %s in %r" % (proto, srv.addrs))


# -- implicit TLS ---------------------------------------------------------

@test
def pop3s_session(a):
    """pop3s@: the listening line says pop3s; the greeting and the whole
    session are encrypted; the mail arrives byte for byte; the server
    logs the version and cipher."""
    with a.server(["pop3s@127.0.0.1:0", "pop3@127.0.0.1:0"],
                  start=False) as srv:
        tdir = os.path.join(srv.dir, "trace")
        os.makedirs(tdir)
        srv.extra += ["--trace", tdir]
        srv.start()
        check(srv.addrs[0][0] == "pop3s" and srv.addrs[1][0] == "pop3",
              "listening lines %r" % srv.listening())
        port = addr(srv, "pop3s")
        p = TlsPop3(port, client_ctx(srv.cert))
        check(p.sock.version() in ("TLSv1.3", "TLSv1.2"),
              "version %s" % p.sock.version())
        p.login("alice", "secret")
        want = srv.wire("basic")
        n, _ = p.stat()
        check(n == len(want), "STAT %d, fixture has %d" % (n, len(want)))
        for i, body in enumerate(want, 1):
            check(p.multi("RETR %d" % i) == body, "RETR %d differs" % i)
        p.quit()
        # poplib's POP3_SSL, as a client program would use it.
        m = poplib.POP3_SSL("127.0.0.1", port, context=client_ctx(srv.cert),
                            timeout=TIMEOUT)
        check(m.getwelcome().startswith(b"+OK"), "poplib welcome")
        m.user("bob")
        m.pass_("hunter2")
        check(m.stat()[0] == len(want), "poplib STAT")
        m.quit()
        log = srv.log()
        check(re.search(r"event=tls version=TLSv1\.[23] cipher=\S+", log),
              "no event=tls line in the log:\n%s" % log[-2000:])
        check(re.search(r"event=listening proto=pop3 tls=implicit", log),
              "listening log line without tls=implicit")
        problems = srv.stop()
        with open(os.path.join(tdir, "1-pop3.trace")) as f:
            trace = f.read()
        check("to pop3 with implicit TLS (RFC 8314)" in trace and
              re.search(r"# TLS established: TLSv1\.[23], \S+", trace),
              "--trace has no TLS notes:\n%s" % trace[:600])
        return problems


@test
def pop3s_nothing_in_clear(a):
    """A plaintext client on the pop3s port gets no greeting in the clear,
    and its command ends the connection with event=tls-failed."""
    with a.server(["pop3s@127.0.0.1:0"]) as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), TIMEOUT)
        s.settimeout(0.5)
        try:
            early = s.recv(100)
        except socket.timeout:
            early = None
        check(early is None, "pop3s sent %r before any handshake" % early)
        s.settimeout(TIMEOUT)
        s.sendall(b"USER alice\r\n")
        got = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        s.close()
        check(b"+OK" not in got and b"-ERR" not in got,
              "a POP3 reply in the clear: %r" % got)
        deadline = time.monotonic() + 5
        while "event=tls-failed" not in srv.log() and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        check(re.search(r"event=tls-failed reason=\"[^\"]+\"", srv.log()),
              "no event=tls-failed reason=... in the log")
        return srv.stop()


@test
def pop3s_versions(a):
    """TLS 1.2 is served; TLS 1.1 is not (RFC 8996)."""
    with a.server(["pop3s@127.0.0.1:0"]) as srv:
        ctx = client_ctx(srv.cert)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        p = TlsPop3(srv.port, ctx)
        check(p.sock.version() == "TLSv1.2", "got %s" % p.sock.version())
        p.quit()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                ctx.set_ciphers("ALL:@SECLEVEL=0")
                ctx.minimum_version = ssl.TLSVersion.TLSv1
                ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        except (ValueError, ssl.SSLError):
            pass
        try:
            TlsPop3(srv.port, ctx, timeout=5)
            return ["a TLS 1.1 handshake succeeded"]
        except (ssl.SSLError, OSError, HarnessError):
            pass
        return srv.stop()


@test
def pop3s_pipelining_and_big_message(a):
    """Over TLS: 100 commands in one write answered in order; a 3 MB
    message read slowly arrives whole (back-pressure on ciphertext)."""
    with a.server(["pop3s@127.0.0.1:0"]) as srv:
        body = b"".join(b"Line %06d of a large message, to be read "
                        b"slowly.\r\n" % i for i in range(60000))
        msg = b"Subject: big\r\n\r\n" + body
        srv.deliver("alice", msg)
        p = TlsPop3(srv.port, client_ctx(srv.cert))
        p.login("alice", "secret")
        n, _ = p.stat()
        p.sock.sendall(b"".join(b"LIST %d\r\n" % (1 + i % n)
                                for i in range(100)))
        for i in range(100):
            r = p.line()
            check(r.startswith(b"+OK %d " % (1 + i % n)),
                  "pipelined reply %d: %r" % (i, r))
        p.sock.sendall(b"RETR %d\r\n" % n)
        time.sleep(0.5)         # let the server fill its queue
        r = p.line()
        check(r.startswith(b"+OK"), "RETR: %r" % r)
        got = []
        while True:
            raw = p.f.readline(1 << 20)
            check(raw, "connection closed during RETR")
            if raw == b".\r\n":
                break
            got.append(raw[1:] if raw.startswith(b".") else raw)
        data = b"".join(got)
        check(data.replace(b"\r\n", b"\n") == msg.replace(b"\r\n", b"\n"),
              "the big message differs (%d octets, want %d)"
              % (len(data), len(msg)))
        p.quit()
        return srv.stop()


@test
def pop3s_curl(a):
    """curl pop3s:// lists and fetches, trusting only the test cert."""
    curl = shutil.which("curl")
    if curl is None:
        if common.allow_skip():
            raise Skip("curl not installed")
        return ["curl not installed (POLYPOP_ALLOW_SKIP=1 to skip)"]
    with a.server(["pop3s@127.0.0.1:0"]) as srv:
        want = srv.wire("basic")
        url = "pop3s://localhost:%d/" % srv.port
        base = [curl, "-sS", "--max-time", "20", "--cacert", srv.cert,
                "--resolve", "localhost:%d:127.0.0.1" % srv.port,
                "-u", "alice:secret"]
        r = subprocess.run(base + [url], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        check(r.returncode == 0, "curl list: %s" % r.stderr.decode())
        check(len(r.stdout.splitlines()) == len(want),
              "curl listed %r" % r.stdout)
        r = subprocess.run(base + [url + "1"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        check(r.returncode == 0, "curl RETR: %s" % r.stderr.decode())
        check(r.stdout == want[0], "curl's message 1 differs")
        return srv.stop()


# -- start-up errors --------------------------------------------------------

def refuse(srv, argv, status, pattern):
    """Runs polypopd with ARGV; it must exit STATUS, print no listening
    line, and say PATTERN on standard error."""
    rc, out, err = run([srv.polypopd] + argv)
    problems = []
    if rc != status:
        problems.append("%s: exit %s, want %s (%s)" % (argv, rc, status,
                                                       err.strip()))
    if "listening" in out:
        problems.append("%s: printed %r" % (argv, out))
    if not re.search(pattern, err):
        problems.append("%s: stderr lacks %r: %s" % (argv, pattern,
                                                     err.strip()))
    return problems


@test
def bad_tls_config(a):
    """Each impossible TLS setting stops polypopd before it listens, with
    a message that says what is wrong and an exit status."""
    with a.server(["pop3@127.0.0.1:0"], start=False) as srv:
        base = ["--users", srv.users_path, "--mail", srv.location]
        other_cert, other_key = make_cert(srv.dir, "other")
        missing = os.path.join(srv.dir, "missing.pem")
        junk = os.path.join(srv.dir, "junk.pem")
        with open(junk, "w") as f:
            f.write("not PEM\n")
        p = []
        p += refuse(srv, ["--listen", "pop3s@127.0.0.1:0"] + base, 1,
                    r"pop3s@127\.0\.0\.1:0 needs a certificate.*--tls-cert")
        p += refuse(srv, ["--listen", "pop3s/rfc1081@127.0.0.1:0"] + base,
                    64, r"historic POP3 revisions had no TLS.*"
                    r"pop3/rfc1081@HOST:PORT")
        p += refuse(srv, ["--listen", "pop3@127.0.0.1:0,plaintext-auth=x"]
                    + base, 64, r"unknown listener option "
                    r"'plaintext-auth=x' \(valid: plaintext-auth=tls, "
                    r"plaintext-auth=any\)")
        p += refuse(srv, ["--listen", "pop3s@127.0.0.1:0", "--tls-cert",
                          missing] + base, 1,
                    r"certificate %s: No such file" % re.escape(missing))
        p += refuse(srv, ["--listen", "pop3s@127.0.0.1:0", "--tls-cert",
                          junk, "--tls-key", srv.key] + base, 1,
                    r"expected a PEM certificate chain")
        p += refuse(srv, ["--listen", "pop3s@127.0.0.1:0", "--tls-cert",
                          srv.cert, "--tls-key", other_key] + base, 1,
                    r"does not match the certificate")
        p += refuse(srv, ["--listen", "pop3@127.0.0.1:0", "--tls-key",
                          srv.key] + base, 1, r"--tls-key needs --tls-cert")
        p += refuse(srv, ["--listen", "pop2@127.0.0.1:0,plaintext-auth=tls",
                          "--tls-cert", srv.cert, "--tls-key", srv.key]
                    + base, 1, r"pop2 has no TLS")
        p += refuse(srv, ["--listen", "pop3@127.0.0.1:0", "--expire",
                          "forever"] + base, 64,
                    r"--expire: expected days from 0 to 36500 or NEVER")
        p += refuse(srv, ["--listen", "pop3@127.0.0.1:0", "--login-delay",
                          "-1"] + base, 64,
                    r"--login-delay: expected seconds from 0 to 86400")
        # The same settings from a config file.
        conf = os.path.join(srv.dir, "tls.conf")
        with open(conf, "w") as f:
            f.write("listen = pop3s@127.0.0.1:0\nusers = %s\nmail = %s\n"
                    % (srv.users_path, srv.location))
        p += refuse(srv, ["--config", conf], 1, r"needs a certificate")
        with open(conf, "a") as f:
            f.write("tls_cert = %s\ntls_key = %s\nexpire = 0\n"
                    "login_delay = 60\n" % (srv.cert, srv.key))
        ok = CoreServer(srv.polypopd, None, argv=[srv.polypopd, "--config",
                                                  conf],
                        name=a.name + "-conf", keep=a.ns.keep)
        try:
            ok.start()
            check(ok.addrs[0][0] == "pop3s", "config listen %r" % ok.addrs)
            t = TlsPop3(ok.port, client_ctx(srv.cert))
            t.quit()
            p += ok.stop()
        finally:
            ok.cleanup()
        return p


# -- --demo -----------------------------------------------------------------

@test
def demo_certificate(a):
    """--demo DIR makes DIR/tls/cert.pem and key.pem (0600) once; pop3s
    works with it, verified for localhost and 127.0.0.1; the demo text
    says how to try it; a restart reuses the same certificate."""
    with a.server(["pop3@127.0.0.1:0"], start=False, cert=False) as base:
        demo = os.path.join(base.dir, "demo")
        argv = [base.polypopd, "--demo", demo, "--listen",
                "pop3s@127.0.0.1:0", "--listen", "pop3@127.0.0.1:0"]
        first = None
        for round_ in (1, 2):
            srv = CoreServer(base.polypopd, None, argv=argv,
                             name=a.name + "-%d" % round_, keep=a.ns.keep,
                             listens=["pop3s", "pop3"])
            srv.mailroot = os.path.join(demo, "mail")
            try:
                srv.start()
                cert = os.path.join(demo, "tls", "cert.pem")
                key = os.path.join(demo, "tls", "key.pem")
                check(os.path.isfile(cert) and os.path.isfile(key),
                      "no %s/tls/cert.pem and key.pem" % demo)
                mode = stat.S_IMODE(os.stat(key).st_mode)
                check(mode == 0o600, "key mode %o" % mode)
                with open(cert, "rb") as f:
                    pem = f.read()
                if first is None:
                    first = pem
                check(pem == first, "round %d made a new certificate"
                      % round_)
                port = addr(srv, "pop3s")
                check(srv.wait_stdout(r"curl -k pop3s://alice:wonderland@"
                                      r"127\.0\.0\.1:%d/" % port),
                      "no pop3s hint in stdout:\n%s" % srv.stdout_text())
                check(srv.wait_stdout(r"openssl s_client .*-connect "
                                      r"127\.0\.0\.1:%d" % port),
                      "no openssl s_client hint:\n%s" % srv.stdout_text())
                for name in ("localhost", "127.0.0.1"):
                    p = TlsPop3(port, client_ctx(cert), name=name)
                    deadline = time.monotonic() + 5
                    while True:
                        p.cmd("USER alice")
                        r = p.cmd("PASS wonderland", ok=None)
                        if r.startswith(b"+OK") or \
                                b"[IN-USE]" not in r or \
                                time.monotonic() > deadline:
                            break
                        p.close()
                        time.sleep(0.1)
                        p = TlsPop3(port, client_ctx(cert), name=name)
                    check(r.startswith(b"+OK"), "demo login: %r" % r)
                    check(p.stat()[0] == 4, "alice's demo mailbox")
                    p.quit()
                problems = srv.stop()
                if problems:
                    return ["round %d: %s" % (round_, x) for x in problems]
            finally:
                srv.cleanup()
        return []


# -- SIGHUP -----------------------------------------------------------------

@test
def sighup_reloads_certificate(a):
    """SIGHUP loads a renewed certificate for new connections; a broken
    one is refused and the previous certificate stays in use."""
    with a.server(["pop3s@127.0.0.1:0"]) as srv:
        p = TlsPop3(srv.port, client_ctx(srv.cert))
        old_der = p.sock.getpeercert(binary_form=True)
        new_cert, new_key = make_cert(srv.dir, "renewed")
        shutil.copy(new_cert, srv.cert)
        shutil.copy(new_key, srv.key)
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while srv.log().count("event=tls-loaded") < 2 and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        check(srv.log().count("event=tls-loaded") == 2, "no reload logged")
        q = TlsPop3(srv.port, client_ctx(new_cert))
        new_der = q.sock.getpeercert(binary_form=True)
        check(new_der != old_der, "still the old certificate")
        q.quit()
        # The session from before the reload is unaffected.
        p.login("alice", "secret")
        p.quit()
        with open(srv.key, "w") as f:
            f.write("broken\n")
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while "keeping the previous certificate" not in srv.log() and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        check("keeping the previous certificate" in srv.log(),
              "a broken key on reload was not reported")
        q = TlsPop3(srv.port, client_ctx(new_cert))
        check(q.sock.getpeercert(binary_form=True) == new_der,
              "the certificate changed after a failed reload")
        q.quit()
        return srv.stop()


# -- STLS (needs the pop3 module's STLS command) ----------------------------

@test
def stls_session(a):
    """STLS on a pop3 listener: +OK Begin TLS negotiation, then the
    session goes on encrypted and the mail arrives byte for byte; poplib's
    stls() works the same."""
    with a.server(["pop3@127.0.0.1:0"]) as srv:
        p = Pop3(srv.port)
        stls(p, client_ctx(srv.cert))
        p.login("alice", "secret")
        want = srv.wire("basic")
        check(p.multi("RETR 1") == want[0], "RETR 1 after STLS")
        p.quit()
        m = poplib.POP3("127.0.0.1", srv.port, timeout=TIMEOUT)
        m.stls(context=client_ctx(srv.cert))
        m.user("bob")
        m.pass_("hunter2")
        check(m.stat()[0] == len(want), "poplib STAT after stls()")
        m.quit()
        return srv.stop()


@test
def stls_injection(a):
    """RFC 2595 §4: a command sent with STLS in one write is discarded,
    never executed: after the handshake PASS finds no USER."""
    with a.server(["pop3@127.0.0.1:0"]) as srv:
        p = Pop3(srv.port)
        p.sock.sendall(b"STLS\r\nUSER alice\r\n")
        r = p.line()
        if r.startswith(b"-ERR"):
            raise Skip("the pop3 module answers STLS with %r" % r)
        check(r == b"+OK Begin TLS negotiation", "STLS: %r" % r)
        p.sock = client_ctx(srv.cert).wrap_socket(
            p.sock, server_hostname="localhost")
        p.sock.settimeout(TIMEOUT)
        p.f = p.sock.makefile("rb")
        r = p.cmd("PASS secret", ok=None)
        check(r.startswith(b"-ERR"), "the injected USER counted: PASS "
              "answered %r" % r)
        p.quit()
        check("event=tls-discarded" in srv.log(),
              "no event=tls-discarded in the log")
        return srv.stop()


@test
def stls_not_on_pop3s(a):
    """STLS on an implicit-TLS connection is refused: TLS is on."""
    with a.server(["pop3s@127.0.0.1:0", "pop3@127.0.0.1:0"]) as srv:
        p = Pop3(addr(srv, "pop3"))
        p.sock.sendall(b"STLS\r\n")
        r = p.line()
        p.close()
        if r.startswith(b"-ERR"):
            raise Skip("the pop3 module answers STLS with %r" % r)
        t = TlsPop3(addr(srv, "pop3s"), client_ctx(srv.cert))
        r = t.cmd("STLS", ok=None)
        check(r.startswith(b"-ERR"), "STLS over pop3s: %r" % r)
        t.quit()
        return srv.stop()


@test
def plaintext_auth_tls(a):
    """,plaintext-auth=tls: USER/PASS are refused in the clear and work
    after STLS; a listener without the option accepts them in the clear
    (the historical default)."""
    with a.server(["pop3@127.0.0.1:0,plaintext-auth=tls",
                   "pop3@127.0.0.1:0"]) as srv:
        strict, lax = srv.addrs[0][2], srv.addrs[1][2]
        p = Pop3(lax)
        p.login("alice", "secret")
        p.quit()
        p = Pop3(strict)
        p.sock.sendall(b"STLS\r\n")
        r = p.line()
        p.close()
        if r.startswith(b"-ERR"):
            raise Skip("the pop3 module answers STLS with %r" % r)
        p = Pop3(strict)
        r1 = p.cmd("USER alice", ok=None)
        r2 = p.cmd("PASS secret", ok=None) if r1.startswith(b"+OK") else r1
        check(r2.startswith(b"-ERR"), "a password in the clear was "
              "accepted: %r / %r" % (r1, r2))
        p.close()
        p = Pop3(strict)
        stls(p, client_ctx(srv.cert))
        p.login("alice", "secret")
        p.quit()
        return srv.stop()


@test
def stls_curl(a):
    """curl --ssl-reqd on pop3:// upgrades with STLS and fetches."""
    curl = shutil.which("curl")
    if curl is None:
        raise Skip("curl not installed")
    with a.server(["pop3@127.0.0.1:0"]) as srv:
        p = Pop3(srv.port)
        p.sock.sendall(b"STLS\r\n")
        r = p.line()
        p.close()
        if r.startswith(b"-ERR"):
            raise Skip("the pop3 module answers STLS with %r" % r)
        want = srv.wire("basic")
        r = subprocess.run(
            [curl, "-sS", "--max-time", "20", "--ssl-reqd", "--cacert",
             srv.cert, "--resolve", "localhost:%d:127.0.0.1" % srv.port,
             "-u", "alice:secret", "pop3://localhost:%d/1" % srv.port],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        check(r.returncode == 0, "curl: %s" % r.stderr.decode())
        check(r.stdout == want[0], "curl's message 1 differs")
        return srv.stop()


def main():
    return common.run_tests(__doc__, TESTS, Args)


if __name__ == "__main__":
    sys.exit(main())

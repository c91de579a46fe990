#!/usr/bin/env python3
"""Black-box tests of the modern POP3 extensions (issue 6): CAPA (RFC
2449), PIPELINING, STLS (RFC 2595) and implicit TLS (RFC 8314), AUTH with
PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5034, 4616,
2195, 5802, 7677), the response codes of RFC 2449 and RFC 3206, EXPIRE and
LOGIN-DELAY, UTF8 and LANG (RFC 6856), and the historic profiles that must
refuse all of it.

  extensions.py --polypopd PATH --conform PATH [--store maildir|mbox]
                [--only GLOB] [--keep]

Every check starts its own polypopd on 127.0.0.1 (harness/common.py) with
a throwaway self-signed certificate (openssl) and a Dovecot passwd-file
holding {PLAIN}, {SCRAM-SHA-256}, {SCRAM-SHA-1} and (with doveadm)
{CRAM-MD5} secrets.  The SASL client side is written here from the RFCs,
SCRAM's server signature included.  Reply syntax is asserted exactly where
an RFC fixes it; for human text only the status and the response code.
Every socket read has a timeout (10 s; EXT_TIMEOUT=SECONDS in the
environment changes it, e.g. for a reference peer with growing auth
penalties).  Prints ok/FAIL/skip lines and
'N passed, N failed, N skipped'; exits non-zero on failure.
"""

import base64
import hashlib
import hmac
import os
import re
import select
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "harness"))
import common  # noqa: E402
from common import HarnessError, Skip  # noqa: E402

TESTS, test = common.registry()
TIMEOUT = int(os.environ.get("EXT_TIMEOUT", "10"))
STLS_OK = b"+OK Begin TLS negotiation"
MECHS = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"]
# RFC 2449 §9: capability = capa-tag *(SP param); 512 octets with CRLF.
CAPA_LINE_RE = re.compile(rb"^[\x21-\x2d\x2f-\x7f]+( [\x21-\x7e]+)*$")
# Extra users beside common.USERS (alice, bob): name -> (scheme, password).
SAM, SID, CARL, JUERGEN = "sam", "sid", "carl", "j\u00fcrgen"
EXTRA_USERS = {
    SAM: ("SCRAM-SHA-256", "s4m-pass"),
    SID: ("SCRAM-SHA-1", "s1d-pass"),
    CARL: ("CRAM-MD5", "c4rl-pass"),
    JUERGEN: ("PLAIN", "gr\u00fc\u00dfe"),
}


def check(cond, what):
    if not cond:
        raise HarnessError(what)


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


# -- secrets -------------------------------------------------------------

def scram_keys(hname, password, salt, iters):
    salted = hashlib.pbkdf2_hmac(hname, password.encode(), salt, iters)
    client_key = hmac.new(salted, b"Client Key", hname).digest()
    stored_key = hashlib.new(hname, client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hname).digest()
    return client_key, stored_key, server_key


def scram_secret(hname, password, iters=4096):
    """Dovecot's {SCRAM-SHA-*} format: ITER,SALT,STOREDKEY,SERVERKEY."""
    salt = os.urandom(16)
    _, stored, server = scram_keys(hname, password, salt, iters)
    return "%d,%s,%s,%s" % (iters, b64(salt), b64(stored), b64(server))


def doveadm_cram(password):
    """{CRAM-MD5} needs MD5's inner state, which hashlib does not give:
    ask Dovecot's own tool.  None when it is not installed."""
    exe = shutil.which("doveadm")
    if exe is None:
        return None
    r = subprocess.run([exe, "pw", "-s", "CRAM-MD5", "-p", password],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    out = r.stdout.decode().strip()
    if r.returncode != 0 or not out.startswith("{CRAM-MD5}"):
        raise HarnessError("doveadm pw -s CRAM-MD5: %r %r" % (out, r.stderr))
    return out[len("{CRAM-MD5}"):]


def make_cert(directory):
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    if shutil.which("openssl") is None:
        raise Skip("no openssl program to make a test certificate")
    r = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-days", "2",
         "-keyout", key, "-out", cert],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        raise HarnessError("openssl req: %s" % r.stderr.decode())
    return cert, key


# -- server --------------------------------------------------------------

class ExtServer(common.Server):
    """common.Server with listener specs of any form (pop3s@, ,plaintext-
    auth=tls, pop3/rfc1939@), TLS and policy options, and a passwd-file
    with hashed secrets.  Ports are found by the listening line's name
    ("pop3", "pop3s", "pop3/rfc1939"): each name once per server."""

    def __init__(self, *a, listens=("pop3",), tls=True, extra=(), **kw):
        users = dict(common.USERS)
        for name, (_, pw) in EXTRA_USERS.items():
            users[name] = pw
        fixtures = {u: "basic" for u in users}
        super().__init__(*a, users=users, fixtures=fixtures, **kw)
        self.listens = list(listens)
        self.tls = tls
        self.extra = list(extra)
        self.cert = self.key = None
        self.cram = None

    def setup(self):
        super().setup()
        if self.tls:
            self.cert, self.key = make_cert(self.dir)
        self.cram = doveadm_cram(EXTRA_USERS[CARL][1])
        lines = ["%s:{PLAIN}%s" % (u, p) for u, p in common.USERS.items()]
        for name, (scheme, pw) in EXTRA_USERS.items():
            if scheme == "PLAIN":
                secret = pw
            elif scheme == "SCRAM-SHA-256":
                secret = scram_secret("sha256", pw)
            elif scheme == "SCRAM-SHA-1":
                secret = scram_secret("sha1", pw)
            elif self.cram is not None:
                secret = self.cram
            else:
                continue
            lines.append("%s:{%s}%s" % (name, scheme, secret))
        with open(os.path.join(self.dir, "users"), "wb") as f:
            f.write(("\n".join(lines) + "\n").encode())
        return self

    def argv(self):
        self.listen = self.listens
        self.extra_args = self.extra
        if self.tls:
            self.extra_args = ["--tls-cert", self.cert,
                               "--tls-key", self.key] + self.extra
        return super().argv()

    def start(self, timeout=20):
        super().start(timeout)
        self.port = self.ports.get("pop3")
        return self

    def ctx(self):
        """A client context that trusts exactly the server's certificate
        and checks the name in it."""
        c = ssl.create_default_context(cafile=self.cert)
        c.check_hostname = True
        return c

    def connect(self, name="pop3", **kw):
        port = self.ports[name]
        if name == "pop3s":
            kw.setdefault("ctx", self.ctx())
        return Conn(port, **kw)

    def login(self, user="alice", name="pop3", timeout=5.0, **kw):
        """USER/PASS, retrying while an earlier session's lock goes."""
        deadline = time.monotonic() + timeout
        while True:
            c = self.connect(name, **kw)
            c.cmd("USER " + user)
            r = c.cmd("PASS " + self.users[user], ok=None)
            if r.startswith(b"+OK"):
                return c
            c.close()
            if not r.startswith(b"-ERR [IN-USE]") or \
                    time.monotonic() > deadline:
                raise HarnessError("login as %s: %r" % (user, r))
            time.sleep(0.1)


class Conn:
    """A strict POP3 client with its own buffer, so that nothing past the
    STLS reply is read in the clear, and a timeout on every read."""

    def __init__(self, port, ctx=None, timeout=TIMEOUT, rcvbuf=None,
                 greeting=True):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(timeout)
        s.connect(("127.0.0.1", port))
        if ctx is not None:
            s = ctx.wrap_socket(s, server_hostname="localhost")
        self.sock = s
        self.buf = b""
        self.greeting = self.line() if greeting else None
        if greeting and not self.greeting.startswith(b"+OK"):
            raise HarnessError("bad greeting %r" % self.greeting)

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise HarnessError("connection closed by server")
        self.buf += data

    def line(self, limit=1 << 20):
        while b"\r\n" not in self.buf:
            if len(self.buf) > limit:
                raise HarnessError("line longer than %d octets" % limit)
            try:
                self.fill()
            except socket.timeout:
                raise HarnessError("no complete line within %ss (have %r)"
                                   % (self.sock.gettimeout(), self.buf[:80]))
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def send(self, text):
        if isinstance(text, str):
            text = text.encode()
        self.sock.sendall(text + b"\r\n")

    def cmd(self, text, ok=True):
        """Sends TEXT; OK True: +OK wanted, False: -ERR, None: anything."""
        self.send(text)
        r = self.line()
        what = text.split(" ")[0] if isinstance(text, str) else "command"
        if ok is True and not r.startswith(b"+OK"):
            raise HarnessError("%s: %r" % (what, r))
        if ok is False and not r.startswith(b"-ERR"):
            raise HarnessError("%s should fail: %r" % (what, r))
        return r

    def body(self):
        """The rest of a multi-line reply, un-stuffed, each line + CRLF."""
        out = []
        while True:
            raw = self.line()
            if raw == b".":
                return b"".join(out)
            if raw.startswith(b"."):
                raw = raw[1:]
            out.append(raw + b"\r\n")

    def multi(self, text):
        self.cmd(text)
        return self.body()

    def capa(self):
        """CAPA as {TAG: [params]}, checking the RFC 2449 §9 syntax."""
        r = self.cmd("CAPA", ok=None)
        check(r.startswith(b"+OK"), "CAPA: %r" % r)
        tags = {}
        for raw in self.body().split(b"\r\n")[:-1]:
            check(CAPA_LINE_RE.match(raw) and len(raw) <= 510,
                  "CAPA line breaks RFC 2449 §9 syntax: %r" % raw)
            words = raw.decode().split(" ")
            check(words[0].upper() not in tags, "CAPA lists %s twice"
                  % words[0])
            tags[words[0].upper()] = words[1:]
        return tags

    def stls(self, ctx):
        r = self.cmd("STLS", ok=None)
        check(r == STLS_OK, "STLS reply %r, want %r" % (r, STLS_OK))
        check(self.buf == b"", "octets after the STLS reply in the clear: %r"
              % self.buf)
        self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")

    def stat(self):
        r = self.cmd("STAT")
        m = re.match(rb"^\+OK (\d+) (\d+)", r)
        check(m, "STAT syntax: %r" % r)
        return int(m.group(1)), int(m.group(2))

    def uidl(self):
        return [l.split(b" ", 1)[1].decode()
                for l in self.multi("UIDL").split(b"\r\n") if l]

    def quit(self):
        r = self.cmd("QUIT")
        self.close()
        return r

    def eof(self, wait=5):
        """True when the server closes the connection within WAIT s."""
        self.sock.settimeout(wait)
        try:
            return self.sock.recv(1) == b""
        except (socket.timeout, OSError):
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# -- SASL clients (RFC 4616, RFC 2195, RFC 5802 / 7677, and LOGIN) -------

def challenge(c, line):
    """The decoded data of an RFC 5034 continuation line '+ BASE64'."""
    check(line.startswith(b"+ ") or line == b"+ ",
          "expected a '+ ' challenge, got %r" % line)
    data = line[2:]
    check(re.match(rb"^[A-Za-z0-9+/]*={0,2}$", data),
          "challenge is not bare base64 (RFC 5034 §4): %r" % line)
    return base64.b64decode(data, validate=True)


def auth_plain(c, user, password, authzid="", initial=True):
    msg = b64("%s\0%s\0%s" % (authzid, user, password))
    if initial:
        return c.cmd("AUTH PLAIN " + msg, ok=None)
    r = c.cmd("AUTH PLAIN", ok=None)
    check(r == b"+ ", "AUTH PLAIN without initial response: the empty "
          "challenge is exactly '+ ' (RFC 5034 §4), got %r" % r)
    return c.cmd(msg, ok=None)


def auth_login(c, user, password):
    r = c.cmd("AUTH LOGIN", ok=None)
    challenge(c, r)
    r = c.cmd(b64(user), ok=None)
    challenge(c, r)
    return c.cmd(b64(password), ok=None)


def auth_cram(c, user, password):
    r = c.cmd("AUTH CRAM-MD5", ok=None)
    chal = challenge(c, r)
    # RFC 2195: the challenge is a msg-id, "<...@...>".
    check(re.match(rb"^<[^<>]+>$", chal), "CRAM-MD5 challenge %r" % chal)
    digest = hmac.new(password.encode(), chal, "md5").hexdigest()
    return c.cmd(b64("%s %s" % (user, digest)), ok=None)


def saslname(name):
    return name.replace("=", "=3D").replace(",", "=2C")


def auth_scram(c, mech, user, password, authzid=None, initial=False,
               tamper=False):
    """A full SCRAM exchange; returns the final reply.  The server's
    signature is verified; a wrong one is a failure of the test."""
    hname = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256"}[mech]
    cnonce = b64(os.urandom(18))
    gs2 = "n,%s," % ("a=" + saslname(authzid) if authzid else "")
    first_bare = "n=%s,r=%s" % (saslname(user), cnonce)
    if initial:
        r = c.cmd("AUTH %s %s" % (mech, b64(gs2 + first_bare)), ok=None)
    else:
        r = c.cmd("AUTH " + mech, ok=None)
        check(r == b"+ ", "AUTH %s: empty challenge must be exactly '+ ', "
              "got %r" % (mech, r))
        r = c.cmd(b64(gs2 + first_bare), ok=None)
    if r.startswith(b"-ERR"):
        return r
    server_first = challenge(c, r).decode()
    attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
    check(attrs.get("r", "").startswith(cnonce) and
          len(attrs["r"]) > len(cnonce),
          "server nonce does not extend ours: %r" % server_first)
    salt = base64.b64decode(attrs["s"], validate=True)
    iters = int(attrs["i"])
    check(iters >= 1, "iteration count %r" % iters)
    client_key, stored_key, server_key = scram_keys(hname, password, salt,
                                                   iters)
    without_proof = "c=%s,r=%s" % (b64(gs2), attrs["r"])
    auth_msg = ",".join([first_bare, server_first, without_proof]).encode()
    sig = hmac.new(stored_key, auth_msg, hname).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, sig))
    if tamper:
        proof = bytes([proof[0] ^ 1]) + proof[1:]
    r = c.cmd(b64(without_proof + ",p=" + b64(proof)), ok=None)
    if r.startswith(b"-ERR"):
        return r
    # RFC 5034 §4 / RFC 4422 §3: additional data with success comes as a
    # challenge, answered by an empty response.
    final = challenge(c, r).decode()
    want = "v=" + b64(hmac.new(server_key, auth_msg, hname).digest())
    check(final == want, "server signature %r, expected %r" % (final, want))
    return c.cmd("", ok=None)


def sasl_login(c, mech, user, password, **kw):
    if mech == "PLAIN":
        return auth_plain(c, user, password, **kw)
    if mech == "LOGIN":
        return auth_login(c, user, password)
    if mech == "CRAM-MD5":
        return auth_cram(c, user, password)
    return auth_scram(c, mech, user, password, **kw)


# -- helpers -------------------------------------------------------------

def require_tags(tags, want, where):
    missing = [t for t in want if t not in tags]
    check(not missing, "%s: CAPA lacks %s (has %s)"
          % (where, ", ".join(missing), " ".join(sorted(tags))))


BASE_TAGS = ["TOP", "USER", "UIDL", "SASL", "RESP-CODES", "AUTH-RESP-CODE",
             "PIPELINING", "EXPIRE", "IMPLEMENTATION", "UTF8", "LANG"]


def check_common_tags(tags, where, transaction):
    require_tags(tags, BASE_TAGS, where)
    for t in ("TOP", "USER", "UIDL", "RESP-CODES", "AUTH-RESP-CODE",
              "PIPELINING", "LANG"):
        check(tags[t] == [], "%s: %s takes no argument: %r"
              % (where, t, tags[t]))
    check(sorted(m.upper() for m in tags["SASL"]) == sorted(MECHS),
          "%s: SASL %r, want the five mechanisms %s"
          % (where, tags["SASL"], MECHS))
    check(tags["IMPLEMENTATION"], "%s: IMPLEMENTATION without text" % where)
    check(tags["UTF8"] in ([], ["USER"]), "%s: UTF8 %r" % (where,
                                                          tags["UTF8"]))
    want = ["NEVER"] if transaction else (["NEVER"], ["NEVER", "USER"])
    check(tags["EXPIRE"] == want if transaction else tags["EXPIRE"] in want,
          "%s: EXPIRE %r with the default policy" % (where, tags["EXPIRE"]))
    check("LOGIN-DELAY" not in tags, "%s: LOGIN-DELAY %r without "
          "--login-delay" % (where, tags.get("LOGIN-DELAY")))


def same_list(got, want, what):
    if len(got) != len(want):
        raise HarnessError("%s: %d items, expected %d" % (what, len(got),
                                                           len(want)))
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            k = next((j for j in range(min(len(g), len(w)))
                      if g[j] != w[j]), min(len(g), len(w)))
            raise HarnessError("%s: item %d differs at octet %d: expected "
                               "%r got %r" % (what, i + 1, k,
                                              w[max(0, k - 30):k + 30],
                                              g[max(0, k - 30):k + 30]))


def retr_all(c, n):
    return [c.multi("RETR %d" % i) for i in range(1, n + 1)]


def still_authorization(c, srv, user="alice"):
    """After a failed or cancelled AUTH the session must still be in
    AUTHORIZATION: USER/PASS works."""
    c.cmd("USER " + user)
    r = c.cmd("PASS " + srv.users[user], ok=None)
    # [IN-USE]: the credentials were taken, an earlier session of this
    # check still holds the maildrop; either way USER/PASS was accepted.
    check(r.startswith(b"+OK") or r.startswith(b"-ERR [IN-USE]"),
          "USER/PASS after the failed AUTH: %r" % r)


def until_free(attempt, timeout=5.0):
    """ATTEMPT() -> (conn, reply to the login), again while the reply is
    [IN-USE]: the previous session of the check may not have let go of
    the maildrop yet when its QUIT reply arrives."""
    deadline = time.monotonic() + timeout
    while True:
        c, r = attempt()
        if not r.startswith(b"-ERR [IN-USE]") or \
                time.monotonic() > deadline:
            return c, r
        c.close()
        time.sleep(0.1)


def assert_auth_fail(r, what):
    check(r.startswith(b"-ERR [AUTH]"), "%s: want -ERR [AUTH], got %r"
          % (what, r))


# -- CAPA ----------------------------------------------------------------

@test
def capa_authorization(a):
    """RFC 2449 §5/§6, RFC 3206 §6, RFC 2595 §4, RFC 6856 §2/§3."""
    with a.server() as srv:
        c = srv.connect()
        tags = c.capa()
        check_common_tags(tags, "AUTHORIZATION", False)
        check(tags.get("STLS") == [], "STLS missing with a certificate: %r"
              % sorted(tags))
        c.quit()
        return srv.stop()


@test
def capa_transaction(a):
    """RFC 2449 §5: what AUTHORIZATION announces, TRANSACTION announces."""
    with a.server() as srv:
        c = srv.login()
        tags = c.capa()
        check_common_tags(tags, "TRANSACTION", True)
        c.quit()
        return srv.stop()


@test
def capa_after_stls(a):
    """RFC 2595 §4: no STLS once TLS is active; the rest stays."""
    with a.server() as srv:
        c = srv.connect()
        c.stls(srv.ctx())
        tags = c.capa()
        check_common_tags(tags, "AUTHORIZATION after STLS", False)
        check("STLS" not in tags, "STLS still announced under TLS")
        c.quit()
        return srv.stop()


@test
def capa_pop3s(a):
    """RFC 8314: on implicit TLS there is nothing to STLS to."""
    with a.server(listens=("pop3", "pop3s")) as srv:
        c = srv.connect("pop3s")
        tags = c.capa()
        check_common_tags(tags, "pop3s AUTHORIZATION", False)
        check("STLS" not in tags, "STLS announced on pop3s")
        c.cmd("STLS", ok=False)
        c.cmd("NOOP", ok=False)     # still AUTHORIZATION, still talking
        c.quit()
        return srv.stop()


@test
def capa_plaintext_tls(a):
    """plaintext-auth=tls: no USER, PLAIN or LOGIN until TLS is active."""
    with a.server(listens=("pop3,plaintext-auth=tls",)) as srv:
        c = srv.connect()
        tags = c.capa()
        check("USER" not in tags, "USER announced before STLS")
        sasl = [m.upper() for m in tags.get("SASL", [])]
        check("PLAIN" not in sasl and "LOGIN" not in sasl,
              "SASL %r before STLS" % sasl)
        check("SCRAM-SHA-256" in sasl and "SCRAM-SHA-1" in sasl and
              "CRAM-MD5" in sasl, "SASL %r lacks the hashed mechanisms"
              % sasl)
        check("STLS" in tags, "no STLS on a plaintext-auth=tls listener")
        c.stls(srv.ctx())
        tags = c.capa()
        check_common_tags(tags, "after STLS", False)
        c.quit()
        return srv.stop()


@test
def capa_no_cert(a):
    """Without a certificate STLS is neither announced nor accepted."""
    with a.server(tls=False) as srv:
        c = srv.connect()
        tags = c.capa()
        require_tags(tags, BASE_TAGS, "no certificate")
        check("STLS" not in tags, "STLS announced without a certificate")
        c.cmd("STLS", ok=False)
        still_authorization(c, srv)
        c.quit()
        return srv.stop()


# -- PIPELINING ----------------------------------------------------------

MULTI = ("RETR", "TOP", "CAPA")


def is_multi(cmd):
    words = cmd.split()
    k = words[0].upper()
    return k in MULTI or (k in ("LIST", "UIDL") and len(words) == 1)


def read_reply(c, cmd):
    """One reply to CMD as raw octets (multi-line when it is one)."""
    first = c.line()
    raw = first + b"\r\n"
    if first.startswith(b"+OK") and is_multi(cmd):
        while True:
            line = c.line()
            raw += line + b"\r\n"
            if line == b".":
                break
    return raw


def pipeline_script(n):
    body = []
    i = 0
    while len(body) < 97:
        k = i % n + 1
        body += ["STAT", "LIST %d" % k, "UIDL %d" % k, "NOOP",
                 "RETR %d" % k, "TOP %d 1" % k, "LIST", "UIDL"]
        i += 1
    return ["USER alice", "PASS secret"] + body[:97] + ["QUIT"]


@test
def pipelining_100(a):
    """RFC 2449 §6.6: 100 commands in one write, replies complete and in
    order, the same as the same commands one at a time."""
    with a.server(listens=("pop3",), tls=False) as srv:
        n = len(srv.wire("basic"))
        script = pipeline_script(n)
        check(len(script) == 100, "script has %d commands" % len(script))
        c = srv.connect()
        c.sock.sendall("".join(s + "\r\n" for s in script).encode())
        piped = [read_reply(c, s) for s in script]
        check(c.buf == b"" and c.eof(), "more after the QUIT reply: %r"
              % c.buf[:80])
        c.close()
        bad = [(s, r) for s, r in zip(script, piped)
               if not r.startswith(b"+OK")]
        check(not bad, "pipelined commands failed: %r" % bad[:3])
        # The same commands one at a time (the login retried while the
        # first session lets go of the maildrop).
        c = srv.login()
        single = []
        for s in script[2:]:
            c.send(s)
            single.append(read_reply(c, s))
        check(c.eof(), "connection not closed after QUIT")
        c.close()
        same_list(piped[2:], single, "pipelined vs one at a time")
        return srv.stop()


def big_message(size):
    lines = [b"From: Big <big@example.org>", b"To: alice@example.org",
             b"Subject: pipelining back-pressure",
             b"Message-ID: <big@polypop.test>", b""]
    i, total = 0, 0
    while total < size:
        if i % 50 == 7:
            line = b"." * (i % 3 + 1) + b" dot line %d" % i
        elif i % 97 == 3:
            line = b"From the middle, line %d" % i
        else:
            line = (b"line %07d " % i) + bytes(
                0x41 + (i + j) % 26 for j in range(60 + i % 17))
        lines.append(line)
        total += len(line) + 2
        i += 1
    return b"\r\n".join(lines) + b"\r\n"


@test
def pipelining_backpressure(a):
    """A pipelined burst of RETRs (> 1 MiB of replies) while the client
    reads nothing for a while: nothing lost, nothing reordered."""
    with a.server(listens=("pop3",), tls=False) as srv:
        wire = srv.wire("basic")
        big = big_message(512 * 1024)
        srv.deliver("alice", big)
        # Which number the big one has, and every message's octets.
        c = srv.login()
        msgs = retr_all(c, c.stat()[0])
        c.quit()
        check(big in msgs and len(msgs) == len(wire) + 1,
              "the delivered message is not in the maildrop as sent")
        n = msgs.index(big) + 1
        script = ["USER alice", "PASS secret"]
        for r in range(6):
            script += ["RETR %d" % n, "UIDL %d" % n, "RETR %d" % (r % 3 + 1),
                       "NOOP", "LIST %d" % n]
        script.append("QUIT")
        deadline = time.monotonic() + 5
        while True:
            c = srv.connect(rcvbuf=32768, timeout=20)
            c.sock.sendall("".join(s + "\r\n" for s in script).encode())
            time.sleep(2.0)      # the server must wait for us, not drop
            replies = [read_reply(c, s) for s in script]
            check(c.eof(), "connection not closed after QUIT")
            c.close()
            # The first session may still hold the maildrop: again.
            if not replies[1].startswith(b"-ERR [IN-USE]") or \
                    time.monotonic() > deadline:
                break
        total = 0
        for s, r in zip(script, replies):
            check(r.startswith(b"+OK"), "%s: %r" % (s, r[:80]))
            if s.startswith("RETR"):
                k = int(s.split()[1])
                body = r.split(b"\r\n", 1)[1][:-3]
                got = b"".join(l[1:] if l.startswith(b".") else l
                               for l in body.splitlines(True))
                same_list([got], [msgs[k - 1]], s)
                total += len(r)
        check(total > 1 << 20, "only %d octets of RETR replies" % total)
        return srv.stop()


# -- STLS and pop3s ------------------------------------------------------

@test
def stls_login_retr(a):
    """RFC 2595 §4: +OK Begin TLS negotiation, then login and RETR under
    TLS, byte for byte; no new greeting after the handshake."""
    with a.server() as srv:
        wire = srv.wire("basic")
        c = srv.connect()
        c.stls(srv.ctx())
        check(c.sock.version() is not None, "no TLS session")
        c.cmd("USER alice")
        c.cmd("PASS secret")
        check(c.stat()[0] == len(wire), "STAT under TLS")
        same_list(retr_all(c, len(wire)), wire, "RETR under STLS")
        c.quit()
        return srv.stop()


@test
def stls_injection_noop(a):
    """RFC 2595 §4 / CVE-2011-0411: a command sent with STLS in one write
    is discarded, not answered after the handshake."""
    with a.server() as srv:
        c = srv.connect()
        c.sock.sendall(b"STLS\r\nNOOP\r\n")
        r = c.line()
        check(r == STLS_OK, "STLS reply %r" % r)
        time.sleep(0.3)
        rd, _, _ = select.select([c.sock], [], [], 0)
        check(not c.buf and not rd, "the server sent more in the clear "
              "after the STLS reply")
        c.sock = srv.ctx().wrap_socket(c.sock, server_hostname="localhost")
        c.send("CAPA")
        first = c.line()
        check(first.startswith(b"+OK"), "first reply under TLS: %r" % first)
        lines = c.body().split(b"\r\n")[:-1]
        check(lines and all(CAPA_LINE_RE.match(l) and
                            not l.startswith((b"+OK", b"-ERR"))
                            for l in lines),
              "first reply under TLS is not CAPA's: %r" % lines[:3])
        c.cmd("NOOP", ok=False)         # AUTHORIZATION: NOOP is refused
        check(c.buf == b"", "extra octets under TLS: %r" % c.buf)
        c.quit()
        return srv.stop()


@test
def stls_injection_user(a):
    """A USER smuggled in with STLS must not count: PASS after the
    handshake has no USER to go with."""
    with a.server() as srv:
        c = srv.connect()
        c.sock.sendall(b"STLS\r\nUSER alice\r\n")
        r = c.line()
        check(r == STLS_OK, "STLS reply %r" % r)
        c.sock = srv.ctx().wrap_socket(c.sock, server_hostname="localhost")
        r = c.cmd("PASS secret", ok=None)
        check(r.startswith(b"-ERR"), "PASS after an injected USER: %r" % r)
        still_authorization(c, srv)
        c.quit()
        return srv.stop()


@test
def stls_in_transaction(a):
    """RFC 2595 §4: STLS only in AUTHORIZATION."""
    with a.server() as srv:
        c = srv.login()
        c.cmd("STLS", ok=False)
        c.stat()                        # still plain text, still working
        c.quit()
        return srv.stop()


@test
def stls_twice(a):
    """RFC 2595 §4: -ERR when TLS is already active."""
    with a.server() as srv:
        c = srv.connect()
        c.stls(srv.ctx())
        c.cmd("STLS", ok=False)
        still_authorization(c, srv)
        c.quit()
        return srv.stop()


@test
def pop3s_retr(a):
    """RFC 8314 §3: greeting under TLS, login, RETR byte for byte."""
    with a.server(listens=("pop3", "pop3s")) as srv:
        wire = srv.wire("basic")
        c = srv.connect("pop3s")
        check(c.sock.version() is not None, "no TLS session")
        c.cmd("USER alice")
        c.cmd("PASS secret")
        same_list(retr_all(c, len(wire)), wire, "RETR over pop3s")
        c.quit()
        return srv.stop()


@test
def pop3s_profile_refused(a):
    """pop3s/PROFILE is refused at start-up: historic revisions had no
    TLS (BRIEF contract)."""
    with a.new_server(cls=ExtServer, start=False,
                      listens=("pop3s/rfc1939",)) as srv:
        try:
            r = subprocess.run(srv.argv(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=10,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise HarnessError("polypopd with pop3s/rfc1939 still running "
                               "after 10 s")
        check(r.returncode != 0, "pop3s/rfc1939 accepted (exit 0)")
        check(b"listening" not in r.stdout, "listened: %r" % r.stdout)
        check(r.stderr.strip(), "no error message")
    return []


# -- SASL ----------------------------------------------------------------

def mech_name(mech):
    return mech.lower().replace("-", "_")


def make_sasl_tests(mech):
    short = mech_name(mech)

    def ok(a):
        with a.server() as srv:
            wire = srv.wire("basic")
            c = srv.connect()
            r = sasl_login(c, mech, "alice", "secret")
            check(r.startswith(b"+OK"), "AUTH %s: %r" % (mech, r))
            check(c.stat()[0] == len(wire), "STAT after AUTH")
            same_list([c.multi("RETR 1")], wire[:1], "RETR after AUTH")
            # RFC 5034 §4: no second AUTH after a successful one.
            c.cmd("AUTH PLAIN " + b64("\0alice\0secret"), ok=False)
            c.quit()
            return srv.stop()

    def wrong(a):
        with a.server() as srv:
            c = srv.connect()
            if mech.startswith("SCRAM"):
                r = sasl_login(c, mech, "alice", "wrong-password")
                assert_auth_fail(r, "AUTH %s, wrong password" % mech)
                r = auth_scram(c, mech, "alice", "secret", tamper=True)
                assert_auth_fail(r, "AUTH %s, tampered proof" % mech)
                # A third failure on one connection may close it (RFC
                # 1939 §4 "the server may close"; polypop does after
                # three): the unknown user gets a connection of its own.
                c.quit()
                c = srv.connect()
            else:
                r = sasl_login(c, mech, "alice", "wrong-password")
                assert_auth_fail(r, "AUTH %s, wrong password" % mech)
            r = sasl_login(c, mech, "nobody", "secret")
            assert_auth_fail(r, "AUTH %s, unknown user" % mech)
            still_authorization(c, srv)
            c.quit()
            return srv.stop()

    def cancel(a):
        with a.server() as srv:
            c = srv.connect()
            r = c.cmd("AUTH " + mech, ok=None)
            challenge(c, r)
            r = c.cmd("*", ok=None)
            check(r.startswith(b"-ERR"), "'*' cancel: %r" % r)
            if mech.startswith("SCRAM") or mech == "LOGIN":
                # Cancel in the middle of the exchange too.
                r = c.cmd("AUTH " + mech, ok=None)
                challenge(c, r)
                first = "n,,n=alice,r=abcdefgh" if mech != "LOGIN" \
                    else "alice"
                r = c.cmd(b64(first), ok=None)
                challenge(c, r)
                r = c.cmd("*", ok=None)
                check(r.startswith(b"-ERR"), "'*' second step: %r" % r)
            still_authorization(c, srv)
            c.quit()
            return srv.stop()

    def badb64(a):
        with a.server() as srv:
            c = srv.connect()
            # RFC 5034 §4: characters outside the alphabet, and '=' that
            # is not at the end, are rejected, not ignored.
            for bad in ("!!!!", "=AAA", "AAA=BBBB", "YWxp Y2U="):
                r = c.cmd("AUTH " + mech, ok=None)
                challenge(c, r)
                r = c.cmd(bad, ok=None)
                check(r.startswith(b"-ERR"), "response %r: %r" % (bad, r))
            still_authorization(c, srv)
            c.quit()
            return srv.stop()

    tests = [ok, wrong, cancel, badb64]
    for fn in tests:
        fn.__name__ = "sasl_%s_%s" % (short, fn.__name__)
        fn.__doc__ = "AUTH %s: %s" % (mech, fn.__name__)
    return tests


for _m in MECHS:
    for _fn in make_sasl_tests(_m):
        test(_fn)


@test
def sasl_initial_response(a):
    """RFC 5034 §4: initial responses for PLAIN and SCRAM save a round
    trip; '=' is an empty one; a server-first mechanism refuses one."""
    with a.server() as srv:
        c = srv.connect()
        r = auth_plain(c, "alice", "secret", initial=True)
        check(r.startswith(b"+OK"), "AUTH PLAIN with initial: %r" % r)
        c.quit()
        for mech in ("SCRAM-SHA-1", "SCRAM-SHA-256"):
            def attempt():
                c = srv.connect()
                return c, auth_scram(c, mech, "alice", "secret",
                                     initial=True)
            c, r = until_free(attempt)
            check(r.startswith(b"+OK"), "AUTH %s with initial: %r"
                  % (mech, r))
            c.quit()
        # "=": present but empty.  PLAIN cannot succeed on an empty
        # message, so the server either asks again with an empty
        # challenge or fails; it must not take '=' as bad base64 and
        # must still be usable afterwards.
        c = srv.connect()
        r = c.cmd("AUTH PLAIN =", ok=None)
        if r == b"+ ":
            r = c.cmd(b64("\0bob\0hunter2"), ok=None)
            check(r.startswith(b"+OK"), "PLAIN after '=': %r" % r)
        else:
            check(r.startswith(b"-ERR [AUTH]"),
                  "AUTH PLAIN =: want '+ ' or -ERR [AUTH], got %r" % r)
            still_authorization(c, srv, "bob")
        c.quit()
        # CRAM-MD5 is server-first: an initial response is refused.
        c = srv.connect()
        c.cmd("AUTH CRAM-MD5 " + b64("alice 0123"), ok=False)
        still_authorization(c, srv, "bob")
        c.quit()
        return srv.stop()


@test
def sasl_unknown_mechanism(a):
    """RFC 5034 §4: an unsupported mechanism gets -ERR."""
    with a.server() as srv:
        c = srv.connect()
        for m in ("X-NO-SUCH-MECH", "GSSAPI", "SCRAM-SHA-512", "PLAIN-X"):
            r = c.cmd("AUTH " + m, ok=None)
            check(r.startswith(b"-ERR"), "AUTH %s: %r" % (m, r))
        r = c.cmd("AUTH X-NO-SUCH " + b64("abc"), ok=None)
        check(r.startswith(b"-ERR"), "AUTH X-NO-SUCH with data: %r" % r)
        still_authorization(c, srv)
        c.quit()
        return srv.stop()


@test
def sasl_bad_initial_b64(a):
    """RFC 5034 §4: an initial response that is not base64 gets -ERR."""
    with a.server() as srv:
        c = srv.connect()
        for bad in ("@@@@", "=AAA", "AGFsaWNl=AHNlY3JldA"):
            r = c.cmd("AUTH PLAIN " + bad, ok=None)
            check(r.startswith(b"-ERR"), "AUTH PLAIN %s: %r" % (bad, r))
        still_authorization(c, srv)
        c.quit()
        return srv.stop()


@test
def sasl_long_response(a):
    """RFC 5034 §4: responses after a challenge may exceed 255 octets; a
    long wrong one is an authentication failure, not a line error."""
    with a.server() as srv:
        c = srv.connect()
        r = auth_plain(c, "alice", "x" * 1500, initial=False)
        assert_auth_fail(r, "long PLAIN response")
        r = auth_plain(c, "alice", "secret", initial=False)
        check(r.startswith(b"+OK"), "PLAIN after the long one: %r" % r)
        c.quit()
        return srv.stop()


@test
def sasl_trace_explained(a):
    """--trace masks every SASL response, cites RFC 5034 §4 for it, and
    `polypopd explain` reads the trace of AUTH exchanges (an initial
    response, a two-step LOGIN, a cancellation) without a flag."""
    trace = tempfile.mkdtemp(prefix="ext-trace-")
    try:
        with a.server(tls=False, extra=["--trace", trace]) as srv:
            c = srv.connect()
            c.cmd("AUTH LOGIN", ok=None)
            c.cmd("*", ok=False)
            r = auth_login(c, "alice", "secret")
            check(r.startswith(b"+OK"), "AUTH LOGIN: %r" % r)
            c.quit()
            c = srv.connect()
            r = auth_plain(c, "alice", "secret", initial=True)
            check(r.startswith(b"+OK"), "AUTH PLAIN: %r" % r)
            c.quit()
            rc = srv.stop()
        files = sorted(os.listdir(trace))
        check(len(files) == 2, "%d trace files" % len(files))
        every = b""
        for name in files:
            path = os.path.join(trace, name)
            with open(path, "rb") as f:
                text = f.read()
            every += text
            for secret in (b64("alice"), b64("secret"),
                           b64("\0alice\0secret")):
                check(secret.encode() not in text,
                      "%s shows SASL data %s" % (name, secret))
            r = subprocess.run([a.ns.polypopd, "explain", path],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=30)
            out = r.stdout.decode(errors="replace")
            check(r.returncode == 0 and " 0 flagged" in out,
                  "explain %s: exit %d\n%s" % (name, r.returncode, out))
        check(b"AUTH: RFC 5034 \xc2\xa74, the client's response" in every,
              "no RFC 5034 citation for a response")
        return rc
    finally:
        shutil.rmtree(trace, ignore_errors=True)


@test
def sasl_authzid(a):
    """RFC 4616 / RFC 5802: an authorization identity other than the
    authentication identity is refused; the same one is accepted."""
    with a.server() as srv:
        c = srv.connect()
        r = auth_plain(c, "alice", "secret", authzid="bob")
        check(r.startswith(b"-ERR"), "PLAIN alice as bob: %r" % r)
        r = auth_scram(c, "SCRAM-SHA-256", "alice", "secret", authzid="bob")
        check(r.startswith(b"-ERR"), "SCRAM alice as bob: %r" % r)
        r = auth_plain(c, "alice", "secret", authzid="alice")
        check(r.startswith(b"+OK"), "PLAIN alice as alice: %r" % r)
        c.quit()
        return srv.stop()


@test
def sasl_stored_scram256(a):
    """A {SCRAM-SHA-256} secret: SCRAM-SHA-256 works, mechanisms that
    need another secret fail, USER/PASS with the password works."""
    with a.server() as srv:
        pw = EXTRA_USERS[SAM][1]
        c = srv.connect()
        r = auth_cram(c, SAM, pw)
        check(r.startswith(b"-ERR"), "CRAM-MD5 on a SCRAM secret: %r" % r)
        r = auth_scram(c, "SCRAM-SHA-1", SAM, pw)
        check(r.startswith(b"-ERR"), "SCRAM-SHA-1 on a SCRAM-SHA-256 "
              "secret: %r" % r)
        # Two failures so far; a third may close the connection.
        c.quit()
        c = srv.connect()
        r = auth_scram(c, "SCRAM-SHA-256", SAM, "wrong")
        assert_auth_fail(r, "SCRAM-SHA-256, wrong password")
        r = auth_scram(c, "SCRAM-SHA-256", SAM, pw)
        check(r.startswith(b"+OK"), "SCRAM-SHA-256: %r" % r)
        check(c.stat()[0] == 3, "STAT")
        c.quit()
        return srv.stop()


@test
def sasl_stored_scram1(a):
    """A {SCRAM-SHA-1} secret with SCRAM-SHA-1."""
    with a.server() as srv:
        pw = EXTRA_USERS[SID][1]
        c = srv.connect()
        r = auth_scram(c, "SCRAM-SHA-1", SID, pw)
        check(r.startswith(b"+OK"), "SCRAM-SHA-1: %r" % r)
        c.quit()
        return srv.stop()


@test
def sasl_stored_cram(a):
    """A {CRAM-MD5} secret (Dovecot's HMAC context) with CRAM-MD5."""
    if shutil.which("doveadm") is None:
        raise Skip("no doveadm to make a {CRAM-MD5} secret")
    with a.server() as srv:
        pw = EXTRA_USERS[CARL][1]
        c = srv.connect()
        r = auth_cram(c, CARL, "wrong")
        assert_auth_fail(r, "CRAM-MD5, wrong password")
        r = auth_cram(c, CARL, pw)
        check(r.startswith(b"+OK"), "CRAM-MD5 on a {CRAM-MD5} secret: %r"
              % r)
        c.quit()
        return srv.stop()


# -- plaintext-auth=tls --------------------------------------------------

@test
def plaintext_tls_only(a):
    """plaintext-auth=tls: USER and PLAIN/LOGIN refused in the clear
    (-ERR [AUTH]), SCRAM allowed; after STLS USER/PASS works."""
    with a.server(listens=("pop3,plaintext-auth=tls",)) as srv:
        c = srv.connect()
        r = c.cmd("USER alice", ok=None)
        check(r.startswith(b"-ERR [AUTH]"), "USER in the clear: %r" % r)
        r = c.cmd("PASS secret", ok=None)
        check(r.startswith(b"-ERR"), "PASS in the clear: %r" % r)
        for m in ("PLAIN", "LOGIN"):
            r = c.cmd("AUTH " + m, ok=None)
            check(r.startswith(b"-ERR"), "AUTH %s in the clear: %r" % (m, r))
        r = c.cmd("AUTH PLAIN " + b64("\0alice\0secret"), ok=None)
        check(r.startswith(b"-ERR"), "AUTH PLAIN (initial) in the clear: %r"
              % r)
        r = auth_scram(c, "SCRAM-SHA-256", "alice", "secret")
        check(r.startswith(b"+OK"), "SCRAM-SHA-256 in the clear: %r" % r)
        c.quit()
        c = srv.connect()
        c.stls(srv.ctx())
        still_authorization(c, srv, "bob")
        c.quit()
        def attempt():
            c = srv.connect()
            c.stls(srv.ctx())
            return c, auth_plain(c, "bob", "hunter2")
        c, r = until_free(attempt)
        check(r.startswith(b"+OK"), "AUTH PLAIN under TLS: %r" % r)
        c.quit()
        return srv.stop()


# -- LOGIN-DELAY and EXPIRE ----------------------------------------------

@test
def login_delay(a):
    """RFC 2449 §6.5 / §8.1.1: LOGIN-DELAY 60 announced and enforced with
    [LOGIN-DELAY]; other users are not affected."""
    with a.server(tls=False, extra=["--login-delay", "60"]) as srv:
        c = srv.connect()
        tags = c.capa()
        check(tags.get("LOGIN-DELAY") in (["60"], ["60", "USER"]),
              "AUTHORIZATION LOGIN-DELAY %r" % tags.get("LOGIN-DELAY"))
        c.cmd("USER alice")
        c.cmd("PASS secret")
        tags = c.capa()
        check(tags.get("LOGIN-DELAY") == ["60"],
              "TRANSACTION LOGIN-DELAY %r" % tags.get("LOGIN-DELAY"))
        c.quit()
        deadline = time.monotonic() + 5
        while True:
            c = srv.connect()
            c.cmd("USER alice")
            r = c.cmd("PASS secret", ok=None)
            c.close()
            if not r.startswith(b"-ERR [IN-USE]") or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.1)
        check(r.startswith(b"-ERR [LOGIN-DELAY]"), "second login within "
              "60 s: %r" % r)
        c = srv.login("bob")
        c.quit()
        return srv.stop()


@test
def capa_no_login_delay(a):
    """LOGIN-DELAY is not announced with --login-delay 0."""
    with a.server(tls=False, extra=["--login-delay", "0"]) as srv:
        c = srv.connect()
        check("LOGIN-DELAY" not in c.capa(), "LOGIN-DELAY with 0")
        c.quit()
        c = srv.login()
        c.quit()
        c = srv.login()                 # a second login is fine
        c.quit()
        return srv.stop()


@test
def expire_0(a):
    """RFC 2449 §6.7 EXPIRE 0: a message downloaded with RETR is gone
    after QUIT; TOP is not a download; a dropped session deletes none."""
    with a.server(tls=False, extra=["--expire", "0"]) as srv:
        c = srv.login()
        tags = c.capa()
        check(tags.get("EXPIRE") == ["0"], "EXPIRE %r" % tags.get("EXPIRE"))
        uids = c.uidl()
        check(len(uids) == 3, "UIDL %r" % uids)
        c.multi("RETR 1")
        c.multi("TOP 2 0")
        c.quit()
        c = srv.login()
        check(c.uidl() == uids[1:], "after RETR 1 and QUIT: %r" % c.uidl())
        # No QUIT: no UPDATE state, nothing deleted (RFC 1939 §6).
        c.multi("RETR 1")
        c.close()
        c = srv.login()
        check(c.uidl() == uids[1:], "after a dropped session: %r"
              % c.uidl())
        c.quit()
        return srv.stop()


@test
def expire_never(a):
    """The default policy is EXPIRE NEVER: RETR and QUIT keep mail."""
    with a.server(tls=False) as srv:
        c = srv.login()
        uids = c.uidl()
        c.multi("RETR 1")
        c.quit()
        c = srv.login()
        check(c.uidl() == uids, "after RETR 1 and QUIT: %r" % c.uidl())
        c.quit()
        return srv.stop()


OLD_MSG = (b"From: Old <old@example.org>\nTo: alice@example.org\n"
           b"Subject: forty days old\nMessage-ID: <old@polypop.test>\n\n"
           b"Expired.\n")
UNDATED_MSG = (b"From: Undated <undated@example.org>\nTo: alice@example.org\n"
               b"Subject: no date\nMessage-ID: <undated@polypop.test>\n\n"
               b"Kept: an unknown arrival is not an old one.\n")
NEW_MSG = (b"From: New <new@example.org>\nTo: alice@example.org\n"
           b"Subject: today\nMessage-ID: <new@polypop.test>\n\n"
           b"Kept.\n")


def age_message(srv, token, days):
    """Makes the message holding TOKEN DAYS days old, and every other
    message of alice's one day old (the mbox fixture's From_ lines carry
    a fixed 2024 date); in an mbox, the one holding <undated@...> gets a
    From_ line without a date."""
    old = time.time() - days * 86400
    recent = time.time() - 86400
    path = srv.mailbox_path("alice")
    if srv.store == "maildir":
        found = 0
        for sub in ("new", "cur"):
            for name in os.listdir(os.path.join(path, sub)):
                p = os.path.join(path, sub, name)
                with open(p, "rb") as f:
                    mine = token in f.read()
                found += mine
                t = old if mine else recent
                os.utime(p, (t, t))
        check(found == 1, "%d files hold %r" % (found, token))
        return
    with open(path, "rb") as f:
        data = f.read()
    parts = re.split(rb"(?m)^(From [^\n]*\n)", data)
    out, found = [parts[0]], 0
    for i in range(1, len(parts), 2):
        mine = token in parts[i + 1]
        found += mine
        stamp = time.strftime("%a %b %e %H:%M:%S %Y",
                              time.gmtime(old if mine else recent))
        if b"<undated@polypop.test>" in parts[i + 1]:
            stamp = "sometime"
        out.append(b"From ager@polypop.test " + stamp.encode() + b"\n")
        out.append(parts[i + 1])
    check(found == 1, "%d messages hold %r" % (found, token))
    with open(path, "wb") as f:
        f.write(b"".join(out))


@test
def expire_30(a):
    """EXPIRE 30: a message that arrived 40 days ago (Maildir mtime, mbox
    From_ date) is gone after a QUIT; recent ones, and an mbox message
    whose From_ line has no date, are kept."""
    with a.server(tls=False, extra=["--expire", "30"]) as srv:
        srv.deliver("alice", OLD_MSG)
        srv.deliver("alice", NEW_MSG)
        want = 5
        if srv.store == "mbox":
            srv.deliver("alice", UNDATED_MSG)
            want += 1
        age_message(srv, b"<old@polypop.test>", 40)
        c = srv.login()
        tags = c.capa()
        check(tags.get("EXPIRE") == ["30"], "EXPIRE %r" % tags.get("EXPIRE"))
        n, _ = c.stat()
        check(n == want, "STAT before the commit: %d messages" % n)
        c.quit()
        c = srv.login()
        msgs = retr_all(c, c.stat()[0])
        c.quit()
        check(len(msgs) == want - 1, "%d messages after QUIT, want %d"
              % (len(msgs), want - 1))
        check(not any(b"<old@polypop.test>" in m for m in msgs),
              "the 40-day-old message is still there")
        check(any(b"<new@polypop.test>" in m for m in msgs),
              "the new message is gone")
        return srv.stop()


# -- response codes ------------------------------------------------------

@test
def in_use(a):
    """RFC 2449 §8.1.2: a second session for a locked maildrop gets
    -ERR [IN-USE]; the first one keeps working."""
    with a.server(tls=False) as srv:
        c1 = srv.login()
        c2 = srv.connect()
        c2.cmd("USER alice")
        r = c2.cmd("PASS secret", ok=None)
        check(r.startswith(b"-ERR [IN-USE]"), "second session: %r" % r)
        c2.close()
        c1.stat()
        c1.quit()
        return srv.stop()


def login_reply(srv):
    """PASS's reply for alice on a fresh connection."""
    c = srv.connect()
    c.cmd("USER alice")
    r = c.cmd("PASS secret", ok=None)
    c.close()
    return r


@test
def sys_codes(a):
    """RFC 3206 §4: a maildrop that cannot be opened gets [SYS/TEMP]
    when trying again later may help and [SYS/PERM] when it needs an
    administrator; either way the session stays in AUTHORIZATION and
    nothing is lost."""
    with a.server(tls=False) as srv:
        path = srv.mailbox_path("alice")
        if srv.store == "maildir":
            # cur/ is a file: an I/O failure, nothing permanent known.
            cur = os.path.join(path, "cur")
            os.rename(cur, cur + ".away")
            with open(cur, "wb") as f:
                f.write(b"not a directory\n")
            r = login_reply(srv)
            os.unlink(cur)
            os.rename(cur + ".away", cur)
            check(r.startswith(b"-ERR [SYS/TEMP]"), "cur/ a file: %r" % r)
        else:
            # The mbox is a directory: the open fails (EISDIR).
            os.rename(path, path + ".away")
            os.mkdir(path)
            r = login_reply(srv)
            os.rmdir(path)
            os.rename(path + ".away", path)
            check(r.startswith(b"-ERR [SYS/TEMP]"), "mbox a directory: %r"
                  % r)
            # A symbolic link is refused (O_NOFOLLOW): an administrator
            # must look at it, so [SYS/PERM].
            os.rename(path, path + ".away")
            os.symlink(path + ".away", path)
            r = login_reply(srv)
            os.unlink(path)
            os.rename(path + ".away", path)
            check(r.startswith(b"-ERR [SYS/PERM]"), "mbox a symlink: %r"
                  % r)
        # Repaired, the same user logs in and finds every message.
        c = srv.login()
        check(c.stat()[0] == len(srv.wire("basic")), "STAT after repair")
        c.quit()
        return srv.stop()


# -- UTF8 and LANG -------------------------------------------------------

@test
def utf8_login(a):
    """RFC 6856 §2: UTF8 gives +OK; a UTF-8 user name and password log
    in with USER/PASS."""
    with a.server(tls=False) as srv:
        c = srv.connect()
        c.cmd("UTF8")
        c.cmd("USER " + JUERGEN)
        c.cmd("PASS " + EXTRA_USERS[JUERGEN][1])
        check(c.stat()[0] == 3, "STAT")
        c.cmd("UTF8", ok=False)         # AUTHORIZATION only
        c.quit()
        return srv.stop()


@test
def lang(a):
    """RFC 6856 §3: LANG lists en and de; LANG de switches the text
    (the reply is '+OK de TEXT'); an unknown language gets -ERR."""
    with a.server(tls=False) as srv:
        c = srv.connect()
        r = c.cmd("LANG")
        listing = c.body().split(b"\r\n")[:-1]
        tags = [l.split(b" ", 1)[0] for l in listing]
        check(b"en" in tags and b"de" in tags, "LANG listing %r" % listing)
        for l in listing:
            l.decode("utf-8")
        c.cmd("USER alice")
        c.cmd("PASS secret")
        r_en = c.cmd("LANG en")
        check(re.match(rb"^\+OK en( |$)", r_en), "LANG en: %r" % r_en)
        err_en = c.cmd("RETR 99", ok=False)
        r_de = c.cmd("LANG de")
        check(re.match(rb"^\+OK de .", r_de), "LANG de: %r" % r_de)
        err_de = c.cmd("RETR 99", ok=False)
        err_de.decode("utf-8")
        check(err_de != err_en, "RETR 99 text unchanged by LANG de: %r"
              % err_de)
        check(r_de[7:] != r_en[7:], "LANG de text is the English one")
        r = c.cmd("LANG tlh", ok=None)
        check(r.startswith(b"-ERR"), "LANG tlh: %r" % r)
        check(c.cmd("RETR 99", ok=False) == err_de,
              "a failed LANG changed the language")
        c.quit()
        return srv.stop()


# -- historic profiles ---------------------------------------------------

@test
def historic_profiles(a):
    """pop3/rfc1939 and pop3/rfc1081 know none of the extensions, and a
    configured certificate does not add STLS to them."""
    with a.server(listens=("pop3/rfc1939", "pop3/rfc1081")) as srv:
        for name in ("pop3/rfc1939", "pop3/rfc1081"):
            c = srv.connect(name)
            for cmd in ("CAPA", "STLS", "UTF8", "LANG", "LANG de",
                        "AUTH PLAIN " + b64("\0alice\0secret"),
                        "AUTH SCRAM-SHA-256"):
                r = c.cmd(cmd, ok=None)
                check(r.startswith(b"-ERR"), "%s: %s gives %r"
                      % (name, cmd, r))
            c.cmd("USER alice")
            r = c.cmd("PASS secret", ok=None)
            deadline = time.monotonic() + 5
            while r.startswith(b"-ERR") and time.monotonic() < deadline:
                # The other listener's session may still hold the lock.
                c.close()
                time.sleep(0.1)
                c = srv.connect(name)
                c.cmd("USER alice")
                r = c.cmd("PASS secret", ok=None)
            check(r.startswith(b"+OK"), "%s: login %r" % (name, r))
            for cmd in ("CAPA", "STLS", "LANG"):
                c.cmd(cmd, ok=False)
            c.stat()
            c.quit()
        return srv.stop()


# -- runner --------------------------------------------------------------

class Args(common.SuiteArgs):
    def server(self, listens=("pop3",), tls=True, extra=()):
        return self.new_server(cls=ExtServer, listens=listens, tls=tls,
                               extra=extra)


def main():
    return common.run_tests(__doc__, TESTS, Args)


if __name__ == "__main__":
    sys.exit(main())

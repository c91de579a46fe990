#!/usr/bin/env python3
"""Real POP3 clients download the hard corpus over TLS and with SASL.

  clients_tls.py --polypopd PATH --conform PATH [--store maildir|mbox]
                 [--only GLOB] [--keep]

Each check starts a fresh polypopd with a throwaway certificate (EC
P-256, CN and subjectAltName localhost and 127.0.0.1, made by openssl) and
three listeners:
  pop3       --listen pop3@127.0.0.1:0             STLS offered
  pop3s      --listen pop3s@127.0.0.1:0            implicit TLS (RFC 8314)
  tls-only   --listen pop3@127.0.0.1:0,plaintext-auth=tls
             USER/PASS, PLAIN and LOGIN only after STLS
and two users, both holding the 'hard' fixture:
  alice  {PLAIN}secret                  any mechanism
  carol  {SCRAM-SHA-256}4096,SALT,...   Dovecot's format, computed here:
                                        SCRAM-SHA-256 only
The client downloads every message and the bytes are compared with the
fixture as in clients.py (what each client adds or changes is undone and
documented there; Net::POP3's get() lines are exact wire bytes).  Every
client checks the server certificate against the test certificate as its
trust anchor.  Then polypopd's --trace files must show that the client
did what the check is named for: the STLS command before any login on the
same connection, the `AUTH MECH` command and no USER, PASS or APOP where
a SASL mechanism is claimed; a client falling back silently is a FAIL.
Each check prints `# CLIENT session N sent: ...` from the trace.

Checks (NAME-STORE):
  poplib-stls            stls(SSLContext) on tls-only, USER/PASS
  poplib-pop3s           POP3_SSL on pop3s, USER/PASS
  curl-pop3s-plain       pop3s:// --cacert, --login-options AUTH=PLAIN
  curl-stls-cram-md5     pop3:// --ssl-reqd (STLS), AUTH=CRAM-MD5
  curl-stls-login        pop3:// --ssl-reqd on tls-only, AUTH=LOGIN
  curl-scram-sha-256     AUTH=SCRAM-SHA-256: skipped unless curl -V lists
                         gsasl (curl's SCRAM needs libgsasl; Debian 12's
                         curl is built without it)
  fetchmail-stls         sslproto tls1.2+ (STLS) on tls-only, sslcertck,
                         sslcertfile; auth password (USER/PASS)
  fetchmail-pop3s        ssl on pop3s, sslcertck; auth password
  fetchmail-cram-md5     auth cram-md5, sslproto '' (no TLS), pop3
  fetchmail-stls-cram-md5  auth cram-md5 after STLS on pop3
  fetchmail-scram        skipped: fetchmail 6.4 has no SCRAM
  mpop-pop3s-scram-sha-256    tls on, tls_starttls off, auth scram-sha-256
  mpop-stls-scram-sha-256     tls on, tls_starttls on, auth scram-sha-256
  mpop-scram-sha-1       tls off, auth scram-sha-1 (alice's {PLAIN})
  mpop-stls-user         tls on, tls_starttls on on tls-only, auth user
  netpop3-stls-cram-md5  Net::POP3 starttls() then auth() CRAM-MD5
  netpop3-ssl-plain      Net::POP3 SSL => 1 on pop3s, auth() PLAIN
  netpop3-stls-scram-sha-256  starttls(), auth() SCRAM-SHA-256 through
                         Authen::SASL::Cyrus (Cyrus SASL's SCRAM plugin)
  getmail-pop3s          SimplePOP3SSLRetriever with ca_certs, USER/PASS
  untrusted-cert         each client above, on pop3s, trusting another
                         self-signed certificate with the same names:
                         each must fail over the certificate, no session
                         may log in (so the checks above really verify)

A missing client is a FAIL; with POLYPOP_ALLOW_SKIP=1 it is a skip.
"""

import argparse
import base64
import fnmatch
import hashlib
import hmac
import os
import poplib
import re
import shutil
import ssl
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "harness"))
sys.path.insert(0, HERE)
import common  # noqa: E402
from common import HarnessError  # noqa: E402
import clients  # noqa: E402
from clients import Skip, need, run, compare, read_maildir, lf  # noqa: E402

TIMEOUT = 60            # seconds, for every client process
USERS = {"alice": "secret", "carol": "sesame"}
SCRAM_ITER = 4096
SCRAM_SALT = b"polypop-test-salt"

CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


# -- the server --------------------------------------------------------

def scram_secret(password, salt=SCRAM_SALT, iterations=SCRAM_ITER,
                 digest="sha256"):
    """Dovecot's stored SCRAM secret, RFC 5802 §3:
    ITER,base64(salt),base64(StoredKey),base64(ServerKey)."""
    salted = hashlib.pbkdf2_hmac(digest, password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", digest).digest()
    stored = hashlib.new(digest, client_key).digest()
    server = hmac.new(salted, b"Server Key", digest).digest()
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return "%d,%s,%s,%s" % (iterations, b64(salt), b64(stored), b64(server))


def make_cert(d):
    """A self-signed certificate for localhost and 127.0.0.1, valid two
    days: both the server's certificate and the clients' trust anchor."""
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
         "-subj", "/CN=localhost", "-addext",
         "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "2"],
        timeout=TIMEOUT)
    os.chmod(key, 0o600)
    return cert, key


def start_server(ns, name):
    """A running server (see the top of the file); srv.ports has "pop3",
    "pop3s" and "tls-only", srv.cert the certificate, srv.trace the
    --trace directory."""
    srv = common.Server(ns.polypopd, ns.conform, store=ns.store,
                        users=USERS,
                        fixtures={"alice": "hard", "carol": "hard"},
                        keep=ns.keep, name=name,
                        listen=("pop3", "pop3s",
                                "pop3,plaintext-auth=tls"))
    try:
        return setup_server(srv)
    except BaseException:
        srv.cleanup()           # kills a started server too
        raise


def setup_server(srv):
    srv.setup()
    with open(os.path.join(srv.dir, "users"), "w") as f:
        f.write("alice:{PLAIN}%s\n" % USERS["alice"])
        f.write("carol:{SCRAM-SHA-256}%s\n" % scram_secret(USERS["carol"]))
    tls = os.path.join(srv.dir, "tls")
    os.makedirs(tls)
    srv.cert, srv.key = make_cert(tls)
    # What the clients trust: the server's own certificate, except in
    # untrusted_cert.
    srv.ca = srv.cert
    srv.trace = os.path.join(srv.dir, "trace")
    os.makedirs(srv.trace)
    srv.extra_args = ["--tls-cert", srv.cert, "--tls-key", srv.key,
                      "--trace", srv.trace]
    srv.start()
    # Two listeners are "pop3": the plaintext-auth=tls one is the last
    # line, as it is the last --listen.
    name, port = srv.listening[2]
    if name != "pop3":
        raise HarnessError("third listening line is %r, not pop3" % name)
    srv.ports["tls-only"] = port
    # Descriptors at rest, for Server.stop()'s leak check, now that all
    # three listeners are open.
    srv.base_fds = srv.fd_count()
    return srv


# -- what the trace must show ------------------------------------------

# polypopd's --trace note once a handshake is done (server/conn.c), for
# implicit TLS and after STLS alike.
TLS_NOTE = re.compile(r"^\S+ # TLS established: ")
TLS = ("#TLS", "")


def sessions(srv):
    """Per traced connection, its events in order: (KEYWORD, ARG) for
    each client line, e.g. ("AUTH", "SCRAM-SHA-256"), and TLS where the
    trace notes a finished handshake.  SASL responses are client lines of
    their own (masked or base64) and match nothing asked for."""
    out = []
    for text in clients.trace_texts(srv.trace):
        events = []
        for line in text.splitlines():
            m = re.match(r"^\S+ C: (\S*) ?(\S*)", line)
            if m:
                events.append((m.group(1).upper(), m.group(2).upper()))
            elif TLS_NOTE.match(line):
                events.append(TLS)
        out.append(events)
    return out


def show(events):
    """'CAPA STLS TLS CAPA AUTH CRAM-MD5 (sasl) RETRx8 QUIT'."""
    def one(e):
        if e == TLS:
            return "TLS"
        if e[0] == "AUTH":
            return "AUTH " + e[1]
        return e[0] if re.fullmatch(r"[A-Z]{3,8}", e[0]) else "(sasl)"
    return clients.summary([one(e) for e in events])


def expect_trace(srv, what, tls, auth=None, login=False):
    """Every session that retrieved mail (RETR) must show, in order:
    TLS "implicit": the handshake before any command; "stls": only CAPA
    before STLS, and the handshake right after it; "none": no TLS and no
    STLS.  Then AUTH MECH (if AUTH; and no USER, PASS or APOP at all) or
    USER and PASS (if LOGIN), before the first RETR."""
    per = sessions(srv)
    for i, events in enumerate(per, 1):
        print("# %s session %d: %s" % (what, i, show(events)), flush=True)
    every = " / ".join(show(e) for e in per)
    fetching = [e for e in per if any(k == "RETR" for k, _ in e)]
    if not fetching:
        raise HarnessError("%s: no traced session sent RETR: %s"
                           % (what, every))
    for events in fetching:
        words = [k for k, _ in events]
        if tls == "implicit" and words[0] != TLS[0]:
            raise HarnessError("%s: a command before the TLS handshake on "
                               "pop3s: %s" % (what, every))
        if tls == "stls":
            if "STLS" not in words:
                raise HarnessError("%s never sent STLS: %s" % (what, every))
            k = words.index("STLS")
            before = set(words[:k]) - {"CAPA"}
            if before:
                raise HarnessError("%s sent %s before STLS: %s"
                                   % (what, " ".join(sorted(before)), every))
            if words[k + 1:k + 2] != [TLS[0]]:
                raise HarnessError("%s: no TLS handshake right after STLS: "
                                   "%s" % (what, every))
        elif "STLS" in words:
            raise HarnessError("%s sent STLS (%s TLS expected): %s"
                               % (what, tls, every))
        if tls == "none" and TLS[0] in words:
            raise HarnessError("%s: TLS where none was asked for: %s"
                               % (what, every))
        first_retr = words.index("RETR")
        if auth:
            if ("AUTH", auth) not in events[:first_retr]:
                raise HarnessError("%s did not authenticate with AUTH %s: "
                                   "%s" % (what, auth, every))
            plain = {"USER", "PASS", "APOP"} & set(words)
            if plain:
                raise HarnessError("%s sent %s besides AUTH %s: %s" % (
                    what, " ".join(sorted(plain)), auth, every))
        if login:
            if not {"USER", "PASS"} <= set(words[:first_retr]):
                raise HarnessError("%s did not log in with USER/PASS: %s"
                                   % (what, every))
            if "AUTH" in words:
                raise HarnessError("%s sent AUTH besides USER/PASS: %s"
                                   % (what, every))


def context(srv):
    """A client SSLContext that trusts only the test certificate and
    checks the host name (127.0.0.1, in its subjectAltName)."""
    ctx = ssl.create_default_context(cafile=srv.ca)
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def net_env(work):
    return dict(os.environ, HOME=work)


# -- Python poplib ------------------------------------------------------

def poplib_fetch(p, what, wire):
    p.user("alice")
    p.pass_(USERS["alice"])
    n, _ = p.stat()
    got = []
    for i in range(1, n + 1):
        _, lines, _ = p.retr(i)
        got.append(b"\r\n".join(lines) + b"\r\n")
    if p.quit()[:3] != b"+OK":
        raise HarnessError("%s: QUIT failed" % what)
    compare(got, wire, what)


@check
def poplib_stls(srv, work, wire):
    p = poplib.POP3("127.0.0.1", srv.ports["tls-only"], timeout=30)
    p.stls(context(srv))
    if not isinstance(p.sock, ssl.SSLSocket):
        raise HarnessError("poplib: no TLS socket after stls()")
    print("# poplib: %s %s" % (p.sock.version(), p.sock.cipher()[0]))
    poplib_fetch(p, "poplib", wire)
    expect_trace(srv, "poplib", "stls", login=True)


@check
def poplib_pop3s(srv, work, wire):
    p = poplib.POP3_SSL("127.0.0.1", srv.ports["pop3s"], timeout=30,
                        context=context(srv))
    print("# poplib: %s %s" % (p.sock.version(), p.sock.cipher()[0]))
    poplib_fetch(p, "poplib", wire)
    expect_trace(srv, "poplib", "implicit", login=True)


# -- curl ---------------------------------------------------------------

def curl_fetch(srv, work, wire, url, mech, user="alice", extra=()):
    """One curl run, one connection: every message by number (pop3://
    HOST:PORT/N), output exact wire bytes."""
    curl = need("curl")
    argv = [curl, "-sS", "--max-time", str(TIMEOUT), "--cacert", srv.ca,
            "-u", "%s:%s" % (user, USERS[user]),
            "--login-options", "AUTH=" + mech] + list(extra)
    outs = []
    for i in range(1, len(wire) + 1):
        outs.append(os.path.join(work, "msg%d" % i))
        argv += ["-o", outs[-1], "%s/%d" % (url, i)]
    run(argv, timeout=TIMEOUT + 10)
    got = []
    for o in outs:
        with open(o, "rb") as f:
            got.append(f.read())
    compare(got, wire, "curl")


@check
def curl_pop3s_plain(srv, work, wire):
    curl_fetch(srv, work, wire, "pop3s://127.0.0.1:%d" % srv.ports["pop3s"],
               "PLAIN")
    expect_trace(srv, "curl", "implicit", auth="PLAIN")


@check
def curl_stls_cram_md5(srv, work, wire):
    curl_fetch(srv, work, wire, "pop3://127.0.0.1:%d" % srv.ports["pop3"],
               "CRAM-MD5", extra=["--ssl-reqd"])
    expect_trace(srv, "curl", "stls", auth="CRAM-MD5")


@check
def curl_stls_login(srv, work, wire):
    curl_fetch(srv, work, wire,
               "pop3://127.0.0.1:%d" % srv.ports["tls-only"], "LOGIN",
               extra=["--ssl-reqd"])
    expect_trace(srv, "curl", "stls", auth="LOGIN")


@check
def curl_scram_sha_256(srv, work, wire):
    curl = need("curl")
    r = subprocess.run([curl, "-V"], stdout=subprocess.PIPE, timeout=TIMEOUT)
    feats = re.search(rb"^Features:(.*)$", r.stdout, re.M)
    if not feats or b"gsasl" not in feats.group(1).lower().split():
        # curl does SCRAM only through libgsasl (its 'gsasl' feature);
        # without it AUTH=SCRAM-SHA-256 is refused by curl itself.
        raise Skip("this curl has no SCRAM: 'gsasl' not among curl -V "
                   "features (Debian 12's curl is built without libgsasl)")
    curl_fetch(srv, work, wire, "pop3s://127.0.0.1:%d" % srv.ports["pop3s"],
               "SCRAM-SHA-256", user="carol")
    expect_trace(srv, "curl", "implicit", auth="SCRAM-SHA-256")


# -- fetchmail ----------------------------------------------------------

def fetchmail_fetch(srv, work, wire, port, options, auth="password"):
    """clients.fetchmail_fetch() as alice on PORT with OPTIONS on the
    user's 'options' line, verbose, and the mail compared with WIRE."""
    got = clients.fetchmail_fetch(work, port, USERS["alice"],
                                  "keep fetchall no rewrite no stripcr "
                                  + options, auth=auth,
                                  poll=" timeout %d" % TIMEOUT, verbose=True,
                                  timeout=TIMEOUT + 10)
    compare(got, wire, "fetchmail")


# fetchmail checks the certificate (sslcertck) against sslcertfile, and
# the name in it against the poll name unless sslcommonname says which:
# 'localhost' is in both the CN and the subjectAltName, whatever
# fetchmail makes of IP addresses in certificates.
FETCHMAIL_CERT = "sslcertck sslcertfile \"%s\" sslcommonname localhost"


@check
def fetchmail_stls(srv, work, wire):
    fetchmail_fetch(srv, work, wire, srv.ports["tls-only"],
                    "sslproto tls1.2+ " + FETCHMAIL_CERT % srv.ca)
    expect_trace(srv, "fetchmail", "stls", login=True)


@check
def fetchmail_pop3s(srv, work, wire):
    fetchmail_fetch(srv, work, wire, srv.ports["pop3s"],
                    "ssl sslproto tls1.2+ " + FETCHMAIL_CERT % srv.ca)
    expect_trace(srv, "fetchmail", "implicit", login=True)


@check
def fetchmail_cram_md5(srv, work, wire):
    fetchmail_fetch(srv, work, wire, srv.ports["pop3"], "sslproto ''",
                    auth="cram-md5")
    expect_trace(srv, "fetchmail", "none", auth="CRAM-MD5")


@check
def fetchmail_stls_cram_md5(srv, work, wire):
    fetchmail_fetch(srv, work, wire, srv.ports["pop3"],
                    "sslproto tls1.2+ " + FETCHMAIL_CERT % srv.ca,
                    auth="cram-md5")
    expect_trace(srv, "fetchmail", "stls", auth="CRAM-MD5")


@check
def fetchmail_scram(srv, work, wire):
    fm = need("fetchmail")
    with open(fm, "rb") as f:
        has = b"scram" in f.read().lower()
    if not has:
        # man fetchmail (6.4), --auth: any, password, kerberos_v5,
        # kerberos, gssapi, cram-md5, otp, ntlm, msn, external, ssh.
        raise Skip("fetchmail 6.4 has no SCRAM mechanism (--auth offers "
                   "cram-md5, ntlm, otp, gssapi, ... but no scram-*)")
    raise HarnessError("this fetchmail mentions SCRAM: write the check "
                       "(its --auth keyword) instead of skipping")


# -- mpop ----------------------------------------------------------------

def mpop_fetch(srv, work, wire, port, user, auth, starttls, tls=True):
    mp = need("mpop")
    md = os.path.join(work, "Maildir")
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(md, sub))
    # mpop (GnuTLS) checks the certificate against tls_trust_file and the
    # host name 127.0.0.1 against its subjectAltName.
    pw = os.path.join(work, "pw")
    with open(pw, "w") as f:
        f.write(USERS[user])
    run([mp, "--host=127.0.0.1", "--port=%d" % port,
         "--tls=%s" % ("on" if tls else "off"),
         "--tls-starttls=%s" % ("on" if starttls else "off"),
         "--tls-trust-file=%s" % srv.ca, "--tls-certcheck=on",
         "--auth=%s" % auth, "--user=%s" % user,
         "--passwordeval=cat %s" % pw,
         "--delivery=maildir,%s" % md, "--keep=on", "--only-new=off",
         "--received-header=off", "--uidls-file=%s/uidls" % work,
         "--timeout=%d" % TIMEOUT, "--quiet"], env=net_env(work),
        timeout=TIMEOUT + 10)
    compare(read_maildir(md), [lf(w) for w in wire], "mpop")


@check
def mpop_pop3s_scram_sha_256(srv, work, wire):
    mpop_fetch(srv, work, wire, srv.ports["pop3s"], "carol",
               "scram-sha-256", starttls=False)
    expect_trace(srv, "mpop", "implicit", auth="SCRAM-SHA-256")


@check
def mpop_stls_scram_sha_256(srv, work, wire):
    mpop_fetch(srv, work, wire, srv.ports["pop3"], "carol",
               "scram-sha-256", starttls=True)
    expect_trace(srv, "mpop", "stls", auth="SCRAM-SHA-256")


@check
def mpop_scram_sha_1(srv, work, wire):
    """SCRAM-SHA-1 without TLS, for a {PLAIN} user (the server derives
    the SCRAM keys from the password)."""
    mpop_fetch(srv, work, wire, srv.ports["pop3"], "alice", "scram-sha-1",
               starttls=False, tls=False)
    expect_trace(srv, "mpop", "none", auth="SCRAM-SHA-1")


@check
def mpop_stls_user(srv, work, wire):
    mpop_fetch(srv, work, wire, srv.ports["tls-only"], "alice", "user",
               starttls=True)
    expect_trace(srv, "mpop", "stls", login=True)


# -- Perl Net::POP3 ------------------------------------------------------

def netpop3_fetch(srv, work, wire, port, tls, mech, user="alice"):
    perl = need("perl")
    out = os.path.join(work, "out")
    os.makedirs(out)
    env = dict(os.environ, POLYPOP_PASS=USERS[user])
    text = run([perl, os.path.join(HERE, "clients", "netpop3.pl"),
                "--port", str(port), "--tls", tls, "--ca", srv.ca,
                "--mech", mech, "--user", user, "--out", out,
                "--timeout", "30"], env=env, timeout=TIMEOUT)
    print("# netpop3: %s" % " ".join(text.decode(errors="replace").split()))
    got = []
    for n in sorted(os.listdir(out), key=int):
        with open(os.path.join(out, n), "rb") as f:
            got.append(f.read())
    # get() returns the un-stuffed lines with their CRLF: exact wire bytes.
    compare(got, wire, "Net::POP3")


def need_perl_module(mod, pkg):
    r = subprocess.run(["perl", "-M" + mod, "-e", "1"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=TIMEOUT)
    if r.returncode != 0:
        why = "Perl %s missing (apt-get install %s)" % (mod, pkg)
        if common.allow_skip():
            raise Skip(why)
        raise HarnessError(why + "; set POLYPOP_ALLOW_SKIP=1 to skip locally")


def need_netpop3(cyrus=False):
    need("perl")
    need_perl_module("Net::POP3", "perl")
    need_perl_module("IO::Socket::SSL", "libio-socket-ssl-perl")
    need_perl_module("Authen::SASL", "libauthen-sasl-perl")
    if cyrus:
        need_perl_module("Authen::SASL::Cyrus", "libauthen-sasl-cyrus-perl")


@check
def netpop3_stls_cram_md5(srv, work, wire):
    need_netpop3()
    netpop3_fetch(srv, work, wire, srv.ports["pop3"], "stls", "CRAM-MD5")
    expect_trace(srv, "Net::POP3", "stls", auth="CRAM-MD5")


@check
def netpop3_ssl_plain(srv, work, wire):
    need_netpop3()
    netpop3_fetch(srv, work, wire, srv.ports["pop3s"], "ssl", "PLAIN")
    expect_trace(srv, "Net::POP3", "implicit", auth="PLAIN")


@check
def netpop3_stls_scram_sha_256(srv, work, wire):
    need_netpop3(cyrus=True)
    netpop3_fetch(srv, work, wire, srv.ports["pop3"], "stls",
                  "SCRAM-SHA-256", user="carol")
    expect_trace(srv, "Net::POP3", "stls", auth="SCRAM-SHA-256")


# -- getmail6 ------------------------------------------------------------

@check
def getmail_pop3s(srv, work, wire):
    # ca_certs makes getmail require and verify the certificate and match
    # the server name (127.0.0.1) against its subjectAltName.
    got = clients.getmail_fetch(
        work, "type = SimplePOP3SSLRetriever\nserver = 127.0.0.1\n"
        "port = %d\nusername = alice\npassword = %s\nca_certs = %s\n"
        "timeout = %d\n" % (srv.ports["pop3s"], USERS["alice"], srv.ca,
                             TIMEOUT))
    compare(got, [lf(w) for w in wire], "getmail")
    expect_trace(srv, "getmail", "implicit", login=True)


# -- a certificate the client does not trust ----------------------------

def untrusted_attempts(srv, work):
    """(client, attempt) pairs: each downloads from pop3s trusting SRV.ca
    only.  Clients that are not installed are left out."""
    def p_poplib(w):
        p = poplib.POP3_SSL("127.0.0.1", srv.ports["pop3s"], timeout=30,
                            context=context(srv))
        p.quit()

    def p_curl(w):
        curl_fetch(srv, w, [b""], "pop3s://127.0.0.1:%d"
                   % srv.ports["pop3s"], "PLAIN")

    def p_fetchmail(w):
        fetchmail_fetch(srv, w, [], srv.ports["pop3s"],
                        "ssl sslproto tls1.2+ " + FETCHMAIL_CERT % srv.ca)

    def p_mpop(w):
        mpop_fetch(srv, w, [], srv.ports["pop3s"], "alice", "user",
                   starttls=False)

    def p_netpop3(w):
        need_netpop3()
        netpop3_fetch(srv, w, [], srv.ports["pop3s"], "ssl", "PLAIN")

    def p_getmail(w):
        clients.getmail_fetch(
            w, "type = SimplePOP3SSLRetriever\nserver = 127.0.0.1\n"
            "port = %d\nusername = alice\npassword = %s\nca_certs = %s\n"
            "timeout = %d\n" % (srv.ports["pop3s"], USERS["alice"], srv.ca,
                                 TIMEOUT))

    return [("poplib", p_poplib), ("curl", p_curl),
            ("fetchmail", p_fetchmail), ("mpop", p_mpop),
            ("Net::POP3", p_netpop3), ("getmail", p_getmail)]


@check
def untrusted_cert(srv, work, wire):
    """Every client, trusting another self-signed certificate (same names)
    instead of the server's, must refuse to go on: it fails, says why in
    terms of the certificate, and no session logs in.  Shows that the
    certificate checks above are really on."""
    other = os.path.join(work, "other")
    os.makedirs(other)
    srv.ca, _ = make_cert(other)
    refused = []
    for what, attempt in untrusted_attempts(srv, work):
        w = os.path.join(work, re.sub(r"\W", "", what))
        os.makedirs(w)
        try:
            attempt(w)
        except Skip:
            continue
        except ssl.SSLCertVerificationError:
            refused.append(what)
            continue
        except HarnessError as e:
            if not re.search(r"certif|trust|verif", str(e), re.I):
                raise HarnessError("%s failed, but not over the "
                                   "certificate: %s" % (what, e))
            refused.append(what)
            continue
        raise HarnessError("%s went on with an untrusted certificate"
                           % what)
    print("# refused the untrusted certificate: %s" % ", ".join(refused),
          flush=True)
    if not refused:
        raise HarnessError("no client could be tried")
    # A refused handshake may leave a session without its closing note:
    # read whatever the trace holds once the server had a moment.
    time.sleep(0.5)
    for n in sorted(os.listdir(srv.trace)):
        with open(os.path.join(srv.trace, n), "rb") as f:
            t = f.read().decode(errors="replace")
        m = re.search(r"^\S+ C: (USER|PASS|AUTH|APOP|RETR)\b.*$", t,
                      re.M | re.I)
        if m:
            raise HarnessError("a client went on with an untrusted "
                               "certificate: %s" % m.group(0))


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
    if not shutil.which("openssl"):
        rep.fail("setup", "openssl (the command) is needed for the "
                 "test certificate")
        return rep.close()
    for fn in CHECKS:
        name = "%s-%s" % (fn.__name__.replace("_", "-"), ns.store)
        if not fnmatch.fnmatch(name, ns.only):
            continue
        srv = None
        try:
            srv = start_server(ns, name)
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
            log = srv.log_tail(600).strip() if srv else ""
            rep.fail(name, "%s (%s:%d)%s" % (
                e, os.path.basename(tb[-1].filename), tb[-1].lineno,
                "\nserver log tail:\n" + log if log else ""))
        finally:
            if srv:
                srv.cleanup()
    return rep.close()


if __name__ == "__main__":
    sys.exit(main())

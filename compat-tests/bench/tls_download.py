#!/usr/bin/env python3
"""Benchmark: one large RETR in the clear, after STLS and on pop3s, and
the cost of a login by USER/PASS, AUTH PLAIN and AUTH SCRAM-SHA-256.

Prints throughput, the server's resident memory before and after the
downloads, and login latencies.  Asserts nothing about speed.

usage: tls_download.py POLYPOPD [--mib N] [--logins N]
"""
import argparse, base64, hashlib, hmac, os, socket, ssl, subprocess, sys
import tempfile, time


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Conn:
    def __init__(self, port, ctx=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        if ctx is not None:
            self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")
        self.f = self.sock.makefile("rb")
        self.line()

    def line(self):
        return self.f.readline().rstrip(b"\r\n")

    def cmd(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        r = self.line()
        if not r.startswith((b"+OK", b"+ ")):
            sys.exit("%s: %r" % (text.split()[0], r))
        return r

    def stls(self, ctx):
        self.cmd("STLS")
        self.f.close()
        self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")
        self.f = self.sock.makefile("rb")

    def retr(self):
        self.cmd("RETR 1")
        n = 0
        while True:
            l = self.f.readline()
            if l == b".\r\n":
                return n
            n += len(l)


def scram(c, user, password):
    nonce = base64.b64encode(os.urandom(18)).decode()
    first = "n=%s,r=%s" % (user, nonce)
    r = c.cmd("AUTH SCRAM-SHA-256 " + base64.b64encode(
        ("n,," + first).encode()).decode())
    sfirst = base64.b64decode(r[2:]).decode()
    f = dict(kv.split("=", 1) for kv in sfirst.split(","))
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(),
                                 base64.b64decode(f["s"]), int(f["i"]))
    ck = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    final = "c=biws,r=" + f["r"]
    auth = ",".join((first, sfirst, final)).encode()
    sig = hmac.new(hashlib.sha256(ck).digest(), auth, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(ck, sig))
    c.cmd(base64.b64encode(("%s,p=%s" % (final, base64.b64encode(
        proof).decode())).encode()).decode())
    c.cmd("")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("polypopd")
    ap.add_argument("--mib", type=int, default=32)
    ap.add_argument("--logins", type=int, default=20)
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="polypop-bench-")
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj",
                    "/CN=localhost", "-days", "2", "-keyout", key, "-out",
                    cert], check=True, stderr=subprocess.DEVNULL)
    with open(os.path.join(d, "users"), "w") as f:
        f.write("bench:{PLAIN}secret\n")
    md = os.path.join(d, "mail", "bench")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub))
    line = b"x" * 76 + b"\n"
    with open(os.path.join(md, "cur", "1.M1P1.bench:2,"), "wb") as f:
        f.write(b"Subject: big\n\n")
        for _ in range(a.mib * 1024 * 1024 // len(line)):
            f.write(line)
    srv = subprocess.Popen(
        [a.polypopd, "--listen", "pop3@127.0.0.1:0", "--listen",
         "pop3s@127.0.0.1:0", "--users", os.path.join(d, "users"),
         "--mail", "maildir:%s/mail/%%u" % d, "--tls-cert", cert,
         "--tls-key", key, "--log-level", "warn"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    ports = {}
    while len(ports) < 2:
        w = srv.stdout.readline().decode().split()
        ports[w[1]] = int(w[2].rsplit(":", 1)[1])
    ctx = ssl.create_default_context(cafile=cert)
    rss0 = rss_kib(srv.pid)
    print("message: %d MiB; server VmRSS at rest %d KiB" % (a.mib, rss0))
    for how in ("plain", "stls", "pop3s"):
        c = Conn(ports["pop3s"], ctx) if how == "pop3s" else \
            Conn(ports["pop3"])
        if how == "stls":
            c.stls(ctx)
        c.cmd("USER bench")
        c.cmd("PASS secret")
        t = time.monotonic()
        n = c.retr()
        dt = time.monotonic() - t
        print("RETR %-5s %8.1f MiB/s (%d octets in %.2f s), VmRSS %d KiB"
              % (how, n / dt / 1048576, n, dt, rss_kib(srv.pid)))
        c.cmd("QUIT")
    for how in ("USER/PASS", "AUTH PLAIN", "SCRAM-SHA-256"):
        t = time.monotonic()
        for _ in range(a.logins):
            c = Conn(ports["pop3"])
            if how == "USER/PASS":
                c.cmd("USER bench")
                c.cmd("PASS secret")
            elif how == "AUTH PLAIN":
                c.cmd("AUTH PLAIN " + base64.b64encode(
                    b"\0bench\0secret").decode())
            else:
                scram(c, "bench", "secret")
            c.cmd("QUIT")
        print("login %-13s %6.1f ms each (%d logins, in the clear)"
              % (how, (time.monotonic() - t) * 1000 / a.logins, a.logins))
    srv.terminate()
    srv.wait()
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()

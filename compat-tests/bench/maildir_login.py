#!/usr/bin/env python3
"""Benchmark: login + STAT time on a large Maildir, first and second login.

The first login has to compute every message's wire size (the file names
carry no ,W= field) and writes the per-folder index; the second reads the
index instead of the messages.  Prints figures; asserts nothing about speed.

usage: maildir_login.py POLYPOPD [--messages N] [--keep DIR]
"""
import argparse, os, socket, subprocess, sys, tempfile, time


def make_maildir(root, n):
    md = os.path.join(root, "mail", "bench", "Maildir")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    body = ("From: bench@example.org\nTo: bench@example.org\n"
            "Subject: message %d\n\nA small message body.\n")
    t0 = time.time()
    for i in range(n):
        # No ,S= or ,W= in the name: the server must compute sizes.
        name = "%d.M%dP1Q%d.bench" % (1600000000 + i, i, i)
        with open(os.path.join(md, "cur", name + ":2,"), "w") as f:
            f.write(body % i)
    return time.time() - t0


def recv_line(sock, buf):
    while b"\r\n" not in buf[0]:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("server closed the connection")
        buf[0] += chunk
    line, buf[0] = buf[0].split(b"\r\n", 1)
    return line.decode("latin-1")


def login_stat(port):
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port))
    buf = [b""]
    recv_line(s, buf)
    for cmd in ("USER bench", "PASS bench", "STAT"):
        s.sendall(cmd.encode() + b"\r\n")
        reply = recv_line(s, buf)
        if not reply.startswith("+OK"):
            raise RuntimeError("%s -> %s" % (cmd, reply))
    elapsed = time.monotonic() - t0
    s.sendall(b"QUIT\r\n")
    recv_line(s, buf)
    s.close()
    return elapsed, reply


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("polypopd")
    ap.add_argument("--messages", type=int, default=100000)
    ap.add_argument("--keep")
    a = ap.parse_args()
    root = a.keep or tempfile.mkdtemp(prefix="polypop-bench-")
    os.makedirs(root, exist_ok=True)
    made = make_maildir(root, a.messages)
    users = os.path.join(root, "users")
    with open(users, "w") as f:
        f.write("bench:{PLAIN}bench\n")
    srv = subprocess.Popen(
        [a.polypopd, "--listen", "pop3@127.0.0.1:0", "--users", users,
         "--mail", "maildir:%s/mail/%%u/Maildir" % root],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = srv.stdout.readline().split()
        port = int(line[2].rsplit(":", 1)[1])
        first, reply = login_stat(port)
        second, _ = login_stat(port)
        third, _ = login_stat(port)
    finally:
        srv.terminate()
        srv.wait(timeout=30)
    print("messages: %d (written in %.1f s)" % (a.messages, made))
    print("STAT reply: %s" % reply)
    print("first login+STAT: %.3f s" % first)
    print("second login+STAT: %.3f s" % second)
    print("third login+STAT: %.3f s" % third)


if __name__ == "__main__":
    sys.exit(main())

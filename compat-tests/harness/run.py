#!/usr/bin/env python3
"""Runs the transcript cases, one fresh server per case.

  run.py --polypopd PATH --conform PATH [--store maildir|mbox]
         [--fixture-via direct|deliver] [--cases DIR] [--only GLOB]
         [--listener pop3|pop2|pop1|pop109] [--profile NAME]
         [--level rfc|polypop] [--tls|--stls] [-j N] [--keep] [-v]
         [--report FILE [--label TEXT] [--label-per-profile]]

For each case: a temp dir with users, config and the case's fixture (for
alice, bob and carol, the apop=only user passed as --apop-user) and folders (`folder:` headers, for alice), the server on
127.0.0.1 port 0 listening for the case's `proto:` (plus a POP3 listener
for cases with "@switch second", passed as --port2), `polypop-conform` on the
one transcript, then SIGTERM; the server must exit 0 and leak nothing.
A case's `bboard: NAME FIXTURE [unreadable]` groups go into a --bboards
location of the --store's kind (an unreadable one: mode 000, and a server
running as root runs under `setpriv` without CAP_DAC_OVERRIDE).

A case with `profile: P1 P2 ...` runs once per profile, each time against
a fresh server listening `pop3/P` (`--listen pop3/P@127.0.0.1:0`, port
from its `listening pop3/P HOST:PORT` line) with `--profile P` passed to
the runner; its results are named `NAME[P]`.  --profile runs only the
instances of that profile (and no case without `profile:`); --only
matches NAME or NAME[P].

--stls and --tls run every case over TLS: the server gets a throwaway
certificate (P-256, CN and subjectAltName localhost and 127.0.0.1, made
once per run by openssl) with --tls-cert/--tls-key, listens `pop3` (for
--stls) or `pop3s` (for --tls; `@switch second` gets a `pop3s` listener
too), and the runner gets `--stls --cafile CERT` or `--tls --cafile CERT`:
each connection is verified against that certificate and 127.0.0.1.  The
runner skips cases with the header `tls: no`; POP1/POP2 cases and
historic-profile instances are skipped ("TLS: only current-POP3 cases").

A case with an `@stls` step (it negotiates STLS itself), `@require capa
STLS` or `@capa STLS` gets a server with such a certificate in every run,
and the runner gets `--cafile CERT`.

A case's `server-options: OPTIONS` headers are appended to its server's
command line (`--login-delay 60`, `--expire 0`): a site policy the case
needs in force.  peers/dovecot.sh accepts and ignores those options.

--report FILE: the clause matrix (compat-tests/README.md, "Reports").
Each case's runner writes its own small report into a temporary
directory (--report DIR/N.md --label TEXT), never the shared FILE; after
the last case one `polypop-conform --report FILE --merge DIR/*.md` puts
them into FILE as the column TEXT (default polypop/STORE, plus /PROFILE
with --profile), replacing that column if FILE already has it.  With
--label-per-profile a case's instance for profile P goes to the column
'TEXT P' instead (compat-tests/matrix.py: one column per revision).  Cases
whose server did not start leave no trace in the matrix (they FAIL here).

Prints polypop-conform's lines and a closing 'N passed, N failed, N
skipped'.  --polypopd may name peers/dovecot.sh to run against Dovecot.
"""

import argparse
import concurrent.futures
import fnmatch
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLAUSE_ARGS = ["--clauses", os.path.join(HERE, "clauses.txt")]


# The listener a case's protocol is served on (--listen PROTO@...).
LISTENER = {"pop3": "pop3", "pop2": "pop2", "pop1": "pop1",
            "pop109": "pop109"}


def run_one(args, case, profile=None):
    """One case on one fresh server; PROFILE: one of its `profile:`
    names, served on a `pop3/PROFILE` listener."""
    (name, path, proto, fixture, level, folders, second, _, bboards,
     server_options, wants_cert) = case
    if proto is None:
        return [("FAIL", name, "transcript does not parse: %s" % level)]
    if (args.tls or args.stls) and (proto != "pop3" or profile is not None):
        # pop3s/PROFILE is refused at start-up, and historic profiles
        # answer STLS -ERR; POP1/POP2 have no TLS.
        return [("skip", name if profile is None else
                 "%s[%s]" % (name, profile), "TLS: only current-POP3 cases")]
    if profile is not None:
        name = "%s[%s]" % (name, profile)
        listen = ["%s/%s" % (args.listener or LISTENER.get(proto, proto),
                             profile)]
    else:
        listen = [args.listener or LISTENER.get(proto, proto)]
    plain = "pop3"                  # the "@switch second" listener
    if args.tls and proto == "pop3" and args.listener is None:
        listen = [l.replace("pop3", "pop3s", 1) for l in listen]
        plain = "pop3s"
    if second and listen[0] != plain and profile is None:
        listen.append(plain)        # "@switch second": a POP3 session
    extra = []
    if args.cert is not None:
        extra = ["--tls-cert", args.cert, "--tls-key", args.key]
    if any(b[2] for b in bboards) and os.geteuid() == 0 and \
            not can_drop_dac():
        return [("skip", name, "bboard unreadable: running as root, and "
                 "setpriv cannot drop CAP_DAC_OVERRIDE here")]
    own_tls = args.cert is None and wants_cert
    if own_tls:                     # "@stls": the case's own STLS
        extra = ["--tls-cert", args.case_cert, "--tls-key", args.case_key]
    extra = extra + server_options
    srv = common.Server(args.polypopd, args.conform, store=args.store,
                        fixtures={"alice": fixture, "bob": "basic"},
                        fixture_via=args.fixture_via, keep=args.keep,
                        name=name, listen=listen,
                        folders={"alice": folders}, extra_args=extra,
                        bboards=bboards).add_apop_user(
                            uses_apop_user(path))
    try:
        try:
            srv.setup().start()
        except (common.HarnessError, OSError,
                subprocess.SubprocessError) as e:
            return [("FAIL", name, "harness: %s" % e)]
        argv = [args.conform, "--host", "127.0.0.1", "--port", str(srv.port),
                "--user", "alice", "--pass", common.USERS["alice"],
                "--user2", "bob", "--pass2", common.USERS["bob"],
                "--apop-user", common.APOP_USER,
                "--apop-pass", common.APOP_PASS,
                "--cases", path, "--level", args.level,
                "--proto", proto, "--timeout", str(args.timeout)]
        if profile is not None:
            argv += ["--profile", profile]
        if second and profile is not None:
            # A second session of the same revision: its own listener.
            argv += ["--port2", str(srv.port)]
        elif second:
            argv += ["--port2", str(srv.ports.get(plain, srv.port))]
        if args.tls or args.stls:
            argv += ["--tls" if args.tls else "--stls",
                     "--cafile", args.cert]
        elif own_tls:
            argv += ["--cafile", args.case_cert]
        if args.verbose:
            argv.append("-v")
        if args.report_dir is not None:
            label = args.label
            if profile is not None and args.label_per_profile:
                label = "%s %s" % (label, profile)
            argv += ["--report", os.path.join(
                args.report_dir, "%s.md" % name.replace("/", "_")),
                "--label", label] + CLAUSE_ARGS
        try:
            r = subprocess.run(argv, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=240)
            out = r.stdout.decode(errors="replace")
            err = r.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired:
            out, err = "FAIL %s: runner did not finish in 240s\n" % name, ""
            r = subprocess.CompletedProcess(argv, 1)
        results = []
        for line in out.splitlines():
            if line.startswith("ok "):
                results.append(("ok", name, ""))
            elif line.startswith("skip "):
                results.append(("skip", name, line.split(": ", 1)[-1]))
            elif line.startswith("FAIL "):
                results.append(("FAIL", name, line.split(": ", 1)[-1]))
        if not results:
            results.append(("FAIL", name, "runner printed no result: %s%s"
                            % (out, err)))
        elif r.returncode not in (0, 1):
            # A sanitizer report or a crash in the runner itself.
            results = [("FAIL", name, "runner exited %d: %s"
                        % (r.returncode, err[-1500:]))]
        problems = srv.stop()
        if problems:
            results = [r for r in results if r[0] != "ok"]
            results.append(("FAIL", name, "; ".join(problems)))
        if args.verbose or any(r[0] == "FAIL" for r in results):
            extra = err if args.verbose else ""
            results.append(("log", name, extra + "server log (tail):\n"
                            + srv.log_tail(1500)))
        return results
    finally:
        srv.cleanup()


def uses_apop_user(path):
    """The case logs in as the APOP user: only then does that user get
    a copy of the fixture (a delivery run pays for every message)."""
    try:
        with open(path, "rb") as f:
            return b"${apop-user}" in f.read()
    except OSError:
        return True


def can_drop_dac():
    """common.Server.unreadable_wrapper works here: setpriv exists and may
    shrink the bounding set (CAP_SETPCAP)."""
    try:
        return subprocess.run(
            ["setpriv", "--bounding-set", "-dac_override,-dac_read_search",
             "--", "true"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def make_cert(certdir):
    """A throwaway P-256 certificate for localhost and 127.0.0.1."""
    cert = os.path.join(certdir, "cert.pem")
    key = os.path.join(certdir, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-days", "2", "-keyout", key, "-out", cert],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True,
        timeout=60)
    return cert, key


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--polypopd", required=True)
    ap.add_argument("--conform", required=True)
    ap.add_argument("--store", default="maildir", choices=["maildir", "mbox"])
    ap.add_argument("--fixture-via", default="direct",
                    choices=["direct", "deliver"])
    ap.add_argument("--cases", default=os.path.join(HERE, "cases", "pop3"))
    ap.add_argument("--only", default="*")
    ap.add_argument("--listener", default=None,
                    help="serve every case on this --listen protocol "
                    "(default: the case's proto:, e.g. pop2)")
    ap.add_argument("--profile", default=None,
                    help="run only the cases listing this profile, once "
                    "each, against a pop3/PROFILE listener")
    ap.add_argument("--level", default="polypop", choices=["rfc", "polypop"])
    ap.add_argument("--timeout", default="10")
    tls = ap.add_mutually_exclusive_group()
    tls.add_argument("--tls", action="store_true",
                     help="every case over implicit TLS (pop3s, RFC 8314)")
    tls.add_argument("--stls", action="store_true",
                     help="every case after STLS (RFC 2595)")
    ap.add_argument("-j", "--jobs", type=int, default=4)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--report", default=None,
                    help="add this run's column to the clause matrix FILE")
    ap.add_argument("--label", default=None,
                    help="the column's name (polypop/STORE[/PROFILE])")
    ap.add_argument("--label-per-profile", action="store_true",
                    help="a case run for profile P goes to column "
                    "'LABEL P' (one column per POP3 revision)")
    args = ap.parse_args()
    args.report_dir = None
    if args.report is not None:
        args.report_dir = tempfile.mkdtemp(prefix="conform-report.")
        if args.label is None:
            args.label = "polypop/%s%s" % (
                args.store, "/" + args.profile if args.profile else "")

    rep = common.Report()
    if not os.access(args.polypopd, os.X_OK):
        rep.fail("setup", "no executable server at %s" % args.polypopd)
        return rep.close()
    args.cert = args.key = None
    certdir = tempfile.mkdtemp(prefix="polypop-cert-")
    try:
        # --tls/--stls: every server; else only "@stls" cases' servers.
        args.case_cert, args.case_key = make_cert(certdir)
        if args.tls or args.stls:
            args.cert, args.key = args.case_cert, args.case_key
    except (OSError, subprocess.SubprocessError) as e:
        shutil.rmtree(certdir, ignore_errors=True)
        rep.fail("setup", "openssl req (test certificate): %s" % e)
        return rep.close()
    try:
        return run_all(args, rep)
    finally:
        if certdir is not None and not args.keep:
            shutil.rmtree(certdir, ignore_errors=True)


def run_all(args, rep):
    # (case, profile) jobs: a case with profiles once per profile.
    jobs = []
    for c in common.list_cases(args.conform, [args.cases]):
        for prof in (c[7] or [None]):
            if args.profile is not None and prof != args.profile:
                continue
            full = c[0] if prof is None else "%s[%s]" % (c[0], prof)
            # "NAME[P]" literally too: '[' starts a class in a glob.
            if full == args.only or fnmatch.fnmatch(c[0], args.only) or \
                    fnmatch.fnmatchcase(full, args.only):
                jobs.append((c, prof))
    print("# %d cases, server %s, store %s, fixtures %s%s"
          % (len(jobs), args.polypopd, args.store, args.fixture_via,
             ", over TLS (pop3s)" if args.tls else
             ", over TLS (STLS)" if args.stls else ""),
          flush=True)
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
        for results in ex.map(lambda j: run_one(args, *j), jobs):
            for kind, name, why in results:
                if kind == "ok":
                    rep.ok(name)
                elif kind == "skip":
                    rep.skip(name, why)
                elif kind == "FAIL":
                    rep.fail(name, why)
                else:
                    print("    " + why.replace("\n", "\n    "), flush=True)
    if args.report_dir is not None:
        merge_report(args, rep)
    return rep.close()


def merge_report(args, rep):
    """One writer, after the last case: the per-case reports into
    --report FILE as the column --label."""
    parts = sorted(os.path.join(args.report_dir, f)
                   for f in os.listdir(args.report_dir) if f.endswith(".md"))
    argv = [args.conform, "--report", args.report] + CLAUSE_ARGS
    for p in parts:
        argv += ["--merge", p]
    if not parts:
        rep.fail("report", "no case wrote a report; %s unchanged"
                 % args.report)
        os.rmdir(args.report_dir)
        return
    r = subprocess.run(argv, stderr=subprocess.PIPE)
    if r.returncode != 0:
        rep.fail("report", r.stderr.decode(errors="replace").strip())
    for p in os.listdir(args.report_dir):
        os.unlink(os.path.join(args.report_dir, p))
    os.rmdir(args.report_dir)


if __name__ == "__main__":
    sys.exit(main())

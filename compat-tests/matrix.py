#!/usr/bin/env python3
"""The conformance matrix of docs/conformance.md: every clause of
compat-tests/clauses.txt against polypop's protocols and POP3 revisions,
and against a reference peer (Dovecot).

  matrix.py [--polypopd PATH] [--conform PATH] --out FILE
            [--peer SCRIPT [--peer-label TEXT] | --no-peer] [--no-polypop]
            [--check COMMITTED] [-j N] [-v]

(--polypopd and --conform default to build/polypopd and
build/compat-tests/polypop-conform of this checkout.)  Another server:
a SCRIPT that takes polypopd's command line (`--listen pop3@HOST:PORT
--users FILE --mail LOCATION [--config FILE]`, prints `listening pop3
HOST:PORT` once it accepts, and stops on SIGTERM; peers/dovecot.sh is
the worked example) as --peer, with --no-polypop for its column alone.

Runs compat-tests/harness/run.py (one fresh server per case, Maildir):

  column "polypop"        cases/pop3 (the current POP3, every level),
                          cases/pop2, cases/pop1, cases/pop109
  column "polypop rfcNNNN"  cases/pop3-profiles, each instance on its
                          revision's listener (pop3/rfcNNNN)
  column PEER-LABEL       cases/pop3 at --level rfc against the peer,
                          started by SCRIPT (peers/dovecot.sh takes
                          polypopd's command line); default label
                          "dovecot VERSION" from `dovecot --version`

and merges their reports into FILE (polypop-conform --report FILE
--merge ...), keeping any text before the matrix.  Between the lines
"<!-- matrix summary -->" and "<!-- end matrix summary -->" FILE gets a
count of ok / FAIL / skip / — per column and RFC.

--check COMMITTED: FILE starts as a copy of COMMITTED; afterwards every
cell is compared.  A polypop cell that was ok and is not any more is a
REGRESSION; any other change means COMMITTED is stale.  Either fails
(exit 1) with the cells that differ and the command that refreshes it.
Without a peer (not installed) the run fails unless POLYPOP_ALLOW_SKIP=1,
which skips (exit 77).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RUN = os.path.join(HERE, "harness", "run.py")
CASES = os.path.join(HERE, "cases")
CLAUSES = os.path.join(HERE, "clauses.txt")
MARKER = "<!-- polypop-conform report v1 -->"
SUMMARY_BEGIN = "<!-- matrix summary -->"
SUMMARY_END = "<!-- end matrix summary -->"
PROFILES = ["rfc1081", "rfc1082", "rfc1225", "rfc1460", "rfc1725", "rfc1939"]


def run_suite(a, tmp, n, cases, label, extra=(), server=None):
    """One run.py over a case directory; its report goes to tmp/n.md."""
    out = os.path.join(tmp, "%d.md" % n)
    argv = [sys.executable, RUN, "--polypopd", server or a.polypopd,
            "--conform", a.conform, "--cases", os.path.join(CASES, cases),
            "--store", "maildir", "-j", str(a.jobs), "--report", out,
            "--label", label] + list(extra)
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = r.stdout.decode(errors="replace")
    last = [ln for ln in text.splitlines() if re.match(r"\d+ passed", ln)]
    print("# %-14s %-12s %s" % (label, cases, last[-1] if last else
                                "(no closing line)"), flush=True)
    if a.verbose or not os.path.exists(out):
        sys.stdout.write(text)
    return out if os.path.exists(out) else None


def read_matrix(path):
    """{(row, column): cell} and the column order, from a report."""
    cells, cols = {}, []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if MARKER not in text:
        sys.exit("matrix.py: %s holds no matrix" % path)
    for ln in text.split(MARKER, 1)[1].splitlines():
        if not ln.startswith("|"):
            continue
        parts = [p.strip().replace("\\|", "|")
                 for p in re.split(r"(?<!\\)\|", ln)[1:-1]]
        if parts[0] == "Clause":
            cols = parts[2:]
        elif not parts[0].startswith("---"):
            for c, v in zip(cols, parts[2:]):
                cells[(parts[0], c)] = v
    return cells, cols


def summary(path):
    """The per-column, per-RFC counts, put between the summary markers."""
    cells, cols = read_matrix(path)
    rfcs = []
    for (row, _c) in cells:
        rfc = row.split(" §")[0]
        if rfc not in rfcs:
            rfcs.append(rfc)
    rfcs.sort(key=lambda r: int(r.split()[1]))
    kinds = ["ok", "FAIL", "skip", "—"]
    lines = [SUMMARY_BEGIN,
             "Units per RFC and column: ok / FAIL / skip / — (none ran); "
             "a lone — when no case of the RFC ran there.",
             "",
             "| RFC | " + " | ".join(c.replace("|", "\\|") for c in cols)
             + " |",
             "|---|" + "---|" * len(cols)]
    for rfc in rfcs + ["all"]:
        row = ["| %s |" % rfc]
        for c in cols:
            n = {k: 0 for k in kinds}
            for (r, cc), v in cells.items():
                if cc == c and (rfc == "all" or r.split(" §")[0] == rfc):
                    n[v] = n.get(v, 0) + 1
            ran = n["ok"] + n["FAIL"] + n["skip"]
            row.append(" %s |" % (" / ".join(str(n[k]) for k in kinds)
                                  if ran else "—"))
        lines.append("".join(row))
    lines.append(SUMMARY_END)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if SUMMARY_BEGIN in text and SUMMARY_END in text:
        head, rest = text.split(SUMMARY_BEGIN, 1)
        tail = rest.split(SUMMARY_END, 1)[1]
        text = head + "\n".join(lines) + tail
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(path + ".tmp", path)


def compare(old_path, new_path, out_hint):
    old, _ = read_matrix(old_path)
    new, _ = read_matrix(new_path)
    regress, changed = [], []
    for key in sorted(set(old) | set(new)):
        o, n = old.get(key, "(none)"), new.get(key, "(none)")
        if o == n:
            continue
        if key[1].startswith("polypop") and o == "ok":
            regress.append("REGRESSION %s [%s]: was ok, now %s"
                           % (key[0], key[1], n))
        else:
            changed.append("changed %s [%s]: %s -> %s" % (key[0], key[1], o, n))
    for ln in regress + changed:
        print(ln)
    if regress or changed:
        print("docs/conformance.md %s; after fixing any regression, "
              "refresh it with\n  cp %s docs/conformance.md\n(and explain "
              "any new peer deviation there)"
              % ("has polypop regressions" if regress else "is stale",
                 out_hint))
        return 1
    print("the matrix is unchanged: %d cells" % len(new))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    root = os.path.dirname(HERE)
    ap.add_argument("--polypopd", default=os.path.join(root, "build",
                                                       "polypopd"))
    ap.add_argument("--conform", default=os.path.join(
        root, "build", "compat-tests", "polypop-conform"))
    ap.add_argument("--no-polypop", action="store_true",
                    help="only the peer's column")
    ap.add_argument("--out", required=True)
    ap.add_argument("--peer", default=os.path.join(HERE, "peers",
                                                   "dovecot.sh"))
    ap.add_argument("--peer-label", default=None)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--check", default=None)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()

    peer = not a.no_peer
    if a.no_polypop and not peer:
        sys.exit("matrix.py: --no-polypop and --no-peer leave nothing to run")
    if peer and a.peer_label is None and \
            os.path.basename(a.peer) != "dovecot.sh":
        a.peer_label = os.path.basename(a.peer)
    if peer and a.peer_label is None:
        try:
            v = subprocess.run(["dovecot", "--version"],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL).stdout.decode()
            a.peer_label = "dovecot " + v.split()[0]
        except (OSError, IndexError):
            if os.environ.get("POLYPOP_ALLOW_SKIP") == "1":
                print("skip: dovecot is not installed "
                      "(apt-get install dovecot-pop3d)")
                sys.exit(77)
            sys.exit("matrix.py: dovecot is not installed (apt-get install "
                     "dovecot-pop3d), or pass --no-peer")
    if a.check:
        shutil.copyfile(a.check, a.out)
    if not os.path.exists(a.out):
        # Seed the column order: polypop, its revisions, the peer.
        cols = ([] if a.no_polypop else
                ["polypop"] + ["polypop " + p for p in PROFILES]) + \
            ([a.peer_label] if peer else [])
        with open(a.out, "w", encoding="utf-8") as f:
            f.write("%s\n| Clause | Title | %s |\n|---|---|%s\n" % (
                MARKER, " | ".join(cols), "---|" * len(cols)))
    tmp = tempfile.mkdtemp(prefix="polypop-matrix.")
    try:
        parts = []
        if not a.no_polypop:
            parts = [run_suite(a, tmp, 1, "pop3", "polypop"),
                     run_suite(a, tmp, 2, "pop2", "polypop"),
                     run_suite(a, tmp, 3, "pop1", "polypop"),
                     run_suite(a, tmp, 4, "pop109", "polypop"),
                     run_suite(a, tmp, 5, "pop3-profiles", "polypop",
                               ["--label-per-profile"])]
        if peer:
            parts.append(run_suite(a, tmp, 6, "pop3", a.peer_label,
                                   ["--level", "rfc"], server=a.peer))
        if None in parts:
            sys.exit("matrix.py: a run wrote no report (above)")
        argv = [a.conform, "--report", a.out, "--clauses", CLAUSES]
        for p in parts:
            argv += ["--merge", p]
        r = subprocess.run(argv)
        if r.returncode != 0:
            sys.exit("matrix.py: polypop-conform --merge failed")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary(a.out)
    if a.check:
        sys.exit(compare(a.check, a.out, a.out))
    print("wrote %s" % a.out)


if __name__ == "__main__":
    main()

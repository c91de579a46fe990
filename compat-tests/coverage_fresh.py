#!/usr/bin/env python3
"""meson test conform-coverage-fresh: regenerates COVERAGE.md into the
build directory and fails, naming the command that refreshes it, when the
committed compat-tests/COVERAGE.md differs.

usage: coverage_fresh.py CONFORM COMMITTED OUT ARGS...
"""
import subprocess
import sys


def main():
    conform, committed, out = sys.argv[1:4]
    args = sys.argv[4:]
    r = subprocess.run([conform, '--coverage'] + args,
                       stdout=subprocess.PIPE)
    if r.returncode != 0:
        sys.stdout.write(r.stdout.decode(errors='replace'))
        sys.exit('polypop-conform --coverage failed (%d)' % r.returncode)
    with open(out, 'wb') as f:
        f.write(r.stdout)
    with open(committed, 'rb') as f:
        old = f.read()
    if old != r.stdout:
        sys.exit('compat-tests/COVERAGE.md is stale (clauses.txt, '
                 'untestable.txt or a case changed); refresh it with\n'
                 '  cp %s compat-tests/COVERAGE.md\n'
                 'or the polypop-conform --coverage command in '
                 'compat-tests/README.md, "Coverage and reports"' % out)
    print('COVERAGE.md is fresh')


if __name__ == '__main__':
    main()

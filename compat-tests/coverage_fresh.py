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
        sys.exit('compat-tests/COVERAGE.md is stale; refresh it with\n'
                 '  ninja -C BUILD && cp BUILD/compat-tests/COVERAGE.md '
                 'compat-tests/COVERAGE.md\n'
                 '(this test just wrote %s), or run\n'
                 '  BUILD/compat-tests/polypop-conform --coverage %s '
                 '> compat-tests/COVERAGE.md\n'
                 'from the repository root (compat-tests/README.md, '
                 '"Coverage")' % (out, ' '.join(
                     a.replace(sys.argv[2].rsplit('/', 1)[0],
                               'compat-tests') for a in args)))
    print('COVERAGE.md is fresh')


if __name__ == '__main__':
    main()

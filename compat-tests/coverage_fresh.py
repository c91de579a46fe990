#!/usr/bin/env python3
"""meson test conform-coverage-fresh: regenerates COVERAGE.md into the
build directory and fails, naming the command that refreshes it, when the
committed compat-tests/COVERAGE.md differs.  It also fails while any unit
is "not yet covered": issue 7 asks for every MUST, SHOULD and form to have
a case or a reason, and this keeps it so.

usage: coverage_fresh.py CONFORM COMMITTED OUT ARGS...
"""
import re
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
    # The tally's last row: | all | req | forms | other | covered |
    # untestable | not yet covered |
    m = re.search(rb'^\| all \|(?: *[0-9]+ *\|){5} *([0-9]+) *\|$',
                  r.stdout, re.M)
    if m is None:
        sys.exit('COVERAGE.md has no "| all |" tally row')
    if int(m.group(1)) != 0:
        sys.exit('%d units are not yet covered: add a case (covers: the '
                 'unit) or a line in compat-tests/untestable.txt saying '
                 'why it cannot be tested over the wire; %s lists them as '
                 '**not yet covered**' % (int(m.group(1)), out))
    print('COVERAGE.md is fresh, and every unit has a case or a reason')


if __name__ == '__main__':
    main()

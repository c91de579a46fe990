#!/bin/sh
# check-options.sh PROGRAM PAGE.scd: every option PROGRAM's --help names
# (a "--name" not followed by "=", which only shows the syntax) has an
# entry in its man page, written *--name*, so a new flag gets documented.
bin=$1
page=$2
opts=$("$bin" --help 2>&1 | grep -o -- '--[a-z0-9][a-z0-9-]*=\{0,1\}' |
	grep -v '=$' | sort -u)
if [ -z "$opts" ]; then
	echo "$bin --help names no options" >&2
	exit 1
fi
missing=0
for o in $opts; do
	if ! grep -q -- "\\*$o\\*" "$page"; then
		echo "$page: no entry for $o (in \`$bin --help\`)" >&2
		missing=1
	fi
done
exit $missing

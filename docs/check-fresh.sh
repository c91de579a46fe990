#!/bin/sh
# check-fresh.sh COMMITTED GENERATED COMMAND: the docs freshness test.
# Fails, showing the difference and the command that rewrites COMMITTED,
# when the committed copy differs from what the build generated.
committed=$1
generated=$2
command=$3
if diff -u "$committed" "$generated"; then
	exit 0
fi
echo >&2
echo "STALE: $committed no longer matches what the tables produce." >&2
echo "Regenerate it with:" >&2
echo "  $command" >&2
echo "or every generated file in docs/ with: sh docs/regenerate.sh BUILDDIR" >&2
exit 1

#!/bin/sh
# regenerate.sh [BUILDDIR | POLYPOPD]: rewrite every file in docs/ that is
# generated from the protocol tables, with the built polypopd (default:
# the build/ directory next to docs/).  For each PROTO[/PROFILE] that
# `polypopd commands --list` prints: the page (pop3-rfc1081.md, or
# pop3-commands.md for the default profile) and states/pop3-rfc1081.dot.
# Also: meson compile -C BUILDDIR docs-regenerate.
set -eu
docs=$(cd "$(dirname "$0")" && pwd)
arg=${1:-$docs/../build}
if [ -d "$arg" ]; then
	bin=$arg/polypopd
else
	bin=$arg
fi
if [ ! -x "$bin" ]; then
	echo "regenerate.sh: no polypopd at $bin (build it first: meson compile -C BUILDDIR)" >&2
	exit 1
fi
mkdir -p "$docs/states"
for spec in $("$bin" commands --list); do
	name=$(printf '%s' "$spec" | tr / -)
	case $spec in
	*/*) page=$name.md ;;
	*) page=$spec-commands.md ;;
	esac
	"$bin" commands "$spec" > "$docs/$page.tmp"
	mv "$docs/$page.tmp" "$docs/$page"
	echo "wrote docs/$page"
	if "$bin" states "$spec" > "$docs/states/$name.dot.tmp" 2>/dev/null; then
		mv "$docs/states/$name.dot.tmp" "$docs/states/$name.dot"
		echo "wrote docs/states/$name.dot"
	else
		rm -f "$docs/states/$name.dot.tmp"
	fi
done

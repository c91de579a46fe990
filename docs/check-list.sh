#!/bin/sh
# check-list.sh POLYPOPD SPEC...: the specs docs/meson.build lists must be
# exactly those `polypopd commands --list` prints, in the same order, so
# that a new profile gets its page, its diagram and their tests.
bin=$1
shift
want=$("$bin" commands --list) || exit 1
have=$(printf '%s\n' "$@")
if [ "$want" = "$have" ]; then
	exit 0
fi
echo "docs/meson.build's doc_specs differ from \`polypopd commands --list\`:" >&2
printf '%s\n' "$@" > "${TMPDIR:-/tmp}/check-list.$$.have"
"$bin" commands --list > "${TMPDIR:-/tmp}/check-list.$$.want"
diff -u "${TMPDIR:-/tmp}/check-list.$$.have" "${TMPDIR:-/tmp}/check-list.$$.want" >&2
rm -f "${TMPDIR:-/tmp}/check-list.$$.have" "${TMPDIR:-/tmp}/check-list.$$.want"
echo "Update doc_specs in docs/meson.build, then run: sh docs/regenerate.sh BUILDDIR" >&2
exit 1

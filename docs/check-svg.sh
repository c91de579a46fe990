#!/bin/sh
# check-svg.sh FILE: Graphviz rendered a state diagram: FILE is not empty
# and holds an <svg> element.
if [ ! -s "$1" ]; then
	echo "$1 is missing or empty: dot did not render it" >&2
	exit 1
fi
if ! grep -q '<svg' "$1"; then
	echo "$1 holds no <svg> element" >&2
	exit 1
fi
exit 0

#!/bin/sh
# md2man.sh IN.md OUT: a man page from docs/man/*.md with go-md2man (Debian
# package go-md2man).  The page's first line, "# podctl(1)", becomes the
# title block "% podctl 1" that go-md2man turns into .TH.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 IN.md OUT" >&2; exit 2; }
command -v go-md2man >/dev/null || { echo "$0: go-md2man not found (apt-get install go-md2man)" >&2; exit 1; }
sed '1s/^# \([A-Za-z0-9_-]*\)(\([0-9][a-z]*\))$/% \1 \2/' "$1" | go-md2man >"$2.tmp"
mv "$2.tmp" "$2"

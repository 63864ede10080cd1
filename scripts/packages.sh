#!/bin/sh
# Prints the packages of the given sections of a package list (deploy/debian-packages.txt), one
# per line: `packages.sh LIST build test`. An unknown section is an error.
set -eu
list=$1
shift
for section in "$@"; do
  grep -q "^\[$section\][[:space:]]*$" "$list" || { echo "packages.sh: $list has no [$section]" >&2; exit 2; }
done
awk -v want=" $* " '
  { sub(/#.*/, ""); gsub(/^[ \t]+|[ \t]+$/, "") }
  /^\[.*\]$/ { section = substr($0, 2, length($0) - 2); next }
  $0 != "" && index(want, " " section " ") { print }
' "$list"

#!/bin/sh
# Installs the Debian packages of the given sections of deploy/debian-packages.txt that are
# missing, e.g. `install-deps.sh build test`. Does nothing (and needs no network or root) when
# everything is installed.
set -eu

[ $# -gt 0 ] || { echo "usage: install-deps.sh SECTION..." >&2; exit 2; }
list="$(dirname "$0")/../deploy/debian-packages.txt"
packages=$("$(dirname "$0")/packages.sh" "$list" "$@")

missing=""
for p in $packages; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing$missing"
if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1; then
  sudo="sudo"
else
  echo "install-deps: missing packages:$missing; run as root or install sudo" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q -o DPkg::Lock::Timeout=600
# Without starting or enabling the services the packages ship (the test servers among them).
# shellcheck disable=SC2086
$sudo "$(dirname "$0")/apt-install-quietly.sh" $missing

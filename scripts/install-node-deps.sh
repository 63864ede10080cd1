#!/bin/sh
# Installs the npm packages of each test-suite Node.js project given (a directory holding
# package.json and package-lock.json) with `npm ci`, exactly as locked. Skips a project whose
# node_modules already matches its lock file, so a second `make test` needs no network.
# Installs Debian's nodejs and npm ([node] in deploy/debian-packages.txt) when npm is missing.
set -eu

here=$(dirname "$0")
if ! command -v npm >/dev/null 2>&1; then
  "$here/install-deps.sh" node
fi

for project in "$@"; do
  lock="$project/package-lock.json"
  [ -f "$lock" ] || { echo "install-node-deps: $lock is missing" >&2; exit 1; }
  stamp="$project/node_modules/.rh-lock.sha256"
  want=$(sha256sum "$lock" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    continue
  fi
  echo "install-node-deps: npm ci in $project"
  (cd "$project" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
done

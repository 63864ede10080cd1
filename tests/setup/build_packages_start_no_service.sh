#!/bin/sh
# `make run` installs the [build] section of deploy/debian-packages.txt: none of those packages,
# nor anything they pull in, may ship a service (a systemd unit or a SysV init script) -- except
# the packages every Debian system has anyway (Essential, or Priority required/important).
# Usage: build_packages_start_no_service.sh SOURCE_DIR
set -eu
src=$1
packages=$("$src/scripts/packages.sh" "$src/deploy/debian-packages.txt" build)
# The installed dependency closure (Depends and PreDepends; --no-install-recommends is used).
closure=$(apt-cache depends --recurse --installed --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances $packages 2>/dev/null | grep -v '^ ' | grep -v '^<' |
  sed 's/:.*//' | sort -u)
count=0
failed=0
for p in $closure; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || continue
  count=$((count + 1))
  fields=$(dpkg-query -W -f='${Essential} ${Priority}' "$p")
  case "$fields" in yes*|*required|*important) continue ;; esac
  services=$(dpkg -L "$p" | grep -E '^/(usr/)?lib/systemd/(system|user)/[^/]+\.(service|socket|timer|path)$|^/etc/init\.d/[^/]+$' || true)
  if [ -n "$services" ]; then
    echo "FAIL: $p (pulled in by [build]) ships a service:"
    echo "$services" | sed 's/^/  /'
    failed=1
  fi
done
[ "$count" -gt 10 ] || { echo "FAIL: only $count installed packages found for [build]"; exit 1; }
[ "$failed" -eq 0 ] || exit 1
echo "ok: $count packages of [build] and their dependencies, none ships a service"

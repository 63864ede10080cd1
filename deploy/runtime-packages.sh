#!/bin/sh
# Prints the Debian packages that hold the shared libraries the given executables link, one per
# line, sorted: `runtime-packages.sh BIN...`. deploy/Dockerfile installs exactly these in the
# runtime image, so a library added to [build] in deploy/debian-packages.txt reaches the image
# without a second list. Fails, naming the library, when ldd cannot find one or no package owns it.
set -eu

[ $# -gt 0 ] || { echo "usage: runtime-packages.sh EXECUTABLE..." >&2; exit 2; }

# dpkg records each file under the path its package ships, which on a merged-/usr system may
# differ from the path ldd prints (/lib/x86_64-linux-gnu/... against /usr/lib/x86_64-linux-gnu/...).
owner() {
  for candidate in "$1" "$(realpath "$1")" "/usr$1" "${1#/usr}"; do
    if found=$(dpkg-query -S "$candidate" 2>/dev/null); then
      # "pkg-a:amd64, pkg-b:amd64: /path" -> one package per line
      printf '%s\n' "${found%%: /*}" | tr ',' '\n' | sed 's/^ *//'
      return 0
    fi
  done
  echo "runtime-packages: no Debian package owns $1" >&2
  return 1
}

libraries=""
for bin in "$@"; do
  [ -f "$bin" ] || { echo "runtime-packages: $bin: no such file" >&2; exit 1; }
  out=$(ldd "$bin") || { echo "runtime-packages: ldd $bin failed" >&2; exit 1; }
  missing=$(printf '%s\n' "$out" | awk '$2 == "=>" && $3 == "not" {print $1}')
  [ -z "$missing" ] || { echo "runtime-packages: $bin: not found:" $missing >&2; exit 1; }
  libraries="$libraries $(printf '%s\n' "$out" | awk '$2 == "=>" && $3 ~ /^\// {print $3}')"
done

packages=""
for lib in $(printf '%s\n' $libraries | sort -u); do
  packages="$packages
$(owner "$lib")" || exit 1
done
printf '%s\n' $packages | sort -u

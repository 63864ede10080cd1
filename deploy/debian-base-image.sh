#!/bin/sh
# Makes the debian:12 image that deploy/Dockerfile starts from, for a Docker engine that cannot
# pull from an image registry: a minimal Debian 12 made by debootstrap from the Debian mirror apt
# already uses, imported with `docker import`. Run as root (debootstrap needs it):
#   deploy/debian-base-image.sh [TAG]          (TAG defaults to debian:12)
# DEBIAN_MIRROR overrides the mirror (default: the one apt's sources use for bookworm).
# The image's apt reads bookworm, bookworm-updates and bookworm-security from that mirror, and
# keeps no package lists or .deb files in the layers built on it, as Debian's own image does.
set -eu

tag=${1:-debian:12}
[ "$(id -u)" -eq 0 ] || { echo "debian-base-image: run as root (debootstrap needs it)" >&2; exit 1; }
for tool in debootstrap docker; do
  command -v "$tool" >/dev/null 2>&1 || { echo "debian-base-image: $tool is not installed" >&2; exit 1; }
done

# The first http(s) URI apt uses for bookworm, from one-line or deb822 sources.
apt_mirror() {
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && awk '$1 == "deb" && $3 == "bookworm" && $2 ~ /^https?:/ {print $2; exit}' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && awk '
      /^[ \t]*$/ { if (uri != "" && suites ~ /(^| )bookworm( |$)/) { print uri; exit } uri = ""; suites = "" }
      tolower($1) == "uris:" && $2 ~ /^https?:/ { uri = $2 }
      tolower($1) == "suites:" { $1 = ""; suites = $0 " " }
      END { if (uri != "" && suites ~ /(^| )bookworm( |$)/) print uri }' "$f"
  done
}
mirror=${DEBIAN_MIRROR:-$(apt_mirror | head -n 1)}
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}
security=$(printf '%s' "$mirror" | sed 's|/debian$|/debian-security|')
[ "$security" != "$mirror" ] || security=http://deb.debian.org/debian-security

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
echo "debian-base-image: debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 \
  || { tail -n 20 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"

rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
# No package caches in image layers, no translations, no services started by package scripts.
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
EOF
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb

tar -C "$root" --numeric-owner -c . |
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --message "debootstrap --variant=minbase bookworm $mirror" - "$tag"
echo "debian-base-image: made $tag"

#!/bin/sh
# scripts/apt-install-quietly.sh installs a package that ships a service the way Debian's
# debhelper packages do (prometheus, prometheus-alertmanager, prometheus-node-exporter): a
# systemd unit enabled by deb-systemd-helper and started by deb-systemd-invoke where systemd
# runs, and a SysV script registered by update-rc.d and started by invoke-rc.d elsewhere (as on
# this machine). Afterwards nothing may run and nothing may be enabled that was not before.
# The package is built here, installed, checked and purged. Needs root and dpkg-deb.
# Usage: quiet_install_test.sh SOURCE_DIR
set -eu
src=$1
name=rh-quiet-install-test
[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root (it installs a package)"; exit 1; }
work=$(mktemp -d)
policy=/usr/sbin/policy-rc.d
aside=""
cleanup() {
  dpkg --purge "$name" >/dev/null 2>&1 || true
  pkill -f "^/bin/sleep 31536000 $name" 2>/dev/null || true
  if [ -n "$aside" ]; then mv "$aside" "$policy"; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The package.
root=$work/pkg
mkdir -p "$root/DEBIAN" "$root/lib/systemd/system" "$root/etc/init.d"
cat >"$root/DEBIAN/control" <<END
Package: $name
Version: 1.0
Architecture: all
Maintainer: rogue-hunter tests <tests@localhost>
Description: a service for the test of apt-install-quietly.sh
END
cat >"$root/lib/systemd/system/$name.service" <<END
[Unit]
Description=test service
[Service]
ExecStart=/bin/sleep 31536000 $name
[Install]
WantedBy=multi-user.target
END
cat >"$root/etc/init.d/$name" <<END
#!/bin/sh
### BEGIN INIT INFO
# Provides:          $name
# Required-Start:    \$remote_fs
# Required-Stop:     \$remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: test service
### END INIT INFO
case "\$1" in
  start) /bin/sleep 31536000 $name >/dev/null 2>&1 & ;;
  stop) pkill -f "^/bin/sleep 31536000 $name" || true ;;
esac
exit 0
END
chmod 755 "$root/etc/init.d/$name"
# What dh_installinit and dh_installsystemd generate (debhelper 13, as in Debian 12).
cat >"$root/DEBIAN/postinst" <<END
#!/bin/sh
set -e
if [ "\$1" = "configure" ]; then
  update-rc.d $name defaults >/dev/null
  invoke-rc.d --skip-systemd-native $name start || exit 1
  deb-systemd-helper unmask '$name.service' >/dev/null || true
  if deb-systemd-helper --quiet was-enabled '$name.service'; then
    deb-systemd-helper enable '$name.service' >/dev/null || true
  else
    deb-systemd-helper update-state '$name.service' >/dev/null || true
  fi
  if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
    deb-systemd-invoke start '$name.service' >/dev/null || true
  fi
fi
exit 0
END
cat >"$root/DEBIAN/postrm" <<END
#!/bin/sh
set -e
if [ "\$1" = "purge" ]; then
  update-rc.d $name remove >/dev/null || true
  deb-systemd-helper purge '$name.service' >/dev/null || true
fi
exit 0
END
chmod 755 "$root/DEBIAN/postinst" "$root/DEBIAN/postrm"
dpkg-deb --build --root-owner-group "$root" "$work/$name.deb" >/dev/null

# Without a policy-rc.d of its own (a Docker image has one; this test moves it aside).
if [ -e "$policy" ]; then
  aside=$work/policy-rc.d.saved
  mv "$policy" "$aside"
fi
links_before=$(find /etc/systemd/system -path '*.wants/*' 2>/dev/null | sort; ls -1d /etc/rc[0-6S].d/S* 2>/dev/null | sort)

"$src/scripts/apt-install-quietly.sh" "$work/$name.deb" >"$work/log" 2>&1 || {
  cat "$work/log"; echo "FAIL: apt-install-quietly.sh failed"; exit 1; }

failed=0
dpkg-query -W -f='${db:Status-Status}' "$name" | grep -qx installed ||
  { echo "FAIL: $name is not installed"; failed=1; }
if pgrep -f "^/bin/sleep 31536000 $name" >/dev/null; then
  echo "FAIL: the service was started"; failed=1
fi
links_after=$(find /etc/systemd/system -path '*.wants/*' 2>/dev/null | sort; ls -1d /etc/rc[0-6S].d/S* 2>/dev/null | sort)
if [ "$links_before" != "$links_after" ]; then
  echo "FAIL: service links changed; now:"
  printf '%s\n' "$links_after" | grep "$name" || true
  failed=1
fi
if [ -e "$policy" ]; then echo "FAIL: $policy was left behind"; failed=1; fi
grep -q "left disabled, as before the install: $name.service $name(SysV)\|left disabled, as before the install: $name(SysV) $name.service" "$work/log" ||
  { echo "FAIL: the script did not say what it disabled:"; cat "$work/log"; failed=1; }
# The SysV script is registered, only disabled (K links), so the user can still enable it.
ls /etc/rc2.d/K*"$name" >/dev/null 2>&1 || { echo "FAIL: no K link in /etc/rc2.d"; failed=1; }

# An existing policy-rc.d is respected and left in place.
if [ -n "$aside" ]; then
  mv "$aside" "$policy"
  aside=""
  dpkg --purge "$name" >/dev/null
  "$src/scripts/apt-install-quietly.sh" "$work/$name.deb" >"$work/log2" 2>&1 ||
    { cat "$work/log2"; echo "FAIL: second install failed"; exit 1; }
  [ -e "$policy" ] || { echo "FAIL: the existing $policy was removed"; failed=1; }
  if pgrep -f "^/bin/sleep 31536000 $name" >/dev/null; then
    echo "FAIL: the service was started (existing policy)"; failed=1
  fi
fi
[ "$failed" -eq 0 ] || exit 1
echo "ok: installed $name without starting or enabling its service"

#!/bin/sh
# Installs Debian packages (apt-get install ARGS...) without starting or enabling the services
# they ship. The test suite and the benchmarks install servers (prometheus, prometheus-alertmanager,
# prometheus-node-exporter) only to run their own instances on loopback; their packages would
# otherwise start them at once and enable them at every boot, on ports 9090, 9093 and 9100.
#
# - While apt runs, /usr/sbin/policy-rc.d answers 101 ("action forbidden"): invoke-rc.d (SysV
#   scripts, used where systemd is not PID 1) and deb-systemd-invoke (systemd units) then start
#   nothing. An existing policy-rc.d is left as it is; ours is removed afterwards, whatever happens.
# - Service links that appear during the install (systemd *.wants/ and *.requires/ links, SysV
#   S links in /etc/rc?.d) are disabled again with the tools that made them (deb-systemd-helper,
#   update-rc.d), so that a later upgrade of the package keeps them disabled. Services that were
#   enabled before are not touched.
# Needs root.
set -eu

policy=/usr/sbin/policy-rc.d
own_policy=""

enabled_links() {
  find /etc/systemd/system /etc/systemd/user \( -path '*.wants/*' -o -path '*.requires/*' \) \
    2>/dev/null | sort
  ls -1d /etc/rc[0-6S].d/S* 2>/dev/null | sort
}

cleanup() {
  if [ -n "$own_policy" ]; then rm -f "$policy"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -e "$policy" ] && [ ! -L "$policy" ]; then
  own_policy=1
  printf '#!/bin/sh\n# Written by rogue-hunter scripts/apt-install-quietly.sh for one apt run.\nexit 101\n' \
    >"$policy.rogue-hunter"
  chmod 755 "$policy.rogue-hunter"
  mv "$policy.rogue-hunter" "$policy"
fi

before=$(enabled_links)
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  -o DPkg::Lock::Timeout=600 "$@"
after=$(enabled_links)

new=$(printf '%s\n' "$after" | grep -vxF -e "$before" || true)
disabled=""
for link in $new; do
  name=$(basename "$link")
  case "$link" in
    /etc/rc*.d/S*)
      # The same script has an S link in each runlevel: disabled once for all of them.
      service=$(printf '%s' "$name" | sed 's/^S[0-9]*//')
      case " $disabled " in *" $service(SysV) "*) continue ;; esac
      update-rc.d "$service" disable >/dev/null 2>&1 || true
      disabled="$disabled $service(SysV)"
      ;;
    *)
      if command -v deb-systemd-helper >/dev/null 2>&1; then
        deb-systemd-helper disable "$name" >/dev/null 2>&1 || true
      fi
      rm -f "$link" # a link made by something other than deb-systemd-helper
      disabled="$disabled $name"
      ;;
  esac
done
if [ -n "$disabled" ]; then
  echo "apt-install-quietly: left disabled, as before the install:$disabled"
fi

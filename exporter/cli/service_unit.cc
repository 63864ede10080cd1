#include "exporter/cli/service_unit.h"

namespace rh::exporter::cli {
namespace {

// Both units: the daemon tells systemd when it is ready (Type=notify) and sends a keep-alive from
// its sampler at least every WatchdogSec/2, so a sampler stuck for two minutes gets the daemon
// restarted. Two minutes, not less: when the whole machine freezes, systemd freezes with it, and
// a shorter watchdog would kill the daemon right after a long pause, when its capture matters.
constexpr char kService[] = R"([Service]
Type=notify
NotifyAccess=main
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=5s
WatchdogSec=2min
TimeoutStopSec=15s
)";

constexpr char kSystemUnit[] =
    R"(# rogue-hunter, system-wide: starts at boot and watches every process of the machine.
# Written by `rogue-hunter install --system` (the same text as deploy/systemd/system/).
[Unit]
Description=rogue-hunter: catches machine pauses and captures what caused them
After=local-fs.target

)"
    R"(%SERVICE%ExecStart=/usr/local/bin/rogue-hunter daemon --config /etc/rogue-hunter/config.toml

# An unprivileged user made up for the service, with only the capabilities the daemon uses:
#   CAP_DAC_READ_SEARCH  read every process's /proc files, whoever owns them
#   CAP_SYS_PTRACE       /proc/PID/io, fd, wchan of other users' processes (ptrace read access)
#   CAP_SYS_ADMIN        /proc/PID/stack, the kernel stack of a blocked task
#   CAP_SYSLOG           the kernel log (/dev/kmsg) when kernel.dmesg_restrict is set
#   CAP_SYS_NICE         real-time priority for the pause watchdog
#   CAP_IPC_LOCK         locking the watchdog's memory
DynamicUser=yes
SupplementaryGroups=systemd-journal
CapabilityBoundingSet=CAP_DAC_READ_SEARCH CAP_SYS_PTRACE CAP_SYS_ADMIN CAP_SYSLOG CAP_SYS_NICE CAP_IPC_LOCK
AmbientCapabilities=CAP_DAC_READ_SEARCH CAP_SYS_PTRACE CAP_SYS_ADMIN CAP_SYSLOG CAP_SYS_NICE CAP_IPC_LOCK
StateDirectory=rogue-hunter
StateDirectoryMode=0700
ConfigurationDirectory=rogue-hunter
UMask=0077

NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths=/var/lib/rogue-hunter
PrivateTmp=yes
# Devices: none but the kernel log (and the pseudo devices such as /dev/null).
DevicePolicy=closed
DeviceAllow=/dev/kmsg r
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RemoveIPC=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
# Not set, on purpose: ProtectKernelLogs (it hides /dev/kmsg), RestrictRealtime (the watchdog
# asks for SCHED_FIFO), PrivateDevices (it hides /dev/kmsg), ProtectProc=invisible and
# PrivateUsers (the daemon must see every process).

[Install]
WantedBy=multi-user.target
)";

constexpr char kUserUnit[] = R"(# rogue-hunter for one user: starts with the user's session.
# Written by `rogue-hunter install` (the same text as deploy/systemd/user/).
[Unit]
Description=rogue-hunter: catches machine pauses and captures what caused them

)"
                             R"(%SERVICE%ExecStart=%h/.local/bin/rogue-hunter daemon

NoNewPrivileges=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
UMask=0077

[Install]
WantedBy=default.target
)";

}  // namespace

std::string UnitText(bool system) {
  std::string text = system ? kSystemUnit : kUserUnit;
  const std::string marker = "%SERVICE%";
  text.replace(text.find(marker), marker.size(), kService);
  return text;
}

}  // namespace rh::exporter::cli

#pragma once

#include <string>

namespace rh::exporter::cli {

/// Where `install` puts things.
inline constexpr char kUnitName[] = "rogue-hunter.service";
inline constexpr char kSystemBinary[] = "/usr/local/bin/rogue-hunter";
inline constexpr char kSystemConfig[] = "/etc/rogue-hunter/config.toml";
inline constexpr char kSystemDataDir[] = "/var/lib/rogue-hunter";
inline constexpr char kSystemUnitDir[] = "/etc/systemd/system";

/// The systemd unit `install` writes: the system-wide one (started at boot, hardened, an
/// unprivileged dynamic user with the capabilities the daemon uses) or the user one (started with
/// the user's session, binary in ~/.local/bin). The same text is in deploy/systemd/.
std::string UnitText(bool system);

}  // namespace rh::exporter::cli

#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace rh::exporter {

/// Command-line overrides of `rogue-hunter daemon`.
struct DaemonOptions {
  std::filesystem::path config_path;  ///< Empty: the default path (missing file = defaults).
  std::optional<std::string> listen;  ///< --listen ADDR:PORT, overrides http.listen.
  std::optional<std::filesystem::path> proc_root;
  std::optional<std::filesystem::path> sys_root;
  /// --web.config.file: TLS and basic auth (overrides http.web_config_file).
  std::optional<std::filesystem::path> web_config_file;
};

/// Exit codes of the daemon.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;    ///< Could not start (port in use, already running).
inline constexpr int kExitBadConfig = 2;  ///< Bad configuration or usage; nothing was started.

/// Runs the daemon in the foreground until SIGTERM or SIGINT; SIGUSR1 asks for a manual forensic
/// capture (docs/bundle-format.md); SIGHUP reloads the configuration (docs/configuration.md says
/// which keys need a restart). Refuses to start (kExitFailure) while another daemon holds the
/// data directory's lock. Under systemd it notifies readiness and sends watchdog keep-alives.
/// Returns the process exit code.
/// Must be called from the main thread before any other thread exists (it sets the signal mask
/// that every thread inherits).
int RunDaemon(const DaemonOptions& options);

}  // namespace rh::exporter

#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/http.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::test {

/// A real rogue-hunter daemon on a free loopback port, stopped by PID when destroyed. Its HOME,
/// XDG_CONFIG_HOME and XDG_DATA_HOME point into a fresh temporary directory, so it never touches
/// the real user's files.
class Daemon {
 public:
  /// Starts `rogue-hunter daemon --listen 127.0.0.1:<free port> <extra_args...>` and waits (up to
  /// `ready_timeout`) until /healthz answers 200 to a request with `ready_headers` (credentials,
  /// when the daemon asks for them). Check ready() before using it.
  /// `launcher`, when given, is run instead with the daemon's command line appended (e.g. a
  /// shell that moves itself into a cgroup and execs the rest); it must exec the daemon so that
  /// the PID stays the daemon's.
  explicit Daemon(std::vector<std::string> extra_args = {}, std::vector<std::string> env = {},
                  std::chrono::milliseconds ready_timeout = std::chrono::seconds(20),
                  std::vector<std::string> launcher = {},
                  std::vector<std::string> ready_headers = {})
      : Daemon({}, std::move(extra_args), std::move(env), ready_timeout, std::move(launcher),
               std::move(ready_headers)) {}
  /// The same with HOME (and the XDG directories under it) in `home`, which must exist and
  /// outlive the daemon: for a daemon that continues the history of an earlier run.
  Daemon(std::filesystem::path home, std::vector<std::string> extra_args,
         std::vector<std::string> env = {},
         std::chrono::milliseconds ready_timeout = std::chrono::seconds(20),
         std::vector<std::string> launcher = {}, std::vector<std::string> ready_headers = {});

  bool ready() const { return ready_; }
  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  HttpResponse Get(const std::string& path, const std::vector<std::string>& headers = {}) const {
    return HttpGet(url(path), headers);
  }
  Subprocess& process() { return process_; }
  /// The daemon's temporary home (data lands in home()/.local/share/rogue-hunter by default).
  const std::filesystem::path& home() const { return home_path_; }

  /// Value of a sample line "name{labels} value" in /metrics (exact series text before the
  /// value), or nullopt if absent.
  std::optional<double> Metric(const std::string& series) const;

 private:
  TempDir home_;
  std::filesystem::path home_path_;
  int port_;
  Subprocess process_;
  bool ready_ = false;
};

/// Value of the sample whose series text (name plus labels exactly as exposed) is `series`.
std::optional<double> FindMetric(const std::string& exposition, const std::string& series);

}  // namespace rh::test

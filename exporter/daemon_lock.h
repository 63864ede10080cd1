#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "base/result.h"

namespace rh::exporter {

/// What a running daemon says about itself in its lock file.
struct DaemonInfo {
  pid_t pid = 0;
  std::string listen;  ///< The address its HTTP server is bound to, "127.0.0.1:9795".
  std::string config;  ///< The configuration file it reads (which may not exist: defaults).
  std::string version;
};

/// The lock file of a data directory.
std::filesystem::path LockPath(const std::filesystem::path& data_dir);

/// One daemon per data directory: an exclusive flock(2) on "<data_dir>/daemon.lock", held for
/// the daemon's lifetime. The kernel drops the lock when the process dies, however it dies, so a
/// crashed daemon leaves nothing that blocks the next start. The file holds the DaemonInfo of the
/// holder, for `rogue-hunter status` and for the commands that tell the daemon to reload.
/// Owns a descriptor: movable, not copyable.
class DaemonLock {
 public:
  /// Creates the data directory (0700) if needed and takes the lock. When another daemon holds
  /// it, the error names its PID and `*holder` (if given) receives what it wrote.
  static Result<DaemonLock> Acquire(const std::filesystem::path& data_dir, const DaemonInfo& self,
                                    std::optional<DaemonInfo>* holder = nullptr);
  DaemonLock(DaemonLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DaemonLock& operator=(DaemonLock&&) = delete;
  DaemonLock(const DaemonLock&) = delete;
  ~DaemonLock();

  /// Rewrites the holder's information (e.g. after a reload).
  Status Update(const DaemonInfo& self);

 private:
  explicit DaemonLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

/// The daemon that holds the lock of `data_dir`, if one does; nullopt when none runs (or the
/// directory or file does not exist). Never creates anything.
std::optional<DaemonInfo> RunningDaemon(const std::filesystem::path& data_dir);

}  // namespace rh::exporter

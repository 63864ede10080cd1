#pragma once

#include <filesystem>
#include <string_view>
#include <utility>

#include "base/result.h"

namespace rh::forensics {

// The directories the daemon writes (the history database's directory, the events directory)
// while it may run as root: opened without following a link, and only when nobody but the
// daemon's own user can change what is in them.

/// An owned file descriptor. Movable, not copyable.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }
  /// Gives up ownership.
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

/// Creates `path` and its missing parents (mode 0700) and opens it as a directory. Refuses, in
/// one line naming the path and the fix, a directory that is a symbolic link (the last component;
/// never followed), is writable by group or others, or belongs to another user than the
/// effective one. `setting` names the configuration key that chose the path, for the fix.
Result<UniqueFd> OpenSafeDirectory(const std::filesystem::path& path, std::string_view setting);

}  // namespace rh::forensics

#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "collectors/kmsg.h"

namespace rh::forensics {

// The kernel log of an event window (kernel.log) and the systemd journal of it (journal.log).

/// Where a systemd journal keeps its files: one of them holding a journal means it exists.
inline constexpr std::string_view kDefaultJournalDirs[] = {"/run/log/journal", "/var/log/journal"};

// The kernel log's records (collectors/kmsg.h).
using collectors::kDefaultKmsgPath;
using collectors::KmsgRecord;
using collectors::ParseKmsgRecord;

/// "2026-11-23T10:15:03.812Z [  5678.901234] warning: text": the wall time from
/// `realtime_minus_monotonic_ns` (CLOCK_REALTIME - CLOCK_MONOTONIC when the log was read), the
/// kernel's own timestamp in seconds, the level's name.
std::string FormatKmsgLine(const KmsgRecord& record, std::int64_t realtime_minus_monotonic_ns);

/// What ReadKernelLog found.
struct KernelLog {
  std::string text;  ///< Formatted lines, oldest first.
  std::size_t lines = 0;
  std::size_t lost = 0;    ///< Times the kernel overwrote records before they were read (EPIPE).
  bool truncated = false;  ///< Stopped at the cap.
};

/// Reads every record of the kernel log at `path` (opened O_RDONLY | O_NONBLOCK, one record per
/// read() until EAGAIN) whose timestamp is at or after `from_usec`, formatted with
/// FormatKmsgLine, up to `cap` bytes. An error when the log cannot be opened (no permission,
/// dmesg_restrict).
Result<KernelLog> ReadKernelLog(const std::filesystem::path& path, std::int64_t from_usec,
                                std::int64_t realtime_minus_monotonic_ns,
                                std::size_t cap = 4 << 20);

/// Whether a systemd journal exists: one of `dirs` holds something.
bool JournalExists(const std::vector<std::filesystem::path>& dirs);

/// `journalctl` run in the background over a time window, its output read with a time bound.
/// Not thread-safe; owns a child process (killed by PID when abandoned): not copyable or movable.
class JournalQuery {
 public:
  /// Starts `program --no-pager --quiet --output=short-iso-precise --since=@S --until=@U`,
  /// S and U in Unix seconds, with stdin and stderr on /dev/null.
  static Result<std::unique_ptr<JournalQuery>> Start(const std::string& program, double since,
                                                     double until);
  ~JournalQuery();
  JournalQuery(const JournalQuery&) = delete;
  JournalQuery& operator=(const JournalQuery&) = delete;

  /// Collects the output until the program exits, `deadline` passes, `cancel` becomes true or
  /// `cap` bytes were read; the program is killed (by PID) unless it exited. An error when it
  /// timed out, failed or exited non-zero.
  Result<std::string> Finish(std::chrono::steady_clock::time_point deadline, std::size_t cap,
                             const std::atomic<bool>* cancel = nullptr);

 private:
  JournalQuery(pid_t pid, int out) : pid_(pid), out_(out) {}
  void Kill();
  pid_t pid_ = -1;
  int out_ = -1;
};

}  // namespace rh::forensics

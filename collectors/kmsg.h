#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/result.h"

namespace rh::collectors {

/// Where the kernel log is read; the one place that names it.
inline constexpr std::string_view kDefaultKmsgPath = "/dev/kmsg";

/// One record of /dev/kmsg (Documentation/ABI/testing/dev-kmsg): each read() returns one,
///
///     6,1234,5678901,-;usb 1-1: new high-speed USB device number 2
///      SUBSYSTEM=usb
///      DEVICE=c189:1
///
/// "prio,seq,usec,flags[,...];text", then continuation lines " KEY=value" (the record's
/// dictionary). prio is facility * 8 + level; usec is the kernel's monotonic clock in
/// microseconds; the kernel escapes unprintable bytes and backslashes in the text (a newline
/// too) as \xNN, so the text is one line.
struct KmsgRecord {
  int level = 6;     ///< 0 (emerg) to 7 (debug).
  int facility = 0;  ///< 0 for the kernel; 1 (user) for lines written to /dev/kmsg.
  std::uint64_t sequence = 0;
  std::int64_t usec = 0;
  char flags = '-';  ///< '-' or 'c' (continuation).
  std::string text;
  std::vector<std::pair<std::string, std::string>> dictionary;  ///< At most 16 entries.
};
/// Parses one record as read(); an error for a header that is not "prio,seq,usec,flags".
Result<KmsgRecord> ParseKmsgRecord(std::string_view record);

/// Undoes the kernel's \xNN escapes (a task name with a newline, a backslash, invalid UTF-8).
std::string UnescapeKmsg(std::string_view text);

/// The follower's position in the log, kept across restarts of the daemon in a small file:
/// "rogue-hunter kernel-log cursor 1\nboot_id <id>\nsequence <n>\n".
struct KmsgCursor {
  std::string boot_id;
  std::uint64_t sequence = 0;  ///< The last record handled.
};
std::optional<KmsgCursor> ParseKmsgCursor(std::string_view text);
std::string FormatKmsgCursor(const KmsgCursor& cursor);

/// Follows the kernel log on its own thread, blocking in poll(): every record written after the
/// daemon started goes to the handler as it comes. After a restart in the same boot it resumes
/// after the last record of the previous run (kept in `cursor_path`), so records written while
/// the daemon was down are handled once and older ones not again; otherwise, and on the first
/// start, it begins at the end of the log. An unreadable log (no CAP_SYSLOG, dmesg_restrict,
/// a container without /dev/kmsg) is retried every `retry` and said so in Stats, never silent.
///
/// Thread-safe: Start/Stop from one controlling thread; Stats and error() from any. The handler
/// runs on the follower's thread. Owns a thread and descriptors: not copyable or movable.
class KernelLogFollower {
 public:
  struct Options {
    std::filesystem::path path{kDefaultKmsgPath};
    std::filesystem::path cursor_path;  ///< Empty: no cursor (always from the end).
    std::string boot_id;                ///< The cursor only counts within the same boot.
    std::chrono::milliseconds retry{60'000};
    std::chrono::milliseconds cursor_interval{5'000};  ///< Least time between cursor writes.
  };
  struct Stats {
    std::atomic<bool> readable{false};
    std::atomic<std::uint64_t> records{0};  ///< Records read and handled.
    std::atomic<std::uint64_t> lost{0};     ///< Overwritten by the kernel before they were read.
    std::atomic<std::uint64_t> malformed{0};
  };
  using Handler = std::function<void(const KmsgRecord&)>;

  KernelLogFollower(Options options, Handler handler, Stats& stats);
  ~KernelLogFollower();
  KernelLogFollower(const KernelLogFollower&) = delete;
  KernelLogFollower& operator=(const KernelLogFollower&) = delete;

  /// Starts the thread; an error only when no eventfd can be made.
  Status Start();
  /// Stops and joins the thread, writing the cursor.
  void Stop();
  /// Why the log is not readable now ("" when it is).
  std::string error() const;

 private:
  void Run();
  bool OpenLog();  // positions it; false and error_ set when it cannot be opened
  void Drain();    // reads every pending record
  void SaveCursor(bool force);

  Options options_;
  Handler handler_;
  Stats& stats_;
  int fd_ = -1;
  int stop_fd_ = -1;
  std::optional<std::uint64_t> resume_after_;  // skip records up to this sequence
  std::optional<std::uint64_t> last_sequence_;
  std::optional<std::uint64_t> saved_sequence_;
  std::chrono::steady_clock::time_point saved_at_{};
  mutable std::mutex error_mutex_;
  std::string error_;
  std::thread thread_;
};

}  // namespace rh::collectors

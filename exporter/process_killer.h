#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "collectors/proc_root.h"
#include "config/config.h"
#include "exporter/web_metrics.h"
#include "forensics/store.h"

namespace rh::exporter {

/// One request to kill a process, as the API hands it over once the request itself was accepted.
struct KillRequest {
  std::int32_t pid = 0;
  bool force = false;  ///< SIGKILL at once instead of SIGTERM first.
  /// The start time (clock ticks since boot) the caller expects the process to have: from the
  /// request, else the daemon's last observation of the pid. Without either, nothing is killed.
  std::optional<std::uint64_t> expected_start_ticks;
  std::optional<std::string> expected_boot_id;  ///< From the request; must be this boot's.
  std::string client;                           ///< The client's address, for the audit.
  std::string principal;                        ///< Who authenticated ("token", "basic:<user>").
};

/// How a kill request ended, and what to answer.
struct KillOutcome {
  KillResult result = KillResult::kFailed;
  int status = 500;     ///< HTTP status of the answer.
  std::string message;  ///< The error, or the success message.
  std::string name;     ///< The process name, when it was read.
  bool forced = false;  ///< SIGKILL was sent.
  std::vector<std::string> signals;
  std::int64_t audit_id = 0;
};

/// The kill action of POST /api/processes/{pid}/kill, safe against killing the wrong process:
///  1. opens a pidfd for the pid, then the process's /proc directory, and checks through the
///     pidfd that the process is still alive: from then on every read and every signal concerns
///     that one process, even if its pid is reused;
///  2. refuses pid 1, the daemon and its parent, kernel threads, protected processes (globs on
///     name, executable path and base name), anything outside the allowlist (every non-empty
///     list must match), and a stale identity (start time or boot id other than expected);
///  3. writes the attempt to the audit table with a durable commit, and signals nothing if that
///     fails;
///  4. sends SIGTERM through the pidfd (SIGKILL if `force`), waits up to the grace period for the
///     pidfd to report the exit, sends SIGKILL after it, and confirms the exit the same way;
///  5. records the outcome in the audit row.
/// Refusals decided before (authentication, Host, content type, a disabled action) are audited
/// through AuditRefusal(). One kill runs at a time; a concurrent one is refused (rate limited).
/// Thread-safe. Owns a database connection: not copyable or movable.
class ProcessKiller {
 public:
  struct Options {
    std::string database;  ///< The history database, whose kill_audit table is written.
    collectors::ProcRoot root;
    std::string boot_id;  ///< This boot's; a request naming another boot is refused.
    config::Process policy;
    /// The user name of a uid (for kill_allow_users); may be slow, so the caller bounds it.
    std::function<std::optional<std::string>(std::uint32_t)> user_name;
    std::chrono::milliseconds exit_wait{5000};  ///< How long to wait for the exit after SIGKILL.
    std::int64_t max_page_count = 0;            ///< Store::Options::max_page_count, for tests.
  };

  ProcessKiller(Options options, const Clock& clock);
  ProcessKiller(const ProcessKiller&) = delete;
  ProcessKiller& operator=(const ProcessKiller&) = delete;

  KillOutcome Kill(const KillRequest& request);
  /// Audits an attempt refused before Kill(); false if the row could not be written.
  bool AuditRefusal(const KillRequest& request, KillResult result, std::string_view reason);

 private:
  struct Target;
  Result<std::int64_t> Audit(const forensics::KillAuditRow& row);
  void Finish(std::int64_t id, const KillOutcome& outcome);
  std::optional<std::string> Refusal(const Target& target) const;
  double Now() const;

  const Options options_;
  const Clock& clock_;
  std::atomic<bool> busy_{false};
  std::mutex store_mutex_;
  std::unique_ptr<forensics::Store> store_;  // guarded by store_mutex_; opened on first use
};

}  // namespace rh::exporter

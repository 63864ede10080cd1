#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "analysis/pause_detector.h"
#include "analysis/pause_scope.h"
#include "base/clock.h"
#include "collectors/progress.h"

namespace rh::exporter {

/// Finds out what froze in a pause: keeps the machine's counters from just before it (a
/// ProgressProbe), reads them again when the watchdog reports the pause, adds what is known about
/// the daemon itself (SIGCONT, its cgroup's freeze changes, CPU throttling, the watchdog's run
/// delay) and lets analysis::DecideScope judge.
///
/// Thread-safe: NoteContinued() from the thread that takes signals, Judge() from the event
/// thread, Refresh() from the sampler. Owns the probe's thread: not copyable or movable.
class PauseInquiry {
 public:
  PauseInquiry(const collectors::ProcRoot& root, const Clock& clock,
               std::chrono::milliseconds interval);
  PauseInquiry(const PauseInquiry&) = delete;
  PauseInquiry& operator=(const PauseInquiry&) = delete;

  void Start() { probe_.Start(); }
  void Stop() { probe_.Stop(); }

  /// Called as SIGCONT is taken: the process was stopped and has been continued.
  void NoteContinued() {
    continued_ns_.store(clock_.Now().monotonic_ns, std::memory_order_release);
  }
  /// Keeps the watch on the daemon's cgroup and watchdog thread current (each sampler pass).
  void Refresh(pid_t watchdog_tid);

  /// How far back the kept readings of the machine reach: a pause sooner than a second after
  /// start, or with the probe off, has no pace to compare with (scope unknown).
  double evidence_seconds() const { return probe_.kept_seconds(); }

  /// The evidence about `pause` (a watchdog event of kind kPause), gathered now.
  analysis::PauseEvidence Gather(const analysis::WatchdogEvent& pause);

 private:
  const Clock& clock_;
  collectors::ProgressProbe probe_;
  std::atomic<std::int64_t> continued_ns_{-1};
  pid_t watched_tid_ = 0;  // sampler thread only
};

}  // namespace rh::exporter

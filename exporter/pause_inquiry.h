#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

#include "analysis/pause_detector.h"
#include "analysis/pause_scope.h"
#include "base/clock.h"
#include "collectors/progress.h"

namespace rh::exporter {

/// Finds out what froze in a pause: keeps the machine's counters from just before it (a
/// ProgressProbe), reads them again when the watchdog reports the pause, adds what is known about
/// the daemon itself (SIGCONT, its cgroup's freeze changes, CPU throttling, the watchdog's run
/// delay, and whether that thread runs real-time on every CPU) and lets analysis::DecideScope
/// judge.
///
/// SIGCONT must be blocked in every thread and waited for by none: it stays pending until this
/// takes it, under a lock, at each Refresh() and in Gather(), so that a SIGCONT that ended a
/// pause is never between being taken and being noted when the pause is judged.
///
/// Thread-safe: Gather() from the event thread, Refresh() from the sampler. Owns the probe's
/// thread: not copyable or movable.
class PauseInquiry {
 public:
  PauseInquiry(const collectors::ProcRoot& root, const Clock& clock,
               std::chrono::milliseconds interval);
  PauseInquiry(const PauseInquiry&) = delete;
  PauseInquiry& operator=(const PauseInquiry&) = delete;

  void Start() { probe_.Start(); }
  void Stop() { probe_.Stop(); }

  /// Keeps the watch on the daemon's cgroup and watchdog thread current, and takes a pending
  /// SIGCONT (each sampler pass).
  void Refresh(pid_t watchdog_tid);

  /// How far back the kept readings of the machine reach: a pause sooner than a second after
  /// start, or with the probe off, has no pace to compare with (scope unknown).
  double evidence_seconds() const { return probe_.kept_seconds(); }

  /// The evidence about `pause` (a watchdog event of kind kPause), gathered now.
  analysis::PauseEvidence Gather(const analysis::WatchdogEvent& pause);

 private:
  // Takes a pending SIGCONT, noting when; returns when the last one was taken.
  std::int64_t TakeContinue();

  const Clock& clock_;
  collectors::ProgressProbe probe_;
  std::mutex continue_mutex_;       // guards continued_ns_ and taking SIGCONT
  std::int64_t continued_ns_ = -1;  // monotonic ns
  std::atomic<pid_t> watched_tid_{0};
};

}  // namespace rh::exporter

#pragma once

#include <cstdint>
#include <optional>

#include "base/clock.h"
#include "collectors/switch_counts.h"

namespace rh::analysis {

/// A pause or a suspend, as the watchdog saw it when it woke up.
struct WatchdogEvent {
  enum class Kind : std::uint8_t { kPause, kSuspend };
  Kind kind = Kind::kPause;
  std::int64_t start_realtime_ns = 0;
  std::int64_t end_realtime_ns = 0;  ///< When the watchdog woke up again.
  /// Pause: from the estimated start to the wake-up. Suspend: time suspended.
  std::int64_t duration_ns = 0;
  std::int64_t end_monotonic_ns = 0;
  std::int64_t start_monotonic_ns = 0;
  /// Pause: the start is known to ± this much (half a tick; 0 for a suspend).
  std::int64_t start_uncertainty_ns = 0;
  /// Pause: the machine's and this process's context switches as the watchdog woke, before the
  /// work that piled up during the pause ran (Watchdog::CountSwitchesWith), when read.
  std::optional<collectors::SwitchCounts> end_switches = std::nullopt;
  /// Pause: the same from the watchdog's last on-time reading before it (at most
  /// Watchdog::kSwitchReadTicks ticks before the start), so that the pause is counted from close
  /// to its start, when read.
  std::optional<collectors::SwitchCounts> start_switches = std::nullopt;
};

/// Decides what a wake-up of the watchdog means. Pure and allocation-free.
///
/// The watchdog sleeps to absolute CLOCK_MONOTONIC deadlines. At each wake it reads the clocks:
/// - the overshoot (now - deadline) goes into the hiccup histogram;
/// - CLOCK_BOOTTIME advancing more than CLOCK_MONOTONIC since the previous wake means the machine
///   was suspended (only the boot clock counts suspended time): a suspend, never a pause, and
///   the monotonic lateness around it is the suspend's own resume work;
/// - otherwise an overshoot above the minimum is a pause: nothing in this process ran for that
///   long. It began after the previous (on-time) wake-up and before the missed deadline, so its
///   start is estimated as the middle of that interval, ± half of it (half a tick), and its
///   duration runs from that estimate to the wake-up.
class PauseDetector {
 public:
  /// Boot-clock lead over the monotonic clock that counts as a suspend. The two clocks differ
  /// only by time suspended, so anything measurable is one; 50 ms ignores read jitter.
  static constexpr std::int64_t kSuspendThresholdNs = 50'000'000;

  explicit PauseDetector(std::int64_t min_pause_ns) : min_pause_ns_(min_pause_ns) {}

  struct Verdict {
    std::int64_t overshoot_ns = 0;
    std::optional<WatchdogEvent> event;
  };

  /// `previous` is the reading at the previous wake (or at start), `now` the reading at this one,
  /// `deadline_ns` the monotonic time this sleep was meant to end.
  Verdict OnWake(const ClockReading& previous, const ClockReading& now,
                 std::int64_t deadline_ns) const;

 private:
  std::int64_t min_pause_ns_;
};

}  // namespace rh::analysis

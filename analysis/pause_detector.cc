#include "analysis/pause_detector.h"

#include <algorithm>

namespace rh::analysis {

PauseDetector::Verdict PauseDetector::OnWake(const ClockReading& previous, const ClockReading& now,
                                             std::int64_t deadline_ns) const {
  Verdict v;
  v.overshoot_ns = std::max<std::int64_t>(0, now.monotonic_ns - deadline_ns);
  const std::int64_t suspended =
      (now.boottime_ns - previous.boottime_ns) - (now.monotonic_ns - previous.monotonic_ns);
  if (suspended >= kSuspendThresholdNs) {
    v.event = WatchdogEvent{WatchdogEvent::Kind::kSuspend,
                            now.realtime_ns - suspended,
                            now.realtime_ns,
                            suspended,
                            now.monotonic_ns,
                            now.monotonic_ns,
                            0};
  } else if (v.overshoot_ns > min_pause_ns_) {
    const std::int64_t half = std::max<std::int64_t>(0, deadline_ns - previous.monotonic_ns) / 2;
    const std::int64_t duration = v.overshoot_ns + half;
    v.event = WatchdogEvent{WatchdogEvent::Kind::kPause,
                            now.realtime_ns - duration,
                            now.realtime_ns,
                            duration,
                            now.monotonic_ns,
                            now.monotonic_ns - duration,
                            half};
  }
  return v;
}

}  // namespace rh::analysis

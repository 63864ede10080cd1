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
    v.event = WatchdogEvent{WatchdogEvent::Kind::kSuspend, now.realtime_ns - suspended,
                            now.realtime_ns, suspended, now.monotonic_ns};
  } else if (v.overshoot_ns > min_pause_ns_) {
    v.event = WatchdogEvent{WatchdogEvent::Kind::kPause, now.realtime_ns - v.overshoot_ns,
                            now.realtime_ns, v.overshoot_ns, now.monotonic_ns};
  }
  return v;
}

}  // namespace rh::analysis

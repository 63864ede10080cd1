#include "analysis/sampling_policy.h"

namespace rh::analysis {

PolicyDecision SamplingPolicy::Update(double score, std::int64_t now_ns, bool pressure_burst) {
  const config::Sampling& s = settings_;
  PolicyDecision d;
  d.previous = state_;
  d.pressure_burst = pressure_burst;
  SamplingState next = state_;
  switch (state_) {
    case SamplingState::kNormal:
      if (score >= s.critical_threshold) {
        next = SamplingState::kCritical;
      } else if (score >= s.elevation_threshold) {
        next = SamplingState::kElevated;
      }
      break;
    case SamplingState::kElevated:
      if (score >= s.critical_threshold) {
        next = SamplingState::kCritical;
      } else if (score < s.recovery_threshold &&
                 static_cast<double>(now_ns - state_since_ns_) / 1e9 >= s.min_elevated_seconds) {
        next = SamplingState::kNormal;
      }
      break;
    case SamplingState::kCritical:
      if (score < s.elevation_threshold) next = SamplingState::kElevated;
      break;
  }
  if (pressure_burst) {
    if (next == SamplingState::kNormal) next = SamplingState::kElevated;
    // Elevated for min_elevated_seconds from the latest burst.
    if (next == SamplingState::kElevated && next == state_) state_since_ns_ = now_ns;
  }
  if (next != state_) {
    state_ = next;
    state_since_ns_ = now_ns;
    d.changed = true;
    if (next == SamplingState::kCritical) {
      ++critical_episodes_;
      d.critical_trigger = true;
    }
  }
  d.state = state_;
  d.interval_seconds = state_ == SamplingState::kNormal ? s.normal_interval : s.elevated_interval;
  return d;
}

}  // namespace rh::analysis

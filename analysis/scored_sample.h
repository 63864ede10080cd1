#pragma once

#include <cstdint>

#include "analysis/sampling_policy.h"
#include "analysis/stress.h"
#include "collectors/system_sample.h"

namespace rh::analysis {

/// One sampler pass, complete: the raw readings, the watchdog's worst overshoot since the previous
/// pass (a raw input too), and what was derived from them. Immutable once published; shared by
/// the /metrics snapshot, the flight recorder and the history store.
struct ScoredSample {
  std::uint64_t sequence = 0;  ///< 1 for the first pass of the daemon, then +1.
  collectors::SystemSample sample;
  double latency_seconds = 0;
  Assessment assessment;
  SamplingState state = SamplingState::kNormal;
  double interval_seconds = 0;  ///< The interval in force after this sample.
};

}  // namespace rh::analysis

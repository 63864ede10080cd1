#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "config/config.h"

namespace rh::analysis {

enum class SamplingState : std::uint8_t { kNormal, kElevated, kCritical };
inline constexpr std::array<std::string_view, 3> kSamplingStateNames = {"normal", "elevated",
                                                                        "critical"};
inline std::string_view Name(SamplingState s) { return kSamplingStateNames[static_cast<int>(s)]; }

/// What the policy decided after one score.
struct PolicyDecision {
  SamplingState state = SamplingState::kNormal;
  SamplingState previous = SamplingState::kNormal;
  bool changed = false;           ///< state != previous: a transition event.
  bool critical_trigger = false;  ///< A critical episode started: fire one preemptive capture.
  double interval_seconds = 5;    ///< Interval until the next sample.
};

/// The adaptive sampling policy:
/// - normal -> elevated when the score reaches sampling.elevation_threshold;
/// - any -> critical when it reaches sampling.critical_threshold: a critical episode starts and
///   fires exactly one trigger; the episode lasts until the score falls below the elevation
///   threshold, so scores hovering around the critical mark do not fire again;
/// - elevated -> normal only when the score is below sampling.recovery_threshold and the state
///   has lasted sampling.min_elevated_seconds.
/// Elevated and critical sample every elevated_interval; normal every normal_interval.
/// Not thread-safe: the sampler thread owns it. Time comes from the caller (monotonic ns).
class SamplingPolicy {
 public:
  explicit SamplingPolicy(const config::Sampling& settings) : settings_(settings) {}

  PolicyDecision Update(double score, std::int64_t now_monotonic_ns);

  /// New thresholds and intervals (a configuration reload); the state and how long it has
  /// lasted are kept, so a critical episode under way stays one episode.
  void Reconfigure(const config::Sampling& settings) { settings_ = settings; }

  SamplingState state() const { return state_; }
  std::uint64_t critical_episodes() const { return critical_episodes_; }

 private:
  config::Sampling settings_;
  SamplingState state_ = SamplingState::kNormal;
  std::int64_t state_since_ns_ = 0;
  std::uint64_t critical_episodes_ = 0;
};

}  // namespace rh::analysis

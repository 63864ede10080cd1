#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace rh::analysis {

/// The budgets of [self_limits], in the order of kSelfLimitNames.
enum class SelfLimit : std::uint8_t { kCpu, kResident, kOpenFds };
inline constexpr std::array<std::string_view, 3> kSelfLimitNames = {"cpu", "resident_memory",
                                                                    "open_fds"};
inline std::string_view Name(SelfLimit l) { return kSelfLimitNames[static_cast<int>(l)]; }

/// The daemon's own cost at one moment.
struct SelfReading {
  std::int64_t monotonic_ns = 0;
  double cpu_seconds = 0;  ///< Cumulative, user + system.
  std::uint64_t resident_bytes = 0;
  std::uint64_t open_fds = 0;
  /// CPU seconds per second the back-off saves right now (the process scans it skips), so that
  /// it is not mistaken for a recovery: 0 while not backed off.
  double deferred_cpu_share = 0;
};

/// One budget crossed: back-off starts (`entered`) or ends for `limit`.
struct SelfLimitTransition {
  SelfLimit limit = SelfLimit::kCpu;
  bool entered = false;
  double value = 0;   ///< The measure that decided: CPU share of one CPU, bytes or descriptors.
  double budget = 0;  ///< Its budget, in the same unit.
};

/// Decides when the daemon's own cost is above its budgets ([self_limits]). A budget is crossed
/// when the measure goes above it (the CPU share averaged over window_seconds, judged once a
/// whole window has been seen); it is cleared only when the measure is back at or under
/// kRecoveryRatio of the budget and the back-off has lasted hold_seconds. For the CPU share the
/// measure while backed off is the measured share plus what the back-off saves, so that ending
/// the back-off would not cross the budget again at once. Disabled, nothing is ever crossed.
/// Not thread-safe: one thread owns it. Time comes from the readings (monotonic ns).
class SelfLimits {
 public:
  static constexpr double kRecoveryRatio = 0.8;

  explicit SelfLimits(const config::SelfLimits& settings) : settings_(settings) {}

  /// Takes a reading; returns the transitions it caused, in kSelfLimitNames order.
  std::vector<SelfLimitTransition> Update(const SelfReading& reading);

  /// New budgets (a configuration reload): judged at the next Update; the CPU window is kept.
  void Reconfigure(const config::SelfLimits& settings) { settings_ = settings; }

  bool active(SelfLimit l) const { return state_[static_cast<int>(l)].active; }
  bool any_active() const;
  /// The CPU share of one CPU over the last window; nullopt before a whole window was seen.
  std::optional<double> cpu_share() const { return cpu_share_; }

 private:
  struct State {
    bool active = false;
    std::int64_t since_ns = 0;
  };
  std::optional<SelfLimitTransition> Judge(SelfLimit limit, std::optional<double> value,
                                           double budget, std::int64_t now_ns);

  config::SelfLimits settings_;
  std::deque<std::pair<std::int64_t, double>> cpu_;  // (monotonic ns, cumulative CPU seconds)
  std::optional<double> cpu_share_;
  std::array<State, kSelfLimitNames.size()> state_{};
};

}  // namespace rh::analysis

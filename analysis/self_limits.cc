#include "analysis/self_limits.h"

#include <algorithm>

namespace rh::analysis {

bool SelfLimits::any_active() const {
  return std::any_of(state_.begin(), state_.end(), [](const State& s) { return s.active; });
}

std::vector<SelfLimitTransition> SelfLimits::Update(const SelfReading& r) {
  const auto window_ns = static_cast<std::int64_t>(settings_.window_seconds * 1e9);
  cpu_.emplace_back(r.monotonic_ns, r.cpu_seconds);
  // Keep the newest reading at least a window old as the start of the window.
  while (cpu_.size() > 2 && cpu_[1].first <= r.monotonic_ns - window_ns) cpu_.pop_front();
  cpu_share_.reset();
  const auto& [start_ns, start_cpu] = cpu_.front();
  if (r.monotonic_ns - start_ns >= window_ns && r.monotonic_ns > start_ns) {
    cpu_share_ = std::max(0.0, r.cpu_seconds - start_cpu) /
                 (static_cast<double>(r.monotonic_ns - start_ns) / 1e9);
  }

  std::optional<double> cpu = cpu_share_;
  if (cpu && active(SelfLimit::kCpu)) *cpu += r.deferred_cpu_share;
  std::vector<SelfLimitTransition> transitions;
  auto judge = [&](SelfLimit limit, std::optional<double> value, double budget) {
    if (auto t = Judge(limit, value, budget, r.monotonic_ns)) transitions.push_back(*t);
  };
  judge(SelfLimit::kCpu, cpu, settings_.cpu_share);
  judge(SelfLimit::kResident, static_cast<double>(r.resident_bytes),
        static_cast<double>(settings_.resident_bytes));
  judge(SelfLimit::kOpenFds, static_cast<double>(r.open_fds),
        static_cast<double>(settings_.open_fds));
  return transitions;
}

std::optional<SelfLimitTransition> SelfLimits::Judge(SelfLimit limit, std::optional<double> value,
                                                     double budget, std::int64_t now_ns) {
  State& s = state_[static_cast<int>(limit)];
  const auto hold_ns = static_cast<std::int64_t>(settings_.hold_seconds * 1e9);
  if (!s.active) {
    if (!settings_.enabled || !value || *value <= budget) return std::nullopt;
    s = {true, now_ns};
    return SelfLimitTransition{limit, true, *value, budget};
  }
  const bool under = value && *value <= budget * kRecoveryRatio && now_ns - s.since_ns >= hold_ns;
  if (settings_.enabled && !under) return std::nullopt;
  s = {false, now_ns};
  return SelfLimitTransition{limit, false, value.value_or(0), budget};
}

}  // namespace rh::analysis

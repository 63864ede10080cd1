#include "analysis/pause_scope.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

namespace rh::analysis {
namespace {

[[gnu::format(printf, 1, 2)]] std::string Format(const char* format, ...) {
  char buf[256];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof(buf), format, args);
  va_end(args);
  return buf;
}

double Seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

// How far a counter moved; 0 if it went backwards.
double Moved(std::uint64_t to, std::uint64_t from) {
  return to >= from ? static_cast<double>(to - from) : 0.0;
}
double Moved(double to, double from) { return std::max(0.0, to - from); }

// Context switches of everything but this daemon between two readings.
double OtherSwitches(const ProgressReading& from, const ProgressReading& to) {
  return std::max(0.0, Moved(to.context_switches, from.context_switches) -
                           2 * Moved(to.own_context_switches, from.own_context_switches));
}

}  // namespace

std::string_view ReasonText(PauseReason reason) {
  switch (reason) {
    case PauseReason::kSignal:
      return "it was stopped by a signal (SIGCONT resumed it)";
    case PauseReason::kFrozen:
      return "its cgroup was frozen";
    case PauseReason::kThrottled:
      return "its cgroup's CPU quota throttled it";
    case PauseReason::kRunDelay:
      return "its watchdog thread was runnable but waiting for a CPU";
    case PauseReason::kNone:
      break;
  }
  return {};
}

ScopeVerdict DecideScope(const PauseEvidence& e, const ScopeRules& rules) {
  ScopeVerdict v;
  const double gap = Seconds(std::max<std::int64_t>(0, e.end_monotonic_ns - e.start_monotonic_ns));
  if (!e.before || !e.after) {
    v.evidence = "no reading of the system-wide counters " +
                 std::string(!e.before ? "before" : "after") + " the pause" +
                 (e.missing.empty() ? "" : " (" + e.missing + ")");
    return v;
  }
  const ProgressReading& before = *e.before;
  const ProgressReading& after = *e.after;
  const double span = Seconds(after.monotonic_ns - before.monotonic_ns);
  const double outside = std::max(0.0, span - gap);  // read before the start or after the end

  // Steal: the pace before the pause explains what was stolen outside it.
  double steal_pace = 0;
  if (e.pace_from && before.monotonic_ns > e.pace_from->monotonic_ns) {
    steal_pace = Moved(before.steal_seconds, e.pace_from->steal_seconds) /
                 Seconds(before.monotonic_ns - e.pace_from->monotonic_ns);
  }
  v.steal_seconds =
      std::max(0.0, Moved(after.steal_seconds, before.steal_seconds) - steal_pace * outside);
  if (gap > 0 && v.steal_seconds >= rules.steal_share * gap) {
    v.scope = PauseScope::kHypervisor;
    v.evidence = Format("the hypervisor stole %.3f s of CPU time during the %.3f s pause",
                        v.steal_seconds, gap);
    return v;
  }

  if (!e.pace_from || before.monotonic_ns <= e.pace_from->monotonic_ns) {
    v.evidence = "no earlier reading to tell the machine's pace before the pause";
    return v;
  }
  const double pace = OtherSwitches(*e.pace_from, before) /
                      Seconds(before.monotonic_ns - e.pace_from->monotonic_ns);
  v.expected_switches = pace * gap;
  v.observed_switches = std::max(0.0, OtherSwitches(before, after) - pace * outside);
  // Too quiet to compare, but a SIGCONT resumed it and the machine's context switches moved
  // during the gap beyond the daemon's own: the rest of the machine ran (the pace estimate,
  // total - 2 x own, falls to nothing when the daemon's own threads hand work to each other).
  const double moved_total = Moved(after.context_switches, before.context_switches);
  const double moved_own = Moved(after.own_context_switches, before.own_context_switches);
  if (v.expected_switches < rules.min_expected && e.continued_by_signal &&
      moved_total - moved_own >= rules.min_expected) {
    v.scope = PauseScope::kProcess;
    v.reason = PauseReason::kSignal;
    v.evidence = Format(
                     "the machine made %.0f context switches besides rogue-hunter's own in the "
                     "%.3f s; ",
                     moved_total - moved_own, gap) +
                 std::string(ReasonText(v.reason));
    return v;
  }
  if (v.expected_switches < rules.min_expected) {
    v.evidence = Format(
        "the machine was too quiet before the pause to compare: other tasks switched %.0f "
        "times a second",
        pace);
    return v;
  }
  const double share = v.observed_switches / v.expected_switches;
  const std::string figures = Format(
      "other tasks made %.0f context switches in the %.3f s against %.0f expected at "
      "their pace before it",
      v.observed_switches, gap, v.expected_switches);
  // A SIGCONT resumed it: it was stopped by a signal, which explains the gap, and whoever sent
  // the SIGCONT ran. Others' pace may still have fallen far (on an idle machine the one who
  // stopped the daemon may have been most of the activity before), so the pace does not decide.
  if (share < rules.machine_below && !e.continued_by_signal) {
    v.scope = PauseScope::kMachine;
    v.evidence = figures + Format(" (%.0f%%); CPU time used in that time %.2f s, interrupts %.0f",
                                  share * 100, Moved(after.busy_seconds, before.busy_seconds),
                                  Moved(after.interrupts, before.interrupts));
    return v;
  }
  if (share < rules.process_from && !e.continued_by_signal) {
    v.evidence = figures + Format(" (%.0f%%): neither stopped nor running as before", share * 100);
    return v;
  }

  v.scope = PauseScope::kProcess;
  auto grew = [&](const std::optional<double>& from, const std::optional<double>& to) {
    return from && to ? Moved(*to, *from) : 0.0;
  };
  const double throttled = grew(before.throttled_seconds, after.throttled_seconds);
  const double run_delay = grew(before.run_delay_seconds, after.run_delay_seconds);
  std::string why;
  if (e.continued_by_signal) {
    v.reason = PauseReason::kSignal;
  } else if (e.cgroup_freeze_changes > 0) {
    v.reason = PauseReason::kFrozen;
    why = " (its cgroup.events changed during the pause)";
  } else if (gap > 0 && throttled >= rules.throttled_share * gap) {
    v.reason = PauseReason::kThrottled;
    why = Format(" for %.3f s (cpu.stat)", throttled);
  } else if (gap > 0 && run_delay >= rules.run_delay_share * gap) {
    v.reason = PauseReason::kRunDelay;
    why = Format(" for %.3f s (schedstat)", run_delay);
  }
  v.evidence = figures + Format(" (%.0f%%): the rest of the machine kept running", share * 100);
  if (v.reason == PauseReason::kNone) {
    v.evidence += "; what stopped rogue-hunter is not known";
  } else {
    v.evidence += "; " + std::string(ReasonText(v.reason)) + why;
  }
  return v;
}

void PauseStats::Record(const ScopeVerdict& verdict, std::int64_t duration_ns,
                        std::int64_t uncertainty_ns) {
  const auto scope = static_cast<std::size_t>(verdict.scope);
  durations[scope].Observe(duration_ns);
  last_scope.store(static_cast<std::uint8_t>(verdict.scope), std::memory_order_relaxed);
  last_reason.store(static_cast<std::uint8_t>(verdict.reason), std::memory_order_relaxed);
  last_start_uncertainty_ns.store(uncertainty_ns, std::memory_order_relaxed);
  any.store(true, std::memory_order_relaxed);
  count[scope].fetch_add(1, std::memory_order_release);
}

std::optional<PauseScope> ScopeNamed(std::string_view name) {
  for (std::size_t i = 0; i < kPauseScopeNames.size(); ++i) {
    if (kPauseScopeNames[i] == name) return static_cast<PauseScope>(i);
  }
  return std::nullopt;
}

std::optional<PauseReason> ReasonNamed(std::string_view name) {
  for (std::size_t i = 0; i < kPauseReasonNames.size(); ++i) {
    if (kPauseReasonNames[i] == name) return static_cast<PauseReason>(i);
  }
  return std::nullopt;
}

std::string_view ScopePhrase(std::string_view scope_name) {
  const auto scope = ScopeNamed(scope_name);
  if (!scope) return "scope not recorded";
  switch (*scope) {
    case PauseScope::kMachine:
      return "the machine froze";
    case PauseScope::kHypervisor:
      return "the hypervisor held the machine";
    case PauseScope::kProcess:
      return "only rogue-hunter stopped";
    case PauseScope::kUnknown:
      break;
  }
  return "scope unknown";
}

std::string DescribePause(const ScopeVerdict& v, double duration, double uncertainty) {
  const std::string length = Format("%.3f s (start ±%.3f s)", duration, uncertainty);
  switch (v.scope) {
    case PauseScope::kMachine:
      return "the machine froze for " + length + ": " + v.evidence;
    case PauseScope::kHypervisor:
      return "the hypervisor did not run this machine for " + length + ": " + v.evidence;
    case PauseScope::kProcess:
      return "rogue-hunter itself did not run for " + length + ", not the machine: " + v.evidence;
    case PauseScope::kUnknown:
      break;
  }
  return "rogue-hunter did not run for " + length +
         "; whether the rest of the machine ran is unknown: " + v.evidence;
}

}  // namespace rh::analysis

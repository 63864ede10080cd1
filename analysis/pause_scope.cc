#include "analysis/pause_scope.h"

#include <algorithm>
#include <utility>

#include "base/format.h"

namespace rh::analysis {
namespace {

double Seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

// How far a counter moved; 0 if it went backwards.
double Moved(std::uint64_t to, std::uint64_t from) {
  return to >= from ? static_cast<double>(to - from) : 0.0;
}
double Moved(double to, double from) { return std::max(0.0, to - from); }

// Context switches of everything but this daemon between two readings at its usual pace: its
// threads switch in from idle and out again, two of the machine's switches for each of its own.
double OtherSwitches(const ProgressReading& from, const ProgressReading& to) {
  return std::max(0.0, Moved(to.context_switches, from.context_switches) -
                           2 * Moved(to.own_context_switches, from.own_context_switches));
}

SwitchCounts Counts(const ProgressReading& r) {
  return {r.monotonic_ns, r.context_switches, r.own_context_switches, r.throttled_seconds};
}

// Context switches of everything but this daemon across a pause, during which its threads ran
// only to stop and resume, back to back: one of the machine's switches each.
double OtherSwitchesInPause(const SwitchCounts& from, const SwitchCounts& to) {
  return std::max(0.0, Moved(to.total, from.total) - Moved(to.own, from.own));
}

// The resource whose PSI "some" time grew most in the pause, as shares of time in the pause and
// before it; resource null when PSI was not read.
struct Congestion {
  const char* resource = nullptr;
  double in_pause = 0;
  double before = 0;
};
Congestion MostCongested(const ProgressReading& pace_from, const ProgressReading& before,
                         const ProgressReading& after, double gap) {
  using Field = std::optional<double> ProgressReading::*;
  static constexpr std::pair<Field, const char*> kResources[] = {
      {&ProgressReading::cpu_waiting_seconds, "a CPU"},
      {&ProgressReading::memory_waiting_seconds, "memory"},
      {&ProgressReading::io_waiting_seconds, "I/O"}};
  Congestion most;
  const double pace_span = Seconds(before.monotonic_ns - pace_from.monotonic_ns);
  const double span = Seconds(after.monotonic_ns - before.monotonic_ns);
  if (gap <= 0 || pace_span <= 0) return most;
  for (const auto& [field, name] : kResources) {
    const auto& from = pace_from.*field;
    const auto& at = before.*field;
    const auto& to = after.*field;
    if (!from || !at || !to) continue;
    const double rate = Moved(*at, *from) / pace_span;
    const double in_pause = std::max(0.0, Moved(*to, *at) - rate * std::max(0.0, span - gap)) / gap;
    if (most.resource == nullptr || in_pause > most.in_pause) most = {name, in_pause, rate};
  }
  return most;
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

  // The machine's pace before the pause, where an earlier reading tells it.
  const bool paced = e.pace_from && before.monotonic_ns > e.pace_from->monotonic_ns;
  const double pace_span = paced ? Seconds(before.monotonic_ns - e.pace_from->monotonic_ns) : 0;
  const double pace = paced ? OtherSwitches(*e.pace_from, before) / pace_span : 0;
  // Outside the pause everything went at its usual pace: the machine's switches less the
  // daemon's own once, as counted in the pause (none known without a pace: counted high).
  const double usual =
      paced ? OtherSwitchesInPause(Counts(*e.pace_from), Counts(before)) / pace_span : 0;
  v.expected_switches = pace * gap;
  // From the watchdog's last reading before the start when it has one, else from the probe's;
  // up to the watchdog's wake-up when it counted them then, else up to the reading after.
  SwitchCounts counted_from = Counts(before);
  if (e.at_wake && e.at_start && e.at_start->monotonic_ns <= e.start_monotonic_ns &&
      e.at_start->monotonic_ns > counted_from.monotonic_ns) {
    counted_from = *e.at_start;
  }
  const SwitchCounts counted_to = e.at_wake ? *e.at_wake : Counts(after);
  const double counted_outside =
      std::max(0.0, Seconds(counted_to.monotonic_ns - counted_from.monotonic_ns) - gap);
  const double in_pause = OtherSwitchesInPause(counted_from, counted_to);
  v.observed_switches = std::max(0.0, in_pause - usual * counted_outside);
  const std::string figures =
      paced ? Format(
                  "other tasks made %.0f context switches in the %.3f s against %.0f expected at "
                  "their pace before it",
                  v.observed_switches, gap, v.expected_switches)
            : Format(
                  "other tasks made %.0f context switches in the %.3f s (their pace before it "
                  "is not known)",
                  v.observed_switches, gap);

  // Direct evidence that the daemon alone was held, once the machine is seen to have run: a
  // SIGCONT, a freeze of its cgroup, its cgroup's CPU quota. (A run delay is not: real-time
  // loops holding every CPU make the watchdog wait for one too.)
  auto grew = [&](const std::optional<double>& from, const std::optional<double>& to) {
    return from && to ? Moved(*to, *from) : 0.0;
  };
  // The quota's hold over the same readings as the switches (the watchdog's around the pause,
  // where they have it: a pause judged late, after others, would otherwise count theirs too),
  // else over the probe's.
  const double throttled = grew(
      counted_from.throttled_seconds ? counted_from.throttled_seconds : before.throttled_seconds,
      counted_to.throttled_seconds ? counted_to.throttled_seconds : after.throttled_seconds);
  const double run_delay = grew(before.run_delay_seconds, after.run_delay_seconds);
  PauseReason direct = PauseReason::kNone;
  std::string why;
  if (e.continued_by_signal) {
    direct = PauseReason::kSignal;
  } else if (e.cgroup_freeze_changes > 0) {
    direct = PauseReason::kFrozen;
    why = " (its cgroup.events changed during the pause)";
  } else if (gap > 0 && throttled >= rules.throttled_share * gap) {
    direct = PauseReason::kThrottled;
    // The kernel adds a CPU's throttled time when that CPU is let go, so the growth may
    // include some from before the window: it is quoted as what the counter says.
    why = Format(" (cpu.stat's throttled time grew by %.3f s, summed over its CPUs)", throttled);
  }
  if (direct != PauseReason::kNone && v.observed_switches >= rules.min_seen_running) {
    v.scope = PauseScope::kProcess;
    v.reason = direct;
    v.evidence = figures + ": the rest of the machine kept running; " +
                 std::string(ReasonText(direct)) + why;
    return v;
  }
  // A real-time watchdog allowed on every CPU yields only to real-time work of a higher
  // priority and to the kernel: runnable but waiting for most of the pause, it says that every
  // CPU was held from every normal task too. Unless the others are seen to have kept half their
  // pace, which contradicts it: the rules below judge then.
  const bool held_from_realtime = direct == PauseReason::kNone &&
                                  e.watchdog_realtime_on_every_cpu && gap > 0 &&
                                  run_delay >= rules.run_delay_share * gap &&
                                  (!paced || v.expected_switches < rules.min_expected ||
                                   v.observed_switches < rules.process_from * v.expected_switches);
  if (held_from_realtime) {
    v.scope = PauseScope::kMachine;
    const bool compared = paced && v.expected_switches >= rules.min_expected;
    v.evidence = figures +
                 (compared ? Format(" (%.0f%%)", 100 * v.observed_switches / v.expected_switches)
                           : std::string()) +
                 Format(
                     "; rogue-hunter's real-time watchdog, allowed on every CPU, waited "
                     "for a CPU %.3f s of the %.3f s (schedstat): the kernel or "
                     "real-time work held every CPU",
                     run_delay, gap);
    return v;
  }
  if (!paced) {
    v.evidence = figures +
                 ": the machine's pace before the pause cannot be told (too few readings before "
                 "it, or the machine switched less than twice as often as rogue-hunter, whose "
                 "own threads handed work to each other)";
    return v;
  }
  const Congestion c = MostCongested(*e.pace_from, before, after, gap);
  auto congested = [&](double needed) {
    return c.resource != nullptr && c.in_pause >= needed && c.in_pause >= 4 * c.before;
  };
  if (v.expected_switches < rules.min_expected) {
    if (direct == PauseReason::kNone && congested(rules.congested_share_near_pace)) {
      v.scope = PauseScope::kMachine;
      v.evidence = Format(
          "tasks waited for %s %.0f%% of the %.3f s against %.1f%% before it: the machine was "
          "congested (its context switches were too few before the pause to compare)",
          c.resource, c.in_pause * 100, gap, c.before * 100);
      return v;
    }
    v.evidence = Format(
        "the machine was too quiet before the pause to compare: other tasks switched %.0f "
        "times a second",
        pace);
    return v;
  }
  const double share = v.observed_switches / v.expected_switches;
  if (direct != PauseReason::kNone) {
    // Held by a signal, a freeze or a quota, yet the others' switches say nothing else ran.
    v.evidence = figures + Format(" (%.0f%%), though %s: whether anything else ran is not known",
                                  share * 100, std::string(ReasonText(direct)).c_str());
    return v;
  }
  if (share < rules.machine_below) {
    v.scope = PauseScope::kMachine;
    v.evidence = figures + Format(" (%.0f%%); CPU time used in that time %.2f s, interrupts %.0f",
                                  share * 100, Moved(after.busy_seconds, before.busy_seconds),
                                  Moved(after.interrupts, before.interrupts));
    return v;
  }
  // Fewer switches than before while tasks waited for a CPU, memory or I/O far more than before:
  // the machine ran, but hardly anything in it could.
  if (share < 1 && congested(share < rules.process_from ? rules.congested_share
                                                        : rules.congested_share_near_pace)) {
    v.scope = PauseScope::kMachine;
    v.evidence = figures + Format(
                               " (%.0f%%), and tasks waited for %s %.0f%% of that time against "
                               "%.1f%% before it: the machine was congested",
                               share * 100, c.resource, c.in_pause * 100, c.before * 100);
    return v;
  }
  if (share < rules.process_from) {
    v.evidence = figures + Format(" (%.0f%%): neither stopped nor running as before", share * 100);
    return v;
  }

  v.scope = PauseScope::kProcess;
  if (gap > 0 && run_delay >= rules.run_delay_share * gap) {
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

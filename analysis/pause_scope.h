#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "analysis/atomic_histogram.h"
#include "collectors/progress.h"

namespace rh::analysis {

// What froze during a pause: the machine, the hypervisor's hold on it, or only this daemon.
// Decided from counters read before and right after the pause by a pure function, so that the
// rules can be tested on numbers and the verdict explained with them.

using collectors::ProgressReading;
using collectors::SwitchCounts;

enum class PauseScope : std::uint8_t { kMachine, kHypervisor, kProcess, kUnknown };
inline constexpr std::array<std::string_view, 4> kPauseScopeNames = {"machine", "hypervisor",
                                                                     "process", "unknown"};
inline std::string_view Name(PauseScope s) { return kPauseScopeNames[static_cast<int>(s)]; }

/// Why only this daemon stood still (process scope), as far as the evidence tells.
enum class PauseReason : std::uint8_t { kNone, kSignal, kFrozen, kThrottled, kRunDelay };
inline constexpr std::array<std::string_view, 5> kPauseReasonNames = {"none", "signal", "frozen",
                                                                      "throttled", "run_delay"};
inline std::string_view Name(PauseReason r) { return kPauseReasonNames[static_cast<int>(r)]; }

/// Everything the verdict looks at.
struct PauseEvidence {
  std::int64_t start_monotonic_ns = 0;  ///< The pause's estimated start.
  std::int64_t end_monotonic_ns = 0;    ///< The watchdog's wake-up.
  /// The last reading at or before the start, and an earlier one (at least a second before it)
  /// that gives the pace of the machine just before the pause.
  std::optional<ProgressReading> before;
  std::optional<ProgressReading> pace_from;
  std::optional<ProgressReading> after;  ///< Read right after the wake-up.
  /// The context switches the watchdog read as it woke, before the work that piled up during
  /// the pause ran; where present, the switches during the pause are counted up to it.
  std::optional<collectors::SwitchCounts> at_wake;
  /// The watchdog's last reading of them before the start (at most a few ticks before it);
  /// where present with at_wake, the switches during the pause are counted from it.
  std::optional<collectors::SwitchCounts> at_start;
  bool continued_by_signal = false;  ///< SIGCONT arrived at the end of the pause.
  /// Changes of its cgroup.events seen in the pause (inotify coalesces a freeze and a thaw read
  /// together into one).
  std::uint32_t cgroup_freeze_changes = 0;
  /// The watchdog thread runs SCHED_FIFO and may run on every online CPU: then its run delay
  /// means every CPU was held by the kernel or higher real-time work.
  bool watchdog_realtime_on_every_cpu = false;
  std::string missing;  ///< Why a reading is absent, for the text ("/proc/stat: ...").
};

/// The verdict and the figures behind it.
struct ScopeVerdict {
  PauseScope scope = PauseScope::kUnknown;
  PauseReason reason = PauseReason::kNone;  ///< Process scope only.
  double expected_switches = 0;  ///< Other tasks' context switches expected in the pause.
  double observed_switches = 0;  ///< Seen in it.
  double steal_seconds = 0;      ///< CPU time stolen during the pause.
  std::string evidence;          ///< One sentence for people, with the figures.
};

/// Thresholds of DecideScope, in one place.
struct ScopeRules {
  double machine_below = 0.2;  ///< Others' pace below this share of before: machine.
  double process_from = 0.5;   ///< At or above it: the machine kept running.
  double min_expected = 20;    ///< Fewer expected switches than this cannot decide.
  /// Others' switches in the pause that show the rest of the machine ran, where a SIGCONT, a
  /// freeze or a quota says the daemon was held (a machine that froze leaves none).
  double min_seen_running = 10;
  /// In between machine_below and process_from, tasks that waited for a CPU, memory or I/O
  /// (PSI some) for at least this share of the pause, and 4 times their share before: machine.
  double congested_share = 0.2;
  /// The same when others kept between process_from and all of their pace: a stricter share.
  double congested_share_near_pace = 0.5;
  double steal_share = 0.5;      ///< Steal of at least this share of the pause: hypervisor.
  double throttled_share = 0.3;  ///< Quota throttling of this share of the pause: throttled.
  double run_delay_share = 0.5;  ///< Watchdog run delay of this share: waiting for a CPU.
};

/// Decides the scope of a pause:
/// - hypervisor: CPU time stolen during the pause (steal) of at least half its length;
/// - the other tasks' context switches are compared with their pace before the pause. Before
///   it, the daemon's threads wake from idle and go back to it, two switches of the machine's for
///   each of their own, so the pace is the system's minus twice the daemon's (it errs low when
///   the daemon's threads hand work to each other). In the pause the daemon's threads run only
///   to stop and resume, one after another on each CPU, so the switches counted in it are the
///   system's minus the daemon's once (erring high by the few that woke a CPU from idle). The
///   figures thus favour "the machine kept running", never "the machine froze";
/// - process, with a direct reason: a SIGCONT at its end (stopped by a signal), a change of its
///   cgroup's freeze state, or its cgroup's CPU quota throttling it for throttled_share of the
///   pause, provided other tasks switched at least min_seen_running times in it (counted from
///   the watchdog's reading just before the start, at_start, where there is one; this needs no
///   pace before the pause);
/// - machine: otherwise, other tasks' switches fell below a fifth of their pace before, or
///   below it while tasks waited for a CPU, memory or I/O (PSI "some") for a fifth of the pause
///   or more (half of it when the switches kept at least half their pace), at least 4 times as
///   much as before it: the machine ran, but hardly anything in it could (real-time loops on
///   every CPU leave normal tasks the kernel's fair-server share); with too few switches before
///   the pause to compare, that congestion at half the pause or more decides alone;
/// - machine, also: the watchdog runs SCHED_FIFO on every CPU and waited runnable (schedstat run
///   delay) for run_delay_share of the pause, with no direct reason, unless other tasks kept at
///   least half their pace: only the kernel or higher real-time work holds such a thread, and
///   it held every CPU;
/// - process: they kept at least half of it; the reason is its watchdog thread waiting for a
///   CPU (not direct: real-time loops on every CPU make it wait too), or none found;
/// - unknown: a reading is missing, the machine was too quiet before the pause to compare
///   (fewer than min_expected switches expected), or the pace fell in between.
/// Pure. Counters that went backwards count as not having moved.
ScopeVerdict DecideScope(const PauseEvidence& evidence, const ScopeRules& rules = {});

/// The pause counters by scope for /metrics. The event thread updates them once a pause's scope
/// is decided; anyone reads. Thread-safe.
struct PauseStats {
  std::array<std::atomic<std::uint64_t>, 4> count{};
  std::array<AtomicHistogram, 4> durations{
      AtomicHistogram{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600},
      AtomicHistogram{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600},
      AtomicHistogram{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600},
      AtomicHistogram{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600}};
  std::atomic<bool> any{false};  ///< A pause was decided since start.
  std::atomic<std::uint8_t> last_scope{static_cast<std::uint8_t>(PauseScope::kUnknown)};
  std::atomic<std::uint8_t> last_reason{0};
  std::atomic<std::int64_t> last_start_uncertainty_ns{0};

  void Record(const ScopeVerdict& verdict, std::int64_t duration_ns, std::int64_t uncertainty_ns);
};

/// One line for logs and the event's notes: "the machine froze for 2.985 s (±0.010 s): ...",
/// "rogue-hunter itself did not run for 3.010 s (±0.010 s) while the rest of the machine kept
/// running: stopped by a signal ...".
std::string DescribePause(const ScopeVerdict& verdict, double duration_seconds,
                          double uncertainty_seconds);

/// The scope and reason a stored event or a bundle names ("machine", "signal"); nullopt for a
/// name this build does not know, or "" (written before pauses had scopes).
std::optional<PauseScope> ScopeNamed(std::string_view name);
std::optional<PauseReason> ReasonNamed(std::string_view name);

/// What froze, in a few words for a status line or a table: "the machine froze", "the hypervisor
/// held the machine", "only rogue-hunter stopped", "scope unknown"; for "" (a pause recorded
/// before scopes) "scope not recorded".
std::string_view ScopePhrase(std::string_view scope_name);

/// The reason in words: "stopped by a signal", "its cgroup was frozen", ...; "" for none.
std::string_view ReasonText(PauseReason reason);

}  // namespace rh::analysis

#include "analysis/pause_scope.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rh::analysis {
namespace {

using ::testing::HasSubstr;

constexpr std::int64_t kSecond = 1'000'000'000;

// A machine that switches context 1000 times a second, this daemon 50 times of them (its
// watchdog's sleeps), 2 CPUs mostly idle. A reading at `t` seconds.
ProgressReading Reading(double t, double others_per_second = 900, double own_per_second = 50) {
  ProgressReading r;
  r.monotonic_ns = static_cast<std::int64_t>(t * 1e9);
  r.own_context_switches = static_cast<std::uint64_t>(own_per_second * t);
  r.context_switches =
      static_cast<std::uint64_t>(others_per_second * t) + 2 * r.own_context_switches;
  r.interrupts = static_cast<std::uint64_t>(500 * t);
  r.busy_seconds = 0.1 * t;
  r.steal_seconds = 0.001 * t;
  r.throttled_seconds = 0;
  r.run_delay_seconds = 0.0001 * t;
  return r;
}

// A pause from 100.0 s to 103.0 s, readings at 95, 99.8 and 103.01.
PauseEvidence Evidence(ProgressReading after) {
  PauseEvidence e;
  e.start_monotonic_ns = 100 * kSecond;
  e.end_monotonic_ns = 103 * kSecond;
  e.pace_from = Reading(95);
  e.before = Reading(99.8);
  e.after = after;
  return e;
}

TEST(DecideScope, OthersKeptTheirPaceWhileTheDaemonWasStoppedBySignal) {
  ProgressReading after = Reading(103.01);
  after.own_context_switches = Reading(99.8).own_context_switches;  // stopped: no own switches
  after.context_switches =
      Reading(103.01).context_switches -
      2 * (Reading(103.01).own_context_switches - Reading(99.8).own_context_switches);
  PauseEvidence e = Evidence(after);
  e.continued_by_signal = true;
  ScopeVerdict v = DecideScope(e);
  EXPECT_EQ(v.scope, PauseScope::kProcess);
  EXPECT_EQ(v.reason, PauseReason::kSignal);
  EXPECT_NEAR(v.expected_switches, 2700, 1);
  EXPECT_NEAR(v.observed_switches, 2700, 20);
  EXPECT_THAT(v.evidence, HasSubstr("the rest of the machine kept running"));
  EXPECT_THAT(v.evidence, HasSubstr("stopped by a signal"));
  EXPECT_THAT(DescribePause(v, 3.01, 0.01),
              HasSubstr("rogue-hunter itself did not run for 3.010 s (start ±0.010 s)"));
}

TEST(DecideScope, NothingElseSwitchedIsTheMachine) {
  ProgressReading after = Reading(99.8);  // nothing moved from 99.8 to the end of the pause...
  after.monotonic_ns = 103'010'000'000;
  after.context_switches += 5;  // ...but a handful of switches
  after.busy_seconds += 6;      // both CPUs busy all the time (real-time hogs)
  ScopeVerdict v = DecideScope(Evidence(after));
  EXPECT_EQ(v.scope, PauseScope::kMachine);
  EXPECT_EQ(v.reason, PauseReason::kNone);
  EXPECT_THAT(v.evidence, HasSubstr("against 2700 expected"));
  EXPECT_THAT(DescribePause(v, 3, 0.01), HasSubstr("the machine froze for 3.000 s"));
}

TEST(DecideScope, StealOfHalfThePauseIsTheHypervisor) {
  ProgressReading after = Reading(103.01);
  after.context_switches = Reading(99.8).context_switches;
  after.steal_seconds += 2.5;
  ScopeVerdict v = DecideScope(Evidence(after));
  EXPECT_EQ(v.scope, PauseScope::kHypervisor);
  EXPECT_NEAR(v.steal_seconds, 2.5, 0.01);
  EXPECT_THAT(DescribePause(v, 3, 0.01), HasSubstr("the hypervisor did not run this machine"));
}

TEST(DecideScope, ProcessReasonsInOrder) {
  ProgressReading after = Reading(103.01);
  {
    PauseEvidence e = Evidence(after);
    e.cgroup_freeze_changes = 2;
    ScopeVerdict v = DecideScope(e);
    EXPECT_EQ(v.scope, PauseScope::kProcess);
    EXPECT_EQ(v.reason, PauseReason::kFrozen);
    EXPECT_THAT(v.evidence, HasSubstr("its cgroup was frozen"));
  }
  {
    ProgressReading throttled = after;
    throttled.throttled_seconds = 2.2;
    ScopeVerdict v = DecideScope(Evidence(throttled));
    EXPECT_EQ(v.reason, PauseReason::kThrottled);
    EXPECT_THAT(v.evidence,
                HasSubstr("(cpu.stat's throttled time grew by 2.200 s, summed over its CPUs)"));
  }
  {
    ProgressReading waiting = after;
    *waiting.run_delay_seconds += 2.9;
    ScopeVerdict v = DecideScope(Evidence(waiting));
    EXPECT_EQ(v.reason, PauseReason::kRunDelay);
  }
  {
    ScopeVerdict v = DecideScope(Evidence(after));
    EXPECT_EQ(v.scope, PauseScope::kProcess);
    EXPECT_EQ(v.reason, PauseReason::kNone);
    EXPECT_THAT(v.evidence, HasSubstr("what stopped rogue-hunter is not known"));
  }
}

TEST(DecideScope, MissingOrUndecidingEvidenceIsUnknown) {
  PauseEvidence e = Evidence(Reading(103.01));
  e.after.reset();
  e.missing = "/proc/stat: No such file or directory";
  ScopeVerdict v = DecideScope(e);
  EXPECT_EQ(v.scope, PauseScope::kUnknown);
  EXPECT_THAT(v.evidence, HasSubstr("after the pause (/proc/stat: No such file"));

  e = Evidence(Reading(103.01));
  e.before.reset();
  EXPECT_EQ(DecideScope(e).scope, PauseScope::kUnknown);

  e = Evidence(Reading(103.01));
  e.pace_from.reset();
  EXPECT_THAT(DecideScope(e).evidence, HasSubstr("pace before the pause cannot be told"));
  EXPECT_EQ(DecideScope(e).scope, PauseScope::kUnknown);
  // Without a pace, a SIGCONT with others seen switching in the pause still decides.
  e.continued_by_signal = true;
  v = DecideScope(e);
  EXPECT_EQ(v.scope, PauseScope::kProcess);
  EXPECT_THAT(v.evidence, HasSubstr("their pace before it is not known"));

  // A quiet machine (as a fixture tree whose counters never move) cannot be compared with.
  e = Evidence(Reading(103.01, 1, 0));
  e.pace_from = Reading(95, 1, 0);
  e.before = Reading(99.8, 1, 0);
  v = DecideScope(e);
  EXPECT_EQ(v.scope, PauseScope::kUnknown);
  EXPECT_THAT(v.evidence, HasSubstr("too quiet"));
  e.continued_by_signal = true;  // stopped, yes, but whether the rest ran is not known
  EXPECT_EQ(DecideScope(e).scope, PauseScope::kUnknown);

  // Half the pace: neither.
  ProgressReading half = Reading(99.8);
  half.monotonic_ns = 103'010'000'000;
  half.context_switches += 1350;
  v = DecideScope(Evidence(half));
  EXPECT_EQ(v.scope, PauseScope::kUnknown);
  EXPECT_THAT(DescribePause(v, 3, 0.01),
              HasSubstr("whether the rest of the machine ran is unknown"));
  // Half the pace, and a SIGCONT resumed it: someone ran to send it, and the machine was not
  // clearly frozen, so only rogue-hunter stopped.
  PauseEvidence signalled = Evidence(half);
  signalled.continued_by_signal = true;
  v = DecideScope(signalled);
  EXPECT_EQ(v.scope, PauseScope::kProcess);
  EXPECT_EQ(v.reason, PauseReason::kSignal);
  // Stopped by a signal, but nothing else switched either: the signal explains rogue-hunter's
  // gap, not whether the rest ran, so neither verdict.
  ProgressReading still = Reading(99.8);
  still.monotonic_ns = 103'010'000'000;
  PauseEvidence stopped = Evidence(still);
  stopped.continued_by_signal = true;
  v = DecideScope(stopped);
  EXPECT_EQ(v.scope, PauseScope::kUnknown);
  EXPECT_THAT(v.evidence, HasSubstr("whether anything else ran is not known"));
  stopped.continued_by_signal = false;
  EXPECT_EQ(DecideScope(stopped).scope, PauseScope::kMachine);
}

TEST(DecideScope, TheDaemonsOwnThreadsStoppingTogetherDoNotHideTheOthers) {
  // A freeze of the daemon's cgroup: its 1,100 threads each stop and later resume, one after
  // another on each CPU (a switch of the machine's each), while the others keep their pace.
  ProgressReading after = Reading(99.8);
  after.monotonic_ns = 103'010'000'000;
  after.own_context_switches += 2200;
  after.context_switches += 2200 + 2889;  // 900 a second from 99.8 s on
  PauseEvidence e = Evidence(after);
  ScopeVerdict v = DecideScope(e);
  EXPECT_EQ(v.scope, PauseScope::kProcess);
  EXPECT_NEAR(v.observed_switches, 2700, 15);
  e.cgroup_freeze_changes = 1;
  EXPECT_EQ(DecideScope(e).reason, PauseReason::kFrozen);
}

TEST(DecideScope, AQuotaThrottlingItIsProcessScopeEvenWhenOthersSlowedDown) {
  // A client hammering the daemon waits while the daemon's quota holds it: others' switches fall
  // to a third, yet cpu.stat says the quota held it for most of the pause.
  ProgressReading third = Reading(99.8);
  third.monotonic_ns = 103'010'000'000;
  third.context_switches += 900 + 189;
  third.throttled_seconds = 2.5;
  ScopeVerdict v = DecideScope(Evidence(third));
  EXPECT_EQ(v.scope, PauseScope::kProcess);
  EXPECT_EQ(v.reason, PauseReason::kThrottled);
  EXPECT_THAT(
      v.evidence,
      HasSubstr("its cgroup's CPU quota throttled it (cpu.stat's throttled time grew by 2.500 s"));
  // A run delay alone is no such evidence: real-time loops on every CPU delay the watchdog too.
  third.throttled_seconds = 0;
  *third.run_delay_seconds += 2.9;
  EXPECT_EQ(DecideScope(Evidence(third)).scope, PauseScope::kUnknown);
}

TEST(DecideScope, ARealTimeWatchdogWaitingForEveryCpuIsTheMachine) {
  // Real-time loops on every CPU of a machine already busy before (PSI cannot tell the stall
  // from its usual congestion): others fall to a quarter of their pace, and the watchdog,
  // SCHED_FIFO on every CPU, waited runnable for 2.9 s of the 3 s.
  ProgressReading quarter = Reading(99.8);
  quarter.monotonic_ns = 103'010'000'000;
  quarter.context_switches += 675 + 189;
  *quarter.run_delay_seconds += 2.9;
  PauseEvidence e = Evidence(quarter);
  EXPECT_EQ(DecideScope(e).scope, PauseScope::kUnknown);  // a normal watchdog: it may be alone
  e.watchdog_realtime_on_every_cpu = true;
  ScopeVerdict v = DecideScope(e);
  EXPECT_EQ(v.scope, PauseScope::kMachine);
  EXPECT_THAT(v.evidence, HasSubstr("waited for a CPU 2.900 s of the 3.000 s (schedstat)"));
  EXPECT_THAT(DescribePause(v, 3, 0.01), HasSubstr("the machine froze for 3.000 s"));
  // Without a pace before the pause, the wait decides alone.
  e.pace_from.reset();
  EXPECT_EQ(DecideScope(e).scope, PauseScope::kMachine);
  // Others kept their pace: only the daemon's CPUs were held, whatever its mask said.
  ProgressReading paced = Reading(103.01);
  *paced.run_delay_seconds += 2.9;
  PauseEvidence kept = Evidence(paced);
  kept.watchdog_realtime_on_every_cpu = true;
  EXPECT_EQ(DecideScope(kept).scope, PauseScope::kProcess);
  EXPECT_EQ(DecideScope(kept).reason, PauseReason::kRunDelay);
  // A wait for a fifth of the pause says nothing.
  *quarter.run_delay_seconds -= 2.3;
  PauseEvidence brief = Evidence(quarter);
  brief.watchdog_realtime_on_every_cpu = true;
  EXPECT_EQ(DecideScope(brief).scope, PauseScope::kUnknown);
  // Nor does it with a SIGCONT at the end (a stopped thread does not wait for a CPU).
  e.continued_by_signal = true;
  EXPECT_NE(DecideScope(e).scope, PauseScope::kMachine);
}

TEST(DecideScope, TheQuotasHoldIsCountedUpToTheWatchdogsReadingAtTheWakeUp) {
  // Pauses back to back under a quota, judged late: the probe's reading after them spans all of
  // them (40 s of throttling), the watchdog's at the wake-up only this one (2.8 s of its 3 s).
  ProgressReading after = Reading(130);
  after.throttled_seconds = 40;
  PauseEvidence e = Evidence(after);
  e.before->throttled_seconds = 9.9;
  const ProgressReading& before = *e.before;
  e.at_start = collectors::SwitchCounts{99'900'000'000, before.context_switches + 90,
                                        before.own_context_switches + 5, 10.0};
  e.at_wake = collectors::SwitchCounts{103 * kSecond, e.at_start->total + 2700 + 5,
                                       e.at_start->own + 5, 12.8};
  ScopeVerdict v = DecideScope(e);
  EXPECT_EQ(v.scope, PauseScope::kProcess);
  EXPECT_EQ(v.reason, PauseReason::kThrottled);
  EXPECT_THAT(v.evidence, HasSubstr("throttled time grew by 2.800 s, summed over its CPUs"));
  // From the probe's reading when it is the later one before the start.
  e.at_start->monotonic_ns = 99'700'000'000;
  EXPECT_THAT(DecideScope(e).evidence, HasSubstr("grew by 2.900 s"));
  // The watchdog's readings say the quota did not hold it in this pause: not throttled, though
  // the probe's reading after it saw 30 s more.
  e.at_wake->throttled_seconds = 10.1;
  EXPECT_NE(DecideScope(e).reason, PauseReason::kThrottled);
  // Without cpu.stat at the wake-up, the probe's reading after it is all there is.
  e.at_wake->throttled_seconds.reset();
  EXPECT_THAT(DecideScope(e).evidence, HasSubstr("grew by 30.100 s"));
}

TEST(DecideScope, SwitchesCountedAtTheWakeUpLeaveOutTheBacklogAfterIt) {
  // Real-time loops held every CPU: when they end, the work that waited runs and switches (300
  // times) before the reading after; the watchdog counted 5 as it woke, before that backlog.
  ProgressReading after = Reading(99.8);
  after.monotonic_ns = 103'200'000'000;
  after.context_switches += 5 + 300;
  PauseEvidence e = Evidence(after);
  e.at_wake = collectors::SwitchCounts{
      103 * kSecond, Reading(99.8).context_switches + 5, Reading(99.8).own_context_switches, {}};
  ScopeVerdict v = DecideScope(e);
  EXPECT_EQ(v.scope, PauseScope::kMachine);
  EXPECT_EQ(v.observed_switches, 0);  // 5 less those expected in the 0.2 s before the start
}

TEST(DecideScope, OnAQuietMachineTheSwitchesAreCountedFromTheWatchdogsReadingBeforeTheStart) {
  // A quiet machine while a client polled the daemon: 300 switches a second, 200 of them the
  // daemon's own hand-offs (its pace estimate falls to 0). Then the polling stops 0.2 s before
  // the daemon is stopped by a signal for 3 s, in which the others switch 15 times.
  auto reading = [](double t, std::uint64_t total, std::uint64_t own) {
    ProgressReading r;
    r.monotonic_ns = static_cast<std::int64_t>(t * 1e9);
    r.context_switches = total;
    r.own_context_switches = own;
    return r;
  };
  PauseEvidence e;
  e.start_monotonic_ns = 100 * kSecond;
  e.end_monotonic_ns = 103 * kSecond;
  e.pace_from = reading(95, 10'000, 1'000);
  e.before = reading(99.8, 11'440, 1'960);  // 300 and 200 a second
  e.after = reading(103.2, 11'460, 1'960);
  e.continued_by_signal = true;
  e.at_wake = collectors::SwitchCounts{103 * kSecond, 11'457, 1'960, {}};
  // From the probe's reading 0.2 s before the start, at the pace of the polling: nothing left.
  ScopeVerdict v = DecideScope(e);
  EXPECT_EQ(v.scope, PauseScope::kUnknown);
  EXPECT_LT(v.observed_switches, 10);
  // From the watchdog's reading 10 ms before it: the 15 are seen, and the signal decides.
  e.at_start = collectors::SwitchCounts{99'990'000'000, 11'442, 1'960, {}};
  v = DecideScope(e);
  EXPECT_EQ(v.scope, PauseScope::kProcess);
  EXPECT_EQ(v.reason, PauseReason::kSignal);
  EXPECT_NEAR(v.observed_switches, 15, 1);
  // A reading after the estimated start cannot be the pause's beginning: not used.
  e.at_start = collectors::SwitchCounts{100'010'000'000, 11'442, 1'960, {}};
  EXPECT_EQ(DecideScope(e).scope, PauseScope::kUnknown);
}

TEST(DecideScope, FewerSwitchesWhileTasksWaitedForACpuIsTheMachine) {
  // Real-time loops on every CPU: normal tasks get the kernel's fair-server share only, so they
  // switch at a third of their pace and wait for a CPU much of the time.
  auto with_waiting = [](ProgressReading r, double cpu_waiting) {
    r.cpu_waiting_seconds = cpu_waiting;
    r.memory_waiting_seconds = 0;
    return r;
  };
  ProgressReading third = Reading(99.8);
  third.monotonic_ns = 103'010'000'000;
  third.context_switches += 900 + 189;  // a third of 2700, and the 0.21 s outside the pause
  PauseEvidence e = Evidence(with_waiting(third, 0.95));
  e.pace_from = with_waiting(Reading(95), 0.02);
  e.before = with_waiting(Reading(99.8), 0.04);  // 0.4 % of the time before
  ScopeVerdict v = DecideScope(e);
  EXPECT_EQ(v.scope, PauseScope::kMachine);
  EXPECT_THAT(v.evidence, HasSubstr("(33%), and tasks waited for a CPU 30% of that time against "
                                    "0.4% before it: the machine was congested"));
  // Waiting as much before as during (a busy machine): not the pause's doing.
  e.pace_from = with_waiting(Reading(95), 0.1);
  e.before = with_waiting(Reading(99.8), 1.5);
  e.after = with_waiting(third, 2.5);
  EXPECT_EQ(DecideScope(e).scope, PauseScope::kUnknown);
  // Without PSI: in between, unknown.
  EXPECT_EQ(DecideScope(Evidence(third)).scope, PauseScope::kUnknown);

  // Two thirds of the pace (the fair server let normal tasks switch), tasks waiting for a CPU
  // 70 % of the pause against 1 % before: the machine; waiting 30 % only: the rest ran.
  ProgressReading two_thirds = Reading(99.8);
  two_thirds.monotonic_ns = 103'010'000'000;
  two_thirds.context_switches += 1800 + 189;
  PauseEvidence near = Evidence(with_waiting(two_thirds, 0.05 + 2.1));
  near.pace_from = with_waiting(Reading(95), 0.0);
  near.before = with_waiting(Reading(99.8), 0.05);
  EXPECT_EQ(DecideScope(near).scope, PauseScope::kMachine);
  near.after = with_waiting(two_thirds, 0.05 + 0.9);
  EXPECT_EQ(DecideScope(near).scope, PauseScope::kProcess);

  // Too few switches before to compare (the daemon's own threads handing work to each other
  // hide the others'), but tasks waited for a CPU 70 % of the pause: the machine.
  PauseEvidence quiet = Evidence(with_waiting(Reading(103.01, 1, 0), 0.05 + 2.1));
  quiet.pace_from = with_waiting(Reading(95, 1, 0), 0.0);
  quiet.before = with_waiting(Reading(99.8, 1, 0), 0.05);
  v = DecideScope(quiet);
  EXPECT_EQ(v.scope, PauseScope::kMachine);
  EXPECT_THAT(v.evidence, HasSubstr("too few before the pause to compare"));
  quiet.after = with_waiting(Reading(103.01, 1, 0), 0.05 + 0.9);  // 30 %: not enough alone
  EXPECT_EQ(DecideScope(quiet).scope, PauseScope::kUnknown);
}

TEST(DecideScope, CountersGoingBackwardsDoNotCount) {
  ProgressReading after = Reading(103.01);
  after.context_switches = 0;  // a wrapped or reset counter
  ScopeVerdict v = DecideScope(Evidence(after));
  EXPECT_EQ(v.observed_switches, 0);
  EXPECT_EQ(v.scope, PauseScope::kMachine);
}

TEST(PauseStats, RecordsByScopeAndKeepsTheLast) {
  PauseStats stats;
  EXPECT_FALSE(stats.any);
  ScopeVerdict v;
  v.scope = PauseScope::kProcess;
  v.reason = PauseReason::kFrozen;
  stats.Record(v, 2 * kSecond, 10'000'000);
  v.scope = PauseScope::kMachine;
  v.reason = PauseReason::kNone;
  stats.Record(v, 3 * kSecond, 10'000'000);
  EXPECT_EQ(stats.count[static_cast<int>(PauseScope::kProcess)], 1u);
  EXPECT_EQ(stats.count[static_cast<int>(PauseScope::kMachine)], 1u);
  EXPECT_EQ(stats.durations[static_cast<int>(PauseScope::kMachine)].Read().count(), 1u);
  EXPECT_EQ(stats.last_scope, static_cast<std::uint8_t>(PauseScope::kMachine));
  EXPECT_TRUE(stats.any);
}

}  // namespace
}  // namespace rh::analysis

// The daemon as a whole, on the real machine: injected pauses, an idle run, CPU stress.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "tests/support/daemon.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh {
namespace {

using namespace std::chrono_literals;

// Injects a pause of the daemon alone: SIGSTOP for `length`, then SIGCONT.
void Freeze(test::Subprocess& process, std::chrono::milliseconds length) {
  process.Signal(SIGSTOP);
  std::this_thread::sleep_for(length);
  process.Signal(SIGCONT);
}

double Value(const test::Daemon& daemon, const std::string& series) {
  return daemon.Metric(series).value_or(-1);
}

double Pauses(const test::Daemon& daemon) {
  double sum = 0;
  for (const char* scope : {"machine", "hypervisor", "process", "unknown"}) {
    sum += daemon.Metric("rogue_hunter_pauses_total{scope=\"" + std::string(scope) + "\"}")
               .value_or(0);
  }
  return sum;
}

// Waits until the daemon keeps enough of the machine's counters to judge a pause's scope.
bool EvidenceReady(const test::Daemon& daemon) {
  return test::WaitUntil(
      [&] { return Value(daemon, "rogue_hunter_pause_evidence_seconds") >= 1.5; }, 15s, 100ms);
}

TEST(Pause, ThreeSecondStopIsExactlyOnePauseOfThreeSeconds) {
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  ASSERT_TRUE(EvidenceReady(daemon));
  EXPECT_EQ(Value(daemon, "rogue_hunter_pauses_total{scope=\"process\"}"), 0);
  EXPECT_EQ(Pauses(daemon), 0);

  Freeze(daemon.process(), 3000ms);
  ASSERT_TRUE(test::WaitUntil([&] { return Pauses(daemon) >= 1; }, 10s));
  const double duration = Value(daemon, "rogue_hunter_last_pause_duration_seconds");
  // Half a tick for the start's estimate, ± half a tick, plus slack for delivering the two
  // signals on a loaded machine.
  EXPECT_GE(duration, 3.0 - 0.02);
  EXPECT_LE(duration, 3.0 + 0.02 + 0.3);
  EXPECT_GT(Value(daemon, "rogue_hunter_last_pause_start_uncertainty_seconds"), 0);
  EXPECT_LE(Value(daemon, "rogue_hunter_last_pause_start_uncertainty_seconds"), 0.01);
  EXPECT_EQ(Value(daemon, "rogue_hunter_pause_duration_seconds_count{scope=\"process\"}"), 1);
  EXPECT_EQ(Value(daemon, "rogue_hunter_pause_duration_seconds_bucket{scope=\"process\",le=\"2\"}"),
            0);
  EXPECT_EQ(Value(daemon, "rogue_hunter_pause_duration_seconds_bucket{scope=\"process\",le=\"5\"}"),
            1);
  EXPECT_GT(Value(daemon, "rogue_hunter_last_pause_timestamp_seconds"), 1.7e9);
  EXPECT_EQ(Value(daemon, "rogue_hunter_suspends_total"), 0);
  // SIGSTOP stops this daemon only: process scope, stopped by a signal; never "the machine froze".
  EXPECT_EQ(Value(daemon, "rogue_hunter_last_pause_scope{scope=\"process\",reason=\"signal\"}"), 1);
  EXPECT_THAT(daemon.process().Stderr(),
              ::testing::HasSubstr("warning: pause: rogue-hunter itself did not run for "));
  EXPECT_THAT(daemon.process().Stderr(), ::testing::HasSubstr("stopped by a signal"));
  EXPECT_THAT(daemon.process().Stderr(), ::testing::Not(::testing::HasSubstr("machine froze")));

  // Still exactly one a while later: the recovery itself is not another pause.
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(Pauses(daemon), 1);
}

TEST(Pause, ShortStopsBelowTheMinimumAreHiccupsNotPauses) {
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  Freeze(daemon.process(), 300ms);
  ASSERT_TRUE(test::WaitUntil(
      [&] {
        return Value(daemon, "rogue_hunter_hiccup_seconds_bucket{le=\"0.25\"}") <
               Value(daemon, "rogue_hunter_hiccup_seconds_count");
      },
      15s));  // live counters refresh with the next sample (normal interval 5 s)
  EXPECT_EQ(Pauses(daemon), 0);
}

TEST(Pause, MinimumIsConfigurable) {
  test::TempDir dir;
  auto config = dir.Write("c.toml", "[pause]\nmin_seconds = 0.2\ntick_ms = 10\n");
  test::Daemon daemon({"--config", config.string()});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  Freeze(daemon.process(), 500ms);
  ASSERT_TRUE(test::WaitUntil([&] { return Pauses(daemon) == 1; }, 5s));
  EXPECT_NEAR(Value(daemon, "rogue_hunter_last_pause_duration_seconds"), 0.5, 0.01 + 0.3);
}

TEST(Pause, ThirtyIdleSecondsProduceNoPause) {
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  const auto end = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < end) {
    ASSERT_EQ(Pauses(daemon), 0);
    std::this_thread::sleep_for(1s);
  }
  EXPECT_GT(Value(daemon, "rogue_hunter_hiccup_seconds_count"), 1000);  // the watchdog was ticking
  EXPECT_EQ(Pauses(daemon), 0);
}

TEST(Stress, CpuLoadRaisesTheLoadComponentAndElevatesSampling) {
  ASSERT_TRUE(test::HaveProgram("stress-ng")) << "stress-ng (Debian package stress-ng) is missing";
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  // The rise needs a calm start: on a machine that other work already stresses, the daemon
  // rightly starts elevated and there is no transition to show.
  const bool calm = test::WaitUntil(
      [&] { return Value(daemon, "rogue_hunter_sampling_state{state=\"normal\"}") == 1; }, 60s, 1s);
  if (!calm) {
    GTEST_SKIP() << "the machine is already under stress (score "
                 << Value(daemon, "rogue_hunter_stress_score")
                 << "): no rise from normal sampling can be shown";
  }
  EXPECT_EQ(Value(daemon, "rogue_hunter_sampling_interval_seconds"), 5);

  // Eight CPU hogs per core: runnable tasks queue for CPU, which is stress (unlike busy CPUs).
  auto hogs = test::Subprocess::Start({"stress-ng", "--cpu", "16", "--timeout", "150s", "--quiet"});
  bool elevated = test::WaitUntil(
      [&] {
        // A PSI trigger may elevate sampling at the first burst, before the score has risen.
        return Value(daemon, "rogue_hunter_stress_component{component=\"load\"}") > 0 &&
               Value(daemon, "rogue_hunter_sampling_state{state=\"normal\"}") == 0 &&
               Value(daemon, "rogue_hunter_stress_score") >= 30;
      },
      140s, 1s);
  // Read while the hogs still run (the score falls once they stop); the wait saw score >= 30.
  const double interval = Value(daemon, "rogue_hunter_sampling_interval_seconds");
  hogs.Stop(5s);
  ASSERT_TRUE(elevated) << "score " << Value(daemon, "rogue_hunter_stress_score");
  EXPECT_EQ(interval, 1);
  EXPECT_THAT(daemon.process().Stderr(), ::testing::HasSubstr("sampling normal -> "));
}

}  // namespace
}  // namespace rh

// What froze, told apart for real: the daemon stopped by a signal or frozen in its cgroup while
// the rest of the machine ran (process scope), and no verdict without evidence (unknown, on the
// fixture tree whose counters never move). The machine-wide stall is in machine_stall_test.cc.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "forensics/store.h"
#include "tests/integration/test_cgroup.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

double Value(const test::Daemon& daemon, const std::string& series) {
  return daemon.Metric(series).value_or(-1);
}

double Pauses(const test::Daemon& daemon, const std::string& scope) {
  return daemon.Metric("rogue_hunter_pauses_total{scope=\"" + scope + "\"}").value_or(0);
}

bool EvidenceReady(const test::Daemon& daemon) {
  return test::WaitUntil(
      [&] { return Value(daemon, "rogue_hunter_pause_evidence_seconds") >= 1.5; }, 15s, 100ms);
}

// The pause events the daemon stored.
std::vector<forensics::EventRecord> StoredPauses(const test::Daemon& daemon) {
  std::vector<forensics::EventRecord> pauses;
  forensics::Store::Options options;
  options.read_only = true;
  auto store = forensics::Store::Open(
      (daemon.home() / ".local/share/rogue-hunter/data.db").string(), options);
  if (!store.ok()) return pauses;
  auto events = (*store)->Events(0, 1e12);
  if (!events.ok()) return pauses;
  for (auto& e : *events) {
    if (e.kind == forensics::EventKind::kPause) pauses.push_back(std::move(e));
  }
  return pauses;
}

TEST(PauseScope, ACgroupFreezeOfTheDaemonIsProcessScopeFrozen) {
  std::string why;
  auto cgroup = test::TestCgroup::V2("rh-test-freeze-" + std::to_string(getpid()), &why);
  ASSERT_TRUE(cgroup) << why;
  test::Daemon daemon({}, {}, 20s, cgroup->Launcher());
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  ASSERT_EQ(cgroup->Processes(), std::vector<int>{daemon.process().pid()});
  ASSERT_TRUE(EvidenceReady(daemon));

  ASSERT_TRUE(cgroup->Freeze(true));
  ASSERT_TRUE(test::WaitUntil([&] { return cgroup->Frozen(); }, 5s));
  std::this_thread::sleep_for(2s);  // the length of the pause under test
  ASSERT_TRUE(cgroup->Freeze(false));

  ASSERT_TRUE(test::WaitUntil([&] { return Pauses(daemon, "process") >= 1; }, 15s))
      << daemon.process().Stderr();
  EXPECT_EQ(Value(daemon, "rogue_hunter_last_pause_scope{scope=\"process\",reason=\"frozen\"}"), 1)
      << daemon.process().Stderr();
  EXPECT_EQ(Pauses(daemon, "machine"), 0);
  const std::string log = daemon.process().Stderr();
  EXPECT_THAT(log, HasSubstr("rogue-hunter itself did not run for"));
  EXPECT_THAT(log, HasSubstr("its cgroup was frozen"));
  EXPECT_THAT(log, Not(HasSubstr("machine froze")));
  ASSERT_TRUE(test::WaitUntil([&] { return !StoredPauses(daemon).empty(); }, 10s));
  auto stored = StoredPauses(daemon);
  EXPECT_EQ(stored[0].scope, "process");
  EXPECT_EQ(stored[0].scope_reason, "frozen");
  EXPECT_GT(stored[0].start_uncertainty_seconds, 0);
  EXPECT_LE(stored[0].start_uncertainty_seconds, 0.01);  // half a 20 ms tick at most
  EXPECT_THAT(stored[0].notes, HasSubstr("the rest of the machine kept running"));
}

// The daemon's cgroup allowed 20 ms of CPU a second while a client keeps it busy: the quota
// holds every thread of it, the watchdog's too (at normal priority: a SCHED_FIFO thread is not
// held by a CFS quota), for most of each second.
TEST(PauseScope, ACpuQuotaThatHoldsTheDaemonIsProcessScopeThrottled) {
  std::string why;
  auto cgroup = test::TestCgroup::V1Cpu("rh-test-quota-" + std::to_string(getpid()), &why);
  if (!cgroup) GTEST_SKIP() << "no v1 cpu cgroup to put a quota on: " << why;
  test::TempDir dir;
  const auto config =
      dir.Write("config.toml", "[pause]\nraise_priority = false\nmin_seconds = 0.4\n");
  test::Daemon daemon({"--config", config.string()}, {}, 20s, cgroup->Launcher());
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  ASSERT_TRUE(EvidenceReady(daemon));

  ASSERT_TRUE(cgroup->SetCpuQuota(20000));
  // Busy: scrapes one after the other (each waits out the quota) until the log says a pause was
  // judged throttled, or the quota has held the cgroup in 10 periods (each ~0.98 s of the 1 s
  // period, far beyond pause.min_seconds), or 30 s. The log, not /metrics: a scrape under the
  // quota may time out. Under the sanitizers the daemon's threads need more than the quota
  // leaves to judge a pause, so the verdict may only come once the quota is lifted.
  const std::string throttled_line = "its cgroup's CPU quota throttled it";
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (daemon.process().Stderr().find(throttled_line) == std::string::npos &&
         cgroup->ThrottledPeriods().value_or(0) < 10 &&
         std::chrono::steady_clock::now() < deadline) {
    daemon.Get("/metrics");
  }
  const auto held = cgroup->ThrottledPeriods();
  ASSERT_TRUE(cgroup->SetCpuQuota(-1));
  ASSERT_GE(held.value_or(0), 1u) << "the quota never held the daemon";
  EXPECT_TRUE(test::WaitUntil(
      [&] { return daemon.process().Stderr().find(throttled_line) != std::string::npos; }, 30s))
      << daemon.process().Stderr();
  // The same verdict reaches the counters and the history; nothing was blamed on the machine.
  EXPECT_TRUE(test::WaitUntil([&] { return Pauses(daemon, "process") >= 1; }, 15s))
      << daemon.process().Stderr();
  EXPECT_EQ(Pauses(daemon, "machine"), 0) << daemon.process().Stderr();
  ASSERT_TRUE(test::WaitUntil(
      [&] {
        for (const auto& pause : StoredPauses(daemon)) {
          if (pause.scope == "process" && pause.scope_reason == "throttled") return true;
        }
        return false;
      },
      15s))
      << daemon.process().Stderr();
}

TEST(PauseScope, SigstopIsProcessScopeStoppedBySignalInTheHistoryToo) {
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  ASSERT_TRUE(EvidenceReady(daemon));
  daemon.process().Signal(SIGSTOP);
  std::this_thread::sleep_for(1500ms);
  daemon.process().Signal(SIGCONT);
  ASSERT_TRUE(test::WaitUntil([&] { return !StoredPauses(daemon).empty(); }, 15s))
      << daemon.process().Stderr();
  auto stored = StoredPauses(daemon);
  std::cout << "verdict: " << stored[0].notes << "\n";  // the figures, for runs elsewhere
  EXPECT_EQ(stored[0].scope, "process");
  EXPECT_EQ(stored[0].scope_reason, "signal");
  EXPECT_THAT(stored[0].notes, HasSubstr("stopped by a signal"));
}

TEST(PauseScope, WithoutMovingCountersTheScopeIsUnknown) {
  test::Daemon daemon({"--proc-root", (test::FixturesDir() / "proc").string(), "--sys-root",
                       (test::FixturesDir() / "sys").string()});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  ASSERT_TRUE(EvidenceReady(daemon));
  daemon.process().Signal(SIGSTOP);
  std::this_thread::sleep_for(1500ms);
  daemon.process().Signal(SIGCONT);
  ASSERT_TRUE(test::WaitUntil([&] { return Pauses(daemon, "unknown") >= 1; }, 15s))
      << daemon.process().Stderr();
  EXPECT_EQ(Pauses(daemon, "process"), 0);
  EXPECT_EQ(Value(daemon, "rogue_hunter_last_pause_scope{scope=\"unknown\",reason=\"none\"}"), 1);
  EXPECT_THAT(daemon.process().Stderr(),
              HasSubstr("whether the rest of the machine ran is unknown"));
  // Its /proc/stat never moves while the daemon's own switches do: no pace to compare with.
  EXPECT_THAT(daemon.process().Stderr(), HasSubstr("pace before the pause cannot be told"));
}

}  // namespace
}  // namespace rh

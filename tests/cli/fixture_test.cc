// The history every CLI test reads: a real daemon run on this machine with a pause injected
// (the daemon stopped with SIGSTOP for 2.5 s) and the forensic bundle captured for it.

#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "tests/cli/cli_support.h"
#include "tests/support/daemon.h"

namespace rh::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

double Value(const Daemon& d, const std::string& series) { return d.Metric(series).value_or(-1); }

TEST(CliFixture, ARealDaemonRunWithAPauseAndACapture) {
  const fs::path home = FixtureHome();
  fs::remove_all(home);
  fs::create_directories(home);
  // Every capture taken: on a busy machine a critical episode may start right at the pause.
  std::filesystem::create_directories(home / ".config/rogue-hunter");
  std::ofstream(home / ".config/rogue-hunter/config.toml")
      << "[forensics]\nmin_interval_seconds = 0\n";
  {
    // The culprit the events tests expect: without it an idle machine ranks nobody.
    Subprocess spinner = StartCpuSpinner();
    Daemon daemon(home, {});
    ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
    ASSERT_TRUE(WaitUntil([&] { return Value(daemon, "rogue_hunter_samples_total") >= 2; }, 30s));
    // The machine's pace known before the pause, so that its scope is decided (process: the
    // SIGSTOP) and the fixture does not depend on how soon the pause came.
    ASSERT_TRUE(WaitUntil(
        [&] { return Value(daemon, "rogue_hunter_pause_evidence_seconds") >= 1.5; }, 30s));
    daemon.process().Signal(SIGSTOP);
    std::this_thread::sleep_for(2500ms);
    daemon.process().Signal(SIGCONT);
    ASSERT_TRUE(WaitUntil(
        [&] {
          return Value(daemon,
                       "rogue_hunter_forensics_captures_total{trigger=\"pause\",result=\"ok\"}") >=
                 1;
        },
        60s, 200ms))
        << daemon.process().Stderr();
    ASSERT_TRUE(WaitUntil([&] { return Value(daemon, "rogue_hunter_samples_total") >= 4; }, 30s));
    EXPECT_EQ(daemon.process().Stop(), 0) << daemon.process().Stderr();  // writes what is queued
  }
  auto store = OpenStore(home);
  ASSERT_NE(store, nullptr);
  auto pauses = store->LatestEvents(0, {forensics::EventKind::kPause}, 10);
  ASSERT_TRUE(pauses.ok());
  ASSERT_EQ(pauses->size(), 1u);
  EXPECT_NEAR(pauses->front().duration_seconds, 2.5, 0.5);
  EXPECT_EQ(pauses->front().scope, "process") << pauses->front().notes;  // the TUI test's premise
  EXPECT_EQ(pauses->front().scope_reason, "signal");
  auto captures = store->Captures(pauses->front().key);
  ASSERT_TRUE(captures.ok());
  ASSERT_FALSE(captures->empty());
  EXPECT_EQ(captures->back().result, "ok");
  EXPECT_TRUE(fs::is_directory(captures->back().bundle_path));
  auto samples = store->Samples(0, 1e12);
  ASSERT_TRUE(samples.ok());
  EXPECT_GE(samples->size(), 4u);
}

}  // namespace
}  // namespace rh::test

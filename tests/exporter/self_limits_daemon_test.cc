// The real daemon backing off above a budget of [self_limits] and coming back when a reload
// raises it: the metrics, the log lines and the skipped process scans.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "tests/support/daemon.h"
#include "tests/support/process.h"
#include "tests/support/sanitizer.h"
#include "tests/support/temp_dir.h"

namespace rh {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string Config(const std::string& resident_bytes) {
  return "[sampling]\nnormal_interval = 0.2\nelevated_interval = 0.2\n"
         "[forensics]\nenabled = true\nmin_interval_seconds = 3600\n"
         "[self_limits]\nresident_bytes = " +
         resident_bytes + "\nhold_seconds = 0\nbackoff_scan_interval_seconds = 3600\n";
}

TEST(SelfLimitsDaemon, BacksOffAboveTheMemoryBudgetAndRecoversAfterAReload) {
  if (test::kAddressSanitizer) {
    GTEST_SKIP() << "under AddressSanitizer the resident-memory budget is not judged (shadow "
                    "memory); exporter/self_watch.cc";
  }
  test::TempDir dir;
  // The daemon's resident memory is several MiB: 1 MiB is crossed at the first pass.
  const auto config = dir.Write("config.toml", Config("1048576"));
  test::Daemon daemon({"--config", config.string()});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();

  ASSERT_TRUE(test::WaitUntil(
      [&] {
        return daemon.Metric("rogue_hunter_self_deferred_scans_total{collector=\"processes\"}")
                   .value_or(0) >= 5;
      },
      20s, 50ms))
      << daemon.Get("/metrics").body << daemon.process().Stderr();
  const std::string metrics = daemon.Get("/metrics").body;
  EXPECT_EQ(test::FindMetric(metrics, "rogue_hunter_self_backoff{reason=\"resident_memory\"}"), 1);
  EXPECT_EQ(test::FindMetric(metrics, "rogue_hunter_self_backoff{reason=\"cpu\"}"), 0);
  EXPECT_EQ(
      test::FindMetric(metrics, "rogue_hunter_self_backoffs_total{reason=\"resident_memory\"}"), 1);
  EXPECT_GT(test::FindMetric(metrics, "rogue_hunter_self_resident_bytes").value_or(0), 1 << 20);
  EXPECT_GT(test::FindMetric(metrics, "rogue_hunter_self_open_fds").value_or(0), 3);
  EXPECT_GT(test::FindMetric(metrics, "rogue_hunter_self_database_bytes").value_or(0), 0)
      << "storage is on: the history database exists";
  const std::string log = daemon.process().Stderr();
  EXPECT_EQ(Count(log, "self-limits: "), 1) << log;
  EXPECT_THAT(log, HasSubstr("warning: self-limits: resident memory "));
  EXPECT_THAT(log, HasSubstr(" is above its budget of 1.0 MiB: backing off (the process table "
                             "and the cgroups are scanned at most every 3600 s; captures are "
                             "light)"));

  // A capture asked for now is light, and counted so (one triggered by pressure on a busy
  // machine may have come first: it is light too).
  const double light = daemon.Metric("rogue_hunter_forensics_light_captures_total").value_or(-1);
  ASSERT_GE(light, 0);
  daemon.process().Signal(SIGUSR1);
  ASSERT_TRUE(test::WaitUntil(
      [&] {
        return daemon.Metric("rogue_hunter_forensics_light_captures_total").value_or(0) >=
               light + 1;
      },
      20s, 50ms))
      << daemon.process().Stderr();

  // A budget far above what the daemon uses, with no hold time: the next pass ends the back-off.
  std::ofstream(config) << Config("1099511627776");
  daemon.process().Signal(SIGHUP);
  ASSERT_TRUE(test::WaitUntil(
      [&] { return daemon.Metric("rogue_hunter_self_backoff{reason=\"resident_memory\"}") == 0.0; },
      20s, 50ms))
      << daemon.process().Stderr();
  const double deferred =
      daemon.Metric("rogue_hunter_self_deferred_scans_total{collector=\"processes\"}").value_or(-1);
  const double samples = daemon.Metric("rogue_hunter_samples_total").value_or(0);
  ASSERT_TRUE(test::WaitUntil(
      [&] { return daemon.Metric("rogue_hunter_samples_total").value_or(0) >= samples + 3; }, 20s,
      50ms));
  EXPECT_EQ(daemon.Metric("rogue_hunter_self_deferred_scans_total{collector=\"processes\"}"),
            deferred)
      << "every pass scans again";
  const std::string after = daemon.process().Stderr();
  EXPECT_EQ(Count(after, "self-limits: "), 2) << after;
  EXPECT_THAT(after, HasSubstr("info: self-limits: resident memory "));
  EXPECT_THAT(after,
              HasSubstr(" is back under its budget of 1048576.0 MiB: no longer backing off"));
}

}  // namespace
}  // namespace rh

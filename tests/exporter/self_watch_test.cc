#include "exporter/self_watch.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "exporter/metrics.h"
#include "tests/support/fake_clock.h"
#include "tests/support/http.h"
#include "tests/support/sanitizer.h"
#include "tests/support/temp_dir.h"

namespace rh::exporter {
namespace {

namespace fs = std::filesystem;

// The committed fixture tree, copied so that a test can add processes to it.
class SelfWatchTest : public ::testing::Test {
 protected:
  SelfWatchTest() {
    fs::copy(test::FixturesDir() / "proc", dir_ / "proc", fs::copy_options::recursive);
    fs::copy(test::FixturesDir() / "sys", dir_ / "sys", fs::copy_options::recursive);
    // A cgroup v2 hierarchy with one service in it.
    dir_.Write("proc/self/mountinfo",
               "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n");
    AddCgroup("system.slice/a.service");
  }

  // A pass as the sampler makes it, then the watch's turn; returns the processes seen.
  std::uint32_t Pass(collectors::CollectorList& collectors, SelfWatch& watch) {
    collectors::SystemSample sample;
    collectors::CollectAll(collectors, clock_, sample);
    EXPECT_TRUE(sample.Succeeded("processes"));
    EXPECT_TRUE(sample.Succeeded("cgroups"));
    watch.OnSample(5);
    cgroups_seen_ = sample.cgroups.count;
    return sample.processes.counts.total;
  }

  void AddCgroup(const std::string& path) {
    dir_.Write("sys/fs/cgroup/unified/" + path + "/memory.current", "1048576\n");
  }

  void AddProcess(int pid) {
    fs::create_directories(dir_ / "proc" / std::to_string(pid));
    std::ofstream(dir_ / "proc" / std::to_string(pid) / "stat")
        << pid << " (added) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 100 1000 10\n";
  }

  std::string Metrics(const std::shared_ptr<SelfWatch>& watch) {
    return MetricsPage::Render({watch});
  }

  test::TempDir dir_;
  test::FakeClock clock_;
  collectors::ProcRoot root_{dir_ / "proc", dir_ / "sys"};
  std::uint32_t cgroups_seen_ = 0;  // by the last Pass()
};

config::Config WithResidentBudget(std::int64_t bytes) {
  config::Config config;
  config.storage.enabled = false;
  config.self_limits.resident_bytes = bytes;
  config.self_limits.backoff_scan_interval_seconds = 60;
  config.self_limits.hold_seconds = 100;
  return config;
}

TEST_F(SelfWatchTest, UnderBudgetEveryPassScansTheProcessTable) {
  auto watch = std::make_shared<SelfWatch>(WithResidentBudget(std::int64_t{1} << 40), clock_);
  auto collectors = watch->Throttle(collectors::MakeCollectors(root_, {}));
  const std::uint32_t first = Pass(collectors, *watch);
  EXPECT_EQ(cgroups_seen_, 2u);  // system.slice and a.service
  AddProcess(7001);
  AddCgroup("system.slice/b.service");
  clock_.AdvanceSeconds(5);
  EXPECT_EQ(Pass(collectors, *watch), first + 1);
  EXPECT_EQ(cgroups_seen_, 3u);
  EXPECT_FALSE(watch->backed_off());
  const std::string text = Metrics(watch);
  EXPECT_NE(text.find("rogue_hunter_self_backoff{reason=\"resident_memory\"} 0"), std::string::npos)
      << text;
  EXPECT_NE(text.find("rogue_hunter_self_deferred_scans_total{collector=\"processes\"} 0"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("rogue_hunter_self_database_bytes"), std::string::npos) << "storage is off";
}

TEST_F(SelfWatchTest, AboveBudgetTheProcessTableIsScannedAtTheBackOffInterval) {
  if (test::kAddressSanitizer) {
    GTEST_SKIP() << "under AddressSanitizer the resident-memory budget is not judged (shadow "
                    "memory); exporter/self_watch.cc";
  }
  // This test process holds far more than 1 MiB: the first pass crosses the budget.
  auto watch = std::make_shared<SelfWatch>(WithResidentBudget(1 << 20), clock_);
  auto collectors = watch->Throttle(collectors::MakeCollectors(root_, {}));
  const std::uint32_t first = Pass(collectors, *watch);
  EXPECT_TRUE(watch->backed_off());

  AddProcess(7001);
  AddCgroup("system.slice/b.service");
  for (int pass = 1; pass < 12; ++pass) {  // 5 s apart: 55 s, under the 60 s back-off interval
    clock_.AdvanceSeconds(5);
    EXPECT_EQ(Pass(collectors, *watch), first) << "pass " << pass << " reuses the last table";
    EXPECT_EQ(cgroups_seen_, 2u) << "pass " << pass << " reuses the last cgroup scan";
  }
  clock_.AdvanceSeconds(5);
  EXPECT_EQ(Pass(collectors, *watch), first + 1) << "60 s after the last scan";
  EXPECT_EQ(cgroups_seen_, 3u);

  const std::string text = Metrics(watch);
  EXPECT_NE(text.find("rogue_hunter_self_backoff{reason=\"resident_memory\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("rogue_hunter_self_backoffs_total{reason=\"resident_memory\"} 1"),
            std::string::npos)
      << text;
  for (const char* collector : {"processes", "cgroups"}) {
    EXPECT_NE(text.find("rogue_hunter_self_deferred_scans_total{collector=\"" +
                        std::string(collector) + "\"} 11"),
              std::string::npos)
        << text;
  }
  EXPECT_NE(text.find("rogue_hunter_self_resident_bytes "), std::string::npos) << text;
  EXPECT_NE(text.find("rogue_hunter_self_open_fds "), std::string::npos) << text;
  EXPECT_NE(text.find("rogue_hunter_self_cpu_seconds_total{mode=\"user\"} "), std::string::npos)
      << text;
}

TEST_F(SelfWatchTest, AReloadedBudgetEndsTheBackOffAfterTheHoldTime) {
  if (test::kAddressSanitizer) {
    GTEST_SKIP() << "under AddressSanitizer the resident-memory budget is not judged (shadow "
                    "memory); exporter/self_watch.cc";
  }
  auto watch = std::make_shared<SelfWatch>(WithResidentBudget(1 << 20), clock_);
  auto collectors = watch->Throttle(collectors::MakeCollectors(root_, {}));
  const std::uint32_t first = Pass(collectors, *watch);
  ASSERT_TRUE(watch->backed_off());
  watch->Reconfigure(WithResidentBudget(std::int64_t{1} << 40));
  clock_.AdvanceSeconds(50);
  Pass(collectors, *watch);
  EXPECT_TRUE(watch->backed_off()) << "hold_seconds is 100";
  clock_.AdvanceSeconds(50);
  Pass(collectors, *watch);
  EXPECT_FALSE(watch->backed_off());
  AddProcess(7001);
  clock_.AdvanceSeconds(1);
  EXPECT_EQ(Pass(collectors, *watch), first + 1) << "scans every pass again";
}

TEST_F(SelfWatchTest, ReportsTheDatabaseWithItsWalAndSharedMemoryFiles) {
  config::Config config = WithResidentBudget(std::int64_t{1} << 40);
  config.storage.enabled = true;
  config.storage.database = (dir_ / "data.db").string();
  dir_.Write("data.db", std::string(4096, 'x'));
  dir_.Write("data.db-wal", std::string(1000, 'x'));
  auto watch = std::make_shared<SelfWatch>(config, clock_);
  watch->OnSample(5);
  EXPECT_NE(Metrics(watch).find("rogue_hunter_self_database_bytes 5096"), std::string::npos)
      << Metrics(watch);
}

}  // namespace
}  // namespace rh::exporter

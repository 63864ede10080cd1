#include "collectors/collector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace rh::collectors {
namespace {

// Advances by one millisecond on every reading.
class StepClock final : public Clock {
 public:
  ClockReading Now() const override {
    now_ += 1'000'000;
    return ClockReading{now_, now_ + 7, now_ + 11};
  }
  void SleepUntil(std::int64_t) const override {}

 private:
  mutable std::int64_t now_ = 1'000'000'000;
};

TEST(MakeCollectors, OneOfEachInOrder) {
  ProcRoot root(test::FixturesDir() / "proc", test::FixturesDir() / "sys");
  CollectorList list = MakeCollectors(root, CollectorOptions{});
  std::vector<std::string> names;
  for (const auto& c : list) names.emplace_back(c->name());
  EXPECT_EQ(names, (std::vector<std::string>{"loadavg", "stat", "pressure", "meminfo", "vmstat",
                                             "thermal", "processes", "cgroups"}));
}

TEST(CollectAll, EveryCollectorSucceedsOnTheFixtureTree) {
  ProcRoot root(test::FixturesDir() / "proc", test::FixturesDir() / "sys");
  CollectorOptions options;
  options.clock_ticks_per_second = 100;
  options.page_size = 4096;
  CollectorList list = MakeCollectors(root, options);
  StepClock clock;
  SystemSample sample;
  CollectAll(list, clock, sample);
  EXPECT_EQ(sample.clock.monotonic_ns, 1'001'000'000);
  ASSERT_EQ(sample.collectors.size(), 8u);
  for (const auto& status : sample.collectors) {
    EXPECT_TRUE(status.ok) << status.name << ": " << status.error;
    EXPECT_TRUE(sample.Succeeded(status.name)) << status.name;
    EXPECT_DOUBLE_EQ(status.duration_seconds, 0.001) << status.name;
  }
  EXPECT_EQ(sample.loadavg.online_cpus, 2u);
  EXPECT_EQ(sample.stat.context_switches, 389008u);
  EXPECT_TRUE(sample.pressure[PsiKind::kIo].available);
  EXPECT_FALSE(sample.pressure[PsiKind::kIrq].available);
  EXPECT_EQ(sample.meminfo.total, std::uint64_t{24684084} * 1024);
  EXPECT_EQ(sample.vmstat.pgmajfault, 1410u);
  EXPECT_EQ(sample.thermal.zones.size(), 2u);
  EXPECT_EQ(sample.processes.counts.total, 9u);
}

TEST(CollectAll, OneFailingCollectorMarksOnlyItself) {
  test::TempDir dir;
  dir.Write("proc/loadavg", "0.06 0.05 0.01 1/78 4402\n");
  dir.Write("proc/stat", "cpu garbage\n");
  dir.Write("proc/meminfo", "MemTotal: 1024 kB\n");
  dir.Write("proc/vmstat", "pgmajfault 3\n");
  dir.Write("proc/1/stat", "1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 1 1 0 0 20 0 1 0 24 100 10\n");
  CollectorList list = MakeCollectors(ProcRoot(dir / "proc", dir / "sys"), CollectorOptions{});
  StepClock clock;
  SystemSample sample;
  CollectAll(list, clock, sample);
  EXPECT_TRUE(sample.Succeeded("loadavg"));
  EXPECT_FALSE(sample.Succeeded("stat"));
  EXPECT_NE(sample.collectors.at(1).error.find("proc/stat"), std::string::npos);
  EXPECT_TRUE(sample.Succeeded("pressure"));  // no PSI on this "kernel": unavailable, not failed
  EXPECT_TRUE(sample.Succeeded("meminfo"));
  EXPECT_TRUE(sample.Succeeded("vmstat"));
  EXPECT_TRUE(sample.Succeeded("thermal"));
  EXPECT_TRUE(sample.Succeeded("processes"));
  EXPECT_EQ(sample.vmstat.pgmajfault, 3u);
  EXPECT_EQ(sample.processes.counts.total, 1u);
}

}  // namespace
}  // namespace rh::collectors

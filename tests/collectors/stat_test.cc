#include "collectors/stat.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/temp_dir.h"

namespace rh::collectors {
namespace {

constexpr std::string_view kStat =
    "cpu  4865 0 2760 424317 412 0 46 22 0 0\n"
    "cpu0 2156 0 1026 213063 23 0 7 7 0 0\n"
    "cpu1 2708 0 1734 211254 388 0 38 15 0 0\n"
    "intr 186630 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 14 0 0 0 0 433 57\n"
    "ctxt 379852\n"
    "btime 1795429402\n"
    "processes 4903\n"
    "procs_running 3\n"
    "procs_blocked 2\n"
    "softirq 148521 0 25919 4 3486 48277 0 4 43475 0 27356\n";

TEST(ParseStat, ReadsEveryField) {
  auto r = ParseStat(kStat, 100);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_DOUBLE_EQ(r->total.user, 48.65);
  EXPECT_DOUBLE_EQ(r->total.nice, 0);
  EXPECT_DOUBLE_EQ(r->total.system, 27.60);
  EXPECT_DOUBLE_EQ(r->total.idle, 4243.17);
  EXPECT_DOUBLE_EQ(r->total.iowait, 4.12);
  EXPECT_DOUBLE_EQ(r->total.irq, 0);
  EXPECT_DOUBLE_EQ(r->total.softirq, 0.46);
  EXPECT_DOUBLE_EQ(r->total.steal, 0.22);
  EXPECT_EQ(r->cpu_lines, 2u);
  EXPECT_EQ(r->interrupts, 186630u);
  EXPECT_EQ(r->context_switches, 379852u);
  EXPECT_EQ(r->boot_time, 1795429402);
  EXPECT_EQ(r->forks, 4903u);
  EXPECT_EQ(r->procs_running, 3u);
  EXPECT_EQ(r->procs_blocked, 2u);
}

TEST(ParseStat, ConvertsWithTheGivenTickRate) {
  auto r = ParseStat("cpu 250 500 750 1000 125 0 0 0 25 50\n", 250);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_DOUBLE_EQ(r->total.user, 1.0);
  EXPECT_DOUBLE_EQ(r->total.nice, 2.0);
  EXPECT_DOUBLE_EQ(r->total.system, 3.0);
  EXPECT_DOUBLE_EQ(r->total.idle, 4.0);
  EXPECT_DOUBLE_EQ(r->total.iowait, 0.5);
  EXPECT_DOUBLE_EQ(r->total.guest, 0.1);
  EXPECT_DOUBLE_EQ(r->total.guest_nice, 0.2);
  EXPECT_FALSE(ParseStat("cpu 1 2 3 4\n", 0).ok());
}

TEST(ParseStat, AcceptsOldKernelsWithFourColumns) {
  auto r = ParseStat("cpu  100 200 300 400\ncpu0 100 200 300 400\nctxt 5", 100);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_DOUBLE_EQ(r->total.idle, 4.0);
  EXPECT_DOUBLE_EQ(r->total.iowait, 0);
  EXPECT_DOUBLE_EQ(r->total.steal, 0);
  EXPECT_DOUBLE_EQ(r->total.guest_nice, 0);
  EXPECT_EQ(r->cpu_lines, 1u);
  EXPECT_EQ(r->context_switches, 5u);  // last line without a trailing newline
}

TEST(ParseStat, RejectsTruncatedCpuLine) {
  auto r = ParseStat("cpu  4865 0 2760\nctxt 1\n", 100);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("line 1"), std::string::npos) << r.error().message;
  EXPECT_FALSE(ParseStat("cpu\n", 100).ok());
}

TEST(ParseStat, RequiresTheAggregateCpuLine) {
  EXPECT_FALSE(ParseStat("", 100).ok());
  EXPECT_FALSE(ParseStat("cpu0 1 2 3 4\nctxt 1\n", 100).ok());
}

TEST(ParseStat, HugeNumbersFitUpToUint64Max) {
  auto r = ParseStat("cpu 18446744073709551615 0 0 0\nctxt 18446744073709551615\n", 100);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->context_switches, 18446744073709551615u);
  EXPECT_DOUBLE_EQ(r->total.user, 18446744073709551615.0 / 100);

  auto over = ParseStat("cpu 1 2 3 4\nctxt 18446744073709551616\n", 100);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("line 2"), std::string::npos) << over.error().message;
  EXPECT_NE(over.error().message.find("18446744073709551616"), std::string::npos);
  EXPECT_FALSE(ParseStat("cpu 18446744073709551616 0 0 0\n", 100).ok());
  EXPECT_FALSE(ParseStat("cpu 1 2 3 4\nprocs_running 4294967296\n", 100).ok());
}

TEST(ParseStat, GarbageTokenNamesLineAndToken) {
  auto r = ParseStat("cpu 1 2 3 4\nctxt 12\nbtime 12x4\n", 100);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("line 3"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("12x4"), std::string::npos) << r.error().message;
  EXPECT_FALSE(ParseStat("cpu 1 -2 3 4\n", 100).ok());
  EXPECT_FALSE(ParseStat("cpu 1 2 3 4\nctxt\n", 100).ok());
  EXPECT_FALSE(ParseStat("cpu 1 2 3 4\nintr x 1 2\n", 100).ok());
}

TEST(ParseStat, IgnoresUnknownLines) {
  auto r = ParseStat("page 5 6\n\nfuture_counter abc def\ncpu 1 2 3 4\ncpufreq x\nctxt 9\n", 100);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->cpu_lines, 0u);
  EXPECT_EQ(r->context_switches, 9u);
}

TEST(StatCollector, ReadsFixtureTree) {
  ProcRoot root(test::FixturesDir() / "proc", test::FixturesDir() / "sys");
  CollectorOptions options;
  options.clock_ticks_per_second = 100;
  auto collector = MakeStatCollector(root, options);
  EXPECT_EQ(collector->name(), "stat");
  SystemSample sample;
  Status s = collector->Collect(sample);
  ASSERT_TRUE(s.ok()) << s.error().message;
  // tests/fixtures/proc/stat: cpu  4909 0 2863 450445 430 0 47 22 0 0
  EXPECT_DOUBLE_EQ(sample.stat.total.user, 49.09);
  EXPECT_DOUBLE_EQ(sample.stat.total.system, 28.63);
  EXPECT_DOUBLE_EQ(sample.stat.total.idle, 4504.45);
  EXPECT_DOUBLE_EQ(sample.stat.total.iowait, 4.30);
  EXPECT_DOUBLE_EQ(sample.stat.total.softirq, 0.47);
  EXPECT_DOUBLE_EQ(sample.stat.total.steal, 0.22);
  EXPECT_EQ(sample.stat.cpu_lines, 2u);
  EXPECT_EQ(sample.stat.interrupts, 192002u);
  EXPECT_EQ(sample.stat.context_switches, 389008u);
  EXPECT_EQ(sample.stat.boot_time, 1795429402);
  EXPECT_EQ(sample.stat.forks, 5437u);
  EXPECT_EQ(sample.stat.procs_running, 1u);
  EXPECT_EQ(sample.stat.procs_blocked, 0u);
}

TEST(StatCollector, GarbledFileFailsWithItsPathAndResetsThePart) {
  test::TempDir dir;
  dir.Write("proc/stat", "cpu 1 2 3 4\nctxt 5\n");
  CollectorOptions options;
  options.clock_ticks_per_second = 100;
  auto collector = MakeStatCollector(ProcRoot(dir / "proc", dir / "sys"), options);
  SystemSample sample;
  ASSERT_TRUE(collector->Collect(sample).ok());
  EXPECT_EQ(sample.stat.context_switches, 5u);

  dir.Write("proc/stat", "cpu 1 2 3 4\nctxt five\n");
  Status s = collector->Collect(sample);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("proc/stat: line 2"), std::string::npos) << s.error().message;
  EXPECT_EQ(sample.stat.context_switches, 0u);
}

TEST(StatCollector, MissingFileFails) {
  test::TempDir dir;
  auto collector = MakeStatCollector(ProcRoot(dir / "proc", dir / "sys"), {});
  SystemSample sample;
  Status s = collector->Collect(sample);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("proc/stat"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace rh::collectors

#include "collectors/loadavg.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace rh::collectors {
namespace {

TEST(ParseLoadAvg, ReadsAllFields) {
  auto r = ParseLoadAvg("0.11 0.07 0.02 1/78 3972\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_DOUBLE_EQ(r->load1, 0.11);
  EXPECT_DOUBLE_EQ(r->load5, 0.07);
  EXPECT_DOUBLE_EQ(r->load15, 0.02);
  EXPECT_EQ(r->runnable, 1u);
  EXPECT_EQ(r->entities, 78u);
  EXPECT_EQ(r->last_pid, 3972);
}

TEST(ParseLoadAvg, AcceptsMissingTrailingNewlineAndHugeLoads) {
  auto r = ParseLoadAvg("1234.56 99999.99 0.00 4096/4194304 4194303");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_DOUBLE_EQ(r->load5, 99999.99);
  EXPECT_EQ(r->entities, 4194304u);
}

TEST(ParseLoadAvg, RejectsTruncatedAndGarbage) {
  EXPECT_FALSE(ParseLoadAvg("").ok());
  EXPECT_FALSE(ParseLoadAvg("0.11 0.07").ok());
  EXPECT_FALSE(ParseLoadAvg("0.11 0.07 0.02 1/").ok());
  EXPECT_FALSE(ParseLoadAvg("0.11 0.07 0.02 1/78").ok());
  EXPECT_FALSE(ParseLoadAvg("0.11 x 0.02 1/78 3972").ok());
  EXPECT_FALSE(ParseLoadAvg("-1 0.07 0.02 1/78 3972").ok());
  EXPECT_FALSE(ParseLoadAvg("0.11 0.07 0.02 99999999999/78 3972").ok());
}

TEST(ParseLoadAvg, ErrorNamesTheBadToken) {
  auto r = ParseLoadAvg("0.11 zzz 0.02 1/78 3972\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("zzz"), std::string::npos);
}

TEST(ParseCpuList, CountsRangesAndSingles) {
  EXPECT_EQ(*ParseCpuList("0-1\n"), 2u);
  EXPECT_EQ(*ParseCpuList("0"), 1u);
  EXPECT_EQ(*ParseCpuList("0-3,8-11,15\n"), 9u);
  EXPECT_FALSE(ParseCpuList("").ok());
  EXPECT_FALSE(ParseCpuList("\n").ok());
  EXPECT_FALSE(ParseCpuList("3-1").ok());
  EXPECT_FALSE(ParseCpuList("0-").ok());
  EXPECT_FALSE(ParseCpuList("a-b").ok());
}

TEST(LoadAvgCollector, ReadsFixtureTree) {
  ProcRoot root(test::FixturesDir() / "proc", test::FixturesDir() / "sys");
  auto collector = MakeLoadAvgCollector(root);
  SystemSample sample;
  ASSERT_TRUE(collector->Collect(sample).ok());
  EXPECT_GT(sample.loadavg.entities, 0u);
  EXPECT_EQ(sample.loadavg.online_cpus, 2u);
}

TEST(LoadAvgCollector, GarbledFileFailsWithItsPath) {
  test::TempDir dir;
  dir.Write("proc/loadavg", "garbage\n");
  dir.Write("sys/devices/system/cpu/online", "0-7\n");
  auto collector = MakeLoadAvgCollector(ProcRoot(dir / "proc", dir / "sys"));
  SystemSample sample;
  Status s = collector->Collect(sample);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("proc/loadavg"), std::string::npos) << s.error().message;
}

TEST(LoadAvgCollector, MissingSysfsFallsBackToSysconf) {
  test::TempDir dir;
  dir.Write("proc/loadavg", "1.00 0.50 0.25 2/100 42\n");
  auto collector = MakeLoadAvgCollector(ProcRoot(dir / "proc", dir / "sys"));
  SystemSample sample;
  ASSERT_TRUE(collector->Collect(sample).ok());
  EXPECT_GE(sample.loadavg.online_cpus, 1u);
  EXPECT_DOUBLE_EQ(sample.loadavg.load1, 1.0);
}

}  // namespace
}  // namespace rh::collectors

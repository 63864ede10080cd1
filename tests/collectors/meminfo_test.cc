#include "collectors/meminfo.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/temp_dir.h"

namespace rh::collectors {
namespace {

constexpr std::uint64_t kKiB = 1024;

TEST(ParseMemInfo, ReadsFieldsInBytes) {
  auto r = ParseMemInfo(
      "MemTotal:       24684084 kB\n"
      "MemFree:        24263480 kB\n"
      "MemAvailable:   24344052 kB\n"
      "Buffers:            1760 kB\n"
      "Cached:           263240 kB\n"
      "SwapCached:           16 kB\n"
      "Active:           112572 kB\n"
      "SwapTotal:       2097148 kB\n"
      "SwapFree:        2000000 kB\n"
      "Dirty:               132 kB\n"
      "Writeback:             8 kB\n"
      "HugePages_Total:       0\n"
      "Hugepagesize:       2048 kB\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->total, 24684084 * kKiB);
  EXPECT_EQ(r->free, 24263480 * kKiB);
  EXPECT_EQ(r->available, 24344052 * kKiB);
  EXPECT_FALSE(r->available_estimated);
  EXPECT_EQ(r->buffers, 1760 * kKiB);
  EXPECT_EQ(r->cached, 263240 * kKiB);
  EXPECT_EQ(r->swap_cached, 16 * kKiB);
  EXPECT_EQ(r->swap_total, 2097148 * kKiB);
  EXPECT_EQ(r->swap_free, 2000000 * kKiB);
  EXPECT_EQ(r->dirty, 132 * kKiB);
  EXPECT_EQ(r->writeback, 8 * kKiB);
}

TEST(ParseMemInfo, EstimatesAvailableOnOldKernels) {
  auto r = ParseMemInfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->available_estimated);
  EXPECT_EQ(r->available, 420 * kKiB);
}

TEST(ParseMemInfo, RequiresMemTotal) {
  EXPECT_FALSE(ParseMemInfo("").ok());
  EXPECT_FALSE(ParseMemInfo("MemFree: 100 kB\n").ok());
}

TEST(ParseMemInfo, CountsWithoutUnitAreIgnoredEvenIfOdd) {
  auto r = ParseMemInfo("MemTotal: 8 kB\nHugePages_Total: lots\nHugePages_Free:\nNoColonHere 5\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->total, 8 * kKiB);
}

TEST(ParseMemInfo, HugeValuesUpToWhatBytesCanHold) {
  auto r = ParseMemInfo("MemTotal: 18014398509481983 kB\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->total, 18014398509481983u * kKiB);
  EXPECT_FALSE(ParseMemInfo("MemTotal: 18014398509481984 kB\n").ok());
  EXPECT_FALSE(ParseMemInfo("MemTotal: 18446744073709551615 kB\n").ok());
  auto over = ParseMemInfo("MemTotal: 1 kB\nDirty: 18446744073709551616 kB\n");
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("line 2"), std::string::npos) << over.error().message;
  EXPECT_NE(over.error().message.find("18446744073709551616"), std::string::npos);
}

TEST(ParseMemInfo, GarbageAndTruncationNameTheLine) {
  auto r = ParseMemInfo("MemTotal: 100 kB\nMemFree: 1o0 kB\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("line 2"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("MemFree"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("1o0"), std::string::npos) << r.error().message;
  EXPECT_FALSE(ParseMemInfo("MemTotal:\n").ok());
  EXPECT_FALSE(ParseMemInfo("MemTotal: 100\n").ok());     // a known field without its unit
  EXPECT_FALSE(ParseMemInfo("MemTotal: 100 MB\n").ok());  // or with another one
  EXPECT_FALSE(ParseMemInfo("MemTotal: -100 kB\n").ok());
}

TEST(MemInfoCollector, ReadsFixtureTree) {
  ProcRoot root(test::FixturesDir() / "proc", test::FixturesDir() / "sys");
  auto collector = MakeMemInfoCollector(root);
  EXPECT_EQ(collector->name(), "meminfo");
  SystemSample sample;
  Status s = collector->Collect(sample);
  ASSERT_TRUE(s.ok()) << s.error().message;
  const MemInfo& m = sample.meminfo;
  EXPECT_EQ(m.total, 24684084 * kKiB);
  EXPECT_EQ(m.free, 24387596 * kKiB);
  EXPECT_EQ(m.available, 24360336 * kKiB);
  EXPECT_FALSE(m.available_estimated);
  EXPECT_EQ(m.buffers, 1000 * kKiB);
  EXPECT_EQ(m.cached, 135260 * kKiB);
  EXPECT_EQ(m.swap_cached, 0u);
  EXPECT_EQ(m.swap_total, 0u);
  EXPECT_EQ(m.swap_free, 0u);
  EXPECT_EQ(m.dirty, 680 * kKiB);
  EXPECT_EQ(m.writeback, 0u);
}

TEST(MemInfoCollector, GarbledFileFailsWithItsPath) {
  test::TempDir dir;
  dir.Write("proc/meminfo", "MemTotal: many kB\n");
  auto collector = MakeMemInfoCollector(ProcRoot(dir / "proc", dir / "sys"));
  SystemSample sample;
  Status s = collector->Collect(sample);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("proc/meminfo: line 1"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace rh::collectors

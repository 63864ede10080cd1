#include "collectors/vmstat.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/temp_dir.h"

namespace rh::collectors {
namespace {

TEST(ParseVmStat, ReadsCountersAndSumsAllocStalls) {
  auto r = ParseVmStat(
      "nr_free_pages 6065870\n"
      "pgpgin 1564629\n"
      "pgpgout 1129172\n"
      "pswpin 11\n"
      "pswpout 22\n"
      "allocstall_dma 1\n"
      "allocstall_dma32 2\n"
      "allocstall_normal 30\n"
      "allocstall_movable 400\n"
      "allocstall_device 5000\n"
      "pgmajfault 1265\n"
      "oom_kill 3\n"
      "workingset_refault_anon 5\n"
      "workingset_refault_file 146945\n"
      "compact_stall 7\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->pgpgin, 1564629u);
  EXPECT_EQ(r->pgpgout, 1129172u);
  EXPECT_EQ(r->pswpin, 11u);
  EXPECT_EQ(r->pswpout, 22u);
  EXPECT_EQ(r->allocstall, 5433u);
  EXPECT_EQ(r->pgmajfault, 1265u);
  EXPECT_EQ(r->oom_kill, 3u);
  EXPECT_EQ(r->compact_stall, 7u);
  EXPECT_EQ(r->workingset_refault_file, 146945u);
}

TEST(ParseVmStat, OldKernelsHaveOneAllocStall) {
  auto r = ParseVmStat("allocstall 17\npgmajfault 2");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->allocstall, 17u);
  EXPECT_EQ(r->pgmajfault, 2u);  // last line without a trailing newline
}

TEST(ParseVmStat, MissingCountersStayZeroAndLookalikesAreIgnored) {
  auto r =
      ParseVmStat("nr_free_pages 1\nallocstalls 9\npgmajfaults 8\noom_kill_x 7\nweird line here\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->allocstall, 0u);
  EXPECT_EQ(r->pgmajfault, 0u);
  EXPECT_EQ(r->oom_kill, 0u);
  EXPECT_EQ(r->pswpin, 0u);
  EXPECT_FALSE(ParseVmStat("").ok());
}

TEST(ParseVmStat, HugeNumbers) {
  auto r = ParseVmStat("pswpout 18446744073709551615\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->pswpout, 18446744073709551615u);
  auto over = ParseVmStat("pgpgin 1\npswpout 18446744073709551616\n");
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("line 2"), std::string::npos) << over.error().message;
  EXPECT_NE(over.error().message.find("18446744073709551616"), std::string::npos);
  EXPECT_FALSE(ParseVmStat("allocstall_dma 18446744073709551615\nallocstall_normal 1\n").ok());
}

TEST(ParseVmStat, GarbageAndTruncatedLinesFail) {
  auto r = ParseVmStat("pgpgin 1\npgmajfault 0x10\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("line 2"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("pgmajfault"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("0x10"), std::string::npos) << r.error().message;
  EXPECT_FALSE(ParseVmStat("oom_kill\n").ok());
  EXPECT_FALSE(ParseVmStat("oom_kill -1\n").ok());
}

TEST(VmStatCollector, ReadsFixtureTree) {
  ProcRoot root(test::FixturesDir() / "proc", test::FixturesDir() / "sys");
  auto collector = MakeVmStatCollector(root);
  EXPECT_EQ(collector->name(), "vmstat");
  SystemSample sample;
  Status s = collector->Collect(sample);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(sample.vmstat.pgpgin, 1705241u);
  EXPECT_EQ(sample.vmstat.pgpgout, 1129704u);
  EXPECT_EQ(sample.vmstat.pgmajfault, 1410u);
  EXPECT_EQ(sample.vmstat.pswpin, 0u);
  EXPECT_EQ(sample.vmstat.pswpout, 0u);
  EXPECT_EQ(sample.vmstat.allocstall, 0u);
  EXPECT_EQ(sample.vmstat.compact_stall, 0u);
  EXPECT_EQ(sample.vmstat.oom_kill, 0u);
}

TEST(VmStatCollector, GarbledFileFailsWithItsPath) {
  test::TempDir dir;
  dir.Write("proc/vmstat", "pgpgin 1\noom_kill many\n");
  auto collector = MakeVmStatCollector(ProcRoot(dir / "proc", dir / "sys"));
  SystemSample sample;
  Status s = collector->Collect(sample);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("proc/vmstat: line 2"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace rh::collectors

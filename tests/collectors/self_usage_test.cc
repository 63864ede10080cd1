#include "collectors/self_usage.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/support/temp_dir.h"

namespace rh::collectors {
namespace {

// A /proc/self of a process named "a) b" (a name with ')' and a space) with utime 250 and stime
// 50 ticks, 1000 resident pages and three descriptors.
constexpr const char* kStat =
    "4242 (a) b) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 4 0 1234 10000000 1000 "
    "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(SelfUsage, ReadsCpuMemoryAndDescriptorsFromTheTree) {
  test::TempDir dir;
  dir.Write("proc/self/stat", kStat);
  for (const char* fd : {"0", "1", "2"}) dir.Write(std::string("proc/self/fd/") + fd, "");
  auto usage = ReadSelfUsage(ProcRoot(dir / "proc", dir / "sys"), 100, 4096);
  ASSERT_TRUE(usage.ok()) << usage.error().message;
  EXPECT_DOUBLE_EQ(usage->cpu_user_seconds, 2.5);
  EXPECT_DOUBLE_EQ(usage->cpu_system_seconds, 0.5);
  EXPECT_EQ(usage->resident_bytes, 1000u * 4096);
  EXPECT_EQ(usage->open_fds, 3u);
}

TEST(SelfUsage, GarbledStatIsAnErrorNamingTheFile) {
  test::TempDir dir;
  dir.Write("proc/self/stat", "4242 (x) S 1\n");
  dir.Write("proc/self/fd/0", "");
  auto usage = ReadSelfUsage(ProcRoot(dir / "proc", dir / "sys"));
  ASSERT_FALSE(usage.ok());
  EXPECT_NE(usage.error().message.find("self/stat"), std::string::npos) << usage.error().message;
}

TEST(SelfUsage, MissingTreeIsAnError) {
  test::TempDir dir;
  EXPECT_FALSE(ReadSelfUsage(ProcRoot(dir / "proc", dir / "sys")).ok());
}

TEST(SelfUsage, CountsTheDescriptorsThisProcessOpens) {
  auto before = ReadSelfUsage(ProcRoot());
  ASSERT_TRUE(before.ok()) << before.error().message;
  int fds[3];
  for (int& fd : fds) fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  auto after = ReadSelfUsage(ProcRoot());
  for (int fd : fds) close(fd);
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->open_fds, before->open_fds + 3);
  EXPECT_GT(after->resident_bytes, 0u);
  EXPECT_GE(after->cpu_user_seconds + after->cpu_system_seconds, 0.0);
}

}  // namespace
}  // namespace rh::collectors

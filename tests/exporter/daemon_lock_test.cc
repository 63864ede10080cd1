#include "exporter/daemon_lock.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/support/temp_dir.h"

namespace rh::exporter {
namespace {

using ::testing::HasSubstr;

TEST(DaemonLock, ASecondHolderIsRefusedWithTheFirstOnesPid) {
  test::TempDir dir;
  const auto data = dir / "data";
  auto first = DaemonLock::Acquire(data, {getpid(), "127.0.0.1:1", "/c.toml", "1.2.3"});
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(std::filesystem::is_directory(data));

  std::optional<DaemonInfo> holder;
  auto second = DaemonLock::Acquire(data, {getpid() + 1, "127.0.0.1:2", "", ""}, &holder);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.error().message,
              HasSubstr("another rogue-hunter daemon (pid " + std::to_string(getpid()) + ")"));
  ASSERT_TRUE(holder.has_value());
  EXPECT_EQ(holder->listen, "127.0.0.1:1");

  auto running = RunningDaemon(data);
  ASSERT_TRUE(running.has_value());
  EXPECT_EQ(running->pid, getpid());
  EXPECT_EQ(running->config, "/c.toml");
  EXPECT_EQ(running->version, "1.2.3");
}

TEST(DaemonLock, ReleasedWithItsHolderAndNothingLeftBlocks) {
  test::TempDir dir;
  {
    auto lock = DaemonLock::Acquire(dir.path(), {getpid(), "127.0.0.1:1", "", ""});
    ASSERT_TRUE(lock.ok());
  }
  EXPECT_TRUE(std::filesystem::exists(LockPath(dir.path())));  // the file stays, unlocked
  EXPECT_FALSE(RunningDaemon(dir.path()).has_value());
  auto again = DaemonLock::Acquire(dir.path(), {getpid(), "127.0.0.1:1", "", ""});
  EXPECT_TRUE(again.ok());
}

TEST(DaemonLock, NoDirectoryMeansNoDaemonAndIsNotCreatedByALookUp) {
  test::TempDir dir;
  EXPECT_FALSE(RunningDaemon(dir / "missing").has_value());
  EXPECT_FALSE(std::filesystem::exists(dir / "missing"));
}

TEST(DaemonLock, AnUncreatableDirectoryIsAnErrorWithoutAHolder) {
  test::TempDir dir;
  dir.Write("file", "x");
  std::optional<DaemonInfo> holder;
  auto lock = DaemonLock::Acquire(dir / "file/data", {getpid(), "", "", ""}, &holder);
  EXPECT_FALSE(lock.ok());
  EXPECT_FALSE(holder.has_value());
}

}  // namespace
}  // namespace rh::exporter

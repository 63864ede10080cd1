#include "base/log.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "tests/support/temp_dir.h"

namespace rh {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

int Lines(const std::filesystem::path& p) {
  std::ifstream in(p);
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

TEST(LogFile, RotatesBySizeAndKeepsTheConfiguredNumberOfFiles) {
  test::TempDir dir;
  const auto file = dir / "logs/daemon.log";
  ASSERT_TRUE(ConfigureLog({file.string(), 300, 2, false}).ok());
  for (int i = 0; i < 40; ++i) LogInfo("line " + std::to_string(i) + " of the rotation test");
  ASSERT_TRUE(ConfigureLog({}).ok());  // back to stderr

  for (const auto& p : {file, dir / "logs/daemon.log.1", dir / "logs/daemon.log.2"}) {
    ASSERT_TRUE(std::filesystem::exists(p)) << p;
    EXPECT_LE(std::filesystem::file_size(p), 300u) << p;
    EXPECT_GT(Lines(p), 0) << p;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "logs/daemon.log.3"));
  EXPECT_THAT(test::ReadFileOrFail(file), HasSubstr("info: line 39 of the rotation test\n"));
  EXPECT_THAT(test::ReadFileOrFail(dir / "logs/daemon.log.1"), StartsWith("20"));
  EXPECT_EQ(std::filesystem::status(dir / "logs").permissions() & std::filesystem::perms::mask,
            std::filesystem::perms::owner_all);
}

TEST(LogFile, AnUnwritablePathIsAnErrorAndChangesNothing) {
  test::TempDir dir;
  dir.Write("file", "");
  auto s = ConfigureLog({(dir / "file/daemon.log").string(), 1000, 1, false});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message, HasSubstr("cannot open the log file"));
}

TEST(JournalStream, MatchesOnlyTheFileOpenOnTheDescriptor) {
  test::TempDir dir;
  auto path = dir.Write("stream", "");
  int fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  struct stat st {};
  ASSERT_EQ(fstat(fd, &st), 0);
  const std::string value = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  EXPECT_TRUE(IsJournalStream(value, fd));
  EXPECT_FALSE(
      IsJournalStream(std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1), fd));
  EXPECT_FALSE(IsJournalStream("", fd));
  EXPECT_FALSE(IsJournalStream("12", fd));
  EXPECT_FALSE(IsJournalStream(value + "x", fd));
  close(fd);
}

}  // namespace
}  // namespace rh

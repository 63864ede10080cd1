#include "forensics/capture/kernel_log.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include "tests/support/temp_dir.h"

namespace rh::forensics {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(ParseKmsgRecord, Fields) {
  auto r =
      ParseKmsgRecord("4,1234,5678901,-;usb 1-1: new device\n SUBSYSTEM=usb\n DEVICE=c189:1\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->level, 4);
  EXPECT_EQ(r->facility, 0);
  EXPECT_EQ(r->sequence, 1234u);
  EXPECT_EQ(r->usec, 5678901);
  EXPECT_EQ(r->flags, '-');
  EXPECT_EQ(r->text, "usb 1-1: new device");
}

TEST(ParseKmsgRecord, ExtraHeaderFieldsAndUserFacility) {
  auto r = ParseKmsgRecord("14,7,100,c,caller=T12;hello \\x0a world");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->level, 6);
  EXPECT_EQ(r->facility, 1);
  EXPECT_EQ(r->flags, 'c');
  EXPECT_EQ(r->text, "hello \\x0a world");
}

TEST(ParseKmsgRecord, Garbage) {
  EXPECT_FALSE(ParseKmsgRecord("no semicolon").ok());
  EXPECT_FALSE(ParseKmsgRecord("6,1;text").ok());
  EXPECT_FALSE(ParseKmsgRecord("x,1,2,-;text").ok());
  EXPECT_FALSE(ParseKmsgRecord("6,1,2,;text").ok());
  EXPECT_FALSE(ParseKmsgRecord("").ok());
}

// Found by fuzzing (tests/fuzz/corpus/kmsg_record/crash-08e4...): a timestamp near 2^63 µs
// overflowed when formatted as wall time.
TEST(ParseKmsgRecord, ATimestampOutOfRangeIsRefused) {
  auto huge = ParseKmsgRecord("0,1,1446744073709551615,c;text\n");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message.find("1446744073709551615"), std::string::npos);
  EXPECT_FALSE(ParseKmsgRecord("6,1,-5,-;text\n").ok());
  auto big = ParseKmsgRecord("6,1,4000000000000000,-;text\n");  // 126 years of uptime
  ASSERT_TRUE(big.ok());
  EXPECT_FALSE(FormatKmsgLine(*big, 1'700'000'000'000'000'000).empty());
}

TEST(FormatKmsgLine, WallTimeKernelTimeLevelText) {
  KmsgRecord r;
  r.level = 3;
  r.usec = 5'678'901'234;
  r.text = "EXT4-fs error";
  // Realtime = monotonic + 1795000000 s.
  const std::int64_t offset = 1'795'000'000'000'000'000 - 5'678'000'000'000;
  EXPECT_EQ(FormatKmsgLine(r, offset),
            "2026-11-18T11:06:40.901Z [  5678.901234] err: EXT4-fs error\n");
}

TEST(ReadKernelLog, TheRealKernelLogIsReadUntilEagain) {
  auto log = ReadKernelLog(kDefaultKmsgPath, 0, 0);
  if (!log.ok()) GTEST_SKIP() << "kernel log not readable here: " << log.error().message;
  EXPECT_GT(log->lines, 0u);
  EXPECT_THAT(log->text, MatchesRegex("(....-..-..T..:..:..\\....Z \\[ *[0-9]+\\.[0-9]{6}\\] "
                                      "[a-z]+: [^\n]*\n)+"));
  // Nothing is older than asked for: a far-future start leaves nothing.
  auto none = ReadKernelLog(kDefaultKmsgPath, std::int64_t{1} << 60, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->lines, 0u);
  EXPECT_EQ(none->text, "");
}

TEST(ReadKernelLog, AMissingLogIsAnErrorThatNamesIt) {
  test::TempDir dir;
  auto log = ReadKernelLog(dir / "kmsg", 0, 0);
  ASSERT_FALSE(log.ok());
  EXPECT_THAT(log.error().message, HasSubstr("kmsg: No such file or directory"));
}

TEST(JournalExists, ADirectoryWithSomethingInIt) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "empty");
  EXPECT_FALSE(JournalExists({dir / "missing", dir / "empty"}));
  dir.Write("full/machine-id/system.journal", "x");
  EXPECT_TRUE(JournalExists({dir / "missing", dir / "full"}));
}

// A stand-in for journalctl: a shell script.
std::string Script(const test::TempDir& dir, const std::string& body) {
  auto path = dir.Write("journalctl", "#!/bin/sh\n" + body + "\n");
  chmod(path.c_str(), 0700);
  return path.string();
}

TEST(JournalQuery, PassesTheWindowAndCollectsTheOutput) {
  test::TempDir dir;
  auto query = JournalQuery::Start(Script(dir, "echo \"$@\""), 1795000000.7, 1795000100.2);
  ASSERT_TRUE(query.ok()) << query.error().message;
  auto text = (*query)->Finish(std::chrono::steady_clock::now() + 5s, 1 << 20);
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(*text,
            "--no-pager --quiet --output=short-iso-precise --since=@1795000000 "
            "--until=@1795000101\n");
}

TEST(JournalQuery, AHangingJournalIsKilledAtTheDeadline) {
  test::TempDir dir;
  auto query = JournalQuery::Start(Script(dir, "echo partial; exec sleep 30"), 0, 1);
  ASSERT_TRUE(query.ok()) << query.error().message;
  const auto begin = std::chrono::steady_clock::now();
  auto text = (*query)->Finish(begin + 300ms, 1 << 20);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 2s);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().message, "journalctl: timed out");
}

TEST(JournalQuery, FailureAndMissingProgram) {
  test::TempDir dir;
  auto failing = JournalQuery::Start(Script(dir, "exit 3"), 0, 1);
  ASSERT_TRUE(failing.ok());
  auto text = (*failing)->Finish(std::chrono::steady_clock::now() + 5s, 1 << 20);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().message, "journalctl: exited with status 3");

  auto missing = JournalQuery::Start((dir / "no-such-program").string(), 0, 1);
  if (missing.ok()) {  // posix_spawn may report exec failures as exit status 127
    auto result = (*missing)->Finish(std::chrono::steady_clock::now() + 5s, 1 << 20);
    EXPECT_FALSE(result.ok());
  }
}

TEST(JournalQuery, OutputIsCappedAndTheProgramKilled) {
  test::TempDir dir;
  auto query = JournalQuery::Start(Script(dir, "exec yes"), 0, 1);
  ASSERT_TRUE(query.ok());
  auto text = (*query)->Finish(std::chrono::steady_clock::now() + 5s, 1000);
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(text->size(), 1000u);
}

}  // namespace
}  // namespace rh::forensics

#include "collectors/kmsg.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::collectors {
namespace {

using namespace std::chrono_literals;

TEST(ParseKmsgRecord, FieldsAndDictionary) {
  auto r =
      ParseKmsgRecord("4,1234,5678901,-;usb 1-1: new device\n SUBSYSTEM=usb\n DEVICE=c189:1\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->level, 4);
  EXPECT_EQ(r->facility, 0);
  EXPECT_EQ(r->sequence, 1234u);
  EXPECT_EQ(r->usec, 5678901);
  EXPECT_EQ(r->flags, '-');
  EXPECT_EQ(r->text, "usb 1-1: new device");
  ASSERT_EQ(r->dictionary.size(), 2u);
  EXPECT_EQ(r->dictionary[0], (std::pair<std::string, std::string>{"SUBSYSTEM", "usb"}));
  EXPECT_EQ(r->dictionary[1], (std::pair<std::string, std::string>{"DEVICE", "c189:1"}));
}

TEST(ParseKmsgRecord, ExtraHeaderFieldsUserFacilityAndEscapes) {
  auto r = ParseKmsgRecord("14,7,100,c,caller=T12;hello \\x0a world");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->level, 6);
  EXPECT_EQ(r->facility, 1);
  EXPECT_EQ(r->flags, 'c');
  EXPECT_EQ(r->text, "hello \\x0a world");
  EXPECT_EQ(UnescapeKmsg(r->text), "hello \n world");
  EXPECT_EQ(UnescapeKmsg("a\\x5cb\\xff\\x4"), "a\\b\xff\\x4");  // a cut-short escape stays
}

TEST(ParseKmsgRecord, GarbageAndTruncation) {
  EXPECT_FALSE(ParseKmsgRecord("no semicolon").ok());
  EXPECT_FALSE(ParseKmsgRecord("6,1;text").ok());
  EXPECT_FALSE(ParseKmsgRecord("x,1,2,-;text").ok());
  EXPECT_FALSE(ParseKmsgRecord("6,1,2,;text").ok());
  EXPECT_FALSE(ParseKmsgRecord("6,1,2\n,-;text").ok());
  EXPECT_FALSE(ParseKmsgRecord("").ok());
  auto empty = ParseKmsgRecord("6,1,2,-;");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->text, "");
  // Dictionary lines without '=' or a name are skipped; at most 16 are kept.
  std::string many = "6,1,2,-;t\n =x\n noequals\n";
  for (int i = 0; i < 40; ++i) many += " K" + std::to_string(i) + "=v\n";
  auto r = ParseKmsgRecord(many);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->dictionary.size(), 16u);
  EXPECT_EQ(r->dictionary[0].first, "K0");
}

TEST(KmsgCursor, RoundTripsAndRefusesAnythingElse) {
  KmsgCursor c{"3f1c0d2e-5b6a-4c8d-9e7f-0a1b2c3d4e5f", 18446744073709551615ull};
  auto back = ParseKmsgCursor(FormatKmsgCursor(c));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->boot_id, c.boot_id);
  EXPECT_EQ(back->sequence, c.sequence);
  EXPECT_FALSE(ParseKmsgCursor(""));
  EXPECT_FALSE(ParseKmsgCursor("rogue-hunter kernel-log cursor 1\nboot_id x\n"));
  EXPECT_FALSE(ParseKmsgCursor("rogue-hunter kernel-log cursor 1\nboot_id x\nsequence -1\n"));
  EXPECT_FALSE(ParseKmsgCursor("something else\nboot_id x\nsequence 1\n"));
}

// Collects what the follower hands over.
struct Seen {
  std::mutex mutex;
  std::vector<KmsgRecord> records;
  KernelLogFollower::Handler Handler() {
    return [this](const KmsgRecord& r) {
      std::lock_guard lock(mutex);
      records.push_back(r);
    };
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return records.size();
  }
};

TEST(KernelLogFollower, AnUnreadableLogIsSaidSoAndRetried) {
  test::TempDir dir;
  KernelLogFollower::Stats stats;
  Seen seen;
  KernelLogFollower::Options options;
  options.path = dir / "kmsg";
  options.retry = 20ms;
  KernelLogFollower follower(options, seen.Handler(), stats);
  ASSERT_TRUE(follower.Start().ok());
  ASSERT_TRUE(test::WaitUntil([&] { return !follower.error().empty(); }, 5s, 5ms));
  EXPECT_FALSE(stats.readable);
  EXPECT_NE(follower.error().find("kmsg: No such file or directory"), std::string::npos);
  // A regular file stands in for the log once it exists: it becomes readable.
  dir.Write("kmsg", "");
  ASSERT_TRUE(test::WaitUntil([&] { return stats.readable.load(); }, 5s, 5ms));
  EXPECT_EQ(follower.error(), "");
  follower.Stop();
}

// The real /dev/kmsg, as root: records written to it after the start are handed over, in
// order, and a restart in the same boot resumes after the last one without repeating it.
TEST(KernelLogFollower, FollowsTheRealLogAndResumesAfterARestart) {
  if (geteuid() != 0) GTEST_SKIP() << "writing /dev/kmsg needs root";
  int kmsg = open(std::string(kDefaultKmsgPath).c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(kmsg, 0);
  const std::string marker = "rh-test-kmsg-" + std::to_string(getpid()) + "-";
  auto inject = [&](const std::string& text) {
    std::string line = "<6>" + marker + text + "\n";
    ASSERT_EQ(write(kmsg, line.data(), line.size()), static_cast<ssize_t>(line.size()));
  };
  auto mine = [&](Seen& s) {
    std::lock_guard lock(s.mutex);
    std::vector<std::string> out;
    for (const auto& r : s.records) {
      if (r.text.starts_with(marker)) out.push_back(r.text.substr(marker.size()));
    }
    return out;
  };
  test::TempDir dir;
  inject("before");  // before the first start: not handed over
  KernelLogFollower::Options options;
  options.cursor_path = dir / "cursor";
  options.boot_id = "boot-a";
  options.cursor_interval = 0ms;
  {
    Seen seen;
    KernelLogFollower::Stats stats;
    KernelLogFollower follower(options, seen.Handler(), stats);
    ASSERT_TRUE(follower.Start().ok());
    ASSERT_TRUE(test::WaitUntil([&] { return stats.readable.load(); }, 5s, 5ms));
    inject("one");
    inject("two");
    ASSERT_TRUE(test::WaitUntil([&] { return mine(seen).size() == 2; }, 5s, 5ms));
    follower.Stop();
    EXPECT_EQ(mine(seen), (std::vector<std::string>{"one", "two"}));
    EXPECT_EQ(seen.records.back().facility, 1);  // written by a user: facility user
  }
  inject("while down");
  {
    Seen seen;
    KernelLogFollower::Stats stats;
    KernelLogFollower follower(options, seen.Handler(), stats);
    ASSERT_TRUE(follower.Start().ok());
    inject("three");
    ASSERT_TRUE(test::WaitUntil([&] { return mine(seen).size() == 2; }, 5s, 5ms));
    follower.Stop();
    EXPECT_EQ(mine(seen), (std::vector<std::string>{"while down", "three"}));
  }
  {
    // Another boot: the cursor does not count; only what comes after the start.
    Seen seen;
    KernelLogFollower::Stats stats;
    options.boot_id = "boot-b";
    KernelLogFollower follower(options, seen.Handler(), stats);
    ASSERT_TRUE(follower.Start().ok());
    ASSERT_TRUE(test::WaitUntil([&] { return stats.readable.load(); }, 5s, 5ms));
    inject("four");
    ASSERT_TRUE(test::WaitUntil([&] { return mine(seen).size() == 1; }, 5s, 5ms));
    follower.Stop();
    EXPECT_EQ(mine(seen), (std::vector<std::string>{"four"}));
  }
  close(kmsg);
  struct stat st {};
  ASSERT_EQ(stat((dir / "cursor").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace rh::collectors

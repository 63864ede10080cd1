#include "forensics/capture/bounded_reader.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::forensics {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using Steady = std::chrono::steady_clock;

// A fake /proc whose "<pid>/cmdline" files are FIFOs: open() for reading blocks until a writer
// comes, as a real cmdline read blocks on the memory map lock of a process stuck in D state.
class HungFiles {
 public:
  HungFiles() : root_(dir_ / "proc", dir_ / "sys") {
    dir_.Write("proc/1/status", "Name:\tok\n");
    dir_.Write("sys/.keep", "");
  }
  ~HungFiles() { ReleaseAll(); }

  const collectors::ProcRoot& root() const { return root_; }

  // "<pid>/cmdline" as a FIFO nobody writes to.
  std::string Hang(int pid) {
    std::string relative = std::to_string(pid) + "/cmdline";
    dir_.Write(std::to_string(pid) + "/.keep", "");
    auto path = dir_ / "proc" / relative;
    std::filesystem::create_directories(path.parent_path());
    EXPECT_EQ(mkfifo(path.c_str(), 0600), 0);
    fifos_.push_back(path);
    return relative;
  }

  // Lets every blocked open() return (a writer comes and goes: the reader reads EOF).
  void ReleaseAll() {
    for (const auto& path : fifos_) {
      int fd = open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd >= 0) close(fd);
    }
  }

 private:
  test::TempDir dir_;
  collectors::ProcRoot root_;
  std::vector<std::filesystem::path> fifos_;
};

BoundedReader::Options Options(std::size_t threads, int timeout_ms, std::size_t max_abandoned) {
  BoundedReader::Options o;
  o.threads = threads;
  o.timeout = std::chrono::milliseconds(timeout_ms);
  o.max_abandoned = max_abandoned;
  return o;
}

TEST(BoundedReader, ReadsFilesInOrder) {
  test::TempDir dir;
  collectors::ProcRoot root(dir / "proc", dir / "sys");
  std::vector<BoundedReader::Read> reads;
  for (int i = 0; i < 50; ++i) {
    dir.Write("proc/" + std::to_string(i) + "/status", "status of " + std::to_string(i));
    reads.push_back(BoundedReader::ProcFile(root, std::to_string(i) + "/status"));
  }
  reads.push_back(BoundedReader::ProcFile(root, "999/status"));
  BoundedReader reader(Options(3, 1000, 2));
  auto results = reader.RunAll(std::move(reads));
  ASSERT_EQ(results.size(), 51u);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].error().message;
    EXPECT_EQ(*results[i], "status of " + std::to_string(i));
  }
  ASSERT_FALSE(results[50].ok());
  EXPECT_THAT(results[50].error().message, HasSubstr("999/status: No such file or directory"));
  EXPECT_EQ(reader.stuck(), 0u);
}

TEST(BoundedReader, AHungOpenTimesOutWithinAboutTheDeadline) {
  HungFiles files;
  std::string hung = files.Hang(4242);
  BoundedReader reader(Options(2, 200, 4));
  std::vector<BoundedReader::Read> reads;
  reads.push_back(BoundedReader::ProcFile(files.root(), hung));
  reads.push_back(BoundedReader::ProcFile(files.root(), "1/status"));
  const auto begin = Steady::now();
  auto results = reader.RunAll(std::move(reads));
  const auto took = Steady::now() - begin;
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 1000ms) << "the hung read must not hold the batch much past its timeout";
  ASSERT_FALSE(results[0].ok());
  EXPECT_EQ(results[0].error().message, "timed out after 200 ms");
  ASSERT_TRUE(results[1].ok());
  EXPECT_EQ(*results[1], "Name:\tok\n");
  EXPECT_EQ(reader.stuck(), 1u) << "the reader is left blocked, not joined";
  EXPECT_FALSE(reader.exhausted());

  // A fresh reader took its place: the next batch works.
  auto again = reader.RunAll({BoundedReader::ProcFile(files.root(), "1/status")});
  ASSERT_TRUE(again[0].ok());

  // When the hung read finally returns, its thread leaves and is no longer counted.
  files.ReleaseAll();
  EXPECT_TRUE(test::WaitUntil([&] { return reader.stuck() == 0; }, 5s, 10ms));
}

TEST(BoundedReader, StopsStartingReadsOnceTooManyAreHung) {
  HungFiles files;
  BoundedReader reader(Options(2, 100, 2));
  std::vector<BoundedReader::Read> reads;
  for (int pid : {11, 12, 13})
    reads.push_back(BoundedReader::ProcFile(files.root(), files.Hang(pid)));
  for (int i = 0; i < 5; ++i) reads.push_back(BoundedReader::ProcFile(files.root(), "1/status"));
  auto results = reader.RunAll(std::move(reads));
  ASSERT_EQ(results.size(), 8u);
  EXPECT_EQ(results[0].error().message, "timed out after 100 ms");
  EXPECT_EQ(results[1].error().message, "timed out after 100 ms");
  // The third hung read starts if a replacement reader came up before the second timed out;
  // either way it is not read.
  ASSERT_FALSE(results[2].ok());
  EXPECT_THAT(results[2].error().message,
              ::testing::AnyOf("timed out after 100 ms",
                               "not read: 2 reads hung, reading per-process files stopped"));
  for (int i = 3; i < 8; ++i) {
    ASSERT_FALSE(results[i].ok());
    EXPECT_THAT(results[i].error().message, HasSubstr("not read"));
  }
  EXPECT_TRUE(reader.exhausted());
  EXPECT_GE(reader.stuck(), 2u);
  EXPECT_LE(reader.stuck(), 3u) << "at most max_abandoned + threads - 1";

  // While exhausted, nothing is started at all.
  auto none = reader.RunAll({BoundedReader::ProcFile(files.root(), "1/status")});
  ASSERT_FALSE(none[0].ok());
  EXPECT_THAT(none[0].error().message, HasSubstr("not read"));

  // Once the hung reads come back, reading resumes.
  files.ReleaseAll();
  ASSERT_TRUE(test::WaitUntil([&] { return reader.stuck() == 0; }, 5s, 10ms));
  auto resumed = reader.RunAll({BoundedReader::ProcFile(files.root(), "1/status")});
  ASSERT_TRUE(resumed[0].ok()) << resumed[0].error().message;
}

TEST(BoundedReader, ReadsNotStartedByTheDeadlineAreGivenUp) {
  HungFiles files;
  BoundedReader reader(Options(1, 300, 4));
  std::vector<BoundedReader::Read> reads;
  reads.push_back(BoundedReader::ProcFile(files.root(), files.Hang(21)));
  reads.push_back(BoundedReader::ProcFile(files.root(), "1/status"));
  auto results = reader.RunAll(std::move(reads), Steady::now() + 100ms);
  EXPECT_EQ(results[0].error().message, "timed out after 300 ms");
  ASSERT_FALSE(results[1].ok());
  EXPECT_EQ(results[1].error().message, "not read: the capture ran out of time");
}

TEST(BoundedReader, CancelGivesUpQueuedReads) {
  HungFiles files;
  BoundedReader reader(Options(1, 300, 4));
  std::atomic<bool> cancel{true};
  std::vector<BoundedReader::Read> reads;
  for (int i = 0; i < 3; ++i) reads.push_back(BoundedReader::ProcFile(files.root(), "1/status"));
  auto results = reader.RunAll(std::move(reads), Steady::time_point::max(), &cancel);
  int cancelled = 0;
  for (const auto& r : results) cancelled += !r.ok() && r.error().message == "not read: cancelled";
  EXPECT_GE(cancelled, 1);
}

TEST(BoundedReader, AnExceptionIsAnError) {
  BoundedReader reader(Options(1, 300, 4));
  std::vector<BoundedReader::Read> reads;
  reads.push_back([]() -> Result<std::string> { throw std::runtime_error("boom"); });
  auto results = reader.RunAll(std::move(reads));
  ASSERT_FALSE(results[0].ok());
  EXPECT_EQ(results[0].error().message, "boom");
}

TEST(BoundedReader, DestroyedWhileAReaderIsStuck) {
  HungFiles files;
  {
    BoundedReader reader(Options(1, 50, 4));
    auto results = reader.RunAll({BoundedReader::ProcFile(files.root(), files.Hang(31))});
    EXPECT_EQ(results[0].error().message, "timed out after 50 ms");
  }  // the stuck reader is detached; destroying the pool must not wait for it
  files.ReleaseAll();
}

}  // namespace
}  // namespace rh::forensics

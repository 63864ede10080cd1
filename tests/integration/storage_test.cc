// The daemon's local history on disk, through the real binary: events land in SQLite, the file
// survives kill -9 and restarts, and storage faults never stop sampling or /metrics.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "forensics/store.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

double Value(const test::Daemon& daemon, const std::string& series) {
  return daemon.Metric(series).value_or(-1);
}

std::unique_ptr<forensics::Store> OpenReader(const std::filesystem::path& db) {
  forensics::Store::Options options;
  options.read_only = true;
  auto store = forensics::Store::Open(db.string(), options);
  if (!store.ok()) return nullptr;
  return std::move(store).value();
}

std::vector<forensics::EventRecord> Events(const std::filesystem::path& db) {
  auto store = OpenReader(db);
  if (!store) return {};
  auto events = store->Events(0, 1e12);
  return events.ok() ? *events : std::vector<forensics::EventRecord>{};
}

std::size_t SampleCount(const std::filesystem::path& db) {
  auto store = OpenReader(db);
  if (!store) return 0;
  auto samples = store->Samples(0, 1e12);
  return samples.ok() ? samples->size() : 0;
}

std::filesystem::path Database(const test::Daemon& daemon) {
  return daemon.home() / ".local/share/rogue-hunter/data.db";
}

TEST(History, APauseIsStoredWithItsDurationAndTopProcesses) {
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  daemon.process().Signal(SIGSTOP);
  std::this_thread::sleep_for(2000ms);
  daemon.process().Signal(SIGCONT);
  std::vector<forensics::EventRecord> pauses;
  ASSERT_TRUE(test::WaitUntil(
      [&] {
        pauses.clear();
        for (auto& e : Events(Database(daemon))) {
          if (e.kind == forensics::EventKind::kPause) pauses.push_back(e);
        }
        return !pauses.empty();
      },
      10s))
      << daemon.process().Stderr();
  ASSERT_EQ(pauses.size(), 1u);
  EXPECT_NEAR(pauses[0].duration_seconds, 2.0, 0.02 + 0.3);
  EXPECT_NEAR(pauses[0].end_time - pauses[0].start_time, pauses[0].duration_seconds, 1e-6);
  EXPECT_FALSE(pauses[0].processes.empty());
  EXPECT_THAT(pauses[0].key, ::testing::EndsWith("-pause"));
  EXPECT_GT(SampleCount(Database(daemon)), 0u);
  EXPECT_GE(Value(daemon, "rogue_hunter_storage_writes_total"), 1);
  EXPECT_EQ(Value(daemon, "rogue_hunter_storage_healthy"), 1);
}

TEST(History, SurvivesKillNineAndRestarts) {
  test::TempDir dir;
  auto config = dir.Write(
      "c.toml",
      "[sampling]\nnormal_interval = 0.2\nelevated_interval = 0.2\n[storage]\ndata_dir = \"" +
          (dir / "data").string() + "\"\n");
  const auto db = dir / "data/data.db";
  std::size_t committed = 0;
  for (int round = 0; round < 3; ++round) {
    test::Daemon daemon({"--config", config.string()});
    ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
    // Let it write for a while, note what is committed, then kill it without warning.
    ASSERT_TRUE(test::WaitUntil([&] { return SampleCount(db) >= committed + 5; }, 20s));
    committed = SampleCount(db);
    daemon.process().Signal(SIGKILL);
    ASSERT_TRUE(daemon.process().WaitExit(5s).has_value());
    auto store = OpenReader(db);
    ASSERT_NE(store, nullptr);
    EXPECT_GE(SampleCount(db), committed) << "round " << round;
  }
  // The next start finds an intact file (no reset) and goes on appending to it.
  test::Daemon daemon({"--config", config.string()});
  ASSERT_TRUE(daemon.ready());
  ASSERT_TRUE(test::WaitUntil([&] { return SampleCount(db) > committed; }, 20s));
  EXPECT_EQ(Value(daemon, "rogue_hunter_storage_database_resets_total"), 0);
}

TEST(History, UnwritableDataDirectoryKeepsMetricsServingAndRecovers) {
  test::TempDir dir;
  // A path through a regular file cannot be created, even by root (ENOTDIR).
  dir.Write("blocker", "not a directory");
  auto config = dir.Write(
      "c.toml",
      "[sampling]\nnormal_interval = 0.2\nelevated_interval = 0.2\n[storage]\ndata_dir = \"" +
          (dir / "blocker/data").string() + "\"\n");
  test::Daemon daemon({"--config", config.string()});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  ASSERT_TRUE(test::WaitUntil(
      [&] { return Value(daemon, "rogue_hunter_storage_errors_total") >= 3; }, 20s));
  EXPECT_EQ(Value(daemon, "rogue_hunter_storage_healthy"), 0);
  EXPECT_EQ(daemon.Get("/metrics").status, 200);
  EXPECT_EQ(daemon.Get("/healthz").status, 200);
  EXPECT_GT(Value(daemon, "rogue_hunter_samples_total"), 3);  // sampling goes on
  // One line when writing starts failing, not one per sample.
  const std::string log = daemon.process().Stderr();
  std::size_t lines = 0;
  for (std::size_t at = log.find("history: "); at != std::string::npos;
       at = log.find("history: ", at + 1))
    ++lines;
  EXPECT_EQ(lines, 1u) << log;

  // Fix the cause: writing resumes and the kept rows arrive.
  std::filesystem::remove(dir / "blocker");
  std::filesystem::create_directories(dir / "blocker/data");
  ASSERT_TRUE(
      test::WaitUntil([&] { return Value(daemon, "rogue_hunter_storage_healthy") == 1; }, 20s))
      << daemon.process().Stderr();
  EXPECT_GT(SampleCount(dir / "blocker/data/data.db"), 5u);
  EXPECT_THAT(daemon.process().Stderr(), HasSubstr("again"));
}

TEST(History, CorruptDatabaseIsMovedAsideAndReplaced) {
  test::TempDir dir;
  dir.Write("data/data.db", std::string(8192, '\x5a'));
  auto config = dir.Write("c.toml", "[storage]\ndata_dir = \"" + (dir / "data").string() + "\"\n");
  test::Daemon daemon({"--config", config.string()});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  ASSERT_TRUE(test::WaitUntil(
      [&] { return Value(daemon, "rogue_hunter_storage_database_resets_total") == 1; }, 10s));
  bool moved = false;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "data")) {
    moved |= entry.path().filename().string().rfind("data.db.corrupt-", 0) == 0;
  }
  EXPECT_TRUE(moved);
  EXPECT_THAT(daemon.process().Stderr(), HasSubstr("corrupt"));
  ASSERT_TRUE(test::WaitUntil([&] { return SampleCount(dir / "data/data.db") > 0; }, 10s));
}

}  // namespace
}  // namespace rh

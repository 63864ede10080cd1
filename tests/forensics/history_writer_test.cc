#include "forensics/history_writer.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "tests/forensics/rows.h"
#include "tests/support/fake_clock.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::forensics {
namespace {

using test::Count;
using test::MakeCapture;
using test::MakeEvent;
using test::MakeRow;

constexpr double kInf = std::numeric_limits<double>::infinity();

// The "history:" lines of a captured stderr.
std::vector<std::string> HistoryLines(const std::string& log) {
  std::vector<std::string> lines;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("history:") != std::string::npos) lines.push_back(line);
  }
  return lines;
}

class HistoryWriterTest : public ::testing::Test {
 protected:
  double Now() const { return static_cast<double>(clock_.Now().realtime_ns) / 1e9; }

  std::shared_ptr<const analysis::ScoredSample> Scored(std::uint64_t sequence) const {
    auto s = std::make_shared<analysis::ScoredSample>();
    s->sequence = sequence;
    s->sample.clock = clock_.Now();
    s->assessment.score = 5;
    s->interval_seconds = 5;
    return s;
  }

  std::vector<SampleRow> StoredSamples(const std::string& path) {
    Store::Options options;
    options.read_only = true;
    auto store = Store::Open(path, options);
    EXPECT_TRUE(store.ok()) << store.error().message;
    if (!store.ok()) return {};
    auto rows = (*store)->Samples(-kInf, kInf);
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? *rows : std::vector<SampleRow>{};
  }

  rh::test::TempDir dir_;
  rh::test::FakeClock clock_;
  StorageStats stats_;
  config::Retention retention_;
};

TEST_F(HistoryWriterTest, WritesRowsInTheBackground) {
  std::string path = (dir_ / "data/data.db").string();
  HistoryWriter writer(path, retention_, clock_, stats_);
  writer.Start();
  writer.Add(Scored(1));
  writer.Add(Scored(2));
  writer.Add(MakeEvent("k1", Now()));
  writer.Add(MakeCapture("k1", Now()));
  ASSERT_TRUE(writer.Flush());
  EXPECT_EQ(writer.queued(), 0u);
  EXPECT_TRUE(stats_.healthy);
  EXPECT_EQ(stats_.errors, 0u);
  EXPECT_GE(stats_.writes, 1u);

  auto rows = StoredSamples(path);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].sequence, 1);
  EXPECT_EQ(rows[1].sequence, 2);
  EXPECT_DOUBLE_EQ(rows[0].time, Now());
  EXPECT_EQ(Count(path, "events"), 1);
  EXPECT_EQ(Count(path, "event_processes"), 2);
  EXPECT_EQ(Count(path, "captures"), 1);
  writer.Stop();
}

TEST_F(HistoryWriterTest, StopWritesWhatIsQueuedAndReturnsQuickly) {
  std::string path = (dir_ / "data.db").string();
  {
    HistoryWriter writer(path, retention_, clock_, stats_);
    for (int i = 1; i <= 5; ++i) writer.Add(Scored(i));
    writer.Start();
    auto start = std::chrono::steady_clock::now();
    writer.Stop();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
    writer.Stop();  // Twice is harmless.
  }
  EXPECT_EQ(StoredSamples(path).size(), 5u);
}

TEST_F(HistoryWriterTest, StopIsBoundedWhileAnotherProcessHoldsTheWriteLock) {
  std::string path = (dir_ / "data.db").string();
  ASSERT_TRUE(Store::Open(path, {}).ok());
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  HistoryWriter writer(path, retention_, clock_, stats_);  // busy_timeout 5 s
  writer.Start();
  writer.Add(Scored(1));
  EXPECT_FALSE(writer.Flush(std::chrono::milliseconds(200)));  // Waiting for the lock.
  auto start = std::chrono::steady_clock::now();
  writer.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
}

// The data directory cannot be created (its path goes through a regular file: this stops root
// too), then can.
TEST_F(HistoryWriterTest, AnUnwritablePathCountsErrorsLogsOnceAndRecovers) {
  auto blocker = dir_.Write("blocker", "a regular file");
  std::string path = (dir_ / "blocker/data/data.db").string();
  testing::internal::CaptureStderr();
  HistoryWriter writer(path, retention_, clock_, stats_);
  writer.Start();
  writer.Add(Scored(1));
  EXPECT_FALSE(writer.Flush());
  EXPECT_EQ(stats_.errors, 1u);
  EXPECT_FALSE(stats_.healthy);

  // No retry before retry_seconds passed on the injected clock...
  writer.Add(Scored(2));
  EXPECT_FALSE(writer.Flush());
  EXPECT_EQ(stats_.errors, 1u);
  // ...then one failed attempt (one error) per retry.
  for (int i = 0; i < 3; ++i) {
    clock_.AdvanceSeconds(1);
    EXPECT_FALSE(writer.Flush());
    EXPECT_EQ(stats_.errors, 2u + i);
  }
  writer.Add(Scored(3));
  EXPECT_EQ(writer.queued(), 3u);

  std::filesystem::remove(blocker);
  clock_.AdvanceSeconds(1);
  EXPECT_TRUE(writer.Flush());
  EXPECT_TRUE(stats_.healthy);
  EXPECT_EQ(stats_.errors, 4u);
  writer.Stop();
  auto lines = HistoryLines(testing::internal::GetCapturedStderr());

  ASSERT_EQ(lines.size(), 2u) << ::testing::PrintToString(lines);
  EXPECT_NE(lines[0].find("writing failed"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(path), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("Not a directory"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("again"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("0 rows dropped"), std::string::npos) << lines[1];
  auto rows = StoredSamples(path);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].sequence, 3);
}

TEST_F(HistoryWriterTest, WhileFailingKeepsEventsAndTheNewestSamplesUpToTheBound) {
  auto blocker = dir_.Write("blocker", "");
  std::string path = (dir_ / "blocker/data.db").string();
  HistoryWriterOptions options;
  options.max_queued_samples = 3;
  testing::internal::CaptureStderr();
  HistoryWriter writer(path, retention_, clock_, stats_, options);
  writer.Start();
  writer.Add(Scored(1));
  EXPECT_FALSE(writer.Flush());
  for (int i = 2; i <= 5; ++i) writer.Add(Scored(i));
  writer.Add(MakeEvent("e1", Now()));
  writer.Add(MakeEvent("e2", Now()));
  EXPECT_FALSE(writer.Flush());
  EXPECT_EQ(writer.queued(), 5u);
  EXPECT_EQ(stats_.dropped_rows, 2u);

  std::filesystem::remove(blocker);
  clock_.AdvanceSeconds(1);
  EXPECT_TRUE(writer.Flush());
  writer.Stop();
  auto lines = HistoryLines(testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 2u) << ::testing::PrintToString(lines);
  EXPECT_NE(lines[1].find("2 rows dropped"), std::string::npos) << lines[1];
  auto rows = StoredSamples(path);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].sequence, 3);
  EXPECT_EQ(rows[2].sequence, 5);
  EXPECT_EQ(Count(path, "events"), 2);
}

TEST_F(HistoryWriterTest, AFullDiskCountsErrorsAndRecoversWhenThereIsRoom) {
  std::string path = (dir_ / "data.db").string();
  testing::internal::CaptureStderr();
  HistoryWriter writer(path, retention_, clock_, stats_);
  writer.Start();
  writer.Add(Scored(0));
  ASSERT_TRUE(writer.Flush());

  writer.SetMaxPageCountForTest(1);  // No more pages than the file has now.
  for (int i = 1; i <= 300; ++i) writer.Add(Scored(i));
  EXPECT_FALSE(writer.Flush());
  EXPECT_FALSE(stats_.healthy);
  std::uint64_t errors = stats_.errors;
  EXPECT_GE(errors, 1u);

  writer.SetMaxPageCountForTest(0);
  clock_.AdvanceSeconds(1);
  EXPECT_TRUE(writer.Flush());
  EXPECT_TRUE(stats_.healthy);
  EXPECT_EQ(stats_.errors, errors);
  writer.Stop();
  auto lines = HistoryLines(testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 2u) << ::testing::PrintToString(lines);
  EXPECT_NE(lines[0].find("full"), std::string::npos) << lines[0];
  EXPECT_EQ(StoredSamples(path).size(), 301u);
}

// chattr +i makes the file immutable even for root; skipped where chattr is not supported.
TEST_F(HistoryWriterTest, AnImmutableDatabaseFileCountsErrorsAndRecovers) {
  std::string path = (dir_ / "data.db").string();
  ASSERT_TRUE(Store::Open(path, {}).ok());
  if (rh::test::Run({"chattr", "+i", path}).exit_code != 0) {
    GTEST_SKIP() << "chattr +i is not available here";
  }
  struct Unlock {
    std::string path;
    ~Unlock() { (void)rh::test::Run({"chattr", "-i", path}); }
  } unlock{path};

  testing::internal::CaptureStderr();
  HistoryWriter writer(path, retention_, clock_, stats_);
  writer.Start();
  writer.Add(Scored(1));
  EXPECT_FALSE(writer.Flush());
  EXPECT_FALSE(stats_.healthy);
  EXPECT_EQ(stats_.errors, 1u);

  ASSERT_EQ(rh::test::Run({"chattr", "-i", path}).exit_code, 0);
  clock_.AdvanceSeconds(1);
  EXPECT_TRUE(writer.Flush());
  EXPECT_TRUE(stats_.healthy);
  writer.Stop();
  auto lines = HistoryLines(testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 2u) << ::testing::PrintToString(lines);
  EXPECT_NE(lines[0].find("read-only"), std::string::npos) << lines[0];
  EXPECT_EQ(StoredSamples(path).size(), 1u);
}

TEST_F(HistoryWriterTest, ACorruptDatabaseAtStartIsMovedAsideLoggedAndCounted) {
  std::string path = dir_.Write("data.db", std::string(5000, '#')).string();
  testing::internal::CaptureStderr();
  HistoryWriter writer(path, retention_, clock_, stats_);
  writer.Start();
  writer.Add(Scored(1));
  EXPECT_TRUE(writer.Flush());
  writer.Stop();
  auto lines = HistoryLines(testing::internal::GetCapturedStderr());
  EXPECT_EQ(stats_.database_resets, 1u);
  EXPECT_TRUE(stats_.healthy);
  ASSERT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
  EXPECT_NE(lines[0].find("was corrupt"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(path + ".corrupt-20261118T110640Z"), std::string::npos) << lines[0];
  EXPECT_TRUE(std::filesystem::exists(path + ".corrupt-20261118T110640Z"));
  EXPECT_EQ(StoredSamples(path).size(), 1u);
}

TEST_F(HistoryWriterTest, StartUpSkipsTheFullCheckWhichRunsPeriodicallyInstead) {
  std::string path = (dir_ / "data.db").string();
  {
    auto store = Store::Open(path, {});
    ASSERT_TRUE(store.ok());
    std::vector<SampleRow> rows;
    for (int i = 0; i < 3000; ++i) rows.push_back(MakeRow(Now() - 3000 + i, i));
    ASSERT_TRUE((*store)->AppendSamples(rows));
  }
  const auto size = std::filesystem::file_size(path);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    std::string junk(4096, '\x77');
    f.seekp(static_cast<std::streamoff>((size / 4096 / 2) * 4096));
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  testing::internal::CaptureStderr();
  HistoryWriterOptions options;
  options.integrity_check_interval_seconds = 3600;
  HistoryWriter writer(path, retention_, clock_, stats_, options);
  writer.Start();
  ASSERT_TRUE(writer.Flush());
  EXPECT_EQ(stats_.database_resets, 0u) << "a cleanly closed file is not read in full at start";
  EXPECT_FALSE(std::filesystem::exists(path + ".corrupt-20261118T110640Z"));

  clock_.AdvanceSeconds(3599);
  ASSERT_TRUE(writer.Flush());
  EXPECT_EQ(stats_.database_resets, 0u);
  clock_.AdvanceSeconds(1);
  ASSERT_TRUE(writer.Flush());
  EXPECT_EQ(stats_.database_resets, 1u) << "the periodic check found the damage";
  EXPECT_TRUE(std::filesystem::exists(path + ".corrupt-20261118T120640Z"));
  writer.Add(Scored(1));
  ASSERT_TRUE(writer.Flush());
  writer.Stop();
  EXPECT_EQ(StoredSamples(path).size(), 1u) << "writing goes on in a fresh file";
  auto lines = HistoryLines(testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 2u) << ::testing::PrintToString(lines);
  EXPECT_NE(lines[0].find("periodic integrity check"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("was corrupt"), std::string::npos) << lines[1];
}

TEST_F(HistoryWriterTest, PruningGivesSpaceBack) {
  std::string path = (dir_ / "data.db").string();
  {
    auto store = Store::Open(path, {});
    ASSERT_TRUE(store.ok());
    std::vector<SampleRow> rows;
    for (int i = 0; i < 20000; ++i) rows.push_back(MakeRow(Now() - 40 * 86400.0 + i, i));
    rows.push_back(MakeRow(Now(), 20000));
    ASSERT_TRUE((*store)->AppendSamples(rows));
  }
  const auto full = std::filesystem::file_size(path);
  ASSERT_GT(full, 3'000'000u);
  HistoryWriterOptions options;
  options.prune_batch = 5000;
  options.vacuum_pages = 256;
  HistoryWriter writer(path, retention_, clock_, stats_, options);
  writer.Start();
  ASSERT_TRUE(writer.Flush());
  EXPECT_EQ(Count(path, "samples"), 1);
  EXPECT_LT(std::filesystem::file_size(path), full / 10) << "the pruned rows' space is back";
  EXPECT_EQ(stats_.errors, 0u);
  writer.Stop();
}

TEST_F(HistoryWriterTest, AnOlderFileIsConvertedToIncrementalVacuumOnce) {
  std::string path = (dir_ / "data.db").string();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE filler(x);", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    auto store = Store::Open(path, {});
    ASSERT_TRUE(store.ok());
    std::vector<SampleRow> rows;
    for (int i = 0; i < 20000; ++i) rows.push_back(MakeRow(Now() - 40 * 86400.0 + i, i));
    rows.push_back(MakeRow(Now(), 20000));
    ASSERT_TRUE((*store)->AppendSamples(rows));
  }
  const auto full = std::filesystem::file_size(path);
  ASSERT_GT(full, 3'000'000u);
  ASSERT_EQ(test::Query(path, "PRAGMA auto_vacuum"), "0");

  testing::internal::CaptureStderr();
  HistoryWriterOptions options;
  options.prune_batch = 5000;
  options.vacuum_pages = 256;
  HistoryWriter writer(path, retention_, clock_, stats_, options);
  writer.Start();
  ASSERT_TRUE(writer.Flush());
  writer.Stop();
  auto lines = HistoryLines(testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
  EXPECT_NE(lines[0].find("to incremental vacuum"), std::string::npos) << lines[0];
  EXPECT_EQ(test::Query(path, "PRAGMA auto_vacuum"), "2");
  EXPECT_EQ(Count(path, "samples"), 1);
  EXPECT_EQ(stats_.pruned_rows, 20000u);
  EXPECT_LT(std::filesystem::file_size(path), full / 10) << "the pruned rows' space is back";
  EXPECT_EQ(stats_.errors, 0u);
}

TEST_F(HistoryWriterTest, ADatabaseDeletedOrReplacedWhileOpenIsOpenedAgain) {
  std::string path = (dir_ / "data.db").string();
  testing::internal::CaptureStderr();
  HistoryWriter writer(path, retention_, clock_, stats_);
  writer.Start();
  writer.Add(Scored(1));
  ASSERT_TRUE(writer.Flush());
  ASSERT_EQ(StoredSamples(path).size(), 1u);

  // Deleted: the next row goes to a fresh file instead of vanishing with the old one.
  std::filesystem::remove(path);
  writer.Add(Scored(2));
  ASSERT_TRUE(writer.Flush());
  EXPECT_EQ(stats_.database_reopens, 1u);
  auto rows = StoredSamples(path);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].sequence, 2) << "the deleted file's row went with it";

  // Replaced (a restored copy renamed over it): writing goes on in the replacement.
  const std::string copy = (dir_ / "restored.db").string();
  {
    auto other = Store::Open(copy, {});
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE((*other)->AppendSamples({MakeRow(Now() - 60, 42)}));
  }
  std::filesystem::rename(copy, path);
  writer.Add(Scored(3));
  ASSERT_TRUE(writer.Flush());
  writer.Stop();
  EXPECT_EQ(stats_.database_reopens, 2u);
  EXPECT_EQ(stats_.errors, 0u);
  rows = StoredSamples(path);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].sequence, 42);
  EXPECT_EQ(rows[1].sequence, 3);
  auto lines = HistoryLines(testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 2u) << ::testing::PrintToString(lines);
  EXPECT_NE(lines[0].find("was deleted or replaced while open"), std::string::npos) << lines[0];
}

TEST_F(HistoryWriterTest, PrunesInBatchesAtStartAndThenEveryInterval) {
  std::string path = (dir_ / "data.db").string();
  const double now = Now();
  {
    auto store = Store::Open(path, {});
    ASSERT_TRUE(store.ok());
    std::vector<SampleRow> rows;
    for (int i = 0; i < 7; ++i) rows.push_back(MakeRow(now - 31 * 86400.0 + i, i));
    rows.push_back(MakeRow(now - 30 * 86400.0 + 180, 100));  // Old in 3 minutes.
    rows.push_back(MakeRow(now, 101));
    ASSERT_TRUE((*store)->AppendSamples(rows));
    ASSERT_TRUE((*store)->AppendEvent(MakeEvent("old", now - 91 * 86400.0)));
    ASSERT_TRUE((*store)->AppendCapture(MakeCapture("old", now - 91 * 86400.0)));
    ASSERT_TRUE((*store)->AppendEvent(MakeEvent("kept", now - 89 * 86400.0)));
  }
  HistoryWriterOptions options;
  options.prune_batch = 2;
  HistoryWriter writer(path, retention_, clock_, stats_, options);
  writer.Start();
  ASSERT_TRUE(writer.Flush());
  EXPECT_EQ(Count(path, "samples"), 2);
  EXPECT_EQ(Count(path, "events"), 1);
  EXPECT_EQ(Count(path, "captures"), 0);
  EXPECT_EQ(stats_.pruned_rows, 7u + 4u);  // 7 samples; the event, its 2 processes, its capture
  EXPECT_GE(stats_.writes, 5u);            // 2 rows per transaction

  clock_.AdvanceSeconds(300);
  ASSERT_TRUE(writer.Flush());
  EXPECT_EQ(Count(path, "samples"), 2);  // The next pass is not due yet.

  clock_.AdvanceSeconds(300);
  ASSERT_TRUE(writer.Flush());
  EXPECT_EQ(Count(path, "samples"), 1);
  EXPECT_EQ(stats_.pruned_rows, 12u);
  EXPECT_EQ(stats_.errors, 0u);
  writer.Stop();
}

}  // namespace
}  // namespace rh::forensics

namespace rh::forensics {
namespace {

class HistoryWriterProcessTest : public HistoryWriterTest {
 protected:
  // A sample whose top lists hold `pid` (started at `start`) by CPU and again by RSS, plus pid 2.
  std::shared_ptr<const analysis::ScoredSample> WithTop(std::int32_t pid, std::uint64_t start) {
    auto s = std::make_shared<analysis::ScoredSample>();
    s->sample.clock = clock_.Now();
    s->sample.collectors.push_back({"processes", true, 0, ""});
    s->sample.meminfo.total = 1 << 30;
    collectors::TopProcess p;
    p.pid = pid;
    p.start_ticks = start;
    p.comm = "hog";
    p.cpu_ratio = 0.5;
    p.rss_bytes = 4096;
    collectors::TopProcess other = p;
    other.pid = 2;
    s->sample.processes.top_cpu = {p, other};
    s->sample.processes.top_rss = {p};
    return s;
  }

  std::vector<ProcessSampleRow> History(const std::string& path, std::int32_t pid,
                                        std::uint64_t start) {
    Store::Options options;
    options.read_only = true;
    auto store = Store::Open(path, options);
    if (!store.ok()) return {};
    auto rows = (*store)->ProcessHistory({"boot-1", pid, start}, -kInf, kInf);
    return rows.ok() ? *rows : std::vector<ProcessSampleRow>{};
  }
};

TEST_F(HistoryWriterProcessTest, WritesTopProcessesOncePerIntervalByIdentity) {
  std::string path = (dir_ / "data.db").string();
  HistoryWriterOptions options;
  options.boot_id = "boot-1";
  options.process_interval_seconds = 60;
  HistoryWriter writer(path, retention_, clock_, stats_, options);
  writer.Start();
  writer.Add(WithTop(100, 7));  // t=0: written
  clock_.AdvanceSeconds(5);
  writer.Add(WithTop(100, 7));  // t=5: too soon
  clock_.AdvanceSeconds(60);
  writer.Add(WithTop(100, 7));  // t=65: written
  writer.Add(WithTop(100, 8));  // the pid reused by another process: written at once
  ASSERT_TRUE(writer.Flush());
  auto first = History(path, 100, 7);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_NEAR(first[1].time - first[0].time, 65, 1e-6);
  EXPECT_EQ(first[0].comm, "hog");
  EXPECT_EQ(first[0].memory_total, 1u << 30);
  EXPECT_EQ(History(path, 100, 8).size(), 1u);
  EXPECT_EQ(History(path, 2, 7).size(), 2u);
}

TEST_F(HistoryWriterProcessTest, RetentionPrunesProcessHistory) {
  std::string path = (dir_ / "data.db").string();
  {
    HistoryWriterOptions options;
    options.boot_id = "boot-1";
    HistoryWriter writer(path, retention_, clock_, stats_, options);
    writer.Start();
    writer.Add(WithTop(100, 7));
    ASSERT_TRUE(writer.Flush());
  }
  ASSERT_EQ(History(path, 100, 7).size(), 1u);
  clock_.AdvanceSeconds(3 * 3600);
  HistoryWriterOptions options;
  options.boot_id = "boot-1";
  options.process_retention_seconds = 3600;
  HistoryWriter writer(path, retention_, clock_, stats_, options);
  writer.Start();  // prunes once right after opening
  ASSERT_TRUE(writer.Flush());
  EXPECT_TRUE(History(path, 100, 7).empty());
  EXPECT_GE(stats_.pruned_rows, 1u);
}

}  // namespace
}  // namespace rh::forensics

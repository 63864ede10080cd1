// rogue-hunter prune: what retention would delete, confirmation, progress, vacuum.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "tests/cli/cli_support.h"
#include "tests/support/temp_dir.h"

namespace rh::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr int kOldSamples = 12000;  // above the count from which deleting shows its progress
const char* kOldBundle = "20200101T000000.000Z-pause";

// Adds to the copied history what retention (30 days of samples, 90 of events) removes: old
// samples, an old event with its processes and capture, and an old bundle next to the real one.
void AddOldData(const fs::path& home) {
  const auto data = DataDir(home);
  forensics::Store::Options options;
  auto store = forensics::Store::Open((data / "data.db").string(), options);
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto latest = (*store)->LatestSample();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  std::vector<forensics::SampleRow> rows;
  const double now = static_cast<double>(std::time(nullptr));
  for (int i = 0; i < kOldSamples; ++i) {
    forensics::SampleRow r = **latest;
    r.time = now - 40 * 86400.0 + i;
    rows.push_back(r);
  }
  ASSERT_TRUE((*store)->AppendSamples(rows).ok());
  forensics::EventRecord old;
  old.key = kOldBundle;
  old.kind = forensics::EventKind::kPause;
  old.start_time = now - 100 * 86400.0;
  old.end_time = old.start_time + 3;
  old.duration_seconds = 3;
  old.processes.push_back({"cpu", 1, 9, "old", 'R', 1, 1, ""});
  ASSERT_TRUE((*store)->AppendEvent(old).ok());
  forensics::CaptureRecord capture;
  capture.event_key = kOldBundle;
  capture.trigger = "pause";
  capture.result = "ok";
  capture.bundle_path = (data / "events" / kOldBundle).string();
  capture.created_time = old.end_time + 1;
  ASSERT_TRUE((*store)->AppendCapture(capture).ok());
  // Per-process history of three days ago (kept 48 hours) and a kill audit row of an old request.
  forensics::Batch history;
  for (int i = 0; i < 2; ++i) {
    forensics::ProcessSampleRow p;
    p.time = now - 3 * 86400.0 + i;
    p.boot_id = "boot";
    p.pid = 9;
    p.comm = "old";
    history.processes.push_back(p);
  }
  ASSERT_TRUE((*store)->Append(history).ok());
  forensics::KillAuditRow audit;
  audit.time = now - 100 * 86400.0;
  audit.pid = 9;
  audit.decision = "refused";
  audit.result = "forbidden";
  ASSERT_TRUE((*store)->AppendKillAudit(audit).ok());

  // The real bundle, copied under an old id and creation time.
  fs::path real;
  for (const auto& e : fs::directory_iterator(data / "events")) real = e.path();
  const fs::path copy = data / "events" / kOldBundle;
  fs::copy(real, copy, fs::copy_options::recursive);
  json manifest = json::parse(std::ifstream(copy / "manifest.json"));
  manifest["id"] = kOldBundle;
  manifest["created"] = "2020-01-01T00:00:00.000Z";
  std::ofstream(copy / "manifest.json") << manifest.dump(2);
}

TEST(Prune, DryRunShowsRowsBundlesAndBytesAndDeletesNothing) {
  TempDir dir;
  const auto home = CopyFixtureHome(dir.path());
  AddOldData(home);
  const auto before = fs::file_size(DataDir(home) / "data.db");
  auto r = RunCli(home, {"prune", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(std::to_string(kOldSamples) +
                               " samples, 1 event with 1 process row, 1 capture record; 2 "
                               "process history rows older than 48 hours, 1 kill audit row"));
  EXPECT_THAT(r.out, HasSubstr(": 1 bundle ("));
  EXPECT_THAT(r.out, HasSubstr("dry run: nothing deleted"));
  EXPECT_TRUE(fs::exists(DataDir(home) / "events" / kOldBundle));
  EXPECT_EQ(fs::file_size(DataDir(home) / "data.db"), before);
  auto store = OpenStore(home);
  ASSERT_NE(store, nullptr);
  const double now = static_cast<double>(std::time(nullptr));
  auto counts = store->CountPrunable(now - 30 * 86400.0, now - 90 * 86400.0, now - 2 * 86400.0);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->samples, static_cast<std::uint64_t>(kOldSamples));
  EXPECT_EQ(counts->process_samples, 2u);
  EXPECT_EQ(counts->kill_audit, 1u);
}

TEST(Prune, RefusesWithoutYesWhenStdinIsNotATerminal) {
  TempDir dir;
  const auto home = CopyFixtureHome(dir.path());
  AddOldData(home);
  auto r = RunCli(home, {"prune"}, {}, "y\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(
      r.err,
      HasSubstr("refusing to delete without confirmation: stdin is not a terminal (use --yes)"));
  EXPECT_TRUE(fs::exists(DataDir(home) / "events" / kOldBundle));
}

TEST(Prune, DeletesWhatRetentionRemovesShowsProgressAndVacuums) {
  TempDir dir;
  const auto home = CopyFixtureHome(dir.path());
  const auto kept_samples = OpenStore(home)->Samples(0, 1e12)->size();
  AddOldData(home);
  const auto before = fs::file_size(DataDir(home) / "data.db");
  auto r = RunCli(home, {"prune", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("deleting rows: "));
  EXPECT_THAT(r.err, HasSubstr("(100%)"));
  EXPECT_THAT(r.out, HasSubstr("vacuuming "));
  EXPECT_THAT(r.out,
              HasSubstr("deleted " + std::to_string(kOldSamples + 3 + 3) + " rows and 1 bundle"));
  EXPECT_FALSE(fs::exists(DataDir(home) / "events" / kOldBundle));
  EXPECT_LT(fs::file_size(DataDir(home) / "data.db"), before);

  auto store = OpenStore(home);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Samples(0, 1e12)->size(), kept_samples);
  EXPECT_FALSE(store->Event(kOldBundle)->has_value());
  EXPECT_TRUE(store->Captures(kOldBundle)->empty());
  EXPECT_EQ(store->LatestEvents(0, {forensics::EventKind::kPause}, 10)->size(),
            1u);  // the real one

  auto again = RunCli(home, {"prune", "--yes"});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_THAT(again.out, HasSubstr("nothing to prune"));
}

}  // namespace
}  // namespace rh::test

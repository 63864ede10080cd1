// The process API's tables on real SQLite files: per-process history keyed by (boot id, pid,
// start time), the kill audit, their retention, and the upgrade from the schema before them.

#include <gtest/gtest.h>

#include <limits>

#include "forensics/redaction.h"
#include "forensics/store.h"
#include "tests/forensics/rows.h"
#include "tests/support/temp_dir.h"

namespace rh::forensics {
namespace {

using test::MakeRow;
using test::Query;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNow = 1'795'000'000;

std::unique_ptr<Store> OpenOrFail(const std::string& path, Store::Options options = {}) {
  auto store = Store::Open(path, options);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
  return store.ok() ? std::move(*store) : nullptr;
}

ProcessSampleRow Sample(double time, std::int32_t pid, std::uint64_t start, double cpu,
                        std::string boot = "boot-a") {
  return {time, boot, pid, start, std::string("wor\xffker", 7), 'R', cpu, 100, 4096, 1 << 30};
}

TEST(StoreProcessHistory, AReusedPidIsAnotherProcess) {
  rh::test::TempDir dir;
  auto store = OpenOrFail((dir / "data.db").string());
  ASSERT_TRUE(store);
  Batch batch;
  batch.samples = {MakeRow(kNow, 1)};
  // pid 4242 ran, exited, and the pid went to a new process (another start time), then the
  // machine rebooted and pid 4242 started at the same tick count again.
  batch.processes = {Sample(kNow, 4242, 1000, 0.5), Sample(kNow + 60, 4242, 1000, 0.7),
                     Sample(kNow + 120, 4242, 9000, 0.1),
                     Sample(kNow + 180, 4242, 1000, 0.9, "boot-b")};
  ASSERT_TRUE(store->Append(batch));

  auto first = store->ProcessHistory({"boot-a", 4242, 1000}, -kInf, kInf);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].cpu_ratio, 0.5);
  EXPECT_EQ((*first)[1].cpu_ratio, 0.7);
  EXPECT_EQ((*first)[0].comm, std::string("wor\xffker", 7));
  EXPECT_EQ((*first)[0].state, 'R');
  EXPECT_EQ((*first)[0].memory_total, 1u << 30);

  auto second = store->ProcessHistory({"boot-a", 4242, 9000}, -kInf, kInf);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].cpu_ratio, 0.1);

  auto latest = store->LatestProcess(4242);
  ASSERT_TRUE(latest.ok());
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((*latest)->boot_id, "boot-b");
  EXPECT_EQ((*latest)->start_ticks, 1000u);
  auto none = store->LatestProcess(1);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  auto window = store->ProcessHistory({"boot-a", 4242, 1000}, kNow + 30, kNow + 90);
  ASSERT_TRUE(window.ok());
  ASSERT_EQ(window->size(), 1u);
  EXPECT_EQ((*window)[0].time, kNow + 60);
}

TEST(StoreProcessHistory, ABatchIsAllOrNothing) {
  rh::test::TempDir dir;
  std::string path = (dir / "data.db").string();
  auto store = OpenOrFail(path);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->AppendSamples({MakeRow(kNow, 1)}));
  ASSERT_TRUE(store->SetMaxPageCount(std::stoll(Query(path, "PRAGMA page_count"))));
  Batch batch;
  batch.samples = {MakeRow(kNow + 5, 2)};
  for (int i = 0; i < 2000; ++i) batch.processes.push_back(Sample(kNow + 5, i + 1, 7, 0));
  EXPECT_FALSE(store->Append(batch));
  EXPECT_EQ(Query(path, "SELECT count(*) FROM samples"), "1");
  EXPECT_EQ(Query(path, "SELECT count(*) FROM process_samples"), "0");
}

TEST(StoreProcessHistory, RetentionPrunesHistoryAndAuditSeparately) {
  rh::test::TempDir dir;
  std::string path = (dir / "data.db").string();
  auto store = OpenOrFail(path);
  ASSERT_TRUE(store);
  Batch batch;
  for (int i = 0; i < 10; ++i) batch.processes.push_back(Sample(kNow + i, 7, 1, 0));
  ASSERT_TRUE(store->Append(batch));
  for (int i = 0; i < 4; ++i) {
    KillAuditRow row;
    row.time = kNow + i;
    row.pid = 7;
    row.decision = "refused";
    row.result = "forbidden";
    ASSERT_TRUE(store->AppendKillAudit(row).ok());
  }
  // Batches of 3 rows: history before kNow+5 (5 rows), audit before kNow+2 (2 rows).
  std::uint64_t total = 0;
  for (;;) {
    auto n = store->PruneProcessData(kNow + 5, kNow + 2, 3);
    ASSERT_TRUE(n.ok()) << n.error().message;
    total += *n;
    if (*n < 3) break;
  }
  EXPECT_EQ(total, 7u);
  EXPECT_EQ(Query(path, "SELECT min(time) - 1795000000 FROM process_samples"), "5.0");
  EXPECT_EQ(Query(path, "SELECT count(*) FROM kill_audit"), "2");
}

TEST(StoreKillAudit, RowsAreAppendedThenFinished) {
  rh::test::TempDir dir;
  Store::Options options;
  options.durable = true;
  std::string path = (dir / "data.db").string();
  auto store = OpenOrFail(path, options);
  ASSERT_TRUE(store);
  EXPECT_EQ(Query(path, "SELECT count(*) FROM kill_audit"), "0");
  KillAuditRow row;
  row.time = kNow;
  row.client = "127.0.0.1";
  row.principal = "token";
  row.pid = 4242;
  row.boot_id = "boot-a";
  row.start_ticks = 99;
  row.comm = std::string("a\nb", 3);
  row.exe = "/usr/bin/sleep";
  row.force = true;
  row.decision = "allowed";
  row.result = "pending";
  row.reason = "allowed by kill_allow_comm";
  auto id = store->AppendKillAudit(row);
  ASSERT_TRUE(id.ok()) << id.error().message;
  ASSERT_TRUE(store->FinishKillAudit(*id, "killed", "exited after SIGKILL", "SIGKILL", kNow + 1));
  KillAuditRow refused;
  refused.time = kNow + 2;
  refused.pid = 1;
  refused.decision = "refused";
  refused.result = "forbidden";
  ASSERT_TRUE(store->AppendKillAudit(refused).ok());

  auto rows = store->KillAudits(-kInf, kInf);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);
  const KillAuditRow& r = (*rows)[0];
  EXPECT_EQ(r.id, *id);
  EXPECT_EQ(r.client, "127.0.0.1");
  EXPECT_EQ(r.principal, "token");
  EXPECT_EQ(r.start_ticks, 99u);
  EXPECT_EQ(r.comm, std::string("a\nb", 3));
  EXPECT_TRUE(r.force);
  EXPECT_EQ(r.result, "killed");
  EXPECT_EQ(r.signals, "SIGKILL");
  EXPECT_EQ(r.finished_time, kNow + 1);
  EXPECT_EQ((*rows)[1].start_ticks, std::nullopt);
  EXPECT_EQ((*rows)[1].finished_time, std::nullopt);
}

TEST(StoreMigration, FromVersion2AddsTheProcessTablesAndKeepsRows) {
  rh::test::TempDir dir;
  std::string path = (dir / "data.db").string();
  ASSERT_TRUE(Store::MigrateForTest(path, 2));
  ASSERT_EQ(Query(path, "SELECT count(*) FROM sqlite_master WHERE name = 'kill_audit'"), "0");
  {
    auto old = OpenOrFail(path, [] {
      Store::Options o;
      o.read_only = true;
      return o;
    }());
    ASSERT_TRUE(old);
    // An old file read before the upgrade: no history, no audit, no error.
    auto history = old->ProcessHistory({"b", 1, 1}, -kInf, kInf);
    ASSERT_TRUE(history.ok());
    EXPECT_TRUE(history->empty());
    EXPECT_FALSE(old->AppendKillAudit(KillAuditRow{}).ok());
  }
  auto store = OpenOrFail(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->schema_version(), Store::kSchemaVersion);
  EXPECT_EQ(Query(path,
                  "SELECT count(*) FROM sqlite_master WHERE name IN ('kill_audit', "
                  "'process_samples')"),
            "2");
}

TEST(Redaction, KeepsArgv0BaseNameAndHashesTheRest) {
  auto out = RedactArguments({"/usr/bin/python3", "server.py", "--password=hunter2"}, "salt");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], "python3");
  EXPECT_TRUE(IsRedactedHash(out[1])) << out[1];
  EXPECT_EQ(out[2], RedactedHash("salt", "--password=hunter2"));
  EXPECT_NE(out[2], RedactedHash("other", "--password=hunter2"));
  EXPECT_EQ(out[2].find("hunter2"), std::string::npos);
  EXPECT_TRUE(RedactArguments({}, "s").empty());
  EXPECT_EQ(RedactArguments({"a", ""}, "s")[1], "");
  EXPECT_NE(RandomSalt(), RandomSalt());
  EXPECT_EQ(RandomSalt().size(), 32u);
}

}  // namespace
}  // namespace rh::forensics

#include "forensics/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <limits>
#include <thread>

#include "tests/forensics/rows.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::forensics {
namespace {

using test::Count;
using test::MakeCapture;
using test::MakeEvent;
using test::MakeRow;
using test::Query;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNow = 1'795'000'000;  // 2026-11-18T11:06:40Z

std::unique_ptr<Store> OpenOrFail(const std::string& path, Store::Options options = {},
                                  OpenReport* report = nullptr) {
  auto store = Store::Open(path, options, report);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
  return store.ok() ? std::move(*store) : nullptr;
}

Store::Options ReadOnly() {
  Store::Options options;
  options.read_only = true;
  return options;
}

void ExpectSameRow(const SampleRow& a, const SampleRow& b) {
  EXPECT_EQ(a.time, b.time);
  EXPECT_EQ(a.sequence, b.sequence);
  EXPECT_EQ(a.interval_seconds, b.interval_seconds);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.score, b.score);
  EXPECT_EQ(a.components, b.components);
  EXPECT_EQ(a.latency_seconds, b.latency_seconds);
  EXPECT_EQ(a.load1, b.load1);
  EXPECT_EQ(a.cpus, b.cpus);
  EXPECT_EQ(a.procs_running, b.procs_running);
  EXPECT_EQ(a.procs_blocked, b.procs_blocked);
  EXPECT_EQ(a.cpu_total_seconds, b.cpu_total_seconds);
  EXPECT_EQ(a.cpu_iowait_seconds, b.cpu_iowait_seconds);
  EXPECT_EQ(a.cpu_steal_seconds, b.cpu_steal_seconds);
  EXPECT_EQ(a.psi_cpu_some, b.psi_cpu_some);
  EXPECT_EQ(a.psi_io_some, b.psi_io_some);
  EXPECT_EQ(a.psi_io_full, b.psi_io_full);
  EXPECT_EQ(a.psi_memory_some, b.psi_memory_some);
  EXPECT_EQ(a.psi_memory_full, b.psi_memory_full);
  EXPECT_EQ(a.memory_total, b.memory_total);
  EXPECT_EQ(a.memory_available, b.memory_available);
  EXPECT_EQ(a.swap_total, b.swap_total);
  EXPECT_EQ(a.swap_free, b.swap_free);
  EXPECT_EQ(a.pswpin, b.pswpin);
  EXPECT_EQ(a.pswpout, b.pswpout);
  EXPECT_EQ(a.pgmajfault, b.pgmajfault);
  EXPECT_EQ(a.pgpgin, b.pgpgin);
  EXPECT_EQ(a.pgpgout, b.pgpgout);
  EXPECT_EQ(a.thermal_throttles, b.thermal_throttles);
  EXPECT_EQ(a.max_temperature, b.max_temperature);
}

void ExpectSameEvent(const EventRecord& a, const EventRecord& b) {
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.start_time, b.start_time);
  EXPECT_EQ(a.end_time, b.end_time);
  EXPECT_EQ(a.duration_seconds, b.duration_seconds);
  EXPECT_EQ(a.score_before, b.score_before);
  EXPECT_EQ(a.state_from, b.state_from);
  EXPECT_EQ(a.state_to, b.state_to);
  EXPECT_EQ(a.notes, b.notes);
  ASSERT_EQ(a.processes.size(), b.processes.size());
  for (std::size_t i = 0; i < a.processes.size(); ++i) {
    const EventProcess& p = a.processes[i];
    const EventProcess& q = b.processes[i];
    EXPECT_EQ(p.list, q.list);
    EXPECT_EQ(p.rank, q.rank);
    EXPECT_EQ(p.pid, q.pid);
    EXPECT_EQ(p.comm, q.comm);
    EXPECT_EQ(p.state, q.state);
    EXPECT_EQ(p.cpu_ratio, q.cpu_ratio);
    EXPECT_EQ(p.rss_bytes, q.rss_bytes);
    EXPECT_EQ(p.wchan, q.wchan);
  }
}

TEST(Store, CreatesTheDirectoryAndASchemaInWalMode) {
  rh::test::TempDir dir;
  std::string path = (dir / "a/b/data.db").string();
  OpenReport report;
  auto store = OpenOrFail(path, {}, &report);
  ASSERT_TRUE(store);
  EXPECT_TRUE(report.created);
  EXPECT_EQ(report.migrated_from, -1);
  EXPECT_TRUE(report.moved_aside.empty());
  EXPECT_EQ(store->schema_version(), Store::kSchemaVersion);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((dir / "a/b").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(Query(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(Query(path, "PRAGMA user_version"), std::to_string(Store::kSchemaVersion));

  store.reset();
  store = OpenOrFail(path, {}, &report);
  EXPECT_FALSE(report.created);
  EXPECT_EQ(report.migrated_from, -1);
}

TEST(Store, SamplesRoundTrip) {
  rh::test::TempDir dir;
  auto store = OpenOrFail((dir / "data.db").string());
  ASSERT_TRUE(store);
  std::vector<SampleRow> rows = {MakeRow(kNow, 1), MakeRow(kNow + 5, 2), MakeRow(kNow + 10, 3)};
  ASSERT_TRUE(store->AppendSamples(rows));
  auto read = store->Samples(-kInf, kInf);
  ASSERT_TRUE(read.ok()) << read.error().message;
  ASSERT_EQ(read->size(), 3u);
  for (std::size_t i = 0; i < rows.size(); ++i) ExpectSameRow((*read)[i], rows[i]);
  // Absent optional values are NULL, not 0.
  EXPECT_EQ(
      Query((dir / "data.db").string(), "SELECT count(*) FROM samples WHERE psi_io_full IS NULL"),
      "3");
}

TEST(Store, SamplesAreSelectedByTimeOldestFirstUpToTheLimit) {
  rh::test::TempDir dir;
  auto store = OpenOrFail((dir / "data.db").string());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->AppendSamples({MakeRow(kNow + 20, 3), MakeRow(kNow, 1)}));
  ASSERT_TRUE(store->AppendSamples({MakeRow(kNow + 10, 2), MakeRow(kNow + 30, 4)}));
  auto read = store->Samples(kNow, kNow + 20);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 3u);
  EXPECT_EQ((*read)[0].sequence, 1);
  EXPECT_EQ((*read)[1].sequence, 2);
  EXPECT_EQ((*read)[2].sequence, 3);
  auto limited = store->Samples(-kInf, kInf, 2);
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ((*limited)[1].sequence, 2);
}

TEST(Store, EventsRoundTripWithProcessNamesOfAnyBytes) {
  rh::test::TempDir dir;
  auto store = OpenOrFail((dir / "data.db").string());
  ASSERT_TRUE(store);
  EventRecord pause = MakeEvent("20261118T110640.000Z-pause", kNow);
  pause.processes.push_back(
      {"rss", 1, 300, std::string("a\0b\xff\xfe(x)\n", 9), 'S', 0.1, 1ULL << 33, "do_wait"});
  pause.processes.push_back({"cpu", 2, 301, "", 'Z', 0, 0, ""});
  EventRecord change;
  change.key = "20261118T110700.000Z-state_change";
  change.kind = EventKind::kStateChange;
  change.start_time = change.end_time = kNow + 20;
  change.state_from = "normal";
  change.state_to = "elevated";
  change.notes = std::string("score 31\xc3", 9);
  ASSERT_TRUE(store->AppendEvent(pause));
  ASSERT_TRUE(store->AppendEvent(change));

  auto events = store->Events(-kInf, kInf);
  ASSERT_TRUE(events.ok()) << events.error().message;
  ASSERT_EQ(events->size(), 2u);
  ExpectSameEvent((*events)[0], pause);
  ExpectSameEvent((*events)[1], change);
  EXPECT_EQ((*events)[0].processes[2].comm.size(), 9u);
  EXPECT_EQ(
      Query((dir / "data.db").string(), "SELECT typeof(comm) FROM event_processes WHERE pid = 300"),
      "blob");

  auto one = store->Event(pause.key);
  ASSERT_TRUE(one.ok());
  ASSERT_TRUE(one->has_value());
  ExpectSameEvent(**one, pause);
  auto none = store->Event("no-such-key");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(Store, AnEventWrittenAgainReplacesItsRowAndProcesses) {
  rh::test::TempDir dir;
  std::string path = (dir / "data.db").string();
  auto store = OpenOrFail(path);
  ASSERT_TRUE(store);
  EventRecord episode = MakeEvent("k-critical", kNow);
  episode.kind = EventKind::kCritical;
  episode.end_time = episode.start_time;
  episode.duration_seconds = 0;
  ASSERT_TRUE(store->AppendEvent(episode));
  episode.end_time = kNow + 60;
  episode.duration_seconds = 60;
  episode.processes.resize(1);
  ASSERT_TRUE(store->AppendEvent(episode));
  auto read = store->Event("k-critical");
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE(read->has_value());
  ExpectSameEvent(**read, episode);
  EXPECT_EQ(Count(path, "events"), 1);
  EXPECT_EQ(Count(path, "event_processes"), 1);
}

TEST(Store, CapturesRoundTrip) {
  rh::test::TempDir dir;
  auto store = OpenOrFail((dir / "data.db").string());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->AppendEvent(MakeEvent("k1", kNow)));
  CaptureRecord ok = MakeCapture("k1", kNow + 5);
  CaptureRecord limited = MakeCapture("k1", kNow + 6);
  limited.result = "rate_limited";
  limited.bundle_path.clear();
  limited.bytes = 0;
  limited.error = "one bundle per minute";
  // A capture may come before its event (or without one).
  CaptureRecord early = MakeCapture("k2", kNow + 7);
  early.trigger = "critical";
  ASSERT_TRUE(store->AppendCapture(limited));
  ASSERT_TRUE(store->AppendCapture(ok));
  ASSERT_TRUE(store->AppendCapture(early));

  auto read = store->Captures("k1");
  ASSERT_TRUE(read.ok()) << read.error().message;
  ASSERT_EQ(read->size(), 2u);
  const CaptureRecord& first = (*read)[0];
  EXPECT_EQ(first.event_key, "k1");
  EXPECT_EQ(first.trigger, "pause");
  EXPECT_EQ(first.result, "ok");
  EXPECT_EQ(first.bundle_path, ok.bundle_path);
  EXPECT_EQ(first.created_time, ok.created_time);
  EXPECT_EQ(first.duration_seconds, ok.duration_seconds);
  EXPECT_EQ(first.bytes, ok.bytes);
  EXPECT_EQ(first.error, "");
  EXPECT_EQ((*read)[1].result, "rate_limited");
  EXPECT_EQ((*read)[1].error, "one bundle per minute");
  auto k2 = store->Captures("k2");
  ASSERT_TRUE(k2.ok());
  ASSERT_EQ(k2->size(), 1u);
  EXPECT_EQ((*k2)[0].trigger, "critical");
}

TEST(Store, ABatchIsAllOrNothing) {
  rh::test::TempDir dir;
  std::string path = (dir / "data.db").string();
  auto store = OpenOrFail(path);
  ASSERT_TRUE(store);
  Batch batch;
  batch.samples = {MakeRow(kNow, 1), MakeRow(std::nan(""), 2)};  // NaN is NULL: NOT NULL fails.
  batch.events = {MakeEvent("k1", kNow)};
  batch.captures = {MakeCapture("k1", kNow)};
  Status status = store->Append(batch);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find(path), std::string::npos) << status.error().message;
  EXPECT_EQ(Count(path, "samples"), 0);
  EXPECT_EQ(Count(path, "events"), 0);
  EXPECT_EQ(Count(path, "captures"), 0);
  // The connection is usable afterwards.
  batch.samples.pop_back();
  ASSERT_TRUE(store->Append(batch));
  EXPECT_EQ(Count(path, "samples"), 1);
  EXPECT_EQ(Count(path, "events"), 1);
  EXPECT_EQ(Count(path, "event_processes"), 2);
  EXPECT_EQ(Count(path, "captures"), 1);
}

TEST(Store, ToSampleRowTakesTheKeySignalsOfTheRawSample) {
  analysis::ScoredSample s;
  s.sequence = 42;
  s.sample.clock.realtime_ns = 1'795'000'000'250'000'000;
  s.latency_seconds = 0.02;
  s.state = analysis::SamplingState::kCritical;
  s.interval_seconds = 1;
  s.assessment.score = 64;
  s.assessment.components = {10, 20, 30, 4, 0, 0};
  s.sample.loadavg.load1 = 3.5;
  s.sample.loadavg.online_cpus = 4;
  s.sample.stat.procs_running = 5;
  s.sample.stat.procs_blocked = 2;
  s.sample.stat.total = {1, 2, 3, 4, 5, 6, 7, 8, 100, 200};  // guest time is already in user/nice
  auto& psi = s.sample.pressure;
  psi[collectors::PsiKind::kCpu].available = true;
  psi[collectors::PsiKind::kCpu].some = collectors::PsiLine{12.5, 0, 0, 0};
  psi[collectors::PsiKind::kIo].available = true;
  psi[collectors::PsiKind::kIo].some = collectors::PsiLine{1.5, 0, 0, 0};
  psi[collectors::PsiKind::kIo].full = collectors::PsiLine{0.5, 0, 0, 0};
  psi[collectors::PsiKind::kMemory].available = false;  // e.g. psi=0
  psi[collectors::PsiKind::kMemory].some = collectors::PsiLine{99, 0, 0, 0};
  s.sample.meminfo.total = 1000;
  s.sample.meminfo.available = 400;
  s.sample.meminfo.swap_total = 300;
  s.sample.meminfo.swap_free = 200;
  s.sample.vmstat = {1, 2, 3, 4, 5, 6, 7, 8};
  s.sample.thermal.zones = {{"thermal_zone0", "acpitz", 45}, {"thermal_zone1", "x86_pkg", 71.5}};
  s.sample.thermal.core_throttles = 9;
  s.sample.thermal.package_throttles = 2;

  SampleRow r = ToSampleRow(s);
  EXPECT_DOUBLE_EQ(r.time, 1'795'000'000.25);
  EXPECT_EQ(r.sequence, 42);
  EXPECT_EQ(r.interval_seconds, 1);
  EXPECT_EQ(r.state, "critical");
  EXPECT_EQ(r.score, 64);
  EXPECT_EQ(r.components[2], 30);
  EXPECT_EQ(r.latency_seconds, 0.02);
  EXPECT_EQ(r.load1, 3.5);
  EXPECT_EQ(r.cpus, 4u);
  EXPECT_EQ(r.procs_running, 5u);
  EXPECT_EQ(r.procs_blocked, 2u);
  EXPECT_EQ(r.cpu_total_seconds, 36);
  EXPECT_EQ(r.cpu_iowait_seconds, 5);
  EXPECT_EQ(r.cpu_steal_seconds, 8);
  EXPECT_EQ(r.psi_cpu_some, 12.5);
  EXPECT_EQ(r.psi_io_some, 1.5);
  EXPECT_EQ(r.psi_io_full, 0.5);
  EXPECT_EQ(r.psi_memory_some, std::nullopt);
  EXPECT_EQ(r.psi_memory_full, std::nullopt);
  EXPECT_EQ(r.memory_total, 1000u);
  EXPECT_EQ(r.memory_available, 400u);
  EXPECT_EQ(r.swap_total, 300u);
  EXPECT_EQ(r.swap_free, 200u);
  EXPECT_EQ(r.pswpin, 1u);
  EXPECT_EQ(r.pswpout, 2u);
  EXPECT_EQ(r.pgpgin, 3u);
  EXPECT_EQ(r.pgpgout, 4u);
  EXPECT_EQ(r.pgmajfault, 5u);
  EXPECT_EQ(r.thermal_throttles, 9u);
  EXPECT_EQ(r.max_temperature, 71.5);

  s.sample.thermal.zones.clear();
  EXPECT_EQ(ToSampleRow(s).max_temperature, std::nullopt);
}

// --- Migrations ------------------------------------------------------------------------------

TEST(StoreMigration, FromAnEmptyFile) {
  rh::test::TempDir dir;
  auto path = dir.Write("data.db", "");
  OpenReport report;
  auto store = OpenOrFail(path.string(), {}, &report);
  ASSERT_TRUE(store);
  EXPECT_FALSE(report.created);
  EXPECT_EQ(report.migrated_from, 0);
  EXPECT_EQ(store->schema_version(), Store::kSchemaVersion);
  ASSERT_TRUE(store->AppendSamples({MakeRow(kNow, 1)}));
  ASSERT_TRUE(store->AppendCapture(MakeCapture("k", kNow)));
}

TEST(StoreMigration, FromVersion1KeepsItsRows) {
  rh::test::TempDir dir;
  std::string path = (dir / "data.db").string();
  ASSERT_TRUE(Store::MigrateForTest(path, 1));
  EXPECT_EQ(Query(path, "PRAGMA user_version"), "1");
  EXPECT_EQ(Query(path, "SELECT count(*) FROM sqlite_master WHERE name = 'captures'"), "0");
  // Rows as a version-1 writer left them.
  ASSERT_EQ(Query(path,
                  "INSERT INTO samples (time, sequence, interval_seconds, state, score, "
                  "load_points, cpu_points, io_points, memory_points, thermal_points, "
                  "latency_points, latency_seconds, load1, cpus, procs_running, procs_blocked, "
                  "cpu_total_seconds, cpu_iowait_seconds, cpu_steal_seconds, psi_cpu_some, "
                  "memory_total, memory_available, swap_total, swap_free, pswpin, pswpout, "
                  "pgmajfault, pgpgin, pgpgout, thermal_throttles) VALUES (1795000000, 7, 5, "
                  "'normal', 3.5, 1, 2, 0.5, 0, 0, 0, 0.001, 0.5, 2, 1, 0, 100, 1, 0, 0.25, 1000, "
                  "500, 0, 0, 0, 0, 0, 10, 20, 0)"),
            "");
  ASSERT_EQ(Query(path,
                  "INSERT INTO events (key, kind, start_time, end_time, duration_seconds, "
                  "score_before, state_from, state_to, notes) VALUES ('k-v1', 'pause', "
                  "1795000000, 1795000002, 2, 10, '', '', 'from v1')"),
            "");
  ASSERT_EQ(Query(path,
                  "INSERT INTO event_processes (event_id, list, rank, pid, comm, state, cpu_ratio, "
                  "rss_bytes, wchan) VALUES (1, 'cpu', 1, 42, x'6100ff', 'R', 1.0, 4096, '')"),
            "");

  // A reader of the new version reads the old file without changing it.
  {
    auto reader = OpenOrFail(path, ReadOnly());
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->schema_version(), 1);
    auto captures = reader->Captures("k-v1");
    ASSERT_TRUE(captures.ok());
    EXPECT_TRUE(captures->empty());
  }
  EXPECT_EQ(Query(path, "PRAGMA user_version"), "1");

  OpenReport report;
  auto store = OpenOrFail(path, {}, &report);
  ASSERT_TRUE(store);
  EXPECT_EQ(report.migrated_from, 1);
  EXPECT_FALSE(report.created);
  EXPECT_EQ(store->schema_version(), Store::kSchemaVersion);
  EXPECT_EQ(Query(path, "PRAGMA user_version"), std::to_string(Store::kSchemaVersion));
  auto samples = store->Samples(-kInf, kInf);
  ASSERT_TRUE(samples.ok());
  ASSERT_EQ(samples->size(), 1u);
  EXPECT_EQ((*samples)[0].sequence, 7);
  EXPECT_EQ((*samples)[0].psi_cpu_some, 0.25);
  EXPECT_EQ((*samples)[0].psi_io_some, std::nullopt);
  EXPECT_EQ((*samples)[0].pgpgout, 20u);
  auto event = store->Event("k-v1");
  ASSERT_TRUE(event.ok());
  ASSERT_TRUE(event->has_value());
  EXPECT_EQ((*event)->notes, "from v1");
  ASSERT_EQ((*event)->processes.size(), 1u);
  EXPECT_EQ((*event)->processes[0].comm, std::string("a\0\xff", 3));
  ASSERT_TRUE(store->AppendCapture(MakeCapture("k-v1", kNow + 3)));
  auto captures = store->Captures("k-v1");
  ASSERT_TRUE(captures.ok());
  EXPECT_EQ(captures->size(), 1u);
}

TEST(StoreMigration, ANewerSchemaIsRefusedAndLeftAlone) {
  rh::test::TempDir dir;
  std::string path = (dir / "data.db").string();
  ASSERT_TRUE(Store::MigrateForTest(path, Store::kSchemaVersion));
  const std::string newer = std::to_string(Store::kSchemaVersion + 1);
  ASSERT_EQ(Query(path, "PRAGMA user_version = " + newer), "");

  auto reader = Store::Open(path, ReadOnly());
  ASSERT_FALSE(reader.ok());
  const std::string& message = reader.error().message;
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("version " + newer), std::string::npos) << message;
  EXPECT_NE(message.find("program's " + std::to_string(Store::kSchemaVersion)), std::string::npos)
      << message;

  OpenReport report;
  auto writer = Store::Open(path, {}, &report);
  ASSERT_FALSE(writer.ok());
  EXPECT_NE(writer.error().message.find("version " + newer), std::string::npos);
  EXPECT_TRUE(report.moved_aside.empty());
  EXPECT_EQ(Query(path, "PRAGMA user_version"), newer);
}

// --- Read-only mode and unusable paths ------------------------------------------------------

TEST(StoreReadOnly, AMissingFileIsAnErrorAndIsNotCreated) {
  rh::test::TempDir dir;
  std::string path = (dir / "sub/data.db").string();
  auto store = Store::Open(path, ReadOnly());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find(path), std::string::npos) << store.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir / "sub"));
}

TEST(StoreReadOnly, AFileThatIsNotADatabaseIsAnErrorNamingIt) {
  rh::test::TempDir dir;
  std::string garbage(8192, 'x');
  auto path = dir.Write("data.db", garbage);
  auto store = Store::Open(path.string(), ReadOnly());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find(path.string()), std::string::npos);
  EXPECT_NE(store.error().message.find("not a rogue-hunter history database"), std::string::npos)
      << store.error().message;
  EXPECT_EQ(rh::test::ReadFileOrFail(path), garbage);
}

TEST(StoreReadOnly, ReadsButNeverWrites) {
  rh::test::TempDir dir;
  std::string path = (dir / "data.db").string();
  {
    auto writer = OpenOrFail(path);
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer->AppendSamples({MakeRow(kNow, 1)}));
  }
  auto reader = OpenOrFail(path, ReadOnly());
  ASSERT_TRUE(reader);
  auto rows = reader->Samples(-kInf, kInf);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 1u);
  EXPECT_FALSE(reader->AppendSamples({MakeRow(kNow + 1, 2)}));
  EXPECT_EQ(Count(path, "samples"), 1);
}

TEST(Store, ADirectoryThatCannotBeCreatedIsAnErrorNamingThePath) {
  rh::test::TempDir dir;
  dir.Write("blocker", "a regular file");
  std::string path = (dir / "blocker/data/data.db").string();
  auto store = Store::Open(path, {});
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find(path), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("Not a directory"), std::string::npos)
      << store.error().message;
}

// --- A data directory others could tamper with (the daemon runs as root) ---------------------

unsigned ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(StoreSafety, ADatabaseFileThatIsASymlinkIsRefusedAndItsTargetLeftAlone) {
  rh::test::TempDir dir;
  auto target = dir.Write("elsewhere/precious", "not a database");
  std::string path = (dir / "data/data.db").string();
  std::filesystem::create_directories(dir / "data");
  ::chmod((dir / "data").c_str(), 0700);
  std::filesystem::create_symlink(target, path);
  for (bool read_only : {false, true}) {
    SCOPED_TRACE(read_only);
    Store::Options options;
    options.read_only = read_only;
    auto store = Store::Open(path, options);
    ASSERT_FALSE(store.ok());
    EXPECT_NE(store.error().message.find(path + ": is a symbolic link"), std::string::npos)
        << store.error().message;
  }
  EXPECT_EQ(rh::test::ReadFileOrFail(target), "not a database");
  EXPECT_FALSE(std::filesystem::exists(target.string() + "-wal"));
  EXPECT_FALSE(std::filesystem::exists(path + ".corrupt-19700101T000000Z"));
}

TEST(StoreSafety, ADataDirectoryThatIsALinkOthersCanWriteOrAnotherUsersIsRefused) {
  rh::test::TempDir dir;
  std::filesystem::create_directories(dir / "real");
  ::chmod((dir / "real").c_str(), 0700);
  std::filesystem::create_directory_symlink(dir / "real", dir / "data");
  auto link = Store::Open((dir / "data/data.db").string(), {});
  ASSERT_FALSE(link.ok());
  EXPECT_NE(link.error().message.find((dir / "data").string() + ": is a symbolic link"),
            std::string::npos)
      << link.error().message;
  EXPECT_NE(link.error().message.find("set storage.database"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "real/data.db")) << "nothing created through it";

  const std::string path = (dir / "real/data.db").string();
  ::chmod((dir / "real").c_str(), 0777);
  auto shared = Store::Open(path, {});
  ASSERT_FALSE(shared.ok());
  EXPECT_NE(shared.error().message.find((dir / "real").string() +
                                        ": is writable by group or others (mode 0777)"),
            std::string::npos)
      << shared.error().message;
  EXPECT_NE(shared.error().message.find("chmod go-w"), std::string::npos);
  ::chmod((dir / "real").c_str(), 0720);
  EXPECT_FALSE(Store::Open(path, {}).ok()) << "group-writable";

  ::chmod((dir / "real").c_str(), 0700);
  ASSERT_EQ(::chown((dir / "real").c_str(), 65534, 65534), 0);
  auto foreign = Store::Open(path, {});
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().message.find("belongs to uid 65534"), std::string::npos)
      << foreign.error().message;
  EXPECT_FALSE(std::filesystem::exists(path));

  ASSERT_EQ(::chown((dir / "real").c_str(), ::geteuid(), ::getegid()), 0);
  EXPECT_TRUE(OpenOrFail(path));
}

TEST(StoreSafety, TheDatabaseAndItsWalAndShmArePrivateWhateverTheUmask) {
  rh::test::TempDir dir;
  const std::string path = (dir / "data.db").string();
  const mode_t old = ::umask(0);
  {
    auto store = OpenOrFail(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->AppendSamples({MakeRow(kNow, 1)}));
    EXPECT_EQ(ModeOf(path), 0600u);
    EXPECT_EQ(ModeOf(path + "-wal"), 0600u);
    EXPECT_EQ(ModeOf(path + "-shm"), 0600u);
  }
  // A file an older version left readable by all is made private when opened.
  ::chmod(path.c_str(), 0644);
  {
    auto store = OpenOrFail(path);
    ASSERT_TRUE(store);
    EXPECT_EQ(ModeOf(path), 0600u);
    ASSERT_TRUE(store->AppendSamples({MakeRow(kNow + 1, 2)}));
    EXPECT_EQ(ModeOf(path + "-wal"), 0600u);
  }
  ::umask(old);
}

// --- Retention ------------------------------------------------------------------------------

TEST(StoreRetention, DeletesOldRowsInBatchesWithEverythingOfTheirEvents) {
  rh::test::TempDir dir;
  std::string path = (dir / "data.db").string();
  auto store = OpenOrFail(path);
  ASSERT_TRUE(store);
  const double samples_cutoff = kNow - 30 * 86400.0;
  const double events_cutoff = kNow - 90 * 86400.0;
  std::vector<SampleRow> rows;
  for (int i = 0; i < 25; ++i) rows.push_back(MakeRow(samples_cutoff - 1000 + i, i));
  for (int i = 0; i < 5; ++i) rows.push_back(MakeRow(samples_cutoff + i, 100 + i));
  ASSERT_TRUE(store->AppendSamples(rows));
  for (int i = 0; i < 3; ++i) {
    std::string key = "old-" + std::to_string(i);
    ASSERT_TRUE(store->AppendEvent(MakeEvent(key, events_cutoff - 100 + i)));
    ASSERT_TRUE(store->AppendCapture(MakeCapture(key, events_cutoff - 50 + i)));
  }
  // Samples older than their cut-off, but not events: the event cut-off applies.
  ASSERT_TRUE(store->AppendEvent(MakeEvent("recent", samples_cutoff - 86400)));
  ASSERT_TRUE(store->AppendCapture(MakeCapture("recent", samples_cutoff - 86400)));
  ASSERT_TRUE(store->AppendCapture(MakeCapture("orphan", events_cutoff - 10)));

  std::vector<std::uint64_t> deleted;
  for (;;) {
    auto n = store->Prune(samples_cutoff, events_cutoff, 10);
    ASSERT_TRUE(n.ok()) << n.error().message;
    deleted.push_back(*n);
    if (*n < 10) break;
    ASSERT_LT(deleted.size(), 20u);
  }
  // 25 samples, then 3 events with 2 processes and 1 capture each (cascades), then the orphan.
  std::uint64_t total = 0;
  for (auto n : deleted) total += n;
  EXPECT_EQ(total, 25u + 3u * 4u + 1u);
  EXPECT_GE(deleted.size(), 3u);
  EXPECT_EQ(deleted[0], 10u);
  EXPECT_EQ(deleted[1], 10u);

  EXPECT_EQ(Count(path, "samples"), 5);
  EXPECT_EQ(Query(path, "SELECT min(sequence) FROM samples"), "100");
  EXPECT_EQ(Count(path, "events"), 1);
  EXPECT_EQ(Query(path, "SELECT key FROM events"), "recent");
  EXPECT_EQ(Count(path, "event_processes"), 2);
  EXPECT_EQ(Count(path, "captures"), 1);
  EXPECT_EQ(Query(path, "SELECT event_key FROM captures"), "recent");

  auto again = store->Prune(samples_cutoff, events_cutoff, 10);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);
}

// --- Concurrency ----------------------------------------------------------------------------

TEST(StoreConcurrency, AReaderSeesOnlyCommittedTransactionsWhileAWriterWrites) {
  rh::test::TempDir dir;
  std::string path = (dir / "data.db").string();
  auto writer = OpenOrFail(path);
  ASSERT_TRUE(writer);
  constexpr int kPerTransaction = 7;
  constexpr int kTransactions = 300;
  std::atomic<bool> done{false};
  std::atomic<int> committed{0};
  std::string writer_error;
  std::thread writing([&] {
    for (int t = 0; t < kTransactions; ++t) {
      std::vector<SampleRow> rows;
      for (int i = 0; i < kPerTransaction; ++i) rows.push_back(MakeRow(kNow + t, t * 10 + i));
      if (auto s = writer->AppendSamples(rows); !s) {
        writer_error = s.error().message;
        break;
      }
      committed += kPerTransaction;
    }
    done = true;
  });

  auto reader = OpenOrFail(path, ReadOnly());
  ASSERT_TRUE(reader);
  std::size_t last = 0;
  int reads = 0;
  while (!done || reads < 3) {
    int before = committed.load();
    auto rows = reader->Samples(-kInf, kInf);
    int after = committed.load();
    ASSERT_TRUE(rows.ok()) << rows.error().message;
    ++reads;
    EXPECT_EQ(rows->size() % kPerTransaction, 0u) << "saw part of a transaction";
    EXPECT_GE(rows->size(), last);
    EXPECT_GE(static_cast<int>(rows->size()), before - kPerTransaction);
    EXPECT_LE(static_cast<int>(rows->size()), after + kPerTransaction);
    last = rows->size();
  }
  writing.join();
  EXPECT_EQ(writer_error, "");
  EXPECT_GT(reads, 3);
  auto all = reader->Samples(-kInf, kInf);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), static_cast<std::size_t>(kPerTransaction * kTransactions));
}

TEST(StoreConcurrency, AReaderProcessReadsWhileThisProcessWrites) {
  rh::test::TempDir dir;
  std::string path = (dir / "data.db").string();
  auto writer = OpenOrFail(path);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->AppendSamples({MakeRow(kNow, 0), MakeRow(kNow, 1), MakeRow(kNow, 2)}));
  auto child = rh::test::Subprocess::Start(
      {rh::test::BinaryPath("tests/forensics/store_writer_child").string(), "read", path, "100"});
  int transactions = 0;
  while (child.Running() && transactions < 2000) {
    ASSERT_TRUE(writer->AppendSamples({MakeRow(kNow, 0), MakeRow(kNow, 1), MakeRow(kNow, 2)}));
    ++transactions;
  }
  auto code = child.WaitExit(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << child.Stderr();
  std::istringstream lines(child.Stdout());
  std::string line;
  long last = 0;
  int reads = 0;
  while (std::getline(lines, line)) {
    long n = std::stol(line);
    EXPECT_EQ(n % 3, 0) << "saw part of a transaction";
    EXPECT_GE(n, last);
    last = n;
    ++reads;
  }
  EXPECT_EQ(reads, 100);
  EXPECT_GT(transactions, 0);
}

// --- Space ----------------------------------------------------------------------------------

// A database as a version before incremental vacuum made it: auto_vacuum = NONE, then migrated.
void OldStyleDatabase(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE filler(x);", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  ASSERT_TRUE(Store::Open(path, {}).ok());
}

TEST(StoreSpace, PrunedRowsGiveTheirSpaceBack) {
  rh::test::TempDir dir;
  const std::string path = (dir / "data.db").string();
  auto store = OpenOrFail(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(Query(path, "PRAGMA auto_vacuum"), "2") << "incremental from the start";
  std::vector<SampleRow> rows;
  for (int i = 0; i < 20000; ++i) rows.push_back(MakeRow(kNow + i, i));
  ASSERT_TRUE(store->AppendSamples(rows));
  Query(path, "PRAGMA wal_checkpoint(TRUNCATE)");
  const auto full = std::filesystem::file_size(path);
  ASSERT_GT(full, 3'000'000u);
  for (;;) {
    auto deleted = store->Prune(kNow + 19000, -kInf, 5000);
    ASSERT_TRUE(deleted.ok());
    if (*deleted < 5000) break;
  }
  EXPECT_EQ(std::filesystem::file_size(path), full) << "deleting alone frees nothing";
  std::int64_t steps = 0;
  for (;;) {
    auto free_pages = store->ReleaseFreePages(256);
    ASSERT_TRUE(free_pages.ok()) << free_pages.error().message;
    ++steps;
    if (*free_pages <= 256) break;
  }
  EXPECT_GT(steps, 3) << "in small transactions";
  EXPECT_LT(std::filesystem::file_size(path), full / 10);
  EXPECT_EQ(Count(path, "samples"), 1000);
  EXPECT_EQ(Query(path, "PRAGMA quick_check"), "ok");
}

TEST(StoreSpace, AnOlderFileIsConvertedOnceKeepingItsRows) {
  rh::test::TempDir dir;
  const std::string path = (dir / "data.db").string();
  OldStyleDatabase(path);
  auto store = OpenOrFail(path);
  ASSERT_TRUE(store);
  std::vector<SampleRow> rows;
  for (int i = 0; i < 2000; ++i) rows.push_back(MakeRow(kNow - 10000 + i, i));
  rows.push_back(MakeRow(kNow, 1));
  rows.push_back(MakeRow(kNow + 1, 2));
  ASSERT_TRUE(store->AppendSamples(rows));
  ASSERT_TRUE(store->Prune(kNow - 1, -kInf, 5000).ok());
  ASSERT_NE(Query(path, "PRAGMA freelist_count"), "0");
  auto before = store->IncrementalVacuumEnabled();
  ASSERT_TRUE(before.ok());
  EXPECT_FALSE(*before);
  auto none = store->ReleaseFreePages(10);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0) << "nothing can be returned before the conversion, so nothing waits";
  ASSERT_TRUE(store->EnableIncrementalVacuum().ok());
  auto after = store->IncrementalVacuumEnabled();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(*after);
  EXPECT_EQ(Query(path, "PRAGMA auto_vacuum"), "2");
  EXPECT_EQ(Count(path, "samples"), 2);
  EXPECT_TRUE(store->EnableIncrementalVacuum().ok()) << "a no-op the second time";
}

// --- Corruption -----------------------------------------------------------------------------

TEST(StoreCorruption, AFileOfGarbageIsMovedAsideAndReplaced) {
  rh::test::TempDir dir;
  std::string path = (dir / "data.db").string();
  std::string garbage(10000, '\x5a');
  dir.Write("data.db", garbage);
  dir.Write("data.db-wal", "not a wal either");
  Store::Options options;
  options.now = kNow;
  OpenReport report;
  auto store = OpenOrFail(path, options, &report);
  ASSERT_TRUE(store);
  EXPECT_EQ(report.moved_aside, path + ".corrupt-20261118T110640Z");
  EXPECT_TRUE(report.created);
  EXPECT_NE(report.corruption.find("not a database"), std::string::npos) << report.corruption;
  EXPECT_EQ(rh::test::ReadFileOrFail(report.moved_aside), garbage);
  EXPECT_EQ(rh::test::ReadFileOrFail(report.moved_aside + "-wal"), "not a wal either");
  ASSERT_TRUE(store->AppendSamples({MakeRow(kNow, 1)}));
  EXPECT_EQ(Count(path, "samples"), 1);

  // The same second again: the name gets a suffix rather than replacing the first.
  store.reset();
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  dir.Write("data.db", garbage);
  store = OpenOrFail(path, options, &report);
  ASSERT_TRUE(store);
  EXPECT_EQ(report.moved_aside, path + ".corrupt-20261118T110640Z-2");
  EXPECT_TRUE(std::filesystem::exists(path + ".corrupt-20261118T110640Z"));
}

// Writes 3000 samples, closes the file cleanly (no WAL left) and overwrites a page in its middle.
// Returns the file's size.
std::uintmax_t DamagedDatabase(const std::string& path, double first_time = kNow) {
  {
    auto store = OpenOrFail(path);
    EXPECT_TRUE(store);
    if (!store) return 0;
    std::vector<SampleRow> rows;
    for (int i = 0; i < 3000; ++i) rows.push_back(MakeRow(first_time + i, i));
    EXPECT_TRUE(store->AppendSamples(rows));
  }  // Closing the last connection checkpoints the WAL into the file and deletes it.
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
  auto size = std::filesystem::file_size(path);
  EXPECT_GT(size, 100u * 4096u);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  std::string junk(4096, '\x77');
  f.seekp(static_cast<std::streamoff>((size / 4096 / 2) * 4096));
  f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  return size;
}

TEST(StoreCorruption, TheFullCheckAtOpenRunsOnlyAfterAnUncleanCloseWhenAsked) {
  rh::test::TempDir dir;
  std::string path = (dir / "data.db").string();
  DamagedDatabase(path);
  Store::Options options;
  options.now = kNow;
  options.integrity_check = Store::Options::Check::kAfterUncleanClose;
  {
    OpenReport report;
    auto store = OpenOrFail(path, options, &report);
    ASSERT_TRUE(store);
    EXPECT_FALSE(report.full_check) << "closed cleanly: the header and schema are enough";
    EXPECT_TRUE(report.moved_aside.empty());
    auto problems = store->IntegrityProblems();
    ASSERT_TRUE(problems.ok()) << problems.error().message;
    EXPECT_NE(*problems, "") << "the check on demand finds the damage";
  }
  // A writer that died leaves its WAL behind: the full check runs, and moves the file aside.
  std::ofstream(path + "-wal").close();
  OpenReport report;
  auto store = OpenOrFail(path, options, &report);
  ASSERT_TRUE(store);
  EXPECT_TRUE(report.full_check);
  EXPECT_EQ(report.moved_aside, path + ".corrupt-20261118T110640Z");
  EXPECT_EQ(Count(path, "samples"), 0);
}

TEST(StoreCorruption, ADamagedPageFailsQuickCheckAndIsMovedAside) {
  rh::test::TempDir dir;
  std::string path = (dir / "data.db").string();
  {
    auto store = OpenOrFail(path);
    ASSERT_TRUE(store);
    std::vector<SampleRow> rows;
    for (int i = 0; i < 3000; ++i) rows.push_back(MakeRow(kNow + i, i));
    ASSERT_TRUE(store->AppendSamples(rows));
  }  // Closing the last connection checkpoints the WAL into the file.
  ASSERT_FALSE(std::filesystem::exists(path + "-wal"));
  auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 100u * 4096u);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    std::string junk(4096, '\x77');
    f.seekp(static_cast<std::streamoff>((size / 4096 / 2) * 4096));
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  EXPECT_NE(Query(path, "PRAGMA quick_check"), "ok");

  OpenReport report;
  Store::Options options;
  options.now = kNow;
  auto store = OpenOrFail(path, options, &report);
  ASSERT_TRUE(store);
  EXPECT_EQ(report.moved_aside, path + ".corrupt-20261118T110640Z");
  EXPECT_FALSE(report.corruption.empty());
  EXPECT_EQ(std::filesystem::file_size(report.moved_aside), size);
  EXPECT_EQ(Count(path, "samples"), 0);
  EXPECT_EQ(Query(path, "PRAGMA quick_check"), "ok");
}

}  // namespace
}  // namespace rh::forensics

// The history database at 30 days of samples (docs/benchmarks.md, "History store at 30 days"):
//
//   store_startup [--days N] [--runs N] [DIR]
//
// builds, in DIR (default: a fresh directory under $TMPDIR or /tmp, removed afterwards), the file
// that N days (default 30) of sampling at the normal 5 s interval leave, with an event an hour,
// as a version before incremental vacuum made it (auto_vacuum NONE). Then it times:
//  - opening it as the history writer does at start-up: with the full integrity check at every
//    open (as before) and with it only after an unclean close (now), each --runs times (default
//    5), page cache warm; prints the medians and their ratio;
//  - the one-time VACUUM that converts it to incremental vacuum;
//  - pruning half of it, then giving the space back in steps of 512 pages (the writer's steps);
//    prints the file size at each stage.
// Prints one "name value" line per figure; bench/run.sh checks the open ratio.
// The reference file is made with SQLite directly, so this file includes sqlite3.h.
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "forensics/store.h"

namespace {

using rh::forensics::Store;
using Seconds = std::chrono::duration<double>;

constexpr double kStart = 1'795'000'000;  // 2026-11-18T11:06:40Z
constexpr double kInterval = 5;

rh::forensics::SampleRow Row(double time, std::int64_t sequence) {
  rh::forensics::SampleRow r;
  r.time = time;
  r.sequence = sequence;
  r.interval_seconds = kInterval;
  r.state = "normal";
  r.score = 7.5 + static_cast<double>(sequence % 20);
  r.components = {2.5, 1, 4, 0, 0, 0};
  r.latency_seconds = 0.0012;
  r.load1 = 0.42;
  r.cpus = 8;
  r.procs_running = 2;
  r.cpu_total_seconds = 812345.67 + static_cast<double>(sequence) * 40;
  r.cpu_iowait_seconds = 1234.5 + static_cast<double>(sequence) * 0.1;
  r.cpu_steal_seconds = 56.25;
  r.psi_cpu_some = 0.5;
  r.psi_io_some = 0.12;
  r.psi_io_full = 0.05;
  r.psi_memory_some = 0;
  r.psi_memory_full = 0;
  r.memory_total = 16ULL << 30;
  r.memory_available = (9ULL << 30) + static_cast<std::uint64_t>(sequence % 1000) * 4096;
  r.swap_total = 2ULL << 30;
  r.swap_free = 1ULL << 30;
  r.pswpin = static_cast<std::uint64_t>(sequence);
  r.pswpout = static_cast<std::uint64_t>(sequence) * 2;
  r.pgmajfault = static_cast<std::uint64_t>(sequence) * 3;
  r.pgpgin = static_cast<std::uint64_t>(sequence) * 1000;
  r.pgpgout = static_cast<std::uint64_t>(sequence) * 800;
  return r;
}

rh::forensics::EventRecord Event(double time, int n) {
  rh::forensics::EventRecord e;
  e.key = "event-" + std::to_string(n);
  e.start_time = time;
  e.end_time = time + 1.5;
  e.duration_seconds = 1.5;
  e.score_before = 12;
  for (int rank = 1; rank <= 5; ++rank) {
    e.processes.push_back(
        {"cpu", rank, 1000 + rank, "worker-" + std::to_string(rank), 'R', 0.5, 100ULL << 20, ""});
    e.processes.push_back({"rss", rank, 2000 + rank, "java", 'S', 0.1, 1ULL << 30, ""});
  }
  return e;
}

void Fail(const std::string& what) {
  std::fprintf(stderr, "store_startup: %s\n", what.c_str());
  std::exit(1);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double MiB(const std::string& path) {
  return static_cast<double>(std::filesystem::file_size(path)) / (1 << 20);
}

}  // namespace

int main(int argc, char** argv) {
  int days = 30, runs = 5;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--days" && i + 1 < argc) {
      days = std::atoi(argv[++i]);
    } else if (arg == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else {
      dir = arg;
    }
  }
  bool remove = false;
  if (dir.empty()) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base ? base : "/tmp") + "/rh-store-startup-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) Fail("cannot create a directory");
    dir = pattern;
    remove = true;
  }
  const std::string path = dir + "/data.db";
  std::filesystem::remove(path);

  // A file of the older kind: auto_vacuum NONE, then the schema and N days of rows.
  {
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE filler(x);", nullptr, nullptr,
                     nullptr) != SQLITE_OK) {
      Fail(path + ": cannot create");
    }
    sqlite3_close(db);
    auto store = Store::Open(path, {});
    if (!store) Fail(store.error().message);
    const auto samples = static_cast<std::int64_t>(days * 86400 / kInterval);
    std::vector<rh::forensics::SampleRow> batch;
    for (std::int64_t i = 0; i < samples; ++i) {
      batch.push_back(Row(kStart + static_cast<double>(i) * kInterval, i));
      if (batch.size() == 10000 || i + 1 == samples) {
        if (auto s = (*store)->AppendSamples(batch); !s) Fail(s.error().message);
        batch.clear();
      }
    }
    for (int h = 0; h < days * 24; ++h) {
      if (auto s = (*store)->AppendEvent(Event(kStart + h * 3600.0, h)); !s) {
        Fail(s.error().message);
      }
    }
    std::printf("samples %lld\nevents %d\n", static_cast<long long>(samples), days * 24);
  }
  std::printf("file_mib %.1f\n", MiB(path));

  auto time_open = [&](Store::Options::Check check) {
    std::vector<double> seconds;
    for (int r = 0; r < runs; ++r) {
      Store::Options options;
      options.integrity_check = check;
      const auto begin = std::chrono::steady_clock::now();
      auto store = Store::Open(path, options);
      const auto end = std::chrono::steady_clock::now();
      if (!store) Fail(store.error().message);
      seconds.push_back(Seconds(end - begin).count());
    }
    return Median(seconds);
  };
  time_open(Store::Options::Check::kAlways);  // warms the page cache
  const double before = time_open(Store::Options::Check::kAlways);
  const double after = time_open(Store::Options::Check::kAfterUncleanClose);
  std::printf("open_full_check_s %.4f\nopen_cheap_check_s %.4f\nopen_ratio %.4f\n", before, after,
              after / before);

  auto store = Store::Open(path, {});
  if (!store) Fail(store.error().message);
  auto begin = std::chrono::steady_clock::now();
  if (auto s = (*store)->EnableIncrementalVacuum(); !s) Fail(s.error().message);
  std::printf("convert_vacuum_s %.2f\nfile_mib_converted %.1f\n",
              Seconds(std::chrono::steady_clock::now() - begin).count(), MiB(path));

  begin = std::chrono::steady_clock::now();
  std::uint64_t pruned = 0;
  for (;;) {
    auto deleted = (*store)->Prune(kStart + days * 86400.0 / 2, kStart + days * 86400.0 / 2, 5000);
    if (!deleted) Fail(deleted.error().message);
    pruned += *deleted;
    if (*deleted < 5000) break;
  }
  std::printf("prune_rows %llu\nprune_s %.2f\nfile_mib_pruned %.1f\n",
              static_cast<unsigned long long>(pruned),
              Seconds(std::chrono::steady_clock::now() - begin).count(), MiB(path));
  begin = std::chrono::steady_clock::now();
  int steps = 0;
  for (;;) {
    auto free_pages = (*store)->ReleaseFreePages(512);
    if (!free_pages) Fail(free_pages.error().message);
    ++steps;
    if (*free_pages <= 512) break;
  }
  std::printf("vacuum_steps %d\nvacuum_s %.2f\nfile_mib_vacuumed %.1f\n", steps,
              Seconds(std::chrono::steady_clock::now() - begin).count(), MiB(path));
  store->reset();
  if (remove) std::filesystem::remove_all(dir);
  return 0;
}

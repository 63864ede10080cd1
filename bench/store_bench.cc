// The cost of one stored sample: Store::AppendSamples of one row in its own transaction, as the
// history writer does once per sampler pass, against the floor of SQLite itself, one INSERT of
// one integer in its own transaction, on a file with the same settings (WAL, synchronous=NORMAL).
// The reference speaks to SQLite directly, so this file includes sqlite3.h.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "forensics/store.h"

namespace {

// A fresh directory under $TMPDIR (or /tmp), removed with its files.
class ScratchDir {
 public:
  ScratchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/rh-store-bench-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  bool ok() const { return !path_.empty(); }

 private:
  std::string path_;
};

// A row as the sampler produces it on a machine with PSI and no thermal zones.
rh::forensics::SampleRow TypicalRow() {
  rh::forensics::SampleRow r;
  r.time = 1'795'000'000.123;
  r.interval_seconds = 5;
  r.state = "normal";
  r.score = 7.5;
  r.components = {2.5, 1, 4, 0, 0, 0};
  r.latency_seconds = 0.0012;
  r.cpu_total_seconds = 812345.67;
  r.psi_cpu_some = 0.5;
  r.psi_io_some = 0.12;
  r.psi_io_full = 0.05;
  r.psi_memory_some = 0;
  r.psi_memory_full = 0;
  r.fields = {{"load1", 0.42},
              {"cpus", std::int64_t{2}},
              {"procs_running", std::int64_t{1}},
              {"procs_blocked", std::int64_t{0}},
              {"cpu_iowait_seconds", 1234.5},
              {"cpu_steal_seconds", 56.25},
              {"memory_total", std::int64_t{4} << 30},
              {"memory_available", std::int64_t{3} << 30},
              {"swap_total", std::int64_t{1} << 30},
              {"swap_free", std::int64_t{1} << 30},
              {"pswpin", std::int64_t{12}},
              {"pswpout", std::int64_t{34}},
              {"pgmajfault", std::int64_t{5678}},
              {"pgpgin", std::int64_t{123456789}},
              {"pgpgout", std::int64_t{987654321}},
              {"thermal_throttles", std::int64_t{0}}};
  return r;
}

void BM_StoreOneSample(benchmark::State& state) {
  ScratchDir dir;
  auto store = rh::forensics::Store::Open(dir.File("data.db"), {});
  if (!dir.ok() || !store.ok()) {
    state.SkipWithError(store.ok() ? "mkdtemp failed" : store.error().message.c_str());
    return;
  }
  std::vector<rh::forensics::SampleRow> rows = {TypicalRow()};
  for (auto _ : state) {
    rows[0].sequence += 1;
    rows[0].time += 5;
    if (auto s = (*store)->AppendSamples(rows); !s) {
      state.SkipWithError(s.error().message.c_str());
      break;
    }
  }
}
BENCHMARK(BM_StoreOneSample)->Unit(benchmark::kMicrosecond);

bool Exec(sqlite3* db, const char* sql) {
  return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

void BM_InsertOneInteger(benchmark::State& state) {
  ScratchDir dir;
  sqlite3* db = nullptr;
  std::string path = dir.File("reference.db");
  if (!dir.ok() || sqlite3_open_v2(path.c_str(), &db,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   nullptr) != SQLITE_OK) {
    state.SkipWithError("cannot open the reference database");
    sqlite3_close(db);
    return;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* begin = nullptr;
  sqlite3_stmt* insert = nullptr;
  sqlite3_stmt* commit = nullptr;
  if (!Exec(db, "PRAGMA journal_mode = WAL") || !Exec(db, "PRAGMA synchronous = NORMAL") ||
      !Exec(db, "CREATE TABLE t (x INTEGER)") ||
      sqlite3_prepare_v3(db, "BEGIN IMMEDIATE", -1, SQLITE_PREPARE_PERSISTENT, &begin, nullptr) ||
      sqlite3_prepare_v3(db, "INSERT INTO t (x) VALUES (?)", -1, SQLITE_PREPARE_PERSISTENT, &insert,
                         nullptr) ||
      sqlite3_prepare_v3(db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT, &commit, nullptr)) {
    state.SkipWithError(sqlite3_errmsg(db));
  } else {
    std::int64_t x = 0;
    for (auto _ : state) {
      bool ok = sqlite3_step(begin) == SQLITE_DONE;
      sqlite3_reset(begin);
      sqlite3_bind_int64(insert, 1, ++x);
      ok = sqlite3_step(insert) == SQLITE_DONE && ok;
      sqlite3_reset(insert);
      ok = sqlite3_step(commit) == SQLITE_DONE && ok;
      sqlite3_reset(commit);
      if (!ok) {
        state.SkipWithError(sqlite3_errmsg(db));
        break;
      }
    }
  }
  sqlite3_finalize(begin);
  sqlite3_finalize(insert);
  sqlite3_finalize(commit);
  sqlite3_close(db);
}
BENCHMARK(BM_InsertOneInteger)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

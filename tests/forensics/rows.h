#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "forensics/store.h"

namespace rh::forensics::test {

// A sample row with every field set, distinct per `sequence`.
inline SampleRow MakeRow(double time, std::int64_t sequence) {
  SampleRow r;
  r.time = time;
  r.sequence = sequence;
  r.interval_seconds = 5;
  r.state = sequence % 2 == 0 ? "elevated" : "normal";
  r.score = 12.5 + static_cast<double>(sequence);
  for (std::size_t i = 0; i < r.components.size(); ++i) r.components[i] = static_cast<double>(i);
  r.latency_seconds = 0.004;
  r.load1 = 1.25;
  r.cpus = 8;
  r.procs_running = 3;
  r.procs_blocked = 1;
  r.cpu_total_seconds = 123456.78;
  r.cpu_iowait_seconds = 321.5;
  r.cpu_steal_seconds = 0.25;
  r.psi_cpu_some = 1.5;
  r.psi_io_some = 2.5;
  r.psi_io_full = std::nullopt;
  r.psi_memory_some = 0;
  r.psi_memory_full = 0.5;
  r.memory_total = 16ULL << 30;
  r.memory_available = 9ULL << 30;
  r.swap_total = 2ULL << 30;
  r.swap_free = 1ULL << 30;
  r.pswpin = 11;
  r.pswpout = 22;
  r.pgmajfault = 33;
  r.pgpgin = 44;
  r.pgpgout = 9'000'000'000'000ULL;
  r.thermal_throttles = 7;
  r.max_temperature = sequence % 2 == 0 ? std::optional<double>(61.5) : std::nullopt;
  return r;
}

inline EventRecord MakeEvent(const std::string& key, double start) {
  EventRecord e;
  e.key = key;
  e.kind = EventKind::kPause;
  e.start_time = start;
  e.end_time = start + 3;
  e.duration_seconds = 3;
  e.score_before = 42;
  e.notes = "test";
  e.processes.push_back({"cpu", 1, 100, "busy", 'R', 0.98, 1 << 20, ""});
  e.processes.push_back({"blocked", 1, 200, "stuck", 'D', 0, 4096, "io_schedule"});
  return e;
}

inline CaptureRecord MakeCapture(const std::string& event_key, double created) {
  CaptureRecord c;
  c.event_key = event_key;
  c.trigger = "pause";
  c.result = "ok";
  c.bundle_path = "/var/lib/rogue-hunter/events/" + event_key;
  c.created_time = created;
  c.duration_seconds = 0.75;
  c.bytes = 123456;
  return c;
}

// Runs one query on its own connection and returns the first column of the first row as text
// ("" when there is no row; "error: ..." when it fails).
inline std::string Query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    out = std::string("error: ") + sqlite3_errmsg(db);
    sqlite3_close(db);
    return out;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    out = std::string("error: ") + sqlite3_errmsg(db);
  } else {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      out = text == nullptr ? "NULL" : reinterpret_cast<const char*>(text);
      while (sqlite3_step(stmt) == SQLITE_ROW) {
      }
    } else if (rc != SQLITE_DONE) {
      out = std::string("error: ") + sqlite3_errmsg(db);
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

inline std::int64_t Count(const std::string& path, const std::string& table) {
  std::string r = Query(path, "SELECT count(*) FROM " + table);
  return r.rfind("error", 0) == 0 ? -1 : std::stoll(r);
}

}  // namespace rh::forensics::test

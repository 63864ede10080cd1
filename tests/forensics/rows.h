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
  r.cpu_total_seconds = 123456.78;
  r.psi_cpu_some = 1.5;
  r.psi_io_some = 2.5;
  r.psi_io_full = std::nullopt;
  r.psi_memory_some = 0;
  r.psi_memory_full = 0.5;
  r.fields = {{"load1", 1.25},
              {"cpus", std::int64_t{8}},
              {"procs_running", std::int64_t{3}},
              {"procs_blocked", std::int64_t{1}},
              {"cpu_iowait_seconds", 321.5},
              {"cpu_steal_seconds", 0.25},
              {"memory_total", std::int64_t{16} << 30},
              {"memory_available", std::int64_t{9} << 30},
              {"swap_total", std::int64_t{2} << 30},
              {"swap_free", std::int64_t{1} << 30},
              {"pswpin", std::int64_t{11}},
              {"pswpout", std::int64_t{22}},
              {"pgmajfault", std::int64_t{33}},
              {"pgpgin", std::int64_t{44}},
              {"pgpgout", std::int64_t{9'000'000'000'000}},
              {"thermal_throttles", std::int64_t{7}}};
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

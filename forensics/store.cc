#include "forensics/store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <set>
#include <type_traits>
#include <utility>
#include <variant>

#include "forensics/safe_directory.h"

namespace rh::forensics {
namespace {

// The schema, one migration per version, in order. A migration that has shipped never changes:
// a new version appends one. Each runs in its own transaction with its PRAGMA user_version.
struct Migration {
  int version;
  const char* sql;
};

constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE samples (
  id INTEGER PRIMARY KEY,
  time REAL NOT NULL,
  sequence INTEGER NOT NULL,
  interval_seconds REAL NOT NULL,
  state TEXT NOT NULL,
  score REAL NOT NULL,
  load_points REAL NOT NULL,
  cpu_points REAL NOT NULL,
  io_points REAL NOT NULL,
  memory_points REAL NOT NULL,
  thermal_points REAL NOT NULL,
  latency_points REAL NOT NULL,
  latency_seconds REAL NOT NULL,
  load1 REAL NOT NULL,
  cpus INTEGER NOT NULL,
  procs_running INTEGER NOT NULL,
  procs_blocked INTEGER NOT NULL,
  cpu_total_seconds REAL NOT NULL,
  cpu_iowait_seconds REAL NOT NULL,
  cpu_steal_seconds REAL NOT NULL,
  psi_cpu_some REAL,
  psi_io_some REAL,
  psi_io_full REAL,
  psi_memory_some REAL,
  psi_memory_full REAL,
  memory_total INTEGER NOT NULL,
  memory_available INTEGER NOT NULL,
  swap_total INTEGER NOT NULL,
  swap_free INTEGER NOT NULL,
  pswpin INTEGER NOT NULL,
  pswpout INTEGER NOT NULL,
  pgmajfault INTEGER NOT NULL,
  pgpgin INTEGER NOT NULL,
  pgpgout INTEGER NOT NULL,
  thermal_throttles INTEGER NOT NULL,
  max_temperature REAL
);
CREATE INDEX samples_time ON samples(time);
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  start_time REAL NOT NULL,
  end_time REAL NOT NULL,
  duration_seconds REAL NOT NULL,
  score_before REAL NOT NULL,
  state_from TEXT NOT NULL,
  state_to TEXT NOT NULL,
  notes TEXT NOT NULL
);
CREATE INDEX events_start_time ON events(start_time);
CREATE TABLE event_processes (
  id INTEGER PRIMARY KEY,
  event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  list TEXT NOT NULL,
  rank INTEGER NOT NULL,
  pid INTEGER NOT NULL,
  comm BLOB NOT NULL,
  state TEXT NOT NULL,
  cpu_ratio REAL NOT NULL,
  rss_bytes INTEGER NOT NULL,
  wchan TEXT NOT NULL
);
CREATE INDEX event_processes_event ON event_processes(event_id);
)sql"},
    // A capture may be recorded before its event row, or for no event at all, so it refers to
    // its event by key and goes with it through a trigger rather than a foreign key.
    {2, R"sql(
CREATE TABLE captures (
  id INTEGER PRIMARY KEY,
  event_key TEXT NOT NULL,
  "trigger" TEXT NOT NULL,
  result TEXT NOT NULL,
  bundle_path TEXT NOT NULL,
  created_time REAL NOT NULL,
  duration_seconds REAL NOT NULL,
  bytes INTEGER NOT NULL,
  error TEXT NOT NULL
);
CREATE INDEX captures_event_key ON captures(event_key);
CREATE INDEX captures_created_time ON captures(created_time);
CREATE TRIGGER events_delete_captures AFTER DELETE ON events BEGIN
  DELETE FROM captures WHERE event_key = OLD.key;
END;
)sql"},
    // What froze in a pause (analysis/pause_scope.h); '' for other events and older pauses.
    {3, R"sql(
ALTER TABLE events ADD COLUMN scope TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN scope_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN start_uncertainty_seconds REAL NOT NULL DEFAULT 0;
)sql"},
    // The process API: the history of processes that were in a top-N list, one process being
    // (boot_id, pid, start_ticks), and the audit of every kill request.
    {4, R"sql(
CREATE TABLE process_samples (
  id INTEGER PRIMARY KEY,
  time REAL NOT NULL,
  boot_id TEXT NOT NULL,
  pid INTEGER NOT NULL,
  start_ticks INTEGER NOT NULL,
  comm BLOB NOT NULL,
  state TEXT NOT NULL,
  cpu_ratio REAL NOT NULL,
  cpu_ticks INTEGER NOT NULL,
  rss_bytes INTEGER NOT NULL,
  memory_total INTEGER NOT NULL
);
CREATE INDEX process_samples_identity ON process_samples(pid, start_ticks, boot_id, time);
CREATE INDEX process_samples_time ON process_samples(time);
CREATE TABLE kill_audit (
  id INTEGER PRIMARY KEY,
  time REAL NOT NULL,
  client TEXT NOT NULL,
  principal TEXT NOT NULL,
  pid INTEGER NOT NULL,
  boot_id TEXT NOT NULL,
  start_ticks INTEGER,
  comm BLOB NOT NULL,
  exe BLOB NOT NULL,
  force INTEGER NOT NULL,
  decision TEXT NOT NULL,
  result TEXT NOT NULL,
  reason TEXT NOT NULL,
  signals TEXT NOT NULL,
  finished_time REAL
);
CREATE INDEX kill_audit_time ON kill_audit(time);
)sql"},
};
static_assert(std::size(kMigrations) == Store::kSchemaVersion);
// The version whose migration added process_samples and kill_audit.
constexpr int kProcessTablesVersion = 4;
static_assert(analysis::kComponentCount == 6, "samples has one *_points column per component");

// The samples columns that are not raw fields of the sample, in order; the described columns
// (DescribedSampleColumns) follow them.
constexpr std::string_view kFixedSampleColumns[] = {
    "time",           "sequence",        "interval_seconds",  "state",          "score",
    "load_points",    "cpu_points",      "io_points",         "memory_points",  "thermal_points",
    "latency_points", "latency_seconds", "cpu_total_seconds", "psi_cpu_some",   "psi_io_some",
    "psi_io_full",    "psi_memory_some", "psi_memory_full",   "max_temperature"};

std::string SampleColumnList(const std::vector<SampleColumn>& described) {
  std::string list;
  for (std::string_view c : kFixedSampleColumns)
    list += (list.empty() ? "" : ", ") + std::string(c);
  for (const SampleColumn& c : described) list += ", \"" + std::string(c.name) + "\"";
  return list;
}

std::string InsertSampleSql(const std::vector<SampleColumn>& described) {
  std::string sql = "INSERT INTO samples (" + SampleColumnList(described) + ") VALUES (?";
  for (std::size_t i = 1; i < std::size(kFixedSampleColumns) + described.size(); ++i) sql += ", ?";
  return sql + ")";
}

// The event columns ReadEvent reads; a file before schema 3 has no scope columns.
std::string EventColumns(int version) {
  return std::string(
             "id, key, kind, start_time, end_time, duration_seconds, score_before, state_from, "
             "state_to, notes, ") +
         (version >= 3 ? "scope, scope_reason, start_uncertainty_seconds"
                       : "'' AS scope, '' AS scope_reason, 0 AS start_uncertainty_seconds");
}

struct StatementDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

struct DatabaseDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Database = std::unique_ptr<sqlite3, DatabaseDeleter>;

Error SqlError(sqlite3* db, const std::string& path, std::string_view doing) {
  return Error{path + ": " + std::string(doing) + ": " + sqlite3_errmsg(db)};
}

bool IsCorruption(int rc) {
  int primary = rc & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

Status Exec(sqlite3* db, const std::string& path, const char* sql, std::string_view doing) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqlError(db, path, doing);
  }
  return {};
}

Result<Statement> Prepare(sqlite3* db, const std::string& path, const std::string& sql,
                          unsigned flags = 0) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()), flags, &raw, nullptr) !=
      SQLITE_OK) {
    sqlite3_finalize(raw);
    return SqlError(db, path, "preparing \"" + sql.substr(0, 40) + "...\"");
  }
  return Statement(raw);
}

// Binds parameters 1, 2, ... in order; remembers the first failure.
class Binder {
 public:
  explicit Binder(sqlite3_stmt* s) : s_(s) {}
  Binder& Real(double v) { return Check(sqlite3_bind_double(s_, ++i_, v)); }
  Binder& Int(std::int64_t v) { return Check(sqlite3_bind_int64(s_, ++i_, v)); }
  Binder& Uint(std::uint64_t v) { return Int(static_cast<std::int64_t>(v)); }
  Binder& Text(std::string_view v) {
    // A null pointer would bind NULL, not an empty string.
    return Check(sqlite3_bind_text(s_, ++i_, v.empty() ? "" : v.data(), static_cast<int>(v.size()),
                                   SQLITE_STATIC));
  }
  Binder& Blob(std::string_view v) {
    return Check(sqlite3_bind_blob(s_, ++i_, v.empty() ? "" : v.data(), static_cast<int>(v.size()),
                                   SQLITE_STATIC));
  }
  Binder& Null() { return Check(sqlite3_bind_null(s_, ++i_)); }
  Binder& OptionalReal(const std::optional<double>& v) {
    return v ? Real(*v) : Check(sqlite3_bind_null(s_, ++i_));
  }
  bool ok() const { return rc_ == SQLITE_OK; }
  int count() const { return i_; }

 private:
  Binder& Check(int rc) {
    if (rc_ == SQLITE_OK) rc_ = rc;
    return *this;
  }
  sqlite3_stmt* s_;
  int i_ = 0;
  int rc_ = SQLITE_OK;
};

// Reads columns 0, 1, ... in order.
class Reader {
 public:
  explicit Reader(sqlite3_stmt* s) : s_(s) {}
  double Real() { return sqlite3_column_double(s_, i_++); }
  std::int64_t Int() { return sqlite3_column_int64(s_, i_++); }
  std::uint64_t Uint() { return static_cast<std::uint64_t>(Int()); }
  std::string Bytes() {
    const void* data = sqlite3_column_blob(s_, i_);
    int size = sqlite3_column_bytes(s_, i_++);
    return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), size);
  }
  bool IsNull() const { return sqlite3_column_type(s_, i_) == SQLITE_NULL; }
  void Skip() { ++i_; }
  std::optional<double> OptionalReal() {
    if (sqlite3_column_type(s_, i_) == SQLITE_NULL) {
      ++i_;
      return std::nullopt;
    }
    return Real();
  }

 private:
  sqlite3_stmt* s_;
  int i_ = 0;
};

// Runs a statement to completion and resets it. SQLITE_OK or the error code.
int Run(sqlite3_stmt* s) {
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
  }
  sqlite3_reset(s);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

void BindSample(Binder& b, const SampleRow& r, const std::vector<SampleColumn>& described) {
  b.Real(r.time).Int(r.sequence).Real(r.interval_seconds).Text(r.state).Real(r.score);
  for (double c : r.components) b.Real(c);
  b.Real(r.latency_seconds).Real(r.cpu_total_seconds);
  b.OptionalReal(r.psi_cpu_some).OptionalReal(r.psi_io_some).OptionalReal(r.psi_io_full);
  b.OptionalReal(r.psi_memory_some).OptionalReal(r.psi_memory_full);
  b.OptionalReal(r.max_temperature);
  for (const SampleColumn& column : described) {
    auto it = r.fields.find(column.name);
    if (it == r.fields.end()) {
      b.Null();
    } else if (const auto* i = std::get_if<std::int64_t>(&it->second)) {
      b.Int(*i);
    } else {
      b.Real(std::get<double>(it->second));
    }
  }
}

SampleRow ReadSample(sqlite3_stmt* s, const std::vector<SampleColumn>& described) {
  Reader c(s);
  SampleRow r;
  r.time = c.Real();
  r.sequence = c.Int();
  r.interval_seconds = c.Real();
  r.state = c.Bytes();
  r.score = c.Real();
  for (double& component : r.components) component = c.Real();
  r.latency_seconds = c.Real();
  r.cpu_total_seconds = c.Real();
  r.psi_cpu_some = c.OptionalReal();
  r.psi_io_some = c.OptionalReal();
  r.psi_io_full = c.OptionalReal();
  r.psi_memory_some = c.OptionalReal();
  r.psi_memory_full = c.OptionalReal();
  r.max_temperature = c.OptionalReal();
  for (const SampleColumn& column : described) {
    if (c.IsNull()) {
      c.Skip();
    } else if (column.integer) {
      r.fields.emplace(column.name, c.Int());
    } else {
      r.fields.emplace(column.name, c.Real());
    }
  }
  return r;
}

std::optional<EventKind> KindFromName(std::string_view name) {
  for (std::size_t i = 0; i < kEventKindNames.size(); ++i) {
    if (kEventKindNames[i] == name) return static_cast<EventKind>(i);
  }
  return std::nullopt;
}

// Reads the columns of EventColumns(); returns the row id.
std::int64_t ReadEvent(sqlite3_stmt* s, EventRecord& e) {
  Reader c(s);
  std::int64_t id = c.Int();
  e.id = id;
  e.key = c.Bytes();
  std::string kind = c.Bytes();
  e.kind = KindFromName(kind).value_or(EventKind::kStateChange);
  e.start_time = c.Real();
  e.end_time = c.Real();
  e.duration_seconds = c.Real();
  e.score_before = c.Real();
  e.state_from = c.Bytes();
  e.state_to = c.Bytes();
  e.notes = c.Bytes();
  e.scope = c.Bytes();
  e.scope_reason = c.Bytes();
  e.start_uncertainty_seconds = c.Real();
  return id;
}

std::string UtcStamp(double unix_seconds) {
  time_t t = static_cast<time_t>(std::floor(unix_seconds));
  tm utc{};
  gmtime_r(&t, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y%m%dT%H%M%SZ", &utc);
  return buffer;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Makes the database's directory safe to write as root (forensics/safe_directory.h), then creates
// the file with mode 0600, or tightens an existing one (and its companion files) to 0600, whatever
// the umask: SQLite gives the -wal and -shm files the mode of the database file. The file must be
// a regular file of this user, never a link.
Status PrepareDatabaseFile(const std::string& path) {
  const std::filesystem::path file(path);
  auto dir =
      OpenSafeDirectory(file.has_parent_path() ? file.parent_path() : ".", "storage.database");
  if (!dir) return Error{path + ": " + dir.error().message};
  const std::string name = file.filename().string();
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    const std::string entry = name + suffix;
    const std::string where = path + suffix;
    UniqueFd fd(openat(dir->get(), entry.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd.ok() && errno == ENOENT) {
      if (*suffix != '\0') continue;
      fd = UniqueFd(openat(dir->get(), entry.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    }
    if (!fd.ok()) {
      if (errno == ELOOP) {
        return Error{where + ": is a symbolic link, which rogue-hunter does not follow; set " +
                     "storage.database to the file itself"};
      }
      return Error{where + ": cannot open: " + std::strerror(errno)};
    }
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) return Error{where + ": " + std::strerror(errno)};
    if (!S_ISREG(st.st_mode)) return Error{where + ": not a regular file"};
    if (st.st_uid != geteuid()) {
      return Error{where + ": belongs to uid " + std::to_string(st.st_uid) + ", not to uid " +
                   std::to_string(geteuid()) + " that runs rogue-hunter"};
    }
    // An immutable file refuses: SQLite then says the database is read-only.
    if ((st.st_mode & 077) != 0) (void)fchmod(fd.get(), 0600);
  }
  return {};
}

Result<int> UserVersion(sqlite3* db, const std::string& path, int* rc_out = nullptr) {
  auto stmt = Prepare(db, path, "PRAGMA user_version");
  if (!stmt) {
    if (rc_out != nullptr) *rc_out = sqlite3_errcode(db);
    return stmt.error();
  }
  int rc = sqlite3_step(stmt->get());
  if (rc != SQLITE_ROW) {
    if (rc_out != nullptr) *rc_out = rc;
    return SqlError(db, path, "reading the schema version");
  }
  return sqlite3_column_int(stmt->get(), 0);
}

Error NewerSchema(const std::string& path, int version) {
  return Error{path + ": schema version " + std::to_string(version) +
               " is newer than this program's " + std::to_string(Store::kSchemaVersion) +
               "; use a newer rogue-hunter"};
}

// Migrates to `target`, one transaction per version. Returns the version found.
Result<int> Migrate(sqlite3* db, const std::string& path, int target) {
  auto found = UserVersion(db, path);
  if (!found) return found.error();
  if (*found > Store::kSchemaVersion) return NewerSchema(path, *found);
  for (const Migration& m : kMigrations) {
    if (m.version <= *found) continue;
    if (m.version > target) break;
    if (auto s = Exec(db, path, "BEGIN IMMEDIATE", "starting a migration"); !s) return s.error();
    // Another process may have migrated meanwhile: decide inside the transaction.
    auto now = UserVersion(db, path);
    if (!now) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return now.error();
    }
    if (*now >= m.version) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      continue;
    }
    std::string sql =
        std::string(m.sql) + "PRAGMA user_version = " + std::to_string(m.version) + ";";
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK ||
        sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      Error e = SqlError(db, path, "migrating to schema version " + std::to_string(m.version));
      if (sqlite3_get_autocommit(db) == 0) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return e;
    }
  }
  return *found;
}

int AbandonProgress(void* flag) {
  return static_cast<const std::atomic<bool>*>(flag)->load(std::memory_order_relaxed) ? 1 : 0;
}

// With an abandon flag, this busy handler replaces sqlite3_busy_timeout (whose wait no flag can
// cut short): it waits as long, unless the flag is set.
struct BusyWait {
  int timeout_ms = 0;
  const std::atomic<bool>* abandon = nullptr;
  std::chrono::steady_clock::time_point since;
};

int BusyWaitHandler(void* state, int count) {
  auto& w = *static_cast<BusyWait*>(state);
  auto now = std::chrono::steady_clock::now();
  if (count == 0) w.since = now;
  if (w.abandon->load(std::memory_order_relaxed) ||
      now - w.since >= std::chrono::milliseconds(w.timeout_ms)) {
    return 0;
  }
  sqlite3_sleep(2);
  return 1;
}

// `busy` must outlive the connection's use of it (Store::Connection owns it after Open).
void Configure(sqlite3* db, const Store::Options& options, BusyWait* busy) {
  busy->timeout_ms = options.busy_timeout_ms;
  busy->abandon = options.abandon;
  if (options.abandon != nullptr) {
    sqlite3_busy_handler(db, BusyWaitHandler, busy);
    sqlite3_progress_handler(db, 1000, AbandonProgress,
                             const_cast<std::atomic<bool>*>(options.abandon));
  } else {
    sqlite3_busy_timeout(db, options.busy_timeout_ms);
  }
}

Status ApplyMaxPageCount(sqlite3* db, const std::string& path, std::int64_t pages) {
  // 0 restores SQLite's default limit.
  std::int64_t value = pages > 0 ? pages : 0xfffffffe;
  std::string sql = "PRAGMA max_page_count = " + std::to_string(value);
  return Exec(db, path, sql.c_str(), "setting max_page_count");
}

// The column names of `table`.
Result<std::set<std::string, std::less<>>> TableColumns(sqlite3* db, const std::string& path,
                                                        std::string_view table) {
  auto stmt = Prepare(db, path, "PRAGMA table_info(" + std::string(table) + ")");
  if (!stmt) return stmt.error();
  std::set<std::string, std::less<>> names;
  int rc;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    const unsigned char* name = sqlite3_column_text(stmt->get(), 1);
    if (name != nullptr) names.emplace(reinterpret_cast<const char*>(name));
  }
  if (rc != SQLITE_DONE) return SqlError(db, path, "reading the columns of " + std::string(table));
  return names;
}

// The schema's part that follows the sample's field descriptions: a nullable column for every
// described field the samples table lacks (a field added since the file was created), so rows
// written before read it as absent. Decided inside the transaction, so concurrent openers agree.
Status AddDescribedColumns(sqlite3* db, const std::string& path) {
  auto missing = [&]() -> Result<std::vector<SampleColumn>> {
    auto present = TableColumns(db, path, "samples");
    if (!present) return present.error();
    std::vector<SampleColumn> out;
    for (const SampleColumn& c : DescribedSampleColumns()) {
      if (present->count(c.name) == 0) out.push_back(c);
    }
    return out;
  };
  auto before = missing();
  if (!before) return before.error();
  if (before->empty()) return {};
  if (auto s = Exec(db, path, "BEGIN IMMEDIATE", "adding sample columns"); !s) return s;
  auto now = missing();
  std::string sql;
  if (now) {
    for (const SampleColumn& c : *now) {
      sql += "ALTER TABLE samples ADD COLUMN \"" + std::string(c.name) + "\" " +
             (c.integer ? "INTEGER" : "REAL") + ";";
    }
  }
  if (!now || sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK ||
      sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    Error e = now ? SqlError(db, path, "adding sample columns") : now.error();
    if (sqlite3_get_autocommit(db) == 0) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return e;
  }
  return {};
}

struct WritableOpen {
  Database db;
  int version_found = 0;
  bool full_check = false;
  bool corrupt = false;
  std::string problem;  // Why it is corrupt.
};

// Opens read-write, checks integrity, sets the connection up and migrates. A corrupt file comes
// back with `corrupt` set (and no connection); anything else that goes wrong is an Error.
Result<WritableOpen> OpenWritable(const std::string& path, const Store::Options& options,
                                  int target_version, BusyWait* busy) {
  WritableOpen out;
  if (Status s = PrepareDatabaseFile(path); !s.ok()) return s.error();
  // A writer that closes the file checkpoints and deletes its WAL: one left behind means the
  // previous writer stopped without closing (or another connection has it open right now).
  const bool unclean = Exists(path + "-wal");
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &raw,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
      nullptr);
  Database db(raw);
  if (rc != SQLITE_OK) {
    if (raw == nullptr) return Error{path + ": cannot open: out of memory"};
    return SqlError(raw, path, "cannot open");
  }
  Configure(raw, options, busy);
  // Until the file is known to be sound, closing must not checkpoint (or delete) its WAL: a
  // corrupt database is moved aside with its WAL as found.
  sqlite3_db_config(raw, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  if (sqlite3_db_readonly(raw, "main") == 1) {
    return Error{path + ": cannot open for writing: the file is read-only"};
  }

  auto corrupt = [&](std::string problem) -> Result<WritableOpen> {
    out.corrupt = true;
    out.problem = std::move(problem);
    return std::move(out);
  };
  out.full_check = options.integrity_check == Store::Options::Check::kAlways || unclean;
  if (!out.full_check) {
    // The header and the schema: a file that is not a database, or whose first pages are
    // damaged, fails here. Damage further in is found by a statement that reads it (the writer
    // then reopens with the full check) or by the writer's periodic check.
    auto schema = Prepare(raw, path, "SELECT count(*) FROM sqlite_schema");
    if (!schema) {
      if (IsCorruption(sqlite3_errcode(raw))) return corrupt(sqlite3_errmsg(raw));
      return schema.error();
    }
    rc = sqlite3_step(schema->get());
    if (rc != SQLITE_ROW) {
      if (IsCorruption(rc)) return corrupt(sqlite3_errmsg(raw));
      return SqlError(raw, path, "reading the schema");
    }
  } else {
    auto check = Prepare(raw, path, "PRAGMA quick_check(4)");
    if (!check) {
      if (IsCorruption(sqlite3_errcode(raw))) return corrupt(sqlite3_errmsg(raw));
      return check.error();
    }
    std::string findings;
    while ((rc = sqlite3_step(check->get())) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(check->get(), 0);
      std::string line = text == nullptr ? "" : reinterpret_cast<const char*>(text);
      if (line == "ok") continue;
      if (!findings.empty()) findings += "; ";
      findings += line;
    }
    if (rc != SQLITE_DONE) {
      if (IsCorruption(rc)) return corrupt(sqlite3_errmsg(raw));
      return SqlError(raw, path, "checking integrity");
    }
    if (!findings.empty()) return corrupt("quick_check: " + findings);
  }

  // Takes effect on a new file only, before anything is written to it (switching to WAL writes
  // its header); older files are converted by Store::EnableIncrementalVacuum().
  if (auto s = Exec(raw, path, "PRAGMA auto_vacuum = INCREMENTAL", "setting auto_vacuum"); !s) {
    if (IsCorruption(sqlite3_errcode(raw))) return corrupt(sqlite3_errmsg(raw));
    return s.error();
  }
  {
    auto mode = Prepare(raw, path, "PRAGMA journal_mode = WAL");
    if (!mode) return mode.error();
    rc = sqlite3_step(mode->get());
    if (rc != SQLITE_ROW) {
      if (IsCorruption(rc)) return corrupt(sqlite3_errmsg(raw));
      return SqlError(raw, path, "switching to WAL");
    }
    const unsigned char* text = sqlite3_column_text(mode->get(), 0);
    if (text == nullptr || std::strcmp(reinterpret_cast<const char*>(text), "wal") != 0) {
      return Error{path + ": cannot switch to WAL journal mode"};
    }
  }
  // NORMAL in WAL mode: a commit is in the WAL file before the call returns, so a killed process
  // loses nothing committed; only a power loss or kernel crash may lose the last transactions
  // (the WAL is synced at checkpoints, not at every commit). The database stays consistent.
  if (auto s = Exec(raw, path, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON",
                    "configuring the connection");
      !s) {
    return s.error();
  }
  if (options.durable) {
    if (auto s = Exec(raw, path, "PRAGMA synchronous = FULL", "configuring the connection"); !s) {
      return s.error();
    }
  }
  if (options.max_page_count > 0) {
    if (auto s = ApplyMaxPageCount(raw, path, options.max_page_count); !s) return s.error();
  }
  auto found = Migrate(raw, path, target_version);
  if (!found) return found.error();
  if (target_version == Store::kSchemaVersion) {
    if (auto s = AddDescribedColumns(raw, path); !s) return s.error();
  }
  sqlite3_db_config(raw, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
  out.version_found = *found;
  out.db = std::move(db);
  return out;
}

// Renames the database and its companion files to "<path>.corrupt-<stamp>[-N]...".
Result<std::string> MoveAside(const std::string& path, double now) {
  std::string base = path + ".corrupt-" + UtcStamp(now);
  std::string target = base;
  for (int n = 2; Exists(target) || Exists(target + "-wal"); ++n) {
    target = base + "-" + std::to_string(n);
  }
  if (::rename(path.c_str(), target.c_str()) != 0) {
    return Error{path + ": cannot move the corrupt database aside to " + target + ": " +
                 std::strerror(errno)};
  }
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    std::string from = path + suffix;
    if (::rename(from.c_str(), (target + suffix).c_str()) != 0 && errno != ENOENT) {
      return Error{from + ": cannot move aside: " + std::strerror(errno)};
    }
  }
  return target;
}

Result<Database> OpenReadOnly(const std::string& path, const Store::Options& options, int* version,
                              BusyWait* busy) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return Error{path + ": cannot open: " + std::strerror(errno)};
  }
  if (S_ISLNK(st.st_mode)) {
    return Error{path + ": is a symbolic link, which is not followed; give the file itself"};
  }
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, nullptr);
  Database db(raw);
  if (rc != SQLITE_OK) {
    if (raw == nullptr) return Error{path + ": cannot open: out of memory"};
    return SqlError(raw, path, "cannot open");
  }
  Configure(raw, options, busy);
  int read_rc = SQLITE_OK;
  auto found = UserVersion(raw, path, &read_rc);
  if (!found) {
    if (IsCorruption(read_rc)) {
      return Error{path + ": not a rogue-hunter history database: " + sqlite3_errmsg(raw)};
    }
    return found.error();
  }
  if (*found > Store::kSchemaVersion) return NewerSchema(path, *found);
  if (*found == 0) {
    return Error{path + ": not a rogue-hunter history database (no schema version)"};
  }
  if (auto s = Exec(raw, path, "PRAGMA foreign_keys = ON", "configuring the connection"); !s) {
    return s.error();
  }
  *version = *found;
  return db;
}

}  // namespace

std::optional<double> SampleRow::Number(std::string_view column) const {
  auto it = fields.find(column);
  if (it == fields.end()) return std::nullopt;
  return std::visit([](auto v) { return static_cast<double>(v); }, it->second);
}

const std::vector<SampleColumn>& DescribedSampleColumns() {
  static const std::vector<SampleColumn> columns = [] {
    std::vector<SampleColumn> out;
    const collectors::SystemSample sample;
    collectors::VisitDescribedParts(
        sample, [&](std::string_view, std::string_view, auto fields, const auto&) {
          for (const auto& field : fields) {
            if (!field.column.empty()) out.push_back({field.column, collectors::IsInteger(field)});
          }
        });
    return out;
  }();
  return columns;
}

SampleRow ToSampleRow(const analysis::ScoredSample& s) {
  const collectors::SystemSample& raw = s.sample;
  SampleRow r;
  r.time = static_cast<double>(raw.clock.realtime_ns) / 1e9;
  r.sequence = static_cast<std::int64_t>(s.sequence);
  r.interval_seconds = s.interval_seconds;
  r.state = std::string(analysis::Name(s.state));
  r.score = s.assessment.score;
  r.components = s.assessment.components;
  r.latency_seconds = s.latency_seconds;
  const collectors::CpuTimes& t = raw.stat.total;
  r.cpu_total_seconds =
      t.user + t.nice + t.system + t.idle + t.iowait + t.irq + t.softirq + t.steal;
  auto avg10 = [&](collectors::PsiKind kind, bool full) -> std::optional<double> {
    const collectors::PsiResource& res = raw.pressure[kind];
    const std::optional<collectors::PsiLine>& line = full ? res.full : res.some;
    if (!res.available || !line) return std::nullopt;
    return line->avg10;
  };
  r.psi_cpu_some = avg10(collectors::PsiKind::kCpu, false);
  r.psi_io_some = avg10(collectors::PsiKind::kIo, false);
  r.psi_io_full = avg10(collectors::PsiKind::kIo, true);
  r.psi_memory_some = avg10(collectors::PsiKind::kMemory, false);
  r.psi_memory_full = avg10(collectors::PsiKind::kMemory, true);
  for (const auto& zone : raw.thermal.zones) {
    if (!r.max_temperature || zone.celsius > *r.max_temperature) r.max_temperature = zone.celsius;
  }
  collectors::VisitDescribedParts(
      raw, [&](std::string_view, std::string_view, auto fields, const auto& part) {
        for (const auto& field : fields) {
          if (field.column.empty()) continue;
          std::visit(
              [&](auto member) {
                using T = std::remove_cvref_t<decltype(part.*member)>;
                if constexpr (std::is_same_v<T, double>) {
                  r.fields.emplace(field.column, part.*member);
                } else {
                  r.fields.emplace(field.column, static_cast<std::int64_t>(part.*member));
                }
              },
              field.member);
        }
      });
  return r;
}

std::vector<ProcessSampleRow> ToProcessSampleRows(const analysis::ScoredSample& s,
                                                  std::string_view boot_id) {
  std::vector<ProcessSampleRow> rows;
  const collectors::SystemSample& raw = s.sample;
  if (!raw.Succeeded("processes")) return rows;
  const double time = static_cast<double>(raw.clock.realtime_ns) / 1e9;
  auto add = [&](const collectors::TopProcess& p) {
    for (const auto& r : rows) {
      if (r.pid == p.pid && r.start_ticks == p.start_ticks) return;
    }
    rows.push_back({time, std::string(boot_id), p.pid, p.start_ticks, p.comm, p.state, p.cpu_ratio,
                    p.cpu_ticks, p.rss_bytes, raw.meminfo.total});
  };
  for (const auto& p : raw.processes.top_cpu) add(p);
  for (const auto& p : raw.processes.top_rss) add(p);
  return rows;
}

struct Store::Connection {
  // The write path's statements, prepared once.
  Statement begin, commit, rollback, insert_sample, upsert_event, delete_processes, insert_process,
      insert_capture, insert_process_sample;
  BusyWait busy;
};

Store::Store(sqlite3* db, std::string path, int version, const Options& options)
    : db_(db),
      path_(std::move(path)),
      version_(version),
      connection_(std::make_unique<Connection>()) {
  Configure(db_, options, &connection_->busy);
  if (auto present = TableColumns(db_, path_, "samples")) {
    for (const SampleColumn& c : DescribedSampleColumns()) {
      if (present->count(c.name) != 0) sample_columns_.push_back(c);
    }
  }
  // The file as opened: SQLite opened it moments ago in a directory only this user can change.
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0) {
    device_ = st.st_dev;
    inode_ = st.st_ino;
  }
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string companion = path_ + suffix;
    if (::lstat(companion.c_str(), &st) == 0) {
      companions_.push_back({companion, static_cast<std::uint64_t>(st.st_dev),
                             static_cast<std::uint64_t>(st.st_ino)});
    }
  }
}

bool Store::FileReplaced() const {
  struct stat st {};
  if (::lstat(path_.c_str(), &st) != 0) return errno == ENOENT || errno == ENOTDIR;
  return st.st_dev != device_ || st.st_ino != inode_;
}

Store::~Store() {
  connection_.reset();
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, const Options& options,
                                           OpenReport* report) {
  OpenReport local;
  OpenReport& r = report != nullptr ? *report : local;
  r = OpenReport{};
  if (options.read_only) {
    int version = 0;
    BusyWait busy;
    auto db = OpenReadOnly(path, options, &version, &busy);
    if (!db) return db.error();
    return std::unique_ptr<Store>(new Store(db->release(), path, version, options));
  }

  r.created = !Exists(path);
  BusyWait busy;
  auto opened = OpenWritable(path, options, kSchemaVersion, &busy);
  if (!opened) return opened.error();
  r.full_check = opened->full_check;
  if (opened->corrupt) {
    auto aside = MoveAside(path, options.now);
    if (!aside) return Error{aside.error().message + " (it is corrupt: " + opened->problem + ")"};
    r.moved_aside = *aside;
    r.corruption = opened->problem;
    r.created = true;
    opened = OpenWritable(path, options, kSchemaVersion, &busy);
    if (!opened) return opened.error();
    if (opened->corrupt) return Error{path + ": fresh database is corrupt: " + opened->problem};
  }
  if (opened->version_found < kSchemaVersion && !r.created) r.migrated_from = opened->version_found;
  return std::unique_ptr<Store>(new Store(opened->db.release(), path, kSchemaVersion, options));
}

Status Store::MigrateForTest(const std::string& path, int version) {
  BusyWait busy;
  auto opened = OpenWritable(path, Options{}, version, &busy);
  if (!opened) return opened.error();
  if (opened->corrupt) return Error{path + ": corrupt: " + opened->problem};
  return {};
}

int Store::schema_version() const { return version_; }

Result<std::string> Store::IntegrityProblems() {
  auto check = Prepare(db_, path_, "PRAGMA quick_check(4)");
  if (!check) {
    if (IsCorruption(sqlite3_errcode(db_))) return std::string(sqlite3_errmsg(db_));
    return check.error();
  }
  std::string findings;
  int rc;
  while ((rc = sqlite3_step(check->get())) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(check->get(), 0);
    std::string line = text == nullptr ? "" : reinterpret_cast<const char*>(text);
    if (line == "ok") continue;
    findings += (findings.empty() ? "" : "; ") + line;
  }
  if (rc != SQLITE_DONE) {
    if (IsCorruption(rc)) return std::string(sqlite3_errmsg(db_));
    return SqlError(db_, path_, "checking integrity");
  }
  return findings.empty() ? findings : "quick_check: " + findings;
}

namespace {

// The single integer a PRAGMA returns.
Result<std::int64_t> PragmaInteger(sqlite3* db, const std::string& path, const char* sql) {
  auto stmt = Prepare(db, path, sql);
  if (!stmt) return stmt.error();
  if (sqlite3_step(stmt->get()) != SQLITE_ROW) return SqlError(db, path, sql);
  return sqlite3_column_int64(stmt->get(), 0);
}

}  // namespace

Result<bool> Store::IncrementalVacuumEnabled() {
  auto mode = PragmaInteger(db_, path_, "PRAGMA auto_vacuum");
  if (!mode) return mode.error();
  return *mode == 2;  // 0 none, 1 full, 2 incremental
}

Status Store::EnableIncrementalVacuum() {
  auto enabled = IncrementalVacuumEnabled();
  if (!enabled) return enabled.error();
  if (*enabled) return {};
  struct stat st {};
  struct statvfs fs {};
  if (::stat(path_.c_str(), &st) != 0 || ::statvfs(path_.c_str(), &fs) != 0) {
    return Error{path_ + ": " + std::strerror(errno)};
  }
  const auto free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  const auto needed = 2 * static_cast<std::uint64_t>(st.st_size);
  if (free_bytes < needed) {
    return Error{path_ + ": converting to incremental vacuum needs " + std::to_string(needed) +
                 " bytes free, " + std::to_string(free_bytes) + " are"};
  }
  if (Status s = Exec(db_, path_, "PRAGMA auto_vacuum = INCREMENTAL; VACUUM",
                      "converting to incremental vacuum");
      !s.ok()) {
    return s;
  }
  // VACUUM went through the WAL: copy it back and truncate it.
  sqlite3_exec(db_, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  return {};
}

Result<std::int64_t> Store::ReleaseFreePages(int pages) {
  // Without incremental vacuum the pages cannot be returned: none are counted as waiting.
  auto incremental = IncrementalVacuumEnabled();
  if (!incremental) return incremental.error();
  if (!*incremental) return std::int64_t{0};
  auto free_pages = PragmaInteger(db_, path_, "PRAGMA freelist_count");
  if (!free_pages) return free_pages.error();
  if (*free_pages == 0) return std::int64_t{0};
  const std::string sql = "PRAGMA incremental_vacuum(" + std::to_string(std::max(1, pages)) + ")";
  auto stmt = Prepare(db_, path_, sql);
  if (!stmt) return stmt.error();
  if (Run(stmt->get()) != SQLITE_OK) return WriteError("returning free pages");
  if (*free_pages <= pages) {
    // Busy (a reader in the way) only delays the shrinking to a later checkpoint.
    sqlite3_exec(db_, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  }
  return *free_pages;
}

Error Store::WriteError(std::string_view doing) {
  if (IsCorruption(sqlite3_errcode(db_))) corruption_seen_ = true;
  return SqlError(db_, path_, doing);
}

Status Store::SetMaxPageCount(std::int64_t pages) { return ApplyMaxPageCount(db_, path_, pages); }

void Store::SetBusyTimeout(int milliseconds) {
  connection_->busy.timeout_ms = milliseconds;
  if (connection_->busy.abandon == nullptr) sqlite3_busy_timeout(db_, milliseconds);
}

Status Store::AppendSamples(const std::vector<SampleRow>& rows) { return Write(rows, {}, {}); }

Status Store::AppendEvent(const EventRecord& event) { return Write({}, {event}, {}); }

Status Store::AppendCapture(const CaptureRecord& capture) { return Write({}, {}, {capture}); }

Status Store::Append(const Batch& batch) {
  return Write(batch.samples, batch.events, batch.captures, batch.processes);
}

Status Store::Write(const std::vector<SampleRow>& samples, const std::vector<EventRecord>& events,
                    const std::vector<CaptureRecord>& captures,
                    const std::vector<ProcessSampleRow>& processes) {
  if (version_ < kSchemaVersion) return Error{path_ + ": opened read-only at an older schema"};
  Connection& st = *connection_;
  auto prepare = [&](Statement& slot, const std::string& sql) -> Status {
    if (slot) return {};
    auto s = Prepare(db_, path_, sql, SQLITE_PREPARE_PERSISTENT);
    if (!s) return s.error();
    slot = std::move(*s);
    return {};
  };
  if (auto s = prepare(st.begin, "BEGIN IMMEDIATE"); !s) return s;
  if (auto s = prepare(st.commit, "COMMIT"); !s) return s;
  if (auto s = prepare(st.rollback, "ROLLBACK"); !s) return s;

  if (Run(st.begin.get()) != SQLITE_OK) return WriteError("starting a transaction");
  auto fail = [&](std::string_view doing) -> Status {
    Error e = WriteError(doing);
    if (sqlite3_get_autocommit(db_) == 0) Run(st.rollback.get());
    return e;
  };

  if (!samples.empty()) {
    if (auto s = prepare(st.insert_sample, InsertSampleSql(sample_columns_)); !s) {
      if (sqlite3_get_autocommit(db_) == 0) Run(st.rollback.get());
      return s;
    }
    for (const SampleRow& row : samples) {
      Binder b(st.insert_sample.get());
      BindSample(b, row, sample_columns_);
      if (!b.ok() || Run(st.insert_sample.get()) != SQLITE_OK) {
        return fail("writing a sample");
      }
    }
  }
  for (const EventRecord& event : events) {
    if (auto s = AppendEventRows(event); !s) {
      if (sqlite3_get_autocommit(db_) == 0) Run(st.rollback.get());
      return s;
    }
  }
  if (!captures.empty()) {
    if (auto s = prepare(st.insert_capture,
                         "INSERT INTO captures (event_key, \"trigger\", result, bundle_path, "
                         "created_time, duration_seconds, bytes, error) VALUES (?, ?, ?, ?, ?, ?, "
                         "?, ?)");
        !s) {
      if (sqlite3_get_autocommit(db_) == 0) Run(st.rollback.get());
      return s;
    }
    for (const CaptureRecord& c : captures) {
      Binder b(st.insert_capture.get());
      b.Text(c.event_key).Text(c.trigger).Text(c.result).Text(c.bundle_path);
      b.Real(c.created_time).Real(c.duration_seconds).Uint(c.bytes).Text(c.error);
      if (!b.ok() || Run(st.insert_capture.get()) != SQLITE_OK) return fail("writing a capture");
    }
  }
  if (!processes.empty()) {
    if (auto s =
            prepare(st.insert_process_sample,
                    "INSERT INTO process_samples (time, boot_id, pid, start_ticks, comm, "
                    "state, cpu_ratio, cpu_ticks, rss_bytes, memory_total) VALUES (?, ?, ?, ?, "
                    "?, ?, ?, ?, ?, ?)");
        !s) {
      if (sqlite3_get_autocommit(db_) == 0) Run(st.rollback.get());
      return s;
    }
    for (const ProcessSampleRow& p : processes) {
      Binder b(st.insert_process_sample.get());
      b.Real(p.time).Text(p.boot_id).Int(p.pid).Uint(p.start_ticks).Blob(p.comm);
      b.Text(std::string_view(&p.state, 1)).Real(p.cpu_ratio).Uint(p.cpu_ticks);
      b.Uint(p.rss_bytes).Uint(p.memory_total);
      if (!b.ok() || Run(st.insert_process_sample.get()) != SQLITE_OK) {
        return fail("writing a process sample");
      }
    }
  }
  if (Run(st.commit.get()) != SQLITE_OK) return fail("committing");
  return {};
}

Status Store::AppendEventRows(const EventRecord& e) {
  Connection& st = *connection_;
  auto prepare = [&](Statement& slot, const char* sql) -> Status {
    if (slot) return {};
    auto s = Prepare(db_, path_, sql, SQLITE_PREPARE_PERSISTENT);
    if (!s) return s.error();
    slot = std::move(*s);
    return {};
  };
  if (auto s = prepare(st.upsert_event,
                       "INSERT INTO events (key, kind, start_time, end_time, duration_seconds, "
                       "score_before, state_from, state_to, notes, scope, scope_reason, "
                       "start_uncertainty_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT(key) DO UPDATE SET kind = excluded.kind, start_time = "
                       "excluded.start_time, end_time = excluded.end_time, duration_seconds = "
                       "excluded.duration_seconds, score_before = excluded.score_before, "
                       "state_from = excluded.state_from, state_to = excluded.state_to, notes = "
                       "excluded.notes, scope = excluded.scope, scope_reason = "
                       "excluded.scope_reason, start_uncertainty_seconds = "
                       "excluded.start_uncertainty_seconds RETURNING id");
      !s) {
    return s;
  }
  if (auto s = prepare(st.delete_processes, "DELETE FROM event_processes WHERE event_id = ?"); !s) {
    return s;
  }
  if (auto s = prepare(st.insert_process,
                       "INSERT INTO event_processes (event_id, list, rank, pid, comm, state, "
                       "cpu_ratio, rss_bytes, wchan) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
      !s) {
    return s;
  }
  sqlite3_stmt* upsert = st.upsert_event.get();
  Binder b(upsert);
  b.Text(e.key).Text(kEventKindNames[static_cast<std::size_t>(e.kind)]);
  b.Real(e.start_time).Real(e.end_time).Real(e.duration_seconds).Real(e.score_before);
  b.Text(e.state_from).Text(e.state_to).Text(e.notes);
  b.Text(e.scope).Text(e.scope_reason).Real(e.start_uncertainty_seconds);
  if (!b.ok()) return WriteError("writing event " + e.key);
  int rc = sqlite3_step(upsert);
  std::int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(upsert, 0) : 0;
  if (rc == SQLITE_ROW) rc = Run(upsert);
  if (rc != SQLITE_OK && rc != SQLITE_DONE) {
    Error err = WriteError("writing event " + e.key);
    sqlite3_reset(upsert);
    return err;
  }
  sqlite3_reset(upsert);
  sqlite3_bind_int64(st.delete_processes.get(), 1, id);
  if (Run(st.delete_processes.get()) != SQLITE_OK) {
    return WriteError("replacing the processes of event " + e.key);
  }
  for (const EventProcess& p : e.processes) {
    Binder pb(st.insert_process.get());
    pb.Int(id).Text(p.list).Int(p.rank).Int(p.pid).Blob(p.comm);
    pb.Text(std::string_view(&p.state, 1)).Real(p.cpu_ratio).Uint(p.rss_bytes).Text(p.wchan);
    if (!pb.ok() || Run(st.insert_process.get()) != SQLITE_OK) {
      return WriteError("writing the processes of event " + e.key);
    }
  }
  return {};
}

Result<std::uint64_t> Store::Prune(double samples_before, double events_before, int batch) {
  if (batch <= 0) return std::uint64_t{0};
  if (auto s = Exec(db_, path_, "BEGIN IMMEDIATE", "starting to prune"); !s) return s.error();
  auto fail = [&](std::string_view doing) -> Error {
    Error e = WriteError(doing);
    if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return e;
  };
  std::int64_t before = sqlite3_total_changes64(db_);
  std::int64_t direct = 0;
  struct Target {
    const char* sql;
    double cutoff;
  };
  // Deleting an event cascades to its processes (foreign key) and captures (trigger); the last
  // statement removes captures recorded without an event (schema 2 on).
  const Target targets[] = {
      {"DELETE FROM samples WHERE id IN (SELECT id FROM samples WHERE time < ? LIMIT ?)",
       samples_before},
      {"DELETE FROM events WHERE id IN (SELECT id FROM events WHERE start_time < ? LIMIT ?)",
       events_before},
      {"DELETE FROM captures WHERE id IN (SELECT id FROM captures WHERE created_time < ? LIMIT ?)",
       events_before},
  };
  std::size_t count = version_ >= 2 ? std::size(targets) : std::size(targets) - 1;
  for (std::size_t i = 0; i < count; ++i) {
    const Target& t = targets[i];
    std::int64_t left = batch - direct;
    if (left <= 0) break;
    auto stmt = Prepare(db_, path_, t.sql);
    if (!stmt) return fail("pruning");
    sqlite3_bind_double(stmt->get(), 1, t.cutoff);
    sqlite3_bind_int64(stmt->get(), 2, left);
    if (Run(stmt->get()) != SQLITE_OK) return fail("pruning");
    direct += sqlite3_changes64(db_);
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail("committing a prune");
  }
  std::int64_t total = sqlite3_total_changes64(db_) - before;
  return static_cast<std::uint64_t>(total > direct ? total : direct);
}

Result<std::vector<SampleRow>> Store::Samples(double from, double to, int limit) {
  auto stmt = Prepare(db_, path_,
                      "SELECT " + SampleColumnList(sample_columns_) +
                          " FROM samples WHERE time >= ? AND time <= ? ORDER BY time, id LIMIT ?");
  if (!stmt) return stmt.error();
  sqlite3_bind_double(stmt->get(), 1, from);
  sqlite3_bind_double(stmt->get(), 2, to);
  sqlite3_bind_int(stmt->get(), 3, limit);
  std::vector<SampleRow> rows;
  int rc;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    rows.push_back(ReadSample(stmt->get(), sample_columns_));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, path_, "reading samples");
  return rows;
}

namespace {

Status ReadProcesses(sqlite3* db, const std::string& path, std::int64_t id, EventRecord& e) {
  auto stmt = Prepare(db, path,
                      "SELECT list, rank, pid, comm, state, cpu_ratio, rss_bytes, wchan FROM "
                      "event_processes WHERE event_id = ? ORDER BY id");
  if (!stmt) return stmt.error();
  sqlite3_bind_int64(stmt->get(), 1, id);
  int rc;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    Reader c(stmt->get());
    EventProcess p;
    p.list = c.Bytes();
    p.rank = static_cast<int>(c.Int());
    p.pid = static_cast<std::int32_t>(c.Int());
    p.comm = c.Bytes();
    std::string state = c.Bytes();
    p.state = state.empty() ? '?' : state[0];
    p.cpu_ratio = c.Real();
    p.rss_bytes = c.Uint();
    p.wchan = c.Bytes();
    e.processes.push_back(std::move(p));
  }
  if (rc != SQLITE_DONE) return SqlError(db, path, "reading the processes of event " + e.key);
  return {};
}

}  // namespace

Result<std::vector<EventRecord>> Store::Events(double from, double to, int limit) {
  auto stmt =
      Prepare(db_, path_,
              "SELECT " + EventColumns(version_) +
                  " FROM events WHERE start_time >= ? AND start_time <= ? ORDER BY start_time, id "
                  "LIMIT ?");
  if (!stmt) return stmt.error();
  sqlite3_bind_double(stmt->get(), 1, from);
  sqlite3_bind_double(stmt->get(), 2, to);
  sqlite3_bind_int(stmt->get(), 3, limit);
  std::vector<EventRecord> events;
  std::vector<std::int64_t> ids;
  int rc;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    events.emplace_back();
    ids.push_back(ReadEvent(stmt->get(), events.back()));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, path_, "reading events");
  stmt->reset();
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (auto s = ReadProcesses(db_, path_, ids[i], events[i]); !s) return s.error();
  }
  return events;
}

Result<std::optional<EventRecord>> Store::Event(std::string_view key) {
  auto stmt =
      Prepare(db_, path_, "SELECT " + EventColumns(version_) + " FROM events WHERE key = ?");
  if (!stmt) return stmt.error();
  sqlite3_bind_text(stmt->get(), 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  int rc = sqlite3_step(stmt->get());
  if (rc == SQLITE_DONE) return std::optional<EventRecord>();
  if (rc != SQLITE_ROW) return SqlError(db_, path_, "reading event " + std::string(key));
  EventRecord e;
  std::int64_t id = ReadEvent(stmt->get(), e);
  stmt->reset();
  if (auto s = ReadProcesses(db_, path_, id, e); !s) return s.error();
  return std::optional<EventRecord>(std::move(e));
}

Result<std::vector<CaptureRecord>> Store::Captures(std::string_view event_key) {
  std::vector<CaptureRecord> captures;
  if (version_ < 2) return captures;
  auto stmt = Prepare(db_, path_,
                      "SELECT event_key, \"trigger\", result, bundle_path, created_time, "
                      "duration_seconds, bytes, error FROM captures WHERE event_key = ? ORDER BY "
                      "created_time, id");
  if (!stmt) return stmt.error();
  sqlite3_bind_text(stmt->get(), 1, event_key.data(), static_cast<int>(event_key.size()),
                    SQLITE_STATIC);
  int rc;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    Reader c(stmt->get());
    CaptureRecord r;
    r.event_key = c.Bytes();
    r.trigger = c.Bytes();
    r.result = c.Bytes();
    r.bundle_path = c.Bytes();
    r.created_time = c.Real();
    r.duration_seconds = c.Real();
    r.bytes = c.Uint();
    r.error = c.Bytes();
    captures.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE)
    return SqlError(db_, path_, "reading captures of " + std::string(event_key));
  return captures;
}

namespace {

Status NeedsProcessTables(int version, const std::string& path) {
  if (version >= kProcessTablesVersion) return {};
  return Error{path + ": schema version " + std::to_string(version) +
               " has no process history or kill audit (opened read-only before an upgrade)"};
}

ProcessSampleRow ReadProcessSample(sqlite3_stmt* s) {
  Reader c(s);
  ProcessSampleRow r;
  r.time = c.Real();
  r.boot_id = c.Bytes();
  r.pid = static_cast<std::int32_t>(c.Int());
  r.start_ticks = c.Uint();
  r.comm = c.Bytes();
  std::string state = c.Bytes();
  r.state = state.empty() ? '?' : state[0];
  r.cpu_ratio = c.Real();
  r.cpu_ticks = c.Uint();
  r.rss_bytes = c.Uint();
  r.memory_total = c.Uint();
  return r;
}

}  // namespace

Result<std::uint64_t> Store::PruneProcessData(double history_before, double audit_before,
                                              int batch) {
  if (batch <= 0 || version_ < kProcessTablesVersion) return std::uint64_t{0};
  if (auto s = Exec(db_, path_, "BEGIN IMMEDIATE", "starting to prune"); !s) return s.error();
  auto fail = [&](std::string_view doing) -> Error {
    Error e = SqlError(db_, path_, doing);
    if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return e;
  };
  std::int64_t deleted = 0;
  const std::pair<const char*, double> targets[] = {
      {"DELETE FROM process_samples WHERE id IN (SELECT id FROM process_samples WHERE time < ? "
       "LIMIT ?)",
       history_before},
      {"DELETE FROM kill_audit WHERE id IN (SELECT id FROM kill_audit WHERE time < ? LIMIT ?)",
       audit_before},
  };
  for (const auto& [sql, cutoff] : targets) {
    std::int64_t left = batch - deleted;
    if (left <= 0) break;
    auto stmt = Prepare(db_, path_, sql);
    if (!stmt) return fail("pruning");
    sqlite3_bind_double(stmt->get(), 1, cutoff);
    sqlite3_bind_int64(stmt->get(), 2, left);
    if (Run(stmt->get()) != SQLITE_OK) return fail("pruning");
    deleted += sqlite3_changes64(db_);
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail("committing a prune");
  }
  return static_cast<std::uint64_t>(deleted);
}

Result<std::int64_t> Store::AppendKillAudit(const KillAuditRow& r) {
  if (auto s = NeedsProcessTables(version_, path_); !s) return s.error();
  auto stmt = Prepare(db_, path_,
                      "INSERT INTO kill_audit (time, client, principal, pid, boot_id, start_ticks, "
                      "comm, exe, force, decision, result, reason, signals, finished_time) VALUES "
                      "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
  if (!stmt) return stmt.error();
  Binder b(stmt->get());
  b.Real(r.time).Text(r.client).Text(r.principal).Int(r.pid).Text(r.boot_id);
  if (r.start_ticks) {
    b.Uint(*r.start_ticks);
  } else {
    b.OptionalReal(std::nullopt);
  }
  b.Blob(r.comm).Blob(r.exe).Int(r.force ? 1 : 0).Text(r.decision).Text(r.result).Text(r.reason);
  b.Text(r.signals).OptionalReal(r.finished_time);
  if (!b.ok()) return SqlError(db_, path_, "writing a kill audit row");
  int rc = sqlite3_step(stmt->get());
  if (rc != SQLITE_ROW) return SqlError(db_, path_, "writing a kill audit row");
  std::int64_t id = sqlite3_column_int64(stmt->get(), 0);
  if (Run(stmt->get()) != SQLITE_OK) return SqlError(db_, path_, "writing a kill audit row");
  return id;
}

Status Store::FinishKillAudit(std::int64_t id, std::string_view result, std::string_view reason,
                              std::string_view signals, double finished_time) {
  if (auto s = NeedsProcessTables(version_, path_); !s) return s;
  auto stmt =
      Prepare(db_, path_,
              "UPDATE kill_audit SET result = ?, reason = ?, signals = ?, finished_time = ? "
              "WHERE id = ?");
  if (!stmt) return stmt.error();
  Binder b(stmt->get());
  b.Text(result).Text(reason).Text(signals).Real(finished_time).Int(id);
  if (!b.ok() || Run(stmt->get()) != SQLITE_OK) {
    return SqlError(db_, path_, "finishing kill audit row " + std::to_string(id));
  }
  return {};
}

Result<std::vector<KillAuditRow>> Store::KillAudits(double from, double to, int limit) {
  std::vector<KillAuditRow> rows;
  if (version_ < kProcessTablesVersion) return rows;
  auto stmt = Prepare(db_, path_,
                      "SELECT id, time, client, principal, pid, boot_id, start_ticks, comm, exe, "
                      "force, decision, result, reason, signals, finished_time FROM kill_audit "
                      "WHERE time >= ? AND time <= ? ORDER BY time, id LIMIT ?");
  if (!stmt) return stmt.error();
  sqlite3_bind_double(stmt->get(), 1, from);
  sqlite3_bind_double(stmt->get(), 2, to);
  sqlite3_bind_int(stmt->get(), 3, limit);
  int rc;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    Reader c(stmt->get());
    KillAuditRow r;
    r.id = c.Int();
    r.time = c.Real();
    r.client = c.Bytes();
    r.principal = c.Bytes();
    r.pid = static_cast<std::int32_t>(c.Int());
    r.boot_id = c.Bytes();
    if (sqlite3_column_type(stmt->get(), 6) == SQLITE_NULL) {
      c.Int();
    } else {
      r.start_ticks = c.Uint();
    }
    r.comm = c.Bytes();
    r.exe = c.Bytes();
    r.force = c.Int() != 0;
    r.decision = c.Bytes();
    r.result = c.Bytes();
    r.reason = c.Bytes();
    r.signals = c.Bytes();
    r.finished_time = c.OptionalReal();
    rows.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, path_, "reading the kill audit");
  return rows;
}

Result<std::vector<ProcessSampleRow>> Store::ProcessHistory(const ProcessIdentity& process,
                                                            double from, double to, int limit) {
  std::vector<ProcessSampleRow> rows;
  if (version_ < kProcessTablesVersion) return rows;
  auto stmt =
      Prepare(db_, path_,
              "SELECT time, boot_id, pid, start_ticks, comm, state, cpu_ratio, cpu_ticks, "
              "rss_bytes, memory_total FROM process_samples WHERE pid = ? AND start_ticks = "
              "? AND boot_id = ? AND time >= ? AND time <= ? ORDER BY time, id LIMIT ?");
  if (!stmt) return stmt.error();
  Binder b(stmt->get());
  b.Int(process.pid).Uint(process.start_ticks).Text(process.boot_id).Real(from).Real(to);
  b.Int(limit);
  if (!b.ok()) return SqlError(db_, path_, "reading process history");
  int rc;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW)
    rows.push_back(ReadProcessSample(stmt->get()));
  if (rc != SQLITE_DONE) return SqlError(db_, path_, "reading process history");
  return rows;
}

Result<std::optional<ProcessIdentity>> Store::LatestProcess(std::int32_t pid) {
  if (version_ < kProcessTablesVersion) return std::optional<ProcessIdentity>();
  auto stmt = Prepare(db_, path_,
                      "SELECT boot_id, start_ticks FROM process_samples WHERE pid = ? ORDER BY "
                      "time DESC, id DESC LIMIT 1");
  if (!stmt) return stmt.error();
  sqlite3_bind_int64(stmt->get(), 1, pid);
  int rc = sqlite3_step(stmt->get());
  if (rc == SQLITE_DONE) return std::optional<ProcessIdentity>();
  if (rc != SQLITE_ROW) return SqlError(db_, path_, "reading process history");
  Reader c(stmt->get());
  ProcessIdentity identity;
  identity.boot_id = c.Bytes();
  identity.pid = pid;
  identity.start_ticks = c.Uint();
  return std::optional<ProcessIdentity>(std::move(identity));
}

Result<std::optional<EventRecord>> Store::EventById(std::int64_t id) {
  auto stmt = Prepare(db_, path_, "SELECT " + EventColumns(version_) + " FROM events WHERE id = ?");
  if (!stmt) return stmt.error();
  sqlite3_bind_int64(stmt->get(), 1, id);
  int rc = sqlite3_step(stmt->get());
  if (rc == SQLITE_DONE) return std::optional<EventRecord>();
  if (rc != SQLITE_ROW) return SqlError(db_, path_, "reading event " + std::to_string(id));
  EventRecord e;
  ReadEvent(stmt->get(), e);
  stmt->reset();
  if (auto s = ReadProcesses(db_, path_, id, e); !s) return s.error();
  return std::optional<EventRecord>(std::move(e));
}

Result<std::vector<EventRecord>> Store::LatestEvents(double from,
                                                     const std::vector<EventKind>& kinds,
                                                     int limit) {
  std::string sql = "SELECT " + EventColumns(version_) + " FROM events WHERE start_time >= ?";
  if (!kinds.empty()) {
    sql += " AND kind IN (";
    for (std::size_t i = 0; i < kinds.size(); ++i) sql += i == 0 ? "?" : ", ?";
    sql += ")";
  }
  sql += " ORDER BY start_time DESC, id DESC LIMIT ?";
  auto stmt = Prepare(db_, path_, sql);
  if (!stmt) return stmt.error();
  int index = 1;
  sqlite3_bind_double(stmt->get(), index++, from);
  for (EventKind kind : kinds) {
    std::string_view name = kEventKindNames[static_cast<std::size_t>(kind)];
    sqlite3_bind_text(stmt->get(), index++, name.data(), static_cast<int>(name.size()),
                      SQLITE_STATIC);
  }
  sqlite3_bind_int(stmt->get(), index, limit);
  std::vector<EventRecord> events;
  int rc;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    events.emplace_back();
    ReadEvent(stmt->get(), events.back());
  }
  if (rc != SQLITE_DONE) return SqlError(db_, path_, "reading events");
  stmt->reset();
  for (auto& e : events) {
    if (auto s = ReadProcesses(db_, path_, e.id, e); !s) return s.error();
  }
  return events;
}

Result<std::optional<SampleRow>> Store::LatestSample() {
  auto stmt = Prepare(db_, path_,
                      "SELECT " + SampleColumnList(sample_columns_) +
                          " FROM samples ORDER BY time DESC, id DESC LIMIT 1");
  if (!stmt) return stmt.error();
  int rc = sqlite3_step(stmt->get());
  if (rc == SQLITE_DONE) return std::optional<SampleRow>();
  if (rc != SQLITE_ROW) return SqlError(db_, path_, "reading the latest sample");
  return std::optional<SampleRow>(ReadSample(stmt->get(), sample_columns_));
}

Result<PruneCounts> Store::CountPrunable(double samples_before, double events_before,
                                         double processes_before) {
  struct Count {
    const char* sql;
    std::uint64_t PruneCounts::*field;
    int version;  // the schema version that has the table
  };
  // Captures go with their events (trigger) and on their own when older than the cut-off.
  const Count counts[] = {
      {"SELECT count(*) FROM samples WHERE time < ?1", &PruneCounts::samples, 1},
      {"SELECT count(*) FROM events WHERE start_time < ?2", &PruneCounts::events, 1},
      {"SELECT count(*) FROM event_processes WHERE event_id IN (SELECT id FROM events WHERE "
       "start_time < ?2)",
       &PruneCounts::event_processes, 1},
      {"SELECT count(*) FROM captures WHERE created_time < ?2 OR event_key IN (SELECT key FROM "
       "events WHERE start_time < ?2)",
       &PruneCounts::captures, 2},
      {"SELECT count(*) FROM process_samples WHERE time < ?3", &PruneCounts::process_samples,
       kProcessTablesVersion},
      {"SELECT count(*) FROM kill_audit WHERE time < ?2", &PruneCounts::kill_audit,
       kProcessTablesVersion},
  };
  PruneCounts result;
  for (const Count& count : counts) {
    if (version_ < count.version) continue;
    auto stmt = Prepare(db_, path_, count.sql);
    if (!stmt) return stmt.error();
    const std::pair<const char*, double> cutoffs[] = {
        {"?1", samples_before}, {"?2", events_before}, {"?3", processes_before}};
    for (const auto& [name, value] : cutoffs) {
      const int index = sqlite3_bind_parameter_index(stmt->get(), name);
      if (index > 0) sqlite3_bind_double(stmt->get(), index, value);
    }
    if (sqlite3_step(stmt->get()) != SQLITE_ROW) {
      return SqlError(db_, path_, "counting what retention removes");
    }
    result.*count.field = static_cast<std::uint64_t>(sqlite3_column_int64(stmt->get(), 0));
  }
  return result;
}

Status Store::Vacuum() {
  if (auto s = Exec(db_, path_, "VACUUM", "vacuuming"); !s) return s;
  return Exec(db_, path_, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpointing");
}

}  // namespace rh::forensics

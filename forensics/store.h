#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "analysis/scored_sample.h"
#include "base/result.h"

struct sqlite3;

namespace rh::forensics {

/// Kinds of events in the history.
/// kKernel: a stall or trouble the kernel reported (analysis/kernel_reports.h); kPressure: a PSI
/// trigger that fired.
enum class EventKind : std::uint8_t {
  kPause,
  kSuspend,
  kCritical,
  kStateChange,
  kKernel,
  kPressure
};
inline constexpr std::array<std::string_view, 6> kEventKindNames = {
    "pause", "suspend", "critical", "state_change", "kernel", "pressure"};

/// A process listed with an event (the top processes when it happened).
struct EventProcess {
  std::string list;  ///< "cpu", "rss" or "blocked".
  int rank = 0;      ///< 1-based within its list.
  std::int32_t pid = 0;
  std::string comm;  ///< Raw bytes, stored as a BLOB (names need not be UTF-8).
  char state = '?';
  double cpu_ratio = 0;
  std::uint64_t rss_bytes = 0;
  std::string wchan;
};

/// A pause, suspend, critical episode or sampling state change.
struct EventRecord {
  std::int64_t id = 0;  ///< Row id in the history: set when read, ignored when written.
  std::string key;  ///< Unique; also the forensic bundle's id, e.g. "20261123T101500.123Z-pause".
  EventKind kind = EventKind::kPause;
  double start_time = 0;  ///< Unix seconds.
  double end_time = 0;    ///< Unix seconds; equal to start_time for instantaneous events.
  double duration_seconds = 0;
  double score_before = 0;  ///< Stress score of the last sample before the event.
  std::string state_from;   ///< State changes only.
  std::string state_to;
  std::string notes;
  /// Pauses: what froze ("machine", "hypervisor", "process", "unknown"; analysis/pause_scope.h),
  /// for "process" why ("signal", "frozen", "throttled", "run_delay", "none"), and how exactly
  /// the start is known (± seconds). Empty and 0 for other events and for pauses recorded
  /// before schema 3.
  std::string scope;
  std::string scope_reason;
  double start_uncertainty_seconds = 0;
  std::vector<EventProcess> processes;
};

/// A forensic capture, recorded against its event.
struct CaptureRecord {
  std::string event_key;
  std::string trigger;      ///< "pause", "critical" or "manual".
  std::string result;       ///< "ok", "failed" or "rate_limited".
  std::string bundle_path;  ///< Empty unless result is "ok".
  double created_time = 0;  ///< Unix seconds.
  double duration_seconds = 0;
  std::uint64_t bytes = 0;
  std::string error;
};

/// A raw field of a stored sample: an integer or a real, as its description says.
using ColumnValue = std::variant<std::int64_t, double>;

/// One stored sample: what was derived from it (score, components), a few derived signals, and
/// the raw fields whose descriptions name a column (collectors/fields.h, `column`), one row per
/// tick. Cumulative counters stay cumulative; rates are derived on read.
struct SampleRow {
  double time = 0;  ///< Unix seconds.
  std::int64_t sequence = 0;
  double interval_seconds = 0;
  std::string state;  ///< "normal", "elevated" or "critical".
  double score = 0;
  std::array<double, analysis::kComponentCount> components{};
  double latency_seconds = 0;
  // Derived from several raw values.
  double cpu_total_seconds = 0;
  std::optional<double> psi_cpu_some, psi_io_some, psi_io_full, psi_memory_some, psi_memory_full;
  std::optional<double> max_temperature;
  /// The described raw fields by column name ("load1", "memory_available", "pswpin"...). A column
  /// that the database lacks (it was written before the field existed) is absent.
  std::map<std::string, ColumnValue, std::less<>> fields;

  /// The field as a number; nullopt when absent.
  std::optional<double> Number(std::string_view column) const;
};

/// The columns of the samples table that follow the sample's field descriptions, in order.
struct SampleColumn {
  std::string_view name;
  bool integer = false;
};
const std::vector<SampleColumn>& DescribedSampleColumns();

/// Maps a pass of the sampler onto its row. CPU total is the sum of the modes that make up the
/// time (user, nice, system, idle, iowait, irq, softirq, steal; guest time is already in user and
/// nice), as analysis::Assess counts it; PSI values are the kernel's avg10 percentages, absent
/// when the resource or line is unavailable; `fields` holds every described field with a column.
SampleRow ToSampleRow(const analysis::ScoredSample& sample);

/// One process of a top-N list at one sample: the per-process history of the process API. A
/// process is (boot_id, pid, start_ticks): a reused pid never merges two processes.
struct ProcessSampleRow {
  double time = 0;  ///< Unix seconds.
  std::string boot_id;
  std::int32_t pid = 0;
  std::uint64_t start_ticks = 0;  ///< Start time in clock ticks since boot.
  std::string comm;               ///< Raw bytes, stored as a BLOB.
  char state = '?';
  double cpu_ratio = 0;  ///< CPU seconds per second over the sampling interval.
  std::uint64_t cpu_ticks = 0;
  std::uint64_t rss_bytes = 0;
  std::uint64_t memory_total = 0;  ///< MemTotal at the sample, for the memory share.
};

/// The processes of a sample's top-N lists (by CPU and by RSS, each process once) as history
/// rows, if the process collector succeeded.
std::vector<ProcessSampleRow> ToProcessSampleRows(const analysis::ScoredSample& sample,
                                                  std::string_view boot_id);

/// Which process a pid named: the identity of ProcessSampleRow.
struct ProcessIdentity {
  std::string boot_id;
  std::int32_t pid = 0;
  std::uint64_t start_ticks = 0;
};

/// One request to kill a process, as audited (POST /api/processes/{pid}/kill).
struct KillAuditRow {
  std::int64_t id = 0;    ///< Assigned when appended.
  double time = 0;        ///< Unix seconds of the request.
  std::string client;     ///< The client's address.
  std::string principal;  ///< Who authenticated: "token", "basic:<user>", or "" when nobody.
  std::int32_t pid = 0;
  std::string boot_id;
  std::optional<std::uint64_t> start_ticks;  ///< The target's identity, when it was read.
  std::string comm;
  std::string exe;
  bool force = false;
  std::string decision;  ///< "allowed" or "refused".
  std::string result;    ///< A kill result name ("terminated", "forbidden", ...), or "pending".
  std::string reason;    ///< Why, in words.
  std::string signals;   ///< Signals sent, e.g. "SIGTERM,SIGKILL"; empty when none.
  std::optional<double> finished_time;
};

/// Rows written together in one transaction.
struct Batch {
  std::vector<SampleRow> samples;
  std::vector<EventRecord> events;
  std::vector<CaptureRecord> captures;
  std::vector<ProcessSampleRow> processes;
  bool empty() const { return size() == 0; }
  std::size_t size() const {
    return samples.size() + events.size() + captures.size() + processes.size();
  }
};

/// What Store::Prune would delete with the same cut-offs.
struct PruneCounts {
  std::uint64_t samples = 0;
  std::uint64_t events = 0;
  std::uint64_t event_processes = 0;  ///< Go with their events.
  std::uint64_t captures = 0;         ///< With their events, or older than the events' cut-off.
  std::uint64_t process_samples = 0;  ///< Per-process history (PruneProcessData).
  std::uint64_t kill_audit = 0;       ///< Kill audit rows, older than the events' cut-off.
  std::uint64_t total() const {
    return samples + events + event_processes + captures + process_samples + kill_audit;
  }
};

/// What Open() had to do.
struct OpenReport {
  bool created = false;     ///< The file did not exist.
  bool full_check = false;  ///< PRAGMA quick_check ran over the whole file.
  int migrated_from = -1;   ///< Schema version found (-1 if created), when a migration ran.
  std::string moved_aside;  ///< Path a corrupt database was renamed to, if any.
  std::string corruption;   ///< Why it was moved aside (the SQLite error or quick_check).
};

/// The local history: one SQLite file in WAL mode, schema versioned with PRAGMA user_version and
/// upgraded by ordered migrations. One connection; use a Store from one thread at a time (open
/// one per thread). Readers and a writer in different processes work concurrently (WAL,
/// busy_timeout on every connection). Owns the connection: not copyable or movable.
class Store {
 public:
  static constexpr int kSchemaVersion = 4;

  struct Options {
    bool read_only = false;  ///< Readers (rh-forensics): never create, migrate or reset.
    int busy_timeout_ms = 5000;
    double now = 0;  ///< Unix seconds, for the name of a moved-aside corrupt file.
    /// Caps the file at this many pages (PRAGMA max_page_count; 0: SQLite's default), so that
    /// tests can make writes fail as on a full disk.
    std::int64_t max_page_count = 0;
    /// When set, long operations (the integrity check, a write) stop with an error as soon as
    /// it becomes true: lets another thread bound how long a shutdown waits. Must outlive the
    /// Store.
    const std::atomic<bool>* abandon = nullptr;
    /// Every commit reaches the disk before it returns (PRAGMA synchronous = FULL), as the kill
    /// audit needs; otherwise a power loss may lose the last commits (never a process crash).
    bool durable = false;
    /// When a writable open runs the full integrity check (PRAGMA quick_check, whose time grows
    /// with the file: about a second at 30 days of samples): always, or only when the previous
    /// writer did not close the file (its -wal file is still there: a crash, a kill -9, a power
    /// loss). Every writable open checks the header and the schema, which costs next to nothing.
    enum class Check { kAlways, kAfterUncleanClose };
    Check integrity_check = Check::kAlways;
  };

  /// Opens (creating the file and its directory unless read-only), checks integrity (see
  /// Options::integrity_check), and migrates. A corrupt file is renamed to
  /// "<path>.corrupt-<UTC time>" (with its -wal and -shm) and a fresh one created; `report` says
  /// so.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, const Options& options,
                                             OpenReport* report = nullptr);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  int schema_version() const;

  /// Writes rows in one transaction: all or nothing.
  Status AppendSamples(const std::vector<SampleRow>& rows);
  /// An event whose key is already stored replaces it, its processes included (an episode can
  /// be written when it starts and again when it ends).
  Status AppendEvent(const EventRecord& event);
  /// The event need not be stored (yet): captures are linked by key and removed with it.
  Status AppendCapture(const CaptureRecord& capture);
  /// Samples, events and captures in one transaction: all or nothing.
  Status Append(const Batch& batch);

  /// Deletes samples older than `samples_before` and events (with their processes and captures)
  /// older than `events_before` (Unix seconds), at most `batch` rows per call. Returns the number
  /// of rows deleted; call again while it returns `batch` or more.
  Result<std::uint64_t> Prune(double samples_before, double events_before, int batch);

  /// Deletes process history older than `history_before` and kill audit rows older than
  /// `audit_before` (Unix seconds), at most `batch` rows per call; call again while it returns
  /// `batch` or more.
  Result<std::uint64_t> PruneProcessData(double history_before, double audit_before, int batch);

  /// Appends an audit row and returns its id; with Options::durable it is on disk when this
  /// returns.
  Result<std::int64_t> AppendKillAudit(const KillAuditRow& row);
  /// Records how an allowed kill ended.
  Status FinishKillAudit(std::int64_t id, std::string_view result, std::string_view reason,
                         std::string_view signals, double finished_time);
  Result<std::vector<KillAuditRow>> KillAudits(double from, double to, int limit = 100000);

  /// The history of one process between `from` and `to`, at most `limit` rows.
  Result<std::vector<ProcessSampleRow>> ProcessHistory(const ProcessIdentity& process, double from,
                                                       double to, int limit = 100000);
  /// The process a pid named most recently in the history, if any.
  Result<std::optional<ProcessIdentity>> LatestProcess(std::int32_t pid);

  // Reading. Times are Unix seconds; results are ordered by time, oldest first.
  Result<std::vector<SampleRow>> Samples(double from, double to, int limit = 100000);
  Result<std::vector<EventRecord>> Events(double from, double to, int limit = 100000);
  Result<std::optional<EventRecord>> Event(std::string_view key);
  Result<std::vector<CaptureRecord>> Captures(std::string_view event_key);
  /// The event with that row id (EventRecord::id), with its processes.
  Result<std::optional<EventRecord>> EventById(std::int64_t id);
  /// Events that started at or after `from`, of the given kinds (all when empty), newest first,
  /// at most `limit`, with their processes.
  Result<std::vector<EventRecord>> LatestEvents(double from, const std::vector<EventKind>& kinds,
                                                int limit);
  /// The newest sample, if any.
  Result<std::optional<SampleRow>> LatestSample();

  /// Counts what Prune(samples_before, events_before, ...) and PruneProcessData(
  /// processes_before, events_before, ...) would delete.
  Result<PruneCounts> CountPrunable(double samples_before, double events_before,
                                    double processes_before);
  /// Rebuilds the file without its free pages (VACUUM) and truncates the write-ahead log. Waits
  /// for other connections' transactions (busy timeout).
  Status Vacuum();

  /// Whether path() no longer names the file this Store has open: deleted, or replaced by
  /// another file (compares device and inode).
  bool FileReplaced() const;
  /// A file by name and identity.
  struct FileId {
    std::string path;
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
  };
  /// The -wal and -shm files this Store opened with the database. When the database file was
  /// deleted or replaced, SQLite leaves them behind at close, and the next open of the path
  /// would replay that WAL into the new file: remove those still there (same identity) first.
  const std::vector<FileId>& companion_files() const { return companions_; }

  /// PRAGMA quick_check over the whole file: empty when it is sound, else what it found.
  Result<std::string> IntegrityProblems();
  /// Whether a statement of this connection has failed because the file is corrupt: it should be
  /// reopened with the full check, which moves it aside.
  bool corruption_seen() const { return corruption_seen_; }

  // Giving space back. Deleted rows leave free pages in the file; with auto_vacuum = INCREMENTAL
  // (every file this version creates) they can be returned to the file system.

  /// Whether the file has auto_vacuum = INCREMENTAL.
  Result<bool> IncrementalVacuumEnabled();
  /// Switches an older file to auto_vacuum = INCREMENTAL with a one-time VACUUM, which rewrites
  /// the file: it takes time, and for a while disk space, in proportion to the file's size. It
  /// runs only when at least twice the file's size is free on its file system (else an error
  /// says so, and nothing changes) and is all or nothing.
  Status EnableIncrementalVacuum();
  /// Returns up to `pages` free pages to the file system in one transaction (PRAGMA
  /// incremental_vacuum), then, when none are left, checkpoints the WAL so that the file shrinks
  /// now. Returns how many free pages there were before; 0 for a file without incremental
  /// vacuum, whose free pages cannot be returned.
  Result<std::int64_t> ReleaseFreePages(int pages);

  /// Changes the page cap of Options::max_page_count (0: SQLite's default) on this connection.
  Status SetMaxPageCount(std::int64_t pages);
  /// Changes how long a statement waits for another connection's lock.
  void SetBusyTimeout(int milliseconds);

  const std::string& path() const { return path_; }

  /// Runs the migrations up to `version` only: for tests of upgrades from older schemas.
  static Status MigrateForTest(const std::string& path, int version);

 private:
  struct Connection;
  Store(sqlite3* db, std::string path, int version, const Options& options);
  Status Write(const std::vector<SampleRow>& samples, const std::vector<EventRecord>& events,
               const std::vector<CaptureRecord>& captures,
               const std::vector<ProcessSampleRow>& processes = {});
  Status AppendEventRows(const EventRecord& event);
  // SqlError() for a statement of the write path; remembers when it says the file is corrupt.
  Error WriteError(std::string_view doing);

  sqlite3* db_;
  std::vector<SampleColumn> sample_columns_;  // The described columns the samples table has.
  bool corruption_seen_ = false;
  std::uint64_t device_ = 0;  // of the file opened, for FileReplaced()
  std::uint64_t inode_ = 0;
  std::vector<FileId> companions_;
  std::string path_;
  int version_ = 0;
  std::unique_ptr<Connection> connection_;  // Cached statements and the busy-wait state.
};

}  // namespace rh::forensics

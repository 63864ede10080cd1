#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "analysis/scored_sample.h"
#include "base/clock.h"
#include "config/config.h"
#include "forensics/store.h"

namespace rh::forensics {

/// Counters of the history writer, read by the exporter for the "Local history" metrics of
/// docs/metrics.md. Thread-safe: the writer thread updates, anyone reads.
struct StorageStats {
  std::atomic<std::uint64_t> writes{0};           ///< rogue_hunter_storage_writes_total
  std::atomic<std::uint64_t> errors{0};           ///< rogue_hunter_storage_errors_total
  std::atomic<bool> healthy{true};                ///< rogue_hunter_storage_healthy
  std::atomic<std::uint64_t> database_resets{0};  ///< rogue_hunter_storage_database_resets_total
  /// rogue_hunter_storage_database_reopens_total: the file was deleted or replaced while open.
  std::atomic<std::uint64_t> database_reopens{0};
  std::atomic<std::uint64_t> pruned_rows{0};   ///< rogue_hunter_storage_pruned_rows_total
  std::atomic<std::uint64_t> dropped_rows{0};  ///< Rows given up while writes failed.
};

/// Tunables of HistoryWriter; the defaults are the daemon's.
struct HistoryWriterOptions {
  std::size_t max_queued_samples = 1000;  ///< Kept while writes fail; the oldest go first.
  std::size_t max_queued_events = 1000;   ///< Events and captures, kept apart from samples.
  double retry_seconds = 1;               ///< Between attempts while writes fail.
  double prune_interval_seconds = 600;    ///< Between retention passes (one at start-up).
  /// Between full integrity checks of the open file (PRAGMA quick_check), which start-up skips
  /// unless the previous writer did not close the file.
  double integrity_check_interval_seconds = 86400;
  int prune_batch = 500;   ///< Rows deleted per prune transaction.
  int vacuum_pages = 512;  ///< Free pages returned to the file system per transaction.
  int busy_timeout_ms = 5000;
  std::int64_t max_page_count = 0;  ///< Store::Options::max_page_count, for tests.
  /// The per-process history of the top-N processes (Store::ProcessHistory): written with this
  /// boot id, at most one row per process per `process_interval_seconds`, kept for
  /// `process_retention_seconds`. Empty boot id: no per-process history.
  std::string boot_id;
  double process_interval_seconds = 60;
  double process_retention_seconds = 48 * 3600;
};

/// Writes the history in the background: the sampler hands rows over without waiting, and one
/// thread that owns the Store writes them, one transaction per wake-up, and prunes old rows by
/// the retention settings in small batches between writes.
///
/// When writing fails (directory missing and not creatable, read-only file, full disk, I/O
/// error), the daemon keeps going: every failed transaction counts in `stats.errors`, `healthy`
/// drops to false, rows stay queued up to the bounds of HistoryWriterOptions (events are kept in
/// preference to samples) and are retried at most every `retry_seconds`, reopening the database
/// if it could not be opened. One line is logged when writing starts to fail and one when it
/// works again. A corrupt database is moved aside (Store::Open), logged and counted in
/// `stats.database_resets`. So that start-up does not read the whole file, the full integrity
/// check runs at open only after an unclean close; otherwise it runs every
/// `integrity_check_interval_seconds` on the writer thread, and at once when a statement reports
/// corruption (the file is then reopened with the full check). Before each write the writer
/// checks that the path still names the file it has open; a file deleted or replaced meanwhile is
/// closed and the path opened again (a fresh file, or the replacement), logged and counted in
/// `stats.database_reopens`: rows written to the deleted file are lost with it, the rest go to
/// the new one.
///
/// Space freed by pruning goes back to the file system: after each retention pass, in steps of
/// `vacuum_pages` pages between writes (Store::ReleaseFreePages). A file made by an older version
/// is first converted once (Store::EnableIncrementalVacuum), at the first moment nothing is
/// queued after opening it; when that fails (not enough free disk space) it is logged and tried
/// again at the next start.
///
/// Time comes from the injected clock (retries, the prune schedule and its cut-offs).
/// Thread-safe: Add() and Flush() may be called from any thread. Owns a thread: not copyable or
/// movable.
class HistoryWriter {
 public:
  HistoryWriter(std::string database, const config::Retention& retention, const Clock& clock,
                StorageStats& stats, HistoryWriterOptions options = {});
  /// Stops (as Stop()) if still running.
  ~HistoryWriter();
  HistoryWriter(const HistoryWriter&) = delete;
  HistoryWriter& operator=(const HistoryWriter&) = delete;

  /// Starts the writer thread, which opens the database (creating or migrating it) and prunes.
  /// Returns at once. Does nothing if already started.
  void Start();
  /// Writes what is queued (one last attempt, even while retries wait) and stops the thread,
  /// waiting at most about half a second: after that, a write in progress is abandoned.
  void Stop();

  /// Queues a row; never waits for the disk. Converted at once to its SampleRow (and the rows of
  /// its top processes that are due), so the sample itself is not kept.
  void Add(std::shared_ptr<const analysis::ScoredSample> sample);
  void Add(SampleRow row);
  void Add(EventRecord event);
  void Add(CaptureRecord capture);

  /// Wakes the writer and waits until it has handled everything queued before the call (written
  /// it, or failed to while retries wait) and finished any prune that is due, or until
  /// `timeout`. True if nothing is left queued. For tests and for shutdown ordering.
  bool Flush(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// New retention settings (a configuration reload), used from the next retention pass on.
  void SetRetention(const config::Retention& retention);

  /// Rows waiting to be written.
  std::size_t queued() const;

  /// Changes HistoryWriterOptions::max_page_count while running (0: no cap), for tests of a full
  /// disk and of the recovery from it.
  void SetMaxPageCountForTest(std::int64_t pages);

 private:
  struct Queue;
  void Run();
  void Pass(bool final_pass);
  bool OpenStore();
  void WriteQueued(bool final_pass);
  void PruneStep();
  void CheckIntegrity();
  void VacuumStep();
  void ConvertToIncrementalVacuum();
  void ReopenIfCorrupt();
  bool ReopenIfReplaced();
  void Failed(const std::string& reason);
  void Succeeded();
  double MonotonicSeconds() const;
  double UnixSeconds() const;

  const std::string database_;
  config::Retention retention_;  // Guarded by mutex_.
  const Clock& clock_;
  StorageStats& stats_;
  const HistoryWriterOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;     // The writer waits on it for work.
  std::condition_variable settled_;  // Flush() waits on it.
  std::unique_ptr<Queue> queue_;     // Guarded by mutex_.
  bool started_ = false;
  bool stopping_ = false;
  bool stopped_ = false;  // The thread has left its loop.
  std::uint64_t flush_requests_ = 0;
  std::uint64_t flushes_served_ = 0;
  bool idle_ = false;           // Nothing due until the next retry or prune.
  std::uint64_t arrivals_ = 0;  // Rows added so far, to notice new work.
  std::atomic<bool> abandon_{false};
  std::atomic<std::int64_t> max_page_count_;
  std::thread thread_;

  // Writer thread only.
  std::unique_ptr<Store> store_;
  bool attempted_open_ = false;
  std::int64_t applied_max_page_count_ = 0;
  bool failing_ = false;
  std::uint64_t dropped_at_failure_ = 0;
  double next_retry_ = 0;            // Monotonic seconds.
  double next_prune_ = 0;            // Monotonic seconds.
  double next_integrity_check_ = 0;  // Monotonic seconds.
  bool full_check_next_open_ = false;
  bool vacuum_due_ = false;      // A retention pass freed pages.
  bool conversion_due_ = false;  // The open file lacks auto_vacuum = INCREMENTAL.
  bool pruning_ = false;         // A retention pass is under way.
  double samples_cutoff_ = 0, events_cutoff_ = 0, processes_cutoff_ = 0;
  // When each (pid, start_ticks) of the top lists last got a history row (Unix seconds).
  std::map<std::pair<std::int32_t, std::uint64_t>, double> process_written_;  // guarded by mutex_
};

}  // namespace rh::forensics

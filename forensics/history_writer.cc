#include "forensics/history_writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <utility>

#include "base/log.h"

namespace rh::forensics {

// Rows waiting for the writer. `*_taken` count the rows ever removed from the front (written or
// dropped), so a row's absolute position survives drops made while a write is in flight.
struct HistoryWriter::Queue {
  std::deque<SampleRow> samples;
  std::deque<EventRecord> events;
  std::deque<CaptureRecord> captures;
  std::deque<ProcessSampleRow> processes;
  std::uint64_t samples_taken = 0, events_taken = 0, captures_taken = 0, processes_taken = 0;

  std::size_t size() const {
    return samples.size() + events.size() + captures.size() + processes.size();
  }
  bool empty() const { return size() == 0; }
};

namespace {

template <typename T>
void PushBounded(std::deque<T>& queue, std::uint64_t& taken, std::size_t bound, T row,
                 std::atomic<std::uint64_t>& dropped) {
  if (queue.size() >= std::max<std::size_t>(bound, 1)) {
    queue.pop_front();
    ++taken;
    ++dropped;
  }
  queue.push_back(std::move(row));
}

// Removes the rows [start, start + count) that a write took, unless they were dropped already.
template <typename T>
void RemoveWritten(std::deque<T>& queue, std::uint64_t& taken, std::uint64_t start,
                   std::size_t count) {
  std::uint64_t end = start + count;
  if (end <= taken) return;
  std::size_t n = std::min<std::uint64_t>(end - taken, queue.size());
  queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
  taken += n;
}

}  // namespace

HistoryWriter::HistoryWriter(std::string database, const config::Retention& retention,
                             const Clock& clock, StorageStats& stats, HistoryWriterOptions options)
    : database_(std::move(database)),
      retention_(retention),
      clock_(clock),
      stats_(stats),
      options_(options),
      queue_(std::make_unique<Queue>()),
      max_page_count_(options.max_page_count) {}

HistoryWriter::~HistoryWriter() { Stop(); }

void HistoryWriter::Start() {
  std::lock_guard lock(mutex_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void HistoryWriter::Stop() {
  {
    std::unique_lock lock(mutex_);
    if (!thread_.joinable()) return;
    stopping_ = true;
    wake_.notify_all();
    if (!settled_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stopped_; })) {
      abandon_ = true;
    }
  }
  thread_.join();
}

void HistoryWriter::Add(std::shared_ptr<const analysis::ScoredSample> sample) {
  if (!sample) return;
  Add(ToSampleRow(*sample));
  if (options_.boot_id.empty()) return;
  std::vector<ProcessSampleRow> rows = ToProcessSampleRows(*sample, options_.boot_id);
  if (rows.empty()) return;
  const double now = rows.front().time;
  std::lock_guard lock(mutex_);
  // Forget processes not written for a while, so the map stays as small as the top lists.
  std::erase_if(process_written_, [&](const auto& entry) {
    return now - entry.second >= 2 * options_.process_interval_seconds || entry.second > now;
  });
  // Per-process rows are worth less than samples: they may use the same room in memory.
  const std::size_t bound = options_.max_queued_samples;
  for (ProcessSampleRow& row : rows) {
    auto [it, fresh] = process_written_.try_emplace({row.pid, row.start_ticks}, now);
    if (!fresh && now - it->second < options_.process_interval_seconds) continue;
    it->second = now;
    PushBounded(queue_->processes, queue_->processes_taken, bound, std::move(row),
                stats_.dropped_rows);
  }
  ++arrivals_;
  wake_.notify_all();
}

void HistoryWriter::Add(SampleRow row) {
  std::lock_guard lock(mutex_);
  PushBounded(queue_->samples, queue_->samples_taken, options_.max_queued_samples, std::move(row),
              stats_.dropped_rows);
  ++arrivals_;
  wake_.notify_all();
}

void HistoryWriter::Add(EventRecord event) {
  std::lock_guard lock(mutex_);
  PushBounded(queue_->events, queue_->events_taken, options_.max_queued_events, std::move(event),
              stats_.dropped_rows);
  ++arrivals_;
  wake_.notify_all();
}

void HistoryWriter::Add(CaptureRecord capture) {
  std::lock_guard lock(mutex_);
  PushBounded(queue_->captures, queue_->captures_taken, options_.max_queued_events,
              std::move(capture), stats_.dropped_rows);
  ++arrivals_;
  wake_.notify_all();
}

bool HistoryWriter::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!thread_.joinable() || stopped_) return queue_->empty();
  std::uint64_t target = ++flush_requests_;
  wake_.notify_all();
  settled_.wait_for(lock, timeout,
                    [&] { return stopped_ || (flushes_served_ >= target && idle_); });
  return queue_->empty();
}

std::size_t HistoryWriter::queued() const {
  std::lock_guard lock(mutex_);
  return queue_->size();
}

void HistoryWriter::SetMaxPageCountForTest(std::int64_t pages) { max_page_count_ = pages; }

double HistoryWriter::MonotonicSeconds() const {
  return static_cast<double>(clock_.Now().monotonic_ns) / 1e9;
}

double HistoryWriter::UnixSeconds() const {
  return static_cast<double>(clock_.Now().realtime_ns) / 1e9;
}

void HistoryWriter::Run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    std::uint64_t serving = flush_requests_;
    std::uint64_t seen = arrivals_;
    bool final_pass = stopping_;
    lock.unlock();
    Pass(final_pass);
    lock.lock();

    double now = MonotonicSeconds();
    bool rows = !queue_->empty();
    bool write_due = rows && (!failing_ || now >= next_retry_);
    bool prune_due = store_ && !failing_ && (pruning_ || now >= next_prune_);
    bool check_due = store_ && !failing_ && now >= next_integrity_check_;
    bool space_due = store_ && !failing_ && (vacuum_due_ || conversion_due_);
    idle_ = !write_due && !prune_due && !check_due && !space_due;
    flushes_served_ = serving;
    settled_.notify_all();
    if (final_pass) break;
    if (!idle_ || stopping_) continue;

    double wait = 60;
    if (failing_ && rows) wait = std::min(wait, next_retry_ - now);
    if (store_ && !failing_) {
      wait = std::min({wait, next_prune_ - now, next_integrity_check_ - now});
    }
    wake_.wait_for(lock, std::chrono::duration<double>(std::max(wait, 0.001)),
                   [&] { return stopping_ || flush_requests_ != serving || arrivals_ != seen; });
  }
  lock.unlock();
  store_.reset();
  lock.lock();
  stopped_ = true;
  settled_.notify_all();
}

void HistoryWriter::Pass(bool final_pass) {
  double now = MonotonicSeconds();
  bool rows = queued() > 0;
  bool retry_due = !failing_ || now >= next_retry_ || final_pass;
  if (store_ && ReopenIfReplaced() && !store_) return;
  if (!store_) {
    bool first = !attempted_open_;
    if (!retry_due || !(first || rows)) return;
    if (!OpenStore()) return;
  }
  if (rows && retry_due) WriteQueued(final_pass);
  if (!final_pass && store_ && !failing_ && (pruning_ || now >= next_prune_)) PruneStep();
  if (!final_pass && store_ && !failing_ && !pruning_ && now >= next_integrity_check_) {
    CheckIntegrity();
  }
  // Giving space back waits for a quiet moment: nothing queued, no retention pass under way.
  const bool quiet = !final_pass && store_ && !failing_ && !pruning_ && queued() == 0;
  if (quiet && conversion_due_) {
    ConvertToIncrementalVacuum();
  } else if (quiet && vacuum_due_) {
    VacuumStep();
  }
}

void HistoryWriter::ConvertToIncrementalVacuum() {
  conversion_due_ = false;
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(database_, ec);
  // Real time: how long the rewrite took, for the log, whatever the injected clock says.
  const auto wall = std::chrono::steady_clock::now();
  if (auto s = store_->EnableIncrementalVacuum(); !s) {
    LogWarning("history: " + s.error().message +
               "; pruned rows keep their space until the next start tries again");
    return;
  }
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall);
  LogInfo("history: converted " + database_ + " (" + std::to_string(bytes) +
          " bytes) to incremental vacuum in " + std::to_string(seconds.count()) +
          " s, once: pruning now gives space back");
}

void HistoryWriter::VacuumStep() {
  auto free_pages = store_->ReleaseFreePages(options_.vacuum_pages);
  if (!free_pages) {
    vacuum_due_ = false;
    Failed(free_pages.error().message);
    ReopenIfCorrupt();
    return;
  }
  ++stats_.writes;
  if (*free_pages <= options_.vacuum_pages) vacuum_due_ = false;
  Succeeded();
}

bool HistoryWriter::OpenStore() {
  attempted_open_ = true;
  Store::Options options;
  options.busy_timeout_ms = options_.busy_timeout_ms;
  options.now = UnixSeconds();
  options.max_page_count = max_page_count_.load();
  options.abandon = &abandon_;
  options.integrity_check = full_check_next_open_ ? Store::Options::Check::kAlways
                                                  : Store::Options::Check::kAfterUncleanClose;
  OpenReport report;
  auto opened = Store::Open(database_, options, &report);
  if (!opened) {
    Failed(opened.error().message);
    return false;
  }
  store_ = std::move(*opened);
  full_check_next_open_ = false;
  applied_max_page_count_ = options.max_page_count;
  if (report.full_check && report.moved_aside.empty() &&
      options.integrity_check == Store::Options::Check::kAfterUncleanClose) {
    LogInfo("history: " + database_ +
            " was not closed by the previous run; its full integrity check passed");
  }
  if (!report.moved_aside.empty()) {
    ++stats_.database_resets;
    LogWarning("history: " + database_ + " was corrupt (" + report.corruption + "); moved it to " +
               report.moved_aside + " and started a fresh database");
  }
  if (report.migrated_from >= 0) {
    LogInfo("history: upgraded " + database_ + " from schema version " +
            std::to_string(report.migrated_from) + " to " + std::to_string(Store::kSchemaVersion));
  }
  next_prune_ = MonotonicSeconds();  // Prune once right after opening.
  next_integrity_check_ = MonotonicSeconds() + options_.integrity_check_interval_seconds;
  auto incremental = store_->IncrementalVacuumEnabled();
  conversion_due_ = incremental.ok() && !*incremental;
  return true;
}

void HistoryWriter::CheckIntegrity() {
  next_integrity_check_ = MonotonicSeconds() + options_.integrity_check_interval_seconds;
  auto problems = store_->IntegrityProblems();
  if (!problems) {
    Failed(problems.error().message);
    return;
  }
  if (problems->empty()) return;
  LogWarning("history: the periodic integrity check of " + database_ + " failed (" + *problems +
             "); reopening it");
  store_.reset();
  full_check_next_open_ = true;
  OpenStore();
}

// A file deleted (or replaced) while open takes every later write with it: compare the path with
// the open file before writing (a stat per pass), and open the path again when they differ.
bool HistoryWriter::ReopenIfReplaced() {
  if (!store_->FileReplaced()) return false;
  ++stats_.database_reopens;
  LogWarning("history: " + database_ +
             " was deleted or replaced while open; opening it again (what was written to the old "
             "file since is lost with it)");
  const std::vector<Store::FileId> companions = store_->companion_files();
  store_.reset();
  // SQLite leaves the WAL of a moved file behind; opening the path would replay it into the new
  // file. Only the very files the old connection had are removed.
  for (const auto& file : companions) {
    struct stat st {};
    if (lstat(file.path.c_str(), &st) == 0 &&
        static_cast<std::uint64_t>(st.st_dev) == file.device &&
        static_cast<std::uint64_t>(st.st_ino) == file.inode) {
      unlink(file.path.c_str());
    }
  }
  OpenStore();
  return true;
}

// A statement that reports corruption: the file is reopened with the full check, which moves it
// aside, at the next attempt.
void HistoryWriter::ReopenIfCorrupt() {
  if (!store_ || !store_->corruption_seen()) return;
  LogWarning("history: " + database_ + " is corrupt; reopening it with a full integrity check");
  store_.reset();
  full_check_next_open_ = true;
}

void HistoryWriter::WriteQueued(bool final_pass) {
  Batch batch;
  std::uint64_t samples_start, events_start, captures_start, processes_start;
  {
    std::lock_guard lock(mutex_);
    batch.samples.assign(queue_->samples.begin(), queue_->samples.end());
    batch.events.assign(queue_->events.begin(), queue_->events.end());
    batch.captures.assign(queue_->captures.begin(), queue_->captures.end());
    batch.processes.assign(queue_->processes.begin(), queue_->processes.end());
    samples_start = queue_->samples_taken;
    events_start = queue_->events_taken;
    captures_start = queue_->captures_taken;
    processes_start = queue_->processes_taken;
  }
  if (batch.empty()) return;
  std::int64_t pages = max_page_count_.load();
  if (pages != applied_max_page_count_) {
    if (auto s = store_->SetMaxPageCount(pages); !s) {
      Failed(s.error().message);
      return;
    }
    applied_max_page_count_ = pages;
  }
  if (final_pass) store_->SetBusyTimeout(250);
  if (auto s = store_->Append(batch); !s) {
    Failed(s.error().message);
    ReopenIfCorrupt();
    return;
  }
  ++stats_.writes;
  {
    std::lock_guard lock(mutex_);
    RemoveWritten(queue_->samples, queue_->samples_taken, samples_start, batch.samples.size());
    RemoveWritten(queue_->events, queue_->events_taken, events_start, batch.events.size());
    RemoveWritten(queue_->captures, queue_->captures_taken, captures_start, batch.captures.size());
    RemoveWritten(queue_->processes, queue_->processes_taken, processes_start,
                  batch.processes.size());
  }
  Succeeded();
}

void HistoryWriter::SetRetention(const config::Retention& retention) {
  std::lock_guard lock(mutex_);
  retention_ = retention;
}

void HistoryWriter::PruneStep() {
  if (!pruning_) {
    pruning_ = true;
    double now = UnixSeconds();
    auto cutoff = [now](int days) {
      return days > 0 ? now - days * 86400.0 : -std::numeric_limits<double>::infinity();
    };
    config::Retention retention;
    {
      std::lock_guard lock(mutex_);
      retention = retention_;
    }
    samples_cutoff_ = cutoff(retention.samples_days);
    events_cutoff_ = cutoff(retention.events_days);
    processes_cutoff_ = now - options_.process_retention_seconds;
  }
  auto deleted = store_->Prune(samples_cutoff_, events_cutoff_, options_.prune_batch);
  // The kill audit goes with the events.
  auto process_deleted =
      deleted ? store_->PruneProcessData(processes_cutoff_, events_cutoff_, options_.prune_batch)
              : Result<std::uint64_t>(std::uint64_t{0});
  if (!deleted || !process_deleted) {
    pruning_ = false;
    Failed(!deleted ? deleted.error().message : process_deleted.error().message);
    next_prune_ = next_retry_;
    ReopenIfCorrupt();
    return;
  }
  ++stats_.writes;
  stats_.pruned_rows += *deleted + *process_deleted;
  if (*deleted + *process_deleted > 0) vacuum_due_ = true;
  if (*deleted < static_cast<std::uint64_t>(options_.prune_batch) &&
      *process_deleted < static_cast<std::uint64_t>(options_.prune_batch)) {
    pruning_ = false;
    next_prune_ = MonotonicSeconds() + options_.prune_interval_seconds;
  }
  Succeeded();
}

void HistoryWriter::Failed(const std::string& reason) {
  ++stats_.errors;
  stats_.healthy = false;
  next_retry_ = MonotonicSeconds() + options_.retry_seconds;
  if (failing_) return;
  failing_ = true;
  dropped_at_failure_ = stats_.dropped_rows.load();
  LogError("history: writing failed: " + reason + "; sampling goes on, keeping up to " +
           std::to_string(options_.max_queued_samples) + " samples and " +
           std::to_string(options_.max_queued_events) + " events in memory, retrying");
}

void HistoryWriter::Succeeded() {
  stats_.healthy = true;
  if (!failing_) return;
  failing_ = false;
  LogInfo("history: writing " + database_ + " again; " +
          std::to_string(stats_.dropped_rows.load() - dropped_at_failure_) +
          " rows dropped while it failed");
}

}  // namespace rh::forensics

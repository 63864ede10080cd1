#include "forensics/capture/capture_worker.h"

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <thread>
#include <utility>

#include "analysis/culprits.h"
#include "analysis/stress.h"
#include "base/log.h"
#include "collectors/process_detail.h"
#include "collectors/text.h"
#include "forensics/bundle.h"
#include "forensics/capture/bundle_files.h"
#include "forensics/capture/process_table.h"

namespace rh::forensics {
namespace {

using SamplePtr = std::shared_ptr<const analysis::ScoredSample>;

constexpr std::size_t kJournalCap = 8 << 20;
constexpr std::int64_t kKernelLogBeforeNs = 60'000'000'000;  // one minute before the event start

// Keeps the bytes of every file the collectors read, by pass: "proc/loadavg" -> content. A
// pass's map is complete, and may be read by another thread, once recording moved on (SetPass).
class RawRecorder final : public collectors::ReadRecorder {
 public:
  void Record(std::string_view tree, std::string_view relative, std::string_view content) override {
    std::lock_guard lock(mutex_);
    std::string path = std::string(tree) + "/" + std::string(relative);
    if (pass_ < 0 || (tree != "proc" && tree != "sys") || !IsSafeRelativePath(path)) return;
    files_[pass_][std::move(path)] = std::string(content);
  }
  void SetPass(int pass) {
    std::lock_guard lock(mutex_);
    pass_ = pass;
  }
  const std::map<std::string, std::string>& files(int pass) const { return files_[pass]; }

  // The PID/stat texts of a pass, by PID.
  std::map<std::int32_t, std::string> Stats(int pass) const {
    std::map<std::int32_t, std::string> out;
    for (const auto& [path, content] : files_[pass]) {
      std::string_view p = path;
      if (!p.starts_with("proc/") || !p.ends_with("/stat")) continue;
      p.remove_prefix(5);
      p.remove_suffix(5);
      if (auto pid = collectors::ParseNumber<std::int32_t>(p)) out.emplace(*pid, content);
    }
    return out;
  }

 private:
  std::mutex mutex_;
  int pass_ = 0;
  std::map<std::string, std::string> files_[2];
};

std::string SecondsText(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f s", s);
  return buf;
}

bool Automatic(CaptureTrigger t) { return t != CaptureTrigger::kManual; }

// The rate-limit class of an automatic trigger: 0 for a pause or a critical episode, 1 for an
// early warning (a kernel report, a pressure trigger), so that a warning just before a pause
// does not cost the pause its bundle.
std::size_t RateClass(CaptureTrigger t) {
  return t == CaptureTrigger::kKernel || t == CaptureTrigger::kPressure ? 1 : 0;
}

}  // namespace

CaptureRequest CaptureRequest::For(CaptureTrigger trigger, std::int64_t start_realtime_ns,
                                   std::int64_t end_realtime_ns, std::int64_t end_monotonic_ns,
                                   double score_before) {
  CaptureRequest r;
  r.trigger = trigger;
  r.id = BundleId(end_realtime_ns, Name(trigger));
  r.start_realtime_ns = start_realtime_ns;
  r.end_realtime_ns = end_realtime_ns;
  r.end_monotonic_ns = end_monotonic_ns;
  r.duration_seconds = static_cast<double>(end_realtime_ns - start_realtime_ns) / 1e9;
  r.score_before = score_before;
  return r;
}

CaptureWorker::CaptureWorker(const config::Config& config, CaptureOptions options,
                             const Clock& clock, const FlightRecorder& recorder,
                             CaptureStats& stats, HistoryWriter* history)
    : options_(std::move(options)),
      clock_(clock),
      recorder_(recorder),
      stats_(stats),
      history_(history) {
  Reconfigure(config);
}

void CaptureWorker::Reconfigure(const config::Config& config) {
  auto next = std::make_shared<const Settings>(
      Settings{config, "sha256:" + Sha256Hex(config::ToToml(config))});
  std::lock_guard lock(mutex_);
  settings_ = std::move(next);
}

std::shared_ptr<const CaptureWorker::Settings> CaptureWorker::CurrentSettings() const {
  std::lock_guard lock(mutex_);
  return settings_;
}

CaptureWorker::~CaptureWorker() { Stop(); }

void CaptureWorker::ProbeSources() {
  const int kmsg = open(options_.kmsg.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (kmsg >= 0) close(kmsg);
  stats_.readable[static_cast<int>(CaptureSource::kKernelLog)] = kmsg >= 0 ? 1 : 0;
  // Reading a kernel stack needs CAP_SYS_ADMIN whoever the task is: our own tells.
  const collectors::ProcRoot plain(options_.root.proc(), options_.root.sys());
  const bool stack =
      collectors::ReadWholeFile(plain, "proc", std::to_string(getpid()) + "/stack", 64 << 10).ok();
  stats_.readable[static_cast<int>(CaptureSource::kKernelStacks)] = stack ? 1 : 0;
}

Status CaptureWorker::Prepare() {
  if (events_) return {};
  const auto settings = CurrentSettings();
  auto events = EventsDirectory::Open(settings->config.forensics.events_dir);
  if (!events) return events.error();
  events_.emplace(std::move(events).value());
  if (auto removed = events_->RemoveLeftovers(); !removed) {
    LogWarning("forensics: " + removed.error().message);
  } else if (*removed > 0) {
    LogInfo("forensics: removed " + std::to_string(*removed) +
            " unfinished bundles of an interrupted capture");
  }
  if (auto bundles = events_->Bundles(); bundles) {
    known_ = std::move(bundles).value();
    std::uint64_t bytes = 0;
    for (const auto& b : known_) bytes += b.bytes;
    stats_.bundles = known_.size();
    stats_.bundle_bytes = bytes;
  }
  BoundedReader::Options reader;
  reader.threads = options_.reader_threads;
  reader.timeout =
      std::chrono::milliseconds(std::max(1, settings->config.forensics.read_timeout_ms));
  reader.max_abandoned = options_.max_hung_reads;
  reader_ = std::make_unique<BoundedReader>(reader);
  return {};
}

Status CaptureWorker::Start() {
  {
    std::lock_guard capture(capture_mutex_);
    ProbeSources();
    if (Status s = Prepare(); !s.ok()) return s;
  }
  std::lock_guard lock(mutex_);
  if (started_) return {};
  started_ = true;
  stopping_ = false;
  cancel_ = false;
  thread_ = std::thread([this] { Loop(); });
  return {};
}

void CaptureWorker::Stop() {
  std::deque<Queued> left;
  {
    std::lock_guard lock(mutex_);
    if (!started_) return;
    stopping_ = true;
    cancel_ = true;
    left.swap(queue_);
    if (manual_) left.push_back(*std::exchange(manual_, std::nullopt));
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (const auto& q : left) {
    CaptureOutcome outcome;
    outcome.failure = CaptureFailure::kStopping;
    outcome.error = "not taken: the daemon is stopping";
    Account(q.request, outcome);
  }
  std::lock_guard lock(mutex_);
  started_ = false;
  settled_.notify_all();
}

std::optional<CaptureOutcome> CaptureWorker::Admit(const CaptureRequest& request,
                                                   std::int64_t now_ns) {
  if (!Automatic(request.trigger)) return std::nullopt;
  std::lock_guard lock(mutex_);
  const double min_interval = settings_->config.forensics.min_interval_seconds;
  const auto interval = static_cast<std::int64_t>(min_interval * 1e9);
  const std::size_t rate_class = RateClass(request.trigger);
  std::optional<std::int64_t>& last = last_automatic_ns_[rate_class];
  if (last && now_ns - *last < interval) {
    CaptureOutcome outcome;
    outcome.result = CaptureResult::kRateLimited;
    outcome.error = "within " + SecondsText(static_cast<double>(now_ns - *last) / 1e9) +
                    " of the previous " +
                    (rate_class == 0 ? "pause or critical capture" : "kernel or pressure capture") +
                    " (forensics.min_interval_seconds = " + SecondsText(min_interval) + ")";
    return outcome;
  }
  last = now_ns;
  return std::nullopt;
}

bool CaptureWorker::Request(const CaptureRequest& request) {
  Queued q{request, clock_.Now().monotonic_ns, std::chrono::steady_clock::now()};
  if (auto refused = Admit(request, q.requested_ns)) {
    Account(request, *refused);
    return false;
  }
  CaptureOutcome outcome;
  bool queued = false;
  {
    std::lock_guard lock(mutex_);
    if (!started_ || stopping_) {
      outcome.failure = CaptureFailure::kStopping;
      outcome.error = "not taken: the capture worker is not running";
    } else if (!Automatic(request.trigger)) {
      if (manual_) {
        outcome.result = CaptureResult::kCoalesced;
        outcome.error = "merged into manual capture " + manual_->request.id + ", not started yet";
      } else {
        manual_ = std::move(q);
        queued = true;
      }
    } else if (queue_.size() < options_.max_queued) {
      queue_.push_back(std::move(q));
      queued = true;
    } else {
      outcome.failure = CaptureFailure::kQueueFull;
      outcome.error = "not taken: too many captures queued";
    }
    if (queued) wake_.notify_all();
  }
  if (queued) return true;
  Account(request, outcome);
  return outcome.result == CaptureResult::kCoalesced;
}

CaptureOutcome CaptureWorker::CaptureNow(const CaptureRequest& request) {
  Queued q{request, clock_.Now().monotonic_ns, std::chrono::steady_clock::now()};
  if (auto refused = Admit(request, q.requested_ns)) {
    Account(request, *refused);
    return *refused;
  }
  return Run(q);
}

bool CaptureWorker::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return settled_.wait_for(lock, timeout, [&] { return queue_.empty() && !manual_ && !busy_; });
}

void CaptureWorker::Loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty() || manual_; });
    if (stopping_) break;
    // Automatic captures first: what they document is already past.
    Queued q;
    if (!queue_.empty()) {
      q = std::move(queue_.front());
      queue_.pop_front();
    } else {
      q = std::move(*manual_);
      manual_.reset();
    }
    busy_ = true;
    lock.unlock();
    Run(q);
    lock.lock();
    busy_ = false;
    settled_.notify_all();
  }
}

CaptureOutcome CaptureWorker::Run(const Queued& queued) {
  CaptureOutcome outcome;
  {
    std::lock_guard capture(capture_mutex_);
    try {
      outcome = Capture(queued);
    } catch (const std::exception& e) {  // e.g. bad_alloc: the capture fails, the daemon goes on
      outcome = {};
      outcome.failure = CaptureFailure::kInternal;
      outcome.error = e.what();
    }
    outcome.duration_seconds =
        static_cast<double>(clock_.Now().monotonic_ns - queued.requested_ns) / 1e9;
  }
  Account(queued.request, outcome);
  return outcome;
}

void CaptureWorker::Account(const CaptureRequest& request, const CaptureOutcome& outcome) {
  stats_.captures[static_cast<int>(request.trigger)][static_cast<int>(outcome.result)]++;
  if (outcome.result == CaptureResult::kFailed) {
    stats_.failures[static_cast<int>(request.trigger)][static_cast<int>(outcome.failure)]++;
  }
  if (outcome.result == CaptureResult::kOk) {
    stats_.duration.Observe(static_cast<std::int64_t>(outcome.duration_seconds * 1e9));
    LogInfo("forensics: bundle " + outcome.id + " written in " +
            SecondsText(outcome.duration_seconds) + " (" + std::to_string(outcome.bytes) +
            " bytes)");
  } else if (outcome.result == CaptureResult::kCoalesced) {
    // Counted only: a burst of signals would fill the log with these.
  } else if (outcome.result == CaptureResult::kRateLimited) {
    LogInfo("forensics: " + std::string(Name(request.trigger)) + " capture " + request.id +
            " not taken: " + outcome.error);
  } else {
    LogWarning("forensics: " + std::string(Name(request.trigger)) + " capture " + request.id +
               " failed (" + std::string(Name(outcome.failure)) + "): " + outcome.error);
  }
  if (history_ != nullptr) {
    CaptureRecord record;
    record.event_key = request.id;
    record.trigger = std::string(Name(request.trigger));
    record.result = std::string(Name(outcome.result));
    record.bundle_path = outcome.path.string();
    record.created_time = static_cast<double>(clock_.Now().realtime_ns) / 1e9;
    record.duration_seconds = outcome.duration_seconds;
    record.bytes = outcome.bytes;
    record.error = outcome.error;
    history_->Add(std::move(record));
  }
  if (options_.on_ended) options_.on_ended(request, outcome);
}

void CaptureWorker::EnforceCap(const std::string& newest, std::int64_t max_total_bytes) {
  auto bundles = events_->Bundles(known_);
  if (!bundles) {
    LogWarning("forensics: " + bundles.error().message);
    return;
  }
  std::uint64_t total = 0;
  for (const auto& b : *bundles) total += b.bytes;
  const auto cap = static_cast<std::uint64_t>(std::max<std::int64_t>(0, max_total_bytes));
  std::vector<EventsDirectory::Bundle> kept;
  for (const auto& b : *bundles) {
    if (total > cap && b.id != newest) {
      if (Status s = events_->Remove(b.id); s.ok()) {
        total -= b.bytes;
        LogInfo("forensics: removed bundle " + b.id + " (forensics.max_total_bytes)");
        continue;
      } else {
        LogWarning("forensics: " + s.error().message);
      }
    }
    kept.push_back(b);
  }
  known_ = std::move(kept);
  stats_.bundles = known_.size();
  stats_.bundle_bytes = total;
}

CaptureOutcome CaptureWorker::Capture(const Queued& queued) {
  CaptureOutcome out;
  const CaptureRequest& request = queued.request;
  auto fail = [&](CaptureFailure why, std::string error) {
    out.result = CaptureResult::kFailed;
    out.failure = why;
    out.error = std::move(error);
    return out;
  };
  auto cancelled = [&] { return fail(CaptureFailure::kStopping, "cancelled"); };
  auto write_failed = [&](const Error& e) { return fail(CaptureFailure::kWrite, e.message); };
  if (Status s = Prepare(); !s.ok()) return fail(CaptureFailure::kEventsDir, s.error().message);
  auto created = BundleWriter::Create(*events_, request.id);
  if (!created) return fail(CaptureFailure::kEventsDir, created.error().message);
  BundleWriter& writer = **created;
  const auto budget_end = queued.requested_at + options_.budget;
  std::vector<std::string>& notes = out.notes;
  const auto settings = CurrentSettings();
  const config::Config& config = settings->config;

  const long page_size = options_.page_size > 0 ? options_.page_size : sysconf(_SC_PAGESIZE);
  const long ticks =
      options_.clock_ticks_per_second > 0 ? options_.clock_ticks_per_second : sysconf(_SC_CLK_TCK);
  const double hz = ticks > 0 ? static_cast<double>(ticks) : 100;
  const collectors::ProcRoot plain(options_.root.proc(), options_.root.sys());

  // Light while the daemon is over a self-limits budget: no journal, per-process details for
  // the processes that matter only.
  const bool light = light_.load();
  if (light) stats_.light_captures.fetch_add(1);

  // The journal is read in the background while the passes run.
  const std::int64_t kernel_log_from_ns = request.start_realtime_ns - kKernelLogBeforeNs;
  std::unique_ptr<JournalQuery> journal;
  if (light) {
    notes.push_back("journal.log: not read in a light capture");
  } else if (!options_.journalctl.empty() && JournalExists(options_.journal_dirs)) {
    auto started =
        JournalQuery::Start(options_.journalctl, static_cast<double>(kernel_log_from_ns) / 1e9,
                            static_cast<double>(clock_.Now().realtime_ns) / 1e9 + 1);
    if (started) {
      journal = std::move(started).value();
    } else {
      notes.push_back("journal.log: " + started.error().message);
    }
  }
  const auto journal_end =
      std::min(budget_end, std::chrono::steady_clock::now() + options_.journal_timeout);

  // Two collector passes, every file they read recorded.
  RawRecorder raw;
  collectors::ProcRoot recorded(options_.root.proc(), options_.root.sys(), &raw);
  collectors::CollectorOptions collector_options = collectors::CollectorOptionsFor(config);
  collector_options.keep_all_cgroups = true;  // the bundle's cgroup table
  collector_options.page_size = page_size;
  collector_options.clock_ticks_per_second = ticks;
  auto collectors = collectors::MakeCollectors(recorded, collector_options);
  const auto held = recorder_.All();
  const SamplePtr newest = held.empty() ? nullptr : held.back();
  analysis::StressState state;
  state.io_baseline = newest ? newest->assessment.signals.io_baseline : 0;
  const double io_baseline = state.io_baseline;

  auto pass0 = std::make_shared<analysis::ScoredSample>();
  auto pass1 = std::make_shared<analysis::ScoredSample>();
  // The raw files are written on their own threads, while the capture goes on: creating
  // thousands of small files is what takes longest on a busy disk.
  Status raw_written[2];
  std::jthread raw_writers[2];
  auto write_raw = [&](int pass) {
    raw_writers[pass] = std::jthread([&, pass] {
      try {
        raw_written[pass] = writer.WriteTree(
            std::string(kRawDir) + "/" + std::to_string(pass) + "/", raw.files(pass), &cancel_);
      } catch (const std::exception& e) {  // bad_alloc: this capture fails, nothing else
        raw_written[pass] = Error{e.what()};
      }
    });
  };
  raw.SetPass(0);
  collectors::CollectAll(collectors, clock_, pass0->sample);
  raw.SetPass(1);
  write_raw(0);
  const std::int64_t gap_end =
      pass0->sample.clock.monotonic_ns + static_cast<std::int64_t>(options_.pass_gap_seconds * 1e9);
  for (std::int64_t now = clock_.Now().monotonic_ns; now < gap_end;
       now = clock_.Now().monotonic_ns) {
    if (cancel_) return cancelled();
    clock_.SleepUntil(std::min(gap_end, now + 50'000'000));
  }
  collectors::CollectAll(collectors, clock_, pass1->sample);
  raw.SetPass(-1);
  write_raw(1);
  for (auto* p : {pass0.get(), pass1.get()}) {
    p->sequence = p == pass0.get() ? 0 : 1;
    p->latency_seconds = 0;
    p->state = newest ? newest->state : analysis::SamplingState::kNormal;
    p->interval_seconds = 0;
  }
  pass0->assessment = analysis::Assess(config.stress, nullptr, pass0->sample, 0, state);
  pass1->assessment = analysis::Assess(config.stress, &pass0->sample, pass1->sample, 0, state);
  if (cancel_) return cancelled();

  // The process table, with bounded per-process reads.
  ProcessSnapshotInputs table;
  table.stat0 = raw.Stats(0);
  table.stat1 = raw.Stats(1);
  table.clock0 = pass0->sample.clock;
  table.clock1 = pass1->sample.clock;
  table.boot_time = BootTime(pass1->sample.clock, pass1->sample.stat.boot_time);
  table.clock_ticks_per_second = hz;
  table.page_size = static_cast<std::uint64_t>(page_size > 0 ? page_size : 4096);
  if (light)
    table.detail_limit = static_cast<std::size_t>(std::max(1, config.sampling.top_processes));
  ProcessSnapshot snapshot = ReadProcessSnapshot(table, plain, *reader_, budget_end, &cancel_);
  if (cancel_) return cancelled();
  notes.insert(notes.end(), snapshot.notes.begin(), snapshot.notes.end());

  // The flight recorder's window, and how long the blocked tasks have been blocked.
  const ClockReading now = clock_.Now();
  const double window_from =
      static_cast<double>(request.start_realtime_ns) / 1e9 - config.forensics.window_before_seconds;
  auto window = recorder_.Window(window_from, static_cast<double>(now.realtime_ns) / 1e9);
  std::vector<SamplePtr> timeline = window;
  timeline.push_back(pass0);
  timeline.push_back(pass1);
  const double table_time = static_cast<double>(pass1->sample.clock.realtime_ns) / 1e9;
  for (auto& b : snapshot.blocked) {
    b.blocked_since = analysis::BlockedSince(timeline, b.info.tid);
    if (b.blocked_since) b.info.blocked_seconds = std::max(0.0, table_time - *b.blocked_since);
  }

  // Culprits.
  analysis::CulpritInputs inputs;
  inputs.window = window;
  inputs.capture = {pass0, pass1};
  for (const auto& p : snapshot.processes) inputs.processes.push_back(p.info);
  for (const auto& b : snapshot.blocked) inputs.blocked.push_back(b.info);
  inputs.suspect_patterns = config.suspects.patterns;
  for (const auto& s : timeline) {
    inputs.steal_share = std::max(inputs.steal_share, s->assessment.signals.steal_share);
  }
  inputs.clock_ticks_per_second = hz;
  inputs.now_monotonic_ns = pass1->sample.clock.monotonic_ns;
  inputs.now = table_time;
  inputs.memory_total_bytes = pass1->sample.meminfo.total;
  inputs.self_pid = static_cast<std::int32_t>(getpid());
  inputs.cgroups = pass1->sample.cgroups.all;
  const analysis::CulpritVerdict verdict = analysis::RankCulprits(inputs);

  // The kernel log from one minute before the event start.
  const std::int64_t start_monotonic_ns =
      request.end_monotonic_ns - (request.end_realtime_ns - request.start_realtime_ns);
  auto kernel_log = ReadKernelLog(options_.kmsg, (start_monotonic_ns - kKernelLogBeforeNs) / 1000,
                                  now.realtime_ns - now.monotonic_ns);
  stats_.readable[static_cast<int>(CaptureSource::kKernelLog)] = kernel_log ? 1 : 0;
  // Kernel stacks: readable if any blocked task's was, unreadable if refused (a task that exited
  // meanwhile tells nothing); without blocked tasks, unchanged.
  bool stack_read = false, stack_refused = false;
  for (const auto& b : snapshot.blocked) {
    if (b.stack) {
      stack_read = true;
    } else if (b.stack_error.ends_with(std::strerror(EACCES)) ||
               b.stack_error.ends_with(std::strerror(EPERM))) {
      stack_refused = true;
    }
  }
  if (stack_read || stack_refused) {
    stats_.readable[static_cast<int>(CaptureSource::kKernelStacks)] = stack_read ? 1 : 0;
  }
  if (!kernel_log) {
    notes.push_back("kernel.log: not written: " + kernel_log.error().message);
  } else {
    if (kernel_log->lost > 0) {
      notes.push_back("kernel.log: the kernel overwrote records before they were read");
    }
    if (kernel_log->truncated) notes.push_back("kernel.log: truncated at its size cap");
  }
  std::optional<std::string> journal_text;
  if (journal) {
    auto text = journal->Finish(journal_end, kJournalCap, &cancel_);
    if (text) {
      journal_text = std::move(text).value();
    } else {
      notes.push_back("journal.log: not written: " + text.error().message);
    }
  }
  if (cancel_) return cancelled();

  // The files, then the manifest.
  auto write = [&](std::string_view path, std::string_view content) -> Status {
    return writer.Write(path, content);
  };
  for (int pass = 0; pass < 2; ++pass) {
    raw_writers[pass].join();
    if (!raw_written[pass].ok()) return write_failed(raw_written[pass].error());
  }
  CaptureInputs capture_inputs;
  capture_inputs.stress = config.stress;
  capture_inputs.collector_options = collector_options;
  capture_inputs.io_baseline = io_baseline;
  capture_inputs.pass_gap_seconds = options_.pass_gap_seconds;
  const std::int64_t table_ns = pass1->sample.clock.realtime_ns;
  for (auto [path, content] :
       {std::pair{kCaptureFile, CaptureJson(capture_inputs, {pass0, pass1})},
        std::pair{kSamplesFile, SamplesJsonl(window)},
        std::pair{kProcessesFile, ProcessesJson(snapshot, table_ns, hz)},
        std::pair{kBlockedFile, BlockedJson(snapshot, table_ns)},
        std::pair{kCgroupsFile,
                  CgroupsJson(pass1->sample.cgroups, analysis::CgroupWindows(inputs), table_ns)}}) {
    if (Status s = write(path, content); !s.ok()) return write_failed(s.error());
  }
  if (kernel_log) {
    if (Status s = write(kKernelLogFile, kernel_log->text); !s.ok()) return write_failed(s.error());
  }
  if (journal_text) {
    if (Status s = write(kJournalFile, *journal_text); !s.ok()) return write_failed(s.error());
  }
  PauseSummary pause;
  if (request.scope) {
    pause.verdict = *request.scope;
    pause.start_uncertainty_seconds = request.start_uncertainty_seconds;
  }
  if (Status s = write(kSummaryFile, SummaryJson(verdict, request.score_before, notes,
                                                 request.scope ? &pause : nullptr, request.detail));
      !s.ok()) {
    return write_failed(s.error());
  }

  Manifest manifest;
  manifest.created_ns = clock_.Now().realtime_ns;
  manifest.trigger = std::string(Name(request.trigger));
  manifest.event_kind = manifest.trigger;
  manifest.event_start_ns = request.start_realtime_ns;
  manifest.event_end_ns = request.end_realtime_ns;
  manifest.event_duration_seconds = request.duration_seconds;
  utsname host{};
  if (uname(&host) == 0) {
    manifest.hostname = host.nodename;
    manifest.kernel = host.release;
  }
  if (auto boot_id = collectors::ReadBootId(plain)) manifest.boot_id = *boot_id;
  manifest.page_size = static_cast<std::uint32_t>(page_size > 0 ? page_size : 4096);
  manifest.clock_ticks_per_second = static_cast<std::uint32_t>(hz);
  manifest.software_version = options_.software_version;
  manifest.software_revision = options_.software_revision;
  manifest.config_digest = settings->digest;
  auto id = writer.Commit(std::move(manifest));
  if (!id) return write_failed(id.error());

  out.result = CaptureResult::kOk;
  out.id = *id;
  if (!verdict.culprits.empty()) out.top_culprit = verdict.culprits.front();
  out.dominant = verdict.dominant;
  out.path = events_->path() / *id;
  out.bytes = writer.bytes();
  known_.push_back({*id, writer.bytes()});
  EnforceCap(*id, config.forensics.max_total_bytes);
  return out;
}

}  // namespace rh::forensics

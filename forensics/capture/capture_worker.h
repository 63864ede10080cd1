#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "analysis/atomic_histogram.h"
#include "analysis/culprits.h"
#include "analysis/pause_scope.h"
#include "base/clock.h"
#include "base/result.h"
#include "collectors/collector.h"
#include "config/config.h"
#include "forensics/capture/bounded_reader.h"
#include "forensics/capture/bundle_directory.h"
#include "forensics/capture/kernel_log.h"
#include "forensics/flight_recorder.h"
#include "forensics/history_writer.h"

namespace rh::forensics {

/// What asked for a capture (the `trigger` label and the bundle id's suffix).
/// kKernel: the kernel reported a stall or trouble (analysis/kernel_reports.h); kPressure: a PSI
/// trigger fired above its critical mark.
enum class CaptureTrigger : std::uint8_t { kPause, kCritical, kManual, kKernel, kPressure };
inline constexpr std::array<std::string_view, 5> kCaptureTriggerNames = {
    "pause", "critical", "manual", "kernel", "pressure"};
/// How a capture ended (the `result` label). `coalesced`: a manual request merged into the manual
/// capture already waiting, which serves it.
enum class CaptureResult : std::uint8_t { kOk, kFailed, kRateLimited, kCoalesced };
inline constexpr std::array<std::string_view, 4> kCaptureResultNames = {
    "ok", "failed", "rate_limited", "coalesced"};

/// Why a capture failed (the `reason` label): the events directory could not be opened or a
/// bundle created in it; writing or syncing the files failed; the queue of automatic captures was
/// full; the daemon was stopping; anything else (running out of memory).
enum class CaptureFailure : std::uint8_t { kEventsDir, kWrite, kQueueFull, kStopping, kInternal };
inline constexpr std::array<std::string_view, 5> kCaptureFailureNames = {
    "events_dir", "write", "queue_full", "stopping", "internal"};
/// What the capture could read of the sources that need privileges (the `source` label):
/// /dev/kmsg (CAP_SYSLOG) and the kernel stacks of blocked tasks (CAP_SYS_ADMIN).
enum class CaptureSource : std::uint8_t { kKernelLog, kKernelStacks };
inline constexpr std::array<std::string_view, 2> kCaptureSourceNames = {"kernel_log",
                                                                        "kernel_stacks"};

inline std::string_view Name(CaptureTrigger t) { return kCaptureTriggerNames[static_cast<int>(t)]; }
inline std::string_view Name(CaptureResult r) { return kCaptureResultNames[static_cast<int>(r)]; }
inline std::string_view Name(CaptureFailure f) { return kCaptureFailureNames[static_cast<int>(f)]; }

/// One request for a bundle: the event it documents.
struct CaptureRequest {
  CaptureTrigger trigger = CaptureTrigger::kManual;
  /// BundleId(end_realtime_ns, trigger): the bundle's name and the event's key in the history.
  std::string id;
  std::int64_t start_realtime_ns = 0;  ///< Event window, Unix ns. A critical episode or a manual
  std::int64_t end_realtime_ns = 0;    ///< request has start == end.
  std::int64_t end_monotonic_ns = 0;   ///< CLOCK_MONOTONIC at the end (for the kernel log).
  double duration_seconds = 0;
  double score_before = 0;  ///< Stress score of the last sample before the event.
  /// A pause: what froze, as decided when it ended (summary.json's "pause").
  std::optional<analysis::ScopeVerdict> scope;
  double start_uncertainty_seconds = 0;  ///< A pause's start is known to ± this.
  /// What asked for a kernel or pressure capture, in words (summary.json's "trigger_detail").
  std::string detail;

  /// A request with its id made from `end_realtime_ns` and the duration from the window.
  static CaptureRequest For(CaptureTrigger trigger, std::int64_t start_realtime_ns,
                            std::int64_t end_realtime_ns, std::int64_t end_monotonic_ns,
                            double score_before = 0);
};

/// Counters for the "Forensics" metrics of docs/metrics.md. Thread-safe: the worker updates,
/// anyone reads.
struct CaptureStats {
  /// rogue_hunter_forensics_captures_total{trigger,result}, indexed [trigger][result].
  std::array<std::array<std::atomic<std::uint64_t>, kCaptureResultNames.size()>,
             kCaptureTriggerNames.size()>
      captures{};
  /// rogue_hunter_forensics_capture_duration_seconds: from the request to the bundle on disk.
  analysis::AtomicHistogram duration{0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30};
  /// rogue_hunter_forensics_capture_failures_total{trigger,reason}, indexed [trigger][reason].
  std::array<std::array<std::atomic<std::uint64_t>, kCaptureFailureNames.size()>,
             kCaptureTriggerNames.size()>
      failures{};
  /// rogue_hunter_forensics_source_readable{source}: 1 readable, 0 not, indexed by
  /// CaptureSource. Probed at start, then as each capture found it.
  std::array<std::atomic<int>, kCaptureSourceNames.size()> readable{};
  /// rogue_hunter_forensics_light_captures_total: captures made light (SetLight).
  std::atomic<std::uint64_t> light_captures{0};
  std::atomic<std::uint64_t> bundles{0};       ///< rogue_hunter_forensics_bundles
  std::atomic<std::uint64_t> bundle_bytes{0};  ///< rogue_hunter_forensics_bundles_bytes

  std::uint64_t count(CaptureTrigger t, CaptureResult r) const {
    return captures[static_cast<int>(t)][static_cast<int>(r)].load();
  }
  std::uint64_t count(CaptureTrigger t, CaptureFailure f) const {
    return failures[static_cast<int>(t)][static_cast<int>(f)].load();
  }
  bool is_readable(CaptureSource s) const { return readable[static_cast<int>(s)].load() == 1; }
};

/// How one capture ended.
struct CaptureOutcome {
  CaptureResult result = CaptureResult::kFailed;
  CaptureFailure failure = CaptureFailure::kInternal;  ///< Why, when result is kFailed.
  std::string id;  ///< The bundle's final id (may carry a "-2" suffix); empty unless ok.
  std::filesystem::path path;  ///< The bundle directory; empty unless ok.
  std::string error;           ///< Why it failed or was not taken.
  double duration_seconds = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> notes;                ///< Parts that were degraded (as in summary.json).
  std::optional<analysis::Culprit> top_culprit;  ///< summary.json's first culprit, if any.
  analysis::DominantStress dominant;             ///< summary.json's dominant component.
};

/// Settings of the capture that are not in the configuration; the defaults are the daemon's.
struct CaptureOptions {
  collectors::ProcRoot root;  ///< /proc and /sys (the real ones by default).
  std::filesystem::path kmsg{kDefaultKmsgPath};
  std::string journalctl = "journalctl";  ///< Empty: never read the journal.
  std::vector<std::filesystem::path> journal_dirs{std::begin(kDefaultJournalDirs),
                                                  std::end(kDefaultJournalDirs)};
  std::string software_version;
  std::string software_revision;
  double pass_gap_seconds = 0.5;  ///< Between the two collector passes.
  std::size_t reader_threads = 4;
  std::size_t max_hung_reads = 4;  ///< Readers left blocked before per-process reads stop.
  /// Per-process reads and the journal are given up this long after the request, so that the
  /// bundle is on disk within about 2 s.
  std::chrono::milliseconds budget{1500};
  std::chrono::milliseconds journal_timeout{1000};
  std::size_t max_queued = 8;       ///< Automatic requests waiting; more are counted as failed.
  long page_size = 0;               ///< 0: sysconf(_SC_PAGESIZE).
  long clock_ticks_per_second = 0;  ///< 0: sysconf(_SC_CLK_TCK).
  /// Called once for every request when it ends (written, failed or not taken), on whichever
  /// thread ended it (the worker, or the caller of Request() or Stop()): must not block.
  std::function<void(const CaptureRequest&, const CaptureOutcome&)> on_ended;
};

/// Writes forensic bundles (docs/bundle-format.md) off the sampler and watchdog threads.
///
/// Request() hands a capture to the worker thread without waiting. Automatic requests (pause,
/// critical) wait in a queue of their own, up to CaptureOptions::max_queued, and run before a
/// manual one; manual requests never take their place: at most one manual request waits, and
/// each further one is merged into it (result coalesced), as it will capture the same moment
/// give or take a capture's duration. A capture makes two collector
/// passes over the root about pass_gap_seconds apart, recording every file they read under raw/0
/// and raw/1; reads the process table (per-process reads bounded by forensics.read_timeout_ms on
/// a BoundedReader), the kernel log and the journal; ranks the culprits; writes every file under
/// ".tmp-<id>" in forensics.events_dir and renames it to the id when complete. Automatic captures
/// (pause, critical) within forensics.min_interval_seconds of the previous automatic one are not
/// taken (result rate_limited); manual ones always are. After each capture the oldest bundles are
/// deleted until the directory is within forensics.max_total_bytes (the newest is always kept).
/// Every request is counted in `stats` and, with a HistoryWriter, recorded as a CaptureRecord.
///
/// Time decisions (rate limit, durations, the gap between passes) use the injected clock; the
/// bounds on reads use the real monotonic time. Thread-safe: Request(), CaptureNow() and Flush()
/// may be called from any thread (captures run one at a time). Owns a thread: not copyable or
/// movable.
class CaptureWorker {
 public:
  /// `recorder`, `stats`, `clock` and `history` (may be null) must outlive the worker.
  CaptureWorker(const config::Config& config, CaptureOptions options, const Clock& clock,
                const FlightRecorder& recorder, CaptureStats& stats,
                HistoryWriter* history = nullptr);
  /// Stops (as Stop()) if running.
  ~CaptureWorker();
  CaptureWorker(const CaptureWorker&) = delete;
  CaptureWorker& operator=(const CaptureWorker&) = delete;

  /// Creates and opens the events directory, removes leftover ".tmp-*" entries, counts the
  /// bundles, probes whether the kernel log and kernel stacks are readable, and starts the
  /// thread.
  Status Start();
  /// Cancels a capture under way (it stops at its next step, within about 100 ms unless the
  /// disk itself hangs, and its temporary directory is removed), counts the requests still
  /// queued as failed, and joins the thread.
  void Stop();

  /// Queues a capture; never waits. False when it was rate-limited, the queue is full or the
  /// worker is stopped (each counted, as rate_limited or failed). A manual request merged into
  /// the one waiting counts as coalesced and returns true.
  bool Request(const CaptureRequest& request);

  /// Runs one capture on the calling thread, with the same rate limit and accounting.
  CaptureOutcome CaptureNow(const CaptureRequest& request);

  /// New settings (a configuration reload), used from the next capture on: the rate limit, the
  /// size cap, the window, the suspects and the scoring. The events directory and the read
  /// timeout stay as they were at Start().
  void Reconfigure(const config::Config& config);

  /// Light captures from now on (the daemon is over a self-limits budget), or full ones again:
  /// a light capture reads no journal, and the per-process details (status, cmdline, cgroup, io,
  /// tasks) only of the sampling.top_processes busiest, largest and slowest on I/O processes and
  /// of those in D state; its summary.json notes say so. Any thread.
  void SetLight(bool light) { light_.store(light); }

  /// Waits until every queued capture has finished, or `timeout`. True if none is left.
  bool Flush(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  struct Queued {
    CaptureRequest request;
    std::int64_t requested_ns;  // injected monotonic clock
    std::chrono::steady_clock::time_point requested_at;
  };
  std::optional<CaptureOutcome> Admit(const CaptureRequest& request, std::int64_t now_ns);
  void ProbeSources();
  Status Prepare();
  CaptureOutcome Run(const Queued& queued);
  CaptureOutcome Capture(const Queued& queued);
  void Account(const CaptureRequest& request, const CaptureOutcome& outcome);
  void EnforceCap(const std::string& newest, std::int64_t max_total_bytes);
  void Loop();

  struct Settings {
    config::Config config;
    std::string digest;  // of config::ToToml, for the manifest
  };
  std::shared_ptr<const Settings> CurrentSettings() const;

  const CaptureOptions options_;
  const Clock& clock_;
  const FlightRecorder& recorder_;
  CaptureStats& stats_;
  HistoryWriter* history_;

  mutable std::mutex mutex_;  // guards the settings, the queue, the rate limit and the flags below
  std::shared_ptr<const Settings> settings_;
  std::condition_variable wake_;
  std::condition_variable settled_;
  std::deque<Queued> queue_;      // automatic requests
  std::optional<Queued> manual_;  // the manual request waiting, if any
  // The latest admitted automatic capture of each class: pauses and critical episodes; the early
  // warnings (kernel reports, pressure triggers), which never hold back a pause's capture.
  std::array<std::optional<std::int64_t>, 2> last_automatic_ns_;
  bool started_ = false;
  bool stopping_ = false;
  bool busy_ = false;
  std::atomic<bool> cancel_{false};
  std::atomic<bool> light_{false};
  std::thread thread_;

  std::mutex capture_mutex_;  // one capture at a time; guards what follows
  std::optional<EventsDirectory> events_;
  std::vector<EventsDirectory::Bundle> known_;
  std::unique_ptr<BoundedReader> reader_;
};

}  // namespace rh::forensics

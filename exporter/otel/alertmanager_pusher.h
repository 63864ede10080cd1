#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/clock.h"
#include "exporter/event_stream.h"
#include "exporter/otel/retry.h"
#include "exporter/otel/settings.h"

namespace rh::exporter::otel {

/// The alertnames of alerts/rogue-hunter.rules.yml that a pause raises directly.
inline constexpr std::string_view kPauseAlertName = "RogueHunterPauseDetected";
inline constexpr std::string_view kLongPauseAlertName = "RogueHunterLongPause";

/// Counters of the Alertmanager pusher for docs/metrics.md. Thread-safe.
struct AlertmanagerStats {
  std::atomic<std::uint64_t> posts{0};   ///< POSTs made (every attempt).
  std::atomic<std::uint64_t> errors{0};  ///< POSTs that failed (no 2xx answer).
  std::atomic<std::uint64_t> active{0};  ///< Alerts being kept up.
  std::atomic<std::int64_t> last_success_unix_ns{0};
};

/// The alerts pauses raise and when they are due to be posted: a pure state machine, all times
/// passed in (wall time for the alerts, monotonic time for the schedule). A pause raises
/// RogueHunterPauseDetected, and RogueHunterLongPause when it lasted long_pause_seconds or more,
/// with the labels of those rules (alertname, severity, category) plus the configured job,
/// instance and extra labels, so that Alertmanager takes them for the alerts Prometheus sends.
/// Each ends `active` after its pause and is posted at once, then every resend_interval until
/// it ends; after a failed post, again after a backoff. Not thread-safe.
class PauseAlertBook {
 public:
  PauseAlertBook(AlertmanagerSettings settings, std::uint64_t seed);

  void AddPause(const RecordedEvent& pause, std::int64_t now_monotonic_ns);
  /// A capture of a pause ended: its alerts name the bundle written, or none.
  void AddCapture(const CaptureEnded& capture, std::int64_t now_monotonic_ns);

  /// The body to POST now (a JSON array of postable alerts), or an empty string when nothing is
  /// due. Forgets alerts that have ended.
  std::string Due(std::int64_t now_unix_ns, std::int64_t now_monotonic_ns);
  /// The outcome of posting what Due() returned.
  void Posted(bool ok, std::optional<std::chrono::nanoseconds> retry_after,
              std::int64_t now_monotonic_ns);

  /// When the next post is due (monotonic ns); nullopt when no alert is active.
  std::optional<std::int64_t> next_due() const;
  std::size_t active() const { return alerts_.size(); }

 private:
  struct Alert {
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> annotations;
    std::string event_key;
    std::int64_t starts_unix_ns = 0;
    std::int64_t ends_unix_ns = 0;
  };

  AlertmanagerSettings settings_;
  Backoff backoff_;
  std::map<std::string, Alert> alerts_;  // by alertname
  std::optional<std::int64_t> next_due_;
};

/// Posts pauses to Alertmanager's /api/v2/alerts as they happen (a PauseAlertBook on a thread of
/// its own). OnEvent() only records the pause and wakes the thread; the thread waits for the
/// next due post on a condition variable, so a new pause is posted at once and nothing wakes it
/// while no alert is active. Requests are bounded by the connect and request timeouts. Failures
/// are counted, logged once until a post works again, and retried with backoff. Credentials are
/// never logged. Thread-safe; owns a thread: not copyable or movable.
class AlertmanagerPusher final : public EventSubscriber {
 public:
  AlertmanagerPusher(AlertmanagerSettings settings, std::string version, const Clock& clock,
                     AlertmanagerStats& stats);
  ~AlertmanagerPusher() override;
  AlertmanagerPusher(const AlertmanagerPusher&) = delete;
  AlertmanagerPusher& operator=(const AlertmanagerPusher&) = delete;

  void Start();
  /// Abandons a request in flight and joins the thread (at most about 100 ms).
  void Stop();

  void OnEvent(const std::shared_ptr<const DaemonEvent>& event) override;

 private:
  void Run();

  const AlertmanagerSettings settings_;
  const std::string version_;
  const Clock& clock_;
  AlertmanagerStats& stats_;

  std::mutex mutex_;
  std::condition_variable wake_;
  PauseAlertBook book_;  // guarded by mutex_
  bool changed_ = false;
  bool stopping_ = false;
  std::atomic<bool> abort_{false};
  std::thread thread_;
};

}  // namespace rh::exporter::otel

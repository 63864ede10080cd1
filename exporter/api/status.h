#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "analysis/watchdog.h"
#include "base/clock.h"
#include "config/config.h"
#include "exporter/http_server.h"
#include "exporter/snapshot.h"
#include "forensics/store.h"

namespace rh::exporter::api {

/// Who the daemon is, for GET /api/status.
struct DaemonIdentity {
  pid_t pid = 0;
  std::string version;
  std::string revision;
  std::int64_t start_realtime_ns = 0;
  std::int64_t start_monotonic_ns = 0;
  std::string config;  ///< The configuration file; empty for built-in defaults.
};

/// What GET /api/status reports (docs/api.md): the latest sampler pass and the one before it (for
/// rates), the watchdog's counters, and the pauses, suspends and critical episodes since the
/// daemon started, each with the bundle captured for it once the capture has ended. The daemon
/// feeds it from the sampler, event and capture threads; HTTP handlers read it. Thread-safe.
class StatusBoard {
 public:
  static constexpr std::size_t kRecentEvents = 10;

  /// `watchdog` may be null (tests); it must outlive the board.
  StatusBoard(DaemonIdentity identity, const config::Config& config,
              const analysis::Watchdog::Stats* watchdog);

  void OnSample(std::shared_ptr<const Snapshot> sample);
  /// Keeps pauses, suspends and critical episodes; sampling state changes are left out.
  void OnEvent(const forensics::EventRecord& event);
  /// The capture for the event keyed `event_key` ended: `result` as the captures metric names it,
  /// the bundle's id and its top culprit when it was written.
  void OnCapture(std::string_view event_key, std::string_view result, std::string_view bundle,
                 std::string_view culprit, std::int32_t culprit_pid);
  /// New thresholds after a configuration reload.
  void Reconfigure(const config::Config& config);

  /// The document, as of `now`.
  nlohmann::json ToJson(const ClockReading& now) const;

 private:
  struct RecentEvent {
    forensics::EventRecord event;
    std::string capture;  // "", "pending", or a capture result
    std::string bundle;
    std::string culprit;
    std::int32_t culprit_pid = 0;
  };

  const DaemonIdentity identity_;
  const analysis::Watchdog::Stats* watchdog_;
  mutable std::mutex mutex_;  // guards everything below
  config::Sampling sampling_;
  config::Stress stress_;
  bool captures_enabled_;
  std::shared_ptr<const Snapshot> previous_, latest_;
  std::deque<RecentEvent> events_;  // newest first
};

/// GET /api/status: the board as JSON (health "starting" until the first sample).
HttpResponse Status(const StatusBoard& board, const Clock& clock);

}  // namespace rh::exporter::api

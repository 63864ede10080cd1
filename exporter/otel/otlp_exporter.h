#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "base/clock.h"
#include "exporter/event_stream.h"
#include "exporter/otel/http_client.h"
#include "exporter/otel/retry.h"
#include "exporter/otel/settings.h"

namespace rh::exporter::otel {

/// Why records were given up (the `reason` label of rogue_hunter_otel_records_failed_total).
enum class FailureReason : std::uint8_t { kHttpStatus, kPartialSuccess, kResponseTooLarge };
inline constexpr std::array<std::string_view, 3> kFailureReasonNames = {
    "http_status", "partial_success", "response_too_large"};

/// Counters of the OTLP exporter for the metrics of docs/metrics.md. Thread-safe: the exporter
/// updates, anyone reads.
struct OtlpStats {
  std::atomic<std::uint64_t> sent{0};  ///< Records the collector accepted.
  /// Records given up, by FailureReason: a status that must not be retried, the rejected part of
  /// a partial success, an oversized response.
  std::array<std::atomic<std::uint64_t>, kFailureReasonNames.size()> failed{};
  std::atomic<std::uint64_t> dropped{0};  ///< Records pushed out of the full queue.
  std::atomic<std::uint64_t> retries{0};  ///< Requests that will be tried again.
  std::atomic<std::uint64_t> queued{0};   ///< Records waiting, including a request in flight.
  std::atomic<std::int64_t> last_success_unix_ns{0};  ///< 0 before the first success.

  std::uint64_t failed_total() const;
};

/// Sends the daemon's events to an OpenTelemetry collector as OTLP/HTTP JSON log records.
///
/// OnEvent() only queues (a bounded queue of `queue_size` records: when full, the oldest record
/// not in a request is dropped and counted). One thread of its own waits `batch_delay` after a
/// first record so that others can join it, then POSTs up to `max_batch_size` records per
/// request. A 2xx response delivers them (a partial success counts its rejected records as
/// failed and is not retried); 429, 502, 503, 504, a failed connection, a broken connection or a
/// timeout keep the records at the front of the queue and retry after the Retry-After the
/// server asked for, or else an exponential backoff with jitter; any other status gives them up.
/// One log line when export starts failing (and for each new kind of failure), one when it
/// works again; header values never appear in them.
///
/// Waits (the batch delay, backoff) use the injected clock. Thread-safe: OnEvent() and Flush()
/// may be called from any thread. Owns a thread: not copyable or movable.
class OtlpLogExporter final : public EventSubscriber {
 public:
  /// `clock` and `stats` must outlive the exporter. `version` goes into the User-Agent and the
  /// instrumentation scope.
  OtlpLogExporter(OtlpSettings settings, std::string version, const Clock& clock, OtlpStats& stats);
  /// Stops (as Stop()) if running.
  ~OtlpLogExporter() override;
  OtlpLogExporter(const OtlpLogExporter&) = delete;
  OtlpLogExporter& operator=(const OtlpLogExporter&) = delete;

  void Start();
  /// Sends what is queued without waiting for backoff, for at most `drain`; then abandons the
  /// request in flight and joins the thread. Records left are logged as not delivered.
  void Stop(std::chrono::milliseconds drain = std::chrono::milliseconds(1000));

  void OnEvent(const std::shared_ptr<const DaemonEvent>& event) override;

  /// Waits until nothing is queued or in flight, or `timeout` (real time). True if nothing is.
  bool Flush(std::chrono::milliseconds timeout);

 private:
  void Run();
  /// Counts and logs how a request of `records` records ended. Returns the wait before retrying
  /// them, or nullopt when they are done with (delivered or given up).
  std::optional<std::chrono::nanoseconds> Settle(const HttpResult& result, std::size_t records,
                                                 Backoff& backoff);
  bool SleepUntil(std::int64_t monotonic_deadline_ns);
  void Problem(const std::string& kind, const std::string& message);
  void Recovered();

  const OtlpSettings settings_;
  const std::string version_;
  const Clock& clock_;
  OtlpStats& stats_;
  const std::string loggable_url_;

  std::mutex mutex_;
  std::condition_variable wake_;                          // the sender waits for records
  std::condition_variable settled_;                       // Flush() and Stop() wait for the sender
  std::deque<std::shared_ptr<const DaemonEvent>> queue_;  // guarded by mutex_
  std::size_t in_flight_ = 0;  // the first in_flight_ records of queue_ are in a request
  bool started_ = false;
  bool finished_ = false;  // the thread left its loop
  std::atomic<bool> stopping_{false};
  std::atomic<bool> abort_{false};
  std::thread thread_;

  // Sender thread only.
  std::string last_problem_;  // the kind of failure last logged; empty while export works
};

}  // namespace rh::exporter::otel

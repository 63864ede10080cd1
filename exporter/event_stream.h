#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "forensics/capture/capture_worker.h"
#include "forensics/store.h"

namespace rh::exporter {

/// An event of the history (pause, suspend, critical episode, sampling state change), with what
/// its publishers need beyond the stored row.
struct RecordedEvent {
  forensics::EventRecord record;   ///< As the history stores it.
  std::int64_t start_unix_ns = 0;  ///< Exact times (the row keeps seconds as doubles).
  std::int64_t end_unix_ns = 0;
  /// The stress component that dominated the sample before the event ("none" if none scored).
  std::string dominant_component = "none";
  /// The score of the sample that caused it (state changes and critical episodes).
  std::optional<double> score;
  /// A forensic capture was asked for it; the bundle will be named record.key (or, if that
  /// name is taken, record.key with a "-2" suffix: the CaptureEnded event says).
  bool capture_requested = false;
};

/// A forensic capture that ended: written, failed, or not taken.
struct CaptureEnded {
  forensics::CaptureRequest request;
  forensics::CaptureOutcome outcome;
  std::int64_t end_unix_ns = 0;  ///< When it ended.
};

/// Something the daemon recorded, as the event stream carries it.
///
/// Adding an event kind: a new forensics::EventKind (with its name) travels as a RecordedEvent,
/// and the OTLP encoder's table (exporter/otel/log_records.cc) refuses to compile until it has a
/// row for it; an event that is not a history row becomes a new alternative of `what`, which
/// every subscriber's std::visit must then handle.
struct DaemonEvent {
  std::int64_t observed_unix_ns = 0;  ///< When the daemon saw it.
  std::variant<RecordedEvent, CaptureEnded> what;
};

/// Receives every event published on an EventStream.
class EventSubscriber {
 public:
  virtual ~EventSubscriber() = default;
  /// Runs on the publishing thread (the sampler, the event thread or the capture worker) and so
  /// must return at once: queue the event and wake a thread of its own; never block, wait for a
  /// network or a disk, or throw.
  virtual void OnEvent(const std::shared_ptr<const DaemonEvent>& event) = 0;
};

/// The daemon's event fan-out: each published event is handed, as one shared immutable object, to
/// every subscriber in the order they subscribed (the history writer, the OTLP exporter, the
/// Alertmanager pusher). Thread-safe: Publish() may run on several threads at once, and
/// subscribers may come and go while it does (a configuration reload replaces a sender by
/// subscribing the new one, then unsubscribing the old one). Publishing costs one allocation,
/// a mutex and the subscribers' queueing.
class EventStream {
 public:
  /// `subscriber` must stay alive until it is unsubscribed or the stream's last Publish().
  void Subscribe(EventSubscriber* subscriber);
  /// Once this returns, `subscriber` is not called again.
  void Unsubscribe(EventSubscriber* subscriber);
  void Publish(DaemonEvent event) const;

 private:
  mutable std::mutex mutex_;  // held while handing an event out
  std::vector<EventSubscriber*> subscribers_;
};

}  // namespace rh::exporter

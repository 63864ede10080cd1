#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "base/clock.h"
#include "collectors/collector.h"
#include "exporter/snapshot.h"

namespace rh::exporter {

/// The sampler thread: every interval it runs all collectors into one immutable Snapshot and
/// publishes it. Owns a thread: not copyable or movable. Start/Stop/SampleNow are thread-safe.
class Sampler {
 public:
  struct Options {
    double interval_seconds = 5;
  };

  /// `on_publish` runs on the sampler thread after each publication.
  Sampler(collectors::CollectorList collectors, const Clock& clock, SnapshotHub& hub,
          std::function<void()> on_publish, Options options);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  /// One pass on the calling thread: collect, build, publish. Used by the thread and by tests.
  void RunPass();

  void Start();
  /// Stops and joins the thread; a pass under way finishes first.
  void Stop();
  /// Makes the thread sample at once instead of at its next deadline.
  void SampleNow();

 private:
  void Loop(std::stop_token stop);

  collectors::CollectorList collectors_;
  const Clock& clock_;
  SnapshotHub& hub_;
  std::function<void()> on_publish_;
  Options options_;
  std::uint64_t sequence_ = 0;

  std::mutex mutex_;
  std::condition_variable_any wake_;
  bool sample_now_ = false;
  std::jthread thread_;
};

}  // namespace rh::exporter

#pragma once

#include <memory>
#include <mutex>

#include "analysis/scored_sample.h"

namespace rh::exporter {

/// What /metrics and /healthz show: the last complete sampler pass.
using Snapshot = analysis::ScoredSample;

/// The last published Snapshot. The sampler publishes; HTTP handlers read. Thread-safe.
class SnapshotHub {
 public:
  void Publish(std::shared_ptr<const Snapshot> snapshot) {
    std::lock_guard lock(mutex_);
    latest_ = std::move(snapshot);
  }
  /// Null until the first pass has been published.
  std::shared_ptr<const Snapshot> Latest() const {
    std::lock_guard lock(mutex_);
    return latest_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> latest_;
};

}  // namespace rh::exporter

#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "collectors/system_sample.h"

namespace rh::exporter {

/// Everything one sampler pass produced. Immutable once published.
struct Snapshot {
  std::uint64_t sequence = 0;  ///< 1 for the first pass, then +1 per pass.
  collectors::SystemSample sample;
};

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

#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "collectors/proc_root.h"
#include "collectors/system_sample.h"

namespace rh::collectors {

/// Settings shared by the collectors.
struct CollectorOptions {
  std::size_t top_n = 5;            ///< Length of the top-N process lists.
  std::size_t max_blocked = 32;     ///< Most D-state tasks listed per sample.
  long clock_ticks_per_second = 0;  ///< USER_HZ; 0 means sysconf(_SC_CLK_TCK).
  long page_size = 0;               ///< 0 means sysconf(_SC_PAGESIZE).
  /// Bound on each per-process read of the "processes" collector (a /proc file of a task stuck
  /// in the kernel can hang a read); 0 reads on the calling thread, unbounded.
  std::chrono::milliseconds read_timeout{1000};
};

/// Reads one group of kernel files into its part of a SystemSample.
/// A collector is used by one thread at a time; it may keep descriptors and state between passes.
class Collector {
 public:
  virtual ~Collector() = default;
  /// The `collector` label value, e.g. "pressure".
  virtual std::string_view name() const = 0;
  /// Fills this collector's part of `sample`. A missing optional source is not an error (its part
  /// says unavailable); an unreadable or garbled file is, and leaves the part default.
  virtual Status Collect(SystemSample& sample) = 0;
};

using CollectorList = std::vector<std::unique_ptr<Collector>>;

/// Every collector, in the order they run: the one registration list.
CollectorList MakeCollectors(const ProcRoot& root, const CollectorOptions& options);

/// Runs every collector into `sample`, setting sample.clock first and recording each collector's
/// success, duration (measured with `clock`) and error in sample.collectors. Never throws.
void CollectAll(CollectorList& collectors, const Clock& clock, SystemSample& sample);

}  // namespace rh::collectors

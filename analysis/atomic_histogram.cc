#include "analysis/atomic_histogram.h"

#include <limits>

namespace rh::analysis {

AtomicHistogram::Reading AtomicHistogram::Read() const {
  Reading r;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= size_; ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    r.bounds.push_back(i < size_ ? bounds_seconds_[i] : std::numeric_limits<double>::infinity());
    r.cumulative.push_back(running);
  }
  r.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return r;
}

}  // namespace rh::analysis

#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace rh::analysis {

/// A histogram of durations that can be observed from a real-time thread: fixed buckets, relaxed
/// atomic counters, no locks and no allocation on Observe(). Readers take a consistent-enough
/// copy with Read() (bucket counts are summed at read time, so count and buckets always agree).
class AtomicHistogram {
 public:
  static constexpr std::size_t kMaxBuckets = 24;

  /// Upper bounds in seconds, ascending; +Inf is implied.
  explicit AtomicHistogram(std::initializer_list<double> bounds_seconds) {
    for (double b : bounds_seconds) {
      if (size_ == kMaxBuckets) break;
      bounds_ns_[size_] = static_cast<std::int64_t>(b * 1e9);
      bounds_seconds_[size_++] = b;
    }
  }

  void Observe(std::int64_t ns) noexcept {
    std::size_t i = 0;
    while (i < size_ && ns > bounds_ns_[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(ns, std::memory_order_relaxed);
  }

  struct Reading {
    std::vector<double> bounds;             ///< Including +Inf last.
    std::vector<std::uint64_t> cumulative;  ///< Cumulative counts per bound.
    double sum_seconds = 0;
    std::uint64_t count() const { return cumulative.empty() ? 0 : cumulative.back(); }
  };

  Reading Read() const;

 private:
  std::array<std::int64_t, kMaxBuckets> bounds_ns_{};
  std::array<double, kMaxBuckets> bounds_seconds_{};
  std::size_t size_ = 0;
  std::array<std::atomic<std::uint64_t>, kMaxBuckets + 1> counts_{};
  std::atomic<std::int64_t> sum_ns_{0};
};

}  // namespace rh::analysis

#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "analysis/scored_sample.h"

namespace rh::forensics {

/// The last samples of the sampler, in memory, for forensic bundles: the minute before a pause
/// and the one after. A ring of shared pointers, so recording a sample copies nothing.
/// Thread-safe: the sampler pushes while a capture reads.
class FlightRecorder {
 public:
  static constexpr std::size_t kDefaultCapacity = 120;

  explicit FlightRecorder(std::size_t capacity = kDefaultCapacity);

  /// Records a sample, dropping the oldest when full. A null pointer is ignored.
  void Push(std::shared_ptr<const analysis::ScoredSample> sample);

  /// The samples taken between `from` and `to` (Unix seconds, inclusive, by the sample's wall
  /// clock reading), oldest first.
  std::vector<std::shared_ptr<const analysis::ScoredSample>> Window(double from, double to) const;

  /// Every sample held, oldest first.
  std::vector<std::shared_ptr<const analysis::ScoredSample>> All() const;

  std::size_t capacity() const { return ring_.size(); }
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<const analysis::ScoredSample>> ring_;
  std::size_t next_ = 0;   // Where the next sample goes.
  std::size_t count_ = 0;  // Samples held.
};

}  // namespace rh::forensics

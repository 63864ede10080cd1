#include "forensics/flight_recorder.h"

#include <utility>

namespace rh::forensics {

FlightRecorder::FlightRecorder(std::size_t capacity) : ring_(capacity > 0 ? capacity : 1) {}

void FlightRecorder::Push(std::shared_ptr<const analysis::ScoredSample> sample) {
  if (!sample) return;
  std::lock_guard lock(mutex_);
  // The oldest sample, if this was its last owner, is freed after the lock is released.
  std::swap(ring_[next_], sample);
  next_ = (next_ + 1) % ring_.size();
  if (count_ < ring_.size()) ++count_;
}

std::vector<std::shared_ptr<const analysis::ScoredSample>> FlightRecorder::Window(double from,
                                                                                  double to) const {
  std::vector<std::shared_ptr<const analysis::ScoredSample>> out;
  std::lock_guard lock(mutex_);
  std::size_t start = (next_ + ring_.size() - count_) % ring_.size();
  for (std::size_t i = 0; i < count_; ++i) {
    const auto& s = ring_[(start + i) % ring_.size()];
    double time = static_cast<double>(s->sample.clock.realtime_ns) / 1e9;
    if (time >= from && time <= to) out.push_back(s);
  }
  return out;
}

std::vector<std::shared_ptr<const analysis::ScoredSample>> FlightRecorder::All() const {
  std::vector<std::shared_ptr<const analysis::ScoredSample>> out;
  std::lock_guard lock(mutex_);
  out.reserve(count_);
  std::size_t start = (next_ + ring_.size() - count_) % ring_.size();
  for (std::size_t i = 0; i < count_; ++i) out.push_back(ring_[(start + i) % ring_.size()]);
  return out;
}

std::size_t FlightRecorder::size() const {
  std::lock_guard lock(mutex_);
  return count_;
}

}  // namespace rh::forensics

#pragma once

#include <atomic>
#include <cstdint>

#include "base/clock.h"

namespace rh::test {

/// A clock the test moves by hand. SleepUntil() jumps the monotonic and boot clocks to the
/// deadline (plus any pending overshoot) instead of sleeping. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t start_ns = 1'000'000'000) {
    monotonic_ = start_ns;
    boottime_ = start_ns;
    realtime_ = 1'795'000'000'000'000'000;  // some Unix time in 2026
  }

  ClockReading Now() const override {
    return {monotonic_.load(), boottime_.load(), realtime_.load()};
  }

  void SleepUntil(std::int64_t deadline_ns) const override {
    auto* self = const_cast<FakeClock*>(this);
    std::int64_t now = monotonic_.load();
    std::int64_t target = (deadline_ns > now ? deadline_ns : now) + self->overshoot_.exchange(0);
    self->Advance(target - now);
  }

  /// Moves all three clocks forward.
  void Advance(std::int64_t ns) {
    monotonic_ += ns;
    boottime_ += ns;
    realtime_ += ns;
  }
  void AdvanceSeconds(double s) { Advance(static_cast<std::int64_t>(s * 1e9)); }
  /// A suspend: the boot and wall clocks move, the monotonic clock does not.
  void Suspend(std::int64_t ns) {
    boottime_ += ns;
    realtime_ += ns;
  }
  /// The next SleepUntil() wakes this much late (a freeze during the sleep).
  void OvershootNextSleep(std::int64_t ns) { overshoot_ = ns; }

 private:
  std::atomic<std::int64_t> monotonic_{0};
  std::atomic<std::int64_t> boottime_{0};
  std::atomic<std::int64_t> realtime_{0};
  std::atomic<std::int64_t> overshoot_{0};
};

}  // namespace rh::test

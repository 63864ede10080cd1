#pragma once

#include <cstdint>

namespace rh {

/// Nanosecond readings of the three clocks rogue-hunter cares about.
struct ClockReading {
  std::int64_t monotonic_ns = 0;  ///< CLOCK_MONOTONIC: stops while suspended.
  std::int64_t boottime_ns = 0;   ///< CLOCK_BOOTTIME: keeps counting through suspend.
  std::int64_t realtime_ns = 0;   ///< CLOCK_REALTIME: wall time, for timestamps users read.
};

/// Source of time for everything that decides on time. Tests inject a fake.
/// Implementations must be safe to call from several threads at once and must not allocate.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual ClockReading Now() const = 0;
  /// Sleeps until CLOCK_MONOTONIC reaches `deadline_ns` (or returns at once if it passed).
  virtual void SleepUntil(std::int64_t monotonic_deadline_ns) const = 0;
};

/// The kernel's clocks. Thread-safe, allocation-free.
class SystemClock final : public Clock {
 public:
  ClockReading Now() const override;
  void SleepUntil(std::int64_t monotonic_deadline_ns) const override;
  /// One shared instance.
  static const SystemClock& Instance();
};

}  // namespace rh

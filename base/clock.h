#pragma once

#include <cstdint>
#include <ctime>

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

/// Reads the three clocks with `read(clockid_t)` (nanoseconds) so that boottime − monotonic is
/// right: a thread held between two reads (a CPU quota, a stall) would shift it by the hold and
/// fake a suspend of that length. CLOCK_BOOTTIME and CLOCK_REALTIME are read between two reads of
/// CLOCK_MONOTONIC, up to 4 times until the two are at most 1 ms apart, and the tightest
/// bracket is kept (its first monotonic reading).
template <typename ReadFn>
ClockReading ReadClocksBracketed(ReadFn&& read) {
  constexpr std::int64_t kMaxSpreadNs = 1'000'000;
  ClockReading best;
  std::int64_t best_spread = -1;
  for (int attempt = 0; attempt < 4; ++attempt) {
    ClockReading r;
    r.monotonic_ns = read(CLOCK_MONOTONIC);
    r.boottime_ns = read(CLOCK_BOOTTIME);
    r.realtime_ns = read(CLOCK_REALTIME);
    const std::int64_t spread = read(CLOCK_MONOTONIC) - r.monotonic_ns;
    if (best_spread < 0 || spread < best_spread) {
      best = r;
      best_spread = spread;
    }
    if (spread <= kMaxSpreadNs) break;
  }
  return best;
}

/// The kernel's clocks. Thread-safe, allocation-free.
class SystemClock final : public Clock {
 public:
  ClockReading Now() const override;
  void SleepUntil(std::int64_t monotonic_deadline_ns) const override;
  /// One shared instance.
  static const SystemClock& Instance();
};

}  // namespace rh

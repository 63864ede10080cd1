#include "base/clock.h"

#include <cerrno>
#include <ctime>

namespace rh {
namespace {

std::int64_t Read(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

ClockReading SystemClock::Now() const { return ReadClocksBracketed(Read); }

void SystemClock::SleepUntil(std::int64_t monotonic_deadline_ns) const {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(monotonic_deadline_ns / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(monotonic_deadline_ns % 1'000'000'000);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

const SystemClock& SystemClock::Instance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace rh

#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

#include "exporter/otel/settings.h"

namespace rh::exporter::otel {

/// Whether OTLP/HTTP says a response with this status may be retried (429, 502, 503, 504).
bool IsRetryableStatus(long status);

/// Parses a Retry-After header value: delay-seconds, or an HTTP-date (IMF-fixdate) taken
/// relative to `now_unix_ns`. nullopt when it is neither; a date in the past is a zero delay.
std::optional<std::chrono::nanoseconds> ParseRetryAfter(std::string_view value,
                                                        std::int64_t now_unix_ns);

/// The longest Retry-After honoured: a server asking for more is retried after this.
inline constexpr std::chrono::minutes kMaxRetryAfter{10};

/// Delays between attempts after consecutive failures: exponential from `initial`, doubling up to
/// `max`, with jitter (a delay d becomes a random value in [d/2, d]); a server's Retry-After is
/// honoured instead (up to kMaxRetryAfter). A pure function of the failure count and the random
/// source, so tests fix the seed. Not thread-safe.
class Backoff {
 public:
  Backoff(RetryOptions options, std::uint64_t seed);

  /// The delay before the next attempt, counting one more failure.
  std::chrono::nanoseconds Next(std::optional<std::chrono::nanoseconds> retry_after = std::nullopt);
  /// After a success: the next failure starts again from `initial`.
  void Reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  RetryOptions options_;
  std::mt19937_64 random_;
  int failures_ = 0;
};

}  // namespace rh::exporter::otel

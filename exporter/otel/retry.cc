#include "exporter/otel/retry.h"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <string>

namespace rh::exporter::otel {

bool IsRetryableStatus(long status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

std::optional<std::chrono::nanoseconds> ParseRetryAfter(std::string_view value,
                                                        std::int64_t now_unix_ns) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc::result_out_of_range) return kMaxRetryAfter;
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    return std::chrono::seconds(std::min<std::int64_t>(seconds, 1'000'000'000));
  }
  // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
  std::string text(value);
  tm parsed{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parsed);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const std::int64_t at_ns = static_cast<std::int64_t>(timegm(&parsed)) * 1'000'000'000;
  return std::chrono::nanoseconds(std::max<std::int64_t>(0, at_ns - now_unix_ns));
}

Backoff::Backoff(RetryOptions options, std::uint64_t seed) : options_(options), random_(seed) {}

std::chrono::nanoseconds Backoff::Next(std::optional<std::chrono::nanoseconds> retry_after) {
  ++failures_;
  if (retry_after) {
    return std::min<std::chrono::nanoseconds>(*retry_after, kMaxRetryAfter);
  }
  const std::chrono::nanoseconds max = options_.max;
  std::chrono::nanoseconds delay = options_.initial;
  for (int i = 1; i < failures_ && delay < max; ++i) delay *= 2;
  delay = std::min(delay, max);
  std::uniform_int_distribution<std::int64_t> jitter(delay.count() / 2, delay.count());
  return std::chrono::nanoseconds(jitter(random_));
}

}  // namespace rh::exporter::otel

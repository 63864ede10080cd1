// The retry rules of OTLP/HTTP: which answers are retried, how long to wait (exponential backoff
// with jitter, or the server's Retry-After), computed without any clock or sleep.

#include "exporter/otel/retry.h"

#include <gtest/gtest.h>

namespace rh::exporter::otel {
namespace {

using namespace std::chrono_literals;

TEST(RetryableStatus, Only429And502To504) {
  for (long status : {429L, 502L, 503L, 504L}) EXPECT_TRUE(IsRetryableStatus(status)) << status;
  for (long status : {200L, 204L, 301L, 400L, 401L, 403L, 404L, 413L, 500L, 501L, 505L}) {
    EXPECT_FALSE(IsRetryableStatus(status)) << status;
  }
}

TEST(RetryAfterParse, SecondsOrAnHttpDate) {
  const std::int64_t now = 784'111'777'000'000'000;  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(ParseRetryAfter("7", now), 7s);
  EXPECT_EQ(ParseRetryAfter(" 120 ", now), 120s);
  EXPECT_EQ(ParseRetryAfter("0", now), 0s);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:47 GMT", now), 10s);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:40:00 GMT", now), 0s);  // in the past
  EXPECT_FALSE(ParseRetryAfter("", now));
  EXPECT_FALSE(ParseRetryAfter("-1", now));
  EXPECT_FALSE(ParseRetryAfter("1.5", now));
  EXPECT_FALSE(ParseRetryAfter("soon", now));
  EXPECT_FALSE(ParseRetryAfter("Sun, 06 Nov 1994 08:49:47", now));
}

TEST(BackoffDelays, GrowExponentiallyWithJitterUpToTheMaximum) {
  Backoff backoff({1000ms, 30000ms}, 42);
  std::chrono::nanoseconds expected_max = 1000ms;
  for (int failure = 1; failure <= 10; ++failure) {
    const auto delay = backoff.Next();
    EXPECT_GE(delay, expected_max / 2) << "failure " << failure;
    EXPECT_LE(delay, expected_max) << "failure " << failure;
    expected_max = std::min<std::chrono::nanoseconds>(expected_max * 2, 30000ms);
  }
  EXPECT_EQ(backoff.failures(), 10);
  backoff.Reset();
  EXPECT_LE(backoff.Next(), 1000ms);
}

TEST(BackoffDelays, JitterSpreadsClientsApart) {
  Backoff a({1000ms, 30000ms}, 1), b({1000ms, 30000ms}, 2);
  int differ = 0;
  for (int i = 0; i < 5; ++i) differ += a.Next() != b.Next() ? 1 : 0;
  EXPECT_GE(differ, 4);
}

TEST(BackoffDelays, RetryAfterIsHonouredExactlyUpToTenMinutes) {
  Backoff backoff({1000ms, 30000ms}, 7);
  EXPECT_EQ(backoff.Next(7s), 7s);
  EXPECT_EQ(backoff.Next(45s), 45s);  // above the backoff maximum: the server decides
  EXPECT_EQ(backoff.Next(3h), kMaxRetryAfter);
  EXPECT_EQ(backoff.Next(0s), 0s);
}

}  // namespace
}  // namespace rh::exporter::otel

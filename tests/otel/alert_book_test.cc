// The pause alerts posted to Alertmanager and their schedule: what is posted, when it is posted
// again, when it ends, and the backoff after a failure; all times passed in, no clock, no sleep.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "exporter/otel/alertmanager_pusher.h"

namespace rh::exporter::otel {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kEnd = 1'795'000'003'250'000'000;  // 2026-11-18T11:06:43.250Z
constexpr std::int64_t kMono = 50 * kSecond;              // monotonic time at the pause's end

AlertmanagerSettings Settings() {
  AlertmanagerSettings s;
  s.alerts_url = "http://am:9093/api/v2/alerts";
  s.labels = {{"instance", "host-a:9795"}, {"job", "rogue-hunter"}};
  s.generator_url = "http://host-a:9795/";
  s.active = 600s;
  s.resend_interval = 60s;
  s.long_pause_seconds = 10;
  s.retry = {1000ms, 60000ms};
  return s;
}

RecordedEvent Pause(double seconds, bool captured = true) {
  RecordedEvent e;
  e.record.kind = forensics::EventKind::kPause;
  e.record.key = "20261118T110643.250Z-pause";
  e.record.duration_seconds = seconds;
  e.end_unix_ns = kEnd;
  e.start_unix_ns = kEnd - static_cast<std::int64_t>(seconds * 1e9);
  e.capture_requested = captured;
  return e;
}

json Posted(PauseAlertBook& book, std::int64_t unix_ns, std::int64_t mono_ns) {
  std::string body = book.Due(unix_ns, mono_ns);
  return body.empty() ? json() : json::parse(body);
}

TEST(PauseAlertBook, APauseIsDueAtOnceWithTheRuleLabels) {
  PauseAlertBook book(Settings(), 1);
  EXPECT_FALSE(book.next_due());
  EXPECT_TRUE(book.Due(kEnd, kMono).empty());
  book.AddPause(Pause(2.999), kMono);
  json alerts = Posted(book, kEnd, kMono);
  ASSERT_EQ(alerts.size(), 1u);
  const json& a = alerts[0];
  EXPECT_EQ(a["labels"], json::parse(R"({"alertname":"RogueHunterPauseDetected",
      "severity":"warning","category":"pause","instance":"host-a:9795","job":"rogue-hunter"})"));
  EXPECT_EQ(a["annotations"]["summary"], "host-a:9795 paused for 2.999s");
  EXPECT_EQ(a["annotations"]["duration_seconds"], "2.999");
  EXPECT_EQ(a["annotations"]["bundle_id"], "20261118T110643.250Z-pause");
  EXPECT_EQ(a["annotations"]["runbook_url"],
            "https://github.com/rogue-hunter/rogue-hunter/blob/main/docs/runbooks.md"
            "#roguehunterpausedetected");
  EXPECT_EQ(a["startsAt"], "2026-11-18T11:06:40.251Z");
  EXPECT_EQ(a["endsAt"], "2026-11-18T11:16:43.250Z");  // the rule's 10 minutes after the pause
  EXPECT_EQ(a["generatorURL"], "http://host-a:9795/");
}

TEST(PauseAlertBook, ALongPauseRaisesTheLongPauseAlertToo) {
  PauseAlertBook book(Settings(), 1);
  book.AddPause(Pause(42), kMono);
  json alerts = Posted(book, kEnd, kMono);
  ASSERT_EQ(alerts.size(), 2u);
  std::set<std::string> names;
  for (const json& a : alerts) names.insert(a["labels"]["alertname"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"RogueHunterLongPause", "RogueHunterPauseDetected"}));
  for (const json& a : alerts) {
    if (a["labels"]["alertname"] == "RogueHunterLongPause") {
      EXPECT_EQ(a["labels"]["severity"], "critical");
      EXPECT_EQ(a["annotations"]["summary"], "host-a:9795 froze for 42s");
    }
  }
}

TEST(PauseAlertBook, ResentEveryIntervalWhileActiveThenForgotten) {
  PauseAlertBook book(Settings(), 1);
  book.AddPause(Pause(3), kMono);
  ASSERT_FALSE(Posted(book, kEnd, kMono).is_null());
  book.Posted(true, std::nullopt, kMono);
  EXPECT_EQ(book.next_due(), kMono + 60 * kSecond);
  EXPECT_TRUE(Posted(book, kEnd + 59 * kSecond, kMono + 59 * kSecond).is_null());
  EXPECT_FALSE(Posted(book, kEnd + 60 * kSecond, kMono + 60 * kSecond).is_null());
  book.Posted(true, std::nullopt, kMono + 60 * kSecond);
  EXPECT_EQ(book.active(), 1u);
  // Ten minutes after the pause it has ended: nothing more to post, nothing to wake up for.
  EXPECT_TRUE(Posted(book, kEnd + 600 * kSecond, kMono + 600 * kSecond).is_null());
  EXPECT_EQ(book.active(), 0u);
  EXPECT_FALSE(book.next_due());
}

TEST(PauseAlertBook, AFailedPostIsRetriedWithBackoffOrRetryAfter) {
  PauseAlertBook book(Settings(), 3);
  book.AddPause(Pause(3), kMono);
  ASSERT_FALSE(Posted(book, kEnd, kMono).is_null());
  book.Posted(false, std::nullopt, kMono);
  ASSERT_TRUE(book.next_due());
  EXPECT_GE(*book.next_due(), kMono + kSecond / 2);
  EXPECT_LE(*book.next_due(), kMono + kSecond);
  const std::int64_t t = *book.next_due();
  ASSERT_FALSE(Posted(book, kEnd, t).is_null());
  book.Posted(false, std::nullopt, t);
  EXPECT_GE(*book.next_due(), t + kSecond);  // doubled
  EXPECT_LE(*book.next_due(), t + 2 * kSecond);
  book.Posted(false, 5s, t);
  EXPECT_EQ(book.next_due(), t + 5 * kSecond);
}

TEST(PauseAlertBook, ANewPauseIsDueAtOnceEvenBetweenResends) {
  PauseAlertBook book(Settings(), 1);
  book.AddPause(Pause(3), kMono);
  Posted(book, kEnd, kMono);
  book.Posted(true, std::nullopt, kMono);
  RecordedEvent second = Pause(5);
  second.record.key = "second";
  second.end_unix_ns = kEnd + 20 * kSecond;
  second.start_unix_ns = second.end_unix_ns - 5 * kSecond;
  book.AddPause(second, kMono + 20 * kSecond);
  json alerts = Posted(book, kEnd + 20 * kSecond, kMono + 20 * kSecond);
  ASSERT_EQ(alerts.size(), 1u);  // the same alert (same labels), now about the last pause
  EXPECT_EQ(alerts[0]["annotations"]["event_key"], "second");
  EXPECT_EQ(alerts[0]["annotations"]["summary"], "host-a:9795 paused for 5s");
}

TEST(PauseAlertBook, TheCaptureNamesTheBundleWritten) {
  PauseAlertBook book(Settings(), 1);
  book.AddPause(Pause(3), kMono);
  Posted(book, kEnd, kMono);
  book.Posted(true, std::nullopt, kMono);
  CaptureEnded capture;
  capture.request.id = "20261118T110643.250Z-pause";
  capture.outcome.result = forensics::CaptureResult::kOk;
  capture.outcome.id = "20261118T110643.250Z-pause-2";
  book.AddCapture(capture, kMono + 2 * kSecond);
  json alerts = Posted(book, kEnd + 2 * kSecond, kMono + 2 * kSecond);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["annotations"]["bundle_id"], "20261118T110643.250Z-pause-2");
  book.Posted(true, std::nullopt, kMono + 2 * kSecond);

  capture.outcome.result = forensics::CaptureResult::kFailed;
  book.AddCapture(capture, kMono + 3 * kSecond);
  alerts = Posted(book, kEnd + 3 * kSecond, kMono + 3 * kSecond);
  EXPECT_FALSE(alerts[0]["annotations"].contains("bundle_id"));

  // A capture of another event changes nothing.
  book.Posted(true, std::nullopt, kMono + 3 * kSecond);
  capture.request.id = "other";
  book.AddCapture(capture, kMono + 4 * kSecond);
  EXPECT_TRUE(Posted(book, kEnd + 4 * kSecond, kMono + 4 * kSecond).is_null());
}

TEST(PauseAlertBook, ExtraLabelsAreAddedAndNoBundleWithoutACapture) {
  AlertmanagerSettings settings = Settings();
  settings.labels.emplace_back("env", "prod");
  PauseAlertBook book(settings, 1);
  book.AddPause(Pause(2, /*captured=*/false), kMono);
  json alerts = Posted(book, kEnd, kMono);
  EXPECT_EQ(alerts[0]["labels"]["env"], "prod");
  EXPECT_FALSE(alerts[0]["annotations"].contains("bundle_id"));
}

}  // namespace
}  // namespace rh::exporter::otel

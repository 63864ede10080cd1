// The OTLP log exporter against the test collector over real loopback HTTP: batching, the retry
// rules (429 with Retry-After, 502/503/504, 400, partial success, a collector that never
// answers, a collector down then up), the bounded queue, gzip and headers. Waits of the exporter
// (batch delay, backoff) run on a fake clock, so the tests check them exactly and never sleep;
// only the down-then-up test, which restarts a real process, runs on the real clock.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "exporter/otel/otlp_exporter.h"
#include "tests/otel/test_collector.h"
#include "tests/support/fake_clock.h"
#include "tests/support/process.h"

namespace rh::exporter::otel {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::TestCollector;

std::shared_ptr<const DaemonEvent> PauseEvent(int n) {
  RecordedEvent e;
  e.record.kind = forensics::EventKind::kPause;
  e.record.key = "pause-" + std::to_string(n);
  e.record.duration_seconds = 1.5;
  e.end_unix_ns = 1'795'000'000'000'000'000 + n * 1'000'000'000LL;
  e.start_unix_ns = e.end_unix_ns - 1'500'000'000;
  return std::make_shared<const DaemonEvent>(DaemonEvent{e.end_unix_ns + 1000, std::move(e)});
}

OtlpSettings Settings(const TestCollector& collector) {
  OtlpSettings s;
  s.url = collector.logs_url();
  s.resource = {{"service.name", "rogue-hunter-test"}};
  s.timeout = 2000ms;
  s.connect_timeout = 1000ms;
  s.batch_delay = 200ms;
  s.retry = {1000ms, 30000ms};
  s.queue_size = 100;
  s.max_batch_size = 100;
  return s;
}

// The event keys of every record received, in order.
std::vector<std::string> Keys(const TestCollector& collector) {
  std::vector<std::string> keys;
  for (const json& r : collector.Records()) {
    keys.push_back(test::AttributeText(r["attributes"], "rogue_hunter.event.key"));
  }
  return keys;
}

void ExpectAllValid(const TestCollector& collector) {
  json requests = collector.Requests();
  ASSERT_FALSE(requests.empty());
  for (const json& r : requests) EXPECT_TRUE(r["valid"].get<bool>()) << r["errors"].dump(2);
}

class OtlpExporterTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(collector_.ok()) << collector_.failure(); }

  std::int64_t Elapsed() const { return clock_.Now().monotonic_ns - start_; }

  TestCollector collector_;
  test::FakeClock clock_;
  std::int64_t start_ = clock_.Now().monotonic_ns;
  OtlpStats stats_;
};

TEST_F(OtlpExporterTest, EventsQueuedTogetherGoInOneValidRequestAfterTheBatchDelay) {
  OtlpLogExporter exporter(Settings(collector_), "0.1.0", clock_, stats_);
  for (int i = 1; i <= 3; ++i) exporter.OnEvent(PauseEvent(i));
  EXPECT_EQ(stats_.queued, 3u);
  exporter.Start();
  ASSERT_TRUE(exporter.Flush(10s));
  EXPECT_EQ(collector_.Requests().size(), 1u);
  ExpectAllValid(collector_);
  EXPECT_THAT(Keys(collector_), ::testing::ElementsAre("pause-1", "pause-2", "pause-3"));
  EXPECT_EQ(stats_.sent, 3u);
  EXPECT_EQ(stats_.queued, 0u);
  EXPECT_EQ(stats_.retries, 0u);
  EXPECT_GT(stats_.last_success_unix_ns, 0);
  EXPECT_EQ(Elapsed(), 200'000'000);  // exactly the batch delay
  json request = collector_.Requests()[0];
  EXPECT_EQ(request["path"], "/v1/logs");
  EXPECT_THAT(request["headers"]["user-agent"].get<std::string>(),
              ::testing::HasSubstr("rogue-hunter/0.1.0"));
}

TEST_F(OtlpExporterTest, Status429WaitsExactlyTheRetryAfterAndResends) {
  collector_.Script({{{"status", 429}, {"headers", {{"Retry-After", "7"}}}}});
  OtlpLogExporter exporter(Settings(collector_), "0.1.0", clock_, stats_);
  exporter.OnEvent(PauseEvent(1));
  exporter.Start();
  ASSERT_TRUE(exporter.Flush(10s));
  EXPECT_EQ(collector_.Requests().size(), 2u);
  ExpectAllValid(collector_);
  EXPECT_THAT(Keys(collector_), ::testing::ElementsAre("pause-1", "pause-1"));
  EXPECT_EQ(stats_.retries, 1u);
  EXPECT_EQ(stats_.sent, 1u);
  EXPECT_EQ(stats_.failed_total(), 0u);
  EXPECT_EQ(Elapsed(), 200'000'000LL + 7'000'000'000);  // batch delay + Retry-After, no more
}

TEST_F(OtlpExporterTest, Statuses502To504AreRetriedWithExponentialBackoff) {
  collector_.Script({{{"status", 503}}, {{"status", 502}}, {{"status", 504}}});
  OtlpLogExporter exporter(Settings(collector_), "0.1.0", clock_, stats_);
  exporter.OnEvent(PauseEvent(1));
  exporter.Start();
  ASSERT_TRUE(exporter.Flush(10s));
  EXPECT_EQ(collector_.Requests().size(), 4u);
  EXPECT_EQ(stats_.retries, 3u);
  EXPECT_EQ(stats_.sent, 1u);
  // Delays of 1, 2 and 4 s, each with jitter down to half.
  EXPECT_GE(Elapsed(), 200'000'000LL + 500'000'000 + 1'000'000'000 + 2'000'000'000);
  EXPECT_LE(Elapsed(), 200'000'000LL + 1'000'000'000 + 2'000'000'000 + 4'000'000'000);
}

TEST_F(OtlpExporterTest, Status400IsNotRetriedAndCountsTheRecordsAsFailed) {
  collector_.Script({{{"status", 400}, {"body", R"({"code":3,"message":"bad data"})"}}});
  OtlpLogExporter exporter(Settings(collector_), "0.1.0", clock_, stats_);
  exporter.OnEvent(PauseEvent(1));
  exporter.OnEvent(PauseEvent(2));
  exporter.Start();
  ASSERT_TRUE(exporter.Flush(10s));
  EXPECT_EQ(collector_.Requests().size(), 1u);
  EXPECT_EQ(stats_.failed[static_cast<int>(FailureReason::kHttpStatus)], 2u);
  EXPECT_EQ(stats_.sent, 0u);
  EXPECT_EQ(stats_.retries, 0u);
  // The next event goes out normally.
  exporter.OnEvent(PauseEvent(3));
  ASSERT_TRUE(exporter.Flush(10s));
  EXPECT_EQ(collector_.Requests().size(), 2u);
  EXPECT_EQ(stats_.sent, 1u);
}

TEST_F(OtlpExporterTest, OtherErrorStatusesAreNotRetriedEither) {
  collector_.Script({{{"status", 500}}, {{"status", 404}}, {{"status", 413}}});
  OtlpLogExporter exporter(Settings(collector_), "0.1.0", clock_, stats_);
  exporter.Start();
  for (int i = 1; i <= 3; ++i) {
    exporter.OnEvent(PauseEvent(i));
    ASSERT_TRUE(exporter.Flush(10s));
  }
  EXPECT_EQ(collector_.Requests().size(), 3u);
  EXPECT_EQ(stats_.failed[static_cast<int>(FailureReason::kHttpStatus)], 3u);
  EXPECT_EQ(stats_.retries, 0u);
}

TEST_F(OtlpExporterTest, PartialSuccessIsNotRetriedAndCountsTheRejected) {
  collector_.Script(
      {{{"status", 200},
        {"body",
         R"({"partialSuccess":{"rejectedLogRecords":"1","errorMessage":"one too old"}})"}}});
  OtlpLogExporter exporter(Settings(collector_), "0.1.0", clock_, stats_);
  for (int i = 1; i <= 3; ++i) exporter.OnEvent(PauseEvent(i));
  exporter.Start();
  ASSERT_TRUE(exporter.Flush(10s));
  EXPECT_EQ(collector_.Requests().size(), 1u);
  EXPECT_EQ(stats_.sent, 2u);
  EXPECT_EQ(stats_.failed[static_cast<int>(FailureReason::kPartialSuccess)], 1u);
  EXPECT_EQ(stats_.retries, 0u);
  EXPECT_EQ(stats_.queued, 0u);
}

TEST_F(OtlpExporterTest, ACollectorThatNeverAnswersTimesOutAndIsRetried) {
  collector_.Script({{{"hang", true}}});
  OtlpSettings settings = Settings(collector_);
  settings.timeout = 300ms;
  OtlpLogExporter exporter(settings, "0.1.0", clock_, stats_);
  exporter.OnEvent(PauseEvent(1));
  const auto began = std::chrono::steady_clock::now();
  exporter.Start();
  ASSERT_TRUE(exporter.Flush(10s));
  EXPECT_GE(std::chrono::steady_clock::now() - began, 300ms);
  EXPECT_EQ(collector_.Requests().size(), 2u);
  EXPECT_EQ(stats_.retries, 1u);
  EXPECT_EQ(stats_.sent, 1u);
}

TEST_F(OtlpExporterTest, AFullQueueDropsTheOldestAndCountsThem) {
  OtlpSettings settings = Settings(collector_);
  settings.queue_size = 3;
  settings.max_batch_size = 3;
  OtlpLogExporter exporter(settings, "0.1.0", clock_, stats_);
  for (int i = 1; i <= 5; ++i) exporter.OnEvent(PauseEvent(i));
  EXPECT_EQ(stats_.dropped, 2u);
  EXPECT_EQ(stats_.queued, 3u);
  exporter.Start();
  ASSERT_TRUE(exporter.Flush(10s));
  EXPECT_THAT(Keys(collector_), ::testing::ElementsAre("pause-3", "pause-4", "pause-5"));
}

TEST_F(OtlpExporterTest, LargeQueuesGoInBatchesOfTheMaximumSize) {
  OtlpSettings settings = Settings(collector_);
  settings.max_batch_size = 4;
  OtlpLogExporter exporter(settings, "0.1.0", clock_, stats_);
  for (int i = 1; i <= 10; ++i) exporter.OnEvent(PauseEvent(i));
  exporter.Start();
  ASSERT_TRUE(exporter.Flush(10s));
  json requests = collector_.Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(Keys(collector_).size(), 10u);
  EXPECT_EQ(stats_.sent, 10u);
  ExpectAllValid(collector_);
}

TEST_F(OtlpExporterTest, GzipAndConfiguredHeadersReachTheCollector) {
  OtlpSettings settings = Settings(collector_);
  settings.gzip = true;
  settings.headers = {{"Authorization", "Bearer s3cr3t"}, {"x-scope-orgid", "tenant-1"}};
  OtlpLogExporter exporter(settings, "0.1.0", clock_, stats_);
  exporter.OnEvent(PauseEvent(1));
  exporter.Start();
  ASSERT_TRUE(exporter.Flush(10s));
  ExpectAllValid(collector_);
  json request = collector_.Requests()[0];
  EXPECT_EQ(request["headers"]["content-encoding"], "gzip");
  EXPECT_EQ(request["headers"]["authorization"], "Bearer s3cr3t");
  EXPECT_EQ(request["headers"]["x-scope-orgid"], "tenant-1");
  EXPECT_EQ(Keys(collector_), std::vector<std::string>{"pause-1"});
}

// On the real clock: the collector process goes away and comes back on the same port.
TEST(OtlpExporterRecovery, EventsRaisedWhileTheCollectorIsDownArriveAfterItReturns) {
  int port = 0;
  {
    TestCollector first;
    ASSERT_TRUE(first.ok()) << first.failure();
    port = first.port();
  }  // stopped: connections to the port are refused from here on
  OtlpStats stats;
  OtlpSettings settings;
  settings.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/logs";
  settings.resource = {{"service.name", "rogue-hunter-test"}};
  settings.timeout = 1000ms;
  settings.batch_delay = 0ms;
  settings.retry = {50ms, 200ms};
  settings.queue_size = 10;
  settings.max_batch_size = 100;
  OtlpLogExporter exporter(settings, "0.1.0", SystemClock::Instance(), stats);
  for (int i = 1; i <= 15; ++i) exporter.OnEvent(PauseEvent(i));
  exporter.Start();
  ASSERT_TRUE(test::WaitUntil([&] { return stats.retries >= 3; }, 10s));
  EXPECT_EQ(stats.sent, 0u);
  EXPECT_EQ(stats.queued, 10u);  // bounded while down
  EXPECT_EQ(stats.dropped, 5u);

  TestCollector second(port);
  ASSERT_TRUE(second.ok()) << second.failure();
  ASSERT_TRUE(exporter.Flush(10s));
  EXPECT_EQ(stats.sent, 10u);
  std::vector<std::string> expected;
  for (int i = 6; i <= 15; ++i) expected.push_back("pause-" + std::to_string(i));
  EXPECT_EQ(Keys(second), expected);
  ExpectAllValid(second);
}

}  // namespace
}  // namespace rh::exporter::otel

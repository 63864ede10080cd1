// The OTLP/HTTP JSON encoding of the daemon's events. (The schema itself is checked by the test
// collector, tests/otel/collector; here: the fields, their types and the mapping of each event.)

#include "exporter/otel/log_records.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace rh::exporter::otel {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr std::int64_t kEnd = 1'795'000'003'250'000'000;  // 2026-11-18T11:06:43.250Z

std::shared_ptr<const DaemonEvent> Pause(double seconds, bool captured = true) {
  RecordedEvent e;
  e.record.kind = forensics::EventKind::kPause;
  e.record.key = "20261118T110643.250Z-pause";
  e.record.duration_seconds = seconds;
  e.record.score_before = 12.5;
  e.end_unix_ns = kEnd;
  e.start_unix_ns = kEnd - static_cast<std::int64_t>(seconds * 1e9);
  e.dominant_component = "memory";
  e.capture_requested = captured;
  e.record.processes.push_back({"cpu", 1, 4242, "stress-\xff-ng", 'R', 0.97, 1 << 20, ""});
  e.record.processes.push_back({"cpu", 2, 17, "kswapd0", 'S', 0.2, 0, ""});
  e.record.processes.push_back({"blocked", 1, 99, "jbd2/sda1", 'D', 0, 0, "io_schedule"});
  return std::make_shared<const DaemonEvent>(DaemonEvent{kEnd + 40'000'000, std::move(e)});
}

json Encode(const std::vector<std::shared_ptr<const DaemonEvent>>& events,
            const config::StringPairs& resource = {{"service.name", "rogue-hunter"}}) {
  std::string text = EncodeExportLogsRequest(resource, events, {10, "0.1.0"});
  json parsed = json::parse(text, nullptr, false);
  EXPECT_TRUE(parsed.is_object()) << text;
  return parsed;
}

json FirstRecord(const json& request) {
  return request["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0];
}

json Attr(const json& record, const std::string& key) {
  for (const json& kv : record["attributes"]) {
    if (kv["key"] == key) return kv["value"];
  }
  return nullptr;
}

TEST(LogRecordEncoding, PauseHasTheFieldsOfOtlpJson) {
  json request = Encode({Pause(3.001)});
  const json& resource = request["resourceLogs"][0]["resource"];
  EXPECT_EQ(resource["attributes"][0],
            json::parse(R"({"key":"service.name","value":{"stringValue":"rogue-hunter"}})"));
  EXPECT_EQ(request["resourceLogs"][0]["scopeLogs"][0]["scope"],
            json::parse(R"({"name":"rogue-hunter","version":"0.1.0"})"));
  const json r = FirstRecord(request);
  EXPECT_EQ(r["eventName"], "rogue_hunter.pause");
  // 64-bit integers as decimal strings; the time is when the pause began.
  EXPECT_EQ(r["timeUnixNano"], std::to_string(kEnd - 3'001'000'000));
  EXPECT_EQ(r["observedTimeUnixNano"], std::to_string(kEnd + 40'000'000));
  // Enums as integers.
  EXPECT_EQ(r["severityNumber"], 13);
  EXPECT_EQ(r["severityText"], "WARN");
  EXPECT_EQ(r["body"]["stringValue"], "pause: nothing ran for 3.001 s");
  // No trace context, no snake_case.
  for (const char* absent :
       {"traceId", "spanId", "flags", "time_unix_nano", "event_name", "droppedAttributesCount"}) {
    EXPECT_FALSE(r.contains(absent)) << absent;
  }
}

TEST(LogRecordEncoding, PauseAttributesCarryTheFiguresAPersonNeeds) {
  const json r = FirstRecord(Encode({Pause(3.001)}));
  EXPECT_EQ(Attr(r, "rogue_hunter.event.key")["stringValue"], "20261118T110643.250Z-pause");
  EXPECT_EQ(Attr(r, "rogue_hunter.event.duration")["doubleValue"], 3.001);
  EXPECT_EQ(Attr(r, "rogue_hunter.event.end")["stringValue"], "2026-11-18T11:06:43.250Z");
  EXPECT_EQ(Attr(r, "rogue_hunter.event.start")["stringValue"], "2026-11-18T11:06:40.249Z");
  EXPECT_EQ(Attr(r, "rogue_hunter.stress.score_before")["doubleValue"], 12.5);
  EXPECT_EQ(Attr(r, "rogue_hunter.stress.dominant_component")["stringValue"], "memory");
  EXPECT_EQ(Attr(r, "rogue_hunter.bundle.id")["stringValue"], "20261118T110643.250Z-pause");
  EXPECT_EQ(Attr(r, "rogue_hunter.top_cpu_process.pid")["intValue"], "4242");
  // Process names are bytes: invalid UTF-8 becomes U+FFFD.
  EXPECT_EQ(Attr(r, "rogue_hunter.top_cpu_process.name")["stringValue"], "stress-\xEF\xBF\xBD-ng");
  EXPECT_EQ(Attr(r, "rogue_hunter.blocked_tasks")["intValue"], "1");
}

TEST(LogRecordEncoding, NoBundleIdWhenNoCaptureWasTaken) {
  const json r = FirstRecord(Encode({Pause(2, /*captured=*/false)}));
  EXPECT_TRUE(Attr(r, "rogue_hunter.bundle.id").is_null());
}

TEST(LogRecordEncoding, ALongPauseIsAnError) {
  const json r = FirstRecord(Encode({Pause(10)}));
  EXPECT_EQ(r["severityNumber"], 17);
  EXPECT_EQ(r["severityText"], "ERROR");
  EXPECT_EQ(FirstRecord(Encode({Pause(9.99)}))["severityNumber"], 13);
}

TEST(LogRecordEncoding, SuspendIsInfo) {
  RecordedEvent e;
  e.record.kind = forensics::EventKind::kSuspend;
  e.record.key = "k";
  e.record.duration_seconds = 3600;
  e.end_unix_ns = kEnd;
  e.start_unix_ns = kEnd - 3'600'000'000'000;
  const json r = FirstRecord(Encode({std::make_shared<DaemonEvent>(DaemonEvent{kEnd, e})}));
  EXPECT_EQ(r["eventName"], "rogue_hunter.suspend");
  EXPECT_EQ(r["severityNumber"], 9);
  EXPECT_EQ(r["severityText"], "INFO");
  EXPECT_EQ(r["body"]["stringValue"], "suspend: the machine slept for 3600.000 s");
}

TEST(LogRecordEncoding, StateChangesWarnUpwardsAndInformOnRecovery) {
  RecordedEvent e;
  e.record.kind = forensics::EventKind::kStateChange;
  e.record.key = "k";
  e.record.state_from = "normal";
  e.record.state_to = "elevated";
  e.score = 35;
  e.end_unix_ns = e.start_unix_ns = kEnd;
  json r = FirstRecord(Encode({std::make_shared<DaemonEvent>(DaemonEvent{kEnd, e})}));
  EXPECT_EQ(r["eventName"], "rogue_hunter.stress.state_change");
  EXPECT_EQ(r["severityNumber"], 13);
  EXPECT_EQ(Attr(r, "rogue_hunter.stress.state.from")["stringValue"], "normal");
  EXPECT_EQ(Attr(r, "rogue_hunter.stress.state.to")["stringValue"], "elevated");
  EXPECT_EQ(Attr(r, "rogue_hunter.stress.score")["doubleValue"], 35);
  EXPECT_EQ(r["body"]["stringValue"], "sampling normal -> elevated at stress 35");
  e.record.state_from = "elevated";
  e.record.state_to = "normal";
  r = FirstRecord(Encode({std::make_shared<DaemonEvent>(DaemonEvent{kEnd, e})}));
  EXPECT_EQ(r["severityNumber"], 9);
}

TEST(LogRecordEncoding, CriticalEpisodeIsAnError) {
  RecordedEvent e;
  e.record.kind = forensics::EventKind::kCritical;
  e.record.key = "20261118T110643.250Z-critical";
  e.record.notes = "critical episode started at stress 72";
  e.score = 72;
  e.capture_requested = true;
  e.end_unix_ns = e.start_unix_ns = kEnd;
  const json r = FirstRecord(Encode({std::make_shared<DaemonEvent>(DaemonEvent{kEnd, e})}));
  EXPECT_EQ(r["eventName"], "rogue_hunter.stress.critical");
  EXPECT_EQ(r["severityNumber"], 17);
  EXPECT_EQ(r["timeUnixNano"], std::to_string(kEnd));
  EXPECT_EQ(Attr(r, "rogue_hunter.bundle.id")["stringValue"], "20261118T110643.250Z-critical");
}

TEST(LogRecordEncoding, CaptureCarriesResultBundleAndTopCulprit) {
  CaptureEnded c;
  c.request.trigger = forensics::CaptureTrigger::kPause;
  c.request.id = "20261118T110643.250Z-pause";
  c.outcome.result = forensics::CaptureResult::kOk;
  c.outcome.id = "20261118T110643.250Z-pause-2";
  c.outcome.bytes = 123456;
  c.outcome.duration_seconds = 1.25;
  analysis::Culprit culprit;
  culprit.pid = 4242;
  culprit.comm = "stress-ng";
  culprit.score = 0.8;
  culprit.evidence = {{"rss_growth", 2e9, "RSS grew by 1.9 GiB in the window"}};
  c.outcome.top_culprit = culprit;
  c.outcome.dominant = {"memory", 40, "memory pressure, full stall 38%"};
  c.end_unix_ns = kEnd + 1'300'000'000;
  json r = FirstRecord(Encode({std::make_shared<DaemonEvent>(DaemonEvent{c.end_unix_ns, c})}));
  EXPECT_EQ(r["eventName"], "rogue_hunter.forensics.capture");
  EXPECT_EQ(r["severityNumber"], 9);
  EXPECT_EQ(r["timeUnixNano"], std::to_string(kEnd + 1'300'000'000));
  EXPECT_EQ(Attr(r, "rogue_hunter.event.key")["stringValue"], "20261118T110643.250Z-pause");
  EXPECT_EQ(Attr(r, "rogue_hunter.bundle.id")["stringValue"], "20261118T110643.250Z-pause-2");
  EXPECT_EQ(Attr(r, "rogue_hunter.bundle.size")["intValue"], "123456");
  EXPECT_EQ(Attr(r, "rogue_hunter.capture.trigger")["stringValue"], "pause");
  EXPECT_EQ(Attr(r, "rogue_hunter.capture.result")["stringValue"], "ok");
  EXPECT_EQ(Attr(r, "rogue_hunter.culprit.name")["stringValue"], "stress-ng");
  EXPECT_EQ(Attr(r, "rogue_hunter.culprit.pid")["intValue"], "4242");
  EXPECT_EQ(Attr(r, "rogue_hunter.culprit.evidence")["stringValue"], "rss_growth");
  EXPECT_EQ(Attr(r, "rogue_hunter.stress.dominant_component")["stringValue"], "memory");

  c.outcome = {};
  c.outcome.result = forensics::CaptureResult::kFailed;
  c.outcome.error = "events directory is read-only";
  r = FirstRecord(Encode({std::make_shared<DaemonEvent>(DaemonEvent{c.end_unix_ns, c})}));
  EXPECT_EQ(r["severityNumber"], 13);
  EXPECT_EQ(Attr(r, "rogue_hunter.capture.result")["stringValue"], "failed");
  EXPECT_EQ(Attr(r, "rogue_hunter.capture.reason")["stringValue"], "events directory is read-only");
  EXPECT_TRUE(Attr(r, "rogue_hunter.bundle.id").is_null());
}

TEST(LogRecordEncoding, OneRecordPerEventInOneEnvelope) {
  json request = Encode({Pause(1), Pause(2), Pause(3)});
  ASSERT_EQ(request["resourceLogs"].size(), 1u);
  ASSERT_EQ(request["resourceLogs"][0]["scopeLogs"].size(), 1u);
  EXPECT_EQ(request["resourceLogs"][0]["scopeLogs"][0]["logRecords"].size(), 3u);
}

TEST(LogRecordEncoding, EveryEventKindHasItsName) {
  for (std::size_t k = 0; k < forensics::kEventKindNames.size(); ++k) {
    RecordedEvent e;
    e.record.kind = static_cast<forensics::EventKind>(k);
    EXPECT_THAT(std::string(EventName(DaemonEvent{0, e})), HasSubstr("rogue_hunter."));
  }
  EXPECT_EQ(EventName(DaemonEvent{0, CaptureEnded{}}), "rogue_hunter.forensics.capture");
}

TEST(PartialSuccessParse, ReadsRejectedCountsAsStringOrNumber) {
  auto p = ParsePartialSuccess(
      R"({"partialSuccess":{"rejectedLogRecords":"2","errorMessage":"too old"}})");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->rejected, 2u);
  EXPECT_EQ(p->message, "too old");
  p = ParsePartialSuccess(R"({"partialSuccess":{"rejectedLogRecords":5}})");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->rejected, 5u);
  EXPECT_FALSE(ParsePartialSuccess("{}"));
  EXPECT_FALSE(ParsePartialSuccess(R"({"partialSuccess":{}})"));
  EXPECT_FALSE(ParsePartialSuccess("not json"));
  EXPECT_FALSE(ParsePartialSuccess(""));
}

TEST(TextFormats, Rfc3339AndPrometheusDurations) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(1'795'000'003'250'999'999), "2026-11-18T11:06:43.250Z");
  EXPECT_EQ(HumanizeDuration(2.999), "2.999s");
  EXPECT_EQ(HumanizeDuration(3), "3s");
  EXPECT_EQ(HumanizeDuration(42.5), "42.5s");
  EXPECT_EQ(HumanizeDuration(65), "1m 5s");
  EXPECT_EQ(HumanizeDuration(3725), "1h 2m 5s");
  EXPECT_EQ(HumanizeDuration(90061), "1d 1h 1m 1s");
  EXPECT_EQ(HumanizeDuration(0.25), "250ms");
  EXPECT_EQ(HumanizeDuration(0), "0s");
}

}  // namespace
}  // namespace rh::exporter::otel

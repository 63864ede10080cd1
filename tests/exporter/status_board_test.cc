#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "exporter/api/status.h"
#include "tests/support/fake_clock.h"

namespace rh::exporter::api {
namespace {

using nlohmann::json;

std::shared_ptr<const Snapshot> Sample(std::int64_t monotonic_ns, std::int64_t realtime_ns,
                                       analysis::SamplingState state, double score) {
  auto s = std::make_shared<Snapshot>();
  s->sample.clock = {monotonic_ns, monotonic_ns, realtime_ns};
  s->state = state;
  s->interval_seconds = state == analysis::SamplingState::kNormal ? 5 : 1;
  s->assessment.score = score;
  s->assessment.components[0] = score;
  s->sample.loadavg.load1 = 3;
  s->sample.loadavg.online_cpus = 4;
  s->sample.meminfo.total = 1000;
  s->sample.meminfo.available = 250;
  s->sample.stat.total.user = monotonic_ns / 1e9;
  s->sample.stat.total.idle = 3 * monotonic_ns / 1e9;
  s->sample.vmstat.pgpgin = static_cast<std::uint64_t>(monotonic_ns / 1'000'000);  // KiB
  return s;
}

forensics::EventRecord Event(const std::string& key, forensics::EventKind kind, double end) {
  forensics::EventRecord e;
  e.key = key;
  e.kind = kind;
  e.end_time = end;
  e.start_time = end - 2;
  e.duration_seconds = 2;
  e.processes.push_back({"cpu", 1, 42, "hog", 'R', 0.9, 100, ""});
  return e;
}

TEST(StatusBoard, StartingUntilTheFirstSampleThenTheSamplingStateInWords) {
  test::FakeClock clock;
  StatusBoard board({7, "1.0", "abc", 0, 0, "/c.toml"}, config::Defaults(), nullptr);
  json doc = board.ToJson(clock.Now());
  EXPECT_EQ(doc["health"], "starting");
  EXPECT_TRUE(doc["stress"].is_null());
  EXPECT_EQ(doc["daemon"]["pid"], 7);
  EXPECT_EQ(doc["daemon"]["config"], "/c.toml");

  const auto now = clock.Now();
  board.OnSample(Sample(now.monotonic_ns, now.realtime_ns, analysis::SamplingState::kElevated, 35));
  doc = board.ToJson(clock.Now());
  EXPECT_EQ(doc["health"], "stressed");
  EXPECT_EQ(doc["stress"]["score"], 35);
  EXPECT_EQ(doc["stress"]["components"]["load"], 35);
  EXPECT_EQ(doc["stress"]["caps"]["memory"], 40);
  EXPECT_EQ(doc["sampling"]["state"], "elevated");
  EXPECT_EQ(doc["load"]["per_core"], 0.75);
  EXPECT_EQ(doc["memory"]["used_ratio"], 0.75);
  EXPECT_TRUE(doc["cpu"]["busy_ratio"].is_null());  // needs two samples
}

TEST(StatusBoard, RatesComeFromTheTwoLatestSamples) {
  test::FakeClock clock;
  StatusBoard board({}, config::Defaults(), nullptr);
  const auto t0 = clock.Now();
  board.OnSample(Sample(t0.monotonic_ns, t0.realtime_ns, analysis::SamplingState::kNormal, 1));
  clock.AdvanceSeconds(2);
  const auto t1 = clock.Now();
  board.OnSample(Sample(t1.monotonic_ns, t1.realtime_ns, analysis::SamplingState::kNormal, 1));
  json doc = board.ToJson(t1);
  // user grew by 2 s and idle by 6 s: a quarter busy.
  EXPECT_DOUBLE_EQ(doc["cpu"]["busy_ratio"].get<double>(), 0.25);
  // pgpgin grew by 2000 KiB in 2 s.
  EXPECT_DOUBLE_EQ(doc["io"]["read_bytes_per_second"].get<double>(), 1000 * 1024.0);
  EXPECT_EQ(doc["health"], "healthy");
}

TEST(StatusBoard, AStaleSampleSaysSo) {
  test::FakeClock clock;
  StatusBoard board({}, config::Defaults(), nullptr);
  const auto t0 = clock.Now();
  board.OnSample(Sample(t0.monotonic_ns, t0.realtime_ns, analysis::SamplingState::kNormal, 1));
  clock.AdvanceSeconds(3 * 5 + 10 + 1);
  json doc = board.ToJson(clock.Now());
  EXPECT_EQ(doc["health"], "stale");
  EXPECT_EQ(doc["sample"]["stale"], true);
}

TEST(StatusBoard, KeepsTheLastTenPausesSuspendsAndEpisodesWithTheirCaptures) {
  test::FakeClock clock;
  analysis::Watchdog::Stats stats;
  StatusBoard board({}, config::Defaults(), &stats);
  const double now = static_cast<double>(clock.Now().realtime_ns) / 1e9;
  for (int i = 0; i < 12; ++i) {
    board.OnEvent(Event("p" + std::to_string(i), forensics::EventKind::kPause, now - 100 + i));
  }
  board.OnEvent(Event("s", forensics::EventKind::kStateChange, now));
  board.OnCapture("p11", "ok", "p11-bundle", "culprit", 99);
  board.OnCapture("p10", "rate_limited", "", "", 0);
  stats.pause_count = 12;
  stats.last_pause_end_realtime_ns = clock.Now().realtime_ns - 1'000'000'000;
  stats.last_pause_duration_ns = 2'000'000'000;

  json doc = board.ToJson(clock.Now());
  const json& events = doc["recent_events"];
  ASSERT_EQ(events.size(), StatusBoard::kRecentEvents);
  EXPECT_EQ(events[0]["key"], "p11");  // newest first, the state change left out
  EXPECT_EQ(events[0]["capture"], "ok");
  EXPECT_EQ(events[0]["bundle"], "p11-bundle");
  EXPECT_EQ(events[0]["culprit"]["comm"], "culprit");
  EXPECT_EQ(events[0]["top_cpu_process"]["comm"], "hog");
  EXPECT_EQ(events[1]["capture"], "rate_limited");
  EXPECT_TRUE(events[1]["bundle"].is_null());
  EXPECT_EQ(events[2]["capture"], "pending");
  EXPECT_EQ(events[9]["key"], "p2");
  EXPECT_EQ(doc["pauses"]["count"], 12);
  EXPECT_EQ(doc["pauses"]["last"]["duration_seconds"], 2.0);
  EXPECT_EQ(doc["pauses"]["last"]["bundle"], "p11-bundle");
}

TEST(StatusBoard, ProcessNamesAreValidUtf8WhateverTheirBytes) {
  test::FakeClock clock;
  StatusBoard board({}, config::Defaults(), nullptr);
  auto s = std::const_pointer_cast<Snapshot>(Sample(
      clock.Now().monotonic_ns, clock.Now().realtime_ns, analysis::SamplingState::kNormal, 0));
  s->sample.processes.top_cpu.push_back({1, std::string("a\xff\"b\n", 5), 'R', 0, 0, 0, 0});
  board.OnSample(s);
  const std::string text = board.ToJson(clock.Now()).dump();
  const json parsed = json::parse(text);
  EXPECT_EQ(parsed["processes"]["top_cpu"][0]["comm"], "a\xEF\xBF\xBD\"b\n");
}

}  // namespace
}  // namespace rh::exporter::api

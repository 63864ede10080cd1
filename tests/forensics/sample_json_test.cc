#include "forensics/sample_json.h"

#include <gtest/gtest.h>

#include "forensics/bundle.h"

namespace rh::forensics {
namespace {

analysis::ScoredSample Pass() {
  analysis::ScoredSample p;
  p.sequence = 812;
  p.latency_seconds = 0.1 + 0.2;  // a double that prints with 17 digits
  p.state = analysis::SamplingState::kElevated;
  p.interval_seconds = 1;
  auto& s = p.sample;
  s.clock = {123456789012345, 123456789999999, 1795432014538464000};
  s.page_size = 16384;
  s.loadavg = {1.5, 0.75, 0.25, 3, 400, 98765, 8};
  s.stat.total.user = 1234.56;
  s.stat.total.steal = 7.01;
  s.stat.context_switches = 18446744073709551615ull;
  s.pressure[collectors::PsiKind::kMemory] = {true, collectors::PsiLine{38.5, 20, 5, 987654321},
                                              std::nullopt};
  s.meminfo.total = 25276502016;
  s.meminfo.available_estimated = true;
  s.vmstat.pswpout = 42;
  s.thermal.zones.push_back({"thermal_zone0", "x86_pkg_temp", 48.5});
  s.thermal.throttle_counters = true;
  s.processes.counts.blocked = 2;
  s.processes.top_rss.push_back({4100, "a) R 1 (b\n\xff\xfe", 'S', 0.25, 8192000, 3, 1});
  s.processes.blocked.push_back({2950, "rsync", "io_schedule"});
  s.collectors.push_back({"meminfo", false, 0.001, "/proc/meminfo: bad"});
  p.assessment.score = 42.5;
  p.assessment.components = {1, 2, 3, 4, 5, 27.5};
  p.assessment.memory_pressure = 0.3;
  p.assessment.signals.throttling = true;
  p.assessment.signals.io_baseline = 1048576;
  return p;
}

TEST(SampleJson, APassRoundTripsExactly) {
  const analysis::ScoredSample p = Pass();
  // Through text, as in a bundle.
  auto back = ScoredSampleFromJson(nlohmann::json::parse(ToJson(p).dump()));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(ToJson(*back), ToJson(p));
  EXPECT_EQ(back->latency_seconds, p.latency_seconds);
  EXPECT_EQ(back->sample.processes.top_rss.at(0).comm, "a) R 1 (b\n\xff\xfe");
  EXPECT_EQ(back->sample.stat.context_switches, 18446744073709551615ull);
  EXPECT_FALSE(back->sample.pressure[collectors::PsiKind::kMemory].full.has_value());
  EXPECT_EQ(back->state, analysis::SamplingState::kElevated);
}

TEST(SampleJson, InvalidUtf8TravelsAsBase64AndNothingElseDoes) {
  EXPECT_EQ(BytesToJson("kworker/0:1"), nlohmann::json("kworker/0:1"));
  EXPECT_EQ(BytesToJson("caf\xC3\xA9"), nlohmann::json("caf\xC3\xA9"));
  auto j = BytesToJson(std::string("a\0b\xff", 4));
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(*BytesFromJson(j), std::string("a\0b\xff", 4));
  EXPECT_FALSE(BytesFromJson(nlohmann::json{{"base64", "%%%%"}}).ok());
  EXPECT_FALSE(BytesFromJson(nlohmann::json(3)).ok());
}

TEST(SampleJson, ErrorsNameTheField) {
  auto j = ToJson(Pass());
  j["sample"]["meminfo"].erase("available");
  auto r = ScoredSampleFromJson(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "sample.meminfo.available missing");
  j = ToJson(Pass());
  j["state"] = "panicking";
  EXPECT_EQ(ScoredSampleFromJson(j).error().message,
            "pass.state \"panicking\" is not a sampling state");
  j = ToJson(Pass());
  j["sample"]["loadavg"]["load1"] = "high";
  EXPECT_EQ(ScoredSampleFromJson(j).error().message, "sample.loadavg.load1 has the wrong type");
}

TEST(SampleJson, Rfc3339RoundTripsToTheMillisecond) {
  EXPECT_EQ(Rfc3339(1795432014538464000), "2026-11-23T11:06:54.538Z");
  EXPECT_EQ(*ParseRfc3339("2026-11-23T11:06:54.538Z"), 1795432014538000000);
  EXPECT_EQ(*ParseRfc3339("2026-11-23T11:06:54Z"), 1795432014000000000);
  EXPECT_FALSE(ParseRfc3339("2026-11-23 10:26:54").has_value());
  EXPECT_FALSE(ParseRfc3339("2026-13-23T10:26:54Z").has_value());
  EXPECT_FALSE(ParseRfc3339("2026-11-23T11:06:54.538+01:00").has_value());
}

TEST(Bundle, IdsAndSafePaths) {
  EXPECT_EQ(BundleId(1795432014538464000, "pause"), "20261123T110654.538Z-pause");
  EXPECT_TRUE(IsSafeRelativePath("raw/0/proc/1/stat"));
  for (const char* bad :
       {"", "/etc/passwd", "../x", "raw/../../x", "raw//x", "raw/./x", "raw/x/"}) {
    EXPECT_FALSE(IsSafeRelativePath(bad)) << bad;
  }
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Bundle, ManifestRoundTripsAndRefusesUnknownVersions) {
  Manifest m;
  m.id = "20261123T110654.538Z-pause";
  m.created_ns = 1795432015000000000;
  m.trigger = m.event_kind = "pause";
  m.event_start_ns = 1795432011516000000;
  m.event_end_ns = 1795432014538000000;
  m.event_duration_seconds = 3.022;
  m.hostname = "db-7";
  m.config_digest = "sha256:" + Sha256Hex("x");
  m.files.push_back({"summary.json", 2048, Sha256Hex("s")});
  auto back = ParseManifest(ManifestToJson(m), "manifest.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(ManifestToJson(*back), ManifestToJson(m));

  std::string future = ManifestToJson(m);
  future.replace(future.find("\"format_version\": 1"), 19, "\"format_version\": 99");
  auto r = ParseManifest(future, "/tmp/b/manifest.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "/tmp/b/manifest.json: unknown bundle format version 99 (this build reads 1)");

  m.files[0].path = "../../etc/cron.d/x";
  EXPECT_FALSE(ParseManifest(ManifestToJson(m), "manifest.json").ok());
  EXPECT_FALSE(ParseManifest("{", "manifest.json").ok());
}

}  // namespace
}  // namespace rh::forensics

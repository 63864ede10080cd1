#include "exporter/families.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include "exporter/metrics.h"
#include "exporter/web.h"

namespace rh::exporter {
namespace {

TEST(SanitizeLabelValue, KeepsValidUtf8) {
  EXPECT_EQ(SanitizeLabelValue("kworker/0:1"), "kworker/0:1");
  EXPECT_EQ(SanitizeLabelValue("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(SanitizeLabelValue("a) R 1 (b\n\"\\"), "a) R 1 (b\n\"\\");
}

TEST(SanitizeLabelValue, ReplacesEveryInvalidByte) {
  EXPECT_EQ(SanitizeLabelValue("\xff\xfe"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(SanitizeLabelValue("a\xC3"), "a\xEF\xBF\xBD");                // truncated sequence
  EXPECT_EQ(SanitizeLabelValue("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(SanitizeLabelValue("\xED\xA0\x80"),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");                               // surrogate
  EXPECT_EQ(SanitizeLabelValue("\xF4\x90\x80\x80").substr(0, 3), "\xEF\xBF\xBD");  // > U+10FFFF
}

TEST(AcceptsGzip, HonoursTokensAndQValues) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, gzip;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("GZIP"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip; q=0.000"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0, *"));
  EXPECT_FALSE(AcceptsGzip("x-gzip2"));
}

collectors::SystemSample SampleWith(bool meminfo_ok) {
  collectors::SystemSample s;
  s.meminfo.total = 1024;
  s.meminfo.available = 512;
  s.collectors.push_back(
      {"meminfo", meminfo_ok, 0.001, meminfo_ok ? "" : "/proc/meminfo: garbled"});
  s.collectors.push_back({"processes", true, 0.002, ""});
  s.processes.top_rss.push_back({42, "bad\xff name", 'S', 0.5, 4096, 10, 0});
  return s;
}

Snapshot Pass(std::uint64_t sequence, collectors::SystemSample sample) {
  Snapshot s;
  s.sequence = sequence;
  s.sample = std::move(sample);
  return s;
}

std::string Render(const Snapshot& snapshot) {
  std::vector<prometheus::MetricFamily> families;
  AppendSnapshotFamilies(snapshot, families);
  return prometheus::TextSerializer().Serialize(families);
}

TEST(SnapshotFamilies, FailedCollectorSeriesAreAbsentAndMarkedUnsuccessful) {
  Snapshot ok = Pass(1, SampleWith(true));
  std::string text = Render(ok);
  EXPECT_NE(text.find("rogue_hunter_memory_available_bytes 512\n"), std::string::npos) << text;
  EXPECT_NE(text.find("rogue_hunter_collector_success{collector=\"meminfo\"} 1\n"),
            std::string::npos)
      << text;

  Snapshot failed = Pass(2, SampleWith(false));
  text = Render(failed);
  EXPECT_EQ(text.find("rogue_hunter_memory_available_bytes"), std::string::npos) << text;
  EXPECT_NE(text.find("rogue_hunter_collector_success{collector=\"meminfo\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("rogue_hunter_samples_total 2\n"), std::string::npos);
}

TEST(SnapshotFamilies, TopProcessesAreLabelledByRankAndSanitizedCommNeverPid) {
  Snapshot s = Pass(1, SampleWith(true));
  std::string text = Render(s);
  EXPECT_NE(
      text.find(
          "rogue_hunter_top_process_resident_bytes{rank=\"1\",comm=\"bad\xEF\xBF\xBD name\"} 4096"),
      std::string::npos)
      << text;
  EXPECT_EQ(text.find("pid="), std::string::npos);
}

}  // namespace
}  // namespace rh::exporter

// rogue-hunter history: table, CSV and JSON, parsed back and checked against the history.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "tests/cli/cli_support.h"
#include "tests/support/temp_dir.h"

namespace rh::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// RFC 4180: records end with CRLF, fields with a comma, quote or line break are quoted and
// quotes inside are doubled. Fails the test on anything else.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  std::size_t i = 0;
  bool quoted = false;
  while (i < text.size()) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        i += 2;
      } else if (c == '"') {
        quoted = false;
        ++i;
      } else {
        field += c;
        ++i;
      }
      continue;
    }
    if (c == '"' && field.empty()) {
      quoted = true;
      ++i;
    } else if (c == ',') {
      record.push_back(field);
      field.clear();
      ++i;
    } else if (c == '\r') {
      EXPECT_TRUE(i + 1 < text.size() && text[i + 1] == '\n') << "a CR without LF at " << i;
      record.push_back(field);
      field.clear();
      records.push_back(record);
      record.clear();
      i += 2;
    } else {
      EXPECT_NE(c, '\n') << "a bare LF at " << i;
      field += c;
      ++i;
    }
  }
  EXPECT_FALSE(quoted);
  EXPECT_TRUE(record.empty() && field.empty()) << "the last record has no CRLF";
  return records;
}

std::vector<forensics::SampleRow> AllSamples(const std::filesystem::path& home) {
  auto store = OpenStore(home);
  if (store == nullptr) return {};
  auto rows = store->Samples(0, 1e12);
  EXPECT_TRUE(rows.ok());
  return rows.ok() ? *rows : std::vector<forensics::SampleRow>{};
}

// A double as TOML text that reads back as the same double.
std::string Exact(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return std::string(buf).find_first_of(".e") == std::string::npos ? std::string(buf) + ".0" : buf;
}

double Number(const std::string& text) { return text.empty() ? NAN : std::stod(text); }

TEST(HistoryCommand, CsvHasEveryStoredFieldOfEverySampleAsRfc4180) {
  const auto rows = AllSamples(FixtureHome());
  ASSERT_FALSE(rows.empty());
  auto r = RunCli(FixtureHome(), {"history", "-H", "720", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto records = ParseCsv(r.out);
  ASSERT_EQ(records.size(), rows.size() + 1);
  const auto& header = records[0];
  auto column = [&](const std::string& name) {
    auto it = std::find(header.begin(), header.end(), name);
    EXPECT_NE(it, header.end()) << name;
    return static_cast<std::size_t>(it - header.begin());
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    const auto& rec = records[i + 1];
    ASSERT_EQ(rec.size(), header.size());
    EXPECT_EQ(Number(rec[column("unix_time")]), row.time);
    EXPECT_EQ(Number(rec[column("sequence")]), static_cast<double>(row.sequence));
    EXPECT_EQ(rec[column("state")], row.state);
    EXPECT_EQ(Number(rec[column("score")]), row.score);
    EXPECT_EQ(Number(rec[column("load_points")]), row.components[0]);
    EXPECT_EQ(Number(rec[column("memory_points")]), row.components[3]);
    EXPECT_EQ(Number(rec[column("latency_points")]), row.components[5]);
    EXPECT_EQ(Number(rec[column("latency_seconds")]), row.latency_seconds);
    EXPECT_EQ(Number(rec[column("load1")]), row.load1);
    EXPECT_EQ(Number(rec[column("memory_available")]), static_cast<double>(row.memory_available));
    EXPECT_EQ(Number(rec[column("pgpgout")]), static_cast<double>(row.pgpgout));
    EXPECT_EQ(rec[column("psi_cpu_some")].empty(), !row.psi_cpu_some.has_value());
    if (row.psi_cpu_some) {
      EXPECT_EQ(Number(rec[column("psi_cpu_some")]), *row.psi_cpu_some);
    }
    EXPECT_EQ(rec[column("max_temperature")].empty(), !row.max_temperature.has_value());
  }
}

TEST(HistoryCommand, JsonIsOneDocumentWithEverySample) {
  const auto rows = AllSamples(FixtureHome());
  auto r = RunCli(FixtureHome(), {"history", "-H", "720", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = ParseJson(r.out);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["hours"], 720);
  EXPECT_EQ(j["high_stress"], false);
  ASSERT_EQ(j["samples"].size(), rows.size());
  EXPECT_EQ(j["count"], rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const json& s = j["samples"][i];
    EXPECT_EQ(s["unix_time"].get<double>(), rows[i].time);
    EXPECT_EQ(s["score"].get<double>(), rows[i].score);
    EXPECT_EQ(s["cpu_points"].get<double>(), rows[i].components[1]);
    EXPECT_EQ(s["state"], rows[i].state);
    EXPECT_EQ(s["cpus"], rows[i].cpus);
  }
}

TEST(HistoryCommand, TheTableFitsEightyColumnsAndShowsTheComponents) {
  const auto rows = AllSamples(FixtureHome());
  auto r = RunCli(FixtureHome(), {"history", "-H", "720"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  for (const char* column :
       {"TIME", "STATE", "SCORE", "LOAD", "CPU", "IO", "MEM", "THERM", "LAT"}) {
    EXPECT_THAT(line, HasSubstr(column));
  }
  std::size_t count = 0;
  do {
    EXPECT_LE(line.size(), 80u) << line;
    ++count;
  } while (std::getline(lines, line));
  EXPECT_EQ(count, rows.size() + 2);  // header and footer
  EXPECT_THAT(r.out, HasSubstr(std::to_string(rows.size()) + " samples in the last 720 hours"));
}

TEST(HistoryCommand, HighStressKeepsTheSamplesAtOrAboveTheElevationThreshold) {
  const auto rows = AllSamples(FixtureHome());
  ASSERT_FALSE(rows.empty());
  // A threshold between the lowest and highest score of the run, so both sides are exercised.
  double low = rows[0].score, high = rows[0].score;
  for (const auto& r : rows) {
    low = std::min(low, r.score);
    high = std::max(high, r.score);
  }
  // Written to the file in few digits, so that the daemon's threshold is exactly this one.
  const double threshold = high > low ? std::floor((low + high) / 2 * 4) / 4 : high;
  TempDir dir;
  auto config = dir.Write("c.toml", "[sampling]\nelevation_threshold = " + Exact(threshold) +
                                        "\nrecovery_threshold = 0\ncritical_threshold = 100\n");
  std::size_t expected = 0;
  for (const auto& r : rows) expected += r.score >= threshold;
  auto r = RunCli(FixtureHome(), {"--config", config.string(), "history", "-H", "720",
                                  "--high-stress", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = ParseJson(r.out);
  EXPECT_EQ(j["samples"].size(), expected);
  for (const auto& s : j["samples"]) EXPECT_GE(s["score"].get<double>(), threshold);
  EXPECT_DOUBLE_EQ(j["threshold"].get<double>(), threshold);
}

TEST(HistoryCommand, AnHourWithoutSamplesSaysSoAndBadHoursAreUsageErrors) {
  TempDir dir;
  const auto home = CopyFixtureHome(dir.path());
  auto r = RunCli(home, {"history", "-H", "0.0001"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("no samples in the last"));
  auto bad = RunCli(home, {"history", "-H", "-3"});
  EXPECT_EQ(bad.exit_code, 2);
  auto format = RunCli(home, {"history", "--format", "xml"});
  EXPECT_EQ(format.exit_code, 2);
}

}  // namespace
}  // namespace rh::test

// The golden end-to-end test: the daemon on the committed fixture tree, its /metrics compared
// with tests/golden/metrics.prom. Values that change from run to run (durations, timestamps,
// the build) are replaced by 0 on both sides; everything else must match byte for byte.
//
// After an intended change of the output, rewrite the golden file with
//   make golden            (or: RH_UPDATE_GOLDEN=1 ctest --preset dev -R Golden)
// and review the diff before committing it.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "tests/support/daemon.h"
#include "tests/support/temp_dir.h"

namespace rh {
namespace {

// Series whose values depend on timing, privileges or the build: a metric name (covering all its
// series, and a histogram's _bucket, _sum and _count) or one exact series.
const std::set<std::string> kVolatile = {
    "rogue_hunter_collector_duration_seconds",
    "rogue_hunter_sample_timestamp_seconds",
    "rogue_hunter_sample_duration_seconds",
    "rogue_hunter_start_time_seconds",
    "rogue_hunter_samples_total",
    "rogue_hunter_stress_score",  // includes the latency component
    "rogue_hunter_stress_component{component=\"latency\"}",
    "rogue_hunter_hiccup_seconds",
    "rogue_hunter_http_connections",
    "rogue_hunter_watchdog_priority_raised",
    "rogue_hunter_watchdog_memory_locked",
    // The real kernel log is followed even on the fixture tree, as root or not.
    "rogue_hunter_kernel_log_readable",
    "rogue_hunter_kernel_log_records_total",
    "rogue_hunter_kernel_log_lost_records_total",
    "rogue_hunter_kernel_reports_total",
    "rogue_hunter_pause_evidence_seconds",
    "rogue_hunter_self_cpu_seconds_total",
    "rogue_hunter_self_resident_bytes",
    "rogue_hunter_self_open_fds",
};

bool IsVolatile(const std::string& series) {
  if (kVolatile.count(series) != 0) return true;
  std::string name = series.substr(0, series.find('{'));
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s(suffix);
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0 &&
        kVolatile.count(name.substr(0, name.size() - s.size())) != 0) {
      return true;
    }
  }
  return kVolatile.count(name) != 0;
}

std::string Normalize(const std::string& exposition) {
  std::istringstream in(exposition);
  std::ostringstream out;
  std::string line;
  static const std::regex build_info(R"(^rogue_hunter_build_info\{.*\} 1$)");
  while (std::getline(in, line)) {
    if (std::regex_match(line, build_info)) {
      line = R"(rogue_hunter_build_info{version="0",revision="0"} 1)";
    } else if (!line.empty() && line[0] != '#') {
      std::string series = line.substr(0, line.rfind(' '));
      if (IsVolatile(series)) line = series + " 0";
    }
    out << line << "\n";
  }
  return out.str();
}

TEST(Golden, MetricsOnTheFixtureTreeMatchTheGoldenFile) {
  test::TempDir dir;
  auto config =
      dir.Write("config.toml", "[storage]\nenabled = false\n[forensics]\nenabled = false\n");
  const auto fixtures = test::FixturesDir();
  test::Daemon daemon({"--config", config.string(), "--proc-root", (fixtures / "proc").string(),
                       "--sys-root", (fixtures / "sys").string()});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  auto metrics = daemon.Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  std::string actual = Normalize(metrics.body);

  const auto golden = std::filesystem::path(RH_SOURCE_DIR) / "tests/golden/metrics.prom";
  const char* update = std::getenv("RH_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(golden, std::ios::binary) << actual;
    GTEST_SKIP() << "rewrote " << golden;
  }
  std::string expected = test::ReadFileOrFail(golden);
  EXPECT_EQ(actual, expected)
      << "the daemon's /metrics on the fixture tree differs from " << golden
      << "; if the change is intended, run `make golden` and review the diff";
}

}  // namespace
}  // namespace rh

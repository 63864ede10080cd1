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

// Metric names whose values depend on timing or on the build.
const std::set<std::string> kVolatile = {
    "rogue_hunter_collector_duration_seconds",
    "rogue_hunter_sample_timestamp_seconds",
    "rogue_hunter_sample_duration_seconds",
    "rogue_hunter_start_time_seconds",
    "rogue_hunter_samples_total",
};

std::string Normalize(const std::string& exposition) {
  std::istringstream in(exposition);
  std::ostringstream out;
  std::string line;
  static const std::regex build_info(R"(^rogue_hunter_build_info\{.*\} 1$)");
  while (std::getline(in, line)) {
    if (std::regex_match(line, build_info)) {
      line = R"(rogue_hunter_build_info{version="0",revision="0"} 1)";
    } else if (!line.empty() && line[0] != '#') {
      std::string name = line.substr(0, line.find_first_of("{ "));
      if (kVolatile.count(name) != 0) line = line.substr(0, line.rfind(' ')) + " 0";
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

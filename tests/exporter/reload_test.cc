#include "exporter/reload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rh::exporter {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

config::Config Parsed(const std::string& text) {
  auto c = config::Parse(text, "c.toml");
  EXPECT_TRUE(c.ok()) << c.error().message;
  return c.ok() ? *c : config::Defaults();
}

TEST(Reload, ChangedKeysNameEveryDifferenceAndNothingElse) {
  const auto a = Parsed("");
  EXPECT_THAT(ChangedKeys(a, a), IsEmpty());
  const auto b = Parsed(
      "[sampling]\nnormal_interval = 2\n[stress.io]\ncap = 10\n[http]\nthreads = 2\n"
      "[logging]\nfile = \"/tmp/rh.log\"\n");
  EXPECT_THAT(ChangedKeys(a, b), ElementsAre("http.threads", "logging.file",
                                             "sampling.normal_interval", "stress.io.cap"));
}

TEST(Reload, PlanSeparatesLiveKeysFromThoseThatNeedARestart) {
  const auto running = Parsed("");
  const auto next = Parsed(
      "[sampling]\ncritical_threshold = 70\ntop_processes = 9\n[pause]\ntick_ms = 10\n"
      "[retention]\nsamples_days = 3\n[forensics]\nmax_total_bytes = 2097152\n"
      "read_timeout_ms = 100\n[suspects]\npatterns = [\"x\"]\n");
  const ReloadPlan plan = PlanReload(running, next);
  EXPECT_THAT(plan.applied, ElementsAre("forensics.max_total_bytes", "retention.samples_days",
                                        "sampling.critical_threshold", "suspects.patterns"));
  EXPECT_THAT(plan.need_restart,
              ElementsAre("forensics.read_timeout_ms", "pause.tick_ms", "sampling.top_processes"));
}

// What the daemon runs with after a reload differs from what ran before only in keys that apply
// on reload: the two lists (kLive and KeepRestartOnlyKeys) agree.
TEST(Reload, TheEffectiveConfigurationChangesOnlyLiveKeys) {
  const auto running = Parsed("");
  const auto next = Parsed(R"(
[sampling]
normal_interval = 7
elevated_interval = 2
elevation_threshold = 40
recovery_threshold = 30
min_elevated_seconds = 10
critical_threshold = 70
top_processes = 9
[pause]
tick_ms = 10
min_seconds = 2
raise_priority = false
[stress]
io_burst_factor = 3
[stress.load]
weight = 1
[retention]
events_days = 5
[storage]
enabled = false
data_dir = "/tmp/elsewhere"
[http]
listen = "127.0.0.1:1234"
request_timeout_ms = 200
[forensics]
enabled = false
events_dir = "/tmp/elsewhere/e"
min_interval_seconds = 1
window_before_seconds = 20
read_timeout_ms = 100
[suspects]
patterns = ["x"]
[logging]
max_files = 1
[process]
kill_grace_seconds = 2
history_hours = 12
[self_limits]
cpu_share = 0.2
hold_seconds = 10
)");
  const config::Config effective = KeepRestartOnlyKeys(running, next);
  const auto changed = ChangedKeys(running, effective);
  EXPECT_FALSE(changed.empty());
  for (const auto& key : changed) EXPECT_TRUE(AppliesOnReload(key)) << key;
  for (const auto& key : PlanReload(running, next).need_restart) {
    EXPECT_EQ(std::count(changed.begin(), changed.end(), key), 0) << key;
  }
  EXPECT_EQ(effective.sampling.normal_interval, 7);
  EXPECT_EQ(effective.http.listen, running.http.listen);
  EXPECT_EQ(effective.storage.data_dir, running.storage.data_dir);
  EXPECT_EQ(effective.process.kill_grace_seconds, running.process.kill_grace_seconds);
  EXPECT_EQ(effective.self_limits.cpu_share, 0.2);
}

}  // namespace
}  // namespace rh::exporter

// Forensic captures through the real daemon: a pause injected with SIGSTOP leaves a complete,
// verifiable bundle whose window is the pause, and a process that eats memory during the window
// is the top culprit.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "base/clock.h"
#include "collectors/proc_root.h"
#include "collectors/process.h"
#include "forensics/bundle.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"
#include "tests/support/sanitizer.h"
#include "tests/support/temp_dir.h"

namespace rh {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

constexpr char kPauseOk[] =
    "rogue_hunter_forensics_captures_total{trigger=\"pause\",result=\"ok\"}";

double Value(const test::Daemon& daemon, const std::string& series) {
  return daemon.Metric(series).value_or(-1);
}

double Now() { return static_cast<double>(SystemClock::Instance().Now().realtime_ns) / 1e9; }

// Stops the daemon alone (SIGSTOP) for `length`. Returns the wall times
// just before SIGSTOP and just after SIGCONT.
std::pair<double, double> Freeze(test::Subprocess& process, std::chrono::milliseconds length) {
  const double stopped = Now();
  process.Signal(SIGSTOP);
  std::this_thread::sleep_for(length);
  process.Signal(SIGCONT);
  return {stopped, Now()};
}

fs::path EventsDir(const test::Daemon& daemon) {
  return daemon.home() / ".local/share/rogue-hunter/events";
}

// The bundles in the events directory whose id ends with `-<trigger>`.
std::vector<fs::path> Bundles(const test::Daemon& daemon, const std::string& trigger) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(EventsDir(daemon), ec)) {
    if (e.path().filename().string().ends_with("-" + trigger)) out.push_back(e.path());
  }
  return out;
}

// Checks every file against the manifest (nothing missing, extra or altered); returns it.
forensics::Manifest Verify(const fs::path& bundle) {
  auto manifest =
      forensics::ParseManifest(test::ReadFileOrFail(bundle / "manifest.json"), "manifest.json");
  EXPECT_TRUE(manifest.ok()) << manifest.error().message;
  if (!manifest.ok()) return {};
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(bundle)) {
    if (e.is_symlink() || !e.is_directory()) {
      EXPECT_TRUE(e.is_regular_file() && !e.is_symlink()) << e.path();
      files[fs::relative(e.path(), bundle).string()] = test::ReadFileOrFail(e.path());
    }
  }
  files.erase("manifest.json");
  std::set<std::string> listed;
  for (const auto& f : manifest->files) {
    listed.insert(f.path);
    auto it = files.find(f.path);
    if (it == files.end()) {
      ADD_FAILURE() << "missing: " << f.path;
      continue;
    }
    EXPECT_EQ(f.size, it->second.size()) << f.path;
    EXPECT_EQ(f.sha256, forensics::Sha256Hex(it->second)) << "altered: " << f.path;
  }
  for (const auto& [path, content] : files) EXPECT_TRUE(listed.contains(path)) << "extra: " << path;
  return *manifest;
}

TEST(Capture, APauseLeavesAVerifiableBundleOfItsWindow) {
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  EXPECT_EQ(Value(daemon, kPauseOk), 0);
  EXPECT_EQ(
      Value(daemon, "rogue_hunter_forensics_captures_total{trigger=\"manual\",result=\"failed\"}"),
      0);
  ASSERT_TRUE(
      test::WaitUntil([&] { return Value(daemon, "rogue_hunter_samples_total") >= 1; }, 10s));

  const auto [stopped, resumed] = Freeze(daemon.process(), 3000ms);
  ASSERT_TRUE(test::WaitUntil([&] { return Value(daemon, kPauseOk) >= 1; }, 15s))
      << daemon.process().Stderr();
  EXPECT_EQ(Value(daemon, kPauseOk), 1);
  // Besides the pause's, a busy machine may fire a critical PSI trigger (its own capture).
  const double others =
      Value(daemon, "rogue_hunter_forensics_captures_total{trigger=\"pressure\",result=\"ok\"}") +
      Value(daemon, "rogue_hunter_forensics_captures_total{trigger=\"kernel\",result=\"ok\"}");
  EXPECT_EQ(Value(daemon, "rogue_hunter_forensics_bundles"), 1 + others);
  EXPECT_EQ(Value(daemon, "rogue_hunter_forensics_capture_duration_seconds_count"), 1 + others);
  // About 2 s each, with slack for a loaded test machine; ASan's runtime makes the capture
  // several times slower (as in CaptureScale).
  const double each = test::kAddressSanitizer ? 10.0 : 2.0 + 1.0;
  EXPECT_LT(Value(daemon, "rogue_hunter_forensics_capture_duration_seconds_sum"),
            (1 + others) * each)
      << "within about 2 s of the recovery";

  auto bundles = Bundles(daemon, "pause");
  ASSERT_EQ(bundles.size(), 1u);
  const forensics::Manifest m = Verify(bundles[0]);
  EXPECT_EQ(m.id, bundles[0].filename().string());
  EXPECT_EQ(m.trigger, "pause");
  // One 20 ms tick, plus slack for delivering the two signals on a loaded machine (and ms).
  constexpr double kSlack = 0.02 + 0.3 + 0.001;
  const double start = static_cast<double>(m.event_start_ns) / 1e9;
  const double end = static_cast<double>(m.event_end_ns) / 1e9;
  EXPECT_NEAR(start, stopped, kSlack);
  EXPECT_NEAR(end, resumed, kSlack);
  EXPECT_NEAR(m.event_duration_seconds, 3.0, kSlack);
  EXPECT_NEAR(end - start, m.event_duration_seconds, 0.002);
  EXPECT_EQ(m.id, forensics::BundleId(m.event_end_ns, "pause"));
  EXPECT_EQ(m.boot_id.size(), 36u);
  EXPECT_EQ(m.software_version, "0.1.0");

  for (const char* name : {"capture.json", "samples.jsonl", "processes.json", "summary.json"}) {
    EXPECT_GT(fs::file_size(bundles[0] / name), 0u) << name;
  }
  auto capture = json::parse(test::ReadFileOrFail(bundles[0] / "capture.json"));
  EXPECT_EQ(capture["passes"].size(), 2u);
  auto summary = json::parse(test::ReadFileOrFail(bundles[0] / "summary.json"));
  EXPECT_TRUE(summary["dominant"]["text"].is_string());
  EXPECT_THAT(daemon.process().Stderr(), ::testing::HasSubstr("forensics: bundle " + m.id));
}

// Processes below `ancestor` whose name is `comm`, with their RSS in pages.
std::vector<std::pair<pid_t, std::int64_t>> Descendants(pid_t ancestor, const std::string& comm) {
  collectors::ProcRoot root;
  std::map<pid_t, collectors::ProcessStat> all;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root.proc(), ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto text = collectors::ReadWholeFile(root, "proc", name + "/stat");
    if (!text) continue;
    if (auto stat = collectors::ParseProcessStat(*text)) all.emplace(stat->pid, *stat);
  }
  std::vector<std::pair<pid_t, std::int64_t>> out;
  for (const auto& [pid, stat] : all) {
    bool below = false;
    for (pid_t p = stat.ppid; p > 1 && !below; p = all.contains(p) ? all.at(p).ppid : 0) {
      below = p == ancestor;
    }
    if (below && stat.comm == comm) out.emplace_back(pid, stat.rss_pages);
  }
  return out;
}

TEST(Capture, AProcessEatingMemoryIsTheTopCulprit) {
  ASSERT_TRUE(test::HaveProgram("stress-ng")) << "stress-ng (Debian package stress-ng) is missing";
  // An eighth of the machine's memory, 1 to 3 GiB: enough to stand out against whatever else
  // runs (compilers on a build machine grow by hundreds of MiB too).
  const std::int64_t page = sysconf(_SC_PAGESIZE);
  const std::int64_t total = sysconf(_SC_PHYS_PAGES) * page;
  const std::int64_t bytes = std::clamp<std::int64_t>(total / 8, 1LL << 30, 3LL << 30);
  // The hog may drive the stress critical first, whose capture would make the pause's wait out
  // the rate limit: this test is about the ranking, not the limit.
  test::TempDir dir;
  const auto config = dir.Write("config.toml", "[forensics]\nmin_interval_seconds = 0\n");
  test::Daemon daemon({"--config", config.string()});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  ASSERT_TRUE(
      test::WaitUntil([&] { return Value(daemon, "rogue_hunter_samples_total") >= 1; }, 10s));

  auto hog = test::Subprocess::Start({"stress-ng", "--vm", "1", "--vm-bytes",
                                      std::to_string(bytes / (1 << 20)) + "M", "--vm-keep",
                                      "--timeout", "120s", "--quiet"});
  pid_t worker = -1;
  const bool grown = test::WaitUntil(
      [&] {
        for (auto [pid, rss] : Descendants(hog.pid(), "stress-ng-vm")) {
          if (rss * page >= bytes * 9 / 10) worker = pid;
        }
        return worker > 0;
      },
      60s, 200ms);
  if (!grown) {
    hog.Stop(5s);
    FAIL() << "the stress-ng memory worker never reached " << bytes << " bytes";
  }
  std::this_thread::sleep_for(2s);  // let it keep touching its memory for a while

  Freeze(daemon.process(), 2000ms);
  // Generous: on a loaded machine the capture competes with the hog touching its pages.
  const bool captured = test::WaitUntil([&] { return Value(daemon, kPauseOk) >= 1; }, 60s);
  hog.Stop(5s);
  ASSERT_TRUE(captured) << daemon.process().Stderr();

  auto bundles = Bundles(daemon, "pause");
  ASSERT_EQ(bundles.size(), 1u);
  Verify(bundles[0]);
  auto summary = json::parse(test::ReadFileOrFail(bundles[0] / "summary.json"));
  ASSERT_FALSE(summary["culprits"].empty()) << summary.dump(2);
  const json& top = summary["culprits"][0];
  EXPECT_EQ(top["pid"], worker) << summary.dump(2);
  EXPECT_EQ(top["comm"], "stress-ng-vm");
  EXPECT_EQ(top["rank"], 1);
  std::set<std::string> kinds;
  for (const auto& e : top["evidence"]) kinds.insert(e["kind"].get<std::string>());
  EXPECT_TRUE(kinds.contains("rss_growth") || kinds.contains("rss")) << summary.dump(2);
}

}  // namespace
}  // namespace rh

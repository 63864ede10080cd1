// rh-forensics on a bundle the real daemon wrote after a real (injected) pause.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "forensics/capture/bundle_directory.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;

// The id of the first complete pause bundle in `events` (".tmp-*" is being written), or "".
std::string PauseBundle(const fs::path& events) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(events, ec)) {
    std::string name = e.path().filename().string();
    if (forensics::IsBundleId(name) && name.ends_with("-pause") && e.is_directory()) return name;
  }
  return "";
}

TEST(EndToEnd, APauseLeavesABundleThatListsVerifiesShowsReplaysAndExports) {
  Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  const fs::path data = daemon.home() / ".local/share/rogue-hunter";
  const fs::path events = data / "events";
  std::this_thread::sleep_for(1500ms);  // a few samples in the flight recorder

  daemon.process().Signal(SIGSTOP);
  std::this_thread::sleep_for(2000ms);
  daemon.process().Signal(SIGCONT);
  ASSERT_TRUE(WaitUntil([&] { return !PauseBundle(events).empty(); }, 30s))
      << "no pause bundle in " << events << "\n"
      << daemon.process().Stderr();
  const std::string id = PauseBundle(events);

  TempDir dir;
  const auto config = dir.Write("config.toml", "");
  auto cli = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {BinaryPath("forensics/cli/rh-forensics").string(),
                                     "--config",
                                     config.string(),
                                     "--events-dir",
                                     events.string(),
                                     "--database",
                                     (data / "data.db").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::Run(argv, 120s);
  };

  auto list = cli({"list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr(id));
  EXPECT_THAT(list.out, HasSubstr("pause"));

  auto verify = cli({"verify", id});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

  auto show = cli({"show", id});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  // SIGSTOP stopped the daemon alone: it is never called the machine freezing. Where the
  // machine's pace could be compared (not always: under AddressSanitizer the daemon's own
  // threads dominate the counters), it says so and names the signal.
  EXPECT_THAT(show.out, ::testing::Not(HasSubstr("machine froze")));
  if (show.out.find("whether the rest of the machine ran is unknown") == std::string::npos) {
    EXPECT_THAT(show.out, HasSubstr("rogue-hunter itself did not run for"));
    EXPECT_THAT(show.out, HasSubstr("stopped by a signal"));
  }
  EXPECT_THAT(show.out, HasSubstr("Dominant stress:"));
  EXPECT_THAT(show.out, HasSubstr("Blocked tasks (D state):"));

  auto shown = cli({"show", id, "--format", "json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  json j = json::parse(shown.out);
  EXPECT_EQ(j["verified"], true);
  EXPECT_EQ(j["summary"]["pause"]["scope"], "process") << daemon.process().Stderr();
  EXPECT_EQ(j["summary"]["pause"]["reason"], "signal");
  const double duration = j["manifest"]["event"]["duration_seconds"].get<double>();
  EXPECT_GE(duration, 2.0 - 0.05);
  EXPECT_LE(duration, 2.0 + 0.5);

  auto replay = cli({"replay", id});
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_THAT(replay.out, HasSubstr("AGREES"));

  const fs::path out = dir / "shared.tar.gz";
  auto exported = cli({"export", id, "-o", out.string(), "--redact"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  auto verify_export = cli({"verify", out.string()});
  EXPECT_EQ(verify_export.exit_code, 0) << verify_export.out << verify_export.err;
  auto shown_export = cli({"show", out.string(), "--format", "json"});
  ASSERT_EQ(shown_export.exit_code, 0) << shown_export.err;
  json e = json::parse(shown_export.out);
  EXPECT_EQ(e["manifest"]["redacted"], true);
  EXPECT_THAT(e["manifest"]["host"]["hostname"].get<std::string>(), HasSubstr("redacted:"));
  auto replay_export = cli({"replay", out.string()});
  EXPECT_EQ(replay_export.exit_code, 0) << replay_export.out << replay_export.err;

  auto report = cli({"report", id, "-o", (dir / "r.html").string()});
  EXPECT_EQ(report.exit_code, 0) << report.err;
  auto patterns = cli({"patterns", "--format", "json"});
  ASSERT_EQ(patterns.exit_code, 0) << patterns.err;
  const int pauses = json::parse(patterns.out)["pauses"];
  EXPECT_GE(pauses, 1);
}

}  // namespace
}  // namespace rh::test

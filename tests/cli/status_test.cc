// rogue-hunter status: from the running daemon, and from the history when none runs.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "analysis/pause_scope.h"
#include "tests/cli/cli_support.h"
#include "tests/support/daemon.h"
#include "tests/support/http.h"
#include "tests/support/temp_dir.h"

namespace rh::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

int ExitCodeOfHealth(const std::string& health) {
  if (health == "stressed") return 3;
  if (health == "critical") return 4;
  return 0;
}

TEST(Status, FromTheRunningDaemonOneLineAndJsonWithTheHealthInTheExitCode) {
  TempDir dir;
  const auto home = CopyFixtureHome(dir.path());
  Daemon daemon(home, {});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();

  auto line = RunCli(home, {"status"});
  EXPECT_TRUE(std::regex_match(
      line.out,
      std::regex("(Healthy|Stressed|Critical) \\| Stress: [0-9]+% \\| Load: [0-9.]+/[0-9]+ "
                 "\\| Mem: [0-9]+% \\| Last pause: [0-9]+[smhd] ago \\([0-9.]+ s, [a-z -]+\\)\n")))
      << line.out;
  EXPECT_EQ(line.err, "");

  auto doc = RunCli(home, {"status", "--format", "json"});
  auto j = ParseJson(doc.out);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["source"], "daemon");
  EXPECT_EQ(j["daemon_running"], true);
  EXPECT_EQ(j["daemon"]["pid"], daemon.process().pid());
  EXPECT_EQ(doc.exit_code, ExitCodeOfHealth(j["health"]));
  EXPECT_EQ(j["exit_code"], doc.exit_code);
  EXPECT_EQ(j["pauses_since_start"], 0);  // this daemon saw no pause: the last is the history's

  auto store = OpenStore(home);
  ASSERT_NE(store, nullptr);
  auto pause = store->LatestEvents(0, {forensics::EventKind::kPause}, 1);
  ASSERT_TRUE(pause.ok() && pause->size() == 1);
  EXPECT_DOUBLE_EQ(j["last_pause"]["duration_seconds"].get<double>(),
                   pause->front().duration_seconds);
  // The fixture's pause is a SIGSTOP of the daemon alone: never worded as the machine freezing.
  EXPECT_THAT(pause->front().scope, ::testing::AnyOf("process", "unknown"));
  EXPECT_EQ(j["last_pause"]["scope"], pause->front().scope);
  EXPECT_THAT(line.out,
              HasSubstr("s, " + std::string(analysis::ScopePhrase(pause->front().scope)) + ")"));
  EXPECT_THAT(line.out, ::testing::Not(HasSubstr("froze")));
  auto captures = store->Captures(pause->front().key);
  ASSERT_TRUE(captures.ok() && !captures->empty());
  EXPECT_EQ(j["last_pause"]["bundle"],
            std::filesystem::path(captures->back().bundle_path).filename().string());

  // The same sample as the API shows.
  auto api = ParseJson(daemon.Get("/api/status").body);
  EXPECT_EQ(api["daemon"]["pid"], j["daemon"]["pid"]);
  EXPECT_EQ(api["load"]["cores"], j["cores"]);
}

TEST(Status, WithoutADaemonItSaysSoAndShowsTheLastSampleOfTheHistory) {
  auto r = RunCli(FixtureHome(), {"status"});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_THAT(r.out, StartsWith("Not running (last sample "));
  EXPECT_THAT(r.out, HasSubstr("| Last pause: "));
  EXPECT_THAT(r.err, HasSubstr("no daemon is running"));
  EXPECT_THAT(r.err,
              HasSubstr("showing the history in " + (DataDir(FixtureHome()) / "data.db").string()));

  auto j = ParseJson(RunCli(FixtureHome(), {"status", "--format", "json"}).out);
  auto store = OpenStore(FixtureHome());
  ASSERT_NE(store, nullptr);
  auto latest = store->LatestSample();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ(j["source"], "database");
  EXPECT_EQ(j["daemon_running"], false);
  EXPECT_EQ(j["exit_code"], 5);
  EXPECT_DOUBLE_EQ(j["stress"].get<double>(), (*latest)->score);
  EXPECT_EQ(j["state"], (*latest)->state);
  EXPECT_DOUBLE_EQ(j["load1"].get<double>(), (*latest)->Number("load1").value_or(-1));
}

TEST(Status, NoDaemonAndNoHistoryIsStillExitCodeFive) {
  TempDir home;
  auto r = RunCli(home.path(), {"status"});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(r.out, "Not running | Last pause: none\n");
  EXPECT_THAT(r.err, HasSubstr("no history database yet"));
}

TEST(Status, UsageErrorsAndHelp) {
  TempDir home;
  auto bad = RunCli(home.path(), {"status", "--format", "xml"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--format"));
  for (const char* command : {"status", "events", "history", "config", "prune", "install",
                              "uninstall", "tui", "daemon"}) {
    auto help = RunCli(home.path(), {command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_THAT(help.out, HasSubstr("Usage")) << command;
  }
  auto version = RunCli(home.path(), {"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.out, StartsWith("rogue-hunter "));
  auto invalid = RunCli(home.path(), {"--config", (home / "missing.toml").string(), "status"});
  EXPECT_EQ(invalid.exit_code, 2);
  EXPECT_THAT(invalid.err, HasSubstr("missing.toml: cannot read"));
}

// The CLI speaks plain HTTP without credentials: a daemon with TLS or basic auth from its
// web-config file is named as the reason, and the history is shown instead.
TEST(Status, ADaemonAskingForAPasswordOrServingHttpsIsNamedAndTheHistoryShown) {
  TempDir dir;
  const auto home = CopyFixtureHome(dir.path());
  const std::string history = "showing the history in " + (DataDir(home) / "data.db").string();
  {
    // bcrypt("fakepassword"), cost 10.
    auto web = dir.Write("auth.yml",
                         "basic_auth_users:\n  ops: "
                         "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi\n");
    Daemon daemon(home, {"--web.config.file", web.string()}, {}, std::chrono::seconds(20), {},
                  {"Authorization: Basic b3BzOmZha2VwYXNzd29yZA=="});
    ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
    auto r = RunCli(home, {"status"});
    EXPECT_THAT(r.err, HasSubstr("HTTP 401: the daemon asks for a password (basic_auth_users"));
    EXPECT_THAT(r.err, HasSubstr(history));
  }
  auto key = (dir / "k.pem").string(), cert = (dir / "c.pem").string();
  auto made = test::Run(
      {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
       "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"},
      std::chrono::seconds(60));
  ASSERT_EQ(made.exit_code, 0) << made.err;
  auto web = dir.Write("tls.yml",
                       "tls_server_config:\n  cert_file: " + cert + "\n  key_file: " + key + "\n");
  // Not ready() over plain HTTP: wait for it over HTTPS.
  Daemon daemon(home, {"--web.config.file", web.string()}, {}, std::chrono::milliseconds(200));
  HttpOptions o;
  o.ca_file = cert;
  ASSERT_TRUE(WaitUntil(
      [&] {
        return !daemon.process().Running() ||
               HttpRequestWith("GET",
                               "https://127.0.0.1:" + std::to_string(daemon.port()) + "/healthz", o)
                       .status == 200;
      },
      std::chrono::seconds(20)));
  ASSERT_TRUE(daemon.process().Running()) << daemon.process().Stderr();
  auto r = RunCli(home, {"status"});
  EXPECT_THAT(r.err, HasSubstr("the daemon may serve HTTPS only (tls_server_config"));
  EXPECT_THAT(r.err, HasSubstr(history));
}

}  // namespace
}  // namespace rh::test

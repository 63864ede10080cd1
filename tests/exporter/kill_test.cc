// POST /api/processes/{pid}/kill on the real daemon: real target processes, real signals, the
// real audit table. Every request of the matrix leaves an audit row, and nothing is signalled
// unless everything checks out.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "forensics/store.h"
#include "tests/support/daemon.h"
#include "tests/support/http.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;
using namespace std::chrono_literals;

constexpr char kToken[] = "kill-token-0123456789abcdef";
// bcrypt("fakepassword"), cost 10.
constexpr char kHash[] = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

test::Subprocess StartTarget(const std::string& name, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {test::BinaryPath("tests/support/target_process").string(),
                                   "--name", name};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = test::Subprocess::Start(argv);
  EXPECT_TRUE(test::WaitUntil([&] { return p.Stdout().find("ready") != std::string::npos; }, 10s));
  return p;
}

class KillTest : public ::testing::Test {
 protected:
  // A daemon with the kill action on (unless `enabled` is false), a token, an allowlist of
  // "rh-victim*" and a grace period of 0.5 s. `extra` is added to the configuration.
  void StartDaemon(bool enabled = true, const std::string& extra = "",
                   std::vector<std::string> args = {}) {
    auto token = dir_.Write("token", std::string(kToken) + "\n");
    chmod(token.c_str(), 0600);
    std::string text = "[process]\nkill_grace_seconds = 0.5\n";
    if (enabled) {
      text += "kill_enabled = true\nkill_token_file = \"" + token.string() +
              "\"\nkill_allow_comm = [\"rh-victim*\"]\n";
    }
    text += extra;
    auto config = dir_.Write("config.toml", text);
    args.insert(args.begin(), {"--config", config.string()});
    daemon_ = std::make_unique<test::Daemon>(args);
    ASSERT_TRUE(daemon_->ready()) << daemon_->process().Stderr();
  }

  // The start time the API reports for a pid.
  std::uint64_t StartTicks(pid_t pid) {
    auto r = daemon_->Get("/api/processes/" + std::to_string(pid));
    return Json::parse(r.body).value("start_ticks", std::uint64_t{0});
  }

  test::HttpResponse Kill(pid_t pid, Json body, std::vector<std::string> headers = {},
                          bool with_token = true) {
    headers.push_back("Content-Type: application/json");
    if (with_token) headers.push_back(std::string("Authorization: Bearer ") + kToken);
    return test::HttpRequest("POST",
                             daemon_->url("/api/processes/" + std::to_string(pid) + "/kill"),
                             headers, body.dump());
  }

  // Kill() with the identity the API reports.
  test::HttpResponse KillChecked(pid_t pid, bool force = false) {
    return Kill(pid, {{"force", force}, {"start_ticks", StartTicks(pid)}});
  }

  std::vector<forensics::KillAuditRow> Audit(const std::string& database = "") {
    forensics::Store::Options options;
    options.read_only = true;
    auto store = forensics::Store::Open(
        database.empty() ? (daemon_->home() / ".local/share/rogue-hunter/data.db").string()
                         : database,
        options);
    if (!store.ok()) return {};
    auto rows = (*store)->KillAudits(0, 1e12);
    return rows.ok() ? *rows : std::vector<forensics::KillAuditRow>{};
  }

  double Requests(const std::string& result) {
    return daemon_->Metric("rogue_hunter_kill_requests_total{result=\"" + result + "\"}")
        .value_or(-1);
  }

  static Json Body(const test::HttpResponse& r) { return Json::parse(r.body, nullptr, false); }

  test::TempDir dir_;
  std::unique_ptr<test::Daemon> daemon_;
};

TEST_F(KillTest, IsOffByDefault) {
  StartDaemon(/*enabled=*/false);
  auto target = StartTarget("rh-victim-off");
  auto r = KillChecked(target.pid());
  EXPECT_EQ(r.status, 403);
  Json body = Body(r);
  EXPECT_EQ(body["success"], false);
  EXPECT_EQ(body["result"], "disabled");
  EXPECT_THAT(body["error"].get<std::string>(), HasSubstr("kill_enabled = false"));
  EXPECT_TRUE(target.Running());
  auto audit = Audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].pid, target.pid());
  EXPECT_EQ(audit[0].decision, "refused");
  EXPECT_EQ(audit[0].result, "disabled");
  EXPECT_EQ(audit[0].client, "127.0.0.1");
  EXPECT_EQ(Requests("disabled"), 1);
  EXPECT_EQ(Requests("terminated"), 0);
}

TEST_F(KillTest, NeedsAuthentication) {
  StartDaemon();
  auto target = StartTarget("rh-victim-auth");
  auto none = Kill(target.pid(), {{"start_ticks", StartTicks(target.pid())}}, {}, false);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers["www-authenticate"], "Bearer, Basic realm=\"rogue-hunter\"");
  EXPECT_EQ(Body(none)["result"], "unauthorized");
  auto wrong = Kill(target.pid(), {{"start_ticks", StartTicks(target.pid())}},
                    {"Authorization: Bearer kill-token-0123456789abcdeX"}, false);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_TRUE(target.Running());
  auto audit = Audit();
  ASSERT_EQ(audit.size(), 2u);
  for (const auto& row : audit) {
    EXPECT_EQ(row.result, "unauthorized");
    EXPECT_EQ(row.principal, "");
  }
  EXPECT_EQ(Requests("unauthorized"), 2);
}

TEST_F(KillTest, RepeatedBadTokensAreAnswered429) {
  StartDaemon();
  auto target = StartTarget("rh-victim-guess");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(
        Kill(target.pid(), {}, {"Authorization: Bearer guess-" + std::to_string(i)}, false).status,
        401);
  }
  auto blocked = KillChecked(target.pid());  // even the right token, for a while
  EXPECT_EQ(blocked.status, 429);
  EXPECT_EQ(blocked.headers["retry-after"], "60");
  EXPECT_TRUE(target.Running());
  EXPECT_EQ(Audit().size(), 5u);  // the failures are audited, the 429s counted
  EXPECT_EQ(Requests("rate_limited"), 1);
}

TEST_F(KillTest, TerminatesAnAllowedProcessWithSigterm) {
  StartDaemon();
  auto target = StartTarget("rh-victim-term");
  auto r = KillChecked(target.pid());
  ASSERT_EQ(r.status, 200) << r.body;
  Json body = Body(r);
  EXPECT_EQ(body["success"], true);
  EXPECT_EQ(body["name"], "rh-victim-term");
  EXPECT_EQ(body["pid"], target.pid());
  EXPECT_EQ(body["forced"], false);
  EXPECT_EQ(body["signals"], Json::array({"SIGTERM"}));
  EXPECT_EQ(body["message"], "Process rh-victim-term (PID: " + std::to_string(target.pid()) +
                                 ") terminated successfully");
  EXPECT_EQ(target.WaitExit(5s), 128 + SIGTERM);
  auto audit = Audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].decision, "allowed");
  EXPECT_EQ(audit[0].result, "terminated");
  EXPECT_EQ(audit[0].signals, "SIGTERM");
  EXPECT_EQ(audit[0].principal, "token");
  EXPECT_EQ(audit[0].comm, "rh-victim-term");
  EXPECT_TRUE(audit[0].start_ticks.has_value());
  EXPECT_TRUE(audit[0].finished_time.has_value());
  EXPECT_EQ(body["audit_id"], audit[0].id);
  EXPECT_EQ(Requests("terminated"), 1);
}

TEST_F(KillTest, AProcessIgnoringSigtermIsKilledAfterTheGracePeriod) {
  StartDaemon();
  auto target = StartTarget("rh-victim-stub", {"--ignore-term"});
  auto start = std::chrono::steady_clock::now();
  auto r = KillChecked(target.pid());
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(r.status, 200) << r.body;
  Json body = Body(r);
  EXPECT_EQ(body["forced"], true);
  EXPECT_EQ(body["signals"], Json::array({"SIGTERM", "SIGKILL"}));
  EXPECT_GE(took, 500ms);  // not before the grace period
  EXPECT_EQ(target.WaitExit(5s), 128 + SIGKILL);
  auto audit = Audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].result, "killed");
  EXPECT_EQ(audit[0].signals, "SIGTERM,SIGKILL");
  EXPECT_EQ(Requests("killed"), 1);
}

TEST_F(KillTest, ForceSendsSigkillAtOnce) {
  StartDaemon();
  auto target = StartTarget("rh-victim-force", {"--ignore-term"});
  auto r = KillChecked(target.pid(), /*force=*/true);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["signals"], Json::array({"SIGKILL"}));
  EXPECT_EQ(Body(r)["forced"], true);
  EXPECT_EQ(target.WaitExit(5s), 128 + SIGKILL);
}

TEST_F(KillTest, RefusesProtectedAndUnlistedProcessesThePidOneAndItself) {
  StartDaemon();
  auto protected_target = StartTarget("sshd");
  auto unlisted = StartTarget("innocent");
  struct Case {
    pid_t pid;
    const char* reason;
  };
  const Case cases[] = {
      {protected_target.pid(), "protected by process.kill_protected \"sshd\""},
      {unlisted.pid(), "not in the allowlist (process.kill_allow_comm)"},
      {1, "pid 1 (init) is never killed"},
      {daemon_->process().pid(), "the daemon does not kill itself"},
      {getpid(), "the daemon does not kill its parent"},
  };
  for (const Case& c : cases) {
    auto r = KillChecked(c.pid);
    EXPECT_EQ(r.status, 403) << c.pid << ": " << r.body;
    EXPECT_EQ(Body(r)["result"], "forbidden");
    EXPECT_THAT(Body(r)["error"].get<std::string>(), HasSubstr(c.reason));
  }
  EXPECT_TRUE(protected_target.Running());
  EXPECT_TRUE(unlisted.Running());
  EXPECT_TRUE(daemon_->process().Running());
  auto audit = Audit();
  ASSERT_EQ(audit.size(), std::size(cases));
  for (const auto& row : audit) {
    EXPECT_EQ(row.decision, "refused");
    EXPECT_EQ(row.result, "forbidden");
  }
  EXPECT_EQ(audit[0].comm, "sshd");
  EXPECT_EQ(Requests("forbidden"), std::size(cases));
}

TEST_F(KillTest, AStaleIdentityIsNeverSignalled) {
  StartDaemon();
  auto target = StartTarget("rh-victim-stale");
  const std::uint64_t start = StartTicks(target.pid());
  auto wrong_start = Kill(target.pid(), {{"start_ticks", start + 1}});
  EXPECT_EQ(wrong_start.status, 409) << wrong_start.body;
  EXPECT_EQ(Body(wrong_start)["result"], "identity_mismatch");
  auto wrong_boot = Kill(target.pid(), {{"start_ticks", start}, {"boot_id", "another-boot"}});
  EXPECT_EQ(wrong_boot.status, 409);
  // Sleeping, it is in no top list: without start_ticks there is nothing to check against.
  auto unknown = Kill(target.pid(), Json::object());
  EXPECT_EQ(unknown.status, 409) << unknown.body;
  EXPECT_THAT(Body(unknown)["error"].get<std::string>(), HasSubstr("pass start_ticks"));
  EXPECT_TRUE(target.Running());
  auto audit = Audit();
  ASSERT_EQ(audit.size(), 3u);
  for (const auto& row : audit) EXPECT_EQ(row.result, "identity_mismatch");
  EXPECT_EQ(audit[0].start_ticks, start);  // what the process really had
}

TEST_F(KillTest, NothingIsSignalledWhenTheAuditCannotBeWritten) {
  // The database lies under a regular file: it can be neither created nor written.
  auto blocker = dir_.Write("not-a-directory", "x");
  StartDaemon(true, "[storage]\ndatabase = \"" + (blocker / "data.db").string() + "\"\n");
  auto target = StartTarget("rh-victim-audit");
  auto r = KillChecked(target.pid());
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_EQ(Body(r)["result"], "audit_failed");
  EXPECT_THAT(Body(r)["error"].get<std::string>(), HasSubstr("nothing was signalled"));
  EXPECT_FALSE(target.WaitExit(1s).has_value());  // still running a second later
  EXPECT_EQ(Requests("audit_failed"), 1);
  EXPECT_EQ(daemon_->Get("/healthz").status, 200);
}

TEST_F(KillTest, RefusesAForeignHostAWrongContentTypeAndABadBody) {
  StartDaemon();
  auto target = StartTarget("rh-victim-req");
  const std::uint64_t start = StartTicks(target.pid());
  auto host = Kill(target.pid(), {{"start_ticks", start}}, {"Host: attacker.example"});
  EXPECT_EQ(host.status, 403);
  EXPECT_THAT(Body(host)["error"].get<std::string>(), HasSubstr("Host"));
  auto type = test::HttpRequest(
      "POST", daemon_->url("/api/processes/" + std::to_string(target.pid()) + "/kill"),
      {"Content-Type: text/plain", std::string("Authorization: Bearer ") + kToken}, "{}");
  EXPECT_EQ(type.status, 415);
  EXPECT_EQ(Kill(target.pid(), Json::array()).status, 400);
  EXPECT_EQ(Kill(target.pid(), {{"force", "yes"}}).status, 400);
  EXPECT_EQ(Kill(target.pid(), {{"signal", 9}}).status, 400);
  // A body over 4 KiB is refused from its Content-Length, unread.
  auto big =
      test::RawHttp(daemon_->port(),
                    "POST /api/processes/" + std::to_string(target.pid()) +
                        "/kill HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(daemon_->port()) +
                        "\r\nAuthorization: Bearer " + kToken +
                        "\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n",
                    3000ms);
  EXPECT_EQ(test::RawStatus(big), 413) << big;
  // No CORS: no Access-Control header, and a preflight is not a route.
  auto preflight = test::HttpRequest(
      "OPTIONS", daemon_->url("/api/processes/" + std::to_string(target.pid()) + "/kill"),
      {"Origin: http://attacker.example", "Access-Control-Request-Method: POST"});
  EXPECT_EQ(preflight.status, 405);
  for (const auto& [name, value] : preflight.headers) {
    EXPECT_EQ(name.rfind("access-control", 0), std::string::npos) << name;
  }
  EXPECT_TRUE(target.Running());
  EXPECT_EQ(Audit().size(), 6u);
  EXPECT_EQ(Requests("bad_request"), 5);
}

TEST_F(KillTest, BasicAuthFromTheWebConfigAlsoAuthorizesAKill) {
  auto web = dir_.Write("web.yml", std::string("basic_auth_users:\n  ops: ") + kHash + "\n");
  auto config = dir_.Write("config.toml",
                           "[process]\nkill_enabled = true\nkill_allow_comm = [\"rh-victim*\"]\n");
  daemon_ = std::make_unique<test::Daemon>(
      std::vector<std::string>{"--config", config.string(), "--web.config.file", web.string()},
      std::vector<std::string>{}, 20s, std::vector<std::string>{},
      std::vector<std::string>{"Authorization: Basic b3BzOmZha2VwYXNzd29yZA=="});
  ASSERT_TRUE(daemon_->ready()) << daemon_->process().Stderr();
  auto target = StartTarget("rh-victim-basic");
  test::HttpOptions o;
  o.user = "ops";
  o.password = "fakepassword";
  auto detail = test::HttpRequestWith(
      "GET", daemon_->url("/api/processes/" + std::to_string(target.pid())), o);
  ASSERT_EQ(detail.status, 200);
  o.headers = {"Content-Type: application/json"};
  o.body = Json({{"start_ticks", Json::parse(detail.body)["start_ticks"]}}).dump();
  auto r = test::HttpRequestWith(
      "POST", daemon_->url("/api/processes/" + std::to_string(target.pid()) + "/kill"), o);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(target.WaitExit(5s), 128 + SIGTERM);
  auto audit = Audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].principal, "basic:ops");
}

TEST(KillConfig, AnEnabledKillWithoutAuthenticationDoesNotStart) {
  test::TempDir dir;
  auto config =
      dir.Write("config.toml", "[process]\nkill_enabled = true\nkill_allow_users = [\"root\"]\n");
  auto r = test::Run({test::BinaryPath("exporter/rogue-hunter").string(), "daemon", "--config",
                      config.string(), "--listen", "127.0.0.1:" + std::to_string(test::FreePort())},
                     10s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("process.kill_enabled: needs authentication"));
  auto token = dir.Write("token", std::string(kToken));
  chmod(token.c_str(), 0644);
  config = dir.Write("config.toml",
                     "[process]\nkill_enabled = true\nkill_allow_users = [\"root\"]\n"
                     "kill_token_file = \"" +
                         token.string() + "\"\n");
  r = test::Run({test::BinaryPath("exporter/rogue-hunter").string(), "daemon", "--config",
                 config.string(), "--listen", "127.0.0.1:" + std::to_string(test::FreePort())},
                10s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("process.kill_token_file: " + token.string() +
                               ": readable or writable by group or others; chmod 600 it"));
}

}  // namespace
}  // namespace rh

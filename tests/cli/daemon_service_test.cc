// The daemon as a service: one per data directory, SIGHUP reloads, logs for journald or a file,
// readiness and watchdog notifications to systemd, and GET /api/status.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <thread>

#include "tests/cli/cli_support.h"
#include "tests/support/daemon.h"
#include "tests/support/temp_dir.h"

namespace rh::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;

double Value(const Daemon& d, const std::string& series) { return d.Metric(series).value_or(-1); }

TEST(DaemonService, ASecondDaemonOnTheSameDataDirectoryIsRefusedNamingThePid) {
  TempDir home;
  Daemon first(home.path(), {});
  ASSERT_TRUE(first.ready()) << first.process().Stderr();
  const int port = FreePort();
  auto second = test::Run({"/usr/bin/env", "HOME=" + home.path().string(),
                           "XDG_CONFIG_HOME=" + (home / ".config").string(),
                           "XDG_DATA_HOME=" + (home / ".local/share").string(),
                           BinaryPath("exporter/rogue-hunter").string(), "daemon", "--listen",
                           "127.0.0.1:" + std::to_string(port)},
                          20s);
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.err, HasSubstr("another rogue-hunter daemon (pid " +
                                    std::to_string(first.process().pid()) +
                                    ") is already running on " + DataDir(home.path()).string()));
  EXPECT_EQ(HttpGet("http://127.0.0.1:" + std::to_string(port) + "/healthz").status, 0);
  EXPECT_EQ(first.Get("/healthz").status, 200);

  // A killed daemon leaves nothing that blocks the next one.
  first.process().Signal(SIGKILL);
  first.process().WaitExit(5s);
  Daemon next(home.path(), {});
  EXPECT_TRUE(next.ready()) << next.process().Stderr();
}

TEST(DaemonService, SighupAppliesAValidConfigurationAndRejectsAnInvalidOneKeepingState) {
  TempDir home;
  home.Write(".config/rogue-hunter/config.toml",
             "[sampling]\nnormal_interval = 5\nelevated_interval = 1\n");
  Daemon daemon(home.path(), {});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  ASSERT_TRUE(WaitUntil([&] { return Value(daemon, "rogue_hunter_samples_total") >= 1; }, 10s));

  home.Write(".config/rogue-hunter/config.toml",
             "[sampling]\nnormal_interval = 2\nelevated_interval = 1\n[http]\nthreads = 2\n");
  daemon.process().Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(
      [&] { return Value(daemon, "rogue_hunter_config_reloads_total{result=\"success\"}") == 1; },
      10s));
  EXPECT_EQ(Value(daemon, "rogue_hunter_config_last_reload_successful"), 1);
  EXPECT_THAT(daemon.process().Stderr(), HasSubstr("applied sampling.normal_interval"));
  EXPECT_THAT(daemon.process().Stderr(),
              HasSubstr("http.threads changed but take effect only when the daemon restarts"));
  // The new interval is in force (2 s when normal, 1 s when this machine is busy).
  ASSERT_TRUE(WaitUntil(
      [&] {
        const double i = Value(daemon, "rogue_hunter_sampling_interval_seconds");
        return i == 2 || i == 1;
      },
      10s));
  const double samples = Value(daemon, "rogue_hunter_samples_total");

  home.Write(".config/rogue-hunter/config.toml", "[sampling]\nnormal_interval = 0\n");
  const auto validate = RunCli(home.path(), {"config", "validate"});
  ASSERT_EQ(validate.exit_code, 2);
  std::string message = validate.err.substr(std::string("rogue-hunter: ").size());
  while (!message.empty() && message.back() == '\n') message.pop_back();
  daemon.process().Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(
      [&] { return Value(daemon, "rogue_hunter_config_reloads_total{result=\"failure\"}") == 1; },
      10s));
  EXPECT_EQ(Value(daemon, "rogue_hunter_config_last_reload_successful"), 0);
  EXPECT_THAT(daemon.process().Stderr(), HasSubstr("configuration reload rejected"));
  EXPECT_THAT(daemon.process().Stderr(), HasSubstr("error: " + message));  // validate's words
  // Still serving, still sampling, and the sequence goes on (no state lost).
  EXPECT_EQ(daemon.Get("/healthz").status, 200);
  ASSERT_TRUE(
      WaitUntil([&] { return Value(daemon, "rogue_hunter_samples_total") > samples; }, 10s));
  auto status = ParseJson(daemon.Get("/api/status").body);
  EXPECT_GT(status["sample"]["sequence"].get<double>(), samples - 1);
}

TEST(DaemonService, UnderJournaldLinesCarryPriorities) {
  TempDir home;
  TempDir out;
  const auto err = out / "stderr";
  // The shell opens stderr on a file and names it in JOURNAL_STREAM, as systemd does.
  auto daemon = Subprocess::Start(
      {"/bin/sh", "-c",
       "exec 2>\"$0\"; JOURNAL_STREAM=$(stat -L -c %d:%i \"$0\") exec \"$1\" daemon --listen "
       "127.0.0.1:$2 --config \"$3\"",
       err.string(), BinaryPath("exporter/rogue-hunter").string(), std::to_string(FreePort()),
       home.Write("c.toml", "[storage]\ndata_dir = \"" + (home / "data").string() +
                                "\"\n[pause]\nmin_seconds = 0.2\n")
           .string()});
  ASSERT_TRUE(WaitUntil(
      [&] { return ReadIfExists(err).find("<6>listening on") != std::string::npos; }, 20s))
      << ReadIfExists(err);
  daemon.Signal(SIGSTOP);  // a pause: logged as a warning
  std::this_thread::sleep_for(500ms);
  daemon.Signal(SIGCONT);
  ASSERT_TRUE(WaitUntil(
      [&] { return ReadIfExists(err).find("<4>pause: nothing ran for") != std::string::npos; },
      20s))
      << ReadIfExists(err);
  EXPECT_EQ(daemon.Stop(), 0);
  std::istringstream lines(ReadIfExists(err));
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(line.size() > 3 && line[0] == '<' && line[2] == '>') << line;
  }
}

TEST(DaemonService, LogsToAConfiguredFileInsteadOfStderr) {
  TempDir home;
  const auto log = home / "logs/daemon.log";
  home.Write(".config/rogue-hunter/config.toml",
             "[logging]\nfile = \"" + log.string() + "\"\nmax_bytes = 65536\nmax_files = 2\n");
  Daemon daemon(home.path(), {});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  daemon.process().Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(
      [&] { return ReadIfExists(log).find("nothing changed") != std::string::npos; }, 10s));
  EXPECT_THAT(ReadFileOrFail(log), HasSubstr("info: listening on 127.0.0.1:"));
  EXPECT_EQ(daemon.process().Stderr(), "");
}

// A datagram socket standing in for systemd's notification socket.
class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    timeval tv{0, 100000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~NotifySocket() { close(fd_); }
  // Messages received so far, appended to `all`.
  void Drain(std::vector<std::string>& all) {
    char buf[4096];
    for (ssize_t n; (n = recv(fd_, buf, sizeof(buf), 0)) > 0;) all.emplace_back(buf, n);
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

int Count(const std::vector<std::string>& messages, const std::string& prefix) {
  int n = 0;
  for (const auto& m : messages) n += m.rfind(prefix, 0) == 0;
  return n;
}

TEST(DaemonService, TellsSystemdItIsReadyReloadingAndStoppingAndKeepsItsWatchdogFed) {
  TempDir home;
  TempDir run;
  NotifySocket notify(run / "notify");
  home.Write(".config/rogue-hunter/config.toml",
             "[sampling]\nnormal_interval = 30\nelevated_interval = 30\n");
  // WatchdogSec=1s: keep-alives at least every half second although samples come every 30 s.
  Daemon daemon(home.path(), {},
                {"NOTIFY_SOCKET=" + (run / "notify").string(), "WATCHDOG_USEC=1000000"});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  std::vector<std::string> messages;
  ASSERT_TRUE(WaitUntil(
      [&] {
        notify.Drain(messages);
        return Count(messages, "WATCHDOG=1") >= 4;
      },
      10s));
  ASSERT_GE(Count(messages, "READY=1"), 1);
  EXPECT_THAT(messages.front(), HasSubstr("STATUS=listening on 127.0.0.1:"));
  daemon.process().Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(
      [&] {
        notify.Drain(messages);
        return Count(messages, "RELOADING=1") == 1;
      },
      10s));
  ASSERT_TRUE(WaitUntil(
      [&] {
        notify.Drain(messages);
        return Count(messages, "READY=1") >= 2;
      },
      10s));
  EXPECT_EQ(daemon.process().Stop(), 0);
  notify.Drain(messages);
  EXPECT_EQ(Count(messages, "STOPPING=1"), 1);
}

TEST(DaemonService, ApiStatusAgreesWithMetricsAndFollowsAPause) {
  TempDir home;
  // No critical episode (its capture would take the pause's place on a busy machine) and no
  // rate limit between captures.
  const auto config =
      home.Write("c.toml",
                 "[pause]\nmin_seconds = 0.2\n[sampling]\nelevation_threshold = 100\n"
                 "recovery_threshold = 99\ncritical_threshold = 100\n"
                 "[forensics]\nmin_interval_seconds = 0\n");
  Daemon daemon(home.path(), {"--config", config.string()});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  auto response = daemon.Get("/api/status");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.headers["content-type"], "application/json");
  // One sample: the score /metrics shows for the same sample time.
  bool agreed = false;
  for (int attempt = 0; attempt < 20 && !agreed; ++attempt) {
    const std::string metrics = daemon.Get("/metrics").body;
    json j = ParseJson(daemon.Get("/api/status").body);
    const std::string metrics_again = daemon.Get("/metrics").body;
    if (metrics != metrics_again) continue;  // a sample came between the reads
    const double time = FindMetric(metrics, "rogue_hunter_sample_timestamp_seconds").value_or(0);
    agreed = std::abs(j["stress"]["score"].get<double>() -
                      FindMetric(metrics, "rogue_hunter_stress_score").value_or(-1)) < 1e-9 &&
             j["load"]["cores"] == FindMetric(metrics, "rogue_hunter_cpus_online").value_or(-1) &&
             time > 0;
  }
  EXPECT_TRUE(agreed);

  daemon.process().Signal(SIGSTOP);
  std::this_thread::sleep_for(1000ms);
  daemon.process().Signal(SIGCONT);
  ASSERT_TRUE(WaitUntil(
      [&] {
        json j = ParseJson(daemon.Get("/api/status").body);
        return !j["recent_events"].empty() && j["recent_events"][0]["capture"] == "ok";
      },
      30s))
      << daemon.Get("/api/status").body;
  json j = ParseJson(daemon.Get("/api/status").body);
  EXPECT_EQ(j["pauses"]["count"], 1);
  EXPECT_EQ(j["pauses"]["count"], Value(daemon, "rogue_hunter_pauses_total"));
  EXPECT_NEAR(j["pauses"]["last"]["duration_seconds"].get<double>(), 1.0, 0.4);
  const json& event = j["recent_events"][0];
  EXPECT_EQ(event["kind"], "pause");
  EXPECT_EQ(j["pauses"]["last"]["bundle"], event["bundle"]);
  EXPECT_TRUE(
      fs::is_directory(DataDir(home.path()) / "events" / event["bundle"].get<std::string>()));
  EXPECT_TRUE(event["culprit"].is_object());
}

}  // namespace
}  // namespace rh::test

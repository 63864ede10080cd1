// The rogue-hunter binary as users run it: flags, configuration errors, ports, signals.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>

#include "tests/support/daemon.h"
#include "tests/support/process.h"
#include "tests/support/sanitizer.h"
#include "tests/support/temp_dir.h"

namespace rh {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using namespace std::chrono_literals;

std::string Binary() { return test::BinaryPath("exporter/rogue-hunter").string(); }

// Runs `rogue-hunter daemon --config <file>` with the given config text on a free port.
test::RunResult RunWithConfig(const test::TempDir& dir, const std::string& text, int port) {
  auto path = dir.Write("config.toml", text);
  return test::Run({Binary(), "daemon", "--config", path.string(), "--listen",
                    "127.0.0.1:" + std::to_string(port)},
                   10s);
}

// Whether something accepts connections on the port.
bool Listening(int port) {
  return test::HttpGet("http://127.0.0.1:" + std::to_string(port) + "/healthz").status != 0;
}

TEST(DaemonCli, VersionPrintsVersionAndRevision) {
  auto r = test::Run({Binary(), "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out,
              MatchesRegex("rogue-hunter [0-9]+\\.[0-9]+\\.[0-9]+ \\(([0-9a-f]+|unknown)\\)\n"));
}

TEST(DaemonCli, UnknownFlagIsAUsageError) {
  auto r = test::Run({Binary(), "daemon", "--bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--bogus"));
}

struct BadConfig {
  const char* name;
  const char* text;
  const char* expected;  // the message after "<path>:"
};

class DaemonBadConfig : public ::testing::TestWithParam<BadConfig> {};

TEST_P(DaemonBadConfig, ExitsWithCode2NamingFileLineColumnAndKeyAndStartsNothing) {
  test::TempDir dir;
  int port = test::FreePort();
  auto r = RunWithConfig(dir, GetParam().text, port);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "rogue-hunter: " + (dir / "config.toml").string() + GetParam().expected + "\n");
  EXPECT_FALSE(Listening(port));
  EXPECT_FALSE(std::filesystem::exists(dir / ".local"));
}

INSTANTIATE_TEST_SUITE_P(
    Errors, DaemonBadConfig,
    ::testing::Values(
        BadConfig{"Syntax", "[sampling]\nnormal_interval = = 5\n",
                  ":2:19: syntax error: Error while parsing value: could not determine value type"},
        BadConfig{"UnknownKey", "[sampling]\nnormal_intervall = 5\n",
                  ":2:1: sampling.normal_intervall: unknown key"},
        BadConfig{"WrongType", "[pause]\ntick_ms = \"fast\"\n",
                  ":2:11: pause.tick_ms: expected an integer, got a string"},
        BadConfig{"OutOfRange", "[sampling]\nelevation_threshold = 130\n",
                  ":2:23: sampling.elevation_threshold: must be between 0 and 100, got 130"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(DaemonCli, MissingExplicitConfigIsAnError) {
  test::TempDir dir;
  auto r = test::Run({Binary(), "daemon", "--config", (dir / "absent.toml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("absent.toml: cannot read"));
}

TEST(DaemonCli, AConfigurationThatIsNotARegularFileIsRefusedWithCode2) {
  test::TempDir dir;
  ASSERT_EQ(mkfifo((dir / "fifo").c_str(), 0600), 0);
  for (const std::string& path :
       {dir.path().string(), std::string("/dev/zero"), (dir / "fifo").string()}) {
    SCOPED_TRACE(path);
    auto validate = test::Run({Binary(), "config", "validate", "--config", path}, 10s);
    EXPECT_EQ(validate.exit_code, 2);
    EXPECT_EQ(validate.out, "");
    EXPECT_THAT(validate.err, HasSubstr("rogue-hunter: " + path + ": not a regular file"));
    int port = test::FreePort();
    auto daemon = test::Run(
        {Binary(), "daemon", "--config", path, "--listen", "127.0.0.1:" + std::to_string(port)},
        10s);
    EXPECT_EQ(daemon.exit_code, 2);
    EXPECT_THAT(daemon.err, HasSubstr(path + ": not a regular file"));
  }
}

TEST(DaemonCli, BadListenFlagIsAUsageError) {
  auto r = test::Run({Binary(), "daemon", "--listen", "localhost:80"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--listen: address must be dotted IPv4"));
}

TEST(DaemonCli, Ipv6ListenIsRefusedWithTheReason) {
  auto r = test::Run({Binary(), "daemon", "--listen", "[::1]:9795"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--listen: IPv6 addresses cannot be served: the HTTP server "
                               "library (Debian's civetweb 1.15) is built without IPv6"));
}

TEST(DaemonCli, PortInUseFailsWithOneLineAndDoesNotHang) {
  test::Daemon first;
  ASSERT_TRUE(first.ready());
  auto r =
      test::Run({Binary(), "daemon", "--listen", "127.0.0.1:" + std::to_string(first.port())}, 10s);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err,
              MatchesRegex("rogue-hunter: cannot listen on 127\\.0\\.0\\.1:[0-9]+: cannot bind to "
                           "127\\.0\\.0\\.1:[0-9]+: 98 \\(Address already in use\\)\n"));
  EXPECT_EQ(first.Get("/healthz").status, 200);
}

class DaemonStops : public ::testing::TestWithParam<int> {};

TEST_P(DaemonStops, CleanlyWithinASecond) {
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  ASSERT_EQ(daemon.Get("/metrics").status, 200);
  daemon.process().Signal(GetParam());
  auto code = daemon.process().WaitExit(1000ms);
  ASSERT_TRUE(code.has_value()) << "still running a second after the signal";
  EXPECT_EQ(*code, 0);
  EXPECT_THAT(daemon.process().Stderr(), HasSubstr("stopped"));
}

INSTANTIATE_TEST_SUITE_P(Signals, DaemonStops, ::testing::Values(SIGTERM, SIGINT),
                         [](const auto& param_info) {
                           return std::string(sigabbrev_np(param_info.param));
                         });

TEST(DaemonCli, TheStartUpLogSaysHowTheWatchdogIsProtected) {
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  const auto raised = daemon.Metric("rogue_hunter_watchdog_priority_raised");
  const auto locked = daemon.Metric("rogue_hunter_watchdog_memory_locked");
  ASSERT_TRUE(raised && locked);
  if (*raised == 1 && *locked == 1) {  // as root with every capability: both granted
    EXPECT_THAT(daemon.process().Stderr(),
                HasSubstr("info: watchdog: real-time priority (SCHED_FIFO 1); memory locked\n"));
  } else {
    EXPECT_THAT(daemon.process().Stderr(), HasSubstr("warning: watchdog: "));
  }
}

TEST(DaemonCli, TheStartUpLogSaysWhyTheWatchdogIsUnprotected) {
  if (test::kAddressSanitizer) {
    GTEST_SKIP() << "AddressSanitizer's mlock always succeeds without locking: the refusal "
                    "cannot be shown in this build";
  }
  ASSERT_TRUE(test::HaveProgram("setpriv") && test::HaveProgram("prlimit"));
  test::TempDir home;
  const int port = test::FreePort();
  // Without CAP_SYS_NICE and CAP_IPC_LOCK, and with no memory that may be locked.
  test::Subprocess::Options options;
  options.env = {"HOME=" + home.path().string(), "XDG_CONFIG_HOME=" + (home / ".config").string(),
                 "XDG_DATA_HOME=" + (home / ".local/share").string()};
  auto process = test::Subprocess::Start(
      {"prlimit", "--memlock=0:0", "--", "setpriv", "--bounding-set=-sys_nice,-ipc_lock",
       "--inh-caps=-sys_nice,-ipc_lock", "--", Binary(), "daemon", "--listen",
       "127.0.0.1:" + std::to_string(port)},
      options);
  ASSERT_TRUE(test::WaitUntil(
      [&] { return !process.Running() || process.Stderr().find("watchdog:") != std::string::npos; },
      10s, 20ms))
      << process.Stderr();
  const std::string log = process.Stderr();
  process.Stop();
  EXPECT_THAT(log, HasSubstr("warning: watchdog: normal priority: SCHED_FIFO 1 refused "
                             "(Operation not permitted) and nice -10 refused (Permission denied); "
                             "grant CAP_SYS_NICE; memory not locked: mlock refused ("));
  EXPECT_THAT(log, HasSubstr("RLIMIT_MEMLOCK 0 bytes); grant CAP_IPC_LOCK or raise the memlock "
                             "limit (LimitMEMLOCK=infinity)\n"));
  const auto first = log.find("watchdog:");
  EXPECT_EQ(log.find("watchdog:", first + 1), std::string::npos) << "said once";
}

TEST(DaemonCli, MetricsSayWhenCapturesCannotReadKernelStacks) {
  ASSERT_TRUE(test::HaveProgram("setpriv"));
  test::TempDir home;
  const int port = test::FreePort();
  test::Subprocess::Options options;
  options.env = {"HOME=" + home.path().string(), "XDG_CONFIG_HOME=" + (home / ".config").string(),
                 "XDG_DATA_HOME=" + (home / ".local/share").string()};
  // Without CAP_SYS_ADMIN (kernel stacks) and CAP_SYSLOG (the kernel log when dmesg_restrict).
  auto process = test::Subprocess::Start(
      {"setpriv", "--bounding-set=-sys_admin,-syslog", "--inh-caps=-sys_admin,-syslog", "--",
       Binary(), "daemon", "--listen", "127.0.0.1:" + std::to_string(port)},
      options);
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(test::WaitUntil(
      [&] { return !process.Running() || test::HttpGet(url + "/healthz").status == 200; }, 20s,
      20ms))
      << process.Stderr();
  const std::string metrics = test::HttpGet(url + "/metrics").body;
  process.Stop();
  EXPECT_EQ(
      test::FindMetric(metrics, "rogue_hunter_forensics_source_readable{source=\"kernel_stacks\"}"),
      0);
  EXPECT_TRUE(
      test::FindMetric(metrics, "rogue_hunter_forensics_source_readable{source=\"kernel_log\"}"));
  EXPECT_EQ(test::FindMetric(metrics,
                             "rogue_hunter_forensics_capture_failures_total{trigger=\"pause\","
                             "reason=\"write\"}"),
            0)
      << "every trigger and reason from start-up";
}

TEST(DaemonCli, ConfigShowPrintsTheEffectiveConfigAndValidateChecksIt) {
  test::TempDir dir;
  auto path = dir.Write("c.toml", "[sampling]\nnormal_interval = 2\n");
  auto show = test::Run({Binary(), "config", "show", "--config", path.string()});
  EXPECT_EQ(show.exit_code, 0);
  EXPECT_THAT(show.out, HasSubstr("normal_interval = 2\n"));
  EXPECT_THAT(show.out, HasSubstr("[retention]\nsamples_days = 30\n"));
  auto ok = test::Run({Binary(), "config", "validate", "--config", path.string()});
  EXPECT_EQ(ok.exit_code, 0);
  auto bad_path = dir.Write("bad.toml", "[sampling]\nx = 1\n");
  auto bad = test::Run({Binary(), "config", "validate", "--config", bad_path.string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("bad.toml:2:1: sampling.x: unknown key"));
}

TEST(DaemonCli, ServesLiveMetricsThatPromtoolAccepts) {
  ASSERT_TRUE(test::HaveProgram("promtool")) << "promtool (Debian package prometheus) is missing";
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  auto metrics = daemon.Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  for (const char* name : {"rogue_hunter_load_average", "rogue_hunter_cpu_seconds_total",
                           "rogue_hunter_memory_available_bytes", "rogue_hunter_processes",
                           "rogue_hunter_collector_success", "rogue_hunter_build_info"}) {
    EXPECT_THAT(metrics.body, HasSubstr(std::string("\n") + name)) << name;
  }
  auto check = test::Run({"promtool", "check", "metrics"}, 30s, metrics.body);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(check.out + check.err, "");
}

}  // namespace
}  // namespace rh

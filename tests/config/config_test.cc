#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "tests/support/temp_dir.h"

namespace rh::config {
namespace {

using ::testing::HasSubstr;

TEST(ConfigParse, EmptyTextGivesDefaults) {
  auto c = Parse("", "c.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->sampling.normal_interval, 5);
  EXPECT_EQ(c->sampling.elevated_interval, 1);
  EXPECT_EQ(c->sampling.elevation_threshold, 30);
  EXPECT_EQ(c->sampling.critical_threshold, 60);
  EXPECT_EQ(c->pause.tick_ms, 20);
  EXPECT_EQ(c->pause.min_seconds, 1.0);
  EXPECT_EQ(c->retention.samples_days, 30);
  EXPECT_EQ(c->retention.events_days, 90);
  EXPECT_EQ(c->http.listen, "127.0.0.1:9795");
  EXPECT_FALSE(c->storage.database.empty());
}

TEST(ConfigParse, ReadsEverySectionOfTheSeedExample) {
  auto c = Parse(R"(
[sampling]
normal_interval = 5      # Seconds between samples (normal mode)
elevated_interval = 1    # Seconds between samples (elevated stress)
elevation_threshold = 30 # Stress % to trigger elevated mode
critical_threshold = 60  # Stress % to trigger preemptive capture

[retention]
samples_days = 30
events_days = 90

[suspects]
patterns = ["codemeter", "bitdefender", "biomesyncd"]
)",
                 "c.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_THAT(c->suspects.patterns,
              ::testing::ElementsAre("codemeter", "bitdefender", "biomesyncd"));
}

TEST(ConfigParse, AcceptsFloatsAndNestedTables) {
  auto c = Parse(R"(
[sampling]
normal_interval = 2.5
[pause]
min_seconds = 0.05
tick_ms = 10
[stress.memory]
weight = 55.5
cap = 50
[storage]
data_dir = "/var/lib/rh"
)",
                 "c.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->sampling.normal_interval, 2.5);
  EXPECT_EQ(c->pause.min_seconds, 0.05);
  EXPECT_EQ(c->stress.memory.weight, 55.5);
  EXPECT_EQ(c->storage.database, "/var/lib/rh/data.db");
  EXPECT_EQ(c->forensics.events_dir, "/var/lib/rh/events");
}

TEST(ConfigParse, SyntaxErrorNamesFileLineAndColumn) {
  auto c = Parse("[sampling]\nnormal_interval = = 5\n", "/etc/rh.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message, HasSubstr("/etc/rh.toml:2:"));
  EXPECT_THAT(c.error().message, HasSubstr("syntax error"));
}

TEST(ConfigParse, UnknownKeyNamesKeyAndPosition) {
  auto c = Parse("[sampling]\nnormal_interval = 5\n  normal_intervall = 3\n", "c.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "c.toml:3:3: sampling.normal_intervall: unknown key");
}

TEST(ConfigParse, UnknownTableIsReported) {
  auto c = Parse("[alerts]\nenabled = true\n", "c.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "c.toml:1:2: alerts: unknown table");
}

TEST(ConfigParse, WrongTypeNamesKeyAndBothTypes) {
  auto c = Parse("[sampling]\nnormal_interval = \"5\"\n", "c.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message,
            "c.toml:2:19: sampling.normal_interval: expected a number, got a string");
  auto d = Parse("[sampling]\ntop_processes = 2.5\n", "c.toml");
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.error().message,
              HasSubstr("sampling.top_processes: expected an integer, got a float"));
  auto e = Parse("sampling = 3\n", "c.toml");
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.error().message, HasSubstr("sampling: expected a table, got an integer"));
}

TEST(ConfigParse, OutOfRangeNamesTheBounds) {
  auto c = Parse("[pause]\nmin_seconds = 0.01\n", "c.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message,
            "c.toml:2:15: pause.min_seconds: must be between 0.05 and 3600, got 0.01");
  EXPECT_FALSE(Parse("[sampling]\nnormal_interval = nan\n", "c.toml").ok());
  EXPECT_FALSE(Parse("[sampling]\nnormal_interval = inf\n", "c.toml").ok());
  EXPECT_FALSE(Parse("[retention]\nsamples_days = 0\n", "c.toml").ok());
}

TEST(ConfigParse, SelfLimitsAreReadAndChecked) {
  auto c = Parse(
      "[self_limits]\nenabled = false\ncpu_share = 0.1\nresident_bytes = 67108864\n"
      "open_fds = 200\nwindow_seconds = 30\nhold_seconds = 0\n"
      "backoff_scan_interval_seconds = 120\n",
      "c.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->self_limits.enabled);
  EXPECT_EQ(c->self_limits.cpu_share, 0.1);
  EXPECT_EQ(c->self_limits.resident_bytes, 64 << 20);
  EXPECT_EQ(c->self_limits.open_fds, 200);
  EXPECT_EQ(c->self_limits.window_seconds, 30);
  EXPECT_EQ(c->self_limits.hold_seconds, 0);
  EXPECT_EQ(c->self_limits.backoff_scan_interval_seconds, 120);
  auto again = Parse(ToToml(*c), "shown.toml");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(ToToml(*again), ToToml(*c));

  auto bad = Parse(
      "[self_limits]\ncpu_share = 0\nresident_bytes = 1000\nopen_fds = \"x\"\n"
      "window_seconds = 1\nbackoff_scan_interval_seconds = 0\nfds = 3\n",
      "c.toml");
  ASSERT_FALSE(bad.ok());
  const std::string& m = bad.error().message;
  EXPECT_THAT(m,
              HasSubstr("c.toml:2:13: self_limits.cpu_share: must be between 0.001 and 64, got 0"));
  EXPECT_THAT(m, HasSubstr("c.toml:3:18: self_limits.resident_bytes: must be between 1048576 and "
                           "1099511627776, got 1000"));
  EXPECT_THAT(m, HasSubstr("c.toml:4:12: self_limits.open_fds: expected an integer, got a string"));
  EXPECT_THAT(m, HasSubstr("self_limits.window_seconds: must be between 5 and 3600, got 1"));
  EXPECT_THAT(m, HasSubstr("self_limits.backoff_scan_interval_seconds: must be between 1 and "
                           "3600, got 0"));
  EXPECT_THAT(m, HasSubstr("c.toml:7:1: self_limits.fds: unknown key"));
}

TEST(ConfigParse, EveryProblemIsReportedOnItsOwnLine) {
  auto c = Parse("[sampling]\nnormal_interval = 0\nbogus = 1\n[http]\nthreads = 0\n", "c.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message, HasSubstr("c.toml:2:19: sampling.normal_interval"));
  EXPECT_THAT(c.error().message, HasSubstr("c.toml:3:1: sampling.bogus: unknown key"));
  EXPECT_THAT(c.error().message, HasSubstr("c.toml:5:11: http.threads"));
}

TEST(ConfigParse, RelationsBetweenKeysAreChecked) {
  auto c = Parse("[sampling]\nelevated_interval = 10\n", "c.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message,
              HasSubstr("c.toml:2:21: sampling.elevated_interval: must not exceed"));
  auto d = Parse("[sampling]\nrecovery_threshold = 30\n", "c.toml");
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.error().message, HasSubstr("sampling.recovery_threshold: must be below"));
  auto e = Parse("[sampling]\ncritical_threshold = 10\n", "c.toml");
  ASSERT_FALSE(e.ok());
  auto f = Parse("[pause]\ntick_ms = 100\nmin_seconds = 0.1\n", "c.toml");
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(f.error().message, HasSubstr("pause.min_seconds: must be at least two ticks"));
}

TEST(ConfigParse, PathsMustBeAbsoluteOrHome) {
  auto c = Parse("[storage]\ndata_dir = \"relative/dir\"\n", "c.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message, HasSubstr("storage.data_dir: must be an absolute path"));
  setenv("HOME", "/home/tester", 1);
  auto d = Parse("[storage]\ndata_dir = \"~/rh\"\n", "c.toml");
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->storage.data_dir, "/home/tester/rh");
}

TEST(ConfigParse, SuspectPatternsMustBeStrings) {
  auto c = Parse("[suspects]\npatterns = [\"a\", 3]\n", "c.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message, HasSubstr("suspects.patterns: expected strings, got an integer"));
}

TEST(ParseListen, AcceptsDottedIpv4Only) {
  auto a = ParseListen("127.0.0.1:9795");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9795);
  EXPECT_TRUE(ParseListen("0.0.0.0:9795").ok());
  EXPECT_FALSE(ParseListen("localhost:9795").ok());
  EXPECT_FALSE(ParseListen("127.0.0.1").ok());
  EXPECT_FALSE(ParseListen("127.0.0.1:0").ok());
  EXPECT_FALSE(ParseListen("127.0.0.1:65536").ok());
  EXPECT_FALSE(ParseListen("127.0.0.256:80").ok());
  EXPECT_FALSE(ParseListen("1.2.3:80").ok());
  EXPECT_FALSE(ParseListen(":80").ok());
  auto bad = Parse("[http]\nlisten = \"example.com:80\"\n", "c.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("c.toml:2:10: http.listen: address must be"));
}

TEST(ParseListen, RefusesIpv6WithTheReason) {
  for (const char* text : {"[::1]:9795", "[::]:80", "::1:80"}) {
    auto a = ParseListen(text);
    ASSERT_FALSE(a.ok()) << text;
    EXPECT_THAT(a.error().message, HasSubstr("built without IPv6")) << text;
  }
  auto bad = Parse("[http]\nlisten = \"[::1]:9795\"\n", "c.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message,
              HasSubstr("c.toml:2:10: http.listen: IPv6 addresses cannot be served"));
}

TEST(ConfigProcess, KillIsOffAndArgumentsRedactedByDefault) {
  auto c = Parse("", "c.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->process.kill_enabled);
  EXPECT_TRUE(c->process.redact_arguments);
  EXPECT_THAT(c->process.kill_protected, ::testing::Contains("sshd"));
  EXPECT_THAT(c->process.kill_protected, ::testing::Contains("rogue-hunter"));
}

TEST(ConfigProcess, KillNeedsAnAllowlist) {
  auto bad = Parse("[process]\nkill_enabled = true\n", "c.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message,
              HasSubstr("c.toml:2:16: process.kill_enabled: needs an allowlist"));
  auto good = Parse("[process]\nkill_enabled = true\nkill_allow_users = [\"alice\"]\n", "c.toml");
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_THAT(good->process.kill_allow_users, ::testing::ElementsAre("alice"));
}

TEST(ConfigProcess, ShowRoundTripsTheProcessAndHttpKeys) {
  auto c = Parse(R"([http]
web_config_file = "/etc/rogue-hunter/web.yml"
[process]
kill_enabled = true
kill_token_file = "/etc/rogue-hunter/token"
kill_allow_comm = ["stress-ng*"]
kill_protected = ["sshd"]
kill_grace_seconds = 2.5
)",
                 "c.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto again = Parse(ToToml(*c), "shown.toml");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->http.web_config_file, "/etc/rogue-hunter/web.yml");
  EXPECT_EQ(again->process.kill_token_file, "/etc/rogue-hunter/token");
  EXPECT_THAT(again->process.kill_allow_comm, ::testing::ElementsAre("stress-ng*"));
  EXPECT_THAT(again->process.kill_protected, ::testing::ElementsAre("sshd"));
  EXPECT_EQ(again->process.kill_grace_seconds, 2.5);
  EXPECT_TRUE(again->process.kill_enabled);
}

TEST(ConfigToml, RoundTripsThroughParse) {
  auto c = Parse("[suspects]\npatterns = [\"a\\\"b\", \"c\"]\n[sampling]\nnormal_interval = 2.5\n",
                 "c.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  std::string text = ToToml(*c);
  auto again = Parse(text, "shown.toml");
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << text;
  EXPECT_EQ(ToToml(*again), text);
  EXPECT_EQ(again->suspects.patterns.at(0), "a\"b");
  EXPECT_EQ(again->sampling.normal_interval, 2.5);
}

TEST(ConfigOtel, ReadsEveryKeyAndFlattensDottedResourceNames) {
  auto c = Parse(R"([otel]
endpoint = "https://collector.example:4318/v1/logs"
timeout_ms = 2500
connect_timeout_ms = 500
compression = "gzip"
service_name = "rh"
queue_size = 100
max_batch_size = 10
batch_delay_ms = 0
retry_initial_backoff_ms = 200
retry_max_backoff_ms = 400
[otel.headers]
authorization = "Bearer x"
[otel.resource_attributes]
deployment.environment = "prod"
"team" = "infra"
)",
                 "c.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->otel.endpoint, "https://collector.example:4318/v1/logs");
  EXPECT_EQ(c->otel.timeout_ms, 2500);
  EXPECT_EQ(c->otel.compression, "gzip");
  EXPECT_EQ(c->otel.queue_size, 100);
  EXPECT_THAT(c->otel.headers,
              ::testing::ElementsAre(::testing::Pair("authorization", "Bearer x")));
  EXPECT_THAT(c->otel.resource_attributes,
              ::testing::ElementsAre(::testing::Pair("deployment.environment", "prod"),
                                     ::testing::Pair("team", "infra")));
  auto defaults = Parse("", "c.toml");
  EXPECT_FALSE(defaults->otel.timeout_ms);
  EXPECT_TRUE(defaults->otel.endpoint.empty());
  EXPECT_TRUE(defaults->alertmanager.url.empty());
  EXPECT_EQ(defaults->pause.long_seconds, 10);
}

TEST(ConfigOtel, BadValuesNameTheKeyAndNeverShowAHeaderValue) {
  auto c = Parse(R"([otel]
endpoint = "collector:4318"
compression = "zstd"
timeout_ms = -1
[otel.headers]
"bad header" = "v"
x-token = "s3cr3t\r\nInjected: 1"
)",
                 "c.toml");
  ASSERT_FALSE(c.ok());
  const std::string& m = c.error().message;
  EXPECT_THAT(m, HasSubstr("c.toml:2:12: otel.endpoint: must be an http:// or https:// URL"));
  EXPECT_THAT(m, HasSubstr("otel.compression: must be \"gzip\" or \"none\""));
  EXPECT_THAT(m, HasSubstr("c.toml:4:14: otel.timeout_ms: must be between 0 and 600000"));
  EXPECT_THAT(m, HasSubstr("otel.headers.bad header: not a valid HTTP header name"));
  EXPECT_THAT(m, HasSubstr("otel.headers.x-token: the value holds a control character"));
  EXPECT_THAT(m, ::testing::Not(HasSubstr("s3cr3t")));
}

TEST(ConfigOtel, UrlsMayNotCarryCredentials) {
  for (const char* bad : {"http://user:pw@collector:4318/v1/logs", "ftp://c/x", "http://",
                          "http://c:0/", "http://c:99999/", "http://[::1/", "http://c d/"}) {
    EXPECT_FALSE(CheckHttpUrl(bad).ok()) << bad;
  }
  for (const char* good : {"http://c", "https://c:4318/v1/logs", "http://[::1]:4318/v1/logs",
                           "HTTP://127.0.0.1:9093", "http://c/path?x=1"}) {
    EXPECT_TRUE(CheckHttpUrl(good).ok()) << good << ": " << CheckHttpUrl(good).error().message;
  }
}

TEST(ConfigAlertmanager, ReadsAuthAndLabelsAndChecksThem) {
  auto c = Parse(R"([alertmanager]
url = "http://am:9093"
basic_auth_username = "rh"
basic_auth_password = "pw"
resend_interval_seconds = 30
[alertmanager.labels]
instance = "host-a:9795"
)",
                 "c.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->alertmanager.basic_auth_password, "pw");
  EXPECT_THAT(c->alertmanager.labels,
              ::testing::ElementsAre(::testing::Pair("instance", "host-a:9795")));

  auto bad = Parse(R"([alertmanager]
url = "http://am:9093"
basic_auth_password = "pw"
bearer_token = "t"
[alertmanager.labels]
alertname = "x"
"9lives" = "y"
empty = ""
)",
                   "c.toml");
  ASSERT_FALSE(bad.ok());
  const std::string& m = bad.error().message;
  EXPECT_THAT(m, HasSubstr("alertmanager.basic_auth_password: needs basic_auth_username"));
  auto both =
      Parse("[alertmanager]\nbasic_auth_username = \"u\"\nbearer_token = \"t\"\n", "c.toml");
  ASSERT_FALSE(both.ok());
  EXPECT_THAT(both.error().message, HasSubstr("use either basic auth or a bearer token"));
  EXPECT_THAT(m, HasSubstr("alertmanager.labels.alertname: alertname is the rule's"));
  EXPECT_THAT(m, HasSubstr("alertmanager.labels.9lives: not a valid label name"));
  EXPECT_THAT(m, HasSubstr("alertmanager.labels.empty: must not be empty"));
}

TEST(ConfigOtel, RelationsBetweenKeysAreChecked) {
  auto c = Parse(
      "[otel]\nqueue_size = 5\nmax_batch_size = 10\n"
      "retry_initial_backoff_ms = 500\nretry_max_backoff_ms = 100\n"
      "[pause]\nmin_seconds = 2\nlong_seconds = 1\n",
      "c.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message, HasSubstr("otel.max_batch_size: must not exceed otel.queue_size"));
  EXPECT_THAT(c.error().message,
              HasSubstr("otel.retry_max_backoff_ms: must not be below otel.retry_initial"));
  EXPECT_THAT(c.error().message,
              HasSubstr("pause.long_seconds: must not be below pause.min_seconds"));
}

TEST(ConfigToml, SecretsAreNeverShownButTheRestRoundTrips) {
  auto c = Parse(R"([otel]
endpoint = "http://c:4318/v1/logs"
[otel.headers]
authorization = "Bearer very-secret-1"
[otel.resource_attributes]
deployment.environment = "prod"
[alertmanager]
url = "http://am:9093"
basic_auth_username = "rh"
basic_auth_password = "very-secret-2"
[alertmanager.labels]
env = "prod"
)",
                 "c.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  const std::string text = ToToml(*c);
  EXPECT_THAT(text, ::testing::Not(HasSubstr("very-secret")));
  EXPECT_THAT(text, HasSubstr("# [otel.headers] sets authorization (values not shown)"));
  EXPECT_THAT(text, HasSubstr("# basic_auth_password is set (not shown)"));
  auto again = Parse(text, "shown.toml");
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << text;
  EXPECT_EQ(again->otel.endpoint, "http://c:4318/v1/logs");
  EXPECT_EQ(again->otel.resource_attributes, c->otel.resource_attributes);
  EXPECT_EQ(again->alertmanager.labels, c->alertmanager.labels);
  EXPECT_TRUE(again->otel.headers.empty());
}

TEST(ConfigLoad, MissingDefaultFileMeansDefaultsButExplicitOneIsAnError) {
  test::TempDir dir;
  auto defaults = Load(dir / "none.toml", false);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->sampling.normal_interval, 5);
  auto explicit_missing = Load(dir / "none.toml", true);
  ASSERT_FALSE(explicit_missing.ok());
  EXPECT_THAT(explicit_missing.error().message, HasSubstr("none.toml: cannot read"));
}

TEST(ConfigLoad, OnlyARegularFileIsRead) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "a-directory");
  ASSERT_EQ(mkfifo((dir / "fifo").c_str(), 0600), 0);
  const std::pair<std::filesystem::path, std::string> cases[] = {
      {dir / "a-directory", "not a regular file (a directory)"},
      {"/dev/zero", "not a regular file (a character device)"},
      {dir / "fifo", "not a regular file (a FIFO)"},
  };
  for (const auto& [path, why] : cases) {
    for (bool must_exist : {true, false}) {
      SCOPED_TRACE(path.string());
      auto c = Load(path, must_exist);  // returns at once: nothing blocks on the FIFO
      ASSERT_FALSE(c.ok());
      EXPECT_EQ(c.error().message, path.string() + ": " + why + "; give the path of a TOML file");
    }
  }
}

TEST(ConfigLoad, AFileLargerThanOneMebibyteIsRefused) {
  test::TempDir dir;
  auto big = dir.Write("big.toml", "# " + std::string((1 << 20) + 10, 'x') + "\n");
  auto c = Load(big, true);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message, HasSubstr("big.toml: larger than 1048576 bytes"));
  auto fits = dir.Write("fits.toml", "# " + std::string((1 << 20) - 10, 'x') + "\n");
  EXPECT_TRUE(Load(fits, true).ok());
}

TEST(ConfigLoad, ASymlinkToAConfigurationFileIsFollowed) {
  test::TempDir dir;
  auto real = dir.Write("real.toml", "[sampling]\nnormal_interval = 2\n");
  std::filesystem::create_symlink(real, dir / "link.toml");
  auto c = Load(dir / "link.toml", true);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->sampling.normal_interval, 2);
}

TEST(ConfigLoad, ErrorsNameTheFilePath) {
  test::TempDir dir;
  auto path = dir.Write("config.toml", "[pause]\ntick_ms = 0\n");
  auto c = Load(path, true);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message, HasSubstr(path.string() + ":2:11: pause.tick_ms"));
}

}  // namespace
}  // namespace rh::config

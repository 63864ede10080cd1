// The direct Alertmanager push against Debian's real prometheus-alertmanager on loopback, with the
// shipped alerts/alertmanager.yml: a SIGSTOP pause of the real daemon is in Alertmanager within a
// second of SIGCONT, with the labels of the Prometheus rule; with Debian's Prometheus also
// scraping the daemon and evaluating the shipped rules, Alertmanager shows one alert in one group
// for the pause. Plus the credentials for an Alertmanager behind a proxy, seen by the test
// collector standing in for the proxy.
//
// Everything runs on free loopback ports in temporary directories and is stopped by PID.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <optional>
#include <thread>

#include "tests/fleet/stack_config.h"
#include "tests/otel/test_collector.h"
#include "tests/support/daemon.h"
#include "tests/support/http.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

// The daemon stopped alone with SIGSTOP is a pause of scope `process`, whose alert (the rule's and
// the pushed one) is RogueHunterMonitoringPaused.
constexpr const char* kAlert = "RogueHunterMonitoringPaused";

const std::filesystem::path kRoot = RH_SOURCE_DIR;

json Get(const std::string& url) {
  return json::parse(HttpGet(url).body, nullptr, /*allow_exceptions=*/false);
}

std::string Tail(const std::string& text, std::size_t max = 3000) {
  return text.size() <= max ? text : text.substr(text.size() - max);
}

class AlertmanagerPush : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(HaveProgram("prometheus-alertmanager"));
    // Alertmanager with the shipped configuration; its webhook goes nowhere (nothing listens).
    auto config = fleet::WriteAlertmanagerConfig(
        dir_ / "alertmanager", kRoot,
        "http://127.0.0.1:" + std::to_string(FreePort()) + "/webhook");
    ASSERT_TRUE(config.ok()) << config.error().message;
    am_port_ = FreePort();
    alertmanager_.emplace(Subprocess::Start({
        "prometheus-alertmanager",
        "--config.file=" + config->string(),
        "--storage.path=" + (dir_ / "alertmanager/data").string(),
        "--web.listen-address=127.0.0.1:" + std::to_string(am_port_),
        "--cluster.listen-address=",
    }));
    ASSERT_TRUE(
        WaitUntil(
            [&] { return !alertmanager_->Running() || HttpGet(Am("/-/ready")).status == 200; }, 30s,
            100ms) &&
        alertmanager_->Running())
        << Tail(alertmanager_->Stderr());
  }

  void TearDown() override {
    if (HasFailure()) {
      if (daemon_) std::cout << "daemon stderr:\n" << Tail(daemon_->process().Stderr());
      if (alertmanager_) std::cout << "alertmanager stderr:\n" << Tail(alertmanager_->Stderr());
      if (prometheus_) std::cout << "prometheus stderr:\n" << Tail(prometheus_->Stderr());
    }
    if (prometheus_) prometheus_->Stop(5s);
    if (daemon_) daemon_->process().Stop(5s);
    if (alertmanager_) alertmanager_->Stop(5s);
  }

  std::string Am(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(am_port_) + path;
  }

  void StartDaemon() {
    // Stress thresholds out of reach: on a busy test machine a critical episode's capture
    // would otherwise take the pause's place (captures are rate-limited).
    auto config = dir_.Write(
        "rogue-hunter.toml",
        "[sampling]\nelevation_threshold = 100\nrecovery_threshold = 99\n"
        "critical_threshold = 100\n[pause]\nmin_seconds = 0.5\n[alertmanager]\nurl = \"" +
            Am("") + "\"\nresend_interval_seconds = 1\n");
    daemon_ = std::make_unique<Daemon>(std::vector<std::string>{"--config", config.string()});
    ASSERT_TRUE(daemon_->ready()) << daemon_->process().Stderr();
  }

  std::string Instance() const { return "127.0.0.1:" + std::to_string(daemon_->port()); }

  void InjectPause(std::chrono::milliseconds length) {
    // The scope of a pause is told against the machine's pace before it: a reading must exist.
    ASSERT_TRUE(WaitUntil(
        [&] { return daemon_->Metric("rogue_hunter_pause_evidence_seconds").value_or(0) >= 1.5; },
        30s, 100ms));
    daemon_->process().Signal(SIGSTOP);
    std::this_thread::sleep_for(length);
    daemon_->process().Signal(SIGCONT);
  }

  // Alertmanager's pause alerts for the daemon. The test stops the daemon alone (SIGSTOP): a
  // pause of scope `process`, whose alert is RogueHunterMonitoringPaused.
  json PauseAlerts() {
    json out = json::array();
    json alerts = Get(Am("/api/v2/alerts"));
    if (!alerts.is_array()) return out;
    for (const json& a : alerts) {
      const json& labels = a["labels"];
      if (labels.value("alertname", "") == kAlert && labels.value("instance", "") == Instance()) {
        out.push_back(a);
      }
    }
    return out;
  }

  TempDir dir_;
  int am_port_ = 0;
  std::optional<Subprocess> alertmanager_;
  std::optional<Subprocess> prometheus_;
  std::unique_ptr<Daemon> daemon_;
};

TEST_F(AlertmanagerPush, APauseIsInAlertmanagerWithinASecondWithTheRuleLabels) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  EXPECT_EQ(daemon_->Metric("rogue_hunter_alertmanager_posts_total"), 0);
  EXPECT_EQ(daemon_->Metric("rogue_hunter_alertmanager_active_alerts"), 0);
  InjectPause(2000ms);
  const auto resumed = std::chrono::steady_clock::now();
  json alerts;
  ASSERT_TRUE(WaitUntil(
      [&] {
        alerts = PauseAlerts();
        return !alerts.empty();
      },
      10s, 20ms))
      << Get(Am("/api/v2/alerts")).dump(2);
  const auto after = std::chrono::steady_clock::now() - resumed;
  std::cout << "in Alertmanager "
            << std::chrono::duration_cast<std::chrono::milliseconds>(after).count()
            << " ms after SIGCONT\n";
  EXPECT_LT(after, 1000ms);
  ASSERT_EQ(alerts.size(), 1u);
  const json& a = alerts[0];
  // Exactly the labels Prometheus gives the rule's alert for this target.
  EXPECT_EQ(a["labels"], (json{{"alertname", kAlert},
                               {"severity", "warning"},
                               {"category", "daemon"},
                               {"instance", Instance()},
                               {"job", "rogue-hunter"}}));
  EXPECT_EQ(a["status"]["state"], "active");
  const double seconds = std::stod(a["annotations"]["duration_seconds"].get<std::string>());
  EXPECT_GT(seconds, 1.7);
  EXPECT_LT(seconds, 3.5);  // the test's own 2 s sleep may overshoot on a busy machine
  EXPECT_THAT(a["annotations"]["summary"].get<std::string>(),
              HasSubstr(Instance() + " did not run for "));
  EXPECT_THAT(a["annotations"].value("bundle_id", ""), ::testing::EndsWith("-pause"));
  EXPECT_EQ(a["generatorURL"], "http://" + Instance() + "/");
  // It ends 10 minutes after the pause, as the rule's alert would.
  EXPECT_THAT(a["endsAt"].get<std::string>(), Not(HasSubstr("0001-01-01")));
  // Re-sent while active (every second here).
  ASSERT_TRUE(WaitUntil(
      [&] { return daemon_->Metric("rogue_hunter_alertmanager_posts_total") >= 3; }, 10s));
  EXPECT_EQ(daemon_->Metric("rogue_hunter_alertmanager_post_errors_total"), 0);
  EXPECT_EQ(daemon_->Metric("rogue_hunter_alertmanager_active_alerts"), 1);
  EXPECT_GT(daemon_->Metric("rogue_hunter_alertmanager_last_success_timestamp_seconds").value_or(0),
            0);
}

TEST_F(AlertmanagerPush, WithPrometheusReportingTheSamePauseAlertmanagerShowsOneGroup) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  fleet::PrometheusSettings settings;
  settings.interval = "1s";
  settings.alertmanager = "127.0.0.1:" + std::to_string(am_port_);
  settings.targets = {Instance()};
  auto prom_config = fleet::WritePrometheusConfig(dir_ / "prometheus", kRoot, settings);
  ASSERT_TRUE(prom_config.ok()) << prom_config.error().message;
  const int prom_port = FreePort();
  const std::string prom = "http://127.0.0.1:" + std::to_string(prom_port);
  prometheus_.emplace(Subprocess::Start({
      "prometheus",
      "--config.file=" + prom_config->string(),
      "--storage.tsdb.path=" + (dir_ / "prometheus/data").string(),
      "--web.listen-address=127.0.0.1:" + std::to_string(prom_port),
  }));
  ASSERT_TRUE(WaitUntil([&] { return HttpGet(prom + "/-/ready").status == 200; }, 30s, 100ms));
  ASSERT_TRUE(WaitUntil(
      [&] {
        json r = Get(prom + "/api/v1/query?query=up");
        return r.is_object() && r["data"]["result"].size() == 1 &&
               r["data"]["result"][0]["value"][1] == "1";
      },
      30s, 250ms));

  InjectPause(2000ms);
  ASSERT_TRUE(WaitUntil([&] { return !PauseAlerts().empty(); }, 10s, 20ms));
  // Prometheus fires the rule and sends its alert to the same Alertmanager.
  ASSERT_TRUE(WaitUntil(
      [&] {
        json r = Get(prom + "/api/v1/alerts");
        if (!r.is_object()) return false;
        for (const json& a : r["data"]["alerts"]) {
          if (a["labels"].value("alertname", "") == kAlert && a["state"] == "firing") {
            return true;
          }
        }
        return false;
      },
      30s, 250ms))
      << Get(prom + "/api/v1/alerts").dump(2);
  ASSERT_TRUE(WaitUntil(
      [&] {
        const std::string metrics = HttpGet(prom + "/metrics").body;
        std::optional<double> sent = FindMetric(
            metrics, "prometheus_notifications_sent_total{alertmanager=\"http://127.0.0.1:" +
                         std::to_string(am_port_) + "/api/v2/alerts\"}");
        return sent && *sent >= 1;
      },
      30s, 250ms));
  // The rule's alert and the pushed one are the same alert: one alert, in one group.
  json alerts = PauseAlerts();
  ASSERT_EQ(alerts.size(), 1u) << alerts.dump(2);
  json groups = Get(Am("/api/v2/alerts/groups"));
  ASSERT_TRUE(groups.is_array()) << groups.dump(2);
  int groups_with_the_pause = 0, pause_alerts_in_groups = 0;
  for (const json& g : groups) {
    int here = 0;
    for (const json& a : g["alerts"]) {
      if (a["labels"].value("alertname", "") == kAlert) ++here;
    }
    pause_alerts_in_groups += here;
    groups_with_the_pause += here > 0 ? 1 : 0;
  }
  EXPECT_EQ(groups_with_the_pause, 1) << groups.dump(2);
  EXPECT_EQ(pause_alerts_in_groups, 1) << groups.dump(2);
}

// Behind a proxy: basic auth and a bearer token arrive as configured, and are never logged.
TEST(AlertmanagerPushAuth, CredentialsFromTheConfigurationReachTheProxyAndNeverTheLog) {
  TestCollector proxy;  // records every POST and answers 200
  ASSERT_TRUE(proxy.ok()) << proxy.failure();
  TempDir dir;
  for (const auto& [auth, expected] :
       {std::pair{
            std::string("basic_auth_username = \"rh\"\nbasic_auth_password = \"pa55-w0rd\"\n"),
            std::string("Basic cmg6cGE1NS13MHJk")},
        std::pair{std::string("bearer_token = \"t0k3n-xyz\"\n"),
                  std::string("Bearer t0k3n-xyz")}}) {
    SCOPED_TRACE(expected);
    HttpRequest("POST", proxy.url("/control/reset"));
    auto config = dir.Write("c.toml", "[pause]\nmin_seconds = 0.5\n[alertmanager]\nurl = \"" +
                                          proxy.url("/am") + "\"\n" + auth);
    Daemon daemon({"--config", config.string()});
    ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
    daemon.process().Signal(SIGSTOP);
    std::this_thread::sleep_for(1000ms);
    daemon.process().Signal(SIGCONT);
    ASSERT_TRUE(WaitUntil([&] { return !proxy.Requests().empty(); }, 10s));
    json request = proxy.Requests()[0];
    EXPECT_EQ(request["path"], "/am/api/v2/alerts");
    EXPECT_EQ(request["headers"]["authorization"], expected);
    RunResult shown = test::Run({BinaryPath("exporter/rogue-hunter").string(), "config", "show",
                                 "--config", config.string()});
    daemon.process().Stop(5s);
    for (const char* secret : {"pa55-w0rd", "t0k3n-xyz", "cmg6cGE1NS13MHJk"}) {
      EXPECT_THAT(daemon.process().Stderr(), Not(HasSubstr(secret)));
      EXPECT_THAT(shown.out, Not(HasSubstr(secret)));
    }
  }
}

}  // namespace
}  // namespace rh::test

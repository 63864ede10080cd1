// The real daemon sending its events to the test collector: a SIGSTOP pause arrives as a valid
// rogue_hunter.pause record within a second of SIGCONT and its capture follows with the bundle
// id; the OTEL_* environment configures it, with a malformed variable reported once and a
// header value that appears nowhere; a collector that never answers stalls neither /metrics
// nor shutdown.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/otel/test_collector.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

std::int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string MachineId() {
  std::ifstream in("/etc/machine-id");
  std::string id;
  std::getline(in, id);
  return id;
}

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class DaemonOtel : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(collector_.ok()) << collector_.failure(); }

  // A daemon with `toml` as its configuration, plus fast pauses and captures, and stress
  // thresholds out of reach, so that a busy test machine raises no state-change events.
  void StartDaemon(const std::string& toml, std::vector<std::string> env = {}) {
    config_ = dir_.Write("config.toml",
                         "[sampling]\nelevation_threshold = 100\nrecovery_threshold = 99\n"
                         "critical_threshold = 100\n[pause]\nmin_seconds = 0.5\n"
                         "[forensics]\nmin_interval_seconds = 0\n" +
                             toml);
    daemon_ = std::make_unique<Daemon>(std::vector<std::string>{"--config", config_.string()},
                                       std::move(env));
    ASSERT_TRUE(daemon_->ready()) << daemon_->process().Stderr();
  }

  std::string OtelTable() const {
    return "[otel]\nendpoint = \"" + collector_.logs_url() + "\"\nbatch_delay_ms = 50\n";
  }

  void TearDown() override {
    if (daemon_ && HasFailure()) std::cout << "daemon stderr:\n" << daemon_->process().Stderr();
  }

  TestCollector collector_;
  TempDir dir_;
  std::filesystem::path config_;
  std::unique_ptr<Daemon> daemon_;
};

TEST_F(DaemonOtel, APauseArrivesAsAValidRecordWithinASecondAndItsCaptureFollows) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(OtelTable()));
  // Present from the start. Nothing fails with a healthy collector; records may already be on
  // their way (a busy machine fires a pressure trigger at once, an event of its own).
  for (const char* series :
       {"rogue_hunter_otel_records_failed_total{reason=\"http_status\"}",
        "rogue_hunter_otel_records_dropped_total", "rogue_hunter_otel_export_retries_total"}) {
    EXPECT_EQ(daemon_->Metric(series), 0) << series << " must be present at 0 from start";
  }
  for (const char* series :
       {"rogue_hunter_otel_records_sent_total", "rogue_hunter_otel_queue_records",
        "rogue_hunter_otel_last_success_timestamp_seconds"}) {
    EXPECT_TRUE(daemon_->Metric(series).has_value()) << series << " must be present from start";
  }
  daemon_->process().Signal(SIGSTOP);
  std::this_thread::sleep_for(2s);
  daemon_->process().Signal(SIGCONT);
  const std::int64_t resumed_ms = UnixMs();

  auto pause = collector_.WaitForRecord("rogue_hunter.pause", 10s);
  ASSERT_TRUE(pause) << collector_.Requests().dump(2);
  EXPECT_TRUE((*pause)["requestValid"].get<bool>()) << (*pause)["requestErrors"].dump(2);
  std::int64_t arrived_ms = 0;
  for (const json& r : collector_.Requests()) {
    if (r["payload"].dump().find("rogue_hunter.pause") != std::string::npos) {
      arrived_ms = r["receivedAtMs"].get<std::int64_t>();
      break;
    }
  }
  std::cout << "rogue_hunter.pause at the collector " << arrived_ms - resumed_ms
            << " ms after SIGCONT\n";
  EXPECT_LT(arrived_ms - resumed_ms, 1000);

  const json& attrs = (*pause)["attributes"];
  const double duration = std::stod(AttributeText(attrs, "rogue_hunter.event.duration"));
  EXPECT_GT(duration, 1.7);
  EXPECT_LT(duration, 3.5);  // the test's own 2 s sleep may overshoot on a busy machine
  EXPECT_EQ((*pause)["severityText"], "WARN");
  EXPECT_EQ((*pause)["severityNumber"], 13);
  const std::string key = AttributeText(attrs, "rogue_hunter.event.key");
  EXPECT_THAT(key, ::testing::EndsWith("-pause"));
  EXPECT_EQ(AttributeText(attrs, "rogue_hunter.bundle.id"), key);
  // timeUnixNano is when the pause began, observedTimeUnixNano when the daemon saw it.
  const auto time_ns = std::stoll((*pause)["timeUnixNano"].get<std::string>());
  const auto observed_ns = std::stoll((*pause)["observedTimeUnixNano"].get<std::string>());
  EXPECT_NEAR(static_cast<double>(observed_ns - time_ns) / 1e9, duration, 0.5);
  EXPECT_NEAR(static_cast<double>(observed_ns) / 1e6, static_cast<double>(resumed_ms), 1000);

  const json& resource = (*pause)["resource"];
  EXPECT_EQ(resource["service.name"]["stringValue"], "rogue-hunter");
  EXPECT_EQ(resource["os.type"]["stringValue"], "linux");
  EXPECT_EQ(resource["host.id"]["stringValue"], MachineId());
  EXPECT_FALSE(resource["host.name"]["stringValue"].get<std::string>().empty());
  EXPECT_EQ(resource["service.instance.id"]["stringValue"].get<std::string>().size(), 36u);
  EXPECT_FALSE(resource["service.version"]["stringValue"].get<std::string>().empty());

  // The pause's capture (a busy machine may also fire a critical PSI trigger with its own).
  auto capture = collector_.WaitForRecord("rogue_hunter.forensics.capture", 15s, [](const json& r) {
    return AttributeText(r["attributes"], "rogue_hunter.capture.trigger") == "pause";
  });
  ASSERT_TRUE(capture) << collector_.Requests().dump(2);
  EXPECT_TRUE((*capture)["requestValid"].get<bool>()) << (*capture)["requestErrors"].dump(2);
  const json& c = (*capture)["attributes"];
  EXPECT_EQ(AttributeText(c, "rogue_hunter.capture.result"), "ok");
  EXPECT_EQ(AttributeText(c, "rogue_hunter.capture.trigger"), "pause");
  EXPECT_EQ(AttributeText(c, "rogue_hunter.event.key"), key);
  const std::string bundle = AttributeText(c, "rogue_hunter.bundle.id");
  EXPECT_TRUE(
      std::filesystem::is_directory(daemon_->home() / ".local/share/rogue-hunter/events" / bundle))
      << bundle;
  EXPECT_TRUE(
      WaitUntil([&] { return daemon_->Metric("rogue_hunter_otel_records_sent_total") >= 2; }, 5s));
  EXPECT_GT(daemon_->Metric("rogue_hunter_otel_last_success_timestamp_seconds").value_or(0), 0);
  for (const json& r : collector_.Requests()) {
    EXPECT_TRUE(r["valid"].get<bool>()) << r["errors"].dump(2);
  }
}

TEST_F(DaemonOtel, TheEnvironmentConfiguresExportAndASecretHeaderIsNeverShown) {
  const std::string env_secret = "SECRET-VALUE-42";
  const std::string file_secret = "FILE-SECRET-7";
  ASSERT_NO_FATAL_FAILURE(StartDaemon(
      "[otel.headers]\nx-file-token = \"" + file_secret + "\"\n",
      {"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:" + std::to_string(collector_.port()),
       "OTEL_EXPORTER_OTLP_HEADERS=authorization=Bearer%20" + env_secret + ",x-tenant=t1",
       "OTEL_RESOURCE_ATTRIBUTES=deployment.environment=ci,broken", "OTEL_SERVICE_NAME=rh-ci",
       "OTEL_EXPORTER_OTLP_COMPRESSION=gzip"}));
  daemon_->process().Signal(SIGUSR1);  // a manual capture: one event
  auto capture = collector_.WaitForRecord("rogue_hunter.forensics.capture", 15s);
  ASSERT_TRUE(capture) << collector_.Requests().dump(2);
  EXPECT_TRUE((*capture)["requestValid"].get<bool>()) << (*capture)["requestErrors"].dump(2);
  json request = collector_.Requests()[0];
  EXPECT_EQ(request["path"], "/v1/logs");
  EXPECT_EQ(request["headers"]["authorization"], "Bearer " + env_secret);
  EXPECT_EQ(request["headers"]["x-tenant"], "t1");
  EXPECT_EQ(request["headers"]["x-file-token"], file_secret);
  EXPECT_EQ(request["headers"]["content-encoding"], "gzip");
  const json& resource = (*capture)["resource"];
  EXPECT_EQ(resource["service.name"]["stringValue"], "rh-ci");
  EXPECT_FALSE(resource.contains("deployment.environment"));  // the whole variable is ignored

  const std::string metrics = daemon_->Get("/metrics").body;
  Subprocess& process = daemon_->process();
  EXPECT_EQ(process.Stop(5s), 0);
  const std::string err = process.Stderr();
  EXPECT_EQ(Count(err, "OTEL_RESOURCE_ATTRIBUTES"), 1u) << err;
  RunResult shown = test::Run({BinaryPath("exporter/rogue-hunter").string(), "config", "show",
                               "--config", config_.string()});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("x-file-token"));
  for (const std::string& secret : {env_secret, file_secret}) {
    EXPECT_THAT(err, Not(HasSubstr(secret)));
    EXPECT_THAT(process.Stdout(), Not(HasSubstr(secret)));
    EXPECT_THAT(metrics, Not(HasSubstr(secret)));
    EXPECT_THAT(shown.out + shown.err, Not(HasSubstr(secret)));
  }
}

TEST_F(DaemonOtel, ACollectorThatNeverAnswersStallsNeitherMetricsNorShutdown) {
  collector_.Script(json::array(), {{"hang", true}});
  ASSERT_NO_FATAL_FAILURE(StartDaemon(OtelTable() + "timeout_ms = 3000\n"));
  daemon_->process().Signal(SIGUSR1);
  ASSERT_TRUE(WaitUntil([&] { return !collector_.Requests().empty(); }, 10s));
  // A request hangs now; /metrics answers at once all the while.
  for (int i = 0; i < 10; ++i) {
    const auto began = std::chrono::steady_clock::now();
    HttpResponse r = daemon_->Get("/metrics");
    const auto took = std::chrono::steady_clock::now() - began;
    EXPECT_EQ(r.status, 200);
    EXPECT_LT(took, 500ms);
    // The hung record waits (more may join it: a busy machine raises pressure events too).
    EXPECT_GE(FindMetric(r.body, "rogue_hunter_otel_queue_records").value_or(0), 1);
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(WaitUntil(
      [&] { return daemon_->Metric("rogue_hunter_otel_export_retries_total") >= 1; }, 10s));
  // Shutdown abandons the hung request.
  const auto began = std::chrono::steady_clock::now();
  EXPECT_EQ(daemon_->process().Stop(10s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 2500ms);
  EXPECT_THAT(daemon_->process().Stderr(), HasSubstr("records not delivered at shutdown"));
}

TEST_F(DaemonOtel, ExportIsOffWithoutAnEndpointAndItsSeriesAreAbsent) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(
      "", {"OTEL_SDK_DISABLED=true", "OTEL_EXPORTER_OTLP_ENDPOINT=" + collector_.url("")}));
  EXPECT_FALSE(daemon_->Metric("rogue_hunter_otel_records_sent_total"));
  daemon_->process().Signal(SIGUSR1);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return daemon_->Metric(
                   "rogue_hunter_forensics_captures_total{trigger=\"manual\",result=\"ok\"}") == 1;
      },
      15s));
  // Were export on, the capture's record would leave within the 200 ms batch delay.
  std::this_thread::sleep_for(700ms);
  EXPECT_TRUE(collector_.Requests().empty());
  EXPECT_THAT(daemon_->process().Stderr(), HasSubstr("otel: off: OTEL_SDK_DISABLED is true"));
}

}  // namespace
}  // namespace rh::test

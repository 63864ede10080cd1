// The fleet files with the real tools, end to end and without Docker: a real rogue-hunter daemon,
// Debian's Prometheus scraping it every second with the shipped rules and configuration, Debian's
// Alertmanager with the shipped configuration, and a webhook receiver owned by this test, all on
// loopback. A pause is injected into the daemon (SIGSTOP for 3 s, SIGCONT) and followed through
// Prometheus and Alertmanager to the webhook; every dashboard query and every alert expression is
// then run against that Prometheus.
//
// Everything is started with free ports and temporary directories, stopped by PID (Subprocess:
// SIGTERM, a bounded wait, SIGKILL; PR_SET_PDEATHSIG if the test dies), and every wait is bounded.

#include <arpa/inet.h>
#include <civetweb.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/fleet/dashboard_queries.h"
#include "tests/fleet/stack_config.h"
#include "tests/support/daemon.h"
#include "tests/support/http.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::test::fleet {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Contract = std::map<std::string, std::string, std::less<>>;

const std::filesystem::path kRoot = RH_SOURCE_DIR;
constexpr const char* kJob = "rogue-hunter";  // deploy/prometheus/prometheus.yml's job_name
constexpr const char* kPauseAlert = "RogueHunterPauseDetected";
constexpr const char* kPauseReceiver = "rogue-hunter-pauses";  // alerts/alertmanager.yml
constexpr auto kStartTimeout = 30s;
constexpr auto kStepTimeout = 45s;

// The last `lines` lines of `text`.
std::string Tail(const std::string& text, size_t lines = 40) {
  size_t pos = text.size();
  for (size_t n = 0; n <= lines && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

std::string Truncate(const std::string& text, size_t max = 4000) {
  return text.size() <= max
             ? text
             : text.substr(0, max) + "... (" + std::to_string(text.size()) + " bytes)";
}

json ParseOrNull(const std::string& text) {
  return json::parse(text, nullptr, /*allow_exceptions=*/false);
}

// Lenient access to JSON from other programs: a missing key or a wrong type reads as null, "" or
// an empty array, never as an exception.
const json& Field(const json& object, const std::string& key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string Text(const json& value) { return value.is_string() ? value.get<std::string>() : ""; }

const json& Items(const json& value) {
  static const json kEmpty = json::array();
  return value.is_array() ? value : kEmpty;
}

std::string LabelOf(const json& object, const std::string& name) {
  return Text(Field(Field(object, "labels"), name));
}

std::string AnnotationOf(const json& object, const std::string& name) {
  return Text(Field(Field(object, "annotations"), name));
}

// ---------------------------------------------------------------------------------------------
// The webhook Alertmanager posts to: civetweb on a loopback port of the kernel's choosing,
// recording every request body.

class WebhookReceiver {
 public:
  WebhookReceiver() {
    static const bool initialised = mg_init_library(0) != 0;
    (void)initialised;
    const char* options[] = {"listening_ports",    "127.0.0.1:0", "num_threads", "2",
                             "request_timeout_ms", "10000",       nullptr};
    mg_callbacks callbacks{};
    context_ = mg_start(&callbacks, this, options);
    if (context_ == nullptr) return;
    mg_set_request_handler(context_, "/", &WebhookReceiver::OnRequest, this);
    mg_server_port ports[2] = {};
    if (mg_get_server_ports(context_, 2, ports) > 0) port_ = ports[0].port;
  }

  ~WebhookReceiver() {
    if (context_ == nullptr) return;
    // civetweb's accept loop notices mg_stop() only after its 2 s poll; a connection wakes it.
    std::atomic<bool> stopped{false};
    std::thread stopper([this, &stopped] {
      mg_stop(context_);
      stopped = true;
    });
    for (int i = 0; i < 150 && !stopped; ++i) {
      Poke();
      std::this_thread::sleep_for(20ms);
    }
    stopper.join();
  }

  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  bool ok() const { return context_ != nullptr && port_ > 0; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/webhook"; }

  std::vector<std::string> Bodies() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return bodies_;
  }

 private:
  static int OnRequest(mg_connection* connection, void* self) {
    auto* receiver = static_cast<WebhookReceiver*>(self);
    std::string body;
    char buffer[4096];
    for (;;) {
      int n = mg_read(connection, buffer, sizeof(buffer));
      if (n <= 0) break;
      body.append(buffer, static_cast<size_t>(n));
    }
    const mg_request_info* info = mg_get_request_info(connection);
    const bool post = info != nullptr && std::string_view(info->request_method) == "POST" &&
                      std::string_view(info->local_uri) == "/webhook";
    if (post) {
      std::lock_guard<std::mutex> lock(receiver->mutex_);
      receiver->bodies_.push_back(std::move(body));
    }
    mg_send_http_ok(connection, "text/plain", 3);
    mg_write(connection, "ok\n", 3);
    return post ? 200 : 404;
  }

  void Poke() const {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    (void)connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    close(fd);
  }

  mg_context* context_ = nullptr;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::vector<std::string> bodies_;
};

// ---------------------------------------------------------------------------------------------
// The stack: daemon, webhook receiver, Alertmanager, Prometheus. Each test starts its own.

class FleetStack : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(HaveProgram("prometheus")) << "Debian package prometheus is missing";
    ASSERT_TRUE(HaveProgram("prometheus-alertmanager"))
        << "Debian package prometheus-alertmanager is missing";

    daemon_ = std::make_unique<Daemon>();
    ASSERT_TRUE(daemon_->ready()) << "daemon did not come up:\n" << daemon_->process().Stderr();

    ASSERT_TRUE(webhook_.ok()) << "cannot start the webhook receiver";

    // Alertmanager, with the shipped configuration and our webhook.
    Result<std::filesystem::path> am_config =
        WriteAlertmanagerConfig(dir_ / "alertmanager", kRoot, webhook_.url());
    ASSERT_TRUE(am_config.ok()) << am_config.error().message;
    am_port_ = FreePort();
    alertmanager_.emplace(Subprocess::Start({
        "prometheus-alertmanager",
        "--config.file=" + am_config->string(),
        "--storage.path=" + (dir_ / "alertmanager/data").string(),
        "--web.listen-address=127.0.0.1:" + std::to_string(am_port_),
        "--cluster.listen-address=",
        "--log.level=debug",
    }));
    ASSERT_TRUE(WaitReady(*alertmanager_, AlertmanagerUrl("/-/ready")))
        << "Alertmanager did not become ready:\n"
        << Tail(alertmanager_->Stderr());

    // Prometheus, with the shipped configuration: 1 s scrape and evaluation, the daemon as the
    // one target, our Alertmanager, the rules of alerts/.
    PrometheusSettings settings;
    settings.interval = "1s";
    settings.alertmanager = "127.0.0.1:" + std::to_string(am_port_);
    settings.targets = {Instance()};
    Result<std::filesystem::path> prom_config =
        WritePrometheusConfig(dir_ / "prometheus", kRoot, settings);
    ASSERT_TRUE(prom_config.ok()) << prom_config.error().message;
    prom_port_ = FreePort();
    prometheus_.emplace(Subprocess::Start({
        "prometheus",
        "--config.file=" + prom_config->string(),
        "--storage.tsdb.path=" + (dir_ / "prometheus/data").string(),
        "--web.listen-address=127.0.0.1:" + std::to_string(prom_port_),
    }));
    ASSERT_TRUE(WaitReady(*prometheus_, PrometheusUrl("/-/ready")))
        << "Prometheus did not become ready:\n"
        << Tail(prometheus_->Stderr());
  }

  void TearDown() override {
    if (HasFailure()) PrintDiagnostics();
    // Stop in the order that lets nothing complain: the scraper and sender first.
    if (prometheus_) prometheus_->Stop(5s);
    if (alertmanager_) alertmanager_->Stop(5s);
    if (daemon_) daemon_->process().Stop(5s);
  }

  void PrintDiagnostics() {
    std::ostringstream out;
    out << "---- last Prometheus query: " << last_query_ << "\n" << Truncate(last_result_) << "\n";
    if (daemon_) out << "---- daemon stderr (tail):\n" << Tail(daemon_->process().Stderr());
    if (prometheus_) out << "---- prometheus stderr (tail):\n" << Tail(prometheus_->Stderr());
    if (alertmanager_) {
      out << "---- alertmanager stderr (tail):\n" << Tail(alertmanager_->Stderr());
    }
    std::vector<std::string> bodies = webhook_.Bodies();
    out << "---- webhook received " << bodies.size() << " request(s)\n";
    for (const std::string& body : bodies) out << Truncate(body, 2000) << "\n";
    std::cout << out.str() << std::flush;
  }

  // The instance label Prometheus gives the daemon.
  std::string Instance() const { return "127.0.0.1:" + std::to_string(daemon_->port()); }
  std::string PrometheusUrl(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(prom_port_) + path;
  }
  std::string AlertmanagerUrl(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(am_port_) + path;
  }

  static bool WaitReady(Subprocess& process, const std::string& url) {
    return WaitUntil([&] { return !process.Running() || HttpGet(url).status == 200; },
                     kStartTimeout, 100ms) &&
           process.Running();
  }

  struct QueryResult {
    long http_status = 0;
    json body;  // null if not JSON
    std::string text;
  };

  // An instant query through /api/v1/query (POST, form-encoded), remembered for diagnostics.
  QueryResult Query(const std::string& expr) {
    HttpResponse response = HttpRequest("POST", PrometheusUrl("/api/v1/query"),
                                        {"Content-Type: application/x-www-form-urlencoded"},
                                        "query=" + UrlEncode(expr));
    last_query_ = expr;
    last_result_ = response.status == 0
                       ? "request failed: " + response.error
                       : "HTTP " + std::to_string(response.status) + " " + response.body;
    return {response.status, ParseOrNull(response.body), response.body};
  }

  // The samples of a successful instant query (vector or matrix), or nullopt when it failed.
  // A scalar or string result counts as one sample.
  std::optional<json> Samples(const std::string& expr) {
    QueryResult r = Query(expr);
    if (r.http_status != 200 || !r.body.is_object() || Text(Field(r.body, "status")) != "success") {
      return std::nullopt;
    }
    const json& data = Field(r.body, "data");
    const std::string type = Text(Field(data, "resultType"));
    if (type == "scalar" || type == "string") return json::array({Field(data, "result")});
    return Items(Field(data, "result"));
  }

  // The value of the one sample of `expr` (NaN if it has none or its value is not a number).
  double Value(const std::string& expr) {
    std::optional<json> samples = Samples(expr);
    if (!samples || !samples->is_array() || samples->size() != 1) return std::nan("");
    const json& sample = (*samples)[0];
    const json& pair = sample.is_object() ? Field(sample, "value") : sample;
    if (!pair.is_array() || pair.size() != 2 || !pair[1].is_string()) return std::nan("");
    return std::stod(pair[1].get<std::string>());
  }

  // Waits until Prometheus has scraped the daemon successfully.
  void WaitForFirstScrape() {
    const std::string expr =
        "up{job=\"" + std::string(kJob) + "\", instance=\"" + Instance() + "\"}";
    ASSERT_TRUE(WaitUntil([&] { return Value(expr) == 1; }, kStepTimeout, 250ms))
        << "Prometheus never scraped the daemon (" << expr << ")";
  }

  // The whole daemon stopped for `length`, as if the machine froze under it.
  void InjectPause(std::chrono::milliseconds length = 3000ms) {
    daemon_->process().Signal(SIGSTOP);
    std::this_thread::sleep_for(length);
    daemon_->process().Signal(SIGCONT);
  }

  // Waits until Prometheus has scraped the daemon's count of the injected pause.
  void WaitForPauseInPrometheus() {
    const std::string expr = "rogue_hunter_pauses_total{instance=\"" + Instance() + "\"}";
    ASSERT_TRUE(WaitUntil([&] { return Value(expr) >= 1; }, kStepTimeout, 250ms))
        << "Prometheus never saw rogue_hunter_pauses_total >= 1 (the daemon says "
        << daemon_->Metric("rogue_hunter_pauses_total").value_or(-1) << ")";
  }

  TempDir dir_;
  WebhookReceiver webhook_;
  std::unique_ptr<Daemon> daemon_;
  int am_port_ = 0;
  int prom_port_ = 0;
  std::optional<Subprocess> alertmanager_;
  std::optional<Subprocess> prometheus_;
  std::string last_query_;
  std::string last_result_;
};

// ---------------------------------------------------------------------------------------------

TEST_F(FleetStack, PauseIsSeenByPrometheusFiresAndReachesAlertmanagerAndTheWebhook) {
  ASSERT_NO_FATAL_FAILURE(WaitForFirstScrape());
  InjectPause(3000ms);
  const auto resumed = std::chrono::steady_clock::now();
  auto since_resumed = [&] {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - resumed)
                              .count()) +
           " ms after SIGCONT";
  };
  ASSERT_NO_FATAL_FAILURE(WaitForPauseInPrometheus());
  std::cout << "Prometheus scraped the pause " << since_resumed() << "\n";
  const std::string instance = Instance();

  // Firing in Prometheus.
  json firing;
  const bool fired = WaitUntil(
      [&] {
        HttpResponse r = HttpGet(PrometheusUrl("/api/v1/alerts"));
        last_query_ = "GET /api/v1/alerts";
        last_result_ = "HTTP " + std::to_string(r.status) + " " + r.body;
        json body = ParseOrNull(r.body);
        if (!body.is_object() || !body.contains("data")) return false;
        for (const json& alert : Items(Field(Field(body, "data"), "alerts"))) {
          if (LabelOf(alert, "alertname") == kPauseAlert &&
              LabelOf(alert, "instance") == instance && Text(Field(alert, "state")) == "firing") {
            firing = alert;
            return true;
          }
        }
        return false;
      },
      kStepTimeout, 250ms);
  ASSERT_TRUE(fired) << kPauseAlert << " never fired in Prometheus for " << instance;
  std::cout << "firing in Prometheus " << since_resumed() << "\n";
  EXPECT_EQ(LabelOf(firing, "category"), "pause");
  EXPECT_EQ(LabelOf(firing, "severity"), "warning");
  std::cout << "Prometheus: " << firing.dump() << "\n";

  // Received by Alertmanager.
  json received;
  const bool in_alertmanager = WaitUntil(
      [&] {
        HttpResponse r = HttpGet(AlertmanagerUrl("/api/v2/alerts"));
        last_query_ = "GET Alertmanager /api/v2/alerts";
        last_result_ = "HTTP " + std::to_string(r.status) + " " + r.body;
        json body = ParseOrNull(r.body);
        if (!body.is_array()) return false;
        for (const json& alert : body) {
          if (LabelOf(alert, "alertname") == kPauseAlert &&
              LabelOf(alert, "instance") == instance) {
            received = alert;
            return true;
          }
        }
        return false;
      },
      kStepTimeout, 250ms);
  ASSERT_TRUE(in_alertmanager) << kPauseAlert << " never reached Alertmanager";
  std::cout << "in Alertmanager " << since_resumed() << "\n";
  EXPECT_EQ(Text(Field(Field(received, "status"), "state")), "active") << received.dump();
  EXPECT_EQ(LabelOf(received, "job"), kJob);

  // Delivered to the webhook, through the pause route, with the instance and the summary.
  json delivered;
  json notification;
  const bool at_webhook = WaitUntil(
      [&] {
        for (const std::string& text : webhook_.Bodies()) {
          json body = ParseOrNull(text);
          if (!body.is_object()) continue;
          for (const json& alert : Items(Field(body, "alerts"))) {
            if (LabelOf(alert, "alertname") == kPauseAlert &&
                Text(Field(alert, "status")) == "firing") {
              notification = body;
              delivered = alert;
              return true;
            }
          }
        }
        return false;
      },
      kStepTimeout, 250ms);
  ASSERT_TRUE(at_webhook) << kPauseAlert << " never reached the webhook at " << webhook_.url();
  std::cout << "at the webhook " << since_resumed() << "\n";
  std::cout << "Webhook: " << notification.dump() << "\n";
  EXPECT_EQ(Text(Field(notification, "receiver")), kPauseReceiver);
  EXPECT_EQ(LabelOf(delivered, "instance"), instance);
  EXPECT_EQ(LabelOf(delivered, "category"), "pause");
  // "127.0.0.1:PORT paused for 2.999s": the instance, and the figure the daemon measured.
  const std::string summary = AnnotationOf(delivered, "summary");
  const std::string prefix = instance + " paused for ";
  ASSERT_EQ(summary.rfind(prefix, 0), 0u) << summary;
  const std::string figure = summary.substr(prefix.size());
  EXPECT_EQ(figure.back(), 's') << summary;
  const double seconds = std::strtod(figure.c_str(), nullptr);
  EXPECT_GT(seconds, 2.5) << summary;
  EXPECT_LT(seconds, 4.0) << summary;
  EXPECT_NE(AnnotationOf(delivered, "description").find(instance), std::string::npos);
  EXPECT_EQ(AnnotationOf(delivered, "runbook_url").rfind("https://", 0), 0u);
}

// ---------------------------------------------------------------------------------------------

const Contract& TheContract() {
  static const Contract contract = [] {
    Result<Contract> parsed = ParseMetricsContract(ReadFileOrFail(kRoot / "docs/metrics.md"));
    EXPECT_TRUE(parsed.ok()) << parsed.error().message;
    return parsed.ok() ? *parsed : Contract{};
  }();
  return contract;
}

// Sample names in a text exposition.
std::set<std::string> ExposedNames(const std::string& exposition) {
  std::set<std::string> names;
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    names.insert(line.substr(0, line.find_first_of("{ ")));
  }
  return names;
}

TEST_F(FleetStack, EveryDashboardQueryReturnsData) {
  ASSERT_NO_FATAL_FAILURE(WaitForFirstScrape());
  InjectPause(3000ms);
  ASSERT_NO_FATAL_FAILURE(WaitForPauseInPrometheus());
  // A few scrapes after the pause, so rates over the pause have samples on both sides.
  std::this_thread::sleep_for(3s);

  // What Grafana would put in for a one-minute view of this daemon.
  const Variables variables = {
      {"datasource", "prometheus"}, {"job", kJob},
      {"instance", Instance()},     {"__range", "1m"},
      {"__range_s", "60"},          {"__range_ms", "60000"},
      {"__interval", "1m"},         {"__interval_ms", "60000"},
      {"__rate_interval", "1m"},
  };
  const std::set<std::string> exposed = ExposedNames(daemon_->Get("/metrics").body);
  ASSERT_FALSE(exposed.empty()) << "the daemon's /metrics is empty";

  int queries = 0;
  std::vector<std::string> allowed_empty;                      // hardware-dependent, printed
  std::map<std::string, std::vector<std::string>> waiting_on;  // missing metric -> queries
  for (const char* dashboard : {"fleet-overview.json", "host-detail.json"}) {
    Result<std::vector<DashboardQuery>> extracted =
        ExtractDashboardQueries(ReadFileOrFail(kRoot / "dashboards/grafana" / dashboard));
    ASSERT_TRUE(extracted.ok()) << dashboard << ": " << extracted.error().message;
    ASSERT_FALSE(extracted->empty()) << dashboard;
    for (const DashboardQuery& query : *extracted) {
      ++queries;
      const std::string where = std::string(dashboard) + " " + query.location;
      const std::string expr = ExpandVariables(query.expr, variables);
      const std::vector<std::string> left = VariablesIn(expr);
      EXPECT_TRUE(left.empty()) << where << ": unexpanded variable $" << left.front() << " in "
                                << expr;

      // Every metric a query names must be exported, unless machines may lack it by design; a
      // query like `count(x) or vector(0)` would otherwise hide a missing name.
      std::string missing;
      bool hardware_dependent = false;
      for (const std::string& name : RogueHunterMetricNames(expr)) {
        const bool absent_by_design = MayBeAbsentOnSomeHosts(MetricFamily(name, TheContract()));
        hardware_dependent = hardware_dependent || absent_by_design;
        if (exposed.count(name) == 0 && !absent_by_design) {
          missing += " " + name;
          waiting_on[name].push_back(where);
        }
      }

      std::optional<json> samples = Samples(expr);
      if (!samples) {
        ADD_FAILURE() << where << ": query failed\n  " << expr << "\n  " << last_result_;
      } else if (!missing.empty()) {
        ADD_FAILURE() << where << (samples->empty() ? ": no data" : ": data, but")
                      << "; names metric(s) absent from the daemon's /metrics:" << missing << "\n  "
                      << expr;
      } else if (samples->empty() && hardware_dependent) {
        allowed_empty.push_back(where + "\n    " + expr);
      } else if (samples->empty()) {
        ADD_FAILURE() << where << ": no data\n  " << expr << "\n  " << last_result_;
      }
    }
  }
  std::cout << queries << " dashboard queries run against Prometheus.\n";
  if (!allowed_empty.empty()) {
    std::cout << "No data, allowed because the machine may lack the metric "
                 "(MayBeAbsentOnSomeHosts):\n";
    for (const std::string& line : allowed_empty) std::cout << "  " << line << "\n";
  }
  if (!waiting_on.empty()) {
    std::cout << "Queries waiting on metrics the daemon does not export:\n";
    for (const auto& [name, wheres] : waiting_on) {
      std::cout << "  " << name << ":\n";
      for (const std::string& where : wheres) std::cout << "    " << where << "\n";
    }
  }
  EXPECT_GT(queries, 50);
}

// ---------------------------------------------------------------------------------------------

std::vector<Rule> AllRules() {
  std::vector<Rule> all;
  for (const auto& entry : std::filesystem::directory_iterator(kRoot / "alerts")) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= 10 || name.substr(name.size() - 10) != ".rules.yml") continue;
    Result<std::vector<Rule>> rules = ParseRules(ReadFileOrFail(entry.path()));
    EXPECT_TRUE(rules.ok()) << entry.path() << ": " << rules.error().message;
    if (rules.ok()) all.insert(all.end(), rules->begin(), rules->end());
  }
  return all;
}

TEST_F(FleetStack, EveryAlertRuleRunsInPrometheus) {
  ASSERT_NO_FATAL_FAILURE(WaitForFirstScrape());
  const std::vector<Rule> rules = AllRules();
  ASSERT_FALSE(rules.empty());

  // The running configuration is the shipped one with the 1 s interval for scrapes and rules.
  HttpResponse config = HttpGet(PrometheusUrl("/api/v1/status/config"));
  const std::string yaml = Text(Field(Field(ParseOrNull(config.body), "data"), "yaml"));
  EXPECT_NE(yaml.find("scrape_interval: 1s"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("evaluation_interval: 1s"), std::string::npos) << yaml;

  // Each expression as an instant query: it parses and evaluates.
  for (const Rule& rule : rules) {
    QueryResult r = Query(rule.expr);
    EXPECT_EQ(r.http_status, 200) << rule.alert << rule.record << " (line " << rule.line
                                  << "): " << rule.expr << "\n  " << r.text;
  }

  // Prometheus loaded every rule from the shipped configuration, and evaluated each without error.
  std::set<std::string> expected;
  for (const Rule& rule : rules) expected.insert(rule.alert.empty() ? rule.record : rule.alert);
  json loaded;
  const bool evaluated = WaitUntil(
      [&] {
        HttpResponse r = HttpGet(PrometheusUrl("/api/v1/rules"));
        last_query_ = "GET /api/v1/rules";
        last_result_ = "HTTP " + std::to_string(r.status) + " " + r.body;
        json body = ParseOrNull(r.body);
        if (!body.is_object() || !body.contains("data")) return false;
        loaded = json::array();
        for (const json& group : Items(Field(Field(body, "data"), "groups"))) {
          for (const json& rule : Items(Field(group, "rules"))) loaded.push_back(rule);
        }
        return !loaded.empty() && std::all_of(loaded.begin(), loaded.end(), [](const json& rule) {
          return Text(Field(rule, "health")) != "unknown";
        });
      },
      kStepTimeout, 250ms);
  ASSERT_TRUE(evaluated) << "Prometheus did not load and evaluate the rules";
  std::set<std::string> names;
  for (const json& rule : loaded) {
    const std::string name = Text(Field(rule, "name"));
    names.insert(name);
    EXPECT_EQ(Text(Field(rule, "health")), "ok") << name << ": " << Text(Field(rule, "lastError"));
  }
  EXPECT_EQ(names, expected);
}

}  // namespace
}  // namespace rh::test::fleet

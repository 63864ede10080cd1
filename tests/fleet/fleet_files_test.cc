// The shipped fleet files against the metric contract and against each other: every metric the
// dashboards and alert rules name is in docs/metrics.md, every query parses in promtool, every
// alert has its labels, annotations, runbook section and unit test, and the stack configurations
// still run once their marked values are replaced.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/fleet/dashboard_queries.h"
#include "tests/fleet/stack_config.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::test::fleet {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using Contract = std::map<std::string, std::string, std::less<>>;

const std::filesystem::path kRoot = RH_SOURCE_DIR;
constexpr std::string_view kRunbookBase =
    "https://github.com/rogue-hunter/rogue-hunter/blob/main/docs/runbooks.md#";

std::string Read(const std::filesystem::path& relative) { return ReadFileOrFail(kRoot / relative); }

const Contract& TheContract() {
  static const Contract contract = [] {
    Result<Contract> parsed = ParseMetricsContract(Read("docs/metrics.md"));
    EXPECT_TRUE(parsed.ok()) << parsed.error().message;
    return parsed.ok() ? *parsed : Contract{};
  }();
  return contract;
}

// What a dashboard's variables stand for when its queries are run or parsed outside Grafana.
const Variables& TypicalVariables() {
  static const Variables values = {
      {"datasource", "prometheus"}, {"job", ".+"},
      {"instance", "host-a:9795"},  {"__range", "1h"},
      {"__interval", "1m"},         {"__rate_interval", "1m"},
  };
  return values;
}

std::vector<std::filesystem::path> RuleFiles() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(kRoot / "alerts")) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 10 && name.substr(name.size() - 10) == ".rules.yml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<Rule> AllRules() {
  std::vector<Rule> all;
  for (const std::filesystem::path& file : RuleFiles()) {
    Result<std::vector<Rule>> rules = ParseRules(ReadFileOrFail(file));
    EXPECT_TRUE(rules.ok()) << file << ": " << rules.error().message;
    if (rules.ok()) all.insert(all.end(), rules->begin(), rules->end());
  }
  return all;
}

std::string AllRuleTests() {
  std::string text;
  for (const auto& entry : std::filesystem::directory_iterator(kRoot / "alerts/tests")) {
    if (entry.path().extension() == ".yml") text += ReadFileOrFail(entry.path());
  }
  return text;
}

// Runs promtool's parser over expressions by making each one a recording rule.
void ExpectPromtoolParses(const std::vector<std::pair<std::string, std::string>>& exprs) {
  std::string rules = "groups:\n  - name: parsed-by-test\n    rules:\n";
  for (size_t i = 0; i < exprs.size(); ++i) {
    rules += "      - record: rh_query_" + std::to_string(i) + "\n        expr: |\n";
    std::string_view expr = exprs[i].second;
    size_t start = 0;
    while (start <= expr.size()) {
      size_t end = expr.find('\n', start);
      if (end == std::string_view::npos) end = expr.size();
      rules += "          " + std::string(expr.substr(start, end - start)) + "\n";
      start = end + 1;
    }
  }
  TempDir dir;
  std::filesystem::path file = dir.Write("queries.rules.yml", rules);
  RunResult result = Run({RH_PROMTOOL, "check", "rules", file.string()});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  // Name the queries promtool refused ("rh_query_N" in its messages).
  const std::string messages = result.out + result.err;
  for (size_t i = 0; i < exprs.size(); ++i) {
    if (messages.find("\"rh_query_" + std::to_string(i) + "\"") != std::string::npos) {
      ADD_FAILURE() << exprs[i].first << " does not parse: " << exprs[i].second;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Dashboards

class Dashboard : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    text_ = Read(std::filesystem::path("dashboards/grafana") / GetParam());
    model_ = json::parse(text_, nullptr, false);
    ASSERT_FALSE(model_.is_discarded()) << GetParam() << " is not valid JSON";
    Result<std::vector<DashboardQuery>> queries = ExtractDashboardQueries(text_);
    ASSERT_TRUE(queries.ok()) << queries.error().message;
    queries_ = *queries;
  }

  // Every panel but rows, rows' nested panels included.
  std::vector<json> Panels() const {
    std::vector<json> out;
    std::vector<json> stack(model_["panels"].begin(), model_["panels"].end());
    while (!stack.empty()) {
      json panel = stack.back();
      stack.pop_back();
      if (panel.contains("panels")) {
        for (const json& nested : panel["panels"]) stack.push_back(nested);
      }
      if (panel.value("type", "") != "row") out.push_back(panel);
    }
    return out;
  }

  const json* Variable(std::string_view name) const {
    for (const json& v : model_["templating"]["list"]) {
      if (v.value("name", "") == name) return &v;
    }
    return nullptr;
  }

  std::string text_;
  json model_;
  std::vector<DashboardQuery> queries_;
};

TEST_P(Dashboard, IsAGrafana10Model) {
  EXPECT_GE(model_.value("schemaVersion", 0), 36);
  EXPECT_LE(model_.value("schemaVersion", 0), 39);
  EXPECT_FALSE(model_.value("uid", "").empty());
  EXPECT_FALSE(model_.value("title", "").empty());
  EXPECT_TRUE(model_["id"].is_null()) << "a provisioned dashboard must not carry a database id";
  std::set<int> ids;
  for (const json& panel : model_["panels"]) {
    ASSERT_TRUE(panel.contains("id") && panel["id"].is_number_integer()) << panel.dump();
    EXPECT_TRUE(ids.insert(panel["id"].get<int>()).second) << "duplicate id " << panel["id"];
    EXPECT_TRUE(panel.contains("gridPos")) << panel.value("title", "");
  }
  EXPECT_GT(queries_.size(), 10u);
}

TEST_P(Dashboard, NamesOnlyDocumentedMetrics) {
  ASSERT_FALSE(TheContract().empty());
  for (const DashboardQuery& query : queries_) {
    for (const std::string& name : RogueHunterMetricNames(query.expr)) {
      EXPECT_TRUE(TheContract().count(MetricFamily(name, TheContract())))
          << query.location << " names " << name << ", which docs/metrics.md does not list";
    }
  }
}

TEST_P(Dashboard, EveryQueryReadsAMetricOfOurs) {
  for (const DashboardQuery& query : queries_) {
    bool reads_ours =
        !RogueHunterMetricNames(query.expr).empty() || query.expr.find("up{") != std::string::npos;
    EXPECT_TRUE(reads_ours) << query.location << ": " << query.expr;
  }
}

TEST_P(Dashboard, PromtoolParsesEveryQuery) {
  std::vector<std::pair<std::string, std::string>> exprs;
  for (const DashboardQuery& query : queries_) {
    std::string expanded = ExpandVariables(query.expr, TypicalVariables());
    EXPECT_TRUE(VariablesIn(expanded).empty())
        << query.location << " uses a variable this test does not know: " << expanded;
    exprs.emplace_back(query.location, expanded);
  }
  ExpectPromtoolParses(exprs);
}

TEST_P(Dashboard, DatasourceIsTemplated) {
  const json* ds = Variable("datasource");
  ASSERT_NE(ds, nullptr) << "no datasource variable";
  EXPECT_EQ((*ds)["type"], "datasource");
  EXPECT_EQ((*ds)["query"], "prometheus");
  const json templated = {{"type", "prometheus"}, {"uid", "${datasource}"}};
  for (const json& panel : Panels()) {
    const std::string title = panel.value("title", "");
    EXPECT_EQ(panel.value("datasource", json()), templated) << title;
    for (const json& target : panel.value("targets", json::array())) {
      EXPECT_EQ(target.value("datasource", json()), templated) << title;
    }
  }
  for (const json& v : model_["templating"]["list"]) {
    if (v["type"] == "query") {
      EXPECT_EQ(v["datasource"], templated) << v["name"];
    }
  }
  for (const json& a : model_["annotations"]["list"]) {
    if (!a.contains("builtIn")) {
      EXPECT_EQ(a["datasource"], templated) << a["name"];
    }
  }
}

TEST_P(Dashboard, HasJobAndInstanceVariables) {
  const json* job = Variable("job");
  const json* instance = Variable("instance");
  ASSERT_NE(job, nullptr);
  ASSERT_NE(instance, nullptr);
  EXPECT_EQ((*job)["query"], "label_values(rogue_hunter_build_info, job)");
  EXPECT_EQ((*instance)["query"], "label_values(rogue_hunter_build_info{job=~\"$job\"}, instance)");
  // Every panel query is scoped to the selected job and host(s).
  for (const DashboardQuery& query : queries_) {
    if (query.source == QuerySource::kVariable) continue;
    EXPECT_THAT(query.expr, HasSubstr("job=~\"$job\"")) << query.location;
    EXPECT_THAT(query.expr, HasSubstr("$instance\"")) << query.location;
  }
}

TEST_P(Dashboard, EveryPanelHasADescriptionUnitAndThresholds) {
  for (const json& panel : Panels()) {
    const std::string title = panel.value("title", "");
    EXPECT_FALSE(title.empty());
    EXPECT_GE(panel.value("description", "").size(), 20u) << title << ": no description";
    const json& defaults = panel["fieldConfig"]["defaults"];
    EXPECT_FALSE(defaults.value("unit", "").empty()) << title << ": no unit";
    EXPECT_FALSE(defaults["thresholds"]["steps"].empty()) << title << ": no thresholds";
    EXPECT_FALSE(panel.value("targets", json::array()).empty()) << title << ": no query";
  }
}

TEST_P(Dashboard, PausesAnnotateEveryTimePanel) {
  bool found = false;
  for (const json& a : model_["annotations"]["list"]) {
    std::string expr = a.value("expr", "");
    if (expr.find("rogue_hunter_last_pause_timestamp_seconds") == std::string::npos &&
        expr.find("rogue_hunter_pauses_total") == std::string::npos) {
      continue;
    }
    found = true;
    EXPECT_TRUE(a.value("enable", false));
    EXPECT_FALSE(a.value("hide", true));
    // A filter would limit the annotation to some panels.
    EXPECT_FALSE(a.contains("filter")) << "the pause annotation must show on every panel";
  }
  EXPECT_TRUE(found) << "no pause annotation";
}

TEST_P(Dashboard, RangeCountersUseIncreaseOrRate) {
  // A counter is never plotted raw: it restarts at 0 with the daemon.
  for (const DashboardQuery& query : queries_) {
    for (const std::string& name : RogueHunterMetricNames(query.expr)) {
      const std::string family = MetricFamily(name, TheContract());
      auto it = TheContract().find(family);
      if (it == TheContract().end()) continue;
      if (it->second != "counter" && it->second != "histogram") continue;
      if (query.source == QuerySource::kVariable) continue;
      std::string::size_type at = query.expr.find(name);
      std::string before = query.expr.substr(0, at);
      bool wrapped = before.rfind("rate(") != std::string::npos ||
                     before.rfind("increase(") != std::string::npos;
      EXPECT_TRUE(wrapped) << query.location << " uses counter " << name << " raw";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Grafana, Dashboard,
                         ::testing::Values("fleet-overview.json", "host-detail.json"),
                         [](const ::testing::TestParamInfo<const char*>& param_info) {
                           std::string name = param_info.param;
                           name = name.substr(0, name.find('.'));
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// What issue 5 asks each dashboard to show, by the metric and panel type that shows it.
bool HasPanel(const std::vector<DashboardQuery>& queries, std::string_view type,
              std::string_view expr_part, std::string_view format = "") {
  return std::any_of(queries.begin(), queries.end(), [&](const DashboardQuery& q) {
    return q.panel_type == type && q.expr.find(expr_part) != std::string::npos &&
           (format.empty() || q.format == format);
  });
}

TEST(FleetOverview, ShowsWhatTheFleetViewNeeds) {
  auto queries = ExtractDashboardQueries(Read("dashboards/grafana/fleet-overview.json"));
  ASSERT_TRUE(queries.ok());
  EXPECT_TRUE(HasPanel(*queries, "bargauge",
                       "topk(20, sum by (instance) (increase("
                       "rogue_hunter_pauses_total"));
  EXPECT_TRUE(HasPanel(*queries, "bargauge", "rogue_hunter_stress_score"));
  EXPECT_TRUE(HasPanel(*queries, "timeseries", "increase(rogue_hunter_pauses_total"));
  EXPECT_TRUE(HasPanel(*queries, "state-timeline", "rogue_hunter_stress_score"));
  EXPECT_TRUE(HasPanel(*queries, "table", "rogue_hunter_sampling_state", "table"));
  EXPECT_TRUE(HasPanel(*queries, "table", "result=\"failed\"", "table"));
}

TEST(HostDetail, ShowsWhatTheHostViewNeeds) {
  auto queries = ExtractDashboardQueries(Read("dashboards/grafana/host-detail.json"));
  ASSERT_TRUE(queries.ok());
  EXPECT_TRUE(HasPanel(*queries, "timeseries", "rogue_hunter_stress_score"));
  EXPECT_TRUE(HasPanel(*queries, "timeseries", "rogue_hunter_stress_component"));
  EXPECT_TRUE(HasPanel(*queries, "timeseries", "rogue_hunter_load_per_core"));
  EXPECT_TRUE(HasPanel(*queries, "timeseries", "kind=\"some\""));
  EXPECT_TRUE(HasPanel(*queries, "timeseries", "kind=\"full\""));
  EXPECT_TRUE(HasPanel(*queries, "timeseries", "rogue_hunter_memory_available_bytes"));
  EXPECT_TRUE(HasPanel(*queries, "timeseries", "rogue_hunter_swap_free_bytes"));
  EXPECT_TRUE(HasPanel(*queries, "timeseries", "rogue_hunter_thermal_zone_celsius"));
  EXPECT_TRUE(HasPanel(*queries, "heatmap", "rate(rogue_hunter_hiccup_seconds_bucket", "heatmap"));
  EXPECT_TRUE(HasPanel(*queries, "table", "rogue_hunter_top_process_cpu_ratio", "table"));
  EXPECT_TRUE(HasPanel(*queries, "table", "rogue_hunter_top_process_resident_bytes", "table"));
  EXPECT_TRUE(HasPanel(*queries, "bargauge", "rogue_hunter_forensics_captures_total"));
  // The stacked components panel stacks.
  json model = json::parse(Read("dashboards/grafana/host-detail.json"));
  bool stacked = false;
  for (const json& panel : model["panels"]) {
    if (panel.value("title", "") == "Stress components") {
      stacked = panel["fieldConfig"]["defaults"]["custom"]["stacking"]["mode"] == "normal";
    }
  }
  EXPECT_TRUE(stacked);
}

TEST(GrafanaProvisioning, PointsAtTheComposeServicesAndFiles) {
  std::string datasource = Read("dashboards/grafana/provisioning/datasources/prometheus.yml");
  EXPECT_THAT(datasource, HasSubstr("type: prometheus"));
  EXPECT_THAT(datasource, HasSubstr("url: http://prometheus:9090"));
  std::string provider = Read("dashboards/grafana/provisioning/dashboards/rogue-hunter.yml");
  EXPECT_THAT(provider, HasSubstr("type: file"));
  EXPECT_THAT(provider, HasSubstr("path: /etc/grafana/dashboards/rogue-hunter"));
  std::string compose = Read("docker-compose.yml");
  EXPECT_THAT(compose, HasSubstr("./dashboards/grafana:/etc/grafana/dashboards/rogue-hunter:ro"));
}

// ---------------------------------------------------------------------------------------------
// Alert rules

TEST(AlertRules, NameOnlyDocumentedMetrics) {
  std::vector<Rule> rules = AllRules();
  ASSERT_FALSE(rules.empty());
  for (const Rule& rule : rules) {
    for (const std::string& name : RogueHunterMetricNames(rule.expr)) {
      EXPECT_TRUE(TheContract().count(MetricFamily(name, TheContract())))
          << rule.alert << rule.record << " (line " << rule.line << ") names " << name
          << ", which docs/metrics.md does not list";
    }
  }
}

TEST(AlertRules, PromtoolParsesEveryExpression) {
  std::vector<std::pair<std::string, std::string>> exprs;
  for (const Rule& rule : AllRules()) exprs.emplace_back(rule.alert + rule.record, rule.expr);
  ExpectPromtoolParses(exprs);
}

TEST(AlertRules, CoverWhatIssue5Asks) {
  std::set<std::string> names;
  for (const Rule& rule : AllRules()) names.insert(rule.alert);
  for (const char* required :
       {"RogueHunterPauseDetected", "RogueHunterLongPause", "RogueHunterRepeatedPauses",
        "RogueHunterStressCritical", "RogueHunterMemoryFullPressure", "RogueHunterIOFullPressure",
        "RogueHunterForensicsCaptureFailing", "RogueHunterStorageFailing",
        "RogueHunterExporterDown", "RogueHunterExporterAbsent"}) {
    EXPECT_TRUE(names.count(required)) << "missing alert " << required;
  }
}

TEST(AlertRules, EveryAlertSaysWhereWhatAndWhatToDo) {
  const std::set<std::string> severities = {"critical", "warning", "info"};
  const std::vector<std::string> anchors = MarkdownAnchors(Read("docs/runbooks.md"));
  for (const Rule& rule : AllRules()) {
    if (rule.alert.empty()) continue;
    SCOPED_TRACE(rule.alert);
    EXPECT_TRUE(severities.count(rule.labels.count("severity") ? rule.labels.at("severity") : ""));
    EXPECT_TRUE(rule.labels.count("category"));
    ASSERT_TRUE(rule.annotations.count("summary"));
    ASSERT_TRUE(rule.annotations.count("description"));
    ASSERT_TRUE(rule.annotations.count("runbook_url"));
    // absent() has no instance to name: the job is all there is.
    const bool has_instance = rule.expr.find("absent(") == std::string::npos;
    const std::string& description = rule.annotations.at("description");
    if (has_instance) {
      EXPECT_THAT(rule.annotations.at("summary"), HasSubstr("{{ $labels.instance }}"));
      EXPECT_THAT(description, HasSubstr("{{ $labels.instance }}"));
    } else {
      EXPECT_THAT(description, HasSubstr("{{ $labels.job }}"));
    }
    EXPECT_THAT(description, HasSubstr("$value"));

    const std::string& url = rule.annotations.at("runbook_url");
    ASSERT_EQ(url.substr(0, kRunbookBase.size()), kRunbookBase) << url;
    const std::string anchor = url.substr(kRunbookBase.size());
    EXPECT_EQ(anchor, GithubAnchor(rule.alert));
    EXPECT_NE(std::find(anchors.begin(), anchors.end(), anchor), anchors.end())
        << "docs/runbooks.md has no section #" << anchor;
  }
}

TEST(AlertRules, EveryAlertIsUnitTestedFiringAndNot) {
  const std::string tests = AllRuleTests();
  for (const Rule& rule : AllRules()) {
    if (rule.alert.empty()) continue;
    // Expectations name the alert; only a firing expectation carries its runbook URL.
    EXPECT_THAT(tests, HasSubstr("alertname: " + rule.alert + "\n")) << rule.alert;
    EXPECT_THAT(tests,
                HasSubstr(rule.annotations.count("runbook_url") ? rule.annotations.at("runbook_url")
                                                                : std::string("<no runbook_url>")))
        << rule.alert << " is never expected to fire";
    EXPECT_THAT(tests, HasSubstr("alertname: " + rule.alert + "\n        exp_alerts: []"))
        << rule.alert << " is never expected to stay quiet";
  }
}

TEST(AlertRules, PauseAlertsHaveTheirOwnRoute) {
  int pause_alerts = 0;
  for (const Rule& rule : AllRules()) {
    if (rule.labels.count("category") && rule.labels.at("category") == "pause") ++pause_alerts;
  }
  EXPECT_GE(pause_alerts, 3);
  std::string alertmanager = Read("alerts/alertmanager.yml");
  EXPECT_THAT(alertmanager, HasSubstr("- category=\"pause\""));
  EXPECT_THAT(alertmanager, HasSubstr("group_by: [instance]"));
}

// ---------------------------------------------------------------------------------------------
// The stack configurations, as the real-stack integration test will write them

TEST(StackConfig, PrometheusConfigRunsWithLoopbackValues) {
  TempDir dir;
  PrometheusSettings settings;
  settings.interval = "1s";
  settings.alertmanager = "127.0.0.1:19093";
  settings.targets = {"127.0.0.1:19795"};
  Result<std::filesystem::path> config = WritePrometheusConfig(dir.path(), kRoot, settings);
  ASSERT_TRUE(config.ok()) << config.error().message;
  RunResult result = rh::test::Run({RH_PROMTOOL, "check", "config", config->string()});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  // The relative rule path resolved through the linked alerts/ directory.
  EXPECT_THAT(result.out, HasSubstr("rogue-hunter.rules.yml"));
  EXPECT_THAT(result.out, HasSubstr("SUCCESS: 1 rule files found"));
  std::string text = ReadFileOrFail(*config);
  EXPECT_THAT(text, HasSubstr("scrape_interval: 1s"));
  EXPECT_THAT(text, HasSubstr("evaluation_interval: 1s"));
  EXPECT_THAT(text, HasSubstr("['127.0.0.1:19093']"));
  EXPECT_THAT(text, HasSubstr("['127.0.0.1:19795']"));
  EXPECT_THAT(text, HasSubstr("job_name: rogue-hunter"));
}

TEST(StackConfig, AlertmanagerConfigRoutesPausesToTheTestWebhook) {
  TempDir dir;
  const std::string url = "http://127.0.0.1:19099/hook";
  Result<std::filesystem::path> config = WriteAlertmanagerConfig(dir.path(), kRoot, url);
  ASSERT_TRUE(config.ok()) << config.error().message;
  RunResult check = rh::test::Run({RH_AMTOOL, "check-config", config->string()});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_THAT(ReadFileOrFail(*config), HasSubstr("url: &webhook_url " + url + "\n"));
  RunResult route =
      rh::test::Run({RH_AMTOOL, "config", "routes", "test", "--config.file=" + config->string(),
                     "--verify.receivers=rogue-hunter-pauses", "alertname=RogueHunterPauseDetected",
                     "category=pause", "instance=host-a:9795"});
  EXPECT_EQ(route.exit_code, 0) << route.out << route.err;
}

}  // namespace
}  // namespace rh::test::fleet

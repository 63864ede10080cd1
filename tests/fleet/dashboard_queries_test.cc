#include "tests/fleet/dashboard_queries.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/fleet/stack_config.h"

namespace rh::test::fleet {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kDashboard = R"json({
  "annotations": {"list": [
    {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "name": "A&A"},
    {"name": "Pauses", "expr": "rogue_hunter_last_pause_timestamp_seconds * 1000"},
    {"name": "New style", "target": {"expr": "changes(rogue_hunter_pauses_total[1m]) > 0"}}
  ]},
  "panels": [
    {"id": 1, "type": "stat", "title": "Now", "targets": [
      {"refId": "A", "expr": "rogue_hunter_stress_score", "instant": true, "range": false},
      {"refId": "B", "expr": "  "}
    ]},
    {"id": 2, "type": "row", "title": "Collapsed", "collapsed": true, "panels": [
      {"id": 3, "type": "heatmap", "title": "Hiccups", "targets": [
        {"refId": "A", "expr": "sum by (le) (rate(rogue_hunter_hiccup_seconds_bucket[1m]))",
         "format": "heatmap"}
      ]}
    ]},
    {"id": 4, "type": "text", "title": "No targets"}
  ],
  "templating": {"list": [
    {"name": "datasource", "type": "datasource", "query": "prometheus"},
    {"name": "instance", "type": "query",
     "query": "label_values(rogue_hunter_build_info{job=~\"a,b\"}, instance)"},
    {"name": "job", "type": "query",
     "query": {"query": "label_values(job)", "refId": "PrometheusVariableQueryEditor"}},
    {"name": "top", "type": "query", "query": "query_result(topk(3, rogue_hunter_stress_score))"}
  ]}
})json";

TEST(ExtractDashboardQueries, FindsTargetsAnnotationsAndVariables) {
  Result<std::vector<DashboardQuery>> queries = ExtractDashboardQueries(kDashboard);
  ASSERT_TRUE(queries.ok()) << queries.error().message;
  std::vector<std::string> exprs;
  for (const DashboardQuery& q : *queries) exprs.push_back(q.expr);
  EXPECT_THAT(exprs, ElementsAre("rogue_hunter_stress_score",
                                 "sum by (le) (rate(rogue_hunter_hiccup_seconds_bucket[1m]))",
                                 "rogue_hunter_last_pause_timestamp_seconds * 1000",
                                 "changes(rogue_hunter_pauses_total[1m]) > 0",
                                 "rogue_hunter_build_info{job=~\"a,b\"}",
                                 "topk(3, rogue_hunter_stress_score)"));
  const std::vector<DashboardQuery>& q = *queries;
  EXPECT_EQ(q[0].location, "panel 1 \"Now\" target A");
  EXPECT_TRUE(q[0].instant);
  EXPECT_EQ(q[0].panel_type, "stat");
  EXPECT_EQ(q[1].source, QuerySource::kPanel);
  EXPECT_FALSE(q[1].instant);
  EXPECT_EQ(q[1].format, "heatmap");
  EXPECT_EQ(q[1].panel_type, "heatmap");
  EXPECT_EQ(q[2].source, QuerySource::kAnnotation);
  EXPECT_EQ(q[2].location, "annotation \"Pauses\"");
  EXPECT_EQ(q[4].source, QuerySource::kVariable);
  EXPECT_EQ(q[4].location, "variable \"instance\"");
  EXPECT_TRUE(q[4].instant);
}

TEST(ExtractDashboardQueries, RejectsWhatIsNotADashboard) {
  Result<std::vector<DashboardQuery>> garbage = ExtractDashboardQueries("{\"panels\": [");
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(garbage.error().message, HasSubstr("not valid JSON"));
  Result<std::vector<DashboardQuery>> no_panels = ExtractDashboardQueries("{\"title\": \"x\"}");
  ASSERT_FALSE(no_panels.ok());
  EXPECT_THAT(no_panels.error().message, HasSubstr("panels"));
  EXPECT_FALSE(ExtractDashboardQueries("[]").ok());
}

TEST(ExpandVariables, ReplacesEveryGrafanaSyntax) {
  Variables values = {{"instance", "host-a:9795"}, {"job", ".+"}, {"__range", "1h"}};
  EXPECT_EQ(ExpandVariables(R"(x{job=~"$job", instance="${instance}"}[$__range])", values),
            R"(x{job=~".+", instance="host-a:9795"}[1h])");
  EXPECT_EQ(ExpandVariables("${instance:regex} [[instance]] [[job:pipe]]", values),
            "host-a:9795 host-a:9795 .+");
}

TEST(ExpandVariables, TakesTheWholeWordAsTheName) {
  Variables values = {{"__range", "1h"}};
  EXPECT_EQ(ExpandVariables("$__range_s $__range", values), "$__range_s 1h");
  EXPECT_THAT(VariablesIn("a[$__rate_interval] / ${x:csv} + [[y]] + $__range_s"),
              ElementsAre("__rate_interval", "x", "y", "__range_s"));
  EXPECT_TRUE(VariablesIn("sum(rate(x[5m])) by (le)").empty());
  EXPECT_EQ(ExpandVariables("no $ here {", values), "no $ here {");
}

TEST(RogueHunterMetricNames, FindsEachNameOnce) {
  EXPECT_THAT(RogueHunterMetricNames(
                  "rate(rogue_hunter_hiccup_seconds_sum[1m]) / rate(rogue_hunter_hiccup_seconds_"
                  "count[1m]) + on() rogue_hunter_hiccup_seconds_sum + xrogue_hunter_not + up"),
              ElementsAre("rogue_hunter_hiccup_seconds_sum", "rogue_hunter_hiccup_seconds_count"));
  EXPECT_THAT(RogueHunterMetricNames("rogue_hunter_pauses_total"),
              ElementsAre("rogue_hunter_pauses_total"));
  EXPECT_TRUE(RogueHunterMetricNames("up{job=\"rogue-hunter\"} == 0").empty());
}

TEST(ParseMetricsContract, ReadsNameAndTypeFromTableRows) {
  auto contract = ParseMetricsContract(
      "# Metrics\n"
      "| metric | type | labels |\n"
      "|---|---|---|\n"
      "| `rogue_hunter_pauses_total` | counter | – |\n"
      "| `rogue_hunter_pause_duration_seconds` | histogram | – |\n"
      "  | `rogue_hunter_stress_score` | gauge | – |\n"
      "Text mentioning `rogue_hunter_not_a_row` inline.\n");
  ASSERT_TRUE(contract.ok()) << contract.error().message;
  EXPECT_EQ(contract->size(), 3u);
  EXPECT_EQ(contract->at("rogue_hunter_pauses_total"), "counter");
  EXPECT_EQ(contract->at("rogue_hunter_stress_score"), "gauge");

  EXPECT_EQ(MetricFamily("rogue_hunter_pause_duration_seconds_bucket", *contract),
            "rogue_hunter_pause_duration_seconds");
  EXPECT_EQ(MetricFamily("rogue_hunter_pause_duration_seconds_count", *contract),
            "rogue_hunter_pause_duration_seconds");
  // Only histograms have sample suffixes; a counter's "_count" would be a name of its own.
  EXPECT_EQ(MetricFamily("rogue_hunter_pauses_total_count", *contract),
            "rogue_hunter_pauses_total_count");
  EXPECT_EQ(MetricFamily("rogue_hunter_stress_score", *contract), "rogue_hunter_stress_score");

  EXPECT_FALSE(ParseMetricsContract("# nothing here\n").ok());
}

TEST(ParseRules, ReadsAlertsWithEveryScalarStyle) {
  constexpr std::string_view kRules = R"yaml(groups:
  - name: g
    rules:
      # A comment between rules.
      - alert: Folded
        expr: |
          a
            and on (x)
          b > 0
        for: 5m
        labels:
          severity: warning
          category: "pause"
        annotations:
          summary: "{{ $labels.instance }} said \"hi\""
          description: >-
            first line
            second line
          runbook_url: https://example.com/runbooks.md#folded
      - record: job:x:rate1m
        expr: sum(rate(x[1m]))  # trailing comment
      - alert: 'Quoted'
        expr: up == 0
        labels: {}
  - name: h
    rules:
      - alert: Last
        expr: >
          absent(up)
)yaml";
  Result<std::vector<Rule>> rules = ParseRules(kRules);
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  ASSERT_EQ(rules->size(), 4u);
  const Rule& folded = (*rules)[0];
  EXPECT_EQ(folded.alert, "Folded");
  EXPECT_EQ(folded.line, 5);
  EXPECT_EQ(folded.expr, "a\n  and on (x)\nb > 0");
  EXPECT_EQ(folded.for_duration, "5m");
  EXPECT_EQ(folded.labels.at("severity"), "warning");
  EXPECT_EQ(folded.labels.at("category"), "pause");
  EXPECT_EQ(folded.annotations.at("summary"), "{{ $labels.instance }} said \"hi\"");
  EXPECT_EQ(folded.annotations.at("description"), "first line second line");
  EXPECT_EQ(folded.annotations.at("runbook_url"), "https://example.com/runbooks.md#folded");
  EXPECT_EQ((*rules)[1].record, "job:x:rate1m");
  EXPECT_EQ((*rules)[1].expr, "sum(rate(x[1m]))");
  EXPECT_EQ((*rules)[2].alert, "Quoted");
  EXPECT_EQ((*rules)[2].expr, "up == 0");
  EXPECT_EQ((*rules)[3].alert, "Last");
  EXPECT_EQ((*rules)[3].expr, "absent(up)");
}

TEST(ParseRules, NamesTheLineOfARuleWithoutExpr) {
  Result<std::vector<Rule>> rules = ParseRules(
      "groups:\n  - name: g\n    rules:\n"
      "      - alert: NoExpr\n        for: 1m\n");
  ASSERT_FALSE(rules.ok());
  EXPECT_THAT(rules.error().message, HasSubstr("line 4"));
}

TEST(MarkdownAnchors, FollowsGithubSlugs) {
  EXPECT_EQ(GithubAnchor("RogueHunterPauseDetected"), "roguehunterpausedetected");
  EXPECT_EQ(GithubAnchor("What to look at: `rh-forensics` (v2)"),
            "what-to-look-at-rh-forensics-v2");
  EXPECT_THAT(MarkdownAnchors("# Runbooks\n"
                              "```\n# not a heading\n```\n"
                              "## Pause detected ##\n"
                              "text\n"
                              "### Steps\n"
                              "## Other\n"
                              "### Steps\n"
                              "#not a heading\n"),
              ElementsAre("runbooks", "pause-detected", "steps", "other", "steps-1"));
}

TEST(StackConfig, SubstitutesOnlyTheMarkedValues) {
  constexpr std::string_view kConfig =
      "global:\n"
      "  scrape_interval: 15s  # SUBSTITUTE: interval (tests use 1s)\n"
      "  evaluation_interval: 15s  # SUBSTITUTE: interval\n"
      "  scrape_timeout: 10s\n"
      "alerting:\n"
      "  alertmanagers:\n"
      "    - static_configs:\n"
      "        - targets: ['alertmanager:9093']  # SUBSTITUTE: Alertmanager address\n"
      "scrape_configs:\n"
      "  - job_name: rogue-hunter\n"
      "    static_configs:\n"
      "      - targets: ['rogue-hunter:9795']  # SUBSTITUTE: rogue-hunter address(es)\n";
  PrometheusSettings settings;
  settings.interval = "1s";
  settings.alertmanager = "127.0.0.1:19093";
  settings.targets = {"127.0.0.1:19795", "127.0.0.1:19796"};
  Result<std::string> out = SubstitutePrometheusConfig(kConfig, settings);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(*out,
            "global:\n"
            "  scrape_interval: 1s  # SUBSTITUTE: interval (tests use 1s)\n"
            "  evaluation_interval: 1s  # SUBSTITUTE: interval\n"
            "  scrape_timeout: 10s\n"
            "alerting:\n"
            "  alertmanagers:\n"
            "    - static_configs:\n"
            "        - targets: ['127.0.0.1:19093']  # SUBSTITUTE: Alertmanager address\n"
            "scrape_configs:\n"
            "  - job_name: rogue-hunter\n"
            "    static_configs:\n"
            "      - targets: ['127.0.0.1:19795', '127.0.0.1:19796']  # SUBSTITUTE: rogue-hunter "
            "address(es)\n");
}

TEST(StackConfig, RefusesAFileWhoseMarkersMoved) {
  PrometheusSettings settings;
  settings.alertmanager = "127.0.0.1:1";
  settings.targets = {"127.0.0.1:2"};
  Result<std::string> out = SubstitutePrometheusConfig(
      "global:\n  scrape_interval: 15s  # SUBSTITUTE: interval\n", settings);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.error().message, HasSubstr("interval"));

  Result<std::string> webhook = SubstituteAlertmanagerWebhook(
      "receivers:\n  - name: a\n    webhook_configs:\n      - url: &webhook_url http://x/y\n"
      "        send_resolved: true\n",
      "http://127.0.0.1:5/hook");
  ASSERT_TRUE(webhook.ok()) << webhook.error().message;
  EXPECT_THAT(*webhook, HasSubstr("      - url: &webhook_url http://127.0.0.1:5/hook\n"));
  EXPECT_FALSE(SubstituteAlertmanagerWebhook("receivers: []\n", "http://x").ok());
}

}  // namespace
}  // namespace rh::test::fleet

#pragma once

// The PromQL that the fleet files run, pulled out so tests can check it: against the metric
// contract (docs/metrics.md), through promtool's parser, and against a real Prometheus that
// scrapes a real daemon. Parsing is deliberately loose where the formats are ours (the rule files,
// the contract's tables) and exact where they are someone else's (Grafana's JSON model).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace rh::test::fleet {

/// Where a dashboard query comes from.
enum class QuerySource { kPanel, kAnnotation, kVariable };

/// One PromQL expression of a dashboard, as written (Grafana variables unexpanded).
struct DashboardQuery {
  QuerySource source = QuerySource::kPanel;
  std::string location;  ///< For messages: `panel 12 "Stress score" target A`.
  std::string expr;
  bool instant = false;    ///< An instant query (stat, table, bar gauge, variable).
  std::string format;      ///< "time_series", "table" or "heatmap".
  std::string panel_type;  ///< Grafana panel type ("timeseries", "heatmap", ...); "" otherwise.
};

/// Every PromQL expression of a Grafana dashboard JSON model: panel targets (also inside
/// collapsed rows), Prometheus annotation queries (`expr` or `target.expr`) and query variables.
/// A variable `label_values(SELECTOR, label)` yields SELECTOR and `query_result(EXPR)` yields
/// EXPR; `label_values(label)` has no expression and is skipped. Targets that are empty are
/// skipped; hidden ones are kept. The error names what is malformed.
Result<std::vector<DashboardQuery>> ExtractDashboardQueries(std::string_view dashboard_json);

/// Values of Grafana variables by name, without the `$`: "instance", "__range", ...
using Variables = std::map<std::string, std::string, std::less<>>;

/// Replaces `$name`, `${name}`, `${name:format}` and `[[name]]` by `values[name]`. As in Grafana,
/// `$name` takes the whole word (`$__range_s` is the variable `__range_s`, not `$__range` + "_s").
/// Unknown names are left as they are.
std::string ExpandVariables(std::string_view expr, const Variables& values);

/// Names of the Grafana variables an expression still refers to, in order of appearance.
std::vector<std::string> VariablesIn(std::string_view expr);

/// The `rogue_hunter_*` metric names an expression mentions, as written (a histogram's
/// `_bucket` suffix included), each once, in order of appearance.
std::vector<std::string> RogueHunterMetricNames(std::string_view expr);

/// Metric name → type ("counter", "gauge", "histogram", ...) from the tables of
/// docs/metrics.md: every row whose first cell is a back-quoted `rogue_hunter_*` name.
Result<std::map<std::string, std::string, std::less<>>> ParseMetricsContract(
    std::string_view markdown);

/// The documented family a sample name belongs to: `x_bucket`, `x_sum` and `x_count` map to `x`
/// when `x` is a documented histogram; any other name maps to itself.
std::string MetricFamily(std::string_view name,
                         const std::map<std::string, std::string, std::less<>>& contract);

/// Metrics whose series are absent on some machines by design (docs/metrics.md: no thermal
/// zones, no throttle counters, no PSI). A query on one of them may rightly return nothing.
bool MayBeAbsentOnSomeHosts(std::string_view metric);

/// One rule of a Prometheus rule file, read loosely: block-style YAML as our rule files write it
/// (plain, quoted, folded `>` / `>-` and literal `|` scalars).
struct Rule {
  std::string alert;   ///< Alert name; empty for a recording rule.
  std::string record;  ///< Recorded name; empty for an alert.
  std::string expr;
  std::string for_duration;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  int line = 0;  ///< 1-based line of the rule's `- alert:` / `- record:`.
};

/// Every rule of a rule file. The error names the line of a rule without `expr`.
Result<std::vector<Rule>> ParseRules(std::string_view rules_yaml);

/// The anchor GitHub gives a Markdown heading: lower case, punctuation other than `-` and `_`
/// dropped, spaces turned into `-`.
std::string GithubAnchor(std::string_view heading);

/// The anchors of every `#`..`######` heading of a Markdown document.
std::vector<std::string> MarkdownAnchors(std::string_view markdown);

}  // namespace rh::test::fleet

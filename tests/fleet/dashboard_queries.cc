#include "tests/fleet/dashboard_queries.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

namespace rh::test::fleet {
namespace {

using nlohmann::json;

std::string StringAt(const json& object, const char* key, std::string fallback = "") {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

bool BoolAt(const json& object, const char* key, bool fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  if (it == object.end() || !it->is_boolean()) return fallback;
  return it->get<bool>();
}

std::string IdOf(const json& panel) {
  auto it = panel.find("id");
  if (it != panel.end() && it->is_number_integer()) return std::to_string(it->get<long long>());
  return "?";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

void CollectPanels(const json& panels, std::vector<DashboardQuery>& out) {
  if (!panels.is_array()) return;
  for (const json& panel : panels) {
    if (!panel.is_object()) continue;
    const std::string title = StringAt(panel, "title");
    const std::string type = StringAt(panel, "type");
    auto targets = panel.find("targets");
    if (targets != panel.end() && targets->is_array()) {
      for (const json& target : *targets) {
        std::string expr = StringAt(target, "expr");
        if (Trim(expr).empty()) continue;
        DashboardQuery query;
        query.source = QuerySource::kPanel;
        query.location =
            "panel " + IdOf(panel) + " \"" + title + "\" target " + StringAt(target, "refId", "?");
        query.expr = std::move(expr);
        query.instant = BoolAt(target, "instant", false) && !BoolAt(target, "range", false);
        query.format = StringAt(target, "format", "time_series");
        query.panel_type = type;
        out.push_back(std::move(query));
      }
    }
    auto nested = panel.find("panels");
    if (nested != panel.end()) CollectPanels(*nested, out);
  }
}

// label_values(SELECTOR, label) → SELECTOR; query_result(EXPR) → EXPR; anything else → "".
std::string VariableExpression(std::string_view query) {
  query = Trim(query);
  auto inner_of = [&](std::string_view prefix) -> std::string_view {
    if (query.substr(0, prefix.size()) != prefix || query.back() != ')') return {};
    return query.substr(prefix.size(), query.size() - prefix.size() - 1);
  };
  if (std::string_view inner = inner_of("query_result("); !inner.empty()) {
    return std::string(Trim(inner));
  }
  std::string_view inner = inner_of("label_values(");
  if (inner.empty()) return "";
  // The last comma outside braces, parentheses and quotes separates the label.
  int depth = 0;
  char quote = 0;
  size_t comma = std::string_view::npos;
  for (size_t i = 0; i < inner.size(); ++i) {
    char c = inner[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'' || c == '`') {
      quote = c;
    } else if (c == '{' || c == '(' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ')' || c == ']') {
      --depth;
    } else if (c == ',' && depth == 0) {
      comma = i;
    }
  }
  if (comma == std::string_view::npos) return "";
  return std::string(Trim(inner.substr(0, comma)));
}

// Calls `on(name, begin, end)` for every Grafana variable reference in `expr`.
template <typename F>
void ForEachVariable(std::string_view expr, F&& on) {
  for (size_t i = 0; i < expr.size(); ++i) {
    if (expr[i] == '$' && i + 1 < expr.size()) {
      if (expr[i + 1] == '{') {
        size_t close = expr.find('}', i + 2);
        if (close == std::string_view::npos) continue;
        std::string_view body = expr.substr(i + 2, close - i - 2);
        std::string_view name = body.substr(0, body.find_first_of(":."));
        if (!name.empty() && std::all_of(name.begin(), name.end(), IsWordChar)) {
          on(name, i, close + 1);
          i = close;
        }
      } else if (IsWordChar(expr[i + 1])) {
        size_t end = i + 1;
        while (end < expr.size() && IsWordChar(expr[end])) ++end;
        on(expr.substr(i + 1, end - i - 1), i, end);
        i = end - 1;
      }
    } else if (expr.substr(i, 2) == "[[") {
      size_t close = expr.find("]]", i + 2);
      if (close == std::string_view::npos) continue;
      std::string_view body = expr.substr(i + 2, close - i - 2);
      std::string_view name = body.substr(0, body.find(':'));
      if (!name.empty() && std::all_of(name.begin(), name.end(), IsWordChar)) {
        on(name, i, close + 2);
        i = close + 1;
      }
    }
  }
}

// A plain, single- or double-quoted YAML scalar on one line, without a trailing comment.
std::string InlineScalar(std::string_view text) {
  text = Trim(text);
  if (text.size() >= 2 && text.front() == '"') {
    std::string out;
    for (size_t i = 1; i < text.size(); ++i) {
      char c = text[i];
      if (c == '"') break;
      if (c == '\\' && i + 1 < text.size()) {
        char next = text[++i];
        out += next == 'n' ? '\n' : next == 't' ? '\t' : next;
      } else {
        out += c;
      }
    }
    return out;
  }
  if (text.size() >= 2 && text.front() == '\'') {
    std::string out;
    for (size_t i = 1; i < text.size(); ++i) {
      if (text[i] == '\'') {
        if (i + 1 < text.size() && text[i + 1] == '\'') {
          out += '\'';
          ++i;
          continue;
        }
        break;
      }
      out += text[i];
    }
    return out;
  }
  size_t comment = text.find(" #");
  return std::string(Trim(text.substr(0, comment)));
}

int IndentOf(std::string_view line) {
  int n = 0;
  while (n < static_cast<int>(line.size()) && line[n] == ' ') ++n;
  return n;
}

bool IsBlankOrComment(std::string_view line) {
  std::string_view t = Trim(line);
  return t.empty() || t.front() == '#';
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

// Reads the scalar that starts after "key:" on line `*index` (`rest` is what follows the colon).
// Block scalars continue on the lines indented deeper than `key_indent`; `*index` ends on the
// last line consumed.
std::string ReadScalar(const std::vector<std::string_view>& lines, size_t* index, int key_indent,
                       std::string_view rest) {
  rest = Trim(rest);
  if (rest.empty() || (rest.front() != '|' && rest.front() != '>')) return InlineScalar(rest);
  const bool folded = rest.front() == '>';
  std::vector<std::string_view> body;
  int block_indent = -1;
  size_t i = *index + 1;
  for (; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (Trim(line).empty()) {
      body.push_back("");
      continue;
    }
    int indent = IndentOf(line);
    if (indent <= key_indent) break;
    if (block_indent < 0) block_indent = indent;
    body.push_back(line.substr(std::min<size_t>(block_indent, line.size())));
  }
  while (!body.empty() && body.back().empty()) body.pop_back();
  *index = i - 1;
  std::string out;
  for (size_t k = 0; k < body.size(); ++k) {
    if (k > 0) out += (folded && !body[k].empty() && !body[k - 1].empty()) ? " " : "\n";
    out += body[k];
  }
  return out;
}

// Splits "key: rest" (after indentation); false if the line is not a mapping entry.
bool SplitKey(std::string_view line, std::string_view* key, std::string_view* rest) {
  line = Trim(line);
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  if (colon + 1 < line.size() && line[colon + 1] != ' ') return false;
  *key = Trim(line.substr(0, colon));
  *rest = line.substr(colon + 1);
  return true;
}

}  // namespace

Result<std::vector<DashboardQuery>> ExtractDashboardQueries(std::string_view dashboard_json) {
  json dashboard = json::parse(dashboard_json, nullptr, /*allow_exceptions=*/false);
  if (dashboard.is_discarded()) return Error{"dashboard: not valid JSON"};
  if (!dashboard.is_object()) return Error{"dashboard: the top level is not an object"};
  if (!dashboard.contains("panels") || !dashboard["panels"].is_array()) {
    return Error{"dashboard: no \"panels\" array"};
  }
  std::vector<DashboardQuery> out;
  CollectPanels(dashboard["panels"], out);

  const json& annotations = dashboard.value(json::json_pointer("/annotations/list"), json::array());
  for (const json& annotation : annotations) {
    std::string expr = StringAt(annotation, "expr");
    if (expr.empty() && annotation.contains("target"))
      expr = StringAt(annotation["target"], "expr");
    if (Trim(expr).empty()) continue;
    DashboardQuery query;
    query.source = QuerySource::kAnnotation;
    query.location = "annotation \"" + StringAt(annotation, "name") + "\"";
    query.expr = std::move(expr);
    query.format = "time_series";
    out.push_back(std::move(query));
  }

  const json& variables = dashboard.value(json::json_pointer("/templating/list"), json::array());
  for (const json& variable : variables) {
    if (StringAt(variable, "type") != "query") continue;
    std::string text = StringAt(variable, "query");
    if (text.empty() && variable.contains("query")) text = StringAt(variable["query"], "query");
    std::string expr = VariableExpression(text);
    if (expr.empty()) continue;
    DashboardQuery query;
    query.source = QuerySource::kVariable;
    query.location = "variable \"" + StringAt(variable, "name") + "\"";
    query.expr = std::move(expr);
    query.instant = true;
    query.format = "time_series";
    out.push_back(std::move(query));
  }
  return out;
}

std::string ExpandVariables(std::string_view expr, const Variables& values) {
  std::string out;
  size_t copied = 0;
  ForEachVariable(expr, [&](std::string_view name, size_t begin, size_t end) {
    auto it = values.find(name);
    if (it == values.end()) return;
    out.append(expr.substr(copied, begin - copied));
    out += it->second;
    copied = end;
  });
  out.append(expr.substr(copied));
  return out;
}

std::vector<std::string> VariablesIn(std::string_view expr) {
  std::vector<std::string> names;
  ForEachVariable(expr, [&](std::string_view name, size_t, size_t) { names.emplace_back(name); });
  return names;
}

std::vector<std::string> RogueHunterMetricNames(std::string_view expr) {
  static constexpr std::string_view kPrefix = "rogue_hunter_";
  std::vector<std::string> names;
  size_t pos = 0;
  while ((pos = expr.find(kPrefix, pos)) != std::string_view::npos) {
    if (pos > 0 && (IsWordChar(expr[pos - 1]) || expr[pos - 1] == ':')) {
      pos += kPrefix.size();
      continue;
    }
    size_t end = pos + kPrefix.size();
    while (end < expr.size() && (IsWordChar(expr[end]) || expr[end] == ':')) ++end;
    std::string name(expr.substr(pos, end - pos));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    pos = end;
  }
  return names;
}

Result<std::map<std::string, std::string, std::less<>>> ParseMetricsContract(
    std::string_view markdown) {
  std::map<std::string, std::string, std::less<>> contract;
  for (std::string_view line : SplitLines(markdown)) {
    line = Trim(line);
    if (line.substr(0, 16) != "| `rogue_hunter_") continue;
    std::vector<std::string_view> cells;
    size_t start = 1;
    while (start < line.size()) {
      size_t bar = line.find('|', start);
      if (bar == std::string_view::npos) break;
      cells.push_back(Trim(line.substr(start, bar - start)));
      start = bar + 1;
    }
    if (cells.size() < 2) continue;
    std::string_view name = cells[0];
    if (name.size() < 2 || name.front() != '`' || name.back() != '`') continue;
    name = name.substr(1, name.size() - 2);
    contract[std::string(name)] = std::string(cells[1]);
  }
  if (contract.empty()) return Error{"metrics contract: no `rogue_hunter_*` table rows found"};
  return contract;
}

std::string MetricFamily(std::string_view name,
                         const std::map<std::string, std::string, std::less<>>& contract) {
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix) {
      std::string_view base = name.substr(0, name.size() - suffix.size());
      auto it = contract.find(base);
      if (it != contract.end() && it->second == "histogram") return std::string(base);
    }
  }
  return std::string(name);
}

bool MayBeAbsentOnSomeHosts(std::string_view metric) {
  static const std::set<std::string_view> kHardwareDependent = {
      "rogue_hunter_thermal_zone_celsius",
      "rogue_hunter_thermal_throttles_total",
      "rogue_hunter_pressure_avg10_ratio",
      "rogue_hunter_pressure_stall_seconds_total",
  };
  return kHardwareDependent.count(metric) > 0;
}

Result<std::vector<Rule>> ParseRules(std::string_view rules_yaml) {
  std::vector<std::string_view> lines = SplitLines(rules_yaml);
  std::vector<Rule> rules;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    std::string_view trimmed = Trim(line);
    bool is_alert = trimmed.substr(0, 8) == "- alert:";
    bool is_record = trimmed.substr(0, 9) == "- record:";
    if (!is_alert && !is_record) continue;

    Rule rule;
    rule.line = static_cast<int>(i) + 1;
    const int dash_indent = IndentOf(line);
    const int key_indent = dash_indent + 2;
    std::string name = InlineScalar(trimmed.substr(is_alert ? 8 : 9));
    (is_alert ? rule.alert : rule.record) = std::move(name);

    size_t j = i + 1;
    for (; j < lines.size(); ++j) {
      if (IsBlankOrComment(lines[j])) continue;
      int indent = IndentOf(lines[j]);
      if (indent <= dash_indent) break;
      if (indent != key_indent) continue;
      std::string_view key;
      std::string_view rest;
      if (!SplitKey(lines[j], &key, &rest)) continue;
      if (key == "expr") {
        rule.expr = ReadScalar(lines, &j, key_indent, rest);
      } else if (key == "for") {
        rule.for_duration = InlineScalar(rest);
      } else if (key == "labels" || key == "annotations") {
        auto& map = key == "labels" ? rule.labels : rule.annotations;
        while (j + 1 < lines.size()) {
          if (IsBlankOrComment(lines[j + 1])) {
            ++j;
            continue;
          }
          int sub_indent = IndentOf(lines[j + 1]);
          if (sub_indent <= key_indent) break;
          ++j;
          std::string_view sub_key;
          std::string_view sub_rest;
          if (!SplitKey(lines[j], &sub_key, &sub_rest)) continue;
          map[std::string(sub_key)] = ReadScalar(lines, &j, sub_indent, sub_rest);
        }
      }
    }
    if (Trim(rule.expr).empty()) {
      return Error{"rule file line " + std::to_string(rule.line) + ": rule without expr"};
    }
    rules.push_back(std::move(rule));
    i = j - 1;
  }
  return rules;
}

std::string GithubAnchor(std::string_view heading) {
  std::string anchor;
  for (char c : Trim(heading)) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || std::isalnum(u) || c == '-' || c == '_') {
      anchor += static_cast<char>(u < 0x80 ? std::tolower(u) : u);
    } else if (c == ' ') {
      anchor += '-';
    }
  }
  return anchor;
}

std::vector<std::string> MarkdownAnchors(std::string_view markdown) {
  std::vector<std::string> anchors;
  std::map<std::string, int> seen;
  bool in_fence = false;
  for (std::string_view line : SplitLines(markdown)) {
    std::string_view trimmed = Trim(line);
    if (trimmed.substr(0, 3) == "```") {
      in_fence = !in_fence;
      continue;
    }
    if (in_fence || IndentOf(line) > 3) continue;
    size_t hashes = 0;
    while (hashes < trimmed.size() && trimmed[hashes] == '#') ++hashes;
    if (hashes == 0 || hashes > 6 || hashes >= trimmed.size() || trimmed[hashes] != ' ') continue;
    std::string_view text = Trim(trimmed.substr(hashes));
    while (!text.empty() && text.back() == '#') text.remove_suffix(1);
    std::string anchor = GithubAnchor(text);
    int count = seen[anchor]++;
    anchors.push_back(count == 0 ? anchor : anchor + "-" + std::to_string(count));
  }
  return anchors;
}

}  // namespace rh::test::fleet

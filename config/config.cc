#include "config/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <set>
#include <sstream>

namespace rh::config {
namespace {

// A configuration file is a few kilobytes; anything near this size is not one.
constexpr std::size_t kMaxFileBytes = 1 << 20;

std::string FileKind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a file";
}

std::string Position(std::string_view source, const toml::source_region& region) {
  std::ostringstream out;
  out << source;
  if (region.begin.line != 0) out << ":" << region.begin.line << ":" << region.begin.column;
  return out.str();
}

std::string TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

// Shortest text that reads back as the same double.
std::string FormatNumber(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

// Reads the keys of one TOML table into settings, collecting one error line per problem and
// remembering which keys it knows, so that whatever is left over is reported as unknown.
class TableReader {
 public:
  TableReader(const toml::table* table, std::string prefix, std::string_view source,
              std::vector<std::string>& errors)
      : table_(table), prefix_(std::move(prefix)), source_(source), errors_(errors) {}

  void Number(std::string_view key, double min, double max, double& out) {
    const toml::node* node = Find(key);
    if (node == nullptr) return;
    double value = 0;
    if (auto i = node->value_exact<std::int64_t>()) {
      value = static_cast<double>(*i);
    } else if (auto f = node->value_exact<double>()) {
      value = *f;
    } else {
      return Fail(*node, key, "expected a number, got " + TypeName(*node));
    }
    if (!(value >= min && value <= max)) {
      return Fail(*node, key,
                  "must be between " + FormatNumber(min) + " and " + FormatNumber(max) + ", got " +
                      FormatNumber(value));
    }
    out = value;
  }

  template <typename Int>
  void Integer(std::string_view key, std::int64_t min, std::int64_t max, Int& out) {
    const toml::node* node = Find(key);
    if (node == nullptr) return;
    auto value = node->value_exact<std::int64_t>();
    if (!value) return Fail(*node, key, "expected an integer, got " + TypeName(*node));
    if (*value < min || *value > max) {
      return Fail(*node, key,
                  "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                      ", got " + std::to_string(*value));
    }
    out = static_cast<Int>(*value);
  }

  void Bool(std::string_view key, bool& out) {
    const toml::node* node = Find(key);
    if (node == nullptr) return;
    auto value = node->value_exact<bool>();
    if (!value) return Fail(*node, key, "expected true or false, got " + TypeName(*node));
    out = *value;
  }

  void String(std::string_view key, std::string& out) {
    const toml::node* node = Find(key);
    if (node == nullptr) return;
    auto value = node->value_exact<std::string>();
    if (!value) return Fail(*node, key, "expected a string, got " + TypeName(*node));
    out = *value;
  }

  // An absolute path, or one starting with "~/"; expanded against $HOME.
  void Path(std::string_view key, std::string& out) {
    const toml::node* node = Find(key);
    if (node == nullptr) return;
    std::string value;
    String(key, value);
    if (value.empty()) return Fail(*node, key, "must not be empty");
    if (value.rfind("~/", 0) == 0) {
      const char* home = std::getenv("HOME");
      if (home == nullptr || *home == '\0') return Fail(*node, key, "uses ~ but $HOME is not set");
      value = std::string(home) + value.substr(1);
    } else if (value.front() != '/') {
      return Fail(*node, key, "must be an absolute path or start with ~/, got \"" + value + "\"");
    }
    out = value;
  }

  void StringArray(std::string_view key, std::size_t max_items, std::vector<std::string>& out) {
    const toml::node* node = Find(key);
    if (node == nullptr) return;
    const toml::array* array = node->as_array();
    if (array == nullptr)
      return Fail(*node, key, "expected an array of strings, got " + TypeName(*node));
    if (array->size() > max_items) {
      return Fail(*node, key, "at most " + std::to_string(max_items) + " entries allowed");
    }
    std::vector<std::string> values;
    for (const toml::node& item : *array) {
      auto value = item.value_exact<std::string>();
      if (!value) return Fail(item, key, "expected strings, got " + TypeName(item));
      if (value->empty()) return Fail(item, key, "entries must not be empty");
      values.push_back(*value);
    }
    out = std::move(values);
  }

  // A table of strings, sorted by name. With `flatten`, nested tables are read as dotted names
  // (`deployment.environment = "x"` is the table deployment holding environment). `check`
  // returns what is wrong with a name or value, or an empty string.
  void StringTable(std::string_view key, bool flatten,
                   const std::function<std::string(const std::string&, const std::string&)>& check,
                   StringPairs& out) {
    const toml::node* node = Find(key);
    if (node == nullptr) return;
    const toml::table* table = node->as_table();
    if (table == nullptr) return Fail(*node, key, "expected a table, got " + TypeName(*node));
    StringPairs values;
    std::size_t errors = errors_.size();
    CollectStrings(*table, "", flatten, key, check, values);
    if (errors_.size() == errors) out = std::move(values);
  }

  // A sub-table; reading an absent one yields nothing and no error.
  TableReader Table(std::string_view key) {
    const toml::node* node = Find(key);
    if (node != nullptr && !node->is_table()) {
      Fail(*node, key, "expected a table, got " + TypeName(*node));
      node = nullptr;
    }
    return TableReader(node == nullptr ? nullptr : node->as_table(), Qualified(key), source_,
                       errors_);
  }

  // Reports every key this reader was not asked about.
  void RejectUnknown() {
    if (table_ == nullptr) return;
    for (const auto& [key, node] : *table_) {
      if (known_.count(std::string(key.str())) != 0) continue;
      errors_.push_back(Position(source_, key.source()) + ": " + Qualified(key.str()) +
                        ": unknown " + (node.is_table() ? "table" : "key"));
    }
  }

  // An error about a relation between keys, placed at `key` if the file sets it.
  void FailAt(std::string_view key, const std::string& message) {
    const toml::node* node = table_ == nullptr ? nullptr : table_->get(key);
    std::string where = node != nullptr ? Position(source_, node->source()) : std::string(source_);
    errors_.push_back(where + ": " + Qualified(key) + ": " + message);
  }

 private:
  const toml::node* Find(std::string_view key) {
    known_.insert(std::string(key));
    return table_ == nullptr ? nullptr : table_->get(key);
  }

  void CollectStrings(
      const toml::table& table, const std::string& prefix, bool flatten, std::string_view key,
      const std::function<std::string(const std::string&, const std::string&)>& check,
      StringPairs& out) {
    for (const auto& [name, value] : table) {
      std::string full = prefix + std::string(name.str());
      std::string where = std::string(key) + "." + full;
      if (flatten && value.is_table()) {
        CollectStrings(*value.as_table(), full + ".", flatten, key, check, out);
        continue;
      }
      auto text = value.value_exact<std::string>();
      if (!text) {
        Fail(value, where, "expected a string, got " + TypeName(value));
        continue;
      }
      if (std::string problem = check(full, *text); !problem.empty()) {
        Fail(value, where, problem);
        continue;
      }
      out.emplace_back(full, *text);
    }
  }

  std::string Qualified(std::string_view key) const {
    return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
  }

  void Fail(const toml::node& node, std::string_view key, const std::string& message) {
    errors_.push_back(Position(source_, node.source()) + ": " + Qualified(key) + ": " + message);
  }

  const toml::table* table_;
  std::string prefix_;
  std::string_view source_;
  std::vector<std::string>& errors_;
  std::set<std::string> known_;
};

void ReadComponent(TableReader table, Component& out) {
  table.Number("weight", 0, 1000, out.weight);
  table.Number("cap", 0, 100, out.cap);
  table.RejectUnknown();
}

std::string HomeDir() {
  const char* home = std::getenv("HOME");
  return home != nullptr && *home == '/' ? home : "";
}

std::string DefaultDataDir() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg != nullptr && *xdg == '/') return std::string(xdg) + "/rogue-hunter";
  std::string home = HomeDir();
  if (home.empty()) return "/var/lib/rogue-hunter";
  return home + "/.local/share/rogue-hunter";
}

void ResolvePaths(Config& config) {
  if (config.storage.data_dir.empty()) config.storage.data_dir = DefaultDataDir();
  if (config.storage.database.empty())
    config.storage.database = config.storage.data_dir + "/data.db";
  if (config.forensics.events_dir.empty())
    config.forensics.events_dir = config.storage.data_dir + "/events";
}

std::string TomlString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string CheckHeader(const std::string& name, const std::string& value) {
  if (!IsHeaderName(name)) return "not a valid HTTP header name";
  // The value is a secret: say what is wrong without repeating it.
  if (!IsHeaderValue(value)) return "the value holds a control character (not shown)";
  return "";
}

std::string CheckLabel(const std::string& name, const std::string& value) {
  bool valid =
      !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) != 0 || name[0] == '_');
  for (unsigned char c : name) valid = valid && (std::isalnum(c) != 0 || c == '_');
  if (!valid) return "not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)";
  if (name.rfind("__", 0) == 0) return "label names starting with __ are reserved";
  if (name == "alertname") return "alertname is the rule's; it cannot be changed";
  if (value.empty()) return "must not be empty";
  return "";
}

std::string CheckAttribute(const std::string& name, const std::string&) {
  return name.empty() ? "empty attribute name" : "";
}

void Url(TableReader& table, std::string_view key, std::string& out) {
  std::string value;
  table.String(key, value);
  if (value.empty()) return;
  if (Status s = CheckHttpUrl(value); !s.ok()) return table.FailAt(key, s.error().message);
  out = value;
}

void ReadOtel(TableReader table, Otel& out) {
  Url(table, "endpoint", out.endpoint);
  table.StringTable("headers", false, CheckHeader, out.headers);
  int timeout = -1;
  table.Integer("timeout_ms", 0, 600000, timeout);
  if (timeout >= 0) out.timeout_ms = timeout;
  table.Integer("connect_timeout_ms", 1, 600000, out.connect_timeout_ms);
  table.String("compression", out.compression);
  if (!out.compression.empty() && out.compression != "gzip" && out.compression != "none") {
    table.FailAt("compression", "must be \"gzip\" or \"none\", got \"" + out.compression + "\"");
  }
  table.String("service_name", out.service_name);
  table.StringTable("resource_attributes", true, CheckAttribute, out.resource_attributes);
  table.Integer("queue_size", 1, 1000000, out.queue_size);
  table.Integer("max_batch_size", 1, 100000, out.max_batch_size);
  table.Integer("batch_delay_ms", 0, 60000, out.batch_delay_ms);
  table.Integer("retry_initial_backoff_ms", 1, 3600000, out.retry_initial_backoff_ms);
  table.Integer("retry_max_backoff_ms", 1, 3600000, out.retry_max_backoff_ms);
  table.RejectUnknown();
}

void ReadAlertmanager(TableReader table, Alertmanager& out) {
  Url(table, "url", out.url);
  table.StringTable("labels", false, CheckLabel, out.labels);
  Url(table, "generator_url", out.generator_url);
  table.Number("active_seconds", 1, 86400, out.active_seconds);
  table.Number("resend_interval_seconds", 0.1, 86400, out.resend_interval_seconds);
  table.Integer("timeout_ms", 1, 600000, out.timeout_ms);
  table.Integer("connect_timeout_ms", 1, 600000, out.connect_timeout_ms);
  table.String("basic_auth_username", out.basic_auth_username);
  table.String("basic_auth_password", out.basic_auth_password);
  table.String("bearer_token", out.bearer_token);
  for (auto [key, value] : {std::pair{"basic_auth_username", &out.basic_auth_username},
                            std::pair{"basic_auth_password", &out.basic_auth_password},
                            std::pair{"bearer_token", &out.bearer_token}}) {
    if (!IsHeaderValue(*value)) table.FailAt(key, "holds a control character (not shown)");
  }
  if (out.basic_auth_username.find(':') != std::string::npos) {
    table.FailAt("basic_auth_username", "must not contain ':'");
  }
  if (!out.basic_auth_password.empty() && out.basic_auth_username.empty()) {
    table.FailAt("basic_auth_password", "needs basic_auth_username");
  }
  if (!out.bearer_token.empty() && !out.basic_auth_username.empty()) {
    table.FailAt("bearer_token", "use either basic auth or a bearer token, not both");
  }
  table.RejectUnknown();
}

}  // namespace

std::filesystem::path DefaultConfigPath() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && *xdg == '/') return std::filesystem::path(xdg) / "rogue-hunter/config.toml";
  std::string home = HomeDir();
  if (home.empty()) return "/etc/rogue-hunter/config.toml";
  return std::filesystem::path(home) / ".config/rogue-hunter/config.toml";
}

Config Defaults() {
  Config config;
  ResolvePaths(config);
  return config;
}

Result<Config> Parse(std::string_view text, std::string_view source_name) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return Error{Position(source_name, e.source()) +
                 ": syntax error: " + std::string(e.description())};
  }

  Config config;
  config.source = std::string(source_name);
  std::vector<std::string> errors;
  TableReader top(&root, "", source_name, errors);

  TableReader sampling = top.Table("sampling");
  sampling.Number("normal_interval", 0.1, 3600, config.sampling.normal_interval);
  sampling.Number("elevated_interval", 0.1, 3600, config.sampling.elevated_interval);
  sampling.Number("elevation_threshold", 0, 100, config.sampling.elevation_threshold);
  sampling.Number("recovery_threshold", 0, 100, config.sampling.recovery_threshold);
  sampling.Number("min_elevated_seconds", 0, 86400, config.sampling.min_elevated_seconds);
  sampling.Number("critical_threshold", 0, 100, config.sampling.critical_threshold);
  sampling.Integer("top_processes", 1, 100, config.sampling.top_processes);
  sampling.RejectUnknown();

  TableReader pause = top.Table("pause");
  pause.Integer("tick_ms", 1, 1000, config.pause.tick_ms);
  pause.Number("min_seconds", 0.05, 3600, config.pause.min_seconds);
  pause.Bool("raise_priority", config.pause.raise_priority);
  pause.Integer("evidence_interval_ms", 0, 10000, config.pause.evidence_interval_ms);
  pause.Number("long_seconds", 0.05, 86400, config.pause.long_seconds);
  pause.RejectUnknown();

  TableReader stress = top.Table("stress");
  ReadComponent(stress.Table("load"), config.stress.load);
  ReadComponent(stress.Table("cpu"), config.stress.cpu);
  ReadComponent(stress.Table("io"), config.stress.io);
  ReadComponent(stress.Table("memory"), config.stress.memory);
  ReadComponent(stress.Table("thermal"), config.stress.thermal);
  ReadComponent(stress.Table("latency"), config.stress.latency);
  stress.Number("io_burst_factor", 1, 1000, config.stress.io_burst_factor);
  stress.Number("io_baseline_floor_bytes", 0, 1e12, config.stress.io_baseline_floor_bytes);
  stress.Number("memory_low_available_ratio", 0.001, 0.9, config.stress.memory_low_available_ratio);
  stress.Number("memory_swap_full_scale_bytes", 1, 1e12,
                config.stress.memory_swap_full_scale_bytes);
  stress.Number("latency_full_scale_seconds", 0.001, 3600,
                config.stress.latency_full_scale_seconds);
  stress.RejectUnknown();

  TableReader retention = top.Table("retention");
  retention.Integer("samples_days", 1, 36500, config.retention.samples_days);
  retention.Integer("events_days", 1, 36500, config.retention.events_days);
  retention.RejectUnknown();

  TableReader storage = top.Table("storage");
  storage.Bool("enabled", config.storage.enabled);
  storage.Path("data_dir", config.storage.data_dir);
  storage.Path("database", config.storage.database);
  storage.RejectUnknown();

  TableReader http = top.Table("http");
  http.String("listen", config.http.listen);
  http.Integer("threads", 1, 16384, config.http.threads);
  http.Integer("request_timeout_ms", 100, 600000, config.http.request_timeout_ms);
  http.Path("web_config_file", config.http.web_config_file);
  http.RejectUnknown();
  if (auto listen = ParseListen(config.http.listen); !listen.ok()) {
    http.FailAt("listen", listen.error().message);
  }

  TableReader forensics = top.Table("forensics");
  forensics.Bool("enabled", config.forensics.enabled);
  forensics.Path("events_dir", config.forensics.events_dir);
  forensics.Number("min_interval_seconds", 0, 86400, config.forensics.min_interval_seconds);
  forensics.Integer("max_total_bytes", std::int64_t{1} << 20, std::int64_t{1} << 40,
                    config.forensics.max_total_bytes);
  forensics.Integer("read_timeout_ms", 10, 60000, config.forensics.read_timeout_ms);
  forensics.Number("window_before_seconds", 10, 3600, config.forensics.window_before_seconds);
  forensics.RejectUnknown();

  TableReader suspects = top.Table("suspects");
  suspects.StringArray("patterns", 256, config.suspects.patterns);
  suspects.RejectUnknown();

  TableReader kernel_log = top.Table("kernel_log");
  kernel_log.Bool("enabled", config.kernel_log.enabled);
  kernel_log.Bool("accept_user_records", config.kernel_log.accept_user_records);
  kernel_log.Integer("max_events_per_minute", 0, 10000, config.kernel_log.max_events_per_minute);
  kernel_log.RejectUnknown();

  TableReader triggers = top.Table("pressure_triggers");
  PressureTriggers& pt = config.pressure_triggers;
  triggers.Bool("enabled", pt.enabled);
  for (auto [key, value] : {std::pair{"cpu", &pt.cpu},
                            {"io", &pt.io},
                            {"memory", &pt.memory},
                            {"cpu_critical", &pt.cpu_critical},
                            {"io_critical", &pt.io_critical},
                            {"memory_critical", &pt.memory_critical}}) {
    triggers.String(key, *value);
    if (!value->empty()) {
      if (auto t = ParsePsiTrigger(*value); !t.ok()) triggers.FailAt(key, t.error().message);
    }
  }
  triggers.Integer("poll_interval_ms", 100, 60000, pt.poll_interval_ms);
  triggers.Bool("use_triggers", pt.use_triggers);
  triggers.RejectUnknown();

  TableReader cgroups = top.Table("cgroups");
  cgroups.Bool("enabled", config.cgroups.enabled);
  cgroups.Integer("top", 1, 100, config.cgroups.top);
  cgroups.Integer("max_cgroups", 1, 100000, config.cgroups.max_cgroups);
  cgroups.Integer("max_depth", 1, 32, config.cgroups.max_depth);
  cgroups.RejectUnknown();

  TableReader process = top.Table("process");
  Process& p = config.process;
  process.Bool("redact_arguments", p.redact_arguments);
  process.Number("history_hours", 1, 8760, p.history_hours);
  process.Number("history_interval_seconds", 1, 3600, p.history_interval_seconds);
  process.Bool("kill_enabled", p.kill_enabled);
  process.Path("kill_token_file", p.kill_token_file);
  process.Number("kill_grace_seconds", 0.1, 300, p.kill_grace_seconds);
  process.StringArray("kill_hosts", 64, p.kill_hosts);
  process.StringArray("kill_protected", 1024, p.kill_protected);
  process.StringArray("kill_allow_comm", 1024, p.kill_allow_comm);
  process.StringArray("kill_allow_exe", 1024, p.kill_allow_exe);
  process.StringArray("kill_allow_users", 1024, p.kill_allow_users);
  process.StringArray("kill_allow_cgroups", 1024, p.kill_allow_cgroups);
  process.RejectUnknown();

  ReadOtel(top.Table("otel"), config.otel);
  ReadAlertmanager(top.Table("alertmanager"), config.alertmanager);
  TableReader logging = top.Table("logging");
  logging.Path("file", config.logging.file);
  logging.Integer("max_bytes", std::int64_t{64} << 10, std::int64_t{1} << 40,
                  config.logging.max_bytes);
  logging.Integer("max_files", 0, 100, config.logging.max_files);
  logging.RejectUnknown();

  TableReader self_limits = top.Table("self_limits");
  self_limits.Bool("enabled", config.self_limits.enabled);
  self_limits.Number("cpu_share", 0.001, 64, config.self_limits.cpu_share);
  self_limits.Integer("resident_bytes", std::int64_t{1} << 20, std::int64_t{1} << 40,
                      config.self_limits.resident_bytes);
  self_limits.Integer("open_fds", 16, 1 << 20, config.self_limits.open_fds);
  self_limits.Number("window_seconds", 5, 3600, config.self_limits.window_seconds);
  self_limits.Number("hold_seconds", 0, 86400, config.self_limits.hold_seconds);
  self_limits.Number("backoff_scan_interval_seconds", 1, 3600,
                     config.self_limits.backoff_scan_interval_seconds);
  self_limits.RejectUnknown();

  top.RejectUnknown();

  if (errors.empty()) {
    const Sampling& s = config.sampling;
    if (s.elevated_interval > s.normal_interval) {
      sampling.FailAt("elevated_interval", "must not exceed sampling.normal_interval (" +
                                               FormatNumber(s.normal_interval) + ")");
    }
    if (s.recovery_threshold >= s.elevation_threshold) {
      sampling.FailAt("recovery_threshold", "must be below sampling.elevation_threshold (" +
                                                FormatNumber(s.elevation_threshold) + ")");
    }
    if (s.critical_threshold < s.elevation_threshold) {
      sampling.FailAt("critical_threshold", "must not be below sampling.elevation_threshold (" +
                                                FormatNumber(s.elevation_threshold) + ")");
    }
    if (config.pause.long_seconds < config.pause.min_seconds) {
      pause.FailAt("long_seconds", "must not be below pause.min_seconds (" +
                                       FormatNumber(config.pause.min_seconds) + ")");
    }
    if (config.otel.retry_max_backoff_ms < config.otel.retry_initial_backoff_ms) {
      top.Table("otel").FailAt("retry_max_backoff_ms",
                               "must not be below otel.retry_initial_backoff_ms (" +
                                   std::to_string(config.otel.retry_initial_backoff_ms) + ")");
    }
    if (config.otel.max_batch_size > config.otel.queue_size) {
      top.Table("otel").FailAt("max_batch_size", "must not exceed otel.queue_size (" +
                                                     std::to_string(config.otel.queue_size) + ")");
    }
    if (config.pause.min_seconds * 1000 < 2.0 * config.pause.tick_ms) {
      pause.FailAt("min_seconds", "must be at least two ticks (pause.tick_ms = " +
                                      std::to_string(config.pause.tick_ms) + ")");
    }
    if (p.kill_enabled && p.kill_allow_comm.empty() && p.kill_allow_exe.empty() &&
        p.kill_allow_users.empty() && p.kill_allow_cgroups.empty()) {
      process.FailAt("kill_enabled",
                     "needs an allowlist: set at least one of process.kill_allow_comm, "
                     "kill_allow_exe, kill_allow_users or kill_allow_cgroups ([\"*\"] allows "
                     "every process not protected)");
    }
    if (p.kill_enabled && !config.storage.enabled) {
      process.FailAt("kill_enabled",
                     "needs storage.enabled: every kill request is written to the audit table");
    }
  }

  if (!errors.empty()) {
    std::string message;
    for (const auto& e : errors) message += (message.empty() ? "" : "\n") + e;
    return Error{message};
  }
  ResolvePaths(config);
  return config;
}

Result<Config> Load(const std::filesystem::path& path, bool must_exist) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer. Symlinks are followed: configuration
  // files are commonly links into a dotfiles or configuration-management tree.
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT && !must_exist) return Defaults();
    return Error{path.string() + ": cannot read: " + std::strerror(err)};
  }
  std::string text;
  std::string problem;
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    problem = std::string("cannot read: ") + std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    problem = "not a regular file (" + FileKind(st.st_mode) + "); give the path of a TOML file";
  } else if (static_cast<std::uint64_t>(st.st_size) > kMaxFileBytes) {
    problem = "larger than " + std::to_string(kMaxFileBytes) + " bytes; not a configuration file";
  } else {
    // Read one byte past the cap: a file that grows while it is read is refused too.
    text.resize(kMaxFileBytes + 1);
    std::size_t size = 0;
    while (size < text.size()) {
      ssize_t n = read(fd, text.data() + size, text.size() - size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        problem = std::string("read error: ") + std::strerror(errno);
        break;
      }
      if (n == 0) break;
      size += static_cast<std::size_t>(n);
    }
    text.resize(size);
    if (problem.empty() && size > kMaxFileBytes) {
      problem = "larger than " + std::to_string(kMaxFileBytes) + " bytes; not a configuration file";
    }
  }
  close(fd);
  if (!problem.empty()) return Error{path.string() + ": " + problem};
  return Parse(text, path.string());
}

Result<PsiTrigger> ParsePsiTrigger(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string kind, extra;
  PsiTrigger t;
  if (!(in >> kind >> t.stall_us >> t.window_us) || (in >> extra) ||
      (kind != "some" && kind != "full")) {
    return Error{"expected \"some|full <stall µs> <window µs>\", got \"" + std::string(text) +
                 "\""};
  }
  t.full = kind == "full";
  if (t.window_us < 500'000 || t.window_us > 10'000'000) {
    return Error{"the window must be 500000-10000000 µs, got " + std::to_string(t.window_us)};
  }
  if (t.stall_us <= 0 || t.stall_us > t.window_us) {
    return Error{"the stall must be 1-" + std::to_string(t.window_us) + " µs (the window), got " +
                 std::to_string(t.stall_us)};
  }
  return t;
}

Result<ListenAddress> ParseListen(std::string_view text) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Error{"expected ADDRESS:PORT, got \"" + std::string(text) + "\""};
  }
  std::string host(text.substr(0, colon));
  std::string port_text(text.substr(colon + 1));
  char* end = nullptr;
  long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port < 1 || port > 65535) {
    return Error{"port must be 1-65535, got \"" + port_text + "\""};
  }
  if (host.find_first_of("[:") != std::string::npos) {
    return Error{
        "IPv6 addresses cannot be served: the HTTP server library (Debian's civetweb "
        "1.15) is built without IPv6; use an IPv4 address such as 127.0.0.1 or 0.0.0.0"};
  }
  // Dotted IPv4 only: a host name would make the bound address depend on DNS.
  int parts = 0;
  std::size_t i = 0;
  while (i <= host.size()) {
    std::size_t dot = host.find('.', i);
    std::string part = host.substr(i, dot == std::string::npos ? std::string::npos : dot - i);
    if (part.empty() || part.size() > 3 ||
        part.find_first_not_of("0123456789") != std::string::npos || std::stoi(part) > 255) {
      return Error{"address must be dotted IPv4, got \"" + host + "\""};
    }
    ++parts;
    if (dot == std::string::npos) break;
    i = dot + 1;
  }
  if (parts != 4) return Error{"address must be dotted IPv4, got \"" + host + "\""};
  return ListenAddress{host, static_cast<int>(port)};
}

std::string ToToml(const Config& c) {
  std::ostringstream out;
  auto num = [&](std::string_view key, double v) {
    out << key << " = " << FormatNumber(v) << "\n";
  };
  auto integer = [&](std::string_view key, std::int64_t v) { out << key << " = " << v << "\n"; };
  auto boolean = [&](std::string_view key, bool v) {
    out << key << " = " << (v ? "true" : "false") << "\n";
  };
  auto str = [&](std::string_view key, std::string_view v) {
    out << key << " = " << TomlString(v) << "\n";
  };
  auto component = [&](std::string_view name, const Component& k) {
    out << "\n[stress." << name << "]\n";
    num("weight", k.weight);
    num("cap", k.cap);
  };

  out << "[sampling]\n";
  num("normal_interval", c.sampling.normal_interval);
  num("elevated_interval", c.sampling.elevated_interval);
  num("elevation_threshold", c.sampling.elevation_threshold);
  num("recovery_threshold", c.sampling.recovery_threshold);
  num("min_elevated_seconds", c.sampling.min_elevated_seconds);
  num("critical_threshold", c.sampling.critical_threshold);
  integer("top_processes", c.sampling.top_processes);
  out << "\n[pause]\n";
  integer("tick_ms", c.pause.tick_ms);
  num("min_seconds", c.pause.min_seconds);
  boolean("raise_priority", c.pause.raise_priority);
  integer("evidence_interval_ms", c.pause.evidence_interval_ms);
  num("long_seconds", c.pause.long_seconds);
  out << "\n[stress]\n";
  num("io_burst_factor", c.stress.io_burst_factor);
  num("io_baseline_floor_bytes", c.stress.io_baseline_floor_bytes);
  num("memory_low_available_ratio", c.stress.memory_low_available_ratio);
  num("memory_swap_full_scale_bytes", c.stress.memory_swap_full_scale_bytes);
  num("latency_full_scale_seconds", c.stress.latency_full_scale_seconds);
  component("load", c.stress.load);
  component("cpu", c.stress.cpu);
  component("io", c.stress.io);
  component("memory", c.stress.memory);
  component("thermal", c.stress.thermal);
  component("latency", c.stress.latency);
  out << "\n[retention]\n";
  integer("samples_days", c.retention.samples_days);
  integer("events_days", c.retention.events_days);
  out << "\n[storage]\n";
  boolean("enabled", c.storage.enabled);
  str("data_dir", c.storage.data_dir);
  str("database", c.storage.database);
  out << "\n[http]\n";
  str("listen", c.http.listen);
  integer("threads", c.http.threads);
  integer("request_timeout_ms", c.http.request_timeout_ms);
  if (!c.http.web_config_file.empty()) str("web_config_file", c.http.web_config_file);
  out << "\n[forensics]\n";
  boolean("enabled", c.forensics.enabled);
  str("events_dir", c.forensics.events_dir);
  num("min_interval_seconds", c.forensics.min_interval_seconds);
  integer("max_total_bytes", c.forensics.max_total_bytes);
  integer("read_timeout_ms", c.forensics.read_timeout_ms);
  num("window_before_seconds", c.forensics.window_before_seconds);
  auto strings = [&](std::string_view key, const std::vector<std::string>& values) {
    out << key << " = [";
    for (std::size_t i = 0; i < values.size(); ++i) {
      out << (i == 0 ? "" : ", ") << TomlString(values[i]);
    }
    out << "]\n";
  };
  out << "\n[suspects]\n";
  strings("patterns", c.suspects.patterns);
  out << "\n[kernel_log]\n";
  boolean("enabled", c.kernel_log.enabled);
  boolean("accept_user_records", c.kernel_log.accept_user_records);
  integer("max_events_per_minute", c.kernel_log.max_events_per_minute);
  out << "\n[pressure_triggers]\n";
  boolean("enabled", c.pressure_triggers.enabled);
  str("cpu", c.pressure_triggers.cpu);
  str("io", c.pressure_triggers.io);
  str("memory", c.pressure_triggers.memory);
  str("cpu_critical", c.pressure_triggers.cpu_critical);
  str("io_critical", c.pressure_triggers.io_critical);
  str("memory_critical", c.pressure_triggers.memory_critical);
  integer("poll_interval_ms", c.pressure_triggers.poll_interval_ms);
  boolean("use_triggers", c.pressure_triggers.use_triggers);
  out << "\n[cgroups]\n";
  boolean("enabled", c.cgroups.enabled);
  integer("top", c.cgroups.top);
  integer("max_cgroups", c.cgroups.max_cgroups);
  integer("max_depth", c.cgroups.max_depth);
  const Process& p = c.process;
  out << "\n[process]\n";
  boolean("redact_arguments", p.redact_arguments);
  num("history_hours", p.history_hours);
  num("history_interval_seconds", p.history_interval_seconds);
  boolean("kill_enabled", p.kill_enabled);
  if (!p.kill_token_file.empty()) str("kill_token_file", p.kill_token_file);
  num("kill_grace_seconds", p.kill_grace_seconds);
  strings("kill_hosts", p.kill_hosts);
  strings("kill_protected", p.kill_protected);
  strings("kill_allow_comm", p.kill_allow_comm);
  strings("kill_allow_exe", p.kill_allow_exe);
  strings("kill_allow_users", p.kill_allow_users);
  strings("kill_allow_cgroups", p.kill_allow_cgroups);
  auto pairs = [&](std::string_view table, const StringPairs& values) {
    if (values.empty()) return;
    out << "\n[" << table << "]\n";
    for (const auto& [name, value] : values) str(TomlString(name), value);
  };
  auto secret = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) out << "# " << key << " is set (not shown)\n";
  };

  const Otel& o = c.otel;
  out << "\n[otel]\n";
  str("endpoint", o.endpoint);
  if (o.timeout_ms) {
    integer("timeout_ms", *o.timeout_ms);
  } else {
    out << "# timeout_ms: not set\n";
  }
  integer("connect_timeout_ms", o.connect_timeout_ms);
  str("compression", o.compression);
  str("service_name", o.service_name);
  integer("queue_size", o.queue_size);
  integer("max_batch_size", o.max_batch_size);
  integer("batch_delay_ms", o.batch_delay_ms);
  integer("retry_initial_backoff_ms", o.retry_initial_backoff_ms);
  integer("retry_max_backoff_ms", o.retry_max_backoff_ms);
  if (!o.headers.empty()) {
    out << "# [otel.headers] sets";
    for (const auto& header : o.headers) out << " " << header.first;
    out << " (values not shown)\n";
  }
  pairs("otel.resource_attributes", o.resource_attributes);

  const Alertmanager& a = c.alertmanager;
  out << "\n[alertmanager]\n";
  str("url", a.url);
  str("generator_url", a.generator_url);
  num("active_seconds", a.active_seconds);
  num("resend_interval_seconds", a.resend_interval_seconds);
  integer("timeout_ms", a.timeout_ms);
  integer("connect_timeout_ms", a.connect_timeout_ms);
  str("basic_auth_username", a.basic_auth_username);
  secret("basic_auth_password", a.basic_auth_password);
  secret("bearer_token", a.bearer_token);
  pairs("alertmanager.labels", a.labels);
  out << "\n[logging]\n";
  if (c.logging.file.empty()) {
    out << "# file: not set, the daemon logs to stderr (the journal under systemd)\n";
  } else {
    str("file", c.logging.file);
  }
  integer("max_bytes", c.logging.max_bytes);
  integer("max_files", c.logging.max_files);
  const SelfLimits& l = c.self_limits;
  out << "\n[self_limits]\n";
  boolean("enabled", l.enabled);
  num("cpu_share", l.cpu_share);
  integer("resident_bytes", l.resident_bytes);
  integer("open_fds", l.open_fds);
  num("window_seconds", l.window_seconds);
  num("hold_seconds", l.hold_seconds);
  num("backoff_scan_interval_seconds", l.backoff_scan_interval_seconds);
  return out.str();
}

Status CheckHttpUrl(std::string_view url) {
  const std::string quoted = "\"" + std::string(url) + "\"";
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) return Error{"the URL holds a space or control character"};
  }
  std::size_t scheme_end = url.find("://");
  std::string scheme(url.substr(0, scheme_end == std::string_view::npos ? 0 : scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https") {
    return Error{"must be an http:// or https:// URL, got " + quoted};
  }
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return Error{"must not hold a user name or password (they would be shown and logged)"};
  }
  // host, [IPv6] or host:port, [IPv6]:port
  std::string_view host = authority, port;
  if (!host.empty() && host.front() == '[') {
    std::size_t close = host.find(']');
    if (close == std::string_view::npos || close == 1) return Error{"bad IPv6 host in " + quoted};
    std::string_view after = host.substr(close + 1);
    if (!after.empty() && after.front() != ':') return Error{"bad host in " + quoted};
    if (!after.empty()) port = after.substr(1);
    host = host.substr(0, close + 1);
  } else if (std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
    if (port.empty()) return Error{"bad port in " + quoted};
  }
  if (host.empty()) return Error{"must name a host, got " + quoted};
  if (!port.empty() || authority.ends_with(':')) {
    int number = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc() || end != port.data() + port.size() || number < 1 || number > 65535) {
      return Error{"bad port in " + quoted};
    }
  }
  return {};
}

bool IsHeaderName(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (std::isalnum(c) == 0 &&
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool IsHeaderValue(std::string_view value) {
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

}  // namespace rh::config

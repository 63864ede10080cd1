#include "exporter/otel/settings.h"

#include <sys/random.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <fstream>

extern char** environ;

namespace rh::exporter::otel {
namespace {

constexpr std::chrono::milliseconds kDefaultTimeout{10000};

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Sets `name` to `value`, in place if present (HTTP header names match in any case), else at
// the end.
void Upsert(config::StringPairs& pairs, const std::string& name, const std::string& value,
            bool any_case = false) {
  for (auto& [n, v] : pairs) {
    if (n == name || (any_case && Lower(n) == Lower(name))) {
      n = name;
      v = value;
      return;
    }
  }
  pairs.emplace_back(name, value);
}

void UpsertAll(config::StringPairs& pairs, const config::StringPairs& more, bool any_case = false) {
  for (const auto& [name, value] : more) Upsert(pairs, name, value, any_case);
}

std::optional<int> HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    auto high = HexDigit(text[i + 1]);
    auto low = HexDigit(text[i + 2]);
    if (!high || !low) return std::nullopt;
    out += static_cast<char>(*high * 16 + *low);
    i += 2;
  }
  return out;
}

// The environment's value of `name`; an empty value counts as unset.
std::optional<std::string> Get(const Environment& environment, std::string_view name) {
  auto it = environment.find(name);
  if (it == environment.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

// An OTLP/HTTP URL from the environment, checked like the [otel] endpoint.
std::optional<std::string> EnvironmentUrl(const Environment& environment, std::string_view name,
                                          std::vector<std::string>& warnings) {
  auto value = Get(environment, name);
  if (!value) return std::nullopt;
  if (Status s = config::CheckHttpUrl(*value); !s.ok()) {
    warnings.push_back(std::string(name) + ": " + s.error().message + "; ignored");
    return std::nullopt;
  }
  return value;
}

// The path of an http(s) URL ("" when it has none).
std::string_view UrlPath(std::string_view url) {
  std::size_t authority = url.find("://") + 3;
  std::size_t path = url.find_first_of("/?#", authority);
  return path == std::string_view::npos ? std::string_view() : url.substr(path);
}

// A Timeout (OpenTelemetry configuration): a non-negative integer of milliseconds.
std::optional<std::chrono::milliseconds> EnvironmentTimeout(const Environment& environment,
                                                            std::string_view name,
                                                            std::vector<std::string>& warnings) {
  auto value = Get(environment, name);
  if (!value) return std::nullopt;
  std::int64_t ms = -1;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), ms);
  if (ec != std::errc() || end != value->data() + value->size() || ms < 0 || ms > INT32_MAX) {
    warnings.push_back(std::string(name) + ": expected milliseconds from 0 to 2147483647, got \"" +
                       *value + "\"; ignored");
    return std::nullopt;
  }
  return std::chrono::milliseconds(ms);
}

// "gzip" or "none", case-insensitive.
std::optional<bool> EnvironmentGzip(const Environment& environment, std::string_view name,
                                    std::vector<std::string>& warnings) {
  auto value = Get(environment, name);
  if (!value) return std::nullopt;
  std::string lower = Lower(*value);
  if (lower == "gzip") return true;
  if (lower == "none") return false;
  warnings.push_back(std::string(name) + ": expected gzip or none, got \"" + *value +
                     "\"; ignored");
  return std::nullopt;
}

// A header list; the values are secrets, so a warning names only the variable and the entry.
std::optional<config::StringPairs> EnvironmentHeaders(const Environment& environment,
                                                      std::string_view name,
                                                      std::vector<std::string>& warnings) {
  auto value = Get(environment, name);
  if (!value) return std::nullopt;
  auto parsed = ParseKeyValueList(*value);
  std::string problem;
  if (!parsed.ok()) {
    problem = parsed.error().message;
  } else {
    for (std::size_t i = 0; i < parsed->size() && problem.empty(); ++i) {
      const auto& [header, text] = (*parsed)[i];
      if (!config::IsHeaderName(header)) {
        problem = "entry " + std::to_string(i + 1) + " is not a valid header name";
      } else if (!config::IsHeaderValue(text)) {
        problem = "the value of " + header + " holds a control character";
      }
    }
  }
  if (!problem.empty()) {
    warnings.push_back(std::string(name) + ": " + problem + "; the whole variable is ignored");
    return std::nullopt;
  }
  return std::move(parsed).value();
}

bool IsTrue(const Environment& environment, std::string_view name,
            std::vector<std::string>& warnings) {
  auto value = Get(environment, name);
  if (!value) return false;
  std::string lower = Lower(*value);
  if (lower == "true") return true;
  if (lower != "false") {
    warnings.push_back(std::string(name) + ": expected true or false, got \"" + *value +
                       "\"; taken as false");
  }
  return false;
}

std::string RandomUuid() {
  unsigned char b[16] = {};
  std::size_t got = 0;
  while (got < sizeof(b)) {
    ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof(text),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return text;
}

}  // namespace

Environment ProcessEnvironment() {
  Environment out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return out;
}

HostIdentity HostIdentity::Detect(std::string version, const std::string& machine_id_file) {
  HostIdentity host;
  host.version = std::move(version);
  utsname name{};
  if (uname(&name) == 0) host.host_name = name.nodename;
  std::ifstream in(machine_id_file);
  std::string id;
  if (in && std::getline(in, id)) host.machine_id = std::string(Trim(id));
  host.instance_id = RandomUuid();
  return host;
}

Result<config::StringPairs> ParseKeyValueList(std::string_view text) {
  config::StringPairs out;
  std::size_t position = 0;
  for (std::size_t start = 0; start <= text.size();) {
    std::size_t comma = text.find(',', start);
    std::string_view entry = Trim(text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    start = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
    ++position;
    if (entry.empty()) continue;
    std::size_t eq = entry.find('=');
    const std::string where = "entry " + std::to_string(position);
    if (eq == std::string_view::npos) return Error{where + " has no '='"};
    auto key = PercentDecode(Trim(entry.substr(0, eq)));
    auto value = PercentDecode(Trim(entry.substr(eq + 1)));
    if (!key || !value) return Error{where + " has a bad percent-encoding"};
    if (key->empty()) return Error{where + " has an empty key"};
    Upsert(out, *key, *value);
  }
  return out;
}

OtlpResolution ResolveOtlp(const config::Config& config, const Environment& environment,
                           const HostIdentity& host) {
  OtlpResolution r;
  auto& warnings = r.warnings;
  const config::Otel& file = config.otel;

  // Read every variable, so that each malformed one is reported even when another wins.
  auto logs_url = EnvironmentUrl(environment, "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", warnings);
  auto base_url = EnvironmentUrl(environment, "OTEL_EXPORTER_OTLP_ENDPOINT", warnings);
  auto logs_headers = EnvironmentHeaders(environment, "OTEL_EXPORTER_OTLP_LOGS_HEADERS", warnings);
  auto headers = EnvironmentHeaders(environment, "OTEL_EXPORTER_OTLP_HEADERS", warnings);
  auto logs_timeout = EnvironmentTimeout(environment, "OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", warnings);
  auto timeout = EnvironmentTimeout(environment, "OTEL_EXPORTER_OTLP_TIMEOUT", warnings);
  auto logs_gzip = EnvironmentGzip(environment, "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", warnings);
  auto gzip = EnvironmentGzip(environment, "OTEL_EXPORTER_OTLP_COMPRESSION", warnings);
  std::optional<config::StringPairs> env_resource;
  if (auto text = Get(environment, "OTEL_RESOURCE_ATTRIBUTES")) {
    auto parsed = ParseKeyValueList(*text);
    if (parsed.ok()) {
      env_resource = std::move(parsed).value();
    } else {
      warnings.push_back("OTEL_RESOURCE_ATTRIBUTES: " + parsed.error().message +
                         "; the whole variable is ignored");
    }
  }
  auto service_name = Get(environment, "OTEL_SERVICE_NAME");
  for (const char* name : {"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"}) {
    if (auto protocol = Get(environment, name); protocol && Lower(*protocol) != "http/json") {
      warnings.push_back(std::string(name) + ": rogue-hunter sends only http/json, not \"" +
                         *protocol + "\"; ignored");
    }
  }
  const bool disabled = IsTrue(environment, "OTEL_SDK_DISABLED", warnings);
  bool exporter_none = false;
  if (auto exporter = Get(environment, "OTEL_LOGS_EXPORTER")) {
    std::string lower = Lower(*exporter);
    exporter_none = lower == "none";
    if (!exporter_none && lower != "otlp") {
      warnings.push_back("OTEL_LOGS_EXPORTER: rogue-hunter exports logs only as otlp, not \"" +
                         *exporter + "\"; ignored");
    }
  }

  OtlpSettings s;
  if (!file.endpoint.empty()) {
    s.url = file.endpoint;
  } else if (logs_url) {
    s.url = *logs_url;
    if (UrlPath(s.url).empty()) s.url += "/";
  } else if (base_url) {
    s.url = *base_url;
    if (!s.url.ends_with('/')) s.url += '/';
    s.url += "v1/logs";
  }
  if (disabled) {
    r.off_reason = "OTEL_SDK_DISABLED is true";
  } else if (exporter_none) {
    r.off_reason = "OTEL_LOGS_EXPORTER is none";
  } else if (s.url.empty()) {
    r.off_reason =
        "no endpoint (otel.endpoint, OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, "
        "OTEL_EXPORTER_OTLP_ENDPOINT)";
  }
  if (!r.off_reason.empty()) return r;

  if (logs_headers) {
    s.headers = *logs_headers;
  } else if (headers) {
    s.headers = *headers;
  }
  UpsertAll(s.headers, file.headers, /*any_case=*/true);

  if (file.timeout_ms) {
    s.timeout = std::chrono::milliseconds(*file.timeout_ms);
  } else {
    s.timeout = logs_timeout.value_or(timeout.value_or(kDefaultTimeout));
  }
  s.connect_timeout = std::chrono::milliseconds(file.connect_timeout_ms);
  if (!file.compression.empty()) {
    s.gzip = file.compression == "gzip";
  } else {
    s.gzip = logs_gzip.value_or(gzip.value_or(false));
  }

  config::StringPairs& resource = s.resource;
  Upsert(resource, "service.name", "rogue-hunter");
  Upsert(resource, "service.version", host.version);
  Upsert(resource, "service.instance.id", host.instance_id);
  if (!host.host_name.empty()) Upsert(resource, "host.name", host.host_name);
  if (!host.machine_id.empty()) Upsert(resource, "host.id", host.machine_id);
  Upsert(resource, "os.type", "linux");
  if (env_resource) UpsertAll(resource, *env_resource);
  if (service_name) Upsert(resource, "service.name", *service_name);
  UpsertAll(resource, file.resource_attributes);
  if (!file.service_name.empty()) Upsert(resource, "service.name", file.service_name);

  s.queue_size = static_cast<std::size_t>(file.queue_size);
  s.max_batch_size = static_cast<std::size_t>(file.max_batch_size);
  s.batch_delay = std::chrono::milliseconds(file.batch_delay_ms);
  s.retry.initial = std::chrono::milliseconds(file.retry_initial_backoff_ms);
  s.retry.max = std::chrono::milliseconds(file.retry_max_backoff_ms);
  s.long_pause_seconds = config.pause.long_seconds;
  r.settings = std::move(s);
  return r;
}

std::optional<AlertmanagerSettings> ResolveAlertmanager(const config::Config& config,
                                                        const HostIdentity& host) {
  const config::Alertmanager& file = config.alertmanager;
  if (file.url.empty()) return std::nullopt;
  AlertmanagerSettings s;
  s.alerts_url = file.url;
  while (s.alerts_url.ends_with('/')) s.alerts_url.pop_back();
  s.alerts_url += "/api/v2/alerts";
  std::string instance = config.http.listen;
  if (auto listen = config::ParseListen(config.http.listen); listen.ok()) {
    if (listen->host == "0.0.0.0" || listen->host == "[::]") {
      instance = host.host_name + ":" + std::to_string(listen->port);
    }
  }
  s.labels = {{"instance", instance}, {"job", "rogue-hunter"}};
  UpsertAll(s.labels, file.labels);
  std::sort(s.labels.begin(), s.labels.end());
  s.generator_url = file.generator_url.empty() ? "http://" + instance + "/" : file.generator_url;
  s.active = std::chrono::milliseconds(static_cast<std::int64_t>(file.active_seconds * 1000));
  s.resend_interval =
      std::chrono::milliseconds(static_cast<std::int64_t>(file.resend_interval_seconds * 1000));
  s.timeout = std::chrono::milliseconds(file.timeout_ms);
  s.connect_timeout = std::chrono::milliseconds(file.connect_timeout_ms);
  s.username = file.basic_auth_username;
  s.password = file.basic_auth_password;
  s.bearer_token = file.bearer_token;
  s.long_pause_seconds = config.pause.long_seconds;
  s.retry.initial = std::min(std::chrono::milliseconds(1000), s.resend_interval);
  s.retry.max = s.resend_interval;
  return s;
}

}  // namespace rh::exporter::otel

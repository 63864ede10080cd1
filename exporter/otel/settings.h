#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace rh::exporter::otel {

/// The process environment, name to value (a copy: tests pass their own).
using Environment = std::map<std::string, std::string, std::less<>>;

/// This process's environment.
Environment ProcessEnvironment();

/// What the daemon knows about where it runs, for resource attributes and alert labels.
struct HostIdentity {
  std::string host_name;    ///< uname nodename.
  std::string machine_id;   ///< /etc/machine-id, empty if unreadable.
  std::string instance_id;  ///< A random UUID (version 4) made at start-up.
  std::string version;      ///< The daemon's version.

  /// Reads the host name and `machine_id_file` and draws a fresh instance id.
  static HostIdentity Detect(std::string version,
                             const std::string& machine_id_file = "/etc/machine-id");
};

/// Exponential backoff between attempts.
struct RetryOptions {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{30000};
};

/// Everything the OTLP log exporter needs, resolved from the [otel] table and the OTEL_*
/// environment variables.
struct OtlpSettings {
  std::string url;                           ///< Where ExportLogsServiceRequests are POSTed.
  config::StringPairs headers;               ///< Values are secrets: never log them.
  std::chrono::milliseconds timeout{10000};  ///< A whole request; 0: no limit.
  std::chrono::milliseconds connect_timeout{2000};
  bool gzip = false;
  config::StringPairs resource;  ///< Resource attributes, in a fixed order.
  std::size_t queue_size = 2048;
  std::size_t max_batch_size = 512;
  std::chrono::milliseconds batch_delay{200};
  RetryOptions retry;
  double long_pause_seconds = 10;  ///< A pause this long is ERROR, shorter ones WARN.
};

/// The outcome of resolving: the settings when OTLP export is on, and the problems found in the
/// environment (each names its variable, never a header value; log each once).
struct OtlpResolution {
  std::optional<OtlpSettings> settings;
  std::string off_reason;  ///< Why export is off, when it is.
  std::vector<std::string> warnings;
};

/// Resolves OTLP export with the precedence of the OpenTelemetry specification:
/// - the endpoint: otel.endpoint, else OTEL_EXPORTER_OTLP_LOGS_ENDPOINT (used as is), else
///   OTEL_EXPORTER_OTLP_ENDPOINT with "v1/logs" appended; none of them set: export is off;
/// - headers: OTEL_EXPORTER_OTLP_LOGS_HEADERS, else OTEL_EXPORTER_OTLP_HEADERS, then
///   [otel.headers] on top (a name set there wins);
/// - timeout and compression: otel.*, else the _LOGS_ variable, else the general one;
/// - resource: the detected attributes, then OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME,
///   then [otel.resource_attributes], then otel.service_name (later ones win);
/// - OTEL_SDK_DISABLED=true, or OTEL_LOGS_EXPORTER=none, turns export off whatever else is set.
/// An empty variable counts as unset. A malformed variable is ignored as a whole (one warning
/// naming it); a malformed header or resource entry discards its whole variable.
OtlpResolution ResolveOtlp(const config::Config& config, const Environment& environment,
                           const HostIdentity& host);

/// Everything the Alertmanager pusher needs.
struct AlertmanagerSettings {
  std::string alerts_url;      ///< <url>/api/v2/alerts
  config::StringPairs labels;  ///< job, instance, and [alertmanager.labels] (sorted; no alertname)
  std::string generator_url;
  std::chrono::milliseconds active{600000};  ///< How long after the pause the alert ends.
  std::chrono::milliseconds resend_interval{60000};
  std::chrono::milliseconds timeout{5000};
  std::chrono::milliseconds connect_timeout{2000};
  std::string username;      ///< Basic auth, with password.
  std::string password;      ///< Secret.
  std::string bearer_token;  ///< Secret.
  double long_pause_seconds = 10;
  RetryOptions retry;  ///< max is resend_interval.
};

/// The pusher's settings, or nullopt when [alertmanager] url is not set. The default instance
/// label is the address Prometheus scrapes: http.listen, or "<host name>:<port>" when the daemon
/// listens on every address (0.0.0.0 or [::]). When Prometheus knows the daemon by another name,
/// set [alertmanager.labels] instance, so that both alerts carry the same labels.
std::optional<AlertmanagerSettings> ResolveAlertmanager(const config::Config& config,
                                                        const HostIdentity& host);

/// Parses a W3C-baggage-like list "key1=value1,key2=value2" (OTEL_EXPORTER_OTLP_HEADERS,
/// OTEL_RESOURCE_ATTRIBUTES): entries trimmed, values percent-decoded, empty entries skipped.
/// An error says which entry (by position) is wrong, never its value.
Result<config::StringPairs> ParseKeyValueList(std::string_view text);

}  // namespace rh::exporter::otel

#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "exporter/event_stream.h"

namespace rh::exporter::otel {

/// OTLP SeverityNumber values the events use.
enum class Severity : int { kInfo = 9, kWarn = 13, kError = 17 };

struct EncodeOptions {
  double long_pause_seconds = 10;  ///< A pause this long is ERROR, shorter ones WARN.
  std::string scope_version;       ///< The instrumentation scope's version (the daemon's).
};

/// The eventName of an event: "rogue_hunter.pause", "rogue_hunter.suspend",
/// "rogue_hunter.stress.state_change", "rogue_hunter.stress.critical" or
/// "rogue_hunter.forensics.capture".
std::string_view EventName(const DaemonEvent& event);

/// An ExportLogsServiceRequest in the OTLP/HTTP JSON encoding (lowerCamelCase names, 64-bit
/// integers as decimal strings, enums as integers, no trace or span ids), holding one LogRecord
/// per event (docs/otel.md lists their attributes) under one resource and scope. Strings that
/// are not valid UTF-8 (process names) have their bad bytes replaced by U+FFFD.
std::string EncodeExportLogsRequest(const config::StringPairs& resource,
                                    const std::vector<std::shared_ptr<const DaemonEvent>>& events,
                                    const EncodeOptions& options);

/// The partial_success of an ExportLogsServiceResponse (JSON): rejected records and the
/// server's message. nullopt when the body has none (full success, or not JSON).
struct PartialSuccess {
  std::uint64_t rejected = 0;
  std::string message;
};
std::optional<PartialSuccess> ParsePartialSuccess(std::string_view body);

/// "2026-11-29T00:20:28.123Z": RFC 3339 UTC with milliseconds.
std::string FormatRfc3339(std::int64_t unix_ns);

/// "2.999s", "1m 5s": the text Prometheus's humanizeDuration gives for `seconds`, so that a
/// direct alert and the rule's alert read alike.
std::string HumanizeDuration(double seconds);

}  // namespace rh::exporter::otel

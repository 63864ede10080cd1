#include "exporter/otel/log_records.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "analysis/sampling_policy.h"
#include "base/utf8.h"

namespace rh::exporter::otel {
namespace {

using nlohmann::json;

std::string Decimal(std::int64_t v) { return std::to_string(v); }

std::string SecondsText(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f s", s);
  return buf;
}

// The attributes of one record, as OTLP KeyValues.
class Attributes {
 public:
  Attributes& Str(std::string_view key, std::string_view value) {
    if (!value.empty()) Add(key, {{"stringValue", ToValidUtf8(value)}});
    return *this;
  }
  Attributes& Int(std::string_view key, std::int64_t value) {
    Add(key, {{"intValue", Decimal(value)}});
    return *this;
  }
  Attributes& Double(std::string_view key, double value) {
    if (std::isfinite(value)) Add(key, {{"doubleValue", value}});
    return *this;
  }
  Attributes& Time(std::string_view key, std::int64_t unix_ns) {
    return Str(key, FormatRfc3339(unix_ns));
  }
  json Take() { return std::move(list_); }

 private:
  void Add(std::string_view key, json value) {
    list_.push_back({{"key", std::string(key)}, {"value", std::move(value)}});
  }
  json list_ = json::array();
};

// What a record says, before it is wrapped in its LogRecord.
struct Content {
  Severity severity = Severity::kInfo;
  std::int64_t time_ns = 0;
  std::string body;
  Attributes attributes;
};

void AddStress(const RecordedEvent& e, Attributes& a) {
  a.Double("rogue_hunter.stress.score_before", e.record.score_before);
  a.Str("rogue_hunter.stress.dominant_component", e.dominant_component);
  if (e.score) a.Double("rogue_hunter.stress.score", *e.score);
}

// The busiest process of the sample before the event, and how many tasks were blocked.
void AddProcesses(const RecordedEvent& e, Attributes& a) {
  std::int64_t blocked = 0;
  for (const auto& p : e.record.processes) {
    if (p.list == "cpu" && p.rank == 1) {
      a.Str("rogue_hunter.top_cpu_process.name", p.comm);
      a.Int("rogue_hunter.top_cpu_process.pid", p.pid);
      a.Double("rogue_hunter.top_cpu_process.cpu_ratio", p.cpu_ratio);
    }
    if (p.list == "blocked") ++blocked;
  }
  a.Int("rogue_hunter.blocked_tasks", blocked);
}

void AddWindow(const RecordedEvent& e, Attributes& a) {
  a.Time("rogue_hunter.event.start", e.start_unix_ns);
  a.Time("rogue_hunter.event.end", e.end_unix_ns);
  a.Double("rogue_hunter.event.duration", e.record.duration_seconds);
}

void AddBundle(const RecordedEvent& e, Attributes& a) {
  if (e.capture_requested) a.Str("rogue_hunter.bundle.id", e.record.key);
}

Content Pause(const RecordedEvent& e, const EncodeOptions& o) {
  Content c;
  const double d = e.record.duration_seconds;
  c.severity = d >= o.long_pause_seconds ? Severity::kError : Severity::kWarn;
  c.time_ns = e.start_unix_ns;
  c.body = "pause: nothing ran for " + SecondsText(d);
  AddWindow(e, c.attributes);
  AddStress(e, c.attributes);
  AddBundle(e, c.attributes);
  AddProcesses(e, c.attributes);
  return c;
}

Content Suspend(const RecordedEvent& e, const EncodeOptions&) {
  Content c;
  c.severity = Severity::kInfo;
  c.time_ns = e.start_unix_ns;
  c.body = "suspend: the machine slept for " + SecondsText(e.record.duration_seconds);
  AddWindow(e, c.attributes);
  AddStress(e, c.attributes);
  return c;
}

Content Critical(const RecordedEvent& e, const EncodeOptions&) {
  Content c;
  c.severity = Severity::kError;
  c.time_ns = e.end_unix_ns;
  c.body = e.record.notes.empty() ? "critical stress episode started" : e.record.notes;
  AddStress(e, c.attributes);
  AddBundle(e, c.attributes);
  AddProcesses(e, c.attributes);
  return c;
}

Content StateChange(const RecordedEvent& e, const EncodeOptions&) {
  Content c;
  const std::string& to = e.record.state_to;
  c.severity =
      to == analysis::Name(analysis::SamplingState::kNormal) ? Severity::kInfo : Severity::kWarn;
  c.time_ns = e.end_unix_ns;
  c.body = "sampling " + e.record.state_from + " -> " + to;
  if (e.score) c.body += " at stress " + std::to_string(static_cast<int>(*e.score));
  c.attributes.Str("rogue_hunter.stress.state.from", e.record.state_from);
  c.attributes.Str("rogue_hunter.stress.state.to", to);
  AddStress(e, c.attributes);
  return c;
}

// One row per forensics::EventKind, in its order: the event name and how to describe it.
struct KindRow {
  std::string_view event_name;
  Content (*describe)(const RecordedEvent&, const EncodeOptions&);
};
constexpr std::array<KindRow, 4> kKinds = {{
    {"rogue_hunter.pause", &Pause},
    {"rogue_hunter.suspend", &Suspend},
    {"rogue_hunter.stress.critical", &Critical},
    {"rogue_hunter.stress.state_change", &StateChange},
}};
static_assert(kKinds.size() == forensics::kEventKindNames.size(),
              "every forensics::EventKind needs its row in kKinds");

constexpr std::string_view kCaptureEventName = "rogue_hunter.forensics.capture";

Content Capture(const CaptureEnded& e, const EncodeOptions&) {
  Content c;
  const forensics::CaptureOutcome& o = e.outcome;
  const std::string trigger(forensics::Name(e.request.trigger));
  c.time_ns = e.end_unix_ns;
  Attributes& a = c.attributes;
  a.Str("rogue_hunter.event.key", e.request.id);
  a.Str("rogue_hunter.capture.trigger", trigger);
  a.Str("rogue_hunter.capture.result", forensics::Name(o.result));
  a.Double("rogue_hunter.capture.duration", o.duration_seconds);
  switch (o.result) {
    case forensics::CaptureResult::kOk:
      c.severity = Severity::kInfo;
      c.body = "forensics: " + trigger + " bundle " + o.id + " written in " +
               SecondsText(o.duration_seconds);
      a.Str("rogue_hunter.bundle.id", o.id);
      a.Int("rogue_hunter.bundle.size", static_cast<std::int64_t>(o.bytes));
      if (o.top_culprit) {
        const analysis::Culprit& culprit = *o.top_culprit;
        a.Str("rogue_hunter.culprit.name", culprit.comm);
        a.Int("rogue_hunter.culprit.pid", culprit.pid);
        a.Double("rogue_hunter.culprit.score", culprit.score);
        if (!culprit.evidence.empty()) {
          a.Str("rogue_hunter.culprit.evidence", culprit.evidence.front().kind);
          a.Str("rogue_hunter.culprit.evidence_text", culprit.evidence.front().text);
        }
      }
      a.Str("rogue_hunter.stress.dominant_component", o.dominant.component);
      a.Str("rogue_hunter.stress.dominant_text", o.dominant.text);
      break;
    case forensics::CaptureResult::kRateLimited:
      c.severity = Severity::kInfo;
      c.body = "forensics: " + trigger + " capture " + e.request.id + " not taken: " + o.error;
      a.Str("rogue_hunter.capture.reason", o.error);
      break;
    case forensics::CaptureResult::kCoalesced:
      c.severity = Severity::kInfo;
      c.body = "forensics: " + trigger + " capture " + e.request.id + " " + o.error;
      a.Str("rogue_hunter.capture.reason", o.error);
      break;
    case forensics::CaptureResult::kFailed:
      c.severity = Severity::kWarn;
      c.body = "forensics: " + trigger + " capture " + e.request.id + " failed: " + o.error;
      a.Str("rogue_hunter.capture.reason", o.error);
      break;
  }
  return c;
}

std::string_view SeverityText(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "INFO";
    case Severity::kWarn:
      return "WARN";
    case Severity::kError:
      return "ERROR";
  }
  return "INFO";
}

json LogRecord(const DaemonEvent& event, const EncodeOptions& options) {
  Content c = std::visit(
      [&](const auto& what) -> Content {
        using T = std::decay_t<decltype(what)>;
        if constexpr (std::is_same_v<T, RecordedEvent>) {
          Content content =
              kKinds[static_cast<std::size_t>(what.record.kind)].describe(what, options);
          content.attributes.Str("rogue_hunter.event.key", what.record.key);
          return content;
        } else {
          static_assert(std::is_same_v<T, CaptureEnded>, "an event alternative without encoding");
          return Capture(what, options);
        }
      },
      event.what);
  json record = {
      {"timeUnixNano", Decimal(c.time_ns)},
      {"observedTimeUnixNano", Decimal(event.observed_unix_ns)},
      {"severityNumber", static_cast<int>(c.severity)},
      {"severityText", std::string(SeverityText(c.severity))},
      {"body", {{"stringValue", ToValidUtf8(c.body)}}},
      {"eventName", std::string(EventName(event))},
  };
  json attributes = c.attributes.Take();
  if (!attributes.empty()) record["attributes"] = std::move(attributes);
  return record;
}

}  // namespace

std::string_view EventName(const DaemonEvent& event) {
  if (const auto* recorded = std::get_if<RecordedEvent>(&event.what)) {
    return kKinds[static_cast<std::size_t>(recorded->record.kind)].event_name;
  }
  return kCaptureEventName;
}

std::string EncodeExportLogsRequest(const config::StringPairs& resource,
                                    const std::vector<std::shared_ptr<const DaemonEvent>>& events,
                                    const EncodeOptions& options) {
  Attributes resource_attributes;
  for (const auto& [key, value] : resource) resource_attributes.Str(key, value);
  json records = json::array();
  for (const auto& event : events) {
    if (event) records.push_back(LogRecord(*event, options));
  }
  json scope = {{"name", "rogue-hunter"}};
  if (!options.scope_version.empty()) scope["version"] = options.scope_version;
  json request = {
      {"resourceLogs",
       json::array({{{"resource", {{"attributes", resource_attributes.Take()}}},
                     {"scopeLogs", json::array({{{"scope", scope}, {"logRecords", records}}})}}})}};
  return request.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<PartialSuccess> ParsePartialSuccess(std::string_view body) {
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return std::nullopt;
  auto it = parsed.find("partialSuccess");
  if (it == parsed.end() || !it->is_object()) return std::nullopt;
  PartialSuccess p;
  if (auto r = it->find("rejectedLogRecords"); r != it->end()) {
    if (r->is_number_unsigned()) {
      p.rejected = r->get<std::uint64_t>();
    } else if (r->is_number_integer()) {
      p.rejected = static_cast<std::uint64_t>(std::max<std::int64_t>(0, r->get<std::int64_t>()));
    } else if (r->is_string()) {
      p.rejected = std::strtoull(r->get<std::string>().c_str(), nullptr, 10);
    }
  }
  if (auto m = it->find("errorMessage"); m != it->end() && m->is_string()) {
    p.message = m->get<std::string>();
  }
  if (p.rejected == 0 && p.message.empty()) return std::nullopt;
  return p;
}

std::string FormatRfc3339(std::int64_t unix_ns) {
  std::int64_t seconds = unix_ns / 1'000'000'000;
  std::int64_t ms = (unix_ns % 1'000'000'000) / 1'000'000;
  if (ms < 0) {
    ms += 1000;
    --seconds;
  }
  const time_t t = static_cast<time_t>(seconds);
  tm utc{};
  gmtime_r(&t, &utc);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms));
  return buf;
}

std::string HumanizeDuration(double v) {
  char buf[64];
  if (std::isnan(v) || std::isinf(v)) {
    std::snprintf(buf, sizeof(buf), "%.4g", v);
    return buf;
  }
  if (v == 0) return "0s";
  if (std::fabs(v) >= 1) {
    const char* sign = v < 0 ? "-" : "";
    v = std::fabs(v);
    const auto duration = static_cast<std::int64_t>(v);
    const std::int64_t seconds = duration % 60, minutes = duration / 60 % 60;
    const std::int64_t hours = duration / 3600 % 24, days = duration / 86400;
    if (days != 0) {
      std::snprintf(buf, sizeof(buf), "%s%lldd %lldh %lldm %llds", sign,
                    static_cast<long long>(days), static_cast<long long>(hours),
                    static_cast<long long>(minutes), static_cast<long long>(seconds));
    } else if (hours != 0) {
      std::snprintf(buf, sizeof(buf), "%s%lldh %lldm %llds", sign, static_cast<long long>(hours),
                    static_cast<long long>(minutes), static_cast<long long>(seconds));
    } else if (minutes != 0) {
      std::snprintf(buf, sizeof(buf), "%s%lldm %llds", sign, static_cast<long long>(minutes),
                    static_cast<long long>(seconds));
    } else {
      std::snprintf(buf, sizeof(buf), "%s%.4gs", sign, v);
    }
    return buf;
  }
  const char* prefix = "";
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  std::snprintf(buf, sizeof(buf), "%.4g%ss", v, prefix);
  return buf;
}

}  // namespace rh::exporter::otel

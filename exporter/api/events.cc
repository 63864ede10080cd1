// GET /api/events[?since=&kind=&limit=] and /api/events/{id}: the events of the history, with
// the summary of their forensic bundle.

#include <algorithm>
#include <filesystem>
#include <vector>

#include "exporter/api/api.h"
#include "forensics/bundle_reader.h"
#include "forensics/json_read.h"

namespace rh::exporter::api {
namespace {

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;
constexpr std::uint64_t kMaxSummaryBytes = 1 << 20;

bool ValidEventId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
           c == '-' || c == '_' || c == ':';
  });
}

// The bundle of the event's successful capture, if it lies in the events directory.
std::optional<std::filesystem::path> BundleOf(const ApiContext& c,
                                              const std::vector<forensics::CaptureRecord>& caps) {
  for (const auto& capture : caps) {
    if (capture.result != "ok" || capture.bundle_path.empty()) continue;
    const std::filesystem::path path =
        std::filesystem::path(capture.bundle_path).lexically_normal();
    const std::filesystem::path root =
        std::filesystem::path(c.config.forensics.events_dir).lexically_normal();
    // The path comes from the database: accept only a direct child of the events directory.
    if (path.parent_path() != root || !ValidEventId(path.filename().string())) continue;
    return path;
  }
  return std::nullopt;
}

Json EventJson(const forensics::EventRecord& e,
               const std::optional<std::filesystem::path>& bundle) {
  Json j = {{"id", e.key},
            {"kind", forensics::kEventKindNames[static_cast<std::size_t>(e.kind)]},
            {"started_at", IsoTime(e.start_time)},
            {"ended_at", IsoTime(e.end_time)},
            {"duration_seconds", e.duration_seconds},
            {"score_before", e.score_before}};
  if (e.kind == forensics::EventKind::kStateChange) {
    j["state_from"] = e.state_from;
    j["state_to"] = e.state_to;
  }
  j["notes"] = e.notes.empty() ? Json(nullptr) : Json(e.notes);
  j["bundle"] = bundle ? Json(bundle->filename().string()) : Json(nullptr);
  return j;
}

// summary.json of a bundle, parsed, or null with the reason; nesting deeper than
// forensics::kMaxJsonDepth is refused, so that a tampered file cannot exhaust a worker's stack
// when it is written out again.
std::pair<Json, std::string> ReadSummary(const std::filesystem::path& bundle) {
  auto text = forensics::ReadBundleFile(bundle, "summary.json", kMaxSummaryBytes);
  if (!text.ok()) return {nullptr, "the bundle's summary.json cannot be read"};
  auto summary = forensics::ParseOrderedJson(*text, "summary.json");
  if (!summary.ok()) return {nullptr, "the bundle's summary.json is invalid"};
  return {std::move(summary).value(), ""};
}

}  // namespace

HttpResponse ListEvents(ApiContext& c, ApiRequest& r) {
  const double now = static_cast<double>(c.clock.Now().realtime_ns) / 1e9;
  double since = now - 24 * 3600;
  if (auto text = QueryParameter(r.http.query(), "since")) {
    auto parsed = ParseTime(*text);
    if (!parsed) {
      return JsonError(400, "since must be Unix seconds or an RFC 3339 UTC time",
                       {{"since", *text}});
    }
    since = *parsed;
  }
  std::string kind;
  std::vector<forensics::EventKind> kinds;  // empty: every kind
  if (auto text = QueryParameter(r.http.query(), "kind")) {
    const auto& names = forensics::kEventKindNames;
    auto found = std::find(names.begin(), names.end(), *text);
    if (found == names.end()) {
      return JsonError(400, "kind must be one of pause, suspend, critical, state_change",
                       {{"kind", *text}});
    }
    kind = *text;
    kinds.push_back(static_cast<forensics::EventKind>(found - names.begin()));
  }
  int limit = kDefaultLimit;
  if (auto text = QueryParameter(r.http.query(), "limit")) {
    auto parsed = ParseInteger(*text, 1, kMaxLimit);
    if (!parsed) {
      return JsonError(400, "limit must be a whole number from 1 to " + std::to_string(kMaxLimit),
                       {{"limit", *text}});
    }
    limit = static_cast<int>(*parsed);
  }
  HttpResponse refusal;
  auto store = OpenHistory(c, &refusal);
  if (!store.ok()) return refusal;
  auto events = (*store)->LatestEvents(since, kinds, limit);
  if (!events.ok()) return JsonError(503, "the history database cannot be read");
  Json list = Json::array();
  for (const auto& e : *events) {
    auto captures = (*store)->Captures(e.key);
    list.push_back(EventJson(e, captures.ok() ? BundleOf(c, *captures) : std::nullopt));
  }
  return JsonResponse(200, {{"success", true},
                            {"since", IsoTime(since)},
                            {"kind", kind.empty() ? Json(nullptr) : Json(kind)},
                            {"count", list.size()},
                            {"events", list}});
}

HttpResponse GetEvent(ApiContext& c, ApiRequest& r) {
  const std::string_view id = r.params[0];
  if (!ValidEventId(id)) {
    return JsonError(400, "invalid event id", {{"id", std::string(id)}});
  }
  HttpResponse refusal;
  auto store = OpenHistory(c, &refusal);
  if (!store.ok()) return refusal;
  auto event = (*store)->Event(id);
  if (!event.ok()) return JsonError(503, "the history database cannot be read");
  if (!event->has_value()) return JsonError(404, "Event not found", {{"id", std::string(id)}});
  auto captures = (*store)->Captures(id);
  const std::vector<forensics::CaptureRecord> caps =
      captures.ok() ? *captures : std::vector<forensics::CaptureRecord>{};
  const auto bundle = BundleOf(c, caps);

  Json body = {{"success", true}};
  const Json event_json = EventJson(**event, bundle);
  for (const auto& [key, value] : event_json.items()) body[key] = value;
  Json processes = Json::array();
  for (const auto& p : (*event)->processes) {
    processes.push_back(
        {{"list", p.list},
         {"rank", p.rank},
         {"pid", p.pid},
         {"name", p.comm},
         {"status", ProcessJson::StatusName(p.state)},
         {"cpu_percent", std::round(p.cpu_ratio * 10000) / 100},
         {"memory_mb", std::round(static_cast<double>(p.rss_bytes) / (1 << 20) * 10) / 10},
         {"wchan", p.wchan.empty() ? Json(nullptr) : Json(p.wchan)}});
  }
  body["processes"] = processes;
  Json capture_list = Json::array();
  for (const auto& cap : caps) {
    capture_list.push_back({{"trigger", cap.trigger},
                            {"result", cap.result},
                            {"created_at", IsoTime(cap.created_time)},
                            {"duration_seconds", cap.duration_seconds},
                            {"bytes", cap.bytes},
                            {"error", cap.error.empty() ? Json(nullptr) : Json(cap.error)}});
  }
  body["captures"] = capture_list;
  if (bundle) {
    auto [summary, why] = ReadSummary(*bundle);
    body["summary"] = std::move(summary);
    if (!why.empty()) body["summary_error"] = why;
  } else {
    body["summary"] = nullptr;
  }
  return JsonResponse(200, body);
}

}  // namespace rh::exporter::api

#include <charconv>
#include <nlohmann/json.hpp>
#include <ostream>

#include "exporter/cli/commands.h"
#include "exporter/cli/event_view.h"
#include "exporter/cli/format.h"
#include "forensics/cli/table.h"
#include "forensics/cli/text.h"
#include "forensics/sample_json.h"

namespace rh::exporter::cli {
namespace {

using forensics::EventKind;
using forensics::cli::Printable;
using nlohmann::json;

constexpr std::size_t kDetailProcesses = 5;

Result<std::vector<EventKind>> ParseKinds(const std::vector<std::string>& given) {
  std::vector<EventKind> kinds;
  std::vector<std::string> names;
  for (const auto& g : given) {
    std::size_t start = 0;
    while (start <= g.size()) {
      std::size_t comma = g.find(',', start);
      names.push_back(
          g.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (names.empty())
    return std::vector<EventKind>{EventKind::kPause, EventKind::kSuspend, EventKind::kCritical};
  for (const auto& n : names) {
    if (n == "all") return std::vector<EventKind>{};
    bool known = false;
    for (std::size_t i = 0; i < forensics::kEventKindNames.size(); ++i) {
      if (n == forensics::kEventKindNames[i]) {
        kinds.push_back(static_cast<EventKind>(i));
        known = true;
      }
    }
    if (!known) {
      return Error{"--kind: unknown kind \"" + n +
                   "\" (pause, suspend, critical, state_change or all)"};
    }
  }
  return kinds;
}

std::string Time(double unix_seconds) {
  return forensics::Rfc3339(static_cast<std::int64_t>(unix_seconds * 1e9));
}

json ProcessJson(const forensics::EventProcess& p) {
  return {{"list", p.list},
          {"rank", p.rank},
          {"pid", p.pid},
          {"comm", forensics::BytesToJson(p.comm)},
          {"state", std::string(1, p.state)},
          {"cpu_ratio", p.cpu_ratio},
          {"rss_bytes", p.rss_bytes},
          {"wchan", p.wchan}};
}

json SummaryJson(const forensics::cli::Summary& s) {
  json culprits = json::array();
  for (const auto& c : s.culprits) {
    json evidence = json::array();
    for (const auto& e : c.evidence) {
      evidence.push_back({{"kind", e.kind}, {"value", e.value}, {"text", e.text}});
    }
    culprits.push_back({{"rank", c.rank},
                        {"pid", c.pid},
                        {"comm", forensics::BytesToJson(c.comm)},
                        {"score", c.score},
                        {"unit", c.unit},
                        {"evidence", evidence}});
  }
  return {{"dominant",
           {{"component", s.dominant_component},
            {"points", s.dominant_points},
            {"text", s.dominant_text}}},
          {"culprits", culprits},
          {"blocked_tasks", s.blocked_tasks},
          {"steal_share", s.steal_share},
          {"score_before", s.score_before ? json(*s.score_before) : json(nullptr)},
          {"notes", s.notes}};
}

json EventJson(const EventView& v, bool detail) {
  const auto& e = v.event;
  json processes = json::array();
  for (const auto& p : e.processes) processes.push_back(ProcessJson(p));
  json captures = json::array();
  for (const auto& c : v.captures) {
    captures.push_back(
        {{"trigger", c.trigger},
         {"result", c.result},
         {"bundle_path", c.bundle_path.empty() ? json(nullptr) : json(c.bundle_path)},
         {"created", Time(c.created_time)},
         {"duration_seconds", c.duration_seconds},
         {"bytes", c.bytes},
         {"error", c.error}});
  }
  json culprit = nullptr;
  if (!v.culprit.empty()) {
    culprit = {{"pid", v.culprit_pid},
               {"comm", forensics::BytesToJson(v.culprit)},
               {"ranked", v.culprit_ranked}};
  }
  json bundle = nullptr;
  if (!v.bundle.empty()) {
    bundle = {{"id", v.bundle}, {"path", v.bundle_path.string()}, {"present", v.bundle_present}};
    if (detail) {
      bundle["summary"] = v.summary ? SummaryJson(*v.summary) : json(nullptr);
      if (!v.summary_error.empty()) bundle["summary_error"] = v.summary_error;
    }
  }
  return {{"id", e.id},
          {"key", e.key},
          {"kind", forensics::kEventKindNames[static_cast<std::size_t>(e.kind)]},
          {"start", Time(e.start_time)},
          {"end", Time(e.end_time)},
          {"duration_seconds", e.duration_seconds},
          {"score_before", e.score_before},
          {"state_from", e.state_from.empty() ? json(nullptr) : json(e.state_from)},
          {"state_to", e.state_to.empty() ? json(nullptr) : json(e.state_to)},
          {"notes", e.notes},
          {"culprit", culprit},
          {"bundle", bundle},
          {"captures", captures},
          {"processes", processes}};
}

std::string BundleCell(const EventView& v) {
  if (!v.bundle.empty()) return v.bundle_present ? Printable(v.bundle) : "(removed)";
  for (const auto& c : v.captures) {
    if (c.result == "rate_limited") return "(rate-limited)";
    if (c.result == "failed") return "(failed)";
  }
  return "-";
}

std::string CulpritCell(const EventView& v) {
  const auto& e = v.event;
  if (e.kind == EventKind::kStateChange)
    return Printable(e.state_from) + " -> " + Printable(e.state_to);
  if (v.culprit.empty()) return "-";
  return Printable(v.culprit) + " (" + std::to_string(v.culprit_pid) + ")" +
         (v.culprit_ranked ? "" : " *");
}

int List(const Context& ctx, const EventsOptions& options, forensics::Store& store) {
  const double now = static_cast<double>(ctx.clock->Now().realtime_ns) / 1e9;
  double since = -1e18;
  if (!options.since.empty()) {
    auto parsed = ParseSince(options.since, now);
    if (!parsed) return Fail(ctx, parsed.error().message, kExitUsage);
    since = *parsed;
  }
  auto kinds = ParseKinds(options.kinds);
  if (!kinds) return Fail(ctx, kinds.error().message, kExitUsage);
  auto events = store.LatestEvents(since, *kinds, options.limit);
  if (!events) return Fail(ctx, events.error().message);
  std::vector<EventView> views;
  for (auto& e : *events) views.push_back(ViewEvent(store, std::move(e)));

  if (options.format == "json") {
    json list = json::array();
    for (const auto& v : views) list.push_back(EventJson(v, false));
    json kind_names = json::array();
    for (auto k : *kinds) kind_names.push_back(forensics::kEventKindNames[static_cast<int>(k)]);
    json doc = {{"database", ctx.config.storage.database},
                {"since", options.since.empty() ? json(nullptr) : json(Time(since))},
                {"kinds", kinds->empty() ? json("all") : kind_names},
                {"count", list.size()},
                {"events", list}};
    *ctx.out << doc.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  if (views.empty()) {
    *ctx.out << "no events" << (options.since.empty() ? "" : " since " + LocalTime(since)) << " in "
             << Printable(ctx.config.storage.database) << "\n";
    return kExitOk;
  }
  forensics::cli::Table table(
      {"ID", "TIME", "KIND", "DURATION", "STRESS", "TOP CULPRIT", "BUNDLE"});
  bool unranked = false;
  for (const auto& v : views) {
    const auto& e = v.event;
    const bool timed =
        e.kind == EventKind::kPause || e.kind == EventKind::kSuspend || e.duration_seconds > 0;
    unranked |= !v.culprit.empty() && !v.culprit_ranked && e.kind != EventKind::kStateChange;
    table.Add({std::to_string(e.id), LocalTime(e.start_time),
               std::string(forensics::kEventKindNames[static_cast<int>(e.kind)]),
               timed ? Seconds(e.duration_seconds) : "-",
               std::to_string(static_cast<int>(e.score_before)), CulpritCell(v), BundleCell(v)});
  }
  table.Print(*ctx.out);
  if (unranked) {
    *ctx.out << "* no bundle ranking: the process that used most CPU just before the event\n";
  }
  return kExitOk;
}

void PrintProcesses(std::ostream& out, const forensics::EventRecord& e, const std::string& list,
                    const std::string& title) {
  std::vector<const forensics::EventProcess*> shown;
  for (const auto& p : e.processes) {
    if (p.list == list && shown.size() < kDetailProcesses) shown.push_back(&p);
  }
  if (shown.empty()) return;
  out << "  " << title << ":\n";
  forensics::cli::Table table({"PID", "NAME", "STATE", "CPU", "RSS", "WAITING IN"});
  for (const auto* p : shown) {
    table.Add({std::to_string(p->pid), Printable(p->comm), std::string(1, p->state),
               forensics::cli::Decimal(p->cpu_ratio, 2),
               forensics::cli::HumanBytes(static_cast<double>(p->rss_bytes)),
               p->wchan.empty() ? "-" : Printable(p->wchan)});
  }
  table.Print(out, "    ");
}

int Detail(const Context& ctx, const EventsOptions& options, forensics::Store& store) {
  std::int64_t id = 0;
  const std::string& given = options.id;
  auto [end, ec] = std::from_chars(given.data(), given.data() + given.size(), id);
  auto found = ec == std::errc() && end == given.data() + given.size() ? store.EventById(id)
                                                                       : store.Event(given);
  if (!found) return Fail(ctx, found.error().message);
  if (!*found) {
    return Fail(ctx, "no event " + Printable(given) + " in " + ctx.config.storage.database +
                         " (rogue-hunter events lists them)");
  }
  const EventView v = ViewEvent(store, std::move(**found));
  if (options.format == "json") {
    *ctx.out << EventJson(v, true).dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  const double now = static_cast<double>(ctx.clock->Now().realtime_ns) / 1e9;
  const auto& e = v.event;
  std::ostream& out = *ctx.out;
  out << "Event " << e.id << ": " << forensics::kEventKindNames[static_cast<int>(e.kind)] << "\n";
  out << "  Key:           " << Printable(e.key) << "\n";
  out << "  Time:          " << LocalTime(e.start_time) << " (" << Ago(now - e.end_time) << ")\n";
  if (e.kind == EventKind::kPause || e.kind == EventKind::kSuspend) {
    out << "  Duration:      " << Seconds(e.duration_seconds) << " (" << Time(e.start_time)
        << " to " << Time(e.end_time) << ")\n";
  }
  if (e.kind == EventKind::kStateChange) {
    out << "  Change:        " << Printable(e.state_from) << " -> " << Printable(e.state_to)
        << "\n";
  }
  out << "  Stress before: " << static_cast<int>(e.score_before) << "\n";
  if (!e.notes.empty()) out << "  Notes:         " << Printable(e.notes) << "\n";
  if (!e.processes.empty()) {
    out << "\nProcesses in the last sample before it:\n";
    PrintProcesses(out, e, "cpu", "By CPU");
    PrintProcesses(out, e, "rss", "By memory");
    PrintProcesses(out, e, "blocked", "Blocked (D state)");
  }
  for (const auto& c : v.captures) {
    out << "\nCapture (" << Printable(c.trigger) << "): " << Printable(c.result);
    if (c.result == "ok") {
      out << " in " << Seconds(c.duration_seconds) << ", "
          << forensics::cli::HumanBytes(static_cast<double>(c.bytes)) << "\n";
    } else {
      out << (c.error.empty() ? "" : ": " + Printable(c.error)) << "\n";
    }
  }
  if (!v.bundle.empty()) {
    out << "\nBundle " << Printable(v.bundle) << " ("
        << (v.bundle_present ? Printable(v.bundle_path.string()) : "removed since") << ")\n";
    if (v.summary) {
      const auto& s = *v.summary;
      if (!s.dominant_text.empty())
        out << "  Dominant stress: " << Printable(s.dominant_text) << "\n";
      out << "  Culprits:\n";
      if (s.culprits.empty()) out << "    (none ranked)\n";
      for (const auto& c : s.culprits) {
        if (c.rank > 5) break;
        out << "    " << c.rank << ". " << Printable(c.comm) << " (" << c.pid << ")  score "
            << forensics::cli::Decimal(c.score, 2) << "\n";
        for (const auto& ev : c.evidence) out << "       - " << Printable(ev.text) << "\n";
      }
      if (s.blocked_tasks > 0) out << "  Blocked tasks: " << s.blocked_tasks << "\n";
      for (const auto& n : s.notes) out << "  Note: " << Printable(n) << "\n";
    } else if (!v.summary_error.empty()) {
      out << "  Summary unreadable: " << Printable(v.summary_error) << "\n";
    }
    if (v.bundle_present) out << "  More: rh-forensics show " << Printable(v.bundle) << "\n";
  }
  return kExitOk;
}

}  // namespace

int Events(const Context& ctx, const EventsOptions& options) {
  auto store = OpenHistory(ctx);
  if (!store) return Fail(ctx, store.error().message);
  return options.id.empty() ? List(ctx, options, **store) : Detail(ctx, options, **store);
}

}  // namespace rh::exporter::cli

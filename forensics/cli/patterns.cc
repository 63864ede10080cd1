#include <time.h>

#include <algorithm>
#include <array>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <system_error>

#include "forensics/cli/bundle_view.h"
#include "forensics/cli/commands.h"
#include "forensics/cli/table.h"
#include "forensics/cli/text.h"
#include "forensics/sample_json.h"
#include "forensics/store.h"

namespace rh::forensics::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::array<const char*, 7> kWeekdays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

// One event seen in the history, in the events directory, or both.
struct Occurrence {
  std::string kind;  // "pause", "critical", "manual"
  double time = 0;   // Unix seconds, start of the event
  std::optional<Summary> summary;
};

struct CulpritCount {
  std::size_t top = 0;  // events where it is the top culprit
  std::size_t any = 0;  // events where it is ranked at all
  double last = 0;
};

std::string Bar(std::size_t n, std::size_t max) {
  if (max == 0 || n == 0) return "";
  std::size_t width = std::max<std::size_t>(1, n * 40 / max);
  return std::string(width, '#');
}

// "  10  3  ###" (no bar, and no trailing space, for 0).
std::string Row(const std::string& label, std::size_t n, std::size_t max) {
  std::string count = std::to_string(n);
  std::string line = "  " + label + "  " + count;
  if (n > 0) line += std::string(count.size() < 2 ? 2 : 1, ' ') + Bar(n, max);
  return line + "\n";
}

}  // namespace

int Patterns(const Context& ctx, const std::string& format) {
  std::vector<std::string> warnings;
  std::vector<std::string> problems;
  auto bundles = ScanEventsDir(ctx.events_dir, problems);
  if (!bundles) return Fail(ctx, bundles.error().message);
  for (auto& p : problems) warnings.push_back(std::move(p));
  std::map<std::string, const StoredBundle*> by_id;
  for (const auto& b : *bundles) by_id.emplace(b.manifest.id, &b);

  std::vector<Occurrence> occurrences;
  std::set<std::string> seen;
  std::size_t history_events = 0;
  std::error_code ec;
  if (!ctx.database.empty() && fs::exists(ctx.database, ec)) {
    Store::Options options;
    options.read_only = true;
    auto store = Store::Open(ctx.database, options);
    if (!store) return Fail(ctx, store.error().message);
    const double far_future =
        static_cast<double>(ctx.clock->Now().realtime_ns) / 1e9 + 366 * 86400.0;
    auto events = (*store)->Events(0, far_future);
    if (!events) return Fail(ctx, events.error().message);
    for (const auto& e : *events) {
      if (e.kind != EventKind::kPause && e.kind != EventKind::kCritical) continue;
      ++history_events;
      Occurrence o;
      o.kind = std::string(kEventKindNames[static_cast<std::size_t>(e.kind)]);
      o.time = e.start_time;
      if (auto it = by_id.find(e.key); it != by_id.end()) {
        o.summary = it->second->summary;
      } else if (auto captures = (*store)->Captures(e.key); captures) {
        for (const auto& c : *captures) {
          if (c.result != "ok" || c.bundle_path.empty()) continue;
          auto text = ReadRegularFile(fs::path(c.bundle_path) / kSummaryFile, 64ULL << 20);
          if (!text) continue;
          if (auto s = ParseSummary(*text, c.bundle_path + "/" + std::string(kSummaryFile))) {
            o.summary = std::move(s).value();
            break;
          }
        }
      }
      seen.insert(e.key);
      occurrences.push_back(std::move(o));
    }
  } else {
    warnings.push_back("no history database at " + ctx.database + "; using the bundles only");
  }
  for (const auto& b : *bundles) {
    if (seen.contains(b.manifest.id)) continue;
    occurrences.push_back(
        {b.manifest.event_kind, static_cast<double>(b.manifest.event_start_ns) / 1e9, b.summary});
  }

  std::map<std::string, CulpritCount> culprits;
  std::array<std::size_t, 24> by_hour{};
  std::array<std::size_t, 7> by_day{};
  std::size_t pauses = 0, critical = 0, other = 0;
  for (const auto& o : occurrences) {
    if (o.summary && !o.summary->culprits.empty()) {
      std::set<std::string> named;
      for (const auto& c : o.summary->culprits) {
        if (!named.insert(c.comm).second) continue;
        CulpritCount& count = culprits[c.comm];
        ++count.any;
        count.last = std::max(count.last, o.time);
      }
      ++culprits[o.summary->culprits.front().comm].top;
    }
    if (o.kind == "pause") {
      ++pauses;
      time_t t = static_cast<time_t>(o.time);
      struct tm tm {};
      gmtime_r(&t, &tm);
      ++by_hour[static_cast<std::size_t>(tm.tm_hour)];
      ++by_day[static_cast<std::size_t>((tm.tm_wday + 6) % 7)];
    } else if (o.kind == "critical") {
      ++critical;
    } else {
      ++other;
    }
  }
  std::vector<std::pair<std::string, CulpritCount>> ranked(culprits.begin(), culprits.end());
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) {
    return std::tie(x.second.top, x.second.any) > std::tie(y.second.top, y.second.any);
  });

  for (const auto& w : warnings) Warn(ctx, w);
  if (format == "json") {
    json list = json::array();
    for (const auto& [comm, count] : ranked) {
      list.push_back({{"comm", BytesToJson(comm)},
                      {"top_culprit_events", count.top},
                      {"ranked_events", count.any},
                      {"last_seen", Rfc3339(static_cast<std::int64_t>(count.last * 1e9))}});
    }
    json days = json::array();
    for (std::size_t d = 0; d < 7; ++d)
      days.push_back({{"day", kWeekdays[d]}, {"pauses", by_day[d]}});
    json out = {{"events", occurrences.size()},  {"history_events", history_events},
                {"bundles", bundles->size()},    {"pauses", pauses},
                {"critical", critical},          {"culprits", list},
                {"pauses_by_hour_utc", by_hour}, {"pauses_by_weekday_utc", days}};
    *ctx.out << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return kExitOk;
  }

  std::ostream& out = *ctx.out;
  out << occurrences.size() << " events (" << pauses << " pauses, " << critical << " critical";
  if (other > 0) out << ", " << other << " other";
  out << "): " << history_events << " from the history, " << bundles->size() << " bundles in "
      << Printable(ctx.events_dir) << "\n";
  out << "\nRecurring culprits (events where each was the top culprit):\n";
  if (ranked.empty()) {
    out << "  none: no bundle summaries name a culprit\n";
  } else {
    Table table({"COMM", "TOP CULPRIT", "RANKED", "LAST SEEN"});
    for (const auto& [comm, count] : ranked) {
      table.Add({Printable(comm), std::to_string(count.top), std::to_string(count.any),
                 ShortTime(static_cast<std::int64_t>(count.last * 1e9))});
    }
    table.Print(out, "  ");
  }
  std::size_t max_hour = *std::max_element(by_hour.begin(), by_hour.end());
  out << "\nPauses by hour of day (UTC):\n";
  for (std::size_t h = 0; h < 24; ++h) {
    char label[8];
    std::snprintf(label, sizeof label, "%02zu", h);
    out << Row(label, by_hour[h], max_hour);
  }
  std::size_t max_day = *std::max_element(by_day.begin(), by_day.end());
  out << "\nPauses by day of week (UTC):\n";
  for (std::size_t d = 0; d < 7; ++d) {
    out << Row(kWeekdays[d], by_day[d], max_day);
  }
  return kExitOk;
}

}  // namespace rh::forensics::cli

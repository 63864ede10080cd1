// GET /api/processes/{pid}/history?hours=N: the per-process history of the store.

#include <algorithm>
#include <cmath>

#include "exporter/api/api.h"

namespace rh::exporter::api {
namespace {

constexpr std::size_t kMaxPoints = 1000;
constexpr int kDefaultHours = 24;

double Round(double value) { return std::round(value * 100) / 100; }

double MemoryPercent(const forensics::ProcessSampleRow& row) {
  return row.memory_total == 0
             ? 0
             : static_cast<double>(row.rss_bytes) / static_cast<double>(row.memory_total) * 100;
}

}  // namespace

HttpResponse GetProcessHistory(ApiContext& c, ApiRequest& r) {
  auto pid = ParsePid(r.params[0]);
  if (!pid) {
    return JsonError(400, "invalid pid: expected a number from 1 to 4194304",
                     {{"pid", std::string(r.params[0])}});
  }
  const int max_hours = static_cast<int>(std::ceil(c.config.process.history_hours));
  int hours = std::min(kDefaultHours, max_hours);
  if (auto text = QueryParameter(r.http.query(), "hours")) {
    auto parsed = ParseInteger(*text, 1, max_hours);
    if (!parsed) {
      return JsonError(400, "hours must be a whole number from 1 to " + std::to_string(max_hours),
                       {{"hours", *text}});
    }
    hours = static_cast<int>(*parsed);
  }

  HttpResponse refusal;
  auto store = OpenHistory(c, &refusal);
  if (!store.ok()) return refusal;

  // The process the pid names now, else the one it named last in the history.
  forensics::ProcessIdentity identity;
  bool running = false;
  auto views = c.reader.Read({*pid}, /*command_lines=*/false);
  if (views[0] && !c.boot_id.empty()) {
    identity = {c.boot_id, *pid, views[0]->files.stat.start_ticks};
    running = true;
  } else {
    auto latest = (*store)->LatestProcess(*pid);
    if (!latest.ok()) return JsonError(503, "the history database cannot be read");
    if (!latest->has_value()) {
      return JsonError(404, "Process not found and no history of it", {{"pid", *pid}});
    }
    identity = **latest;
  }

  const double now = static_cast<double>(c.clock.Now().realtime_ns) / 1e9;
  auto rows = (*store)->ProcessHistory(identity, now - hours * 3600.0, now);
  if (!rows.ok()) return JsonError(503, "the history database cannot be read");

  double cpu_sum = 0, cpu_max = 0, memory_sum = 0, memory_max = 0;
  for (const auto& row : *rows) {
    cpu_sum += row.cpu_ratio * 100;
    cpu_max = std::max(cpu_max, row.cpu_ratio * 100);
    memory_sum += MemoryPercent(row);
    memory_max = std::max(memory_max, MemoryPercent(row));
  }
  // At most kMaxPoints points: consecutive rows averaged in equal groups.
  const std::size_t n = rows->size();
  const std::size_t group = n <= kMaxPoints ? 1 : (n + kMaxPoints - 1) / kMaxPoints;
  Json history = Json::array();
  for (std::size_t i = 0; i < n; i += group) {
    const std::size_t end = std::min(n, i + group);
    double cpu = 0, memory = 0, rss = 0;
    for (std::size_t k = i; k < end; ++k) {
      cpu += (*rows)[k].cpu_ratio * 100;
      memory += MemoryPercent((*rows)[k]);
      rss += static_cast<double>((*rows)[k].rss_bytes);
    }
    const double count = static_cast<double>(end - i);
    history.push_back({{"timestamp", IsoTime((*rows)[i].time)},
                       {"cpu_percent", Round(cpu / count)},
                       {"memory_percent", Round(memory / count)},
                       {"memory_mb", std::round(rss / count / (1 << 20) * 10) / 10}});
  }
  const double points = n == 0 ? 1 : static_cast<double>(n);
  Json body = {{"success", true},
               {"pid", *pid},
               {"hours", hours},
               {"name", n > 0 ? Json(rows->back().comm)
                              : (views[0] ? Json(views[0]->files.stat.comm) : Json(nullptr))},
               {"start_ticks", identity.start_ticks},
               {"boot_id", identity.boot_id},
               {"running", running},
               {"history", history},
               {"statistics",
                {{"avg_cpu", Round(cpu_sum / points)},
                 {"max_cpu", Round(cpu_max)},
                 {"avg_memory", Round(memory_sum / points)},
                 {"max_memory", Round(memory_max)}}},
               {"data_points", n}};
  return JsonResponse(200, body);
}

}  // namespace rh::exporter::api

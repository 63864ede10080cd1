// GET /api/processes, /api/processes/{pid} and /api/processes/{pid}/tree.

#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include "exporter/api/api.h"

namespace rh::exporter::api {
namespace {

constexpr int kMaxTreeDepth = 8;
constexpr std::size_t kMaxTreeNodes = 1000;
constexpr int kMaxParentChain = 64;

HttpResponse BadPid(std::string_view text) {
  return JsonError(400, "invalid pid: expected a number from 1 to 4194304",
                   {{"pid", std::string(text)}});
}

HttpResponse NotFound(std::int32_t pid) {
  return JsonError(404, "Process not found", {{"pid", pid}});
}

// A process of a top list as the snapshot saw it, for one that exited (or whose pid was reused)
// since.
Json FromSnapshot(const collectors::TopProcess& p, const ProcessJson& json,
                  std::uint64_t memory_total) {
  return {{"pid", p.pid},
          {"name", p.comm},
          {"username", nullptr},
          {"cpu_percent", std::round(p.cpu_ratio * 10000) / 100},
          {"cpu_basis", "last_sample"},
          {"memory_percent",
           memory_total > 0
               ? Json(std::round(static_cast<double>(p.rss_bytes) / memory_total * 10000) / 100)
               : Json(nullptr)},
          {"memory_mb", std::round(static_cast<double>(p.rss_bytes) / (1 << 20) * 10) / 10},
          {"status", ProcessJson::StatusName(p.state)},
          {"started_at", IsoTime(json.StartTime(p.start_ticks))},
          {"start_ticks", p.start_ticks},
          {"cmdline", nullptr},
          {"num_threads", nullptr},
          {"exited", true}};
}

}  // namespace

HttpResponse ListProcesses(ApiContext& c, ApiRequest& /*r*/) {
  auto snapshot = c.snapshots.Latest();
  if (snapshot == nullptr || !snapshot->sample.Succeeded("processes")) {
    return JsonError(503, "no process table sampled yet");
  }
  const auto& table = snapshot->sample.processes;
  std::vector<std::int32_t> pids;
  for (const auto* list : {&table.top_cpu, &table.top_rss}) {
    for (const auto& p : *list) {
      if (std::find(pids.begin(), pids.end(), p.pid) == pids.end()) pids.push_back(p.pid);
    }
  }
  auto views = c.reader.Read(pids, /*command_lines=*/true);
  const ProcessJson json = MakeProcessJson(c, snapshot);
  auto entry = [&](const collectors::TopProcess& p) {
    auto at = std::find(pids.begin(), pids.end(), p.pid) - pids.begin();
    const auto& view = views[static_cast<std::size_t>(at)];
    if (view && view->files.stat.start_ticks == p.start_ticks) return json.Summary(*view);
    return FromSnapshot(p, json, snapshot->sample.meminfo.total);
  };
  Json top_cpu = Json::array(), top_ram = Json::array();
  for (const auto& p : table.top_cpu) top_cpu.push_back(entry(p));
  for (const auto& p : table.top_rss) top_ram.push_back(entry(p));
  return JsonResponse(
      200, {{"timestamp", IsoTime(static_cast<double>(snapshot->sample.clock.realtime_ns) / 1e9)},
            {"top_cpu", top_cpu},
            {"top_ram", top_ram},
            {"total_processes", table.counts.total},
            {"zombie_count", table.counts.zombie}});
}

HttpResponse GetProcess(ApiContext& c, ApiRequest& r) {
  auto pid = ParsePid(r.params[0]);
  if (!pid) return BadPid(r.params[0]);
  auto views = c.reader.Read({*pid}, /*command_lines=*/true);
  if (!views[0]) return NotFound(*pid);
  Json body = MakeProcessJson(c, c.snapshots.Latest()).Detail(*views[0]);
  body["boot_id"] = c.boot_id.empty() ? Json(nullptr) : Json(c.boot_id);
  return JsonResponse(200, body);
}

HttpResponse GetProcessTree(ApiContext& c, ApiRequest& r) {
  auto pid = ParsePid(r.params[0]);
  if (!pid) return BadPid(r.params[0]);
  auto stats = collectors::ReadAllProcessStats(c.reader.root());
  if (!stats.ok()) return JsonError(500, "cannot read the process table");
  std::map<std::int32_t, const collectors::ProcessStat*> by_pid;
  std::map<std::int32_t, std::vector<std::int32_t>> children;
  for (const auto& s : *stats) by_pid[s.pid] = &s;
  for (const auto& s : *stats) {
    if (s.ppid != s.pid && by_pid.count(s.ppid) != 0) children[s.ppid].push_back(s.pid);
  }
  auto self = by_pid.find(*pid);
  if (self == by_pid.end()) return NotFound(*pid);
  const ProcessJson json = MakeProcessJson(c, c.snapshots.Latest());

  Json chain = Json::array();
  std::set<std::int32_t> seen = {*pid};
  for (std::int32_t up = self->second->ppid; up > 0 && chain.size() < kMaxParentChain;) {
    auto it = by_pid.find(up);
    if (it == by_pid.end() || !seen.insert(up).second) break;
    chain.push_back(json.Brief(*it->second));
    up = it->second->ppid;
  }

  std::size_t nodes = 0;
  bool truncated = false;
  // Depth-first, each node with its own children; bounded in depth and in size.
  std::function<Json(std::int32_t, int)> subtree = [&](std::int32_t parent, int depth) {
    Json list = Json::array();
    auto it = children.find(parent);
    if (it == children.end()) return list;
    for (std::int32_t child : it->second) {
      if (nodes == kMaxTreeNodes || depth > kMaxTreeDepth) {
        truncated = true;
        break;
      }
      ++nodes;
      Json node = json.Brief(*by_pid.at(child));
      node["children"] = subtree(child, depth + 1);
      list.push_back(std::move(node));
    }
    return list;
  };
  Json kids = subtree(*pid, 1);
  const collectors::ProcessStat& s = *self->second;
  return JsonResponse(200, {{"success", true},
                            {"pid", s.pid},
                            {"name", s.comm},
                            {"status", ProcessJson::StatusName(s.state)},
                            {"parent", chain.empty() ? Json(nullptr) : chain.front()},
                            {"parent_chain", chain},
                            {"children", kids},
                            {"total_children", kids.size()},
                            {"total_descendants", nodes},
                            {"max_depth", kMaxTreeDepth},
                            {"truncated", truncated}});
}

}  // namespace rh::exporter::api

#include "forensics/capture/bundle_files.h"

#include <nlohmann/json.hpp>

#include "forensics/sample_json.h"

namespace rh::forensics {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

std::string Dump(const ordered_json& j) {
  return j.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

std::int64_t UnixNs(double seconds) { return static_cast<std::int64_t>(seconds * 1e9); }

ordered_json Bytes(std::string_view bytes) { return ordered_json(BytesToJson(bytes)); }

ordered_json Notes(const std::vector<std::string>& notes) {
  ordered_json out = ordered_json::array();
  for (const auto& n : notes) out.push_back(Bytes(n));
  return out;
}

}  // namespace

std::string ProcessesJson(const ProcessSnapshot& snapshot, std::int64_t captured_ns,
                          double clock_ticks_per_second) {
  ordered_json list = ordered_json::array();
  for (const auto& r : snapshot.processes) {
    const auto& p = r.info;
    ordered_json argv = nullptr;
    if (r.argv) {
      argv = ordered_json::array();
      for (const auto& a : *r.argv) argv.push_back(Bytes(a));
    }
    ordered_json errors = ordered_json::array();
    for (const auto& e : r.errors) errors.push_back(Bytes(e));
    list.push_back({
        {"pid", p.pid},
        {"ppid", p.ppid},
        {"user", r.uid ? Bytes(p.user) : ordered_json(nullptr)},
        {"uid", r.uid ? ordered_json(*r.uid) : ordered_json(nullptr)},
        {"comm", Bytes(p.comm)},
        {"cmdline", argv},
        {"state", std::string(1, p.state)},
        {"cpu_share", p.cpu_share},
        {"rss_bytes", p.rss_bytes},
        {"threads", p.threads},
        {"start_time", Rfc3339(UnixNs(p.start_time))},
        {"start_ticks", r.start_ticks},
        {"cpu_ticks", p.cpu_ticks},
        {"major_faults", p.major_faults},
        {"io_delay_seconds", p.io_delay_seconds},
        {"read_bytes", r.io ? ordered_json(r.io->read_bytes) : ordered_json(nullptr)},
        {"write_bytes", r.io ? ordered_json(r.io->write_bytes) : ordered_json(nullptr)},
        {"cgroup", Bytes(p.cgroup)},
        {"unit", Bytes(p.unit)},
        {"container", Bytes(r.container)},
        {"errors", errors},
    });
  }
  ordered_json j = {{"captured", Rfc3339(captured_ns)},
                    {"elapsed_seconds", snapshot.elapsed_seconds},
                    {"clock_ticks_per_second", static_cast<std::int64_t>(clock_ticks_per_second)},
                    {"processes", list},
                    {"notes", Notes(snapshot.notes)}};
  return Dump(j);
}

std::string BlockedJson(const ProcessSnapshot& snapshot, std::int64_t captured_ns) {
  ordered_json tasks = ordered_json::array();
  for (const auto& b : snapshot.blocked) {
    ordered_json stack = nullptr;
    if (b.stack) {
      stack = ordered_json::array();
      for (const auto& line : *b.stack) stack.push_back(Bytes(line));
    }
    tasks.push_back({
        {"pid", b.info.pid},
        {"tid", b.info.tid},
        {"comm", Bytes(b.info.comm)},
        {"state", "D"},
        {"wchan", Bytes(b.info.wchan)},
        {"stack", stack},
        {"stack_error", b.stack ? ordered_json(nullptr) : Bytes(b.stack_error)},
        {"blocked_since",
         b.blocked_since ? ordered_json(Rfc3339(UnixNs(*b.blocked_since))) : ordered_json(nullptr)},
        {"blocked_seconds",
         b.info.blocked_seconds ? ordered_json(*b.info.blocked_seconds) : ordered_json(nullptr)},
    });
  }
  ordered_json j = {{"captured", Rfc3339(captured_ns)}, {"tasks", tasks}};
  return Dump(j);
}

std::string CgroupsJson(const collectors::Cgroups& cgroups,
                        const std::vector<analysis::CgroupWindow>& windows,
                        std::int64_t captured_ns) {
  ordered_json list = ordered_json::array();
  for (const auto& w : windows) {
    const auto& u = *w.cgroup;
    list.push_back({
        {"path", Bytes(u.path)},
        {"name", Bytes(u.name)},
        {"unit", Bytes(collectors::SystemdUnit(u.path))},
        {"container", Bytes(collectors::ContainerId(u.path))},
        {"memory_bytes", u.memory_bytes ? ordered_json(*u.memory_bytes) : ordered_json(nullptr)},
        {"cpu_ratio", u.cpu_ratio},
        {"memory_some_ratio", u.memory_some_ratio},
        {"memory_full_ratio", u.memory_full_ratio},
        {"io_some_ratio", u.io_some_ratio},
        {"io_full_ratio", u.io_full_ratio},
        {"window_memory_full_share", w.memory_full_share},
        {"window_io_full_share", w.io_full_share},
        {"over_window", w.over_window},
        {"pressure_readable", u.pressure},
    });
  }
  ordered_json j = {{"captured", Rfc3339(captured_ns)},
                    {"available", cgroups.available},
                    {"count", cgroups.count},
                    {"truncated", cgroups.truncated},
                    {"cgroups", list}};
  return Dump(j);
}

std::string SummaryJson(const analysis::CulpritVerdict& v, double score_before,
                        const std::vector<std::string>& notes, const PauseSummary* pause,
                        std::string_view trigger_detail) {
  ordered_json culprits = ordered_json::array();
  for (const auto& c : v.culprits) {
    ordered_json evidence = ordered_json::array();
    for (const auto& e : c.evidence) {
      evidence.push_back({{"kind", e.kind}, {"value", e.value}, {"text", Bytes(e.text)}});
    }
    culprits.push_back({{"rank", c.rank},
                        {"pid", c.pid},
                        {"comm", Bytes(c.comm)},
                        {"score", c.score},
                        {"unit", Bytes(c.unit)},
                        {"cgroup", Bytes(c.cgroup)},
                        {"evidence", evidence}});
  }
  ordered_json j = {{"dominant",
                     {{"component", v.dominant.component},
                      {"points", v.dominant.points},
                      {"text", v.dominant.text}}},
                    {"culprits", culprits},
                    {"blocked_tasks", v.blocked_tasks},
                    {"steal_share", v.steal_share},
                    {"score_before", score_before},
                    {"notes", Notes(notes)}};
  if (pause != nullptr) {
    const analysis::ScopeVerdict& s = pause->verdict;
    j["pause"] = {{"scope", analysis::Name(s.scope)},
                  {"reason", analysis::Name(s.reason)},
                  {"evidence", Bytes(s.evidence)},
                  {"start_uncertainty_seconds", pause->start_uncertainty_seconds},
                  {"expected_context_switches", s.expected_switches},
                  {"observed_context_switches", s.observed_switches},
                  {"steal_seconds", s.steal_seconds}};
  }
  if (!trigger_detail.empty()) j["trigger_detail"] = Bytes(trigger_detail);
  return Dump(j);
}

std::string StressToml(const config::Stress& stress) {
  config::Config c;
  c.stress = stress;
  const std::string all = config::ToToml(c);
  std::size_t begin = all.find("[stress]\n");
  std::size_t end = all.find("\n[retention]");
  if (begin == std::string::npos || end == std::string::npos || end < begin) return {};
  return all.substr(begin, end - begin);
}

std::string CaptureJson(const CaptureInputs& in,
                        const std::vector<std::shared_ptr<const analysis::ScoredSample>>& passes) {
  json list = json::array();
  for (const auto& p : passes) list.push_back(ToJson(*p));
  const auto& o = in.collector_options;
  json j = {{"config", StressToml(in.stress)},
            {"collector_options",
             {{"top_n", o.top_n},
              {"max_blocked", o.max_blocked},
              {"page_size", o.page_size},
              {"clock_ticks_per_second", o.clock_ticks_per_second},
              {"cgroups", o.cgroups},
              {"cgroup_top_n", o.cgroup_top_n},
              {"max_cgroups", o.max_cgroups},
              {"max_cgroup_depth", o.max_cgroup_depth},
              {"keep_all_cgroups", o.keep_all_cgroups}}},
            {"io_baseline", in.io_baseline},
            {"pass_gap_seconds", in.pass_gap_seconds},
            {"passes", list}};
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string SamplesJsonl(
    const std::vector<std::shared_ptr<const analysis::ScoredSample>>& samples) {
  std::string out;
  for (const auto& s : samples) {
    if (!s) continue;
    out += ToJson(*s).dump(-1, ' ', false, json::error_handler_t::replace);
    out += '\n';
  }
  return out;
}

}  // namespace rh::forensics

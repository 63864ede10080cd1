#include "exporter/reload.h"

#include <algorithm>
#include <map>
#include <sstream>

namespace rh::exporter {
namespace {

// What a SIGHUP reconfigures in the running daemon (Daemon::Reconfigure): the sampler's policy
// and scoring, the history's retention, the capture worker's limits and suspects, the log. A
// component that learns to reconfigure itself adds its keys here and one line there.
constexpr std::string_view kLive[] = {
    "sampling.normal_interval",
    "sampling.elevated_interval",
    "sampling.elevation_threshold",
    "sampling.recovery_threshold",
    "sampling.min_elevated_seconds",
    "sampling.critical_threshold",
    "stress.",
    "retention.",
    "forensics.min_interval_seconds",
    "forensics.max_total_bytes",
    "forensics.window_before_seconds",
    "suspects.",
    "logging.",
    "self_limits.",
};

// "table.key" -> value line, from ToToml's "[table]" headers and "key = value" lines.
std::map<std::string, std::string> Flatten(const config::Config& config) {
  std::map<std::string, std::string> keys;
  std::istringstream in(config::ToToml(config));
  std::string line, table;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      table = line.substr(1, line.find(']') - 1);
      continue;
    }
    const std::size_t eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    keys[table.empty() ? line.substr(0, eq) : table + "." + line.substr(0, eq)] =
        line.substr(eq + 3);
  }
  return keys;
}

}  // namespace

std::vector<std::string> ChangedKeys(const config::Config& before, const config::Config& after) {
  const auto a = Flatten(before);
  const auto b = Flatten(after);
  std::vector<std::string> changed;
  for (const auto& [key, value] : a) {
    auto it = b.find(key);
    if (it == b.end() || it->second != value) changed.push_back(key);
  }
  for (const auto& [key, value] : b) {
    if (a.count(key) == 0) changed.push_back(key);
  }
  std::sort(changed.begin(), changed.end());
  return changed;
}

bool AppliesOnReload(std::string_view key) {
  for (std::string_view live : kLive) {
    if (live.back() == '.' ? key.starts_with(live) : key == live) return true;
  }
  return false;
}

config::Config KeepRestartOnlyKeys(const config::Config& running, const config::Config& next) {
  config::Config c = next;
  c.sampling.top_processes = running.sampling.top_processes;
  c.pause = running.pause;
  c.http = running.http;
  c.storage = running.storage;
  c.forensics.enabled = running.forensics.enabled;
  c.forensics.events_dir = running.forensics.events_dir;
  c.forensics.read_timeout_ms = running.forensics.read_timeout_ms;
  c.otel = running.otel;
  c.alertmanager = running.alertmanager;
  c.kernel_log = running.kernel_log;
  c.pressure_triggers = running.pressure_triggers;
  c.cgroups = running.cgroups;
  c.process = running.process;
  return c;
}

ReloadPlan PlanReload(const config::Config& running, const config::Config& next) {
  ReloadPlan plan;
  for (auto& key : ChangedKeys(running, next)) {
    (AppliesOnReload(key) ? plan.applied : plan.need_restart).push_back(std::move(key));
  }
  return plan;
}

}  // namespace rh::exporter

#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace rh::exporter {

/// The keys ("table.key", as docs/configuration.md names them) whose effective values differ
/// between two configurations, sorted. Compared through config::ToToml, so a key added to
/// the configuration is covered without being listed here.
std::vector<std::string> ChangedKeys(const config::Config& before, const config::Config& after);

/// Whether a key takes effect when the daemon reloads its configuration (SIGHUP). The others
/// (the HTTP listener, the watchdog, where the data lives, ...) need a restart.
bool AppliesOnReload(std::string_view key);

/// `next` with the values of the keys that need a restart taken from `running`: the configuration
/// the daemon runs with after reloading `next`.
config::Config KeepRestartOnlyKeys(const config::Config& running, const config::Config& next);

/// What a reload found: the changed keys that took effect and those that wait for a restart.
struct ReloadPlan {
  std::vector<std::string> applied;
  std::vector<std::string> need_restart;
};
ReloadPlan PlanReload(const config::Config& running, const config::Config& next);

/// Counters of configuration reloads, for rogue_hunter_config_reloads_total{result} and
/// rogue_hunter_config_last_reload_successful. Thread-safe.
struct ReloadStats {
  std::atomic<std::uint64_t> succeeded{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<bool> last_ok{true};
};

}  // namespace rh::exporter

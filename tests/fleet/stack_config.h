#pragma once

// The shipped Prometheus and Alertmanager configurations, made runnable on loopback. The files
// mark the few values a runner changes (deploy/prometheus/prometheus.yml: lines ending in
// "# SUBSTITUTE: ..."; alerts/alertmanager.yml: the `&webhook_url` anchor); everything else is
// used as shipped, so a test of the stack tests what docker-compose.yml runs.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace rh::test::fleet {

/// What a loopback Prometheus needs instead of the compose values.
struct PrometheusSettings {
  std::string interval = "1s";       ///< scrape_interval and evaluation_interval.
  std::string alertmanager;          ///< host:port of Alertmanager.
  std::vector<std::string> targets;  ///< host:port of each rogue-hunter daemon.
};

/// The text of prometheus.yml with the marked values replaced. Fails, naming the marker, unless
/// each marker is found as often as the shipped file has it (interval twice, each address once).
Result<std::string> SubstitutePrometheusConfig(std::string_view text,
                                               const PrometheusSettings& settings);

/// Writes `dir`/deploy/prometheus/prometheus.yml from `source_root`'s file and links `dir`/alerts
/// to `source_root`/alerts, the layout the file's relative rule path expects. Returns the path of
/// the written config, for `prometheus --config.file`.
Result<std::filesystem::path> WritePrometheusConfig(const std::filesystem::path& dir,
                                                    const std::filesystem::path& source_root,
                                                    const PrometheusSettings& settings);

/// The text of alertmanager.yml with the webhook URL (the one `&webhook_url` line) replaced.
Result<std::string> SubstituteAlertmanagerWebhook(std::string_view text, std::string_view url);

/// Writes `dir`/alertmanager.yml from `source_root`/alerts/alertmanager.yml with `url` as the
/// webhook. Returns its path.
Result<std::filesystem::path> WriteAlertmanagerConfig(const std::filesystem::path& dir,
                                                      const std::filesystem::path& source_root,
                                                      std::string_view url);

}  // namespace rh::test::fleet

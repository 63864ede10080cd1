#include "exporter/web_metrics.h"

#include "exporter/families.h"

namespace rh::exporter {

std::vector<prometheus::MetricFamily> WebMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  Families f(out);
  f.Gauge("rogue_hunter_http_connections", "HTTP connections being served now.")
      .Add(static_cast<double>(stats_.http.connections.load(std::memory_order_relaxed)));
  f.Gauge("rogue_hunter_http_max_connections",
          "HTTP connections the server can serve at once (worker threads).")
      .Add(static_cast<double>(stats_.http.workers.load(std::memory_order_relaxed)));
  f.Counter("rogue_hunter_http_auth_failures_total",
            "Requests refused because their credentials were missing or wrong.")
      .Add(static_cast<double>(stats_.auth_failures.load(std::memory_order_relaxed)));
  f.Counter("rogue_hunter_http_rate_limited_total",
            "Requests answered 429 (too many failed logins from the address, or a kill under way).")
      .Add(static_cast<double>(stats_.rate_limited.load(std::memory_order_relaxed)));
  auto kills = f.Counter("rogue_hunter_kill_requests_total",
                         "Requests to POST /api/processes/{pid}/kill, by how they ended.");
  for (std::size_t i = 0; i < kKillResultNames.size(); ++i) {
    kills.Add({{"result", kKillResultNames[i]}},
              static_cast<double>(stats_.kill_requests[i].load(std::memory_order_relaxed)));
  }
  return out;
}

}  // namespace rh::exporter

#include "exporter/otel/delivery_metrics.h"

#include "exporter/families.h"

namespace rh::exporter::otel {

std::vector<prometheus::MetricFamily> DeliveryMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  Families f(out);
  auto count = [](const std::atomic<std::uint64_t>& v) { return static_cast<double>(v.load()); };
  auto seconds = [](const std::atomic<std::int64_t>& ns) {
    return static_cast<double>(ns.load()) / 1e9;
  };
  if (otlp_ != nullptr) {
    const OtlpStats& s = *otlp_;
    f.Counter("rogue_hunter_otel_records_sent_total", "OTLP log records the collector accepted.")
        .Add(count(s.sent));
    auto failed = f.Counter("rogue_hunter_otel_records_failed_total",
                            "OTLP log records given up, by reason.");
    for (std::size_t i = 0; i < kFailureReasonNames.size(); ++i) {
      failed.Add({{"reason", kFailureReasonNames[i]}}, count(s.failed[i]));
    }
    f.Counter("rogue_hunter_otel_records_dropped_total",
              "OTLP log records dropped because the queue was full.")
        .Add(count(s.dropped));
    f.Counter("rogue_hunter_otel_export_retries_total",
              "OTLP export requests that failed in a retryable way and will be tried again.")
        .Add(count(s.retries));
    f.Gauge("rogue_hunter_otel_queue_records", "OTLP log records waiting to be sent.")
        .Add(count(s.queued));
    f.Gauge("rogue_hunter_otel_last_success_timestamp_seconds",
            "Unix time of the last successful OTLP export; 0 before the first.")
        .Add(seconds(s.last_success_unix_ns));
  }
  if (alertmanager_ != nullptr) {
    const AlertmanagerStats& s = *alertmanager_;
    f.Counter("rogue_hunter_alertmanager_posts_total", "Posts of pause alerts to Alertmanager.")
        .Add(count(s.posts));
    f.Counter("rogue_hunter_alertmanager_post_errors_total",
              "Posts of pause alerts to Alertmanager that failed.")
        .Add(count(s.errors));
    f.Gauge("rogue_hunter_alertmanager_active_alerts",
            "Pause alerts being kept up in Alertmanager.")
        .Add(count(s.active));
    f.Gauge("rogue_hunter_alertmanager_last_success_timestamp_seconds",
            "Unix time of the last successful post to Alertmanager; 0 before the first.")
        .Add(seconds(s.last_success_unix_ns));
  }
  return out;
}

}  // namespace rh::exporter::otel

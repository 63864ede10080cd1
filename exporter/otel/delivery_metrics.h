#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

#include "exporter/otel/alertmanager_pusher.h"
#include "exporter/otel/otlp_exporter.h"

namespace rh::exporter::otel {

/// The rogue_hunter_otel_* and rogue_hunter_alertmanager_* series of docs/metrics.md, for the
/// senders that are on (a null source is left out; an enabled one shows every series from 0).
/// Thread-safe: reads atomics.
class DeliveryMetrics final : public prometheus::Collectable {
 public:
  DeliveryMetrics(const OtlpStats* otlp, const AlertmanagerStats* alertmanager)
      : otlp_(otlp), alertmanager_(alertmanager) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const OtlpStats* otlp_;
  const AlertmanagerStats* alertmanager_;
};

}  // namespace rh::exporter::otel

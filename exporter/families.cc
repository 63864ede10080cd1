#include "exporter/families.h"

#include "base/utf8.h"

namespace rh::exporter {

Families::Family& Families::Family::Add(Labels labels, double value) {
  prometheus::ClientMetric metric;
  for (const auto& [name, label_value] : labels) {
    metric.label.push_back({std::string(name), std::string(label_value)});
  }
  switch (family().type) {
    case prometheus::MetricType::Counter:
      metric.counter.value = value;
      break;
    default:
      metric.gauge.value = value;
      break;
  }
  family().metric.push_back(std::move(metric));
  return *this;
}

Families::Family& Families::Family::AddHistogram(const std::vector<double>& bounds,
                                                 const std::vector<std::uint64_t>& cumulative,
                                                 double sum, Labels labels) {
  prometheus::ClientMetric metric;
  for (const auto& [name, label_value] : labels) {
    metric.label.push_back({std::string(name), std::string(label_value)});
  }
  metric.histogram.sample_sum = sum;
  metric.histogram.sample_count = cumulative.empty() ? 0 : cumulative.back();
  for (std::size_t i = 0; i < bounds.size() && i < cumulative.size(); ++i) {
    metric.histogram.bucket.push_back({cumulative[i], bounds[i]});
  }
  family().metric.push_back(std::move(metric));
  return *this;
}

Families::Family Families::New(std::string name, std::string help, prometheus::MetricType type) {
  out_.push_back(prometheus::MetricFamily{std::move(name), std::move(help), type, {}});
  return Family(out_, out_.size() - 1);
}

std::string SanitizeLabelValue(std::string_view bytes) { return ToValidUtf8(bytes); }

}  // namespace rh::exporter

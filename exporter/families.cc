#include "exporter/families.h"

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
                                                 double sum) {
  prometheus::ClientMetric metric;
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

std::string SanitizeLabelValue(std::string_view bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(bytes.size());
  std::size_t i = 0;
  while (i < bytes.size()) {
    auto c = static_cast<unsigned char>(bytes[i]);
    std::size_t len = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xE  ? 3
                      : (c >> 3) == 0x1E ? 4
                                         : 0;
    bool valid = len != 0 && i + len <= bytes.size();
    for (std::size_t k = 1; valid && k < len; ++k) {
      valid = (static_cast<unsigned char>(bytes[i + k]) & 0xC0) == 0x80;
    }
    if (valid && len > 1) {
      // Reject overlong encodings, surrogates and code points above U+10FFFF.
      unsigned cp = c & (0xFF >> (len + 1));
      for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (bytes[i + k] & 0x3F);
      static constexpr unsigned kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      valid = cp >= kMin[len] && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
    }
    if (valid) {
      out.append(bytes.substr(i, len));
      i += len;
    } else {
      out.append(kReplacement);
      ++i;
    }
  }
  return out;
}

}  // namespace rh::exporter

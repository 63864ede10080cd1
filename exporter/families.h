#pragma once

#include <prometheus/metric_family.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rh::exporter {

/// Appends metric families to a vector with little ceremony:
///   Families f(out);
///   f.Gauge("rogue_hunter_load_average", "Help.").Add({{"window", "1m"}}, 0.5);
/// Not thread-safe; a short-lived helper over a caller-owned vector.
class Families {
 public:
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  /// Refers to its family by index, so it stays valid while more families are appended.
  class Family {
   public:
    Family(std::vector<prometheus::MetricFamily>& families, std::size_t index)
        : families_(families), index_(index) {}
    Family& Add(Labels labels, double value);
    Family& Add(double value) { return Add({}, value); }
    /// A histogram series from cumulative bucket counts (the last bound must be +Inf).
    Family& AddHistogram(const std::vector<double>& bounds,
                         const std::vector<std::uint64_t>& cumulative, double sum,
                         Labels labels = {});

   private:
    prometheus::MetricFamily& family() { return families_[index_]; }
    std::vector<prometheus::MetricFamily>& families_;
    std::size_t index_;
  };

  explicit Families(std::vector<prometheus::MetricFamily>& out) : out_(out) {}

  Family Gauge(std::string name, std::string help) {
    return New(std::move(name), std::move(help), prometheus::MetricType::Gauge);
  }
  Family Counter(std::string name, std::string help) {
    return New(std::move(name), std::move(help), prometheus::MetricType::Counter);
  }
  Family Histogram(std::string name, std::string help) {
    return New(std::move(name), std::move(help), prometheus::MetricType::Histogram);
  }

 private:
  Family New(std::string name, std::string help, prometheus::MetricType type);
  std::vector<prometheus::MetricFamily>& out_;
};

/// Makes arbitrary bytes (a process name) a valid UTF-8 label value: invalid sequences become
/// U+FFFD. Escaping of quotes, backslashes and newlines is the serializer's job.
std::string SanitizeLabelValue(std::string_view bytes);

}  // namespace rh::exporter

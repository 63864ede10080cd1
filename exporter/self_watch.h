#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "analysis/self_limits.h"
#include "base/clock.h"
#include "collectors/collector.h"
#include "collectors/self_usage.h"
#include "config/config.h"

namespace rh::exporter {

/// The daemon watching its own cost ([self_limits], docs/configuration.md): after every sampler
/// pass it reads its CPU time, resident memory and open descriptors (and the size of its
/// database), judges them against the budgets with analysis::SelfLimits, and while a budget is
/// crossed backs off: the process table and the cgroup tree (the "processes" and "cgroups"
/// collectors, the costly ones on a machine with many processes or containers) are scanned at
/// most every backoff_scan_interval_seconds, the passes in between reusing the last scan, and
/// captures are light (backed_off(): the daemon tells its CaptureWorker). Each start and end of
/// a back-off is one log line. Exports the rogue_hunter_self_* series of docs/metrics.md.
/// Thread-safe: OnSample and the throttled collector run on the sampler thread, Collect on
/// HTTP threads, Reconfigure on the main thread.
class SelfWatch final : public prometheus::Collectable {
 public:
  /// `self_root` is where the daemon finds its own /proc/self: the real /proc, whatever tree
  /// it watches.
  SelfWatch(const config::Config& config, const Clock& clock,
            collectors::ProcRoot self_root = collectors::ProcRoot());
  SelfWatch(const SelfWatch&) = delete;
  SelfWatch& operator=(const SelfWatch&) = delete;

  /// `collectors` with the "processes" and "cgroups" collectors wrapped so that they follow the
  /// back-off.
  collectors::CollectorList Throttle(collectors::CollectorList collectors);

  /// After each sampler pass; `interval_seconds` is the sampling interval now in force.
  void OnSample(double interval_seconds);

  /// New budgets (a configuration reload), judged from the next pass on.
  void Reconfigure(const config::Config& config);

  bool backed_off() const;

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  template <typename Part>
  class ThrottledScan;
  // Shared with the throttled collectors, which the sampler owns.
  struct ScanState {
    struct Scan {
      std::atomic<std::int64_t> cost_ns{0};  // of the last real scan
      std::atomic<std::uint64_t> deferred{0};
    };
    std::atomic<std::int64_t> min_interval_ns{0};  // 0: every pass
    Scan processes;
    Scan cgroups;
  };

  const Clock& clock_;
  const collectors::ProcRoot self_root_;
  std::shared_ptr<ScanState> scan_ = std::make_shared<ScanState>();

  mutable std::mutex mutex_;  // guards what follows
  config::SelfLimits settings_;
  std::string database_;  // empty when storage is off
  analysis::SelfLimits limits_;
  std::optional<collectors::SelfUsage> usage_;
  std::optional<std::uint64_t> database_bytes_;
  std::array<std::uint64_t, analysis::kSelfLimitNames.size()> backoffs_{};
  bool read_failed_ = false;
};

}  // namespace rh::exporter

#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "analysis/watchdog.h"
#include "base/clock.h"
#include "exporter/reload.h"
#include "exporter/snapshot.h"
#include "forensics/history_writer.h"

namespace rh::forensics {
struct CaptureStats;
}  // namespace rh::forensics

namespace rh::exporter {

/// The families of one snapshot: every collector's series, per docs/metrics.md. Series of a
/// collector that failed in that pass are left out; its rogue_hunter_collector_success says 0.
void AppendSnapshotFamilies(const Snapshot& snapshot, std::vector<prometheus::MetricFamily>& out);

/// The watchdog's live counters and histograms.
void AppendWatchdogFamilies(const analysis::Watchdog::Stats& stats,
                            std::vector<prometheus::MetricFamily>& out);

/// Where the live (non-snapshot) series come from; null members are left out.
struct LiveSources {
  const analysis::Watchdog::Stats* watchdog = nullptr;
  const std::atomic<std::uint64_t>* critical_episodes = nullptr;
  const forensics::StorageStats* storage = nullptr;
  const forensics::CaptureStats* forensics = nullptr;
  const ReloadStats* reloads = nullptr;
};

/// Everything /metrics shows: build info and start time, the latest snapshot, and the live
/// counters. Thread-safe (reads the hub and atomics).
class DaemonMetrics final : public prometheus::Collectable {
 public:
  DaemonMetrics(const SnapshotHub& hub, double start_time_seconds, LiveSources live = {})
      : hub_(hub), start_time_seconds_(start_time_seconds), live_(live) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const SnapshotHub& hub_;
  double start_time_seconds_;
  LiveSources live_;
};

/// The /metrics body, serialized once and shared by every request until something changes:
/// a scrape costs a pointer copy, not a serialization. The body is rebuilt when Invalidate() was
/// called since (a new snapshot, a pause) or when it is older than `max_age` (counters that move
/// without an invalidation, such as the hiccup histogram). Thread-safe.
class MetricsPage {
 public:
  MetricsPage(std::vector<std::shared_ptr<prometheus::Collectable>> sources, const Clock& clock,
              std::chrono::milliseconds max_age);
  MetricsPage(const MetricsPage&) = delete;
  MetricsPage& operator=(const MetricsPage&) = delete;

  /// The text body, or its gzip encoding.
  std::shared_ptr<const std::string> Get(bool gzip);
  /// Marks the cached body stale. Lock-free and allocation-free: safe from any thread.
  void Invalidate() { generation_.fetch_add(1, std::memory_order_release); }
  /// Changes `max_age` (a configuration reload changed the sampling interval).
  void SetMaxAge(std::chrono::milliseconds max_age) {
    max_age_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(max_age).count());
  }

  /// Serializes `sources` now, without the cache.
  static std::string Render(const std::vector<std::shared_ptr<prometheus::Collectable>>& sources);

 private:
  std::vector<std::shared_ptr<prometheus::Collectable>> sources_;
  const Clock& clock_;
  std::atomic<std::int64_t> max_age_ns_;
  std::atomic<std::uint64_t> generation_{1};

  std::mutex mutex_;
  std::uint64_t built_generation_ = 0;
  std::int64_t built_at_ns_ = 0;
  std::shared_ptr<const std::string> text_;
  std::shared_ptr<const std::string> gzip_;
};

/// gzip-encodes `data` (RFC 1952) with zlib.
std::string Gzip(const std::string& data);

}  // namespace rh::exporter

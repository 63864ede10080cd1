#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "analysis/kernel_reports.h"
#include "base/clock.h"
#include "collectors/kmsg.h"
#include "config/config.h"

namespace rh::exporter {

/// Watches the kernel log for the kernel's stall and trouble reports: follows /dev/kmsg
/// (collectors::KernelLogFollower), recognises each record (analysis::RecognizeKernelReport),
/// counts every report by kind, logs it, and hands it on for a history event and a capture,
/// at most kernel_log.max_events_per_minute per kind (the rest are counted only).
///
/// Thread-safe; the callback runs on the follower's thread. Owns it: not copyable or movable.
class KernelWatch {
 public:
  /// A report to record: when it happened (Unix ns and CLOCK_MONOTONIC ns), and whether it is
  /// newer than the daemon's start (an older one, written while the daemon was down, is
  /// recorded but not worth a capture now).
  struct Report {
    analysis::KernelReport report;
    std::string text;  ///< The record's text as the kernel escaped it.
    std::int64_t realtime_ns = 0;
    std::int64_t monotonic_ns = 0;
    bool since_start = true;
    bool from_kernel = true;  ///< Facility kernel (else written from user space).
  };
  using Sink = std::function<void(const Report&)>;

  KernelWatch(const config::KernelLog& settings, collectors::KernelLogFollower::Options options,
              const Clock& clock, Sink sink);
  KernelWatch(const KernelWatch&) = delete;
  KernelWatch& operator=(const KernelWatch&) = delete;

  Status Start() { return follower_.Start(); }
  void Stop() { follower_.Stop(); }

  const collectors::KernelLogFollower::Stats& log_stats() const { return log_stats_; }
  const analysis::KernelReportStats& report_stats() const { return report_stats_; }
  std::string error() const { return follower_.error(); }

  /// What the follower's thread does with one record (public for tests).
  void OnRecord(const collectors::KmsgRecord& record);

 private:
  config::KernelLog settings_;
  const Clock& clock_;
  Sink sink_;
  std::int64_t start_monotonic_ns_;
  collectors::KernelLogFollower::Stats log_stats_;
  analysis::KernelReportStats report_stats_;
  std::mutex mutex_;  // guards the rate limit below
  std::array<std::int64_t, analysis::kKernelReportKinds> minute_start_{};
  std::array<int, analysis::kKernelReportKinds> in_minute_{};
  collectors::KernelLogFollower follower_;  // last: stopped first
};

}  // namespace rh::exporter

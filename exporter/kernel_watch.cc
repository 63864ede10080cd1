#include "exporter/kernel_watch.h"

#include "base/log.h"
#include "base/utf8.h"

namespace rh::exporter {

KernelWatch::KernelWatch(const config::KernelLog& settings,
                         collectors::KernelLogFollower::Options options, const Clock& clock,
                         Sink sink)
    : settings_(settings),
      clock_(clock),
      sink_(std::move(sink)),
      start_monotonic_ns_(clock.Now().monotonic_ns),
      follower_(
          std::move(options), [this](const collectors::KmsgRecord& r) { OnRecord(r); },
          log_stats_) {}

void KernelWatch::OnRecord(const collectors::KmsgRecord& record) {
  const bool from_kernel = record.facility == 0;
  if (!from_kernel && !settings_.accept_user_records) return;
  auto report = analysis::RecognizeKernelReport(record.text);
  if (!report) return;
  const auto kind = static_cast<std::size_t>(report->kind);
  report_stats_.count[kind].fetch_add(1, std::memory_order_relaxed);

  const ClockReading now = clock_.Now();
  Report r;
  r.monotonic_ns = record.usec * 1000;
  r.realtime_ns = now.realtime_ns - (now.monotonic_ns - r.monotonic_ns);
  r.since_start = r.monotonic_ns >= start_monotonic_ns_;
  r.from_kernel = from_kernel;
  r.text = record.text;
  LogWarning("kernel: " + std::string(analysis::KindText(report->kind)) + ": " +
             ToValidUtf8(record.text) + (from_kernel ? "" : " (written from user space)"));
  {
    std::lock_guard lock(mutex_);
    if (now.monotonic_ns - minute_start_[kind] >= 60'000'000'000) {
      minute_start_[kind] = now.monotonic_ns;
      in_minute_[kind] = 0;
    }
    if (in_minute_[kind] >= settings_.max_events_per_minute) return;
    ++in_minute_[kind];
  }
  r.report = std::move(*report);
  sink_(r);
}

}  // namespace rh::exporter

#include "analysis/stress.h"

#include <algorithm>
#include <cmath>

namespace rh::analysis {
namespace {

using collectors::CpuTimes;
using collectors::PsiKind;
using collectors::SystemSample;

double Clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

double Sum(const CpuTimes& t) {
  return t.user + t.nice + t.system + t.idle + t.iowait + t.irq + t.softirq + t.steal;
}

// PSI avg10 of one line as a ratio; 0 when unavailable.
double Avg10(const SystemSample& s, PsiKind kind, bool full) {
  const auto& r = s.pressure[kind];
  const auto& line = full ? r.full : r.some;
  return r.available && line ? line->avg10 / 100.0 : 0.0;
}

double Points(const config::Component& c, double signal) {
  return std::min(c.cap, c.weight * std::max(0.0, signal));
}

template <typename T>
double Delta(T current, T previous) {
  return current >= previous ? static_cast<double>(current - previous) : 0.0;  // counter reset
}

}  // namespace

Assessment Assess(const config::Stress& w, const SystemSample* previous,
                  const SystemSample& current, double latency_seconds, StressState& state) {
  Assessment a;
  Signals& s = a.signals;
  s.latency_seconds = std::max(0.0, latency_seconds);

  if (current.Succeeded("loadavg") && current.loadavg.online_cpus > 0) {
    s.load_per_core = current.loadavg.load1 / current.loadavg.online_cpus;
  }
  if (current.Succeeded("pressure")) {
    s.cpu_some = Avg10(current, PsiKind::kCpu, false);
    s.io_psi = Clamp01(Avg10(current, PsiKind::kIo, false) + Avg10(current, PsiKind::kIo, true));
    s.memory_psi =
        Clamp01(Avg10(current, PsiKind::kMemory, false) + Avg10(current, PsiKind::kMemory, true));
  }
  if (current.Succeeded("meminfo") && current.meminfo.total > 0) {
    double available =
        static_cast<double>(current.meminfo.available) / static_cast<double>(current.meminfo.total);
    double mark = w.memory_low_available_ratio;
    s.low_available = Clamp01((mark - available) / mark);
  }

  if (previous != nullptr) {
    s.elapsed_seconds =
        static_cast<double>(current.clock.monotonic_ns - previous->clock.monotonic_ns) / 1e9;
  }
  if (s.elapsed_seconds > 0) {
    const double dt = s.elapsed_seconds;
    if (current.Succeeded("stat") && previous->Succeeded("stat")) {
      double total = Sum(current.stat.total) - Sum(previous->stat.total);
      if (total > 0) {
        s.iowait_share = Clamp01((current.stat.total.iowait - previous->stat.total.iowait) / total);
        s.steal_share = Clamp01((current.stat.total.steal - previous->stat.total.steal) / total);
      }
    }
    if (current.Succeeded("vmstat") && previous->Succeeded("vmstat")) {
      const auto& c = current.vmstat;
      const auto& p = previous->vmstat;
      s.io_bytes_per_second = (Delta(c.pgpgin, p.pgpgin) + Delta(c.pgpgout, p.pgpgout)) * 1024 / dt;
      s.swap_bytes_per_second =
          (Delta(c.pswpin, p.pswpin) + Delta(c.pswpout, p.pswpout)) * current.page_size / dt;
      s.major_faults_per_second = Delta(c.pgmajfault, p.pgmajfault) / dt;

      // The burst is judged against the baseline as it was before this sample.
      const double floor = w.io_baseline_floor_bytes;
      double baseline =
          state.io_baseline > 0 ? state.io_baseline : std::max(floor, s.io_bytes_per_second);
      double threshold = w.io_burst_factor * baseline;
      s.io_burst = threshold > 0 ? Clamp01((s.io_bytes_per_second - threshold) / threshold) : 0;
      double alpha = 1 - std::exp(-dt / kIoBaselineSeconds);
      state.io_baseline = std::max(floor, baseline + alpha * (s.io_bytes_per_second - baseline));
    }
    if (current.Succeeded("thermal") && previous->Succeeded("thermal") &&
        current.thermal.throttle_counters) {
      s.throttling = current.thermal.core_throttles > previous->thermal.core_throttles ||
                     current.thermal.package_throttles > previous->thermal.package_throttles;
    }
  }
  s.io_baseline = state.io_baseline;
  s.swap_activity = Clamp01(s.swap_bytes_per_second / w.memory_swap_full_scale_bytes);

  const double memory_signal = std::max({s.memory_psi, s.low_available, s.swap_activity});
  a.memory_pressure = memory_signal;
  auto& c = a.components;
  c[static_cast<std::size_t>(Component::kLoad)] = Points(w.load, s.load_per_core - 1.0);
  c[static_cast<std::size_t>(Component::kCpu)] = Points(w.cpu, std::max(s.cpu_some, s.steal_share));
  c[static_cast<std::size_t>(Component::kIo)] =
      Points(w.io, std::max({s.io_psi, s.iowait_share, s.io_burst}));
  c[static_cast<std::size_t>(Component::kMemory)] = Points(w.memory, memory_signal);
  c[static_cast<std::size_t>(Component::kThermal)] = Points(w.thermal, s.throttling ? 1.0 : 0.0);
  c[static_cast<std::size_t>(Component::kLatency)] =
      Points(w.latency, s.latency_seconds / w.latency_full_scale_seconds);
  double sum = 0;
  for (double points : c) sum += points;
  a.score = std::min(100.0, sum);
  return a;
}

}  // namespace rh::analysis

#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "collectors/system_sample.h"
#include "config/config.h"

namespace rh::analysis {

/// The components of the stress score, in the order of Assessment::components.
enum class Component : std::uint8_t { kLoad, kCpu, kIo, kMemory, kThermal, kLatency };
inline constexpr std::size_t kComponentCount = 6;
inline constexpr std::array<std::string_view, kComponentCount> kComponentNames = {
    "load", "cpu", "io", "memory", "thermal", "latency"};

/// The signals the components are computed from: rates derived from two consecutive raw samples,
/// and the normalised inputs (0-1 unless noted). Zero when a source was unavailable.
struct Signals {
  double elapsed_seconds = 0;      ///< Between the two samples (0 for the first sample).
  double load_per_core = 0;        ///< load1 / online CPUs (not capped).
  double cpu_some = 0;             ///< PSI cpu some avg10.
  double io_psi = 0;               ///< PSI io some + full avg10, capped at 1.
  double iowait_share = 0;         ///< Share of CPU time in iowait between the samples.
  double steal_share = 0;          ///< Share of CPU time stolen by the hypervisor.
  double io_bytes_per_second = 0;  ///< pgpgin + pgpgout rate.
  double io_baseline = 0;          ///< EWMA of io_bytes_per_second, floored.
  double io_burst = 0;             ///< How far I/O exceeds burst_factor × baseline.
  double memory_psi = 0;           ///< PSI memory some + full avg10, capped at 1.
  double low_available = 0;        ///< How far MemAvailable is below the low mark.
  double swap_bytes_per_second = 0;
  double swap_activity = 0;  ///< Swap traffic against its full scale.
  double major_faults_per_second = 0;
  bool throttling = false;     ///< Thermal throttle counters rose between the samples.
  double latency_seconds = 0;  ///< Worst watchdog overshoot since the previous sample.
};

/// The stress assessment of one sample.
struct Assessment {
  double score = 0;                                  ///< 0-100: capped sum of the components.
  std::array<double, kComponentCount> components{};  ///< Points of each component.
  double memory_pressure = 0;                        ///< The memory component's signal, 0-1.
  Signals signals;
  double component(Component c) const { return components[static_cast<std::size_t>(c)]; }
};

/// State carried from one assessment to the next: the I/O baseline.
struct StressState {
  double io_baseline = 0;  ///< 0 before the first rate was seen.
};

/// Time constant of the I/O baseline's exponential moving average.
inline constexpr double kIoBaselineSeconds = 300;

/// Scores `current` against `previous` (null for the first sample) as docs/configuration.md
/// describes: each component is min(cap, weight × signal) and the score is the sum, capped at
/// 100. `latency_seconds` is the worst watchdog overshoot since `previous`. Pure: the same inputs
/// give the same result, which is what lets `rh-forensics replay` check a bundle. Updates `state`.
Assessment Assess(const config::Stress& weights, const collectors::SystemSample* previous,
                  const collectors::SystemSample& current, double latency_seconds,
                  StressState& state);

}  // namespace rh::analysis

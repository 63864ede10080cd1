#pragma once

#include <cstdint>
#include <optional>

namespace rh::collectors {

/// The machine's context switches and this process's own, at one moment (SwitchCounter reads
/// them; a watchdog event carries them), with the time its cgroup's CPU quota has held it.
struct SwitchCounts {
  std::int64_t monotonic_ns = 0;
  std::uint64_t total = 0;  ///< /proc/stat ctxt.
  std::uint64_t own = 0;    ///< This process's, all threads (getrusage).
  /// Its cgroup's cpu.stat throttled time (summed over the CPUs' run queues), when readable.
  std::optional<double> throttled_seconds;
};

}  // namespace rh::collectors

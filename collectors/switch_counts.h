#pragma once

#include <cstdint>

namespace rh::collectors {

/// The machine's context switches and this process's own, at one moment (SwitchCounter reads
/// them; a watchdog event carries them).
struct SwitchCounts {
  std::int64_t monotonic_ns = 0;
  std::uint64_t total = 0;  ///< /proc/stat ctxt.
  std::uint64_t own = 0;    ///< This process's, all threads (getrusage).
};

}  // namespace rh::collectors

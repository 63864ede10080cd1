#pragma once

#include <cstdint>

#include "base/result.h"
#include "collectors/proc_root.h"

namespace rh::collectors {

/// What the daemon's own process uses right now.
struct SelfUsage {
  double cpu_user_seconds = 0;    ///< utime of /proc/self/stat: every thread, exited ones too.
  double cpu_system_seconds = 0;  ///< stime.
  std::uint64_t resident_bytes = 0;
  std::uint64_t open_fds = 0;  ///< Entries of /proc/self/fd, not counting the one that lists it.
};

/// Reads /proc/self/stat (parsed with ParseProcessStat) and counts /proc/self/fd under `root`'s
/// proc tree. `clock_ticks_per_second` and `page_size` of 0 mean the system's.
Result<SelfUsage> ReadSelfUsage(const ProcRoot& root, long clock_ticks_per_second = 0,
                                long page_size = 0);

}  // namespace rh::collectors

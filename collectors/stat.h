#pragma once

#include <string_view>

#include "base/result.h"
#include "collectors/collector.h"
#include "collectors/system_sample.h"

namespace rh::collectors {

/// Parses /proc/stat (proc(5), Documentation/filesystems/proc.rst "1.7 Miscellaneous kernel
/// statistics in /proc/stat"): CPU time in USER_HZ ticks by mode, then kernel counters:
///
///     cpu  4865 0 2760 424317 412 0 46 22 0 0
///     cpu0 2156 0 1026 213063 23 0 7 7 0 0
///     intr 186630 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 14 0 0 0 0 433 57
///     ctxt 379852
///     btime 1795429402
///     processes 4903
///     procs_running 1
///     procs_blocked 0
///
/// The aggregate "cpu" line is required and needs at least 4 columns (kernels before 2.6.11 lack
/// steal, before 2.6.24 guest, before 2.6.33 guest_nice); missing columns stay 0. Times are
/// converted to seconds with `ticks_per_second` (> 0). Other counters stay 0 when absent.
Result<CpuStat> ParseStat(std::string_view text, long ticks_per_second);

/// Collector "stat": /proc/stat. Uses options.clock_ticks_per_second, or sysconf(_SC_CLK_TCK).
CollectorList::value_type MakeStatCollector(const ProcRoot& root, const CollectorOptions& options);

}  // namespace rh::collectors

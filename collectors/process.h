#pragma once

#include <string_view>

#include "base/result.h"
#include "collectors/collector.h"
#include "collectors/system_sample.h"

namespace rh::collectors {

/// Parses /proc/PID/stat (proc(5), Documentation/filesystems/proc.rst table 1-4): one line of
/// space-separated fields, the second being the command name in parentheses:
///
///     1 (systemd) S 0 1 1 0 -1 4194560 26838 330618 0 198 72 432 865 481 20 0 1 0 24 ...
///     4100 (a) R 1 (b) S 812 4100 812 34816 4100 4194304 153 0 0 0 2 1 0 0 20 0 1 0 ...
///
/// The name is whatever the process set (prctl PR_SET_NAME, up to 15 bytes; longer for some
/// kernel threads) and may hold any byte, ')' and newline included: it runs from the first '('
/// to the last ')'. Fields up to rss (24) are required; processor (39) and
/// delayacct_blkio_ticks (42) are optional for old kernels.
Result<ProcessStat> ParseProcessStat(std::string_view text);

/// Collector "processes": every process of /proc (the all-digit directories), from PID/stat
/// only: counts by state, the options.top_n processes by CPU and by resident memory, and up to
/// options.max_blocked tasks in D state with their /proc/PID/wchan. CPU ratios come from the
/// utime+stime difference to the previous pass over the difference of sample.clock.monotonic_ns,
/// matched by (pid, start time) so that a reused PID starts afresh; the first pass has ratio 0.
/// Lists are ordered by value, then by PID. A process that exits while being read is skipped.
/// Never reads cmdline: it takes the process's memory map lock, which a task stuck in D state may
/// hold, and the read would hang with it.
CollectorList::value_type MakeProcessCollector(const ProcRoot& root,
                                               const CollectorOptions& options);

}  // namespace rh::collectors

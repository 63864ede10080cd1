#pragma once

#include <string_view>

#include "base/result.h"
#include "collectors/collector.h"
#include "collectors/system_sample.h"

namespace rh::collectors {

/// Parses /proc/vmstat (Documentation/admin-guide/mm/, include/linux/vm_event_item.h): one
/// "name value" counter per line, cumulative since boot:
///
///     pgmajfault 1265
///     allocstall_normal 0
///
/// `allocstall` sums every allocstall_* line (per zone since Linux 4.10) and the plain
/// "allocstall" of older kernels. Counters the kernel does not have stay 0; empty text is an error.
Result<VmStat> ParseVmStat(std::string_view text);

/// Collector "vmstat": /proc/vmstat.
CollectorList::value_type MakeVmStatCollector(const ProcRoot& root);

}  // namespace rh::collectors

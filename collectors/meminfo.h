#pragma once

#include <string_view>

#include "base/result.h"
#include "collectors/collector.h"
#include "collectors/system_sample.h"

namespace rh::collectors {

/// Parses /proc/meminfo (proc(5), Documentation/filesystems/proc.rst "meminfo"): one "Key: value"
/// per line, in KiB when followed by "kB", a plain count otherwise:
///
///     MemTotal:       24684084 kB
///     HugePages_Total:       0
///
/// Values become bytes. MemTotal is required. Without MemAvailable (Linux < 3.14) `available` is
/// estimated as MemFree + Buffers + Cached and `available_estimated` is set.
Result<MemInfo> ParseMemInfo(std::string_view text);

/// Collector "meminfo": /proc/meminfo.
CollectorList::value_type MakeMemInfoCollector(const ProcRoot& root);

}  // namespace rh::collectors

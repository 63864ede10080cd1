#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.h"
#include "collectors/collector.h"
#include "collectors/system_sample.h"

namespace rh::collectors {

/// Parses /proc/loadavg (proc(5)): load averages over 1, 5 and 15 minutes, runnable/existing
/// scheduling entities, and the last PID allocated:
///
///     0.11 0.07 0.02 1/78 3972
///
/// Leaves `online_cpus` at 0 (that comes from sysfs).
Result<LoadAvg> ParseLoadAvg(std::string_view text);

/// Parses a CPU list as in /sys/devices/system/cpu/online
/// (Documentation/ABI/testing/sysfs-devices-system-cpu), counting the CPUs it names:
///
///     0-3,8-11
Result<std::uint32_t> ParseCpuList(std::string_view text);

/// Collector "loadavg": /proc/loadavg and /sys/devices/system/cpu/online. If the sysfs file is
/// unavailable, the online count falls back to the number of processors sysconf reports.
CollectorList::value_type MakeLoadAvgCollector(const ProcRoot& root);

}  // namespace rh::collectors

#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.h"
#include "collectors/collector.h"
#include "collectors/system_sample.h"

namespace rh::collectors {

/// Parses a thermal zone's "temp" file (Documentation/ABI/testing/sysfs-class-thermal): the
/// temperature in millidegrees Celsius, possibly negative, returned in degrees Celsius:
///
///     48000
Result<double> ParseThermalTemp(std::string_view text);

/// Parses a CPU's thermal_throttle/core_throttle_count or package_throttle_count
/// (Documentation/ABI/testing/sysfs-devices-system-cpu): how often the CPU core or package
/// crossed its thermal limit since boot:
///
///     12
Result<std::uint64_t> ParseThrottleCount(std::string_view text);

/// Collector "thermal": every /sys/class/thermal/thermal_zone*/{type,temp} (zones sorted by name
/// naturally, thermal_zone2 before thermal_zone10) and the throttle counters of
/// /sys/devices/system/cpu/cpu*/thermal_throttle/ (core: sum over CPUs; package: max over CPUs,
/// since the CPUs of one package share it). Directories are scanned once and the files kept open;
/// a file that disappears (CPU hotplug, driver unload) triggers a rescan. A zone whose temp read
/// fails (EINVAL, ENODATA, EAGAIN: common with sensors that are asleep or broken) is left out of
/// that sample; a machine without a thermal directory has no zones. A garbled value is an error.
CollectorList::value_type MakeThermalCollector(const ProcRoot& root);

}  // namespace rh::collectors

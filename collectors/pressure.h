#pragma once

#include <string_view>

#include "base/result.h"
#include "collectors/collector.h"
#include "collectors/system_sample.h"

namespace rh::collectors {

/// Parses one /proc/pressure/<resource> file (Documentation/accounting/psi.rst): share of time
/// some / all non-idle tasks stalled on the resource, averaged over 10, 60 and 300 s, and the
/// cumulative stall time in microseconds:
///
///     some avg10=0.13 avg60=2.05 avg300=1.31 total=10690820
///     full avg10=0.00 avg60=0.00 avg300=0.00 total=0
///
/// "some" is required; "full" is optional (cpu has none before Linux 5.13). Returns the resource
/// with `available` set.
Result<PsiResource> ParsePressure(std::string_view text);

/// Collector "pressure": /proc/pressure/{cpu,io,memory,irq}. A file that does not exist (kernel
/// without PSI, psi=0, no irq time accounting) or that the kernel refuses with EOPNOTSUPP marks
/// its resource unavailable and is not an error; an unreadable or garbled file is.
CollectorList::value_type MakePressureCollector(const ProcRoot& root);

}  // namespace rh::collectors

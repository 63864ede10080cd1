#pragma once

#include "collectors/collector.h"
#include "collectors/system_sample.h"

namespace rh::collectors {

/// Collector "cgroups": the cgroup v2 hierarchy (Documentation/admin-guide/cgroup-v2.rst),
/// wherever /proc/self/mountinfo says it is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified
/// on hybrid machines). Walks it breadth-first, in name order, to options.max_cgroup_depth
/// levels and options.max_cgroups cgroups, and reads each leaf (a cgroup without children):
///
///     cpu.stat          usage_usec 731683888
///     memory.current    2147483648            (absent without the memory controller on v2:
///                                              then the v1 memory controller's
///                                              memory.usage_in_bytes of its first process)
///     cpu.pressure, memory.pressure, io.pressure   as /proc/pressure/* (totals in µs)
///
/// CPU use and stall shares are the differences to the previous pass over the time between the
/// passes (0 on the first). The leaves are ranked by memory, by memory full stall and by I/O full
/// stall (ties by path); the stall lists hold only leaves that stalled. No v2 hierarchy is not an
/// error: the part says unavailable. Keeps the files of up to 100 leaves open between passes.
CollectorList::value_type MakeCgroupCollector(const ProcRoot& root,
                                              const CollectorOptions& options);

}  // namespace rh::collectors

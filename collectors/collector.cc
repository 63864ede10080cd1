#include "collectors/collector.h"

#include <unistd.h>

#include <algorithm>
#include <exception>
#include <string>

#include "collectors/cgroups.h"
#include "collectors/loadavg.h"
#include "collectors/meminfo.h"
#include "collectors/pressure.h"
#include "collectors/process.h"
#include "collectors/stat.h"
#include "collectors/thermal.h"
#include "collectors/vmstat.h"

namespace rh::collectors {

CollectorOptions CollectorOptionsFor(const config::Config& config) {
  CollectorOptions o;
  o.top_n = static_cast<std::size_t>(std::max(1, config.sampling.top_processes));
  o.cgroups = config.cgroups.enabled;
  o.cgroup_top_n = static_cast<std::size_t>(config.cgroups.top);
  o.max_cgroups = static_cast<std::size_t>(config.cgroups.max_cgroups);
  o.max_cgroup_depth = static_cast<std::size_t>(config.cgroups.max_depth);
  return o;
}

CollectorList MakeCollectors(const ProcRoot& root, const CollectorOptions& options) {
  CollectorList list;
  list.push_back(MakeLoadAvgCollector(root));
  list.push_back(MakeStatCollector(root, options));
  list.push_back(MakePressureCollector(root));
  list.push_back(MakeMemInfoCollector(root));
  list.push_back(MakeVmStatCollector(root));
  list.push_back(MakeThermalCollector(root));
  list.push_back(MakeProcessCollector(root, options));
  if (options.cgroups) list.push_back(MakeCgroupCollector(root, options));
  return list;
}

void CollectAll(CollectorList& collectors, const Clock& clock, SystemSample& sample) {
  sample.clock = clock.Now();
  static const auto page_size = static_cast<std::uint32_t>(sysconf(_SC_PAGESIZE));
  sample.page_size = page_size;
  sample.collectors.clear();
  sample.collectors.reserve(collectors.size());
  for (auto& collector : collectors) {
    CollectorStatus status;
    status.name = std::string(collector->name());
    std::int64_t begin = clock.Now().monotonic_ns;
    try {
      Status result = collector->Collect(sample);
      status.ok = result.ok();
      if (!result.ok()) status.error = result.error().message;
    } catch (const std::exception& e) {  // e.g. bad_alloc; one collector must not stop the rest
      status.ok = false;
      status.error = e.what();
    }
    status.duration_seconds = static_cast<double>(clock.Now().monotonic_ns - begin) / 1e9;
    sample.collectors.push_back(std::move(status));
  }
}

}  // namespace rh::collectors

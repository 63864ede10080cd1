// One collection pass over the system files against the bare cost of reading them.
//
// BM_SampleSystemFiles  every collector except "processes", on the real /proc and /sys
// BM_PreadSameFiles     pread of exactly the files one pass reads, on descriptors kept open,
//                       into a buffer, no parsing: the floor a pass cannot go below
// BM_ProcessTable       the "processes" collector alone as the daemon runs it (reads bounded on
//                       its scanner thread), for information
// BM_ProcessTableOnCallingThread  the same with unbounded reads on the calling thread
// BM_PreadProcessFiles  the floor of the process table: open, read to EOF and close exactly the
//                       files one steady-state pass of the processes collector reads (every
//                       PID/stat, the task stats of multi-threaded processes), relative to a kept
//                       /proc descriptor as the collector opens them; no directory listing, no
//                       parsing. bench/scan_scale.sh runs it next to BM_ProcessTable at 100,
//                       2,000 and 20,000 processes.
// BM_CgroupScan, BM_PreadCgroupFiles  the cgroup tree and its floor (bench/cgroup_scale.sh)
//
// docs/benchmarks.md requires BM_SampleSystemFiles <= 2 x BM_PreadSameFiles (bench/run.sh).

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "collectors/cgroups.h"
#include "collectors/collector.h"
#include "collectors/loadavg.h"
#include "collectors/meminfo.h"
#include "collectors/pressure.h"
#include "collectors/process.h"
#include "collectors/stat.h"
#include "collectors/thermal.h"
#include "collectors/vmstat.h"

namespace rh::collectors {
namespace {

CollectorList SystemFileCollectors(const ProcRoot& root) {
  CollectorList list;
  list.push_back(MakeLoadAvgCollector(root));
  list.push_back(MakeStatCollector(root, CollectorOptions{}));
  list.push_back(MakePressureCollector(root));
  list.push_back(MakeMemInfoCollector(root));
  list.push_back(MakeVmStatCollector(root));
  list.push_back(MakeThermalCollector(root));
  return list;
}

class FileList final : public ReadRecorder {
 public:
  void Record(std::string_view tree, std::string_view relative, std::string_view) override {
    std::pair<std::string, std::string> file(tree, relative);
    if (std::find(files.begin(), files.end(), file) == files.end()) files.push_back(file);
  }
  std::vector<std::pair<std::string, std::string>> files;
};

bool AllSucceeded(const SystemSample& sample, benchmark::State& state) {
  for (const auto& c : sample.collectors) {
    if (!c.ok) {
      state.SkipWithError((c.name + ": " + c.error).c_str());
      return false;
    }
  }
  return true;
}

// The files a steady-state pass of the collector that `make` builds reads (the second pass: the
// first also scans directories), learned through a ReadRecorder, and that pass's sample.
template <typename Make>
FileList FilesOfASteadyPass(Make make, SystemSample& sample) {
  FileList list;
  ProcRoot recording(ProcRoot::DefaultProc(), ProcRoot::DefaultSys(), &list);
  CollectorList collectors;
  collectors.push_back(make(recording));
  CollectAll(collectors, SystemClock::Instance(), sample);
  list.files.clear();
  CollectAll(collectors, SystemClock::Instance(), sample);
  return list;
}

void BM_SampleSystemFiles(benchmark::State& state) {
  CollectorList collectors = SystemFileCollectors(ProcRoot());
  SystemSample sample;
  CollectAll(collectors, SystemClock::Instance(), sample);
  if (!AllSucceeded(sample, state)) return;
  for (auto _ : state) {
    CollectAll(collectors, SystemClock::Instance(), sample);
    benchmark::DoNotOptimize(sample);
  }
  state.counters["zones"] = static_cast<double>(sample.thermal.zones.size());
}
BENCHMARK(BM_SampleSystemFiles)->Unit(benchmark::kMicrosecond);

void BM_PreadSameFiles(benchmark::State& state) {
  // The files of a steady-state pass: the second one (the first also scans directories).
  FileList list;
  ProcRoot recording(ProcRoot::DefaultProc(), ProcRoot::DefaultSys(), &list);
  CollectorList collectors = SystemFileCollectors(recording);
  SystemSample sample;
  CollectAll(collectors, SystemClock::Instance(), sample);
  list.files.clear();
  CollectAll(collectors, SystemClock::Instance(), sample);
  if (!AllSucceeded(sample, state)) return;

  ProcRoot root;
  std::vector<int> fds;
  for (const auto& [tree, relative] : list.files) {
    std::string path = (tree == "sys" ? root.Sys(relative) : root.Proc(relative)).string();
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      state.SkipWithError(("cannot open " + path).c_str());
      return;
    }
    fds.push_back(fd);
  }
  std::vector<char> buffer(1 << 20);
  std::size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (int fd : fds) {
      std::size_t used = 0;
      while (used < buffer.size()) {
        ssize_t n = pread(fd, buffer.data() + used, buffer.size() - used, static_cast<off_t>(used));
        if (n <= 0) break;
        used += static_cast<std::size_t>(n);
      }
      bytes += used;
    }
    benchmark::DoNotOptimize(buffer.data());
    benchmark::ClobberMemory();
  }
  for (int fd : fds) close(fd);
  state.counters["files"] = static_cast<double>(fds.size());
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_PreadSameFiles)->Unit(benchmark::kMicrosecond);

// The processes collector with `read_timeout`: 0 reads on the calling thread (unbounded), else
// on its scanner thread with each read bounded.
void ProcessTable(benchmark::State& state, std::chrono::milliseconds read_timeout) {
  CollectorOptions options;
  options.read_timeout = read_timeout;
  CollectorList collectors;
  collectors.push_back(MakeProcessCollector(ProcRoot(), options));
  SystemSample sample;
  CollectAll(collectors, SystemClock::Instance(), sample);
  if (!AllSucceeded(sample, state)) return;
  for (auto _ : state) {
    CollectAll(collectors, SystemClock::Instance(), sample);
    benchmark::DoNotOptimize(sample);
  }
  state.counters["processes"] = static_cast<double>(sample.processes.counts.total);
  state.counters["threads"] = static_cast<double>(sample.processes.counts.threads);
}

void BM_ProcessTable(benchmark::State& state) {
  ProcessTable(state, CollectorOptions{}.read_timeout);
}
BENCHMARK(BM_ProcessTable)->Unit(benchmark::kMicrosecond);

void BM_ProcessTableOnCallingThread(benchmark::State& state) {
  ProcessTable(state, std::chrono::milliseconds(0));
}
BENCHMARK(BM_ProcessTableOnCallingThread)->Unit(benchmark::kMicrosecond);

void BM_PreadProcessFiles(benchmark::State& state) {
  SystemSample sample;
  const FileList list = FilesOfASteadyPass(
      [](const ProcRoot& root) { return MakeProcessCollector(root, CollectorOptions{}); }, sample);
  if (!AllSucceeded(sample, state)) return;

  const int proc = open(ProcRoot::DefaultProc().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc < 0) {
    state.SkipWithError("cannot open the proc root");
    return;
  }
  std::vector<char> buffer(16 << 10);
  std::size_t opened = 0;
  for (auto _ : state) {
    opened = 0;
    for (const auto& [tree, relative] : list.files) {
      const int fd = openat(proc, relative.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;  // exited since the pass that listed it
      ++opened;
      while (read(fd, buffer.data(), buffer.size()) > 0) {
      }
      close(fd);
    }
    benchmark::DoNotOptimize(buffer.data());
    benchmark::ClobberMemory();
  }
  close(proc);
  state.counters["files"] = static_cast<double>(list.files.size());
  state.counters["opened"] = static_cast<double>(opened);
  state.counters["processes"] = static_cast<double>(sample.processes.counts.total);
}
BENCHMARK(BM_PreadProcessFiles)->Unit(benchmark::kMicrosecond);

// The cgroup tree as the daemon scans it each pass (the "cgroups" collector), against its floor:
// pread of exactly the files a steady-state pass reads, on descriptors kept open, no directory
// listing, no parsing. The collector keeps the files of 100 leaves open and opens the others'
// each pass, so above 100 leaves the floor is lower than anything that does not keep them all.
// bench/cgroup_scale.sh runs both at 10, 100 and 1,000 leaf cgroups.
void BM_CgroupScan(benchmark::State& state) {
  CollectorList collectors;
  collectors.push_back(MakeCgroupCollector(ProcRoot(), CollectorOptions{}));
  SystemSample sample;
  CollectAll(collectors, SystemClock::Instance(), sample);
  if (!AllSucceeded(sample, state)) return;
  if (!sample.cgroups.available) {
    state.SkipWithError("no cgroup v2 hierarchy");
    return;
  }
  for (auto _ : state) {
    CollectAll(collectors, SystemClock::Instance(), sample);
    benchmark::DoNotOptimize(sample);
  }
  state.counters["cgroups"] = static_cast<double>(sample.cgroups.count);
}
BENCHMARK(BM_CgroupScan)->Unit(benchmark::kMicrosecond);

void BM_PreadCgroupFiles(benchmark::State& state) {
  SystemSample sample;
  const FileList list = FilesOfASteadyPass(
      [](const ProcRoot& root) { return MakeCgroupCollector(root, CollectorOptions{}); }, sample);
  if (!AllSucceeded(sample, state)) return;

  ProcRoot root;
  std::vector<int> fds;
  for (const auto& [tree, relative] : list.files) {
    const auto path = tree == "sys" ? root.Sys(relative) : root.Proc(relative);
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) fds.push_back(fd);  // memory.current is absent without the controller
  }
  std::vector<char> buffer(16 << 10);
  for (auto _ : state) {
    // One pread per file: cgroup files are all far smaller than the buffer.
    for (int fd : fds) benchmark::DoNotOptimize(pread(fd, buffer.data(), buffer.size(), 0));
    benchmark::DoNotOptimize(buffer.data());
    benchmark::ClobberMemory();
  }
  for (int fd : fds) close(fd);
  state.counters["files"] = static_cast<double>(fds.size());
  state.counters["cgroups"] = static_cast<double>(sample.cgroups.count);
}
BENCHMARK(BM_PreadCgroupFiles)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace rh::collectors

BENCHMARK_MAIN();

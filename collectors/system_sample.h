#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "collectors/fields.h"

namespace rh::collectors {

// Raw readings of one collection pass, in the kernel's own terms (counters stay cumulative).
// Rates, the stress score and verdicts are derived later from two of these (analysis/).

/// /proc/loadavg, plus the online CPU count from /sys/devices/system/cpu/online.
struct LoadAvg {
  double load1 = 0, load5 = 0, load15 = 0;
  std::uint32_t runnable = 0;  ///< Currently runnable scheduling entities.
  std::uint32_t entities = 0;  ///< Existing scheduling entities (threads).
  std::int64_t last_pid = 0;
  std::uint32_t online_cpus = 0;
};

inline constexpr Field<LoadAvg> kLoadAvgFields[] = {
    {.name = "load1",
     .member = &LoadAvg::load1,
     .unit = "",
     .help = "Kernel load averages.",
     .metric = "rogue_hunter_load_average",
     .type = MetricType::kGauge,
     .label_name = "window",
     .label_value = "1m",
     .column = "load1"},
    {.name = "load5",
     .member = &LoadAvg::load5,
     .unit = "",
     .help = "Kernel load averages.",
     .metric = "rogue_hunter_load_average",
     .type = MetricType::kGauge,
     .label_name = "window",
     .label_value = "5m"},
    {.name = "load15",
     .member = &LoadAvg::load15,
     .unit = "",
     .help = "Kernel load averages.",
     .metric = "rogue_hunter_load_average",
     .type = MetricType::kGauge,
     .label_name = "window",
     .label_value = "15m"},
    {.name = "runnable", .member = &LoadAvg::runnable, .unit = "", .help = "Runnable entities."},
    {.name = "entities", .member = &LoadAvg::entities, .unit = "", .help = "Existing entities."},
    {.name = "last_pid", .member = &LoadAvg::last_pid, .unit = "", .help = "Last PID used."},
    {.name = "online_cpus",
     .member = &LoadAvg::online_cpus,
     .unit = "",
     .help = "Online CPUs.",
     .metric = "rogue_hunter_cpus_online",
     .type = MetricType::kGauge,
     .column = "cpus"},
};

/// CPU time by mode, in seconds (converted from USER_HZ ticks).
struct CpuTimes {
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0,
         guest = 0, guest_nice = 0;
};

inline constexpr std::string_view kCpuSecondsHelp = "CPU time summed over all CPUs, by mode.";
inline constexpr Field<CpuTimes> kCpuTimesFields[] = {
    {.name = "user",
     .member = &CpuTimes::user,
     .unit = "seconds",
     .help = kCpuSecondsHelp,
     .metric = "rogue_hunter_cpu_seconds_total",
     .type = MetricType::kCounter,
     .label_name = "mode",
     .label_value = "user"},
    {.name = "nice",
     .member = &CpuTimes::nice,
     .unit = "seconds",
     .help = kCpuSecondsHelp,
     .metric = "rogue_hunter_cpu_seconds_total",
     .type = MetricType::kCounter,
     .label_name = "mode",
     .label_value = "nice"},
    {.name = "system",
     .member = &CpuTimes::system,
     .unit = "seconds",
     .help = kCpuSecondsHelp,
     .metric = "rogue_hunter_cpu_seconds_total",
     .type = MetricType::kCounter,
     .label_name = "mode",
     .label_value = "system"},
    {.name = "idle",
     .member = &CpuTimes::idle,
     .unit = "seconds",
     .help = kCpuSecondsHelp,
     .metric = "rogue_hunter_cpu_seconds_total",
     .type = MetricType::kCounter,
     .label_name = "mode",
     .label_value = "idle"},
    {.name = "iowait",
     .member = &CpuTimes::iowait,
     .unit = "seconds",
     .help = kCpuSecondsHelp,
     .metric = "rogue_hunter_cpu_seconds_total",
     .type = MetricType::kCounter,
     .label_name = "mode",
     .label_value = "iowait",
     .column = "cpu_iowait_seconds"},
    {.name = "irq",
     .member = &CpuTimes::irq,
     .unit = "seconds",
     .help = kCpuSecondsHelp,
     .metric = "rogue_hunter_cpu_seconds_total",
     .type = MetricType::kCounter,
     .label_name = "mode",
     .label_value = "irq"},
    {.name = "softirq",
     .member = &CpuTimes::softirq,
     .unit = "seconds",
     .help = kCpuSecondsHelp,
     .metric = "rogue_hunter_cpu_seconds_total",
     .type = MetricType::kCounter,
     .label_name = "mode",
     .label_value = "softirq"},
    {.name = "steal",
     .member = &CpuTimes::steal,
     .unit = "seconds",
     .help = kCpuSecondsHelp,
     .metric = "rogue_hunter_cpu_seconds_total",
     .type = MetricType::kCounter,
     .label_name = "mode",
     .label_value = "steal",
     .column = "cpu_steal_seconds"},
    {.name = "guest",
     .member = &CpuTimes::guest,
     .unit = "seconds",
     .help = "Time running guests (already in user)."},
    {.name = "guest_nice",
     .member = &CpuTimes::guest_nice,
     .unit = "seconds",
     .help = "Time running niced guests (already in nice)."},
};

/// /proc/stat.
struct CpuStat {
  CpuTimes total;               ///< The aggregate "cpu" line.
  std::uint32_t cpu_lines = 0;  ///< Number of "cpuN" lines.
  std::uint64_t context_switches = 0;
  std::uint64_t forks = 0;       ///< "processes": forks since boot.
  std::uint64_t interrupts = 0;  ///< First number of "intr".
  std::uint32_t procs_running = 0;
  std::uint32_t procs_blocked = 0;
  std::int64_t boot_time = 0;  ///< "btime", Unix seconds.
};

/// The single-number lines of /proc/stat have a `source`: the parser looks them up by it.
inline constexpr Field<CpuStat> kCpuStatFields[] = {
    {.name = "cpu_lines", .member = &CpuStat::cpu_lines, .unit = "", .help = "cpuN lines."},
    {.name = "context_switches",
     .member = &CpuStat::context_switches,
     .unit = "",
     .help = "Context switches since boot.",
     .source = "ctxt",
     .metric = "rogue_hunter_context_switches_total",
     .type = MetricType::kCounter},
    {.name = "forks",
     .member = &CpuStat::forks,
     .unit = "",
     .help = "Processes and threads created since boot.",
     .source = "processes",
     .metric = "rogue_hunter_forks_total",
     .type = MetricType::kCounter},
    {.name = "interrupts",
     .member = &CpuStat::interrupts,
     .unit = "",
     .help = "Interrupts serviced since boot.",
     .source = "intr",
     .metric = "rogue_hunter_interrupts_total",
     .type = MetricType::kCounter},
    {.name = "procs_running",
     .member = &CpuStat::procs_running,
     .unit = "",
     .help = "Tasks runnable right now.",
     .source = "procs_running",
     .metric = "rogue_hunter_procs_running",
     .type = MetricType::kGauge,
     .column = "procs_running"},
    {.name = "procs_blocked",
     .member = &CpuStat::procs_blocked,
     .unit = "",
     .help = "Tasks blocked on I/O right now.",
     .source = "procs_blocked",
     .metric = "rogue_hunter_procs_blocked",
     .type = MetricType::kGauge,
     .column = "procs_blocked"},
    {.name = "boot_time",
     .member = &CpuStat::boot_time,
     .unit = "seconds",
     .help = "Unix time the machine booted.",
     .source = "btime",
     .metric = "rogue_hunter_boot_time_seconds",
     .type = MetricType::kGauge},
};

/// One line of a /proc/pressure file. Averages are the kernel's percentages (0-100).
struct PsiLine {
  double avg10 = 0, avg60 = 0, avg300 = 0;
  std::uint64_t total_us = 0;  ///< Cumulative stall time in microseconds.
};

/// One /proc/pressure/<resource> file. `available` is false when the file is missing (kernel
/// without PSI, or psi=0); cpu has no "full" line before Linux 5.13.
struct PsiResource {
  bool available = false;
  std::optional<PsiLine> some;
  std::optional<PsiLine> full;
};

enum class PsiKind : std::uint8_t { kCpu = 0, kIo = 1, kMemory = 2, kIrq = 3 };
inline constexpr std::array<std::string_view, 4> kPsiResourceNames = {"cpu", "io", "memory", "irq"};

struct Pressure {
  std::array<PsiResource, 4> resources;
  const PsiResource& operator[](PsiKind k) const { return resources[static_cast<int>(k)]; }
  PsiResource& operator[](PsiKind k) { return resources[static_cast<int>(k)]; }
};

/// /proc/meminfo, in bytes.
struct MemInfo {
  std::uint64_t total = 0, free = 0, available = 0, buffers = 0, cached = 0;
  std::uint64_t swap_total = 0, swap_free = 0, swap_cached = 0;
  std::uint64_t dirty = 0, writeback = 0;
  bool available_estimated = false;  ///< MemAvailable missing (Linux < 3.14): free+buffers+cached.
};

/// `source` is the key in /proc/meminfo (values in kB there, in bytes here). Ordered as exported.
inline constexpr Field<MemInfo> kMemInfoFields[] = {
    {.name = "total",
     .member = &MemInfo::total,
     .unit = "bytes",
     .help = "MemTotal.",
     .source = "MemTotal",
     .metric = "rogue_hunter_memory_total_bytes",
     .type = MetricType::kGauge,
     .column = "memory_total"},
    {.name = "available",
     .member = &MemInfo::available,
     .unit = "bytes",
     .help = "MemAvailable: allocatable without swapping.",
     .source = "MemAvailable",
     .metric = "rogue_hunter_memory_available_bytes",
     .type = MetricType::kGauge,
     .column = "memory_available"},
    {.name = "dirty",
     .member = &MemInfo::dirty,
     .unit = "bytes",
     .help = "Memory waiting to be written back to disk.",
     .source = "Dirty",
     .metric = "rogue_hunter_memory_dirty_bytes",
     .type = MetricType::kGauge},
    {.name = "writeback",
     .member = &MemInfo::writeback,
     .unit = "bytes",
     .help = "Memory being written back now.",
     .source = "Writeback",
     .metric = "rogue_hunter_memory_writeback_bytes",
     .type = MetricType::kGauge},
    {.name = "swap_total",
     .member = &MemInfo::swap_total,
     .unit = "bytes",
     .help = "Swap space.",
     .source = "SwapTotal",
     .metric = "rogue_hunter_swap_total_bytes",
     .type = MetricType::kGauge,
     .column = "swap_total"},
    {.name = "swap_free",
     .member = &MemInfo::swap_free,
     .unit = "bytes",
     .help = "Unused swap space.",
     .source = "SwapFree",
     .metric = "rogue_hunter_swap_free_bytes",
     .type = MetricType::kGauge,
     .column = "swap_free"},
    {.name = "free",
     .member = &MemInfo::free,
     .unit = "bytes",
     .help = "MemFree.",
     .source = "MemFree"},
    {.name = "buffers",
     .member = &MemInfo::buffers,
     .unit = "bytes",
     .help = "Buffers.",
     .source = "Buffers"},
    {.name = "cached",
     .member = &MemInfo::cached,
     .unit = "bytes",
     .help = "Cached.",
     .source = "Cached"},
    {.name = "swap_cached",
     .member = &MemInfo::swap_cached,
     .unit = "bytes",
     .help = "SwapCached.",
     .source = "SwapCached"},
    {.name = "available_estimated",
     .member = &MemInfo::available_estimated,
     .unit = "",
     .help = "MemAvailable was missing and is estimated."},
};

/// /proc/vmstat counters (cumulative since boot).
struct VmStat {
  std::uint64_t pswpin = 0, pswpout = 0;  ///< Pages swapped in / out.
  std::uint64_t pgpgin = 0, pgpgout = 0;  ///< KiB paged in from / out to block devices.
  std::uint64_t pgmajfault = 0;
  std::uint64_t allocstall = 0;  ///< Sum of allocstall_* (or "allocstall" on old kernels).
  std::uint64_t compact_stall = 0;
  std::uint64_t oom_kill = 0;
  std::uint64_t workingset_refault_file = 0;  ///< Page-cache pages read again soon after eviction.
};

/// `source` is the counter's name in /proc/vmstat; allocstall sums every allocstall_* line.
inline constexpr Field<VmStat> kVmStatFields[] = {
    {.name = "pswpin",
     .member = &VmStat::pswpin,
     .unit = "pages",
     .help = "Pages swapped in.",
     .source = "pswpin",
     .metric = "rogue_hunter_swap_in_pages_total",
     .type = MetricType::kCounter,
     .column = "pswpin"},
    {.name = "pswpout",
     .member = &VmStat::pswpout,
     .unit = "pages",
     .help = "Pages swapped out.",
     .source = "pswpout",
     .metric = "rogue_hunter_swap_out_pages_total",
     .type = MetricType::kCounter,
     .column = "pswpout"},
    {.name = "pgpgin",
     .member = &VmStat::pgpgin,
     .unit = "KiB",
     .help = "Bytes paged in from block devices.",
     .source = "pgpgin",
     .metric = "rogue_hunter_paged_in_bytes_total",
     .type = MetricType::kCounter,
     .scale = 1024,
     .column = "pgpgin"},
    {.name = "pgpgout",
     .member = &VmStat::pgpgout,
     .unit = "KiB",
     .help = "Bytes paged out to block devices.",
     .source = "pgpgout",
     .metric = "rogue_hunter_paged_out_bytes_total",
     .type = MetricType::kCounter,
     .scale = 1024,
     .column = "pgpgout"},
    {.name = "pgmajfault",
     .member = &VmStat::pgmajfault,
     .unit = "",
     .help = "Page faults that needed I/O.",
     .source = "pgmajfault",
     .metric = "rogue_hunter_major_page_faults_total",
     .type = MetricType::kCounter,
     .column = "pgmajfault"},
    {.name = "allocstall",
     .member = &VmStat::allocstall,
     .unit = "",
     .help = "Allocations that entered direct reclaim.",
     .source = "allocstall",
     .metric = "rogue_hunter_allocation_stalls_total",
     .type = MetricType::kCounter},
    {.name = "compact_stall",
     .member = &VmStat::compact_stall,
     .unit = "",
     .help = "Allocations that stalled for memory compaction.",
     .source = "compact_stall",
     .metric = "rogue_hunter_compaction_stalls_total",
     .type = MetricType::kCounter},
    {.name = "oom_kill",
     .member = &VmStat::oom_kill,
     .unit = "",
     .help = "Processes killed by the OOM killer.",
     .source = "oom_kill",
     .metric = "rogue_hunter_oom_kills_total",
     .type = MetricType::kCounter},
    {.name = "workingset_refault_file",
     .member = &VmStat::workingset_refault_file,
     .unit = "",
     .help = "Page-cache pages read back soon after being evicted (thrashing).",
     .source = "workingset_refault_file",
     .metric = "rogue_hunter_page_cache_refaults_total",
     .type = MetricType::kCounter,
     .column = "workingset_refault_file",
     .absent_in_old_bundles = true},
};

struct ThermalZone {
  std::string zone;  ///< Directory name, e.g. "thermal_zone0".
  std::string type;  ///< Content of its "type" file, e.g. "x86_pkg_temp".
  double celsius = 0;
};

/// /sys/class/thermal zones and /sys/devices/system/cpu/cpu*/thermal_throttle counters.
struct Thermal {
  std::vector<ThermalZone> zones;
  bool throttle_counters = false;       ///< Whether any thermal_throttle directory exists.
  std::uint64_t core_throttles = 0;     ///< Sum of core_throttle_count over CPUs.
  std::uint64_t package_throttles = 0;  ///< Max of package_throttle_count over CPUs.
};

/// The thermal series are exported by hand (zones are labelled, the throttle counters only exist
/// on some CPUs); these describe the scalars for the bundle JSON and the history.
inline constexpr Field<Thermal> kThermalFields[] = {
    {.name = "throttle_counters",
     .member = &Thermal::throttle_counters,
     .unit = "",
     .help = "Whether CPUs have thermal throttle counters."},
    {.name = "core_throttles",
     .member = &Thermal::core_throttles,
     .unit = "",
     .help = "Core throttle events summed over CPUs.",
     .column = "thermal_throttles"},
    {.name = "package_throttles",
     .member = &Thermal::package_throttles,
     .unit = "",
     .help = "Highest per-CPU package throttle count."},
};

/// Fields of /proc/PID/stat that rogue-hunter uses (proc(5) numbering in comments).
struct ProcessStat {
  std::int32_t pid = 0;            ///< (1)
  std::string comm;                ///< (2) without the parentheses; any bytes.
  char state = '?';                ///< (3)
  std::int32_t ppid = 0;           ///< (4)
  std::uint32_t flags = 0;         ///< (9) PF_* flags; PF_KTHREAD marks kernel threads.
  std::uint64_t minor_faults = 0;  ///< (10)
  std::uint64_t major_faults = 0;  ///< (12)
  std::uint64_t utime_ticks = 0;   ///< (14)
  std::uint64_t stime_ticks = 0;   ///< (15)
  std::int32_t nice = 0;           ///< (19)
  std::int64_t threads = 0;        ///< (20)
  std::uint64_t start_ticks = 0;   ///< (22) since boot.
  std::int64_t rss_pages = 0;      ///< (24)
  std::int32_t processor = -1;     ///< (39)
  std::uint64_t blkio_ticks = 0;   ///< (42) delayacct_blkio_ticks.
};

struct ProcessCounts {
  std::uint32_t running = 0;   ///< R
  std::uint32_t sleeping = 0;  ///< S
  std::uint32_t blocked = 0;   ///< D (uninterruptible)
  std::uint32_t zombie = 0;    ///< Z
  std::uint32_t stopped = 0;   ///< T, t
  std::uint32_t idle = 0;      ///< I (idle kernel threads)
  std::uint32_t other = 0;     ///< X, x, K, W, P and anything unknown
  std::uint32_t total = 0;
  std::uint64_t threads = 0;
};

inline constexpr std::string_view kProcessesHelp = "Processes by the state of their main thread.";
inline constexpr Field<ProcessCounts> kProcessCountFields[] = {
    {.name = "running",
     .member = &ProcessCounts::running,
     .unit = "",
     .help = kProcessesHelp,
     .metric = "rogue_hunter_processes",
     .type = MetricType::kGauge,
     .label_name = "state",
     .label_value = "running"},
    {.name = "sleeping",
     .member = &ProcessCounts::sleeping,
     .unit = "",
     .help = kProcessesHelp,
     .metric = "rogue_hunter_processes",
     .type = MetricType::kGauge,
     .label_name = "state",
     .label_value = "sleeping"},
    {.name = "blocked",
     .member = &ProcessCounts::blocked,
     .unit = "",
     .help = kProcessesHelp,
     .metric = "rogue_hunter_processes",
     .type = MetricType::kGauge,
     .label_name = "state",
     .label_value = "blocked"},
    {.name = "zombie",
     .member = &ProcessCounts::zombie,
     .unit = "",
     .help = kProcessesHelp,
     .metric = "rogue_hunter_processes",
     .type = MetricType::kGauge,
     .label_name = "state",
     .label_value = "zombie"},
    {.name = "stopped",
     .member = &ProcessCounts::stopped,
     .unit = "",
     .help = kProcessesHelp,
     .metric = "rogue_hunter_processes",
     .type = MetricType::kGauge,
     .label_name = "state",
     .label_value = "stopped"},
    {.name = "idle",
     .member = &ProcessCounts::idle,
     .unit = "",
     .help = kProcessesHelp,
     .metric = "rogue_hunter_processes",
     .type = MetricType::kGauge,
     .label_name = "state",
     .label_value = "idle"},
    {.name = "other",
     .member = &ProcessCounts::other,
     .unit = "",
     .help = kProcessesHelp,
     .metric = "rogue_hunter_processes",
     .type = MetricType::kGauge,
     .label_name = "state",
     .label_value = "other"},
    {.name = "total", .member = &ProcessCounts::total, .unit = "", .help = "Processes."},
    {.name = "threads",
     .member = &ProcessCounts::threads,
     .unit = "",
     .help = "Threads of all processes.",
     .metric = "rogue_hunter_threads",
     .type = MetricType::kGauge},
};

/// A process in a top-N list.
struct TopProcess {
  std::int32_t pid = 0;
  std::string comm;
  char state = '?';
  double cpu_ratio = 0;  ///< CPU seconds per second since the previous sample (1 = one CPU).
  std::uint64_t rss_bytes = 0;
  std::uint64_t cpu_ticks = 0;  ///< utime + stime, cumulative.
  std::uint64_t major_faults = 0;
  std::uint64_t start_ticks = 0;  ///< Start time since boot: with the PID, the identity.
};

/// A task in uninterruptible sleep (D state) and where in the kernel it waits: a process's main
/// thread, or another of its threads.
struct BlockedTask {
  std::int32_t pid = 0;
  std::string comm;      ///< The thread's name.
  std::string wchan;     ///< /proc/PID[/task/TID]/wchan; empty when unreadable or "0".
  std::int32_t tid = 0;  ///< The thread; 0 (as in older bundles) means the main thread, pid.

  std::int32_t task() const { return tid != 0 ? tid : pid; }
};

/// The process table, summarised: counts by state, top-N by CPU and by RSS, blocked tasks.
struct ProcessTable {
  ProcessCounts counts;
  std::vector<TopProcess> top_cpu;
  std::vector<TopProcess> top_rss;
  std::vector<BlockedTask> blocked;
};

/// One cgroup of the v2 hierarchy: its counters (cumulative) and what they did since the
/// previous pass. Stall totals are the cgroup's own PSI ("some": some of its tasks stalled;
/// "full": all of its non-idle tasks did).
struct CgroupUsage {
  std::string path;  ///< Relative to the hierarchy's root: "/system.slice/nginx.service".
  std::string name;  ///< The container id (12 hex digits), else the systemd unit, else the path.
  std::optional<std::uint64_t> memory_bytes;  ///< memory.current, or its processes' v1 memcg.
  std::uint64_t cpu_usec = 0;                 ///< cpu.stat usage_usec.
  std::uint64_t cpu_some_us = 0, memory_some_us = 0, memory_full_us = 0, io_some_us = 0,
                io_full_us = 0;
  bool pressure = false;         ///< The pressure files were readable.
  double cpu_ratio = 0;          ///< CPU seconds per second since the previous pass.
  double memory_full_ratio = 0;  ///< Share of the time in memory full stall since then.
  double memory_some_ratio = 0;
  double io_full_ratio = 0;
  double io_some_ratio = 0;
};

/// The cgroups under the v2 hierarchy (found in /proc/self/mountinfo wherever it is mounted),
/// summarised: the leaves (cgroups without children, where services and containers run)
/// ranked by memory, by memory full stall and by I/O full stall.
struct Cgroups {
  bool available = false;   ///< A v2 hierarchy was found and read.
  std::uint32_t count = 0;  ///< Cgroups read (the root excluded).
  bool truncated = false;   ///< Stopped at the most cgroups allowed.
  std::vector<CgroupUsage> top_memory;
  std::vector<CgroupUsage> top_memory_full;  ///< Those with a stall only.
  std::vector<CgroupUsage> top_io_full;      ///< Those with a stall only.
  std::vector<CgroupUsage> all;  ///< Every leaf, when the collector keeps them (captures).
};

/// Outcome of one collector in one pass.
struct CollectorStatus {
  std::string name;
  bool ok = false;
  double duration_seconds = 0;
  std::string error;
};

/// Everything one collection pass read. A failed collector leaves its part default-initialised
/// and says so in `collectors`; use Succeeded() before trusting a part.
struct SystemSample {
  ClockReading clock;              ///< When the pass started.
  std::uint32_t page_size = 4096;  ///< Bytes per page, for page counters; set by CollectAll.
  LoadAvg loadavg;
  CpuStat stat;
  Pressure pressure;
  MemInfo meminfo;
  VmStat vmstat;
  Thermal thermal;
  ProcessTable processes;
  Cgroups cgroups;
  std::vector<CollectorStatus> collectors;

  bool Succeeded(std::string_view collector) const {
    for (const auto& c : collectors) {
      if (c.name == collector) return c.ok;
    }
    return false;
  }
};

/// Calls `visit(path, collector, fields, part)` for every described part of `sample` (a
/// SystemSample, const or not): `path` is where the part sits in the bundle JSON ("stat.total"),
/// `collector` the collector that fills it, `fields` its descriptions. The one list of described
/// parts: a new struct is added here, a new field of a struct only to its description.
template <typename Sample, typename Visitor>
void VisitDescribedParts(Sample& sample, Visitor&& visit) {
  visit("loadavg", "loadavg", Fields(kLoadAvgFields), sample.loadavg);
  visit("stat.total", "stat", Fields(kCpuTimesFields), sample.stat.total);
  visit("stat", "stat", Fields(kCpuStatFields), sample.stat);
  visit("meminfo", "meminfo", Fields(kMemInfoFields), sample.meminfo);
  visit("vmstat", "vmstat", Fields(kVmStatFields), sample.vmstat);
  visit("thermal", "thermal", Fields(kThermalFields), sample.thermal);
  visit("processes.counts", "processes", Fields(kProcessCountFields), sample.processes.counts);
}

}  // namespace rh::collectors

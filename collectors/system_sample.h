#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"

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

/// CPU time by mode, in seconds (converted from USER_HZ ticks).
struct CpuTimes {
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0,
         guest = 0, guest_nice = 0;
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

/// /proc/vmstat counters (cumulative since boot).
struct VmStat {
  std::uint64_t pswpin = 0, pswpout = 0;  ///< Pages swapped in / out.
  std::uint64_t pgpgin = 0, pgpgout = 0;  ///< KiB paged in from / out to block devices.
  std::uint64_t pgmajfault = 0;
  std::uint64_t allocstall = 0;  ///< Sum of allocstall_* (or "allocstall" on old kernels).
  std::uint64_t compact_stall = 0;
  std::uint64_t oom_kill = 0;
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
  std::vector<CollectorStatus> collectors;

  bool Succeeded(std::string_view collector) const {
    for (const auto& c : collectors) {
      if (c.name == collector) return c.ok;
    }
    return false;
  }
};

}  // namespace rh::collectors

#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "collectors/cgroupfs.h"
#include "collectors/proc_root.h"
#include "collectors/switch_counts.h"

namespace rh::collectors {

/// Counters read at one moment, to tell afterwards whether the machine or only this daemon stood
/// still (analysis/pause_scope.h). The system-wide ones advance whenever anything runs; the
/// daemon's own are there to be told apart from them.
struct ProgressReading {
  std::int64_t monotonic_ns = 0;
  std::uint64_t context_switches = 0;  ///< /proc/stat ctxt.
  std::uint64_t interrupts = 0;        ///< /proc/stat intr (total).
  double busy_seconds = 0;   ///< CPU time other than idle, iowait and steal, summed over CPUs.
  double steal_seconds = 0;  ///< Stolen by the hypervisor, summed over CPUs.
  std::uint64_t own_context_switches = 0;  ///< This process's (getrusage), all threads.
  /// The daemon's cgroup: cumulative time its CPU quota held it (cpu.stat), when readable.
  std::optional<double> throttled_seconds;
  /// The watched thread's cumulative time runnable but waiting for a CPU (schedstat).
  std::optional<double> run_delay_seconds;
  /// Cumulative time some task waited for a CPU, memory and I/O (/proc/pressure "some" totals),
  /// where PSI is available: how congested the machine was, when others' switches fell.
  std::optional<double> cpu_waiting_seconds;
  std::optional<double> memory_waiting_seconds;
  std::optional<double> io_waiting_seconds;
};

/// The cpu.stat with the CPU quota's counters of the cgroup `cgroups` (this process's, from
/// /proc/self/cgroup) names: v2's when the cpu controller is on there (it has throttled_usec),
/// else v1's cpu hierarchy's; nullopt when neither is reachable.
std::optional<TreePath> OwnCpuStat(const ProcRoot& root, const std::vector<MountInfo>& mounts,
                                   const ProcCgroups& cgroups);

/// Reads SwitchCounts without allocating, locking or logging, so that the watchdog can take them
/// the moment it wakes from a pause, before the work that piled up during it runs and switches:
/// /proc/stat and the cpu.stat of the cgroup this process is in at construction (OwnCpuStat),
/// through descriptors opened then, into a buffer allocated then (64 KiB, locked in RAM where
/// the memlock limit allows: on a machine whose /proc/stat does not reach `ctxt` within it,
/// Read() fails). Reads are not reported to the root's recorder. Use from one thread; owns
/// descriptors: not copyable.
class SwitchCounter {
 public:
  explicit SwitchCounter(const ProcRoot& root);
  ~SwitchCounter();
  SwitchCounter(const SwitchCounter&) = delete;
  SwitchCounter& operator=(const SwitchCounter&) = delete;

  /// Fills `out`'s counts (the caller sets its time), and its throttled time where cpu.stat is
  /// readable; false when /proc/stat could not be read or holds no ctxt line.
  bool Read(SwitchCounts& out);

 private:
  // Reads the whole of `fd` into buffer_, NUL-terminated; its size, or 0 when unreadable.
  std::size_t ReadAll(int fd);

  static constexpr std::size_t kBytes = 64 << 10;
  int fd_ = -1;
  int cpu_stat_fd_ = -1;
  std::unique_ptr<char[]> buffer_;
  bool locked_ = false;
};

/// The readings a pause is judged with: the last at or before `monotonic_ns` (before), and the
/// latest at least `pace_seconds` before that one (else the earliest, if a fifth of that before
/// it), to tell the machine's pace (pace_from). The window does not reach back across an
/// interval in which the machine switched fewer than twice as often as this daemon: its own
/// threads handed work to each other there (as at its start) and the others' pace cannot be
/// told. `kept` is in time order. Pure.
struct PaceReadings {
  std::optional<ProgressReading> before;
  std::optional<ProgressReading> pace_from;
};
PaceReadings ChooseReadingsBefore(const std::deque<ProgressReading>& kept,
                                  std::int64_t monotonic_ns, double pace_seconds);

/// Reads ProgressReadings of the machine and of this process every `interval` on its own thread
/// and keeps the recent ones, so that when a pause ends the counters from just before it are at
/// hand. Also watches this process's cgroup v2 `cgroup.events` (inotify): a freeze and a thaw
/// each change it, and the changes are read after the thaw.
///
/// Everything is read through the ProcRoot: with a fixture tree the self files are absent and the
/// readings say only what the tree holds. Thread-safe. Owns a thread and descriptors: not
/// copyable or movable.
class ProgressProbe {
 public:
  struct Options {
    std::chrono::milliseconds interval{500};  ///< 0: no thread; only Read() on demand.
    std::size_t keep = 40;                    ///< Readings kept (20 s at 500 ms).
  };

  ProgressProbe(const ProcRoot& root, const Clock& clock, Options options);
  ~ProgressProbe();
  ProgressProbe(const ProgressProbe&) = delete;
  ProgressProbe& operator=(const ProgressProbe&) = delete;

  void Start();
  void Stop();

  /// The thread whose run delay (schedstat) the readings carry: the watchdog's.
  void WatchThread(pid_t tid);
  /// Finds this process's cgroups again (after a move to another cgroup) and re-arms the watch
  /// of cgroup.events if its cgroup changed. Cheap: one read of /proc/self/cgroup.
  void RefreshCgroup();

  /// Reads now; an error names the file when /proc/stat cannot be read.
  Result<ProgressReading> Read();

  /// ChooseReadingsBefore over the kept readings.
  PaceReadings ReadingsBefore(std::int64_t monotonic_ns, double pace_seconds = 5) const;

  /// How many changes of cgroup.events were seen at or after `monotonic_ns` (reading any that
  /// are pending first). 0 when not watching.
  std::uint32_t FreezeChangesSince(std::int64_t monotonic_ns);

  /// Whether cgroup.events of this process's v2 cgroup is watched.
  bool watching_freezes() const;
  /// The time between the oldest and the newest kept reading.
  double kept_seconds() const;

 private:
  struct Files;
  void Loop();
  void DrainWatchLocked(std::int64_t now_ns);
  Result<ProgressReading> ReadLocked();

  ProcRoot root_;
  const Clock& clock_;
  Options options_;

  mutable std::mutex mutex_;  // guards everything below
  std::unique_ptr<Files> files_;
  std::deque<ProgressReading> kept_;
  std::deque<std::int64_t> freeze_changes_;  // when changes were read (monotonic ns)
  pid_t watched_tid_ = 0;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace rh::collectors

#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/culprits.h"
#include "base/clock.h"
#include "collectors/cgroupfs.h"
#include "collectors/proc_root.h"
#include "forensics/capture/bounded_reader.h"

namespace rh::forensics {

// The full process table of a capture (processes.json, blocked.json): what the two collector
// passes read from every /proc/PID/stat, completed by time-bounded reads of each process's
// status, cmdline, cgroup, io and tasks, and of the wait channel and kernel stack of every task
// in D state.

/// The real user id from /proc/PID/status ("Uid:\t1000\t1000\t1000\t1000", proc(5)).
std::optional<std::uint32_t> ParseStatusUid(std::string_view status);

/// /proc/PID/cgroup (cgroups(7)): "0::/system.slice/app.service" on the unified hierarchy,
/// "12:name=systemd:/user.slice/..." and "4:memory:/..." on v1. The unified path, else the
/// name=systemd one, else the first; empty when there is none.
std::string CgroupPath(std::string_view cgroup_file);

// What a cgroup path stands for (collectors/cgroupfs.h).
using collectors::ContainerId;
using collectors::SystemdUnit;

/// /proc/PID/cmdline split at NUL bytes (the trailing one dropped): the arguments.
std::vector<std::string> SplitCmdline(std::string_view cmdline);

/// "read_bytes" and "write_bytes" of /proc/PID/io.
struct IoCounters {
  std::uint64_t read_bytes = 0;
  std::uint64_t write_bytes = 0;
};
std::optional<IoCounters> ParseIo(std::string_view io);

/// One process of the table.
struct ProcessRecord {
  analysis::ProcessInfo info;
  std::optional<std::uint32_t> uid;
  std::optional<std::vector<std::string>> argv;  ///< nullopt when unreadable.
  std::string container;
  std::uint64_t start_ticks = 0;
  std::optional<IoCounters> io;
  std::vector<std::string> errors;  ///< What could not be read: "cmdline: timed out after 500 ms".
};

/// One task in D state.
struct BlockedTaskRecord {
  analysis::BlockedTaskInfo info;
  std::optional<std::vector<std::string>> stack;  ///< Kernel stack lines; nullopt if unreadable.
  std::string stack_error;
  std::optional<double> blocked_since;  ///< Unix seconds, where known.
};

struct ProcessSnapshot {
  std::vector<ProcessRecord> processes;  ///< By PID.
  std::vector<BlockedTaskRecord> blocked;
  std::vector<std::string> notes;  ///< Degraded parts, for the bundle.
  double elapsed_seconds = 0;      ///< Between the two passes.
};

struct ProcessSnapshotInputs {
  std::map<std::int32_t, std::string> stat0;  ///< PID/stat texts of the first pass, by PID.
  std::map<std::int32_t, std::string> stat1;  ///< ... and of the second, which is the table.
  ClockReading clock0, clock1;                ///< When the passes started.
  double boot_time = 0;  ///< When the machine booted, Unix seconds (see BootTime()).
  double clock_ticks_per_second = 100;
  std::uint64_t page_size = 4096;
  /// 0: every process gets the per-process reads. Else a light capture: only the `detail_limit`
  /// busiest, largest and slowest on I/O (each) and every process in D state get them and have
  /// their tasks examined; the others have what their stat said.
  std::size_t detail_limit = 0;
};

/// When the machine booted, for process start times: CLOCK_REALTIME - CLOCK_BOOTTIME at `clock`
/// (exact), unless that is more than 2 s from `btime` (/proc/stat, whole seconds), which is then
/// used: the clock is not the kernel's (a test's fake clock) or the tree is not this machine's.
double BootTime(const ClockReading& clock, std::int64_t btime);

/// Builds the table. Every per-process read goes through `reader` (bounded), under `root`'s proc
/// tree; reads not started by `deadline` or after `cancel` are skipped and noted. User names come
/// from getpwuid_r, bounded the same way (NSS may hang on a network outage).
ProcessSnapshot ReadProcessSnapshot(const ProcessSnapshotInputs& inputs,
                                    const collectors::ProcRoot& root, BoundedReader& reader,
                                    std::chrono::steady_clock::time_point deadline,
                                    const std::atomic<bool>* cancel = nullptr);

}  // namespace rh::forensics

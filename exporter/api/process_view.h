#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "collectors/proc_root.h"
#include "collectors/process_detail.h"
#include "exporter/api/json.h"
#include "exporter/snapshot.h"
#include "forensics/capture/bounded_reader.h"

namespace rh::exporter::api {

/// One process as the API shows it, read on request.
struct ProcessView {
  collectors::ProcessFiles files;
  std::optional<std::uint32_t> uid;
  std::optional<std::string> user;
  std::optional<std::vector<std::string>> args;  ///< cmdline; nullopt when unreadable.
  std::string cgroup;                            ///< The unified (or systemd) cgroup path.
};

/// Reads processes from /proc for the API: each process's files through
/// collectors::ReadProcessFiles, its command line and user name through a BoundedReader (a
/// cmdline read can hang on a task stuck in the kernel, a user name lookup on NSS), all within
/// `timeout`. Thread-safe: the bounded reads of concurrent requests take turns.
class ProcessReader {
 public:
  ProcessReader(const collectors::ProcRoot& root, std::chrono::milliseconds timeout);

  /// The processes of `pids`, in order; nullopt for one that does not exist. With
  /// `command_lines` false, `args` stays unread.
  std::vector<std::optional<ProcessView>> Read(const std::vector<std::int32_t>& pids,
                                               bool command_lines);
  /// The user name of a uid (bounded), or nullopt.
  std::optional<std::string> UserName(std::uint32_t uid);

  const collectors::ProcRoot& root() const { return root_; }

 private:
  collectors::ProcRoot root_;
  std::chrono::milliseconds timeout_;
  std::mutex mutex_;  // one RunAll() at a time
  forensics::BoundedReader reader_;
};

/// What the process objects of the API are computed with: the latest snapshot (CPU shares of
/// the top lists, memory total, boot time), the clock, and the redaction settings.
class ProcessJson {
 public:
  ProcessJson(const Snapshot* snapshot, const ClockReading& now, bool redact,
              std::string_view salt);

  /// The fields every process object has: pid, name, username, cpu_percent, memory_percent,
  /// memory_mb, status, started_at, start_ticks, cmdline, num_threads (the seed's shape).
  Json Summary(const ProcessView& p) const;
  /// Summary() plus cwd, exe, descriptors, parent, nice, cgroup and unit.
  Json Detail(const ProcessView& p) const;
  /// pid, name, status, cpu_percent, memory_mb from a stat line alone (process trees).
  Json Brief(const collectors::ProcessStat& stat) const;

  /// "running", "sleeping", "disk-sleep", "zombie", "stopped", ... for a state letter.
  static std::string_view StatusName(char state);
  /// Unix time a process started, from its start ticks.
  double StartTime(std::uint64_t start_ticks) const;

 private:
  // CPU percent of one CPU: the last sample's when the process is in its top lists, else the
  // average since the process started; and which of the two it is.
  std::pair<double, std::string_view> CpuPercent(const collectors::ProcessStat& stat) const;

  const Snapshot* snapshot_;
  ClockReading now_;
  bool redact_;
  std::string salt_;
  double ticks_per_second_;
  double boot_time_;
  std::uint64_t memory_total_ = 0;
};

}  // namespace rh::exporter::api

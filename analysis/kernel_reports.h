#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rh::analysis {

// The kernel's own reports of stalls and trouble, recognised in the text of a kernel log record
// (collectors::KmsgRecord::text, with the kernel's \xNN escapes). Pure; the text is untrusted:
// task names may hold any bytes, including the words the patterns look for, and records may be
// cut short.

enum class KernelReportKind : std::uint8_t {
  kHungTask,     ///< "INFO: task %s:%d blocked for more than %ld seconds." (hung_task.c)
  kTaskBlocked,  ///< "INFO: task %s:%d is blocked on a mutex likely owned by task %s:%d."
  kSoftLockup,   ///< "watchdog: BUG: soft lockup - CPU#%d stuck for %us! [%s:%d]"
  kHardLockup,   ///< "Watchdog detected hard LOCKUP on cpu %d"
  kRcuStall,     ///< "rcu: INFO: rcu_sched detected stalls on CPUs/tasks:", "self-detected stall"
  kOomKill,      ///< "Out of memory: Killed process %d (%s) total-vm:..."
  kIoError,      ///< "I/O error, dev sda, sector 2048 op 0x0:(READ) ...", "Buffer I/O error on dev"
  kMachineCheck,  ///< "mce: [Hardware Error]: Machine check events logged", "Machine Check
                  ///< Exception"
};
inline constexpr std::size_t kKernelReportKinds = 8;
inline constexpr std::array<std::string_view, kKernelReportKinds> kKernelReportKindNames = {
    "hung_task", "task_blocked", "soft_lockup", "hard_lockup",
    "rcu_stall", "oom_kill",     "io_error",    "machine_check"};
inline std::string_view Name(KernelReportKind k) {
  return kKernelReportKindNames[static_cast<std::size_t>(k)];
}

/// A recognised report: its kind, the task it names (the blocked, stuck or killed one) and a
/// short detail ("blocked for more than 120 seconds", "dev sda", "cpu 3").
struct KernelReport {
  KernelReportKind kind = KernelReportKind::kHungTask;
  std::string task;  ///< As the kernel escaped it (\xNN); empty when the report names none.
  std::int32_t pid = 0;
  std::string detail;
};

/// The report in one line of kernel log text, or nullopt when it is none of the kinds (only the
/// first line of a multi-line report counts, so that each report counts once).
std::optional<KernelReport> RecognizeKernelReport(std::string_view text);

/// Reports counted by kind, for /metrics. The kernel log's thread counts; anyone reads.
struct KernelReportStats {
  std::array<std::atomic<std::uint64_t>, kKernelReportKinds> count{};
};

/// "hung task", "soft lockup", ...: the kind for people.
std::string_view KindText(KernelReportKind kind);

}  // namespace rh::analysis

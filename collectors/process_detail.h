#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "collectors/proc_root.h"
#include "collectors/system_sample.h"

namespace rh::collectors {

// One process read on request (the process API and its kill action), from /proc/PID
// (proc(5)): stat, status, cgroup, the cwd and exe links and the fd directory. Never cmdline or
// environ: reading them takes the process's memory map lock, which a task stuck in D state may
// hold for ever; the caller reads cmdline with a time bound (forensics::BoundedReader).

/// Kernel threads carry PF_KTHREAD in /proc/PID/stat's flags (field 9).
inline constexpr std::uint32_t kProcessFlagKernelThread = 0x00200000;

/// Open descriptors of a process, by what they point to.
struct DescriptorCounts {
  std::uint64_t total = 0;
  std::uint64_t files = 0;    ///< Links to a path ("/var/log/syslog").
  std::uint64_t sockets = 0;  ///< "socket:[12345]".
  bool truncated = false;     ///< More than the cap: counts are of the first ones only.
};

struct ProcessFiles {
  ProcessStat stat;
  std::string status;              ///< PID/status as read ("Uid:\t1000\t...").
  std::string cgroup;              ///< PID/cgroup as read; empty when unreadable.
  std::optional<std::string> cwd;  ///< Target of PID/cwd; nullopt when not permitted.
  std::optional<std::string> exe;  ///< Target of PID/exe; nullopt for kernel threads or denied.
  std::optional<DescriptorCounts> descriptors;  ///< nullopt when PID/fd is not readable.
};

/// Opens the directory /proc/PID (O_PATH|O_DIRECTORY, close-on-exec): files read through it
/// belong to that process even if its PID is reused meanwhile. -1 and errno on failure.
int OpenProcessDirectory(const ProcRoot& root, std::int32_t pid);

/// Reads the files of the process whose directory `process_dir` is (OpenProcessDirectory()),
/// counting at most `max_descriptors` descriptors. An error on stat (the process is gone:
/// `missing` is set) fails the whole read; the other parts are optional.
Result<ProcessFiles> ReadProcessFiles(const ProcRoot& root, std::int32_t pid, int process_dir,
                                      std::size_t max_descriptors = 65536, bool* missing = nullptr);

/// Reads PID/stat of every process, at most `max_processes` (for process trees). Processes that
/// exit meanwhile are skipped.
Result<std::vector<ProcessStat>> ReadAllProcessStats(const ProcRoot& root,
                                                     std::size_t max_processes = 1 << 20);

/// The kernel's random boot id (/proc/sys/kernel/random/boot_id), e.g.
/// "8eb07004-6e7e-4817-8ee9-018038f31183": different after every boot.
Result<std::string> ReadBootId(const ProcRoot& root);

}  // namespace rh::collectors

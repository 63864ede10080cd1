#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collectors/proc_root.h"

namespace rh::collectors {

// Finding cgroups: which hierarchies are mounted where (v2 wherever it is, v1 per controller,
// as on hybrid machines with v2 at /sys/fs/cgroup/unified), which cgroup a process is in, and the
// small files read from a cgroup. Pure parsers plus the lookup that joins them.

/// One line of /proc/PID/mountinfo (proc(5), "mountinfo"):
///
///     41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
///     35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
///
/// Fields: mount id, parent id, major:minor, root, mount point, options, optional fields up to
/// "-", then file system type, source and super options. Paths escape space, tab, newline and
/// backslash as \040, \011, \012 and \134.
struct MountInfo {
  std::string root;
  std::string mount_point;
  std::string fstype;
  std::string super_options;
};
/// Every well-formed line; malformed ones are skipped.
std::vector<MountInfo> ParseMountInfo(std::string_view text);

/// The cgroup v2 mount, or null.
const MountInfo* FindCgroup2(const std::vector<MountInfo>& mounts);
/// The cgroup v1 mount holding `controller` ("cpu", "memory", "freezer"), or null.
const MountInfo* FindCgroup1(const std::vector<MountInfo>& mounts, std::string_view controller);

/// /proc/PID/cgroup (cgroups(7)): "hierarchy-ID:controller-list:cgroup-path" per hierarchy,
///
///     0::/system.slice/rogue-hunter.service
///     4:memory:/user.slice/user-1000.slice
///
/// the "0::" line being the v2 hierarchy. The path is everything after the second colon.
struct ProcCgroups {
  std::optional<std::string> unified;                   ///< The v2 path.
  std::vector<std::pair<std::string, std::string>> v1;  ///< Controller list, path.
  std::optional<std::string> V1Path(std::string_view controller) const;
};
ProcCgroups ParseProcCgroup(std::string_view text);

/// The directory of cgroup `path` (as /proc/PID/cgroup names it) in the hierarchy mounted at `m`,
/// below `root`; nullopt when the path is outside the mount's root or the mount point is not
/// reachable from `root` (ProcRoot::Locate).
std::optional<TreePath> CgroupDirectory(const ProcRoot& root, const MountInfo& m,
                                        std::string_view path);

/// Cumulative time a CPU quota throttled the cgroup, in seconds, from its cpu.stat: v2
/// "throttled_usec" (µs), v1 "throttled_time" (ns). nullopt when the file has neither (no cpu
/// controller on the v2 hierarchy):
///
///     nr_periods 345
///     nr_throttled 12
///     throttled_usec 482133
std::optional<double> ParseCpuThrottledSeconds(std::string_view text);

/// The time a task was runnable but waiting for a CPU, in seconds, from
/// /proc/PID/task/TID/schedstat (Documentation/scheduler/sched-stats.rst): "on-CPU ns,
/// run-delay ns, timeslices":
///
///     1184725 49183 31
std::optional<double> ParseSchedstatRunDelay(std::string_view text);

/// The systemd unit a cgroup path belongs to: its deepest ".service" or ".scope" component
/// ("/system.slice/nginx.service" -> "nginx.service"); empty when none.
std::string SystemdUnit(std::string_view cgroup_path);

/// The container id (64 hex digits) in a cgroup path of Docker, containerd, CRI-O, Podman or
/// Kubernetes ("/system.slice/docker-<id>.scope", "/docker/<id>", "/kubepods/.../cri-containerd-
/// <id>.scope"); empty when none.
std::string ContainerId(std::string_view cgroup_path);

/// The value of `key` in a flat "key value" file (cgroup.events, cpu.stat, memory.stat).
std::optional<std::uint64_t> FlatKeyedValue(std::string_view text, std::string_view key);

}  // namespace rh::collectors

#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/scored_sample.h"

namespace rh::analysis {

// Culprit ranking for forensic bundles (docs/bundle-format.md, summary.json): who is to blame for
// a pause or a critical episode, and why. Pure functions of plain data: the capture gathers the
// inputs, rh-forensics can rank again from a bundle.

/// One process of the table taken at capture time.
struct ProcessInfo {
  std::int32_t pid = 0;
  std::int32_t ppid = 0;
  std::string comm;     ///< Any bytes.
  std::string cmdline;  ///< Arguments joined by spaces; empty for kernel threads or unreadable.
  std::string user;
  char state = '?';
  double cpu_share = 0;         ///< CPU seconds per second between the capture's two passes.
  std::uint64_t cpu_ticks = 0;  ///< utime + stime at capture, cumulative.
  std::uint64_t rss_bytes = 0;
  std::int64_t threads = 0;
  double start_time = 0;           ///< Unix seconds.
  std::uint64_t major_faults = 0;  ///< Cumulative.
  double io_delay_share = 0;  ///< Share of the time between the passes spent waiting for block I/O.
  double io_delay_seconds = 0;  ///< Cumulative block-I/O delay (delayacct_blkio_ticks).
  std::string cgroup;           ///< Unified-hierarchy path, e.g. "/system.slice/app.service".
  std::string unit;             ///< systemd unit when recognisable, else empty.
};

/// A task (thread) in uninterruptible sleep at capture time.
struct BlockedTaskInfo {
  std::int32_t pid = 0;  ///< Its process (thread group).
  std::int32_t tid = 0;
  std::string comm;
  std::string wchan;
  std::optional<double> blocked_seconds;  ///< How long it has been blocked, where known.
};

/// Everything the ranking looks at.
struct CulpritInputs {
  /// The flight recorder's samples of the window, oldest first.
  std::vector<std::shared_ptr<const ScoredSample>> window;
  /// The capture's own passes (scored), oldest first; they count as part of the window.
  std::vector<std::shared_ptr<const ScoredSample>> capture;
  std::vector<ProcessInfo> processes;
  std::vector<BlockedTaskInfo> blocked;
  std::vector<std::string> suspect_patterns;  ///< Case-insensitive substrings of comm or cmdline.
  /// The cgroups at capture time (the capture's second pass: every leaf, with the shares between
  /// the passes and cumulative stall totals).
  std::vector<collectors::CgroupUsage> cgroups;
  double steal_share = 0;  ///< Worst CPU steal share of the window.
  double clock_ticks_per_second = 100;
  std::int64_t now_monotonic_ns = 0;     ///< When the process table was read.
  double now = 0;                        ///< The same moment, Unix seconds.
  std::uint64_t memory_total_bytes = 0;  ///< 0: unknown (scales fall back to fixed sizes).
  /// The capturing process (the daemon): its CPU use is mostly the capture's own, so it is not
  /// evidence against it. 0: none.
  std::int32_t self_pid = 0;
  std::size_t max_culprits = 10;
};

/// Why a process is suspected. `kind` is one of kEvidenceKinds.
struct Evidence {
  std::string kind;
  double value = 0;  ///< In the kind's unit: CPU share, bytes, faults, share of time, tasks...
  std::string text;  ///< For people: "RSS grew by 2.0 GiB in the window".
};

inline constexpr std::string_view kEvidenceKinds[] = {
    "cpu",          "rss_growth",      "rss",    "major_faults", "io",
    "blocked",      "suspect_pattern", "cgroup", "steal",        "cgroup_pressure",
    "cgroup_memory"};

struct Culprit {
  int rank = 0;          ///< 1-based.
  std::int32_t pid = 0;  ///< 0 for the hypervisor and for a cgroup.
  std::string comm;      ///< A process's name; "hypervisor"; a cgroup's name (unit, container).
  double score = 0;      ///< 0-1: how strongly the evidence points at it.
  std::string unit;
  std::vector<Evidence> evidence;  ///< Strongest first.
  std::string cgroup;  ///< For a cgroup as a culprit (a service or container): its path.
};

/// How much of the window a cgroup spent in full stall: from the first sample that listed it
/// (in a top list) to the capture, over the whole window (a stall before that sample is not
/// known and counts as none, so the share is a lower bound). A cgroup no sample listed gets the
/// shares between the capture's passes. Ordered as `inputs.cgroups`.
struct CgroupWindow {
  const collectors::CgroupUsage* cgroup = nullptr;
  double memory_full_share = 0;
  double io_full_share = 0;
  bool over_window = false;  ///< False: only between the capture's passes.
};
std::vector<CgroupWindow> CgroupWindows(const CulpritInputs& inputs);

/// "service nginx.service", "container 0123456789ab", "cgroup /x/y".
std::string CgroupKind(const collectors::CgroupUsage& cgroup);

/// The stress component that dominated the window.
struct DominantStress {
  std::string component;  ///< A kComponentNames entry, or "none".
  double points = 0;      ///< Its highest points in the window.
  std::string text;       ///< "memory pressure, full stall 38%".
};

struct CulpritVerdict {
  DominantStress dominant;
  std::vector<Culprit> culprits;  ///< Best first.
  std::size_t blocked_tasks = 0;
  double steal_share = 0;
};

/// The component with the highest points over the window (capture passes included) and the
/// signal behind it. Latency is only dominant when nothing else scored: after a pause it is
/// always high, being the pause itself.
DominantStress FindDominantStress(const std::vector<std::shared_ptr<const ScoredSample>>& samples);

/// Ranks the suspects. Each process gets evidence of the kinds in kEvidenceKinds (cgroup only
/// when it already has evidence of its own), each kind a strength in 0-1 weighted by how much it
/// matters for the dominant component; the score combines them as independent indications
/// (1 - product of (1 - weight x strength)). A cgroup that spent 10% or more of the window in
/// memory or I/O full stall is a culprit of its own (pid 0, `cgroup` set: the service or
/// container), and the processes in it get that evidence (cgroup_pressure) too. A steal share
/// of 5% or more adds the hypervisor as a
/// culprit with pid 0. Ties go to the larger RSS, then the lower pid, then the cgroup path.
/// Deterministic.
CulpritVerdict RankCulprits(const CulpritInputs& inputs);

/// When task `tid` started being blocked, as far as the samples (oldest first) tell: the wall time
/// (Unix seconds) of the earliest sample of the run of consecutive samples, ending with the
/// newest, that list it among their blocked tasks. nullopt when the newest sample does not.
std::optional<double> BlockedSince(const std::vector<std::shared_ptr<const ScoredSample>>& samples,
                                   std::int32_t tid);

/// Whether `pattern` occurs in `text`, ignoring ASCII case. An empty pattern never matches.
bool ContainsIgnoringCase(std::string_view text, std::string_view pattern);

/// "2.0 GiB", "512 MiB", "12 KiB", "100 B".
std::string FormatBytes(double bytes);

}  // namespace rh::analysis

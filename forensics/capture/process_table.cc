#include "forensics/capture/process_table.h"

#include <dirent.h>
#include <pwd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <numeric>
#include <set>

#include "collectors/process.h"
#include "collectors/text.h"

namespace rh::forensics {
namespace {

using collectors::NextLine;
using collectors::NextToken;
using collectors::ParseNumber;

constexpr std::size_t kSmallCap = 64 << 10;   // status, cgroup, io, stat, wchan
constexpr std::size_t kCmdlineCap = 1 << 20;  // arguments can be long
constexpr std::size_t kStackCap = 64 << 10;

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string TrimTrailing(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\0'))
    s.remove_suffix(1);
  return std::string(s);
}

// "No such file or directory" or "No such process": the process exited meanwhile.
bool Gone(const Error& e) {
  return e.message.ends_with(std::strerror(ENOENT)) || e.message.ends_with(std::strerror(ESRCH));
}

BoundedReader::Read TaskList(const collectors::ProcRoot& root, std::int32_t pid) {
  std::string path = root.Proc(std::to_string(pid) + "/task").string();
  return [path]() -> Result<std::string> {
    DIR* dir = opendir(path.c_str());
    if (dir == nullptr) return Error{path + ": " + std::strerror(errno)};
    std::string out;
    while (const dirent* e = readdir(dir)) {
      if (IsDigits(e->d_name)) out.append(e->d_name).push_back('\n');
    }
    closedir(dir);
    return out;
  };
}

BoundedReader::Read UserName(std::uint32_t uid) {
  return [uid]() -> Result<std::string> {
    passwd entry{};
    passwd* found = nullptr;
    std::vector<char> buffer(16384);
    int rc = getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found);
    if (rc != 0 || found == nullptr) return Error{"uid " + std::to_string(uid) + ": no user name"};
    return std::string(found->pw_name);
  };
}

std::string Field(std::string_view what, const Error& e) {
  return std::string(what) + ": " + e.message;
}

}  // namespace

std::optional<std::uint32_t> ParseStatusUid(std::string_view status) {
  while (auto line = NextLine(status)) {
    if (!line->starts_with("Uid:")) continue;
    std::string_view rest = line->substr(4);
    return ParseNumber<std::uint32_t>(NextToken(rest));
  }
  return std::nullopt;
}

std::string CgroupPath(std::string_view text) {
  std::string unified, systemd, first;
  bool have_first = false;
  while (auto line = NextLine(text)) {
    // hierarchy-ID:controller-list:cgroup-path (the path may itself contain ':')
    std::size_t a = line->find(':');
    if (a == std::string_view::npos) continue;
    std::size_t b = line->find(':', a + 1);
    if (b == std::string_view::npos) continue;
    std::string_view id = line->substr(0, a);
    std::string_view controllers = line->substr(a + 1, b - a - 1);
    std::string path(line->substr(b + 1));
    if (id == "0" && controllers.empty()) unified = path;
    if (controllers == "name=systemd") systemd = path;
    if (!have_first) {
      first = path;
      have_first = true;
    }
  }
  if (!unified.empty()) return unified;
  if (!systemd.empty()) return systemd;
  return first;
}

std::vector<std::string> SplitCmdline(std::string_view cmdline) {
  std::vector<std::string> args;
  if (!cmdline.empty() && cmdline.back() == '\0') cmdline.remove_suffix(1);
  if (cmdline.empty()) return args;
  while (true) {
    std::size_t nul = cmdline.find('\0');
    args.emplace_back(cmdline.substr(0, nul));
    if (nul == std::string_view::npos) break;
    cmdline.remove_prefix(nul + 1);
  }
  return args;
}

std::optional<IoCounters> ParseIo(std::string_view io) {
  IoCounters out;
  bool read = false, write = false;
  while (auto line = NextLine(io)) {
    std::string_view rest = *line;
    std::string_view key = NextToken(rest);
    if (key == "read_bytes:") {
      if (auto v = ParseNumber<std::uint64_t>(NextToken(rest))) {
        out.read_bytes = *v;
        read = true;
      }
    } else if (key == "write_bytes:") {
      if (auto v = ParseNumber<std::uint64_t>(NextToken(rest))) {
        out.write_bytes = *v;
        write = true;
      }
    }
  }
  if (!read || !write) return std::nullopt;
  return out;
}

double BootTime(const ClockReading& clock, std::int64_t btime) {
  const double from_clock = static_cast<double>(clock.realtime_ns - clock.boottime_ns) / 1e9;
  const double from_kernel = static_cast<double>(btime);
  return std::abs(from_clock - from_kernel) <= 2 ? from_clock : from_kernel;
}

ProcessSnapshot ReadProcessSnapshot(const ProcessSnapshotInputs& in,
                                    const collectors::ProcRoot& root, BoundedReader& reader,
                                    std::chrono::steady_clock::time_point deadline,
                                    const std::atomic<bool>* cancel) {
  ProcessSnapshot out;
  const double hz = in.clock_ticks_per_second > 0 ? in.clock_ticks_per_second : 100;
  out.elapsed_seconds = static_cast<double>(in.clock1.monotonic_ns - in.clock0.monotonic_ns) / 1e9;
  const double elapsed = out.elapsed_seconds;
  const double uptime = static_cast<double>(in.clock1.boottime_ns) / 1e9;
  std::size_t timeouts = 0;
  auto note_error = [&](ProcessRecord& p, std::string_view what, const Error& e) {
    if (Gone(e) || e.message.starts_with("not read:")) return;  // exited, or in the notes
    if (e.message.starts_with("timed out")) ++timeouts;
    p.errors.push_back(Field(what, e));
  };

  std::map<std::int32_t, collectors::ProcessStat> before;
  for (const auto& [pid, text] : in.stat0) {
    if (auto s = collectors::ParseProcessStat(text)) before.emplace(pid, std::move(s).value());
  }
  for (const auto& [pid, text] : in.stat1) {
    auto s = collectors::ParseProcessStat(text);
    if (!s) continue;
    ProcessRecord r;
    auto& p = r.info;
    p.pid = s->pid;
    p.ppid = s->ppid;
    p.comm = s->comm;
    p.state = s->state;
    p.cpu_ticks = s->utime_ticks + s->stime_ticks;
    p.rss_bytes = s->rss_pages > 0 ? static_cast<std::uint64_t>(s->rss_pages) * in.page_size : 0;
    p.threads = s->threads;
    p.major_faults = s->major_faults;
    p.io_delay_seconds = static_cast<double>(s->blkio_ticks) / hz;
    r.start_ticks = s->start_ticks;
    const double since_boot = static_cast<double>(s->start_ticks) / hz;
    p.start_time = in.boot_time + since_boot;
    auto it = before.find(pid);
    if (it != before.end() && it->second.start_ticks == s->start_ticks && elapsed > 0) {
      std::uint64_t t0 = it->second.utime_ticks + it->second.stime_ticks;
      if (p.cpu_ticks >= t0) p.cpu_share = static_cast<double>(p.cpu_ticks - t0) / hz / elapsed;
      if (s->blkio_ticks >= it->second.blkio_ticks) {
        p.io_delay_share =
            static_cast<double>(s->blkio_ticks - it->second.blkio_ticks) / hz / elapsed;
      }
    } else if (uptime > since_boot) {
      p.cpu_share = static_cast<double>(p.cpu_ticks) / hz / (uptime - since_boot);
    }
    out.processes.push_back(std::move(r));
  }

  // Which processes get the per-process reads: all, or in a light capture those that matter.
  std::vector<std::size_t> detailed(out.processes.size());
  std::iota(detailed.begin(), detailed.end(), std::size_t{0});
  if (in.detail_limit > 0 && out.processes.size() > in.detail_limit) {
    std::vector<bool> chosen(out.processes.size(), false);
    auto top = [&](auto key) {
      std::vector<std::size_t> order(out.processes.size());
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(in.detail_limit),
                        order.end(), [&](std::size_t a, std::size_t b) {
                          return key(out.processes[a].info) > key(out.processes[b].info);
                        });
      for (std::size_t k = 0; k < in.detail_limit; ++k) chosen[order[k]] = true;
    };
    top([](const analysis::ProcessInfo& p) { return p.cpu_share; });
    top([](const analysis::ProcessInfo& p) { return static_cast<double>(p.rss_bytes); });
    top([](const analysis::ProcessInfo& p) { return p.io_delay_share; });
    detailed.clear();
    for (std::size_t i = 0; i < out.processes.size(); ++i) {
      if (chosen[i] || out.processes[i].info.state == 'D') detailed.push_back(i);
    }
    out.notes.push_back(
        "light capture (the daemon was over a self-limits budget): status, "
        "cmdline, cgroup, io and tasks read for " +
        std::to_string(detailed.size()) + " of " + std::to_string(out.processes.size()) +
        " processes, the busiest, largest and slowest on I/O and those in D "
        "state; threads of the others were not examined for D state");
  }

  // Per process: status, cmdline, cgroup, io and the task list.
  constexpr std::size_t kPerProcess = 5;
  std::vector<BoundedReader::Read> reads;
  reads.reserve(detailed.size() * kPerProcess);
  for (std::size_t i : detailed) {
    const auto& r = out.processes[i];
    const std::string dir = std::to_string(r.info.pid) + "/";
    reads.push_back(BoundedReader::ProcFile(root, dir + "status", kSmallCap));
    reads.push_back(BoundedReader::ProcFile(root, dir + "cmdline", kCmdlineCap));
    reads.push_back(BoundedReader::ProcFile(root, dir + "cgroup", kSmallCap));
    reads.push_back(BoundedReader::ProcFile(root, dir + "io", kSmallCap));
    reads.push_back(TaskList(root, r.info.pid));
  }
  auto results = reader.RunAll(std::move(reads), deadline, cancel);
  std::vector<std::vector<std::int32_t>> tasks(out.processes.size());
  std::set<std::uint32_t> uids;
  for (std::size_t d = 0; d < detailed.size(); ++d) {
    const std::size_t i = detailed[d];
    auto& r = out.processes[i];
    auto* at = &results[d * kPerProcess];
    if (at[0]) {
      r.uid = ParseStatusUid(*at[0]);
      if (r.uid) uids.insert(*r.uid);
    } else {
      note_error(r, "status", at[0].error());
    }
    if (at[1]) {
      r.argv = SplitCmdline(*at[1]);
      std::string joined;
      for (const auto& a : *r.argv) {
        if (!joined.empty()) joined += ' ';
        joined += a;
      }
      r.info.cmdline = std::move(joined);
    } else {
      note_error(r, "cmdline", at[1].error());
    }
    if (at[2]) {
      r.info.cgroup = CgroupPath(*at[2]);
      r.info.unit = SystemdUnit(r.info.cgroup);
      r.container = ContainerId(r.info.cgroup);
    } else {
      note_error(r, "cgroup", at[2].error());
    }
    if (at[3]) {
      r.io = ParseIo(*at[3]);
    } else {
      note_error(r, "io", at[3].error());
    }
    if (at[4]) {
      std::string_view list = *at[4];
      while (auto line = NextLine(list)) {
        if (auto tid = ParseNumber<std::int32_t>(*line)) tasks[i].push_back(*tid);
      }
    } else {
      note_error(r, "task", at[4].error());
    }
  }

  // User names, one bounded lookup per user.
  std::vector<std::uint32_t> uid_list(uids.begin(), uids.end());
  std::vector<BoundedReader::Read> lookups;
  for (std::uint32_t uid : uid_list) lookups.push_back(UserName(uid));
  auto names = reader.RunAll(std::move(lookups), deadline, cancel);
  std::map<std::uint32_t, std::string> user_of;
  for (std::size_t i = 0; i < uid_list.size(); ++i) {
    user_of[uid_list[i]] = names[i] ? *names[i] : std::to_string(uid_list[i]);
  }
  for (auto& r : out.processes) {
    if (r.uid) r.info.user = user_of[*r.uid];
  }

  // Every task's state, to find those in D state.
  struct TaskRef {
    std::size_t process;
    std::int32_t tid;
  };
  std::vector<TaskRef> refs;
  std::vector<BoundedReader::Read> stat_reads;
  for (std::size_t i = 0; i < out.processes.size(); ++i) {
    for (std::int32_t tid : tasks[i]) {
      refs.push_back({i, tid});
      stat_reads.push_back(BoundedReader::ProcFile(
          root,
          std::to_string(out.processes[i].info.pid) + "/task/" + std::to_string(tid) + "/stat",
          kSmallCap));
    }
  }
  auto task_stats = reader.RunAll(std::move(stat_reads), deadline, cancel);
  std::vector<BlockedTaskRecord> blocked;
  std::vector<bool> listed(out.processes.size(), false);
  for (std::size_t k = 0; k < refs.size(); ++k) {
    auto& r = out.processes[refs[k].process];
    if (!task_stats[k]) {
      if (!Gone(task_stats[k].error())) {
        note_error(r, "task/" + std::to_string(refs[k].tid) + "/stat", task_stats[k].error());
      }
      continue;
    }
    auto s = collectors::ParseProcessStat(*task_stats[k]);
    if (!s || s->state != 'D') continue;
    BlockedTaskRecord b;
    b.info.pid = r.info.pid;
    b.info.tid = refs[k].tid;
    b.info.comm = s->comm;
    blocked.push_back(std::move(b));
    listed[refs[k].process] = true;
  }
  // A process in D state whose tasks could not be listed or read counts as its main task.
  for (std::size_t i = 0; i < out.processes.size(); ++i) {
    const auto& p = out.processes[i].info;
    if (p.state == 'D' && !listed[i] && tasks[i].empty()) {
      BlockedTaskRecord b;
      b.info.pid = p.pid;
      b.info.tid = p.pid;
      b.info.comm = p.comm;
      blocked.push_back(std::move(b));
    }
  }

  // Wait channel and kernel stack of each blocked task.
  std::vector<BoundedReader::Read> task_reads;
  for (const auto& b : blocked) {
    const std::string dir =
        std::to_string(b.info.pid) + "/task/" + std::to_string(b.info.tid) + "/";
    task_reads.push_back(BoundedReader::ProcFile(root, dir + "wchan", kSmallCap));
    task_reads.push_back(BoundedReader::ProcFile(root, dir + "stack", kStackCap));
  }
  auto task_files = reader.RunAll(std::move(task_reads), deadline, cancel);
  for (std::size_t k = 0; k < blocked.size(); ++k) {
    auto& b = blocked[k];
    if (task_files[2 * k]) {
      std::string wchan = TrimTrailing(*task_files[2 * k]);
      if (wchan != "0") b.info.wchan = std::move(wchan);
    }
    if (task_files[2 * k + 1]) {
      std::vector<std::string> lines;
      std::string_view text = *task_files[2 * k + 1];
      while (auto line = NextLine(text)) {
        if (!line->empty()) lines.emplace_back(*line);
      }
      b.stack = std::move(lines);
    } else {
      b.stack_error = task_files[2 * k + 1].error().message;
    }
  }
  out.blocked = std::move(blocked);

  if (timeouts > 0) {
    out.notes.push_back(std::to_string(timeouts) + " per-process reads timed out after " +
                        std::to_string(reader.options().timeout.count()) + " ms");
  }
  if (reader.exhausted()) {
    out.notes.push_back("reading per-process files stopped: " + std::to_string(reader.stuck()) +
                        " reads are hung");
  }
  if (std::chrono::steady_clock::now() >= deadline) {
    out.notes.push_back("the capture ran out of time: some per-process files were not read");
  }
  if (cancel != nullptr && cancel->load()) {
    out.notes.push_back("the capture was cancelled: some per-process files were not read");
  }
  return out;
}

}  // namespace rh::forensics

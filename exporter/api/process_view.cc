#include "exporter/api/process_view.h"

#include <pwd.h>
#include <unistd.h>

#include <cmath>

#include "forensics/capture/process_table.h"
#include "forensics/redaction.h"

namespace rh::exporter::api {
namespace {

constexpr std::size_t kCmdlineCap = 256 << 10;

forensics::BoundedReader::Options ReaderOptions(std::chrono::milliseconds timeout) {
  forensics::BoundedReader::Options o;
  o.threads = 2;
  o.timeout = timeout;
  o.max_abandoned = 4;
  return o;
}

forensics::BoundedReader::Read UserNameRead(std::uint32_t uid) {
  return [uid]() -> Result<std::string> {
    passwd entry{};
    passwd* found = nullptr;
    std::vector<char> buffer(16384);
    if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
      return Error{"no user name for uid " + std::to_string(uid)};
    }
    return std::string(found->pw_name);
  };
}

double Round(double value, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

}  // namespace

ProcessReader::ProcessReader(const collectors::ProcRoot& root, std::chrono::milliseconds timeout)
    : root_(root), timeout_(timeout), reader_(ReaderOptions(timeout)) {}

std::vector<std::optional<ProcessView>> ProcessReader::Read(const std::vector<std::int32_t>& pids,
                                                            bool command_lines) {
  std::vector<std::optional<ProcessView>> out(pids.size());
  std::vector<forensics::BoundedReader::Read> reads;
  std::vector<std::pair<std::size_t, bool>> targets;  // (process index, is a cmdline read)
  for (std::size_t i = 0; i < pids.size(); ++i) {
    int dir = collectors::OpenProcessDirectory(root_, pids[i]);
    if (dir < 0) continue;
    auto files = collectors::ReadProcessFiles(root_, pids[i], dir);
    close(dir);
    if (!files.ok()) continue;
    ProcessView view;
    view.files = std::move(files).value();
    view.uid = forensics::ParseStatusUid(view.files.status);
    view.cgroup = forensics::CgroupPath(view.files.cgroup);
    out[i] = std::move(view);
    if (command_lines) {
      reads.push_back(forensics::BoundedReader::ProcFile(
          root_, std::to_string(pids[i]) + "/cmdline", kCmdlineCap));
      targets.emplace_back(i, true);
    }
    if (out[i]->uid) {
      reads.push_back(UserNameRead(*out[i]->uid));
      targets.emplace_back(i, false);
    }
  }
  if (reads.empty()) return out;
  std::vector<Result<std::string>> results;
  {
    std::lock_guard lock(mutex_);
    results = reader_.RunAll(std::move(reads), std::chrono::steady_clock::now() + timeout_ * 2);
  }
  for (std::size_t r = 0; r < results.size(); ++r) {
    if (!results[r].ok()) continue;
    ProcessView& view = *out[targets[r].first];
    if (targets[r].second) {
      view.args = forensics::SplitCmdline(*results[r]);
    } else {
      view.user = std::move(results[r]).value();
    }
  }
  return out;
}

std::optional<std::string> ProcessReader::UserName(std::uint32_t uid) {
  std::vector<forensics::BoundedReader::Read> reads = {UserNameRead(uid)};
  std::lock_guard lock(mutex_);
  auto results = reader_.RunAll(std::move(reads), std::chrono::steady_clock::now() + timeout_);
  if (results.empty() || !results[0].ok()) return std::nullopt;
  return std::move(results[0]).value();
}

ProcessJson::ProcessJson(const Snapshot* snapshot, const ClockReading& now, bool redact,
                         std::string_view salt)
    : snapshot_(snapshot), now_(now), redact_(redact), salt_(salt) {
  long hz = sysconf(_SC_CLK_TCK);
  ticks_per_second_ = hz > 0 ? static_cast<double>(hz) : 100;
  const std::int64_t btime = snapshot != nullptr ? snapshot->sample.stat.boot_time : 0;
  boot_time_ = btime > 0 ? forensics::BootTime(now, btime)
                         : static_cast<double>(now.realtime_ns - now.boottime_ns) / 1e9;
  if (snapshot != nullptr) memory_total_ = snapshot->sample.meminfo.total;
}

std::string_view ProcessJson::StatusName(char state) {
  switch (state) {
    case 'R':
      return "running";
    case 'S':
      return "sleeping";
    case 'D':
      return "disk-sleep";
    case 'Z':
      return "zombie";
    case 'T':
      return "stopped";
    case 't':
      return "tracing-stop";
    case 'X':
    case 'x':
      return "dead";
    case 'I':
      return "idle";
    case 'P':
      return "parked";
    case 'W':
      return "waking";
    case 'K':
      return "wakekill";
    default:
      return "unknown";
  }
}

double ProcessJson::StartTime(std::uint64_t start_ticks) const {
  return boot_time_ + static_cast<double>(start_ticks) / ticks_per_second_;
}

std::pair<double, std::string_view> ProcessJson::CpuPercent(
    const collectors::ProcessStat& stat) const {
  if (snapshot_ != nullptr) {
    const auto& table = snapshot_->sample.processes;
    for (const auto* list : {&table.top_cpu, &table.top_rss}) {
      for (const auto& p : *list) {
        if (p.pid == stat.pid && p.start_ticks == stat.start_ticks) {
          return {Round(p.cpu_ratio * 100, 2), "last_sample"};
        }
      }
    }
  }
  const double uptime = static_cast<double>(now_.boottime_ns) / 1e9;
  const double started = static_cast<double>(stat.start_ticks) / ticks_per_second_;
  const double cpu = static_cast<double>(stat.utime_ticks + stat.stime_ticks) / ticks_per_second_;
  if (uptime <= started) return {0, "since_start"};
  return {Round(cpu / (uptime - started) * 100, 2), "since_start"};
}

Json ProcessJson::Brief(const collectors::ProcessStat& stat) const {
  const std::uint64_t rss =
      stat.rss_pages > 0 ? static_cast<std::uint64_t>(stat.rss_pages) * getpagesize() : 0;
  return {{"pid", stat.pid},
          {"name", stat.comm},
          {"status", StatusName(stat.state)},
          {"cpu_percent", CpuPercent(stat).first},
          {"memory_mb", Round(static_cast<double>(rss) / (1 << 20), 1)}};
}

Json ProcessJson::Summary(const ProcessView& p) const {
  const collectors::ProcessStat& s = p.files.stat;
  const std::uint64_t rss =
      s.rss_pages > 0 ? static_cast<std::uint64_t>(s.rss_pages) * getpagesize() : 0;
  auto [cpu, basis] = CpuPercent(s);
  Json j;
  j["pid"] = s.pid;
  j["name"] = s.comm;
  j["username"] = p.user ? Json(*p.user) : Json(nullptr);
  j["cpu_percent"] = cpu;
  j["cpu_basis"] = basis;
  j["memory_percent"] =
      memory_total_ > 0
          ? Json(Round(static_cast<double>(rss) / static_cast<double>(memory_total_) * 100, 2))
          : Json(nullptr);
  j["memory_mb"] = Round(static_cast<double>(rss) / (1 << 20), 1);
  j["status"] = StatusName(s.state);
  j["started_at"] = IsoTime(StartTime(s.start_ticks));
  j["start_ticks"] = s.start_ticks;
  if (p.args) {
    std::vector<std::string> args = redact_ ? forensics::RedactArguments(*p.args, salt_) : *p.args;
    std::string line;
    for (const auto& a : args) line += (line.empty() ? "" : " ") + a;
    while (!line.empty() && line.back() == ' ') line.pop_back();
    j["cmdline"] = line;
  } else {
    j["cmdline"] = nullptr;
  }
  j["cmdline_redacted"] = redact_;
  j["num_threads"] = s.threads;
  return j;
}

Json ProcessJson::Detail(const ProcessView& p) const {
  Json j = {{"success", true}};
  const Json summary = Summary(p);
  for (const auto& [key, value] : summary.items()) j[key] = value;
  const auto& f = p.files;
  j["uid"] = p.uid ? Json(*p.uid) : Json(nullptr);
  j["cwd"] = f.cwd ? Json(*f.cwd) : Json(nullptr);
  j["exe"] = f.exe ? Json(*f.exe) : Json(nullptr);
  if (f.descriptors) {
    j["num_fds"] = f.descriptors->total;
    j["connections"] = f.descriptors->sockets;
    j["open_files"] = f.descriptors->files;
    j["fds_truncated"] = f.descriptors->truncated;
  } else {
    j["num_fds"] = nullptr;
    j["connections"] = nullptr;
    j["open_files"] = nullptr;
  }
  j["parent_pid"] = f.stat.ppid;
  j["nice"] = f.stat.nice;
  j["cgroup"] = p.cgroup.empty() ? Json(nullptr) : Json(p.cgroup);
  const std::string unit = forensics::SystemdUnit(p.cgroup);
  j["systemd_unit"] = unit.empty() ? Json(nullptr) : Json(unit);
  j["kernel_thread"] = (f.stat.flags & collectors::kProcessFlagKernelThread) != 0;
  return j;
}

}  // namespace rh::exporter::api

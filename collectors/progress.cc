#include "collectors/progress.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "collectors/cgroupfs.h"
#include "collectors/pressure.h"
#include "collectors/stat.h"

namespace rh::collectors {

std::optional<TreePath> OwnCpuStat(const ProcRoot& root, const std::vector<MountInfo>& mounts,
                                   const ProcCgroups& cgroups) {
  if (const MountInfo* v2 = FindCgroup2(mounts); v2 != nullptr && cgroups.unified) {
    if (auto dir = CgroupDirectory(root, *v2, *cgroups.unified)) {
      TreePath file = dir->Child("cpu.stat");
      auto content = ReadWholeFile(root, file.tree, file.relative, 64 << 10);
      if (content && ParseCpuThrottledSeconds(*content)) return file;
    }
  }
  const MountInfo* v1 = FindCgroup1(mounts, "cpu");
  if (v1 == nullptr) return std::nullopt;
  auto path = cgroups.V1Path("cpu");
  if (!path) return std::nullopt;
  auto dir = CgroupDirectory(root, *v1, *path);
  if (!dir) return std::nullopt;
  return dir->Child("cpu.stat");
}

SwitchCounter::SwitchCounter(const ProcRoot& root)
    : fd_(open(root.Proc("stat").c_str(), O_RDONLY | O_CLOEXEC)),
      buffer_(std::make_unique<char[]>(kBytes)) {
  std::memset(buffer_.get(), 0, kBytes);  // resident before the watchdog needs it
  // Kept in RAM like the watchdog's own memory, where the memlock limit allows.
  locked_ = mlock(buffer_.get(), kBytes) == 0;
  auto cgroup = ReadWholeFile(root, "proc", "self/cgroup", 64 << 10);
  auto mountinfo = ReadWholeFile(root, "proc", "self/mountinfo", 1 << 20);
  if (cgroup && mountinfo) {
    if (auto file = OwnCpuStat(root, ParseMountInfo(*mountinfo), ParseProcCgroup(*cgroup))) {
      cpu_stat_fd_ = open(root.Path(*file).c_str(), O_RDONLY | O_CLOEXEC);
    }
  }
}

SwitchCounter::~SwitchCounter() {
  if (locked_) munlock(buffer_.get(), kBytes);
  if (fd_ >= 0) close(fd_);
  if (cpu_stat_fd_ >= 0) close(cpu_stat_fd_);
}

std::size_t SwitchCounter::ReadAll(int fd) {
  std::size_t size = 0;
  while (size < kBytes - 1) {
    const ssize_t n = pread(fd, buffer_.get() + size, kBytes - 1 - size, static_cast<off_t>(size));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    size += static_cast<std::size_t>(n);
  }
  buffer_[size] = '\0';
  return size;
}

bool SwitchCounter::Read(SwitchCounts& out) {
  if (fd_ < 0) return false;
  ReadAll(fd_);
  const char* line = std::strstr(buffer_.get(), "\nctxt ");
  if (line == nullptr) return false;
  std::uint64_t total = 0;
  bool digits = false;
  for (const char* c = line + 6; *c >= '0' && *c <= '9'; ++c) {
    if (total > (UINT64_MAX - 9) / 10) return false;
    total = total * 10 + static_cast<std::uint64_t>(*c - '0');
    digits = true;
  }
  rusage usage{};
  if (!digits || getrusage(RUSAGE_SELF, &usage) != 0) return false;
  out.total = total;
  out.own = static_cast<std::uint64_t>(usage.ru_nvcsw + usage.ru_nivcsw);
  out.throttled_seconds.reset();
  if (cpu_stat_fd_ >= 0) {
    const std::size_t size = ReadAll(cpu_stat_fd_);
    if (size > 0) out.throttled_seconds = ParseCpuThrottledSeconds({buffer_.get(), size});
  }
  return true;
}

// Descriptors and where things are; guarded by the probe's mutex.
struct ProgressProbe::Files {
  explicit Files(const ProcRoot& root)
      : stat(root, "proc", "stat"),
        pressure{std::make_unique<KernelFile>(root, "proc", "pressure/cpu", 4096),
                 std::make_unique<KernelFile>(root, "proc", "pressure/memory", 4096),
                 std::make_unique<KernelFile>(root, "proc", "pressure/io", 4096)} {}
  ~Files() {
    if (inotify_fd >= 0) close(inotify_fd);
  }
  KernelFile stat;
  std::array<std::unique_ptr<KernelFile>, 3> pressure;  // cpu, memory, io; reset when missing
  std::unique_ptr<KernelFile> schedstat;
  std::unique_ptr<KernelFile> cpu_stat;  // the cgroup's, with throttling counters
  std::optional<std::vector<MountInfo>> mounts;
  std::string cgroup_text;  // /proc/self/cgroup as last read
  std::optional<TreePath> unified_dir;
  int inotify_fd = -1;
  int watch = -1;
};

ProgressProbe::ProgressProbe(const ProcRoot& root, const Clock& clock, Options options)
    : root_(root), clock_(clock), options_(options), files_(std::make_unique<Files>(root_)) {
  RefreshCgroup();
}

ProgressProbe::~ProgressProbe() { Stop(); }

void ProgressProbe::Start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || options_.interval.count() <= 0) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void ProgressProbe::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ProgressProbe::WatchThread(pid_t tid) {
  std::lock_guard lock(mutex_);
  watched_tid_ = tid;
  files_->schedstat = std::make_unique<KernelFile>(
      root_, "proc", "self/task/" + std::to_string(tid) + "/schedstat", 4096);
}

void ProgressProbe::RefreshCgroup() {
  std::lock_guard lock(mutex_);
  Files& f = *files_;
  auto text = ReadWholeFile(root_, "proc", "self/cgroup", 64 << 10);
  if (!text || *text == f.cgroup_text) return;
  f.cgroup_text = *text;
  if (!f.mounts) {
    auto mountinfo = ReadWholeFile(root_, "proc", "self/mountinfo", 1 << 20);
    f.mounts = mountinfo ? ParseMountInfo(*mountinfo) : std::vector<MountInfo>{};
  }
  const ProcCgroups cgroups = ParseProcCgroup(f.cgroup_text);
  std::optional<TreePath> unified;
  if (const MountInfo* v2 = FindCgroup2(*f.mounts); v2 != nullptr && cgroups.unified) {
    unified = CgroupDirectory(root_, *v2, *cgroups.unified);
  }

  // The CPU quota's counters.
  f.cpu_stat.reset();
  if (auto file = OwnCpuStat(root_, *f.mounts, cgroups)) {
    f.cpu_stat = std::make_unique<KernelFile>(root_, file->tree, file->relative, 64 << 10);
  }

  if (unified == f.unified_dir) return;
  f.unified_dir = unified;
  if (f.inotify_fd < 0) f.inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (f.inotify_fd < 0) return;
  if (f.watch >= 0) inotify_rm_watch(f.inotify_fd, f.watch);
  f.watch = -1;
  if (unified) {
    const std::string events = root_.Path(unified->Child("cgroup.events")).string();
    f.watch = inotify_add_watch(f.inotify_fd, events.c_str(), IN_MODIFY);
  }
  DrainWatchLocked(clock_.Now().monotonic_ns);
  freeze_changes_.clear();  // the new cgroup's history starts now
}

double ProgressProbe::kept_seconds() const {
  std::lock_guard lock(mutex_);
  if (kept_.size() < 2) return 0;
  return static_cast<double>(kept_.back().monotonic_ns - kept_.front().monotonic_ns) / 1e9;
}

bool ProgressProbe::watching_freezes() const {
  std::lock_guard lock(mutex_);
  return files_->watch >= 0;
}

void ProgressProbe::DrainWatchLocked(std::int64_t now_ns) {
  Files& f = *files_;
  if (f.inotify_fd < 0) return;
  alignas(inotify_event) char buffer[4096];
  for (;;) {
    ssize_t n = read(f.inotify_fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t at = 0; at < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
      if ((event->mask & IN_MODIFY) != 0 && event->wd == f.watch) {
        freeze_changes_.push_back(now_ns);
        if (freeze_changes_.size() > 64) freeze_changes_.pop_front();
      }
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
}

std::uint32_t ProgressProbe::FreezeChangesSince(std::int64_t monotonic_ns) {
  std::lock_guard lock(mutex_);
  DrainWatchLocked(clock_.Now().monotonic_ns);
  std::uint32_t count = 0;
  for (std::int64_t at : freeze_changes_) count += at >= monotonic_ns ? 1 : 0;
  return count;
}

Result<ProgressReading> ProgressProbe::Read() {
  std::lock_guard lock(mutex_);
  return ReadLocked();
}

Result<ProgressReading> ProgressProbe::ReadLocked() {
  Files& f = *files_;
  ProgressReading r;
  r.monotonic_ns = clock_.Now().monotonic_ns;
  auto text = f.stat.Read();
  if (!text) return text.error();
  auto stat = ParseStat(*text, sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100);
  if (!stat) return Error{f.stat.path() + ": " + stat.error().message};
  r.context_switches = stat->context_switches;
  r.interrupts = stat->interrupts;
  const CpuTimes& t = stat->total;
  r.busy_seconds = t.user + t.nice + t.system + t.irq + t.softirq;
  r.steal_seconds = t.steal;
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    r.own_context_switches = static_cast<std::uint64_t>(usage.ru_nvcsw + usage.ru_nivcsw);
  }
  std::optional<double>* waiting[] = {&r.cpu_waiting_seconds, &r.memory_waiting_seconds,
                                      &r.io_waiting_seconds};
  for (std::size_t i = 0; i < f.pressure.size(); ++i) {
    if (!f.pressure[i]) continue;
    auto content = f.pressure[i]->Read();
    auto psi = content ? ParsePressure(*content) : Result<PsiResource>(content.error());
    if (psi && psi->some) {
      *waiting[i] = static_cast<double>(psi->some->total_us) / 1e6;
    } else if (!content && f.pressure[i]->missing()) {
      f.pressure[i].reset();  // no PSI in this kernel: not tried again
    }
  }
  if (f.cpu_stat) {
    if (auto content = f.cpu_stat->Read()) r.throttled_seconds = ParseCpuThrottledSeconds(*content);
  }
  if (f.schedstat) {
    if (auto content = f.schedstat->Read()) r.run_delay_seconds = ParseSchedstatRunDelay(*content);
  }
  DrainWatchLocked(r.monotonic_ns);
  return r;
}

PaceReadings ChooseReadingsBefore(const std::deque<ProgressReading>& kept,
                                  std::int64_t monotonic_ns, double pace_seconds) {
  PaceReadings out;
  auto it = kept.rbegin();
  while (it != kept.rend() && it->monotonic_ns > monotonic_ns) ++it;
  if (it == kept.rend()) return out;
  out.before = *it;
  const auto pace_ns = static_cast<std::int64_t>(pace_seconds * 1e9);
  for (auto later = it, earlier = it + 1; earlier != kept.rend(); ++later, ++earlier) {
    // Fewer of the machine's switches than twice the daemon's own: its threads handed work to
    // each other (its start, a burst of requests), and the others' pace cannot be told there.
    if (later->context_switches < earlier->context_switches ||
        later->own_context_switches < earlier->own_context_switches ||
        later->context_switches - earlier->context_switches <
            2 * (later->own_context_switches - earlier->own_context_switches)) {
      break;
    }
    const std::int64_t apart = it->monotonic_ns - earlier->monotonic_ns;
    if (apart >= pace_ns / 5) out.pace_from = *earlier;  // the earliest so far that qualifies
    if (apart >= pace_ns) break;
  }
  return out;
}

PaceReadings ProgressProbe::ReadingsBefore(std::int64_t monotonic_ns, double pace_seconds) const {
  std::lock_guard lock(mutex_);
  return ChooseReadingsBefore(kept_, monotonic_ns, pace_seconds);
}

void ProgressProbe::Loop() {
  std::unique_lock lock(mutex_);
  auto next = std::chrono::steady_clock::now();
  while (!stop_) {
    if (auto r = ReadLocked()) {
      kept_.push_back(*r);
      if (kept_.size() > options_.keep) kept_.pop_front();
    }
    next += options_.interval;
    // After a stall, go on from now rather than catching up.
    if (next < std::chrono::steady_clock::now()) next = std::chrono::steady_clock::now();
    wake_.wait_until(lock, next, [this] { return stop_; });
  }
}

}  // namespace rh::collectors

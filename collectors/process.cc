#include "collectors/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "collectors/text.h"

namespace rh::collectors {
namespace {

// /proc/PID/stat is one line of at most a few hundred bytes.
constexpr std::size_t kStatCap = 16 << 10;

std::uint64_t SaturatingAdd(std::uint64_t a, std::uint64_t b) {
  return b > std::numeric_limits<std::uint64_t>::max() - a
             ? std::numeric_limits<std::uint64_t>::max()
             : a + b;
}

std::uint64_t SaturatingMultiply(std::uint64_t a, std::uint64_t b) {
  return b != 0 && a > std::numeric_limits<std::uint64_t>::max() / b
             ? std::numeric_limits<std::uint64_t>::max()
             : a * b;
}

bool IsPid(const char* name) {
  if (*name == '\0') return false;
  for (; *name != '\0'; ++name) {
    if (*name < '0' || *name > '9') return false;
  }
  return true;
}

Error BadField(int field, std::string_view name, std::string_view token) {
  return Error{"bad field " + std::to_string(field) + " (" + std::string(name) + ") '" +
               std::string(token) + "'"};
}

template <typename T>
Status ParseField(int field, std::string_view name, std::string_view token, T& out) {
  auto value = ParseNumber<T>(token);
  if (!value) return BadField(field, name, token);
  out = *value;
  return {};
}

std::int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The read a scan has under way, for a watcher on another thread (BoundedProcessCollector).
struct ReadWatch {
  std::atomic<std::int64_t> since_ns{0};  // steady clock; 0 when no read is under way
  std::atomic<std::int32_t> pid{0};
  std::atomic<std::int32_t> tid{0};   // a thread's file (PID/task/TID/...); 0: the process's
  std::atomic<const char*> file{""};  // "stat", "wchan"
};

class ProcessCollector final : public Collector {
 public:
  ProcessCollector(const ProcRoot& root, const CollectorOptions& options, long ticks_per_second,
                   long page_size, ReadWatch* watch = nullptr)
      : root_(root),
        top_n_(options.top_n),
        max_blocked_(options.max_blocked),
        ticks_per_second_(static_cast<double>(ticks_per_second)),
        page_size_(static_cast<std::uint64_t>(page_size)),
        watch_(watch) {}

  ~ProcessCollector() override {
    if (dir_ != nullptr) closedir(dir_);
  }
  ProcessCollector(const ProcessCollector&) = delete;
  ProcessCollector& operator=(const ProcessCollector&) = delete;

  std::string_view name() const override { return "processes"; }

  // PIDs not to read (their reads hang), sorted.
  void Skip(std::vector<std::int32_t> pids) { skip_ = std::move(pids); }

  Status Collect(SystemSample& sample) override {
    Status status = Scan(sample.processes.counts);
    if (!status.ok()) {
      sample.processes = {};
      return status;
    }
    ComputeCpuRatios(sample.clock.monotonic_ns);
    FillTop(sample.processes);
    FillBlocked(sample.processes.blocked);
    return {};
  }

 private:
  struct Entry {
    std::int32_t pid = 0;
    char state = '?';
    std::uint64_t start_ticks = 0;
    std::uint64_t cpu_ticks = 0;
    std::uint64_t rss_bytes = 0;
    std::uint64_t major_faults = 0;
    double cpu_ratio = 0;
    std::int64_t threads = 0;
    std::string comm;
  };
  struct Previous {
    std::int32_t pid;
    std::uint64_t start_ticks;
    std::uint64_t cpu_ticks;
  };

  // Reads every PID/stat into entries_ (sorted by PID) and counts states.
  Status Scan(ProcessCounts& counts) {
    counts = {};
    count_ = 0;
    if (dir_ == nullptr) {
      dir_ = opendir(root_.proc().c_str());
      if (dir_ == nullptr) return Error{root_.proc().string() + ": " + std::strerror(errno)};
    } else {
      rewinddir(dir_);
    }
    while (const dirent* de = readdir(dir_)) {
      if (!IsPid(de->d_name)) continue;
      const auto pid = ParseNumber<std::int32_t>(de->d_name).value_or(0);
      if (std::binary_search(skip_.begin(), skip_.end(), pid)) continue;
      relative_.assign(de->d_name).append("/stat");
      bool missing = false;
      Watch(pid, "stat");
      auto text = ReadFileAt(root_, dirfd(dir_), "proc", relative_, buffer_, kStatCap, &missing);
      Unwatch();
      if (!text) {
        if (missing) continue;  // exited between readdir and read
        return text.error();
      }
      auto stat = ParseProcessStat(*text);
      if (!stat) return Error{root_.Proc(relative_).string() + ": " + stat.error().message};
      if (count_ == entries_.size()) entries_.emplace_back();
      Entry& e = entries_[count_++];
      e.pid = stat->pid;
      e.state = stat->state;
      e.start_ticks = stat->start_ticks;
      e.cpu_ticks = SaturatingAdd(stat->utime_ticks, stat->stime_ticks);
      e.rss_bytes =
          stat->rss_pages > 0
              ? SaturatingMultiply(static_cast<std::uint64_t>(stat->rss_pages), page_size_)
              : 0;
      e.major_faults = stat->major_faults;
      e.cpu_ratio = 0;
      e.threads = stat->threads;
      e.comm.swap(stat->comm);
      Count(e.state, counts);
      if (stat->threads > 0) {
        counts.threads = SaturatingAdd(counts.threads, static_cast<std::uint64_t>(stat->threads));
      }
    }
    counts.total = static_cast<std::uint32_t>(count_);
    auto by_pid = [](const Entry& a, const Entry& b) { return a.pid < b.pid; };
    // /proc lists PIDs in ascending order already; fixture trees and bundles may not.
    if (!std::is_sorted(entries_.begin(), entries_.begin() + count_, by_pid)) {
      std::sort(entries_.begin(), entries_.begin() + count_, by_pid);
    }
    return {};
  }

  static void Count(char state, ProcessCounts& counts) {
    switch (state) {
      case 'R':
        ++counts.running;
        break;
      case 'S':
        ++counts.sleeping;
        break;
      case 'D':
        ++counts.blocked;
        break;
      case 'Z':
        ++counts.zombie;
        break;
      case 'T':
      case 't':
        ++counts.stopped;
        break;
      case 'I':
        ++counts.idle;
        break;
      default:
        ++counts.other;
        break;
    }
  }

  // Matches entries_ against the previous pass (both sorted by PID) and swaps the passes.
  void ComputeCpuRatios(std::int64_t now_ns) {
    const std::int64_t elapsed_ns = have_previous_ ? now_ns - previous_ns_ : 0;
    const double elapsed = static_cast<double>(elapsed_ns) / 1e9;
    current_.clear();
    std::size_t p = 0;
    for (std::size_t i = 0; i < count_; ++i) {
      Entry& e = entries_[i];
      while (p < previous_.size() && previous_[p].pid < e.pid) ++p;
      if (elapsed_ns > 0 && p < previous_.size() && previous_[p].pid == e.pid &&
          previous_[p].start_ticks == e.start_ticks && e.cpu_ticks >= previous_[p].cpu_ticks) {
        e.cpu_ratio =
            static_cast<double>(e.cpu_ticks - previous_[p].cpu_ticks) / ticks_per_second_ / elapsed;
      }
      current_.push_back(Previous{e.pid, e.start_ticks, e.cpu_ticks});
    }
    previous_.swap(current_);
    previous_ns_ = now_ns;
    have_previous_ = true;
  }

  void FillTop(ProcessTable& table) {
    const std::size_t n = std::min(top_n_, count_);
    order_.resize(count_);
    for (std::size_t i = 0; i < count_; ++i) order_[i] = i;
    auto fill = [&](std::vector<TopProcess>& out, auto greater) {
      std::partial_sort(order_.begin(), order_.begin() + n, order_.end(),
                        [&](std::size_t a, std::size_t b) {
                          const Entry& x = entries_[a];
                          const Entry& y = entries_[b];
                          if (greater(x, y)) return true;
                          if (greater(y, x)) return false;
                          return x.pid < y.pid;
                        });
      out.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        const Entry& e = entries_[order_[i]];
        TopProcess& t = out[i];
        t.pid = e.pid;
        t.comm = e.comm;
        t.state = e.state;
        t.cpu_ratio = e.cpu_ratio;
        t.rss_bytes = e.rss_bytes;
        t.cpu_ticks = e.cpu_ticks;
        t.major_faults = e.major_faults;
        t.start_ticks = e.start_ticks;
      }
    };
    fill(table.top_cpu, [](const Entry& x, const Entry& y) { return x.cpu_ratio > y.cpu_ratio; });
    fill(table.top_rss, [](const Entry& x, const Entry& y) { return x.rss_bytes > y.rss_bytes; });
  }

  // Every task in D state, in PID then TID order, up to max_blocked_: main threads from PID/stat,
  // and the other threads of multi-threaded processes from PID/task/TID/stat.
  void FillBlocked(std::vector<BlockedTask>& out) {
    out.clear();
    for (std::size_t i = 0; i < count_ && out.size() < max_blocked_; ++i) {
      const Entry& e = entries_[i];
      const std::string dir = std::to_string(e.pid);
      if (e.state == 'D') out.push_back(Blocked(e.pid, e.pid, e.comm, dir + "/wchan"));
      if (e.threads > 1) FillBlockedThreads(e, dir + "/task", out);
    }
  }

  void FillBlockedThreads(const Entry& e, const std::string& task_dir,
                          std::vector<BlockedTask>& out) {
    const int fd = openat(dirfd(dir_), task_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;  // exited meanwhile, or a tree without task directories
    DIR* tasks = fdopendir(fd);
    if (tasks == nullptr) {
      close(fd);
      return;
    }
    tids_.clear();
    while (const dirent* de = readdir(tasks)) {
      auto tid = ParseNumber<std::int32_t>(de->d_name);
      if (tid && *tid != e.pid) tids_.push_back(*tid);  // the main thread is PID/stat's
    }
    closedir(tasks);
    std::sort(tids_.begin(), tids_.end());
    for (std::int32_t tid : tids_) {
      if (out.size() >= max_blocked_) return;
      const std::string task = task_dir + "/" + std::to_string(tid);
      relative_.assign(task).append("/stat");
      Watch(e.pid, "stat", tid);
      auto text = ReadFileAt(root_, dirfd(dir_), "proc", relative_, buffer_, kStatCap);
      Unwatch();
      if (!text) continue;  // exited meanwhile
      auto stat = ParseProcessStat(*text);
      if (!stat || stat->state != 'D') continue;
      out.push_back(Blocked(e.pid, tid, std::move(stat->comm), task + "/wchan"));
    }
  }

  BlockedTask Blocked(std::int32_t pid, std::int32_t tid, std::string comm,
                      const std::string& wchan_file) {
    BlockedTask task;
    task.pid = pid;
    task.tid = tid;
    task.comm = std::move(comm);
    Watch(pid, "wchan", tid == pid ? 0 : tid);
    auto wchan = ReadFileAt(root_, dirfd(dir_), "proc", wchan_file, buffer_, 4096);
    Unwatch();
    if (wchan.ok()) {
      std::string_view symbol = *wchan;
      while (!symbol.empty() && (symbol.back() == '\n' || symbol.back() == ' ')) {
        symbol.remove_suffix(1);
      }
      if (symbol != "0") task.wchan = std::string(symbol);
    }
    return task;
  }

  void Watch(std::int32_t pid, const char* file, std::int32_t tid = 0) {
    if (watch_ == nullptr) return;
    watch_->pid.store(pid, std::memory_order_relaxed);
    watch_->tid.store(tid, std::memory_order_relaxed);
    watch_->file.store(file, std::memory_order_relaxed);
    watch_->since_ns.store(SteadyNs(), std::memory_order_release);
  }
  void Unwatch() {
    if (watch_ != nullptr) watch_->since_ns.store(0, std::memory_order_release);
  }

  ProcRoot root_;
  std::size_t top_n_;
  std::size_t max_blocked_;
  double ticks_per_second_;
  std::uint64_t page_size_;
  ReadWatch* watch_;
  std::vector<std::int32_t> skip_;
  DIR* dir_ = nullptr;
  std::string relative_;
  std::string buffer_;          // reused for every read
  std::vector<Entry> entries_;  // first count_ are this pass; kept to reuse their strings
  std::size_t count_ = 0;
  std::vector<std::size_t> order_;
  std::vector<std::int32_t> tids_;
  std::vector<Previous> previous_;
  std::vector<Previous> current_;
  std::int64_t previous_ns_ = 0;
  bool have_previous_ = false;
};

// Runs a ProcessCollector on a thread of its own so that a read that hangs (a /proc file of a
// task stuck in the kernel) cannot stall the sampler. Each pass is handed to the scanner thread
// and waited for; a read under way for longer than the timeout is given up: the scanner is
// abandoned with it (it owns its state and exits if the read ever returns), this pass fails
// naming the file, and the next pass starts a fresh scanner that skips that PID until the read
// returns. At most kMaxHung scanners are ever left blocked.
class BoundedProcessCollector final : public Collector {
 public:
  BoundedProcessCollector(const ProcRoot& root, const CollectorOptions& options,
                          long ticks_per_second, long page_size)
      : root_(root),
        options_(options),
        ticks_per_second_(ticks_per_second),
        page_size_(page_size) {}

  ~BoundedProcessCollector() override {
    if (scanner_) Retire(std::move(scanner_));
    for (auto& s : hung_) Retire(std::move(s));
  }
  BoundedProcessCollector(const BoundedProcessCollector&) = delete;
  BoundedProcessCollector& operator=(const BoundedProcessCollector&) = delete;

  std::string_view name() const override { return "processes"; }

  Status Collect(SystemSample& sample) override {
    // Scanners whose hung read came back: their PIDs are read again.
    std::erase_if(hung_, [](const std::shared_ptr<Scanner>& s) {
      std::lock_guard lock(s->mutex);
      return s->exited;
    });
    if (hung_.size() >= kMaxHung) {
      return Error{std::to_string(hung_.size()) +
                   " reads of the process table are hung; it is not read until one returns"};
    }
    if (!scanner_) scanner_ = Start();
    Scanner& s = *scanner_;
    std::unique_lock lock(s.mutex);
    s.clock = sample.clock;
    s.skip.clear();
    for (const auto& h : hung_) s.skip.push_back(h->hung_pid);
    std::sort(s.skip.begin(), s.skip.end());
    s.job = true;
    s.done = false;
    s.work.notify_all();
    const std::int64_t timeout_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(options_.read_timeout).count();
    while (!s.done) {
      const std::int64_t since = s.watch.since_ns.load(std::memory_order_acquire);
      const std::int64_t now = SteadyNs();
      if (since != 0 && now - since >= timeout_ns) {
        const std::int32_t pid = s.watch.pid.load(std::memory_order_relaxed);
        const std::int32_t tid = s.watch.tid.load(std::memory_order_relaxed);
        const std::string path =
            root_
                .Proc(std::to_string(pid) + (tid != 0 ? "/task/" + std::to_string(tid) : "") + "/" +
                      s.watch.file.load(std::memory_order_relaxed))
                .string();
        s.abandoned = true;
        s.hung_pid = pid;
        lock.unlock();
        hung_.push_back(std::move(scanner_));
        return Error{path + ": read blocked for more than " +
                     std::to_string(options_.read_timeout.count()) + " ms; PID " +
                     std::to_string(pid) + " is skipped until it returns"};
      }
      const std::int64_t wake = (since != 0 ? since : now) + timeout_ns;
      s.finished.wait_for(lock, std::chrono::nanoseconds(std::max<std::int64_t>(wake - now, 1)));
    }
    sample.processes = std::move(s.result);
    return s.status;
  }

 private:
  static constexpr std::size_t kMaxHung = 4;

  // One scanner thread and everything it uses, shared with it so that it can be abandoned.
  struct Scanner {
    std::mutex mutex;
    std::condition_variable work;
    std::condition_variable finished;
    ReadWatch watch;
    std::unique_ptr<ProcessCollector> collector;
    // Guarded by mutex:
    bool job = false, done = false, stop = false, abandoned = false, exited = false;
    ClockReading clock;
    std::vector<std::int32_t> skip;
    ProcessTable result;
    Status status;
    std::int32_t hung_pid = 0;
  };

  std::shared_ptr<Scanner> Start() {
    auto s = std::make_shared<Scanner>();
    s->collector = std::make_unique<ProcessCollector>(root_, options_, ticks_per_second_,
                                                      page_size_, &s->watch);
    // Signals are for the threads that expect them (the daemon's main thread, a command's
    // handlers): the scanner starts with all of them blocked.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &previous);
    std::thread([s] { Loop(*s); }).detach();
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return s;
  }

  // The scanner thread: one pass per job, until stopped or abandoned.
  static void Loop(Scanner& s) {
    std::unique_lock lock(s.mutex);
    for (;;) {
      s.work.wait(lock, [&] { return s.job || s.stop; });
      if (s.stop) break;
      s.job = false;
      SystemSample sample;
      sample.clock = s.clock;
      s.collector->Skip(s.skip);
      lock.unlock();
      Status status;
      try {
        status = s.collector->Collect(sample);
      } catch (const std::exception& e) {  // bad_alloc: this pass fails, the next may not
        status = Error{e.what()};
      }
      lock.lock();
      if (s.abandoned) break;
      s.result = std::move(sample.processes);
      s.status = std::move(status);
      s.done = true;
      s.finished.notify_all();
    }
    s.exited = true;
  }

  // Asks a scanner's thread to exit (at once when idle, or when its hung read returns).
  static void Retire(std::shared_ptr<Scanner> s) {
    std::lock_guard lock(s->mutex);
    s->stop = true;
    s->work.notify_all();
  }

  ProcRoot root_;
  CollectorOptions options_;
  long ticks_per_second_;
  long page_size_;
  std::shared_ptr<Scanner> scanner_;
  std::vector<std::shared_ptr<Scanner>> hung_;
};

}  // namespace

Result<ProcessStat> ParseProcessStat(std::string_view text) {
  std::size_t open = text.find('(');
  if (open == std::string_view::npos) return Error{"no '(' before the command name"};
  std::size_t close = text.rfind(')');
  if (close == std::string_view::npos || close < open) {
    return Error{"no ')' after the command name"};
  }
  ProcessStat out;
  std::string_view pid = text.substr(0, open);
  while (!pid.empty() && pid.back() == ' ') pid.remove_suffix(1);
  if (Status s = ParseField(1, "pid", pid, out.pid); !s.ok() || out.pid <= 0) {
    return BadField(1, "pid", pid);
  }
  out.comm.assign(text.substr(open + 1, close - open - 1));

  std::string_view rest = text.substr(close + 1);
  rest = rest.substr(0, rest.find('\n'));
  int field = 2;
  for (std::string_view token = NextToken(rest); !token.empty() && field < 42;
       token = NextToken(rest)) {
    ++field;
    Status s;
    switch (field) {
      case 3:
        if (token.size() != 1) return BadField(3, "state", token);
        out.state = token[0];
        break;
      case 4:
        s = ParseField(4, "ppid", token, out.ppid);
        break;
      case 9:
        s = ParseField(9, "flags", token, out.flags);
        break;
      case 10:
        s = ParseField(10, "minflt", token, out.minor_faults);
        break;
      case 12:
        s = ParseField(12, "majflt", token, out.major_faults);
        break;
      case 14:
        s = ParseField(14, "utime", token, out.utime_ticks);
        break;
      case 15:
        s = ParseField(15, "stime", token, out.stime_ticks);
        break;
      case 19:
        s = ParseField(19, "nice", token, out.nice);
        break;
      case 20:
        s = ParseField(20, "num_threads", token, out.threads);
        break;
      case 22:
        s = ParseField(22, "starttime", token, out.start_ticks);
        break;
      case 24:
        s = ParseField(24, "rss", token, out.rss_pages);
        break;
      case 39:
        s = ParseField(39, "processor", token, out.processor);
        break;
      case 42:
        s = ParseField(42, "delayacct_blkio_ticks", token, out.blkio_ticks);
        break;
      default:
        break;
    }
    if (!s.ok()) return s.error();
  }
  if (field < 24) {
    return Error{"truncated: " + std::to_string(field) + " fields, expected at least 24"};
  }
  return out;
}

CollectorList::value_type MakeProcessCollector(const ProcRoot& root,
                                               const CollectorOptions& options) {
  long ticks =
      options.clock_ticks_per_second > 0 ? options.clock_ticks_per_second : sysconf(_SC_CLK_TCK);
  long page = options.page_size > 0 ? options.page_size : sysconf(_SC_PAGESIZE);
  ticks = ticks > 0 ? ticks : 100;
  page = page > 0 ? page : 4096;
  if (options.read_timeout.count() <= 0) {
    return std::make_unique<ProcessCollector>(root, options, ticks, page);
  }
  return std::make_unique<BoundedProcessCollector>(root, options, ticks, page);
}

}  // namespace rh::collectors

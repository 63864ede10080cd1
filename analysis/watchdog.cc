#include "analysis/watchdog.h"

#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace rh::analysis {
namespace {

constexpr std::size_t kStackBytes = 256 * 1024;
constexpr std::size_t kGuardBytes = 4096;

// Locks the pages spanning [address, address + bytes).
bool LockRange(const void* address, std::size_t bytes) {
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  auto begin = reinterpret_cast<std::uintptr_t>(address) & ~(page - 1);
  auto end = (reinterpret_cast<std::uintptr_t>(address) + bytes + page - 1) & ~(page - 1);
  return mlock(reinterpret_cast<void*>(begin), end - begin) == 0;
}

void UnlockRange(const void* address, std::size_t bytes) {
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  auto begin = reinterpret_cast<std::uintptr_t>(address) & ~(page - 1);
  auto end = (reinterpret_cast<std::uintptr_t>(address) + bytes + page - 1) & ~(page - 1);
  munlock(reinterpret_cast<void*>(begin), end - begin);
}

}  // namespace

Watchdog::Watchdog(const Clock& clock, Options options)
    : clock_(clock),
      options_(options),
      detector_(options.min_pause_ns),
      previous_(clock.Now()),
      deadline_ns_(previous_.monotonic_ns + options.tick_ns) {
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

Watchdog::~Watchdog() {
  Stop();
  if (event_fd_ >= 0) close(event_fd_);
}

Status Watchdog::Start() {
  if (started_) return {};
  stack_bytes_ = kStackBytes + kGuardBytes;
  stack_ = mmap(nullptr, stack_bytes_, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack_ == MAP_FAILED) {
    stack_ = nullptr;
    return Error{std::string("watchdog: cannot map its stack: ") + std::strerror(errno)};
  }
  mprotect(stack_, kGuardBytes, PROT_NONE);  // stack overflow faults instead of corrupting memory
  void* usable = static_cast<char*>(stack_) + kGuardBytes;
  // Locking fails without CAP_IPC_LOCK beyond RLIMIT_MEMLOCK; the watchdog then still runs.
  const bool locked = LockRange(usable, kStackBytes) && LockRange(this, sizeof(*this));
  lock_errno_ = locked ? 0 : errno;
  stats_.memory_locked = locked;
  priority_tried_ = false;

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstack(&attr, usable, kStackBytes);
  previous_ = clock_.Now();
  deadline_ns_ = previous_.monotonic_ns + options_.tick_ns;
  stop_ = false;
  int rc = pthread_create(&thread_, &attr, &Watchdog::ThreadMain, this);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    munmap(stack_, stack_bytes_);
    stack_ = nullptr;
    return Error{std::string("watchdog: cannot start its thread: ") + std::strerror(rc)};
  }
  started_ = true;
  priority_tried_.wait(false, std::memory_order_acquire);
  return {};
}

Watchdog::ProtectionReport Watchdog::Protection() const {
  ProtectionReport report;
  report.complete = true;
  std::string priority;
  if (!options_.raise_priority) {
    priority = "normal priority (pause.raise_priority = false)";
  } else if (stats_.priority_raised.load()) {
    priority = fifo_error_.load() == 0 ? "real-time priority (SCHED_FIFO 1)"
                                       : "nice -10 (real-time priority refused: " +
                                             std::string(std::strerror(fifo_error_.load())) + ")";
  } else {
    report.complete = false;
    priority = "normal priority: SCHED_FIFO 1 refused (" +
               std::string(std::strerror(fifo_error_.load())) + ") and nice -10 refused (" +
               std::strerror(nice_error_.load()) + "); grant CAP_SYS_NICE";
  }
  std::string memory;
  if (stats_.memory_locked.load()) {
    memory = "memory locked";
  } else {
    report.complete = false;
    rlimit limit{};
    std::string current;
    if (getrlimit(RLIMIT_MEMLOCK, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
      current = ", RLIMIT_MEMLOCK " + std::to_string(limit.rlim_cur) + " bytes";
    }
    memory = "memory not locked: mlock refused (" + std::string(std::strerror(lock_errno_)) +
             current + "); grant CAP_IPC_LOCK or raise the memlock limit (LimitMEMLOCK=infinity)";
  }
  report.text = "watchdog: " + priority + "; " + memory;
  return report;
}

void Watchdog::Stop() {
  if (started_) {
    stop_ = true;
    pthread_join(thread_, nullptr);
    started_ = false;
  }
  if (stack_ != nullptr) {
    if (stats_.memory_locked) UnlockRange(this, sizeof(*this));
    munmap(stack_, stack_bytes_);
    stack_ = nullptr;
  }
}

void* Watchdog::ThreadMain(void* self) {
  static_cast<Watchdog*>(self)->Run();
  return nullptr;
}

void Watchdog::Run() {
  pthread_setname_np(pthread_self(), "rh-watchdog");
  tid_.store(gettid(), std::memory_order_release);
  if (options_.raise_priority) {
    sched_param param{};
    param.sched_priority = 1;  // the lowest real-time priority still runs before every normal task
    const int fifo = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
    bool raised = fifo == 0;
    if (!raised) {
      raised = setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), -10) == 0;
      nice_error_ = raised ? 0 : errno;
    }
    fifo_error_ = fifo;
    stats_.priority_raised = raised;
  }
  // Start() waits for this (once, before the first tick; never on the watchdog's path).
  priority_tried_.store(true, std::memory_order_release);
  priority_tried_.notify_all();
  while (!stop_.load(std::memory_order_relaxed)) Step();
}

void Watchdog::Step() {
  clock_.SleepUntil(deadline_ns_);
  const ClockReading now = clock_.Now();
  PauseDetector::Verdict verdict = detector_.OnWake(previous_, now, deadline_ns_);

  stats_.hiccups.Observe(verdict.overshoot_ns);
  std::int64_t worst = worst_overshoot_ns_.load(std::memory_order_relaxed);
  while (verdict.overshoot_ns > worst &&
         !worst_overshoot_ns_.compare_exchange_weak(worst, verdict.overshoot_ns,
                                                    std::memory_order_relaxed)) {
  }
  if (verdict.event) {
    WatchdogEvent& e = *verdict.event;
    if (e.kind == WatchdogEvent::Kind::kPause) {
      // First, before the work that piled up during the pause runs and switches.
      if (switches_ != nullptr) {
        e.start_switches = last_switches_;
        ReadSwitches(now.monotonic_ns);
        e.end_switches = last_switches_;
      }
      stats_.pauses.Observe(e.duration_ns);
      stats_.last_pause_duration_ns.store(e.duration_ns, std::memory_order_relaxed);
      stats_.last_pause_end_realtime_ns.store(e.end_realtime_ns, std::memory_order_relaxed);
      stats_.pause_count.fetch_add(1, std::memory_order_release);
    } else {
      if (switches_ != nullptr) ReadSwitches(now.monotonic_ns);  // not across the suspend
      stats_.suspend_count.fetch_add(1, std::memory_order_release);
    }
    Push(e);
  } else if (switches_ != nullptr && ++ticks_since_switches_ >= kSwitchReadTicks) {
    ReadSwitches(now.monotonic_ns);
  }
  stats_.wakeups.fetch_add(1, std::memory_order_relaxed);

  previous_ = now;
  deadline_ns_ += options_.tick_ns;
  if (deadline_ns_ <= now.monotonic_ns)
    deadline_ns_ = now.monotonic_ns + options_.tick_ns;  // skip missed ticks
}

void Watchdog::ReadSwitches(std::int64_t monotonic_ns) {
  collectors::SwitchCounts counts;
  counts.monotonic_ns = monotonic_ns;
  if (switches_->Read(counts)) {
    last_switches_ = counts;
  } else {
    last_switches_.reset();
  }
  ticks_since_switches_ = 0;
}

void Watchdog::Push(const WatchdogEvent& event) {
  const std::uint64_t head = head_.load(std::memory_order_relaxed);
  if (head - tail_.load(std::memory_order_acquire) >= kRingSize) {
    stats_.dropped_events.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  ring_[head % kRingSize] = event;
  head_.store(head + 1, std::memory_order_release);
  if (event_fd_ >= 0) {
    const std::uint64_t one = 1;
    ssize_t ignored = write(event_fd_, &one, sizeof(one));
    (void)ignored;
  }
}

bool Watchdog::PopEvent(WatchdogEvent& out) {
  const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
  if (tail == head_.load(std::memory_order_acquire)) return false;
  out = ring_[tail % kRingSize];
  tail_.store(tail + 1, std::memory_order_release);
  return true;
}

}  // namespace rh::analysis

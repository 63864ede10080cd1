#include "exporter/pause_inquiry.h"

#include <sched.h>
#include <signal.h>
#include <unistd.h>

namespace rh::exporter {
namespace {

// Whether thread `tid` runs under a real-time policy and may run on every online CPU.
bool RealtimeOnEveryCpu(pid_t tid) {
  if (tid <= 0) return false;
  const int policy = sched_getscheduler(tid);
  if (policy != SCHED_FIFO && policy != SCHED_RR) return false;
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(tid, sizeof(allowed), &allowed) != 0) return false;
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 && CPU_COUNT(&allowed) >= online;
}

}  // namespace

std::int64_t PauseInquiry::TakeContinue() {
  std::lock_guard lock(continue_mutex_);
  sigset_t cont;
  sigemptyset(&cont);
  sigaddset(&cont, SIGCONT);
  const timespec now{};
  while (sigtimedwait(&cont, nullptr, &now) == SIGCONT) continued_ns_ = clock_.Now().monotonic_ns;
  return continued_ns_;
}

PauseInquiry::PauseInquiry(const collectors::ProcRoot& root, const Clock& clock,
                           std::chrono::milliseconds interval)
    : clock_(clock), probe_(root, clock, {interval, 40}) {}

void PauseInquiry::Refresh(pid_t watchdog_tid) {
  if (watchdog_tid != 0 && watchdog_tid != watched_tid_.load()) {
    probe_.WatchThread(watchdog_tid);
    watched_tid_.store(watchdog_tid);
  }
  probe_.RefreshCgroup();
  TakeContinue();  // one that came without a pause is not kept for the next
}

analysis::PauseEvidence PauseInquiry::Gather(const analysis::WatchdogEvent& pause) {
  analysis::PauseEvidence e;
  e.start_monotonic_ns = pause.start_monotonic_ns;
  e.end_monotonic_ns = pause.end_monotonic_ns;
  auto before = probe_.ReadingsBefore(pause.start_monotonic_ns);
  e.before = before.before;
  e.pace_from = before.pace_from;
  if (auto after = probe_.Read()) {
    e.after = *after;
  } else {
    e.missing = after.error().message;
  }
  e.at_wake = pause.end_switches;
  if (e.at_wake) e.at_start = pause.start_switches;
  e.cgroup_freeze_changes = probe_.FreezeChangesSince(pause.start_monotonic_ns);
  e.continued_by_signal = TakeContinue() >= pause.start_monotonic_ns;
  e.watchdog_realtime_on_every_cpu = RealtimeOnEveryCpu(watched_tid_.load());
  return e;
}

}  // namespace rh::exporter

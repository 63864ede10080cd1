#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "analysis/atomic_histogram.h"
#include "analysis/pause_detector.h"
#include "base/clock.h"
#include "base/result.h"
#include "collectors/progress.h"

namespace rh::analysis {

/// The pause watchdog: a thread that sleeps to absolute CLOCK_MONOTONIC deadlines every tick and
/// judges each wake-up with a PauseDetector. It must keep working when the machine is in trouble,
/// so its path never allocates, locks, logs or touches disk: results go into atomics and a
/// fixed-size single-producer/single-consumer event ring, and an eventfd wakes the consumer. It
/// also reads the context switches (one pread of /proc/stat into a buffer allocated beforehand,
/// CountSwitchesWith) every kSwitchReadTicks on-time ticks and at the end of a pause, so that a
/// pause carries the counts from just before it and from its end. Its stack and state are
/// locked in RAM and it raises its priority when permitted.
///
/// Thread-safety: Start/Stop from one controlling thread; PopEvent/event_fd from one consumer
/// thread; stats() and TakeWorstOvershoot() from any thread. Owns a thread: not copyable or
/// movable.
class Watchdog {
 public:
  /// On-time ticks between two readings of the context switches (100 ms at the default tick):
  /// the counts a pause starts from are at most this many ticks old.
  static constexpr int kSwitchReadTicks = 5;

  struct Options {
    std::int64_t tick_ns = 20'000'000;
    std::int64_t min_pause_ns = 1'000'000'000;
    bool raise_priority = true;
  };

  /// Written by the watchdog thread only.
  struct Stats {
    AtomicHistogram hiccups{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25,
                            0.5,   1,     2,     5,    10,   30,   60,  120};
    AtomicHistogram pauses{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600};
    std::atomic<std::uint64_t> wakeups{0};
    std::atomic<std::uint64_t> pause_count{0};
    std::atomic<std::uint64_t> suspend_count{0};
    std::atomic<std::uint64_t> dropped_events{0};
    std::atomic<std::int64_t> last_pause_end_realtime_ns{0};
    std::atomic<std::int64_t> last_pause_duration_ns{0};
    std::atomic<bool> priority_raised{false};
    std::atomic<bool> memory_locked{false};
  };

  Watchdog(const Clock& clock, Options options);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  /// Starts the thread on its own locked stack, and returns once the thread has tried to raise
  /// its priority (so that Protection() is final).
  Status Start();

  /// What protects the watchdog, for the start-up log: priority and locked memory, and for each
  /// that failed the system's reason and what would grant it. `complete` is false when either
  /// failed (a priority left normal on purpose, raise_priority false, is not a failure).
  struct ProtectionReport {
    bool complete = false;
    std::string text;
  };
  ProtectionReport Protection() const;
  /// Before Start(): the watchdog reads the context switches with `counter` (not owned; must
  /// outlive the watchdog) every kSwitchReadTicks ticks and the moment it wakes from a pause,
  /// and puts the last reading before the pause and the one at its end into the event.
  void CountSwitchesWith(collectors::SwitchCounter* counter) { switches_ = counter; }
  /// Stops and joins the thread (within one tick).
  void Stop();

  /// One iteration: sleep until the deadline, read the clocks, record. The thread loops on this;
  /// tests call it directly with a fake clock.
  void Step();

  /// Takes the next event, if any (consumer side of the ring).
  bool PopEvent(WatchdogEvent& out);
  /// Readable (an eventfd counter) when events may be pending; -1 if eventfd is unavailable.
  int event_fd() const { return event_fd_; }
  /// The worst overshoot since the previous call, and resets it (the sampler's latency input).
  std::int64_t TakeWorstOvershoot() {
    return worst_overshoot_ns_.exchange(0, std::memory_order_relaxed);
  }
  const Stats& stats() const { return stats_; }
  /// The watchdog thread's id (for its /proc/self/task/TID files); 0 until it runs.
  pid_t thread_id() const { return tid_.load(std::memory_order_acquire); }

 private:
  static constexpr std::size_t kRingSize = 64;
  static void* ThreadMain(void* self);
  void Run();
  void Push(const WatchdogEvent& event);
  void ReadSwitches(std::int64_t monotonic_ns);  // into last_switches_

  const Clock& clock_;
  Options options_;
  PauseDetector detector_;
  collectors::SwitchCounter* switches_ = nullptr;
  std::optional<collectors::SwitchCounts> last_switches_;  // the last reading, if it succeeded
  int ticks_since_switches_ = 0;
  ClockReading previous_;
  std::int64_t deadline_ns_;
  Stats stats_;
  std::atomic<std::int64_t> worst_overshoot_ns_{0};

  std::array<WatchdogEvent, kRingSize> ring_{};
  std::atomic<std::uint64_t> head_{0};  // next slot to write (producer)
  std::atomic<std::uint64_t> tail_{0};  // next slot to read (consumer)
  int event_fd_ = -1;

  // Why protection failed: errno values, 0 when it worked (or was not tried).
  int lock_errno_ = 0;
  std::atomic<int> fifo_error_{0};
  std::atomic<int> nice_error_{0};
  std::atomic<bool> priority_tried_{false};

  std::atomic<bool> stop_{false};
  std::atomic<pid_t> tid_{0};
  pthread_t thread_{};
  bool started_ = false;
  void* stack_ = nullptr;
  std::size_t stack_bytes_ = 0;
};

}  // namespace rh::analysis

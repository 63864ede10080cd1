#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "collectors/proc_root.h"
#include "collectors/system_sample.h"

namespace rh::collectors {

// Event-driven pressure: PSI triggers (Documentation/accounting/psi.rst, "Monitoring for
// pressure thresholds") wake a thread the moment a stall burst crosses a threshold, instead of
// the next sample noticing it seconds later:
//
//     fd = open("/proc/pressure/memory", O_RDWR | O_NONBLOCK);
//     write(fd, "some 150000 1000000", 20);   // 150 ms of stall within any 1 s
//     poll({fd, POLLPRI})                      // returns when it happens

/// How urgent a trigger is: elevated speeds up sampling; critical also asks for a capture.
enum class PressureLevel : std::uint8_t { kElevated, kCritical };
inline constexpr std::array<std::string_view, 2> kPressureLevelNames = {"elevated", "critical"};

/// How a trigger is watched: by the kernel (a registered trigger), by reading the stall totals
/// every poll interval (where triggers are refused or unsupported), or not at all (no PSI).
enum class PressureWatchMode : std::uint8_t { kTrigger, kPolling, kUnavailable };
inline constexpr std::array<std::string_view, 3> kPressureWatchModeNames = {"trigger", "polling",
                                                                            "unavailable"};

/// One configured trigger: "some 150000 1000000" on memory, elevated.
struct PressureTriggerSpec {
  PsiKind resource = PsiKind::kMemory;
  PressureLevel level = PressureLevel::kElevated;
  bool full = false;
  std::int64_t stall_us = 0;
  std::int64_t window_us = 0;
};

/// The trigger line the kernel is given: "some 150000 1000000".
std::string TriggerText(bool full, std::int64_t stall_us, std::int64_t window_us);

/// A trigger as unprivileged processes may register it (no CAP_SYS_RESOURCE, Linux 6.5+): the
/// window rounded up to a multiple of 2 s, the stall scaled with it.
PressureTriggerSpec Unprivileged(const PressureTriggerSpec& spec);

/// A trigger where the kernel refuses it: fed the stall total at each reading, it says when the
/// stall within the window reached the threshold, at most once per window (as the kernel's
/// triggers fire). The window is measured from the newest reading at or before its start, so a
/// burst is seen at the first reading after it. Not thread-safe.
class StallWindow {
 public:
  StallWindow(std::int64_t stall_us, std::int64_t window_us)
      : stall_us_(stall_us), window_ns_(window_us * 1000) {}
  /// A reading at `now_ns` (monotonic) of the cumulative stall `total_us`; true: it fires.
  bool Add(std::int64_t now_ns, std::uint64_t total_us);

 private:
  std::int64_t stall_us_;
  std::int64_t window_ns_;
  std::deque<std::pair<std::int64_t, std::uint64_t>> totals_;  // (monotonic ns, stall µs)
  std::optional<std::int64_t> last_fired_ns_;
};

/// Watches PSI triggers on its own thread and calls the handler when one fires. Each trigger is
/// registered on /proc/pressure/<resource>; where the kernel refuses that (without
/// CAP_SYS_RESOURCE before Linux 6.5, or with a window that is not a multiple of 2 s after),
/// on the root cgroup's <resource>.pressure of the v2 hierarchy (the same system-wide
/// pressure) as an unprivileged trigger; where that fails too, the stall totals are read every
/// poll interval and the handler is called when they grew by the stall within the window.
///
/// Thread-safe: Start/Stop from one thread; watched() read by anyone. The handler runs on the
/// watch's thread. Owns a thread and descriptors: not copyable or movable.
class PressureWatch {
 public:
  struct Options {
    std::vector<PressureTriggerSpec> triggers;
    std::chrono::milliseconds poll_interval{1000};
    bool use_triggers = true;  ///< False: poll even where triggers would work.
  };
  /// One trigger and how it is watched.
  struct Watched {
    PressureTriggerSpec spec;       ///< As configured.
    PressureTriggerSpec effective;  ///< As registered or polled.
    PressureWatchMode mode = PressureWatchMode::kUnavailable;
    std::string source;  ///< The file it is registered on or polled from; why not, if neither.
    std::atomic<std::uint64_t> firings{0};
  };
  struct Firing {
    const Watched* watched = nullptr;
    std::int64_t monotonic_ns = 0;
  };
  using Handler = std::function<void(const Firing&)>;

  /// Registers the triggers (or decides to poll them) at once, so that watched() is complete.
  PressureWatch(const ProcRoot& root, const Clock& clock, Options options, Handler handler);
  ~PressureWatch();
  PressureWatch(const PressureWatch&) = delete;
  PressureWatch& operator=(const PressureWatch&) = delete;

  Status Start();
  void Stop();

  const std::vector<std::unique_ptr<Watched>>& watched() const { return watched_; }

 private:
  struct Polled;
  void Run();
  void Poll(std::int64_t now_ns);
  void Fire(Watched& w, std::int64_t now_ns);
  bool StartPolling(Watched& w, const std::string& why);

  ProcRoot root_;
  const Clock& clock_;
  Options options_;
  Handler handler_;
  std::vector<std::unique_ptr<Watched>> watched_;
  std::vector<int> fds_;                         // per watched: the trigger's descriptor, or -1
  std::vector<std::unique_ptr<Polled>> polled_;  // per watched: polling state, or null
  int stop_fd_ = -1;
  std::thread thread_;
};

}  // namespace rh::collectors

#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "collectors/proc_root.h"

namespace rh::forensics {

/// Runs reads that may hang (a /proc/PID/cmdline read waits for the process's memory map lock,
/// which a task stuck in D state can hold forever) on a small pool of reader threads, each read
/// bounded by a timeout that starts when a reader picks it up. A reader stuck past its timeout is
/// abandoned: its read's result is a "timed out" error, the thread is left blocked (detached,
/// never joined; it exits if its read ever returns) and a fresh reader takes its place. Once
/// `max_abandoned` readers are stuck at the same time, no further read is started until one
/// comes back: the reads left get an error that says so, and exhausted() is true. Reads already
/// under way then may still time out, so at most max_abandoned + threads - 1 readers are ever
/// left blocked.
///
/// Deadlines use the real monotonic time (std::chrono::steady_clock): they bound real blocking,
/// not logic. Thread-safety: RunAll() from one thread at a time; stuck() and exhausted() from
/// any thread. Owns threads: not copyable or movable.
class BoundedReader {
 public:
  struct Options {
    std::size_t threads = 4;
    std::chrono::milliseconds timeout{500};
    std::size_t max_abandoned = 4;
  };

  /// One read. It runs on a reader thread and may outlive RunAll() (and the BoundedReader) when
  /// abandoned, so it must own everything it uses (capture by value).
  using Read = std::function<Result<std::string>()>;

  explicit BoundedReader(Options options);
  /// Stops the idle readers and joins them; abandoned readers stay detached.
  ~BoundedReader();
  BoundedReader(const BoundedReader&) = delete;
  BoundedReader& operator=(const BoundedReader&) = delete;

  /// Runs every read and returns their results in order. Returns when each read has finished,
  /// timed out or been given up: reads not started by `deadline` or while the pool is exhausted
  /// are not started and get an error; once `cancel` becomes true (checked every 50 ms), reads
  /// under way are abandoned as if they had timed out and the rest are not started.
  std::vector<Result<std::string>> RunAll(
      std::vector<Read> reads,
      std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max(),
      const std::atomic<bool>* cancel = nullptr);

  /// Readers abandoned whose read has not returned yet.
  std::size_t stuck() const;
  /// Whether stuck() has reached max_abandoned: no read will be started.
  bool exhausted() const;
  const Options& options() const { return options_; }

  /// A read of the whole file `relative` below the root's proc tree (its recorder, if any, is
  /// not used), capped at `cap` bytes.
  static Read ProcFile(const collectors::ProcRoot& root, std::string relative,
                       std::size_t cap = collectors::kDefaultReadCap);

 private:
  struct Shared;
  struct Reader;
  static void Loop(std::shared_ptr<Shared> shared, std::shared_ptr<Reader> self);
  void Spawn();

  const Options options_;
  std::shared_ptr<Shared> shared_;
  std::vector<std::pair<std::thread, std::shared_ptr<Reader>>> readers_;
};

}  // namespace rh::forensics

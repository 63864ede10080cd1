#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "exporter/http_server.h"

namespace rh::exporter {

/// A few threads that run the JSON API's handlers for the HTTP server's many threads (one per
/// connection, over a thousand so that slow clients cannot starve scrapes). Each thread that
/// allocates keeps a cache of freed blocks (glibc's tcache), and the server hands requests to
/// its idle threads in turn, so work done on them spreads those caches over every thread: RSS
/// grew by about 0.2 MiB a second under 64 concurrent /api/events clients until all had served.
/// Here the allocations stay on `threads` threads, and at most that many handlers compete with
/// the sampler for the CPUs. Thread-safe; owns threads: not copyable or movable.
class HandlerPool {
 public:
  explicit HandlerPool(std::size_t threads);
  ~HandlerPool();  ///< Runs what is queued, then joins.
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  /// Runs `handler` on one of the pool's threads and returns its response, or rethrows what it
  /// threw; the calling thread waits (the handler may use what the caller's stack holds).
  HttpResponse Run(const std::function<HttpResponse()>& handler);

  std::size_t threads() const { return threads_.size(); }

 private:
  struct Job;
  void Loop();

  std::mutex mutex_;  // guards queue_ and stop_
  std::condition_variable queued_;
  std::deque<Job*> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace rh::exporter

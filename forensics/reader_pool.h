#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "forensics/store.h"

namespace rh::forensics {

/// Read-only connections to one history database, reused from request to request. Opening a
/// connection reads and checks the schema (about 1,500 allocations), and a daemon that opened one
/// per API request under 64 concurrent clients fragmented its heap until its RSS grew without
/// bound (docs/benchmarks.md, "Load and slow clients"). At most `max_open` connections exist at
/// once; an Acquire beyond that waits for one to be released, up to `wait`. A connection whose
/// file was replaced (a different inode at the path: deleted and recreated, moved aside as
/// corrupt) is closed instead of reused. Thread-safe; not copyable.
class ReaderPool {
 public:
  struct Options {
    std::size_t max_open = 4;
    std::chrono::milliseconds wait{2000};
    int busy_timeout_ms = 2000;
  };

  ReaderPool(std::string path, Options options);
  ~ReaderPool();
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  /// One connection, the caller's alone until the lease ends; then it goes back to the pool.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    Store* operator->() const { return store_.get(); }
    Store& operator*() const { return *store_; }

   private:
    friend class ReaderPool;
    Lease(ReaderPool* pool, std::unique_ptr<Store> store, dev_t device, ino_t inode);
    ReaderPool* pool_;
    std::unique_ptr<Store> store_;
    dev_t device_;
    ino_t inode_;
  };

  /// A pooled connection, or a new one; an error when the database cannot be opened or every
  /// connection stayed busy for `wait`.
  Result<Lease> Acquire();

  std::size_t open_connections() const;

 private:
  struct Idle {
    std::unique_ptr<Store> store;
    dev_t device;
    ino_t inode;
  };
  void Release(std::unique_ptr<Store> store, dev_t device, ino_t inode);

  const std::string path_;
  const Options options_;
  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable released_;
  std::vector<Idle> idle_;
  std::size_t open_ = 0;  // idle and leased
};

}  // namespace rh::forensics

#include "forensics/reader_pool.h"

#include <sys/stat.h>

#include <utility>

namespace rh::forensics {

ReaderPool::ReaderPool(std::string path, Options options)
    : path_(std::move(path)), options_(options) {}

ReaderPool::~ReaderPool() = default;  // leases must have ended: they point back here

ReaderPool::Lease::Lease(ReaderPool* pool, std::unique_ptr<Store> store, dev_t device, ino_t inode)
    : pool_(pool), store_(std::move(store)), device_(device), inode_(inode) {}

ReaderPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      store_(std::move(other.store_)),
      device_(other.device_),
      inode_(other.inode_) {}

ReaderPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->Release(std::move(store_), device_, inode_);
}

Result<ReaderPool::Lease> ReaderPool::Acquire() {
  struct stat file {};
  const bool exists = stat(path_.c_str(), &file) == 0;
  std::unique_lock lock(mutex_);
  // Connections to a file no longer at the path would answer from it forever.
  const std::size_t open_before = open_;
  for (auto it = idle_.begin(); it != idle_.end();) {
    if (!exists || it->device != file.st_dev || it->inode != file.st_ino) {
      it = idle_.erase(it);
      --open_;
    } else {
      ++it;
    }
  }
  if (open_ < open_before) released_.notify_all();  // room for waiters to open new ones
  auto take_idle = [this] {
    Idle idle = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(idle.store), idle.device, idle.inode);
  };
  if (!idle_.empty()) return take_idle();
  if (!released_.wait_for(lock, options_.wait,
                          [&] { return open_ < options_.max_open || !idle_.empty(); })) {
    return Error{"every connection to " + path_ + " stayed busy for " +
                 std::to_string(options_.wait.count()) + " ms"};
  }
  // Released while waiting (the file was checked just before).
  if (!idle_.empty()) return take_idle();
  ++open_;  // reserved while opening, outside the lock
  lock.unlock();
  Store::Options options;
  options.read_only = true;
  options.busy_timeout_ms = options_.busy_timeout_ms;
  auto store = Store::Open(path_, options);
  if (!store.ok()) {
    lock.lock();
    --open_;
    released_.notify_one();
    return store.error();
  }
  return Lease(this, std::move(*store), exists ? file.st_dev : 0, exists ? file.st_ino : 0);
}

void ReaderPool::Release(std::unique_ptr<Store> store, dev_t device, ino_t inode) {
  {
    std::lock_guard lock(mutex_);
    if (store != nullptr && inode != 0) {
      idle_.push_back({std::move(store), device, inode});
    } else {
      --open_;
    }
  }
  released_.notify_one();
}

std::size_t ReaderPool::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

}  // namespace rh::forensics

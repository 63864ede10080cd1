#include "forensics/capture/bounded_reader.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>

namespace rh::forensics {

using Clock = std::chrono::steady_clock;

struct BoundedReader::Reader {
  bool busy = false;
  bool abandoned = false;
  std::uint64_t batch = 0;
  std::size_t index = 0;
  Clock::time_point started;
};

struct BoundedReader::Shared {
  struct Job {
    Read read;
    std::size_t index;
  };
  std::mutex mutex;
  std::condition_variable work;
  std::condition_variable done;
  std::deque<Job> queue;
  std::uint64_t batch = 0;
  std::vector<std::optional<Result<std::string>>>* results = nullptr;  // the batch under way
  std::size_t pending = 0;
  std::size_t stuck = 0;
  bool stopping = false;
};

BoundedReader::BoundedReader(Options options)
    : options_([&] {
        if (options.threads == 0) options.threads = 1;
        if (options.max_abandoned == 0) options.max_abandoned = 1;
        return options;
      }()),
      shared_(std::make_shared<Shared>()) {}

BoundedReader::~BoundedReader() {
  {
    std::lock_guard lock(shared_->mutex);
    shared_->stopping = true;
  }
  shared_->work.notify_all();
  for (auto& [thread, reader] : readers_) {
    if (thread.joinable()) thread.join();
  }
}

std::size_t BoundedReader::stuck() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->stuck;
}

bool BoundedReader::exhausted() const { return stuck() >= options_.max_abandoned; }

void BoundedReader::Spawn() {
  auto reader = std::make_shared<Reader>();
  readers_.emplace_back(std::thread(Loop, shared_, reader), reader);
}

void BoundedReader::Loop(std::shared_ptr<Shared> shared, std::shared_ptr<Reader> self) {
  std::unique_lock lock(shared->mutex);
  for (;;) {
    shared->work.wait(lock, [&] { return shared->stopping || !shared->queue.empty(); });
    if (shared->stopping) return;
    auto job = std::move(shared->queue.front());
    shared->queue.pop_front();
    self->busy = true;
    self->batch = shared->batch;
    self->index = job.index;
    self->started = Clock::now();
    lock.unlock();
    std::optional<Result<std::string>> result;
    try {
      result.emplace(job.read());
    } catch (const std::exception& e) {
      result.emplace(Error{e.what()});
    }
    job.read = nullptr;  // release what the read captured before taking the lock
    lock.lock();
    if (self->abandoned) {  // too late: the batch gave up on this read
      --shared->stuck;
      shared->done.notify_all();
      return;
    }
    self->busy = false;
    (*shared->results)[self->index] = std::move(*result);
    --shared->pending;
    shared->done.notify_all();
  }
}

namespace {

Error TimedOut(std::chrono::milliseconds timeout) {
  return Error{"timed out after " + std::to_string(timeout.count()) + " ms"};
}

}  // namespace

std::vector<Result<std::string>> BoundedReader::RunAll(std::vector<Read> reads,
                                                       Clock::time_point deadline,
                                                       const std::atomic<bool>* cancel) {
  std::vector<std::optional<Result<std::string>>> results(reads.size());
  auto finish = [&] {
    std::vector<Result<std::string>> out;
    out.reserve(results.size());
    for (auto& r : results)
      out.push_back(r ? std::move(*r) : Result<std::string>(Error{"not read"}));
    return out;
  };
  if (reads.empty()) return finish();

  std::unique_lock lock(shared_->mutex);
  auto give_up_queued = [&](const std::string& why) {
    for (auto& job : shared_->queue) results[job.index] = Error{why};
    shared_->pending -= shared_->queue.size();
    shared_->queue.clear();
  };
  const std::size_t max = options_.max_abandoned;
  auto exhausted_error = [&] {
    return "not read: " + std::to_string(shared_->stuck) +
           " reads hung, reading per-process files stopped";
  };
  if (shared_->stuck >= max) {
    for (auto& r : results) r = Error{exhausted_error()};
    return finish();
  }

  ++shared_->batch;
  shared_->results = &results;
  shared_->pending = reads.size();
  for (std::size_t i = 0; i < reads.size(); ++i) {
    shared_->queue.push_back({std::move(reads[i]), i});
  }
  while (readers_.size() < options_.threads) Spawn();
  shared_->work.notify_all();

  while (shared_->pending > 0) {
    const auto now = Clock::now();
    const bool cancelled = cancel != nullptr && cancel->load();
    if (cancelled || now >= deadline) {
      give_up_queued(cancelled ? "not read: cancelled" : "not read: the capture ran out of time");
    }
    // Abandon readers past their timeout, and all of them when cancelled.
    for (auto& [thread, reader] : readers_) {
      if (!reader->busy || reader->abandoned || reader->batch != shared_->batch) continue;
      if (!cancelled && now - reader->started < options_.timeout) continue;
      reader->abandoned = true;
      ++shared_->stuck;
      results[reader->index] = cancelled ? Result<std::string>(Error{"not read: cancelled"})
                                         : TimedOut(options_.timeout);
      --shared_->pending;
      thread.detach();
    }
    std::erase_if(readers_, [](auto& r) { return r.second->abandoned; });
    if (shared_->stuck >= max) {
      give_up_queued(exhausted_error());
    } else {
      while (readers_.size() < options_.threads) Spawn();
    }
    if (shared_->pending == 0) break;

    Clock::time_point wake = std::min(deadline, now + options_.timeout);
    for (auto& [thread, reader] : readers_) {
      if (reader->busy && reader->batch == shared_->batch) {
        wake = std::min(wake, reader->started + options_.timeout);
      }
    }
    if (cancel != nullptr) wake = std::min(wake, now + std::chrono::milliseconds(50));
    shared_->done.wait_until(lock, wake);
  }
  shared_->results = nullptr;
  return finish();
}

BoundedReader::Read BoundedReader::ProcFile(const collectors::ProcRoot& root, std::string relative,
                                            std::size_t cap) {
  collectors::ProcRoot plain(root.proc(), root.sys());
  return [plain, relative = std::move(relative), cap]() -> Result<std::string> {
    return collectors::ReadWholeFile(plain, "proc", relative, cap);
  };
}

}  // namespace rh::forensics

#include "exporter/handler_pool.h"

#include <pthread.h>

#include <exception>

namespace rh::exporter {

struct HandlerPool::Job {
  const std::function<HttpResponse()>& handler;
  HttpResponse response;
  std::exception_ptr failure;  // what the handler threw, rethrown to the caller
  bool done = false;
  std::condition_variable finished;
};

HandlerPool::HandlerPool(std::size_t threads) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

HandlerPool::~HandlerPool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  queued_.notify_all();
  for (auto& t : threads_) t.join();
}

HttpResponse HandlerPool::Run(const std::function<HttpResponse()>& handler) {
  Job job{handler, {}, nullptr, false, {}};
  std::unique_lock lock(mutex_);
  queue_.push_back(&job);
  queued_.notify_one();
  job.finished.wait(lock, [&] { return job.done; });
  if (job.failure) std::rethrow_exception(job.failure);
  return std::move(job.response);
}

void HandlerPool::Loop() {
  pthread_setname_np(pthread_self(), "rh-api");
  std::unique_lock lock(mutex_);
  while (true) {
    queued_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left to run
    Job* job = queue_.front();
    queue_.pop_front();
    lock.unlock();
    HttpResponse response;
    std::exception_ptr failure;
    try {
      response = job->handler();
    } catch (...) {
      failure = std::current_exception();
    }
    lock.lock();
    job->response = std::move(response);
    job->failure = failure;
    job->done = true;
    job->finished.notify_one();
  }
}

}  // namespace rh::exporter

#include "exporter/sampler.h"

#include <chrono>

namespace rh::exporter {

Sampler::Sampler(collectors::CollectorList collectors, const Clock& clock, SnapshotHub& hub,
                 std::function<void()> on_publish, Options options)
    : collectors_(std::move(collectors)),
      clock_(clock),
      hub_(hub),
      on_publish_(std::move(on_publish)),
      options_(options) {}

Sampler::~Sampler() { Stop(); }

void Sampler::RunPass() {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->sequence = ++sequence_;
  collectors::CollectAll(collectors_, clock_, snapshot->sample);
  hub_.Publish(std::move(snapshot));
  if (on_publish_) on_publish_();
}

void Sampler::Start() {
  thread_ = std::jthread([this](std::stop_token stop) { Loop(stop); });
}

void Sampler::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  wake_.notify_all();
  thread_.join();
}

void Sampler::SampleNow() {
  {
    std::lock_guard lock(mutex_);
    sample_now_ = true;
  }
  wake_.notify_all();
}

void Sampler::Loop(std::stop_token stop) {
  using std::chrono::steady_clock;
  auto next = steady_clock::now();
  while (!stop.stop_requested()) {
    RunPass();
    next += std::chrono::duration_cast<steady_clock::duration>(
        std::chrono::duration<double>(options_.interval_seconds));
    // After a long stall, sample now and re-anchor instead of catching up on missed passes.
    if (next < steady_clock::now()) next = steady_clock::now();
    std::unique_lock lock(mutex_);
    wake_.wait_until(lock, stop, next, [this] { return sample_now_; });
    if (sample_now_) next = steady_clock::now();
    sample_now_ = false;
  }
}

}  // namespace rh::exporter

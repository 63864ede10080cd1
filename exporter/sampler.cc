#include "exporter/sampler.h"

#include <algorithm>
#include <chrono>

namespace rh::exporter {

Sampler::Sampler(collectors::CollectorList collectors, const Clock& clock,
                 const config::Config& config, std::function<double()> take_latency_seconds,
                 SampleSink& sink)
    : collectors_(std::move(collectors)),
      clock_(clock),
      stress_(config.stress),
      policy_(config.sampling),
      take_latency_seconds_(std::move(take_latency_seconds)),
      sink_(sink) {}

Sampler::~Sampler() { Stop(); }

double Sampler::RunPass() {
  auto pass = std::make_shared<analysis::ScoredSample>();
  pass->sequence = ++sequence_;
  collectors::CollectAll(collectors_, clock_, pass->sample);
  pass->latency_seconds = take_latency_seconds_ ? take_latency_seconds_() : 0;
  pass->assessment = analysis::Assess(stress_, previous_ ? &previous_->sample : nullptr,
                                      pass->sample, pass->latency_seconds, stress_state_);
  const analysis::PolicyDecision decision =
      policy_.Update(pass->assessment.score, pass->sample.clock.monotonic_ns);
  pass->state = decision.state;
  pass->interval_seconds = decision.interval_seconds;
  previous_ = pass;
  sink_.OnSample(pass, decision);
  return decision.interval_seconds;
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

void Sampler::Reconfigure(const config::Config& config) {
  {
    std::lock_guard lock(mutex_);
    pending_ = std::make_unique<config::Config>(config);
    sample_now_ = true;
  }
  wake_.notify_all();
}

void Sampler::SetKeepAlive(std::function<void()> keep_alive, std::chrono::microseconds interval) {
  keep_alive_ = std::move(keep_alive);
  keep_alive_interval_ = interval;
}

void Sampler::ApplyPendingSettings() {
  std::unique_ptr<config::Config> next;
  {
    std::lock_guard lock(mutex_);
    next = std::move(pending_);
  }
  if (!next) return;
  stress_ = next->stress;
  policy_.Reconfigure(next->sampling);
}

void Sampler::Loop(std::stop_token stop) {
  using std::chrono::steady_clock;
  auto next = steady_clock::now();
  while (!stop.stop_requested()) {
    ApplyPendingSettings();
    const double interval = RunPass();
    if (keep_alive_) keep_alive_();
    next +=
        std::chrono::duration_cast<steady_clock::duration>(std::chrono::duration<double>(interval));
    // After a stall, sample now and re-anchor rather than catch up on missed passes.
    if (next < steady_clock::now()) next = steady_clock::now();
    std::unique_lock lock(mutex_);
    for (;;) {
      auto until = next;
      if (keep_alive_ && keep_alive_interval_.count() > 0) {
        until = std::min(until, steady_clock::now() + keep_alive_interval_);
      }
      if (wake_.wait_until(lock, stop, until, [this] { return sample_now_; }) ||
          stop.stop_requested() || steady_clock::now() >= next) {
        break;
      }
      lock.unlock();
      keep_alive_();
      lock.lock();
    }
    if (sample_now_) next = steady_clock::now();
    sample_now_ = false;
  }
}

}  // namespace rh::exporter

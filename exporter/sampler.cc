#include "exporter/sampler.h"

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
      policy_.Update(pass->assessment.score, pass->sample.clock.monotonic_ns,
                     pressure_burst_.exchange(false, std::memory_order_acq_rel));
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

void Sampler::ElevateNow() {
  pressure_burst_.store(true, std::memory_order_release);
  SampleNow();
}

void Sampler::Loop(std::stop_token stop) {
  using std::chrono::steady_clock;
  auto next = steady_clock::now();
  while (!stop.stop_requested()) {
    const double interval = RunPass();
    next +=
        std::chrono::duration_cast<steady_clock::duration>(std::chrono::duration<double>(interval));
    // After a stall, sample now and re-anchor rather than catch up on missed passes.
    if (next < steady_clock::now()) next = steady_clock::now();
    std::unique_lock lock(mutex_);
    wake_.wait_until(lock, stop, next, [this] { return sample_now_; });
    if (sample_now_) next = steady_clock::now();
    sample_now_ = false;
  }
}

}  // namespace rh::exporter

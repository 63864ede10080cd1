#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "analysis/sampling_policy.h"
#include "analysis/scored_sample.h"
#include "analysis/stress.h"
#include "base/clock.h"
#include "collectors/collector.h"
#include "config/config.h"

namespace rh::exporter {

/// Receives every pass of the sampler, on the sampler thread.
class SampleSink {
 public:
  virtual ~SampleSink() = default;
  virtual void OnSample(const std::shared_ptr<const analysis::ScoredSample>& sample,
                        const analysis::PolicyDecision& decision) = 0;
};

/// The sampler thread: each pass runs every collector into one raw sample, takes the watchdog's
/// worst overshoot since the previous pass, scores the pair, lets the policy choose the next
/// interval, and hands the immutable result to the sink. Owns a thread: not copyable or movable.
/// Start/Stop/SampleNow are thread-safe; RunPass is for the owning thread (or tests).
class Sampler {
 public:
  /// `take_latency_seconds` returns (and resets) the worst watchdog overshoot.
  Sampler(collectors::CollectorList collectors, const Clock& clock, const config::Config& config,
          std::function<double()> take_latency_seconds, SampleSink& sink);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  /// One pass on the calling thread. Returns the interval until the next one.
  double RunPass();

  void Start();
  /// Stops and joins the thread; a pass under way finishes first.
  void Stop();
  /// Makes the thread sample at once instead of at its next deadline (e.g. right after a pause).
  void SampleNow();

  /// New sampling and scoring settings (a configuration reload). They take effect at a pass that
  /// starts at once; the policy keeps its state (a critical episode stays one episode) and the
  /// I/O baseline is kept. sampling.top_processes needs a restart.
  void Reconfigure(const config::Config& config);

  /// Calls `keep_alive` after every pass and, while waiting for the next, at least every
  /// `interval` (systemd's watchdog). Call before Start().
  void SetKeepAlive(std::function<void()> keep_alive, std::chrono::microseconds interval);

 private:
  void Loop(std::stop_token stop);
  void ApplyPendingSettings();

  collectors::CollectorList collectors_;
  const Clock& clock_;
  config::Stress stress_;
  analysis::SamplingPolicy policy_;
  analysis::StressState stress_state_;
  std::function<double()> take_latency_seconds_;
  SampleSink& sink_;
  std::shared_ptr<const analysis::ScoredSample> previous_;
  std::uint64_t sequence_ = 0;

  std::function<void()> keep_alive_;
  std::chrono::microseconds keep_alive_interval_{0};

  std::mutex mutex_;
  std::condition_variable_any wake_;
  bool sample_now_ = false;
  std::unique_ptr<config::Config> pending_;  // settings for the next pass
  std::jthread thread_;
};

}  // namespace rh::exporter

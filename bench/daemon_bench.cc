// Costs on the daemon's hot paths: one watchdog wake-up's work and one sampler pass with scoring.

#include <benchmark/benchmark.h>

#include "analysis/sampling_policy.h"
#include "analysis/stress.h"
#include "analysis/watchdog.h"
#include "base/clock.h"
#include "collectors/collector.h"
#include "collectors/progress.h"
#include "config/config.h"
#include "exporter/metrics.h"
#include "exporter/snapshot.h"

namespace {

// The real clocks, but SleepUntil returns at once: isolates what the watchdog does per wake-up
// (two clock reads, the verdict, the histogram and atomics) from the kernel's timer and wake-up.
class NoSleepClock final : public rh::Clock {
 public:
  rh::ClockReading Now() const override { return rh::SystemClock::Instance().Now(); }
  void SleepUntil(std::int64_t) const override {}
};

void BM_WatchdogWakeWork(benchmark::State& state) {
  NoSleepClock clock;
  rh::analysis::Watchdog watchdog(clock, {20'000'000, 1'000'000'000, false});
  for (auto _ : state) watchdog.Step();
}
BENCHMARK(BM_WatchdogWakeWork);

// The same as the daemon runs it: reading the context switches (/proc/stat, getrusage) every
// Watchdog::kSwitchReadTicks wake-ups, for the pause's scope.
void BM_WatchdogWakeWorkCountingSwitches(benchmark::State& state) {
  NoSleepClock clock;
  rh::collectors::SwitchCounter counter{rh::collectors::ProcRoot()};
  rh::analysis::Watchdog watchdog(clock, {20'000'000, 1'000'000'000, false});
  watchdog.CountSwitchesWith(&counter);
  for (auto _ : state) watchdog.Step();
}
BENCHMARK(BM_WatchdogWakeWorkCountingSwitches);

// A whole wake-up: clock_nanosleep to an absolute deadline that is already due (the kernel still
// arms a timer, switches away and back, and applies timer slack), then the work.
void BM_WatchdogWakeUp(benchmark::State& state) {
  const rh::SystemClock& clock = rh::SystemClock::Instance();
  rh::analysis::Watchdog watchdog(clock, {1, 1'000'000'000, false});
  for (auto _ : state) watchdog.Step();
}
BENCHMARK(BM_WatchdogWakeUp);

// One sampler pass as the daemon runs it: every collector (processes included) on the real
// machine, then scoring against the previous pass and the sampling policy.
void BM_SampleWithScoring(benchmark::State& state) {
  rh::config::Config config = rh::config::Defaults();
  auto collectors = rh::collectors::MakeCollectors(rh::collectors::ProcRoot(), {});
  rh::analysis::SamplingPolicy policy(config.sampling);
  rh::analysis::StressState stress;
  rh::collectors::SystemSample previous, current;
  rh::collectors::CollectAll(collectors, rh::SystemClock::Instance(), previous);
  for (auto _ : state) {
    rh::collectors::CollectAll(collectors, rh::SystemClock::Instance(), current);
    auto assessment = rh::analysis::Assess(config.stress, &previous, current, 0.0001, stress);
    benchmark::DoNotOptimize(policy.Update(assessment.score, current.clock.monotonic_ns));
    std::swap(previous, current);
  }
}
BENCHMARK(BM_SampleWithScoring)->Unit(benchmark::kMicrosecond);

// What a scrape costs when the cached body is stale: collect every family of a real snapshot and
// the watchdog, serialize them, and gzip the text.
void BM_RenderMetrics(benchmark::State& state) {
  rh::config::Config config = rh::config::Defaults();
  auto collectors = rh::collectors::MakeCollectors(rh::collectors::ProcRoot(), {});
  auto pass = std::make_shared<rh::analysis::ScoredSample>();
  rh::collectors::CollectAll(collectors, rh::SystemClock::Instance(), pass->sample);
  rh::exporter::SnapshotHub hub;
  hub.Publish(pass);
  rh::analysis::Watchdog watchdog(rh::SystemClock::Instance(), {});
  std::vector<std::shared_ptr<prometheus::Collectable>> sources = {
      std::make_shared<rh::exporter::DaemonMetrics>(
          hub, 1.0, rh::exporter::LiveSources{&watchdog.stats(), nullptr, nullptr, nullptr})};
  const bool gzip = state.range(0) != 0;
  for (auto _ : state) {
    std::string text = rh::exporter::MetricsPage::Render(sources);
    if (gzip) text = rh::exporter::Gzip(text);
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_RenderMetrics)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

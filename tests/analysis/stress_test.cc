#include "analysis/stress.h"

#include <gtest/gtest.h>

namespace rh::analysis {
namespace {

using collectors::PsiKind;
using collectors::PsiLine;
using collectors::SystemSample;

constexpr double kSecond = 1e9;

// A quiet 4-CPU machine at time t (seconds), every collector successful.
SystemSample Quiet(double t) {
  SystemSample s;
  s.clock.monotonic_ns = static_cast<std::int64_t>(t * kSecond);
  for (const char* name :
       {"loadavg", "stat", "pressure", "meminfo", "vmstat", "thermal", "processes"}) {
    s.collectors.push_back({name, true, 0, ""});
  }
  s.loadavg.online_cpus = 4;
  s.loadavg.load1 = 0.5;
  s.stat.total.idle = 1000 + 4 * t;
  for (auto kind : {PsiKind::kCpu, PsiKind::kIo, PsiKind::kMemory}) {
    s.pressure[kind].available = true;
    s.pressure[kind].some = PsiLine{};
    s.pressure[kind].full = PsiLine{};
  }
  s.meminfo.total = 16ull << 30;
  s.meminfo.available = 8ull << 30;
  s.thermal.throttle_counters = true;
  return s;
}

Assessment Score(const SystemSample* previous, const SystemSample& current, double latency = 0) {
  StressState state;
  return Assess(config::Stress{}, previous, current, latency, state);
}

TEST(Stress, AQuietMachineScoresZero) {
  auto a = Quiet(0), b = Quiet(5);
  auto r = Score(&a, b);
  EXPECT_EQ(r.score, 0);
  for (double c : r.components) EXPECT_EQ(c, 0);
}

TEST(Stress, HighCpuUseAloneIsNotStress) {
  auto a = Quiet(0), b = Quiet(5);
  b.loadavg.load1 = 4.0;                       // every core busy, nobody waiting
  b.stat.total.user = a.stat.total.user + 20;  // 100% user time over 5 s on 4 CPUs
  b.stat.total.idle = a.stat.total.idle;
  auto r = Score(&a, b);
  EXPECT_EQ(r.score, 0);
}

TEST(Stress, LoadCountsAboveOnePerCoreUpToItsCap) {
  auto b = Quiet(5);
  b.loadavg.load1 = 8.0;  // 2 per core: 1 above
  EXPECT_DOUBLE_EQ(Score(nullptr, b).component(Component::kLoad), 15);
  b.loadavg.load1 = 40.0;
  EXPECT_DOUBLE_EQ(Score(nullptr, b).component(Component::kLoad), 30);  // cap
}

TEST(Stress, CpuIsPsiSomeOrSteal) {
  auto a = Quiet(0), b = Quiet(5);
  b.pressure[PsiKind::kCpu].some->avg10 = 50;
  EXPECT_DOUBLE_EQ(Score(&a, b).component(Component::kCpu), 10);
  auto c = Quiet(5);
  c.stat.total.steal = a.stat.total.steal + 15;  // 15 of 20 CPU-seconds stolen... plus idle 5
  c.stat.total.idle = a.stat.total.idle + 5;
  EXPECT_DOUBLE_EQ(Score(&a, c).component(Component::kCpu), 15);
}

TEST(Stress, IoTakesTheWorstOfPsiIowaitAndBurst) {
  auto a = Quiet(0), b = Quiet(5);
  b.pressure[PsiKind::kIo].some->avg10 = 20;
  b.pressure[PsiKind::kIo].full->avg10 = 10;
  EXPECT_DOUBLE_EQ(Score(&a, b).component(Component::kIo), 9);  // 0.3 × 30
  auto c = Quiet(5);
  c.stat.total.iowait = a.stat.total.iowait + 10;  // half the CPU time waiting on I/O
  c.stat.total.idle = a.stat.total.idle + 10;
  EXPECT_DOUBLE_EQ(Score(&a, c).component(Component::kIo), 15);
}

TEST(Stress, IoBurstIsJudgedAgainstItsOwnBaseline) {
  config::Stress w;
  StressState state;
  auto prev = Quiet(0);
  double t = 0;
  // Five minutes of a steady 2 MiB/s: the baseline settles there, no burst.
  for (int i = 0; i < 60; ++i) {
    t += 5;
    auto cur = Quiet(t);
    cur.vmstat.pgpgin = prev.vmstat.pgpgin + 5 * 2048;  // KiB
    auto r = Assess(w, &prev, cur, 0, state);
    EXPECT_EQ(r.component(Component::kIo), 0) << i;
    prev = cur;
  }
  EXPECT_NEAR(state.io_baseline, 2 << 20, 1);
  // A jump to 16 MiB/s is twice the 4× burst threshold: a full burst.
  auto cur = Quiet(t + 5);
  cur.vmstat.pgpgin = prev.vmstat.pgpgin + 5 * 16384;
  auto r = Assess(w, &prev, cur, 0, state);
  EXPECT_DOUBLE_EQ(r.signals.io_burst, 1.0);
  EXPECT_DOUBLE_EQ(r.component(Component::kIo), 30);
  EXPECT_GT(state.io_baseline, 2 << 20);  // the baseline follows, slowly
  EXPECT_LT(state.io_baseline, 3 << 20);
}

TEST(Stress, MemoryTakesTheWorstOfPsiLowAvailableAndSwap) {
  auto a = Quiet(0), b = Quiet(5);
  b.pressure[PsiKind::kMemory].some->avg10 = 30;
  b.pressure[PsiKind::kMemory].full->avg10 = 20;
  auto r = Score(&a, b);
  EXPECT_DOUBLE_EQ(r.memory_pressure, 0.5);
  EXPECT_DOUBLE_EQ(r.component(Component::kMemory), 20);

  auto low = Quiet(5);
  low.meminfo.available = low.meminfo.total / 40;  // 2.5%: three quarters below the 10% mark
  EXPECT_NEAR(Score(&a, low).memory_pressure, 0.75, 1e-6);
  EXPECT_NEAR(Score(&a, low).component(Component::kMemory), 30, 1e-4);

  auto swapping = Quiet(5);
  swapping.page_size = 4096;
  swapping.vmstat.pswpout = a.vmstat.pswpout + 5 * 1280;  // 5 MiB/s: half the 10 MiB/s scale
  EXPECT_DOUBLE_EQ(Score(&a, swapping).component(Component::kMemory), 20);
}

TEST(Stress, ThermalCountsWhileThrottleCountersRise) {
  auto a = Quiet(0), b = Quiet(5);
  EXPECT_EQ(Score(&a, b).component(Component::kThermal), 0);
  b.thermal.core_throttles = a.thermal.core_throttles + 3;
  EXPECT_EQ(Score(&a, b).component(Component::kThermal), 10);
}

TEST(Stress, LatencyIsTheWatchdogOvershootAgainstItsScale) {
  auto b = Quiet(5);
  EXPECT_DOUBLE_EQ(Score(nullptr, b, 0.125).component(Component::kLatency), 10);
  EXPECT_DOUBLE_EQ(Score(nullptr, b, 5.0).component(Component::kLatency), 20);  // cap
}

TEST(Stress, TheScoreIsTheSumCappedAt100) {
  auto a = Quiet(0), b = Quiet(5);
  b.loadavg.load1 = 8.0;
  b.pressure[PsiKind::kCpu].some->avg10 = 50;
  auto r = Score(&a, b, 0.125);
  EXPECT_DOUBLE_EQ(r.score, 15 + 10 + 10);
  b.loadavg.load1 = 100;
  b.pressure[PsiKind::kCpu].some->avg10 = 100;
  b.pressure[PsiKind::kIo].some->avg10 = 100;
  b.pressure[PsiKind::kMemory].some->avg10 = 100;
  b.thermal.core_throttles = 1;
  EXPECT_DOUBLE_EQ(Score(&a, b, 10).score, 100);
}

TEST(Stress, FailedCollectorsContributeNothing) {
  auto a = Quiet(0), b = Quiet(5);
  b.loadavg.load1 = 40;
  b.pressure[PsiKind::kCpu].some->avg10 = 90;
  for (auto& c : b.collectors) c.ok = false;
  EXPECT_EQ(Score(&a, b).score, 0);
}

TEST(Stress, UnavailablePsiIsZeroNotAnError) {
  auto b = Quiet(5);
  b.pressure[PsiKind::kCpu].available = false;
  b.pressure[PsiKind::kCpu].some->avg10 = 90;  // stale data behind an unavailable flag
  EXPECT_EQ(Score(nullptr, b).component(Component::kCpu), 0);
}

TEST(Stress, WeightsAndCapsComeFromConfig) {
  config::Stress w;
  w.load = {100, 7};
  StressState state;
  auto b = Quiet(5);
  b.loadavg.load1 = 6;
  EXPECT_DOUBLE_EQ(Assess(w, nullptr, b, 0, state).component(Component::kLoad), 7);
}

TEST(Stress, IsAPureFunctionOfItsInputs) {
  auto a = Quiet(0), b = Quiet(5);
  b.vmstat.pgpgin = 1 << 20;
  b.loadavg.load1 = 9;
  StressState s1, s2;
  auto r1 = Assess(config::Stress{}, &a, b, 0.01, s1);
  auto r2 = Assess(config::Stress{}, &a, b, 0.01, s2);
  EXPECT_EQ(r1.score, r2.score);
  EXPECT_EQ(r1.components, r2.components);
  EXPECT_EQ(s1.io_baseline, s2.io_baseline);
}

}  // namespace
}  // namespace rh::analysis

#include "collectors/pressure_watch.h"

#include <gtest/gtest.h>

#include <atomic>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::collectors {
namespace {

using namespace std::chrono_literals;

std::string Psi(std::uint64_t some_total, std::uint64_t full_total) {
  return "some avg10=0.00 avg60=0.00 avg300=0.00 total=" + std::to_string(some_total) +
         "\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=" + std::to_string(full_total) + "\n";
}

TEST(PressureTriggers, TextAndTheUnprivilegedForm) {
  EXPECT_EQ(TriggerText(false, 150000, 1000000), "some 150000 1000000");
  EXPECT_EQ(TriggerText(true, 1, 500000), "full 1 500000");
  PressureTriggerSpec spec{PsiKind::kMemory, PressureLevel::kElevated, false, 150000, 1000000};
  auto u = Unprivileged(spec);
  EXPECT_EQ(u.window_us, 2000000);
  EXPECT_EQ(u.stall_us, 300000);  // the same share of the window
  spec.window_us = 4000000;
  spec.stall_us = 1000000;
  EXPECT_EQ(Unprivileged(spec).window_us, 4000000);  // already a multiple of 2 s
  EXPECT_EQ(Unprivileged(spec).stall_us, 1000000);
  spec.window_us = 2500000;
  EXPECT_EQ(Unprivileged(spec).window_us, 4000000);
  EXPECT_EQ(Unprivileged(spec).stall_us, 1600000);
}

// The polled form: 150 ms of stall within any second, at most once per second.
TEST(StallWindow, FiresWhenTheStallWithinTheWindowReachesTheMarkOncePerWindow) {
  constexpr std::int64_t kMs = 1'000'000;
  StallWindow w(150000, 1000000);
  EXPECT_FALSE(w.Add(0, 1000));                   // the baseline
  EXPECT_FALSE(w.Add(100 * kMs, 1000 + 100000));  // 100 ms: below the mark
  EXPECT_TRUE(w.Add(200 * kMs, 1000 + 160000));   // 160 ms within the window
  EXPECT_FALSE(w.Add(300 * kMs, 1000 + 400000)) << "once per window";
  EXPECT_FALSE(w.Add(1100 * kMs, 1000 + 400000)) << "still within a window of the firing";
  EXPECT_TRUE(w.Add(1300 * kMs, 1000 + 600000)) << "a window after the firing, 200 ms more";
  // Stall long ago does not count: the baseline moves with the window.
  StallWindow slow(150000, 1000000);
  EXPECT_FALSE(slow.Add(0, 0));
  EXPECT_FALSE(slow.Add(900 * kMs, 60000));
  EXPECT_FALSE(slow.Add(1800 * kMs, 120000));
  EXPECT_FALSE(slow.Add(2700 * kMs, 180000)) << "60 ms per 900 ms, 180 ms in all";
  EXPECT_FALSE(slow.Add(3600 * kMs, 100000)) << "a total that went back is no growth";
}

// Where triggers cannot be registered (here: a tree of regular files), the totals are polled
// and the handler is called once they grew by the stall within the window.
TEST(PressureWatch, PollsWhereTriggersAreRefusedAndFiresOnGrowth) {
  test::TempDir dir;
  dir.Write("proc/pressure/memory", Psi(1000, 0));
  std::atomic<int> fired{0};
  PressureWatch::Options options;
  options.triggers = {{PsiKind::kMemory, PressureLevel::kElevated, false, 150000, 1000000},
                      {PsiKind::kIo, PressureLevel::kElevated, false, 150000, 1000000}};
  options.poll_interval = 20ms;
  PressureWatch watch(ProcRoot(dir / "proc", dir / "sys"), SystemClock::Instance(), options,
                      [&](const PressureWatch::Firing& f) {
                        EXPECT_EQ(f.watched->spec.resource, PsiKind::kMemory);
                        ++fired;
                      });
  ASSERT_EQ(watch.watched().size(), 2u);
  const auto& memory = *watch.watched()[0];
  EXPECT_EQ(memory.mode, PressureWatchMode::kPolling);
  EXPECT_NE(memory.source.find("pressure/memory"), std::string::npos);
  // No io file: nothing to watch it with.
  EXPECT_EQ(watch.watched()[1]->mode, PressureWatchMode::kUnavailable);
  EXPECT_NE(watch.watched()[1]->source.find("No such file"), std::string::npos);

  ASSERT_TRUE(watch.Start().ok());
  // 300 ms more at every look: above the mark whenever the watch takes its first reading.
  std::uint64_t total = 1000;
  ASSERT_TRUE(test::WaitUntil(
      [&] {
        total += 300000;
        dir.Write("proc/pressure/memory", Psi(total, 0));
        return fired > 0;
      },
      5s, 5ms));
  watch.Stop();
  EXPECT_EQ(fired, 1);  // once per window (StallWindow)
  EXPECT_EQ(memory.firings, 1u);
}

TEST(PressureWatch, TriggersCanBeTurnedOffForPolling) {
  PressureWatch::Options options;
  options.triggers = {{PsiKind::kMemory, PressureLevel::kCritical, true, 500000, 1000000}};
  options.use_triggers = false;
  PressureWatch watch(ProcRoot(), SystemClock::Instance(), options, nullptr);
  const auto& w = *watch.watched()[0];
  if (w.mode == PressureWatchMode::kUnavailable) GTEST_SKIP() << "no PSI here: " << w.source;
  EXPECT_EQ(w.mode, PressureWatchMode::kPolling);
  EXPECT_NE(w.source.find("triggers are off"), std::string::npos);
}

// On the real kernel a trigger is registered: on /proc/pressure when permitted, else as an
// unprivileged trigger on the v2 root cgroup (as on this machine, without CAP_SYS_RESOURCE).
TEST(PressureWatch, RegistersARealTrigger) {
  PressureWatch::Options options;
  options.triggers = {{PsiKind::kMemory, PressureLevel::kElevated, false, 150000, 1000000}};
  PressureWatch watch(ProcRoot(), SystemClock::Instance(), options, nullptr);
  const auto& w = *watch.watched()[0];
  if (w.mode != PressureWatchMode::kTrigger) GTEST_SKIP() << "no trigger possible: " << w.source;
  if (w.source.find("pressure/memory") != std::string::npos &&
      w.source.find("memory.pressure") == std::string::npos) {
    EXPECT_EQ(w.effective.window_us, 1000000);
  } else {
    EXPECT_NE(w.source.find("memory.pressure"), std::string::npos);
    EXPECT_EQ(w.effective.window_us, 2000000);
    EXPECT_EQ(w.effective.stall_us, 300000);
  }
  ASSERT_TRUE(watch.Start().ok());
  watch.Stop();  // a thread blocked in poll() stops at once
}

}  // namespace
}  // namespace rh::collectors

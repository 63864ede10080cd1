#include "analysis/watchdog.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

#include "tests/support/fake_clock.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::analysis {
namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kSecond = 1'000'000'000;

class WatchdogTest : public ::testing::Test {
 protected:
  std::vector<WatchdogEvent> Drain() {
    std::vector<WatchdogEvent> events;
    WatchdogEvent e;
    while (watchdog_.PopEvent(e)) events.push_back(e);
    return events;
  }

  test::FakeClock clock_;
  Watchdog watchdog_{clock_, {20 * kMs, 1 * kSecond, false}};
};

TEST_F(WatchdogTest, OnTimeWakeUpsAreHiccupsInTheFirstBucketAndNoEvents) {
  for (int i = 0; i < 100; ++i) watchdog_.Step();
  EXPECT_TRUE(Drain().empty());
  auto h = watchdog_.stats().hiccups.Read();
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.cumulative.front(), 100u);  // le=0.001
  EXPECT_EQ(watchdog_.stats().pause_count, 0u);
  EXPECT_EQ(watchdog_.stats().wakeups, 100u);
}

TEST_F(WatchdogTest, JitterBelowTheThresholdIsNoPause) {
  for (std::int64_t late : {1 * kMs, 15 * kMs, 250 * kMs, 999 * kMs, 1000 * kMs}) {
    clock_.OvershootNextSleep(late);
    watchdog_.Step();
  }
  EXPECT_TRUE(Drain().empty());
  EXPECT_EQ(watchdog_.stats().pause_count, 0u);
  auto h = watchdog_.stats().hiccups.Read();
  EXPECT_EQ(h.count(), 5u);
  EXPECT_NEAR(h.sum_seconds, 2.265, 1e-9);
}

class WatchdogPauseLength : public WatchdogTest, public ::testing::WithParamInterface<double> {};

TEST_P(WatchdogPauseLength, IsOnePauseWithItsDuration) {
  for (int i = 0; i < 10; ++i) watchdog_.Step();
  const auto late = static_cast<std::int64_t>(GetParam() * 1e9);
  clock_.OvershootNextSleep(late);
  watchdog_.Step();
  for (int i = 0; i < 10; ++i) watchdog_.Step();

  auto events = Drain();
  ASSERT_EQ(events.size(), 1u);
  const WatchdogEvent& e = events[0];
  EXPECT_EQ(e.kind, WatchdogEvent::Kind::kPause);
  EXPECT_LE(std::abs(e.duration_ns - late), 20 * kMs) << "duration error beyond one tick";
  EXPECT_EQ(e.end_realtime_ns - e.start_realtime_ns, e.duration_ns);
  // It began between the last on-time wake-up and the missed deadline (20 ms later): the
  // estimate is the middle, ± half a tick.
  EXPECT_EQ(e.start_uncertainty_ns, 10 * kMs);
  EXPECT_EQ(e.duration_ns, late + 10 * kMs);
  EXPECT_EQ(e.end_monotonic_ns - e.start_monotonic_ns, e.duration_ns);
  EXPECT_EQ(watchdog_.stats().pause_count, 1u);
  EXPECT_EQ(watchdog_.stats().last_pause_duration_ns, e.duration_ns);
  EXPECT_EQ(watchdog_.stats().last_pause_end_realtime_ns, e.end_realtime_ns);
  EXPECT_EQ(watchdog_.stats().pauses.Read().count(), 1u);
  EXPECT_EQ(watchdog_.stats().suspend_count, 0u);
}

INSTANTIATE_TEST_SUITE_P(Lengths, WatchdogPauseLength,
                         ::testing::Values(1.001, 1.5, 3.0, 42.0, 600.0));

TEST_F(WatchdogTest, AfterAPauseTheNextWakeIsOneTickLaterWithoutCatchingUp) {
  clock_.OvershootNextSleep(5 * kSecond);
  watchdog_.Step();
  std::int64_t woke = clock_.Now().monotonic_ns;
  watchdog_.Step();
  EXPECT_EQ(clock_.Now().monotonic_ns - woke, 20 * kMs);
  EXPECT_EQ(Drain().size(), 1u);
}

TEST_F(WatchdogTest, SuspendIsCountedAndNeverAPause) {
  watchdog_.Step();
  clock_.Suspend(60 * kSecond);
  watchdog_.Step();
  auto events = Drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, WatchdogEvent::Kind::kSuspend);
  EXPECT_EQ(events[0].duration_ns, 60 * kSecond);
  EXPECT_EQ(watchdog_.stats().suspend_count, 1u);
  EXPECT_EQ(watchdog_.stats().pause_count, 0u);
  EXPECT_EQ(watchdog_.stats().last_pause_end_realtime_ns, 0);
}

// Clocks whose boottime runs 5 s ahead of monotonic (a suspend before), read one after another;
// the thread is held for `hold_ns` after the first read (monotonic) of each of the first
// `held_reads` tries.
struct HeldClocks {
  std::int64_t now_ns = 100 * kSecond;
  std::int64_t hold_ns = 0;
  int held_reads = 0;
  int reads = 0;
  std::int64_t operator()(clockid_t id) {
    now_ns += 50;  // each read takes a moment
    if (reads++ % 4 == 1 && held_reads > 0) {
      --held_reads;
      now_ns += hold_ns;  // held between the first monotonic read and the rest
    }
    return id == CLOCK_BOOTTIME ? now_ns + 5 * kSecond : now_ns;
  }
};

TEST(ReadClocksBracketed, AThreadHeldBetweenTheReadsDoesNotShiftBoottimeAgainstMonotonic) {
  // Read in one go, a 400 ms hold between the monotonic and boottime reads would make boottime
  // 400 ms ahead: a suspend of 400 ms that never happened.
  HeldClocks clocks{.hold_ns = 400'000'000, .held_reads = 1};
  ClockReading r = ReadClocksBracketed(clocks);
  EXPECT_NEAR(r.boottime_ns - r.monotonic_ns, 5 * kSecond, 1'000);
  EXPECT_EQ(clocks.reads, 8);  // the held try and one more
  // Held in every try: the tightest bracket is kept, never more than 4 tries.
  HeldClocks always{.hold_ns = 400'000'000, .held_reads = 100};
  r = ReadClocksBracketed(always);
  EXPECT_EQ(always.reads, 16);
  // Not held: one try.
  HeldClocks free;
  r = ReadClocksBracketed(free);
  EXPECT_EQ(free.reads, 4);
  EXPECT_NEAR(r.boottime_ns - r.monotonic_ns, 5 * kSecond, 1'000);
}

TEST(ReadClocksBracketed, TheKernelsClocksKeepTheirOffsetFromReadToRead) {
  const ClockReading first = SystemClock::Instance().Now();
  for (int i = 0; i < 1000; ++i) {
    const ClockReading r = SystemClock::Instance().Now();
    ASSERT_LE(std::abs((r.boottime_ns - r.monotonic_ns) - (first.boottime_ns - first.monotonic_ns)),
              1'000'000);
    ASSERT_GE(r.monotonic_ns, first.monotonic_ns);
  }
}

TEST_F(WatchdogTest, ResumeLatencyAroundASuspendIsPartOfTheSuspend) {
  clock_.Suspend(30 * kSecond);
  clock_.OvershootNextSleep(2 * kSecond);  // userspace thawed two seconds after timekeeping resumed
  watchdog_.Step();
  auto events = Drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, WatchdogEvent::Kind::kSuspend);
  EXPECT_EQ(watchdog_.stats().pause_count, 0u);
}

TEST_F(WatchdogTest, SuspendAndFreezeBackToBackAreTwoEvents) {
  clock_.Suspend(30 * kSecond);
  watchdog_.Step();
  clock_.OvershootNextSleep(5 * kSecond);
  watchdog_.Step();
  auto events = Drain();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, WatchdogEvent::Kind::kSuspend);
  EXPECT_EQ(events[1].kind, WatchdogEvent::Kind::kPause);
  EXPECT_EQ(events[1].duration_ns, 5 * kSecond + 10 * kMs);  // from the middle of the tick
  EXPECT_EQ(watchdog_.stats().pause_count, 1u);
  EXPECT_EQ(watchdog_.stats().suspend_count, 1u);
}

TEST_F(WatchdogTest, WorstOvershootIsTakenAndReset) {
  clock_.OvershootNextSleep(30 * kMs);
  watchdog_.Step();
  clock_.OvershootNextSleep(70 * kMs);
  watchdog_.Step();
  clock_.OvershootNextSleep(10 * kMs);
  watchdog_.Step();
  EXPECT_EQ(watchdog_.TakeWorstOvershoot(), 70 * kMs);
  EXPECT_EQ(watchdog_.TakeWorstOvershoot(), 0);
}

TEST_F(WatchdogTest, AFullEventRingDropsAndCounts) {
  for (int i = 0; i < 70; ++i) {
    clock_.OvershootNextSleep(2 * kSecond);
    watchdog_.Step();
  }
  EXPECT_EQ(Drain().size(), 64u);
  EXPECT_EQ(watchdog_.stats().dropped_events, 6u);
  EXPECT_EQ(watchdog_.stats().pause_count, 70u);
}

TEST_F(WatchdogTest, APauseCarriesTheSwitchesReadAsItWoke) {
  test::TempDir dir;
  dir.Write("proc/stat", "cpu  1 2 3 4 5 6 7 8 0 0\nctxt 4242\n");
  collectors::SwitchCounter counter(collectors::ProcRoot(dir / "proc", dir / "sys"));
  watchdog_.CountSwitchesWith(&counter);
  watchdog_.Step();
  clock_.OvershootNextSleep(2 * kSecond);
  const std::uint64_t own_before = test::OwnContextSwitches();
  watchdog_.Step();
  const std::uint64_t own_after = test::OwnContextSwitches();
  auto events = Drain();
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(events[0].end_switches);
  EXPECT_EQ(events[0].end_switches->total, 4242u);
  EXPECT_GE(events[0].end_switches->own, own_before);  // this process's (getrusage)
  EXPECT_LE(events[0].end_switches->own, own_after);

  dir.Write("proc/stat", "no counters here\n");  // unreadable: the event says so
  clock_.OvershootNextSleep(2 * kSecond);
  watchdog_.Step();
  events = Drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].end_switches);
}

TEST_F(WatchdogTest, APauseCarriesTheLastOnTimeReadingOfTheSwitchesBeforeIt) {
  test::TempDir dir;
  dir.Write("proc/stat", "cpu  1 2 3 4 5 6 7 8 0 0\nctxt 100\n");
  collectors::SwitchCounter counter(collectors::ProcRoot(dir / "proc", dir / "sys"));
  watchdog_.CountSwitchesWith(&counter);
  for (int i = 0; i < Watchdog::kSwitchReadTicks; ++i) watchdog_.Step();  // read at the last
  const std::int64_t read_at = clock_.Now().monotonic_ns;
  dir.Write("proc/stat", "cpu  1 2 3 4 5 6 7 8 0 0\nctxt 250\n");
  watchdog_.Step();  // on time, but not yet due: not read
  clock_.OvershootNextSleep(2 * kSecond);
  watchdog_.Step();
  auto events = Drain();
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(events[0].start_switches && events[0].end_switches);
  EXPECT_EQ(events[0].start_switches->total, 100u);
  EXPECT_EQ(events[0].start_switches->monotonic_ns, read_at);
  EXPECT_LE(events[0].start_switches->monotonic_ns, events[0].start_monotonic_ns);
  EXPECT_EQ(events[0].end_switches->total, 250u);

  // The next pause starts from the reading at the end of this one.
  dir.Write("proc/stat", "cpu  1 2 3 4 5 6 7 8 0 0\nctxt 300\n");
  clock_.OvershootNextSleep(2 * kSecond);
  watchdog_.Step();
  events = Drain();
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(events[0].start_switches && events[0].end_switches);
  EXPECT_EQ(events[0].start_switches->total, 250u);
  EXPECT_EQ(events[0].end_switches->total, 300u);
}

TEST(WatchdogThread, StartsAndStopsWithinATickOnTheRealClock) {
  Watchdog watchdog(SystemClock::Instance(), {5 * kMs, 1 * kSecond, true});
  ASSERT_TRUE(watchdog.Start().ok());
  watchdog.Stop();  // joins: returns only once the thread has left its loop
  SUCCEED();
}

TEST(PauseDetector, TheStartIsBetweenThePreviousWakeAndTheMissedDeadline) {
  PauseDetector detector(1 * kSecond);
  ClockReading previous{10 * kSecond, 10 * kSecond, 100 * kSecond};
  ClockReading now{13 * kSecond, 13 * kSecond, 103 * kSecond};
  auto v = detector.OnWake(previous, now, 10 * kSecond + 20 * kMs);
  ASSERT_TRUE(v.event.has_value());
  // The decision uses the overshoot past the deadline...
  EXPECT_EQ(v.overshoot_ns, 3 * kSecond - 20 * kMs);
  // ...the start is the middle of [previous wake, deadline], ± half of it.
  EXPECT_EQ(v.event->start_realtime_ns, 100 * kSecond + 10 * kMs);
  EXPECT_EQ(v.event->start_monotonic_ns, 10 * kSecond + 10 * kMs);
  EXPECT_EQ(v.event->start_uncertainty_ns, 10 * kMs);
  EXPECT_EQ(v.event->duration_ns, 3 * kSecond - 10 * kMs);
  // A previous wake that was itself late leaves less room before the deadline.
  ClockReading late{10 * kSecond + 15 * kMs, 10 * kSecond + 15 * kMs, 100 * kSecond + 15 * kMs};
  auto w = detector.OnWake(late, now, 10 * kSecond + 20 * kMs);
  EXPECT_EQ(w.event->start_uncertainty_ns, 2'500'000);
  EXPECT_EQ(w.event->start_monotonic_ns, 10 * kSecond + 17'500'000);
}

}  // namespace
}  // namespace rh::analysis

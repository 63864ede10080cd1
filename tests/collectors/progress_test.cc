#include "collectors/progress.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>

#include "tests/support/fake_clock.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::collectors {
namespace {

using namespace std::chrono_literals;

// A tree whose /proc/self says the process is in the v2 cgroup /test of a hierarchy mounted at
// /sys/fs/cgroup/unified, with the cgroup's files as regular files.
struct SelfTree {
  test::TempDir dir;
  SelfTree() {
    dir.Write("proc/stat", test::ReadFileOrFail(test::FixturesDir() / "proc/stat"));
    dir.Write("proc/self/cgroup", "1:cpu:/elsewhere\n0::/test\n");
    dir.Write("proc/self/mountinfo",
              "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
              "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n");
    dir.Write("sys/fs/cgroup/unified/test/cgroup.events", "populated 1\nfrozen 0\n");
    dir.Write("sys/fs/cgroup/unified/test/cpu.stat", "usage_usec 5\n");  // no cpu controller
    dir.Write("sys/fs/cgroup/cpu/elsewhere/cpu.stat",
              "nr_periods 4\nnr_throttled 2\nthrottled_time 1500000000\n");
    dir.Write("proc/self/task/77/schedstat", "100 2500000000 3\n");
  }
  ProcRoot root() const { return ProcRoot(dir / "proc", dir / "sys"); }
};

TEST(ProgressProbe, ReadsTheMachineAndItsOwnCgroupAndThread) {
  SelfTree tree;
  test::FakeClock clock;
  ProgressProbe probe(tree.root(), clock, {0ms, 8});
  probe.WatchThread(77);
  rusage usage{};
  ASSERT_EQ(getrusage(RUSAGE_SELF, &usage), 0);
  auto r = probe.Read();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->context_switches, 389008u);  // the fixture's ctxt
  EXPECT_EQ(r->interrupts, 192002u);
  EXPECT_GT(r->busy_seconds, 0);
  EXPECT_EQ(r->monotonic_ns, clock.Now().monotonic_ns);
  EXPECT_GE(r->own_context_switches,  // this test's own (getrusage)
            static_cast<std::uint64_t>(usage.ru_nvcsw + usage.ru_nivcsw));
  // v2 has no cpu controller here, so the throttling comes from v1's cpu hierarchy.
  EXPECT_EQ(r->throttled_seconds, 1.5);
  EXPECT_EQ(r->run_delay_seconds, 2.5);
  EXPECT_TRUE(probe.watching_freezes());
}

TEST(SwitchCounter, ReadsCtxtAndItsOwnWithoutTheRecorder) {
  SelfTree tree;
  SwitchCounter counter(tree.root());
  SwitchCounts counts;
  const std::uint64_t own_before = test::OwnContextSwitches();
  ASSERT_TRUE(counter.Read(counts));
  EXPECT_EQ(counts.total, 389008u);
  EXPECT_GE(counts.own, own_before);  // this process's (getrusage)
  EXPECT_LE(counts.own, test::OwnContextSwitches());
  // v2 has no cpu controller here: the quota's hold comes from v1's cpu hierarchy, read again
  // from the descriptor opened at construction.
  EXPECT_EQ(counts.throttled_seconds, 1.5);
  tree.dir.Write("sys/fs/cgroup/cpu/elsewhere/cpu.stat", "nr_throttled 3\nthrottled_time 2e9\n");
  ASSERT_TRUE(counter.Read(counts));
  EXPECT_EQ(counts.throttled_seconds, std::nullopt);  // not a count of nanoseconds
  tree.dir.Write("sys/fs/cgroup/cpu/elsewhere/cpu.stat",
                 "nr_throttled 3\nthrottled_time 2000000000\n");
  ASSERT_TRUE(counter.Read(counts));
  EXPECT_EQ(counts.throttled_seconds, 2.0);
  // Read again from the same descriptor: the file's current content.
  tree.dir.Write("proc/stat", "cpu  1 2 3 4 5 6 7 8 0 0\nintr 5\nctxt 12\nbtime 1\n");
  ASSERT_TRUE(counter.Read(counts));
  EXPECT_EQ(counts.total, 12u);
  // No ctxt line, or none in its first 64 KiB, or digits that overflow: no reading.
  tree.dir.Write("proc/stat",
                 "cpu  1 2 3 4 5 6 7 8 0 0\nintr " + std::string(70'000, '1') + "\nctxt 12\n");
  EXPECT_FALSE(counter.Read(counts));
  tree.dir.Write("proc/stat", "intr 5\nctxt 99999999999999999999999\n");
  EXPECT_FALSE(counter.Read(counts));
  tree.dir.Write("proc/stat", "intr 5\nctxt x\n");
  EXPECT_FALSE(counter.Read(counts));
  SwitchCounter absent(ProcRoot(tree.dir / "nowhere", tree.dir / "sys"));
  EXPECT_FALSE(absent.Read(counts));
}

TEST(ProgressProbe, ChangesOfCgroupEventsAreCountedFromWhenTheyWereSeen) {
  SelfTree tree;
  test::FakeClock clock;
  ProgressProbe probe(tree.root(), clock, {0ms, 8});
  ASSERT_TRUE(probe.watching_freezes());
  const std::int64_t before = clock.Now().monotonic_ns;
  EXPECT_EQ(probe.FreezeChangesSince(before), 0u);
  clock.AdvanceSeconds(1);
  const std::int64_t start = clock.Now().monotonic_ns;
  // A freeze and a thaw, as the kernel rewrites the file. Read together after the thaw (the
  // reader was frozen too), inotify coalesces them into one change.
  tree.dir.Write("sys/fs/cgroup/unified/test/cgroup.events", "populated 1\nfrozen 1\n");
  tree.dir.Write("sys/fs/cgroup/unified/test/cgroup.events", "populated 1\nfrozen 0\n");
  clock.AdvanceSeconds(1);
  EXPECT_GE(probe.FreezeChangesSince(start), 1u);
  EXPECT_EQ(probe.FreezeChangesSince(clock.Now().monotonic_ns + 1), 0u);

  // Moved to another cgroup: the watch follows, the old history is dropped.
  tree.dir.Write("sys/fs/cgroup/unified/moved/cgroup.events", "populated 1\nfrozen 0\n");
  tree.dir.Write("proc/self/cgroup", "0::/moved\n");
  probe.RefreshCgroup();
  EXPECT_EQ(probe.FreezeChangesSince(0), 0u);
  tree.dir.Write("sys/fs/cgroup/unified/moved/cgroup.events", "populated 1\nfrozen 1\n");
  EXPECT_GE(probe.FreezeChangesSince(0), 1u);
}

TEST(ProgressProbe, WithoutSelfFilesReadsTheMachineOnly) {
  test::FakeClock clock;
  ProgressProbe probe(ProcRoot(test::FixturesDir() / "proc", test::FixturesDir() / "sys"), clock,
                      {0ms, 8});
  auto r = probe.Read();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->throttled_seconds, std::nullopt);
  EXPECT_EQ(r->run_delay_seconds, std::nullopt);
  EXPECT_FALSE(probe.watching_freezes());
  test::TempDir empty;
  ProgressProbe none(ProcRoot(empty / "proc", empty / "sys"), clock, {0ms, 8});
  auto missing = none.Read();
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("stat"), std::string::npos);
}

ProgressReading SwitchesAt(double t, std::uint64_t total, std::uint64_t own) {
  ProgressReading r;
  r.monotonic_ns = static_cast<std::int64_t>(t * 1e9);
  r.context_switches = total;
  r.own_context_switches = own;
  return r;
}

TEST(ChooseReadingsBefore, ThePaceWindowReachesBackFiveSecondsOrToTheEarliest) {
  std::deque<ProgressReading> kept;
  for (int i = 0; i <= 20; ++i) kept.push_back(SwitchesAt(i * 0.5, 300u * i, 50u * i));
  auto r = ChooseReadingsBefore(kept, 8'200'000'000, 5);
  ASSERT_TRUE(r.before && r.pace_from);
  EXPECT_EQ(r.before->monotonic_ns, 8'000'000'000);
  EXPECT_EQ(r.pace_from->monotonic_ns, 3'000'000'000);
  r = ChooseReadingsBefore(kept, 1'600'000'000, 5);  // 1.5 s kept: the earliest
  EXPECT_EQ(r.pace_from->monotonic_ns, 0);
  r = ChooseReadingsBefore(kept, 600'000'000, 5);  // 0.5 s kept: too little for a pace
  EXPECT_TRUE(r.before);
  EXPECT_FALSE(r.pace_from);
  EXPECT_FALSE(ChooseReadingsBefore(kept, -1, 5).before);
}

TEST(ChooseReadingsBefore, ThePaceWindowStopsAtTheDaemonsOwnHandOffs) {
  // The daemon's start: its threads hand work to each other, 900 of its switches against 1,200
  // of the machine's in the first second. Then 300 a second, 50 of them its own.
  std::deque<ProgressReading> kept{SwitchesAt(0, 0, 0), SwitchesAt(0.5, 700, 500),
                                   SwitchesAt(1, 1'200, 900)};
  for (int i = 1; i <= 6; ++i)
    kept.push_back(SwitchesAt(1 + i * 0.5, 1'200 + 150u * i, 900 + 25u * i));
  auto r = ChooseReadingsBefore(kept, 4'000'000'000, 5);
  ASSERT_TRUE(r.before && r.pace_from);
  EXPECT_EQ(r.pace_from->monotonic_ns, 1'000'000'000);  // not across the start
  r = ChooseReadingsBefore(kept, 1'900'000'000, 5);     // within a second of the start: no pace
  EXPECT_FALSE(r.pace_from);
  // Counters that went backwards end the window too.
  kept.push_back(SwitchesAt(4.5, 10, 10));
  kept.push_back(SwitchesAt(5, 160, 35));
  EXPECT_FALSE(ChooseReadingsBefore(kept, 5'000'000'000, 5).pace_from);
}

TEST(ProgressProbe, ItsThreadKeepsRecentReadingsOfTheRealMachine) {
  ProgressProbe probe(ProcRoot(), SystemClock::Instance(), {10ms, 4});
  probe.WatchThread(static_cast<pid_t>(syscall(SYS_gettid)));
  probe.Start();
  auto now = [] { return SystemClock::Instance().Now().monotonic_ns; };
  ASSERT_TRUE(test::WaitUntil(
      [&] { return probe.ReadingsBefore(now(), 0.03).pace_from.has_value(); }, 10s, 5ms));
  probe.Stop();
  auto kept = probe.ReadingsBefore(now(), 0.03);
  ASSERT_TRUE(kept.before && kept.pace_from);
  EXPECT_LT(kept.pace_from->monotonic_ns, kept.before->monotonic_ns);
  EXPECT_GE(kept.before->context_switches, kept.pace_from->context_switches);
  EXPECT_TRUE(kept.before->run_delay_seconds.has_value());
  // Nothing was read before the probe started.
  EXPECT_FALSE(probe.ReadingsBefore(kept.pace_from->monotonic_ns - 1).before.has_value());
}

}  // namespace
}  // namespace rh::collectors

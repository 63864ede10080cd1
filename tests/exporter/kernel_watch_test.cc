#include "exporter/kernel_watch.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace rh::exporter {
namespace {

collectors::KmsgRecord Record(const std::string& text, int facility = 0) {
  collectors::KmsgRecord r;
  r.facility = facility;
  r.level = 3;
  r.usec = 2'000'000'000;  // 2000 s after boot
  r.text = text;
  return r;
}

struct Watch {
  test::TempDir dir;
  test::FakeClock clock{1'000'000'000'000};  // 1000 s after boot
  std::vector<KernelWatch::Report> seen;
  config::KernelLog settings;
  KernelWatch watch;
  explicit Watch(config::KernelLog s = {})
      : settings(s),
        watch(settings, Options(), clock, [this](const auto& r) { seen.push_back(r); }) {}
  collectors::KernelLogFollower::Options Options() const {
    collectors::KernelLogFollower::Options o;
    o.path = dir / "no-kmsg";
    return o;
  }
  std::uint64_t Count(analysis::KernelReportKind kind) const {
    return watch.report_stats().count[static_cast<std::size_t>(kind)].load();
  }
};

TEST(KernelWatch, AReportIsCountedAndHandedOnWithItsTimes) {
  Watch w;
  w.clock.AdvanceSeconds(1500);  // now 2500 s after boot; the record is from 2000 s
  w.watch.OnRecord(Record("INFO: task rsync:2950 blocked for more than 120 seconds."));
  w.watch.OnRecord(Record("usb 1-1: new device"));
  EXPECT_EQ(w.Count(analysis::KernelReportKind::kHungTask), 1u);
  ASSERT_EQ(w.seen.size(), 1u);
  const auto& r = w.seen[0];
  EXPECT_EQ(r.report.task, "rsync");
  EXPECT_EQ(r.report.pid, 2950);
  EXPECT_EQ(r.monotonic_ns, 2'000'000'000'000);
  EXPECT_EQ(r.realtime_ns, w.clock.Now().realtime_ns - 500'000'000'000);
  EXPECT_TRUE(r.since_start);
  EXPECT_TRUE(r.from_kernel);
}

TEST(KernelWatch, RecordsOlderThanTheStartAreNotWorthACapture) {
  Watch w;
  w.clock.AdvanceSeconds(1500);
  collectors::KmsgRecord old = Record("watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [a:1]");
  old.usec = 999'000'000;  // before the watch started (1000 s)
  w.watch.OnRecord(old);
  ASSERT_EQ(w.seen.size(), 1u);
  EXPECT_FALSE(w.seen[0].since_start);
}

TEST(KernelWatch, RecordsFromUserSpaceAreNotKernelReportsUnlessAccepted) {
  Watch strict;
  strict.watch.OnRecord(Record("INFO: task a:1 blocked for more than 120 seconds.", 1));
  EXPECT_EQ(strict.Count(analysis::KernelReportKind::kHungTask), 0u);
  EXPECT_TRUE(strict.seen.empty());
  Watch accepting(config::KernelLog{true, true, 10});
  accepting.watch.OnRecord(Record("INFO: task a:1 blocked for more than 120 seconds.", 1));
  ASSERT_EQ(accepting.seen.size(), 1u);
  EXPECT_FALSE(accepting.seen[0].from_kernel);
}

TEST(KernelWatch, EventsAreLimitedPerKindAndMinuteButAllAreCounted) {
  Watch w(config::KernelLog{true, false, 3});
  for (int i = 0; i < 10; ++i) w.watch.OnRecord(Record("I/O error, dev sda, sector 1 op 0x0"));
  w.watch.OnRecord(Record("rcu: INFO: rcu_sched detected stalls on CPUs/tasks:"));
  EXPECT_EQ(w.Count(analysis::KernelReportKind::kIoError), 10u);
  EXPECT_EQ(w.seen.size(), 4u);  // 3 I/O errors, 1 RCU stall
  w.clock.AdvanceSeconds(61);
  w.watch.OnRecord(Record("I/O error, dev sda, sector 1 op 0x0"));
  EXPECT_EQ(w.seen.size(), 5u);
}

}  // namespace
}  // namespace rh::exporter

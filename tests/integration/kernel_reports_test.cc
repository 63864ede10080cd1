// The kernel's stall reports through the real daemon: one record of each kind written to
// /dev/kmsg (root) becomes a counter, a history event naming the task, and a capture. Records
// written from user space are ignored by default (a kernel report only ever comes from the
// kernel); these tests accept them with kernel_log.accept_user_records.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

#include "forensics/store.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

double Value(const test::Daemon& daemon, const std::string& series) {
  return daemon.Metric(series).value_or(-1);
}

// One line per kind, with a task name unique to this test run where the kind names one.
std::map<std::string, std::string> Reports(const std::string& task) {
  return {
      {"hung_task", "INFO: task " + task + ":4242 blocked for more than 120 seconds."},
      {"task_blocked", "INFO: task " + task +
                           ":4243 is blocked on a mutex likely owned by task "
                           "kworker/0:1:12."},
      {"soft_lockup", "watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [" + task + ":4244]"},
      {"hard_lockup", "NMI watchdog: Watchdog detected hard LOCKUP on cpu 1"},
      {"rcu_stall", "rcu: INFO: rcu_preempt self-detected stall on CPU"},
      {"oom_kill", "Out of memory: Killed process 4245 (" + task +
                       ") total-vm:4194304kB, "
                       "anon-rss:3932160kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:7740kB "
                       "oom_score_adj:1000"},
      {"io_error",
       "I/O error, dev rhtest9, sector 2048 op 0x0:(READ) flags 0x80700 phys_seg 1 "
       "prio class 0"},
      {"machine_check", "mce: [Hardware Error]: Machine check events logged"},
  };
}

TEST(KernelReports, EachKindWrittenToTheKernelLogIsACounterAnEventAndACapture) {
  if (geteuid() != 0) GTEST_SKIP() << "writing /dev/kmsg needs root";
  test::TempDir dir;
  auto config = dir.Write("c.toml",
                          "[kernel_log]\naccept_user_records = true\n"
                          "[forensics]\nmin_interval_seconds = 0\n");
  test::Daemon daemon({"--config", config.string()});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  ASSERT_TRUE(test::WaitUntil(
      [&] { return Value(daemon, "rogue_hunter_kernel_log_readable") == 1; }, 15s, 100ms));
  for (const auto& [kind, text] : Reports("")) {
    EXPECT_EQ(Value(daemon, "rogue_hunter_kernel_reports_total{kind=\"" + kind + "\"}"), 0) << kind;
  }

  const std::string task = "rhtest" + std::to_string(getpid() % 100000);
  int kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(kmsg, 0);
  for (const auto& [kind, text] : Reports(task)) {
    const std::string line = "<3>" + text + "\n";
    ASSERT_EQ(write(kmsg, line.data(), line.size()), static_cast<ssize_t>(line.size())) << kind;
  }
  close(kmsg);

  for (const auto& [kind, text] : Reports(task)) {
    EXPECT_TRUE(test::WaitUntil(
        [&] {
          return Value(daemon, "rogue_hunter_kernel_reports_total{kind=\"" + kind + "\"}") == 1;
        },
        15s, 100ms))
        << kind << "\n"
        << daemon.process().Stderr();
  }
  EXPECT_THAT(daemon.process().Stderr(),
              HasSubstr("warning: kernel: hung task: INFO: task " + task + ":4242 blocked"));

  // Eight captures (one at a time, each about half a second); none failed or was dropped.
  EXPECT_TRUE(test::WaitUntil(
      [&] {
        return Value(daemon,
                     "rogue_hunter_forensics_captures_total{trigger=\"kernel\",result=\"ok\"}") ==
               8;
      },
      60s, 200ms))
      << daemon.process().Stderr();
  EXPECT_EQ(
      Value(daemon, "rogue_hunter_forensics_captures_total{trigger=\"kernel\",result=\"failed\"}"),
      0);

  // The history: one event per report, naming the task where the kernel did.
  const std::string db = (daemon.home() / ".local/share/rogue-hunter/data.db").string();
  std::vector<forensics::EventRecord> kernel;
  ASSERT_TRUE(test::WaitUntil(
      [&] {
        kernel.clear();
        auto store = forensics::Store::Open(db, {.read_only = true});
        if (!store.ok()) return false;
        auto events = (*store)->Events(0, 1e12);
        if (!events.ok()) return false;
        for (auto& e : *events) {
          if (e.kind == forensics::EventKind::kKernel) kernel.push_back(e);
        }
        return kernel.size() == 8;
      },
      15s, 200ms));
  std::map<std::string, const forensics::EventRecord*> by_kind;
  for (const auto& e : kernel) by_kind[e.notes.substr(0, e.notes.find(':'))] = &e;
  for (const auto& [kind, text] : Reports(task)) {
    ASSERT_TRUE(by_kind.count(kind)) << kind;
    EXPECT_THAT(by_kind[kind]->notes, HasSubstr(text)) << kind;
    EXPECT_THAT(by_kind[kind]->notes, HasSubstr("(written from user space)"));
  }
  ASSERT_FALSE(by_kind["hung_task"]->processes.empty());
  EXPECT_EQ(by_kind["hung_task"]->processes[0].list, "kernel");
  EXPECT_EQ(by_kind["hung_task"]->processes[0].pid, 4242);
  EXPECT_EQ(by_kind["hung_task"]->processes[0].comm, task);
  EXPECT_EQ(by_kind["oom_kill"]->processes[0].pid, 4245);

  // The bundle of the hung task says what the kernel reported.
  auto list = test::Run({test::BinaryPath("forensics/cli/rh-forensics").string(), "--events-dir",
                         (daemon.home() / ".local/share/rogue-hunter/events").string(), "show",
                         by_kind["hung_task"]->key});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("The kernel reported trouble at"));
  EXPECT_THAT(list.out, HasSubstr("hung task: INFO: task " + task + ":4242"));
}

TEST(KernelReports, RecordsFromUserSpaceAreNotKernelReportsByDefault) {
  if (geteuid() != 0) GTEST_SKIP() << "writing /dev/kmsg needs root";
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  ASSERT_TRUE(test::WaitUntil(
      [&] { return Value(daemon, "rogue_hunter_kernel_log_readable") == 1; }, 15s, 100ms));
  int kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(kmsg, 0);
  const std::string line = "<3>INFO: task forged:1 blocked for more than 120 seconds.\n";
  ASSERT_EQ(write(kmsg, line.data(), line.size()), static_cast<ssize_t>(line.size()));
  close(kmsg);
  // The record is read (the count of records moves) but is no report.
  const double before = Value(daemon, "rogue_hunter_kernel_log_records_total");
  ASSERT_TRUE(test::WaitUntil(
      [&] { return Value(daemon, "rogue_hunter_kernel_log_records_total") > before; }, 15s, 100ms));
  EXPECT_EQ(Value(daemon, "rogue_hunter_kernel_reports_total{kind=\"hung_task\"}"), 0);
}

TEST(KernelReports, AnUnreadableKernelLogIsAMetricAndALogLine) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to drop CAP_SYSLOG";
  if (!test::HaveProgram("setpriv")) GTEST_SKIP() << "setpriv (util-linux) is missing";
  // Without CAP_SYSLOG (and kernel.dmesg_restrict, as here) /dev/kmsg cannot be read.
  test::Daemon daemon({}, {}, 20s, {"setpriv", "--bounding-set=-syslog", "--inh-caps=-syslog"});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  ASSERT_TRUE(test::WaitUntil(
      [&] { return Value(daemon, "rogue_hunter_kernel_log_readable") == 0; }, 15s, 100ms))
      << daemon.process().Stderr();
  EXPECT_THAT(daemon.process().Stderr(),
              HasSubstr("warning: kernel log: /dev/kmsg: Operation not permitted"));
}

}  // namespace
}  // namespace rh

#include "analysis/kernel_reports.h"

#include <gtest/gtest.h>

namespace rh::analysis {
namespace {

struct Case {
  const char* text;
  KernelReportKind kind;
  const char* task;
  std::int32_t pid;
  const char* detail;
};

// The kernel's own lines (as /dev/kmsg gives their text), one per kind and variant.
const Case kCases[] = {
    {"INFO: task jbd2/sda1-8:815 blocked for more than 120 seconds.", KernelReportKind::kHungTask,
     "jbd2/sda1-8", 815, "blocked for more than 120 seconds"},
    {"INFO: task kworker/u16:3:2211 blocked for more than 245 seconds.",
     KernelReportKind::kHungTask, "kworker/u16:3", 2211, "blocked for more than 245 seconds"},
    {"INFO: task postgres:4242 is blocked on a mutex likely owned by task rsync:2950.",
     KernelReportKind::kTaskBlocked, "postgres", 4242,
     "is blocked on a mutex likely owned by task rsync:2950"},
    {"INFO: task a:1 is blocked on a semaphore, but the last holder is not known.",
     KernelReportKind::kTaskBlocked, "a", 1,
     "is blocked on a semaphore, but the last holder is not known"},
    {"watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [stress-ng:31337]",
     KernelReportKind::kSoftLockup, "stress-ng", 31337, "CPU#3 stuck for 22s"},
    {"NMI watchdog: Watchdog detected hard LOCKUP on cpu 5", KernelReportKind::kHardLockup, "", 0,
     "cpu 5"},
    {"watchdog: CPU1: Watchdog detected hard LOCKUP on cpu 0", KernelReportKind::kHardLockup, "", 0,
     "cpu 0"},
    {"rcu: INFO: rcu_sched detected stalls on CPUs/tasks:", KernelReportKind::kRcuStall, "", 0,
     "rcu_sched detected stalls on CPUs/tasks"},
    {"rcu: INFO: rcu_preempt self-detected stall on CPU", KernelReportKind::kRcuStall, "", 0,
     "rcu_preempt self-detected stall on CPU"},
    {"rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 1-... } 21002 jiffies",
     KernelReportKind::kRcuStall, "", 0, "rcu_preempt detected expedited stalls on CPUs/tasks"},
    {"Out of memory: Killed process 7777 (stress-ng) total-vm:4194304kB, anon-rss:3932160kB, "
     "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:7740kB oom_score_adj:1000",
     KernelReportKind::kOomKill, "stress-ng", 7777, "out of memory"},
    {"Memory cgroup out of memory: Killed process 99 (java) total-vm:1kB, anon-rss:1kB",
     KernelReportKind::kOomKill, "java", 99, "memory cgroup out of memory"},
    {"Killed process 12 (old kernel)", KernelReportKind::kOomKill, "old kernel", 12,
     "out of memory"},
    {"I/O error, dev sda, sector 2048 op 0x0:(READ) flags 0x80700 phys_seg 1 prio class 0",
     KernelReportKind::kIoError, "", 0, "I/O error, dev sda"},
    {"critical medium error, dev nvme0n1, sector 1234 op 0x1:(WRITE) flags 0x0 phys_seg 1",
     KernelReportKind::kIoError, "", 0, "critical medium error, dev nvme0n1"},
    {"blk_update_request: I/O error, dev vdb, sector 77 op 0x1:(WRITE)", KernelReportKind::kIoError,
     "", 0, "I/O error, dev vdb"},
    {"Buffer I/O error on dev sdb1, logical block 0, async page read", KernelReportKind::kIoError,
     "", 0, "dev sdb1"},
    {"mce: [Hardware Error]: Machine check events logged", KernelReportKind::kMachineCheck, "", 0,
     "machine check events logged"},
    {"mce: [Hardware Error]: CPU 2: Machine Check Exception: 5 Bank 4: b200000000070005",
     KernelReportKind::kMachineCheck, "", 0, "machine check exception"},
};

TEST(RecognizeKernelReport, EveryKind) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.text);
    auto r = RecognizeKernelReport(c.text);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->kind, c.kind);
    EXPECT_EQ(r->task, c.task);
    EXPECT_EQ(r->pid, c.pid);
    EXPECT_EQ(r->detail, c.detail);
  }
}

TEST(RecognizeKernelReport, OrdinaryLinesAndTheRestOfAReportAreNone) {
  for (const char* text : {
           "", "usb 1-1: new high-speed USB device number 2 using xhci_hcd",
           "      Not tainted 6.1.0-27-amd64 #1 Debian 6.1.115-1",
           "\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.",
           "task:rsync           state:D stack:0     pid:2950  ppid:1      flags:0x00004000",
           "rcu: \t0-...0: (1 GPs behind) idle=b2c/1/0x4000000000000000",
           "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),task=stress-ng,pid=7777,uid=0",
           "mce: [Hardware Error]: TSC 0 ADDR fef1a140",
           "EXT4-fs error (device sda1): ext4_find_entry:1445: reading directory lblock 0",
           "INFO: task rsync:2950",  // cut short before the kernel's words
       }) {
    EXPECT_FALSE(RecognizeKernelReport(text).has_value()) << text;
  }
}

TEST(RecognizeKernelReport, HostileTaskNamesCannotForgeOrBreakAReport) {
  // The name holds the kernel's words, colons, parentheses, brackets and escaped bytes.
  auto hung =
      RecognizeKernelReport("INFO: task x blocked for:9 blocked for more than 120 seconds.");
  ASSERT_TRUE(hung);
  EXPECT_EQ(hung->task, "x blocked for");
  EXPECT_EQ(hung->pid, 9);
  auto colon = RecognizeKernelReport("INFO: task a:b:c\\x0a:12 blocked for more than 1 seconds.");
  ASSERT_TRUE(colon);
  EXPECT_EQ(colon->task, "a:b:c\\x0a");
  EXPECT_EQ(colon->pid, 12);
  auto oom = RecognizeKernelReport(
      "Out of memory: Killed process 5 (a) total-vm:1 (b) total-vm:4kB, anon-rss:0kB");
  ASSERT_TRUE(oom);
  EXPECT_EQ(oom->task, "a) total-vm:1 (b");
  auto soft = RecognizeKernelReport("watchdog: BUG: soft lockup - CPU#0 stuck for 23s! [x] [y:1]");
  ASSERT_TRUE(soft);
  EXPECT_EQ(soft->task, "x] [y");
  EXPECT_EQ(soft->pid, 1);
  // A pid that is not a number, zero or too long: not a hung task.
  EXPECT_FALSE(RecognizeKernelReport("INFO: task a:x blocked for more than 120 seconds."));
  EXPECT_FALSE(RecognizeKernelReport("INFO: task a:0 blocked for more than 120 seconds."));
  EXPECT_FALSE(RecognizeKernelReport("INFO: task a:99999999999 blocked for more than 1 seconds."));
  // A name printed inside another message is not the kernel's report.
  EXPECT_FALSE(RecognizeKernelReport("audit: comm=\"I/O error, dev x\" exe=/bin/sh"));
  EXPECT_FALSE(RecognizeKernelReport("traps: Killed process 1 (x)[1] general protection"));
}

TEST(RecognizeKernelReport, CutShortReportsKeepTheirKind) {
  auto soft = RecognizeKernelReport("watchdog: BUG: soft lockup - CPU#3 stuck for 2");
  ASSERT_TRUE(soft);
  EXPECT_EQ(soft->kind, KernelReportKind::kSoftLockup);
  EXPECT_EQ(soft->task, "");
  auto hard = RecognizeKernelReport("Watchdog detected hard LOCKUP on cpu");
  ASSERT_TRUE(hard);
  EXPECT_EQ(hard->detail, "cpu ");
  auto oom = RecognizeKernelReport("Out of memory: Killed process 7777 (stress-");
  ASSERT_TRUE(oom);
  EXPECT_EQ(oom->task, "stress-");
  EXPECT_FALSE(RecognizeKernelReport("Out of memory: Killed process 7777"));
  EXPECT_FALSE(RecognizeKernelReport("I/O error, dev "));
}

TEST(RecognizeKernelReport, KindNamesAndTexts) {
  for (std::size_t i = 0; i < kKernelReportKinds; ++i) {
    auto kind = static_cast<KernelReportKind>(i);
    EXPECT_FALSE(Name(kind).empty());
    EXPECT_FALSE(KindText(kind).empty());
  }
  EXPECT_EQ(Name(KernelReportKind::kRcuStall), "rcu_stall");
}

}  // namespace
}  // namespace rh::analysis

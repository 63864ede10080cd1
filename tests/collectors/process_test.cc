#include "collectors/process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/collectors/child_process.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::collectors {
namespace {

// A /proc/PID/stat line of a current kernel (52 fields) with the given pid, comm and state.
std::string StatLine(int pid, std::string_view comm, char state, std::uint64_t utime = 0,
                     std::uint64_t stime = 0, std::uint64_t start = 1000, std::int64_t rss = 100,
                     int threads = 1) {
  return std::to_string(pid) + " (" + std::string(comm) + ") " + state +
         " 1 100 100 0 -1 4194304 150 0 2 0 " + std::to_string(utime) + " " +
         std::to_string(stime) + " 0 0 20 0 " + std::to_string(threads) + " 0 " +
         std::to_string(start) + " 2801664 " + std::to_string(rss) +
         " 18446744073709551615 94876432691200 94876432705841 140729851215056 0 0 0 0 0 0 1 0 0 17"
         " 1 0 0 7 0 0 94876432720841 94876432722481 94876632705841 140729851221056"
         " 140729851221076 140729851221076 140729851222456 0\n";
}

CollectorOptions FixedOptions() {
  CollectorOptions options;
  options.clock_ticks_per_second = 100;
  options.page_size = 4096;
  return options;
}

std::vector<int> Pids(const std::vector<TopProcess>& list) {
  std::vector<int> pids;
  for (const auto& p : list) pids.push_back(p.pid);
  return pids;
}

TEST(ParseProcessStat, ReadsTheFieldsWeUse) {
  auto r = ParseProcessStat(
      "1 (systemd) S 0 1 1 0 -1 4194560 48213 912344 112 2301 152 287 1893 1021 20 0 1 0 24 "
      "22417408 3211 18446744073709551615 94863127711744 94863128720941 140727603862416 0 0 0 0 "
      "4096 1260 1 0 0 17 1 0 0 37 0 0 94863128735941 94863128737581 94863328720941 "
      "140727603868416 140727603868436 140727603868436 140727603869816 0\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->pid, 1);
  EXPECT_EQ(r->comm, "systemd");
  EXPECT_EQ(r->state, 'S');
  EXPECT_EQ(r->ppid, 0);
  EXPECT_EQ(r->minor_faults, 48213u);
  EXPECT_EQ(r->major_faults, 112u);
  EXPECT_EQ(r->utime_ticks, 152u);
  EXPECT_EQ(r->stime_ticks, 287u);
  EXPECT_EQ(r->threads, 1);
  EXPECT_EQ(r->start_ticks, 24u);
  EXPECT_EQ(r->rss_pages, 3211);
  EXPECT_EQ(r->processor, 1);
  EXPECT_EQ(r->blkio_ticks, 37u);
}

TEST(ParseProcessStat, CommMayHoldAnyBytes) {
  const std::string names[] = {
      "a) R 1 (b", ") R 1 (",  "two\nlines", "quo\"te", "back\\slash", "\xff\xfe",     "",
      "((()))",    " spaced ", "tab\there",  "a)",      ")",           "x) S 5 (y) Z",
  };
  for (const std::string& name : names) {
    auto r = ParseProcessStat(StatLine(4100, name, 'D', 7, 3));
    ASSERT_TRUE(r.ok()) << "comm '" << name << "': " << r.error().message;
    EXPECT_EQ(r->comm, name);
    EXPECT_EQ(r->pid, 4100);
    EXPECT_EQ(r->state, 'D');
    EXPECT_EQ(r->ppid, 1);
    EXPECT_EQ(r->utime_ticks, 7u);
    EXPECT_EQ(r->stime_ticks, 3u);
  }
}

TEST(ParseProcessStat, MissingParenthesisIsAnError) {
  EXPECT_FALSE(
      ParseProcessStat("4100 (sleepy S 1 100 100 0 -1 4194304 150 0 2 0 1 2 0 0 20 0 1 0 5 6 7")
          .ok());
  EXPECT_FALSE(ParseProcessStat("4100 sleepy) S 1").ok());
  EXPECT_FALSE(ParseProcessStat("").ok());
  auto r = ParseProcessStat("4100 (sleepy");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("')'"), std::string::npos) << r.error().message;
}

TEST(ParseProcessStat, AcceptsOldKernelsAndNoTrailingNewline) {
  // Fields up to rss only: no processor (39) or delayacct_blkio_ticks (42).
  auto r = ParseProcessStat("77 (old) R 1 77 77 0 -1 0 10 0 1 0 50 60 0 0 20 0 1 0 900 1000 42");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->rss_pages, 42);
  EXPECT_EQ(r->start_ticks, 900u);
  EXPECT_EQ(r->processor, -1);
  EXPECT_EQ(r->blkio_ticks, 0u);
  std::string line = StatLine(5, "x", 'R', 1, 2);
  line.pop_back();
  EXPECT_TRUE(ParseProcessStat(line).ok());
}

TEST(ParseProcessStat, RejectsTruncatedLines) {
  auto r = ParseProcessStat("77 (old) R 1 77 77 0 -1 0 10 0 1 0 50 60 0 0 20 0 1 0 900 1000\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("truncated"), std::string::npos) << r.error().message;
  EXPECT_FALSE(ParseProcessStat("77 (old)").ok());
  EXPECT_FALSE(ParseProcessStat("77 (old)\n").ok());
  EXPECT_FALSE(ParseProcessStat("77 (old) R\n").ok());
}

TEST(ParseProcessStat, HugeNumbers) {
  auto r = ParseProcessStat(StatLine(9, "big", 'R', 18446744073709551615u, 0, 18446744073709551615u,
                                     9223372036854775807));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->utime_ticks, 18446744073709551615u);
  EXPECT_EQ(r->start_ticks, 18446744073709551615u);
  EXPECT_EQ(r->rss_pages, 9223372036854775807);

  std::string line = StatLine(9, "big", 'R', 1, 2);
  line.replace(line.find(" 1 2 "), 5, " 18446744073709551616 2 ");
  auto over = ParseProcessStat(line);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("field 14 (utime)"), std::string::npos)
      << over.error().message;
  EXPECT_NE(over.error().message.find("18446744073709551616"), std::string::npos);
  EXPECT_TRUE(ParseProcessStat(StatLine(2147483647, "p", 'S')).ok());
  EXPECT_FALSE(ParseProcessStat("2147483648 (p) S" + StatLine(1, "p", 'S').substr(7)).ok());
}

TEST(ParseProcessStat, GarbageFieldsAreNamed) {
  auto state = ParseProcessStat(StatLine(9, "p", 'S').replace(6, 1, "SS"));
  ASSERT_FALSE(state.ok());
  EXPECT_NE(state.error().message.find("field 3 (state)"), std::string::npos)
      << state.error().message;
  std::string line = StatLine(9, "p", 'S');
  line.replace(line.find(" 1 100 "), 7, " one 100 ");
  auto ppid = ParseProcessStat(line);
  ASSERT_FALSE(ppid.ok());
  EXPECT_NE(ppid.error().message.find("field 4 (ppid)"), std::string::npos) << ppid.error().message;
  EXPECT_NE(ppid.error().message.find("'one'"), std::string::npos) << ppid.error().message;
  EXPECT_FALSE(ParseProcessStat("x9 (p) S" + StatLine(9, "p", 'S').substr(7)).ok());
  EXPECT_FALSE(ParseProcessStat("0 (p) S" + StatLine(9, "p", 'S').substr(7)).ok());
  EXPECT_FALSE(ParseProcessStat(" (p) S" + StatLine(9, "p", 'S').substr(7)).ok());
}

TEST(ProcessCollector, ReadsFixtureTree) {
  ProcRoot root(test::FixturesDir() / "proc", test::FixturesDir() / "sys");
  CollectorOptions options = FixedOptions();
  options.top_n = 3;
  auto collector = MakeProcessCollector(root, options);
  EXPECT_EQ(collector->name(), "processes");
  SystemSample sample;
  sample.clock.monotonic_ns = 5'000'000'000;
  Status s = collector->Collect(sample);
  ASSERT_TRUE(s.ok()) << s.error().message;
  const ProcessTable& t = sample.processes;
  EXPECT_EQ(t.counts.total, 9u);
  EXPECT_EQ(t.counts.running, 1u);   // 3210 cc1plus
  EXPECT_EQ(t.counts.sleeping, 4u);  // 1, 2, 612, 4100
  EXPECT_EQ(t.counts.blocked, 1u);   // 2950 rsync
  EXPECT_EQ(t.counts.zombie, 1u);    // 3001 sh
  EXPECT_EQ(t.counts.stopped, 1u);   // 2200 vim
  EXPECT_EQ(t.counts.idle, 1u);      // 15 rcu_preempt
  EXPECT_EQ(t.counts.other, 0u);
  EXPECT_EQ(t.counts.threads, 20u);  // python3 has 12

  // First pass: no CPU ratio yet, so the lowest PIDs.
  EXPECT_EQ(Pids(t.top_cpu), (std::vector<int>{1, 2, 15}));
  for (const auto& p : t.top_cpu) EXPECT_EQ(p.cpu_ratio, 0);
  EXPECT_EQ(t.top_cpu[0].comm, "systemd");
  EXPECT_EQ(t.top_cpu[0].cpu_ticks, 152u + 287u);
  EXPECT_EQ(t.top_cpu[0].major_faults, 112u);

  ASSERT_EQ(Pids(t.top_rss), (std::vector<int>{3210, 612, 1}));
  EXPECT_EQ(t.top_rss[0].comm, "cc1plus");
  EXPECT_EQ(t.top_rss[0].state, 'R');
  EXPECT_EQ(t.top_rss[0].rss_bytes, 60000u * 4096);
  EXPECT_EQ(t.top_rss[0].cpu_ticks, 4521u + 310u);
  EXPECT_EQ(t.top_rss[1].rss_bytes, 25600u * 4096);
  EXPECT_EQ(t.top_rss[2].rss_bytes, 3211u * 4096);

  ASSERT_EQ(t.blocked.size(), 1u);
  EXPECT_EQ(t.blocked[0].pid, 2950);
  EXPECT_EQ(t.blocked[0].comm, "rsync");
  EXPECT_EQ(t.blocked[0].wchan, "io_schedule");

  // The process named "a) R 1 (b" is read whole, and is sleeping, not running.
  CollectorOptions all = FixedOptions();
  all.top_n = 100;
  auto everything = MakeProcessCollector(root, all);
  ASSERT_TRUE(everything->Collect(sample).ok());
  ASSERT_EQ(sample.processes.top_rss.size(), 9u);
  auto weird = std::find_if(sample.processes.top_rss.begin(), sample.processes.top_rss.end(),
                            [](const TopProcess& p) { return p.pid == 4100; });
  ASSERT_NE(weird, sample.processes.top_rss.end());
  EXPECT_EQ(weird->comm, "a) R 1 (b");
  EXPECT_EQ(weird->state, 'S');
  EXPECT_EQ(Pids(sample.processes.top_rss),
            (std::vector<int>{3210, 612, 1, 2200, 4100, 2950, 2, 15, 3001}));
}

TEST(ProcessCollector, CpuRatioFromTwoPassesAndTheSampleClock) {
  test::TempDir dir;
  dir.Write("proc/100/stat", StatLine(100, "busy", 'R', 100, 50, 1000));
  dir.Write("proc/200/stat", StatLine(200, "reused", 'S', 10, 0, 2000));
  dir.Write("proc/300/stat", StatLine(300, "half", 'R', 500, 0, 3000));
  dir.Write("proc/350/stat", StatLine(350, "gone", 'R', 0, 0, 3500));
  auto collector = MakeProcessCollector(ProcRoot(dir / "proc", dir / "sys"), FixedOptions());
  SystemSample first;
  first.clock.monotonic_ns = 10'000'000'000;
  ASSERT_TRUE(collector->Collect(first).ok());
  for (const auto& p : first.processes.top_cpu) EXPECT_EQ(p.cpu_ratio, 0) << p.pid;

  // Two seconds later by the sample clock (no sleeping).
  dir.Write("proc/100/stat", StatLine(100, "busy", 'R', 250, 100, 1000));   // +200 ticks: 2 s
  dir.Write("proc/200/stat", StatLine(200, "newcomer", 'R', 40, 0, 2500));  // PID reused
  dir.Write("proc/300/stat", StatLine(300, "half", 'R', 600, 0, 3000));     // +100 ticks: 1 s
  std::filesystem::remove_all(dir / "proc/350");
  dir.Write("proc/400/stat", StatLine(400, "new", 'R', 900, 0, 4000));  // appeared
  SystemSample second;
  second.clock.monotonic_ns = 12'000'000'000;
  ASSERT_TRUE(collector->Collect(second).ok());
  const auto& top = second.processes.top_cpu;
  ASSERT_EQ(Pids(top), (std::vector<int>{100, 300, 200, 400}));
  EXPECT_DOUBLE_EQ(top[0].cpu_ratio, 1.0);
  EXPECT_DOUBLE_EQ(top[1].cpu_ratio, 0.5);
  EXPECT_EQ(top[2].cpu_ratio, 0);  // not (40 - 10) ticks: another process
  EXPECT_EQ(top[2].comm, "newcomer");
  EXPECT_EQ(top[3].cpu_ratio, 0);
  EXPECT_EQ(top[0].cpu_ticks, 350u);

  // Half a second later, 50 more ticks for 300 only.
  dir.Write("proc/300/stat", StatLine(300, "half", 'R', 650, 0, 3000));
  SystemSample third;
  third.clock.monotonic_ns = 12'500'000'000;
  ASSERT_TRUE(collector->Collect(third).ok());
  EXPECT_EQ(Pids(third.processes.top_cpu), (std::vector<int>{300, 100, 200, 400}));
  EXPECT_DOUBLE_EQ(third.processes.top_cpu[0].cpu_ratio, 1.0);
  EXPECT_EQ(third.processes.top_cpu[1].cpu_ratio, 0);
}

TEST(ProcessCollector, ClockNotAdvancingGivesNoRatio) {
  test::TempDir dir;
  dir.Write("proc/100/stat", StatLine(100, "busy", 'R', 100, 0));
  auto collector = MakeProcessCollector(ProcRoot(dir / "proc", dir / "sys"), FixedOptions());
  SystemSample sample;
  sample.clock.monotonic_ns = 1'000'000'000;
  ASSERT_TRUE(collector->Collect(sample).ok());
  dir.Write("proc/100/stat", StatLine(100, "busy", 'R', 200, 0));
  ASSERT_TRUE(collector->Collect(sample).ok());
  EXPECT_EQ(sample.processes.top_cpu.at(0).cpu_ratio, 0);
}

TEST(ProcessCollector, SkipsPidDirectoriesWithoutStatAndOtherEntries) {
  test::TempDir dir;
  dir.Write("proc/10/stat", StatLine(10, "ten", 'S'));
  dir.Write("proc/11/status", "Name:\tvanished\n");  // exited between readdir and read
  dir.Write("proc/12abc/stat", StatLine(12, "not-a-pid", 'S'));
  dir.Write("proc/self/stat", StatLine(10, "ten", 'S'));
  dir.Write("proc/loadavg", "0.00 0.00 0.00 1/1 1\n");
  dir.Write("proc/13/stat", StatLine(13, "thirteen", 'Z'));
  auto collector = MakeProcessCollector(ProcRoot(dir / "proc", dir / "sys"), FixedOptions());
  SystemSample sample;
  Status s = collector->Collect(sample);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(sample.processes.counts.total, 2u);
  EXPECT_EQ(sample.processes.counts.sleeping, 1u);
  EXPECT_EQ(sample.processes.counts.zombie, 1u);
  EXPECT_EQ(Pids(sample.processes.top_rss), (std::vector<int>{10, 13}));
}

TEST(ProcessCollector, GarbledStatFailsNamingTheFile) {
  test::TempDir dir;
  dir.Write("proc/10/stat", StatLine(10, "ten", 'S'));
  dir.Write("proc/11/stat", "11 (eleven");
  auto collector = MakeProcessCollector(ProcRoot(dir / "proc", dir / "sys"), FixedOptions());
  SystemSample sample;
  Status s = collector->Collect(sample);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("11/stat"), std::string::npos) << s.error().message;
  EXPECT_EQ(sample.processes.counts.total, 0u);
  EXPECT_TRUE(sample.processes.top_rss.empty());
}

TEST(ProcessCollector, CountsEveryStateLetter) {
  test::TempDir dir;
  const std::string states = "RSDZTtIXxKWPQ";
  for (std::size_t i = 0; i < states.size(); ++i) {
    int pid = static_cast<int>(i) + 1;
    dir.Write("proc/" + std::to_string(pid) + "/stat",
              StatLine(pid, "p", states[i], 0, 0, 1, 1, 3));
  }
  CollectorOptions options = FixedOptions();
  options.max_blocked = 0;
  auto collector = MakeProcessCollector(ProcRoot(dir / "proc", dir / "sys"), options);
  SystemSample sample;
  ASSERT_TRUE(collector->Collect(sample).ok());
  const ProcessCounts& c = sample.processes.counts;
  EXPECT_EQ(c.running, 1u);
  EXPECT_EQ(c.sleeping, 1u);
  EXPECT_EQ(c.blocked, 1u);
  EXPECT_EQ(c.zombie, 1u);
  EXPECT_EQ(c.stopped, 2u);
  EXPECT_EQ(c.idle, 1u);
  EXPECT_EQ(c.other, 6u);
  EXPECT_EQ(c.total, 13u);
  EXPECT_EQ(c.threads, 39u);
  EXPECT_TRUE(sample.processes.blocked.empty());  // max_blocked = 0
}

TEST(ProcessCollector, BlockedTasksAreCappedInPidOrderWithWaitChannel) {
  test::TempDir dir;
  for (int pid : {50, 7, 300, 42}) {
    dir.Write("proc/" + std::to_string(pid) + "/stat",
              StatLine(pid, "d" + std::to_string(pid), 'D'));
  }
  dir.Write("proc/7/wchan", "io_schedule");
  dir.Write("proc/42/wchan", "0");  // no symbol: running, or not permitted to see it
  dir.Write("proc/300/wchan", "folio_wait_bit_common");
  // 50 has no readable wchan.
  CollectorOptions options = FixedOptions();
  options.max_blocked = 3;
  auto collector = MakeProcessCollector(ProcRoot(dir / "proc", dir / "sys"), options);
  SystemSample sample;
  ASSERT_TRUE(collector->Collect(sample).ok());
  const auto& blocked = sample.processes.blocked;
  ASSERT_EQ(blocked.size(), 3u);
  EXPECT_EQ(blocked[0].pid, 7);
  EXPECT_EQ(blocked[0].comm, "d7");
  EXPECT_EQ(blocked[0].wchan, "io_schedule");
  EXPECT_EQ(blocked[1].pid, 42);
  EXPECT_EQ(blocked[1].wchan, "");
  EXPECT_EQ(blocked[2].pid, 50);
  EXPECT_EQ(blocked[2].wchan, "");
  EXPECT_EQ(sample.processes.counts.blocked, 4u);  // counted even when not listed
}

TEST(ProcessCollector, TiesAreBrokenByPid) {
  test::TempDir dir;
  for (int pid : {9, 3, 27, 5}) {
    dir.Write("proc/" + std::to_string(pid) + "/stat", StatLine(pid, "same", 'S', 0, 0, 1, 500));
  }
  dir.Write("proc/8/stat", StatLine(8, "bigger", 'S', 0, 0, 1, 501));
  CollectorOptions options = FixedOptions();
  options.top_n = 4;
  auto collector = MakeProcessCollector(ProcRoot(dir / "proc", dir / "sys"), options);
  SystemSample sample;
  ASSERT_TRUE(collector->Collect(sample).ok());
  EXPECT_EQ(Pids(sample.processes.top_rss), (std::vector<int>{8, 3, 5, 9}));
  EXPECT_EQ(Pids(sample.processes.top_cpu), (std::vector<int>{3, 5, 8, 9}));
  options.top_n = 0;
  auto none = MakeProcessCollector(ProcRoot(dir / "proc", dir / "sys"), options);
  ASSERT_TRUE(none->Collect(sample).ok());
  EXPECT_TRUE(sample.processes.top_rss.empty());
  EXPECT_TRUE(sample.processes.top_cpu.empty());
}

// A real process whose name holds ") R 1 (", a newline, a quote and a backslash.
TEST(ProcessCollector, ReadsARealProcessWithAHostileName) {
  const std::string name = "a) R 1 (b\n\"\\";
  ASSERT_LE(name.size(), 15u);
  test::WaitingChild child(name);
  ASSERT_GT(child.pid(), 0);

  auto text = ReadWholeFile(ProcRoot(), "proc", std::to_string(child.pid()) + "/stat");
  ASSERT_TRUE(text.ok()) << text.error().message;
  auto stat = ParseProcessStat(*text);
  ASSERT_TRUE(stat.ok()) << stat.error().message;
  EXPECT_EQ(stat->pid, child.pid());
  EXPECT_EQ(stat->comm, name);
  EXPECT_EQ(stat->ppid, getpid());
  EXPECT_TRUE(stat->state == 'S' || stat->state == 'R') << stat->state;  // about to block

  CollectorOptions options;
  options.top_n = 1'000'000;
  auto collector = MakeProcessCollector(ProcRoot(), options);
  SystemSample sample;
  Status s = collector->Collect(sample);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_GE(sample.processes.counts.total, 2u);
  EXPECT_EQ(sample.processes.top_rss.size(), sample.processes.counts.total);
  auto found = std::find_if(sample.processes.top_rss.begin(), sample.processes.top_rss.end(),
                            [&](const TopProcess& p) { return p.pid == child.pid(); });
  ASSERT_NE(found, sample.processes.top_rss.end());
  EXPECT_EQ(found->comm, name);
  auto self = std::find_if(sample.processes.top_rss.begin(), sample.processes.top_rss.end(),
                           [&](const TopProcess& p) { return p.pid == getpid(); });
  ASSERT_NE(self, sample.processes.top_rss.end());
  // Our main thread waits while the collector's scanner thread reads /proc.
  EXPECT_TRUE(self->state == 'S' || self->state == 'R') << self->state;
  EXPECT_GT(self->rss_bytes, 0u);

  pid_t pid = child.pid();
  child.Kill();
  ASSERT_TRUE(collector->Collect(sample).ok());
  EXPECT_TRUE(std::none_of(sample.processes.top_rss.begin(), sample.processes.top_rss.end(),
                           [&](const TopProcess& p) { return p.pid == pid; }));
}

// A copy of the fixture tree in which reading proc/<pid>/stat of chosen PIDs hangs: a FIFO
// without a writer blocks open(), as a /proc file of a task stuck in the kernel can.
class HangingTree {
 public:
  HangingTree() {
    std::filesystem::copy(test::FixturesDir(), dir_.path(),
                          std::filesystem::copy_options::recursive);
  }
  ~HangingTree() { Release(); }

  void Hang(int pid) {
    const auto stat = dir_ / "proc" / std::to_string(pid) / "stat";
    hung_.emplace_back(stat, test::ReadFileOrFail(stat));
    std::filesystem::remove(stat);
    EXPECT_EQ(mkfifo(stat.c_str(), 0600), 0);
  }

  // Puts the real files back, then lets every read blocked on a FIFO go on (it fails).
  void Release() {
    for (const auto& [stat, original] : hung_) {
      const std::string fifo = stat.string() + ".fifo";
      const std::string fresh = stat.string() + ".new";
      if (link(stat.c_str(), fifo.c_str()) != 0) continue;
      std::ofstream(fresh) << original;
      std::filesystem::rename(fresh, stat);
      const int fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
      if (fd >= 0) close(fd);
      std::filesystem::remove(fifo);
    }
    hung_.clear();
  }

  ProcRoot root() const { return ProcRoot(dir_ / "proc", dir_ / "sys"); }
  std::filesystem::path Path(const std::string& relative) const { return dir_ / relative; }

 private:
  test::TempDir dir_;
  std::vector<std::pair<std::filesystem::path, std::string>> hung_;
};

TEST(ProcessCollector, AHangingReadIsGivenUpAndItsPidSkippedUntilItReturns) {
  HangingTree tree;
  tree.Hang(2200);
  CollectorOptions options = FixedOptions();
  options.read_timeout = std::chrono::milliseconds(200);
  auto collector = MakeProcessCollector(tree.root(), options);
  SystemSample sample;
  const auto begin = std::chrono::steady_clock::now();
  Status first = collector->Collect(sample);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(2)) << "not stalled";
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().message,
            tree.Path("proc/2200/stat").string() +
                ": read blocked for more than 200 ms; PID 2200 is skipped until it returns");

  // The next passes read every other process.
  for (int pass = 0; pass < 2; ++pass) {
    sample.clock.monotonic_ns += 1'000'000'000;
    Status next = collector->Collect(sample);
    ASSERT_TRUE(next.ok()) << next.error().message;
    EXPECT_EQ(sample.processes.counts.total, 8u);
    EXPECT_EQ(sample.processes.counts.stopped, 0u) << "2200 (vim) is the stopped one";
  }

  // Once the read returns, the PID is read again.
  tree.Release();
  ASSERT_TRUE(test::WaitUntil(
      [&] {
        sample.clock.monotonic_ns += 1'000'000'000;
        return collector->Collect(sample).ok() && sample.processes.counts.total == 9u;
      },
      std::chrono::seconds(10), std::chrono::milliseconds(10)));
  EXPECT_EQ(sample.processes.counts.stopped, 1u);
}

TEST(ProcessCollector, AtMostFourReadsAreLeftHanging) {
  HangingTree tree;
  for (int pid : {1, 2, 15, 612, 2200}) tree.Hang(pid);
  CollectorOptions options = FixedOptions();
  options.read_timeout = std::chrono::milliseconds(100);
  auto collector = MakeProcessCollector(tree.root(), options);
  SystemSample sample;
  for (int pass = 0; pass < 4; ++pass) {  // each pass hangs on the next FIFO
    Status s = collector->Collect(sample);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("read blocked"), std::string::npos) << s.error().message;
  }
  const auto begin = std::chrono::steady_clock::now();
  Status capped = collector->Collect(sample);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(50));
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.error().message,
            "4 reads of the process table are hung; it is not read until one returns");
}

TEST(ProcessCollector, ThreadsInDStateAreListedWithTheirThreadIdAndWaitChannel) {
  test::TempDir dir;
  std::filesystem::copy(test::FixturesDir(), dir.path(), std::filesystem::copy_options::recursive);
  // python3 (612) has 12 threads in the fixture; two of them are blocked, its main thread is not.
  dir.Write("proc/612/task/612/stat", StatLine(612, "python3", 'S', 0, 0, 1000, 100, 12));
  dir.Write("proc/612/task/613/stat", StatLine(613, "loader", 'S', 0, 0, 1000, 100, 12));
  dir.Write("proc/612/task/640/stat", StatLine(640, "writer 2", 'D', 0, 0, 1000, 100, 12));
  dir.Write("proc/612/task/640/wchan", "jbd2_log_wait_commit");
  dir.Write("proc/612/task/615/stat", StatLine(615, "fsync", 'D', 0, 0, 1000, 100, 12));
  dir.Write("proc/612/task/615/wchan", "0");
  ProcRoot root(dir / "proc", dir / "sys");
  auto collector = MakeProcessCollector(root, FixedOptions());
  SystemSample sample;
  ASSERT_TRUE(collector->Collect(sample).ok());
  const auto& blocked = sample.processes.blocked;
  ASSERT_EQ(blocked.size(), 3u);
  EXPECT_EQ(blocked[0].pid, 612);
  EXPECT_EQ(blocked[0].tid, 615);
  EXPECT_EQ(blocked[0].comm, "fsync");
  EXPECT_EQ(blocked[0].wchan, "");
  EXPECT_EQ(blocked[1].tid, 640);
  EXPECT_EQ(blocked[1].comm, "writer 2");
  EXPECT_EQ(blocked[1].wchan, "jbd2_log_wait_commit");
  EXPECT_EQ(blocked[2].pid, 2950);
  EXPECT_EQ(blocked[2].tid, 2950) << "a main thread has tid = pid";
  EXPECT_EQ(sample.processes.counts.blocked, 1u) << "counts stay by process (main thread)";

  CollectorOptions capped = FixedOptions();
  capped.max_blocked = 1;
  auto one = MakeProcessCollector(root, capped);
  ASSERT_TRUE(one->Collect(sample).ok());
  ASSERT_EQ(sample.processes.blocked.size(), 1u);
  EXPECT_EQ(sample.processes.blocked[0].tid, 615);
}

TEST(ProcessCollector, WithoutATimeoutItReadsOnTheCallingThread) {
  ProcRoot root(test::FixturesDir() / "proc", test::FixturesDir() / "sys");
  CollectorOptions options = FixedOptions();
  options.read_timeout = std::chrono::milliseconds(0);
  auto collector = MakeProcessCollector(root, options);
  SystemSample sample;
  ASSERT_TRUE(collector->Collect(sample).ok());
  EXPECT_EQ(sample.processes.counts.total, 9u);
}

}  // namespace
}  // namespace rh::collectors

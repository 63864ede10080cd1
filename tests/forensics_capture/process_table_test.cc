#include "forensics/capture/process_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "collectors/process.h"
#include "forensics/capture/bundle_files.h"
#include "forensics/sample_json.h"
#include "tests/collectors/child_process.h"
#include "tests/forensics_capture/proc_helpers.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::forensics {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Steady = std::chrono::steady_clock;

constexpr char kContainer[] = "3f1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a";

TEST(ParseStatusUid, TheRealUid) {
  EXPECT_EQ(ParseStatusUid("Name:\tbash\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t1000\n"), 1000u);
  EXPECT_EQ(ParseStatusUid("Name:\tx\n"), std::nullopt);
  EXPECT_EQ(ParseStatusUid("Uid:\tgarbage\n"), std::nullopt);
  EXPECT_EQ(ParseStatusUid("Uid:\t0\t0\t0\t0"), 0u) << "no trailing newline";
}

TEST(CgroupPath, UnifiedThenSystemdThenFirst) {
  EXPECT_EQ(CgroupPath("0::/system.slice/nginx.service\n"), "/system.slice/nginx.service");
  EXPECT_EQ(CgroupPath("12:memory:/user.slice\n1:name=systemd:/user.slice/user-1000.slice/"
                       "session-2.scope\n0::/user.slice/user-1000.slice/session-2.scope\n"),
            "/user.slice/user-1000.slice/session-2.scope");
  EXPECT_EQ(CgroupPath("4:memory:/a\n1:name=systemd:/b/c.service\n"), "/b/c.service");
  EXPECT_EQ(CgroupPath("4:memory:/a\n3:cpu:/b\n"), "/a");
  EXPECT_EQ(CgroupPath("0::/odd:name\n"), "/odd:name") << "':' in the path";
  EXPECT_EQ(CgroupPath(""), "");
  EXPECT_EQ(CgroupPath("garbage"), "");
}

TEST(SystemdUnit, DeepestServiceOrScope) {
  EXPECT_EQ(SystemdUnit("/system.slice/nginx.service"), "nginx.service");
  EXPECT_EQ(SystemdUnit("/user.slice/user-1000.slice/user@1000.service/app.slice/"
                        "app-firefox-1234.scope"),
            "app-firefox-1234.scope");
  EXPECT_EQ(SystemdUnit("/system.slice/docker.service/sub"), "docker.service");
  EXPECT_EQ(SystemdUnit("/user.slice"), "");
  EXPECT_EQ(SystemdUnit("/"), "");
}

TEST(ContainerId, DockerContainerdCrioPodmanKubernetes) {
  const std::string id = kContainer;
  EXPECT_EQ(ContainerId("/system.slice/docker-" + id + ".scope"), id);
  EXPECT_EQ(ContainerId("/docker/" + id), id);
  EXPECT_EQ(ContainerId("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12.slice/"
                        "cri-containerd-" +
                        id + ".scope"),
            id);
  EXPECT_EQ(ContainerId("/machine.slice/libpod-" + id + ".scope/container"), id);
  EXPECT_EQ(ContainerId("/kubepods/besteffort/pod1/" + id), id);
  EXPECT_EQ(ContainerId("/system.slice/nginx.service"), "");
  EXPECT_EQ(ContainerId("/docker/" + id.substr(1)), "") << "63 digits";
  EXPECT_EQ(ContainerId("/docker/" + std::string(64, 'G')), "");
}

TEST(BootTime, FromTheClocksWhenTheyAgreeWithBtime) {
  ClockReading clock;
  clock.realtime_ns = 1'795'000'100'250'000'000;
  clock.boottime_ns = 100'000'000'000;
  EXPECT_DOUBLE_EQ(BootTime(clock, 1'795'000'000), 1'795'000'000.25);
  EXPECT_DOUBLE_EQ(BootTime(clock, 1'795'000'001), 1'795'000'000.25);
  EXPECT_DOUBLE_EQ(BootTime(clock, 1'700'000'000), 1'700'000'000) << "a fake clock";
}

TEST(SplitCmdline, ArgumentsAtNulBytes) {
  using namespace std::string_literals;
  EXPECT_THAT(SplitCmdline("/bin/sleep\0"
                           "100\0"s),
              ElementsAre("/bin/sleep", "100"));
  EXPECT_THAT(SplitCmdline("a\0\0b\0"s), ElementsAre("a", "", "b"));
  EXPECT_THAT(SplitCmdline("rewritten title with spaces"),
              ElementsAre("rewritten title with spaces"));
  EXPECT_TRUE(SplitCmdline("").empty()) << "a kernel thread";
}

TEST(ParseIo, ReadAndWriteBytes) {
  auto io = ParseIo(
      "rchar: 323934931\nwchar: 323929600\nsyscr: 632687\nsyscw: 632675\n"
      "read_bytes: 4096\nwrite_bytes: 323932160\ncancelled_write_bytes: 0\n");
  ASSERT_TRUE(io);
  EXPECT_EQ(io->read_bytes, 4096u);
  EXPECT_EQ(io->write_bytes, 323932160u);
  EXPECT_FALSE(ParseIo("rchar: 1\n"));
}

// Reads the two stat texts of `pids` from the real /proc, a little apart.
ProcessSnapshotInputs RealInputs(const std::vector<pid_t>& pids) {
  collectors::ProcRoot root;
  ProcessSnapshotInputs in;
  in.clock0 = SystemClock::Instance().Now();
  for (pid_t pid : pids) {
    auto text = collectors::ReadWholeFile(root, "proc", std::to_string(pid) + "/stat");
    if (text) in.stat0[pid] = *text;
  }
  std::this_thread::sleep_for(20ms);  // the kernel's counters move in real time
  in.clock1 = SystemClock::Instance().Now();
  for (pid_t pid : pids) {
    auto text = collectors::ReadWholeFile(root, "proc", std::to_string(pid) + "/stat");
    if (text) in.stat1[pid] = *text;
  }
  in.boot_time = 1'700'000'000;
  in.clock_ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  in.page_size = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  return in;
}

BoundedReader::Options ReaderOptions() {
  BoundedReader::Options o;
  o.threads = 2;
  o.timeout = 2000ms;
  o.max_abandoned = 2;
  return o;
}

TEST(ReadProcessSnapshot, AHostileProcessNameSurvivesIntoProcessesJson) {
  const std::string name = ") R 1 (\n\"\\";
  rh::test::WaitingChild child(name);
  ASSERT_GT(child.pid(), 0);
  BoundedReader reader(ReaderOptions());
  auto snapshot = ReadProcessSnapshot(RealInputs({child.pid(), getpid()}), collectors::ProcRoot(),
                                      reader, Steady::now() + 5s);
  ASSERT_EQ(snapshot.processes.size(), 2u);
  const ProcessRecord* record = nullptr;
  for (const auto& p : snapshot.processes) {
    if (p.info.pid == child.pid()) record = &p;
  }
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->info.comm, name);
  EXPECT_EQ(record->info.ppid, getpid());
  EXPECT_EQ(record->info.state, 'S');
  EXPECT_EQ(record->uid, getuid());
  EXPECT_FALSE(record->info.user.empty());
  ASSERT_TRUE(record->argv.has_value());
  EXPECT_FALSE(record->argv->empty()) << "a fork of the test keeps its arguments";
  EXPECT_FALSE(record->info.cgroup.empty());
  EXPECT_GT(record->info.rss_bytes, 0u);
  EXPECT_EQ(record->info.threads, 1);
  EXPECT_TRUE(record->errors.empty()) << record->errors.front();

  auto json = nlohmann::json::parse(ProcessesJson(snapshot, 1'795'000'000'000'000'000, 100));
  bool found = false;
  for (const auto& p : json["processes"]) {
    if (p["pid"] != child.pid()) continue;
    found = true;
    auto comm = BytesFromJson(p["comm"]);
    ASSERT_TRUE(comm.ok());
    EXPECT_EQ(*comm, name);
    EXPECT_EQ(p["state"], "S");
    EXPECT_EQ(p["ppid"], getpid());
    EXPECT_TRUE(p["cmdline"].is_array());
    EXPECT_EQ(p["uid"], getuid());
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(json["captured"], "2026-11-18T11:06:40.000Z");
}

TEST(ReadProcessSnapshot, ARealTaskInDStateWithWaitChannelAndStack) {
  test::VforkBlocked blocked;
  ASSERT_GT(blocked.pid(), 0);
  auto in_d_state = [&]() -> bool {
    auto text = collectors::ReadWholeFile(collectors::ProcRoot(), "proc",
                                          std::to_string(blocked.pid()) + "/stat");
    if (!text) return false;
    auto stat = collectors::ParseProcessStat(*text);
    return stat.ok() && stat->state == 'D';
  };
  ASSERT_TRUE(rh::test::WaitUntil(in_d_state, 5s, 5ms)) << "the vfork parent never showed as D";
  BoundedReader reader(ReaderOptions());
  auto snapshot = ReadProcessSnapshot(RealInputs({blocked.pid()}), collectors::ProcRoot(), reader,
                                      Steady::now() + 5s);
  ASSERT_EQ(snapshot.blocked.size(), 1u);
  const auto& task = snapshot.blocked[0];
  EXPECT_EQ(task.info.pid, blocked.pid());
  EXPECT_EQ(task.info.tid, blocked.pid());
  EXPECT_EQ(task.info.comm, "rh-vfork-wait");
  EXPECT_FALSE(task.info.wchan.empty());
  if (geteuid() == 0) {
    ASSERT_TRUE(task.stack.has_value()) << task.stack_error;
    ASSERT_FALSE(task.stack->empty());
    EXPECT_THAT(task.stack->back(), HasSubstr("entry_SYSCALL"));
  } else {
    EXPECT_FALSE(task.stack.has_value());
    EXPECT_FALSE(task.stack_error.empty());
  }
  auto json = nlohmann::json::parse(BlockedJson(snapshot, 0));
  ASSERT_EQ(json["tasks"].size(), 1u);
  EXPECT_EQ(json["tasks"][0]["pid"], blocked.pid());
  EXPECT_EQ(json["tasks"][0]["state"], "D");
  EXPECT_EQ(json["tasks"][0]["wchan"], task.info.wchan);
  EXPECT_TRUE(json["tasks"][0]["blocked_seconds"].is_null()) << "unknown without samples";
}

// A fixture tree: process 100 with two threads, one in D state; process 200 exited meanwhile.
TEST(ReadProcessSnapshot, FixtureTreeWithThreadsInDState) {
  rh::test::TempDir dir;
  const std::string cgroup = std::string("0::/system.slice/docker-") + kContainer + ".scope\n";
  dir.Write("proc/100/stat", test::StatLine(100, "db", 'S', 1, 500, 1000, 2560, 2, 40, 300));
  dir.Write("proc/100/status", "Name:\tdb\nUid:\t0\t0\t0\t0\n");
  dir.Write("proc/100/cmdline", std::string("postgres\0-D\0/var/lib/pg\0", 24));
  dir.Write("proc/100/cgroup", cgroup);
  dir.Write("proc/100/io", "read_bytes: 10\nwrite_bytes: 20\n");
  dir.Write("proc/100/task/100/stat", test::StatLine(100, "db", 'S'));
  dir.Write("proc/100/task/101/stat", test::StatLine(101, "db-writer", 'D'));
  dir.Write("proc/100/task/101/wchan", "io_schedule");
  dir.Write("proc/100/task/101/stack",
            "[<0>] io_schedule+0x46/0x70\n[<0>] folio_wait_bit+0x10/0x20\n");
  ProcessSnapshotInputs in;
  in.stat0[100] = test::StatLine(100, "db", 'S', 1, 400, 1000, 2560, 2, 30, 250);
  in.stat1[100] = test::StatLine(100, "db", 'S', 1, 500, 1000, 2560, 2, 40, 300);
  in.stat1[200] = test::StatLine(200, "gone", 'R');
  in.clock0.monotonic_ns = 10'000'000'000;
  in.clock1.monotonic_ns = 12'000'000'000;
  in.clock1.boottime_ns = 12'000'000'000;
  in.boot_time = 1'795'000'000;
  in.clock_ticks_per_second = 100;
  in.page_size = 4096;
  BoundedReader reader(ReaderOptions());
  auto snapshot = ReadProcessSnapshot(in, collectors::ProcRoot(dir / "proc", dir / "sys"), reader,
                                      Steady::now() + 5s);
  ASSERT_EQ(snapshot.processes.size(), 2u);
  const auto& db = snapshot.processes[0];
  EXPECT_EQ(db.info.pid, 100);
  EXPECT_DOUBLE_EQ(snapshot.elapsed_seconds, 2);
  EXPECT_DOUBLE_EQ(db.info.cpu_share, 0.5);        // 100 ticks / 100 Hz / 2 s
  EXPECT_DOUBLE_EQ(db.info.io_delay_share, 0.25);  // 50 ticks / 100 Hz / 2 s
  EXPECT_DOUBLE_EQ(db.info.io_delay_seconds, 3);
  EXPECT_EQ(db.info.rss_bytes, 2560u * 4096);
  EXPECT_EQ(db.info.threads, 2);
  EXPECT_EQ(db.info.major_faults, 40u);
  EXPECT_DOUBLE_EQ(db.info.start_time, 1'795'000'010);
  EXPECT_EQ(db.uid, 0u);
  EXPECT_EQ(db.info.user, "root");
  EXPECT_THAT(*db.argv, ElementsAre("postgres", "-D", "/var/lib/pg"));
  EXPECT_EQ(db.info.cmdline, "postgres -D /var/lib/pg");
  EXPECT_EQ(db.info.unit, std::string("docker-") + kContainer + ".scope");
  EXPECT_EQ(db.container, kContainer);
  ASSERT_TRUE(db.io.has_value());
  EXPECT_EQ(db.io->write_bytes, 20u);
  EXPECT_TRUE(db.errors.empty()) << db.errors.front();

  const auto& gone = snapshot.processes[1];
  EXPECT_EQ(gone.info.pid, 200);
  EXPECT_TRUE(gone.errors.empty()) << "an exited process is not an error: " << gone.errors.front();
  EXPECT_FALSE(gone.argv.has_value());

  ASSERT_EQ(snapshot.blocked.size(), 1u);
  const auto& task = snapshot.blocked[0];
  EXPECT_EQ(task.info.pid, 100);
  EXPECT_EQ(task.info.tid, 101);
  EXPECT_EQ(task.info.comm, "db-writer");
  EXPECT_EQ(task.info.wchan, "io_schedule");
  ASSERT_TRUE(task.stack.has_value());
  EXPECT_THAT(*task.stack,
              ElementsAre("[<0>] io_schedule+0x46/0x70", "[<0>] folio_wait_bit+0x10/0x20"));
  EXPECT_TRUE(snapshot.notes.empty());
}

// A light capture (the daemon over a self-limits budget): per-process details only for the
// busiest, the largest, the slowest on I/O and those in D state.
TEST(ReadProcessSnapshot, ALightCaptureReadsDetailsOfTheProcessesThatMatterOnly) {
  rh::test::TempDir dir;
  ProcessSnapshotInputs in;
  in.clock0.monotonic_ns = 10'000'000'000;
  in.clock1.monotonic_ns = 12'000'000'000;
  in.clock_ticks_per_second = 100;
  in.detail_limit = 1;
  // pid: utime at the second pass, rss pages, blkio ticks at the second pass, state.
  struct P {
    int pid;
    std::uint64_t utime;
    std::int64_t rss;
    std::uint64_t blkio;
    char state;
  };
  for (const P& p : {P{1, 150, 10, 0, 'S'}, P{2, 0, 9000, 0, 'S'}, P{3, 0, 10, 80, 'S'},
                     P{4, 0, 10, 0, 'D'}, P{5, 10, 20, 5, 'S'}, P{6, 0, 10, 0, 'S'}}) {
    const std::string at = "proc/" + std::to_string(p.pid) + "/";
    dir.Write(at + "status", "Uid:\t0\t0\t0\t0\n");
    dir.Write(at + "cmdline", std::string("p\0", 2));
    dir.Write(at + "cgroup", "0::/\n");
    dir.Write(at + "io", "read_bytes: 1\nwrite_bytes: 2\n");
    dir.Write(at + "task/" + std::to_string(p.pid) + "/stat", test::StatLine(p.pid, "p", p.state));
    in.stat0[p.pid] = test::StatLine(p.pid, "p", p.state);
    in.stat1[p.pid] = test::StatLine(p.pid, "p", p.state, 1, p.utime, 1000, p.rss, 1, 0, p.blkio);
  }
  dir.Write("proc/5/task/55/stat", test::StatLine(55, "p-thread", 'D'));  // not examined
  BoundedReader reader(ReaderOptions());
  auto snapshot = ReadProcessSnapshot(in, collectors::ProcRoot(dir / "proc", dir / "sys"), reader,
                                      Steady::now() + 5s);
  ASSERT_EQ(snapshot.processes.size(), 6u);
  for (const auto& p : snapshot.processes) {
    const bool detailed = p.info.pid <= 4;
    EXPECT_EQ(p.argv.has_value(), detailed) << "pid " << p.info.pid;
    EXPECT_EQ(p.io.has_value(), detailed) << "pid " << p.info.pid;
    EXPECT_TRUE(p.errors.empty()) << "pid " << p.info.pid << ": " << p.errors.front();
  }
  ASSERT_EQ(snapshot.blocked.size(), 1u);
  EXPECT_EQ(snapshot.blocked[0].info.pid, 4);
  EXPECT_THAT(snapshot.notes,
              ElementsAre(HasSubstr("light capture (the daemon was over a self-limits budget): "
                                    "status, cmdline, cgroup, io and tasks read for 4 of 6")));

  in.detail_limit = 0;  // a full capture examines every task
  snapshot = ReadProcessSnapshot(in, collectors::ProcRoot(dir / "proc", dir / "sys"), reader,
                                 Steady::now() + 5s);
  EXPECT_EQ(snapshot.blocked.size(), 2u);
  EXPECT_TRUE(snapshot.notes.empty());
}

TEST(ReadProcessSnapshot, HungCmdlineReadsAreBoundedAndNoted) {
  rh::test::TempDir dir;
  ProcessSnapshotInputs in;
  for (int pid : {300, 301}) {
    const std::string p = "proc/" + std::to_string(pid) + "/";
    dir.Write(p + "status", "Uid:\t0\t0\t0\t0\n");
    dir.Write(p + "cgroup", "0::/\n");
    dir.Write(p + "task/" + std::to_string(pid) + "/stat", test::StatLine(pid, "x", 'S'));
    in.stat1[pid] = test::StatLine(pid, "x", 'S');
  }
  ASSERT_EQ(mkfifo((dir / "proc/300/cmdline").c_str(), 0600), 0);  // open() blocks: no writer
  dir.Write("proc/301/cmdline", std::string("ok\0", 3));
  BoundedReader::Options o;
  o.threads = 2;
  o.timeout = 150ms;
  o.max_abandoned = 4;
  BoundedReader reader(o);
  const auto begin = Steady::now();
  auto snapshot = ReadProcessSnapshot(in, collectors::ProcRoot(dir / "proc", dir / "sys"), reader,
                                      Steady::now() + 5s);
  EXPECT_LT(Steady::now() - begin, 1s);
  ASSERT_EQ(snapshot.processes.size(), 2u);
  EXPECT_FALSE(snapshot.processes[0].argv.has_value());
  EXPECT_THAT(snapshot.processes[0].errors, ElementsAre("cmdline: timed out after 150 ms"));
  EXPECT_THAT(*snapshot.processes[1].argv, ElementsAre("ok"));
  EXPECT_THAT(snapshot.notes, ElementsAre("1 per-process reads timed out after 150 ms"));
  int fd = open((dir / "proc/300/cmdline").c_str(), O_WRONLY | O_NONBLOCK);  // let it go
  if (fd >= 0) close(fd);
}

}  // namespace
}  // namespace rh::forensics

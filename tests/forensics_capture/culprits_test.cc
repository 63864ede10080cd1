#include "analysis/culprits.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace rh::analysis {
namespace {

constexpr std::uint64_t kMiB = 1 << 20;
constexpr std::uint64_t kGiB = 1ULL << 30;
constexpr double kT0 = 1'795'000'000;  // Unix seconds of the window's first sample

using SamplePtr = std::shared_ptr<const ScoredSample>;

struct Top {
  std::int32_t pid;
  std::uint64_t rss;
  std::uint64_t cpu_ticks = 0;
  std::uint64_t major_faults = 0;
};

// A pass at `t` seconds after kT0 whose top-RSS list is `top`.
std::shared_ptr<ScoredSample> Pass(double t, std::vector<Top> top = {}) {
  auto s = std::make_shared<ScoredSample>();
  s->sample.clock.realtime_ns = static_cast<std::int64_t>((kT0 + t) * 1e9);
  s->sample.clock.monotonic_ns = static_cast<std::int64_t>((1000 + t) * 1e9);
  for (const auto& p : top) {
    collectors::TopProcess entry;
    entry.pid = p.pid;
    entry.comm = "p" + std::to_string(p.pid);
    entry.rss_bytes = p.rss;
    entry.cpu_ticks = p.cpu_ticks;
    entry.major_faults = p.major_faults;
    s->sample.processes.top_rss.push_back(entry);
  }
  return s;
}

ProcessInfo Process(std::int32_t pid, std::string comm, std::uint64_t rss,
                    double start = kT0 - 3600) {
  ProcessInfo p;
  p.pid = pid;
  p.ppid = 1;
  p.comm = std::move(comm);
  p.cmdline = "/usr/bin/" + p.comm;
  p.state = 'S';
  p.rss_bytes = rss;
  p.start_time = start;
  p.threads = 1;
  return p;
}

// Inputs at 60 s after kT0, on a 16 GiB machine.
CulpritInputs Inputs() {
  CulpritInputs in;
  in.now = kT0 + 60;
  in.now_monotonic_ns = static_cast<std::int64_t>((1000 + 60) * 1e9);
  in.memory_total_bytes = 16 * kGiB;
  in.clock_ticks_per_second = 100;
  return in;
}

const Culprit* Find(const CulpritVerdict& v, std::int32_t pid) {
  for (const auto& c : v.culprits) {
    if (c.pid == pid) return &c;
  }
  return nullptr;
}

const Evidence* Kind(const Culprit& c, std::string_view kind) {
  for (const auto& e : c.evidence) {
    if (e.kind == kind) return &e;
  }
  return nullptr;
}

TEST(FindDominantStress, HighestPeakWithTheSignalBehindIt) {
  auto calm = Pass(0);
  calm->assessment.components[static_cast<int>(Component::kLoad)] = 5;
  auto memory = Pass(5);
  memory->assessment.components[static_cast<int>(Component::kMemory)] = 31.5;
  memory->assessment.signals.memory_psi = 0.6;
  auto& psi = memory->sample.pressure[collectors::PsiKind::kMemory];
  psi.available = true;
  psi.some = collectors::PsiLine{22, 0, 0, 0};
  psi.full = collectors::PsiLine{38, 0, 0, 0};
  auto later = Pass(10);
  later->assessment.components[static_cast<int>(Component::kMemory)] = 12;
  auto d = FindDominantStress({calm, memory, later});
  EXPECT_EQ(d.component, "memory");
  EXPECT_DOUBLE_EQ(d.points, 31.5);
  EXPECT_EQ(d.text, "memory pressure, full stall 38%");
}

TEST(FindDominantStress, LatencyOnlyWhenNothingElseScored) {
  auto pause = Pass(0);
  pause->assessment.components[static_cast<int>(Component::kLatency)] = 20;
  pause->assessment.signals.latency_seconds = 3.02;
  auto d = FindDominantStress({pause});
  EXPECT_EQ(d.component, "latency");
  EXPECT_EQ(d.text, "latency, the watchdog overshot by 3.02 s");

  auto io = Pass(1);
  io->assessment.components[static_cast<int>(Component::kIo)] = 4;
  io->assessment.signals.iowait_share = 0.4;
  d = FindDominantStress({pause, io});
  EXPECT_EQ(d.component, "io");
  EXPECT_EQ(d.text, "I/O wait, 40% of CPU time");

  EXPECT_EQ(FindDominantStress({Pass(0)}).component, "none");
  EXPECT_EQ(FindDominantStress({}).component, "none");
}

TEST(FindDominantStress, TextsOfTheOtherComponents) {
  auto load = Pass(0);
  load->assessment.components[static_cast<int>(Component::kLoad)] = 30;
  load->assessment.signals.load_per_core = 3.2;
  EXPECT_EQ(FindDominantStress({load}).text, "load, 3.2 runnable tasks per core");

  auto steal = Pass(0);
  steal->assessment.components[static_cast<int>(Component::kCpu)] = 6;
  steal->assessment.signals.steal_share = 0.3;
  steal->assessment.signals.cpu_some = 0.1;
  EXPECT_EQ(FindDominantStress({steal}).text,
            "CPU steal, 30% of CPU time stolen by the hypervisor");

  auto low = Pass(0);
  low->assessment.components[static_cast<int>(Component::kMemory)] = 20;
  low->assessment.signals.low_available = 0.5;
  low->sample.meminfo.total = 100;
  low->sample.meminfo.available = 5;
  EXPECT_EQ(FindDominantStress({low}).text, "memory pressure, only 5% of memory available");

  auto thermal = Pass(0);
  thermal->assessment.components[static_cast<int>(Component::kThermal)] = 10;
  EXPECT_EQ(FindDominantStress({thermal}).text, "thermal throttling of the CPUs");
}

TEST(RankCulprits, RssGrowthAgainstTheSmallestRssInTheWindow) {
  auto in = Inputs();
  in.window = {Pass(0, {{10, 600 * kMiB}, {11, 500 * kMiB}}),
               Pass(30, {{10, 900 * kMiB}, {11, 500 * kMiB}})};
  in.processes = {Process(10, "grower", 2 * kGiB + 600 * kMiB), Process(11, "steady", 500 * kMiB)};
  auto v = RankCulprits(in);
  const Culprit* grower = Find(v, 10);
  ASSERT_NE(grower, nullptr);
  const Evidence* growth = Kind(*grower, "rss_growth");
  ASSERT_NE(growth, nullptr);
  EXPECT_DOUBLE_EQ(growth->value, static_cast<double>(2 * kGiB));
  EXPECT_EQ(growth->text, "RSS grew by 2.0 GiB in the window");
  EXPECT_EQ(Find(v, 11), nullptr) << "500 MiB, unchanged: no evidence on a 16 GiB machine";
}

TEST(RankCulprits, AProcessStartedInTheWindowGrewByAllOfIt) {
  auto in = Inputs();
  in.window = {Pass(0, {{10, 100 * kMiB}})};
  in.processes = {Process(10, "old", 100 * kMiB), Process(77, "newcomer", kGiB, kT0 + 48)};
  auto v = RankCulprits(in);
  ASSERT_FALSE(v.culprits.empty());
  EXPECT_EQ(v.culprits[0].pid, 77);
  const Evidence* growth = Kind(v.culprits[0], "rss_growth");
  ASSERT_NE(growth, nullptr);
  EXPECT_DOUBLE_EQ(growth->value, static_cast<double>(kGiB));
  EXPECT_EQ(growth->text, "RSS grew by 1.0 GiB in the window (started 12 s before the capture)");
}

TEST(RankCulprits, AbsentFromTheFirstTopListItHadAtMostItsSmallestEntry) {
  auto in = Inputs();
  in.window = {Pass(0, {{10, 300 * kMiB}, {11, 200 * kMiB}})};
  in.processes = {Process(10, "a", 300 * kMiB), Process(11, "b", 200 * kMiB),
                  Process(12, "c", 1200 * kMiB)};
  auto v = RankCulprits(in);
  const Culprit* c = Find(v, 12);
  ASSERT_NE(c, nullptr);
  ASSERT_NE(Kind(*c, "rss_growth"), nullptr);
  EXPECT_DOUBLE_EQ(Kind(*c, "rss_growth")->value, static_cast<double>(1000 * kMiB));
}

TEST(RankCulprits, LargestResidentSets) {
  auto in = Inputs();
  in.processes = {Process(5, "db", 4 * kGiB), Process(6, "cache", 2 * kGiB),
                  Process(7, "small", 100 * kMiB)};
  auto v = RankCulprits(in);  // no window: growth unknown, size still counts
  const Culprit* db = Find(v, 5);
  ASSERT_NE(db, nullptr);
  const Evidence* rss = Kind(*db, "rss");
  ASSERT_NE(rss, nullptr);
  EXPECT_DOUBLE_EQ(rss->value, static_cast<double>(4 * kGiB));
  EXPECT_EQ(rss->text, "largest resident set #1: 4.0 GiB (25% of memory)");
  EXPECT_EQ(Kind(*db, "rss_growth"), nullptr);
  EXPECT_EQ(v.culprits[0].pid, 5);
  EXPECT_EQ(v.culprits[1].pid, 6);
  EXPECT_EQ(Find(v, 7), nullptr);
}

TEST(RankCulprits, CpuShareOverTheWindowFromTheFirstSampleThatListedIt) {
  auto in = Inputs();
  // Listed at t=0 with 1000 ticks; at t=60 it has 10000: 9000 ticks / 100 Hz / 60 s = 1.5 CPUs.
  in.window = {Pass(0, {{20, 10 * kMiB, 1000}}), Pass(30, {{20, 10 * kMiB, 5000}})};
  auto hog = Process(20, "spinner", 10 * kMiB);
  hog.cpu_ticks = 10000;
  hog.cpu_share = 0.9;
  in.processes = {hog};
  auto v = RankCulprits(in);
  ASSERT_EQ(v.culprits.size(), 1u);
  const Evidence* cpu = Kind(v.culprits[0], "cpu");
  ASSERT_NE(cpu, nullptr);
  EXPECT_DOUBLE_EQ(cpu->value, 1.5);
  EXPECT_EQ(cpu->text, "used 1.5 CPUs over the window");
}

TEST(RankCulprits, CpuShareAtCaptureWhenTheWindowNeverListedIt) {
  auto in = Inputs();
  in.window = {Pass(0)};
  auto hog = Process(20, "spinner", 10 * kMiB);
  hog.cpu_share = 0.97;
  auto idle = Process(21, "idle", 10 * kMiB);
  idle.cpu_share = 0.01;
  in.processes = {hog, idle};
  auto v = RankCulprits(in);
  ASSERT_EQ(v.culprits.size(), 1u);
  EXPECT_EQ(Kind(v.culprits[0], "cpu")->text, "used 97% of one CPU over the window");
}

TEST(RankCulprits, TheCapturingProcessIsNotBlamedForItsOwnCpu) {
  auto in = Inputs();
  auto daemon = Process(20, "rogue-hunter", 10 * kMiB);
  daemon.cpu_share = 0.9;
  in.processes = {daemon};
  in.self_pid = 20;
  EXPECT_TRUE(RankCulprits(in).culprits.empty());
  in.processes[0].rss_bytes = 8 * kGiB;  // its memory still counts
  auto v = RankCulprits(in);
  ASSERT_EQ(v.culprits.size(), 1u);
  EXPECT_EQ(v.culprits[0].evidence[0].kind, "rss");
}

TEST(RankCulprits, MajorFaultsInTheWindow) {
  auto in = Inputs();
  in.window = {Pass(0, {{30, 10 * kMiB, 0, 1000}})};
  auto p = Process(30, "thrasher", 10 * kMiB);
  p.major_faults = 52234;
  in.processes = {p};
  auto v = RankCulprits(in);
  ASSERT_EQ(v.culprits.size(), 1u);
  const Evidence* faults = Kind(v.culprits[0], "major_faults");
  ASSERT_NE(faults, nullptr);
  EXPECT_DOUBLE_EQ(faults->value, 51234);
  EXPECT_EQ(faults->text, "51234 major page faults in the window");
}

TEST(RankCulprits, BlockIoDelayAndBlockedTasks) {
  auto in = Inputs();
  auto writer = Process(40, "writer", 10 * kMiB);
  writer.io_delay_share = 0.8;
  writer.io_delay_seconds = 12.3;
  auto stuck = Process(41, "stuck", 10 * kMiB);
  stuck.state = 'D';
  in.processes = {writer, stuck};
  in.blocked = {{41, 41, "stuck", "io_schedule", 12.0}, {41, 43, "stuck-w", "", std::nullopt}};
  auto v = RankCulprits(in);
  const Culprit* w = Find(v, 40);
  ASSERT_NE(w, nullptr);
  ASSERT_NE(Kind(*w, "io"), nullptr);
  EXPECT_DOUBLE_EQ(Kind(*w, "io")->value, 0.8);
  EXPECT_EQ(Kind(*w, "io")->text,
            "waiting for block I/O 80% of the time at capture (12 s in total)");
  const Culprit* s = Find(v, 41);
  ASSERT_NE(s, nullptr);
  const Evidence* blocked = Kind(*s, "blocked");
  ASSERT_NE(blocked, nullptr);
  EXPECT_DOUBLE_EQ(blocked->value, 2);
  EXPECT_EQ(blocked->text,
            "2 tasks in D state (uninterruptible sleep), blocked for at least 12 s, waiting in "
            "io_schedule");
  EXPECT_EQ(v.blocked_tasks, 2u);
}

TEST(RankCulprits, SuspectPatternsMatchCommOrCmdlineIgnoringCase) {
  auto in = Inputs();
  auto chrome = Process(50, "chrome", 10 * kMiB);
  auto helper = Process(51, "helper", 10 * kMiB);
  helper.cmdline = "/opt/Backup/bin/helper --nightly";
  in.processes = {chrome, helper, Process(52, "bash", 10 * kMiB)};
  in.suspect_patterns = {"CHROM", "backup"};
  auto v = RankCulprits(in);
  ASSERT_EQ(v.culprits.size(), 2u);
  EXPECT_EQ(Kind(*Find(v, 50), "suspect_pattern")->text, "matches the suspects pattern \"CHROM\"");
  EXPECT_EQ(Kind(*Find(v, 51), "suspect_pattern")->text, "matches the suspects pattern \"backup\"");
  EXPECT_EQ(Find(v, 52), nullptr);
}

TEST(RankCulprits, SuspectsInTheSameCgroupStrengthenEachOther) {
  auto in = Inputs();
  auto a = Process(60, "worker", 10 * kMiB);
  a.cpu_share = 0.5;
  a.cgroup = "/system.slice/app.service";
  a.unit = "app.service";
  auto b = Process(61, "worker", 10 * kMiB);
  b.cpu_share = 0.5;
  b.cgroup = "/system.slice/app.service";
  auto c = Process(62, "other", 10 * kMiB);
  c.cpu_share = 0.5;
  c.cgroup = "/system.slice/other.service";
  auto idle = Process(63, "idle-sibling", 10 * kMiB);
  idle.cgroup = "/system.slice/app.service";
  in.processes = {a, b, c, idle};
  auto v = RankCulprits(in);
  ASSERT_EQ(v.culprits.size(), 3u) << "the idle sibling has no evidence of its own";
  const Evidence* cg = Kind(*Find(v, 60), "cgroup");
  ASSERT_NE(cg, nullptr);
  EXPECT_DOUBLE_EQ(cg->value, 1);
  EXPECT_EQ(cg->text, "in cgroup /system.slice/app.service with 1 other suspect");
  EXPECT_EQ(Kind(*Find(v, 62), "cgroup"), nullptr);
  EXPECT_GT(Find(v, 60)->score, Find(v, 62)->score);
  EXPECT_EQ(Find(v, 60)->unit, "app.service");
}

TEST(RankCulprits, StealMakesTheHypervisorACulprit) {
  auto in = Inputs();
  in.steal_share = 0.12;
  auto v = RankCulprits(in);
  ASSERT_EQ(v.culprits.size(), 1u);
  EXPECT_EQ(v.culprits[0].pid, 0);
  EXPECT_EQ(v.culprits[0].comm, "hypervisor");
  ASSERT_EQ(v.culprits[0].evidence.size(), 1u);
  EXPECT_EQ(v.culprits[0].evidence[0].kind, "steal");
  EXPECT_DOUBLE_EQ(v.culprits[0].evidence[0].value, 0.12);
  EXPECT_DOUBLE_EQ(v.steal_share, 0.12);

  in.steal_share = 0.01;
  EXPECT_TRUE(RankCulprits(in).culprits.empty());
}

// The same two suspects rank differently depending on what stressed the machine.
TEST(RankCulprits, TheDominantComponentDecidesBetweenCpuAndMemoryEvidence) {
  auto in = Inputs();
  auto hog = Process(70, "cpuhog", 10 * kMiB);
  hog.cpu_share = 0.8;
  auto eater = Process(71, "memeater", 1200 * kMiB, kT0 + 30);
  in.processes = {hog, eater};

  auto memory = Pass(0);
  memory->assessment.components[static_cast<int>(Component::kMemory)] = 30;
  memory->assessment.signals.memory_psi = 0.5;
  in.window = {memory};
  auto v = RankCulprits(in);
  ASSERT_EQ(v.culprits.size(), 2u);
  EXPECT_EQ(v.dominant.component, "memory");
  EXPECT_EQ(v.culprits[0].pid, 71);
  EXPECT_EQ(v.culprits[0].rank, 1);
  EXPECT_EQ(v.culprits[1].pid, 70);
  EXPECT_EQ(v.culprits[1].rank, 2);

  auto load = Pass(0);
  load->assessment.components[static_cast<int>(Component::kLoad)] = 30;
  load->assessment.signals.load_per_core = 3;
  in.window = {load};
  v = RankCulprits(in);
  ASSERT_EQ(v.culprits.size(), 2u);
  EXPECT_EQ(v.dominant.component, "load");
  EXPECT_EQ(v.culprits[0].pid, 70);
  EXPECT_EQ(v.culprits[1].pid, 71);
}

TEST(RankCulprits, MoreEvidenceRanksHigherAndTiesGoToTheLargerRss) {
  auto in = Inputs();
  auto one = Process(80, "one", 10 * kMiB);
  one.cpu_share = 0.5;
  auto two = Process(81, "two", 10 * kMiB);
  two.cpu_share = 0.5;
  two.major_faults = 5000;
  two.start_time = kT0 + 10;
  auto tie = Process(82, "tie", 20 * kMiB);
  tie.cpu_share = 0.5;
  in.window = {Pass(0)};
  in.processes = {one, two, tie};
  auto v = RankCulprits(in);
  ASSERT_EQ(v.culprits.size(), 3u);
  EXPECT_EQ(v.culprits[0].pid, 81);
  EXPECT_EQ(v.culprits[1].pid, 82);
  EXPECT_EQ(v.culprits[2].pid, 80);
  for (const auto& c : v.culprits) {
    EXPECT_GT(c.score, 0);
    EXPECT_LE(c.score, 1);
  }
  // Evidence is listed strongest first.
  EXPECT_EQ(v.culprits[0].evidence.front().kind, "cpu");
}

TEST(RankCulprits, KeepsAtMostMaxCulprits) {
  auto in = Inputs();
  for (int i = 0; i < 30; ++i) {
    auto p = Process(100 + i, "busy", 10 * kMiB);
    p.cpu_share = 0.3;
    in.processes.push_back(p);
  }
  in.max_culprits = 10;
  auto v = RankCulprits(in);
  ASSERT_EQ(v.culprits.size(), 10u);
  EXPECT_EQ(v.culprits.back().rank, 10);
  EXPECT_EQ(v.culprits.front().pid, 100);
}

collectors::CgroupUsage Cgroup(std::string path, std::string name, std::uint64_t memory,
                               std::uint64_t memory_full_us) {
  collectors::CgroupUsage u;
  u.path = std::move(path);
  u.name = std::move(name);
  u.memory_bytes = memory;
  u.memory_full_us = memory_full_us;
  u.pressure = true;
  return u;
}

// A service that stalled on memory for 40% of the window is a culprit of its own, and a process
// in it with no evidence of its own is named through it.
TEST(RankCulprits, ACgroupInFullStallIsACulpritAndItsProcessesShareTheEvidence) {
  auto in = Inputs();
  auto first = Pass(0);
  first->sample.cgroups.top_memory = {
      Cgroup("/system.slice/postgresql.service", "postgresql.service", 2 * kGiB, 1'000'000)};
  in.window = {first};
  in.capture = {Pass(60)};
  // At capture: 24 s more of memory full stall over the 60 s window.
  in.cgroups = {
      Cgroup("/system.slice/postgresql.service", "postgresql.service", 4 * kGiB, 25'000'000),
      Cgroup("/system.slice/quiet.service", "quiet.service", 1 * kGiB, 1'000'000)};
  auto pg = Process(70, "postgres", 100 * kMiB);
  pg.cgroup = "/system.slice/postgresql.service";
  in.processes = {pg};

  auto windows = CgroupWindows(in);
  ASSERT_EQ(windows.size(), 2u);
  EXPECT_DOUBLE_EQ(windows[0].memory_full_share, 0.4);
  EXPECT_TRUE(windows[0].over_window);
  EXPECT_FALSE(windows[1].over_window) << "no sample listed it: only the capture's shares";

  auto v = RankCulprits(in);
  ASSERT_EQ(v.culprits.size(), 2u) << "the quiet service did not stall";
  const Culprit& service = v.culprits[0];
  EXPECT_EQ(service.pid, 0);
  EXPECT_EQ(service.cgroup, "/system.slice/postgresql.service");
  EXPECT_EQ(service.unit, "postgresql.service");
  const Evidence* stall = Kind(service, "cgroup_pressure");
  ASSERT_NE(stall, nullptr);
  EXPECT_DOUBLE_EQ(stall->value, 0.4);
  EXPECT_EQ(stall->text,
            "the service `postgresql.service` spent 40% of the window in memory full stall");
  const Evidence* memory = Kind(service, "cgroup_memory");
  ASSERT_NE(memory, nullptr);
  EXPECT_EQ(memory->text, "uses 4.0 GiB of memory (25%)");
  const Culprit* process = Find(v, 70);
  ASSERT_NE(process, nullptr);
  ASSERT_EQ(process->evidence.size(), 1u);
  EXPECT_EQ(process->evidence[0].text,
            "its service `postgresql.service` spent 40% of the window in memory full stall");
  EXPECT_LT(process->score, service.score);
}

TEST(RankCulprits, ACgroupOnlySeenAtCaptureIsJudgedByTheCapturesShares) {
  auto in = Inputs();
  auto nginx = Cgroup("/system.slice/nginx.service", "nginx.service", 0, 0);
  nginx.io_full_ratio = 0.3;
  auto box = Cgroup(std::string("/system.slice/docker-") + std::string(64, 'a') + ".scope",
                    "aaaaaaaaaaaa", 0, 0);
  box.memory_full_ratio = 0.05;  // below the 10% mark
  in.cgroups = {nginx, box};
  auto v = RankCulprits(in);
  ASSERT_EQ(v.culprits.size(), 1u);
  EXPECT_EQ(v.culprits[0].evidence[0].text,
            "the service `nginx.service` spent 30% of the capture in I/O full stall");
  EXPECT_EQ(CgroupKind(box), "container `aaaaaaaaaaaa`");
  EXPECT_EQ(CgroupKind(Cgroup("/x/y", "/x/y", 0, 0)), "cgroup `/x/y`");
}

TEST(BlockedSince, EarliestOfTheConsecutiveSamplesEndingWithTheNewest) {
  auto blocked = [](double t, std::vector<std::int32_t> pids) {
    auto s = Pass(t);
    for (auto pid : pids) s->sample.processes.blocked.push_back({pid, "t", "io_schedule"});
    return s;
  };
  std::vector<SamplePtr> samples = {blocked(0, {7}), blocked(5, {}), blocked(10, {7, 8}),
                                    blocked(15, {7}), blocked(20, {7, 9})};
  EXPECT_EQ(BlockedSince(samples, 7), kT0 + 10);
  EXPECT_EQ(BlockedSince(samples, 9), kT0 + 20);
  EXPECT_EQ(BlockedSince(samples, 8), std::nullopt) << "not blocked in the newest sample";
  EXPECT_EQ(BlockedSince({}, 7), std::nullopt);
}

TEST(ContainsIgnoringCase, AsciiOnly) {
  EXPECT_TRUE(ContainsIgnoringCase("Stress-NG-vm", "ng-VM"));
  EXPECT_FALSE(ContainsIgnoringCase("abc", ""));
  EXPECT_FALSE(ContainsIgnoringCase("ab", "abc"));
  EXPECT_TRUE(ContainsIgnoringCase("\xff\xfe java", "JAVA"));
}

TEST(FormatBytes, Units) {
  EXPECT_EQ(FormatBytes(100), "100 B");
  EXPECT_EQ(FormatBytes(12 * 1024), "12 KiB");
  EXPECT_EQ(FormatBytes(512.0 * kMiB), "512 MiB");
  EXPECT_EQ(FormatBytes(2.0 * kGiB), "2.0 GiB");
}

}  // namespace
}  // namespace rh::analysis

#include "collectors/cgroups.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/temp_dir.h"

namespace rh::collectors {
namespace {

constexpr char kContainer[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string Psi(std::uint64_t some_us, std::uint64_t full_us) {
  return "some avg10=0.00 avg60=0.00 avg300=0.00 total=" + std::to_string(some_us) +
         "\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=" + std::to_string(full_us) + "\n";
}

// A v2 hierarchy mounted at /sys/fs/cgroup/unified (as on a hybrid machine), with leaves.
class CgroupTree {
 public:
  CgroupTree() {
    dir_.Write("proc/self/mountinfo",
               "23 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
               "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n");
  }
  void Leaf(const std::string& path, std::uint64_t memory, std::uint64_t cpu_usec,
            std::uint64_t memory_full_us, std::uint64_t io_full_us) const {
    const std::string base = "sys/fs/cgroup/unified/" + path + "/";
    dir_.Write(base + "memory.current", std::to_string(memory) + "\n");
    dir_.Write(base + "cpu.stat",
               "usage_usec " + std::to_string(cpu_usec) + "\nuser_usec 1\nsystem_usec 1\n");
    dir_.Write(base + "cpu.pressure", Psi(0, 0));
    dir_.Write(base + "memory.pressure", Psi(memory_full_us, memory_full_us));
    dir_.Write(base + "io.pressure", Psi(io_full_us, io_full_us));
  }
  ProcRoot Root() const { return ProcRoot(dir_ / "proc", dir_ / "sys"); }
  const test::TempDir& dir() const { return dir_; }

 private:
  test::TempDir dir_;
};

SystemSample At(double seconds) {
  SystemSample s;
  s.clock.monotonic_ns = static_cast<std::int64_t>(seconds * 1e9);
  return s;
}

TEST(CgroupCollector, RanksTheLeavesByMemoryAndByStallBetweenPasses) {
  CgroupTree tree;
  tree.Leaf("system.slice/postgresql.service", 800 << 20, 1'000'000, 0, 0);
  tree.Leaf("system.slice/nginx.service", 100 << 20, 0, 0, 0);
  tree.Leaf(std::string("system.slice/docker-") + kContainer + ".scope", 300 << 20, 0, 0, 0);
  CollectorOptions options;
  options.cgroup_top_n = 2;
  auto collector = MakeCgroupCollector(tree.Root(), options);
  EXPECT_EQ(collector->name(), "cgroups");

  SystemSample first = At(100);
  ASSERT_TRUE(collector->Collect(first).ok());
  const Cgroups& c = first.cgroups;
  EXPECT_TRUE(c.available);
  EXPECT_EQ(c.count, 4u);  // system.slice and its three children
  EXPECT_FALSE(c.truncated);
  ASSERT_EQ(c.top_memory.size(), 2u);
  EXPECT_EQ(c.top_memory[0].path, "/system.slice/postgresql.service");
  EXPECT_EQ(c.top_memory[0].name, "postgresql.service");
  EXPECT_EQ(c.top_memory[0].memory_bytes, 800u << 20);
  EXPECT_EQ(c.top_memory[1].name, "0123456789ab");  // a container by its short id
  EXPECT_TRUE(c.top_memory[0].pressure);
  EXPECT_TRUE(c.top_memory_full.empty()) << "no stall before there is a previous pass";
  EXPECT_TRUE(c.all.empty()) << "only a capture keeps every leaf";

  // Two seconds later: postgresql stalled 0.8 s on memory, nginx 0.2 s on I/O.
  tree.Leaf("system.slice/postgresql.service", 900 << 20, 2'000'000, 800'000, 0);
  tree.Leaf("system.slice/nginx.service", 100 << 20, 0, 0, 200'000);
  SystemSample second = At(102);
  ASSERT_TRUE(collector->Collect(second).ok());
  ASSERT_EQ(second.cgroups.top_memory_full.size(), 1u);
  const CgroupUsage& pg = second.cgroups.top_memory_full[0];
  EXPECT_EQ(pg.name, "postgresql.service");
  EXPECT_DOUBLE_EQ(pg.memory_full_ratio, 0.4);
  EXPECT_DOUBLE_EQ(pg.cpu_ratio, 0.5);
  EXPECT_EQ(pg.memory_full_us, 800'000u);
  ASSERT_EQ(second.cgroups.top_io_full.size(), 1u);
  EXPECT_EQ(second.cgroups.top_io_full[0].name, "nginx.service");
  EXPECT_DOUBLE_EQ(second.cgroups.top_io_full[0].io_full_ratio, 0.1);
}

TEST(CgroupCollector, KeepsEveryLeafForACaptureAndStopsAtTheMostCgroups) {
  CgroupTree tree;
  for (int i = 0; i < 5; ++i) tree.Leaf("a.slice/s" + std::to_string(i) + ".service", 1, 0, 0, 0);
  CollectorOptions options;
  options.keep_all_cgroups = true;
  options.max_cgroups = 3;  // a.slice and two of its children
  auto collector = MakeCgroupCollector(tree.Root(), options);
  SystemSample s = At(1);
  ASSERT_TRUE(collector->Collect(s).ok());
  EXPECT_TRUE(s.cgroups.truncated);
  EXPECT_EQ(s.cgroups.count, 3u);
  ASSERT_EQ(s.cgroups.all.size(), 2u);
  EXPECT_EQ(s.cgroups.all[0].path, "/a.slice/s0.service");  // breadth-first, in name order
  EXPECT_EQ(s.cgroups.all[1].path, "/a.slice/s1.service");
}

TEST(CgroupCollector, UnreadablePressureAndMissingMemoryAreSaidNotGuessed) {
  CgroupTree tree;
  tree.dir().Write("sys/fs/cgroup/unified/x.slice/bare.service/cpu.stat", "usage_usec 5\n");
  CollectorOptions options;
  options.keep_all_cgroups = true;
  auto collector = MakeCgroupCollector(tree.Root(), options);
  SystemSample s = At(1);
  ASSERT_TRUE(collector->Collect(s).ok());
  ASSERT_EQ(s.cgroups.all.size(), 1u);
  EXPECT_FALSE(s.cgroups.all[0].pressure);
  EXPECT_EQ(s.cgroups.all[0].memory_bytes, std::nullopt);
  EXPECT_EQ(s.cgroups.all[0].cpu_usec, 5u);
  EXPECT_TRUE(s.cgroups.top_memory.empty());
}

TEST(CgroupCollector, NoV2HierarchyIsUnavailableNotAnError) {
  test::TempDir dir;
  dir.Write("proc/self/mountinfo",
            "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n");
  auto collector = MakeCgroupCollector(ProcRoot(dir / "proc", dir / "sys"), CollectorOptions{});
  SystemSample s = At(1);
  ASSERT_TRUE(collector->Collect(s).ok());
  EXPECT_FALSE(s.cgroups.available);
  EXPECT_EQ(s.cgroups.count, 0u);
}

}  // namespace
}  // namespace rh::collectors

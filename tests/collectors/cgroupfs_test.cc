#include "collectors/cgroupfs.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace rh::collectors {
namespace {

constexpr char kHybrid[] =
    "23 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "garbage\n"
    "50 23 0:40 / /mnt/with\\040space\\134x rw - tmpfs none rw\n";

TEST(ParseMountInfo, FindsV2WhereverItIsAndV1ByController) {
  auto mounts = ParseMountInfo(kHybrid);
  ASSERT_EQ(mounts.size(), 6u);
  const MountInfo* v2 = FindCgroup2(mounts);
  ASSERT_NE(v2, nullptr);
  EXPECT_EQ(v2->mount_point, "/sys/fs/cgroup/unified");
  EXPECT_EQ(v2->root, "/");
  const MountInfo* cpu = FindCgroup1(mounts, "cpu");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(FindCgroup1(mounts, "memory")->mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(FindCgroup1(mounts, "freezer"), nullptr);
  EXPECT_EQ(FindCgroup1(mounts, "cpuac"), nullptr);  // whole options only
  EXPECT_EQ(mounts.back().mount_point, "/mnt/with space\\x");
  EXPECT_EQ(FindCgroup2(ParseMountInfo("31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n")),
            nullptr);
  EXPECT_TRUE(ParseMountInfo("1 2 3 4 5 6 7 8\n").empty());  // no "-" separator
  EXPECT_TRUE(ParseMountInfo("").empty());
}

TEST(ParseProcCgroup, V2PathAndV1Controllers) {
  auto c = ParseProcCgroup(
      "9:name=systemd:/\n"
      "4:memory:/process_api/0b0b\n"
      "1:cpu,cpuacct:/a:b\n"
      "0::/system.slice/rogue-hunter.service\n"
      "bad line\n");
  ASSERT_TRUE(c.unified);
  EXPECT_EQ(*c.unified, "/system.slice/rogue-hunter.service");
  EXPECT_EQ(c.V1Path("memory"), "/process_api/0b0b");
  EXPECT_EQ(c.V1Path("cpu"), "/a:b");  // a colon in the path is the path's
  EXPECT_EQ(c.V1Path("freezer"), std::nullopt);
  EXPECT_FALSE(ParseProcCgroup("4:memory:/x\n").unified);
}

TEST(CgroupDirectory, BelowTheRootAndTheMount) {
  ProcRoot real;
  MountInfo v2{"/", "/sys/fs/cgroup/unified", "cgroup2", "rw"};
  EXPECT_EQ(CgroupDirectory(real, v2, "/"), (TreePath{"sys", "fs/cgroup/unified"}));
  EXPECT_EQ(CgroupDirectory(real, v2, "/a.slice/b.service"),
            (TreePath{"sys", "fs/cgroup/unified/a.slice/b.service"}));
  EXPECT_EQ(CgroupDirectory(real, v2, "/../x"), std::nullopt);
  MountInfo nested{"/docker/abc", "/sys/fs/cgroup", "cgroup2", "rw"};
  EXPECT_EQ(CgroupDirectory(real, nested, "/docker/abc/app"), (TreePath{"sys", "fs/cgroup/app"}));
  EXPECT_EQ(CgroupDirectory(real, nested, "/docker/abcd"), std::nullopt);
  EXPECT_EQ(CgroupDirectory(real, nested, "/other"), std::nullopt);
  MountInfo elsewhere{"/", "/cgroup2", "cgroup2", "rw"};
  EXPECT_EQ(CgroupDirectory(real, elsewhere, "/x"), (TreePath{"/", "/cgroup2/x"}));
  ProcRoot fixture("/tmp/p", "/tmp/s");
  EXPECT_EQ(CgroupDirectory(fixture, elsewhere, "/x"), std::nullopt);  // not in the tree
  EXPECT_EQ(fixture.Path(*CgroupDirectory(fixture, v2, "/y")), "/tmp/s/fs/cgroup/unified/y");
}

TEST(CgroupFiles, ThrottlingRunDelayAndKeyedValues) {
  EXPECT_EQ(ParseCpuThrottledSeconds("nr_periods 345\nnr_throttled 12\nthrottled_usec 482133\n"),
            0.482133);
  EXPECT_EQ(ParseCpuThrottledSeconds("nr_periods 3\nnr_throttled 1\nthrottled_time 2500000000\n"),
            2.5);
  EXPECT_EQ(ParseCpuThrottledSeconds("usage_usec 731683888\nuser_usec 1\n"), std::nullopt);
  EXPECT_EQ(ParseSchedstatRunDelay("1184725 49183000 31\n"), 0.049183);
  EXPECT_EQ(ParseSchedstatRunDelay("1184725\n"), std::nullopt);
  EXPECT_EQ(ParseSchedstatRunDelay("x y z"), std::nullopt);
  EXPECT_EQ(FlatKeyedValue("populated 1\nfrozen 0\n", "frozen"), 0u);
  EXPECT_EQ(FlatKeyedValue("populated 1\nfrozen 0\n", "froz"), std::nullopt);
  EXPECT_EQ(FlatKeyedValue("frozen x\n", "frozen"), std::nullopt);
}

}  // namespace
}  // namespace rh::collectors

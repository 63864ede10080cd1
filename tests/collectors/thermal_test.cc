#include "collectors/thermal.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/collectors/child_process.h"
#include "tests/support/temp_dir.h"

namespace rh::collectors {
namespace {

using test::WaitingChild;

std::vector<std::string> ZoneNames(const Thermal& thermal) {
  std::vector<std::string> names;
  for (const auto& z : thermal.zones) names.push_back(z.zone);
  return names;
}

void WriteZone(const test::TempDir& dir, const std::string& zone, const std::string& type,
               const std::string& temp) {
  dir.Write("sys/class/thermal/" + zone + "/type", type + "\n");
  dir.Write("sys/class/thermal/" + zone + "/temp", temp + "\n");
}

TEST(ParseThermalTemp, MillidegreesToCelsius) {
  EXPECT_DOUBLE_EQ(*ParseThermalTemp("48000\n"), 48.0);
  EXPECT_DOUBLE_EQ(*ParseThermalTemp("27800"), 27.8);
  EXPECT_DOUBLE_EQ(*ParseThermalTemp("-5500\n"), -5.5);
  EXPECT_DOUBLE_EQ(*ParseThermalTemp("9223372036854775807\n"), 9223372036854775.807);
  EXPECT_FALSE(ParseThermalTemp("9223372036854775808\n").ok());
  EXPECT_FALSE(ParseThermalTemp("").ok());
  EXPECT_FALSE(ParseThermalTemp("\n").ok());
  EXPECT_FALSE(ParseThermalTemp("48.5\n").ok());
  auto r = ParseThermalTemp("N/A\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("N/A"), std::string::npos) << r.error().message;
}

TEST(ParseThrottleCount, Counts) {
  EXPECT_EQ(*ParseThrottleCount("12\n"), 12u);
  EXPECT_EQ(*ParseThrottleCount("0"), 0u);
  EXPECT_EQ(*ParseThrottleCount("18446744073709551615\n"), 18446744073709551615u);
  EXPECT_FALSE(ParseThrottleCount("18446744073709551616\n").ok());
  EXPECT_FALSE(ParseThrottleCount("-1\n").ok());
  EXPECT_FALSE(ParseThrottleCount("twelve\n").ok());
  EXPECT_FALSE(ParseThrottleCount("").ok());
}

TEST(ThermalCollector, ReadsFixtureTree) {
  ProcRoot root(test::FixturesDir() / "proc", test::FixturesDir() / "sys");
  auto collector = MakeThermalCollector(root);
  EXPECT_EQ(collector->name(), "thermal");
  SystemSample sample;
  Status s = collector->Collect(sample);
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(sample.thermal.zones.size(), 2u);
  EXPECT_EQ(sample.thermal.zones[0].zone, "thermal_zone0");
  EXPECT_EQ(sample.thermal.zones[0].type, "acpitz");
  EXPECT_DOUBLE_EQ(sample.thermal.zones[0].celsius, 27.8);
  EXPECT_EQ(sample.thermal.zones[1].zone, "thermal_zone1");
  EXPECT_EQ(sample.thermal.zones[1].type, "x86_pkg_temp");
  EXPECT_DOUBLE_EQ(sample.thermal.zones[1].celsius, 48.0);
  EXPECT_TRUE(sample.thermal.throttle_counters);
  EXPECT_EQ(sample.thermal.core_throttles, 15u);    // 12 + 3
  EXPECT_EQ(sample.thermal.package_throttles, 7u);  // max(7, 7): one package
}

TEST(ThermalCollector, NoThermalDirectoryIsNoZones) {
  test::TempDir dir;
  dir.Write("sys/devices/system/cpu/online", "0-1\n");
  auto collector = MakeThermalCollector(ProcRoot(dir / "proc", dir / "sys"));
  SystemSample sample;
  Status s = collector->Collect(sample);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE(sample.thermal.zones.empty());
  EXPECT_FALSE(sample.thermal.throttle_counters);
  EXPECT_EQ(sample.thermal.core_throttles, 0u);
}

TEST(ThermalCollector, SortsZonesNaturally) {
  test::TempDir dir;
  for (int i : {10, 2, 1, 0, 11}) WriteZone(dir, "thermal_zone" + std::to_string(i), "t", "1000");
  dir.Write("sys/class/thermal/cooling_device3/type", "Fan\n");
  auto collector = MakeThermalCollector(ProcRoot(dir / "proc", dir / "sys"));
  SystemSample sample;
  ASSERT_TRUE(collector->Collect(sample).ok());
  EXPECT_EQ(ZoneNames(sample.thermal),
            (std::vector<std::string>{"thermal_zone0", "thermal_zone1", "thermal_zone2",
                                      "thermal_zone10", "thermal_zone11"}));
}

TEST(ThermalCollector, ZoneWhoseTempCannotBeReadIsSkipped) {
  test::TempDir dir;
  WriteZone(dir, "thermal_zone0", "acpitz", "27800");
  // A directory in place of the file: read() fails (EISDIR), as a sleeping sensor's read fails
  // with EINVAL or ENODATA on real hardware.
  dir.Write("sys/class/thermal/thermal_zone1/type", "iwlwifi_1\n");
  std::filesystem::create_directories(dir / "sys/class/thermal/thermal_zone1/temp");
  WriteZone(dir, "thermal_zone2", "x86_pkg_temp", "48000");
  auto collector = MakeThermalCollector(ProcRoot(dir / "proc", dir / "sys"));
  SystemSample sample;
  for (int pass = 0; pass < 2; ++pass) {
    Status s = collector->Collect(sample);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(ZoneNames(sample.thermal),
              (std::vector<std::string>{"thermal_zone0", "thermal_zone2"}));
  }
}

TEST(ThermalCollector, GarbledTempFailsNamingTheFile) {
  test::TempDir dir;
  WriteZone(dir, "thermal_zone0", "acpitz", "27800");
  WriteZone(dir, "thermal_zone1", "broken", "garbage");
  auto collector = MakeThermalCollector(ProcRoot(dir / "proc", dir / "sys"));
  SystemSample sample;
  Status s = collector->Collect(sample);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("thermal_zone1/temp"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("garbage"), std::string::npos) << s.error().message;
  EXPECT_TRUE(sample.thermal.zones.empty());
}

TEST(ThermalCollector, GarbledThrottleCountFailsNamingTheFile) {
  test::TempDir dir;
  dir.Write("sys/devices/system/cpu/cpu0/thermal_throttle/core_throttle_count", "x\n");
  auto collector = MakeThermalCollector(ProcRoot(dir / "proc", dir / "sys"));
  SystemSample sample;
  Status s = collector->Collect(sample);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("cpu0/thermal_throttle/core_throttle_count"), std::string::npos)
      << s.error().message;
}

TEST(ThermalCollector, CountersSumCoresAndTakeMaxOfPackages) {
  test::TempDir dir;
  const std::string cpu = "sys/devices/system/cpu/";
  dir.Write(cpu + "cpu0/thermal_throttle/core_throttle_count", "5\n");
  dir.Write(cpu + "cpu0/thermal_throttle/package_throttle_count", "40\n");
  dir.Write(cpu + "cpu1/thermal_throttle/core_throttle_count", "6\n");
  dir.Write(cpu + "cpu1/thermal_throttle/package_throttle_count", "40\n");
  dir.Write(cpu + "cpu8/thermal_throttle/core_throttle_count", "100\n");
  dir.Write(cpu + "cpu8/thermal_throttle/package_throttle_count", "90\n");
  dir.Write(cpu + "cpu9/thermal_throttle/core_throttle_count", "0\n");  // no package counter
  dir.Write(cpu + "cpufreq/policy0/scaling_cur_freq", "800000\n");
  dir.Write(cpu + "cpu2/online", "1\n");  // a CPU without thermal_throttle
  auto collector = MakeThermalCollector(ProcRoot(dir / "proc", dir / "sys"));
  SystemSample sample;
  ASSERT_TRUE(collector->Collect(sample).ok());
  EXPECT_TRUE(sample.thermal.throttle_counters);
  EXPECT_EQ(sample.thermal.core_throttles, 111u);
  EXPECT_EQ(sample.thermal.package_throttles, 90u);
}

TEST(ThermalCollector, KeepsFilesOpenAndRereadsThem) {
  test::TempDir dir;
  WriteZone(dir, "thermal_zone0", "acpitz", "27800");
  auto collector = MakeThermalCollector(ProcRoot(dir / "proc", dir / "sys"));
  SystemSample sample;
  ASSERT_TRUE(collector->Collect(sample).ok());
  EXPECT_DOUBLE_EQ(sample.thermal.zones.at(0).celsius, 27.8);
  dir.Write("sys/class/thermal/thermal_zone0/temp", "31000\n");
  // Scanned once: a zone appearing without any read failing is not looked for.
  WriteZone(dir, "thermal_zone5", "new", "1000");
  ASSERT_TRUE(collector->Collect(sample).ok());
  EXPECT_EQ(ZoneNames(sample.thermal), (std::vector<std::string>{"thermal_zone0"}));
  EXPECT_DOUBLE_EQ(sample.thermal.zones.at(0).celsius, 31.0);
}

TEST(ThermalCollector, RescansWhenAFileDisappears) {
  // On sysfs, a file whose object is removed (driver unloaded, CPU offline) fails to read on the
  // descriptor kept open and then no longer exists. A file of a process under /proc does the same
  // when the process dies, so the zone and the counter that go away point into a child's /proc.
  WaitingChild child;
  ASSERT_GT(child.pid(), 0);
  const auto child_file = ProcRoot::DefaultProc() / std::to_string(child.pid()) / "oom_score_adj";
  test::TempDir dir;
  WriteZone(dir, "thermal_zone0", "acpitz", "27800");
  dir.Write("sys/class/thermal/thermal_zone1/type", "x86_pkg_temp\n");
  std::filesystem::create_symlink(child_file, dir / "sys/class/thermal/thermal_zone1/temp");
  const std::string cpu = "sys/devices/system/cpu/";
  dir.Write(cpu + "cpu0/thermal_throttle/core_throttle_count", "1\n");
  std::filesystem::create_directories(dir / (cpu + "cpu1/thermal_throttle"));
  std::filesystem::create_symlink(child_file,
                                  dir / (cpu + "cpu1/thermal_throttle/package_throttle_count"));
  auto collector = MakeThermalCollector(ProcRoot(dir / "proc", dir / "sys"));
  SystemSample sample;
  ASSERT_TRUE(collector->Collect(sample).ok());
  EXPECT_EQ(ZoneNames(sample.thermal),
            (std::vector<std::string>{"thermal_zone0", "thermal_zone1"}));
  EXPECT_EQ(sample.thermal.core_throttles, 1u);

  // One driver goes and another comes; CPU 1 goes offline.
  child.Kill();
  std::filesystem::remove_all(dir / "sys/class/thermal/thermal_zone1");
  std::filesystem::remove_all(dir / (cpu + "cpu1"));
  WriteZone(dir, "thermal_zone3", "iwlwifi_1", "40000");
  dir.Write(cpu + "cpu0/thermal_throttle/package_throttle_count", "4\n");
  Status s = collector->Collect(sample);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(ZoneNames(sample.thermal),
            (std::vector<std::string>{"thermal_zone0", "thermal_zone3"}));
  EXPECT_DOUBLE_EQ(sample.thermal.zones.at(1).celsius, 40.0);
  EXPECT_EQ(sample.thermal.core_throttles, 1u);
  EXPECT_EQ(sample.thermal.package_throttles, 4u);  // cpu0's counter, found by the rescan
}

}  // namespace
}  // namespace rh::collectors

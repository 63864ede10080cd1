// Pieces of the operator commands that are pure functions.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "exporter/cli/config_file.h"
#include "exporter/cli/format.h"
#include "exporter/cli/service_unit.h"
#include "tests/support/temp_dir.h"

namespace rh::exporter::cli {
namespace {

using ::testing::HasSubstr;

TEST(CliFormat, AgoRoundsDownToTheLargestUnit) {
  EXPECT_EQ(Ago(0.5), "just now");
  EXPECT_EQ(Ago(59.9), "59s ago");
  EXPECT_EQ(Ago(61), "1m ago");
  EXPECT_EQ(Ago(2 * 3600 + 59 * 60), "2h ago");
  EXPECT_EQ(Ago(3 * 86400), "3d ago");
  EXPECT_EQ(Ago(-1), "in the future");
  EXPECT_EQ(Seconds(2.94), "2.9 s");
  EXPECT_EQ(Seconds(0.3), "0.300 s");
  EXPECT_EQ(Percent(0.734), "73%");
}

TEST(CliFormat, SinceTakesDurationsDatesAndTimes) {
  const double now = 1'800'000'000;
  EXPECT_EQ(*ParseSince("90s", now), now - 90);
  EXPECT_EQ(*ParseSince("30m", now), now - 1800);
  EXPECT_EQ(*ParseSince("2h", now), now - 7200);
  EXPECT_EQ(*ParseSince("7d", now), now - 7 * 86400);
  EXPECT_EQ(*ParseSince("1w", now), now - 7 * 86400);
  EXPECT_EQ(*ParseSince("@1700000000", now), 1'700'000'000);
  EXPECT_EQ(*ParseSince("2026-11-23T10:15:03.000Z", now), 1795428903);
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(*ParseSince("2026-11-23", now), 1795392000);
  EXPECT_EQ(*ParseSince("2026-11-23 10:15", now), 1795428900);
  EXPECT_EQ(*ParseSince("2026-11-23T10:15:03", now), 1795428903);
  for (const char* bad : {"", "h", "-2h", "2x", "2026-13-01", "2026-11-23 25:00", "yesterday",
                          "2026-11-23T10:15Zjunk"}) {
    auto r = ParseSince(bad, now);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.error().message, HasSubstr("--since"));
  }
}

TEST(CliFormat, PaintOnlyWhenAllowed) {
  EXPECT_EQ(Paint("x", Style::kRed, false), "x");
  EXPECT_EQ(Paint("x", Style::kGreen, true), "\x1b[32mx\x1b[0m");
  setenv("NO_COLOR", "1", 1);
  EXPECT_FALSE(ColorAllowed(1));
  unsetenv("NO_COLOR");
}

TEST(DefaultConfig, TheResetFileIsValidAndMeansTheDefaults) {
  auto parsed = config::Parse(DefaultConfigText(), "reset.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  parsed->source.clear();
  EXPECT_EQ(config::ToToml(*parsed), config::ToToml(config::Defaults()));

  auto system = config::Parse(DefaultConfigText("/var/lib/rogue-hunter"), "system.toml");
  ASSERT_TRUE(system.ok()) << system.error().message;
  EXPECT_EQ(system->storage.data_dir, "/var/lib/rogue-hunter");
  EXPECT_EQ(system->storage.database, "/var/lib/rogue-hunter/data.db");
  EXPECT_EQ(system->forensics.events_dir, "/var/lib/rogue-hunter/events");
}

TEST(DefaultConfig, InstalledWithItsModeAndDirectoryAndNoLeftovers) {
  test::TempDir dir;
  const auto path = dir / "sub/config.toml";
  ASSERT_TRUE(InstallFile(path, "a = 1\n",
                          std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
                  .ok());
  EXPECT_EQ(test::ReadFileOrFail(path), "a = 1\n");
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::mask,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir / "sub")) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(ServiceUnit, TheUnitsAreTheFilesInDeploy) {
  EXPECT_EQ(UnitText(true), test::ReadFileOrFail(std::filesystem::path(RH_SOURCE_DIR) /
                                                 "deploy/systemd/system/rogue-hunter.service"));
  EXPECT_EQ(UnitText(false), test::ReadFileOrFail(std::filesystem::path(RH_SOURCE_DIR) /
                                                  "deploy/systemd/user/rogue-hunter.service"));
  const std::string system = UnitText(true);
  for (const char* line :
       {"Type=notify", "WatchdogSec=", "Restart=on-failure", "NoNewPrivileges=yes",
        "ProtectSystem=strict", "ProtectHome=read-only", "ReadWritePaths=/var/lib/rogue-hunter",
        "PrivateTmp=yes", "ProtectKernelTunables=yes", "RestrictAddressFamilies=",
        "SystemCallFilter=@system-service", "CapabilityBoundingSet=", "AmbientCapabilities="}) {
    EXPECT_THAT(system, HasSubstr(std::string("\n") + line)) << line;
  }
}

}  // namespace
}  // namespace rh::exporter::cli

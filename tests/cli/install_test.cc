// rogue-hunter install / uninstall, never on the real machine: the user unit goes into a
// temporary HOME, the system unit under --root. systemd-analyze verify checks what is written.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "config/config.h"
#include "tests/cli/cli_support.h"
#include "tests/support/temp_dir.h"

namespace rh::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

bool SystemdRunsHere() { return fs::is_directory("/run/systemd/system"); }

// systemd-analyze verify; its output must be empty (a warning is a failure too).
void ExpectVerified(const std::vector<std::string>& argv) {
  ASSERT_TRUE(HaveProgram("systemd-analyze"))
      << "systemd-analyze (Debian package systemd) is missing";
  auto r = test::Run(argv, std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out + r.err, "");
}

TEST(Install, UserUnitProgramAndWhatCouldNotBeDone) {
  TempDir home;
  auto r = RunCli(home.path(), {"install"});
  const fs::path unit = home / ".config/systemd/user/rogue-hunter.service";
  const fs::path program = home / ".local/bin/rogue-hunter";
  ASSERT_TRUE(fs::exists(unit)) << r.out << r.err;
  ASSERT_TRUE(fs::exists(program));
  EXPECT_TRUE(fs::exists(home / ".local/bin/rogue-hunter-tui"));  // `tui` runs it from there
  EXPECT_TRUE((fs::status(program).permissions() & fs::perms::owner_exec) != fs::perms::none);
  EXPECT_EQ(ReadFileOrFail(unit),
            ReadFileOrFail(fs::path(RH_SOURCE_DIR) / "deploy/systemd/user/rogue-hunter.service"));
  if (!SystemdRunsHere()) {
    EXPECT_EQ(r.exit_code, 6);
    EXPECT_THAT(r.err, HasSubstr("systemd is not running on this machine, so the unit was "
                                 "written but NOT enabled or started"));
    EXPECT_THAT(r.err, HasSubstr("systemctl --user daemon-reload && systemctl --user enable "
                                 "--now rogue-hunter.service"));
  }
  // %h in ExecStart is this HOME: verify finds the program there.
  TempDir runtime;
  fs::permissions(runtime.path(), fs::perms::owner_all);
  ExpectVerified({"/usr/bin/env", "HOME=" + home.path().string(),
                  "XDG_RUNTIME_DIR=" + runtime.path().string(), "systemd-analyze", "--user",
                  "verify", unit.string()});

  // The copied program is the same program.
  auto version = test::Run({program.string(), "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.out, HasSubstr("rogue-hunter "));
}

TEST(Install, SystemUnitUnderARootWithItsConfigurationAndHardening) {
  TempDir root;
  TempDir home;
  auto r = RunCli(home.path(), {"install", "--system", "--root", root.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("--root given: systemd was not asked to do anything"));
  const fs::path unit = root / "etc/systemd/system/rogue-hunter.service";
  EXPECT_EQ(ReadFileOrFail(unit),
            ReadFileOrFail(fs::path(RH_SOURCE_DIR) / "deploy/systemd/system/rogue-hunter.service"));
  ASSERT_TRUE(fs::exists(root / "usr/local/bin/rogue-hunter"));
  EXPECT_TRUE(fs::exists(root / "usr/local/bin/rogue-hunter-tui"));
  auto config = config::Load(root / "etc/rogue-hunter/config.toml", true);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->storage.data_dir, "/var/lib/rogue-hunter");
  EXPECT_EQ(config->storage.database, "/var/lib/rogue-hunter/data.db");

  // The unit names /usr/local/bin/rogue-hunter; verify it with that path under the root.
  std::string text = ReadFileOrFail(unit);
  text = std::regex_replace(text, std::regex("/usr/local/bin/rogue-hunter"),
                            (root / "usr/local/bin/rogue-hunter").string());
  TempDir check;
  const auto copy = check.Write("rogue-hunter.service", text);
  ExpectVerified({"systemd-analyze", "verify", copy.string()});

  // A second install keeps an existing configuration.
  root.Write("etc/rogue-hunter/config.toml", "[sampling]\nnormal_interval = 9\n");
  auto again = RunCli(home.path(), {"install", "--system", "--root", root.path().string()});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_THAT(again.out, HasSubstr("(kept as it is)"));
  EXPECT_EQ(ReadFileOrFail(root / "etc/rogue-hunter/config.toml"),
            "[sampling]\nnormal_interval = 9\n");
}

TEST(Install, UninstallRemovesTheUnitAndWithForceTheDataAfterConfirmation) {
  TempDir root;
  TempDir home;
  ASSERT_EQ(RunCli(home.path(), {"install", "--system", "--root", root.path().string()}).exit_code,
            0);
  root.Write("var/lib/rogue-hunter/data.db", "x");
  root.Write("var/lib/rogue-hunter/events/b/manifest.json", "{}");

  auto refused =
      RunCli(home.path(), {"uninstall", "--system", "--force", "--root", root.path().string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("refusing without confirmation"));
  EXPECT_TRUE(fs::exists(root / "etc/systemd/system/rogue-hunter.service"));  // nothing changed

  auto plain = RunCli(home.path(), {"uninstall", "--system", "--root", root.path().string()});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_FALSE(fs::exists(root / "etc/systemd/system/rogue-hunter.service"));
  EXPECT_TRUE(fs::exists(root / "var/lib/rogue-hunter/data.db"));
  EXPECT_THAT(plain.out, HasSubstr("uninstall --force deletes it"));

  auto forced = RunCli(
      home.path(), {"uninstall", "--system", "--force", "--yes", "--root", root.path().string()});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_FALSE(fs::exists(root / "var/lib/rogue-hunter"));
  EXPECT_TRUE(fs::exists(root / "etc/rogue-hunter/config.toml"));  // configuration is kept
  EXPECT_THAT(forced.out, HasSubstr("data: removed"));
}

TEST(Install, SystemWideNeedsRootWithoutARootDirectory) {
  ASSERT_TRUE(HaveProgram("setpriv"));
  TempDir home;
  fs::permissions(home.path(), fs::perms::all);
  auto r = test::Run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/env",
                      "HOME=" + home.path().string(), BinaryPath("exporter/rogue-hunter").string(),
                      "install", "--system"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("install --system writes to /etc and /usr/local: run it as root"));
}

}  // namespace
}  // namespace rh::test

// rogue-hunter config show|edit|reset|validate.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "config/config.h"
#include "tests/cli/cli_support.h"
#include "tests/support/daemon.h"
#include "tests/support/temp_dir.h"

namespace rh::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// An $EDITOR: a script that replaces the file it is given with `content`, logging each run.
fs::path Editor(const TempDir& dir, const std::string& name, const std::string& content) {
  auto script = dir.Write(name, "#!/bin/sh\necho run >> \"" + (dir / (name + ".runs")).string() +
                                    "\"\ncat > \"$1\" <<'END'\n" + content + "END\n");
  fs::permissions(script, fs::perms::owner_all);
  return script;
}

int Runs(const TempDir& dir, const std::string& name) {
  std::error_code ec;
  if (!fs::exists(dir / (name + ".runs"), ec)) return 0;
  const std::string text = ReadFileOrFail(dir / (name + ".runs"));
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

std::vector<std::string> Entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(ConfigCommand, AnInvalidEditIsRejectedWithItsErrorsAndTheOldFileKept) {
  TempDir home;
  const std::string original = "[sampling]\nnormal_interval = 4\n";
  const auto path = home.Write(".config/rogue-hunter/config.toml", original);
  chmod(path.c_str(), 0640);
  TempDir tools;
  const auto editor = Editor(tools, "bad-editor", "[sampling]\nnormal_interval = 0\nbogus = 1\n");
  auto r = RunCli(home.path(), {"config", "edit"}, {"EDITOR=" + editor.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(path.string() + ":2:19: sampling.normal_interval: must be between"));
  EXPECT_THAT(r.err, HasSubstr(path.string() + ":3:1: sampling.bogus: unknown key"));
  EXPECT_THAT(r.err, HasSubstr("the edit is not valid; " + path.string() + " is unchanged"));
  EXPECT_EQ(ReadFileOrFail(path), original);
  EXPECT_EQ(Runs(tools, "bad-editor"), 1);  // stdin is no terminal: no offer to edit again
  EXPECT_EQ(Entries(path.parent_path()), std::vector<std::string>{"config.toml"});
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(ConfigCommand, AValidEditIsSavedAndTheRunningDaemonReloadsIt) {
  TempDir home;
  const auto path =
      home.Write(".config/rogue-hunter/config.toml", "[sampling]\nnormal_interval = 4\n");
  Daemon daemon(home.path(), {});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  TempDir tools;
  const auto editor = Editor(tools, "good-editor", "[sampling]\nnormal_interval = 3\n");
  // VISUAL wins over EDITOR.
  auto r =
      RunCli(home.path(), {"config", "edit"}, {"VISUAL=" + editor.string(), "EDITOR=/bin/false"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(path.string() + ": saved"));
  EXPECT_THAT(r.out, HasSubstr("told the running daemon (pid " +
                               std::to_string(daemon.process().pid()) + ") to reload"));
  EXPECT_EQ(ReadFileOrFail(path), "[sampling]\nnormal_interval = 3\n");
  EXPECT_TRUE(WaitUntil(
      [&] { return daemon.Metric("rogue_hunter_config_reloads_total{result=\"success\"}") == 1.0; },
      std::chrono::seconds(10)));
  EXPECT_THAT(daemon.process().Stderr(), HasSubstr("applied sampling.normal_interval"));
}

TEST(ConfigCommand, AnEditorThatFailsChangesNothing) {
  TempDir home;
  const auto path = home.Write(".config/rogue-hunter/config.toml", "# mine\n");
  auto r = RunCli(home.path(), {"config", "edit"}, {"EDITOR=false"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("exited with status 1"));
  EXPECT_EQ(ReadFileOrFail(path), "# mine\n");
  EXPECT_EQ(Entries(path.parent_path()), std::vector<std::string>{"config.toml"});
}

TEST(ConfigCommand, EditCreatesTheFileFromTheDefaultsAndFixesAnInvalidOne) {
  TempDir home;
  TempDir tools;
  const auto keep = tools.Write("keep-editor", "#!/bin/sh\nexit 0\n");
  fs::permissions(keep, fs::perms::owner_all);
  auto created = RunCli(home.path(), {"config", "edit"}, {"EDITOR=" + keep.string()});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const auto path = home / ".config/rogue-hunter/config.toml";
  auto parsed = config::Load(path, true);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;

  // An invalid file does not stop `config edit` from fixing it.
  home.Write(".config/rogue-hunter/config.toml", "[sampling\n");
  const auto fix = Editor(tools, "fix", "[sampling]\nnormal_interval = 6\n");
  auto fixed = RunCli(home.path(), {"config", "edit"}, {"EDITOR=" + fix.string()});
  EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_EQ(ReadFileOrFail(path), "[sampling]\nnormal_interval = 6\n");
  // Other commands refuse an invalid file, naming it.
  home.Write(".config/rogue-hunter/config.toml", "[sampling\n");
  auto show = RunCli(home.path(), {"config", "show"});
  EXPECT_EQ(show.exit_code, 2);
  EXPECT_THAT(show.err, HasSubstr(path.string() + ":1:"));
}

TEST(ConfigCommand, ResetAsksOrNeedsYesAndKeepsABackup) {
  TempDir home;
  const auto path =
      home.Write(".config/rogue-hunter/config.toml", "[sampling]\nnormal_interval = 4\n");
  auto refused = RunCli(home.path(), {"config", "reset"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("stdin is not a terminal (use --yes)"));
  EXPECT_EQ(ReadFileOrFail(path), "[sampling]\nnormal_interval = 4\n");

  auto reset = RunCli(home.path(), {"config", "reset", "--yes"});
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_EQ(ReadFileOrFail(path.string() + ".bak"), "[sampling]\nnormal_interval = 4\n");
  auto parsed = config::Load(path, true);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->sampling.normal_interval, 5);
  EXPECT_THAT(reset.out, HasSubstr("no daemon is running"));
  auto show = RunCli(home.path(), {"config", "show"});
  EXPECT_EQ(show.exit_code, 0);
  EXPECT_THAT(show.out, HasSubstr("normal_interval = 5\n"));
}

TEST(ConfigCommand, ValidateAFileGivenAsAnArgument) {
  TempDir home;
  TempDir dir;
  const auto good = dir.Write("good.toml", "[pause]\nmin_seconds = 2\n");
  const auto bad = dir.Write("bad.toml", "[pause]\ntick_ms = 0\n");
  auto ok = RunCli(home.path(), {"config", "validate", good.string()});
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.out, good.string() + ": valid\n");
  auto fails = RunCli(home.path(), {"config", "validate", bad.string()});
  EXPECT_EQ(fails.exit_code, 2);
  EXPECT_EQ(fails.err, "rogue-hunter: " + bad.string() +
                           ":2:11: pause.tick_ms: must be between 1 and 1000, got 0\n");
  auto defaults = RunCli(home.path(), {"config", "validate"});
  EXPECT_EQ(defaults.exit_code, 0);
  EXPECT_THAT(defaults.out, HasSubstr("no such file; the defaults apply"));
  auto missing = RunCli(home.path(), {"config", "validate", (dir / "none.toml").string()});
  EXPECT_EQ(missing.exit_code, 2);
}

}  // namespace
}  // namespace rh::test

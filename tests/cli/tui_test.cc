// rogue-hunter tui in a real terminal: tmux runs it in a pseudo-terminal, send-keys types,
// capture-pane reads the screen.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <fstream>
#include <regex>

#include "tests/cli/cli_support.h"
#include "tests/support/daemon.h"
#include "tests/support/temp_dir.h"

namespace rh::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

// A tmux server of its own (its own socket), killed at the end.
class Terminal {
 public:
  Terminal(const fs::path& dir, int columns, int rows, const std::string& command,
           const std::vector<std::string>& env)
      : socket_((dir / "tmux.sock").string()) {
    std::vector<std::string> argv = {"tmux",
                                     "-S",
                                     socket_,
                                     "-f",
                                     "/dev/null",
                                     "new-session",
                                     "-d",
                                     "-x",
                                     std::to_string(columns),
                                     "-y",
                                     std::to_string(rows)};
    for (const auto& e : env) {
      argv.push_back("-e");
      argv.push_back(e);
    }
    argv.push_back(command);
    auto r = test::Run(argv, 10s);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  ~Terminal() { test::Run({"tmux", "-S", socket_, "kill-server"}, 10s); }

  std::string Screen(bool escapes = false) const {
    std::vector<std::string> argv = {"tmux", "-S", socket_, "capture-pane", "-p", "-J"};
    if (escapes) argv.push_back("-e");
    return test::Run(argv, 10s).out;
  }
  void Keys(const std::string& keys) const {
    test::Run({"tmux", "-S", socket_, "send-keys", keys}, 10s);
  }
  void Resize(int columns, int rows) const {
    auto r = test::Run({"tmux", "-S", socket_, "resize-window", "-x", std::to_string(columns), "-y",
                        std::to_string(rows)},
                       10s);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  std::string Format(const std::string& format) const {
    return test::Run({"tmux", "-S", socket_, "display-message", "-p", format}, 10s).out;
  }
  bool WaitFor(const std::string& text, std::chrono::milliseconds timeout = 15s) const {
    return WaitUntil([&] { return Screen().find(text) != std::string::npos; }, timeout, 100ms);
  }

 private:
  std::string socket_;
};

// The TUI in a shell that reports how it left the terminal.
std::string Command(const fs::path& home, const fs::path& dir, const std::string& marker) {
  return "sh -c 'HOME=" + home.string() + " XDG_CONFIG_HOME=" + (home / ".config").string() +
         " XDG_DATA_HOME=" + (home / ".local/share").string() + " " +
         BinaryPath("exporter/rogue-hunter").string() + " --config " +
         (home / ".config/rogue-hunter" / (marker + ".toml")).string() + " tui; stty -a > " +
         (dir / "stty.txt").string() + "; echo EXITED; sleep 60'";
}

// A daemon on a copy of the fixture's history whose score does not move: an hour between
// samples, and no state ever elevated.
struct SteadyDaemon {
  TempDir dir;
  fs::path home = CopyFixtureHome(dir.path());
  fs::path config;
  std::unique_ptr<Daemon> daemon;
  explicit SteadyDaemon(const std::string& marker) {
    config = home / ".config/rogue-hunter" / (marker + ".toml");
    fs::create_directories(config.parent_path());
    std::ofstream(config) << "[sampling]\nnormal_interval = 3600\nelevated_interval = 3600\n"
                             "elevation_threshold = 100\nrecovery_threshold = 99\n"
                             "critical_threshold = 100\n";
    daemon = std::make_unique<Daemon>(home, std::vector<std::string>{"--config", config.string()});
  }
};

TEST(Tui, ShowsTheDaemonsStressSwitchesViewsSurvivesResizeAndRestoresTheTerminal) {
  ASSERT_TRUE(HaveProgram("tmux")) << "tmux (Debian package tmux) is missing";
  SteadyDaemon s("tui-views");
  ASSERT_TRUE(s.daemon->ready()) << s.daemon->process().Stderr();
  Terminal term(s.dir.path(), 80, 24, Command(s.home, s.dir.path(), "tui-views"),
                {"TERM=xterm-256color"});
  ASSERT_TRUE(term.WaitFor("STRESS")) << term.Screen();
  EXPECT_EQ(term.Format("#{alternate_on}"), "1\n");

  // The score on screen is the daemon's.
  auto status = ParseJson(s.daemon->Get("/api/status").body);
  const long score = std::lround(status["stress"]["score"].get<double>());
  std::smatch m;
  const std::string screen = term.Screen();
  ASSERT_TRUE(std::regex_search(screen, m, std::regex("STRESS [^0-9]* ([0-9]+)%"))) << screen;
  EXPECT_EQ(std::stol(m[1]), score) << screen;
  EXPECT_THAT(screen, HasSubstr("RECENT EVENTS"));
  EXPECT_THAT(screen, HasSubstr("PAUSE"));
  EXPECT_THAT(screen, HasSubstr("LAST PAUSE ENDED"));
  // The fixture's pause stopped rogue-hunter alone (SIGSTOP): said so, and not marked as the
  // machine's.
  EXPECT_THAT(screen, HasSubstr("only rogue-hunter stopped"));
  EXPECT_THAT(screen, ::testing::ContainsRegex("PAUSE +2\\.5[0-9]* s +PROCESS"));
  EXPECT_THAT(screen, Not(HasSubstr("! ")));
  EXPECT_THAT(screen, Not(HasSubstr("⚠")));
  EXPECT_THAT(screen, HasSubstr("[q] Quit  [e] Events  [p] Processes  [h] History"));
  std::istringstream lines(screen);
  int rows = 0;
  for (std::string line; std::getline(lines, line);) ++rows;
  EXPECT_LE(rows, 24);

  term.Keys("e");
  EXPECT_TRUE(term.WaitFor("rogue-hunter  events")) << term.Screen();
  EXPECT_THAT(term.Screen(), HasSubstr("PAUSE"));
  term.Keys("p");
  EXPECT_TRUE(term.WaitFor("BY MEMORY")) << term.Screen();
  EXPECT_THAT(term.Screen(), HasSubstr("BLOCKED TASKS"));
  term.Keys("h");
  EXPECT_TRUE(term.WaitFor("Stress score, last hour")) << term.Screen();
  term.Keys("?");
  EXPECT_TRUE(term.WaitFor("KEYS")) << term.Screen();
  term.Keys("d");
  EXPECT_TRUE(term.WaitFor("TOP PROCESSES")) << term.Screen();

  term.Resize(120, 40);
  EXPECT_TRUE(WaitUntil(
      [&] {
        const std::string wide = term.Screen();
        std::istringstream first(wide);
        std::string top;
        std::getline(first, top);
        return top.size() > 100 && wide.find("STRESS") != std::string::npos;
      },
      10s))
      << term.Screen();
  term.Resize(60, 20);
  EXPECT_TRUE(term.WaitFor("needs at least 80x24")) << term.Screen();
  term.Resize(80, 24);
  EXPECT_TRUE(term.WaitFor("STRESS")) << term.Screen();

  term.Keys("q");
  ASSERT_TRUE(term.WaitFor("EXITED")) << term.Screen();
  EXPECT_EQ(term.Format("#{alternate_on}"), "0\n");
  const std::string modes = ReadFileOrFail(s.dir / "stty.txt");
  EXPECT_THAT(modes, HasSubstr(" icanon"));
  EXPECT_THAT(modes, Not(HasSubstr("-icanon")));
  EXPECT_THAT(modes, Not(HasSubstr("-echo ")));
}

TEST(Tui, ACrashSignalStillRestoresTheTerminal) {
  ASSERT_TRUE(HaveProgram("tmux"));
  SteadyDaemon s("tui-crash");
  ASSERT_TRUE(s.daemon->ready()) << s.daemon->process().Stderr();
  Terminal term(s.dir.path(), 80, 24, Command(s.home, s.dir.path(), "tui-crash"),
                {"TERM=xterm-256color"});
  ASSERT_TRUE(term.WaitFor("STRESS")) << term.Screen();
  // The tui is the process whose command line names this test's configuration.
  auto pids = test::Run({"pgrep", "-f", "rogue-hunter-tui .*tui-crash.toml$"});
  ASSERT_EQ(pids.exit_code, 0);
  test::Run({"kill", "-SEGV", pids.out.substr(0, pids.out.find('\n'))});
  ASSERT_TRUE(term.WaitFor("EXITED")) << term.Screen();
  EXPECT_EQ(term.Format("#{alternate_on}"), "0\n");
  const std::string modes = ReadFileOrFail(s.dir / "stty.txt");
  EXPECT_THAT(modes, HasSubstr(" icanon"));
  EXPECT_THAT(modes, Not(HasSubstr("-echo ")));
}

TEST(Tui, NoColorMeansNoColour) {
  ASSERT_TRUE(HaveProgram("tmux"));
  SteadyDaemon s("tui-color");
  ASSERT_TRUE(s.daemon->ready()) << s.daemon->process().Stderr();
  // 3x/9x foreground colours in the SGR sequences tmux reports.
  const std::regex colour("\x1b\\[[0-9;]*(3[0-7]|9[0-7])[;m]");
  {
    Terminal term(s.dir.path(), 80, 24, Command(s.home, s.dir.path(), "tui-color"),
                  {"TERM=xterm-256color"});
    ASSERT_TRUE(term.WaitFor("STRESS")) << term.Screen();
    EXPECT_TRUE(std::regex_search(term.Screen(true), colour));
    term.Keys("q");
    ASSERT_TRUE(term.WaitFor("EXITED"));
  }
  {
    Terminal term(s.dir.path(), 80, 24, Command(s.home, s.dir.path(), "tui-color"),
                  {"TERM=xterm-256color", "NO_COLOR=1"});
    ASSERT_TRUE(term.WaitFor("STRESS")) << term.Screen();
    EXPECT_FALSE(std::regex_search(term.Screen(true), colour)) << term.Screen(true);
    term.Keys("q");
    ASSERT_TRUE(term.WaitFor("EXITED"));
  }
}

TEST(Tui, WithoutTheDaemonItSaysSoAndShowsTheHistory) {
  ASSERT_TRUE(HaveProgram("tmux"));
  SteadyDaemon s("tui-nodaemon");
  s.daemon.reset();  // stopped: the history stays
  Terminal term(s.dir.path(), 80, 24, Command(s.home, s.dir.path(), "tui-nodaemon"),
                {"TERM=xterm-256color"});
  ASSERT_TRUE(term.WaitFor("DAEMON NOT RUNNING")) << term.Screen();
  EXPECT_THAT(term.Screen(), HasSubstr("PAUSE"));
  term.Keys("q");
  EXPECT_TRUE(term.WaitFor("EXITED"));
}

TEST(Tui, RefusesWithoutATerminal) {
  TempDir home;
  auto r = RunCli(home.path(), {"tui"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("tui needs a terminal"));
}

// `config edit` on a terminal: an invalid result is shown and the editor offered again.
TEST(ConfigEditOnATerminal, OffersToEditAgainUntilTheFileIsValid) {
  ASSERT_TRUE(HaveProgram("tmux"));
  TempDir dir;
  const auto home = dir / "home";
  const auto path =
      dir.Write("home/.config/rogue-hunter/config.toml", "[sampling]\nnormal_interval = 4\n");
  // First run writes an invalid file, the second a valid one.
  const auto editor = dir.Write(
      "editor",
      "#!/bin/sh\nn=$(cat \"$0.n\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$0.n\"\n"
      "if [ $n -eq 1 ]; then v=0; else v=7; fi\n"
      "printf '[sampling]\\nnormal_interval = %s\\n' $v > \"$1\"\n");
  fs::permissions(editor, fs::perms::owner_all);
  Terminal term(dir.path(), 100, 24,
                "sh -c 'HOME=" + home.string() + " XDG_CONFIG_HOME=" + (home / ".config").string() +
                    " XDG_DATA_HOME=" + (home / ".local/share").string() + " EDITOR=" +
                    editor.string() + " " + BinaryPath("exporter/rogue-hunter").string() +
                    " config edit; echo EXIT=$?; sleep 60'",
                {});
  ASSERT_TRUE(term.WaitFor("Edit again? [Y/n]")) << term.Screen();
  EXPECT_THAT(term.Screen(), HasSubstr("sampling.normal_interval: must be between 0.1 and 3600"));
  EXPECT_EQ(ReadFileOrFail(path), "[sampling]\nnormal_interval = 4\n");
  term.Keys("Enter");
  ASSERT_TRUE(term.WaitFor("EXIT=0")) << term.Screen();
  EXPECT_THAT(term.Screen(), HasSubstr(": saved"));
  EXPECT_EQ(ReadFileOrFail(path), "[sampling]\nnormal_interval = 7\n");
}

}  // namespace
}  // namespace rh::test

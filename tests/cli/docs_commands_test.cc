// The documentation stays true: every `rogue-hunter` and `rh-forensics` command line that the
// README and docs/ show is checked against the real binaries. Each one must parse (the binaries
// check it and stop when RH_CHECK_ARGS=1); those that only read are also run for real on the
// history of the CLI fixture (a real daemon run with a pause and its bundle) and must succeed.
//
// A command line is an inline code span or a line of a code block that starts with the program's
// name. Synopsis notation is expanded: `[--opt X]` is included, `a|b` gives one line per
// alternative, and upper-case placeholders (ID, PATH, DIR, ...) become real values.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/cli_support.h"
#include "tests/support/daemon.h"
#include "tests/support/http.h"
#include "tests/support/temp_dir.h"

namespace rh::test {
namespace {

namespace fs = std::filesystem;

struct Documented {
  std::string where;  // file:line
  std::string text;   // as written
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<fs::path> DocumentationFiles() {
  std::vector<fs::path> files = {fs::path(RH_SOURCE_DIR) / "README.md"};
  for (const auto& entry : fs::directory_iterator(fs::path(RH_SOURCE_DIR) / "docs")) {
    if (entry.path().extension() == ".md") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool StartsWithProgram(const std::string& text) {
  for (std::string program : {"rogue-hunter", "rh-forensics"}) {
    if (text.rfind(program, 0) == 0 &&
        (text.size() == program.size() || text[program.size()] == ' ')) {
      return true;
    }
  }
  return false;
}

int LineOf(const std::string& text, std::size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
}

// Inline code spans (which may wrap across lines) and lines of fenced or indented code blocks.
std::vector<Documented> CommandLines() {
  std::vector<Documented> out;
  for (const fs::path& file : DocumentationFiles()) {
    const std::string text = ReadFile(file);
    const std::string name = fs::relative(file, RH_SOURCE_DIR).string();
    std::istringstream lines(text);
    bool fenced = false;
    int number = 0;
    std::string prose;  // the text outside code blocks, for the inline spans
    for (std::string line; std::getline(lines, line);) {
      ++number;
      if (line.rfind("```", 0) == 0) {
        fenced = !fenced;
        prose += '\n';
        continue;
      }
      const bool indented = !fenced && line.rfind("    ", 0) == 0;
      if (fenced || indented) {
        std::string code = line.substr(line.find_first_not_of(' ') == std::string::npos
                                           ? line.size()
                                           : line.find_first_not_of(' '));
        for (std::string prompt : {"$ ", "# ", "sudo "}) {
          if (code.rfind(prompt, 0) == 0) code.erase(0, prompt.size());
        }
        // "rogue-hunter  processes   01:48:55": a screen's title row, output, not a command.
        const bool columns =
            code.find(' ') != std::string::npos && code.find(' ') == code.find("  ");
        if (StartsWithProgram(code) && !columns) {
          out.push_back({name + ":" + std::to_string(number), code});
        }
        prose += '\n';
      } else {
        prose += line + '\n';
      }
    }
    static const std::regex span("`([^`]+)`");
    for (auto it = std::sregex_iterator(prose.begin(), prose.end(), span);
         it != std::sregex_iterator(); ++it) {
      std::string code = (*it)[1].str();
      std::replace(code.begin(), code.end(), '\n', ' ');
      if (code.rfind("sudo ", 0) == 0) code.erase(0, 5);
      if (StartsWithProgram(code)) {
        out.push_back(
            {name + ":" + std::to_string(LineOf(prose, static_cast<std::size_t>(it->position()))),
             code});
      }
    }
  }
  return out;
}

// Splits on spaces, keeping "quoted words" together; drops a trailing "  # comment".
std::vector<std::string> Words(std::string text) {
  static const std::regex comment("\\s+#.*$");
  text = std::regex_replace(text, comment, "");
  std::vector<std::string> words;
  std::string word;
  bool quoted = false, any = false;
  for (char c : text) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if (c == ' ' && !quoted) {
      if (any) words.push_back(word);
      word.clear();
      any = false;
    } else {
      word += c;
      any = true;
    }
  }
  if (any) words.push_back(word);
  return words;
}

// One argument vector per alternative: brackets dropped, `a|b` expanded, "x | y" splits the
// whole line into alternatives.
std::vector<std::vector<std::string>> Expand(const std::vector<std::string>& words) {
  std::vector<std::vector<std::string>> lines = {{}};
  std::vector<std::vector<std::string>> done;
  for (std::string w : words) {
    if (w == "<" || w == ">" || w == "2>" || w == "&&" || w == ";") break;  // the shell's part
    if (w == "|") {  // "--version | --help": each side is a command line of its own
      for (auto& l : lines) done.push_back(l);
      lines = {{words.front()}};
      continue;
    }
    w.erase(std::remove(w.begin(), w.end(), '['), w.end());
    w.erase(std::remove(w.begin(), w.end(), ']'), w.end());
    if (w.empty() || w == "...") continue;
    std::vector<std::string> alternatives;
    if (w.find('|') != std::string::npos && w.rfind("--", 0) != 0) {
      std::istringstream parts(w);
      for (std::string part; std::getline(parts, part, '|');) alternatives.push_back(part);
    } else {
      alternatives = {w};
    }
    std::vector<std::vector<std::string>> next;
    for (const auto& l : lines) {
      for (const auto& a : alternatives) {
        next.push_back(l);
        next.back().push_back(a);
      }
    }
    lines = std::move(next);
  }
  for (auto& l : lines) done.push_back(l);
  return done;
}

class DocumentedCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = CopyFixtureHome(dir_.path());
    work_ = dir_.path() / "work";
    fs::create_directories(work_);
    auto store = OpenStore(home_);
    ASSERT_NE(store, nullptr);
    auto pauses = store->LatestEvents(0, {forensics::EventKind::kPause}, 1);
    ASSERT_TRUE(pauses.ok() && !pauses->empty());
    event_id_ = std::to_string(pauses->front().id);
    auto captures = store->Captures(pauses->front().key);
    ASSERT_TRUE(captures.ok() && !captures->empty());
    bundle_id_ = fs::path(captures->back().bundle_path).filename().string();
    config_ = home_ / ".config/rogue-hunter/config.toml";
    ASSERT_TRUE(fs::exists(config_));
  }

  // What each upper-case placeholder of the docs stands for on the fixture.
  std::string Value(const std::string& program, const std::string& placeholder) const {
    const std::map<std::string, std::string> values = {
        {"PATH", config_.string()},
        {"DIR", (work_ / "dir").string()},
        {"FILE", (DataDir(home_) / "data.db").string()},
        {"ADDR:PORT", "127.0.0.1:1"},
        {"HOURS", "2"},
        {"N", "5"},
        {"WHEN", "2h"},
        {"KIND", "pause"},
        {"SECONDS", "1"},
        {"ID", program == "rogue-hunter" ? event_id_ : bundle_id_},
        {"ID1", bundle_id_},
        {"ID2", bundle_id_},
        {"BUNDLE", bundle_id_},
    };
    auto it = values.find(placeholder);
    return it == values.end() ? std::string() : it->second;
  }

  // The argument vector with placeholders replaced (`substituted` says which were); false if
  // one is not known.
  bool Substitute(std::vector<std::string>& args, std::vector<bool>& substituted,
                  std::string& unknown) const {
    static const std::regex placeholder("^[A-Z][A-Z0-9_:]*$");
    substituted.assign(args.size(), false);
    for (std::size_t i = 1; i < args.size(); ++i) {
      if (!std::regex_match(args[i], placeholder)) continue;
      std::string value = Value(args[0], args[i]);
      if (value.empty()) {
        unknown = args[i];
        return false;
      }
      args[i] = value;
      substituted[i] = true;
    }
    return true;
  }

  RunResult Execute(const std::vector<std::string>& args, bool check_only) const {
    // A fresh working directory each time: `report ID -o report.html` twice must both work.
    const fs::path cwd = work_ / std::to_string(++runs_);
    fs::create_directories(cwd);
    std::vector<std::string> argv = {"/usr/bin/env",
                                     "-C",
                                     cwd.string(),
                                     "-u",
                                     "VISUAL",
                                     "-u",
                                     "EDITOR",
                                     "HOME=" + home_.string(),
                                     "XDG_CONFIG_HOME=" + (home_ / ".config").string(),
                                     "XDG_DATA_HOME=" + (home_ / ".local/share").string(),
                                     "TZ=UTC"};
    if (check_only) argv.push_back("RH_CHECK_ARGS=1");
    argv.push_back(BinaryPath(args[0] == "rogue-hunter" ? "exporter/rogue-hunter"
                                                        : "forensics/cli/rh-forensics")
                       .string());
    argv.insert(argv.end(), args.begin() + 1, args.end());
    return test::Run(argv, std::chrono::seconds(60), "");
  }

  // Commands that only read (or write below the working directory): run for real. Their exit
  // codes on the fixture: status finds no daemon (5) and says so; the rest succeed.
  static std::optional<std::set<int>> RunsForReal(const std::vector<std::string>& args) {
    if (args.size() < 2) return std::nullopt;
    const std::string& command = args[1];
    if (args[0] == "rogue-hunter") {
      if (command == "status") return std::set<int>{5};
      if (command == "events" || command == "history") return std::set<int>{0};
      if (command == "config" && args.size() >= 3 && (args[2] == "show" || args[2] == "validate")) {
        return std::set<int>{0};
      }
      return std::nullopt;
    }
    static const std::set<std::string> reading = {"list", "show",   "verify", "patterns",
                                                  "diff", "report", "export"};
    if (reading.contains(command)) return std::set<int>{0};
    return std::nullopt;
  }

  TempDir dir_;
  fs::path home_, work_, config_;
  std::string event_id_, bundle_id_;
  mutable int runs_ = 0;
};

std::string Joined(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

TEST_F(DocumentedCommands, EveryCommandLineTheDocsShowWorks) {
  const auto documented = CommandLines();
  // The README's command list and docs/cli.md's synopsis at least.
  ASSERT_GE(documented.size(), 40u);
  int checked = 0, ran = 0;
  for (const auto& d : documented) {
    const auto words = Words(d.text);
    if (words.size() < 2) continue;  // the program's name in prose
    if (std::find(words.begin(), words.end(), "COMMAND") != words.end()) continue;  // a synopsis
    for (auto args : Expand(words)) {
      std::vector<bool> substituted;
      std::string unknown;
      ASSERT_TRUE(Substitute(args, substituted, unknown))
          << d.where << ": `" << d.text << "`: no value for the placeholder " << unknown
          << " (add it to DocumentedCommands::Value)";
      const std::string shown = d.where + ": `" + d.text + "` as `" + Joined(args) + "`";
      ++checked;
      RunResult parsed = Execute(args, /*check_only=*/true);
      if (parsed.exit_code != 0 && parsed.err.find("is required") != std::string::npos) {
        // Prose names a command and some of its options without the required arguments: the
        // command must exist and offer each option it is shown with.
        const RunResult help = Execute({args[0], args[1], "--help"}, /*check_only=*/true);
        EXPECT_EQ(help.exit_code, 0) << shown << "\n" << help.err;
        for (std::size_t i = 2; i < args.size(); ++i) {
          if (args[i].rfind("-", 0) == 0) {
            EXPECT_NE(help.out.find(args[i]), std::string::npos)
                << shown << ": " << args[i] << " is not an option of " << args[1];
          }
        }
        continue;
      }
      EXPECT_EQ(parsed.exit_code, 0) << shown << "\n" << parsed.err;
      if (parsed.exit_code != 0) continue;
      // An example's literal argument ("events 3", a bundle id from another machine) names
      // something the fixture does not have: those lines are only checked.
      bool literal = false;
      for (std::size_t i = 2; i < args.size(); ++i) {
        const bool value_of_option = args[i - 1].rfind("-", 0) == 0;
        literal |= !substituted[i] && !value_of_option && args[i].rfind("-", 0) != 0 &&
                   std::regex_search(args[i], std::regex("[0-9]"));
      }
      if (auto codes = RunsForReal(args); codes && !literal) {
        RunResult real = Execute(args, /*check_only=*/false);
        EXPECT_TRUE(codes->contains(real.exit_code)) << shown << ": exit " << real.exit_code << "\n"
                                                     << real.err;
        ++ran;
      }
    }
  }
  std::cout << "checked " << checked << " documented command lines, ran " << ran << "\n";
  EXPECT_GE(ran, 15);
}

// A command line the docs could not show must fail the check: the test is not blind.
TEST_F(DocumentedCommands, ACommandThatDoesNotExistFailsTheCheck) {
  EXPECT_EQ(Execute({"rogue-hunter", "install", "--everywhere"}, true).exit_code, 2);
  EXPECT_EQ(Execute({"rogue-hunter", "kill", "1"}, true).exit_code, 2);
  EXPECT_EQ(Execute({"rh-forensics", "show"}, true).exit_code, 2);  // the bundle is required
  EXPECT_EQ(Execute({"rogue-hunter", "status"}, true).exit_code, 0);
}

// Every HTTP endpoint the docs show exists on a daemon with the default configuration: each
// documented method and path (placeholders filled in) reaches its handler, never the "no such
// endpoint" answer or a 405. Whether a process or event exists is the handler's business.
TEST(DocumentedApi, EveryEndpointTheDocsShowIsServed) {
  std::set<std::pair<std::string, std::string>> endpoints;  // method, path
  static const std::regex heading("^#+ (GET|POST|PUT|DELETE|HEAD) (/[^ ]*)");
  static const std::regex url("http://127\\.0\\.0\\.1:9795(/[A-Za-z0-9_./{}-]*)");
  for (const fs::path& file : DocumentationFiles()) {
    std::istringstream lines(ReadFile(file));
    for (std::string line; std::getline(lines, line);) {
      std::smatch m;
      if (std::regex_search(line, m, heading)) endpoints.insert({m[1].str(), m[2].str()});
      for (auto it = std::sregex_iterator(line.begin(), line.end(), url);
           it != std::sregex_iterator(); ++it) {
        const std::string path = (*it)[1].str();
        const std::string before = line.substr(0, static_cast<std::size_t>(it->position()));
        const bool post =
            line.find("-X POST") != std::string::npos ||
            (before.size() >= 5 && before.compare(before.size() - 5, 5, "POST ") == 0);
        if (path.size() > 1) endpoints.insert({post ? "POST" : "GET", path});
      }
    }
  }
  ASSERT_GE(endpoints.size(), 8u);
  Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  const std::string pid = std::to_string(daemon.process().pid());
  for (const auto& [method, documented] : endpoints) {
    std::string path = documented.substr(0, documented.find('?'));  // queries are optional
    path = std::regex_replace(path, std::regex("\\{pid\\}"), pid);
    path = std::regex_replace(path, std::regex("\\{id\\}"), "1");
    const HttpResponse r = HttpRequest(method, daemon.url(path));
    EXPECT_NE(r.status, 0) << method << " " << documented << ": " << r.body;
    EXPECT_NE(r.status, 405) << method << " " << documented << " (as " << path << ")";
    EXPECT_EQ(r.body.find("no such endpoint"), std::string::npos)
        << method << " " << documented << " (as " << path << "): " << r.body;
    EXPECT_FALSE(r.status == 404 && r.body == "not found\n")
        << method << " " << documented << " (as " << path << ")";
  }
}

}  // namespace
}  // namespace rh::test

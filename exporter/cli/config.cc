// rogue-hunter config show|edit|reset|validate.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>

#include "exporter/cli/commands.h"
#include "exporter/cli/config_file.h"
#include "exporter/daemon_lock.h"
#include "forensics/bundle_reader.h"
#include "forensics/cli/text.h"

namespace rh::exporter::cli {
namespace {

namespace fs = std::filesystem;
using forensics::cli::Printable;

constexpr std::string_view kPathKeys[] = {"data_dir = ", "database = ", "events_dir = "};

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path.string() + ": cannot read: " + std::strerror(errno)};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The editor the user asked for: $VISUAL, else $EDITOR, else Debian's `editor` alternative,
// else vi.
std::string Editor() {
  for (const char* name : {"VISUAL", "EDITOR"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return value;
  }
  return access("/usr/bin/editor", X_OK) == 0 ? "/usr/bin/editor" : "vi";
}

// Runs the editor on `file` with the terminal; its exit status, or an error.
Result<int> RunEditor(const std::string& editor, const fs::path& file) {
  pid_t pid = fork();
  if (pid < 0) return Error{std::string("cannot start the editor: ") + std::strerror(errno)};
  if (pid == 0) {
    // Through the shell, as git does, so that EDITOR="code --wait" works; the file is "$1".
    const std::string command = editor + " \"$1\"";
    execl("/bin/sh", "sh", "-c", command.c_str(), "sh", file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return Error{std::string("waiting for the editor: ") + std::strerror(errno)};
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

int Show(const Context& ctx) {
  *ctx.out << config::ToToml(ctx.config);
  return kExitOk;
}

int Validate(const Context& ctx, const std::string& given) {
  const bool explicit_path = !given.empty() || ctx.explicit_config;
  const std::string path = given.empty() ? ctx.config_path : given;
  auto config = config::Load(path, explicit_path);
  if (!config) return Fail(ctx, config.error().message, kExitUsage);
  *ctx.out << (config->source.empty() ? Printable(path) + ": no such file; the defaults apply"
                                      : Printable(config->source) + ": valid")
           << "\n";
  return kExitOk;
}

int Edit(const Context& ctx) {
  const fs::path path = ctx.config_path;
  std::error_code ec;
  const bool existed = fs::exists(path, ec);
  std::string original = DefaultConfigText();
  auto mode = fs::perms::owner_read | fs::perms::owner_write;
  if (existed) {
    auto text = ReadFile(path);
    if (!text) return Fail(ctx, text.error().message);
    original = std::move(text).value();
    mode = fs::status(path, ec).permissions() & fs::perms::mask;
  } else {
    fs::create_directories(path.parent_path(), ec);
    if (ec) return Fail(ctx, path.parent_path().string() + ": " + ec.message());
  }

  // The copy the editor works on, next to the file (same file system: the rename is atomic).
  std::string pattern = (path.parent_path() / ("." + path.filename().string() + ".XXXXXX.toml"));
  int fd = mkstemps(pattern.data(), 5);
  if (fd < 0) return Fail(ctx, pattern + ": " + std::strerror(errno));
  const fs::path copy = pattern;
  struct Remove {
    fs::path path;
    bool keep = false;
    ~Remove() {
      std::error_code e;
      if (!keep) fs::remove(path, e);
    }
  } cleanup{copy};
  const bool written =
      write(fd, original.data(), original.size()) == static_cast<ssize_t>(original.size()) &&
      fchmod(fd, static_cast<mode_t>(mode)) == 0;
  close(fd);
  if (!written) return Fail(ctx, copy.string() + ": " + std::strerror(errno));

  const std::string editor = Editor();
  for (;;) {
    auto status = RunEditor(editor, copy);
    if (!status) return Fail(ctx, status.error().message);
    if (*status != 0) {
      return Fail(ctx, "the editor (" + editor + ") exited with status " + std::to_string(*status) +
                           "; " + path.string() + " is unchanged");
    }
    auto edited = ReadFile(copy);
    if (!edited) return Fail(ctx, edited.error().message);
    if (existed && *edited == original) {
      *ctx.out << "no changes; " << Printable(path.string()) << " is unchanged\n";
      return kExitOk;
    }
    auto parsed = config::Parse(*edited, path.string());
    if (parsed) {
      fs::rename(copy, path, ec);
      if (ec) return Fail(ctx, path.string() + ": " + ec.message());
      cleanup.keep = true;
      *ctx.out << Printable(path.string()) << ": saved\n";
      TellDaemonToReload(ctx, path);
      return kExitOk;
    }
    Fail(ctx, parsed.error().message, kExitUsage);
    *ctx.err << "rogue-hunter: the edit is not valid; " << path.string() << " is unchanged\n";
    if (!ctx.interactive || !Confirm(ctx, "Edit again?", true)) return kExitUsage;
  }
}

int Reset(const Context& ctx, bool yes) {
  const fs::path path = ctx.config_path;
  std::error_code ec;
  const bool existed = fs::exists(path, ec);
  const fs::path backup = path.string() + ".bak";
  if (existed && !yes) {
    if (!ctx.interactive) {
      return Fail(ctx, "refusing to replace " + path.string() +
                           " without confirmation: stdin is not a terminal (use --yes)");
    }
    if (!Confirm(ctx, "Replace " + Printable(path.string()) +
                          " with the defaults? The current file is kept as " +
                          Printable(backup.string()) + ".")) {
      return Fail(ctx, "nothing changed");
    }
  }
  if (existed) {
    fs::copy_file(path, backup, fs::copy_options::overwrite_existing, ec);
    if (ec) return Fail(ctx, backup.string() + ": " + ec.message());
  }
  if (Status s =
          InstallFile(path, DefaultConfigText(), fs::perms::owner_read | fs::perms::owner_write);
      !s.ok()) {
    return Fail(ctx, s.error().message);
  }
  *ctx.out << Printable(path.string()) << ": reset to the defaults"
           << (existed ? " (the previous file is " + Printable(backup.string()) + ")" : "") << "\n";
  TellDaemonToReload(ctx, path);
  return kExitOk;
}

}  // namespace

std::string DefaultConfigText(std::string_view data_dir) {
  config::Config defaults = config::Defaults();
  if (!data_dir.empty()) defaults.storage.data_dir = std::string(data_dir);
  std::istringstream in(config::ToToml(defaults));
  std::string text =
      "# rogue-hunter configuration. Every key is shown with its default value; remove a line to\n"
      "# go back to the default. docs/configuration.md describes each key. Check this file with\n"
      "# `rogue-hunter config validate`, edit it with `rogue-hunter config edit`.\n\n";
  for (std::string line; std::getline(in, line);) {
    bool derived = false;
    for (std::string_view key : kPathKeys) {
      if (line.rfind(key, 0) == 0 && !(key == kPathKeys[0] && !data_dir.empty())) derived = true;
    }
    text += (derived ? "# " : "") + line + "\n";
  }
  return text;
}

Status InstallFile(const fs::path& path, std::string_view text, fs::perms mode) {
  std::error_code ec;
  if (!fs::is_directory(path.parent_path(), ec)) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) return Error{path.parent_path().string() + ": " + ec.message()};
    fs::permissions(path.parent_path(), fs::perms::owner_all, ec);
  }
  return forensics::WriteFileAtomically(path, text, /*overwrite=*/true,
                                        static_cast<unsigned>(mode));
}

void TellDaemonToReload(const Context& ctx, const fs::path& path) {
  auto daemon = RunningDaemon(ctx.config.storage.data_dir);
  if (!daemon || daemon->pid <= 0) {
    *ctx.out << "no daemon is running on " << Printable(ctx.config.storage.data_dir)
             << "; the configuration applies when it starts\n";
    return;
  }
  std::error_code ec;
  const bool same = !daemon->config.empty() &&
                    (daemon->config == path.string() || fs::equivalent(daemon->config, path, ec));
  if (!same) {
    *ctx.out << "the running daemon (pid " << daemon->pid << ") reads " << Printable(daemon->config)
             << ", not this file: not told to reload\n";
    return;
  }
  if (kill(daemon->pid, SIGHUP) != 0) {
    *ctx.err << "rogue-hunter: cannot signal the daemon (pid " << daemon->pid
             << "): " << std::strerror(errno) << "; restart it to apply the configuration\n";
    return;
  }
  *ctx.out << "told the running daemon (pid " << daemon->pid << ") to reload its configuration\n";
}

int Config(const Context& ctx, const ConfigOptions& options) {
  if (options.action == "show") return Show(ctx);
  if (options.action == "validate") return Validate(ctx, options.path);
  if (!options.path.empty()) {
    return Fail(ctx, "config " + options.action + " takes no PATH (use --config PATH)", kExitUsage);
  }
  if (options.action == "edit") return Edit(ctx);
  if (options.action == "reset") return Reset(ctx, options.yes);
  return Fail(ctx, "unknown config action " + options.action, kExitUsage);
}

}  // namespace rh::exporter::cli

// rogue-hunter install / uninstall: the systemd unit, the program where the unit runs it from,
// and (system-wide) the configuration file.

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>

#include "exporter/cli/commands.h"
#include "exporter/cli/config_file.h"
#include "exporter/cli/service_unit.h"
#include "exporter/daemon_lock.h"
#include "forensics/cli/text.h"

extern char** environ;

namespace rh::exporter::cli {
namespace {

namespace fs = std::filesystem;
using forensics::cli::Printable;

// Where the files go, as the target system sees them (`root` is prepended when writing).
struct Layout {
  fs::path unit;
  fs::path binary;
  fs::path config;  // system only
  std::string data_dir;
  std::vector<std::string> systemctl;  // "systemctl" or "systemctl --user"
};

Result<Layout> LayoutFor(const Context& ctx, const ServiceOptions& options) {
  Layout l;
  if (options.system) {
    l.unit = fs::path(kSystemUnitDir) / kUnitName;
    l.binary = kSystemBinary;
    l.config = kSystemConfig;
    l.data_dir = kSystemDataDir;
    l.systemctl = {"systemctl"};
    return l;
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home != '/') return Error{"$HOME is not set: cannot place a user unit"};
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const fs::path config_home =
      xdg != nullptr && *xdg == '/' ? fs::path(xdg) : fs::path(home) / ".config";
  l.unit = config_home / "systemd/user" / kUnitName;
  l.binary = fs::path(home) / ".local/bin/rogue-hunter";  // %h/.local/bin in the unit
  l.data_dir = ctx.config.storage.data_dir;
  l.systemctl = {"systemctl", "--user"};
  return l;
}

fs::path Rooted(const std::string& root, const fs::path& path) {
  return root.empty() ? path : fs::path(root) / path.relative_path();
}

struct Outcome {
  int exit_code = -1;
  std::string output;
};

// Runs a command with its output captured (stdout and stderr together).
Outcome RunCommand(const std::vector<std::string>& argv) {
  Outcome outcome;
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return {-1, std::strerror(errno)};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    return {-1, argv[0] + ": " + std::strerror(rc)};
  }
  char buf[4096];
  for (ssize_t n; (n = read(pipe_fds[0], buf, sizeof(buf))) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (outcome.output.size() < (1 << 20)) outcome.output.append(buf, static_cast<std::size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  while (!outcome.output.empty() && outcome.output.back() == '\n') outcome.output.pop_back();
  return outcome;
}

std::string Shell(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& a : argv) text += (text.empty() ? "" : " ") + a;
  return text;
}

// systemd manages this machine (what sd_booted(3) checks).
bool SystemdRunning() {
  struct stat st {};
  return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

// Runs the systemctl commands in order; the first failure is reported and stops the rest.
bool Systemctl(const Context& ctx, const Layout& layout,
               const std::vector<std::vector<std::string>>& commands) {
  for (const auto& args : commands) {
    std::vector<std::string> argv = layout.systemctl;
    argv.insert(argv.end(), args.begin(), args.end());
    Outcome o = RunCommand(argv);
    if (o.exit_code != 0) {
      *ctx.err << "rogue-hunter: `" << Shell(argv) << "` failed"
               << (o.exit_code > 0 ? " (exit " + std::to_string(o.exit_code) + ")" : "")
               << (o.output.empty() ? "" : ": " + o.output) << "\n";
      return false;
    }
    *ctx.out << "ran: " << Shell(argv) << "\n";
  }
  return true;
}

// Copies `source` to `target` (atomically), unless it already is that file.
Status CopyProgram(const Context& ctx, const fs::path& source, const fs::path& target) {
  std::error_code ec;
  if (fs::equivalent(source, target, ec)) {
    *ctx.out << "program: " << Printable(target.string()) << " (already there)\n";
    return {};
  }
  fs::create_directories(target.parent_path(), ec);
  if (ec) return Error{target.parent_path().string() + ": " + ec.message()};
  const fs::path temp = target.parent_path() / ("." + target.filename().string() + ".new");
  fs::copy_file(source, temp, fs::copy_options::overwrite_existing, ec);
  if (ec) return Error{temp.string() + ": " + ec.message()};
  fs::permissions(temp,
                  fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                      fs::perms::others_read | fs::perms::others_exec,
                  ec);
  fs::rename(temp, target, ec);
  if (ec) {
    fs::remove(temp, ec);
    return Error{target.string() + ": " + ec.message()};
  }
  *ctx.out << "program: copied " << Printable(source.string()) << " to "
           << Printable(target.string()) << "\n";
  return {};
}

// Copies this program, and the dashboard's program next to it, to `target`'s directory.
Status InstallBinary(const Context& ctx, const fs::path& target) {
  auto self = ProgramPath();
  if (!self) return self.error();
  if (Status s = CopyProgram(ctx, *self, target); !s.ok()) return s;
  const fs::path tui = self->parent_path() / kTuiProgram;
  std::error_code ec;
  if (!fs::exists(tui, ec)) {
    *ctx.err << "rogue-hunter: warning: " << tui.string()
             << " is missing: `rogue-hunter tui` will not work from the installed program\n";
    return {};
  }
  return CopyProgram(ctx, tui, target.parent_path() / kTuiProgram);
}

std::string Hint(const Layout& layout, const std::string& verbs) {
  return Shell(layout.systemctl) + " " + verbs;
}

}  // namespace

int Install(const Context& ctx, const ServiceOptions& options) {
  if (options.system && options.root.empty() && geteuid() != 0) {
    return Fail(ctx,
                "install --system writes to /etc and /usr/local: run it as root "
                "(sudo rogue-hunter install --system)");
  }
  auto layout = LayoutFor(ctx, options);
  if (!layout) return Fail(ctx, layout.error().message);
  const Layout& l = *layout;

  if (Status s = InstallBinary(ctx, Rooted(options.root, l.binary)); !s.ok()) {
    return Fail(ctx, s.error().message);
  }
  if (options.system) {
    const fs::path config = Rooted(options.root, l.config);
    std::error_code ec;
    if (fs::exists(config, ec)) {
      *ctx.out << "configuration: " << Printable(config.string()) << " (kept as it is)\n";
    } else {
      if (Status s = InstallFile(config, DefaultConfigText(l.data_dir),
                                 fs::perms::owner_read | fs::perms::owner_write |
                                     fs::perms::group_read | fs::perms::others_read);
          !s.ok()) {
        return Fail(ctx, s.error().message);
      }
      *ctx.out << "configuration: wrote " << Printable(config.string()) << " (defaults)\n";
    }
  }
  const fs::path unit = Rooted(options.root, l.unit);
  if (Status s = InstallFile(unit, UnitText(options.system),
                             fs::perms::owner_read | fs::perms::owner_write |
                                 fs::perms::group_read | fs::perms::others_read);
      !s.ok()) {
    return Fail(ctx, s.error().message);
  }
  *ctx.out << "unit: wrote " << Printable(unit.string()) << "\n";

  const std::string enable =
      Hint(l, "daemon-reload && " + Shell(l.systemctl) + " enable --now " + kUnitName);
  if (!options.root.empty()) {
    *ctx.out << "--root given: systemd was not asked to do anything; on the target system run: "
             << enable << "\n";
    return kExitOk;
  }
  if (!SystemdRunning()) {
    *ctx.err << "rogue-hunter: systemd is not running on this machine, so the unit was written "
                "but NOT enabled or started. Where systemd runs, enable it with: "
             << enable << "; here, start the daemon yourself: " << l.binary.string() << " daemon\n";
    return kExitNotEnabled;
  }
  if (auto running = RunningDaemon(l.data_dir); running && running->pid > 0) {
    *ctx.err << "rogue-hunter: warning: a daemon (pid " << running->pid << ") already runs on "
             << l.data_dir << "; the service will refuse to start until it stops\n";
  }
  if (!Systemctl(ctx, l, {{"daemon-reload"}, {"enable", "--now", kUnitName}})) {
    *ctx.err << "rogue-hunter: the unit was written but is not enabled or running; fix the "
                "problem above and run: "
             << enable << "\n";
    return kExitNotEnabled;
  }
  *ctx.out << "rogue-hunter is enabled and running; `" << Hint(l, "status rogue-hunter")
           << "` shows it, `journalctl " << (options.system ? "" : "--user ")
           << "-u rogue-hunter` its log\n";
  return kExitOk;
}

int Uninstall(const Context& ctx, const ServiceOptions& options) {
  if (options.system && options.root.empty() && geteuid() != 0) {
    return Fail(ctx,
                "uninstall --system changes /etc: run it as root "
                "(sudo rogue-hunter uninstall --system)");
  }
  auto layout = LayoutFor(ctx, options);
  if (!layout) return Fail(ctx, layout.error().message);
  const Layout& l = *layout;
  const fs::path unit = Rooted(options.root, l.unit);
  const fs::path data = Rooted(options.root, l.data_dir);

  // Confirm before anything changes, so that a "no" leaves everything as it was.
  if (options.force && !options.yes) {
    if (!ctx.interactive) {
      return Fail(ctx, "uninstall --force deletes " + data.string() +
                           ": refusing without confirmation as stdin is not a terminal (use "
                           "--yes)");
    }
    if (!Confirm(ctx, "Delete the history and bundles in " + Printable(data.string()) + "?")) {
      return Fail(ctx, "nothing changed");
    }
  }

  int code = kExitOk;
  std::error_code ec;
  const bool had_unit = fs::exists(unit, ec);
  if (options.root.empty() && SystemdRunning()) {
    if (had_unit && !Systemctl(ctx, l, {{"disable", "--now", kUnitName}})) code = kExitFailed;
  } else if (options.root.empty()) {
    *ctx.out << "systemd is not running here: no service to stop\n";
  }
  if (had_unit) {
    fs::remove(unit, ec);
    if (ec) return Fail(ctx, unit.string() + ": " + ec.message());
    *ctx.out << "unit: removed " << Printable(unit.string()) << "\n";
    if (options.root.empty() && SystemdRunning() && !Systemctl(ctx, l, {{"daemon-reload"}})) {
      code = kExitFailed;
    }
  } else {
    *ctx.out << "unit: " << Printable(unit.string()) << " was not installed\n";
  }

  if (options.force) {
    if (auto running = RunningDaemon(data); running && running->pid > 0) {
      return Fail(ctx, "a daemon (pid " + std::to_string(running->pid) + ") still runs on " +
                           data.string() + ": stop it, then run uninstall --force again");
    }
    std::vector<fs::path> doomed = {data};
    // A dynamic user's state directory really lives under /var/lib/private.
    if (options.system) doomed.push_back(Rooted(options.root, "/var/lib/private/rogue-hunter"));
    for (const auto& d : doomed) {
      if (!fs::exists(fs::symlink_status(d, ec))) continue;
      const auto removed = fs::remove_all(d, ec);
      if (ec) return Fail(ctx, d.string() + ": " + ec.message());
      *ctx.out << "data: removed " << Printable(d.string()) << " (" << removed << " files)\n";
    }
  } else {
    *ctx.out << "data: kept in " << Printable(data.string()) << " (uninstall --force deletes it)\n";
  }
  *ctx.out << "the program stays at " << Printable(Rooted(options.root, l.binary).string())
           << (options.system ? " and the configuration in " +
                                    Printable(Rooted(options.root, l.config).string())
                              : std::string())
           << "\n";
  return code;
}

}  // namespace rh::exporter::cli

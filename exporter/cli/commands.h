#pragma once

#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "config/config.h"
#include "forensics/store.h"

namespace rh::exporter::cli {

// The operator commands of `rogue-hunter` (docs/cli.md). Each returns the process exit code,
// writes its result to ctx.out and problems to ctx.err as "rogue-hunter: <what>". They read the
// daemon's JSON API and the history database, never /proc.

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  ///< An error: nothing could be read, written or done.
inline constexpr int kExitUsage = 2;   ///< Bad usage or an invalid configuration.
// `status` only: the state of the machine.
inline constexpr int kExitStressed = 3;
inline constexpr int kExitCritical = 4;
inline constexpr int kExitNotRunning = 5;  ///< No daemon answered: shown from the database.
// `install` only: the unit files were written but systemd could not enable or start them.
inline constexpr int kExitNotEnabled = 6;

/// What every command works with.
struct Context {
  config::Config config;         ///< The defaults when the file is invalid (see config_error).
  std::string config_error;      ///< Why the configuration file is invalid; empty when valid.
  std::string config_path;       ///< The configuration file (it may not exist).
  bool explicit_config = false;  ///< Given with --config.
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  std::istream* in = nullptr;
  bool interactive = false;  ///< stdin is a terminal: questions may be asked.
  bool color = false;        ///< stdout is a terminal, TERM is not "dumb" and NO_COLOR is unset.
  const Clock* clock = &SystemClock::Instance();
};

/// Loads the configuration (`path` empty: the default file, where a missing file means
/// defaults) into a Context that writes to the process's standard streams. An invalid file is
/// not an error here (`config edit` must be able to fix it): it leaves config_error set.
Context MakeContext(const std::string& path);

/// Writes "rogue-hunter: <message>" (one line per line of `message`) to ctx.err; returns `code`.
int Fail(const Context& ctx, const std::string& message, int code = kExitFailed);

/// Asks a yes/no question on ctx.out and reads the answer from ctx.in; only "y" or "yes" (any
/// case) is yes, and so is an empty answer when `default_yes`.
bool Confirm(const Context& ctx, const std::string& question, bool default_yes = false);

/// The file of the running program.
Result<std::filesystem::path> ProgramPath();

/// Opens the history database read-only; an error says where it was looked for.
Result<std::unique_ptr<forensics::Store>> OpenHistory(const Context& ctx);

struct StatusOptions {
  std::string format = "text";  ///< "text" or "json".
};
int ReportStatus(const Context& ctx, const StatusOptions& options);

struct EventsOptions {
  std::string id;  ///< Empty: the list. Else a row id or an event key.
  std::string format = "table";
  std::string since;               ///< Empty: no lower bound.
  std::vector<std::string> kinds;  ///< Empty: pause, suspend, critical.
  int limit = 50;
};
int Events(const Context& ctx, const EventsOptions& options);

struct HistoryOptions {
  double hours = 1;
  bool high_stress = false;
  std::string format = "table";  ///< "table", "json" or "csv".
};
int History(const Context& ctx, const HistoryOptions& options);

/// `config show|edit|reset|validate [PATH]`.
struct ConfigOptions {
  std::string action;
  std::string path;  ///< validate only: the file to check instead of the configured one.
  bool yes = false;  ///< reset: do not ask.
};
int Config(const Context& ctx, const ConfigOptions& options);

struct PruneOptions {
  bool dry_run = false;
  bool yes = false;
};
int Prune(const Context& ctx, const PruneOptions& options);

struct ServiceOptions {
  bool system = false;
  bool force = false;  ///< uninstall: also delete the data (after confirmation).
  bool yes = false;    ///< uninstall --force: do not ask.
  /// Prefix for every path written or removed (like `systemctl --root`): a package build or a
  /// test writes the files there and runs no systemctl command.
  std::string root;
};
int Install(const Context& ctx, const ServiceOptions& options);
int Uninstall(const Context& ctx, const ServiceOptions& options);

struct TuiOptions {
  double refresh_seconds = 1;
};
/// The dashboard itself. It lives in its own program, rogue-hunter-tui (tui_main.cc), so that the
/// daemon's binary does not load ncurses.
int Tui(const Context& ctx, const TuiOptions& options);
/// `rogue-hunter tui`: runs rogue-hunter-tui from the directory of this program in its place
/// (exec), with the same configuration; returns only on failure.
int LaunchTui(const Context& ctx, const TuiOptions& options);
/// The name of that program.
inline constexpr char kTuiProgram[] = "rogue-hunter-tui";

}  // namespace rh::exporter::cli

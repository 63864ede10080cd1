// rogue-hunter-tui: the live dashboard of `rogue-hunter tui` (docs/cli.md), a program of its own
// so that the daemon's binary does not load ncurses. `rogue-hunter tui` runs it.

#include <CLI/CLI.hpp>

#include "exporter/cli/commands.h"

namespace cli = rh::exporter::cli;

int main(int argc, char** argv) {
  CLI::App app{"rogue-hunter tui: live dashboard (q quits, ? for help)"};
  std::string config_path;
  cli::TuiOptions options;
  app.add_option("--config", config_path,
                 "Configuration file (default ~/.config/rogue-hunter/config.toml)");
  app.add_option("--refresh", options.refresh_seconds, "Seconds between updates (default 1)")
      ->check(CLI::Range(0.2, 60.0));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : cli::kExitUsage;
  }
  const cli::Context ctx = cli::MakeContext(config_path);
  if (!ctx.config_error.empty()) return cli::Fail(ctx, ctx.config_error, cli::kExitUsage);
  return cli::Tui(ctx, options);
}

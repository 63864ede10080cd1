// rogue-hunter: the daemon and its operator commands (docs/cli.md).

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "exporter/cli/commands.h"
#include "exporter/daemon.h"

#ifndef RH_VERSION
#define RH_VERSION "unknown"
#endif
#ifndef RH_REVISION
#define RH_REVISION "unknown"
#endif

namespace cli = rh::exporter::cli;

int main(int argc, char** argv) {
  CLI::App app{"rogue-hunter: hunts the pauses that freeze this machine"};
  app.set_version_flag("--version",
                       std::string("rogue-hunter ") + RH_VERSION + " (" + RH_REVISION + ")");
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(
      "Exit codes: 0 success, 1 error, 2 bad usage or configuration; status adds 3 "
      "stressed, 4 critical, 5 daemon not running. docs/cli.md describes every command.");

  // The last of a repeated option wins, as in most command lines (and for wrapper scripts).
  const auto last = CLI::MultiOptionPolicy::TakeLast;
  std::string config_path;
  app.add_option("--config", config_path,
                 "Configuration file (default ~/.config/rogue-hunter/config.toml)")
      ->multi_option_policy(last);

  rh::exporter::DaemonOptions daemon;
  std::string daemon_config, listen, proc_root, sys_root, web_config;
  auto* run = app.add_subcommand("daemon", "Run the daemon in the foreground");
  run->add_option("--config", daemon_config,
                  "Configuration file (default ~/.config/rogue-hunter/config.toml)")
      ->multi_option_policy(last);
  run->add_option("--listen", listen, "Listen address ADDR:PORT (default 127.0.0.1:9795)");
  run->add_option("--proc-root", proc_root,
                  "Read /proc from this directory instead (tests, replay)");
  run->add_option("--sys-root", sys_root, "Read /sys from this directory instead (tests, replay)");
  run->add_option("--web.config.file", web_config,
                  "TLS and basic auth: a web-config file as Prometheus exporters read it");

  cli::StatusOptions status_options;
  auto* status = app.add_subcommand(
      "status", "One line: health, stress, load, memory, last pause (exit code tells the health)");
  status->add_option("--format", status_options.format, "text | json")
      ->check(CLI::IsMember({"text", "json"}));

  cli::EventsOptions events_options;
  auto* events = app.add_subcommand(
      "events", "Pauses, suspends and critical episodes, newest first; or one event in detail");
  events->add_option("id", events_options.id, "Event id (from the list) or key: show its detail");
  events->add_option("--format", events_options.format, "table | json")
      ->check(CLI::IsMember({"table", "json"}));
  events->add_option("--since", events_options.since,
                     "Only events since: 30m, 2h, 7d, 2026-11-23, \"2026-11-23 10:15\", RFC 3339");
  events->add_option("--kind", events_options.kinds,
                     "pause, suspend, critical, state_change or all (repeat or comma-separate; "
                     "default pause,suspend,critical)");
  events->add_option("-n,--limit", events_options.limit, "At most this many events (default 50)")
      ->check(CLI::Range(1, 1000000));

  cli::HistoryOptions history_options;
  auto* history =
      app.add_subcommand("history", "Samples of the last hour with the stress components");
  history->add_option("-H,--hours", history_options.hours, "How many hours back (default 1)")
      ->check(CLI::PositiveNumber);
  history->add_flag("--high-stress", history_options.high_stress,
                    "Only samples at or above sampling.elevation_threshold");
  history->add_option("--format", history_options.format, "table | json | csv")
      ->check(CLI::IsMember({"table", "json", "csv"}));

  cli::ConfigOptions config_options;
  auto* config = app.add_subcommand("config", "Show, edit, reset or validate the configuration");
  config->add_option("action", config_options.action, "show | edit | reset | validate")
      ->required()
      ->check(CLI::IsMember({"show", "edit", "reset", "validate"}));
  config->add_option("path", config_options.path, "validate: the file to check");
  config->add_flag("-y,--yes", config_options.yes, "reset: do not ask for confirmation");

  cli::PruneOptions prune_options;
  auto* prune = app.add_subcommand(
      "prune", "Delete history and bundles older than the retention settings, then vacuum");
  prune->add_flag("--dry-run", prune_options.dry_run, "Only show what would be deleted");
  prune->add_flag("-y,--yes", prune_options.yes, "Do not ask for confirmation");

  cli::ServiceOptions service_options;
  auto* install = app.add_subcommand(
      "install", "Install and start the systemd unit (a user unit; --system: at boot, as root)");
  install->add_flag("--system", service_options.system,
                    "System-wide unit with /etc/rogue-hunter and /var/lib/rogue-hunter");
  install->add_option("--root", service_options.root,
                      "Write the files under this directory and run no systemctl command");
  auto* uninstall = app.add_subcommand("uninstall", "Stop and remove the systemd unit");
  uninstall->add_flag("--system", service_options.system, "The system-wide unit");
  uninstall->add_flag("--force", service_options.force,
                      "Also delete the history and bundles (after confirmation)");
  uninstall->add_flag("-y,--yes", service_options.yes, "--force: do not ask for confirmation");
  uninstall->add_option("--root", service_options.root,
                        "Remove the files under this directory and run no systemctl command");

  cli::TuiOptions tui_options;
  auto* tui = app.add_subcommand("tui", "Live full-screen dashboard (q quits, ? for help)");
  tui->add_option("--refresh", tui_options.refresh_seconds, "Seconds between updates (default 1)")
      ->check(CLI::Range(0.2, 60.0));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return cli::kExitUsage;
  }

  // RH_CHECK_ARGS=1: the command line is parsed and checked, and nothing is run (docs/cli.md; the
  // test of every documented command line uses it for the commands it cannot run for real).
  if (const char* check = std::getenv("RH_CHECK_ARGS");
      check != nullptr && check == std::string_view("1")) {
    return 0;
  }

  if (run->parsed()) {
    daemon.config_path = daemon_config.empty() ? config_path : daemon_config;
    if (run->count("--listen") != 0) daemon.listen = listen;
    if (!proc_root.empty()) daemon.proc_root = proc_root;
    if (!sys_root.empty()) daemon.sys_root = sys_root;
    if (run->count("--web.config.file") != 0) daemon.web_config_file = web_config;
    return rh::exporter::RunDaemon(daemon);
  }

  const cli::Context ctx = cli::MakeContext(config_path);
  // Only `config` works with an invalid configuration file: to check another file, or to fix or
  // replace this one.
  const bool tolerant =
      config->parsed() && (config_options.action != "show" &&
                           !(config_options.action == "validate" && config_options.path.empty()));
  if (!ctx.config_error.empty() && !tolerant)
    return cli::Fail(ctx, ctx.config_error, cli::kExitUsage);
  if (status->parsed()) return cli::ReportStatus(ctx, status_options);
  if (events->parsed()) return cli::Events(ctx, events_options);
  if (history->parsed()) return cli::History(ctx, history_options);
  if (config->parsed()) return cli::Config(ctx, config_options);
  if (prune->parsed()) return cli::Prune(ctx, prune_options);
  if (install->parsed()) return cli::Install(ctx, service_options);
  if (uninstall->parsed()) return cli::Uninstall(ctx, service_options);
  if (tui->parsed()) return cli::LaunchTui(ctx, tui_options);
  return cli::kExitUsage;
}

// rh-forensics: reads, verifies, replays, exports and compares forensic bundles offline.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "forensics/cli/commands.h"

namespace cli = rh::forensics::cli;

int main(int argc, char** argv) {
  CLI::App app{"rh-forensics: reads the forensic bundles rogue-hunter captures after a pause"};
  app.set_version_flag("--version",
                       std::string("rh-forensics ") + RH_VERSION + " (" + RH_REVISION + ")");
  app.require_subcommand(1);
  app.fallthrough();

  std::string config_path, events_dir, database;
  // The last of a repeated option wins, as in most command lines (and for wrapper scripts).
  const auto last = CLI::MultiOptionPolicy::TakeLast;
  app.add_option("--config", config_path,
                 "Configuration file (default ~/.config/rogue-hunter/config.toml)")
      ->multi_option_policy(last);
  app.add_option("--events-dir", events_dir, "Bundle directory (default: forensics.events_dir)")
      ->multi_option_policy(last);
  app.add_option("--database", database, "History database (default: storage.database)")
      ->multi_option_policy(last);

  std::string format, bundle, other, output;
  bool redact = false, force = false, dry_run = false, yes = false;
  auto* list = app.add_subcommand(
      "list", "List the bundles: id, time, trigger, duration, top culprit, size");
  list->add_option("--format", format, "table | json")->check(CLI::IsMember({"table", "json"}));
  auto* show = app.add_subcommand(
      "show", "Explain a bundle: what froze, stress, culprits, blocked tasks, kernel log");
  show->add_option("bundle", bundle, "Bundle id, directory or exported archive")->required();
  show->add_option("--format", format, "text | json")->check(CLI::IsMember({"text", "json"}));
  auto* verify = app.add_subcommand("verify", "Check every file of a bundle against its manifest");
  verify->add_option("bundle", bundle, "Bundle id, directory or exported archive")->required();
  auto* replay =
      app.add_subcommand("replay", "Re-run the daemon's collectors and scoring over the raw files");
  replay->add_option("bundle", bundle, "Bundle id, directory or exported archive")->required();
  replay->add_option("--format", format, "text | json")->check(CLI::IsMember({"text", "json"}));
  auto* exp = app.add_subcommand("export", "Write a bundle as one .tar.gz archive");
  exp->add_option("bundle", bundle, "Bundle id or directory")->required();
  exp->add_option("-o,--output", output, "Archive to write")->required();
  exp->add_flag("--redact", redact, "Hash user names, the host name and command-line arguments");
  exp->add_flag("--force", force, "Replace an existing output file");
  auto* diff = app.add_subcommand("diff", "What changed between two bundles");
  diff->add_option("a", bundle, "First bundle")->required();
  diff->add_option("b", other, "Second bundle")->required();
  diff->add_option("--format", format, "text | json")->check(CLI::IsMember({"text", "json"}));
  auto* report = app.add_subcommand("report", "Write a self-contained HTML report of a bundle");
  report->add_option("bundle", bundle, "Bundle id, directory or exported archive")->required();
  report->add_option("-o,--output", output, "HTML file to write")->required();
  report->add_flag("--force", force, "Replace an existing output file");
  auto* patterns = app.add_subcommand("patterns", "Recurring culprits and when pauses happen");
  patterns->add_option("--format", format, "table | json")->check(CLI::IsMember({"table", "json"}));
  auto* prune = app.add_subcommand("prune", "Delete bundles older than retention.events_days");
  prune->add_flag("--dry-run", dry_run, "Only list what would be deleted");
  prune->add_flag("--yes", yes, "Do not ask for confirmation");

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

  cli::Context ctx;
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  auto config = cli::LoadConfig(config_path, events_dir, database);
  if (!config) return cli::Fail(ctx, config.error().message);
  ctx.config = std::move(config).value();
  ctx.events_dir = ctx.config.forensics.events_dir;
  ctx.database = ctx.config.storage.database;
  ctx.limits = rh::forensics::ReadLimitsFromEnvironment();

  // "table" and "text" name the same human output.
  const bool json = format == "json";
  const std::string human = show->parsed() || replay->parsed() || diff->parsed() ? "text" : "table";
  const std::string chosen = json ? "json" : human;
  if (list->parsed()) return cli::List(ctx, chosen);
  if (show->parsed()) return cli::Show(ctx, bundle, chosen);
  if (verify->parsed()) return cli::Verify(ctx, bundle);
  if (replay->parsed()) return cli::Replay(ctx, bundle, chosen);
  if (exp->parsed()) return cli::Export(ctx, bundle, output, redact, force);
  if (diff->parsed()) return cli::Diff(ctx, bundle, other, chosen);
  if (report->parsed()) return cli::Report(ctx, bundle, output, force);
  if (patterns->parsed()) return cli::Patterns(ctx, chosen);
  if (prune->parsed()) return cli::Prune(ctx, dry_run, yes, std::cin, isatty(STDIN_FILENO) == 1);
  return cli::kExitUsage;
}

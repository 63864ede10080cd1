// rogue-hunter: the daemon and its operator commands.

#include <CLI/CLI.hpp>
#include <iostream>

#include "config/config.h"
#include "exporter/daemon.h"

#ifndef RH_VERSION
#define RH_VERSION "unknown"
#endif
#ifndef RH_REVISION
#define RH_REVISION "unknown"
#endif

namespace {

using rh::exporter::kExitBadConfig;

// config show / config validate: the effective configuration, or why it is invalid.
int ConfigCommand(const std::string& action, const std::string& path) {
  bool explicit_path = !path.empty();
  auto config = rh::config::Load(
      explicit_path ? std::filesystem::path(path) : rh::config::DefaultConfigPath(), explicit_path);
  if (!config.ok()) {
    std::cerr << "rogue-hunter: " << config.error().message << "\n";
    return kExitBadConfig;
  }
  if (action == "show") {
    std::cout << rh::config::ToToml(*config);
  } else {
    std::cout << (config->source.empty() ? "no configuration file; defaults are valid"
                                         : config->source + ": valid")
              << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rogue-hunter: hunts the pauses that freeze this machine"};
  app.set_version_flag("--version",
                       std::string("rogue-hunter ") + RH_VERSION + " (" + RH_REVISION + ")");
  app.require_subcommand(1);

  rh::exporter::DaemonOptions daemon;
  std::string config_path, listen, proc_root, sys_root, web_config;
  auto* run = app.add_subcommand("daemon", "Run the daemon in the foreground");
  run->add_option("--config", config_path,
                  "Configuration file (default ~/.config/rogue-hunter/config.toml)");
  run->add_option("--listen", listen, "Listen address ADDR:PORT (default 127.0.0.1:9795)");
  run->add_option("--proc-root", proc_root,
                  "Read /proc from this directory instead (tests, replay)");
  run->add_option("--sys-root", sys_root, "Read /sys from this directory instead (tests, replay)");
  run->add_option("--web.config.file", web_config,
                  "TLS and basic auth: a web-config file as Prometheus exporters read it");

  std::string config_action, config_file;
  auto* config = app.add_subcommand("config", "Show or validate the configuration");
  config->add_option("action", config_action, "show | validate")
      ->required()
      ->check(CLI::IsMember({"show", "validate"}));
  config->add_option("--config", config_file, "Configuration file");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitBadConfig;
  }

  if (config->parsed()) return ConfigCommand(config_action, config_file);

  daemon.config_path = config_path;
  if (run->count("--listen") != 0) daemon.listen = listen;
  if (!proc_root.empty()) daemon.proc_root = proc_root;
  if (!sys_root.empty()) daemon.sys_root = sys_root;
  if (run->count("--web.config.file") != 0) daemon.web_config_file = web_config;
  return rh::exporter::RunDaemon(daemon);
}

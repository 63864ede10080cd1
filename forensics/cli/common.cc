#include <ostream>

#include "forensics/cli/commands.h"

namespace rh::forensics::cli {

Result<config::Config> LoadConfig(const std::string& config_path, const std::string& events_dir,
                                  const std::string& database) {
  const bool explicit_path = !config_path.empty();
  auto config =
      config::Load(explicit_path ? std::filesystem::path(config_path) : config::DefaultConfigPath(),
                   explicit_path);
  if (!config) return config.error();
  if (!events_dir.empty()) config->forensics.events_dir = events_dir;
  if (!database.empty()) config->storage.database = database;
  return config;
}

int Fail(const Context& ctx, const std::string& message) {
  std::string line = message;
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  *ctx.err << "rh-forensics: " << line << "\n";
  return kExitFailed;
}

}  // namespace rh::forensics::cli

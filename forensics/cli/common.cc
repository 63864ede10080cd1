#include <ostream>

#include "forensics/cli/commands.h"
#include "forensics/cli/text.h"

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

namespace {

// One line: lines of a multi-line message joined by "; ", then every control character, invalid
// UTF-8 and terminal-controlling code point escaped (Printable()): a message may quote text from
// a bundle, which must never reach the terminal as is.
std::string OneLine(const std::string& message) {
  std::string joined;
  for (char c : message) {
    if (c == '\n') {
      joined += "; ";
    } else {
      joined += c;
    }
  }
  return Printable(joined);
}

}  // namespace

int Fail(const Context& ctx, const std::string& message) {
  *ctx.err << "rh-forensics: " << OneLine(message) << "\n";
  return kExitFailed;
}

void Warn(const Context& ctx, const std::string& message) {
  *ctx.err << "rh-forensics: warning: " << OneLine(message) << "\n";
}

}  // namespace rh::forensics::cli

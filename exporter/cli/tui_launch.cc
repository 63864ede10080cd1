#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "exporter/cli/commands.h"

namespace rh::exporter::cli {

int LaunchTui(const Context& ctx, const TuiOptions& options) {
  auto self = ProgramPath();
  if (!self) return Fail(ctx, self.error().message);
  const std::string program = (self->parent_path() / kTuiProgram).string();
  std::vector<std::string> args = {program, "--refresh", std::to_string(options.refresh_seconds)};
  if (ctx.explicit_config) {
    args.push_back("--config");
    args.push_back(ctx.config_path);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(program.c_str(), argv.data());
  return Fail(ctx, "cannot run the dashboard " + program + ": " + std::strerror(errno) +
                       " (it is built and installed next to rogue-hunter)");
}

}  // namespace rh::exporter::cli

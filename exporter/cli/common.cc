#include <unistd.h>

#include <iostream>
#include <sstream>

#include "collectors/proc_root.h"
#include "exporter/cli/commands.h"
#include "exporter/cli/format.h"

namespace rh::exporter::cli {

Context MakeContext(const std::string& path) {
  Context ctx;
  ctx.explicit_config = !path.empty();
  ctx.config_path = ctx.explicit_config ? path : config::DefaultConfigPath().string();
  auto config = config::Load(ctx.config_path, ctx.explicit_config);
  if (config) {
    ctx.config = std::move(config).value();
  } else {
    ctx.config_error = config.error().message;
    ctx.config = config::Defaults();
  }
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  ctx.in = &std::cin;
  ctx.interactive = isatty(STDIN_FILENO) == 1;
  ctx.color = ColorAllowed(STDOUT_FILENO);
  return ctx;
}

int Fail(const Context& ctx, const std::string& message, int code) {
  std::istringstream lines(message);
  for (std::string line; std::getline(lines, line);) *ctx.err << "rogue-hunter: " << line << "\n";
  return code;
}

bool Confirm(const Context& ctx, const std::string& question, bool default_yes) {
  *ctx.out << question << (default_yes ? " [Y/n] " : " [y/N] ") << std::flush;
  std::string answer;
  if (!std::getline(*ctx.in, answer)) {
    *ctx.out << "\n";
    return false;
  }
  for (char& c : answer) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (answer.empty()) return default_yes;
  return answer == "y" || answer == "yes";
}

Result<std::filesystem::path> ProgramPath() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink(collectors::ProcRoot::DefaultProc() / "self/exe", ec);
  if (ec) return Error{"cannot tell where this program is: " + ec.message()};
  return self;
}

Result<std::unique_ptr<forensics::Store>> OpenHistory(const Context& ctx) {
  const std::string& path = ctx.config.storage.database;
  if (access(path.c_str(), F_OK) != 0) {
    return Error{path + ": no history database yet (the daemon creates it when it first runs)"};
  }
  forensics::Store::Options options;
  options.read_only = true;
  options.now = static_cast<double>(ctx.clock->Now().realtime_ns) / 1e9;
  return forensics::Store::Open(path, options);
}

}  // namespace rh::exporter::cli

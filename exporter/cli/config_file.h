#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"
#include "exporter/cli/commands.h"

namespace rh::exporter::cli {

/// A configuration file with every key at its default, commented: what `config reset` and
/// `install` write. The paths derived from the data directory are left commented out so they
/// follow it; with `data_dir` given (a system-wide install), storage.data_dir is set to it.
std::string DefaultConfigText(std::string_view data_dir = "");

/// Replaces `path` with `text` atomically (forensics::WriteFileAtomically), creating its
/// directory (0700) first if needed. The file gets `mode`.
Status InstallFile(const std::filesystem::path& path, std::string_view text,
                   std::filesystem::perms mode);

/// Tells the daemon running on the context's data directory to reload (SIGHUP) when it reads
/// `path`, and says on ctx.out what was done.
void TellDaemonToReload(const Context& ctx, const std::filesystem::path& path);

}  // namespace rh::exporter::cli

#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "forensics/store.h"
#include "tests/support/process.h"

namespace rh::test {

/// The home directory the fixture's daemon ran in: its history is in
/// .local/share/rogue-hunter/data.db, its bundles in .local/share/rogue-hunter/events.
std::filesystem::path FixtureHome();
/// Its data directory.
std::filesystem::path DataDir(const std::filesystem::path& home);

/// A copy of the fixture home in `dir` (for tests that change the history or run a daemon).
std::filesystem::path CopyFixtureHome(const std::filesystem::path& dir);

/// Runs `rogue-hunter ARGS...` with HOME (and the XDG directories) in `home`, NO_COLOR unset
/// and TZ=UTC, plus `env` (NAME=VALUE), feeding `input` on stdin (not a terminal).
RunResult RunCli(const std::filesystem::path& home, const std::vector<std::string>& args,
                 const std::vector<std::string>& env = {}, const std::string& input = "");

/// The history of `home`, opened read-only (fails the test if it cannot be).
std::unique_ptr<forensics::Store> OpenStore(const std::filesystem::path& home);

/// The content of a file, or "" while it does not exist (for polling).
std::string ReadIfExists(const std::filesystem::path& path);

/// Parses JSON output; fails the test (and returns null) on anything else.
nlohmann::json ParseJson(const std::string& text);

}  // namespace rh::test

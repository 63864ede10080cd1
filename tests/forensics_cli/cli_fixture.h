#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "tests/forensics_cli/bundle_builder.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::test {

/// A temporary home for rh-forensics: an empty configuration, an events directory, a database
/// path and a TMPDIR of its own (so a test sees anything left behind).
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(events_);
    std::filesystem::create_directories(tmp_);
    config_ = dir_.Write("config.toml", "");
  }

  /// Runs rh-forensics with the test's configuration, directories and environment.
  RunResult Cli(const std::vector<std::string>& args, const std::string& stdin_text = "",
                const std::vector<std::string>& env = {}) const {
    std::vector<std::string> argv = {"/usr/bin/env", "TMPDIR=" + tmp_.string()};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(BinaryPath("forensics/cli/rh-forensics").string());
    argv.insert(argv.end(), {"--config", config_.string(), "--events-dir", events_.string(),
                             "--database", (dir_ / "data.db").string()});
    argv.insert(argv.end(), args.begin(), args.end());
    return test::Run(argv, std::chrono::seconds(120), stdin_text);
  }

  /// Every path under the test directory.
  std::set<std::string> Tree() const {
    std::set<std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
      out.insert(e.path().string());
    }
    return out;
  }

  static std::size_t LineCount(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  }

  const std::filesystem::path& events() const { return events_; }
  const TempDir& dir() const { return dir_; }
  const std::filesystem::path& tmp() const { return tmp_; }

 private:
  TempDir dir_;
  std::filesystem::path events_ = dir_ / "events";
  std::filesystem::path tmp_ = dir_ / "tmp";
  std::filesystem::path config_;
};

/// The members of an archive of `bundle` as export writes it (under "<id>/"), manifest included.
inline std::vector<Member> MembersOf(const TestBundle& bundle) {
  std::vector<Member> members = {{bundle.id() + "/", "", Member::Type::kDirectory}};
  members.push_back({bundle.id() + "/manifest.json", bundle.ManifestJson()});
  for (const auto& [path, content] : bundle.files)
    members.push_back({bundle.id() + "/" + path, content});
  return members;
}

}  // namespace rh::test

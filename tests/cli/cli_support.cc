#include "tests/cli/cli_support.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/temp_dir.h"

namespace rh::test {

namespace fs = std::filesystem;

fs::path FixtureHome() { return RH_CLI_FIXTURE_HOME; }

fs::path DataDir(const fs::path& home) { return home / ".local/share/rogue-hunter"; }

fs::path CopyFixtureHome(const fs::path& dir) {
  const fs::path home = dir / "home";
  std::error_code ec;
  fs::copy(FixtureHome(), home, fs::copy_options::recursive, ec);
  EXPECT_FALSE(ec) << "copying " << FixtureHome() << ": " << ec.message();
  return home;
}

RunResult RunCli(const fs::path& home, const std::vector<std::string>& args,
                 const std::vector<std::string>& env, const std::string& input) {
  std::vector<std::string> argv = {"/usr/bin/env",
                                   "-u",
                                   "NO_COLOR",
                                   "-u",
                                   "VISUAL",
                                   "HOME=" + home.string(),
                                   "XDG_CONFIG_HOME=" + (home / ".config").string(),
                                   "XDG_DATA_HOME=" + (home / ".local/share").string(),
                                   "TZ=UTC"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.push_back(BinaryPath("exporter/rogue-hunter").string());
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, std::chrono::seconds(60), input);
}

std::unique_ptr<forensics::Store> OpenStore(const fs::path& home) {
  forensics::Store::Options options;
  options.read_only = true;
  auto store = forensics::Store::Open((DataDir(home) / "data.db").string(), options);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
  return store.ok() ? std::move(store).value() : nullptr;
}

std::string ReadIfExists(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

nlohmann::json ParseJson(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON:\n" << text;
  return j.is_discarded() ? nlohmann::json(nullptr) : j;
}

}  // namespace rh::test

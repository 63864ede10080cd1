#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace rh::test {

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
/// Not copyable.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view relative) const { return path_ / relative; }

  /// Writes `content` to `relative`, creating parent directories. Returns the full path.
  std::filesystem::path Write(std::string_view relative, std::string_view content) const;

 private:
  std::filesystem::path path_;
};

/// Reads a whole file; fails the current test (and returns "") if it cannot.
std::string ReadFileOrFail(const std::filesystem::path& path);

/// The committed fixture tree (tests/fixtures).
std::filesystem::path FixturesDir();
/// Where a built binary lives, e.g. BinaryPath("exporter/rogue-hunter").
std::filesystem::path BinaryPath(std::string_view relative);

}  // namespace rh::test

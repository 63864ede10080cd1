#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rh::test {

/// A cgroup made for one test, root only, removed on destruction (thawed, its processes killed
/// by PID, then rmdir). `V2` makes it in the cgroup v2 hierarchy wherever that is mounted;
/// `V1Memory` below this process's own cgroup of the v1 memory controller (so it stays inside
/// whatever limits the test runs under), with a memory limit.
class TestCgroup {
 public:
  static std::optional<TestCgroup> V2(const std::string& name, std::string* why = nullptr);
  static std::optional<TestCgroup> V1Memory(const std::string& name, std::uint64_t limit_bytes,
                                            std::string* why = nullptr);
  TestCgroup(TestCgroup&& other) noexcept : dir_(std::move(other.dir_)) { other.dir_.clear(); }
  TestCgroup(const TestCgroup&) = delete;
  TestCgroup& operator=(const TestCgroup&) = delete;
  ~TestCgroup();

  const std::filesystem::path& dir() const { return dir_; }
  /// Writes cgroup.freeze (v2).
  bool Freeze(bool frozen) const;
  /// The "frozen" field of cgroup.events (v2).
  bool Frozen() const;
  /// A command prefix that moves itself into this cgroup and execs the rest.
  std::vector<std::string> Launcher() const;
  /// Moves a running process in.
  bool Add(int pid) const;
  std::vector<int> Processes() const;

 private:
  explicit TestCgroup(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
};

/// A command prefix that enters every cgroup of `cgroups` in order, then execs the rest.
std::vector<std::string> LauncherInto(const std::vector<const TestCgroup*>& cgroups);

}  // namespace rh::test

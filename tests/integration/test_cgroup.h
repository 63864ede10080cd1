#pragma once

#include <cstdint>
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
  /// Below this process's own cgroup of the v1 cpu controller, with a 1 s CFS period and no
  /// quota until SetCpuQuota().
  static std::optional<TestCgroup> V1Cpu(const std::string& name, std::string* why = nullptr);
  /// Writes cpu.cfs_quota_us (v1): microseconds of CPU per period, -1 for none.
  bool SetCpuQuota(long quota_us) const;
  /// The periods in which the quota held the cgroup (cpu.stat nr_throttled); nullopt unreadable.
  std::optional<std::uint64_t> ThrottledPeriods() const;
  /// Takes over an existing cgroup directory (removed on destruction).
  static TestCgroup At(std::filesystem::path dir) { return TestCgroup(std::move(dir)); }
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

/// A cgroup v2 leaf (root only) whose processes may use at most `limit_bytes` of memory: by its
/// own memory.max where the v2 memory controller is enabled for it, else (a hybrid machine, where
/// the memory controller is v1's) by a v1 memory cgroup of the same name that Launcher() enters
/// too. Both are removed on destruction, as TestCgroup does.
class MemoryLimitedCgroup {
 public:
  static std::optional<MemoryLimitedCgroup> Make(const std::string& name, std::uint64_t limit_bytes,
                                                 std::string* why = nullptr);

  /// "/<name>": the path the daemon reports it under.
  std::string path() const { return "/" + v2_.dir().filename().string(); }
  /// A command prefix that enters the cgroup (and the v1 one) and execs the rest.
  std::vector<std::string> Launcher() const;

 private:
  MemoryLimitedCgroup(TestCgroup v2, std::optional<TestCgroup> v1)
      : v2_(std::move(v2)), v1_(std::move(v1)) {}
  TestCgroup v2_;
  std::optional<TestCgroup> v1_;  // destroyed first: it kills the same processes
};

}  // namespace rh::test

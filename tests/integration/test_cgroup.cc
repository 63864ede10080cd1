#include "tests/integration/test_cgroup.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "collectors/cgroupfs.h"

namespace rh::test {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool Put(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

std::optional<fs::path> Directory(const collectors::MountInfo* mount, const std::string& path,
                                  std::string* why, const char* what) {
  if (mount == nullptr) {
    if (why != nullptr) *why = std::string("no ") + what + " hierarchy is mounted";
    return std::nullopt;
  }
  auto dir = collectors::CgroupDirectory(collectors::ProcRoot(), *mount, path);
  if (!dir) {
    if (why != nullptr) *why = std::string("the ") + what + " cgroup is not reachable";
    return std::nullopt;
  }
  return collectors::ProcRoot().Path(*dir);
}

std::optional<fs::path> Make(const fs::path& parent, const std::string& name, std::string* why) {
  fs::path dir = parent / name;
  std::error_code ec;
  if (!fs::create_directory(dir, ec)) {
    if (why != nullptr) *why = dir.string() + ": " + (ec ? ec.message() : "exists");
    return std::nullopt;
  }
  return dir;
}

}  // namespace

std::optional<TestCgroup> TestCgroup::V2(const std::string& name, std::string* why) {
  auto mounts = collectors::ParseMountInfo(Slurp("/proc/self/mountinfo"));
  auto root = Directory(collectors::FindCgroup2(mounts), "/", why, "cgroup v2");
  if (!root) return std::nullopt;
  auto dir = Make(*root, name, why);
  if (!dir) return std::nullopt;
  return TestCgroup(*dir);
}

namespace {

// A new cgroup below this process's own one of the v1 `controller`, with `setting` written to
// its `file` (its limit).
std::optional<TestCgroup> V1Child(const char* controller, const std::string& name,
                                  const std::string& file, const std::string& setting,
                                  std::string* why) {
  auto mounts = collectors::ParseMountInfo(Slurp("/proc/self/mountinfo"));
  auto own = collectors::ParseProcCgroup(Slurp("/proc/self/cgroup")).V1Path(controller);
  if (!own) {
    if (why != nullptr) *why = std::string("not in a v1 ") + controller + " cgroup";
    return std::nullopt;
  }
  const std::string what = std::string("v1 ") + controller;
  auto parent = Directory(collectors::FindCgroup1(mounts, controller), *own, why, what.c_str());
  if (!parent) return std::nullopt;
  auto dir = Make(*parent, name, why);
  if (!dir) return std::nullopt;
  TestCgroup cgroup = TestCgroup::At(*dir);
  if (!Put(*dir / file, setting)) {
    if (why != nullptr) *why = "cannot set " + file;
    return std::nullopt;
  }
  return cgroup;
}

}  // namespace

std::optional<TestCgroup> TestCgroup::V1Memory(const std::string& name, std::uint64_t limit,
                                               std::string* why) {
  return V1Child("memory", name, "memory.limit_in_bytes", std::to_string(limit), why);
}

std::optional<TestCgroup> TestCgroup::V1Cpu(const std::string& name, std::string* why) {
  return V1Child("cpu", name, "cpu.cfs_period_us", "1000000", why);
}

bool TestCgroup::SetCpuQuota(long quota_us) const {
  return Put(dir_ / "cpu.cfs_quota_us", std::to_string(quota_us));
}

std::optional<std::uint64_t> TestCgroup::ThrottledPeriods() const {
  return collectors::FlatKeyedValue(Slurp(dir_ / "cpu.stat"), "nr_throttled");
}

TestCgroup::~TestCgroup() {
  if (dir_.empty()) return;
  if (fs::exists(dir_ / "cgroup.freeze")) Freeze(false);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    auto pids = Processes();
    if (pids.empty()) break;
    for (int pid : pids) kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (int i = 0; i < 100 && rmdir(dir_.c_str()) != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the kernel lets go lazily
  }
}

bool TestCgroup::Freeze(bool frozen) const {
  return Put(dir_ / "cgroup.freeze", frozen ? "1" : "0");
}

bool TestCgroup::Frozen() const {
  return collectors::FlatKeyedValue(Slurp(dir_ / "cgroup.events"), "frozen") == 1u;
}

std::vector<std::string> TestCgroup::Launcher() const { return LauncherInto({this}); }

bool TestCgroup::Add(int pid) const { return Put(dir_ / "cgroup.procs", std::to_string(pid)); }

std::vector<int> TestCgroup::Processes() const {
  std::vector<int> pids;
  std::istringstream in(Slurp(dir_ / "cgroup.procs"));
  for (int pid; in >> pid;) pids.push_back(pid);
  return pids;
}

std::vector<std::string> LauncherInto(const std::vector<const TestCgroup*>& cgroups) {
  // sh -c SCRIPT DIR1 DIR2 ... -- COMMAND...: enters each directory given before "--".
  std::vector<std::string> argv = {
      "/bin/sh", "-c",
      "while [ \"$1\" != -- ]; do echo $$ > \"$1/cgroup.procs\" || exit 97; shift; done; shift; "
      "exec \"$@\"",
      "sh"};
  for (const TestCgroup* c : cgroups) argv.push_back(c->dir().string());
  argv.push_back("--");
  return argv;
}

std::optional<MemoryLimitedCgroup> MemoryLimitedCgroup::Make(const std::string& name,
                                                             std::uint64_t limit_bytes,
                                                             std::string* why) {
  auto v2 = TestCgroup::V2(name, why);
  if (!v2) return std::nullopt;
  if (fs::exists(v2->dir() / "memory.max")) {
    if (!Put(v2->dir() / "memory.max", std::to_string(limit_bytes))) {
      if (why != nullptr) *why = "cannot set memory.max";
      return std::nullopt;
    }
    return MemoryLimitedCgroup(std::move(*v2), std::nullopt);
  }
  std::string v1_why;
  auto v1 = TestCgroup::V1Memory(name, limit_bytes, &v1_why);
  if (!v1) {
    if (why != nullptr) *why = "no v2 memory controller, and " + v1_why;
    return std::nullopt;
  }
  return MemoryLimitedCgroup(std::move(*v2), std::move(*v1));
}

std::vector<std::string> MemoryLimitedCgroup::Launcher() const {
  if (!v1_) return v2_.Launcher();
  return LauncherInto({&v2_, &*v1_});
}

}  // namespace rh::test

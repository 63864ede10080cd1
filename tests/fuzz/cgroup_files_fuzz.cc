// Fuzz target: the cgroup files the pause scope and the cgroup collector read: cpu.stat and
// cgroup.events (flat "key value" lines), /proc/self/mountinfo, /proc/PID/cgroup, and the
// systemd unit and container id a cgroup path names. The input is split at the first NUL: the
// file text before it, a key or path after it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/cgroupfs.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string_view text = input.substr(0, nul);
  const std::string_view key =
      nul == std::string_view::npos ? std::string_view("usage_usec") : input.substr(nul + 1);
  (void)rh::collectors::FlatKeyedValue(text, key);
  (void)rh::collectors::ParseCpuThrottledSeconds(text);
  auto mounts = rh::collectors::ParseMountInfo(text);
  (void)rh::collectors::FindCgroup2(mounts);
  (void)rh::collectors::FindCgroup1(mounts, "memory");
  auto cgroups = rh::collectors::ParseProcCgroup(text);
  (void)cgroups.V1Path(key);
  (void)rh::collectors::SystemdUnit(key);
  (void)rh::collectors::ContainerId(key);
  return 0;
}

// Fuzz target: the capture's parsers of /proc/PID/status, cgroup, cmdline and io.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "forensics/capture/process_table.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)rh::forensics::ParseStatusUid(text);
  std::string cgroup = rh::forensics::CgroupPath(text);
  (void)rh::forensics::SystemdUnit(cgroup);
  (void)rh::forensics::ContainerId(cgroup);
  (void)rh::forensics::SystemdUnit(text);
  (void)rh::forensics::ContainerId(text);
  (void)rh::forensics::SplitCmdline(text);
  (void)rh::forensics::ParseIo(text);
  return 0;
}

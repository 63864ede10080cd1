// Fuzz target: ParseCpuList over /sys/devices/system/cpu/online text.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/loadavg.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = rh::collectors::ParseCpuList(text);
  if (parsed.ok()) (void)*parsed;
  return 0;
}

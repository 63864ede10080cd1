// Fuzz target: ParseLoadAvg over /proc/loadavg text.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/loadavg.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = rh::collectors::ParseLoadAvg(text);
  if (parsed.ok()) (void)(parsed->load1 + parsed->online_cpus);
  return 0;
}

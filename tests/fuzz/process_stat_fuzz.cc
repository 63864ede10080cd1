// Fuzz target: ParseProcessStat over /proc/PID/stat (any bytes in the name).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/process.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = rh::collectors::ParseProcessStat(text);
  if (parsed.ok()) (void)(parsed->comm.size() + parsed->utime_ticks);
  return 0;
}

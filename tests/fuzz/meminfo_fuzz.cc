// Fuzz target: ParseMemInfo over /proc/meminfo text.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/meminfo.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = rh::collectors::ParseMemInfo(text);
  if (parsed.ok()) (void)(parsed->total + parsed->available);
  return 0;
}

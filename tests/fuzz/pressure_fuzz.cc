// Fuzz target: ParsePressure over a /proc/pressure/<resource> file.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/pressure.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = rh::collectors::ParsePressure(text);
  if (parsed.ok() && parsed->some) (void)parsed->some->total_us;
  return 0;
}

// Fuzz target: ParseThermalTemp and ParseThrottleCount over /sys thermal files.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/thermal.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto temp = rh::collectors::ParseThermalTemp(text);
  if (temp.ok()) (void)*temp;
  auto count = rh::collectors::ParseThrottleCount(text);
  if (count.ok()) (void)*count;
  return 0;
}

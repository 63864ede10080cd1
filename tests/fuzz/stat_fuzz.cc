// Fuzz target: ParseStat over /proc/stat text, with the usual and odd tick rates.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/stat.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (long ticks : {100L, 1L, 1000L}) {
    auto parsed = rh::collectors::ParseStat(text, ticks);
    if (parsed.ok()) (void)(parsed->total.user + static_cast<double>(parsed->context_switches));
  }
  return 0;
}

// Fuzz target: ParseVmStat over /proc/vmstat text.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/vmstat.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = rh::collectors::ParseVmStat(text);
  if (parsed.ok()) (void)(parsed->pswpin + parsed->allocstall);
  return 0;
}

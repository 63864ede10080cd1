// Fuzz target: ParseKmsgRecord over one /dev/kmsg record, formatted as kernel.log writes it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "forensics/capture/kernel_log.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto record = rh::forensics::ParseKmsgRecord(text);
  if (record.ok()) (void)rh::forensics::FormatKmsgLine(*record, 1'700'000'000'000'000'000);
  return 0;
}

// Fuzz target: ParseSchedstatRunDelay over /proc/PID/task/TID/schedstat (run time, run delay,
// timeslices), the watchdog thread's wait for a CPU that a pause's scope weighs.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectors/cgroupfs.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)rh::collectors::ParseSchedstatRunDelay(text);
  return 0;
}

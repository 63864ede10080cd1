// Fuzz target: RecognizeKernelReport over one line of kernel log text (the kernel's stall and
// trouble reports: hung tasks, lockups, RCU stalls, OOM kills, I/O errors, machine checks), then
// the task name unescaped as the daemon stores it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "analysis/kernel_reports.h"
#include "collectors/kmsg.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto report = rh::analysis::RecognizeKernelReport(text)) {
    (void)rh::analysis::KindText(report->kind);
    (void)rh::collectors::UnescapeKmsg(report->task);
  }
  return 0;
}

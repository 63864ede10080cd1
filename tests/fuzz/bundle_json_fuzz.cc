// Fuzz target: every JSON document rh-forensics reads back from a bundle. The first byte picks
// the document ('0' summary.json, '1' processes.json, '2' blocked.json, '3' capture.json,
// '4' samples.jsonl); the rest is its text.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "forensics/cli/bundle_view.h"

namespace cli = rh::forensics::cli;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string where = "bundle/file";
  switch (data[0] % 5) {
    case 0: {
      auto summary = cli::ParseSummary(text, where);
      if (summary.ok()) (void)summary->culprits.size();
      break;
    }
    case 1:
      (void)cli::ParseProcesses(text, where);
      break;
    case 2:
      (void)cli::ParseBlocked(text, where);
      break;
    case 3:
      (void)cli::ParseCapturePasses(text, where);
      break;
    default:
      (void)cli::ParseSamples(text, where);
      break;
  }
  return 0;
}

// Fuzz target: ParseManifest over manifest.json text, written back when it parses.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "forensics/bundle.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = rh::forensics::ParseManifest(text, "manifest.json");
  if (parsed.ok()) (void)rh::forensics::ManifestToJson(*parsed);
  return 0;
}

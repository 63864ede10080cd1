// Fuzz target: the web-config file (exporter-toolkit YAML: TLS, basic auth, headers). Parsing
// alone: the certificate and key files it names are not read.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "exporter/web_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = rh::exporter::ParseWebConfig(text, "fuzz.yml", "/nonexistent-rh-fuzz");
  if (parsed.ok()) {
    // An accepted file never lets a header value split a response header.
    for (const auto& [name, value] : parsed->headers) {
      if (name.find_first_of("\r\n") != name.npos || value.find_first_of("\r\n") != value.npos) {
        std::abort();
      }
    }
  } else if (parsed.error().message.rfind("fuzz.yml", 0) != 0) {
    std::abort();  // every error names the file
  }
  return 0;
}

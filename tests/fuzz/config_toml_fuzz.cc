// Fuzz target: the TOML configuration loader, and the effective configuration it prints.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = rh::config::Parse(text, "fuzz.toml");
  if (parsed.ok()) (void)rh::config::ToToml(*parsed);
  (void)rh::config::ParseListen(text);
  return 0;
}
